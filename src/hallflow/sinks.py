"""Push every case event to external systems (event sinks), at least once and in order per case.

The event store is the outbox. An event is durable the moment its append commits, so nothing
has to be queued in a second transaction that a crash between the two could lose. What this
module keeps is, for each sink and each case, a **cursor**: the seq of the last event that sink
has acknowledged. A :class:`Dispatcher` compares the cursors with the store's case versions and
delivers whatever lies beyond, in seq order, moving the cursor after each successful
``deliver``.

When a delivery fails, the (sink, case) pair waits: its attempts and next-attempt time are
recorded with the cursor, later events of that case are held back from that sink until then
(order per case), and the dispatcher carries on with the other cases and the other sinks.
Cursors and retry state live in a :class:`SinkCursors`: :class:`MemoryCursors` for tests,
:class:`SQLiteCursors` for a backlog that survives a restart. See ``docs/sinks.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

import attrs

from hallflow.errors import NaiveDatetimeError, SchemaVersionError, SinkError, StoreError
from hallflow.store.base import Clock, EventStore, StoredEvent, encode_instant, utc_now

if TYPE_CHECKING:  # at run time a sink is any object with a name and deliver()
    from hallflow.plugins.policy import EventSink

__all__ = [
    "Backoff",
    "CursorState",
    "DeliveryFailure",
    "Dispatcher",
    "DrainReport",
    "MemoryCursors",
    "SQLiteCursors",
    "SinkCursors",
]

_ERROR_TEXT_LIMIT = 1000
"""How many characters of a failure's text are kept (the rest is cut, with an ellipsis)."""


def _check_aware(field: str, value: object) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(field, value)
    return value.astimezone(dt.UTC)


# --- cursors -------------------------------------------------------------------------------


@attrs.define(frozen=True, slots=True)
class CursorState:
    """Where one sink stands on one case.

    Attributes:
        seq: the seq of the last event the sink acknowledged (0: none yet).
        attempts: failed attempts in a row at delivering event ``seq + 1`` (0: not failing).
        next_attempt: when the next attempt may be made (UTC), or None when not failing.
        last_error: the text of the last failure, or ``""``.
    """

    seq: int = 0
    attempts: int = 0
    next_attempt: dt.datetime | None = None
    last_error: str = ""

    @property
    def failing(self) -> bool:
        """Whether the last attempt failed (the pair is waiting for its retry time)."""
        return self.attempts > 0


_START = CursorState()


class SinkCursors(Protocol):
    """Where each sink stands on each case, and the retry state of the failing pairs.

    Implementations must never move a cursor back: :meth:`save` keeps the larger of the stored
    and the given ``seq``, so that a late write (from a second dispatcher, say) cannot send a
    sink events it has already acknowledged once more.
    """

    def states(self, sink: str) -> dict[str, CursorState]:
        """Return the state of every case the sink has a cursor for (absent: at seq 0)."""
        ...

    def save(self, sink: str, case_id: str, state: CursorState) -> None:
        """Record a sink's state on a case; the stored seq becomes the larger of the two."""
        ...

    def close(self) -> None:
        """Release resources; closing twice is fine."""
        ...


