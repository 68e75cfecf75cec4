"""Evaluations (好差评) and the rectification of bad ratings, in their own reserved streams."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallflow.cases.hall import Hall
from hallflow.errors import (
    CaseStateError,
    CommandInputError,
    HallflowError,
    HistoryError,
    IdempotencyError,
    NotAuthorisedError,
    TimeOrderError,
)
from hallflow.model import Matter, Organisation, Role, Staff
from hallflow.plugins import hookimpl
from hallflow.sinks import Dispatcher, MemoryCursors
from hallflow.store import MemoryStore, SQLiteStore
from hallflow.store.base import EventStore, StoredEvent
from hallflow.supervision.evaluation import (
    RATING_PREFIX,
    DefaultRating,
    Level,
    Supervision,
    fold_rating,
)
from hallflow.timeline import Limit
from tests.hall_fixtures import (
    APPLICANT,
    DEPT,
    NOW,
    ORG,
    at,
    build_hall,
)
from tests.strategies import log_snapshot

ORG_SUP = Organisation(
    windows=ORG.windows,
    staff=(
        *ORG.staff_members,
        Staff("sup", "Wu", "Service centre", {Role.SUPERVISOR}),
        Staff("hfhead", "Zheng", "Housing Fund Centre", {Role.WINDOW_HEAD}),
    ),
    authorities=ORG.authorities,
    leaves=ORG.leaves,
    posts=ORG.posts,
)
"""The fixture hall's organisation with a supervision officer and another department's head."""

CONTRACT_KEYS = {
    "rated": {
        "level",
        "channel",
        "case_id",
        "window",
        "department",
        "staff",
        "matter",
        "real_name",
        "comment",
        "default",
    },
    "rating_verified": {"valid", "finding"},
    "rating_rectified": {"measures"},
    "rating_revisited": {"satisfied", "note"},
}


def build(store: EventStore | None = None, plugins: Sequence[object] = ()) -> Hall:
    """The fixture hall with a supervision officer, on ``store``, with extra plugins."""
    return build_hall(store, organisation=ORG_SUP, plugins=plugins)


def ids() -> Iterable[str]:
    return (f"{n:032x}" for n in itertools.count(1))


def supervision(hall: Hall) -> Supervision:
    counter = iter(ids())
    return Supervision(hall, new_id=lambda: next(counter))


def closed_case(hall: Hall, case_id: str, start: dt.datetime) -> tuple[str, dt.datetime]:
    """A plan-01 case taken through every step to delivery; its id and delivery instant."""
    minutes = itertools.count(1)

    def t() -> dt.datetime:
        return start + dt.timedelta(minutes=next(minutes))

    hall.submit(
        "plan-01",
        APPLICANT,
        "c1",
        materials=["form", "site"],
        actor="clerk",
        at=t(),
        case_id=case_id,
    )
    hall.accept(case_id, actor="clerk", at=t())
    hall.sign(case_id, "review", actor="rev1", at=t())
    hall.assign(case_id, "council", ["rev1", "rev2"], actor="chief", at=t())
    hall.sign(case_id, "council", actor="rev1", at=t())
    hall.sign(case_id, "council", actor="rev2", at=t())
    hall.sign(case_id, "approve", actor="chief", at=t())
    hall.decide(case_id, True, actor="chief", at=t(), reasons="meets the plan")
    hall.seal(case_id, "S-PLAN-1", actor="chief", at=t())
    done = t()
    hall.deliver(case_id, "in_person", actor="clerk", at=done)
    return case_id, done


@pytest.fixture
def hall() -> Hall:
    return build()


@pytest.fixture
def sup(hall: Hall) -> Supervision:
    return supervision(hall)


# ---------------------------------------------------------------------- the contract


def test_a_rating_is_recorded_in_its_own_reserved_stream(hall: Hall, sup: Supervision) -> None:
    cid, done = closed_case(hall, "c-1", at(3, 2))
    rating = sup.rate(2, "keypad", at=done + dt.timedelta(minutes=1), case_id=cid, staff="clerk")
    stream = RATING_PREFIX + rating.rating_id
    assert len(rating.rating_id) == 32 and int(rating.rating_id, 16) >= 0
    assert stream in hall.store.case_ids() and stream not in hall.case_ids()
    assert all(r.case_id != stream for r in hall.find())
    [event] = hall.store.load(stream)
    assert event.kind == "rated" and event.actor == "anonymous"
    assert set(event.payload) == CONTRACT_KEYS["rated"]
    assert event.payload == {
        "level": 2,
        "channel": "keypad",
        "case_id": cid,
        "window": "c1",
        "department": DEPT,  # the comprehensive window has none; the matter's is used
        "staff": "clerk",
        "matter": "plan-01",
        "real_name": False,
        "comment": "",
        "default": False,
    }
    assert rating.bad and not rating.withdrawn and rating.stage == "rated"


def test_the_whole_flow_writes_the_contracts_events(hall: Hall, sup: Supervision) -> None:
    cid, done = closed_case(hall, "c-1", at(3, 2))
    r = sup.rate(
        1,
        "online",
        at=done + dt.timedelta(hours=1),
        case_id=cid,
        rater=APPLICANT.id_number,
        comment="rude",
    )
    t = done + dt.timedelta(days=1)
    sup.verify(r.rating_id, valid=True, finding="confirmed", actor="sup", at=t)
    sup.rectify(r.rating_id, measures="training", actor="deputy", at=t + dt.timedelta(days=2))
    final = sup.revisit(
        r.rating_id, satisfied=True, note="called back", actor="sup", at=t + dt.timedelta(days=3)
    )
    events = hall.store.load(final.stream)
    assert [e.kind for e in events] == [
        "rated",
        "rating_verified",
        "rating_rectified",
        "rating_revisited",
    ]
    assert [e.actor for e in events] == [APPLICANT.id_number, "sup", "deputy", "sup"]
    for e in events:
        assert set(e.payload) == CONTRACT_KEYS[e.kind]
    assert events[0].payload["real_name"] is True
    assert final.stage == "revisited" and sup.rating(final.rating_id) == final


def test_an_encounter_without_a_case(sup: Supervision) -> None:
    r = sup.rate(5, "qr", at=at(3, 3), window="hf", staff="hfhead")
    assert (r.case_id, r.window, r.department, r.matter) == (
        None,
        "hf",
        "Housing Fund Centre",
        None,
    )
    assert not r.bad and r.stage == "closed"


# ---------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"level": 0}, "level"),
        ({"level": 6}, "level"),
        ({"level": True}, "level"),
        ({"level": "5"}, "level"),
        ({"channel": "default"}, "channel"),
        ({"channel": "fax"}, "channel"),
        ({"window": None}, "window"),
        ({"window": "nowhere"}, "window"),
        ({"staff": "ghost"}, "staff"),
        ({"matter": "no-such"}, "matter"),
        ({"rater": "anonymous"}, "rater"),
        ({"rater": "hallflow:x"}, "rater"),
        ({"rater": ""}, "rater"),
        ({"comment": 3}, "comment"),
        ({"at": dt.datetime(2026, 3, 3, 10)}, "at"),
        ({"idempotency_key": ""}, "idempotency_key"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    sup: Supervision, kwargs: dict[str, object], field: str
) -> None:
    args: dict[str, object] = {"level": 4, "channel": "sms", "at": at(3, 3), "window": "pl"}
    args.update(kwargs)
    before = log_snapshot(sup.hall.store)
    with pytest.raises(CommandInputError) as info:
        sup.rate(**args)  # type: ignore[arg-type]
    assert info.value.field == field
    assert log_snapshot(sup.hall.store) == before


def test_a_case_rating_takes_the_cases_window(hall: Hall, sup: Supervision) -> None:
    cid, done = closed_case(hall, "c-1", at(3, 2))
    with pytest.raises(CommandInputError) as info:
        sup.rate(4, "sms", at=done, case_id=cid, window="pl")
    assert info.value.field == "window"
    with pytest.raises(NotAuthorisedError):
        sup.rate(4, "sms", at=done, case_id=cid, rater="someone-else")


def test_time_order(hall: Hall, sup: Supervision) -> None:
    cid, done = closed_case(hall, "c-1", at(3, 2))
    with pytest.raises(TimeOrderError):
        sup.rate(2, "sms", at=done - dt.timedelta(seconds=1), case_id=cid)
    with pytest.raises(TimeOrderError):
        sup.rate(2, "sms", at=NOW + dt.timedelta(hours=1), window="pl")
    r = sup.rate(2, "sms", at=done, case_id=cid)
    with pytest.raises(TimeOrderError):
        sup.verify(r.rating_id, valid=True, finding="x", actor="sup", at=done - dt.timedelta(1))
    sup.verify(r.rating_id, valid=True, finding="x", actor="sup", at=done)  # same instant: fine


# ---------------------------------------------------------------------- state and authority


def test_state_rules(hall: Hall, sup: Supervision) -> None:
    good = sup.rate(4, "sms", at=at(3, 3), window="pl")
    bad = sup.rate(2, "sms", at=at(3, 3), window="pl", staff="clerk")
    t = at(3, 4)
    with pytest.raises(CaseStateError):
        sup.verify(good.rating_id, valid=True, finding="x", actor="sup", at=t)
    with pytest.raises(CaseStateError):
        sup.rectify(bad.rating_id, measures="m", actor="clerk", at=t)
    with pytest.raises(CaseStateError):
        sup.revisit(bad.rating_id, satisfied=True, note="n", actor="sup", at=t)
    sup.verify(bad.rating_id, valid=True, finding="x", actor="sup", at=t)
    with pytest.raises(CaseStateError):
        sup.verify(bad.rating_id, valid=True, finding="again", actor="sup", at=t)
    with pytest.raises(CaseStateError):
        sup.revisit(bad.rating_id, satisfied=True, note="n", actor="sup", at=t)


def test_an_unfounded_bad_rating_is_withdrawn(sup: Supervision) -> None:
    bad = sup.rate(1, "sms", at=at(3, 3), window="pl")
    r = sup.verify(bad.rating_id, valid=False, finding="not our window", actor="sup", at=at(3, 4))
    assert r.withdrawn and r.stage == "withdrawn"
    with pytest.raises(CaseStateError):
        sup.rectify(bad.rating_id, measures="m", actor="deputy", at=at(3, 5))


@pytest.mark.parametrize(
    ("step", "actor", "allowed"),
    [
        ("verify", "sup", True),
        ("verify", "clerk", False),
        ("verify", "chief", False),
        ("verify", "nobody", False),
        ("rectify", "clerk", True),  # the rated staff member
        ("rectify", "deputy", True),  # a window head of the window's department
        ("rectify", "chief", True),  # its chief representative
        ("rectify", "rev1", False),  # a colleague of the department, not rated
        ("rectify", "hfhead", False),  # another department's window head
        ("rectify", "sup", False),
        ("revisit", "sup", True),
        ("revisit", "deputy", False),
    ],
)
def test_authority(sup: Supervision, step: str, actor: str, allowed: bool) -> None:
    r = sup.rate(2, "sms", at=at(3, 3), window="pl", staff="clerk")
    t = at(3, 4)
    if step in ("rectify", "revisit"):
        sup.verify(r.rating_id, valid=True, finding="x", actor="sup", at=t)
    if step == "revisit":
        sup.rectify(r.rating_id, measures="m", actor="clerk", at=t)

    def run() -> object:
        if step == "verify":
            return sup.verify(r.rating_id, valid=True, finding="f", actor=actor, at=t)
        if step == "rectify":
            return sup.rectify(r.rating_id, measures="m", actor=actor, at=t)
        return sup.revisit(r.rating_id, satisfied=True, note="n", actor=actor, at=t)

    before = log_snapshot(sup.hall.store)
    if allowed:
        run()
    else:
        with pytest.raises(NotAuthorisedError):
            run()
        assert log_snapshot(sup.hall.store) == before


def test_staff_on_leave_may_not_act(sup: Supervision) -> None:
    # the fixture's chief representative is on leave from 16 to 20 November 2026
    r = sup.rate(2, "sms", at=at(11, 13), window="pl", staff="clerk")
    sup.verify(r.rating_id, valid=True, finding="f", actor="sup", at=at(11, 13, 11))
    with pytest.raises(NotAuthorisedError) as info:
        sup.rectify(r.rating_id, measures="m", actor="chief", at=at(11, 17))
    assert info.value.code == "on-leave"
    assert sup.rectify(r.rating_id, measures="m", actor="chief", at=at(11, 23)).rectification


def test_idempotency(sup: Supervision) -> None:
    a = sup.rate(2, "sms", at=at(3, 3), window="pl", idempotency_key="k1")
    b = sup.rate(2, "sms", at=at(3, 3), window="pl", idempotency_key="k1")
    assert a == b
    assert sum(s.startswith(RATING_PREFIX) for s in sup.hall.store.case_ids()) == 1
    with pytest.raises(IdempotencyError):
        sup.rate(3, "sms", at=at(3, 3), window="pl", idempotency_key="k1")
    v1 = sup.verify(
        a.rating_id, valid=True, finding="f", actor="sup", at=at(3, 4), idempotency_key="v"
    )
    v2 = sup.verify(
        a.rating_id, valid=True, finding="f", actor="sup", at=at(3, 4), idempotency_key="v"
    )
    assert v1 == v2 and len(sup.hall.store.load(a.stream)) == 2


# ---------------------------------------------------------------------- clocks


def nth_working_day_close(hall: Hall, start: dt.datetime, n: int) -> dt.datetime:
    """Reference: the hall's closing instant on the n-th working day after ``start``'s day."""
    day = start.date()
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        counted += hall.calendar.is_working_day(day)
    close = hall.calendar.hours.closing_on(day.weekday())
    return dt.datetime.combine(day, close, tzinfo=hall.calendar.hours.tzinfo)


def test_rectification_clocks_and_late_steps(sup: Supervision) -> None:
    hall = sup.hall
    rated = at(3, 3)  # a Tuesday, during hours
    late = sup.rate(2, "sms", at=rated, window="pl", staff="clerk")
    prompt = sup.rate(1, "sms", at=rated, window="pl", staff="rev1")
    sup.verify(prompt.rating_id, valid=True, finding="f", actor="sup", at=at(3, 4))
    limits = sup.rectification_limits()
    assert limits == {
        "verify": Limit.working_days(5),
        "rectify": Limit.working_days(15),
        "revisit": Limit.working_days(5),
    }
    due = nth_working_day_close(hall, rated, 5)
    assert sup.clocks(late)["verify"].due(rated) == due
    assert sup.late_steps(due) == []
    after = due + dt.timedelta(minutes=1)
    [step] = sup.late_steps(after)
    assert (step.stream, step.step, step.due, step.finished, step.evidence) == (
        late.stream,
        "verify",
        due,
        None,
        (1,),
    )
    assert step.overdue_by == dt.timedelta(minutes=1)
    # verified late: the step stays on record as late, with its end
    sup.verify(late.rating_id, valid=True, finding="f", actor="sup", at=after)
    [done] = [s for s in sup.late_steps(after) if s.stream == late.stream]
    assert done.finished == after and done.evidence == (1, 2)
    # the rectification clock of the prompt one runs 15 working days from its verification
    r = sup.rating(prompt.rating_id)
    assert sup.clocks(r)["rectify"].due(at(3, 4)) == nth_working_day_close(hall, at(3, 4), 15)
    assert sup.clocks(sup.rate(5, "qr", at=after, window="pl")) == {}


# ---------------------------------------------------------------------- default ratings


class SevenDays:
    """A locality giving 'basically satisfied' after 7 calendar days without a rating.

    The issue names this rule as an example; no seed hallflow models sets one (seeds 000-004
    were searched), so it is a test plugin here, not a shipped locality rule.
    """

    @hookimpl
    def hallflow_default_rating(self, matter: Matter) -> DefaultRating:
        return DefaultRating(Limit.calendar_days(7), Level.BASICALLY_SATISFIED)


def test_no_default_rating_nationally(hall: Hall, sup: Supervision) -> None:
    closed_case(hall, "c-1", at(3, 2))
    assert sup.default_ratings(at(6, 1)) == []


def test_default_ratings_after_the_period() -> None:
    hall = build(plugins=[SevenDays()])
    sup = supervision(hall)
    a, done_a = closed_case(hall, "c-a", at(3, 2))
    b, done_b = closed_case(hall, "c-b", at(3, 3))
    sup.rate(5, "keypad", at=done_b, case_id=b)
    open_case = hall.submit(
        "plan-01",
        APPLICANT,
        "c1",
        materials=["form"],
        actor="clerk",
        at=at(3, 3),
        case_id="c-open",
    )
    # reference: 7 calendar days counted from the day after delivery, ending at closing
    # time; a last day that is a rest day moves to the next working day.
    day = done_a.date() + dt.timedelta(days=7)
    while not hall.calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    due = dt.datetime.combine(
        day, hall.calendar.hours.closing_on(day.weekday()), tzinfo=hall.calendar.hours.tzinfo
    )
    assert sup.default_ratings(due - dt.timedelta(minutes=1)) == []
    [made] = sup.default_ratings(due)
    assert (made.case_id, made.level, made.default, made.rater, made.rated_at) == (
        a,
        Level.BASICALLY_SATISFIED,
        True,
        "hallflow:supervision",
        due,
    )
    assert made.channel.value == "default" and open_case.case_id != made.case_id
    assert sup.default_ratings(due + dt.timedelta(days=30)) == []  # idempotent
    assert len(sup.ratings()) == 2
    with pytest.raises(TimeOrderError):
        sup.default_ratings(NOW + dt.timedelta(days=1))


# ---------------------------------------------------------------------- sinks


class Recording:
    name = "recording"

    def __init__(self) -> None:
        self.events: list[StoredEvent] = []

    def deliver(self, event: StoredEvent) -> None:
        self.events.append(event)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_ratings_and_rectifications_reach_the_event_sinks(kind: str, tmp_path: Path) -> None:
    store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "hall.db")
    sup = supervision(build(store))
    r = sup.rate(2, "sms", at=at(3, 3), window="pl", staff="clerk")
    sup.verify(r.rating_id, valid=True, finding="f", actor="sup", at=at(3, 4))
    sup.rectify(r.rating_id, measures="m", actor="clerk", at=at(3, 5))
    sink = Recording()
    report = Dispatcher(sup.hall.store, [sink], MemoryCursors()).drain(at(3, 6))
    assert report.delivered == 3
    assert [(e.case_id, e.kind) for e in sink.events] == [
        (r.stream, "rated"),
        (r.stream, "rating_verified"),
        (r.stream, "rating_rectified"),
    ]


# ---------------------------------------------------------------------- the flow as a machine

STEPS = ("verify_valid", "verify_invalid", "rectify", "revisit")
NEXT = {
    ("rated", "verify_valid"): "verified",
    ("rated", "verify_invalid"): "withdrawn",
    ("verified", "rectify"): "rectified",
    ("rectified", "revisit"): "revisited",
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    level=st.integers(1, 5),
    attempts=st.lists(st.tuples(st.sampled_from(STEPS), st.booleans()), max_size=8),
)
def test_the_flow_follows_its_state_machine(level: int, attempts: list[tuple[str, bool]]) -> None:
    """Random attempts (by the right or a wrong actor): the stored stage is the reference's,
    and a refused attempt records nothing."""
    sup = supervision(build())
    r = sup.rate(level, "sms", at=at(3, 3), window="pl", staff="clerk")
    stage = "rated" if level <= 2 else "closed"
    t = at(3, 3)
    for step, right in attempts:
        t += dt.timedelta(hours=1)
        actor = {"verify_valid": "sup", "verify_invalid": "sup", "rectify": "clerk"}.get(
            step, "sup"
        )
        if not right:
            actor = "rev2"  # never allowed to verify, rectify (not rated) or revisit
        expected = NEXT.get((stage, step)) if right else None
        before = log_snapshot(sup.hall.store)
        try:
            if step.startswith("verify"):
                sup.verify(
                    r.rating_id, valid=step == "verify_valid", finding="f", actor=actor, at=t
                )
            elif step == "rectify":
                sup.rectify(r.rating_id, measures="m", actor=actor, at=t)
            else:
                sup.revisit(r.rating_id, satisfied=True, note="n", actor=actor, at=t)
        except HallflowError:
            assert expected is None
            assert log_snapshot(sup.hall.store) == before
        else:
            assert expected is not None
            stage = expected
        assert sup.rating(r.rating_id).stage == stage


def test_a_history_out_of_order_does_not_fold(sup: Supervision) -> None:
    r = sup.rate(2, "sms", at=at(3, 3), window="pl", staff="clerk")
    sup.verify(r.rating_id, valid=True, finding="f", actor="sup", at=at(3, 4))
    sup.rectify(r.rating_id, measures="m", actor="clerk", at=at(3, 5))
    rated, verified, rectified = sup.hall.store.load(r.stream)
    assert fold_rating([rated, verified, rectified]).stage == "rectified"
    for broken in ([rated, rectified], [verified], [rated, verified, verified], []):
        with pytest.raises(HistoryError):
            fold_rating(broken)
    with pytest.raises(CommandInputError):
        fold_rating((rated,))  # type: ignore[arg-type]
    good = sup.rate(5, "qr", at=at(3, 6), window="pl")
    with pytest.raises(HistoryError):  # a good rating is never verified
        fold_rating(
            [*sup.hall.store.load(good.stream), attrs.evolve(verified, case_id=good.stream)]
        )
