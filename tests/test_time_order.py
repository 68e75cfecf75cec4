"""Time order: a case's acts are recorded in the order they happened.

The law counts a case's limits from its acts (Licensing Law Art. 32: from receipt or from the
completed materials; Art. 42: decided within 20 working days of acceptance; Art. 44:
delivered within 10 working days of the decision), and the approval seal's time is the legal
closing time (DOMAIN.md §2): an act dated before the act it follows would move those clocks
backwards. So a command whose instant precedes the case's last event is refused with
:class:`~hallflow.errors.TimeOrderError` and records nothing; so is a seal affixed before the
seal was activated, and a command dated further in the future than the hall's tolerance.
A history made in time order replays to the case the Hall serves, and the clocks of every
stored case can always be evaluated — whatever commands, valid or not, were tried on it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallflow.cases import Case, Hall, SweepReport, fold
from hallflow.errors import TimeOrderError
from hallflow.model import NaturalPerson, applicant_key, check_digit_resident
from hallflow.store import MemoryStore
from hallflow.store.base import CaseRow, EventStore, NewEvent, StoredEvent
from hallflow.timeline import Limit, PauseReason
from tests.hall_fixtures import APPLICANT as PERSON
from tests.hall_fixtures import SH, at, build_hall
from tests.strategies import (
    HALL_METHODS,
    Earlier,
    Scene,
    build_scene,
    hall_calls,
    hall_instants,
    last_instant,
    log_snapshot,
    scene_ids,
    vocabulary,
)

START = at(11, 2, 9)

Act = Callable[[Hall, Scene, dt.datetime], object]


def with_hall(**settings: Any) -> Hall:
    """The fixture hall with some settings changed (its catalogue, staff, seals...)."""
    base = build_hall()
    return Hall(
        catalogue=base.catalogue,
        organisation=base.organisation,
        calendar=base.calendar,
        store=MemoryStore(),
        seals=base.seals,
        seal_provider=base.seal_provider,
        settings=attrs.evolve(base.settings, **settings),
        plugins=base.plugins,
    )


def review_through(hall: Hall, case_id: str, when: dt.datetime) -> None:
    hall.sign(case_id, "review", actor="rev1", at=when)
    hall.assign(case_id, "council", ["rev1", "rev2"], actor="chief", at=when)
    hall.sign(case_id, "council", actor="rev2", at=when)
    hall.sign(case_id, "council", actor="rev1", at=when)
    hall.sign(case_id, "approve", actor="chief", at=when)


# ---- every command, before its case's last event


ACTS: list[tuple[str, str, Act]] = [
    ("accept", "submitted", lambda h, s, t: h.accept(s["submitted"], actor="clerk", at=t)),
    (
        "request_correction",
        "incomplete",
        lambda h, s, t: h.request_correction(
            s["incomplete"], {"site": "missing"}, actor="clerk", at=t
        ),
    ),
    (
        "not_accept",
        "submitted",
        lambda h, s, t: h.not_accept(s["submitted"], "outside remit", actor="clerk", at=t),
    ),
    ("withdraw", "submitted", lambda h, s, t: h.withdraw(s["submitted"], actor="applicant", at=t)),
    (
        "supply",
        "correction",
        lambda h, s, t: h.supply(s["correction"], ["site"], actor="applicant", at=t),
    ),
    (
        "accept_with_gaps",
        "incomplete",
        lambda h, s, t: h.accept_with_gaps(
            s["incomplete"], ["site"], (t + dt.timedelta(days=1)).date(), actor="clerk", at=t
        ),
    ),
    (
        "supply_deferred",
        "gaps",
        lambda h, s, t: h.supply_deferred(s["gaps"], ["site"], actor="applicant", at=t),
    ),
    ("sign", "reviewing", lambda h, s, t: h.sign(s["reviewing"], "review", actor="rev1", at=t)),
    (
        "assign",
        "reviewed",
        lambda h, s, t: h.assign(s["reviewed"], "council", ["rev1", "rev2"], actor="chief", at=t),
    ),
    (
        "add_signer",
        "council",
        lambda h, s, t: h.add_signer(s["council"], "council", "chief", actor="chief", at=t),
    ),
    (
        "transfer",
        "council",
        lambda h, s, t: h.transfer(s["council"], "council", "chief", actor="rev2", at=t),
    ),
    (
        "return_case",
        "council",
        lambda h, s, t: h.return_case(s["council"], "review", "scale wrong", actor="chief", at=t),
    ),
    (
        "suspend",
        "reviewing",
        lambda h, s, t: h.suspend(s["reviewing"], PauseReason.HEARING, actor="chief", at=t),
    ),
    ("resume", "suspended", lambda h, s, t: h.resume(s["suspended"], actor="chief", at=t)),
    (
        "extend",
        "reviewing",
        lambda h, s, t: h.extend(
            s["reviewing"], Limit.working_days(5), actor="chief", at=t, reason="expert opinions"
        ),
    ),
    (
        "give_opinion",
        "joint",
        lambda h, s, t: h.give_opinion(s["joint"], "Fire Brigade", True, actor="fire", at=t),
    ),
    (
        "decide",
        "ready",
        lambda h, s, t: h.decide(s["ready"], True, actor="chief", at=t, reasons="meets the plan"),
    ),
    (
        "approve_on_pledge",
        "submitted",
        lambda h, s, t: h.approve_on_pledge(
            s["submitted"], t.date() + dt.timedelta(days=30), actor="chief", at=t
        ),
    ),
    (
        "verify_pledge",
        "pledged",
        lambda h, s, t: h.verify_pledge(s["pledged"], True, actor="chief", at=t),
    ),
    ("seal", "decided", lambda h, s, t: h.seal(s["decided"], "S-PLAN-1", actor="chief", at=t)),
    ("deliver", "sealed", lambda h, s, t: h.deliver(s["sealed"], "post", actor="clerk", at=t)),
    (
        "revoke",
        "closed",
        lambda h, s, t: h.revoke(s["closed"], "obtained by fraud", actor="chief", at=t),
    ),
]

EARLIER = {
    "a-minute-before-the-last-event": dt.timedelta(minutes=1),
    "a-day-before-the-receipt": dt.timedelta(days=1, hours=2),
}


@pytest.mark.parametrize("earlier", list(EARLIER), ids=list(EARLIER))
@pytest.mark.parametrize(("name", "label", "act"), ACTS, ids=[a[0] for a in ACTS])
def test_a_command_before_the_cases_last_event_is_refused(
    name: str, label: str, act: Act, earlier: str
) -> None:
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    last = last_instant(hall, scene[label])
    when = last - EARLIER[earlier]
    before = log_snapshot(hall.store)
    with pytest.raises(TimeOrderError) as refused:
        act(hall, scene, when)
    assert (refused.value.at, refused.value.bound) == (when, last)
    assert refused.value.case_id == scene[label]
    assert log_snapshot(hall.store) == before
    # the same act at the very instant of the last event is in order
    done = act(hall, scene, last)
    assert isinstance(done, Case) and done.history[-1].at == last


def lifecycle(hall: Hall) -> str:
    """A case received Monday 2 November and moved on a day at a time."""
    case = hall.submit(
        "plan-01", PERSON, "c1", materials=["form", "site"], actor="clerk", at=at(11, 2)
    )
    return case.case_id


def refused_in_order(hall: Hall, act: Callable[[], object]) -> TimeOrderError:
    before = log_snapshot(hall.store)
    with pytest.raises(TimeOrderError) as refused:
        act()
    assert log_snapshot(hall.store) == before
    return refused.value


def test_acceptance_before_the_submission_is_refused() -> None:
    """Art. 32 counts from receipt: nothing is accepted before it was received."""
    hall = build_hall()
    case_id = lifecycle(hall)
    refused = refused_in_order(hall, lambda: hall.accept(case_id, actor="clerk", at=at(11, 1)))
    assert refused.bound == at(11, 2)
    assert hall.accept(case_id, actor="clerk", at=at(11, 2)).clock_start == at(11, 2)


def test_a_decision_before_the_acceptance_is_refused() -> None:
    """Art. 42 counts the decision's limit from acceptance."""
    hall = build_hall()
    case_id = lifecycle(hall)
    hall.accept(case_id, actor="clerk", at=at(11, 4))
    review_through(hall, case_id, at(11, 4, 11))
    refused_in_order(hall, lambda: hall.decide(case_id, True, actor="chief", at=at(11, 3)))
    assert hall.decide(case_id, True, actor="chief", at=at(11, 5)).decision is not None


