"""Copying a whole hall between stores, verbatim: SQLite to PostgreSQL and back.

A copy is not a replay. Replaying the events through ``append`` would record them again, at a
new ``recorded_at``, with new digests and a new hall chain: the copy would verify, but no
checkpoint signed on the original would. :func:`copy_store` instead moves the stored values
themselves — every event with its ``recorded_at`` and digest, every case row with its head,
every idempotency key and every hall-chain entry — read from one snapshot of the source and
written in one transaction into an empty destination, which then recomputes every chain
(:meth:`~hallflow.store.base.EventStore.verify`) and must end at the source's head.

It works on the stored columns, which the SQLite and PostgreSQL stores share (same names,
same text encodings), so it lives here, beside both, and nothing else outside
``hallflow.store`` needs to know SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs

from hallflow.errors import StoreError
from hallflow.store.chain import ChainHead
from hallflow.store.sqlite import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION
from hallflow.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from hallflow.store.postgres import PostgresStore

__all__ = ["TABLES", "CopyReport", "copy_store"]

TABLES: dict[str, tuple[str, ...]] = {
    "cases": (
        "case_id",
        "matter",
        "applicant",
        '"window"',
        "state",
        "due_utc",
        "due_tz",
        "clocks",
        "swept",
        "version",
        "head",
    ),
    "events": (
        "case_id",
        "seq",
        "kind",
        "actor",
        "at_utc",
        "at_tz",
        '"schema"',
        "payload",
        "recorded_at",
        "digest",
    ),
    "idempotency": ("case_id", "key", "request_hash", "version"),
    "chain": ("position", "case_id", "version", "head", "link"),
}
"""The tables a copy moves, in the order it moves them, with their columns."""

_ORDER = {
    "cases": "case_id",
    "events": "case_id, seq",
    "idempotency": "case_id, key",
    "chain": "position",
}
_CHUNK = 2000

Rows = Callable[[str], Iterable[tuple[Any, ...]]]
"""Reads one table's rows (given its name) from the source's snapshot."""


@attrs.define(frozen=True)
class CopyReport:
    """What :func:`copy_store` copied.

    Attributes:
        rows: how many rows of each table (``cases``, ``events``, ``idempotency``,
            ``chain``).
        head: the hall chain's newest entry, the same in the source and the copy.
    """

    rows: dict[str, int]
    head: ChainHead


def copy_store(
    source: SQLiteStore | PostgresStore, target: SQLiteStore | PostgresStore
) -> CopyReport:
    """Copy every stored value of ``source`` into the empty ``target``, then verify the copy.

    The source is read from one snapshot (other writers may go on); the target is written in
    one transaction, so a failed copy leaves it empty. Both stores must be open, at the
    schema this hallflow writes.

    Args:
        source: the store to copy (a SQLiteStore or a PostgresStore).
        target: an empty store (no case, no hall-chain entry) of either kind.

    Returns:
        How many rows were copied, and the head both now share.

    Raises:
        StoreError: the source does not verify, the target is not empty, a value cannot be
            stored in the target (PostgreSQL text cannot hold NUL), or the copy does not
            verify or does not end at the source's head (it is then left as written, for
            inspection).
    """
    before = source.verify()
    if not before.ok:
        raise StoreError(
            f"the source does not verify ({len(before.breaks)} breaks, the first: "
            f"{before.breaks[0]}); a copy would carry the breaks: audit it first"
        )
    if target.head().position or target.case_ids():
        raise StoreError(
            f"the target is not empty ({len(target.case_ids())} cases, hall chain at "
            f"{target.head().position}); copy into a new store"
        )
    with _Reading(source) as (rows, head):
        counts = _writer(target)(rows)
    after = target.verify()
    if not after.ok:
        raise StoreError(
            f"the copy does not verify ({len(after.breaks)} breaks, the first: {after.breaks[0]})"
        )
    if target.head() != head:
        raise StoreError(f"the copy ends at {target.head()}, the source at {head}")
    return CopyReport(rows=counts, head=head)


class _Reading:
    """One read snapshot of a store: a function reading each table, and the chain's head."""

    def __init__(self, store: SQLiteStore | PostgresStore) -> None:
        self._store = store
        self._close: Callable[[], object] = lambda: None

    def __enter__(self) -> tuple[Rows, ChainHead]:
        store = self._store
        if isinstance(store, SQLiteStore):
            return self._sqlite(store)
        return self._postgres(store)

    def __exit__(self, *exc: object) -> None:
        self._close()

    def _sqlite(self, store: SQLiteStore) -> tuple[Rows, ChainHead]:
        conn = sqlite3.connect(store.path, isolation_level=None)
        self._close = conn.close
        try:
            conn.execute("BEGIN")  # one snapshot (WAL) for every table
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version != SQLITE_SCHEMA_VERSION:
                raise StoreError(
                    f"SQLite store {store.path!r} is at schema {version}, not "
                    f"{SQLITE_SCHEMA_VERSION}: run 'hallflow db migrate' on it first"
                )
            head = _head(conn.execute("SELECT position, link FROM chain ORDER BY position DESC"))
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {store.path!r}: {exc}") from exc

        def rows(table: str) -> Iterator[tuple[Any, ...]]:
            sql = f"SELECT {', '.join(TABLES[table])} FROM {table} ORDER BY {_ORDER[table]}"
            try:
                yield from conn.execute(sql)
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite store {store.path!r}: {exc}") from exc

        return rows, head

    def _postgres(self, store: PostgresStore) -> tuple[Rows, ChainHead]:
        import psycopg

        s = _quote(store.schema)
        snapshot = store.snapshot()
        conn = snapshot.__enter__()
        self._close = lambda: snapshot.__exit__(None, None, None)
        try:
            head = _head(
                conn.execute(
                    f"SELECT position, link FROM {s}.chain ORDER BY position DESC".encode()
                )
            )
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL store (schema {store.schema!r}): {exc}") from exc

        def rows(table: str) -> Iterator[tuple[Any, ...]]:
            sql = f"SELECT {', '.join(TABLES[table])} FROM {s}.{table} ORDER BY {_ORDER[table]}"
            try:
                with conn.cursor(name=f"hallflow_copy_{table}") as cur:
                    cur.itersize = _CHUNK
                    cur.execute(sql.encode())
                    yield from cur
            except psycopg.Error as exc:
                raise StoreError(f"PostgreSQL store (schema {store.schema!r}): {exc}") from exc

        return rows, head


