"""hallflow benchmark: full case lifecycles per second on SQLite, against SpiffWorkflow.

One command measures both sides in the same run and prints the tables::

    .venv/bin/python benchmarks/lifecycle.py [--quick] [--json PATH] [--profile [STORAGE]]
        [--workers N] [--clerks N]

A lifecycle is seven commands on one new case: submit → accept → sign ``review`` → sign
``approve`` (the two steps of ``Procedure.review_and_approve()``) → decide → seal (an
Ed25519 approval seal from ``SoftwareSealProvider``) → deliver. hallflow runs it through
:class:`~hallflow.cases.hall.Hall` on a :class:`~hallflow.store.SQLiteStore` in a new file.

The peer is the same flow as a SpiffWorkflow BPMN process (``benchmarks/lifecycle.bpmn``:
seven user tasks in sequence, parsed once with ``BpmnParser``). Per lifecycle it creates a
``BpmnWorkflow`` from the spec, completes each user task in order (``task.run()``, then
``do_engine_steps()``) and after every task writes ``BpmnWorkflowSerializer.serialize_json``
of the workflow to SQLite: one row per workflow, inserted after the first task and updated,
version-checked, after each later one. SpiffWorkflow ships no store, so the peer's writes go
through :class:`GroupWriter`, which commits exactly as hallflow's store does (WAL, the same
durability, group commit, shared syncs, hallflow's own cross-process lock): the comparison
is between engines, not storage strategies. Both sides make seven durable commits per
lifecycle.

Storage configurations ("variants"), each measured on both sides:

* ``default``: the file in the system temporary directory, ``SQLiteStore``'s defaults
  (``durability="full"``: an append returns once the log is synced; syncs are shared between
  concurrent writers). The targets are judged on this one only.
* ``strict``: the same directory with ``durability="strict"`` (SQLite's
  ``synchronous=FULL``, one sync per transaction inside the write lock).
* ``tmpfs``: the file in ``/dev/shm`` (RAM; the syncs cost nothing), when it exists.
* ``normal``: the default directory with ``durability="normal"`` (syncs only at checkpoints).

Two runs per storage:

* Sequential, one clerk: each round opens every side on a new database file, warms it up
  with a few untimed lifecycles, then runs the sides interleaved, in turns of ten lifecycles
  each, so that all of them see the same machine and disk (the garbage collector is off
  while timing). Reported: lifecycles per second (median of the rounds, each side's rate
  being its lifecycles over the sum of its own turns), the ratio hallflow ÷ peer, and per
  command / per task median and 95th-percentile latencies.
* Concurrent: ``--workers`` processes (default: the usable cores), each pinned to one core
  and running ``--clerks`` threads (default 64) that share the process's one ``Hall`` (or
  peer store), all on one database file per side — a hall with many clerks, served the way
  a pre-forking server serves it. The clock runs from the moment every worker has warmed up
  until the last lifecycle ends; every case is then checked in the file. Reported:
  lifecycles per second (median of the rounds) and the lifecycle latency one clerk sees.

A last row per storage and run, "SQLite floor", makes the same seven commits of a tiny row
with no engine at all: the most any library could reach there. The targets (at least
1,000 lifecycles per second, and ahead of the peer) are judged on the concurrent run on the
default storage; the sequential figures are reported beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import gc
import io
import json
import multiprocessing
import os
import pstats
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hallflow.calendar import china
from hallflow.calendar.engine import WorkCalendar
from hallflow.cases.hall import Hall
from hallflow.cases.lifecycle import CaseState
from hallflow.model import (
    PROMISED,
    Authority,
    Catalogue,
    Material,
    Matter,
    NaturalPerson,
    Organisation,
    Power,
    Procedure,
    Role,
    Staff,
    Window,
    WindowKind,
)
from hallflow.seals import SealKind, SealRegistry, SoftwareSealProvider
from hallflow.store import SQLiteStore
from hallflow.store._shared import GroupCommit, Job, SharedLog
from hallflow.timeline import Limit
from run import host, version_of

HERE = Path(__file__).resolve().parent
BPMN = HERE / "lifecycle.bpmn"
PROCESS_ID = "case_lifecycle"

COMMANDS = ("submit", "accept", "review", "approve", "decide", "seal", "deliver")
"""The seven commands of a lifecycle, in order (the peer's user tasks have these ids)."""

TARGET_RATE = 1000.0
"""Lifecycles per second to reach (default storage)."""
TARGET_RATIO = 1.0
"""hallflow ÷ peer lifecycles per second to exceed (default storage)."""

HALLFLOW = "hallflow"
PEER = "SpiffWorkflow"
PEER_RELOAD = "SpiffWorkflow, reload per task"
FLOOR = "SQLite floor (7 bare commits)"


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Config:
    """How much to measure.

    Attributes:
        quick: the reduced (smoke) configuration.
        lifecycles: timed lifecycles per round.
        rounds: rounds per side and variant (the median is reported).
        warmup: untimed lifecycles before each round, in the same database.
    """

    quick: bool
    lifecycles: int
    rounds: int
    warmup: int


FULL = Config(quick=False, lifecycles=2000, rounds=5, warmup=20)
QUICK = Config(quick=True, lifecycles=200, rounds=3, warmup=5)


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Variant:
    """Where and how both sides keep their SQLite file.

    Attributes:
        name: ``default``, ``strict``, ``tmpfs`` or ``normal``.
        directory: the directory the database files are made in.
        durability: ``SQLiteStore``'s ``durability`` for hallflow, and the same guarantee
            for the peer's writes (see :class:`GroupWriter`): ``full``, ``strict`` or
            ``normal``.
        filesystem: the file system type of ``directory`` (from ``/proc/mounts``).
        reload_peer: also measure the peer reloading the workflow from SQLite per task.
    """

    name: str
    directory: str
    durability: str
    filesystem: str
    reload_peer: bool = False


@dataclass
class Row:
    """One side of one variant.

    Attributes:
        variant: the storage configuration.
        library: ``hallflow``, ``SpiffWorkflow`` or ``SpiffWorkflow, reload per task``.
        rates: lifecycles per second of each round.
        median_rate: their median.
        median_lifecycle_us: one lifecycle at the median rate, in microseconds.
        ratio: hallflow's median rate ÷ this row's (None on hallflow's rows).
        commands: per command: ``median_us`` and ``p95_us`` over every timed lifecycle.
        how: what one lifecycle does on this side.
    """

    variant: str
    library: str
    rates: list[float]
    median_rate: float
    median_lifecycle_us: float
    ratio: float | None
    commands: dict[str, dict[str, float]]
    how: str


@dataclass
class Target:
    """A performance target and whether this run met it."""

    name: str
    measured: float
    threshold: float
    passed: bool
    note: str = ""
    judged: bool = True


@dataclass
class Report:
    """Everything one run measured (what ``--json`` writes)."""

    machine: dict[str, Any]
    config: dict[str, Any]
    variants: list[dict[str, Any]]
    rows: list[Row] = field(default_factory=list)
    concurrent: list[ConcurrentRow] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    profile: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    profile_storage: str | None = None


# --------------------------------------------------------------------------- the hall

SH = ZoneInfo("Asia/Shanghai")
DEPT = "Market Regulation Bureau"
MATTER = "biz-licence"
WINDOW = "w1"
SEAL = "S-MR-1"
KEY_ID = "mr-2026"
APPLICANT = NaturalPerson("Zhang San", "11010519491231002X")


def _at(day: int, hour: int) -> dt.datetime:
    """An instant in the week of Monday 2 March 2026, Beijing time."""
    return dt.datetime(2026, 3, day, hour, tzinfo=SH)


def _authority(holder: str, powers: set[Power], document: str) -> Authority:
    return Authority(
        holder,
        frozenset(powers),
        None,
        None,
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2027, 12, 31),
        issued_by="Director of the centre",
        document=document,
    )


