"""PostgreSQL-only tests of PostgresStore, against a real server (never a mock).

The contract itself is checked by the conformance kit (tests/test_store_kit.py); here:
migrations (ten stores opening a fresh schema at once migrate it once; a newer schema is
refused), the same digests as SQLite for the same history, several processes extending one
gap-free hall chain (the kit's kill test covers a writer SIGKILLed mid-append), the NUL
character, database failures surfacing as StoreError, and pools given by the caller.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from hallflow.errors import (
    AppendRequestError,
    CaseNotFoundError,
    NaiveDatetimeError,
    SchemaVersionError,
    StoreArgumentError,
    StoreError,
)
from hallflow.store import Append, CaseRow, NewEvent, SQLiteStore
from hallflow.store.postgres import MIGRATIONS, SCHEMA_VERSION, PostgresStore, migrations

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=SH)
WORKER = Path(__file__).with_name("postgres_worker.py")


def ev(kind: str = "received", payload: dict[str, object] | None = None) -> NewEvent:
    return NewEvent(kind, "clerk-1", T0, payload or {})


def mkrow(case_id: str, version: int, **kw: object) -> CaseRow:
    fields: dict[str, object] = {
        "matter": "m1",
        "applicant": "a1",
        "window": "w1",
        "state": "received",
        "due": None,
    }
    fields.update(kw)
    return CaseRow(case_id=case_id, version=version, **fields)  # type: ignore[arg-type]


# --- migrations ------------------------------------------------------------------------------


def test_migrations_are_numbered_and_shipped() -> None:
    found = migrations()
    assert [v for v, _, _ in found] == list(range(1, SCHEMA_VERSION + 1))
    assert found[0][1] == "0001_initial.sql"
    assert "CREATE TABLE events" in found[0][2]
    assert tuple(found) == MIGRATIONS


def test_ten_stores_opening_a_fresh_schema_migrate_it_once(
    postgres_dsn: str, pg_schema: str
) -> None:
    barrier = threading.Barrier(10)
    outcomes: list[object] = []
    lock = threading.Lock()

    def open_one(n: int) -> None:
        barrier.wait()
        try:
            with PostgresStore(postgres_dsn, schema=pg_schema, min_size=1, max_size=1) as store:
                store.append(f"c{n}", 0, [ev()], mkrow(f"c{n}", 1))
                result: object = store.version(f"c{n}")
        except Exception as exc:  # reported below, with its type
            result = exc
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == [1] * 10, outcomes
    with psycopg.connect(postgres_dsn) as conn:
        rows = conn.execute(
            f'SELECT version, name FROM "{pg_schema}".schema_version ORDER BY version'.encode()
        ).fetchall()
    # The migration creates its tables without IF NOT EXISTS: a second run would have failed.
    assert rows == [(v, name) for v, name, _ in MIGRATIONS]
    with PostgresStore(postgres_dsn, schema=pg_schema) as store:
        assert store.case_ids() == sorted(f"c{n}" for n in range(10))
        assert store.verify().ok
        assert store.head().position == 10


def test_a_newer_schema_is_refused(postgres_dsn: str, pg_schema: str) -> None:
    PostgresStore(postgres_dsn, schema=pg_schema).close()
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute(
            f"INSERT INTO \"{pg_schema}\".schema_version (version, name) VALUES (99, 'x')".encode()
        )
    with pytest.raises(SchemaVersionError):
        PostgresStore(postgres_dsn, schema=pg_schema)


def test_an_unreachable_server_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot connect") as info:
        PostgresStore("postgresql://nobody:secret@127.0.0.1:1/none", timeout=1.0)
    assert "secret" not in str(info.value)


def test_bad_arguments(postgres_dsn: str) -> None:
    with pytest.raises(StoreArgumentError) as info:
        PostgresStore(postgres_dsn, schema="")
    assert info.value.field == "schema"
    with pytest.raises(StoreArgumentError):
        PostgresStore(3)  # type: ignore[arg-type]


# --- same digests as SQLite -------------------------------------------------------------------


def test_the_same_history_gives_sqlite_s_digests(
    postgres_dsn: str, pg_schema: str, tmp_path: Path
) -> None:
    ticks = iter(range(10**6))

    def clock() -> dt.datetime:
        return dt.datetime(2026, 3, 2, tzinfo=dt.UTC) + dt.timedelta(seconds=next(ticks) // 2)

    pg = PostgresStore(postgres_dsn, schema=pg_schema, clock=clock)
    ticks2 = iter(range(10**6))
    lite = SQLiteStore(
        tmp_path / "h.db",
        clock=lambda: (
            dt.datetime(2026, 3, 2, tzinfo=dt.UTC) + dt.timedelta(seconds=next(ticks2) // 2)
        ),
    )
    with pg, lite:
        for store in (pg, lite):
            store.append("c1", 0, [ev(payload={"材料": ["身份证"], "n": 1.5})], mkrow("c1", 1))
            store.append("c2", 0, [ev(), ev("accepted")], mkrow("c2", 2, due=T0))
            store.append_many(
                [
                    Append("c1", 1, [ev("decided", {"approved": True})], mkrow("c1", 2)),
                    Append("c3", 0, [ev()], mkrow("c3", 1)),
                ]
            )
        assert pg.head() == lite.head()
        for case_id in ("c1", "c2", "c3"):
            assert [e.digest for e in pg.load(case_id)] == [e.digest for e in lite.load(case_id)]
            assert pg.load(case_id) == lite.load(case_id)
            assert pg.row(case_id) == lite.row(case_id)


# --- text PostgreSQL cannot hold ------------------------------------------------------------


def test_nul_in_text_is_refused_naming_the_field_and_never_matches(
    postgres_dsn: str, pg_schema: str
) -> None:
    with PostgresStore(postgres_dsn, schema=pg_schema) as store:
        with pytest.raises(AppendRequestError) as info:
            store.append("c\x00", 0, [ev()], mkrow("c1", 1))  # the id is checked first
        assert info.value.field == "case_id"
        # every store refuses NUL (base.prepare_append); events and rows already at
        # construction, naming the field
        with pytest.raises(AppendRequestError) as info:
            NewEvent("k", "a\x00", T0)
        assert info.value.field == "actor"
        with pytest.raises(AppendRequestError) as info:
            mkrow("c1", 1, window="w\x00")
        assert info.value.field == "window"
        with pytest.raises(AppendRequestError) as info:
            store.append_many([Append("c\x00", 0, [ev()], mkrow("c1", 1))])
        assert info.value.field == "case_id"
        assert store.case_ids() == []
        store.append("c1", 0, [ev(payload={"t": "a\x00b"})], mkrow("c1", 1))  # JSON escapes it
        assert store.load("c1")[0].payload == {"t": "a\x00b"}
        with pytest.raises(CaseNotFoundError):
            store.load("c\x00")
        assert store.version("c\x00") == 0
        assert store.find(matter="m\x00") == []
        assert store.key_version("c1", "k\x00") is None
        assert store.load_many(["c\x00", "c1"]).keys() == {"c1"}
        assert store.put_swept([("c\x00", 1, None, b"")]) == 0
        assert [r[0] for r in store.open_clocks(after="c\x00")] == ["c1"]
        assert store.open_clocks(after="c1\x00") == []


# --- failures -----------------------------------------------------------------------------


def test_database_failures_are_store_errors(postgres_dsn: str, pg_schema: str) -> None:
    with PostgresStore(postgres_dsn, schema=pg_schema) as store:
        store.append("c1", 0, [ev()], mkrow("c1", 1))
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f'ALTER TABLE "{pg_schema}".events RENAME TO gone'.encode())
        calls: list[Callable[[], object]] = [
            lambda: store.append("c2", 0, [ev()], mkrow("c2", 1)),
            lambda: store.append_many([Append("c2", 0, [ev()], mkrow("c2", 1))]),
            lambda: store.load("c1"),
            lambda: store.verify(),
        ]
        for call in calls:
            with pytest.raises(StoreError) as info:
                call()
            assert not isinstance(info.value, CaseNotFoundError)
            assert isinstance(info.value.__cause__, psycopg.Error)
        assert store.case_ids() == ["c1"]  # the refused appends left nothing behind
        assert store.head().position == 1


def test_a_store_in_a_forked_child_refuses_calls(postgres_dsn: str, pg_schema: str) -> None:
    with PostgresStore(postgres_dsn, schema=pg_schema) as store:
        store._pid = -1  # what a child process forked from this one would see
        with pytest.raises(StoreError, match="after fork"):
            store.version("c1")


def test_a_callers_pool_is_used_and_left_open(postgres_dsn: str, pg_schema: str) -> None:
    # Even a pool whose sessions default to REPEATABLE READ: the store sets READ COMMITTED.
    options = "-c default_transaction_isolation=repeatable\\ read"
    with ConnectionPool(
        postgres_dsn, min_size=2, max_size=2, kwargs={"options": options}, open=True
    ) as pool:
        stores = [PostgresStore(pool, schema=pg_schema) for _ in range(2)]
        done: list[int] = []

        def writer(n: int) -> None:
            for k in range(15):
                case_id = f"w{n}-{k}"
                done.append(stores[n].append(case_id, 0, [ev()], mkrow(case_id, 1)))

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert done == [1] * 30
        for store in stores:
            store.close()
        with pool.connection() as conn:  # open, and with its own settings back
            assert conn.execute("SELECT 1").fetchone() == (1,)
            assert (conn.autocommit, conn.isolation_level) == (False, None)
        with PostgresStore(pool, schema=pg_schema) as again:
            report = again.verify()
            assert report.ok, report.breaks
            assert report.positions == again.head().position == 30


# --- processes ------------------------------------------------------------------------------


def _spawn(*args: str) -> subprocess.Popen[str]:
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_processes_extend_one_gap_free_chain(postgres_dsn: str, pg_schema: str) -> None:
    PostgresStore(postgres_dsn, schema=pg_schema).close()
    workers = [_spawn("burst", postgres_dsn, pg_schema, p) for p in "pqr"]
    try:
        for w in workers:
            assert w.stdout is not None
            assert w.stdout.readline().strip() == "ready", w.communicate()[1]
        for w in workers:
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        for w in workers:
            assert w.stdout is not None
            assert w.stdout.readline().strip() == "done", w.communicate()[1]
    finally:
        for w in workers:
            w.communicate(timeout=120)
    assert all(w.returncode == 0 for w in workers)
    with PostgresStore(postgres_dsn, schema=pg_schema) as store:
        assert store.case_ids() == sorted(f"{p}-{n}" for p in "pqr" for n in range(40))
        report = store.verify()
        assert report.ok, report.breaks
        assert report.positions == store.head().position == 240
        with psycopg.connect(postgres_dsn) as conn:
            positions = [
                r[0]
                for r in conn.execute(
                    f'SELECT position FROM "{pg_schema}".chain ORDER BY position'.encode()
                )
            ]
        assert positions == list(range(1, 241))


def test_the_documented_example_runs(postgres_dsn: str, pg_schema: str) -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "postgres.md").read_text("utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "Postgres" in b)
    block = block.replace("postgresql://hall@127.0.0.1:5432/halls", postgres_dsn)
    block = block.replace('"hall_dongping"', repr(pg_schema))
    exec(compile(block, "docs/postgres.md", "exec"), {})
    with PostgresStore(postgres_dsn, schema=pg_schema) as store:
        assert store.version("2026-0001") == 1


def test_a_clock_sets_recorded_at_and_a_naive_one_is_refused(
    postgres_dsn: str, pg_schemas: Callable[[], str]
) -> None:
    at = dt.datetime(2030, 1, 1, 8, 0, 0, 123456, tzinfo=SH)
    with PostgresStore(postgres_dsn, schema=pg_schemas(), clock=lambda: at) as store:
        store.append("c", 0, [ev()], mkrow("c", 1))
        recorded = store.load("c")[0].recorded_at
        assert recorded == at and recorded.tzinfo == dt.UTC
    naive = dt.datetime(2030, 1, 1)
    with PostgresStore(postgres_dsn, schema=pg_schemas(), clock=lambda: naive) as store:
        with pytest.raises(NaiveDatetimeError, match="clock"):
            store.append("c", 0, [ev()], mkrow("c", 1))
        assert store.case_ids() == []


def test_a_failing_append_fails_only_itself(postgres_dsn: str, pg_schema: str) -> None:
    with PostgresStore(postgres_dsn, schema=pg_schema) as store:
        store.append("bad", 0, [ev()], mkrow("bad", 1))
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:  # an event the row denies
            conn.execute(
                f'INSERT INTO "{pg_schema}".events SELECT case_id, 2, kind, actor, at_utc, '
                f'at_tz, "schema", payload, recorded_at, digest FROM "{pg_schema}".events'.encode()
            )
        with pytest.raises(StoreError) as info:
            store.append_many(
                [
                    Append("ok-1", 0, [ev()], mkrow("ok-1", 1)),
                    Append("bad", 1, [ev()], mkrow("bad", 2)),  # its seq 2 is taken
                    Append("ok-2", 0, [ev()], mkrow("ok-2", 1)),
                ]
            )
        assert isinstance(info.value.__cause__, psycopg.errors.UniqueViolation)
        assert store.version("ok-1") == store.version("ok-2") == 1
        assert store.row("bad").version == 1
        assert store.head().position == 3  # bad's first append, then ok-1 and ok-2


def test_a_schema_holding_foreign_tables_is_refused(postgres_dsn: str, pg_schema: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{pg_schema}"'.encode())
        conn.execute(f'CREATE TABLE "{pg_schema}".events (x int)'.encode())
        conn.execute(f'INSERT INTO "{pg_schema}".events VALUES (7)'.encode())
    with pytest.raises(StoreError, match="already exists"):
        PostgresStore(postgres_dsn, schema=pg_schema)
    with psycopg.connect(postgres_dsn) as conn:  # the migration's transaction rolled back whole
        assert conn.execute(f'SELECT x FROM "{pg_schema}".events'.encode()).fetchall() == [(7,)]
        found = conn.execute(
            b"SELECT to_regclass(%s)", (f'"{pg_schema}".schema_version',)
        ).fetchone()
        assert found == (None,)