class MemoryCursors:
    """Cursors in a dict: for tests and for processes whose backlog may be lost on exit.

    With memory cursors a restarted process delivers every event again from the start.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, dict[str, CursorState]] = {}

    def states(self, sink: str) -> dict[str, CursorState]:
        """See :meth:`SinkCursors.states`."""
        with self._lock:
            return dict(self._states.get(sink, {}))

    def save(self, sink: str, case_id: str, state: CursorState) -> None:
        """See :meth:`SinkCursors.save`."""
        with self._lock:
            cases = self._states.setdefault(sink, {})
            old = cases.get(case_id, _START)
            cases[case_id] = attrs.evolve(state, seq=max(old.seq, state.seq))

    def close(self) -> None:
        """Nothing to release."""


_CURSORS_SCHEMA = 1
"""The schema version :class:`SQLiteCursors` writes (in its own ``sink_meta`` table)."""

_CURSORS_DDL = (
    "CREATE TABLE IF NOT EXISTS sink_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) "
    "WITHOUT ROWID",
    """
    CREATE TABLE IF NOT EXISTS sink_cursors (
        sink         TEXT    NOT NULL,
        case_id      TEXT    NOT NULL,
        seq          INTEGER NOT NULL,
        attempts     INTEGER NOT NULL,
        next_attempt TEXT,
        last_error   TEXT    NOT NULL,
        PRIMARY KEY (sink, case_id)
    ) WITHOUT ROWID
    """,
)


class SQLiteCursors:
    """Cursors in a SQLite file (WAL mode), so that the backlog survives a restart.

    A new dispatcher on the same file resumes where the last one stopped. The tables are
    ``sink_cursors`` and ``sink_meta``; the schema version is kept in ``sink_meta``, not in
    ``PRAGMA user_version``, so the file may be the event store's own. A file of its own is
    the recommended choice (``hall.sinks.db`` beside ``hall.db``): a cursor is written after
    every delivery, and in the store's file those writes would queue for the same write lock
    as the hall's appends.

    Writes are synced at checkpoints only (``synchronous=NORMAL``): a killed process loses
    nothing, and a power cut can at worst roll back the last cursor moves, which means a few
    events are delivered again — allowed by the at-least-once guarantee.

    Safe to share between threads (one connection, one lock). Open it in the process that
    uses it (after fork, not before).

    Args:
        path: the database file; created, with its tables, if absent.
        timeout: how long, in seconds, a write waits for another writer's lock.

    Raises:
        StoreError: the file cannot be opened or is not usable in WAL mode.
        SchemaVersionError: the cursor tables were written by a newer hallflow.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self._path = os.fspath(path)
        if self._path in ("", ":memory:") or self._path.startswith("file:"):
            raise StoreError(
                f"SQLiteCursors needs a file path, not {self._path!r}; use MemoryCursors for "
                f"cursors that need not survive the process"
            )
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._closed = False
        with self._guard():
            conn = sqlite3.connect(
                self._path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        try:
            with self._guard():
                self._setup(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    @property
    def path(self) -> str:
        """The database file."""
        return self._path

    def states(self, sink: str) -> dict[str, CursorState]:
        """See :meth:`SinkCursors.states`."""
        with self._lock, self._guard():
            rows = (
                self._connection()
                .execute(
                    "SELECT case_id, seq, attempts, next_attempt, last_error FROM sink_cursors "
                    "WHERE sink = ?",
                    (sink,),
                )
                .fetchall()
            )
        return {
            case_id: CursorState(
                seq=seq,
                attempts=attempts,
                next_attempt=None
                if next_attempt is None
                else dt.datetime.fromisoformat(next_attempt).replace(tzinfo=dt.UTC),
                last_error=last_error,
            )
            for case_id, seq, attempts, next_attempt, last_error in rows
        }

    def save(self, sink: str, case_id: str, state: CursorState) -> None:
        """See :meth:`SinkCursors.save`; one autocommitted statement."""
        next_attempt = None if state.next_attempt is None else encode_instant(state.next_attempt)[0]
        with self._lock, self._guard():
            self._connection().execute(
                "INSERT INTO sink_cursors (sink, case_id, seq, attempts, next_attempt, "
                "last_error) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sink, case_id) DO UPDATE "
                "SET seq = MAX(seq, excluded.seq), attempts = excluded.attempts, "
                "next_attempt = excluded.next_attempt, last_error = excluded.last_error",
                (sink, case_id, state.seq, state.attempts, next_attempt, state.last_error),
            )

    def close(self) -> None:
        """Close the connection; later calls raise StoreError. Closing twice is fine."""
        with self._lock:
            if not self._closed:
                self._closed = True
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()

    def __enter__(self) -> Self:
        """Return the cursors."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the cursors."""
        self.close()

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"the sink cursors {self._path!r} are closed")
        if os.getpid() != self._pid:
            raise StoreError(
                f"the sink cursors {self._path!r} were opened in process {self._pid}; open "
                f"them again in each process (after fork, not before)"
            )
        return self._conn

    def _setup(self, conn: sqlite3.Connection) -> None:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(
                f"{self._path!r}: SQLite refused WAL mode (journal_mode={mode}); sink cursors "
                f"need a file system that supports it"
            )
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _CURSORS_DDL:
                conn.execute(statement)
            found = conn.execute("SELECT value FROM sink_meta WHERE key = 'schema'").fetchone()
            if found is None:
                conn.execute(
                    "INSERT INTO sink_meta (key, value) VALUES ('schema', ?)", (_CURSORS_SCHEMA,)
                )
            elif int(found[0]) > _CURSORS_SCHEMA:
                raise SchemaVersionError(int(found[0]), _CURSORS_SCHEMA)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"sink cursors {self._path!r}: {exc}") from exc


# --- the dispatcher ------------------------------------------------------------------------


def _positive(_instance: object, attribute: attrs.Attribute[dt.timedelta], value: object) -> None:
    if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
        raise SinkError(f"Backoff.{attribute.name}={value!r}: must be a positive timedelta")


def _factor(_instance: object, _attribute: attrs.Attribute[float], value: object) -> None:
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value < 1
    ):
        raise SinkError(f"Backoff.factor={value!r}: must be a finite number of at least 1")