def test_a_seal_before_the_decision_is_refused() -> None:
    """The seal time is the legal closing time: it cannot precede what it seals."""
    hall = build_hall()
    case_id = lifecycle(hall)
    hall.accept(case_id, actor="clerk", at=at(11, 3))
    review_through(hall, case_id, at(11, 4))
    hall.decide(case_id, True, actor="chief", at=at(11, 6))
    refused_in_order(hall, lambda: hall.seal(case_id, "S-PLAN-1", actor="chief", at=at(11, 5)))
    assert hall.seal(case_id, "S-PLAN-1", actor="chief", at=at(11, 6)).sealed_at == at(11, 6)


def test_a_delivery_before_the_seal_is_refused() -> None:
    """Art. 44: delivery follows the sealed decision."""
    hall = build_hall()
    case_id = lifecycle(hall)
    hall.accept(case_id, actor="clerk", at=at(11, 3))
    review_through(hall, case_id, at(11, 4))
    hall.decide(case_id, True, actor="chief", at=at(11, 6))
    hall.seal(case_id, "S-PLAN-1", actor="chief", at=at(11, 9))
    refused_in_order(hall, lambda: hall.deliver(case_id, "post", actor="clerk", at=at(11, 8)))
    assert hall.deliver(case_id, "post", actor="clerk", at=at(11, 9, 11)).history[-1].at == at(
        11, 9, 11
    )


