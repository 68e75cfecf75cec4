"""The obviously-correct twin of :class:`~hallflow.timeline.Clock`.

Where the clock reduces its history to running intervals and counts them with the
calendar's tables, this twin simulates: it walks the days one by one (minutes one by one
for working-hour limits), and at every closing instant (every minute) asks "is the clock
running now?" by replaying the event list literally. Nothing is precomputed and no interval
arithmetic is done. The property tests check that the clock gives the same answers.

The rules it simulates are those of :mod:`hallflow.timeline.clock`:

* The state at an instant is what the events at or before that instant say, in order.
  Running time is half-open: an event at an instant already governs that instant.
* An excluded period ends by itself once its length has passed: for working days at the
  same wall time on the n-th working day after, for calendar days by plain addition, for
  working hours after that much working time (the earliest such instant).
* The end of a correction pause (by :class:`~hallflow.timeline.Resumed`, or when an excluded
  correction period runs out) restarts the clock, as :class:`~hallflow.timeline.Restarted`
  does: the count and the extensions granted so far are discarded, and counting begins the
  day after the receipt day of the restart.
* A day limit ticks once per day, at the hall's closing instant, on the days after the
  receipt day of the current start: on working days for working-day limits, on every day
  for calendar-day limits. A tick counts when the clock is running at that instant.
* The due instant is the closing instant of the day whose tick reaches the limit (for
  calendar days, the next working day's closing instant when that day is not a working
  day); for working hours, the end of the minute that reaches it; for a same-day limit, the
  closing instant of the receipt day.
* Projection: the due instant is computed from the events known at the instant asked about
  (for a stopped clock, the stop). A pause of unknown length is assumed to end at that
  instant, an excluded period at its computed end; either end restarts the clock if the
  pause is a correction. A stopped clock is projected as if it had gone on running from
  its stop, without a restart (a stop during a correction means the materials never came).
* Elapsed counts ticks (working minutes, in hours) that have happened: closing instants at
  or before the instant asked about at which the clock was running. A same-day limit has
  elapsed (1.0) once the receipt day's closing instant is reached, by the stop or the
  instant asked about.

Minute stepping means every instant (events and questions) must be a whole minute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Protocol

import attrs

from hallflow.calendar.hours import HallHours
from hallflow.errors import ClockStateError
from hallflow.timeline.clock import Clock, ClockPolicy, ClockState, Outcome
from hallflow.timeline.events import (
    ClockEvent,
    Excluded,
    Extended,
    Paused,
    PauseReason,
    Restarted,
    Resumed,
    Started,
    Stopped,
)
from hallflow.timeline.limits import Limit, Unit

__all__ = ["DayCalendar", "ReferenceClock", "ReferenceStatus"]

_DAY = dt.timedelta(days=1)
_MINUTE = dt.timedelta(minutes=1)


class DayCalendar(Protocol):
    """What the twin asks of a calendar: one day at a time, plus the hall hours.

    Both :class:`~hallflow.calendar.WorkCalendar` and
    :class:`~hallflow.calendar.ReferenceCalendar` fit.
    """

    hours: HallHours

    def is_working_day(self, d: dt.date) -> bool:
        """Whether ``d`` is a working day (raising for a day out of range)."""
        ...


@attrs.define(frozen=True, slots=True)
class ReferenceStatus:
    """The twin's answers at one instant (the comparable part of a ``ClockStatus``).

    Attributes:
        state: running, paused or stopped.
        total: the limit in force (the amount plus extensions since the last start).
        due: the projected due instant.
        elapsed: units counted so far.
        remaining: ``total - elapsed`` (``1 - elapsed`` for a same-day limit).
        outcome: for a stopped clock, early, on time or late; else None.
    """

    state: ClockState
    total: int
    due: dt.datetime
    elapsed: float
    remaining: float
    outcome: Outcome | None


@attrs.define(slots=True)
class _Snapshot:
    """The clock as the events replayed so far leave it."""

    started: dt.datetime
    state: ClockState = ClockState.RUNNING
    reason: PauseReason | None = None
    pause_ends: dt.datetime | None = None
    extensions: list[int] = attrs.field(factory=list)
    stopped_at: dt.datetime | None = None


class _Replay:
    """Replays events in order up to a moving instant (the instant only moves forwards)."""

    def __init__(self, twin: ReferenceClock, events: Sequence[ClockEvent]) -> None:
        first = events[0]
        assert isinstance(first, Started)
        self._twin = twin
        self._events = list(events[1:])
        self._next = 0
        self.now = first.at
        self.snap = _Snapshot(started=first.at)

    def advance(self, until: dt.datetime) -> _Snapshot:
        """Apply every event (and every automatic end of a pause) at or before ``until``."""
        snap = self.snap
        while True:
            event = self._events[self._next] if self._next < len(self._events) else None
            if event is not None and event.at > until:
                event = None
            ends = snap.pause_ends
            if ends is not None and ends <= until and (event is None or ends <= event.at):
                self._end_pause(ends)
            elif event is not None:
                self._apply(event)
                self._next += 1
            else:
                break
        self.now = max(self.now, until)
        return snap

    def _end_pause(self, at: dt.datetime) -> None:
        snap = self.snap
        if snap.reason is not None and snap.reason.restarts:
            snap.started, snap.extensions = at, []
        snap.state, snap.reason, snap.pause_ends = ClockState.RUNNING, None, None

    def _apply(self, event: ClockEvent) -> None:
        snap = self.snap
        if isinstance(event, Paused):
            snap.state, snap.reason, snap.pause_ends = ClockState.PAUSED, event.reason, None
        elif isinstance(event, Excluded):
            snap.state, snap.reason = ClockState.PAUSED, event.reason
            snap.pause_ends = self._twin.excluded_end(event.at, event.length)
        elif isinstance(event, Resumed):
            self._end_pause(event.at)
        elif isinstance(event, Restarted):
            snap.started, snap.extensions = event.at, []
            snap.state, snap.reason, snap.pause_ends = ClockState.RUNNING, None, None
        elif isinstance(event, Extended):
            snap.extensions.append(event.extra.amount)
        elif isinstance(event, Stopped):
            snap.state, snap.stopped_at = ClockState.STOPPED, event.at
            snap.reason, snap.pause_ends = None, None


@attrs.define(frozen=True, slots=True)
class ReferenceClock:
    """A clock simulated day by day and minute by minute; slow and plain.

    Attributes:
        limit: the limit before extensions.
        calendar: the calendar (only asked about single days, and for its hours).
        events: the history, starting with :class:`~hallflow.timeline.Started`, already
            checked (build it with :meth:`from_clock`).
        policy: the clock policy (kept for symmetry; the twin answers questions only).
    """

    limit: Limit
    calendar: DayCalendar
    events: tuple[ClockEvent, ...]
    policy: ClockPolicy = attrs.field(factory=ClockPolicy)

    @classmethod
    def from_clock(cls, clock: Clock, calendar: DayCalendar | None = None) -> ReferenceClock:
        """The twin of ``clock`` (its events are already checked), on ``calendar`` if given.

        Args:
            clock: the clock to mirror.
            calendar: a calendar with the same days and hours (a
                :class:`~hallflow.calendar.ReferenceCalendar`, say); the clock's own
                calendar when None.
        """
        return cls(clock.limit, calendar or clock.calendar, clock.events, clock.policy)

    # ------------------------------------------------------------------ the calendar

    def _tz(self) -> dt.tzinfo:
        return self.calendar.hours.tzinfo

    def _local(self, when: dt.datetime) -> dt.datetime:
        return when.astimezone(self._tz())

    def closing(self, day: dt.date) -> dt.datetime:
        """The closing instant of ``day``: the end of its weekday's last shift."""
        end = self.calendar.hours.closing_on(day.weekday())
        return dt.datetime.combine(day, end, tzinfo=self._tz())

    def receipt_day(self, received: dt.datetime) -> dt.date:
        """A working day before its cut-off counts itself; otherwise the next working day."""
        local = self._local(received)
        day = local.date()
        if self.calendar.is_working_day(day) and local.time() < self.calendar.hours.cutoff_on(
            day.weekday()
        ):
            return day
        day += _DAY
        while not self.calendar.is_working_day(day):
            day += _DAY
        return day

    def _working_minutes(self, start: dt.datetime) -> Iterator[dt.datetime]:
        """The working minutes (their starting instants) at or after ``start``, in order.

        Non-working minutes can never count, so they are skipped: the walk goes day by
        day, and on a working day minute by minute through its shifts.
        """
        local = self._local(start)
        day = local.date()
        while True:
            if self.calendar.is_working_day(day):
                for shift in self.calendar.hours.shifts_on(day.weekday()):
                    minute = dt.datetime.combine(day, shift.start, tzinfo=self._tz())
                    end = dt.datetime.combine(day, shift.end, tzinfo=self._tz())
                    while minute < end:
                        if minute >= local:
                            yield minute
                        minute += _MINUTE
            day += _DAY

    def excluded_end(self, at: dt.datetime, length: Limit) -> dt.datetime:
        """When an excluded period of ``length`` starting at ``at`` ends by itself."""
        local = self._local(at)
        if length.unit is Unit.WORKING_DAYS:
            day, left = local.date(), length.amount
            while left:
                day += _DAY
                if self.calendar.is_working_day(day):
                    left -= 1
            return dt.datetime.combine(day, local.time(), tzinfo=self._tz())
        if length.unit is Unit.CALENDAR_DAYS:
            return local + length.amount * _DAY
        left = length.amount * 60
        for minute in self._working_minutes(local):
            left -= 1
            if not left:
                return minute + _MINUTE
        raise AssertionError("unreachable: the walk ends only by returning or raising")

    # ------------------------------------------------------------------ replaying

    def _known(self, at: dt.datetime) -> list[ClockEvent]:
        first = self.events[0]
        if at < first.at:
            raise ClockStateError("reference", f"be read at {at}", "not started", "too early")
        return [e for e in self.events if e.at <= at]

    def _ticks(self, day: dt.date) -> bool:
        if self.limit.unit is Unit.WORKING_DAYS:
            return self.calendar.is_working_day(day)
        return True

    # ------------------------------------------------------------------ questions

    def state(self, at: dt.datetime) -> ClockState:
        """Running, paused or stopped at ``at``: the events up to ``at``, replayed."""
        return _Replay(self, self._known(at)).advance(at).state

    def total(self, at: dt.datetime) -> int:
        """The limit in force at ``at``: the amount plus extensions since the last start."""
        snap = _Replay(self, self._known(at)).advance(at)
        return self.limit.amount + sum(snap.extensions)

    def elapsed(self, at: dt.datetime) -> float:
        """Units counted by ``at``: ticks (or working minutes) at which the clock ran."""
        known = self._known(at)
        snap = _Replay(self, known).advance(at)
        started = snap.started
        end = snap.stopped_at or at  # nothing counts after a stop: no need to look further
        unit = self.limit.unit
        if unit is Unit.SAME_DAY:
            return 1.0 if end >= self.closing(self.receipt_day(started)) else 0.0
        replay = _Replay(self, known)
        if unit is Unit.WORKING_HOURS:
            minutes = 0
            for minute in self._working_minutes(started):
                if minute + _MINUTE > end:
                    break
                if replay.advance(minute).state is ClockState.RUNNING:
                    minutes += 1
            return minutes / 60
        count = 0
        day = self.receipt_day(started) + _DAY
        while self.closing(day) <= end:
            if self._ticks(day) and replay.advance(self.closing(day)).state is ClockState.RUNNING:
                count += 1
            day += _DAY
        return float(count)

    def due(self, at: dt.datetime) -> dt.datetime:
        """The due instant, projected from the events known at ``at``."""
        known = self._known(at)
        horizon = at
        stopped = isinstance(known[-1], Stopped)
        if stopped:
            horizon = known[-1].at
            known = known[:-1]
        snap = _Replay(self, known).advance(horizon)
        started = snap.started
        total = self.limit.amount + sum(snap.extensions)
        # When, projected, the clock runs again for good (None: it is running now).
        runs_from: dt.datetime | None = None
        if stopped and snap.state is ClockState.PAUSED:
            runs_from = horizon
        elif snap.state is ClockState.PAUSED:
            runs_from = snap.pause_ends if snap.pause_ends is not None else horizon
            if snap.reason is not None and snap.reason.restarts:
                started, total = runs_from, self.limit.amount
        replay = _Replay(self, known)

        def running(when: dt.datetime) -> bool:
            if when < horizon:
                return replay.advance(when).state is ClockState.RUNNING
            return runs_from is None or when >= runs_from

        unit = self.limit.unit
        if unit is Unit.SAME_DAY:
            return self.closing(self.receipt_day(started))
        if unit is Unit.WORKING_HOURS:
            left = total * 60
            for minute in self._working_minutes(started):
                if running(minute):
                    left -= 1
                    if not left:
                        return minute + _MINUTE
        count = 0
        day = self.receipt_day(started)
        while count < total:
            day += _DAY
            if self._ticks(day) and running(self.closing(day)):
                count += 1
        if unit is Unit.CALENDAR_DAYS:
            while not self.calendar.is_working_day(day):
                day += _DAY
        return self.closing(day)

    def outcome(self, at: dt.datetime) -> Outcome | None:
        """How the clock ended, if it has stopped by ``at``; None otherwise."""
        known = self._known(at)
        if not known or not isinstance(known[-1], Stopped):
            return None
        stopped = known[-1].at
        due = self.due(at)
        if stopped > due:
            return Outcome.LATE
        if self._local(stopped).date() < self._local(due).date():
            return Outcome.EARLY
        return Outcome.ON_TIME

    def status(self, at: dt.datetime) -> ReferenceStatus:
        """All the answers at ``at`` together."""
        total = self.total(at)
        elapsed = self.elapsed(at)
        remaining = 1.0 - elapsed if self.limit.unit is Unit.SAME_DAY else total - elapsed
        return ReferenceStatus(
            state=self.state(at),
            total=total,
            due=self.due(at),
            elapsed=elapsed,
            remaining=remaining,
            outcome=self.outcome(at),
        )
