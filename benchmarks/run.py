"""hallflow benchmarks: working-day arithmetic against chinesecalendar, holidays, numpy, pandas.

One command measures everything in the same run and prints one table::

    .venv/bin/python benchmarks/run.py [--quick] [--json PATH]

* scalar "add 10 / 200 working days" and "count working days over a year" on random start
  dates drawn from 2015-2025 with a fixed seed;
* bulk ``add_working_days`` / ``working_days_between`` over 10 million dates (``--quick``:
  200 thousand) against ``np.busday_offset`` / ``np.busday_count``;
* the build time and the table memory of ``china(until=2030)``.

Timings are medians over repeats (``time.perf_counter_ns``, garbage collector off). Each
library gets its own native input type, prepared outside the timed loop (``datetime.date``
for hallflow, chinesecalendar and holidays, ``numpy.datetime64`` for numpy,
``pandas.Timestamp`` for pandas), and every peer is called so that it answers the same
question as hallflow (see ``docs/benchmarks.md`` for the exact calls). numpy and pandas
cannot express make-up working Saturdays: they get the calendar's weekday holidays and
their answers are compared with hallflow's. hallflow's own answers are cross-checked with
chinesecalendar on the sample.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hallflow.calendar.engine import WorkCalendar

SEED = 20_240_601
"""The fixed seed of the sampled start dates."""
SAMPLE_FIRST = dt.date(2015, 1, 1)
SAMPLE_LAST = dt.date(2025, 12, 31)
UNTIL = 2030
YEAR_DAYS = 365
"""The span of the "count working days over a year" operation: ``(d, d + 365 days]``."""

WEEKMASK = "1111100"

TARGET_SCALAR_VS_NUMPY = 5.0
TARGET_SCALAR_VS_HOLIDAYS = 30.0
TARGET_BULK_VS_NUMPY = 3.0
TARGET_BUILD_MS = 50.0
TARGET_MEMORY_BYTES = 5 * 1024 * 1024

Runner = Callable[[], object]


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Config:
    """How much to measure.

    Attributes:
        quick: the reduced (smoke) configuration.
        samples: random start dates for the scalar operations.
        repeats: timed repeats of each scalar loop and bulk call (the median is reported).
        bulk_size: dates in the bulk operations.
        builds: timed builds of the national calendar.
        crosscheck: bulk elements cross-checked against chinesecalendar.
    """

    quick: bool
    samples: int
    repeats: int
    bulk_size: int
    builds: int
    crosscheck: int


FULL = Config(quick=False, samples=1000, repeats=7, bulk_size=10_000_000, builds=9, crosscheck=2000)
QUICK = Config(quick=True, samples=150, repeats=3, bulk_size=200_000, builds=5, crosscheck=300)


@dataclass
class Row:
    """One measured line of the table.

    Attributes:
        operation: what was measured (``scalar add 10``, ``bulk add 10``, ...).
        library: the library and variant.
        median_ns: the median time, per call for scalar operations, per whole call for
            bulk operations and builds.
        per: ``"call"`` (one scalar call) or ``"batch"`` (one bulk call / one build).
        speedup: peer time / hallflow time (None for hallflow's own rows).
        equal_hallflow: the fraction of sampled answers equal to hallflow's.
        equal_chinesecalendar: the fraction of sampled answers equal to chinesecalendar's
            (the cross-check of hallflow's own correctness).
        knows_makeup: whether the library can express make-up working days (调休上班).
        call: the exact call timed.
    """

    operation: str
    library: str
    median_ns: float
    per: str
    speedup: float | None
    equal_hallflow: float | None
    equal_chinesecalendar: float | None
    knows_makeup: str
    call: str


@dataclass
class Target:
    """A performance target and whether this run met it.

    Attributes:
        name: the target, in words.
        measured: the measured value (a ratio, milliseconds or bytes).
        threshold: the value to reach.
        passed: whether it was reached.
        note: caveats (e.g. measured with ``--quick``).
    """

    name: str
    measured: float
    threshold: float
    passed: bool
    note: str = ""


@dataclass
class Report:
    """Everything one run measured (what ``--json`` writes)."""

    machine: dict[str, Any]
    config: dict[str, Any]
    calendar: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)


# --------------------------------------------------------------------------- the calendar


def calendar_builder() -> tuple[Callable[[], WorkCalendar], str]:
    """The national calendar builder, ``china(until=2030)``, and a description of it."""
    from hallflow.calendar.national import china

    def build() -> WorkCalendar:
        return china(until=UNTIL)

    return build, f"hallflow.calendar.national.china(until={UNTIL})"


# --------------------------------------------------------------------------- timing


SLOW_NS = 1_500_000_000
"""A run whose warm-up takes longer than this is repeated only :data:`SLOW_REPEATS` times."""
SLOW_REPEATS = 3


def median_ns(run: Runner, repeats: int) -> float:
    """The median wall time of ``run()`` in nanoseconds, after one warm-up call.

    Slow runs (a warm-up over :data:`SLOW_NS`, i.e. the day-by-day peers) are repeated at
    most :data:`SLOW_REPEATS` times to keep the whole benchmark within a few minutes.
    """
    t0 = time.perf_counter_ns()
    run()
    if time.perf_counter_ns() - t0 > SLOW_NS:
        repeats = min(repeats, SLOW_REPEATS)
    enabled = gc.isenabled()
    gc.disable()
    try:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter_ns()
            run()
            times.append(time.perf_counter_ns() - t0)
    finally:
        if enabled:
            gc.enable()
    return float(statistics.median(times))


def fraction_equal(got: Sequence[object], want: Sequence[object]) -> float:
    """The fraction of positions where ``got`` equals ``want``."""
    if len(got) != len(want) or not want:
        raise ValueError("answer lists differ in length or are empty")
    return sum(1 for g, w in zip(got, want, strict=True) if g == w) / len(want)


def sample_dates(n: int, rng: np.random.Generator) -> list[dt.date]:
    """``n`` random days from :data:`SAMPLE_FIRST` to :data:`SAMPLE_LAST` (inclusive)."""
    lo, hi = SAMPLE_FIRST.toordinal(), SAMPLE_LAST.toordinal()
    return [dt.date.fromordinal(int(o)) for o in rng.integers(lo, hi + 1, size=n)]


def weekday_holidays(cal: WorkCalendar, first: dt.date, last: dt.date) -> list[dt.date]:
    """The calendar's rest days falling Monday-Friday: the holiday list numpy/pandas get."""
    out = []
    day = first
    one = dt.timedelta(days=1)
    while day <= last:
        if day.weekday() < 5 and not cal.is_working_day(day):
            out.append(day)
        day += one
    return out


# --------------------------------------------------------------------------- scalar runs


@dataclass
class Peers:
    """The peer libraries, set up once (outside every timed loop)."""

    cc: Any
    hol: Any
    pd: Any
    holiday_list: list[dt.date]
    holidays64: npt.NDArray[np.datetime64]
    busdaycal: np.busdaycalendar


def setup_peers(cal: WorkCalendar) -> Peers:
    """Import the peers and give numpy/pandas hallflow's weekday holidays (2004-2030)."""
    import chinese_calendar
    import holidays
    import pandas

    hol_list = weekday_holidays(cal, cal.first, cal.last)
    h64 = np.array(hol_list, dtype="datetime64[D]")
    hol = holidays.country_holidays("CN", years=range(SAMPLE_FIRST.year - 1, UNTIL + 1))
    return Peers(
        cc=chinese_calendar,
        hol=hol,
        pd=pandas,
        holiday_list=hol_list,
        holidays64=h64,
        busdaycal=np.busdaycalendar(weekmask=WEEKMASK, holidays=h64),
    )


def _to_date(value: Any) -> dt.date:
    item = np.asarray(value, dtype="datetime64[D]").item()
    if not isinstance(item, dt.date):
        raise TypeError(f"{value!r} is not a day")
    return item


def _per_call(total_ns: float, n: int) -> float:
    return total_ns / n


def scalar_add(
    cal: WorkCalendar, peers: Peers, dates: list[dt.date], n: int, cfg: Config
) -> list[Row]:
    """Add ``n`` working days to each sampled date, in every library."""
    op = f"scalar add {n}"
    np_dates = [np.datetime64(d, "D") for d in dates]
    ts_dates = [peers.pd.Timestamp(d) for d in dates]
    next_days = [d + dt.timedelta(days=1) for d in dates]
    cbd = n * peers.pd.offsets.CustomBusinessDay(holidays=peers.holiday_list)
    bdc = peers.busdaycal
    h64 = peers.holidays64
    hol = peers.hol
    find_workday = peers.cc.find_workday

    def run_hallflow() -> None:
        f = cal.add_working_days
        for d in dates:
            f(d, n)

    def run_cc() -> None:
        for d in next_days:
            find_workday(n - 1, d)

    def run_holidays() -> None:
        f = hol.get_nth_working_day
        for d in dates:
            f(d, n)

    def run_numpy_cal() -> None:
        f = np.busday_offset
        for d in np_dates:
            f(d, n, roll="backward", busdaycal=bdc)

    def run_numpy_list() -> None:
        f = np.busday_offset
        for d in np_dates:
            f(d, n, roll="backward", weekmask=WEEKMASK, holidays=h64)

    def run_pandas() -> None:
        for t in ts_dates:
            t + cbd

    want = [cal.add_working_days(d, n) for d in dates]
    truth = [find_workday(n - 1, d) for d in next_days]
    answers: dict[str, list[dt.date]] = {
        "hallflow": want,
        "chinesecalendar": truth,
        "holidays": [hol.get_nth_working_day(d, n) for d in dates],
        "numpy busdaycalendar": [
            _to_date(np.busday_offset(d, n, roll="backward", busdaycal=bdc)) for d in np_dates
        ],
        "numpy holidays=": [
            _to_date(np.busday_offset(d, n, roll="backward", weekmask=WEEKMASK, holidays=h64))
            for d in np_dates
        ],
        "pandas": [(t + cbd).date() for t in ts_dates],
    }
    specs: list[tuple[str, Runner, str, str]] = [
        ("hallflow", run_hallflow, "yes", "cal.add_working_days(d, n)"),
        ("chinesecalendar", run_cc, "yes", "find_workday(n - 1, d + 1 day)"),
        ("holidays", run_holidays, "yes", "country_holidays('CN').get_nth_working_day(d, n)"),
        (
            "numpy busdaycalendar",
            run_numpy_cal,
            "no",
            "np.busday_offset(d64, n, roll='backward', busdaycal=bdc)",
        ),
        (
            "numpy holidays=",
            run_numpy_list,
            "no",
            "np.busday_offset(d64, n, roll='backward', weekmask=..., holidays=h64)",
        ),
        ("pandas", run_pandas, "no", "ts + n * CustomBusinessDay(holidays=...)  [offset prebuilt]"),
    ]
    return _rows(op, specs, answers, want, truth, len(dates), cfg)


def scalar_count(cal: WorkCalendar, peers: Peers, dates: list[dt.date], cfg: Config) -> list[Row]:
    """Count the working days in ``(d, d + 365 days]`` for each sampled date."""
    op = "scalar count year"
    span = dt.timedelta(days=YEAR_DAYS)
    one = dt.timedelta(days=1)
    ends = [d + span for d in dates]
    pairs = list(zip(dates, ends, strict=True))
    closed = [(a + one, b) for a, b in pairs]  # [a + 1, b], both ends included
    np_pairs = [(np.datetime64(a + one, "D"), np.datetime64(b + one, "D")) for a, b in pairs]
    ts_pairs = [(peers.pd.Timestamp(a), peers.pd.Timestamp(b)) for a, b in closed]
    cbd = peers.pd.offsets.CustomBusinessDay(holidays=peers.holiday_list)
    date_range = peers.pd.date_range
    bdc = peers.busdaycal
    h64 = peers.holidays64
    hol = peers.hol
    get_workdays = peers.cc.get_workdays

    def run_hallflow() -> None:
        f = cal.working_days_between
        for a, b in pairs:
            f(a, b)

    def run_cc() -> None:
        for a, b in closed:
            len(get_workdays(a, b))

    def run_holidays() -> None:
        f = hol.get_working_days_count
        for a, b in closed:
            f(a, b)

    def run_numpy_cal() -> None:
        f = np.busday_count
        for a, b in np_pairs:
            f(a, b, busdaycal=bdc)

    def run_numpy_list() -> None:
        f = np.busday_count
        for a, b in np_pairs:
            f(a, b, weekmask=WEEKMASK, holidays=h64)

    def run_pandas() -> None:
        for a, b in ts_pairs:
            len(date_range(a, b, freq=cbd))

    want = [cal.working_days_between(a, b) for a, b in pairs]
    truth = [len(get_workdays(a, b)) for a, b in closed]
    answers: dict[str, list[int]] = {
        "hallflow": want,
        "chinesecalendar": truth,
        "holidays": [int(hol.get_working_days_count(a, b)) for a, b in closed],
        "numpy busdaycalendar": [int(np.busday_count(a, b, busdaycal=bdc)) for a, b in np_pairs],
        "numpy holidays=": [
            int(np.busday_count(a, b, weekmask=WEEKMASK, holidays=h64)) for a, b in np_pairs
        ],
        "pandas": [len(date_range(a, b, freq=cbd)) for a, b in ts_pairs],
    }
    specs: list[tuple[str, Runner, str, str]] = [
        ("hallflow", run_hallflow, "yes", "cal.working_days_between(d, d + 365)"),
        ("chinesecalendar", run_cc, "yes", "len(get_workdays(d + 1, d + 365))"),
        ("holidays", run_holidays, "yes", "get_working_days_count(d + 1, d + 365)"),
        (
            "numpy busdaycalendar",
            run_numpy_cal,
            "no",
            "np.busday_count(d + 1, d + 366, busdaycal=bdc)",
        ),
        (
            "numpy holidays=",
            run_numpy_list,
            "no",
            "np.busday_count(d + 1, d + 366, weekmask=..., holidays=h64)",
        ),
        ("pandas", run_pandas, "no", "len(pd.date_range(d + 1, d + 365, freq=CustomBusinessDay))"),
    ]
    return _rows(op, specs, answers, want, truth, len(dates), cfg)


def _rows(
    op: str,
    specs: list[tuple[str, Runner, str, str]],
    answers: dict[str, Any],
    want: Sequence[object],
    truth: Sequence[object],
    calls: int,
    cfg: Config,
) -> list[Row]:
    rows = []
    base = 0.0
    for library, run, makeup, call in specs:
        ns = _per_call(median_ns(run, cfg.repeats), calls)
        if library == "hallflow":
            base = ns
        got = answers[library]
        rows.append(
            Row(
                operation=op,
                library=library,
                median_ns=ns,
                per="call",
                speedup=None if library == "hallflow" else ns / base,
                equal_hallflow=fraction_equal(got, want),
                equal_chinesecalendar=fraction_equal(got, truth),
                knows_makeup=makeup,
                call=call,
            )
        )
    return rows


# --------------------------------------------------------------------------- bulk runs


def bulk(cal: WorkCalendar, peers: Peers, cfg: Config, rng: np.random.Generator) -> list[Row]:
    """Bulk add 10 working days and bulk count over a year, hallflow against numpy."""
    lo = np.datetime64(SAMPLE_FIRST, "D").astype(np.int64)
    hi = np.datetime64(SAMPLE_LAST, "D").astype(np.int64)
    dates = rng.integers(lo, hi + 1, size=cfg.bulk_size).astype("datetime64[D]")
    ends = dates + np.timedelta64(YEAR_DAYS, "D")
    a1 = dates + np.timedelta64(1, "D")
    b1 = ends + np.timedelta64(1, "D")
    n = 10
    bdc = peers.busdaycal
    h64 = peers.holidays64
    ops = cal.bulk
    size = f"{cfg.bulk_size:,}"
    rows: list[Row] = []

    # a cross-check subsample against chinesecalendar
    idx = rng.choice(cfg.bulk_size, size=min(cfg.crosscheck, cfg.bulk_size), replace=False)
    sub = [d.item() for d in dates[idx]]
    cc = peers.cc
    truth_add = np.array(
        [cc.find_workday(n - 1, d + dt.timedelta(days=1)) for d in sub], dtype="datetime64[D]"
    )
    truth_count = np.array(
        [
            len(cc.get_workdays(d + dt.timedelta(days=1), d + dt.timedelta(days=YEAR_DAYS)))
            for d in sub
        ]
    )

    add_specs: list[tuple[str, Runner, str, str]] = [
        (
            "hallflow",
            lambda: ops.add_working_days(dates, n),
            "yes",
            "cal.bulk.add_working_days(dates, 10)",
        ),
        (
            "numpy busdaycalendar",
            lambda: np.busday_offset(dates, n, roll="backward", busdaycal=bdc),
            "no",
            "np.busday_offset(dates, 10, roll='backward', busdaycal=bdc)",
        ),
        (
            "numpy holidays=",
            lambda: np.busday_offset(dates, n, roll="backward", weekmask=WEEKMASK, holidays=h64),
            "no",
            "np.busday_offset(dates, 10, roll='backward', weekmask=..., holidays=h64)",
        ),
    ]
    count_specs: list[tuple[str, Runner, str, str]] = [
        (
            "hallflow",
            lambda: ops.working_days_between(dates, ends),
            "yes",
            "cal.bulk.working_days_between(dates, dates + 365)",
        ),
        (
            "numpy busdaycalendar",
            lambda: np.busday_count(a1, b1, busdaycal=bdc),
            "no",
            "np.busday_count(dates + 1, dates + 366, busdaycal=bdc)",
        ),
        (
            "numpy holidays=",
            lambda: np.busday_count(a1, b1, weekmask=WEEKMASK, holidays=h64),
            "no",
            "np.busday_count(dates + 1, dates + 366, weekmask=..., holidays=h64)",
        ),
    ]
    for op, specs, truth in (
        (f"bulk add 10 ({size})", add_specs, truth_add),
        (f"bulk count year ({size})", count_specs, truth_count),
    ):
        want: Any = None
        base = 0.0
        for library, run, makeup, call in specs:
            got: Any = run()
            if want is None:
                want = got
            ns = median_ns(run, cfg.repeats)
            if library == "hallflow":
                base = ns
            rows.append(
                Row(
                    operation=op,
                    library=library,
                    median_ns=ns,
                    per="batch",
                    speedup=None if library == "hallflow" else ns / base,
                    equal_hallflow=float(np.mean(got == want)),
                    equal_chinesecalendar=float(np.mean(got[idx] == truth)),
                    knows_makeup=makeup,
                    call=call,
                )
            )
            del got
    return rows


# --------------------------------------------------------------------------- build, memory


def build_and_memory(
    build: Callable[[], WorkCalendar], cfg: Config
) -> tuple[Row, WorkCalendar, dict[str, int]]:
    """Time the calendar build (median of ``cfg.builds``) and measure its memory."""
    ns = median_ns(build, cfg.builds)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    cal = build()
    gc.collect()
    retained = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    row = Row(
        operation=f"build china(until={UNTIL})",
        library="hallflow",
        median_ns=ns,
        per="batch",
        speedup=None,
        equal_hallflow=None,
        equal_chinesecalendar=None,
        knows_makeup="yes",
        call="china(until=2030)",
    )
    memory = {"memory_bytes": cal.memory_bytes(), "tracemalloc_retained_bytes": retained}
    return row, cal, memory


# --------------------------------------------------------------------------- targets


def _find(rows: list[Row], op: str, library: str) -> Row:
    for row in rows:
        if row.operation == op and row.library == library:
            return row
    raise KeyError((op, library))


def evaluate_targets(rows: list[Row], memory: dict[str, int], cfg: Config) -> list[Target]:
    """Compare the run with the performance targets (the faster numpy variant counts)."""
    targets = []
    for n in (10, 200):
        op = f"scalar add {n}"
        numpy_speedup = min(
            _find(rows, op, lib).speedup or 0.0
            for lib in ("numpy busdaycalendar", "numpy holidays=")
        )
        targets.append(
            Target(
                f"{op}: >= {TARGET_SCALAR_VS_NUMPY:g}x numpy busday_offset (scalar)",
                numpy_speedup,
                TARGET_SCALAR_VS_NUMPY,
                numpy_speedup >= TARGET_SCALAR_VS_NUMPY,
                "against the faster numpy variant",
            )
        )
        hol_speedup = _find(rows, op, "holidays").speedup or 0.0
        targets.append(
            Target(
                f"{op}: >= {TARGET_SCALAR_VS_HOLIDAYS:g}x holidays get_nth_working_day",
                hol_speedup,
                TARGET_SCALAR_VS_HOLIDAYS,
                hol_speedup >= TARGET_SCALAR_VS_HOLIDAYS,
            )
        )
    bulk_op = next(r.operation for r in rows if r.operation.startswith("bulk add"))
    bulk_speedup = min(
        _find(rows, bulk_op, lib).speedup or 0.0
        for lib in ("numpy busdaycalendar", "numpy holidays=")
    )
    targets.append(
        Target(
            f"bulk add 10: >= {TARGET_BULK_VS_NUMPY:g}x numpy busday_offset over 10M",
            bulk_speedup,
            TARGET_BULK_VS_NUMPY,
            bulk_speedup >= TARGET_BULK_VS_NUMPY,
            "against the faster numpy variant"
            + (f"; --quick measured {cfg.bulk_size:,} dates" if cfg.quick else ""),
        )
    )
    build_ms = _find(rows, f"build china(until={UNTIL})", "hallflow").median_ns / 1e6
    targets.append(
        Target(
            f"build china(until={UNTIL}) < {TARGET_BUILD_MS:g} ms",
            build_ms,
            TARGET_BUILD_MS,
            build_ms < TARGET_BUILD_MS,
        )
    )
    mem = memory["memory_bytes"]
    targets.append(
        Target(
            "memory_bytes() < 5 MB",
            float(mem),
            float(TARGET_MEMORY_BYTES),
            mem < TARGET_MEMORY_BYTES,
        )
    )
    return targets


# --------------------------------------------------------------------------- report


def version_of(dist: str) -> str:
    """The installed version of a distribution, or "not installed"."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def host() -> dict[str, Any]:
    """The CPU, core counts, platform and Python of this run (shared by every benchmark)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def machine() -> dict[str, Any]:
    """The host and the library versions of this run."""
    return {
        **host(),
        "numpy": np.__version__,
        "pandas": version_of("pandas"),
        "holidays": version_of("holidays"),
        "chinesecalendar": version_of("chinesecalendar"),
    }


def _fmt_time(row: Row) -> str:
    if row.per == "call":
        return f"{row.median_ns / 1e3:,.2f} µs"
    return f"{row.median_ns / 1e6:,.2f} ms"


def _fmt_frac(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def render(report: Report) -> str:
    """The report as a plain-text (Markdown-compatible) table."""
    head = (
        "operation",
        "library",
        "median",
        "hallflow speedup",
        "= hallflow",
        "= chinesecalendar",
        "knows make-up days",
    )
    body = [
        (
            r.operation,
            r.library,
            _fmt_time(r),
            "-" if r.speedup is None else f"{r.speedup:,.1f}x",
            _fmt_frac(r.equal_hallflow),
            _fmt_frac(r.equal_chinesecalendar),
            r.knows_makeup,
        )
        for r in report.rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(b) for b in body]
    out.append("")
    mem = report.calendar["memory"]
    out.append(
        f"memory_bytes(): {mem['memory_bytes']:,} B "
        f"({mem['memory_bytes'] / 2**20:.2f} MiB); tracemalloc retained by one build: "
        f"{mem['tracemalloc_retained_bytes']:,} B"
    )
    out.append("")
    out.append("targets:")
    for t in report.targets:
        if "memory" in t.name:
            value = f"{t.measured / 2**20:.2f} MiB"
        elif "ms" in t.name:
            value = f"{t.measured:.2f} ms"
        else:
            value = f"{t.measured:.1f}x"
        note = f"  ({t.note})" if t.note else ""
        out.append(f"  {'PASS' if t.passed else 'MISS'}  {t.name}: {value}{note}")
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def run(cfg: Config) -> Report:
    """Run every benchmark in ``cfg`` and return the report."""
    build, how = calendar_builder()
    build_row, cal, memory = build_and_memory(build, cfg)
    peers = setup_peers(cal)
    rng = np.random.default_rng(SEED)
    dates = sample_dates(cfg.samples, rng)
    report = Report(
        machine=machine(),
        config={
            **asdict(cfg),
            "seed": SEED,
            "sample_first": str(SAMPLE_FIRST),
            "sample_last": str(SAMPLE_LAST),
        },
        calendar={
            "builder": how,
            "first": str(cal.first),
            "last": str(cal.last),
            "weekday_holidays_given_to_numpy_pandas": len(peers.holiday_list),
            "memory": memory,
        },
    )
    rows = report.rows
    rows += scalar_add(cal, peers, dates, 10, cfg)
    rows += scalar_add(cal, peers, dates, 200, cfg)
    rows += scalar_count(cal, peers, dates, cfg)
    rows += bulk(cal, peers, cfg, rng)
    rows.append(build_row)
    report.targets = evaluate_targets(rows, memory, cfg)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: run, print the table, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write all results here")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    report = run(cfg)
    m = report.machine
    print(
        f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable); "
        f"Python {m['python']}, numpy {m['numpy']}, pandas {m['pandas']}, "
        f"holidays {m['holidays']}, chinesecalendar {m['chinesecalendar']}"
    )
    print(f"calendar: {report.calendar['builder']}")
    print(
        f"config: {'quick' if cfg.quick else 'full'}; {cfg.samples} scalar samples, "
        f"{cfg.repeats} repeats, {cfg.bulk_size:,} bulk dates, seed {SEED}"
    )
    print()
    print(render(report))
    if args.json is not None:
        args.json.write_text(
            json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
