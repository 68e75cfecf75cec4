"""A case clock: a limit counted on a calendar, through pauses, extensions and restarts.

Counting rules (DOMAIN.md §5), one convention kept everywhere:

* The clock starts on the **receipt day** of its start instant (the calendar's cut-off rule:
  after closing, or on a rest day, it is as if received on the next working day). That day
  is never counted (Civil Code Art. 201).
* A day limit is counted in **ticks**, one per day at the hall's closing time (the end of
  the last shift of that weekday). A day counts if the clock is running at its closing time:
  for working-day limits only working days tick, for calendar-day limits every day does.
* A day limit ends at the closing time of its last day; when the last day of a calendar-day
  limit is not a working day, the period ends at the closing time of the next working day
  (Civil Code Art. 203).
* Working-hour limits count working time on the hall hours while running.
* A same-day limit ends at the closing time of the receipt day.
* Running time is a set of half-open intervals ``[resume, pause)``: a pause exactly at a
  closing time stops that day from counting, a resume exactly at a closing time lets it count.
* A correction (:attr:`PauseReason.CORRECTION`) restarts the clock when it ends; other
  pauses suspend it. A restart discards the count and any extensions granted before it.
* The due instant is projected from what is known: a pause of unknown length is assumed to
  end at the instant asked about; an excluded period of known length ends when it says.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Iterator, Sequence

import attrs

from hallflow.calendar.engine import WorkCalendar
from hallflow.errors import (
    ClockStateError,
    ExtensionRefusedError,
    LimitError,
    NaiveDatetimeError,
)
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

__all__ = [
    "Clock",
    "ClockPolicy",
    "ClockState",
    "ClockStatus",
    "Outcome",
    "WarningLevel",
    "clocks_at",
    "closing_time",
]

_DAY = dt.timedelta(days=1)
_HOUR = dt.timedelta(hours=1)


class ClockState(enum.StrEnum):
    """Whether a clock is counting."""

    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class Outcome(enum.StrEnum):
    """How a stopped clock ended against its limit (提前/按时/超期)."""

    EARLY = "early"
    """Stopped on a day before the due day."""
    ON_TIME = "on_time"
    """Stopped on the due day, by the due instant."""
    LATE = "late"
    """Stopped after the due instant."""


class WarningLevel(enum.IntEnum):
    """What supervision should make of a clock (ordered: higher is worse)."""

    CLOSED = 0
    """The clock has stopped."""
    NORMAL = 1
    """Running or paused with time to spare."""
    REMINDER = 2
    """Within the policy's reminder window before the due instant."""
    OVERDUE = 3
    """Past the due instant and not stopped."""


@attrs.define(frozen=True, slots=True)
class ClockPolicy:
    """A locality's rules for a clock.

    Attributes:
        allow_late_extension: accept an extension approved after the limit expired (most
            localities refuse it: Sichuan requires approval before expiry).
        remind_before: the reminder window, in the clock's unit: a running clock with this
            much or less left is at :attr:`WarningLevel.REMINDER` (Zhenlai: 3 working days).
    """

    allow_late_extension: bool = False
    remind_before: int = 3


def closing_time(calendar: WorkCalendar, day: dt.date) -> dt.datetime:
    """The hall's closing instant on ``day``: the end of the last shift of its weekday."""
    end = calendar.hours.closing_on(day.weekday())
    return dt.datetime.combine(day, end, tzinfo=calendar.hours.tzinfo)


@attrs.define(frozen=True, slots=True)
class ClockStatus:
    """A clock at one instant: everything supervision and a window clerk ask about.

    Attributes:
        name: the clock's name.
        at: the instant asked about.
        state: running, paused or stopped.
        limit: the limit in force, extensions included.
        started: the instant the current count started (the start, or the last restart).
        counting_from: the receipt day of ``started``; counting begins the day after.
        due: the due instant, projected from what is known at ``at``.
        elapsed: units counted so far (working days, calendar days or working hours).
        remaining: units left (negative when overdue and still counting).
        fraction_used: ``elapsed / limit`` (1.0 for a same-day limit once its day has ended).
        remaining_time: wall time from ``at`` (or the stop) to ``due``; negative when past.
        overdue_by: wall time past ``due`` (at ``at``, or at the stop), zero if not overdue.
        outcome: for a stopped clock, early, on time or late.
        margin: for a stopped clock, units between the stop day and the due day (positive
            when early, negative when late), else 0.
        level: the supervision warning level.
        pause_reason: why the clock is paused, if it is.
        provisional: a day between ``counting_from`` and the due day is provisional.
    """

    name: str
    at: dt.datetime
    state: ClockState
    limit: Limit
    started: dt.datetime
    counting_from: dt.date
    due: dt.datetime
    elapsed: float
    remaining: float
    fraction_used: float
    remaining_time: dt.timedelta
    overdue_by: dt.timedelta
    outcome: Outcome | None
    margin: float
    level: WarningLevel
    pause_reason: PauseReason | None
    provisional: bool


