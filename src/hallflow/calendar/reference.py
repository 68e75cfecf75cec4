"""The obviously-correct twin of :class:`~hallflow.calendar.WorkCalendar`.

Day operations step one day at a time and decide each day by reading the layers from the
top down; working-time operations step one minute at a time. Nothing is precomputed. The
property tests check that the compiled calendar (scalar and bulk) gives the same answers.
Minute stepping means the working-time functions accept only instants and amounts that
are whole minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hallflow.calendar.engine import MONDAY_TO_FRIDAY
from hallflow.calendar.hours import HallHours
from hallflow.calendar.overlay import Overlay
from hallflow.errors import CalendarRangeError

__all__ = ["ReferenceCalendar"]

_DAY = dt.timedelta(days=1)
_MINUTE = dt.timedelta(minutes=1)


class ReferenceCalendar:
    """Day-by-day and minute-by-minute working-day arithmetic; slow and plain.

    Takes the same arguments as :class:`~hallflow.calendar.WorkCalendar`.
    """

    def __init__(
        self,
        layers: Sequence[Overlay],
        *,
        first: dt.date,
        last: dt.date,
        weekmask: Sequence[bool] = MONDAY_TO_FRIDAY,
        hours: HallHours | None = None,
    ) -> None:
        self.layers = list(layers)
        self.first = first
        self.last = last
        self.weekmask = list(weekmask)
        self.hours = hours if hours is not None else HallHours()

    def _check(self, field: str, d: dt.date) -> None:
        if not self.first <= d <= self.last:
            raise CalendarRangeError(field, d, self.first, self.last)

    def is_working_day(self, d: dt.date) -> bool:
        """Week mask first, then each layer in order; the last layer naming the day wins."""
        self._check("d", d)
        working = self.weekmask[d.weekday()]
        for layer in self.layers:
            if d in dict(layer.holidays):
                working = False
            if d in dict(layer.workdays):
                working = True
        return working

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """Step day by day, counting working days; ``d`` itself is never counted."""
        self._check("d", d)
        day = d
        if n == 0:
            while not self.is_working_day(day):
                day = self._step(day, +1)
            return day
        step = 1 if n > 0 else -1
        left = abs(n)
        while left:
            day = self._step(day, step)
            if self.is_working_day(day):
                left -= 1
        return day

    def _step(self, day: dt.date, step: int) -> dt.date:
        nxt = day + step * _DAY
        if not self.first <= nxt <= self.last:
            raise CalendarRangeError("result", f"a day past {day}", self.first, self.last)
        return nxt

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Count the working days in ``(a, b]`` one by one (negated when ``b < a``)."""
        self._check("a", a)
        self._check("b", b)
        lo, hi, sign = (a, b, 1) if a <= b else (b, a, -1)
        count = 0
        day = lo + _DAY
        while day <= hi:
            count += self.is_working_day(day)
            day += _DAY
        return sign * count

    def is_provisional(self, d: dt.date) -> bool:
        """Whether any layer marks a span containing ``d`` provisional."""
        self._check("d", d)
        return any(lo <= d <= hi for layer in self.layers for lo, hi in layer.provisional)

    # -------------------------------------------------------------- minute by minute

    def _minute_works(self, start: dt.datetime) -> bool:
        """Whether the minute beginning at ``start`` (local wall time) is working time."""
        day = start.date()
        self._check("instant", day)
        if not self.is_working_day(day):
            return False
        t = start.time()
        return any(s.start <= t < s.end for s in self.hours.shifts_on(day.weekday()))

    def _local(self, when: dt.datetime) -> dt.datetime:
        return when.astimezone(self.hours.tzinfo).replace(tzinfo=None)

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """Walk minute by minute, counting working minutes, until ``amount`` is reached."""
        now = self._local(start)
        self._check("start", now.date())
        left = abs(amount) // _MINUTE
        if amount >= dt.timedelta(0):
            while left:
                if self._minute_works(now):
                    left -= 1
                now += _MINUTE
        else:
            while left:
                now -= _MINUTE
                if self._minute_works(now):
                    left -= 1
        return now.replace(tzinfo=self.hours.tzinfo)

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Count the working minutes from ``start`` to ``end`` one by one."""
        a, b = self._local(start), self._local(end)
        self._check("start", a.date())
        self._check("end", b.date())
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        minutes = 0
        while a < b:
            minutes += self._minute_works(a)
            a += _MINUTE
        return sign * minutes * _MINUTE

    def receipt_day(self, received: dt.datetime) -> dt.date:
        """A working day before the cut-off counts itself; otherwise the next working day."""
        local = self._local(received)
        day = local.date()
        if self.is_working_day(day) and local.time() < self.hours.cutoff_on(day.weekday()):
            return day
        nxt = self._step(day, +1)
        while not self.is_working_day(nxt):
            nxt = self._step(nxt, +1)
        return nxt