def test_a_seal_before_its_activation_is_refused() -> None:
    """S-PLAN-1 was activated on 5 January 2026 at 10:00; a decision of 2 January waits."""
    hall = build_hall()
    case = hall.submit(
        "plan-01", PERSON, "c1", materials=["form", "site"], actor="clerk", at=at(1, 2, 9)
    )
    hall.accept(case.case_id, actor="clerk", at=at(1, 2, 10))
    review_through(hall, case.case_id, at(1, 2, 11))
    hall.decide(case.case_id, True, actor="chief", at=at(1, 2, 12))
    refused = refused_in_order(
        hall, lambda: hall.seal(case.case_id, "S-PLAN-1", actor="chief", at=at(1, 4, 10))
    )
    assert (refused.at, refused.bound) == (at(1, 4, 10), at(1, 5))
    assert hall.seal(case.case_id, "S-PLAN-1", actor="chief", at=at(1, 5)).sealed_at == at(1, 5)


def test_supervision_acts_in_order_too() -> None:
    """Deemed approvals and deemed opinions are dated: not before the case's last act."""
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    # the legal limit of the reviewing case (20 working days from 2 November) ran out on
    # 30 November; its last act is on 10 December
    hall.sign(scene["reviewing"], "review", actor="rev1", at=at(12, 10))
    refused_in_order(hall, lambda: hall.deem_approved(scene["reviewing"], at=at(12, 5)))
    assert hall.deem_approved(scene["reviewing"], at=at(12, 10)).decision is not None
    # the Fire Brigade's reply to the joint case was due on 9 November; its last act is on 20
    hall.sign(scene["joint"], "review", actor="rev1", at=at(11, 20))
    refused_in_order(hall, lambda: hall.sweep_opinions(scene["joint"], at=at(11, 15)))
    swept = hall.sweep_opinions(scene["joint"], at=at(11, 20))
    assert swept.opinions[0].consent is True


# ---- the hall's clock


NOW = at(11, 2, 12)


def test_a_command_too_far_in_the_future_is_refused() -> None:
    """Clocks drift a little between machines, not by an hour: the tolerance is 5 minutes."""
    hall = with_hall(now=lambda: NOW, future_tolerance=dt.timedelta(minutes=5))
    later = NOW + dt.timedelta(hours=1)
    with pytest.raises(TimeOrderError) as refused:
        hall.submit("plan-01", PERSON, "c1", materials=["form", "site"], actor="clerk", at=later)
    assert refused.value.at == later
    assert hall.store.case_ids() == []
    case_id = hall.submit(
        "plan-01", PERSON, "c1", materials=["form", "site"], actor="clerk", at=NOW
    ).case_id
    before = log_snapshot(hall.store)
    with pytest.raises(TimeOrderError) as refused:
        hall.accept(case_id, actor="clerk", at=later)
    assert (refused.value.at, refused.value.bound) == (later, NOW + dt.timedelta(minutes=5))
    assert log_snapshot(hall.store) == before
    accepted = hall.accept(case_id, actor="clerk", at=NOW + dt.timedelta(minutes=1))
    assert accepted.clock_start == NOW + dt.timedelta(minutes=1)


