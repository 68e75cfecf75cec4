"""Property tests: the compiled calendar, scalar and bulk, equals the day-by-day reference.

Random calendars (ranges across year ends, any week mask, up to three layers of random
holidays, working days and provisional spans, random split-shift hall hours with cut-offs
in several zones) and random dates, offsets and instants — both ends of the range and a few
days past them included. Where the reference raises :class:`CalendarRangeError`, so must
the compiled calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallflow.calendar import DayInfo, ReferenceCalendar, WorkCalendar, WorkingDayCount
from hallflow.errors import CalendarRangeError
from tests.strategies import (
    CalendarSpec,
    calendar_specs,
    dates_in,
    instants_in,
    offsets,
    working_minutes,
)

T = TypeVar("T")


def build(spec: CalendarSpec) -> tuple[WorkCalendar, ReferenceCalendar]:
    return WorkCalendar(spec.layers, **spec.kwargs()), ReferenceCalendar(
        spec.layers, **spec.kwargs()
    )


def outcome(call: Callable[[], T]) -> T | type[CalendarRangeError]:
    """The result of ``call``, or the range error class if it refused."""
    try:
        return call()
    except CalendarRangeError:
        return CalendarRangeError


def to_np(days: list[dt.date]) -> np.ndarray:
    return np.array(days, dtype="datetime64[D]")


@st.composite
def calendar_and_dates(
    draw: st.DrawFn, size: int = 12, max_days: int = 400
) -> tuple[CalendarSpec, list[dt.date]]:
    spec = draw(calendar_specs(max_days=max_days))
    return spec, draw(st.lists(dates_in(spec), min_size=1, max_size=size))


@given(calendar_and_dates())
def test_is_working_day_and_provisional(case: tuple[CalendarSpec, list[dt.date]]) -> None:
    spec, days = case
    fast, slow = build(spec)
    for d in days:
        assert outcome(partial(fast.is_working_day, d)) == outcome(partial(slow.is_working_day, d))
        assert outcome(partial(fast.is_provisional, d)) == outcome(partial(slow.is_provisional, d))
        info = outcome(partial(fast.day_info, d))
        if isinstance(info, DayInfo):
            assert info.working == slow.is_working_day(d)


@given(calendar_and_dates(), st.lists(offsets(), min_size=1, max_size=12))
def test_add_working_days(case: tuple[CalendarSpec, list[dt.date]], shifts: list[int]) -> None:
    spec, days = case
    fast, slow = build(spec)
    for d, n in zip(days, shifts, strict=False):
        expected = outcome(partial(slow.add_working_days, d, n))
        assert outcome(partial(fast.add_working_days, d, n)) == expected, (d, n)
        if n == 1:
            assert outcome(partial(fast.next_working_day, d)) == expected
        if n == -1:
            assert outcome(partial(fast.previous_working_day, d)) == expected
        explained = outcome(partial(fast.explain_working_days, d, n))
        if isinstance(explained, WorkingDayCount):
            assert explained.result == expected
            counted = sum(1 for info in explained.days if info.working)
            if n != 0:
                assert counted == abs(n)


@given(calendar_and_dates(size=8), st.data())
def test_working_days_between(
    case: tuple[CalendarSpec, list[dt.date]], data: st.DataObject
) -> None:
    spec, days = case
    fast, slow = build(spec)
    for a in days:
        b = data.draw(dates_in(spec))
        assert outcome(partial(fast.working_days_between, a, b)) == outcome(
            partial(slow.working_days_between, a, b)
        ), (a, b)


# --------------------------------------------------------------------- bulk


@given(calendar_and_dates(size=30), st.data())
def test_bulk_equals_scalar(case: tuple[CalendarSpec, list[dt.date]], data: st.DataObject) -> None:
    spec, days = case
    fast, _ = build(spec)
    arr = to_np(days)
    shifts = data.draw(st.lists(offsets(), min_size=len(days), max_size=len(days)))
    others = data.draw(st.lists(dates_in(spec), min_size=len(days), max_size=len(days)))
    checks: list[tuple[Callable[[], object], list[Callable[[], object]]]] = [
        (
            lambda: fast.bulk.is_working_day(arr).tolist(),
            [partial(fast.is_working_day, d) for d in days],
        ),
        (
            lambda: fast.bulk.is_provisional(arr).tolist(),
            [partial(fast.is_provisional, d) for d in days],
        ),
        (
            lambda: fast.bulk.add_working_days(arr, np.array(shifts)).tolist(),
            [partial(fast.add_working_days, d, n) for d, n in zip(days, shifts, strict=True)],
        ),
        (
            lambda: fast.bulk.add_working_days(arr, shifts[0]).tolist(),
            [partial(fast.add_working_days, d, shifts[0]) for d in days],
        ),
        (
            lambda: fast.bulk.next_working_day(arr).tolist(),
            [partial(fast.next_working_day, d) for d in days],
        ),
        (
            lambda: fast.bulk.previous_working_day(arr).tolist(),
            [partial(fast.previous_working_day, d) for d in days],
        ),
        (
            lambda: fast.bulk.working_days_between(arr, to_np(others)).tolist(),
            [partial(fast.working_days_between, a, b) for a, b in zip(days, others, strict=True)],
        ),
    ]
    for bulk_call, scalar_calls in checks:
        scalar = [outcome(c) for c in scalar_calls]
        got = outcome(bulk_call)
        if CalendarRangeError in scalar:
            assert got is CalendarRangeError
        else:
            assert got == scalar


@given(calendar_specs(max_days=120), st.data())
def test_bulk_broadcasts(spec: CalendarSpec, data: st.DataObject) -> None:
    fast, _ = build(spec)
    inside = st.integers(0, (spec.last - spec.first).days).map(
        lambda k: spec.first + dt.timedelta(days=k)
    )
    days = data.draw(st.lists(inside, min_size=1, max_size=5))
    shifts = data.draw(st.lists(st.integers(-5, 5), min_size=1, max_size=4))
    grid = outcome(lambda: fast.bulk.add_working_days(to_np(days)[:, None], np.array(shifts)))
    expected = [[outcome(partial(fast.add_working_days, d, n)) for n in shifts] for d in days]
    if any(CalendarRangeError in row for row in expected):
        assert grid is CalendarRangeError
    else:
        assert isinstance(grid, np.ndarray)
        assert grid.shape == (len(days), len(shifts))
        assert grid.tolist() == expected


# --------------------------------------------------------------------- hall hours


@given(calendar_specs(max_days=40), st.data())
def test_add_working_time(spec: CalendarSpec, data: st.DataObject) -> None:
    fast, slow = build(spec)
    for _ in range(4):
        start = data.draw(instants_in(spec))
        amount = data.draw(working_minutes())
        got = outcome(partial(fast.add_working_time, start, amount))
        assert got == outcome(partial(slow.add_working_time, start, amount)), (
            start,
            amount,
        )
        if isinstance(got, dt.datetime) and amount > dt.timedelta(0):
            # Earliest instant: the span back to the start holds exactly `amount`.
            assert fast.working_time_between(start, got) == amount


@given(calendar_specs(max_days=20), st.data())
def test_working_time_between(spec: CalendarSpec, data: st.DataObject) -> None:
    fast, slow = build(spec)
    a = data.draw(instants_in(spec))
    b = data.draw(instants_in(spec))
    assert outcome(lambda: fast.working_time_between(a, b)) == outcome(
        lambda: slow.working_time_between(a, b)
    ), (a, b)


@given(calendar_specs(max_days=60), st.data())
def test_receipt_day(spec: CalendarSpec, data: st.DataObject) -> None:
    fast, slow = build(spec)
    for _ in range(4):
        when = data.draw(instants_in(spec))
        assert outcome(partial(fast.receipt_day, when)) == outcome(
            partial(slow.receipt_day, when)
        ), when


def test_outcome_helper_sees_range_errors() -> None:
    """The comparison helper must not swallow anything but range errors."""
    with pytest.raises(ZeroDivisionError):
        outcome(lambda: 1 // 0)


@given(calendar_specs(max_days=30), st.data())
def test_working_time_ends_at_shift_edges(spec: CalendarSpec, data: st.DataObject) -> None:
    """A period that uses up a shift exactly ends at that shift's end, not at the next opening.

    Backwards, one that starts at a shift's end and goes back a whole shift ends at its start.
    """
    fast, slow = build(spec)
    span = (spec.last - spec.first).days
    day = spec.first + dt.timedelta(days=data.draw(st.integers(0, span)))
    if not fast.is_working_day(day):
        return
    tz = spec.hours.tzinfo
    for shift in spec.hours.shifts_on(day.weekday()):
        start = dt.datetime.combine(day, shift.start, tzinfo=tz)
        end = dt.datetime.combine(day, shift.end, tzinfo=tz)
        for engine in (fast, slow):
            assert engine.add_working_time(start, end - start) == end
            assert engine.add_working_time(end, start - end) == start
