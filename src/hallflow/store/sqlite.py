"""The embedded default event store: one SQLite file, through the standard library.

Durability and concurrency, in brief (``docs/store.md`` has the long form):

* The database runs in WAL mode: readers never block the writer, nor the writer readers, and
  a process killed mid-write leaves at most an uncommitted tail in the WAL, which SQLite
  discards when the file is next opened.
* ``durability="full"`` (the default): an append returns only once the WAL holding it is
  synced to disk, so an acknowledged case survives a power cut. SQLite commits with
  ``synchronous=NORMAL`` and hallflow syncs the log itself, after the write lock is released,
  sharing each sync among every writer — thread or process — that committed before it began
  (:mod:`hallflow.store._shared`). A committed append is thus visible to readers up to one
  sync before it is durable (as in InnoDB); ``durability="strict"`` closes that window with
  SQLite's ``synchronous=FULL`` (one sync per transaction, inside the lock), and ``"normal"``
  leaves syncing to SQLite's checkpoints (the last appends before a power cut may be lost).
* Each append is one ``BEGIN IMMEDIATE`` transaction: it takes the write lock first, then
  checks the idempotency key and the case version, then writes events, row and key. Two
  writers (threads or processes) therefore never both pass the version check.
* Each thread gets its own connection (made on first use), so threads read in parallel and
  wait for one another only to write; a writer waits up to ``timeout`` seconds for the lock.
  hallflow writers in different processes queue on a ``flock`` beside the database, which
  the kernel hands over at once (SQLite's busy handler sleeps in whole milliseconds).
* Group commit: appends that arrive from several threads while one is being written are
  written together, in one transaction with one sync, by whichever of them reaches the head
  of the queue (the way LevelDB batches writers). Each append is still checked on its own,
  in arrival order, and each caller returns only once its own events are committed; a
  refused append (wrong version, reused key) refuses only that caller. A lone caller's
  append is a batch of one.
* Hash chains (:mod:`hallflow.store.chain`): each event row holds its digest, each case row
  its head (the last digest), and the ``chain`` table one linked entry per append. The part
  of an event's digest that does not depend on the case's head nor on ``recorded_at`` is
  computed before the write lock (:func:`~hallflow.store.base.prepare_append`); inside, an
  append takes the head from the case-row SELECT (or, for a case this store wrote last,
  from what it wrote, checked by a guarded UPDATE), and a transaction takes the newest
  chain entry from the hint the last writer left, checked by its first row write, or reads
  it once for its whole batch.
* The schema version lives in ``PRAGMA user_version``; opening a file written by an older
  hallflow migrates it, in one transaction, one step per version.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Self

from hallflow.errors import (
    CaseNotFoundError,
    ConcurrencyError,
    IdempotencyError,
    SchemaVersionError,
    StoreError,
)
from hallflow.store._shared import GroupCommit, Job, SharedLog
from hallflow.store.base import (
    Append,
    AppendOutcome,
    CaseRow,
    Clock,
    KeyRecord,
    NewEvent,
    PreparedAppend,
    StoredEvent,
    SweepMark,
    SweepRow,
    bound_text,
    check_case_ids,
    check_marks,
    check_parts,
    check_sweep_query,
    decode_instant,
    prepare_append,
    prepare_many,
    query_text,
    read_clock,
    utc_now,
    utc_text,
)
from hallflow.store.chain import (
    ZERO,
    ChainHead,
    Checkpoint,
    VerifyReport,
    chain_link,
    content_digest,
    event_digest,
    is_digest,
)
from hallflow.store.verify import Audit, EventRow, checked_checkpoints

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]


def _backfill_chains(conn: sqlite3.Connection) -> None:
    """Migration 2: chain the events already stored, as if each case were one append.

    Per case (in case id order), the events are digested in seq order from the values they
    hold now; each case then takes one position of the hall chain, with its last seq and
    head. So history written before this migration is vouched for from the migration on:
    what the file held then is what the chains prove, not what was first written.
    """
    link = ZERO
    case_ids = [r[0] for r in conn.execute("SELECT DISTINCT case_id FROM events ORDER BY case_id")]
    for position, case_id in enumerate(case_ids, start=1):
        head = ZERO
        updates: list[tuple[str, str, int]] = []
        seq = 0
        for seq, kind, actor, at_utc, at_tz, payload, recorded_at in conn.execute(
            "SELECT seq, kind, actor, at_utc, at_tz, payload, recorded_at FROM events "
            "WHERE case_id = ? ORDER BY seq",
            (case_id,),
        ).fetchall():
            try:
                content = content_digest(
                    case_id, seq, kind, actor, at_utc, at_tz, 1, json.loads(payload)
                )
                head = event_digest(head, content, recorded_at)
            except (TypeError, ValueError, RecursionError):
                head = ""  # an undecodable event: verify() will name it
            updates.append((head, case_id, seq))
        conn.executemany("UPDATE events SET digest = ? WHERE case_id = ? AND seq = ?", updates)
        conn.execute("UPDATE cases SET head = ? WHERE case_id = ?", (head, case_id))
        version = seq if type(seq) is int else 0  # a damaged seq: verify() will name it
        link = chain_link(link, position, str(case_id), version, head)
        conn.execute(_INSERT_CHAIN, (position, case_id, version, head, link))


_MIGRATIONS: tuple[tuple[str | Callable[[sqlite3.Connection], None], ...], ...] = (
    # 1: events, the case projection, idempotency keys.
    (
        """
        CREATE TABLE events (
            case_id     TEXT    NOT NULL,
            seq         INTEGER NOT NULL CHECK (seq >= 1),
            kind        TEXT    NOT NULL,
            actor       TEXT    NOT NULL,
            at_utc      TEXT    NOT NULL,
            at_tz       TEXT    NOT NULL,
            payload     TEXT    NOT NULL,
            recorded_at TEXT    NOT NULL,
            PRIMARY KEY (case_id, seq)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE cases (
            case_id   TEXT    NOT NULL PRIMARY KEY,
            matter    TEXT    NOT NULL,
            applicant TEXT    NOT NULL,
            "window"  TEXT    NOT NULL,
            state     TEXT    NOT NULL,
            due_utc   TEXT,
            due_tz    TEXT,
            version   INTEGER NOT NULL CHECK (version >= 1)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX cases_matter ON cases (matter)",
        "CREATE INDEX cases_applicant ON cases (applicant)",
        'CREATE INDEX cases_window ON cases ("window")',
        "CREATE INDEX cases_state ON cases (state)",
        "CREATE INDEX cases_due ON cases (due_utc) WHERE due_utc IS NOT NULL",
        """
        CREATE TABLE idempotency (
            case_id      TEXT    NOT NULL,
            key          TEXT    NOT NULL,
            request_hash TEXT    NOT NULL,
            version      INTEGER NOT NULL,
            PRIMARY KEY (case_id, key)
        ) WITHOUT ROWID
        """,
    ),
    # 2: payload schema versions, hash chains (per case and over the hall), backfilled.
    (
        "ALTER TABLE events ADD COLUMN schema INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE events ADD COLUMN digest TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE cases ADD COLUMN head TEXT NOT NULL DEFAULT ''",
        """
        CREATE TABLE chain (
            position INTEGER PRIMARY KEY,
            case_id  TEXT    NOT NULL,
            version  INTEGER NOT NULL,
            head     TEXT    NOT NULL,
            link     TEXT    NOT NULL
        )
        """,
        _backfill_chains,
    ),
    # 3: what the supervision sweep reads and acknowledges, on the case row. Rows written
    # before are NULL ("not computed"): the sweep computes them from the events the first
    # time it meets them (hallflow.supervision.sweep), the store cannot.
    (
        "ALTER TABLE cases ADD COLUMN clocks BLOB",
        "ALTER TABLE cases ADD COLUMN swept BLOB",
    ),
)