@attrs.define(frozen=True, slots=True)
class _Trace:
    """The history of a clock up to an instant, reduced to what counting needs."""

    started: dt.datetime
    counting_from: dt.date
    intervals: tuple[tuple[dt.datetime, dt.datetime], ...]
    open_from: dt.datetime | None
    total: int
    extensions: tuple[Extended, ...]
    state: ClockState
    pause_reason: PauseReason | None
    stopped_at: dt.datetime | None
    pauses: tuple[tuple[dt.datetime, dt.datetime | None, PauseReason], ...]


def _local(calendar: WorkCalendar, when: dt.datetime) -> dt.datetime:
    return when.astimezone(calendar.hours.tzinfo)


def _event_tuple(events: Iterable[ClockEvent]) -> tuple[ClockEvent, ...]:
    return tuple(events)


@attrs.define(frozen=True, slots=True)
class Clock:
    """A time limit running on a calendar (a 承诺时限 or 法定时限 clock, or a step's clock).

    A clock is immutable: :meth:`pause`, :meth:`resume`, :meth:`extend` and the other
    commands return a new clock with the event appended, after checking it fits the
    history; a refused event raises and leaves the clock as it was.

    Attributes:
        name: what the clock measures ("promised", "legal", "county step"...).
        limit: the limit before extensions.
        calendar: the hall's calendar (days, hours, cut-off, zone).
        events: the history, starting with :class:`Started`.
        policy: the locality's clock rules.
    """

    name: str
    limit: Limit
    calendar: WorkCalendar = attrs.field(eq=False, repr=False)
    events: tuple[ClockEvent, ...] = attrs.field(converter=_event_tuple)
    policy: ClockPolicy = attrs.field(factory=ClockPolicy)

    def __attrs_post_init__(self) -> None:
        if not self.events or not isinstance(self.events[0], Started):
            raise ClockStateError(self.name, "be built", "empty", "the first event is Started")
        checked = self._extended(self.events[:1])
        for event in self.events[1:]:
            checked._check(event)
            checked = checked._extended((*checked.events, event))

    def _extended(self, events: tuple[ClockEvent, ...]) -> Clock:
        """This clock with ``events``, already checked: no second replay of the history."""
        clock = Clock.__new__(Clock)
        for field in ("name", "limit", "calendar", "policy"):
            object.__setattr__(clock, field, getattr(self, field))
        object.__setattr__(clock, "events", events)
        return clock

    # ------------------------------------------------------------------ commands

    @classmethod
    def start(
        cls,
        name: str,
        limit: Limit,
        calendar: WorkCalendar,
        at: dt.datetime,
        *,
        policy: ClockPolicy | None = None,
    ) -> Clock:
        """A clock started at ``at`` (counting begins the day after its receipt day)."""
        return cls(name, limit, calendar, (Started(at),), policy or ClockPolicy())

    def apply(self, event: ClockEvent) -> Clock:
        """This clock with ``event`` appended, if it fits the history.

        Raises:
            ClockStateError: the event is out of order or does not fit the state.
            ExtensionRefusedError: an extension after expiry, when the policy forbids it.
            LimitError: an extension in a different unit from the limit.
        """
        self._check(event)
        return self._extended((*self.events, event))

    def pause(self, at: dt.datetime, reason: PauseReason | str, note: str = "") -> Clock:
        """Pause for ``reason``; a correction pause restarts the clock when it ends."""
        return self.apply(Paused(at, PauseReason(reason), note))

    def resume(self, at: dt.datetime) -> Clock:
        """Resume after a pause (after a correction pause, this restarts the clock)."""
        return self.apply(Resumed(at))

    def exclude(
        self,
        at: dt.datetime,
        length: Limit,
        reason: PauseReason | str = PauseReason.EXPERT_REVIEW,
        note: str = "",
    ) -> Clock:
        """Exclude a period of known length (told to the applicant in writing)."""
        return self.apply(Excluded(at, length=length, reason=PauseReason(reason), note=note))

    def extend(self, at: dt.datetime, extra: Limit, approved_by: str, reason: str = "") -> Clock:
        """Add an approved extension (before expiry, unless the policy allows later)."""
        return self.apply(Extended(at, extra=extra, approved_by=approved_by, reason=reason))

    def restart(self, at: dt.datetime) -> Clock:
        """Start afresh (a correction completed): counting begins the day after."""
        return self.apply(Restarted(at))

    def stop(self, at: dt.datetime, note: str = "") -> Clock:
        """Stop for good (the case closed; for a decision, at the seal time)."""
        return self.apply(Stopped(at, note))

    # ------------------------------------------------------------------ checking

    def _check(self, event: ClockEvent) -> None:
        kind = type(event).__name__.lower()
        if isinstance(event, Started):
            raise ClockStateError(self.name, "start", "started", "a clock starts only once")
        last = self.events[-1].at
        if event.at < last:
            raise ClockStateError(
                self.name,
                f"{kind} at {event.at}",
                self._state_name(),
                f"events must come in time order; the last one was at {last}",
            )
        trace = self._trace(event.at)
        state = trace.state
        if state is ClockState.STOPPED:
            raise ClockStateError(self.name, kind, "stopped", "a stopped clock takes no events")
        if isinstance(event, Paused | Excluded) and state is not ClockState.RUNNING:
            raise ClockStateError(self.name, kind, state.value, "only a running clock pauses")
        if isinstance(event, Excluded) and event.length.unit is Unit.SAME_DAY:
            raise LimitError(f"Excluded.length={event.length}: an excluded period needs a length")
        if isinstance(event, Resumed) and state is not ClockState.PAUSED:
            raise ClockStateError(self.name, kind, state.value, "only a paused clock resumes")
        if isinstance(event, Extended):
            if event.extra.unit is not self.limit.unit or self.limit.unit is Unit.SAME_DAY:
                raise LimitError(
                    f"Extended.extra={event.extra}: a {self.limit} limit can only be "
                    f"extended in {self.limit.unit.value}, and a same-day limit not at all"
                )
            due = self._due(trace)
            if event.at > due and not self.policy.allow_late_extension:
                raise ExtensionRefusedError(self.name, event.at, due)

    def _state_name(self) -> str:
        return self._trace(self.events[-1].at).state.value

    # ------------------------------------------------------------------ the trace

    def _end_of(self, at: dt.datetime, length: Limit) -> dt.datetime:
        """When an excluded period of ``length`` starting at ``at`` ends."""
        cal = self.calendar
        local = _local(cal, at)
        if length.unit is Unit.WORKING_DAYS:
            day = cal.add_working_days(local.date(), length.amount)
            return dt.datetime.combine(day, local.timetz())
        if length.unit is Unit.CALENDAR_DAYS:
            return local + length.amount * _DAY
        return cal.add_working_time(local, length.amount * _HOUR)

    def _trace(self, at: dt.datetime) -> _Trace:
        if not isinstance(at, dt.datetime) or at.tzinfo is None or at.utcoffset() is None:
            raise NaiveDatetimeError("at", at)
        first = self.events[0]
        assert isinstance(first, Started)
        if at < first.at:
            raise ClockStateError(
                self.name, f"be read at {at}", "not started", f"it starts at {first.at}"
            )
        started = first.at
        intervals: list[tuple[dt.datetime, dt.datetime]] = []
        running_since: dt.datetime | None = started
        paused_reason: PauseReason | None = None
        scheduled_end: dt.datetime | None = None
        extensions: list[Extended] = []
        stopped_at: dt.datetime | None = None
        pauses: list[tuple[dt.datetime, dt.datetime | None, PauseReason]] = []

        def auto_resume(until: dt.datetime) -> None:
            nonlocal running_since, paused_reason, scheduled_end, started, intervals, extensions
            if scheduled_end is not None and scheduled_end <= until:
                if paused_reason is not None and paused_reason.restarts:
                    started, intervals, extensions = scheduled_end, [], []
                running_since, paused_reason = scheduled_end, None
                pauses[-1] = (pauses[-1][0], scheduled_end, pauses[-1][2])
                scheduled_end = None

        for event in self.events[1:]:
            if event.at > at:
                break
            auto_resume(event.at)
            if isinstance(event, Paused | Excluded):
                assert running_since is not None
                intervals.append((running_since, event.at))
                running_since, paused_reason = None, event.reason
                pauses.append((event.at, None, event.reason))
                if isinstance(event, Excluded):
                    scheduled_end = self._end_of(event.at, event.length)
            elif isinstance(event, Resumed):
                scheduled_end = None
                pauses[-1] = (pauses[-1][0], event.at, pauses[-1][2])
                if paused_reason is not None and paused_reason.restarts:
                    started, intervals, extensions = event.at, [], []
                running_since, paused_reason = event.at, None
            elif isinstance(event, Restarted):
                if paused_reason is not None:
                    pauses[-1] = (pauses[-1][0], event.at, pauses[-1][2])
                started, intervals, extensions = event.at, [], []
                running_since, paused_reason, scheduled_end = event.at, None, None
            elif isinstance(event, Extended):
                extensions.append(event)
            elif isinstance(event, Stopped):
                if running_since is not None:
                    intervals.append((running_since, event.at))
                running_since, stopped_at = None, event.at
                if paused_reason is not None:
                    pauses[-1] = (pauses[-1][0], event.at, pauses[-1][2])
                paused_reason, scheduled_end = None, None
        auto_resume(at)

        if stopped_at is not None:
            state, open_from = ClockState.STOPPED, None
        elif running_since is not None:
            state, open_from = ClockState.RUNNING, running_since
        else:
            state = ClockState.PAUSED
            open_from = scheduled_end if scheduled_end is not None else at
        total = self.limit.amount + sum(e.extra.amount for e in extensions)
        return _Trace(
            started=started,
            counting_from=self.calendar.receipt_day(started),
            intervals=tuple(intervals),
            open_from=open_from,
            total=total,
            extensions=tuple(extensions),
            state=state,
            pause_reason=paused_reason,
            stopped_at=stopped_at,
            pauses=tuple(pauses),
        )

    # ------------------------------------------------------------------ counting

    def _last_closed_before(self, when: dt.datetime) -> dt.date:
        """The last day whose closing instant is strictly before ``when``."""
        day = _local(self.calendar, when).date()
        return day if closing_time(self.calendar, day) < when else day - _DAY

    def _ticks(self, base: dt.date, upto: dt.date) -> int:
        """Ticking days in ``(base, upto]``."""
        if upto <= base:
            return 0
        if self.limit.unit is Unit.WORKING_DAYS:
            return self.calendar.working_days_between(base, upto)
        return (upto - base).days

    def _kth_tick(self, base: dt.date, k: int) -> dt.date:
        if self.limit.unit is Unit.WORKING_DAYS:
            return self.calendar.add_working_days(base, k)
        return base + k * _DAY

    def _segments(self, trace: _Trace) -> Iterator[tuple[dt.datetime, dt.datetime | None]]:
        yield from trace.intervals
        if trace.open_from is not None:
            yield trace.open_from, None

    def _due(self, trace: _Trace) -> dt.datetime:
        """The due instant, walking the running segments until the limit is used up."""
        cal = self.calendar
        unit = self.limit.unit
        if trace.pause_reason is not None and trace.pause_reason.restarts:
            # A correction is projected to end at ``open_from``, and its end is a restart.
            assert trace.open_from is not None
            trace = attrs.evolve(
                trace,
                started=trace.open_from,
                counting_from=cal.receipt_day(trace.open_from),
                intervals=(),
                total=self.limit.amount,
                extensions=(),
            )
        if unit is Unit.SAME_DAY:
            return closing_time(cal, trace.counting_from)
        if unit is Unit.WORKING_HOURS:
            left = trace.total * _HOUR
            last_start = trace.started
            for a, b in self._segments(trace):
                last_start = a
                if b is None:
                    return cal.add_working_time(a, left)
                got = cal.working_time_between(a, b)
                if got >= left:
                    return cal.add_working_time(a, left)
                left -= got
            # stopped before the limit was used up: project from the stop
            return cal.add_working_time(trace.stopped_at or last_start, left)
        need = trace.total
        base = trace.counting_from
        tail = base
        for a, b in self._segments(trace):
            lo = max(self._last_closed_before(a), base)
            if b is None:
                return self._day_due(self._kth_tick(lo, need))
            hi = self._last_closed_before(b)
            ticks = self._ticks(lo, hi)
            if ticks >= need:
                return self._day_due(self._kth_tick(lo, need))
            need -= ticks
            tail = max(tail, hi)
        if trace.stopped_at is not None:
            # stopped before the limit was used up: project from the stop, like working hours
            tail = max(tail, self._last_closed_before(trace.stopped_at))
        return self._day_due(self._kth_tick(tail, need))

    def _day_due(self, day: dt.date) -> dt.datetime:
        if self.limit.unit is Unit.CALENDAR_DAYS and not self.calendar.is_working_day(day):
            day = self.calendar.add_working_days(day, 0)
        return closing_time(self.calendar, day)

    def _elapsed(self, trace: _Trace, at: dt.datetime) -> float:
        cal = self.calendar
        unit = self.limit.unit
        end = trace.stopped_at or at
        if unit is Unit.SAME_DAY:
            return 1.0 if end >= closing_time(cal, trace.counting_from) else 0.0
        if unit is Unit.WORKING_HOURS:
            spent = dt.timedelta(0)
            for a, b in self._segments(trace):
                stop = end if b is None else min(b, end)
                if stop > a:
                    spent += cal.working_time_between(a, stop)
            return spent / _HOUR
        count = 0
        base = trace.counting_from
        for a, b in self._segments(trace):
            if b is None and trace.state is not ClockState.RUNNING:
                continue  # a paused clock's open segment is a projection, not counted time
            stop = end if b is None else min(b, end)
            if stop < a or (b is None and a > end):
                continue
            # ticks with a <= closing <= stop, or < b when the segment ends before ``end``
            lo = max(self._last_closed_before(a), base)
            if b is not None and b <= end:
                hi = self._last_closed_before(b)
            else:
                day = _local(cal, stop).date()
                hi = day if closing_time(cal, day) <= stop else day - _DAY
            count += self._ticks(lo, hi)
        return float(count)

    # ------------------------------------------------------------------ queries

    def state(self, at: dt.datetime) -> ClockState:
        """Running, paused or stopped at ``at``."""
        return self._trace(at).state

    def due(self, at: dt.datetime) -> dt.datetime:
        """The due instant as projected from what is known at ``at``."""
        return self._due(self._trace(at))

    def status(self, at: dt.datetime) -> ClockStatus:
        """Everything about the clock at ``at`` (see :class:`ClockStatus`)."""
        trace = self._trace(at)
        cal = self.calendar
        due = self._due(trace)
        elapsed = self._elapsed(trace, at)
        total = trace.total
        limit = Limit(total, self.limit.unit)
        if self.limit.unit is Unit.SAME_DAY:
            remaining, fraction = 1.0 - elapsed, elapsed
        else:
            remaining, fraction = total - elapsed, elapsed / total
        end = trace.stopped_at or at
        overdue_by = max(end - due, dt.timedelta(0))
        outcome: Outcome | None = None
        margin = 0.0
        if trace.stopped_at is not None:
            stop_day = _local(cal, trace.stopped_at).date()
            due_day = _local(cal, due).date()
            if trace.stopped_at > due:
                outcome = Outcome.LATE
            elif stop_day < due_day:
                outcome = Outcome.EARLY
            else:
                outcome = Outcome.ON_TIME
            margin = self._margin(trace.stopped_at, due)
            level = WarningLevel.CLOSED
        elif at > due:
            level = WarningLevel.OVERDUE
        elif self.limit.unit is not Unit.SAME_DAY and remaining <= self.policy.remind_before:
            level = WarningLevel.REMINDER
        else:
            level = WarningLevel.NORMAL
        due_day = _local(cal, due).date()
        provisional = cal.any_provisional(trace.counting_from, due_day)
        return ClockStatus(
            name=self.name,
            at=at,
            state=trace.state,
            limit=limit,
            started=trace.started,
            counting_from=trace.counting_from,
            due=due,
            elapsed=elapsed,
            remaining=remaining,
            fraction_used=fraction,
            remaining_time=due - end,
            overdue_by=overdue_by,
            outcome=outcome,
            margin=margin,
            level=level,
            pause_reason=trace.pause_reason,
            provisional=provisional,
        )

    def _margin(self, stopped: dt.datetime, due: dt.datetime) -> float:
        cal = self.calendar
        unit = self.limit.unit
        if unit is Unit.WORKING_HOURS:
            return cal.working_time_between(stopped, due) / _HOUR
        a = _local(cal, stopped).date()
        b = _local(cal, due).date()
        if unit is Unit.CALENDAR_DAYS:
            return float((b - a).days)
        return float(cal.working_days_between(a, b))

    # ------------------------------------------------------------------ explanation

    def explain(self, at: dt.datetime) -> str:
        """A readable account of the clock at ``at``: what a clerk shows a doubting applicant.

        The start and its receipt day, every day from then to the due day (or to ``at``,
        whichever is later) counted or not and why, each pause, extension and restart, the
        due instant, where the clock stands in words, in English and Chinese ("2 working
        days left / 还剩 2 个工作日"), and whether the answer rests on a provisional calendar
        year.
        """
        status = self.status(at)
        trace = self._trace(at)
        cal = self.calendar
        tz = cal.hours.tzinfo
        lines = [f"clock {self.name!r}: {self.limit}" + _extensions(trace.extensions)]
        for event in self.events:
            if event.at > at:
                break
            lines.append(f"  {_local(cal, event.at):%Y-%m-%d %H:%M}  {_describe_event(event)}")
        started = _local(cal, trace.started)
        lines.append(
            f"counting from {trace.counting_from:%Y-%m-%d %a} (not counted)"
            + (
                f"; received {started:%Y-%m-%d %H:%M}, after the cut-off or on a rest day"
                if started.date() != trace.counting_from
                else ""
            )
        )
        if self.limit.is_days:
            last_day = max(
                _local(cal, status.due).date(), _local(cal, trace.stopped_at or at).date()
            )
            last_day = min(last_day, trace.counting_from + 400 * _DAY, cal.last)
            counted = 0
            day = trace.counting_from + _DAY
            running = list(self._segments(trace))
            while day <= last_day:
                close = closing_time(cal, day)
                info = cal.day_info(day)
                ticks = info.working or self.limit.unit is Unit.CALENDAR_DAYS
                run = any(a <= close and (b is None or close < b) for a, b in running)
                end = trace.stopped_at or None
                if end is not None and close > end:
                    run = False
                if ticks and run:
                    counted += 1
                    lines.append(f"  {counted:>4}  {info.describe()}")
                elif ticks:
                    why = self._pause_at(trace, close)
                    lines.append(f"     -  {info.describe()}  not counted: {why}")
                else:
                    lines.append(f"     -  {info.describe()}")
                day += _DAY
        lines.append(f"due {status.due.astimezone(tz):%Y-%m-%d %a %H:%M} ({cal.hours.zone})")
        lines.append(_summary(status))
        from hallflow.timeline.words import clock_words  # it reads this module's statuses

        lines.append(f"in words: {clock_words(status, 'en')} / {clock_words(status, 'zh')}")
        if status.provisional:
            lines.append(
                "provisional: the count reaches a year whose holiday notice is not yet "
                "published; the due date may move when it is"
            )
        return "\n".join(lines)

    def _pause_at(self, trace: _Trace, when: dt.datetime) -> str:
        if trace.stopped_at is not None and when > trace.stopped_at:
            return "clock stopped"
        for a, b, reason in trace.pauses:
            if a <= when and (b is None or when < b):
                return f"paused ({reason.value.replace('_', ' ')})"
        return "paused"