CATALOGUE = Catalogue(
    (
        Matter(
            MATTER,
            "Business licence",
            DEPT,
            PROMISED,
            legal_basis=("Regulations on the Registration of Market Entities, Art. 21",),
            conditions=("Name registered",),
            materials=(
                Material("form", "Application form", original=True),
                Material("articles", "Articles of association"),
            ),
            legal_limit=Limit.working_days(15),
            promised_limit=Limit.working_days(3),
            procedure=Procedure.review_and_approve(),
        ),
    )
)

ORGANISATION = Organisation(
    windows=(Window(WINDOW, "Comprehensive window 1", WindowKind.COMPREHENSIVE),),
    staff=(
        Staff("clerk", "Wang", DEPT, {Role.CLERK}),
        Staff("reviewer", "Zhao", DEPT, {Role.REVIEWER}),
        Staff("chief", "Zhang", DEPT, {Role.CHIEF_REPRESENTATIVE}),
    ),
    authorities=(
        _authority("clerk", {Power.ACCEPT}, "A-1"),
        _authority("reviewer", {Power.REVIEW}, "A-2"),
        _authority("chief", {Power.DECIDE, Power.SEAL}, "A-3"),
    ),
)


@dataclass(frozen=True)
class Shared:
    """What every round reuses: the calendar, the seal key and registry, the BPMN spec."""

    calendar: WorkCalendar
    provider: SoftwareSealProvider
    seals: SealRegistry
    spec: Any
    serializer: Any


def setup() -> Shared:
    """Build the calendar, the seal and the peer's parsed spec (outside every timing)."""
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

    provider = SoftwareSealProvider()
    provider.generate_key(KEY_ID)
    seals = SealRegistry().activate(
        SEAL, SealKind.APPROVAL, owner=DEPT, holder="chief", key_id=KEY_ID, at=_at(2, 9), by="admin"
    )
    parser = BpmnParser()
    parser.add_bpmn_file(str(BPMN))
    return Shared(
        calendar=china(),
        provider=provider,
        seals=seals,
        spec=parser.get_spec(PROCESS_ID),
        serializer=BpmnWorkflowSerializer(),
    )


def open_store(path: Path, variant: Variant, shared: Shared) -> SQLiteStore:
    """The hallflow store of a round: ``SQLiteStore(path)``, with the variant's durability."""
    if variant.durability == "full":
        return SQLiteStore(path)
    return SQLiteStore(path, durability=variant.durability)


def build_hall(store: SQLiteStore, shared: Shared) -> Hall:
    """A hall with one matter, three staff and one approval seal (default settings)."""
    return Hall(
        catalogue=CATALOGUE,
        organisation=ORGANISATION,
        calendar=shared.calendar,
        store=store,
        seals=shared.seals,
        seal_provider=shared.provider,
    )


Timings = dict[str, list[int]]


def hallflow_lifecycle(hall: Hall, times: Timings) -> str:
    """One lifecycle through the Hall; each command's wall time goes into ``times``."""
    clock = time.perf_counter_ns
    t0 = clock()
    case = hall.submit(
        MATTER,
        APPLICANT,
        WINDOW,
        materials=("form", "articles"),
        actor="clerk",
        at=_at(2, 10),
    )
    case_id = case.case_id
    t1 = clock()
    hall.accept(case_id, actor="clerk", at=_at(2, 11))
    t2 = clock()
    hall.sign(case_id, "review", actor="reviewer", at=_at(3, 10))
    t3 = clock()
    hall.sign(case_id, "approve", actor="chief", at=_at(4, 10))
    t4 = clock()
    hall.decide(case_id, True, actor="chief", at=_at(4, 11))
    t5 = clock()
    hall.seal(case_id, SEAL, actor="chief", at=_at(4, 15))
    t6 = clock()
    closed = hall.deliver(case_id, "in_person", actor="clerk", at=_at(5, 10))
    t7 = clock()
    if closed.state is not CaseState.CLOSED or closed.seal is None:
        raise AssertionError(f"case {case_id} ended {closed.state.value}, seal {closed.seal}")
    marks = (t0, t1, t2, t3, t4, t5, t6, t7)
    for i, name in enumerate(COMMANDS):
        times[name].append(marks[i + 1] - marks[i])
    return case_id