def test_no_tolerance_turns_the_future_check_off() -> None:
    """For replays and simulations whose instants are not today's."""
    hall = with_hall(now=lambda: NOW, future_tolerance=None)
    case = hall.submit(
        "plan-01", PERSON, "c1", materials=["form", "site"], actor="clerk", at=at(12, 20)
    )
    assert hall.accept(case.case_id, actor="clerk", at=at(12, 21)).clock_start == at(12, 21)


def test_the_tolerance_is_checked_against_the_clock_when_the_command_runs() -> None:
    clock = [NOW]
    hall = with_hall(now=lambda: clock[0], future_tolerance=dt.timedelta(minutes=5))
    later = NOW + dt.timedelta(hours=1)
    with pytest.raises(TimeOrderError):
        hall.submit("plan-01", PERSON, "c1", materials=["form"], actor="clerk", at=later)
    clock[0] = NOW + dt.timedelta(hours=2)
    assert hall.submit("plan-01", PERSON, "c1", materials=["form"], actor="clerk", at=later)


# ---- histories made in order replay; every stored case's clocks evaluate

OTHER = NaturalPerson("Li Si", "11010519800101001" + check_digit_resident("11010519800101001"))
VOCABULARY = vocabulary(build_hall(), [PERSON, OTHER])
SPARE = [f"new-{n}" for n in range(3)] + [f"case-{n:04d}" for n in range(1, 3)]
COMMANDS = [
    m
    for m in HALL_METHODS
    if m
    not in {
        "activate_seal",
        "change_seal",
        "revoke_seal",
        "audit",
        "checkpoint",
        "case",
        "case_ids",
        "clocks",
        "opinion_clock",
        "current_seals",
        "decision_document",
        "find",
        "quote",
        "broken_pledges",
    }
]
"""The methods that record acts on cases (and the sweeps)."""
ORDERED = hall_calls(VOCABULARY, scene_ids(), spare_ids=SPARE, methods=COMMANDS)
ANY_TIME = st.one_of(
    hall_instants(spread_days=10),
    st.builds(Earlier, st.integers(1, 60 * 24 * 60)),
    st.datetimes(
        min_value=dt.datetime(2025, 6, 1), max_value=dt.datetime(2031, 6, 1), timezones=st.just(SH)
    ),
    st.sampled_from(
        [
            dt.datetime(2099, 1, 5, 10, tzinfo=SH),
            dt.datetime(9999, 12, 31, 23, 59, tzinfo=SH),
            dt.datetime(1999, 1, 4, 10, tzinfo=SH),
            dt.datetime.max.replace(tzinfo=dt.UTC),
        ]
    ),
)
UNORDERED = hall_calls(VOCABULARY, scene_ids(), spare_ids=SPARE, methods=COMMANDS, time=ANY_TIME)
CALLS = 25


def run_calls(
    hall: Hall, data: st.DataObject, calls: st.SearchStrategy[Any], now: dt.datetime
) -> None:
    for _ in range(CALLS):
        call = data.draw(calls)
        try:
            _, when = call.run(hall, now)
        except Exception:  # what a call may raise is test_fuzz_hall's; here, what it stored
            continue
        if isinstance(when, dt.datetime) and when.utcoffset() is not None and now < when:
            now = min(when, at(12, 31, y=2027))


def check_replays(hall: Hall) -> None:
    fresh = build_hall(hall.store)  # no cache: every case read from the store
    for case_id in hall.case_ids():
        events = hall.store.load(case_id)
        instants = [e.at for e in events]
        assert instants == sorted(instants), f"{case_id} was recorded out of order"
        assert fold(events) == hall.case(case_id) == fresh.case(case_id)


def check_clocks(hall: Hall) -> None:
    for case_id in hall.case_ids():
        case = hall.case(case_id)
        for clock in hall.clocks(case).values():
            clock.status(max(clock.events[-1].at, at(12, 31, y=2027)))
        for opinion in case.opinions:
            hall.opinion_clock(case, opinion)


SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@SETTINGS
@given(data=st.data())
def test_a_history_made_in_time_order_replays(data: st.DataObject) -> None:
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    run_calls(hall, data, ORDERED, scene.after)
    check_replays(hall)