def _extensions(extensions: Sequence[Extended]) -> str:
    if not extensions:
        return ""
    return ", extended by " + " + ".join(str(e.extra) for e in extensions)


def _describe_event(event: ClockEvent) -> str:
    if isinstance(event, Started):
        return "started"
    if isinstance(event, Paused):
        return f"paused: {event.reason.value.replace('_', ' ')}" + (
            f" ({event.note})" if event.note else ""
        )
    if isinstance(event, Excluded):
        return f"excluded period: {event.reason.value.replace('_', ' ')}, {event.length}"
    if isinstance(event, Resumed):
        return "resumed"
    if isinstance(event, Extended):
        return f"extended by {event.extra}, approved by {event.approved_by}" + (
            f" ({event.reason})" if event.reason else ""
        )
    if isinstance(event, Restarted):
        return "restarted (materials complete): counting starts afresh"
    return "stopped" + (f" ({event.note})" if event.note else "")


def _summary(status: ClockStatus) -> str:
    unit = status.limit.unit.value.replace("_", " ")
    if status.outcome is not None:
        text = f"stopped: {status.outcome.value.replace('_', ' ')}"
        if status.margin:
            text += f" by {abs(status.margin):g} {unit}"
        return text
    text = f"{status.state.value}: {status.elapsed:g} of {status.limit.amount} {unit} used"
    if status.overdue_by:
        text += f", overdue by {status.overdue_by}"
    return text


def clocks_at(clocks: Iterable[Clock], at: dt.datetime) -> dict[str, ClockStatus]:
    """The status of several clocks of one case at ``at``, by name."""
    return {clock.name: clock.status(at) for clock in clocks}