def check_hallflow(store: SQLiteStore, case_ids: Sequence[str]) -> None:
    """Every case is stored with its seven events, closed."""
    stored = set(store.case_ids())
    missing = [c for c in case_ids if c not in stored]
    if missing:
        raise AssertionError(f"{len(missing)} cases not in the store")
    for case_id in (case_ids[0], case_ids[-1]):
        events = store.load(case_id)
        if [e.kind for e in events][-1] != "delivered" or len(events) != len(COMMANDS):
            raise AssertionError(f"case {case_id}: events {[e.kind for e in events]}")
        if store.row(case_id).state != CaseState.CLOSED.value:
            raise AssertionError(f"case {case_id} row is not closed")


# --------------------------------------------------------------------------- the peer

PEER_SCHEMA = """
CREATE TABLE IF NOT EXISTS workflows (
    workflow_id   TEXT    NOT NULL PRIMARY KEY,
    spec          TEXT    NOT NULL,
    task          TEXT    NOT NULL,
    completed     INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    serialization TEXT    NOT NULL
) WITHOUT ROWID
"""

PEER_DATA: dict[str, dict[str, Any]] = {
    "submit": {
        "actor": "clerk",
        "at": _at(2, 10).isoformat(),
        "matter": MATTER,
        "applicant": {"type": "natural", "name": APPLICANT.name},
        "window": WINDOW,
        "materials": ["articles", "form"],
    },
    "accept": {"actor": "clerk", "at": _at(2, 11).isoformat()},
    "review": {"actor": "reviewer", "at": _at(3, 10).isoformat()},
    "approve": {"actor": "chief", "at": _at(4, 10).isoformat()},
    "decide": {"actor": "chief", "at": _at(4, 11).isoformat(), "approved": True},
    "seal": {"actor": "chief", "at": _at(4, 15).isoformat(), "seal": SEAL},
    "deliver": {"actor": "clerk", "at": _at(5, 10).isoformat(), "method": "in_person"},
}
"""What each user task records in the task data (what the hallflow command records)."""


def _peer_connection(path: Path, durability: str) -> sqlite3.Connection:
    """A connection with hallflow's pragmas: WAL, and ``synchronous`` as hallflow sets it
    for ``durability`` (``NORMAL`` where the writer syncs the log itself)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise RuntimeError(f"{path}: no WAL mode ({mode})")
    conn.execute(f"PRAGMA synchronous = {'FULL' if durability == 'strict' else 'NORMAL'}")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _save_row(
    conn: sqlite3.Connection,
    workflow_id: str,
    task: str,
    completed: bool,
    version: int,
    data: str,
) -> None:
    """Insert (version 1) or update, version-checked; writes nothing when refused."""
    if version == 1:
        conn.execute(
            "INSERT INTO workflows VALUES (?, ?, ?, ?, 1, ?)",
            (workflow_id, PROCESS_ID, task, completed, data),
        )
        return
    done = conn.execute(
        "UPDATE workflows SET task = ?, completed = ?, version = ?, "
        "serialization = ? WHERE workflow_id = ? AND version = ?",
        (task, completed, version, data, workflow_id, version - 1),
    ).rowcount
    if done != 1:
        raise RuntimeError(f"workflow {workflow_id} is not at version {version - 1}")


class GroupWriter:
    """The peer's (and the floor's) writes, committed the way hallflow's store commits.

    So that the comparison is between engines, not storage strategies, the peer gets
    everything :class:`~hallflow.store.SQLiteStore` does, through the same code: hallflow's
    :class:`~hallflow.store._shared.GroupCommit` (writes queued by several threads while
    one transaction commits go in together; writers in other processes queue on hallflow's
    ``flock``) and, with ``durability="full"``, its shared syncs of the log (SQLite commits
    with ``synchronous=NORMAL``). ``strict`` commits with ``synchronous=FULL``; ``normal``
    leaves syncing to SQLite's checkpoints. A refused write (wrong version) raises in its
    own thread only. Each thread has its own connection.
    """

    def __init__(self, path: Path, durability: str) -> None:
        self._path = path
        self._durability = durability
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._mutex = threading.Lock()
        self._shared = SharedLog.open(str(path))
        if self._shared is None:
            raise RuntimeError(f"{path}: no shared log here (not POSIX?)")
        self._connection()
        if durability == "full" and not self._shared.attach_log(str(path) + "-wal"):
            raise RuntimeError(f"{path}: cannot open the write-ahead log")
        self._group: GroupCommit[Callable[[sqlite3.Connection], None]] = GroupCommit(
            self._shared,
            self._write_batch,
            share_syncs=durability == "full",
            interrupted=lambda: RuntimeError("the write was interrupted"),
            sync_failed=lambda _job, exc: exc,
        )

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _peer_connection(self._path, self._durability)
            self._local.conn = conn
            with self._mutex:
                self._connections.append(conn)
        return conn

    def write(self, write: Callable[[sqlite3.Connection], None]) -> None:
        """Run ``write`` in a committed (and, for ``full``, synced) transaction."""
        self._group.run(write)

    def _write_batch(self, batch: list[Job[Callable[[sqlite3.Connection], None]]]) -> None:
        """One transaction for the batch; a refused write (``RuntimeError``) wrote nothing."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for job in batch:
                try:
                    job.request(conn)
                    job.outcome = True
                except RuntimeError as exc:
                    job.outcome = exc
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for job in batch:
                job.outcome = exc
            raise

    def close(self) -> None:
        """Close every thread's connection and the shared log."""
        for conn in self._connections:
            conn.close()
        if self._shared is not None:
            self._shared.close()


class PeerStore:
    """One SQLite row per workflow, written in a committed transaction after every task.

    Every write goes through a :class:`GroupWriter` (a batch of one when a single thread
    writes), so the peer's storage matches hallflow's for the variant's durability.
    """

    def __init__(self, path: Path, durability: str) -> None:
        self.conn = _peer_connection(path, durability)
        self.conn.execute(PEER_SCHEMA)
        self.writer = GroupWriter(path, durability)

    def save(self, workflow_id: str, task: str, completed: bool, version: int, data: str) -> None:
        """Insert (version 1) or update, version-checked, in a committed transaction."""
        self.writer.write(lambda conn: _save_row(conn, workflow_id, task, completed, version, data))

    def load(self, workflow_id: str) -> tuple[int, str]:
        """The workflow's version and serialization."""
        row = self.conn.execute(
            "SELECT version, serialization FROM workflows WHERE workflow_id = ?", (workflow_id,)
        ).fetchone()
        return int(row[0]), str(row[1])

    def close(self) -> None:
        """Close the connections."""
        self.writer.close()
        self.conn.close()