SCHEMA_VERSION = len(_MIGRATIONS)
"""The schema version this hallflow writes (``PRAGMA user_version``)."""

_ROW_UPDATABLE = (
    "matter",
    "applicant",
    '"window"',
    "state",
    "due_utc",
    "due_tz",
    "clocks",
    "swept",
)
"""The row's columns besides its key and version."""

DURABILITIES = ("full", "strict", "normal")
"""The ``durability`` settings of :class:`SQLiteStore`."""

_ROW_COLUMNS = ", ".join(("case_id", *_ROW_UPDATABLE, "version"))
_INSERT_ROW = f"INSERT INTO cases ({_ROW_COLUMNS}, head) VALUES ({', '.join('?' * 11)})"
_INSERT_EVENTS = (
    "INSERT INTO events (case_id, seq, kind, actor, at_utc, at_tz, schema, payload, "
    "recorded_at, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_CHAIN = "INSERT INTO chain (position, case_id, version, head, link) VALUES (?, ?, ?, ?, ?)"
_NEWEST_LINK = "SELECT position, link FROM chain ORDER BY position DESC LIMIT 1"
_OPEN_CLOCKS = (
    "SELECT case_id, matter, version, clocks, swept FROM cases "
    "WHERE case_id > ? AND (clocks IS NULL OR length(clocks) > 0) ORDER BY case_id LIMIT ?"
)
_OPEN_CLOCKS_UNTIL = (
    "SELECT case_id, matter, version, clocks, swept FROM cases WHERE case_id > ? AND "
    "case_id <= ? AND (clocks IS NULL OR length(clocks) > 0) ORDER BY case_id LIMIT ?"
)
_CHAIN_IS = f" AND ({_NEWEST_LINK}) = (?, ?)"
"""Appended to a transaction's first row write: it applies only if the chain's newest entry
is the one hinted (the two parameters)."""
_INSERT_ROW_CHAINED = (
    f"INSERT INTO cases ({_ROW_COLUMNS}, head) SELECT {', '.join('?' * 11)} WHERE 1{_CHAIN_IS}"
)
_FORKS = [0]
"""How many times this process's ancestry forked since hallflow was imported (children count)."""


def _forked() -> None:
    _FORKS[0] += 1


_NO_FORK_HOOK = not hasattr(os, "register_at_fork")
if not _NO_FORK_HOOK:  # a store then checks a counter per call, not getpid() (a system call)
    os.register_at_fork(after_in_child=_forked)

_WRITTEN_CACHE = 4096
"""How many cases' last written rows a store remembers (to update them without reading)."""

_LOAD_MANY = 500
"""Cases read per query by :meth:`SQLiteStore.load_many` (SQLite allows 32,766 parameters)."""


def _stored(
    case_id: str,
    seq: int,
    kind: str,
    actor: str,
    at_utc: str,
    at_tz: str,
    payload: str,
    recorded_at: str,
    schema: int,
    digest: str,
) -> StoredEvent:
    """An event as read from the ``events`` table."""
    return StoredEvent(
        case_id=case_id,
        seq=seq,
        kind=kind,
        actor=actor,
        at=decode_instant(at_utc, at_tz),
        payload=json.loads(payload),
        recorded_at=dt.datetime.fromisoformat(recorded_at).replace(tzinfo=dt.UTC),
        schema=schema,
        digest=digest,
    )


class _Tail:
    """The newest entry of the hall chain, as a transaction extends it, and its new rows."""

    __slots__ = ("checked", "link", "position", "rows")

    def __init__(self, position: int, link: str, *, checked: bool = True) -> None:
        self.position = position
        self.link = link
        self.checked = checked  # read from the file, or confirmed by a guarded write
        self.rows: list[tuple[int, str, int, str, str]] = []

    def entry(self) -> tuple[int, str]:
        """The newest entry: its position and link."""
        return self.position, self.link

    def extend(self, case_id: str, version: int, head: str) -> None:
        """Link an append (its case's version and head after it) after the newest entry."""
        position = self.position + 1
        link = chain_link(self.link, position, case_id, version, head)
        self.rows.append((position, case_id, version, head, link))
        self.position, self.link = position, link


class SQLiteStore:
    """An :class:`~hallflow.store.base.EventStore` in one SQLite file (WAL mode).

    Safe to share between threads (each gets its own connection) and to open from several
    processes at once. Open the store after forking, not before: a store refuses calls from a
    process other than the one that opened it.

    Args:
        path: the database file; created, with its schema, if absent.
        timeout: how long, in seconds, a call waits for another writer's lock before failing
            with :class:`~hallflow.errors.StoreError`.
        clock: returns the current aware instant, for ``recorded_at`` (default: UTC now).
        durability: ``"full"`` (default): an append returns only after the log holding it
            is synced, so an acknowledged case survives a power cut; syncs are shared
            between concurrent writers, and another reader may see an append up to one
            sync before it is on disk. ``"strict"``: the same, and no reader sees an append
            before it is on disk (SQLite's ``synchronous=FULL``: one sync per
            transaction). ``"normal"``: syncs only at checkpoints — still safe against a
            killed process and never corrupt, but the last appends before a power cut or
            OS crash may roll back. Choose ``"normal"`` only where that is acceptable.
        cache_mib: the page cache of each connection, in MiB (SQLite's default, 2 MiB, when
            None). A process that reads and writes all over a large file — the bulk
            supervision sweep — runs much faster with more (each thread's connection has
            its own cache).

    Raises:
        StoreError: the file cannot be opened as a hallflow store.
        SchemaVersionError: the file was written by a newer hallflow.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        clock: Clock | None = None,
        durability: str = "full",
        cache_mib: int | None = None,
    ) -> None:
        self._path = os.fspath(path)
        if cache_mib is not None and (type(cache_mib) is not int or not 1 <= cache_mib <= 65536):
            raise StoreError(f"cache_mib={cache_mib!r} must be None or an int in 1..65536")
        self._cache_kib = None if cache_mib is None else cache_mib * 1024
        if self._path == ":memory:" or self._path == "" or self._path.startswith("file:"):
            raise StoreError(
                f"SQLiteStore needs a file path, not {self._path!r} (each thread would get "
                f"its own private database); use MemoryStore for an in-memory store"
            )
        if durability not in DURABILITIES:
            raise StoreError(
                f"durability={durability!r} must be one of {', '.join(map(repr, DURABILITIES))}"
            )
        self._durability = durability
        self._shared = SharedLog.open(self._path)
        # "full" with a shared log: SQLite commits without syncing, hallflow syncs (shared).
        self._shared_sync = durability == "full" and self._shared is not None
        self._synchronous = (
            "FULL"
            if durability == "strict" or (durability == "full" and not self._shared_sync)
            else "NORMAL"
        )
        self._timeout = timeout
        self._clock = clock or utc_now
        self._pid = os.getpid()
        self._fork = _FORKS[0]
        self._local = threading.local()
        self._registry_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        # What this store last wrote of each case: its version, head and row columns, which
        # the guarded UPDATE checks against the file (never trusted); without a shared log,
        # the chain's newest entry after its last commit (a hint, checked the same way).
        self._written: dict[str, tuple[int, str, tuple[str | bytes | None, ...]]] = {}
        self._tail_hint: tuple[int, str] | None = None
        try:
            if self._shared is not None:  # one process at a time sets WAL mode and migrates
                self._shared.lock()
            try:
                first = self._connection()
            finally:
                if self._shared is not None:
                    self._shared.unlock()
        except BaseException:
            if self._shared is not None:
                self._shared.close()
            raise
        if self._shared_sync:
            assert self._shared is not None
            if not self._shared.attach_log(self._path + "-wal"):  # fall back to SQLite's sync
                self._shared_sync = False
                self._synchronous = "FULL"
                with self._guard():
                    first.execute("PRAGMA synchronous = FULL")
        self._group: GroupCommit[PreparedAppend] = GroupCommit(
            self._shared,
            lambda batch: self._write_batch(self._connection(), batch),
            share_syncs=self._shared_sync,
            interrupted=lambda: StoreError(
                f"SQLite store {self._path!r}: the write was interrupted"
            ),
            sync_failed=lambda job, exc: StoreError(
                f"SQLite store {self._path!r}: case {job.request.case_id} was committed but "
                f"syncing the log failed ({exc}); it may not survive a power cut"
            ),
        )

    @property
    def durability(self) -> str:
        """``"full"``, ``"strict"`` or ``"normal"`` (see the class)."""
        return self._durability

    @property
    def path(self) -> str:
        """The database file."""
        return self._path

    def append(
        self,
        case_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        row: CaseRow,
        *,
        idempotency_key: str | None = None,
        request_digest: str | None = None,
    ) -> int:
        """Append events to a case and replace its row, atomically and durably.

        The append is committed in a ``BEGIN IMMEDIATE`` transaction, possibly together with
        appends that other threads made at the same moment (group commit; each is checked on
        its own). It returns once its events are committed. See
        :meth:`hallflow.store.base.EventStore.append`.
        """
        request = prepare_append(
            case_id, expected_version, events, row, idempotency_key, request_digest
        )
        self._connection()  # refuses a closed store, or another process, before queueing
        version = self._group.run(request)
        assert isinstance(version, int)
        return version

    def append_many(self, appends: Sequence[Append]) -> list[AppendOutcome]:
        """Several appends committed together; see :meth:`EventStore.append_many`.

        They join the group commit as one run (up to ``GroupCommit.MAX_BATCH`` appends per
        transaction), so a thousand appends cost a few transactions, not a thousand.
        """
        requests = prepare_many(appends)
        if not requests:
            return []
        self._connection()
        outcomes = self._group.run_many(requests)
        out: list[AppendOutcome] = []
        for outcome in outcomes:
            if isinstance(outcome, (ConcurrencyError, IdempotencyError)):
                out.append(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                assert isinstance(outcome, int)
                out.append(outcome)
        return out

    def _write_batch(self, conn: sqlite3.Connection, batch: list[Job[PreparedAppend]]) -> None:
        """Commit ``batch`` in one transaction and set each append's outcome.

        A refused append (version, key) writes nothing and leaves the others to commit. If
        SQLite itself fails, the transaction rolls back and, for a batch of several, each
        append is retried in a transaction of its own, so that an error reaches only the
        append that caused it.
        """
        recorded_at = utc_text(read_clock(self._clock))
        try:
            outcomes = self._transaction(conn, batch, recorded_at)
        except StoreError as exc:
            if len(batch) == 1:
                batch[0].outcome = exc
                return
            for pending in batch:
                try:
                    pending.outcome = self._transaction(conn, [pending], recorded_at)[0]
                except StoreError as alone:
                    pending.outcome = alone
            return
        for pending, outcome in zip(batch, outcomes, strict=True):
            pending.outcome = outcome

    def _transaction(
        self, conn: sqlite3.Connection, batch: list[Job[PreparedAppend]], recorded_at: str
    ) -> list[int | ConcurrencyError | IdempotencyError]:
        """Apply ``batch`` in one ``BEGIN IMMEDIATE`` transaction and commit it.

        What :meth:`_write` and :meth:`_guard` do, spelled out on the hot path. The hall
        chain is extended after the newest entry the last writer left as a hint
        (:meth:`~hallflow.store._shared.SharedLog.tail`), which the first row write checks
        (:data:`_CHAIN_IS`); without a hint, or when it was stale, the entry is read.

        Raises:
            StoreError: SQLite failed; the transaction was rolled back.
        """
        shared = self._shared
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                hint = shared.tail() if shared is not None else self._tail_hint
                tail = _newest(conn) if hint is None else _Tail(*hint, checked=False)
                outcomes = [
                    self._apply(conn, pending.request, recorded_at, tail) for pending in batch
                ]
                if len(tail.rows) == 1:  # a lone append: execute is the cheaper call
                    conn.execute(_INSERT_CHAIN, tail.rows[0])
                elif tail.rows:
                    conn.executemany(_INSERT_CHAIN, tail.rows)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self._path!r}: {exc}") from exc
        if tail.rows:  # committed: leave the newest entry for the next writer (a hint)
            if shared is not None:
                shared.set_tail(tail.position, tail.link)
            else:
                self._tail_hint = (tail.position, tail.link)
        return outcomes

    def _apply(
        self, conn: sqlite3.Connection, request: PreparedAppend, recorded_at: str, tail: _Tail
    ) -> int | ConcurrencyError | IdempotencyError:
        """Check and write one append inside the open transaction.

        Links its events into the case's chain and the append into the hall chain after
        ``tail``, which it extends (the transaction writes the hall chain's new rows, all at
        once, before it commits). Returns the new version, or the refusal; a refused append
        has written nothing.

        The version check costs no read when it can be made by the write itself: a new case
        is inserted (the key refuses an existing one), and a case this store wrote last is
        updated only where its row is still exactly as written (version, head and every
        column; :func:`_guarded_update`). Otherwise the row is read, as the reference path.
        """
        case_id = request.case_id
        key = request.idempotency_key
        if key is not None:
            seen = conn.execute(
                "SELECT request_hash, version FROM idempotency WHERE case_id = ? AND key = ?",
                (case_id, key),
            ).fetchone()
            if seen is not None:
                if seen[0] != request.request_hash:
                    return IdempotencyError(case_id, key)
                return int(seen[1])
        expected_version = request.expected_version
        new_version = request.new_version
        r = request.row
        new = (
            r.matter,
            r.applicant,
            r.window,
            r.state,
            request.due_utc,
            request.due_tz,
            r.clocks,
            r.swept,
        )
        written = False
        chained = () if tail.checked else (tail.position, tail.link)
        if expected_version == 0:
            head, rows = _event_rows(request, ZERO, recorded_at)
            try:
                written = (
                    conn.execute(
                        _INSERT_ROW_CHAINED if chained else _INSERT_ROW,
                        (case_id, *new, new_version, head, *chained),
                    ).rowcount
                    == 1
                )
            except sqlite3.IntegrityError:
                found = conn.execute(
                    "SELECT version FROM cases WHERE case_id = ?", (case_id,)
                ).fetchone()
                if found is None:
                    raise
                return ConcurrencyError(case_id, expected_version, int(found[0]))
        else:
            last = self._written.get(case_id)
            if last is not None and last[0] == expected_version:
                head, rows = _event_rows(request, last[1], recorded_at)
                old = last[2]
                changed = tuple(n for n in range(len(new)) if new[n] != old[n])
                written = (
                    conn.execute(
                        _guarded_update(changed, bool(chained)),
                        (
                            new_version,
                            head,
                            *(new[n] for n in changed),
                            case_id,
                            expected_version,
                            last[1],
                            *old,
                            *chained,
                        ),
                    ).rowcount
                    == 1
                )
        if written:
            tail.checked = True
        else:  # the reference path: read the row (and the chain's newest entry), check, write
            if not tail.checked:  # no write checked the hint: read the entry (nothing linked yet)
                tail.position, tail.link = _newest(conn).entry()
                tail.checked = True
            found = conn.execute(
                'SELECT version, matter, applicant, "window", state, due_utc, due_tz, clocks, '
                "swept, head FROM cases WHERE case_id = ?",
                (case_id,),
            ).fetchone()
            actual = 0 if found is None else int(found[0])
            if actual != expected_version:
                return ConcurrencyError(case_id, expected_version, actual)
            head, rows = _event_rows(
                request, ZERO if found is None else _text_or_empty(found[9]), recorded_at
            )
            if found is None:
                conn.execute(_INSERT_ROW, (case_id, *new, new_version, head))
            else:
                changed = tuple(n for n in range(len(new)) if new[n] != found[n + 1])
                conn.execute(
                    _update_statement(changed),
                    (new_version, head, *(new[n] for n in changed), case_id),
                )
        conn.executemany(_INSERT_EVENTS, rows)
        tail.extend(case_id, new_version, head)
        if key is not None:
            conn.execute(
                "INSERT INTO idempotency (case_id, key, request_hash, version) VALUES (?, ?, ?, ?)",
                (case_id, key, request.request_hash, new_version),
            )
        remembered = self._written
        remembered.pop(case_id, None)
        remembered[case_id] = (new_version, head, new)
        if len(remembered) > _WRITTEN_CACHE:
            del remembered[next(iter(remembered))]
        return new_version

    def load(self, case_id: str) -> list[StoredEvent]:
        """Return a case's events in order; see :meth:`hallflow.store.base.EventStore.load`."""
        query_text("case_id", case_id)
        conn = self._connection()
        with self._guard():
            rows = conn.execute(
                "SELECT seq, kind, actor, at_utc, at_tz, payload, recorded_at, schema, digest "
                "FROM events WHERE case_id = ? ORDER BY seq",
                (case_id,),
            ).fetchall()
        if not rows:
            raise CaseNotFoundError(case_id)
        return [_stored(case_id, *row) for row in rows]

    def load_many(self, case_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """Several cases' events; see :meth:`hallflow.store.base.EventStore.load_many`.

        Read with one query per :data:`_LOAD_MANY` cases.
        """
        wanted = check_case_ids(case_ids)
        conn = self._connection()
        out: dict[str, list[StoredEvent]] = {}
        for start in range(0, len(wanted), _LOAD_MANY):
            part = wanted[start : start + _LOAD_MANY]
            with self._guard():
                rows = conn.execute(
                    "SELECT case_id, seq, kind, actor, at_utc, at_tz, payload, recorded_at, "
                    "schema, digest FROM events WHERE case_id IN "
                    f"({','.join('?' * len(part))}) ORDER BY case_id, seq",
                    part,
                ).fetchall()
            for row in rows:
                out.setdefault(row[0], []).append(_stored(*row))
        return out

    def key_version(self, case_id: str, key: str) -> int | None:
        """See :meth:`hallflow.store.base.EventStore.key_version`."""
        query_text("case_id", case_id)
        query_text("key", key)
        conn = self._connection()
        with self._guard():
            found = conn.execute(
                "SELECT version FROM idempotency WHERE case_id = ? AND key = ?", (case_id, key)
            ).fetchone()
        return None if found is None else int(found[0])

    def idempotency(self, case_id: str, key: str) -> KeyRecord | None:
        """See :meth:`hallflow.store.base.EventStore.idempotency`."""
        query_text("case_id", case_id)
        query_text("key", key)
        conn = self._connection()
        with self._guard():
            found = conn.execute(
                "SELECT request_hash, version FROM idempotency WHERE case_id = ? AND key = ?",
                (case_id, key),
            ).fetchone()
        return None if found is None else KeyRecord(digest=found[0], version=int(found[1]))

    def head(self) -> ChainHead:
        """See :meth:`hallflow.store.base.EventStore.head`.

        Raises:
            StoreError: the store is closed, or its newest chain entry is not a valid one
                (:meth:`verify` says more).
        """
        conn = self._connection()
        with self._guard():
            newest = conn.execute(_NEWEST_LINK).fetchone()
        if newest is None:
            return ChainHead(0, ZERO)
        position, link = newest
        if not is_digest(link):
            raise StoreError(
                f"SQLite store {self._path!r}: the hall chain's newest link (position "
                f"{position}) is {link!r}, not a digest; run verify()"
            )
        return ChainHead(int(position), link)

    def verify(self, *, checkpoints: Sequence[Checkpoint] = ()) -> VerifyReport:
        """Recompute the chains; see :meth:`hallflow.store.base.EventStore.verify`.

        Reads one snapshot of the file (other writers go on meanwhile), streaming: memory
        does not grow with the number of events. Text that is not UTF-8, a number where
        text belongs and the like are reported as breaks.
        """
        checkpoints = checked_checkpoints(checkpoints)
        conn = self._connection()
        audit = Audit()
        with self._guard():
            conn.text_factory = _lenient_text
            try:
                conn.execute("BEGIN")
                try:
                    _audit(conn, audit, checkpoints)
                finally:
                    conn.execute("ROLLBACK")  # it only read
            finally:
                conn.text_factory = str
        return audit.report()

    def version(self, case_id: str) -> int:
        """Return a case's version, 0 if absent."""
        query_text("case_id", case_id)
        conn = self._connection()
        try:  # what _guard does, without a context manager: the Hall asks before each command
            found = conn.execute(
                "SELECT version FROM cases WHERE case_id = ?", (case_id,)
            ).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self._path!r}: {exc}") from exc
        return 0 if found is None else int(found[0])

    def row(self, case_id: str) -> CaseRow:
        """Return a case's row; see :meth:`hallflow.store.base.EventStore.row`."""
        query_text("case_id", case_id)
        conn = self._connection()
        with self._guard():
            found = conn.execute(
                f"SELECT {_ROW_COLUMNS} FROM cases WHERE case_id = ?", (case_id,)
            ).fetchone()
        if found is None:
            raise CaseNotFoundError(case_id)
        return _case_row(found)

    def find(
        self,
        *,
        matter: str | None = None,
        applicant: str | None = None,
        window: str | None = None,
        state: str | None = None,
        due_from: dt.datetime | None = None,
        due_to: dt.datetime | None = None,
    ) -> list[CaseRow]:
        """Return the matching rows; see :meth:`hallflow.store.base.EventStore.find`."""
        for name, value in (
            ("matter", matter),
            ("applicant", applicant),
            ("window", window),
            ("state", state),
        ):
            query_text(name, value, optional=True)
        where: list[str] = []
        params: list[str] = []
        for column, value in (
            ("matter", matter),
            ("applicant", applicant),
            ('"window"', window),
            ("state", state),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        low = bound_text("due_from", due_from)
        high = bound_text("due_to", due_to)
        if low is not None:
            where.append("due_utc >= ?")
            params.append(low)
        if high is not None:
            where.append("due_utc < ?")
            params.append(high)
        sql = f"SELECT {_ROW_COLUMNS} FROM cases"
        if where:
            sql += " WHERE " + " AND ".join(where)
        conn = self._connection()
        with self._guard():
            rows = conn.execute(sql + " ORDER BY case_id", params).fetchall()
        return [_case_row(r) for r in rows]

    def case_ids(self) -> list[str]:
        """Return every case id, sorted."""
        conn = self._connection()
        with self._guard():
            rows = conn.execute("SELECT case_id FROM cases ORDER BY case_id").fetchall()
        return [r[0] for r in rows]

    def open_clocks(
        self, after: str | None = None, limit: int = 10_000, until: str | None = None
    ) -> list[SweepRow]:
        """The next rows a sweep reads; see :meth:`hallflow.store.base.EventStore.open_clocks`.

        A keyset read in case-id order (the primary key): one short read transaction per
        call, so writers go on between chunks.
        """
        check_sweep_query(after, limit, until)
        conn = self._connection()
        with self._guard():
            if until is None:
                return conn.execute(_OPEN_CLOCKS, (after or "", limit)).fetchall()
            return conn.execute(_OPEN_CLOCKS_UNTIL, (after or "", until, limit)).fetchall()

    def split_cases(self, parts: int) -> list[str]:
        """See :meth:`hallflow.store.base.EventStore.split_cases`.

        One read transaction: the count (from the smallest index), then each cut found by
        stepping on from the one before along the primary key, so the table's keys are
        walked once in all.
        """
        check_parts(parts)
        conn = self._connection()
        cuts: list[str] = []
        with self._guard():
            conn.execute("BEGIN")
            try:
                (count,) = conn.execute("SELECT count(*) FROM cases").fetchone()
                done = 0  # ids up to and including the last cut
                for i in range(1, parts):
                    at = i * count // parts
                    if at <= done:
                        continue
                    (found,) = conn.execute(
                        "SELECT case_id FROM cases WHERE case_id > ? ORDER BY case_id "
                        "LIMIT 1 OFFSET ?",
                        (cuts[-1] if cuts else "", at - done - 1),
                    ).fetchone()
                    cuts.append(found)
                    done = at
            finally:
                conn.execute("ROLLBACK")  # it only read
        return cuts

    def put_swept(self, marks: Sequence[SweepMark]) -> int:
        """Record what a sweep acknowledged (:meth:`hallflow.store.base.EventStore.put_swept`).

        One transaction for all the marks, each applied only if its case is still at the
        version given.
        """
        rows = check_marks(marks)
        if not rows:
            return 0
        conn = self._connection()
        with self._guard(), self._write(conn):
            before = conn.total_changes
            conn.executemany(
                "UPDATE cases SET swept = ?4, clocks = COALESCE(?3, clocks) "
                "WHERE case_id = ?1 AND version = ?2",
                rows,
            )
            return conn.total_changes - before

    def close(self) -> None:
        """Close every thread's connection; later calls raise StoreError.

        Call it when no other thread is inside a store call.
        """
        with self._registry_lock:
            self._closed = True
            connections, self._connections = self._connections, []
            shared, self._shared = self._shared, None
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        if shared is not None:
            shared.close()

    def __enter__(self) -> Self:
        """Return the store."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()

    # --- connections and transactions ----------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"the store {self._path!r} is closed")
        if self._fork != _FORKS[0] or (_NO_FORK_HOOK and os.getpid() != self._pid):
            raise StoreError(
                f"the store {self._path!r} was opened in process {self._pid}; open a new "
                f"SQLiteStore in each process (after fork, not before)"
            )
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self._guard():
                conn = self._open()
            with self._registry_lock:
                if self._closed:
                    conn.close()
                    raise StoreError(f"the store {self._path!r} is closed")
                self._connections.append(conn)
            self._local.conn = conn
        return conn

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; every write opens its own with
        # BEGIN IMMEDIATE. check_same_thread=False only so that close() may close the
        # connections of other threads; each connection is otherwise used by one thread.
        conn = sqlite3.connect(
            self._path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(
                    f"{self._path!r}: SQLite refused WAL mode (journal_mode={mode}); "
                    f"a hallflow store needs a file system that supports it"
                )
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            if self._cache_kib is not None:
                conn.execute(f"PRAGMA cache_size = -{self._cache_kib}")
            _migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite's own errors into StoreError, naming the file."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self._path!r}: {exc}") from exc

    @staticmethod
    @contextlib.contextmanager
    def _write(conn: sqlite3.Connection) -> Iterator[None]:
        """Run the body in a BEGIN IMMEDIATE transaction: commit on return, roll back on raise."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


@functools.cache
def _update_statement(changed: tuple[int, ...]) -> str:
    """The row ``UPDATE`` assigning the version and the columns numbered ``changed``.

    Only the columns that change: SQLite rewrites the index entries of every column an
    UPDATE assigns, changed or not, and each is a page to sync.
    """
    assignments = "".join(f", {_ROW_UPDATABLE[n]} = ?" for n in changed)
    return f"UPDATE cases SET version = ?, head = ?{assignments} WHERE case_id = ?"


@functools.cache
def _guarded_update(changed: tuple[int, ...], chained: bool) -> str:
    """:func:`_update_statement`, applied only to a row exactly as this store last wrote it.

    Its parameters end with the case id, then the row's expected version, head and every
    column: the UPDATE changes one row only if the stored row is the one remembered, so
    that a remembered row stands for the read the reference path makes. ``chained``: two
    more, the hall chain's hinted newest entry, which must be the file's (:data:`_CHAIN_IS`).
    """
    columns = "".join(f" AND {column} IS ?" for column in _ROW_UPDATABLE)
    chain = _CHAIN_IS if chained else ""
    return f"{_update_statement(changed)} AND version = ? AND head = ?{columns}{chain}"


def _event_rows(
    request: PreparedAppend, head: str, recorded_at: str
) -> tuple[str, list[tuple[Any, ...]]]:
    """The event rows of ``request`` linked after ``head``, and the case's new head."""
    case_id = request.case_id
    rows = []
    seq = request.expected_version
    for e in request.events:
        seq += 1
        head = event_digest(head, e.content, recorded_at)
        rows.append(
            (
                case_id,
                seq,
                e.kind,
                e.actor,
                e.at_utc,
                e.at_tz,
                e.schema,
                e.payload_json,
                recorded_at,
                head,
            )
        )
    return head, rows


def _newest(conn: sqlite3.Connection) -> _Tail:
    """The hall chain's newest entry, read from the file."""
    newest = conn.execute(_NEWEST_LINK).fetchone()
    return _Tail(0, ZERO) if newest is None else _Tail(newest[0], _text_or_empty(newest[1]))


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION`, in one transaction."""
    if _user_version(conn) == SCHEMA_VERSION:
        return
    with SQLiteStore._write(conn):
        found = _user_version(conn)  # again, under the write lock: another may have migrated
        if found > SCHEMA_VERSION:
            raise SchemaVersionError(found, SCHEMA_VERSION)
        for step in _MIGRATIONS[found:]:
            for statement in step:
                if isinstance(statement, str):
                    conn.execute(statement)
                else:
                    statement(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _case_row(r: Any) -> CaseRow:
    case_id, matter, applicant, window, state, due_utc, due_tz, clocks, swept, version = r
    return CaseRow(
        case_id=case_id,
        matter=matter,
        applicant=applicant,
        window=window,
        state=state,
        due=None if due_utc is None else decode_instant(due_utc, due_tz),
        version=version,
        clocks=clocks,
        swept=swept,
    )


def _text_or_empty(value: object) -> str:
    """A stored digest to build on: itself if text (verify() judges it), else empty."""
    return value if isinstance(value, str) else ""


class _Undecoded(bytes):
    """Stored text that is not valid UTF-8, as its bytes (what verify() reads it as)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<text that is not UTF-8: {bytes(self)!r}>"


def _lenient_text(raw: bytes) -> object:
    """Decode a TEXT value for verify(): as str, or as :class:`_Undecoded`, never failing."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return _Undecoded(raw)


_NEWEST_PER_CASE = "SELECT case_id, MAX(position) AS position, version FROM chain GROUP BY case_id"
"""Each case's newest hall-chain entry (SQLite takes ``version`` from the row of the max)."""


def _audit(conn: sqlite3.Connection, audit: Audit, checkpoints: Sequence[Checkpoint]) -> None:
    """Feed the file's history to ``audit``, in one read transaction, streaming."""
    rows = conn.execute(
        "SELECT e.case_id, e.seq, e.kind, e.actor, e.at_utc, e.at_tz, e.schema, e.payload, "
        "e.recorded_at, e.digest, c.case_id IS NOT NULL, c.version, c.head, n.position, "
        f"n.version FROM events AS e LEFT JOIN cases AS c ON c.case_id = e.case_id "
        f"LEFT JOIN ({_NEWEST_PER_CASE}) AS n ON n.case_id = e.case_id "
        "ORDER BY e.case_id, e.seq"
    )
    group: list[EventRow] = []
    context: tuple[Any, ...] = ()
    for r in rows:
        if group and r[0] != group[0][0]:
            _audit_case(audit, group, context)
            group = []
        if not group:
            context = r[10:]
        group.append(r[:10])
    if group:
        _audit_case(audit, group, context)
    for case_id, version in conn.execute(
        "SELECT case_id, version FROM cases AS c "
        "WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.case_id = c.case_id) "
        "ORDER BY case_id"
    ):
        audit.orphan_row(case_id, version)
    for case_id, position in conn.execute(
        f"SELECT n.case_id, n.position FROM ({_NEWEST_PER_CASE}) AS n "
        "WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.case_id = n.case_id) "
        "ORDER BY n.position"
    ):
        audit.orphan_entry(case_id, position)
    audit.chain(
        conn.execute(
            "SELECT c.position, c.case_id, c.version, c.head, c.link, e.digest "
            "FROM chain AS c LEFT JOIN events AS e ON e.case_id = c.case_id "
            "AND e.seq = c.version ORDER BY c.position"
        )
    )
    newest = conn.execute(_NEWEST_LINK).fetchone()
    for checkpoint in checkpoints:
        found = conn.execute(
            "SELECT link FROM chain WHERE position = ?", (checkpoint.position,)
        ).fetchone()
        audit.checkpoint(
            checkpoint, None if found is None else found[0], 0 if newest is None else newest[0]
        )


def _audit_case(audit: Audit, events: list[EventRow], context: tuple[Any, ...]) -> None:
    has_row, version, head, position, chained = context
    audit.case(
        events[0][0],
        events,
        (version, head) if has_row else None,
        None if position is None else (position, chained),
    )
