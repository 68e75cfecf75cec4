"""Property tests: the case clock equals its day-by-day, minute-by-minute reference twin.

Random calendars (any week mask, random layers, split-shift hall hours with cut-offs in
several zones), random limits in every unit, and random valid histories — pauses of every
reason, corrections ended by a resume or a restart, excluded periods of every unit,
extensions, restarts, a stop — with instants often exactly at closing times and shift
edges. Where the clock raises :class:`CalendarRangeError`, so must the reference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from hallflow.calendar import ReferenceCalendar
from hallflow.errors import CalendarRangeError, ExtensionRefusedError
from hallflow.timeline import (
    Clock,
    Extended,
    Limit,
    Restarted,
    Stopped,
    Unit,
    closing_time,
)
from hallflow.timeline.reference import ReferenceClock, ReferenceStatus
from tests.strategies import (
    CalendarSpec,
    ClockCase,
    clock_calendar_specs,
    clock_cases,
    clock_histories,
    instants_after,
)

T = TypeVar("T")


def outcome(call: Callable[[], T]) -> T | type[CalendarRangeError]:
    """The result of ``call``, or the range error class if it refused."""
    try:
        return call()
    except CalendarRangeError:
        return CalendarRangeError


def twin(case: ClockCase) -> ReferenceClock:
    """The reference twin of the case's clock, on the reference calendar."""
    spec = case.spec
    return ReferenceClock.from_clock(case.clock, ReferenceCalendar(spec.layers, **spec.kwargs()))


def clock_answers(clock: Clock, at: dt.datetime) -> ReferenceStatus:
    """The clock's status at ``at``, cut down to what the reference answers."""
    status = clock.status(at)
    return ReferenceStatus(
        state=status.state,
        total=status.limit.amount,
        due=status.due,
        elapsed=status.elapsed,
        remaining=status.remaining,
        outcome=status.outcome,
    )


@given(clock_cases())
def test_status_equals_reference(case: ClockCase) -> None:
    """At the case's instant, at every event, and around the due instant, both agree.

    The due instant (and the minute either side) is where the half-open conventions bite:
    the last tick, a pause or a stop exactly at a closing time.
    """
    clock, ref = case.clock, twin(case)
    got = outcome(lambda: clock_answers(clock, case.at))
    assert got == outcome(lambda: ref.status(case.at))
    event(
        f"{clock.limit.unit.value}: "
        + ("range error" if got is CalendarRangeError else getattr(got, "state", "?"))
    )
    event("events: " + (", ".join(sorted({type(e).__name__ for e in clock.events[1:]})) or "none"))
    instants = [e.at for e in clock.events]
    if isinstance(got, ReferenceStatus):
        unit = clock.limit.unit
        assert got.remaining == (1.0 if unit is Unit.SAME_DAY else got.total) - got.elapsed
        minute = dt.timedelta(minutes=1)
        instants += [got.due - minute, got.due, got.due + minute]
    for at in instants:
        if at >= clock.events[0].at:
            assert outcome(partial(clock_answers, clock, at)) == outcome(partial(ref.status, at))


def answered(call: Callable[[], T]) -> T:
    """The result of ``call``; a case the calendar's range cannot answer is discarded."""
    result = outcome(call)
    assume(result is not CalendarRangeError)
    return result  # type: ignore[return-value]


def open_end(case: ClockCase) -> dt.datetime:
    """An instant at or after the last event of a clock that has not stopped (else discard)."""
    clock = case.clock
    assume(not isinstance(clock.events[-1], Stopped))
    return max(case.at, clock.events[-1].at)


@given(clock_cases(), st.data())
def test_extension_refused_after_expiry(case: ClockCase, data: st.DataObject) -> None:
    """An extension is accepted up to the projected due instant, later only if allowed."""
    clock = case.clock
    assume(clock.limit.unit is not Unit.SAME_DAY)
    at = open_end(case)
    due = answered(lambda: twin(case).due(at))
    extra = Limit(data.draw(st.integers(1, 5)), clock.limit.unit)
    event = Extended(at, extra=extra, approved_by="director")
    if at > due and not clock.policy.allow_late_extension:
        with pytest.raises(ExtensionRefusedError):
            clock.apply(event)
    else:
        extended = clock.apply(event)
        before = answered(lambda: clock.status(at))
        after = answered(lambda: extended.status(at))
        assert after.limit.amount == before.limit.amount + extra.amount
        assert after.due >= before.due


@given(clock_cases(), st.data())
def test_elapsed_never_decreases(case: ClockCase, data: st.DataObject) -> None:
    """For a fixed history, elapsed grows (or stays) as the instant asked about grows.

    Only a restart (or the end of a correction) between the two instants may set it back.
    """
    clock = case.clock
    later = data.draw(instants_after(case.spec, case.at, max_days=8))
    before = answered(lambda: clock.status(case.at))
    after = answered(lambda: clock.status(later))
    if after.started == before.started:
        assert after.elapsed >= before.elapsed
        assert after.remaining <= before.remaining + (after.limit.amount - before.limit.amount)
    else:
        assert after.started > before.started


@given(clock_cases(), st.data())
def test_restart_discards_earlier_counting(case: ClockCase, data: st.DataObject) -> None:
    """After a restart the clock counts as a new clock started then, extensions dropped."""
    clock = case.clock
    at = open_end(case)
    restarted = answered(lambda: clock.apply(Restarted(at)))
    fresh = Clock.start("fresh", clock.limit, clock.calendar, at, policy=clock.policy)
    later = data.draw(instants_after(case.spec, at, max_days=20))
    got = outcome(lambda: clock_answers(restarted, later))
    assert got == outcome(lambda: clock_answers(fresh, later))
    if isinstance(got, ReferenceStatus):
        assert got.total == clock.limit.amount


@given(clock_calendar_specs(), st.integers(1, 30), st.data())
def test_unpaused_due_is_add_working_days(spec: CalendarSpec, n: int, data: st.DataObject) -> None:
    """With no pauses, a working-day limit is due at the closing of receipt day + n."""
    plain = data.draw(clock_histories(spec, Limit.working_days(n), max_events=0))
    start = plain.events[0].at
    calendar = plain.calendar
    extra = data.draw(st.integers(0, 5))
    clock = plain
    if extra:
        event = Extended(start, extra=Limit.working_days(extra), approved_by="x")
        clock = answered(lambda: plain.apply(event))
    expected = outcome(
        lambda: closing_time(
            calendar, calendar.add_working_days(calendar.receipt_day(start), n + extra)
        )
    )
    at = data.draw(instants_after(spec, start, max_days=40))
    assert outcome(lambda: clock.due(at)) == expected
    # Stopped before the due instant, it is projected as if it had gone on running; the stop
    # itself must be on the calendar, since the days up to it are counted.
    stopped = outcome(lambda: clock.apply(Stopped(at)))
    if isinstance(stopped, Clock) and at.astimezone(spec.hours.tzinfo).date() < spec.last:
        assert outcome(lambda: stopped.due(at)) == expected