def peer_lifecycle(shared: Shared, db: PeerStore, times: Timings, reload: bool) -> str:
    """One lifecycle as a BPMN workflow, persisted after every user task.

    With ``reload``, each task after the first starts from the row in SQLite
    (``deserialize_json``), as a stateless server would.
    """
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    clock = time.perf_counter_ns
    serializer = shared.serializer
    workflow_id = uuid.uuid4().hex
    t0 = clock()
    workflow = BpmnWorkflow(shared.spec)
    workflow.do_engine_steps()
    for version, name in enumerate(COMMANDS, start=1):
        if reload and version > 1:
            _, data = db.load(workflow_id)
            workflow = serializer.deserialize_json(data)
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        if task is None or task.task_spec.bpmn_id != name:
            raise AssertionError(f"expected user task {name}, got {task}")
        task.data.update(PEER_DATA[name])
        task.run()
        workflow.do_engine_steps()
        db.save(
            workflow_id, name, workflow.is_completed(), version, serializer.serialize_json(workflow)
        )
        t1 = clock()
        times[name].append(t1 - t0)
        t0 = t1
    if not workflow.is_completed():
        raise AssertionError(f"workflow {workflow_id} did not complete")
    return workflow_id


def check_peer(db: PeerStore, ids: Sequence[str], shared: Shared) -> None:
    """Every workflow is stored at version 7, completed, and deserializes."""
    count, versions = db.conn.execute(
        "SELECT count(*), sum(version) FROM workflows WHERE completed"
    ).fetchone()
    if count < len(ids) or versions != count * len(COMMANDS):
        raise AssertionError(f"peer rows: {count} completed, versions {versions}")
    _, data = db.load(ids[-1])
    if not shared.serializer.deserialize_json(data).is_completed():
        raise AssertionError("the last workflow does not deserialize as completed")


def floor_lifecycle(db: PeerStore, times: Timings) -> str:
    """Seven committed writes of a tiny row and nothing else: the storage's ceiling."""
    clock = time.perf_counter_ns
    workflow_id = uuid.uuid4().hex
    t0 = clock()
    for version, name in enumerate(COMMANDS, start=1):
        db.save(workflow_id, name, version == len(COMMANDS), version, name)
        t1 = clock()
        times[name].append(t1 - t0)
        t0 = t1
    return workflow_id


# --------------------------------------------------------------------------- rounds


BLOCK = 10
"""Lifecycles a side runs before the next side takes its turn within a round."""


@dataclass
class RoundResult:
    """One side's share of a round: its summed wall time and each command's latencies."""

    elapsed_ns: int
    times: Timings


def _timings() -> Timings:
    return {name: [] for name in COMMANDS}


@dataclass
class Session:
    """One side, open on its own new database file for one round.

    Attributes:
        name: the row's library name.
        one: runs one lifecycle, adds each command's latency, returns the case/workflow id.
        check: verifies what the round stored, given the ids.
        close: closes the database and removes its directory.
    """

    name: str
    one: Callable[[Timings], str]
    check: Callable[[Sequence[str]], None]
    close: Callable[[], None]


def open_hallflow(variant: Variant, shared: Shared) -> Session:
    """A new store in a new directory and a hall on it."""
    directory = Path(tempfile.mkdtemp(prefix="hallflow-bench-", dir=variant.directory))
    store = open_store(directory / "hall.db", variant, shared)
    hall = build_hall(store, shared)

    def close() -> None:
        store.close()
        shutil.rmtree(directory, ignore_errors=True)

    return Session(
        HALLFLOW,
        lambda times: hallflow_lifecycle(hall, times),
        lambda ids: check_hallflow(store, ids),
        close,
    )


def open_peer(variant: Variant, shared: Shared, name: str) -> Session:
    """The SpiffWorkflow peer (in memory or reloading per task), or the bare SQLite floor."""
    directory = Path(tempfile.mkdtemp(prefix="spiff-bench-", dir=variant.directory))
    db = PeerStore(directory / "spiff.db", variant.durability)
    reload = name == PEER_RELOAD

    def one(times: Timings) -> str:
        if name == FLOOR:
            return floor_lifecycle(db, times)
        return peer_lifecycle(shared, db, times, reload)

    def check(ids: Sequence[str]) -> None:
        if name != FLOOR:
            check_peer(db, ids, shared)

    def close() -> None:
        db.close()
        shutil.rmtree(directory, ignore_errors=True)

    return Session(name, one, check, close)


def run_round(
    sessions: Sequence[Session], cfg: Config, profile: cProfile.Profile | None = None
) -> dict[str, RoundResult]:
    """Warm every side up, then run ``cfg.lifecycles`` on each, interleaved.

    The sides take turns in blocks of :data:`BLOCK` lifecycles (the order of the turns
    rotating block by block), so that all of them see the same machine and disk; each side's
    time is the sum of its own blocks. The garbage collector is off while timing.
    """
    scratch = _timings()
    for session in sessions:
        for _ in range(cfg.warmup):
            session.one(scratch)
    results = {s.name: RoundResult(0, _timings()) for s in sessions}
    ids: dict[str, list[str]] = {s.name: [] for s in sessions}
    clock = time.perf_counter_ns
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    if profile is not None:
        profile.enable()
    try:
        done = 0
        turn = 0
        while done < cfg.lifecycles:
            size = min(BLOCK, cfg.lifecycles - done)
            k = turn % len(sessions)
            for session in [*sessions[k:], *sessions[:k]]:
                result = results[session.name]
                mine = ids[session.name]
                one = session.one
                times = result.times
                t0 = clock()
                for _ in range(size):
                    mine.append(one(times))
                result.elapsed_ns += clock() - t0
            done += size
            turn += 1
    finally:
        if profile is not None:
            profile.disable()
        if enabled:
            gc.enable()
    for session in sessions:
        session.check(ids[session.name])
    return results


