"""Compiled clocks: a clock's due instant and warning level in integer arithmetic.

:meth:`Clock.status` walks dates and datetimes; supervision platforms read thousands of clocks
a second, or a million at night. This module turns a calendar into a few flat integer tables
(:class:`CalendarTables`: each day's closing instant in epoch microseconds, the closings of
the working days, the cumulative working-day count, the cumulative working time) and a clock
into integers (:class:`ClockInts`), so that a status is a handful of :func:`bisect.bisect_left`
calls. The counting conventions are exactly those of :mod:`hallflow.timeline.clock`, of which
this is a twin (the property tests compare the two):

* instants are microseconds since the Unix epoch (UTC); days are indices into the calendar's
  range (day ``first + i`` is index ``i``);
* "the last day whose closing instant is strictly before ``x``" is
  ``bisect_left(close, x) - 1``, "at or before" is ``bisect_right(close, x) - 1``;
* the ``k``-th working day after day ``d`` closes at ``wclose[cum[d] + k - 1]``.

Two ways in:

* :meth:`CompiledClock.from_clock` compiles a clock's whole history once;
  :meth:`CompiledClock.evaluate` then answers for any instant (the history up to it).
* :func:`compile_clock` reduces a clock to its state at one instant (:class:`ClockInts`), and
  :func:`evaluate_one` evaluates such a state — the fastest path.

Instants outside the calendar's range raise :class:`~hallflow.errors.CalendarRangeError`, as
do results past it (where :class:`Clock` may answer a calendar-day count near the ends of
the range without looking at the calendar, this module refuses).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from hallflow.calendar.engine import WorkCalendar
from hallflow.errors import CalendarRangeError, ClockStateError, NaiveDatetimeError
from hallflow.timeline.clock import Clock, ClockState, WarningLevel
from hallflow.timeline.events import (
    Excluded,
    Extended,
    Paused,
    Restarted,
    Resumed,
    Started,
    Stopped,
)
from hallflow.timeline.limits import Unit

__all__ = [
    "NONE",
    "STATES",
    "UNITS",
    "CalendarTables",
    "ClockInts",
    "CompiledClock",
    "Evaluation",
    "calendar_tables",
    "compile_clock",
    "evaluate_one",
    "from_us",
    "to_us",
]

US_PER_DAY = 86_400_000_000
US_PER_HOUR = 3_600_000_000
NONE = -(2**63)
"""The "no instant" sentinel of the integer forms (``numpy.datetime64('NaT')`` viewed as int)."""

UNITS: tuple[Unit, ...] = (
    Unit.WORKING_DAYS,
    Unit.CALENDAR_DAYS,
    Unit.WORKING_HOURS,
    Unit.SAME_DAY,
)
"""Unit codes: ``UNITS[code]`` is the unit, ``UNITS.index(unit)`` its code."""
STATES: tuple[ClockState, ...] = (ClockState.RUNNING, ClockState.PAUSED, ClockState.STOPPED)
"""State codes: ``STATES[code]`` is the state."""

WD, CD, WH, SD = 0, 1, 2, 3
RUNNING, PAUSED, STOPPED = 0, 1, 2
_CLOSED, _NORMAL, _REMINDER, _OVERDUE = (int(w) for w in WarningLevel)
_UNIT_CODE = {u: i for i, u in enumerate(UNITS)}
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_ONE_US = dt.timedelta(microseconds=1)


def to_us(when: dt.datetime) -> int:
    """An aware datetime as microseconds since the Unix epoch.

    Raises:
        NaiveDatetimeError: ``when`` has no time zone.
    """
    if not isinstance(when, dt.datetime) or when.tzinfo is None or when.utcoffset() is None:
        raise NaiveDatetimeError("when", when)
    return (when - _EPOCH_UTC) // _ONE_US


def from_us(us: int, tz: dt.tzinfo = dt.UTC) -> dt.datetime:
    """Microseconds since the Unix epoch as an aware datetime in ``tz``."""
    return (_EPOCH_UTC + dt.timedelta(microseconds=us)).astimezone(tz)


def _time_us(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


class CalendarTables:
    """A calendar flattened to integer tables (Python lists and numpy arrays of the same).

    Build with :func:`calendar_tables` (cached). Day ``i`` is ``calendar.first + i``.

    Attributes:
        calendar: the calendar compiled.
        n: days in the range.
        ord0: the proleptic ordinal of the first day.
        epoch0: the first day as days since 1970-01-01.
        offset: the zone's UTC offset in microseconds when it is the same over the range
            (local = utc + offset), else None (instants are then split day by day).
        close: the closing instant of every day (epoch µs).
        work: 1 for a working day, else 0.
        cum: working days in ``[first, first + i]``.
        wday: the day index of the ``k``-th working day.
        wclose: the closing instant of the ``k``-th working day.
        calclose: for every day, the closing instant of that day if it works, else of the
            next working day (:data:`NONE` when there is none in range): the end of a
            calendar-day period whose last day is ``i`` (Civil Code Art. 203).
        cum_us: working time (µs) up to the end of day ``i``.
        weekday: the weekday (0 = Monday) of every day.
        cutoff: the receipt cut-off of each weekday, µs after local midnight.
        shifts: the shifts of each weekday as ``(start, end)`` µs after local midnight.
        cum_prov: provisional days in ``[first, first + i]``.
        first_us: the first instant of the range (local midnight of the first day).
        end_us: the end of the range (local midnight after the last day).
    """

    __slots__ = (
        "calclose",
        "calclose_np",
        "calendar",
        "close",
        "close_np",
        "cum",
        "cum_np",
        "cum_prov",
        "cum_us",
        "cum_us_np",
        "cutoff",
        "end_us",
        "epoch0",
        "first_us",
        "n",
        "nwork",
        "offset",
        "ord0",
        "shift_end",
        "shift_len",
        "shift_start",
        "shifts",
        "wclose",
        "wclose_np",
        "wday",
        "wday_np",
        "weekday",
        "weekday_np",
        "work",
        "work_np",
    )

    def __init__(self, calendar: WorkCalendar) -> None:
        t = calendar._np
        self.calendar = calendar
        self.n = calendar._n
        self.ord0 = calendar._ord0
        self.epoch0 = t.epoch0
        close = calendar.closing_table()
        days = np.arange(self.n, dtype=np.int64)
        ends = np.array(
            [_time_us(calendar.hours.closing_on(wd)) for wd in range(7)], dtype=np.int64
        )
        self.weekday_np = (self.ord0 + days - 1) % 7
        naive = (self.epoch0 + days) * US_PER_DAY + ends[self.weekday_np]
        diff = naive - close
        self.offset: int | None = int(diff[0]) if bool(np.all(diff == diff[0])) else None
        self.close_np = close
        self.work_np = t.work.astype(np.int64)
        self.cum_np = t.cum
        wday = np.flatnonzero(t.work).astype(np.int64)
        self.nwork = int(wday.size)
        self.wday_np = wday
        self.wclose_np = close[wday]
        # the next working day on or after each day (n when none)
        nxt_k = t.cum - t.work  # index of the next working day in wday
        has = nxt_k < self.nwork
        calclose = np.full(self.n, NONE, dtype=np.int64)
        calclose[has] = self.wclose_np[nxt_k[has]]
        self.calclose_np = calclose
        self.cum_us_np = np.asarray(calendar._cum_us, dtype=np.int64)
        self.close: list[int] = close.tolist()
        self.work: list[int] = calendar._work
        self.cum: list[int] = calendar._cum
        self.wday: list[int] = wday.tolist()
        self.wclose: list[int] = self.wclose_np.tolist()
        self.calclose: list[int] = calclose.tolist()
        self.cum_us: list[int] = calendar._cum_us
        self.weekday: list[int] = self.weekday_np.tolist()
        self.cutoff = tuple(_time_us(calendar.hours.cutoff_on(wd)) for wd in range(7))
        self.shifts = calendar._shift_us
        self.cum_prov = np.cumsum(t.provisional, dtype=np.int64)
        width = max(len(s) for s in self.shifts)
        start = np.zeros((7, width), dtype=np.int64)
        end = np.zeros((7, width), dtype=np.int64)
        for wd, day in enumerate(self.shifts):
            for j, (s, e) in enumerate(day):
                start[wd, j], end[wd, j] = s, e
            for j in range(len(day), width):  # padding: empty shifts at the last end
                start[wd, j] = end[wd, j] = day[-1][1]
        self.shift_start = start
        self.shift_end = end
        self.shift_len = end - start
        self.first_us = self.instant(0, 0)
        self.end_us = self.instant(self.n, 0)

    # ------------------------------------------------------------------ scalar helpers

    def range_error(self, field: str, value: object) -> CalendarRangeError:
        """The error for an instant or result outside the range."""
        return CalendarRangeError(field, value, self.calendar.first, self.calendar.last)

    def split(self, us: int) -> tuple[int, int]:
        """An instant as (day index, µs after local midnight), checked against the range."""
        if self.offset is not None:
            i, t = divmod(us + self.offset, US_PER_DAY)
            i -= self.epoch0
        else:
            local = from_us(us, self.calendar.hours.tzinfo)
            i = local.toordinal() - self.ord0
            t = _time_us(local.time())
        if not 0 <= i < self.n:
            raise self.range_error("instant", from_us(us, self.calendar.hours.tzinfo))
        return i, t

    def instant(self, i: int, t: int) -> int:
        """Day index ``i`` at ``t`` µs after local midnight, as epoch µs."""
        if self.offset is not None:
            return (self.epoch0 + i) * US_PER_DAY + t - self.offset
        day = dt.datetime.combine(dt.date.fromordinal(self.ord0 + i), dt.time())
        naive = day + dt.timedelta(microseconds=t)
        return to_us(naive.replace(tzinfo=self.calendar.hours.tzinfo))

    def receipt(self, us: int) -> int:
        """The receipt day (index) of an instant: :meth:`WorkCalendar.receipt_day`."""
        i, t = self.split(us)
        if self.work[i] and t < self.cutoff[self.weekday[i]]:
            return i
        k = self.cum[i]
        if k >= self.nwork:
            raise self.range_error("result", "the working day after a receipt")
        return self.wday[k]

    def worked(self, us: int) -> int:
        """Working µs from the start of the range up to the instant."""
        i, t = self.split(us)
        done = self.cum_us[i - 1] if i else 0
        if self.work[i]:
            for s, e in self.shifts[self.weekday[i]]:
                if t <= s:
                    break
                done += (t if t < e else e) - s
        return int(done)

    def add_working_time(self, us: int, delta: int) -> int:
        """The earliest instant ``delta`` (> 0) working µs after ``us``."""
        target = self.worked(us) + delta
        j = bisect_left(self.cum_us, target)
        if j >= self.n:
            raise self.range_error("result", "a working-hour due instant past the range")
        rest = target - (self.cum_us[j - 1] if j else 0)
        for s, e in self.shifts[self.weekday[j]]:
            if rest <= e - s:
                return self.instant(j, s + rest)
            rest -= e - s
        raise AssertionError("unreachable: cumulative working time is inconsistent")


_CACHE: dict[int, tuple[WorkCalendar, CalendarTables]] = {}
_CACHE_SIZE = 16


def calendar_tables(calendar: WorkCalendar) -> CalendarTables:
    """The integer tables of ``calendar`` (built once per calendar object, then cached).

    The cache holds the last 16 calendars used.
    """
    hit = _CACHE.get(id(calendar))
    if hit is not None and hit[0] is calendar:
        return hit[1]
    tables = CalendarTables(calendar)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(calendar)] = (calendar, tables)
    return tables


class Evaluation(NamedTuple):
    """A compiled clock at one instant.

    Attributes:
        due: the due instant (epoch µs).
        elapsed: units counted so far (as :attr:`ClockStatus.elapsed`).
        remaining: units left (as :attr:`ClockStatus.remaining`).
        state: the state code (``STATES[state]``).
        level: the warning level (a :class:`WarningLevel` value).
        receipt: the receipt day's index in the calendar's range.
    """

    due: int
    elapsed: float
    remaining: float
    state: int
    level: int
    receipt: int


class ClockInts(NamedTuple):
    """A clock's state at one instant, in integers (what :func:`evaluate_one` reads).

    Attributes:
        start: the instant the current count started (epoch µs).
        receipt: the receipt day of ``start`` (day index).
        intervals: the closed running intervals ``(resume, pause)`` (epoch µs), in order.
        open_from: where the running segment still open starts (the last resume, or the
            known end of an excluded period); None when paused for an unknown time (the
            pause is then assumed to end at the instant asked about) or stopped.
        total: the limit in force, extensions included.
        unit: the unit code (``UNITS[unit]``).
        stop: when the clock stopped (epoch µs), or None.
        remind_before: the policy's reminder window, in the clock's unit.
        restart_total: when the clock is paused for a correction (whose end restarts it),
            the limit the restart counts (extensions are discarded); else None.
    """

    start: int
    receipt: int
    intervals: tuple[tuple[int, int], ...]
    open_from: int | None
    total: int
    unit: int
    stop: int | None
    remind_before: int = 3
    restart_total: int | None = None


def evaluate_one(
    tables: CalendarTables,
    start: int,
    receipt: int,
    intervals: Sequence[tuple[int, int]],
    open_from: int | None,
    total: int,
    unit: int,
    stop: int | None,
    at: int,
    remind_before: int = 3,
    restart_total: int | None = None,
) -> Evaluation:
    """Evaluate one clock in integers: the twin of :meth:`Clock.status` (due, elapsed, level).

    Args:
        tables: the calendar's tables (:func:`calendar_tables`).
        start: the instant the current count started (epoch µs).
        receipt: its receipt day (day index; :meth:`CalendarTables.receipt`).
        intervals: the closed running intervals ``(resume, pause)`` up to ``at``.
        open_from: the start of the open running segment; None when paused for an unknown
            time or stopped.
        total: the limit in force, extensions included.
        unit: the unit code (``UNITS.index(unit)``).
        stop: the stop instant, or None.
        at: the instant asked about (epoch µs).
        remind_before: the reminder window, in the clock's unit.
        restart_total: for a clock paused for a correction, the limit its restart counts:
            the due instant is then projected from a fresh start at the pause's end.

    Raises:
        CalendarRangeError: an instant or the due day lies outside the calendar's range.
    """
    if not tables.first_us <= at < tables.end_us:
        raise tables.range_error("at", from_us(at, tables.calendar.hours.tzinfo))
    close = tables.close
    if stop is not None:
        end = stop
        state = STOPPED
        a_open = None
    else:
        end = at
        if open_from is None:
            a_open, state = at, PAUSED
        else:
            a_open, state = open_from, (PAUSED if open_from > at else RUNNING)
    # a clock paused for a correction: its due is projected from the restart (below)
    project = restart_total is not None and state == PAUSED
    if unit in (WD, CD):
        wd = unit == WD
        cum = tables.cum
        need = total
        count = 0
        tail = receipt
        due_lo = -1
        for a, b in intervals:
            lo = bisect_left(close, a) - 1
            if lo < receipt:
                lo = receipt
            hi = bisect_left(close, b) - 1
            if hi > lo:
                ticks = cum[hi] - cum[lo] if wd else hi - lo
                count += ticks
                if due_lo < 0:
                    if ticks >= need:
                        due_lo = lo
                    else:
                        need -= ticks
            if due_lo < 0 and hi > tail:
                tail = hi
        if a_open is not None:
            lo = bisect_left(close, a_open) - 1
            if lo < receipt:
                lo = receipt
            if due_lo < 0:
                due_lo = lo
            if state == RUNNING:
                hi = bisect_right(close, at) - 1
                if hi > lo:
                    count += cum[hi] - cum[lo] if wd else hi - lo
        elif due_lo < 0:
            # stopped before the limit was used up: project from the stop
            assert stop is not None
            last = bisect_left(close, stop) - 1
            due_lo = tail if tail > last else last
        if project:
            due = NONE
        elif wd:
            k = cum[due_lo] + need - 1
            if k >= tables.nwork:
                raise tables.range_error("due", f"{need} working days after day {due_lo}")
            due = tables.wclose[k]
        else:
            k = due_lo + need
            due = tables.calclose[k] if k < tables.n else NONE
            if due == NONE:
                raise tables.range_error("due", f"{need} calendar days after day {due_lo}")
        elapsed = float(count)
        remaining = total - elapsed
    elif unit == WH:
        left = total * US_PER_HOUR
        worked = tables.worked
        anchor = start
        spent = 0
        due = NONE
        for a, b in intervals:
            anchor = a
            w0 = worked(a)
            got = worked(b) - w0
            spent += got
            if due == NONE and not project:
                if got >= left:
                    due = tables.add_working_time(a, left)
                else:
                    left -= got
        if a_open is not None:
            if due == NONE and not project:
                due = tables.add_working_time(a_open, left)
            if at > a_open:
                spent += worked(at) - worked(a_open)
        elif due == NONE:
            due = tables.add_working_time(stop if stop is not None else anchor, left)
        elapsed = spent / US_PER_HOUR
        remaining = total - elapsed
    else:
        due = close[receipt]
        elapsed = 1.0 if end >= due else 0.0
        remaining = 1.0 - elapsed
    if project:
        # a correction is projected to end at the open segment's start, and restarts there
        assert a_open is not None and restart_total is not None
        due = evaluate_one(
            tables, a_open, tables.receipt(a_open), (), a_open, restart_total, unit, None, at
        ).due
    if stop is not None:
        level = _CLOSED
    elif at > due:
        level = _OVERDUE
    elif unit != SD and remaining <= remind_before:
        level = _REMINDER
    else:
        level = _NORMAL
    return Evaluation(due, elapsed, remaining, state, level, receipt)


def evaluate_ints(tables: CalendarTables, clock: ClockInts, at: int) -> Evaluation:
    """:func:`evaluate_one` on a :class:`ClockInts`."""
    return evaluate_one(
        tables,
        clock.start,
        clock.receipt,
        clock.intervals,
        clock.open_from,
        clock.total,
        clock.unit,
        clock.stop,
        at,
        clock.remind_before,
        clock.restart_total,
    )


def compile_clock(clock: Clock, at: dt.datetime) -> ClockInts:
    """``clock``'s state at ``at`` in integers (for :func:`evaluate_one` and bulk arrays).

    Raises:
        NaiveDatetimeError: ``at`` has no time zone.
        ClockStateError: ``at`` is before the clock started.
        CalendarRangeError: the start lies outside the calendar's range.
    """
    trace = clock._trace(at)
    tables = calendar_tables(clock.calendar)
    start = to_us(trace.started)
    intervals = tuple((to_us(a), to_us(b)) for a, b in trace.intervals)
    if trace.state is ClockState.STOPPED:
        open_from = None
    elif trace.state is ClockState.PAUSED and trace.open_from == at:
        open_from = None  # a pause of unknown length: assumed to end at the instant asked
    else:
        assert trace.open_from is not None
        open_from = to_us(trace.open_from)
    stop = None if trace.stopped_at is None else to_us(trace.stopped_at)
    restarting = trace.pause_reason is not None and trace.pause_reason.restarts
    return ClockInts(
        start=start,
        receipt=tables.receipt(start),
        intervals=intervals,
        open_from=open_from,
        total=trace.total,
        unit=_UNIT_CODE[clock.limit.unit],
        stop=stop,
        remind_before=clock.policy.remind_before,
        restart_total=clock.limit.amount if restarting else None,
    )


# event kinds of a compiled history
_PAUSE, _EXCLUDE, _RESUME, _RESTART, _EXTEND, _STOP = range(6)


class CompiledClock:
    """A clock's whole history compiled to integers, evaluated at any instant.

    Build with :meth:`from_clock`; :meth:`evaluate` gives the same due instant, elapsed
    units, state and warning level as :meth:`Clock.status` at that instant.

    Attributes:
        tables: the calendar's tables.
        name: the clock's name.
        started: the start instant (epoch µs).
        events: the events after the start, as ``(kind, at, value)`` integer triples.
        amount: the limit's amount before extensions.
        unit: the unit code.
        remind_before: the policy's reminder window.
    """

    __slots__ = ("amount", "events", "name", "remind_before", "started", "tables", "unit")

    def __init__(
        self,
        tables: CalendarTables,
        name: str,
        started: int,
        events: tuple[tuple[int, int, int], ...],
        amount: int,
        unit: int,
        remind_before: int = 3,
    ) -> None:
        self.tables = tables
        self.name = name
        self.started = started
        self.events = events
        self.amount = amount
        self.unit = unit
        self.remind_before = remind_before

    @classmethod
    def from_clock(cls, clock: Clock) -> CompiledClock:
        """Compile ``clock``'s history (excluded periods' ends are computed here, once)."""
        tables = calendar_tables(clock.calendar)
        first = clock.events[0]
        assert isinstance(first, Started)
        out: list[tuple[int, int, int]] = []
        for event in clock.events[1:]:
            at = to_us(event.at)
            if isinstance(event, Excluded):
                end = to_us(clock._end_of(event.at, event.length))
                out.append((_EXCLUDE, at, end * 2 + int(event.reason.restarts)))
            elif isinstance(event, Paused):
                out.append((_PAUSE, at, int(event.reason.restarts)))
            elif isinstance(event, Resumed):
                out.append((_RESUME, at, 0))
            elif isinstance(event, Restarted):
                out.append((_RESTART, at, 0))
            elif isinstance(event, Extended):
                out.append((_EXTEND, at, event.extra.amount))
            elif isinstance(event, Stopped):
                out.append((_STOP, at, 0))
        return cls(
            tables,
            clock.name,
            to_us(first.at),
            tuple(out),
            clock.limit.amount,
            _UNIT_CODE[clock.limit.unit],
            clock.policy.remind_before,
        )

    def state_at(self, at: int) -> ClockInts:
        """The history up to ``at`` (epoch µs) reduced to a :class:`ClockInts`.

        Raises:
            ClockStateError: ``at`` is before the start.
        """
        if at < self.started:
            raise ClockStateError(
                self.name,
                f"be read at {from_us(at)}",
                "not started",
                f"it starts at {from_us(self.started)}",
            )
        started = self.started
        intervals: list[tuple[int, int]] = []
        running: int | None = started
        paused = False
        restarts = False
        scheduled = NONE
        extra = 0
        stop: int | None = None
        for kind, t, value in self.events:
            if t > at:
                break
            if scheduled != NONE and scheduled <= t:
                if restarts:
                    started, intervals, extra = scheduled, [], 0
                running, paused, scheduled = scheduled, False, NONE
            if kind in (_PAUSE, _EXCLUDE):
                assert running is not None
                intervals.append((running, t))
                running, paused = None, True
                if kind == _EXCLUDE:
                    scheduled, restarts = value >> 1, bool(value & 1)
                else:
                    restarts = bool(value)
            elif kind == _RESUME:
                scheduled = NONE
                if paused and restarts:
                    started, intervals, extra = t, [], 0
                running, paused = t, False
            elif kind == _RESTART:
                started, intervals, extra = t, [], 0
                running, paused, scheduled = t, False, NONE
            elif kind == _EXTEND:
                extra += value
            else:
                if running is not None:
                    intervals.append((running, t))
                running, stop = None, t
                paused, scheduled = False, NONE
        if scheduled != NONE and scheduled <= at:
            if restarts:
                started, intervals, extra = scheduled, [], 0
            running, paused, scheduled = scheduled, False, NONE
        if stop is not None:
            open_from = None
        elif running is not None:
            open_from = running
        else:
            open_from = None if scheduled == NONE else scheduled
        return ClockInts(
            start=started,
            receipt=self.tables.receipt(started),
            intervals=tuple(intervals),
            open_from=open_from,
            total=self.amount + extra,
            unit=self.unit,
            stop=stop,
            remind_before=self.remind_before,
            restart_total=self.amount if paused and restarts else None,
        )

    def evaluate(self, at: int | dt.datetime) -> Evaluation:
        """The clock at ``at`` (epoch µs, or an aware datetime).

        Raises:
            NaiveDatetimeError: ``at`` is a naive datetime.
            ClockStateError: ``at`` is before the start.
            CalendarRangeError: an instant or the due day lies outside the calendar's range.
        """
        at_us = at if isinstance(at, int) else to_us(at)
        s = self.state_at(at_us)
        return evaluate_one(
            self.tables,
            s.start,
            s.receipt,
            s.intervals,
            s.open_from,
            s.total,
            s.unit,
            s.stop,
            at_us,
            s.remind_before,
            s.restart_total,
        )
