"""hallflow benchmark: the bulk supervision sweep over a million open cases on SQLite.

::

    .venv/bin/python benchmarks/supervision.py [--quick] [--cases N] [--cache DIR]
        [--sample N] [--processes N] [--postgres DSN] [--json PATH]

The store: ``--cases`` open cases (default 1,000,000; ``--quick``: 20,000) of Zhenlai's
construction permit (``hallflow-zhenlai``: promised and legal limits of 20 working days, the
national reminder and overdue escalations, Zhenlai's 催办 ladder as data), each submitted and
accepted — some also with the review signed, some suspended for a hearing — on the 23
working days before the sweep's instant, drawn so that 0.9% of them escalate at that instant
(in their reminder window or overdue: the reference sweep says which templates do). Every
case's events and row are the ones a real :class:`~hallflow.cases.hall.Hall` wrote for a
template case accepted at the same instant (one template per instant and kind),
appended under the case's own id through ``SQLiteStore.append`` from 32 threads, so that
the store's group commit writes them in batches of up to 512 cases per transaction. The
file is built once and kept under ``--cache`` (default ``~/.cache/hallflow-bench``); each
run sweeps a fresh copy of it.

Measured in a child process (so that its memory peak is the sweep's own), on the copy, with
``durability="normal"`` (see docs/supervision.md: the sweep is idempotent, so an escalation
lost to a power cut is recorded again by the next sweep) and a 128 MiB page cache per
connection (``cache_mib``):

* the bulk sweep at the instant: by default by a :class:`~hallflow.supervision.pool.SweepPool`
  of ``--processes`` worker processes (2), each with its own hall on the copy, started
  before the clock starts (a supervision service keeps its pool; the start-up time is
  reported beside), or in the measuring process itself with ``--processes 1``
  (:func:`hallflow.supervision.sweep.sweep`): its wall time, the CPU time of the processes
  that swept, the escalations it recorded and the cases it folded;
* a second bulk sweep at the same instant (it must record and fold nothing);
* the memory peak of a process that swept, after both (``resource.getrusage``,
  ``ru_maxrss``; with a pool, the largest of its workers');
* the per-case reference (``Hall.sweep``), extrapolated from a sample: the time it takes to
  list the open cases (``store.find``, measured in full), plus the mean time of its per-case
  step (:func:`hallflow.cases.supervision.sweep_case`) on ``--sample`` random open cases
  with nothing new to record, times the open cases, plus, for the cases that escalate, the
  extra time of a case that records escalations (measured on a sample of them at a later
  instant, when they reach their next rungs). Reported with the ratio to the bulk sweep.

With ``--postgres DSN`` the same cases are written to a PostgreSQL database on that server
(``PostgresStore.append_many`` from 8 threads, 500 cases a call), built once and kept as
``hallflow_bench_sup_<cases>_...``; each run sweeps a copy made with ``CREATE DATABASE ...
TEMPLATE`` and dropped after. The CPU times are those of hallflow's processes; the server's
own work shows in the wall time only.

Targets (issue 12): bulk sweep < 5 s for a million open cases, ≥ 20× the reference, memory
peak < 1 GiB, a second sweep that records nothing. Issue 13: the same sweep on PostgreSQL with
1 and 2 workers, no escalation recorded twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import itertools
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from hallflow_zhenlai import plugin as zhenlai

from hallflow.calendar import china
from hallflow.cases.hall import Hall, HallSettings
from hallflow.cases.supervision import sweep_case
from hallflow.model import (
    Authority,
    NaturalPerson,
    Organisation,
    Power,
    Role,
    Staff,
    Window,
    WindowKind,
)
from hallflow.plugins import assemble_hall, plugin_manager
from hallflow.seals import SealRegistry, SoftwareSealProvider
from hallflow.store import MemoryStore, SQLiteStore
from hallflow.store.base import Append, CaseRow, NewEvent
from hallflow.store.sqlite import SCHEMA_VERSION
from hallflow.supervision.pool import SweepPool
from hallflow.supervision.sweep import sweep as bulk_sweep
from hallflow.timeline import PauseReason

SH = ZoneInfo("Asia/Shanghai")
CAL = china()
MATTER = "zl-con-22"
DEPT = "Construction Bureau (建设局)"
AT = dt.datetime(2026, 6, 16, 20, 0, tzinfo=SH)
"""The sweep's instant (a Tuesday night, after every event of the store)."""
LATER = dt.datetime(2026, 6, 26, 20, 0, tzinfo=SH)
"""A later instant, when the escalating cases reach their next rungs (for the reference)."""
FULL, QUICK = 1_000_000, 20_000
ESCALATING = 0.009
"""The share of cases drawn from the templates that escalate at the sweep's instant."""
LAYOUT = 2
"""The cached store's layout version (change it when the templates change)."""

