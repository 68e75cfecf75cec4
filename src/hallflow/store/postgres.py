"""The event store for several application servers: PostgreSQL, through psycopg 3.

Same contract as :class:`~hallflow.store.sqlite.SQLiteStore`, value for value and digest for
digest (``docs/postgres.md`` has the long form):

* **One writer at a time, in commit order.** Every writing transaction first takes a
  transaction-scoped advisory lock (``pg_advisory_xact_lock``) on the store's hall chain,
  then — in the next statement, so under ``READ COMMITTED`` with a snapshot taken after the
  lock was granted — reads the chain's newest entry, checks and writes its appends, links
  them after that entry, and commits. The lock is released only by the commit (or the
  rollback), so the next writer reads the entry this one committed: positions are gap-free
  and run in commit order, across threads, processes and machines. It is SQLite's
  ``BEGIN IMMEDIATE`` spelled in PostgreSQL.
* **Checks under the lock.** The idempotency key and the case's version and head are read
  in one query inside the locked transaction, so two writers never both pass a check;
  events, row, key and chain entries are written in the same transaction.
* **Group commit.** Appends that threads of one process make while another append is being
  written are committed together in one transaction (:class:`~hallflow.store._shared.
  GroupCommit`, the SQLite store's), each checked on its own; a refused append refuses only
  its caller. Statements go through psycopg's pipeline mode, so a transaction costs a few
  round trips however many appends it carries, and psycopg prepares the repeated ones.
* **Schema migrations** are SQL files (``hallflow/store/migrations/postgres``) applied on
  open, in one transaction holding another advisory lock, and recorded in
  ``schema_version``: ten processes opening a fresh database at once migrate it once.
* Instants are stored as SQLite stores them (UTC text plus zone, :func:`~hallflow.store.base.
  encode_instant`), so events load back identical and the chains give the same digests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from importlib import resources
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg import IsolationLevel
from psycopg_pool import ConnectionPool

from hallflow.errors import (
    CaseNotFoundError,
    ConcurrencyError,
    IdempotencyError,
    SchemaVersionError,
    StoreArgumentError,
    StoreError,
)
from hallflow.store._shared import GroupCommit, Job
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
    event_digest,
    is_digest,
)
from hallflow.store.verify import Audit, EventRow, checked_checkpoints

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresStore", "hall_lock_key", "migrations"]

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """The schema migrations shipped with hallflow, in order: ``(version, name, sql)``.

    Read from the package data ``hallflow/store/migrations/postgres/NNNN_name.sql``; the
    versions run 1, 2, 3... without gaps.
    """
    folder = resources.files("hallflow.store").joinpath("migrations", "postgres")
    found: list[tuple[int, str, str]] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match is not None:
            found.append((int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort()
    if [version for version, _, _ in found] != list(range(1, len(found) + 1)):
        raise StoreError(f"hallflow's PostgreSQL migrations are not numbered 1..n: {found}")
    return found


MIGRATIONS = tuple(migrations())
"""The migrations :class:`PostgresStore` applies, ``(version, file name, sql)``."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this hallflow writes (the newest row of ``schema_version``)."""

_ROW_COLUMNS = (
    'case_id, matter, applicant, "window", state, due_utc, due_tz, clocks, swept, version'
)
_EVENT_COLUMNS = 'seq, kind, actor, at_utc, at_tz, payload, recorded_at, "schema", digest'
_FORKS = [0]


def _forked() -> None:
    _FORKS[0] += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)