def measure_round(
    variant: Variant,
    shared: Shared,
    cfg: Config,
    names: Sequence[str],
    profile: cProfile.Profile | None = None,
) -> dict[str, RoundResult]:
    """Open the named sides on new files, run one interleaved round, close them."""
    sessions: list[Session] = []
    try:
        for name in names:
            if name == HALLFLOW:
                sessions.append(open_hallflow(variant, shared))
            else:
                sessions.append(open_peer(variant, shared, name))
        return run_round(sessions, cfg, profile)
    finally:
        for session in sessions:
            session.close()


def _percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


HOW = {
    HALLFLOW: "Hall.submit/accept/sign/sign/decide/seal/deliver on SQLiteStore(path)",
    PEER: "BpmnWorkflow(spec); per user task: run, do_engine_steps, serialize_json, "
    "INSERT/UPDATE one row, COMMIT",
    PEER_RELOAD: "as SpiffWorkflow, but each task after the first starts with SELECT + "
    "deserialize_json",
    FLOOR: "INSERT then 6 version-checked UPDATEs of a tiny row, each committed; no engine",
}


def measure(variant: Variant, shared: Shared, cfg: Config) -> list[Row]:
    """``cfg.rounds`` interleaved rounds of every side; one row per side."""
    names = [HALLFLOW, PEER, *([PEER_RELOAD] if variant.reload_peer else []), FLOOR]
    results: dict[str, list[RoundResult]] = {name: [] for name in names}
    for _ in range(cfg.rounds):
        for name, result in measure_round(variant, shared, cfg, names).items():
            results[name].append(result)
    rows = []
    base = 0.0
    for name in names:
        rounds = results[name]
        rates = [cfg.lifecycles / (x.elapsed_ns / 1e9) for x in rounds]
        rate = float(statistics.median(rates))
        if name == HALLFLOW:
            base = rate
        commands = {}
        for command in COMMANDS:
            values = [v for x in rounds for v in x.times[command]]
            commands[command] = {
                "median_us": float(statistics.median(values)) / 1e3,
                "p95_us": _percentile(values, 0.95) / 1e3,
            }
        rows.append(
            Row(
                variant=variant.name,
                library=name,
                rates=rates,
                median_rate=rate,
                median_lifecycle_us=1e6 / rate,
                ratio=None if name == HALLFLOW else base / rate,
                commands=commands,
                how=HOW[name],
            )
        )
    return rows


# --------------------------------------------------------------------------- concurrent


@dataclass(frozen=True)
class Concurrency:
    """The concurrent configuration: several processes, each with several clerks (threads).

    Attributes:
        workers: processes, each with its own ``Hall`` (or peer) on the side's one file.
        clerks: threads per process, sharing that process's ``Hall`` (or peer store).
        lifecycles: timed lifecycles per round, taken one at a time from one pool by every clerk.
        rounds: rounds per side and storage (the median is reported).
        warmup: untimed lifecycles per clerk before the timed start.
        pin: pin worker ``n`` to the ``n``-th usable core (``os.sched_setaffinity``), so
            that its clerk threads hand the GIL over on one core instead of bouncing it
            between cores (which, measured here, doubles the CPU a lifecycle costs).
    """

    workers: int
    clerks: int
    lifecycles: int
    rounds: int
    warmup: int
    pin: bool = True


CONCURRENT_FULL = Concurrency(workers=2, clerks=64, lifecycles=8000, rounds=3, warmup=2)
CONCURRENT_QUICK = Concurrency(workers=2, clerks=64, lifecycles=1280, rounds=2, warmup=1)
"""Sizes of the concurrent run (``--workers`` and ``--clerks`` replace the first two)."""


@dataclass
class ConcurrentRow:
    """One side of one storage, run concurrently.

    Attributes:
        variant: the storage configuration.
        library: ``hallflow``, ``SpiffWorkflow`` or the SQLite floor.
        workers: processes.
        clerks: threads per process.
        rates: lifecycles per second of each round (all of them over the round's wall time).
        median_rate: their median.
        ratio: hallflow's median rate ÷ this row's (None on hallflow's rows).
        lifecycle_p50_ms: median time one clerk took for one lifecycle, over every round.
        lifecycle_p95_ms: its 95th percentile.
        cpu_ms: CPU time (user and system, all processes) per lifecycle, median of the
            rounds; with ``workers`` cores busy, a rate of ``workers × 1000 / cpu_ms`` is
            the most the CPU allows.
        how: what one process does.
    """

    variant: str
    library: str
    workers: int
    clerks: int
    rates: list[float]
    median_rate: float
    ratio: float | None
    lifecycle_p50_ms: float
    lifecycle_p95_ms: float
    cpu_ms: float
    how: str


CONCURRENT_HOW = {
    HALLFLOW: "one Hall and one SQLiteStore(path) per process, shared by its clerk threads "
    "(the store commits their appends together)",
    PEER: "per process one PeerStore whose GroupWriter commits its clerk threads' task "
    "writes together; per lifecycle as in the sequential run",
    FLOOR: "7 bare commits per lifecycle through the same GroupWriter",
}


def _side_runner(
    side: str, variant: Variant, path: Path, shared: Shared
) -> tuple[Callable[[Timings], str], Callable[[], None]]:
    """In a worker process: the side's one-lifecycle function on ``path``, and its closer."""
    if side == HALLFLOW:
        store = open_store(path, variant, shared)
        hall = build_hall(store, shared)
        return (lambda times: hallflow_lifecycle(hall, times)), store.close
    db = PeerStore(path, variant.durability)
    if side == FLOOR:
        return (lambda times: floor_lifecycle(db, times)), db.close
    return (lambda times: peer_lifecycle(shared, db, times, False)), db.close