APPLICANT = NaturalPerson("Zhang San", "11010519491231002X")


def _authority(holder: str, powers: set[Power], doc: str) -> Authority:
    return Authority(
        holder,
        frozenset(powers),
        None,
        None,
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2027, 12, 31),
        issued_by="Director of the centre",
        document=doc,
    )


ORG = Organisation(
    windows=(Window("con", "Construction window", WindowKind.DEPARTMENT, DEPT),),
    staff=(
        Staff("clerk", "Wang", DEPT, {Role.CLERK}),
        Staff("chief", "Zhang", DEPT, {Role.CHIEF_REPRESENTATIVE}),
    ),
    authorities=(
        _authority("clerk", {Power.ACCEPT}, "Z-1"),
        _authority("chief", {Power.ACCEPT, Power.REVIEW, Power.DECIDE, Power.SEAL}, "Z-2"),
    ),
)


def build_hall(store: Any) -> Hall:
    """Zhenlai's hall (its plugin and the national defaults) on ``store``."""
    counter = itertools.count(1)
    return assemble_hall(
        plugin_manager([zhenlai]),
        organisation=ORG,
        store=store,
        seals=SealRegistry(),
        seal_provider=SoftwareSealProvider(),
        settings=HallSettings(new_id=lambda: f"template-{next(counter):05d}"),
    )


# ---------------------------------------------------------------------- the store


def _templates() -> list[tuple[bool, tuple[NewEvent, ...], CaseRow]]:
    """Cases written by a real hall: (escalates at the sweep's instant, events, row)."""
    hall = build_hall(MemoryStore())
    out = []
    sweep_day = AT.date()
    for back in range(0, 23):
        day = CAL.add_working_days(sweep_day, -back)
        for kind, minute in itertools.product(("plain", "signed", "suspended"), (5, 37)):
            t = dt.datetime.combine(day, dt.time(9, minute), tzinfo=SH)
            case = hall.submit(MATTER, APPLICANT, "con", materials=["form"], actor="clerk", at=t)
            cid = case.case_id
            hall.accept(cid, actor="clerk", at=t + dt.timedelta(minutes=20))
            if kind == "signed":
                hall.sign(cid, "review", actor="chief", at=t + dt.timedelta(hours=2))
            elif kind == "suspended":
                hall.suspend(cid, PauseReason.HEARING, actor="chief", at=t + dt.timedelta(hours=3))
            events = tuple(
                NewEvent(kind=e.kind, actor=e.actor, at=e.at, payload=e.payload, schema=e.schema)
                for e in hall.store.load(cid)
            )
            out.append((cid, events, hall.store.row(cid)))
    # which of them escalate at the sweep's instant: ask the reference, after the copies
    return [(bool(sweep_case(hall, cid, AT).found), events, row) for cid, events, row in out]


def build_store(path: Path, cases: int, share: float = ESCALATING, seed: int = 12) -> None:
    """Write ``cases`` open cases to a new store at ``path`` (see the module docstring)."""
    templates = _templates()
    calm = [t for t in templates if not t[0]]
    escalating = [t for t in templates if t[0]]
    rng = random.Random(seed)
    picks = [rng.choice(escalating if rng.random() < share else calm) for _ in range(cases)]
    with SQLiteStore(path, durability="normal") as store:

        def write(part: range) -> None:
            for i in part:
                _, events, row = picks[i]
                case_id = f"bench-{i:07d}"
                store.append(case_id, 0, events, attrs.evolve(row, case_id=case_id))

        step = 1000
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(write, (range(a, min(a + step, cases)) for a in range(0, cases, step))))