def _head(cursor: Any) -> ChainHead:
    newest = cursor.fetchone()
    return ChainHead(0, "0" * 64) if newest is None else ChainHead(int(newest[0]), str(newest[1]))


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _chunks(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _writer(store: SQLiteStore | PostgresStore) -> Callable[[Rows], dict[str, int]]:
    if isinstance(store, SQLiteStore):
        return lambda rows: _write_sqlite(store, rows)
    return lambda rows: _write_postgres(store, rows)


def _write_sqlite(store: SQLiteStore, rows: Rows) -> dict[str, int]:
    counts: dict[str, int] = {}
    conn = sqlite3.connect(store.path, isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM chain UNION ALL SELECT 1 FROM cases").fetchone():
                raise StoreError(f"SQLite store {store.path!r} is not empty; copy into a new one")
            for table, columns in TABLES.items():
                sql = (
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' * len(columns))})"
                )
                counts[table] = 0
                for chunk in _chunks(rows(table)):
                    conn.executemany(sql, chunk)
                    counts[table] += len(chunk)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise StoreError(f"SQLite store {store.path!r}: {exc}") from exc
    finally:
        conn.close()
    return counts


def _write_postgres(store: PostgresStore, rows: Rows) -> dict[str, int]:
    import psycopg

    s = _quote(store.schema)
    counts: dict[str, int] = {}
    try:
        with store.locked() as conn:
            found = conn.execute(
                f"SELECT 1 FROM {s}.chain UNION ALL SELECT 1 FROM {s}.cases LIMIT 1".encode()
            ).fetchone()
            if found is not None:
                raise StoreError(
                    f"PostgreSQL store (schema {store.schema!r}) is not empty; copy into a new one"
                )
            cur = conn.cursor()
            for table, columns in TABLES.items():
                sql = (
                    f"INSERT INTO {s}.{table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join(['%s'] * len(columns))})"
                )
                counts[table] = 0
                for chunk in _chunks(rows(table)):
                    cur.executemany(sql.encode(), chunk)
                    counts[table] += len(chunk)
    except psycopg.Error as exc:
        raise StoreError(f"PostgreSQL store (schema {store.schema!r}): {exc}") from exc
    return counts