@attrs.define(frozen=True, slots=True)
class Backoff:
    """How long a failing (sink, case) pair waits before its next attempt.

    The wait after the n-th failure in a row is ``first * factor ** (n - 1)``, never more than
    ``cap``: by default 5 s, 10 s, 20 s... up to one hour. There is no jitter: the waits are
    per pair, and a dispatcher drains sequentially, so a platform that comes back is not hit
    by a thundering herd from one hall.

    Attributes:
        first: the wait after the first failure.
        factor: how much each further failure multiplies the wait by.
        cap: the longest wait.
    """

    first: dt.timedelta = attrs.field(default=dt.timedelta(seconds=5), validator=_positive)
    factor: float = attrs.field(default=2.0, validator=_factor)
    cap: dt.timedelta = attrs.field(default=dt.timedelta(hours=1), validator=_positive)

    def delay(self, attempts: int) -> dt.timedelta:
        """Return the wait after ``attempts`` failures in a row (at least 1)."""
        exponent = max(attempts, 1) - 1
        try:
            seconds = self.first.total_seconds() * self.factor**exponent
        except OverflowError:
            return self.cap
        if not math.isfinite(seconds) or seconds >= self.cap.total_seconds():
            return self.cap
        return dt.timedelta(seconds=seconds)


@attrs.define(frozen=True, slots=True)
class DeliveryFailure:
    """A delivery that failed during a drain.

    Attributes:
        sink: the sink's name.
        case_id: the case.
        seq: the seq of the event that was not delivered (and the later ones wait behind it).
        attempts: failed attempts in a row, this one included.
        next_attempt: when the pair will be tried again (UTC).
        error: the failure's text (its type and message).
    """

    sink: str
    case_id: str
    seq: int
    attempts: int
    next_attempt: dt.datetime
    error: str


@attrs.define(frozen=True, slots=True)
class DrainReport:
    """What one :meth:`Dispatcher.drain` did.

    Attributes:
        delivered: how many events were delivered (acknowledged by their sink).
        failures: the deliveries that failed, in the order they were tried.
        backlog: per sink, how many events remain undelivered after the drain (the events
            held back behind a failure included).
        next_retry: the earliest instant a waiting pair may be tried again (UTC), or None when
            no pair is waiting; a timer can sleep until then.
    """

    delivered: int
    failures: tuple[DeliveryFailure, ...]
    backlog: Mapping[str, int]
    next_retry: dt.datetime | None


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if len(text) > _ERROR_TEXT_LIMIT:
        text = text[: _ERROR_TEXT_LIMIT - 3] + "..."
    return text