def _concurrent_worker(
    side: str,
    variant: Variant,
    path: str,
    clerks: int,
    remaining: Any,
    warmup: int,
    core: int | None,
    start: Any,
    results: Any,
) -> None:
    """One worker process: warm up every clerk, wait for the common start, run, report.

    Puts ``(ids, end, latencies_ns, cpu_s)`` on ``results`` (``end`` on the system-wide
    monotonic clock, which every process shares; ``cpu_s`` the CPU time, user and system,
    the process used from the start to the last clerk's end), or ``("error", traceback)``.
    """
    try:
        if core is not None:
            os.sched_setaffinity(0, {core})
        shared = setup()
        one, close = _side_runner(side, variant, Path(path), shared)
        warmed = threading.Barrier(clerks + 1)
        go = threading.Event()
        ids: list[list[str]] = [[] for _ in range(clerks)]
        latencies: list[list[int]] = [[] for _ in range(clerks)]
        failures: list[str] = []

        def clerk(i: int) -> None:
            try:
                scratch = _timings()
                for _ in range(warmup):
                    one(scratch)
            except BaseException:
                failures.append(traceback.format_exc())
                warmed.abort()
                raise
            warmed.wait()
            go.wait()
            clock = time.perf_counter_ns
            mine, lat, times = ids[i], latencies[i], _timings()
            try:
                while _take(remaining):
                    t0 = clock()
                    mine.append(one(times))
                    lat.append(clock() - t0)
            except BaseException:
                failures.append(traceback.format_exc())
                raise

        pool = [threading.Thread(target=clerk, args=(i,), daemon=True) for i in range(clerks)]
        for t in pool:
            t.start()
        try:
            warmed.wait(timeout=300)
        except threading.BrokenBarrierError:
            results.put(("error", "".join(failures) or "a clerk did not warm up"))
            start.abort()
            return
        gc.collect()
        gc.disable()
        start.wait(timeout=300)
        cpu0 = time.process_time()
        go.set()
        for t in pool:
            t.join()
        end = time.monotonic()
        cpu = time.process_time() - cpu0
        close()
        if failures:
            results.put(("error", "".join(failures)))
            return
        results.put(([x for m in ids for x in m], end, [x for m in latencies for x in m], cpu))
    except BaseException:
        results.put(("error", traceback.format_exc()))
        with contextlib.suppress(Exception):  # the barrier may already be broken or gone
            start.abort()


def _take(remaining: Any) -> bool:
    """Take one lifecycle from the round's shared pool; False once it is empty."""
    with remaining.get_lock():
        if remaining.value <= 0:
            return False
        remaining.value -= 1
        return True


@dataclass
class ConcurrentResult:
    """One side's concurrent round: its rate, each clerk's lifecycle latencies, and the CPU
    time (user and system, all worker processes) per lifecycle in milliseconds."""

    rate: float
    latencies_ns: list[int]
    cpu_ms: float


def concurrent_round(
    side: str, variant: Variant, conc: Concurrency, shared: Shared
) -> ConcurrentResult:
    """Run ``conc.lifecycles`` of one side across ``conc.workers`` processes on one new file.

    The parent makes the file (schema and all) first, starts the workers, and starts the
    clock when every worker has warmed up and passed the common barrier; the round ends
    when the last worker's clerks are done. Afterwards every case is checked in the file.
    """
    ctx = multiprocessing.get_context("spawn")
    directory = Path(tempfile.mkdtemp(prefix="hallflow-conc-", dir=variant.directory))
    path = directory / "side.db"
    # One pool of lifecycles for every clerk of every process, as requests reach whichever
    # clerk is free: a process that runs slower (its core also serves the disk's interrupts,
    # say) does fewer, and the round ends when the work is done, not when the slowest
    # process has done an equal share.
    remaining = ctx.Value("q", conc.lifecycles)
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    try:
        if side == HALLFLOW:
            open_store(path, variant, shared).close()
        else:
            PeerStore(path, variant.durability).close()
        start = ctx.Barrier(conc.workers + 1)
        results = ctx.Queue()
        procs = [
            ctx.Process(
                target=_concurrent_worker,
                args=(
                    side,
                    variant,
                    str(path),
                    conc.clerks,
                    remaining,
                    conc.warmup,
                    cores[n % len(cores)] if conc.pin else None,
                    start,
                    results,
                ),
                daemon=True,
            )
            for n in range(conc.workers)
        ]
        for proc in procs:
            proc.start()
        with contextlib.suppress(threading.BrokenBarrierError):  # a worker failed: see below
            start.wait(timeout=600)
        t0 = time.monotonic()
        outcomes = [results.get(timeout=1200) for _ in procs]
        for proc in procs:
            proc.join(timeout=60)
        errors = [o[1] for o in outcomes if o[0] == "error"]
        if errors:
            raise RuntimeError(f"{side} worker failed:\n" + "\n".join(map(str, errors)))
        ids = [x for o in outcomes for x in o[0]]
        end = max(float(o[1]) for o in outcomes)
        latencies = [x for o in outcomes for x in o[2]]
        cpu_ms = 1e3 * sum(float(o[3]) for o in outcomes) / len(ids)
        if len(ids) != conc.lifecycles or len(set(ids)) != len(ids):
            raise AssertionError(f"{side}: {len(ids)} lifecycles reported, {len(set(ids))} ids")
        check_all(side, path, variant, shared, ids, conc)
        return ConcurrentResult(len(ids) / (end - t0), latencies, cpu_ms)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def check_all(
    side: str, path: Path, variant: Variant, shared: Shared, ids: Sequence[str], conc: Concurrency
) -> None:
    """Every lifecycle of a concurrent round is in the file, complete (warm-ups included)."""
    expected = len(ids) + conc.workers * conc.clerks * conc.warmup
    if side == HALLFLOW:
        with open_store(path, variant, shared) as store:
            check_hallflow(store, ids)
            closed = store.find(state=CaseState.CLOSED.value)
            if len(closed) != expected or len(store.case_ids()) != expected:
                raise AssertionError(f"hallflow: {len(closed)} closed cases, {expected} expected")
            if any(r.version != len(COMMANDS) for r in closed):
                raise AssertionError("hallflow: a closed case without its seven events")
        return
    db = PeerStore(path, variant.durability)
    try:
        count, versions = db.conn.execute(
            "SELECT count(*), sum(version) FROM workflows WHERE completed"
        ).fetchone()
        if count != expected or versions != expected * len(COMMANDS):
            raise AssertionError(f"{side}: {count} complete rows, {expected} expected")
        if side == PEER:
            check_peer(db, ids, shared)
    finally:
        db.close()


