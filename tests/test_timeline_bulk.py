"""Compiled and bulk clocks against their oracle, :meth:`Clock.status`.

Every property compares element by element: the compiled single-clock path
(:class:`CompiledClock`, :func:`compile_clock` + :func:`evaluate_one`), the numpy sweep
(:func:`evaluate`) and the recomputation after a calendar change (:func:`recompute`).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import attrs
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hallflow.calendar import (
    FestivalDays,
    HallHours,
    Notice,
    WorkCalendar,
    YearData,
    china,
    provisional_year,
)
from hallflow.errors import BulkInputError, CalendarRangeError, HallflowError, LimitError
from hallflow.timeline import Clock, ClockStatus, Excluded, Limit, Unit, closing_time
from hallflow.timeline.bulk import ClockArrays, evaluate, recompute
from hallflow.timeline.compiled import (
    NONE,
    STATES,
    CompiledClock,
    calendar_tables,
    compile_clock,
    evaluate_ints,
    from_us,
    to_us,
)
from tests.strategies import BulkCase, ClockCase, bulk_clock_cases, clock_cases

SH = ZoneInfo("Asia/Shanghai")


def _status(clock: Clock, at: dt.datetime) -> ClockStatus | None:
    """The oracle's answer; None when it refuses, or when ``at`` is outside the range (where
    the compiled forms refuse and Clock may still answer a day count)."""
    if not _in_range(clock.calendar, at):
        return None
    try:
        return clock.status(at)
    except CalendarRangeError:
        return None


def _same(
    status: ClockStatus, due: int, elapsed: float, remaining: float, state: int, level: int
) -> None:
    assert from_us(due, SH) == status.due
    assert elapsed == status.elapsed
    assert remaining == status.remaining
    assert STATES[state] is status.state
    assert level == int(status.level)


# --------------------------------------------------------------------------- single clocks


@given(clock_cases())
def test_compiled_clock_equals_status(case: ClockCase) -> None:
    status = _status(case.clock, case.at)
    assume(status is not None)
    assert status is not None
    try:
        compiled = CompiledClock.from_clock(case.clock)
    except CalendarRangeError:
        # The whole history is compiled at once: an excluded period ending past the range
        # is refused here, as the clock refuses every instant from that event on.
        last = case.clock.events[-1].at
        with pytest.raises(CalendarRangeError):
            case.clock.status(last)
        return
    got = compiled.evaluate(case.at)
    _same(status, got.due, got.elapsed, got.remaining, got.state, got.level)
    tables = calendar_tables(case.clock.calendar)
    assert got.receipt == status.counting_from.toordinal() - tables.ord0


@given(clock_cases())
def test_evaluate_one_equals_status(case: ClockCase) -> None:
    status = _status(case.clock, case.at)
    assume(status is not None)
    assert status is not None
    ints = compile_clock(case.clock, case.at)
    got = evaluate_ints(calendar_tables(case.clock.calendar), ints, to_us(case.at))
    _same(status, got.due, got.elapsed, got.remaining, got.state, got.level)


def test_closing_table_matches_closing_time() -> None:
    for zone in ("Asia/Shanghai", "America/New_York"):
        cal = china(2026).with_hours(HallHours(zone=zone))
        table = cal.closing_table()
        for i in range(0, table.size, 37):
            day = cal.first + dt.timedelta(days=i)
            assert int(table[i]) == to_us(closing_time(cal, day))
        assert (calendar_tables(cal).offset is None) == (zone == "America/New_York")


# --------------------------------------------------------------------------- bulk


def _in_range(calendar: WorkCalendar, at: dt.datetime) -> bool:
    """Bulk refuses instants outside the range (Clock may answer a day count there)."""
    return calendar.first <= at.astimezone(calendar.hours.tzinfo).date() <= calendar.last


def _statuses(clocks: tuple[Clock, ...], at: dt.datetime) -> list[tuple[Clock, ClockStatus]]:
    out = []
    for clock in clocks:
        status = _status(clock, at)
        if status is not None:
            out.append((clock, status))
    return out


@given(bulk_clock_cases())
def test_bulk_equals_status(case: BulkCase) -> None:
    pairs = _statuses(case.clocks, case.at)
    assume(pairs)
    arrays = ClockArrays.from_clocks([c for c, _ in pairs], case.at)
    got = evaluate(case.clocks[0].calendar, arrays, case.at)
    assert len(got) == len(pairs)
    for i, (_, status) in enumerate(pairs):
        due = int(got.due[i].astype(np.int64))
        _same(status, due, got.elapsed[i], got.remaining[i], got.state[i], got.level[i])
        assert got.receipt[i] == np.datetime64(status.counting_from, "D")
        assert bool(got.overdue[i]) == (status.overdue_by > dt.timedelta(0))
        assert bool(got.provisional[i]) == status.provisional


@given(bulk_clock_cases(), st.integers(0, 40 * 24 * 60))
def test_bulk_arrays_hold_for_later_instants(case: BulkCase, minutes: int) -> None:
    """Arrays built after the last event stay valid: a pause of unknown length is projected
    to the instant asked about, an excluded period ends (a correction restarting) by itself."""
    built = max(c.events[-1].at for c in case.clocks)
    later = max(case.at, built) + dt.timedelta(minutes=minutes)
    pairs = _statuses(case.clocks, later)
    assume(pairs)
    arrays = ClockArrays.from_clocks([c for c, _ in pairs], built)
    got = evaluate(case.clocks[0].calendar, arrays, later)
    for i, (_, status) in enumerate(pairs):
        due = int(got.due[i].astype(np.int64))
        _same(status, due, got.elapsed[i], got.remaining[i], got.state[i], got.level[i])


def _portable(clock: Clock) -> bool:
    """Whether the arrays of ``clock`` mean the same on another calendar (no excluded period
    whose end depends on the calendar)."""
    return not any(
        isinstance(e, Excluded) and e.length.unit is not Unit.CALENDAR_DAYS for e in clock.events
    )


@given(bulk_clock_cases())
def test_recompute_reports_exactly_the_moved_clocks(case: BulkCase) -> None:
    rows = []
    for clock in case.clocks:
        if not _portable(clock):
            continue
        try:
            moved_clock = attrs.evolve(clock, calendar=case.other)
        except HallflowError:
            continue  # the history does not fit the new calendar (a refused extension)
        old, new = _status(clock, case.at), _status(moved_clock, case.at)
        if old is not None and new is not None:
            rows.append((clock, old, new))
    assume(rows)
    arrays = ClockArrays.from_clocks([c for c, _, _ in rows], case.at)
    try:
        rec = recompute(case.clocks[0].calendar, case.other, arrays, case.at)
    except CalendarRangeError:
        assume(False)
        return
    want = [i for i, (_, old, new) in enumerate(rows) if old.due != new.due]
    assert rec.indices.tolist() == want
    for j, i in enumerate(want):
        _, old, new = rows[i]
        assert from_us(int(rec.old_due[j].astype(np.int64)), SH) == old.due
        assert from_us(int(rec.new_due[j].astype(np.int64)), SH) == new.due
        assert rec.delta[j] == np.timedelta64(new.due - old.due, "us")
        tz = case.other.hours.tzinfo
        days = case.other.working_days_between(
            old.due.astimezone(tz).date(), new.due.astimezone(tz).date()
        )
        assert rec.delta_working_days[j] == days
    for i, (_, _, new) in enumerate(rows):
        assert rec.new.level[i] == int(new.level)


# --------------------------------------------------------------------------- concrete cases


def _official_2027() -> YearData:
    """A TEST-BUILT 2027 "official" year — not real data (the 2027 notice is not published).

    It equals the provisional 2027 except for the Spring Festival: 6–14 February off (Sat to
    Sun, nine days) with Saturday 20 February worked, where the provisional year has 5–12
    February off and 13–14 February worked. So Friday 5 February works, 13–14 February rest,
    and 20 February works.
    """
    provisional = provisional_year(2027)
    festivals = []
    for entry in provisional.festivals:
        if entry.festival.value == "spring_festival":
            entry = FestivalDays(
                festival=entry.festival,
                holidays=[dt.date(2027, 2, d) for d in range(6, 15)],
                workdays=[dt.date(2027, 2, 20)],
            )
        festivals.append(entry)
    notice = Notice("TEST-2027-1", dt.date(2026, 11, 1), "test-built notice, not real data")
    return YearData(2027, (notice,), tuple(festivals))


@pytest.fixture(scope="module")
def calendars_2027() -> tuple[WorkCalendar, WorkCalendar]:
    return china(2030), china(2030, years=[_official_2027()])


def test_recompute_after_the_2027_notice(calendars_2027: tuple[WorkCalendar, WorkCalendar]) -> None:
    old, new = calendars_2027
    at = dt.datetime(2026, 12, 1, 12, tzinfo=SH)
    clocks = [
        # counts within 2026 only: unaffected
        Clock.start("a", Limit.working_days(20), old, dt.datetime(2026, 11, 2, 10, tzinfo=SH)),
        # received 1 December 2026, counting into February 2027
        Clock.start("b", Limit.working_days(45), old, dt.datetime(2026, 12, 1, 10, tzinfo=SH)),
        Clock.start("c", Limit.working_days(48), old, dt.datetime(2026, 12, 1, 10, tzinfo=SH)),
        Clock.start("d", Limit.calendar_days(66), old, dt.datetime(2026, 12, 1, 10, tzinfo=SH)),
    ]
    arrays = ClockArrays.from_clocks(clocks, at)
    rec = recompute(old, new, arrays, at)
    want = {}
    for i, clock in enumerate(clocks):
        before = clock.due(at)
        after = attrs.evolve(clock, calendar=new).due(at)
        if before != after:
            want[i] = (before, after)
    assert rec.indices.tolist() == sorted(want)
    # c: the 48th working day was the make-up Sunday 14 February, now Monday 15 February;
    # d: day 66 is Friday 5 February, a holiday (-> Saturday 13th) now a working day
    assert rec.indices.tolist() == [2, 3]
    day = np.timedelta64(1, "D")
    assert rec.new_due.astype("datetime64[D]").tolist() == [
        dt.date(2027, 2, 15) - dt.timedelta(days=1) + dt.timedelta(days=1),
        dt.date(2027, 2, 5),
    ]
    assert rec.delta.tolist() == [dt.timedelta(days=1), dt.timedelta(days=-8)]
    assert rec.delta_working_days.tolist() == [1, 0]
    assert (rec.old_due + day).astype("datetime64[D]").tolist()[0] == dt.date(2027, 2, 15)
    for j, i in enumerate(rec.indices.tolist()):
        before, after = want[i]
        assert from_us(int(rec.old_due[j].astype(np.int64)), SH) == before
        assert from_us(int(rec.new_due[j].astype(np.int64)), SH) == after
        assert rec.delta_working_days[j] == new.working_days_between(before.date(), after.date())
    assert rec.old.provisional.tolist() == [False, True, True, True]
    assert rec.new.provisional.tolist() == [False, False, False, False]


def test_bulk_input_errors() -> None:
    start = np.array([0, 0], dtype=np.int64) + to_us(dt.datetime(2024, 3, 1, 10, tzinfo=SH))
    with pytest.raises(LimitError, match="total"):
        ClockArrays(start, [0, 5], [0, 0])
    with pytest.raises(BulkInputError, match="packed"):
        ps = np.array([[NONE, start[0] + 1], [NONE, NONE]])
        ClockArrays(start, 5, 0, ps, ps)
    with pytest.raises(BulkInputError, match="before its pause_start"):
        ps = np.array([[start[0] + 10], [NONE]])
        ClockArrays(start, 5, 0, ps, np.array([[start[0] + 5], [NONE]]))
    arrays = ClockArrays(start, 5, Unit.WORKING_HOURS)
    berlin = china(2026).with_hours(HallHours(zone="Europe/Berlin"))
    with pytest.raises(LimitError, match="working_hours"):
        evaluate(berlin, arrays, dt.datetime(2024, 3, 2, tzinfo=SH))
    # day units work in any zone
    days = ClockArrays(start, 5, Unit.WORKING_DAYS)
    at = dt.datetime(2024, 3, 2, tzinfo=SH)
    got = evaluate(berlin, days, at)
    clock = Clock.start("c", Limit.working_days(5), berlin, from_us(int(start[0]), SH))
    assert int(got.due[0].astype(np.int64)) == to_us(clock.status(at).due)


def test_a_correction_whose_unprojected_due_leaves_the_range_evaluates_like_the_clock() -> None:
    """Regression: found by the ladder property test (an IndexError in bulk.evaluate).

    A working-hour clock paused for a correction at its start: its unprojected due lies past
    the calendar's last day and is discarded for the projected one, which the bulk path
    clamped to the last day and then indexed past that day's shifts.
    """
    from hallflow.calendar.hours import Shift
    from hallflow.timeline import PauseReason

    zone = ZoneInfo("Asia/Shanghai")
    cal = WorkCalendar(
        (),
        first=dt.date(2000, 1, 1),
        last=dt.date(2000, 2, 10),
        weekmask=(False, False, False, False, False, False, True),
        hours=HallHours(workday=(Shift(dt.time(0), dt.time(3)),), zone="Asia/Shanghai"),
    )
    start = dt.datetime(2000, 1, 1, tzinfo=zone)
    clock = Clock.start("case", Limit.working_hours(17), cal, start)
    clock = clock.pause(start, PauseReason.CORRECTION)
    clock = clock.extend(start, Limit.working_hours(5), "director")
    status = clock.status(start)
    got = evaluate(cal, ClockArrays.from_clocks([clock], start), start)
    _same(status, int(got.due[0].astype(np.int64)), got.elapsed[0], got.remaining[0],
          got.state[0], got.level[0])  # fmt: skip
