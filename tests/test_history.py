"""A history that proves itself: upcasters, replay errors, the seal registry as events, audit."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import attrs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hallflow.cases.case import fold
from hallflow.cases.hall import Hall
from hallflow.cases.lifecycle import CaseState
from hallflow.cases.registry import SEAL_STREAM
from hallflow.cases.upcast import CURRENT_SCHEMA, upcast
from hallflow.errors import CaseCommandError, HistoryError, NotAuthorisedError
from hallflow.store import SQLiteStore
from hallflow.store.base import StoredEvent
from tests.hall_fixtures import APPLICANT, at, build_hall

LEGACY = Path(__file__).parent / "data" / "legacy" / "store-v1.sqlite"


def lifecycle(hall: Hall, approve: bool = True, day: int = 2) -> str:
    case = hall.submit(
        "plan-01", APPLICANT, "pl", materials=["form", "site"], actor="clerk", at=at(11, day, 9)
    )
    cid = case.case_id
    hall.accept(cid, actor="clerk", at=at(11, day, 10))
    hall.sign(cid, "review", actor="rev1", at=at(11, day, 11))
    hall.assign(cid, "council", ["rev1", "rev2"], actor="chief", at=at(11, day, 12))
    hall.sign(cid, "council", actor="rev1", at=at(11, day, 13))
    hall.sign(cid, "council", actor="rev2", at=at(11, day, 14))
    hall.sign(cid, "approve", actor="chief", at=at(11, day, 15))
    reasons = "" if approve else "the site plan contradicts the zoning"
    hall.decide(cid, approve, actor="chief", at=at(11, day + 1, 9), reasons=reasons)
    hall.seal(cid, "S-PLAN-1", actor="chief", at=at(11, day + 1, 10))
    return cid


# ---------------------------------------------------------------- upcasting, a real store


def test_a_store_written_before_payload_versions_still_replays(tmp_path: Path) -> None:
    """tests/data/legacy was written by hallflow 509ce6d: schema 1, ``decided`` as a bool."""
    path = tmp_path / "old.sqlite"
    shutil.copy(LEGACY, path)
    with SQLiteStore(path) as store:
        hall = build_hall(store)
        approved = hall.case("case-0001")
        denied = hall.case("case-0002")
        assert approved.decision is not None and approved.decision.approved is True
        assert denied.decision is not None and denied.decision.approved is False
        assert denied.decision.remedies  # a denial told the remedies then as now
        raw = next(e for e in store.load("case-0002") if e.kind == "decided")
        assert raw.schema == 1 and raw.payload["approved"] is False  # stored as it was
        # the seal made then still verifies over the decision re-derived from the events
        report = hall.audit()
        assert report.ok, report.lines()
        assert report.seals == 2
        # and the hall goes on: the open case takes new commands, written in today's shape
        hall.supply("case-0003", ["site"], actor="applicant", at=at(3, 17, 9))
        hall.accept("case-0003", actor="clerk", at=at(3, 17, 10))
        assert hall.case("case-0003").state is CaseState.REVIEWING


def test_upcasting_turns_the_boolean_into_an_outcome() -> None:
    old = StoredEvent(
        "c", 4, "decided", "chief", at(11, 2), {"approved": False, "reasons": "r"}, at(11, 2)
    )
    new = upcast(old)
    assert new.schema == CURRENT_SCHEMA["decided"] == 2
    assert new.payload == {"outcome": "denied", "reasons": "r"}
    assert upcast(attrs.evolve(old, payload={"approved": True})).payload["outcome"] == "approved"
    with pytest.raises(HistoryError, match="boolean"):
        upcast(attrs.evolve(old, payload={"approved": "no"}))
    with pytest.raises(HistoryError, match="version"):
        upcast(attrs.evolve(old, schema=3))
    with pytest.raises(HistoryError, match="unknown event kind"):
        upcast(attrs.evolve(old, kind="teleported"))


# ---------------------------------------------------------------- replay names case and position


def test_a_reordered_or_malformed_history_names_the_case_and_position() -> None:
    hall = build_hall()
    cid = lifecycle(hall)
    events = hall.store.load(cid)
    swapped = [*events[:3], attrs.evolve(events[4], seq=4), attrs.evolve(events[3], seq=5)]
    with pytest.raises(HistoryError) as caught:
        fold(swapped)
    assert caught.value.case_id == cid and caught.value.seq in (4, 5)
    gap = [*events[:3], *events[4:]]
    with pytest.raises(HistoryError, match="expected event 4"):
        fold(gap)
    broken = [*events[:1], attrs.evolve(events[1], payload={})]
    with pytest.raises(HistoryError) as caught:
        fold(broken)
    assert caught.value.seq == 2
    with pytest.raises(HistoryError):
        fold([])
    with pytest.raises(HistoryError, match="submitted"):
        fold(events[1:])


# ---------------------------------------------------------------- the seal registry as events


def test_a_revocation_is_known_to_a_hall_started_later(tmp_path: Path) -> None:
    path = tmp_path / "hall.db"
    with SQLiteStore(path) as store:
        first = build_hall(store)
        cid = lifecycle(first)
        first.revoke_seal("S-PLAN-1", "the key was compromised", actor="chief", at=at(11, 4))
        assert store.load(SEAL_STREAM)[-1].kind == "seal_revoked"
    with SQLiteStore(path) as store:
        later = build_hall(store)  # configured with the old registry object: seal active
        assert not later.seals.get("S-PLAN-1").is_active
        other = later.submit(
            "plan-01",
            APPLICANT,
            "pl",
            materials=["form", "site"],
            actor="clerk",
            at=at(11, 5),
            case_id="case-0100",  # the later hall's own id counter starts again at 1
        )
        for step in ("accept",):
            getattr(later, step)(other.case_id, actor="clerk", at=at(11, 5, 11))
        later.sign(other.case_id, "review", actor="rev1", at=at(11, 5, 12))
        later.assign(other.case_id, "council", ["rev1"], actor="chief", at=at(11, 5, 12))
        later.sign(other.case_id, "council", actor="rev1", at=at(11, 5, 13))
        later.sign(other.case_id, "approve", actor="chief", at=at(11, 5, 14))
        later.decide(other.case_id, True, actor="chief", at=at(11, 5, 15))
        version = later.case(other.case_id).version
        with pytest.raises(CaseCommandError, match="revoked"):
            later.seal(other.case_id, "S-PLAN-1", actor="chief", at=at(11, 5, 16))
        assert later.case(other.case_id).version == version
        # the case sealed before the revocation still verifies
        assert later.audit().ok
        assert later.find(state="sealed")[0].case_id == cid
        assert SEAL_STREAM not in {r.case_id for r in later.find()}
        assert SEAL_STREAM not in later.case_ids()


def test_a_seal_handed_over_is_used_by_its_new_holder_only() -> None:
    hall = build_hall()
    hall.change_seal("S-PLAN-1", actor="chief", at=at(11, 2, 8), holder="deputy")
    cid_case = hall.submit(
        "plan-01", APPLICANT, "pl", materials=["form", "site"], actor="clerk", at=at(11, 2, 9)
    )
    assert hall.seals.get("S-PLAN-1").holder == "deputy"
    with pytest.raises(NotAuthorisedError):
        hall.change_seal("S-PLAN-1", actor="ghost", at=at(11, 2, 10), holder="chief")
    assert cid_case.case_id


# ---------------------------------------------------------------- audit


def _edit(path: Path, sql: str, *params: object) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql, params)
    conn.close()


def test_audit_is_clean_then_finds_a_forged_decider_even_after_a_full_rewrite(
    tmp_path: Path,
) -> None:
    """An edit is caught by the chain; a whole-file rewrite by the checkpoint and the powers."""
    from hallflow.store.chain import Checkpoint

    path = tmp_path / "hall.db"
    key = Ed25519PrivateKey.generate()
    with SQLiteStore(path) as store:
        hall = build_hall(store)
        cid = lifecycle(hall, approve=True)
        lifecycle(hall, approve=False, day=9)
        clean = hall.audit()
        assert clean.ok and clean.cases == 2 and clean.seals == 2
        checkpoint = hall.checkpoint(key, "auditor-1")
        assert checkpoint.verify_signature(key.public_key())
    # the decider becomes a clerk, who holds no decide power
    _edit(path, "UPDATE events SET actor = 'clerk' WHERE case_id = ? AND kind = 'decided'", cid)
    with SQLiteStore(path) as store:
        report = build_hall(store).audit(checkpoints=[checkpoint])
        rules = {b.rule for b in report.breaks} | {f.rule for f in report.findings}
        assert not report.ok
        assert "authority" in rules  # found without the chain, from the powers alone
        assert {"event-digest", "case-link"} & rules
    # flipping the outcome: the chain, and the seal no longer verifies over the events
    _edit(
        path,
        "UPDATE events SET payload = replace(payload, '\"approved\"', '\"denied\"') "
        "WHERE case_id = ? AND kind = 'decided'",
        cid,
    )
    with SQLiteStore(path) as store:
        report = build_hall(store).audit()
        assert "seal-signature" in {f.rule for f in report.findings} or "replay" in {
            f.rule for f in report.findings
        }
        assert not report.chain.ok
    assert isinstance(Checkpoint.from_json(checkpoint.to_json()), Checkpoint)


def test_audit_reports_an_unreplayable_case_without_stopping(tmp_path: Path) -> None:
    path = tmp_path / "hall.db"
    with SQLiteStore(path) as store:
        hall = build_hall(store)
        good = lifecycle(hall)
        bad = lifecycle(hall, day=9)
    # a history no command could have written: decided a month after it was sealed
    _edit(
        path,
        "UPDATE events SET at_utc = '2026-12-20T01:00:00.000000' "
        "WHERE case_id = ? AND kind = 'decided'",
        bad,
    )
    with SQLiteStore(path) as store:
        hall = build_hall(store)
        report = hall.audit()
        replays = [f for f in report.findings if f.rule == "replay"]
        assert [f.case_id for f in replays] == [bad]
        assert good not in {f.case_id for f in report.findings}
        assert {b.case_id for b in report.breaks} == {bad}
        json.dumps(report.lines())
        with pytest.raises(HistoryError) as caught:
            hall.case(bad)
        assert caught.value.case_id == bad
        # the sweep reports the case it cannot read and sweeps the others
        swept = hall.sweep(at(12, 1))
        assert [f.case_id for f in swept.failures] == [bad]
