"""``hallflow audit DB``: chains, replays, seals, checkpoints, from the command line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallflow.cli import main
from hallflow.store import SQLiteStore
from tests.hall_fixtures import build_hall
from tests.test_history import lifecycle


@pytest.fixture
def hall_db(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A store with two sealed cases, a checkpoint file and the seal key's public key."""
    db = tmp_path / "hall.db"
    key = Ed25519PrivateKey.generate()
    with SQLiteStore(db) as store:
        hall = build_hall(store)
        lifecycle(hall, approve=True)
        lifecycle(hall, approve=False, day=9)
        checkpoint = tmp_path / "cp.json"
        checkpoint.write_text(hall.checkpoint(key, "auditor").to_json())
        public = tmp_path / "seal.pem"
        public.write_bytes(hall.seal_provider.public_key_pem("plan-2026"))  # type: ignore[attr-defined]
    return db, checkpoint, public


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_a_clean_store_audits_clean_with_signatures_and_checkpoint(
    hall_db: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, cp, pem = hall_db
    status, out, err = run(
        ["audit", str(db), "--checkpoint", str(cp), "--public-key", f"plan-2026={pem}"], capsys
    )
    assert (status, err) == (0, "")
    assert "audit clean" in out and "2 seals" in out and "plan-2026" in out


def test_an_edit_is_reported_one_line_each_with_status_1(
    hall_db: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _, pem = hall_db
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE events SET actor = 'clerk' WHERE kind = 'decided' AND seq = 8")
    conn.close()
    status, out, _ = run(["audit", str(db), "--public-key", f"plan-2026={pem}"], capsys)
    assert status == 1
    lines = out.splitlines()
    assert any(line.startswith("chain event-digest") for line in lines)
    assert lines[-1].startswith("audit ") and "problem" in lines[-1]


def test_a_whole_rewrite_is_caught_only_by_the_checkpoint(
    hall_db: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, cp, _ = hall_db
    other = tmp_path / "other.db"  # a different history with consistent chains
    with SQLiteStore(other) as store:
        lifecycle(build_hall(store), day=23)
    status, out, _ = run(["audit", str(other)], capsys)
    assert status == 0
    status, out, _ = run(["audit", str(other), "--checkpoint", str(cp)], capsys)
    assert status == 1 and "chain checkpoint" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["audit", "missing.db"], "DB="),
        (["audit", "{db}", "--public-key", "nokey"], "KEY_ID=PEM_FILE"),
        (["audit", "{db}", "--public-key", "k={db}"], "not a PEM public key"),
        (["audit", "{db}", "--checkpoint", "{db}"], "checkpoint"),
        (["audit", "{notes}"], "SQLite"),
    ],
)
def test_refusals_are_one_line(
    argv: list[str],
    needle: str,
    hall_db: tuple[Path, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database")
    args = [a.format(db=hall_db[0], notes=notes) for a in argv]
    status, out, err = run(args, capsys)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    tail=st.lists(
        st.sampled_from(["--checkpoint", "--public-key", "x=y", "k=", "{db}", "{cp}", "--", "-h"])
        | st.text(max_size=8),
        max_size=5,
    )
)
def test_any_audit_argv_ends_in_a_status_never_a_traceback(
    tail: list[str], hall_db: tuple[Path, Path, Path]
) -> None:
    db, cp, _ = hall_db
    argv = ["audit", *[t.format(db=db, cp=cp) if "{" in t and "}" in t else t for t in tail]]
    try:
        status = main(argv)
    except SystemExit as exit_:
        assert exit_.code in (0, 2)
    else:
        assert status in (0, 1, 2)