def _lock_key(purpose: str, schema: str) -> int:
    """A 64-bit advisory-lock key for ``purpose`` in ``schema`` (stable across processes)."""
    digest = hashlib.sha256(f"hallflow:{purpose}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def hall_lock_key(schema: str) -> int:
    """The advisory-lock key every writer of the store in ``schema`` takes first.

    ``pg_advisory_xact_lock`` on it makes writers of one hall take turns (``docs/postgres.md``);
    a tool that writes the store's tables directly (:mod:`hallflow.store.copy`) takes it too.
    """
    return _lock_key("chain", schema)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _before_nul(bound: str) -> str:
    """A keyset bound without its NUL and what follows it.

    No stored id holds NUL, and for one that does not, ``id > p + NUL + rest`` exactly when
    ``id > p``, and ``id <= p + NUL + rest`` exactly when ``id <= p``.
    """
    return bound[: bound.index("\x00")] if _has_nul(bound) else bound


def _has_nul(*values: object) -> bool:
    return any(isinstance(v, str) and "\x00" in v for v in values)


class _Tail:
    """The newest entry of the hall chain, as a transaction extends it, and its new rows."""

    __slots__ = ("link", "position", "rows")

    def __init__(self, position: int, link: str) -> None:
        self.position = position
        self.link = link
        self.rows: list[tuple[int, str, int, str, str]] = []

    def extend(self, case_id: str, version: int, head: str) -> None:
        """Link an append (its case's version and head after it) after the newest entry."""
        position = self.position + 1
        link = chain_link(self.link, position, case_id, version, head)
        self.rows.append((position, case_id, version, head, link))
        self.position, self.link = position, link


def _b(text: str) -> bytes:
    return text.encode("utf-8")


class _Queries:
    """Every statement of one store, with its schema spelled in (built once per store)."""

    def __init__(self, schema: str) -> None:
        s = _quote(schema)
        self.lock = b"SELECT pg_advisory_xact_lock(%s)"
        self.newest = _b(f"SELECT position, link FROM {s}.chain ORDER BY position DESC LIMIT 1")
        self.read_case = _b(
            "SELECT k.request_hash, k.version, c.version, c.head FROM (SELECT %s::text AS id) "
            f"AS one LEFT JOIN {s}.cases AS c ON c.case_id = one.id LEFT JOIN "
            f"{s}.idempotency AS k ON k.case_id = one.id AND k.key = %s"
        )
        self.insert_row = _b(
            f"INSERT INTO {s}.cases ({_ROW_COLUMNS}, head) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self.update_row = _b(
            f'UPDATE {s}.cases SET matter = %s, applicant = %s, "window" = %s, state = %s, '
            "due_utc = %s, due_tz = %s, clocks = %s, swept = %s, version = %s, head = %s "
            "WHERE case_id = %s"
        )
        self.insert_events = _b(
            f"INSERT INTO {s}.events (case_id, seq, kind, actor, at_utc, at_tz, "
            '"schema", payload, recorded_at, digest) '
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self.insert_key = _b(
            f"INSERT INTO {s}.idempotency (case_id, key, request_hash, version) "
            "VALUES (%s, %s, %s, %s)"
        )
        self.insert_chain = _b(
            f"INSERT INTO {s}.chain (position, case_id, version, head, link) "
            "VALUES (%s, %s, %s, %s, %s)"
        )
        self.load = _b(f"SELECT {_EVENT_COLUMNS} FROM {s}.events WHERE case_id = %s ORDER BY seq")
        self.load_many = _b(
            f"SELECT case_id, {_EVENT_COLUMNS} FROM {s}.events "
            "WHERE case_id = ANY(%s) ORDER BY case_id, seq"
        )
        self.key = _b(
            f"SELECT request_hash, version FROM {s}.idempotency WHERE case_id = %s AND key = %s"
        )
        self.version = _b(f"SELECT version FROM {s}.cases WHERE case_id = %s")
        self.row = _b(f"SELECT {_ROW_COLUMNS} FROM {s}.cases WHERE case_id = %s")
        self.find = f"SELECT {_ROW_COLUMNS} FROM {s}.cases"  # completed by find()
        self.case_ids = _b(f"SELECT case_id FROM {s}.cases ORDER BY case_id")
        self.open_clocks = _b(
            f"SELECT case_id, matter, version, clocks, swept FROM {s}.cases "
            "WHERE case_id > %s AND (clocks IS NULL OR length(clocks) > 0) "
            "ORDER BY case_id LIMIT %s"
        )
        self.open_clocks_until = _b(
            f"SELECT case_id, matter, version, clocks, swept FROM {s}.cases "
            "WHERE case_id > %s AND case_id <= %s AND (clocks IS NULL OR length(clocks) > 0) "
            "ORDER BY case_id LIMIT %s"
        )
        self.count = _b(f"SELECT count(*) FROM {s}.cases")
        self.cuts = _b(
            "SELECT case_id FROM (SELECT case_id, row_number() OVER (ORDER BY case_id) AS n "
            f"FROM {s}.cases) AS numbered WHERE n = ANY(%s) ORDER BY case_id"
        )
        self.put_swept = _b(
            f"UPDATE {s}.cases SET swept = %s, clocks = COALESCE(%s, clocks) "
            "WHERE case_id = %s AND version = %s"
        )
        newest_per_case = (
            f"SELECT DISTINCT ON (case_id) case_id, position, version FROM {s}.chain "
            "ORDER BY case_id, position DESC"
        )
        self.audit_events = _b(
            'SELECT e.case_id, e.seq, e.kind, e.actor, e.at_utc, e.at_tz, e."schema", '
            "e.payload, e.recorded_at, e.digest, c.case_id IS NOT NULL, c.version, c.head, "
            f"n.position, n.version FROM {s}.events AS e LEFT JOIN {s}.cases AS c "
            f"ON c.case_id = e.case_id LEFT JOIN ({newest_per_case}) AS n "
            "ON n.case_id = e.case_id ORDER BY e.case_id, e.seq"
        )
        self.audit_orphan_rows = _b(
            f"SELECT case_id, version FROM {s}.cases AS c WHERE NOT EXISTS "
            f"(SELECT 1 FROM {s}.events AS e WHERE e.case_id = c.case_id) ORDER BY case_id"
        )
        self.audit_orphan_entries = _b(
            f"SELECT n.case_id, n.position FROM ({newest_per_case}) AS n WHERE NOT EXISTS "
            f"(SELECT 1 FROM {s}.events AS e WHERE e.case_id = n.case_id) ORDER BY n.position"
        )
        self.audit_chain = _b(
            "SELECT c.position, c.case_id, c.version, c.head, c.link, e.digest "
            f"FROM {s}.chain AS c LEFT JOIN {s}.events AS e ON e.case_id = c.case_id "
            "AND e.seq = c.version ORDER BY c.position"
        )
        self.link_at = _b(f"SELECT link FROM {s}.chain WHERE position = %s")


class PostgresStore:
    """An :class:`~hallflow.store.base.EventStore` in a PostgreSQL schema.

    Safe to share between threads (they take connections from a pool) and to open from many
    processes and machines at once. Open it after forking, not before: a store refuses calls
    from a process other than the one that opened it.

    Args:
        dsn_or_pool: a libpq connection string (``postgresql://user@host/db``), for which
            the store makes and owns a :class:`psycopg_pool.ConnectionPool`; or a pool of
            the caller's, which the store uses and leaves open. The store sets each
            connection it takes to ``READ COMMITTED`` (its write lock relies on it).
        schema: the PostgreSQL schema holding the store's tables, created if absent
            (default ``public``). Several halls can share a database, one schema each.
        clock: returns the current aware instant, for ``recorded_at`` (default: UTC now).
        min_size: the least connections of a pool the store makes.
        max_size: the most connections of a pool the store makes.
        timeout: seconds to wait for a connection (and, at open, for the server).
        prepare_threshold: psycopg prepares a statement on a connection after it ran this
            many times (None: never; for a pooler that cannot keep prepared statements).

    Raises:
        StoreError: the server cannot be reached, or the schema is not a hallflow store.
        SchemaVersionError: the schema was written by a newer hallflow.
    """

    def __init__(
        self,
        dsn_or_pool: str | ConnectionPool[Any],
        *,
        schema: str | None = None,
        clock: Clock | None = None,
        min_size: int = 1,
        max_size: int = 8,
        timeout: float = 30.0,
        prepare_threshold: int | None = 5,
    ) -> None:
        name = "public" if schema is None else schema
        if type(name) is not str or not name or _has_nul(name) or len(name.encode()) > 63:
            raise StoreArgumentError(
                "schema", schema, "must be None or a PostgreSQL identifier (1-63 bytes, no NUL)"
            )
        self._schema = name
        self._q = _Queries(name)
        self._hall_lock = hall_lock_key(name)
        self._clock = clock or utc_now
        self._timeout = timeout
        self._pid = os.getpid()
        self._fork = _FORKS[0]
        self._closed = False
        if isinstance(dsn_or_pool, ConnectionPool):
            self._pool: ConnectionPool[Any] = dsn_or_pool
            self._owns_pool = False
        elif isinstance(dsn_or_pool, str):
            self._pool = ConnectionPool(
                dsn_or_pool,
                min_size=min_size,
                max_size=max_size,
                timeout=timeout,
                kwargs={"prepare_threshold": prepare_threshold},
                configure=_configure,
                open=False,
                name=f"hallflow:{name}",
            )
            self._owns_pool = True
            try:
                self._pool.open(wait=True, timeout=timeout)
            except psycopg.Error as exc:
                self._pool.close()
                raise StoreError(
                    f"PostgreSQL store: cannot connect to {_redacted(dsn_or_pool)} ({exc})"
                ) from exc
        else:
            raise StoreArgumentError(
                "dsn_or_pool", dsn_or_pool, "must be a connection string or a ConnectionPool"
            )
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise
        self._group: GroupCommit[PreparedAppend] = GroupCommit(
            None,
            self._write_batch,
            share_syncs=False,
            interrupted=lambda: StoreError(f"{self._name()}: the write was interrupted"),
            sync_failed=lambda job, exc: StoreError(f"{self._name()}: {exc}"),
        )

    @property
    def schema(self) -> str:
        """The PostgreSQL schema holding the store's tables."""
        return self._schema

    @property
    def pool(self) -> ConnectionPool[Any]:
        """The connection pool the store uses."""
        return self._pool

    # --- writes ----------------------------------------------------------------------------

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

        Committed in one transaction holding the hall chain's lock, possibly together with
        appends that other threads made at the same moment (group commit; each is checked
        on its own). See :meth:`hallflow.store.base.EventStore.append`.

        Raises:
            AppendRequestError: besides the common checks, a text field holds the NUL
                character, which PostgreSQL's text cannot store.
        """
        request = prepare_append(
            case_id, expected_version, events, row, idempotency_key, request_digest
        )
        self._check_usable()
        version = self._group.run(request)
        assert isinstance(version, int)
        return version

    def append_many(self, appends: Sequence[Append]) -> list[AppendOutcome]:
        """Several appends committed together; see :meth:`EventStore.append_many`.

        They join the group commit as one run (up to ``GroupCommit.MAX_BATCH`` appends per
        transaction); an append refused for its version or key is answered with the
        refusal and the others commit.
        """
        requests = prepare_many(appends)
        if not requests:
            return []
        self._check_usable()
        out: list[AppendOutcome] = []
        for outcome in self._group.run_many(requests):
            if isinstance(outcome, (ConcurrencyError, IdempotencyError)):
                out.append(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                assert isinstance(outcome, int)
                out.append(outcome)
        return out

    def _write_batch(self, batch: list[Job[PreparedAppend]]) -> None:
        """Commit ``batch`` in one transaction and set each append's outcome.

        If PostgreSQL refuses a statement mid-batch, the transaction rolls back and, for a
        batch of several, each append is retried in a transaction of its own, so that an
        error reaches only the append that caused it. A lost connection, a server that does
        not answer or a pool with no free connection fails the whole batch at once. (If the
        connection was lost during the commit, the appends may or may not have committed:
        a caller that resends with its idempotency key gets the truth either way.)
        """
        recorded_at = utc_text(read_clock(self._clock))  # a naive clock raises, as in SQLite
        try:
            outcomes = self._transaction(batch, recorded_at)
        except StoreError as exc:
            if len(batch) == 1 or isinstance(exc.__cause__, psycopg.OperationalError):
                # One append, or a failure that is no append's doing (the server or the
                # pool): every append of the batch gets it, at once.
                for pending in batch:
                    pending.outcome = exc
                return
            for pending in batch:
                try:
                    pending.outcome = self._transaction([pending], recorded_at)[0]
                except StoreError as alone:
                    pending.outcome = alone
            return
        for pending, outcome in zip(batch, outcomes, strict=True):
            pending.outcome = outcome

    def _transaction(
        self, batch: list[Job[PreparedAppend]], recorded_at: str
    ) -> list[int | ConcurrencyError | IdempotencyError]:
        """Apply ``batch`` in one transaction holding the hall chain's lock, and commit it.

        Raises:
            StoreError: PostgreSQL failed; the transaction was rolled back.
        """
        q = self._q
        with self._connection() as conn, self._guard(), conn.pipeline(), conn.transaction():
            cur = conn.cursor()
            cur.execute(q.lock, (self._hall_lock,))
            # A statement of its own: under READ COMMITTED its snapshot is taken after the
            # lock was granted, so it sees the entry the previous holder committed.
            cur.execute(q.newest)
            newest = cur.fetchone()
            tail = _Tail(0, ZERO) if newest is None else _Tail(int(newest[0]), str(newest[1]))
            outcomes = [self._apply(cur, job.request, recorded_at, tail) for job in batch]
            if tail.rows:
                cur.executemany(q.insert_chain, tail.rows)
        return outcomes

    def _apply(
        self, cur: psycopg.Cursor[Any], request: PreparedAppend, recorded_at: str, tail: _Tail
    ) -> int | ConcurrencyError | IdempotencyError:
        """Check and write one append inside the open, locked transaction.

        The reference path of the SQLite store: the key, the case's version and its head
        are read (one query), checked, and the events, row and key written; the append is
        linked into the hall chain after ``tail``, which it extends.
        """
        q = self._q
        case_id = request.case_id
        key = request.idempotency_key
        cur.execute(q.read_case, (case_id, key))
        found = cur.fetchone()
        assert found is not None  # the query always answers one row
        seen_hash, seen_version, actual, head = found
        if seen_hash is not None:
            if seen_hash != request.request_hash:
                return IdempotencyError(case_id, key or "")
            return int(seen_version)
        actual = 0 if actual is None else int(actual)
        if actual != request.expected_version:
            return ConcurrencyError(case_id, request.expected_version, actual)
        new_version = request.new_version
        head = ZERO if head is None else str(head)
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
        r = request.row
        columns = (
            r.matter,
            r.applicant,
            r.window,
            r.state,
            request.due_utc,
            request.due_tz,
            r.clocks,
            r.swept,
        )
        if found[2] is None:
            cur.execute(q.insert_row, (case_id, *columns, new_version, head))
        else:
            cur.execute(q.update_row, (*columns, new_version, head, case_id))
        if len(rows) == 1:
            cur.execute(q.insert_events, rows[0])
        else:
            cur.executemany(q.insert_events, rows)
        if key is not None:
            cur.execute(q.insert_key, (case_id, key, request.request_hash, new_version))
        tail.extend(case_id, new_version, head)
        return new_version

    def put_swept(self, marks: Sequence[SweepMark]) -> int:
        """Record what a sweep acknowledged (:meth:`hallflow.store.base.EventStore.put_swept`).

        One transaction for all the marks, each applied only if its case is still at the
        version given. It takes the hall chain's lock first, as every writer does, so that
        writers lock rows in one order and never deadlock.
        """
        rows = check_marks(marks)
        if not rows:
            return 0
        self._check_usable()
        params = [
            (swept, clocks, case_id, version)
            for case_id, version, clocks, swept in rows
            if not _has_nul(case_id)  # no stored case id holds NUL
        ]
        if not params:
            return 0
        with self.locked() as conn, self._guard():
            cur = conn.cursor()
            cur.executemany(self._q.put_swept, params)  # pipelined; rowcount sums the rows
            return cur.rowcount

    # --- reads -----------------------------------------------------------------------------

    def load(self, case_id: str) -> list[StoredEvent]:
        """Return a case's events in order; see :meth:`hallflow.store.base.EventStore.load`."""
        query_text("case_id", case_id)
        rows: list[Any] = [] if _has_nul(case_id) else self._fetch(self._q.load, (case_id,))
        if not rows:
            self._check_usable()
            raise CaseNotFoundError(case_id)
        return [_stored(case_id, r) for r in rows]

    def load_many(self, case_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """Several cases' events; see :meth:`hallflow.store.base.EventStore.load_many`.

        One query (``case_id = ANY(array)``) for all of them.
        """
        wanted = [c for c in check_case_ids(case_ids) if not _has_nul(c)]
        self._check_usable()
        out: dict[str, list[StoredEvent]] = {}
        if not wanted:
            return out
        for r in self._fetch(self._q.load_many, (wanted,)):
            out.setdefault(r[0], []).append(_stored(r[0], r[1:]))
        return out

    def key_version(self, case_id: str, key: str) -> int | None:
        """See :meth:`hallflow.store.base.EventStore.key_version`."""
        found = self.idempotency(case_id, key)
        return None if found is None else found.version

    def idempotency(self, case_id: str, key: str) -> KeyRecord | None:
        """See :meth:`hallflow.store.base.EventStore.idempotency`."""
        query_text("case_id", case_id)
        query_text("key", key)
        self._check_usable()
        if _has_nul(case_id, key):
            return None
        rows = self._fetch(self._q.key, (case_id, key))
        return None if not rows else KeyRecord(digest=rows[0][0], version=int(rows[0][1]))

    def version(self, case_id: str) -> int:
        """Return a case's version, 0 if absent."""
        query_text("case_id", case_id)
        self._check_usable()
        if _has_nul(case_id):
            return 0
        rows = self._fetch(self._q.version, (case_id,))
        return 0 if not rows else int(rows[0][0])

    def row(self, case_id: str) -> CaseRow:
        """Return a case's row; see :meth:`hallflow.store.base.EventStore.row`."""
        query_text("case_id", case_id)
        self._check_usable()
        rows = [] if _has_nul(case_id) else self._fetch(self._q.row, (case_id,))
        if not rows:
            raise CaseNotFoundError(case_id)
        return _case_row(rows[0])

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
        where: list[str] = []
        params: list[str] = []
        for name, column, value in (
            ("matter", "matter", matter),
            ("applicant", "applicant", applicant),
            ("window", '"window"', window),
            ("state", "state", state),
        ):
            query_text(name, value, optional=True)
            if value is not None:
                where.append(f"{column} = %s")
                params.append(value)
        low = bound_text("due_from", due_from)
        high = bound_text("due_to", due_to)
        if low is not None:
            where.append("due_utc >= %s")
            params.append(low)
        if high is not None:
            where.append("due_utc < %s")
            params.append(high)
        self._check_usable()
        if _has_nul(*params):
            return []  # no stored text holds NUL
        sql = self._q.find
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_case_row(r) for r in self._fetch(_b(sql + " ORDER BY case_id"), params)]

    def case_ids(self) -> list[str]:
        """Return every case id, sorted (by code point, as Python sorts)."""
        return [r[0] for r in self._fetch(self._q.case_ids, ())]

    def open_clocks(
        self, after: str | None = None, limit: int = 10_000, until: str | None = None
    ) -> list[SweepRow]:
        """The next rows a sweep reads; see :meth:`hallflow.store.base.EventStore.open_clocks`.

        A keyset read in case-id order (the primary key, ``C`` collation).
        """
        check_sweep_query(after, limit, until)
        start = _before_nul(after or "")
        if until is None:
            rows = self._fetch(self._q.open_clocks, (start, limit))
        else:
            rows = self._fetch(self._q.open_clocks_until, (start, _before_nul(until), limit))
        return [(r[0], r[1], int(r[2]), r[3], r[4]) for r in rows]

    def split_cases(self, parts: int) -> list[str]:
        """See :meth:`hallflow.store.base.EventStore.split_cases`.

        The count, then the ids at the cut positions, numbered along the primary key's index.
        """
        check_parts(parts)
        (count,) = self._fetch(self._q.count, ())[0]
        positions = sorted({i * int(count) // parts for i in range(1, parts)} - {0})
        if not positions:
            return []
        return [r[0] for r in self._fetch(self._q.cuts, (positions,))]

    def head(self) -> ChainHead:
        """See :meth:`hallflow.store.base.EventStore.head`.

        Raises:
            StoreError: the store is closed, or its newest chain entry is not a valid one
                (:meth:`verify` says more).
        """
        rows = self._fetch(self._q.newest, ())
        if not rows:
            return ChainHead(0, ZERO)
        position, link = rows[0]
        if not is_digest(link):
            raise StoreError(
                f"{self._name()}: the hall chain's newest link (position {position}) is "
                f"{link!r}, not a digest; run verify()"
            )
        return ChainHead(int(position), link)

    def verify(self, *, checkpoints: Sequence[Checkpoint] = ()) -> VerifyReport:
        """Recompute the chains; see :meth:`hallflow.store.base.EventStore.verify`.

        Reads one snapshot (a ``REPEATABLE READ READ ONLY`` transaction: writers go on
        meanwhile), streaming the events through a server-side cursor, so memory does not
        grow with the number of events.
        """
        checkpoints = checked_checkpoints(checkpoints)
        self._check_usable()
        audit = Audit()
        q = self._q
        with self.snapshot() as conn, self._guard():
            with conn.cursor(name="hallflow_verify") as events:
                events.itersize = 2000
                events.execute(q.audit_events)
                group: list[EventRow] = []
                context: tuple[Any, ...] = ()
                for r in events:
                    if group and r[0] != group[0][0]:
                        _audit_case(audit, group, context)
                        group = []
                    if not group:
                        context = tuple(r[10:])
                    group.append(tuple(r[:10]))
                if group:
                    _audit_case(audit, group, context)
            cur = conn.cursor()
            for case_id, version in cur.execute(q.audit_orphan_rows).fetchall():
                audit.orphan_row(case_id, version)
            for case_id, position in cur.execute(q.audit_orphan_entries).fetchall():
                audit.orphan_entry(case_id, position)
            with conn.cursor(name="hallflow_verify_chain") as chain:
                chain.itersize = 2000
                chain.execute(q.audit_chain)
                audit.chain(tuple(r) for r in chain)
            newest = cur.execute(q.newest).fetchone()
            for checkpoint in checkpoints:
                found = cur.execute(q.link_at, (checkpoint.position,)).fetchone()
                audit.checkpoint(
                    checkpoint,
                    None if found is None else found[0],
                    0 if newest is None else int(newest[0]),
                )
        return audit.report()

    # --- life cycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the store (and the pool, if the store made it); later calls raise StoreError.

        Call it when no other thread is inside a store call. Closing twice is fine.
        """
        if self._closed:
            return
        self._closed = True
        if self._owns_pool:
            with contextlib.suppress(psycopg.Error):
                self._pool.close()

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

    # --- connections -----------------------------------------------------------------------

    def _name(self) -> str:
        return f"PostgreSQL store (schema {self._schema!r})"

    def _check_usable(self) -> None:
        if self._closed:
            raise StoreError(f"the {self._name()} is closed")
        if self._fork != _FORKS[0] or os.getpid() != self._pid:
            raise StoreError(
                f"the {self._name()} was opened in process {self._pid}; open a new "
                f"PostgresStore in each process (after fork, not before)"
            )

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection inside one ``REPEATABLE READ, READ ONLY`` transaction, for reading.

        Everything read through it comes from one snapshot of the store, while writers go
        on. For tools that read the store's tables directly (:mod:`hallflow.store.copy`);
        :meth:`verify` reads through it. Server-side (named) cursors work inside it.

        Raises:
            StoreError: the store is closed, or PostgreSQL failed.
        """
        with self._connection() as conn, self._guard(), conn.transaction():
            conn.execute(b"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield conn

    @contextlib.contextmanager
    def locked(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection inside a ``READ COMMITTED`` transaction holding the store's write lock.

        What every writer of the store does first (``docs/postgres.md``): nothing else
        writes until the block ends; it commits when the block returns and rolls back when
        it raises. For tools that write the store's tables directly
        (:mod:`hallflow.store.copy`).

        Raises:
            StoreError: the store is closed, or PostgreSQL failed.
        """
        with self._connection() as conn, self._guard(), conn.transaction():
            conn.execute(self._q.lock, (self._hall_lock,))
            yield conn

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection in autocommit mode and READ COMMITTED, for the block.

        Autocommit: a read is one round trip (no BEGIN, no COMMIT); a write opens its
        transaction explicitly. A connection of a caller's pool gets its settings back
        when it is returned.
        """
        self._check_usable()
        try:
            with self._pool.connection(timeout=self._timeout) as conn:
                saved = (conn.autocommit, conn.isolation_level)
                if saved != _SETTINGS:
                    conn.autocommit, conn.isolation_level = _SETTINGS
                try:
                    yield conn
                finally:
                    idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
                    if saved != _SETTINGS and idle and not conn.closed:
                        conn.autocommit, conn.isolation_level = saved
        except psycopg.Error as exc:
            raise StoreError(f"{self._name()}: {exc}") from exc

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn psycopg's errors into StoreError, naming the store."""
        try:
            yield
        except psycopg.Error as exc:
            raise StoreError(f"{self._name()}: {exc}") from exc

    def _fetch(self, query: bytes, params: Sequence[Any]) -> list[Any]:
        """Run one read query in its own short transaction and return every row."""
        with self._connection() as conn, self._guard():
            return conn.execute(query, params).fetchall()

    def _migrate(self) -> None:
        """Create the schema or bring it to :data:`SCHEMA_VERSION`, once across processes.

        One transaction holding an advisory lock on the schema's name: a process that
        opens the store while another migrates waits, then finds the work done.
        """
        s = _quote(self._schema)
        with self._connection() as conn, self._guard():
            # Fast path: the schema is current (one read, no lock).
            with conn.transaction():
                exists = conn.execute(
                    b"SELECT to_regclass(%s) IS NOT NULL", (f"{s}.schema_version",)
                ).fetchone()
                if exists is not None and exists[0]:
                    found = _schema_version(conn, s)
                    if found == SCHEMA_VERSION:
                        return
                    if found > SCHEMA_VERSION:
                        raise SchemaVersionError(found, SCHEMA_VERSION)
            with conn.transaction():
                conn.execute(
                    b"SELECT pg_advisory_xact_lock(%s)", (_lock_key("migrate", self._schema),)
                )
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {s}".encode())
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {s}.schema_version (version integer PRIMARY KEY, "
                    "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())".encode()
                )
                found = _schema_version(conn, s)  # again, under the lock
                if found > SCHEMA_VERSION:
                    raise SchemaVersionError(found, SCHEMA_VERSION)
                conn.execute(f"SET LOCAL search_path TO {s}".encode())
                for version, name, text in MIGRATIONS[found:]:
                    conn.execute(text.encode("utf-8"))
                    conn.execute(
                        f"INSERT INTO {s}.schema_version (version, name) VALUES (%s, %s)".encode(),
                        (version, name),
                    )


_SETTINGS = (True, IsolationLevel.READ_COMMITTED)
"""The store's connection settings: ``(autocommit, isolation_level)``."""


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Set up a new connection of the store's own pool."""
    conn.autocommit, conn.isolation_level = _SETTINGS


def _schema_version(conn: psycopg.Connection[Any], s: str) -> int:
    found = conn.execute(f"SELECT max(version) FROM {s}.schema_version".encode()).fetchone()
    return 0 if found is None or found[0] is None else int(found[0])


def _redacted(dsn: str) -> str:
    """A connection string with any password replaced, for messages."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        return "the server (the connection string does not parse)"
    if "password" in params:
        params["password"] = "***"
    return repr(psycopg.conninfo.make_conninfo("", **params))


def _stored(case_id: str, r: Sequence[Any]) -> StoredEvent:
    seq, kind, actor, at_utc, at_tz, payload, recorded_at, schema, digest = r
    return StoredEvent(
        case_id=case_id,
        seq=int(seq),
        kind=kind,
        actor=actor,
        at=decode_instant(at_utc, at_tz),
        payload=json.loads(payload),
        recorded_at=dt.datetime.fromisoformat(recorded_at).replace(tzinfo=dt.UTC),
        schema=int(schema),
        digest=digest,
    )


def _case_row(r: Sequence[Any]) -> CaseRow:
    case_id, matter, applicant, window, state, due_utc, due_tz, clocks, swept, version = r
    return CaseRow(
        case_id=case_id,
        matter=matter,
        applicant=applicant,
        window=window,
        state=state,
        due=None if due_utc is None else decode_instant(due_utc, due_tz),
        version=int(version),
        clocks=None if clocks is None else bytes(clocks),
        swept=None if swept is None else bytes(swept),
    )


def _audit_case(audit: Audit, events: list[EventRow], context: tuple[Any, ...]) -> None:
    has_row, version, head, position, chained = context
    audit.case(
        events[0][0],
        events,
        (version, head) if has_row else None,
        None if position is None else (position, chained),
    )
