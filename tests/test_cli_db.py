"""``hallflow db migrate`` and ``hallflow db copy``: a hall moved SQLite -> PostgreSQL -> SQLite.

Against the real PostgreSQL server of tests/postgres_fixtures.py. The copy must carry every
stored value — events with their recorded_at and digests, rows, keys, the hall chain — so
that the copy verifies, ends at the source's head, and a checkpoint signed on the source
verifies on it; a Hall then runs on the copy, and its audit is clean.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hallflow.cli import main
from hallflow.store import Append, CaseRow, Checkpoint, NewEvent, SQLiteStore
from hallflow.store.base import EventStore
from hallflow.store.postgres import SCHEMA_VERSION, PostgresStore
from tests.hall_fixtures import build_hall
from tests.test_history import lifecycle

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def _history(store: EventStore) -> None:
    """A hall's worth of variety: two full lifecycles, keys, digests, sweep marks, a batch."""
    hall = build_hall(store)
    lifecycle(hall, approve=True)
    lifecycle(hall, approve=False, day=9)
    row = CaseRow("x-1", "m", "a", "w", "received", T0, 1, clocks=b"\x01\x02", swept=None)
    store.append(
        "x-1", 0, [NewEvent("received", "c", T0, {"中": [1.5, None]})], row, idempotency_key="k"
    )
    store.append_many(
        [
            Append(
                "x-2",
                0,
                [NewEvent("received", "c", T0)],
                CaseRow("x-2", "m", "a", "w", "r", None, 1, clocks=b""),
                "k2",
                "digest-2",
            )
        ]
    )
    store.put_swept([("x-1", 1, None, b"\x09")])


def _snapshot(store: EventStore) -> dict[str, object]:
    ids = store.case_ids()
    return {
        "ids": ids,
        "events": {
            c: [(e, e.digest, e.recorded_at, e.at.utcoffset()) for e in store.load(c)] for c in ids
        },
        "rows": {c: store.row(c) for c in ids},
        "keys": {(c, k): store.idempotency(c, k) for c in ids for k in ("k", "k2", "absent")},
        "head": store.head(),
    }