def measure_concurrent(variant: Variant, shared: Shared, conc: Concurrency) -> list[ConcurrentRow]:
    """``conc.rounds`` rounds of every side (the order rotating per round); one row each."""
    names = [HALLFLOW, PEER, FLOOR]
    results: dict[str, list[ConcurrentResult]] = {name: [] for name in names}
    for r in range(conc.rounds):
        k = r % len(names)
        for name in [*names[k:], *names[:k]]:
            results[name].append(concurrent_round(name, variant, conc, shared))
    rows = []
    base = 0.0
    for name in names:
        rates = [x.rate for x in results[name]]
        rate = float(statistics.median(rates))
        if name == HALLFLOW:
            base = rate
        latencies = [v for x in results[name] for v in x.latencies_ns]
        rows.append(
            ConcurrentRow(
                variant=variant.name,
                library=name,
                workers=conc.workers,
                clerks=conc.clerks,
                rates=rates,
                median_rate=rate,
                ratio=None if name == HALLFLOW else base / rate,
                lifecycle_p50_ms=float(statistics.median(latencies)) / 1e6,
                lifecycle_p95_ms=_percentile(latencies, 0.95) / 1e6,
                cpu_ms=float(statistics.median(x.cpu_ms for x in results[name])),
                how=CONCURRENT_HOW[name],
            )
        )
    return rows


# --------------------------------------------------------------------------- profile


def profile_sides(variant: Variant, shared: Shared, cfg: Config) -> dict[str, list[dict[str, Any]]]:
    """One extra round of each side alone under cProfile: the top functions by cumulative time."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in (HALLFLOW, PEER):
        prof = cProfile.Profile()
        measure_round(variant, shared, cfg, [name], prof)
        stats = pstats.Stats(prof, stream=io.StringIO())
        entries = []
        raw: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
        for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in raw.items():
            entries.append(
                {
                    "function": f"{_short(filename)}:{line}({func})",
                    "ncalls": ncalls,
                    "tottime_s": tottime,
                    "cumtime_s": cumtime,
                    "cum_per_lifecycle_us": cumtime / cfg.lifecycles * 1e6,
                }
            )
        entries.sort(key=lambda e: -float(e["cumtime_s"]))
        out[name] = entries[:40]
    return out


def _short(filename: str) -> str:
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# --------------------------------------------------------------------------- targets


def _targets(rate: float, ratio: float, where: str, run: str, judged: bool) -> list[Target]:
    """The rate target and the ratio target for one run: ``where`` names the storage (the
    variant's name first), ``run`` the concurrency."""
    return [
        Target(
            f">= {TARGET_RATE:,.0f} lifecycles/s ({where}; {run})",
            rate,
            TARGET_RATE,
            rate >= TARGET_RATE,
            judged=judged,
        ),
        Target(
            f"ahead of {PEER} (hallflow / peer > {TARGET_RATIO:g}, "
            f"{where.split(':', 1)[0]}; {run})",
            ratio,
            TARGET_RATIO,
            ratio > TARGET_RATIO,
            judged=judged,
        ),
    ]


def evaluate_targets(
    rows: list[Row], concurrent: list[ConcurrentRow], variant: Variant
) -> list[Target]:
    """The two targets, judged on the default storage's concurrent run (the machine's
    throughput, as a hall with many clerks uses it), plus the same two figures for one clerk
    alone, reported but not judged (judged when there is no concurrent run)."""
    where = f"{variant.name}: {variant.filesystem} file, durability={variant.durability}"
    out = []
    conc = {r.library: r for r in concurrent if r.variant == variant.name}
    if conc:
        shape = f"{conc[HALLFLOW].workers} processes x {conc[HALLFLOW].clerks} clerks"
        out += _targets(conc[HALLFLOW].median_rate, conc[PEER].ratio or 0.0, where, shape, True)
    mine = {r.library: r for r in rows if r.variant == variant.name}
    out += _targets(
        mine[HALLFLOW].median_rate, mine[PEER].ratio or 0.0, where, "one clerk", not conc
    )
    return out


# --------------------------------------------------------------------------- report


def filesystem(path: str) -> str:
    """The type of the file system holding ``path`` (longest mount point in /proc/mounts)."""
    real = os.path.realpath(path)
    best, kind = "", "unknown"
    try:
        lines = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return kind
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        inside = real == mount or real.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > len(best):
            best, kind = mount, parts[2]
    return kind


def variants(shared: Shared) -> list[Variant]:
    """The storage configurations this machine allows."""
    tmp = tempfile.gettempdir()
    kind = filesystem(tmp)
    out = [
        Variant("default", tmp, "full", kind, reload_peer=True),
        Variant("strict", tmp, "strict", kind),
    ]
    if os.path.isdir("/dev/shm") and filesystem("/dev/shm") == "tmpfs":
        out.append(Variant("tmpfs", "/dev/shm", "full", "tmpfs"))
    out.append(Variant("normal", tmp, "normal", kind))
    return out


def source_revision() -> str:
    """The git commit of the measured hallflow, ``+dirty`` when ``src/`` has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def machine() -> dict[str, Any]:
    """The host, versions and the temporary directory's file system."""
    tmp = tempfile.gettempdir()
    return {
        **host(),
        "sqlite": sqlite3.sqlite_version,
        "hallflow": version_of("hallflow"),
        "hallflow_revision": source_revision(),
        "SpiffWorkflow": version_of("SpiffWorkflow"),
        "cryptography": version_of("cryptography"),
        "tempdir": tmp,
        "tempdir_filesystem": filesystem(tmp),
    }


def render(report: Report) -> str:
    """The report as plain-text (Markdown-compatible) tables."""
    head = ("storage", "library", "lifecycles/s", "per lifecycle", "hallflow ÷ peer", "rounds")
    body = [
        (
            r.variant,
            r.library,
            f"{r.median_rate:,.0f}",
            f"{r.median_lifecycle_us / 1e3:,.2f} ms",
            "-" if r.ratio is None else f"{r.ratio:.2f}x",
            " ".join(f"{x:,.0f}" for x in r.rates),
        )
        for r in report.rows
    ]
    out = _table(head, body)
    for variant in dict.fromkeys(r.variant for r in report.rows):
        rows = [r for r in report.rows if r.variant == variant]
        out.append("")
        out.append(f"per command ({variant}), median / p95:")
        chead = ("command", *(r.library for r in rows))
        cbody = [
            (
                command,
                *(
                    f"{r.commands[command]['median_us']:,.0f} / "
                    f"{r.commands[command]['p95_us']:,.0f} µs"
                    for r in rows
                ),
            )
            for command in COMMANDS
        ]
        out += _table(chead, cbody)
    if report.concurrent:
        first = report.concurrent[0]
        out.append("")
        out.append(
            f"concurrent: {first.workers} processes x {first.clerks} clerks (threads) each, "
            "all on one database file per side:"
        )
        chead = (
            "storage",
            "library",
            "lifecycles/s",
            "hallflow ÷ peer",
            "lifecycle p50 / p95",
            "CPU per lifecycle",
            "rounds",
        )
        cbody = [
            (
                r.variant,
                r.library,
                f"{r.median_rate:,.0f}",
                "-" if r.ratio is None else f"{r.ratio:.2f}x",
                f"{r.lifecycle_p50_ms:,.1f} / {r.lifecycle_p95_ms:,.1f} ms",
                f"{r.cpu_ms:.2f} ms",
                " ".join(f"{x:,.0f}" for x in r.rates),
            )
            for r in report.concurrent
        ]
        out += _table(chead, cbody)
    out.append("")
    out.append("targets (judged), then the same figures for one clerk (reported):")
    for t in report.targets:
        value = f"{t.measured:,.0f}/s" if "lifecycles/s" in t.name else f"{t.measured:.2f}x"
        note = f"  ({t.note})" if t.note else ""
        status = ("PASS" if t.passed else "MISS") if t.judged else ("pass" if t.passed else "miss")
        out.append(f"  {status}  {t.name}: {value}{note}")
    for library, entries in report.profile.items():
        out.append("")
        out.append(
            f"profile ({library}, {report.profile_storage} storage, one round of "
            f"{report.config['lifecycles']:,} under cProfile, top 25 by cumulative time):"
        )
        out.append(f"  {'cum µs/lifecycle':>16}  {'ncalls':>8}  function")
        for e in entries[:25]:
            out.append(f"  {e['cum_per_lifecycle_us']:>16,.1f}  {e['ncalls']:>8}  {e['function']}")
    return "\n".join(out)


def _table(head: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)]


