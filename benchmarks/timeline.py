"""hallflow timeline benchmarks: one clock, a million clocks, and python-holidays per clock.

One command measures everything in the same run and prints one table::

    .venv/bin/python benchmarks/timeline.py [--quick] [--json PATH]

* one working-day clock with 3 pauses: :meth:`Clock.status`, :meth:`CompiledClock.evaluate`
  and :func:`evaluate_one` (median µs per call; target: ``evaluate_one`` < 5 µs);
* the supervision sweep: :func:`hallflow.timeline.evaluate` over 1,000,000 open clocks
  with 0–3 pauses each (85 % working-day, 15 % calendar-day limits; ``--quick``: 100,000;
  target < 1 s);
* the best peer, python-holidays (``country_holidays("CN")``: ``is_working_day``,
  ``get_nth_working_day``, ``get_working_days_count``) computing the same due dates clock by
  clock over a sample of 2,000 working-day clocks (``--quick``: 300), extrapolated per
  clock, with its agreement with hallflow on the sample.

Timings are medians over repeats (garbage collector off), as in ``benchmarks/run.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from hallflow.calendar.engine import WorkCalendar
from hallflow.calendar.national import china
from hallflow.timeline import Clock, Limit, PauseReason
from hallflow.timeline.bulk import ClockArrays, evaluate
from hallflow.timeline.compiled import NONE, CompiledClock, calendar_tables, compile_clock, to_us
from run import machine, median_ns

SEED = 20_250_601
SH = ZoneInfo("Asia/Shanghai")
CLOSE = dt.time(17, 30)
AT = dt.datetime(2025, 6, 2, 12, 0, tzinfo=SH)
"""The sweep instant (a Monday noon)."""
FIRST_START = dt.datetime(2024, 1, 1, tzinfo=SH)
HOUR = 3_600_000_000

TARGET_ONE_US = 5.0
TARGET_BULK_S = 1.0


@dataclass(frozen=True)
class Config:
    """How much to measure.

    Attributes:
        quick: the reduced (smoke) configuration.
        bulk_size: clocks in the sweep.
        sample: working-day clocks given to the peer (and to Clock.status).
        repeats: timed repeats (the median is reported).
        single_calls: calls per timed repeat of the single-clock rows.
    """

    quick: bool
    bulk_size: int
    sample: int
    repeats: int
    single_calls: int


FULL = Config(quick=False, bulk_size=1_000_000, sample=2000, repeats=7, single_calls=20_000)
QUICK = Config(quick=True, bulk_size=100_000, sample=300, repeats=3, single_calls=2000)


@dataclass
class Row:
    """One measured line: ``median_ns`` per call (``per="call"``) or per batch."""

    operation: str
    library: str
    median_ns: float
    per: str
    clocks: int
    equal_hallflow: float | None
    call: str


@dataclass
class Target:
    """A performance target and whether this run met it."""

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
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    ratios: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- the clocks


def random_arrays(n: int, rng: np.random.Generator) -> ClockArrays:
    """``n`` open clocks started in 2024–2025 with 0–3 closed pauses before :data:`AT`."""
    at = to_us(AT)
    start = rng.integers(to_us(FIRST_START), at - 10 * 24 * HOUR, n)
    count = rng.integers(0, 4, n)
    ps = np.full((n, 3), NONE, dtype=np.int64)
    pe = np.full((n, 3), NONE, dtype=np.int64)
    t = start.copy()
    ok = np.ones(n, dtype=np.bool_)
    for k in range(3):
        a = t + rng.integers(HOUR, 240 * HOUR, n)
        b = a + rng.integers(HOUR, 120 * HOUR, n)
        ok &= (count > k) & (b < at)
        ps[ok, k], pe[ok, k] = a[ok], b[ok]
        t = np.where(ok, b, t)
    unit = rng.choice(np.array([0, 1], dtype=np.int8), n, p=[0.85, 0.15])
    total = rng.integers(5, 60, n)
    return ClockArrays(start, total, unit, ps, pe)


def to_clock(cal: WorkCalendar, arrays: ClockArrays, i: int) -> Clock:
    """Row ``i`` as a :class:`Clock` with Paused/Resumed events."""
    unit = (Limit.working_days, Limit.calendar_days)[int(arrays.unit[i])]
    local = np.int64(arrays.start[i]).astype("datetime64[us]").item()
    assert isinstance(local, dt.datetime)
    clock = Clock.start("c", unit(int(arrays.total[i])), cal, local.replace(tzinfo=dt.UTC))
    for a, b in zip(arrays.pause_start[i], arrays.pause_end[i], strict=True):
        if a == NONE:
            break
        clock = clock.pause(_dt(int(a)), PauseReason.OTHER).resume(_dt(int(b)))
    return clock


def _dt(us: int) -> dt.datetime:
    return (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=us)).astimezone(SH)


# --------------------------------------------------------------------------- the peer


def peer_due(
    hol: Any,
    start: dt.datetime,
    pauses: Sequence[tuple[dt.datetime, dt.datetime]],
    total: int,
    at: dt.datetime,
) -> dt.datetime:
    """A working-day clock's due instant with python-holidays, segment by segment.

    The same rules as hallflow: receipt day (after 17:30 or on a rest day: the next working
    day), one tick per working day at 17:30 while running, the limit ends at 17:30 of its
    last day. Each running segment is counted with ``get_working_days_count``, the last
    day found with ``get_nth_working_day``.
    """
    one = dt.timedelta(days=1)
    day = start.date()
    if not hol.is_working_day(day) or start.time() >= CLOSE:
        day = hol.get_nth_working_day(day, 1)
    base = day
    segments: list[tuple[dt.datetime, dt.datetime | None]] = []
    a = start
    for p, r in pauses:
        segments.append((a, p))
        a = r
    segments.append((a, None))
    need = total
    for a, b in segments:
        lo = a.date() if a.time() > CLOSE else a.date() - one
        lo = max(lo, base)
        if b is None:
            break
        hi = b.date() if b.time() > CLOSE else b.date() - one
        ticks = hol.get_working_days_count(lo + one, hi) if hi > lo else 0
        if ticks >= need:
            break
        need -= ticks
    return dt.datetime.combine(hol.get_nth_working_day(lo, need), CLOSE, tzinfo=SH)


# --------------------------------------------------------------------------- runs


def single(cal: WorkCalendar, cfg: Config) -> list[Row]:
    """One working-day clock with 3 pauses, read three ways."""
    t = dt.datetime
    clock = Clock.start("legal", Limit.working_days(20), cal, t(2024, 9, 20, 10, tzinfo=SH))
    for p, r in (((9, 24), (9, 27)), ((10, 8), (10, 10)), ((10, 14), (10, 15))):
        clock = clock.pause(t(2024, *p, 11, tzinfo=SH), "hearing")
        clock = clock.resume(t(2024, *r, 9, tzinfo=SH))
    at = t(2024, 10, 20, 12, tzinfo=SH)
    at_us = to_us(at)
    compiled = CompiledClock.from_clock(clock)
    ints = compile_clock(clock, at)
    tables = calendar_tables(cal)
    from hallflow.timeline.compiled import evaluate_one

    args = (
        tables,
        ints.start,
        ints.receipt,
        ints.intervals,
        ints.open_from,
        ints.total,
        ints.unit,
        ints.stop,
        at_us,
        ints.remind_before,
        ints.restart_total,
    )
    want = clock.status(at).due
    assert compiled.evaluate(at_us).due == to_us(want) == evaluate_one(*args).due
    calls = cfg.single_calls

    def run_status() -> None:
        for _ in range(calls // 10):
            clock.status(at)

    def run_compiled() -> None:
        for _ in range(calls):
            compiled.evaluate(at_us)

    def run_one() -> None:
        for _ in range(calls):
            evaluate_one(*args)

    op = "one clock, 3 pauses"
    return [
        Row(
            op,
            "hallflow Clock.status",
            median_ns(run_status, cfg.repeats) / (calls // 10),
            "call",
            1,
            1.0,
            "clock.status(at)",
        ),
        Row(
            op,
            "hallflow CompiledClock",
            median_ns(run_compiled, cfg.repeats) / calls,
            "call",
            1,
            1.0,
            "CompiledClock.from_clock(clock).evaluate(at_us)  [compiled once]",
        ),
        Row(
            op,
            "hallflow evaluate_one",
            median_ns(run_one, cfg.repeats) / calls,
            "call",
            1,
            1.0,
            "evaluate_one(tables, *compile_clock(clock, at), at_us)  [compiled once]",
        ),
    ]


def sweep(
    cal: WorkCalendar, cfg: Config, rng: np.random.Generator
) -> tuple[list[Row], dict[str, float]]:
    """The bulk sweep, and the sample given to Clock.status and to python-holidays."""
    import holidays

    arrays = random_arrays(cfg.bulk_size, rng)
    got = evaluate(cal, arrays, AT)
    bulk_ns = median_ns(lambda: evaluate(cal, arrays, AT), cfg.repeats)
    n = cfg.bulk_size
    wd_rows = np.flatnonzero(arrays.unit == 0)
    idx = np.sort(rng.choice(wd_rows, size=cfg.sample, replace=False))
    clocks = [to_clock(cal, arrays, int(i)) for i in idx]
    bulk_due: npt.NDArray[Any] = got.due[idx]
    status_due = [c.status(AT).due for c in clocks]
    eq_status = float(
        np.mean(
            [to_us(d) == int(b) for d, b in zip(status_due, bulk_due.view(np.int64), strict=True)]
        )
    )
    hol = holidays.country_holidays("CN", years=range(2023, 2027))
    inputs = []
    for c in clocks:
        start = c.events[0].at.astimezone(SH)
        pauses = [
            (c.events[j].at.astimezone(SH), c.events[j + 1].at.astimezone(SH))
            for j in range(1, len(c.events), 2)
        ]
        inputs.append((start, pauses, c.limit.amount))
    peer = [peer_due(hol, s, p, total, AT) for s, p, total in inputs]
    eq_peer = float(
        np.mean([to_us(d) == int(b) for d, b in zip(peer, bulk_due.view(np.int64), strict=True)])
    )

    def run_peer() -> None:
        for s, p, total in inputs:
            peer_due(hol, s, p, total, AT)

    def run_status() -> None:
        for c in clocks:
            c.status(AT)

    peer_ns = median_ns(run_peer, cfg.repeats) / cfg.sample
    status_ns = median_ns(run_status, cfg.repeats) / cfg.sample
    size = f"{n:,}"
    rows = [
        Row(
            f"sweep ({size} clocks)",
            "hallflow evaluate",
            bulk_ns,
            "batch",
            n,
            1.0,
            "evaluate(cal, ClockArrays(...), at)",
        ),
        Row(
            f"sweep ({size} clocks)",
            "hallflow Clock.status x N (extrapolated)",
            status_ns * n,
            "batch",
            n,
            eq_status,
            f"[clock.status(at) for clock in clocks], timed on {cfg.sample:,} clocks",
        ),
        Row(
            f"sweep ({size} clocks)",
            "holidays per clock (extrapolated)",
            peer_ns * n,
            "batch",
            n,
            eq_peer,
            f"get_working_days_count / get_nth_working_day per segment, timed on "
            f"{cfg.sample:,} working-day clocks",
        ),
    ]
    ratios = {"holidays_vs_bulk": peer_ns * n / bulk_ns, "status_vs_bulk": status_ns * n / bulk_ns}
    return rows, ratios


def targets(rows: list[Row], cfg: Config) -> list[Target]:
    """Compare the run with the targets."""
    one = next(r for r in rows if r.library == "hallflow evaluate_one").median_ns / 1e3
    bulk = next(r for r in rows if r.library == "hallflow evaluate")
    secs = bulk.median_ns / 1e9
    note = f"--quick measured {cfg.bulk_size:,} clocks" if cfg.quick else ""
    return [
        Target(
            f"evaluate_one, 3 pauses < {TARGET_ONE_US:g} µs",
            one,
            TARGET_ONE_US,
            one < TARGET_ONE_US,
        ),
        Target(
            f"sweep of 1,000,000 clocks < {TARGET_BULK_S:g} s",
            secs,
            TARGET_BULK_S,
            secs < TARGET_BULK_S,
            note,
        ),
    ]


def render(report: Report) -> str:
    """The report as a Markdown table, ratios and targets."""
    head = ("operation", "library", "median", "= hallflow", "call")
    body = []
    for r in report.rows:
        when = f"{r.median_ns / 1e3:,.2f} µs" if r.per == "call" else f"{r.median_ns / 1e6:,.1f} ms"
        eq = "-" if r.equal_hallflow is None else f"{r.equal_hallflow:.1%}"
        body.append((r.operation, r.library, when, eq, r.call))
    widths = [max(len(c) for c in col) for col in zip(head, *body, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(b) for b in body]
    out.append("")
    out.append(
        f"ratios: holidays per clock / hallflow sweep = {report.ratios['holidays_vs_bulk']:,.0f}x; "
        f"Clock.status per clock / hallflow sweep = {report.ratios['status_vs_bulk']:,.0f}x"
    )
    out.append("")
    out.append("targets:")
    for t in report.targets:
        unit = "µs" if "µs" in t.name else "s"
        note = f"  ({t.note})" if t.note else ""
        out.append(f"  {'PASS' if t.passed else 'MISS'}  {t.name}: {t.measured:.3g} {unit}{note}")
    return "\n".join(out)


def run(cfg: Config) -> Report:
    """Run every benchmark in ``cfg``."""
    cal = china(until=2030)
    rng = np.random.default_rng(SEED)
    report = Report(machine=machine(), config={**asdict(cfg), "seed": SEED, "at": str(AT)})
    report.rows += single(cal, cfg)
    rows, ratios = sweep(cal, cfg, rng)
    report.rows += rows
    report.ratios = ratios
    report.targets = targets(report.rows, cfg)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: run, print the table, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write all results here")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    t0 = time.perf_counter()
    report = run(cfg)
    m = report.machine
    print(
        f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable); "
        f"Python {m['python']}, numpy {m['numpy']}, holidays {m['holidays']}"
    )
    print(
        f"config: {'quick' if cfg.quick else 'full'}; {cfg.bulk_size:,} clocks, "
        f"{cfg.sample:,} sampled, {cfg.repeats} repeats, seed {SEED}, at {AT}"
    )
    print()
    print(render(report))
    print(f"\n(total run time {time.perf_counter() - t0:.0f} s)")
    if args.json is not None:
        args.json.write_text(
            json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