def test_a_hall_goes_to_postgres_and_back(
    tmp_path: Path, postgres_dsn: str, pg_schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "hall.db"
    key = Ed25519PrivateKey.generate()
    with SQLiteStore(src) as store:
        _history(store)
        checkpoint = Checkpoint.sign(store.head(), T0, key, key_id="auditor")
        original = _snapshot(store)
    status, out, err = run(
        ["db", "copy", str(src), postgres_dsn, "--dst-schema", pg_schema], capsys
    )
    assert (status, err) == (0, ""), err
    assert "the copy verifies" in out and f"head {checkpoint.position} " in out
    with PostgresStore(postgres_dsn, schema=pg_schema) as pg:
        assert _snapshot(pg) == original
        assert pg.verify(checkpoints=[checkpoint]).ok
        hall = build_hall(pg)  # the hall runs on, on PostgreSQL
        audit = hall.audit(checkpoints=[checkpoint])
        assert audit.chain.ok and audit.seals == 2
        # Only the two cases written at the store level (no hall lifecycle) fail to replay.
        assert {f.case_id for f in audit.findings} == {"x-1", "x-2"}
        pg.append(  # and takes new appends after the copied chain
            "x-1", 1, [NewEvent("accepted", "c", T0)], CaseRow("x-1", "m", "a", "w", "a", None, 2)
        )
        moved = _snapshot(pg)
        assert pg.verify(checkpoints=[checkpoint]).ok
    back = tmp_path / "back.db"
    status, out, err = run(
        ["db", "copy", postgres_dsn, str(back), "--src-schema", pg_schema], capsys
    )
    assert (status, err) == (0, ""), err
    with SQLiteStore(back) as store:
        assert _snapshot(store) == moved
        assert store.verify(checkpoints=[checkpoint]).ok
        store.append(
            "y", 0, [NewEvent("received", "c", T0)], CaseRow("y", "m", "a", "w", "r", None, 1)
        )
        report = store.verify(checkpoints=[checkpoint])
        assert report.ok, report.breaks
        assert report.positions == moved["head"].position + 1  # type: ignore[attr-defined]


def test_copy_refuses_a_destination_that_holds_cases(
    tmp_path: Path, postgres_dsn: str, pg_schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "hall.db"
    with SQLiteStore(src) as store:
        _history(store)
    with PostgresStore(postgres_dsn, schema=pg_schema) as pg:
        pg.append(
            "other",
            0,
            [NewEvent("received", "c", T0)],
            CaseRow("other", "m", "a", "w", "r", None, 1),
        )
        before = _snapshot(pg)
    status, out, err = run(
        ["db", "copy", str(src), postgres_dsn, "--dst-schema", pg_schema], capsys
    )
    assert status == 2 and out == ""
    assert "not empty" in err and err.count("\n") == 1
    with PostgresStore(postgres_dsn, schema=pg_schema) as pg:
        assert _snapshot(pg) == before
    # SQLite destinations too.
    dst = tmp_path / "dst.db"
    with SQLiteStore(dst) as store:
        store.append(
            "z", 0, [NewEvent("received", "c", T0)], CaseRow("z", "m", "a", "w", "r", None, 1)
        )
    status, _, err = run(["db", "copy", str(src), str(dst)], capsys)
    assert status == 2 and "not empty" in err


def test_copy_refuses_a_source_that_does_not_verify(
    tmp_path: Path, postgres_dsn: str, pg_schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "hall.db"
    with SQLiteStore(src) as store:
        _history(store)
    conn = sqlite3.connect(src)
    with conn:
        conn.execute("UPDATE events SET actor = 'forger' WHERE case_id = 'x-1' AND seq = 1")
    conn.close()
    status, _, err = run(["db", "copy", str(src), postgres_dsn, "--dst-schema", pg_schema], capsys)
    assert status == 2
    assert "does not verify" in err and "x-1" in err
    with PostgresStore(postgres_dsn, schema=pg_schema) as pg:
        assert pg.case_ids() == [] and pg.head().position == 0


def test_copy_refuses_a_missing_source_and_a_schema_for_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(["db", "copy", str(tmp_path / "none.db"), str(tmp_path / "b.db")], capsys)
    assert status == 2 and "SRC" in err and "existing hallflow store" in err
    assert not (tmp_path / "none.db").exists()
    src = tmp_path / "a.db"
    SQLiteStore(src).close()
    status, _, err = run(
        ["db", "copy", str(src), str(tmp_path / "b.db"), "--src-schema", "s"], capsys
    )
    assert status == 2 and "--src-schema" in err


def test_migrate_creates_and_reports_the_schema(
    tmp_path: Path, postgres_dsn: str, pg_schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):  # the second run finds it done
        status, out, err = run(["db", "migrate", postgres_dsn, "--schema", pg_schema], capsys)
        assert (status, err) == (0, "")
        assert out == f"PostgreSQL schema {pg_schema!r}: hallflow schema version {SCHEMA_VERSION}\n"
    with psycopg.connect(postgres_dsn) as conn:
        count = conn.execute(
            f'SELECT count(*) FROM "{pg_schema}".schema_version'.encode()
        ).fetchone()
    assert count == (SCHEMA_VERSION,)
    db = tmp_path / "new.db"
    status, out, _ = run(["db", "migrate", str(db)], capsys)
    assert status == 0 and "SQLite file" in out
    with SQLiteStore(db) as store:
        assert store.case_ids() == []
    status, _, err = run(["db", "migrate", str(db), "--schema", "x"], capsys)
    assert status == 2 and "--schema" in err


def test_an_unreachable_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        ["db", "migrate", "postgresql://nobody@127.0.0.1:1/none", "--timeout", "0.5"], capsys
    )
    assert status == 2 and out == ""
    assert (
        err.startswith("hallflow: error: PostgreSQL store: cannot connect") and err.count("\n") == 1
    )


def test_without_psycopg_a_dsn_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "hallflow.store.postgres", None)  # as if not installed
    status, out, err = run(["db", "migrate", "postgresql://u:secret@127.0.0.1/db"], capsys)
    assert status == 2 and out == ""
    assert "pip install 'hallflow[postgres]'" in err and "secret" not in err
    status, out, _ = run(["db", "migrate", str(tmp_path / "x.db")], capsys)  # SQLite needs none
    assert status == 0
