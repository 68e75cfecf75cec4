"""Complaints (投诉): received against a case, window, staff member or matter; concluded."""

from __future__ import annotations

import datetime as dt

import pytest

from hallflow.errors import (
    CaseStateError,
    CommandInputError,
    IdempotencyError,
    NotAuthorisedError,
    PluginError,
    TimeOrderError,
)
from hallflow.plugins import hookimpl
from hallflow.supervision.complaints import COMPLAINT_PREFIX, ComplaintCategory, Handling
from hallflow.supervision.evaluation import Supervision
from hallflow.timeline import Limit
from tests.hall_fixtures import DEPT, NOW, at
from tests.strategies import log_snapshot
from tests.test_evaluation import build, closed_case, nth_working_day_close, supervision

RECEIVED_KEYS = {
    "category",
    "case_id",
    "window",
    "staff",
    "matter",
    "department",
    "handling",
    "text",
}


@pytest.fixture
def sup() -> Supervision:
    return supervision(build())


def test_a_complaint_against_a_case(sup: Supervision) -> None:
    cid, done = closed_case(sup.hall, "c-1", at(3, 2))
    c = sup.receive_complaint(
        "wrongful_rejection",
        "centre",
        "they refused my file",
        at=done,
        case_id=cid,
        complainant="p-1",
    )
    [event] = sup.hall.store.load(c.stream)
    assert c.stream == COMPLAINT_PREFIX + c.complaint_id
    assert c.stream not in sup.hall.case_ids()
    assert (event.kind, event.actor) == ("complaint_received", "p-1")
    assert event.payload == {
        "category": "wrongful_rejection",
        "case_id": cid,
        "window": "c1",
        "staff": None,
        "matter": "plan-01",
        "department": DEPT,
        "handling": "centre",
        "text": "they refused my file",
    }
    assert set(event.payload) == RECEIVED_KEYS
    done_c = sup.conclude_complaint(
        c.complaint_id, upheld=True, finding="confirmed", actor="sup", at=done
    )
    [_, concluded] = sup.hall.store.load(c.stream)
    assert (concluded.kind, concluded.actor, concluded.payload) == (
        "complaint_concluded",
        "sup",
        {"upheld": True, "finding": "confirmed"},
    )
    assert done_c.upheld and sup.complaint(c.complaint_id) == done_c
    assert sup.complaints() == [done_c]


def test_against_a_staff_member_anonymously(sup: Supervision) -> None:
    c = sup.receive_complaint(
        ComplaintCategory.ATTITUDE, Handling.FORWARDED, "rude", at=at(3, 3), staff="rev1"
    )
    assert (c.complainant, c.department, c.window, c.case_id) == ("anonymous", DEPT, None, None)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"category": "bribes"}, "category"),
        ({"handling": "ignored"}, "handling"),
        ({"text": "  "}, "text"),
        ({"window": None}, "case_id"),  # no target at all
        ({"window": "nowhere"}, "window"),
        ({"staff": "ghost"}, "staff"),
        ({"matter": "no-such"}, "matter"),
        ({"complainant": "anonymous"}, "complainant"),
        ({"at": "2026-03-03"}, "at"),
    ],
)
def test_bad_input_is_refused(sup: Supervision, kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "category": "fees",
        "handling": "centre",
        "text": "charged twice",
        "at": at(3, 3),
        "window": "pl",
    }
    args.update(kwargs)
    before = log_snapshot(sup.hall.store)
    with pytest.raises(CommandInputError) as info:
        sup.receive_complaint(**args)  # type: ignore[arg-type]
    assert info.value.field == field
    assert log_snapshot(sup.hall.store) == before