def cached_store(cache: Path, cases: int, share: float = ESCALATING) -> Path:
    """The cached store of ``cases`` cases, built first if absent."""
    cache.mkdir(parents=True, exist_ok=True)
    name = f"supervision-{cases}-e{share:g}-s{SCHEMA_VERSION}-l{LAYOUT}.sqlite"
    path = cache / name
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    for stale in cache.glob(partial.name + "*"):
        stale.unlink()
    start = time.perf_counter()
    build_store(partial, cases, share)
    print(f"built {cases:,} cases in {time.perf_counter() - start:.1f} s: {path}", flush=True)
    partial.rename(path)
    for stale in cache.glob(partial.name + "*"):  # the write lock beside the file
        stale.unlink()
    return path


def _database(dsn: str, name: str) -> str:
    """``dsn`` pointed at the database ``name`` (a URL, so that it is told from a path)."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(dsn)
    user = f"{params['user']}@" if params.get("user") else ""
    host = params.get("host") or "127.0.0.1"
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{user}{host}{port}/{name}"


def _admin(dsn: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.encode())


def cached_postgres(dsn: str, cases: int, share: float = ESCALATING) -> str:
    """The name of the cached PostgreSQL database of ``cases`` cases, built first if absent.

    One database per store, on the server ``dsn`` names, kept between runs; a run sweeps a
    copy made with ``CREATE DATABASE ... TEMPLATE`` (a file copy on the server).
    """
    import psycopg

    name = f"hallflow_bench_sup_{cases}_e{share:g}_l{LAYOUT}".replace(".", "_")
    with psycopg.connect(dsn, autocommit=True) as conn:
        found = conn.execute(b"SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if found:
        return name
    partial = name + "_partial"
    _admin(dsn, f'DROP DATABASE IF EXISTS "{partial}"', f'CREATE DATABASE "{partial}"')
    from hallflow.store.postgres import PostgresStore

    start = time.perf_counter()
    templates = _templates()
    calm = [t for t in templates if not t[0]]
    escalating = [t for t in templates if t[0]]
    rng = random.Random(12)
    picks = [rng.choice(escalating if rng.random() < share else calm) for _ in range(cases)]
    with PostgresStore(_database(dsn, partial), max_size=8) as store:

        def write(part: range) -> None:
            store.append_many(
                [
                    Append(
                        f"bench-{i:07d}",
                        0,
                        picks[i][1],
                        attrs.evolve(picks[i][2], case_id=f"bench-{i:07d}"),
                    )
                    for i in part
                ]
            )

        step = 500
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(write, (range(a, min(a + step, cases)) for a in range(0, cases, step))))
    _admin(dsn, f'ALTER DATABASE "{partial}" RENAME TO "{name}"')
    print(f"built {cases:,} cases in {time.perf_counter() - start:.1f} s: {name}", flush=True)
    return name


# ---------------------------------------------------------------------- the measurement


CACHE_MIB = 128
"""The page cache of each of the sweep's connections (``SQLiteStore(cache_mib=...)``)."""


def open_store(target: str) -> Any:
    """The store at ``target``: a PostgreSQL DSN (``postgresql://...``) or a SQLite path."""
    if target.startswith("postgresql://"):
        from hallflow.store.postgres import PostgresStore

        return PostgresStore(target, max_size=4)
    return SQLiteStore(target, durability="normal", cache_mib=CACHE_MIB)


def open_hall(target: str) -> Hall:
    """The benchmark's hall on the store at ``target`` (what each pool worker opens)."""
    return build_hall(open_store(target))


def _pooled(target: str, processes: int) -> tuple[Any, ...]:
    """Both bulk sweeps by a :class:`SweepPool` of ``processes`` workers."""
    start = time.perf_counter()
    with SweepPool(functools.partial(open_hall, target), processes) as pool:
        started = time.perf_counter() - start
        start = time.perf_counter()
        first = pool.sweep(AT)
        bulk_s, bulk_cpu = time.perf_counter() - start, pool.cpu_seconds
        start = time.perf_counter()
        second = pool.sweep(AT)
        second_s, second_cpu = time.perf_counter() - start, pool.cpu_seconds
        peak_kib = max(pool.memory_kib.values())
    return first, bulk_s, bulk_cpu, second, second_s, second_cpu, peak_kib, started


