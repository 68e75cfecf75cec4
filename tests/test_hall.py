"""The Hall: case lifecycles end to end, authority, refusals that record nothing.

November 2026 has no holidays; the chief representative is on leave 16–20 November and
their B post (deputy) acts for them then.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hallflow.cases.hall import APPLICANT, SUPERVISION, Hall
from hallflow.cases.lifecycle import CaseState
from hallflow.cases.pipeline import event
from hallflow.errors import (
    CaseCommandError,
    CaseStateError,
    CommandInputError,
    ConcurrencyError,
    MaterialsError,
)
from hallflow.seals import SealImpression, verify_impression
from hallflow.store import SQLiteStore
from hallflow.timeline import Limit, Outcome, PauseReason
from tests.hall_fixtures import APPLICANT as PERSON
from tests.hall_fixtures import CAL, at, build_hall


@pytest.fixture
def hall() -> Hall:
    return build_hall()


def submit(hall: Hall, materials: tuple[str, ...] = ("form", "site"), **kw: object) -> str:
    case = hall.submit(
        kw.pop("matter", "plan-01"),  # type: ignore[arg-type]
        PERSON,
        "c1",
        materials=materials,
        actor="clerk",
        at=kw.pop("when", at(11, 2)),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )
    return case.case_id


def review_through(hall: Hall, case_id: str, when: dt.datetime) -> None:
    hall.sign(case_id, "review", actor="rev1", at=when)
    hall.assign(case_id, "council", ["rev1", "rev2"], actor="chief", at=when)
    hall.sign(case_id, "council", actor="rev2", at=when)
    hall.sign(case_id, "council", actor="rev1", at=when)
    hall.sign(case_id, "approve", actor="chief", at=when)


def test_full_lifecycle_seals_a_verifiable_decision(hall: Hall) -> None:
    case_id = submit(hall)
    hall.accept(case_id, actor="clerk", at=at(11, 2, 11))
    review_through(hall, case_id, at(11, 5))
    decided = hall.decide(case_id, True, actor="chief", at=at(11, 6))
    assert decided.state is CaseState.DECIDED
    sealed = hall.seal(case_id, "S-PLAN-1", actor="chief", at=at(11, 6, 15))
    assert sealed.sealed_at == at(11, 6, 15)
    closed = hall.deliver(case_id, "in_person", actor="clerk", at=at(11, 9))
    assert closed.state is CaseState.CLOSED
    # the seal verifies, later, with the public key only
    assert closed.seal is not None
    impression = SealImpression.from_dict(closed.seal)
    public = hall.seal_provider.public_key_pem("plan-2026")  # type: ignore[attr-defined]
    document = hall.decision_document(closed)
    assert verify_impression(impression, document, public)
    assert not verify_impression(impression, {**document, "approved": False}, public)
    # the seal time is the legal closing time: the clocks stopped there, early
    clocks = hall.clocks(closed)
    status = clocks["promised"].status(at(12, 31))
    assert status.outcome is Outcome.EARLY
    assert clocks["legal"].status(at(12, 31)).state.value == "stopped"
    # replay from the store equals the live case; the query projection agrees
    assert hall.case(case_id) == closed
    assert [r.case_id for r in hall.find(state=CaseState.CLOSED)] == [case_id]


def test_refused_commands_record_nothing(hall: Hall) -> None:
    case_id = submit(hall, materials=("form",))
    before = hall.case(case_id)
    with pytest.raises(MaterialsError, match="site"):
        hall.accept(case_id, actor="clerk", at=at(11, 2, 11))
    with pytest.raises(CaseCommandError) as refused:
        hall.accept(case_id, actor="rev1", at=at(11, 2, 11))
    assert (refused.value.actor, refused.value.command, refused.value.case_id) == (
        "rev1",
        "accept",
        case_id,
    )
    with pytest.raises(CaseStateError, match="submitted"):
        hall.decide(case_id, True, actor="chief", at=at(11, 2, 11))
    assert hall.case(case_id) == before


def test_correction_lists_everything_and_restarts_the_clock(hall: Hall) -> None:
    """Licensing Law Art. 32 and DOMAIN.md §4: one notice listing all missing items; the
    period runs from the day the materials are complete."""
    case_id = submit(hall, materials=("form",))
    with pytest.raises(MaterialsError, match="every missing item"):
        hall.request_correction(case_id, {"form": "unsigned"}, actor="clerk", at=at(11, 3))
    hall.request_correction(
        case_id, {"form": "unsigned", "site": "missing"}, actor="clerk", at=at(11, 3)
    )
    with pytest.raises(MaterialsError, match="site"):
        hall.supply(case_id, ["form"], actor=APPLICANT, at=at(11, 9))
    hall.supply(case_id, ["form", "site"], actor=APPLICANT, at=at(11, 9))
    accepted = hall.accept(case_id, actor="clerk", at=at(11, 10))
    assert accepted.clock_start == at(11, 10)
    assert hall.clocks(accepted)["promised"].due(at(11, 10)) == CAL_close(
        CAL.add_working_days(dt.date(2026, 11, 10), 12)
    )


def CAL_close(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(17, 30), tzinfo=at(1, 1).tzinfo)


def test_late_acceptance_counts_from_receipt(hall: Hall) -> None:
    """Art. 32: not notified within 5 working days ⇒ accepted from receipt."""
    case_id = submit(hall)
    # received Mon 2 Nov; the notice window ends Mon 9 Nov
    with pytest.raises(CaseCommandError, match=r"Art\. 32"):
        hall.request_correction(case_id, {"form": "blurred"}, actor="clerk", at=at(11, 10))
    accepted = hall.accept(case_id, actor="clerk", at=at(11, 10))
    assert accepted.clock_start == at(11, 2)


def test_b_post_acts_only_while_a_is_away(hall: Hall) -> None:
    case_id = submit(hall)
    hall.accept(case_id, actor="clerk", at=at(11, 2, 11))
    hall.sign(case_id, "review", actor="rev1", at=at(11, 3))
    with pytest.raises(CaseCommandError, match="deputy"):
        hall.assign(case_id, "council", ["rev1", "rev2"], actor="deputy", at=at(11, 13))
    # 16-20 November: the chief is on leave, the deputy acts, the chief may not
    hall.assign(case_id, "council", ["rev1", "rev2"], actor="deputy", at=at(11, 16))
    with pytest.raises(CaseCommandError, match="chief"):
        hall.add_signer(case_id, "council", "chief", actor="chief", at=at(11, 17))


def test_countersign_or_sign_return_and_transfer(hall: Hall) -> None:
    case_id = submit(hall)
    hall.accept(case_id, actor="clerk", at=at(11, 2, 11))
    with pytest.raises(CaseStateError, match="current step"):
        hall.sign(case_id, "approve", actor="chief", at=at(11, 3))
    hall.sign(case_id, "review", actor="rev1", at=at(11, 3))
    with pytest.raises(CaseStateError, match="no signers"):
        hall.sign(case_id, "council", actor="rev1", at=at(11, 3))
    hall.assign(case_id, "council", ["rev1"], actor="chief", at=at(11, 3))
    hall.add_signer(case_id, "council", "rev2", actor="chief", at=at(11, 3))  # 加签
    hall.sign(case_id, "council", actor="rev1", at=at(11, 4))
    assert hall.case(case_id).current_step.step == "council"  # type: ignore[union-attr]
    hall.transfer(case_id, "council", "chief", actor="rev2", at=at(11, 4))  # 转办
    with pytest.raises(CaseCommandError, match="not a signer"):
        hall.sign(case_id, "council", actor="rev2", at=at(11, 4))
    hall.sign(case_id, "council", actor="chief", at=at(11, 4))
    # 驳回: back to the review step; the signatures of review and council are cleared
    returned = hall.return_case(
        case_id, "review", "site plan scale wrong", actor="chief", at=at(11, 5)
    )
    assert [s.done for s in returned.steps] == [False, False, False]
    with pytest.raises(CaseStateError, match="earlier"):
        hall.return_case(case_id, "approve", "x", actor="chief", at=at(11, 5))
    back = hall.return_case(case_id, "window", "start over", actor="chief", at=at(11, 5))
    assert back.state is CaseState.SUBMITTED


def test_gaps_block_approval_until_supplied(hall: Hall) -> None:
    """容缺受理 (Dongping): accepted on a pledge to supply the site plan within 5 days."""
    case_id = submit(hall, materials=("form",))
    with pytest.raises(CaseCommandError, match="pledge date"):
        hall.accept_with_gaps(case_id, ["site"], dt.date(2026, 11, 30), actor="clerk", at=at(11, 2))
    hall.accept_with_gaps(case_id, ["site"], dt.date(2026, 11, 6), actor="clerk", at=at(11, 2))
    review_through(hall, case_id, at(11, 3))
    with pytest.raises(CaseStateError, match="deferred"):
        hall.decide(case_id, True, actor="chief", at=at(11, 4))
    hall.supply_deferred(case_id, ["site"], actor=APPLICANT, at=at(11, 5))
    assert hall.decide(case_id, True, actor="chief", at=at(11, 5)).decision is not None


def test_suspension_extension_and_deemed_approval(hall: Hall) -> None:
    case_id = submit(hall)
    hall.accept(case_id, actor="clerk", at=at(11, 2, 11))
    with pytest.raises(CaseCommandError, match="excludes only"):
        hall.suspend(case_id, PauseReason.TESTING, actor="chief", at=at(11, 3))
    hall.suspend(
        case_id,
        PauseReason.EXPERT_REVIEW,
        actor="chief",
        at=at(11, 3),
        length=Limit.working_days(5),
    )
    hall.resume(case_id, actor="chief", at=at(11, 10))
    case = hall.case(case_id)
    legal_due = hall.clocks(case)["legal"].due(at(11, 10))
    # 20 working days from 2 Nov (30 Nov) pushed by the 5 excluded days → 7 Dec
    assert legal_due == CAL_close(dt.date(2026, 12, 7))
    with pytest.raises(CaseCommandError, match="after the limit expired"):
        hall.extend(case_id, Limit.working_days(10), actor="chief", at=at(12, 8), reason="complex")
    with pytest.raises(CaseStateError, match="runs until"):
        hall.deem_approved(case_id, at=at(12, 7, 12))
    deemed = hall.deem_approved(case_id, at=at(12, 8))
    assert deemed.decision is not None and deemed.decision.deemed
    assert deemed.decision.by == SUPERVISION


def test_extension_before_expiry_moves_the_due_date(hall: Hall) -> None:
    case_id = submit(hall)
    hall.accept(case_id, actor="clerk", at=at(11, 2, 11))
    with pytest.raises(CommandInputError, match="reason"):
        hall.extend(case_id, Limit.working_days(10), actor="chief", at=at(11, 27), reason=" ")
    case = hall.extend(
        case_id, Limit.working_days(10), actor="chief", at=at(11, 27), reason="expert opinions"
    )
    assert hall.clocks(case)["legal"].due(at(11, 27)) == CAL_close(dt.date(2026, 12, 14))
    assert hall.clocks(case)["promised"].due(at(11, 27)) == CAL_close(
        CAL.add_working_days(dt.date(2026, 11, 2), 12)
    )
    with pytest.raises(CaseStateError, match="runs until"):
        hall.deem_approved(case_id, at=at(12, 1))


def test_joint_case_silence_counts_as_consent(hall: Hall) -> None:
    """联办件: the lead copies the co-departments; the Land Bureau's request waits for the
    Fire Brigade's reply (its prerequisite); silence past the deadline is consent, the
    silent department recorded as responsible."""
    case_id = submit(hall, materials=("form",), matter="plan-joint")
    accepted = hall.accept(case_id, actor="clerk", at=at(11, 2, 11))
    assert [o.department for o in accepted.opinions] == ["Fire Brigade"]
    with pytest.raises(CaseCommandError, match="not of Fire Brigade"):
        hall.give_opinion(case_id, "Fire Brigade", True, actor="land", at=at(11, 3))
    case = hall.give_opinion(case_id, "Fire Brigade", True, actor="fire", at=at(11, 3))
    assert [o.department for o in case.opinions] == ["Fire Brigade", "Land Bureau"]
    hall.sign(case_id, "review", actor="rev1", at=at(11, 4))
    hall.sign(case_id, "approve", actor="chief", at=at(11, 4))
    with pytest.raises(CaseStateError, match="Land Bureau"):
        hall.decide(case_id, True, actor="chief", at=at(11, 5))
    assert hall.sweep_opinions(case_id, at=at(11, 6)).opinions[1].consent is None
    swept = hall.sweep_opinions(case_id, at=at(11, 10))  # 4 working days after 3 Nov: 9 Nov
    land = swept.opinions[1]
    assert (land.consent, land.deemed, land.responsible) == (True, True, "Land Bureau")
    assert hall.sweep_opinions(case_id, at=at(11, 11)).version == swept.version  # idempotent
    assert hall.decide(case_id, True, actor="chief", at=at(11, 11)).state is CaseState.DECIDED


def test_broken_pledge_refuses_the_next_pledge(hall: Hall) -> None:
    """告知承诺 (Shizhu, Dongping): a broken pledge is refused in later approvals."""
    first = submit(hall)
    approved = hall.approve_on_pledge(first, dt.date(2026, 12, 31), actor="chief", at=at(11, 2))
    assert approved.state is CaseState.DECIDED
    hall.verify_pledge(first, False, actor="chief", at=at(12, 1))
    assert hall.broken_pledges(PERSON.id_number) == [first]
    second = submit(hall, when=at(12, 2))
    with pytest.raises(CaseCommandError, match="broke an earlier pledge"):
        hall.approve_on_pledge(second, dt.date(2026, 12, 31), actor="chief", at=at(12, 2))


def test_withdraw_not_accept_revoke(hall: Hall) -> None:
    a = submit(hall)
    assert hall.withdraw(a, actor=APPLICANT, at=at(11, 3)).state is CaseState.WITHDRAWN
    with pytest.raises(CaseStateError):
        hall.accept(a, actor="clerk", at=at(11, 3))
    b = submit(hall)
    with pytest.raises(CommandInputError, match="written reason"):
        hall.not_accept(b, "  ", actor="clerk", at=at(11, 3))
    assert hall.not_accept(
        b, "outside remit", actor="clerk", at=at(11, 3), redirect_window="pl"
    ).closed


def test_window_outside_remit_names_the_right_window(hall: Hall) -> None:
    with pytest.raises(CaseCommandError, match=r"does not handle.*\['c1', 'pl'\]"):
        hall.submit("plan-01", PERSON, "hf", materials=["form"], actor="clerk", at=at(11, 2))


def test_idempotent_commands_apply_once(hall: Hall) -> None:
    case_id = submit(hall)
    one = hall.accept(case_id, actor="clerk", at=at(11, 2, 11), idempotency_key="k-accept")
    two = hall.accept(case_id, actor="clerk", at=at(11, 2, 11), idempotency_key="k-accept")
    assert one == two
    assert two.version == 2


def test_two_clerks_one_case_exactly_one_wins(tmp_path: object) -> None:
    store = SQLiteStore(tmp_path / "hall.db")  # type: ignore[operator]
    first, second = build_hall(store), build_hall(store)
    case_id = submit(first)
    stale = second.case(case_id)
    first.accept(case_id, actor="clerk", at=at(11, 2, 11))
    with pytest.raises(ConcurrencyError):
        second._pipeline.commit(
            stale,
            [event("accepted", "clerk", at(11, 2, 12), clock_start=at(11, 2, 12).isoformat())],
            at(11, 2, 12),
            None,
            None,
        )
    assert second.case(case_id).version == 2
    store.close()


def test_extensions_are_capped_by_the_law(hall: Hall) -> None:
    """Licensing Law Art. 42: at most 10 working days (joint handling: 15), once."""
    case_id = submit(hall)
    hall.accept(case_id, actor="clerk", at=at(11, 2, 11))
    with pytest.raises(CaseCommandError, match=r"at most 10 working days.*Art\. 42"):
        hall.extend(case_id, Limit.working_days(11), actor="chief", at=at(11, 23), reason="x")
    hall.extend(case_id, Limit.working_days(6), actor="chief", at=at(11, 23), reason="x")
    with pytest.raises(CaseCommandError, match="6 already granted"):
        hall.extend(case_id, Limit.working_days(5), actor="chief", at=at(11, 24), reason="x")
    joint = submit(hall, materials=("form",), matter="plan-joint")
    hall.accept(joint, actor="clerk", at=at(11, 2, 11))
    hall.extend(joint, Limit.working_days(15), actor="chief", at=at(11, 23), reason="x")


def test_delivery_clock_runs_from_the_decision(hall: Hall) -> None:
    """Licensing Law Art. 44: deliver within 10 working days of the decision."""
    case_id = submit(hall)
    hall.accept(case_id, actor="clerk", at=at(11, 2, 11))
    review_through(hall, case_id, at(11, 3))
    decided = hall.decide(case_id, True, actor="chief", at=at(11, 4))
    delivery = hall.clocks(decided)["delivery"]
    assert delivery.due(at(11, 4)) == CAL_close(CAL.add_working_days(dt.date(2026, 11, 4), 10))
    hall.seal(case_id, "S-PLAN-1", actor="chief", at=at(11, 4, 15))
    found = hall.sweep(at(11, 19))  # past the delivery limit, still sealed, not delivered
    assert "overdue" in {e.code for c, e in found if c == case_id}
    closed = hall.deliver(case_id, "post", actor="clerk", at=at(11, 20))
    assert hall.clocks(closed)["delivery"].status(at(12, 1)).outcome is Outcome.LATE