@pytest.mark.parametrize(
    ("handling", "actor", "allowed"),
    [
        ("centre", "sup", True),
        ("centre", "chief", False),
        ("joint", "deputy", False),
        ("forwarded", "chief", True),  # the department's chief representative
        ("forwarded", "deputy", True),  # its window head
        ("forwarded", "hfhead", False),  # another department's head
        ("forwarded", "clerk", False),  # no handling role
        ("forwarded", "sup", True),
    ],
)
def test_who_concludes(sup: Supervision, handling: str, actor: str, allowed: bool) -> None:
    c = sup.receive_complaint("overdue", handling, "slow", at=at(3, 3), window="pl")
    if allowed:
        assert (
            sup.conclude_complaint(
                c.complaint_id, upheld=False, finding="f", actor=actor, at=at(3, 4)
            ).conclusion
            is not None
        )
    else:
        with pytest.raises(NotAuthorisedError):
            sup.conclude_complaint(
                c.complaint_id, upheld=False, finding="f", actor=actor, at=at(3, 4)
            )


def test_state_time_order_and_keys(sup: Supervision) -> None:
    c = sup.receive_complaint("other", "centre", "x", at=at(3, 3), window="pl", idempotency_key="k")
    assert (
        sup.receive_complaint("other", "centre", "x", at=at(3, 3), window="pl", idempotency_key="k")
        == c
    )
    with pytest.raises(IdempotencyError):
        sup.receive_complaint("fees", "centre", "x", at=at(3, 3), window="pl", idempotency_key="k")
    with pytest.raises(TimeOrderError):
        sup.conclude_complaint(c.complaint_id, upheld=True, finding="f", actor="sup", at=at(3, 2))
    with pytest.raises(TimeOrderError):
        sup.conclude_complaint(
            c.complaint_id, upheld=True, finding="f", actor="sup", at=NOW + dt.timedelta(days=1)
        )
    with pytest.raises(CommandInputError):
        sup.conclude_complaint(
            c.complaint_id,
            upheld="yes",  # type: ignore[arg-type]
            finding="f",
            actor="sup",
            at=at(3, 4),
        )
    sup.conclude_complaint(c.complaint_id, upheld=True, finding="f", actor="sup", at=at(3, 4))
    with pytest.raises(CaseStateError):
        sup.conclude_complaint(c.complaint_id, upheld=False, finding="g", actor="sup", at=at(3, 5))
    with pytest.raises(CommandInputError):
        sup.complaint("0" * 31)
    with pytest.raises(CommandInputError):
        sup.complaint("f" * 32)


def test_handling_clock_and_late_complaints(sup: Supervision) -> None:
    received = at(3, 3)
    open_one = sup.receive_complaint("fees", "centre", "x", at=received, window="pl")
    due = nth_working_day_close(sup.hall, received, 15)
    assert sup.complaint_clock(open_one).due(received) == due
    assert sup.late_complaints(due) == []
    [late] = sup.late_complaints(due + dt.timedelta(hours=1))
    assert (late.stream, late.step, late.due, late.finished, late.department) == (
        open_one.stream,
        "conclude",
        due,
        None,
        DEPT,
    )
    sup.conclude_complaint(open_one.complaint_id, upheld=False, finding="f", actor="sup", at=due)
    assert sup.late_complaints(due + dt.timedelta(days=9)) == []  # concluded on its last day


class FiveDays:
    @hookimpl
    def hallflow_complaint_limit(self, category: str, handling: str) -> Limit | None:
        return Limit.working_days(5) if category == "improper_demands" else None


class Broken:
    @hookimpl
    def hallflow_complaint_limit(self, category: str, handling: str) -> object:
        return 5


def test_a_locality_sets_the_limit() -> None:
    sup = supervision(build(plugins=[FiveDays()]))
    a = sup.receive_complaint("improper_demands", "joint", "x", at=at(3, 3), window="pl")
    b = sup.receive_complaint("fees", "joint", "x", at=at(3, 3), window="pl")
    assert sup.complaint_clock(a).limit == Limit.working_days(5)
    assert sup.complaint_clock(b).limit == Limit.working_days(15)  # the national default
    broken = supervision(build(plugins=[Broken()]))
    c = broken.receive_complaint("fees", "joint", "x", at=at(3, 3), window="pl")
    with pytest.raises(PluginError):
        broken.complaint_clock(c)