def _duplicates(store: Any, case_ids: list[str]) -> int:
    """Escalations recorded more than once for one case, clock and code, read back."""
    extra = 0
    for start in range(0, len(case_ids), 500):
        for events in store.load_many(case_ids[start : start + 500]).values():
            seen = [
                (e.payload["clock"], e.payload["code"]) for e in events if e.kind == "escalated"
            ]
            extra += len(seen) - len(set(seen))
    return extra


def measure(
    target: str, sample: int, workers: int, processes: int = 1, seed: int = 7
) -> dict[str, Any]:
    """Sweep ``target`` (a copy of the cached store) and return the figures."""
    started = 0.0
    if processes > 1:
        first, bulk_s, bulk_cpu, second, second_s, second_cpu, peak_kib, started = _pooled(
            target, processes
        )
    with open_store(target) as store:
        hall = build_hall(store)
        if processes == 1:
            start, cpu = time.perf_counter(), time.process_time()
            first = bulk_sweep(hall, AT, workers=workers)
            bulk_s, bulk_cpu = time.perf_counter() - start, time.process_time() - cpu
            start, cpu = time.perf_counter(), time.process_time()
            second = bulk_sweep(hall, AT, workers=workers)
            second_s, second_cpu = time.perf_counter() - start, time.process_time() - cpu
            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        escalated = sorted({case_id for case_id, _ in first})
        duplicates = _duplicates(store, escalated)
        # the reference, from samples
        start, cpu = time.perf_counter(), time.process_time()
        rows = store.find(state="reviewing") + store.find(state="suspended")
        find_s, find_cpu = time.perf_counter() - start, time.process_time() - cpu
        open_cases = len(rows)
        rng = random.Random(seed)
        plain = rng.sample([r.case_id for r in rows], min(sample, open_cases))
        del rows
        start, cpu = time.perf_counter(), time.process_time()
        recorded = sum(len(sweep_case(hall, case_id, AT).found) for case_id in plain)
        plain_us = (time.perf_counter() - start) / len(plain) * 1e6
        plain_cpu_us = (time.process_time() - cpu) / len(plain) * 1e6
        busy = rng.sample(escalated, min(sample, len(escalated)))
        start, cpu = time.perf_counter(), time.process_time()
        later = sum(len(sweep_case(hall, case_id, LATER).found) for case_id in busy)
        busy_us = (time.perf_counter() - start) / max(len(busy), 1) * 1e6
        busy_cpu_us = (time.process_time() - cpu) / max(len(busy), 1) * 1e6

        def extrapolate(find: float, one: float, escalating: float) -> float:
            total = find + open_cases * one / 1e6
            return total + len(escalated) * max(escalating - one, 0.0) / 1e6

        reference_s = extrapolate(find_s, plain_us, busy_us)
        reference_cpu = extrapolate(find_cpu, plain_cpu_us, busy_cpu_us)
        load = os.getloadavg()[0]
    return {
        "open_cases": open_cases,
        "escalating_cases": len(escalated),
        "escalating_share": len(escalated) / open_cases,
        "workers": workers,
        "processes": processes,
        "pool_start_seconds": started,
        "load_average": load,
        "bulk": {
            "seconds": bulk_s,
            "cpu_seconds": bulk_cpu,
            "escalations": len(first),
            "folded": first.folded,
            "swept": first.swept,
            "failures": len(first.failures),
        },
        "second": {
            "seconds": second_s,
            "cpu_seconds": second_cpu,
            "escalations": len(second),
            "folded": second.folded,
            "failures": len(second.failures),
        },
        "memory_peak_mib": peak_kib / 1024,
        "duplicate_escalations": duplicates,
        "reference": {
            "seconds_extrapolated": reference_s,
            "cpu_seconds_extrapolated": reference_cpu,
            "find_seconds": find_s,
            "per_case_us": plain_us,
            "per_escalating_case_us": busy_us,
            "sample": len(plain),
            "sample_escalating": len(busy),
            "recorded_in_sample": recorded,
            "recorded_later_in_sample": later,
        },
        "ratio": reference_s / bulk_s,
        "cpu_ratio": reference_cpu / bulk_cpu,
    }