# --------------------------------------------------------------------------- main


def run(
    cfg: Config, *, profile: str | None = None, concurrency: Concurrency | None = None
) -> Report:
    """Measure every variant on both sides, evaluate the targets, optionally profile.

    ``profile`` names the storage (``default``, ``tmpfs``...) of the profiled round;
    ``concurrency``, when given, adds the concurrent run on every storage.
    """
    shared = setup()
    found = variants(shared)
    report = Report(
        machine=machine(),
        config={
            **asdict(cfg),
            "commands": list(COMMANDS),
            "bpmn": BPMN.name,
            "gc": "off",
            "concurrency": None if concurrency is None else asdict(concurrency),
        },
        variants=[asdict(v) for v in found],
    )
    for variant in found:
        report.rows += measure(variant, shared, cfg)
        if concurrency is not None:
            report.concurrent += measure_concurrent(variant, shared, concurrency)
    report.targets = evaluate_targets(report.rows, report.concurrent, found[0])
    if profile is not None:
        chosen = [v for v in found if v.name == profile]
        if not chosen:
            raise SystemExit(f"--profile {profile}: storages here are {[v.name for v in found]}")
        report.profile = profile_sides(chosen[0], shared, cfg)
        report.profile_storage = profile
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: run, print the tables, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write all results here")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="default",
        metavar="STORAGE",
        help="also cProfile one round of each side on this storage (default: default)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=_usable_cores(),
        help="processes in the concurrent run (default: the usable cores); 0 skips that run",
    )
    parser.add_argument(
        "--clerks",
        type=int,
        default=64,
        help="clerk threads per process in the concurrent run (default: 64)",
    )
    args = parser.parse_args(argv)
    if args.workers < 0 or args.clerks < 1:
        parser.error("--workers must be >= 0 and --clerks >= 1")
    cfg = QUICK if args.quick else FULL
    concurrency = None
    if args.workers:
        base = CONCURRENT_QUICK if cfg.quick else CONCURRENT_FULL
        concurrency = Concurrency(
            args.workers, args.clerks, base.lifecycles, base.rounds, base.warmup
        )
    report = run(cfg, profile=args.profile, concurrency=concurrency)
    m = report.machine
    print(
        f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable); "
        f"Python {m['python']}, SQLite {m['sqlite']}, SpiffWorkflow {m['SpiffWorkflow']}, "
        f"cryptography {m['cryptography']}; temp dir {m['tempdir']} ({m['tempdir_filesystem']})"
    )
    print(f"hallflow: {m['hallflow']} at {m['hallflow_revision']}")
    print(
        f"config: {'quick' if cfg.quick else 'full'}; {cfg.lifecycles:,} lifecycles x "
        f"{cfg.rounds} rounds per side and storage, {cfg.warmup} warm-up; "
        f"lifecycle = {' -> '.join(COMMANDS)}"
    )
    if concurrency is not None:
        print(
            f"concurrent: {concurrency.workers} processes x {concurrency.clerks} clerks, "
            f"{concurrency.lifecycles:,} lifecycles x {concurrency.rounds} rounds per side and "
            f"storage, {concurrency.warmup} warm-up per clerk"
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
