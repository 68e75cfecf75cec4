"""Accountability records: every late step names the staff member, post, step, rule, evidence."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hallflow.cases.hall import Hall
from hallflow.errors import CommandInputError
from hallflow.supervision.accountability import case_records, post_of, records
from hallflow.timeline import Limit
from tests.hall_fixtures import APPLICANT, DEPT, at
from tests.test_evaluation import build, nth_working_day_close, supervision


def council_case(hall: Hall, case_id: str, accepted: dt.datetime) -> dict[str, int]:
    """A plan-01 case accepted at ``accepted``; rev2 still owes the council signature.

    Returns the seqs of its events by kind.
    """
    hall.submit(
        "plan-01",
        APPLICANT,
        "c1",
        materials=["form", "site"],
        actor="clerk",
        at=accepted,
        case_id=case_id,
    )
    hall.accept(case_id, actor="clerk", at=accepted)
    hall.sign(case_id, "review", actor="rev1", at=accepted)
    hall.assign(case_id, "council", ["rev1", "rev2"], actor="chief", at=accepted)
    hall.sign(case_id, "council", actor="rev1", at=accepted)
    return {e.kind: e.seq for e in hall.store.load(case_id)}


def test_an_open_case_past_its_promise_names_the_signer_who_holds_it() -> None:
    hall = build()
    accepted = at(3, 2, 11)
    seqs = council_case(hall, "c-1", accepted)
    due = nth_working_day_close(hall, accepted, 12)
    assert records(hall, due) == []
    later = due + dt.timedelta(hours=2)
    [rec] = records(hall, later)
    assert (rec.case_id, rec.clock, rec.step, rec.staff, rec.post, rec.department) == (
        "c-1",
        "promised",
        "council",
        "rev2",
        "reviewer",
        DEPT,
    )
    assert rec.limit == Limit.working_days(12) and "12 working days" in str(rec.limit)
    assert "promised limit of matter plan-01" in rec.rule
    assert (rec.due, rec.finished, rec.overdue_by) == (due, None, later - due)
    assert rec.evidence == (seqs["accepted"], seqs["signers_assigned"])
    legal_due = nth_working_day_close(hall, accepted, 20)
    legal = [r for r in records(hall, legal_due + dt.timedelta(minutes=1)) if r.clock == "legal"]
    assert [(r.staff, r.due) for r in legal] == [("rev2", legal_due)]
    assert "Urban and Rural Planning Law, Art. 40" in legal[0].rule


def test_a_case_closed_late_keeps_its_record_with_the_finish() -> None:
    hall = build()
    accepted = at(3, 2, 11)
    council_case(hall, "c-1", accepted)
    due = nth_working_day_close(hall, accepted, 12)
    t = due + dt.timedelta(days=1)
    hall.sign("c-1", "council", actor="rev2", at=t)
    hall.sign("c-1", "approve", actor="chief", at=t)
    hall.decide("c-1", True, actor="chief", at=t, reasons="ok")
    hall.seal("c-1", "S-PLAN-1", actor="chief", at=t)
    sealed = next(e.seq for e in hall.store.load("c-1") if e.kind == "sealed")
    [rec] = case_records(hall, hall.case("c-1"), t + dt.timedelta(days=60))
    assert (rec.staff, rec.finished, rec.overdue_by) == ("rev2", t, t - due)
    assert rec.evidence[-1] == sealed


def test_a_case_closed_in_time_has_no_record() -> None:
    hall = build()
    accepted = at(3, 2, 11)
    council_case(hall, "c-1", accepted)
    t = accepted + dt.timedelta(hours=1)
    hall.sign("c-1", "council", actor="rev2", at=t)
    hall.sign("c-1", "approve", actor="chief", at=t)
    hall.decide("c-1", True, actor="chief", at=t, reasons="ok")
    hall.seal("c-1", "S-PLAN-1", actor="chief", at=t)
    assert case_records(hall, hall.case("c-1"), at(12, 1)) == []


def test_a_decision_left_unsealed_is_the_deciders() -> None:
    hall = build()
    accepted = at(3, 2, 11)
    council_case(hall, "c-1", accepted)
    t = accepted + dt.timedelta(hours=1)
    hall.sign("c-1", "council", actor="rev2", at=t)
    hall.sign("c-1", "approve", actor="chief", at=t)
    hall.decide("c-1", True, actor="chief", at=t, reasons="ok")
    due = nth_working_day_close(hall, accepted, 12)
    [rec] = records(hall, due + dt.timedelta(minutes=5))
    assert (rec.step, rec.staff, rec.post) == ("seal", "chief", "chief_representative")


def test_a_joint_step_names_the_co_department() -> None:
    hall = build()
    accepted = at(3, 2, 11)
    hall.submit(
        "plan-joint",
        APPLICANT,
        "c1",
        materials=["form"],
        actor="clerk",
        at=accepted,
        case_id="j-1",
    )
    hall.accept("j-1", actor="clerk", at=accepted)
    requested = next(e.seq for e in hall.store.load("j-1") if e.kind == "opinion_requested")
    due = nth_working_day_close(hall, accepted, 5)
    [silent] = [
        r for r in records(hall, due + dt.timedelta(minutes=1)) if r.clock.startswith("opinion")
    ]
    assert (silent.clock, silent.staff, silent.department, silent.evidence) == (
        "opinion:Fire Brigade",
        None,  # the Fire Brigade has no chief representative in the hall
        "Fire Brigade",
        (requested,),
    )
    late_reply = due + dt.timedelta(days=1)
    hall.give_opinion("j-1", "Fire Brigade", True, actor="fire", at=late_reply)
    [replied] = [r for r in records(hall, late_reply) if r.clock == "opinion:Fire Brigade"]
    assert (replied.staff, replied.post, replied.finished) == ("fire", "reviewer", late_reply)


def test_late_rating_and_complaint_steps_are_recorded_too() -> None:
    hall = build()
    sup = supervision(hall)
    r = sup.rate(2, "sms", at=at(3, 3), window="pl", staff="clerk")
    sup.verify(r.rating_id, valid=True, finding="f", actor="sup", at=at(3, 3, 11))
    c = sup.receive_complaint("fees", "centre", "x", at=at(3, 3), window="pl")
    check = at(6, 1)
    found = {(x.case_id, x.clock): x for x in records(hall, check, sup)}
    rectify = found[(r.stream, "rectify")]
    assert (rectify.staff, rectify.post, rectify.due) == (
        "clerk",
        "clerk",
        nth_working_day_close(hall, at(3, 3, 11), 15),
    )
    assert found[(c.stream, "conclude")].department == DEPT
    assert records(hall, check) == []  # without supervision: cases only


def test_posts_and_input() -> None:
    hall = build()
    assert post_of(hall, "chief") == ("chief_representative", DEPT)
    assert post_of(hall, "ghost") == (None, None)
    with pytest.raises(CommandInputError):
        case_records(hall, "c-1", at(3, 3))  # type: ignore[arg-type]
    with pytest.raises(CommandInputError):
        records(hall, dt.datetime(2026, 3, 3))


@settings(max_examples=30, deadline=None)
@given(start=st.integers(0, 300), check=st.integers(0, 60))
def test_a_record_exactly_when_the_promise_has_passed(start: int, check: int) -> None:
    """Reference: the due instant counted by hand over the calendar's working days."""
    hall = build()
    accepted = dt.datetime.combine(
        dt.date(2026, 1, 5) + dt.timedelta(days=start), dt.time(10), tzinfo=at(1, 5).tzinfo
    )
    assume(hall.calendar.is_working_day(accepted.date()))
    assume(not dt.date(2026, 11, 16) <= accepted.date() <= dt.date(2026, 11, 20))
    council_case(hall, "c-1", accepted)
    due = nth_working_day_close(hall, accepted, 12)
    when = accepted + dt.timedelta(days=check, hours=7)
    promised = [r for r in records(hall, when) if r.clock == "promised"]
    assert bool(promised) == (when > due)
    assert all(r.due == due and r.staff == "rev2" for r in promised)


def test_a_case_that_cannot_be_read_is_reported_and_the_others_still_answer() -> None:
    hall = build()
    accepted = at(3, 2, 11)
    council_case(hall, "c-1", accepted)
    joint = hall.submit(
        "plan-joint", APPLICANT, "pl", materials=["form"], actor="clerk", at=accepted,
        conditions=["Project registered"],
    )  # fmt: skip
    later = nth_working_day_close(hall, accepted, 12) + dt.timedelta(hours=2)
    whole = records(hall, later)
    assert whole.failures == []
    events = hall.store.load(joint.case_id)
    broken = build(hall.store)  # the same store, the joint matter gone from the catalogue
    broken.catalogue = type(hall.catalogue)(tuple(m for m in hall.catalogue if m.code == "plan-01"))
    report = records(broken, later)
    assert [case_id for case_id, _ in report.failures] == [joint.case_id]
    assert list(report) == [r for r in whole if r.case_id == "c-1"] != []
    assert hall.store.load(joint.case_id) == events