def report(figures: dict[str, Any]) -> str:
    b, s, r = figures["bulk"], figures["second"], figures["reference"]
    lines = [
        f"open cases                 {figures['open_cases']:>12,}",
        f"escalating at the instant  {figures['escalating_cases']:>12,}"
        f"  ({figures['escalating_share']:.2%})",
        f"bulk sweep                 {b['seconds']:>12.2f} s   target < 5 s"
        f"   (CPU {b['cpu_seconds']:.2f} s; {b['escalations']:,} escalations, "
        f"{b['folded']:,} cases folded, {_by(figures)})",
        f"second sweep               {s['seconds']:>12.2f} s   "
        f"(CPU {s['cpu_seconds']:.2f} s; {s['escalations']} escalations, {s['folded']} folded)",
        f"memory peak                {figures['memory_peak_mib']:>12.0f} MiB target < 1024",
        f"escalations recorded twice {figures['duplicate_escalations']:>12,}     (read back)",
        f"per-case reference (extr.) {r['seconds_extrapolated']:>12.1f} s   "
        f"(CPU {r['cpu_seconds_extrapolated']:.1f} s) "
        f"(listing {r['find_seconds']:.1f} s, {r['per_case_us']:.0f} µs a case, "
        f"{r['per_escalating_case_us']:.0f} µs an escalating one; samples "
        f"{r['sample']} and {r['sample_escalating']})",
        f"ratio                      {figures['ratio']:>12.1f} x   target >= 20"
        f"   (CPU {figures['cpu_ratio']:.1f} x)",
        f"load average during the run {figures['load_average']:>11.2f}",
    ]
    return "\n".join(lines)


def _by(figures: dict[str, Any]) -> str:
    if figures["processes"] > 1:
        return (
            f"{figures['processes']} processes, started in "
            f"{figures['pool_start_seconds']:.2f} s before the sweep"
        )
    return f"in the process, {figures['workers']} threads"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} cases")
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "hallflow-bench")
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument(
        "--escalating",
        type=float,
        default=ESCALATING,
        help="the share of cases drawn from the templates that escalate (default 0.009)",
    )
    parser.add_argument("--build-only", action="store_true", help="build the cached store")
    parser.add_argument("--workers", type=int, default=4, help="the sweep's worker threads")
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="sweep with a SweepPool of this many worker processes (1: in the process)",
    )
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--postgres",
        default=None,
        metavar="DSN",
        help="sweep a PostgreSQL store on this server instead of SQLite (the server's "
        "user must be allowed to create databases)",
    )
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure is not None:  # the child: sweep the copy, print the figures
        print(json.dumps(measure(args.measure, args.sample, args.workers, args.processes)))
        return 0
    cases = args.cases or (QUICK if args.quick else FULL)
    if args.postgres is not None:
        return _main_postgres(args, cases)
    source = cached_store(args.cache, cases, args.escalating)
    if args.build_only:
        return 0
    with tempfile.TemporaryDirectory(dir=args.cache) as work:
        copy = Path(work) / "sweep.sqlite"
        shutil.copyfile(source, copy)
        proc = _child(args, str(copy))
    return _finish(args, cases, proc, "sqlite")


def _child(args: argparse.Namespace, target: str) -> subprocess.CompletedProcess[str]:
    """Measure ``target`` in a child process (so that its memory peak is the sweep's own)."""
    return subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            target,
            "--sample",
            str(args.sample),
            "--workers",
            str(args.workers),
            "--processes",
            str(args.processes),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def _main_postgres(args: argparse.Namespace, cases: int) -> int:
    """Build (once) and sweep a copy of the PostgreSQL store."""
    name = cached_postgres(args.postgres, cases, args.escalating)
    if args.build_only:
        return 0
    run = "hallflow_bench_sup_run"
    _admin(
        args.postgres,
        f'DROP DATABASE IF EXISTS "{run}"',
        f'CREATE DATABASE "{run}" TEMPLATE "{name}"',
    )
    try:
        proc = _child(args, _database(args.postgres, run))
    finally:
        _admin(args.postgres, f'DROP DATABASE IF EXISTS "{run}"')
    return _finish(args, cases, proc, "postgresql")


def _finish(
    args: argparse.Namespace, cases: int, proc: subprocess.CompletedProcess[str], store: str
) -> int:
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        return proc.returncode
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    figures["cases"] = cases
    figures["store"] = store
    figures["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    print(report(figures))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
