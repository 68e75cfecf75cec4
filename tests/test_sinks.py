"""The sink dispatcher: every event reaches every sink, in order per case, despite failures.

Covers order across many cases, retries spaced by the backoff (with an injected clock), a
broken sink not holding up another, a restart on SQLite cursors, a property test over random
appends, drains, failures and crashes, and a process killed with SIGKILL mid-drain.

Run as a script (``python tests/test_sinks.py worker STORE CURSORS LOG``) this file is the
child process of the SIGKILL test: it drains forever, its sink appending ``CASE SEQ`` lines
to LOG.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallflow.errors import NaiveDatetimeError, SchemaVersionError, SinkError, StoreError
from hallflow.plugins.policy import EventSink
from hallflow.sinks import (
    Backoff,
    CursorState,
    Dispatcher,
    MemoryCursors,
    SinkCursors,
    SQLiteCursors,
)
from hallflow.store import CaseRow, EventStore, MemoryStore, NewEvent, SQLiteStore, StoredEvent

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH)


def add(store: EventStore, case_id: str, count: int = 1) -> int:
    """Append ``count`` events to a case (creating it if needed); return the new version."""
    version = store.version(case_id)
    events = [
        NewEvent("noted", "clerk-07", T0 + dt.timedelta(minutes=version + n), {"n": version + n})
        for n in range(1, count + 1)
    ]
    row = CaseRow(
        case_id, "business-licence", "applicant-1", "window-3", "open", None, version + count
    )
    return store.append(case_id, version, events, row)


class Clock:
    """A settable clock."""

    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class Recorder:
    """A sink that records ``(case_id, seq)`` of each delivered event."""

    def __init__(self, name: str = "supervision") -> None:
        self.name = name
        self.got: list[tuple[str, int]] = []
        self.calls = 0

    def deliver(self, event: StoredEvent) -> None:
        self.calls += 1
        self.got.append((event.case_id, event.seq))

    def per_case(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for case_id, seq in self.got:
            out.setdefault(case_id, []).append(seq)
        return out


class Flaky(Recorder):
    """Fails the next ``failures`` calls (for the given cases only, if any), then works."""

    def __init__(self, name: str, failures: int, cases: set[str] | None = None) -> None:
        super().__init__(name)
        self.failures = failures
        self.cases = cases
        self.failed_at: list[tuple[str, int]] = []

    def deliver(self, event: StoredEvent) -> None:
        if self.failures > 0 and (self.cases is None or event.case_id in self.cases):
            self.calls += 1
            self.failures -= 1
            self.failed_at.append((event.case_id, event.seq))
            raise ConnectionError("supervision platform unreachable (503)")
        super().deliver(event)


class Broken:
    """A sink that never works."""

    def __init__(self, name: str = "broken") -> None:
        self.name = name
        self.calls = 0

    def deliver(self, event: StoredEvent) -> None:
        self.calls += 1
        raise TimeoutError(f"no answer for {event.case_id}#{event.seq}")


def expected(store: EventStore) -> dict[str, list[int]]:
    return {c: list(range(1, store.version(c) + 1)) for c in store.case_ids()}


def test_sinks_satisfy_the_protocol() -> None:
    assert isinstance(Recorder(), EventSink)
    cursors: SinkCursors = MemoryCursors()
    assert cursors.states("x") == {}


def test_order_per_case_across_many_cases() -> None:
    rng = random.Random(7)
    store = MemoryStore()
    sink = Recorder()
    dispatcher = Dispatcher(store, [sink], MemoryCursors())
    for _ in range(400):
        add(store, f"case-{rng.randrange(60):03d}", rng.randint(1, 3))
        if rng.random() < 0.2:
            dispatcher.drain(limit=rng.choice([None, 1, 5, 20]))
    report = dispatcher.drain()
    assert report.failures == ()
    assert report.backlog == {"supervision": 0}
    assert dispatcher.backlog() == {"supervision": 0}
    assert sink.per_case() == expected(store)
    assert len(sink.got) == len(set(sink.got))  # nothing twice


def test_drain_counts_and_limit() -> None:
    store = MemoryStore()
    for case_id in ("a", "b", "c"):
        add(store, case_id, 4)
    one, two = Recorder("one"), Recorder("two")
    dispatcher = Dispatcher(store, [one, two], MemoryCursors())
    assert dispatcher.backlog() == {"one": 12, "two": 12}
    report = dispatcher.drain(limit=10)
    assert report.delivered == 10
    assert sum(report.backlog.values()) == 24 - 10 == sum(dispatcher.backlog().values())
    assert dispatcher.drain(limit=0).delivered == 0
    assert dispatcher.drain().delivered == 14
    assert one.per_case() == two.per_case() == expected(store)
    assert dispatcher.drain().delivered == 0


def test_flaky_sink_gets_every_event_in_order_with_backoff() -> None:
    store = MemoryStore()
    add(store, "a", 3)
    add(store, "b", 2)
    clock = Clock()
    sink = Flaky("province", failures=3, cases={"a"})
    backoff = Backoff(first=dt.timedelta(seconds=10), factor=2, cap=dt.timedelta(seconds=25))
    dispatcher = Dispatcher(store, [sink], MemoryCursors(), clock=clock, backoff=backoff)

    report = dispatcher.drain()
    assert [(f.case_id, f.seq, f.attempts) for f in report.failures] == [("a", 1, 1)]
    assert report.failures[0].next_attempt == T0 + dt.timedelta(seconds=10)
    assert "ConnectionError: supervision platform unreachable" in report.failures[0].error
    assert report.next_retry == T0 + dt.timedelta(seconds=10)
    assert sink.per_case() == {"b": [1, 2]}  # the other case on the same sink went through
    assert report.backlog == {"province": 3}

    add(store, "a", 1)  # a later event of the failing case waits behind the first
    add(store, "b", 1)
    clock.tick(9)
    calls = sink.calls
    report = dispatcher.drain()
    assert sink.calls == calls + 1 and sink.got[-1] == ("b", 3)  # only b was tried
    assert report.failures == () and report.backlog == {"province": 4}
    assert report.next_retry == T0 + dt.timedelta(seconds=10)

    clock.tick(1)  # t0 + 10 s: second attempt, fails, waits 20 s
    report = dispatcher.drain()
    assert [(f.seq, f.attempts, f.next_attempt) for f in report.failures] == [
        (1, 2, T0 + dt.timedelta(seconds=30))
    ]
    clock.tick(19)
    assert dispatcher.drain().failures == ()  # not yet due
    clock.tick(1)  # t0 + 30 s: third attempt, fails, waits 40 s capped at 25 s
    report = dispatcher.drain()
    assert [(f.attempts, f.next_attempt) for f in report.failures] == [
        (3, T0 + dt.timedelta(seconds=55))
    ]
    [(sink_name, case_id, state)] = dispatcher.failing()
    assert (sink_name, case_id, state.seq, state.attempts) == ("province", "a", 0, 3)
    assert state.next_attempt == T0 + dt.timedelta(seconds=55)

    clock.tick(25)
    report = dispatcher.drain()
    assert report.failures == () and report.delivered == 4 and report.next_retry is None
    assert sink.failed_at == [("a", 1)] * 3
    assert sink.per_case() == expected(store) == {"a": [1, 2, 3, 4], "b": [1, 2, 3]}
    assert dispatcher.failing() == []


def test_a_new_failure_after_a_success_starts_the_backoff_again() -> None:
    store = MemoryStore()
    add(store, "a", 2)
    clock = Clock()
    sink = Flaky("s", failures=1)
    dispatcher = Dispatcher(store, [sink], MemoryCursors(), clock=clock)
    assert dispatcher.drain().failures[0].attempts == 1
    clock.tick(5)
    assert dispatcher.drain().delivered == 2
    add(store, "a", 1)
    sink.failures = 1
    [failure] = dispatcher.drain().failures
    assert (failure.seq, failure.attempts) == (3, 1)
    assert failure.next_attempt == clock.now + dt.timedelta(seconds=5)


def test_permanently_failing_sink_does_not_stop_another_sink() -> None:
    store = MemoryStore()
    for n in range(10):
        add(store, f"case-{n}", 2)
    broken, good = Broken(), Recorder("good")
    clock = Clock()
    dispatcher = Dispatcher(store, [broken, good], MemoryCursors(), clock=clock)
    for _ in range(5):
        add(store, "case-3", 1)
        report = dispatcher.drain()
        clock.tick(3600)
    assert good.per_case() == expected(store)
    assert broken.calls == 50  # one attempt per case per drain, never the case's later events
    assert report.backlog == dispatcher.backlog() == {"broken": 25, "good": 0}
    assert all(f.sink == "broken" and f.seq == 1 for f in report.failures)
    assert {f.attempts for f in report.failures} == {5}
    assert "TimeoutError: no answer for case-0#1" in report.failures[0].error
    assert len(dispatcher.failing()) == 10


def test_a_sink_raising_baseexception_is_not_swallowed() -> None:
    class Interrupted(Recorder):
        def deliver(self, event: StoredEvent) -> None:
            raise KeyboardInterrupt

    store = MemoryStore()
    add(store, "a")
    dispatcher = Dispatcher(store, [Interrupted()], MemoryCursors())
    with pytest.raises(KeyboardInterrupt):
        dispatcher.drain()
    assert dispatcher.backlog() == {"supervision": 1}  # the cursor did not move


def test_long_error_text_is_cut() -> None:
    class Verbose(Recorder):
        def deliver(self, event: StoredEvent) -> None:
            raise RuntimeError("x" * 5000)

    store = MemoryStore()
    add(store, "a")
    [failure] = Dispatcher(store, [Verbose()], MemoryCursors()).drain().failures
    assert len(failure.error) == 1000 and failure.error.endswith("...")


def test_restart_with_sqlite_cursors_resumes_without_loss_or_reordering(tmp_path: Path) -> None:
    rng = random.Random(11)
    platform = Recorder("province")  # the external system: outlives the dispatchers
    clock = Clock()
    with SQLiteStore(tmp_path / "hall.db") as store:
        for _ in range(120):
            add(store, f"case-{rng.randrange(25):02d}", rng.randint(1, 2))
        total = sum(store.version(c) for c in store.case_ids())
        delivered = 0
        for run in range(6):
            cursors = SQLiteCursors(tmp_path / "hall.sinks.db")
            dispatcher = Dispatcher(store, [platform], cursors, clock=clock)
            assert dispatcher.backlog() == {"province": total - delivered}
            report = dispatcher.drain(limit=rng.randint(5, 60))
            delivered += report.delivered
            add(store, f"case-{run:02d}")
            total += 1
            cursors.close()  # the process stops; nothing else is kept
        with SQLiteCursors(tmp_path / "hall.sinks.db") as cursors:
            Dispatcher(store, [platform], cursors).drain()
        assert platform.per_case() == expected(store)
        assert len(platform.got) == len(set(platform.got)) == total


def test_retry_state_survives_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "cursors.db"
    with SQLiteStore(tmp_path / "hall.db") as store:
        add(store, "a", 2)
        sink = Flaky("province", failures=2)
        with SQLiteCursors(path) as cursors:
            Dispatcher(store, [sink], cursors, clock=clock).drain()
        with SQLiteCursors(path) as cursors:
            dispatcher = Dispatcher(store, [sink], cursors, clock=clock)
            [(_, _, state)] = dispatcher.failing()
            assert state == CursorState(
                seq=0,
                attempts=1,
                next_attempt=T0 + dt.timedelta(seconds=5),
                last_error="ConnectionError: supervision platform unreachable (503)",
            )
            assert state.next_attempt is not None and state.next_attempt.tzinfo is dt.UTC
            assert dispatcher.drain().delivered == 0  # still waiting
            clock.tick(5)
            assert dispatcher.drain().failures[0].attempts == 2  # the count carried over
        with SQLiteCursors(path) as cursors:
            clock.tick(10)
            assert Dispatcher(store, [sink], cursors, clock=clock).drain().delivered == 2
        assert sink.per_case() == {"a": [1, 2]}


def test_cursors_may_share_the_store_file(tmp_path: Path) -> None:
    path = tmp_path / "hall.db"
    with SQLiteStore(path) as store, SQLiteCursors(path) as cursors:
        add(store, "a", 3)
        sink = Recorder()
        assert Dispatcher(store, [sink], cursors).drain().delivered == 3
        add(store, "a", 1)
    with SQLiteStore(path) as store, SQLiteCursors(path) as cursors:  # both reopen cleanly
        assert Dispatcher(store, [sink], cursors).drain().delivered == 1
    assert sink.per_case() == {"a": [1, 2, 3, 4]}


def test_sqlite_cursors_refusals(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="MemoryCursors"):
        SQLiteCursors(":memory:")
    path = tmp_path / "c.db"
    cursors = SQLiteCursors(path)
    cursors.save("s", "a", CursorState(seq=3))
    cursors.save("s", "a", CursorState(seq=1, attempts=2))  # a cursor never moves back
    assert cursors.states("s") == {"a": CursorState(seq=3, attempts=2)}
    assert cursors.path == str(path)
    cursors.close()
    cursors.close()
    with pytest.raises(StoreError, match="closed"):
        cursors.states("s")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE sink_meta SET value = 99 WHERE key = 'schema'")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaVersionError):
        SQLiteCursors(path)


def test_memory_cursors_never_move_back() -> None:
    cursors = MemoryCursors()
    cursors.save("s", "a", CursorState(seq=4))
    cursors.save("s", "a", CursorState(seq=2, attempts=1, last_error="boom"))
    assert cursors.states("s") == {"a": CursorState(seq=4, attempts=1, last_error="boom")}
    cursors.close()


def test_a_cursor_ahead_of_the_store_is_reported_not_skipped() -> None:
    store = MemoryStore()
    add(store, "a", 2)
    add(store, "b", 1)
    cursors = MemoryCursors()
    cursors.save("s", "a", CursorState(seq=5))  # e.g. a store restored from an older backup
    sink = Recorder("s")
    report = Dispatcher(store, [sink], cursors).drain()
    [failure] = report.failures
    assert (failure.case_id, failure.seq) == ("a", 3)
    assert "does not match the store" in failure.error
    assert sink.got == [("b", 1)]


def test_backoff() -> None:
    backoff = Backoff()
    assert [backoff.delay(n).total_seconds() for n in range(1, 6)] == [5, 10, 20, 40, 80]
    assert backoff.delay(0) == backoff.delay(1)
    assert backoff.delay(11) == backoff.delay(10_000) == dt.timedelta(hours=1)
    assert Backoff(factor=1).delay(50) == dt.timedelta(seconds=5)
    assert Backoff(factor=1e300).delay(5) == dt.timedelta(hours=1)  # overflow: the cap
    with pytest.raises(SinkError, match="first"):
        Backoff(first=dt.timedelta(0))
    with pytest.raises(SinkError, match="factor"):
        Backoff(factor=0.5)
    with pytest.raises(SinkError, match="factor"):
        Backoff(factor=float("inf"))


def test_dispatcher_refusals() -> None:
    store = MemoryStore()
    with pytest.raises(SinkError, match="two sinks"):
        Dispatcher(store, [Recorder("x"), Recorder("x")], MemoryCursors())
    with pytest.raises(SinkError, match="name"):
        Dispatcher(store, [Recorder("")], MemoryCursors())
    with pytest.raises(SinkError, match="deliver"):
        no_deliver = type("NoDeliver", (), {"name": "nd"})()
        Dispatcher(store, [no_deliver], MemoryCursors())
    dispatcher = Dispatcher(store, [Recorder()], MemoryCursors())
    assert [s.name for s in dispatcher.sinks] == ["supervision"]
    with pytest.raises(SinkError, match="limit"):
        dispatcher.drain(limit=-1)
    with pytest.raises(NaiveDatetimeError):
        dispatcher.drain(dt.datetime(2026, 3, 2, 9, 0))
    naive = Dispatcher(store, [Recorder()], MemoryCursors(), clock=lambda: dt.datetime(2026, 1, 1))
    with pytest.raises(NaiveDatetimeError):
        naive.drain()


def test_the_documented_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "sinks.md").read_text("utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block is not None
    monkeypatch.chdir(tmp_path)
    exec(compile(block.group(1), "docs/sinks.md", "exec"), {})
    assert capsys.readouterr().out.splitlines() == [
        "POST /events 2026-0001:1 received",
        "1 {'province-supervision': 0}",
    ]


# --- the property --------------------------------------------------------------------------


class Crash(BaseException):
    """The process dies after the sink acknowledged but before the cursor moved."""


class Simulated(Recorder):
    """A sink whose next calls can be told to fail, or to crash the dispatcher after success."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.failures = 0
        self.crash_next = False
        self.crashed: list[tuple[str, int]] = []

    def deliver(self, event: StoredEvent) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise OSError("connection reset")
        super().deliver(event)
        if self.crash_next:
            self.crash_next = False
            self.crashed.append((event.case_id, event.seq))
            raise Crash


operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(0, 5), st.integers(1, 3)),
        st.tuples(st.just("drain"), st.sampled_from([None, 0, 1, 3, 10]), st.just(0)),
        st.tuples(st.just("fail"), st.integers(0, 2), st.integers(1, 4)),
        st.tuples(st.just("crash"), st.integers(0, 2), st.just(0)),
        st.tuples(st.just("tick"), st.integers(1, 4000), st.just(0)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(operations)
def test_every_sink_gets_every_case_in_order(ops: list[tuple[str, int | None, int]]) -> None:
    store = MemoryStore()
    clock = Clock()
    cursors = MemoryCursors()  # stands for the durable cursor file across "restarts"
    sinks = [Simulated(f"sink-{n}") for n in range(3)]

    def dispatcher() -> Dispatcher:
        return Dispatcher(store, sinks, cursors, clock=clock)

    current = dispatcher()
    for op, a, b in ops:
        if op == "append":
            add(store, f"case-{a}", b)
        elif op == "drain":
            try:
                report = current.drain(limit=a)
            except Crash:
                current = dispatcher()  # a new process on the same cursors
            else:
                assert report.backlog == current.backlog()
        elif op == "fail":
            assert a is not None
            sinks[a].failures += b
        elif op == "crash":
            assert a is not None
            sinks[a].crash_next = True
        else:
            assert a is not None
            clock.tick(a)

    for sink in sinks:  # heal everything, wait out every backoff, drain to the end
        sink.failures = 0
        sink.crash_next = False
    clock.tick(3600)
    report = current.drain()
    assert report.failures == () and set(report.backlog.values()) == {0}

    want = expected(store)
    for sink in sinks:
        got = sink.per_case()
        deduplicated: dict[str, list[int]] = {}
        for case_id, seqs in got.items():
            kept = deduplicated.setdefault(case_id, [])
            for seq in seqs:
                if kept and kept[-1] == seq:  # a repeat is only allowed right after a crash
                    assert (case_id, seq) in sink.crashed
                    continue
                kept.append(seq)
        assert deduplicated == want
        assert len(sink.got) - sum(len(v) for v in want.values()) <= len(sink.crashed)


# --- a real crash --------------------------------------------------------------------------


class FileSink:
    """A sink appending ``CASE SEQ`` lines to a file, slowly (the SIGKILL test's platform)."""

    name = "province"

    def __init__(self, path: str, pause: float = 0.0) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.pause = pause

    def deliver(self, event: StoredEvent) -> None:
        os.write(self.fd, f"{event.case_id} {event.seq}\n".encode())  # one write: whole line
        time.sleep(self.pause)


def worker(store_path: str, cursor_path: str, log_path: str) -> None:
    """Drain forever (the parent appends meanwhile and kills this process)."""
    with SQLiteStore(store_path) as store, SQLiteCursors(cursor_path) as cursors:
        dispatcher = Dispatcher(store, [FileSink(log_path, pause=0.002)], cursors)
        while True:
            dispatcher.drain(limit=50)
            time.sleep(0.001)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_sigkill_mid_drain_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(20260302)
    store_path, cursor_path, log_path = (str(tmp_path / n) for n in ("h.db", "c.db", "log"))
    kills = 0
    with SQLiteStore(store_path) as store:
        for _ in range(200):
            add(store, f"case-{rng.randrange(40):02d}", rng.randint(1, 3))
        for _ in range(5):
            child = subprocess.Popen(
                [sys.executable, __file__, "worker", store_path, cursor_path, log_path],
                stderr=subprocess.PIPE,
                text=True,
            )
            size = os.path.getsize(log_path) if os.path.exists(log_path) else 0
            deadline = time.monotonic() + 20
            while not (os.path.exists(log_path) and os.path.getsize(log_path) > size):
                assert child.poll() is None, child.communicate()[1]
                assert time.monotonic() < deadline, "the child delivered nothing"
                time.sleep(0.005)
            for _ in range(rng.randint(1, 5)):  # the hall goes on appending meanwhile
                time.sleep(rng.uniform(0.0, 0.08))
                add(store, f"case-{rng.randrange(40):02d}", 1)
            child.send_signal(signal.SIGKILL)
            child.communicate(timeout=30)
            assert child.returncode == -signal.SIGKILL
            kills += 1
        with SQLiteCursors(cursor_path) as cursors:
            sink = FileSink(log_path)
            report = Dispatcher(store, [sink], cursors).drain()
            os.close(sink.fd)
        assert report.failures == ()
        want = expected(store)
    lines = Path(log_path).read_text().splitlines()
    got: dict[str, list[int]] = {}
    duplicates = 0
    for line in lines:
        case_id, seq = line.split()
        seqs = got.setdefault(case_id, [])
        if seqs and seqs[-1] == int(seq):
            duplicates += 1  # the event in flight when the process was killed
            continue
        seqs.append(int(seq))
    assert got == want
    assert duplicates <= kills
    assert len(lines) > 50  # the children did deliver before they were killed


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        worker(*sys.argv[2:5])