@SETTINGS
@given(data=st.data())
def test_the_clocks_of_every_stored_case_evaluate(data: st.DataObject) -> None:
    """Commands with instants of any order and any year, valid or not: whatever the hall
    recorded, its clocks can be read."""
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    run_calls(hall, data, UNORDERED, scene.after)
    check_clocks(hall)
    check_replays(hall)


@SETTINGS
@given(data=st.data())
def test_the_clocks_evaluate_without_a_future_tolerance(data: st.DataObject) -> None:
    """A simulation hall (no future check) still records nothing its calendar cannot count."""
    hall = with_hall(future_tolerance=None)
    scene = build_scene(hall, PERSON, START)
    run_calls(hall, data, UNORDERED, scene.after)
    check_clocks(hall)
    check_replays(hall)


# ---- the sweep survives its hall


def copied(events: list[StoredEvent]) -> list[NewEvent]:
    """Stored events as events to append elsewhere (their payload schema kept)."""
    out = []
    for e in events:
        extra: dict[str, Any] = {}
        schema = getattr(e, "schema", None)
        if schema is not None:
            extra["schema"] = schema
        out.append(NewEvent(kind=e.kind, actor=e.actor, at=e.at, payload=e.payload, **extra))
    return out


def plant(store: EventStore, case_id: str, events: list[NewEvent]) -> None:
    """Append a history straight to the store, as a bug or another program might."""
    row = CaseRow(case_id, "plan-01", applicant_key(PERSON), "c1", "reviewing", None, len(events))
    store.append(case_id, 0, events, row)


def test_the_sweep_survives_unreadable_cases_and_concurrent_commands() -> None:
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    healthy = [scene[label] for label in ("reviewing", "council", "gaps", "decided", "sealed")]
    submitted, accepted = copied(hall.store.load(scene["reviewing"]))
    sealed = copied(hall.store.load(scene["sealed"]))[-1]
    # sealed while still under review: the lifecycle allows no such history
    plant(hall.store, "broken-sealed-undecided", [submitted, accepted, sealed])
    # accepted with its clock starting in 2099, beyond the calendar
    far = attrs.evolve(
        accepted, payload={**accepted.payload, "clock_start": "2099-01-05T10:00:00+08:00"}
    )
    plant(hall.store, "broken-clock-2099", [submitted, far])
    # accepted before it was received
    early = attrs.evolve(accepted, at=submitted.at - dt.timedelta(days=3))
    plant(hall.store, "broken-out-of-order", [submitted, early])
    broken = {"broken-sealed-undecided", "broken-clock-2099", "broken-out-of-order"}

    # a concurrent clerk works on a case accepted on the sweep's day (nothing due on it)
    busy = hall.submit(
        "plan-01", PERSON, "c1", materials=["form", "site"], actor="clerk", at=at(12, 10, 9)
    ).case_id
    hall.accept(busy, actor="clerk", at=at(12, 10, 9))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def clerk() -> None:
        try:
            start.wait()
            for minute in range(20):
                when = at(12, 10, 9, minute + 1)
                hall.return_case(busy, "window", "start over", actor="chief", at=when)
                hall.accept(busy, actor="clerk", at=when)
        except BaseException as exc:  # reported below
            errors.append(exc)

    worker = threading.Thread(target=clerk)
    worker.start()
    start.wait()
    report = hall.sweep(at(12, 10, 10))
    worker.join()
    assert errors == []

    for case_id in healthy:  # overdue since November: escalated, once per clock and code
        escalated = [e for e in hall.store.load(case_id) if e.kind == "escalated"]
        assert escalated, f"{case_id} was not swept"
        codes = [(e.payload.get("clock"), e.payload.get("code")) for e in escalated]
        assert len(codes) == len(set(codes))
    assert isinstance(report, SweepReport)
    assert broken <= {f.case_id for f in report.failures}
    assert not {f.case_id for f in report.failures} & set(healthy)
    # a second sweep records nothing twice and still does not raise
    again = hall.sweep(at(12, 10, 11))
    for case_id in healthy:
        events = hall.store.load(case_id)
        codes = [
            (e.payload.get("clock"), e.payload.get("code")) for e in events if e.kind == "escalated"
        ]
        assert len(codes) == len(set(codes))
    assert broken <= {f.case_id for f in again.failures}