class Dispatcher:
    """Delivers the store's events to every sink, at least once and in order per case.

    Call :meth:`drain` after each command, on a timer, or both; drains on one dispatcher are
    serialised by a lock. Run one dispatcher per cursor file at a time: two of them would
    deliver the same events twice (nothing is lost, but a sink could see an event again
    after a later one).

    Args:
        store: the event store (the outbox).
        sinks: the sinks, each with a distinct, stable ``name``.
        cursors: where each sink stands on each case.
        clock: returns the current aware instant, for retry times (default: UTC now).
        backoff: the waits between attempts of a failing pair.

    Raises:
        SinkError: a sink has no usable name or no ``deliver``, or two sinks share a name.
    """

    def __init__(
        self,
        store: EventStore,
        sinks: Iterable[EventSink],
        cursors: SinkCursors,
        *,
        clock: Clock | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self._store = store
        self._sinks = tuple(sinks)
        names: set[str] = set()
        for sink in self._sinks:
            name = getattr(sink, "name", None)
            if not isinstance(name, str) or not name.strip():
                raise SinkError(f"sink {sink!r} needs a non-empty str name, not {name!r}")
            if not callable(getattr(sink, "deliver", None)):
                raise SinkError(f"sink {name!r} has no deliver(event) method")
            if name in names:
                raise SinkError(f"two sinks are named {name!r}; each needs its own name")
            names.add(name)
        self._cursors = cursors
        self._clock = clock or utc_now
        self._backoff = backoff or Backoff()
        self._lock = threading.Lock()

    @property
    def sinks(self) -> tuple[EventSink, ...]:
        """The sinks, in delivery order."""
        return self._sinks

    def drain(self, now: dt.datetime | None = None, *, limit: int | None = None) -> DrainReport:
        """Deliver the pending events of every case to every sink.

        For each case (in id order) and each sink, the events beyond the sink's cursor are
        delivered in seq order; the cursor moves after each one. A pair whose retry time has
        not come is skipped. A failure records the pair's attempts and next attempt, stops that
        pair for this drain, and the drain goes on with the next pair.

        Args:
            now: the instant that decides which retries are due (default: the clock).
            limit: the most deliveries to attempt (failed ones included), or None for no
                limit; what is left stays in the backlog for the next drain.

        Returns:
            What was delivered, what failed, and what is left.

        Raises:
            NaiveDatetimeError: ``now`` (or the clock's answer) has no time zone.
            SinkError: ``limit`` is not a non-negative int.
            StoreError: the store or the cursors failed (a sink's failure never raises).
        """
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 0
        ):
            raise SinkError(f"limit={limit!r}: must be a non-negative int or None")
        with self._lock:
            instant = _check_aware("now", self._clock() if now is None else now)
            return self._drain(instant, limit)

    def backlog(self) -> dict[str, int]:
        """Return, per sink, how many events are not yet delivered."""
        with self._lock:
            versions = self._versions()
            out: dict[str, int] = {}
            for sink in self._sinks:
                states = self._cursors.states(sink.name)
                out[sink.name] = sum(
                    max(version - states.get(case_id, _START).seq, 0)
                    for case_id, version in versions.items()
                )
            return out

    def failing(self) -> list[tuple[str, str, CursorState]]:
        """Return the (sink, case_id, state) of every pair waiting after a failure."""
        with self._lock:
            return [
                (sink.name, case_id, state)
                for sink in self._sinks
                for case_id, state in sorted(self._cursors.states(sink.name).items())
                if state.failing
            ]

    # --- internals ---------------------------------------------------------------------

    def _versions(self) -> dict[str, int]:
        # One query for every case's version: the rows carry it (written in the same
        # transaction as the events). This is a scan of all cases on every drain; see
        # docs/sinks.md for the cost and the index that would replace it.
        return {row.case_id: row.version for row in self._store.find()}

    def _drain(self, now: dt.datetime, limit: int | None) -> DrainReport:
        versions = self._versions()
        states = {sink.name: self._cursors.states(sink.name) for sink in self._sinks}
        backlog = dict.fromkeys(states, 0)
        failures: list[DeliveryFailure] = []
        delivered = 0
        attempts_left = limit
        next_retry: dt.datetime | None = None

        for case_id, version in versions.items():
            events: list[StoredEvent] | None = None
            for sink in self._sinks:
                state = states[sink.name].get(case_id, _START)
                if state.seq > version:
                    # The cursor is ahead of the store: the cursor file belongs to another
                    # store, or the store was restored from an older backup. Delivering would
                    # skip events, so the pair is reported and left alone.
                    failures.append(
                        DeliveryFailure(
                            sink=sink.name,
                            case_id=case_id,
                            seq=version + 1,
                            attempts=state.attempts,
                            next_attempt=now,
                            error=f"the cursor is at seq {state.seq} but the case is at "
                            f"version {version}: the cursor file does not match the store",
                        )
                    )
                    continue
                if state.seq == version:
                    continue
                waiting = state.next_attempt is not None and state.next_attempt > now
                if waiting or attempts_left == 0:
                    backlog[sink.name] += version - state.seq
                    if waiting and state.next_attempt is not None:
                        next_retry = _earliest(next_retry, state.next_attempt)
                    continue
                if events is None:
                    events = self._store.load(case_id)
                    version = max(version, len(events))
                for event in events[state.seq :]:
                    if attempts_left == 0:
                        break
                    if attempts_left is not None:
                        attempts_left -= 1
                    try:
                        sink.deliver(event)
                    except Exception as exc:
                        attempts = state.attempts + 1
                        retry_at = now + self._backoff.delay(attempts)
                        state = CursorState(
                            seq=state.seq,
                            attempts=attempts,
                            next_attempt=retry_at,
                            last_error=_error_text(exc),
                        )
                        self._cursors.save(sink.name, case_id, state)
                        failures.append(
                            DeliveryFailure(
                                sink=sink.name,
                                case_id=case_id,
                                seq=event.seq,
                                attempts=attempts,
                                next_attempt=retry_at,
                                error=state.last_error,
                            )
                        )
                        next_retry = _earliest(next_retry, retry_at)
                        break
                    state = CursorState(seq=event.seq)
                    self._cursors.save(sink.name, case_id, state)
                    delivered += 1
                backlog[sink.name] += len(events) - state.seq

        return DrainReport(
            delivered=delivered,
            failures=tuple(failures),
            backlog=backlog,
            next_retry=next_retry,
        )


def _earliest(a: dt.datetime | None, b: dt.datetime) -> dt.datetime:
    return b if a is None or b < a else a
