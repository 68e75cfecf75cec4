"""The compiled working-day calendar: O(1) scalar operations and numpy bulk operations.

Compilation turns a week mask and a stack of :class:`~hallflow.calendar.Overlay` layers into
a few flat tables over the calendar's range (one entry per day):

* ``work[i]`` — 1 when day ``i`` is a working day;
* ``cum[i]`` — working days in ``[first, first + i]``;
* ``wdates[k]`` — the ``k``-th working day of the range (0-based);
* ``cum_us[i]`` — working time (microseconds, on the hall hours) up to the end of day ``i``.

Every day operation is then one or two list look-ups: the ``n``-th working day after ``d``
is ``wdates[cum[d] + n - 1]``, the working days in ``(a, b]`` are ``cum[b] - cum[a]``.
The slow, day-by-day twin of every operation is in :mod:`hallflow.calendar.reference`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from hallflow.calendar.hours import HallHours
from hallflow.calendar.overlay import Overlay
from hallflow.errors import CalendarDataError, CalendarRangeError, NaiveDatetimeError

__all__ = [
    "MONDAY_TO_FRIDAY",
    "BulkOps",
    "DayInfo",
    "DayKind",
    "WorkCalendar",
    "WorkingDayCount",
]

MONDAY_TO_FRIDAY: tuple[bool, ...] = (True, True, True, True, True, False, False)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_US_PER_DAY = 86_400_000_000
_WEEKMASK_LAYER = "weekmask"


class DayKind(enum.StrEnum):
    """Why a day is working or not."""

    WORKDAY = "workday"
    """An ordinary working day of the week mask."""
    WEEKLY_REST = "weekly_rest"
    """A rest day of the week mask (a weekend)."""
    HOLIDAY = "holiday"
    """A layer made the day a rest day (a festival, a locality's own holiday)."""
    EXTRA_WORKDAY = "extra_workday"
    """A layer made the day a working day (a make-up working day, a locality's extra day)."""


@attrs.define(frozen=True, slots=True)
class DayInfo:
    """What a calendar says about one day, and which layer decided it.

    Attributes:
        date: the day.
        working: whether it is a working day.
        kind: why (see :class:`DayKind`).
        layer: the name of the deciding layer, or ``"weekmask"``.
        reason: the layer's reason (a festival and its notice), empty for week-mask days.
        provisional: the day lies in a span a layer marked provisional.
    """

    date: dt.date
    working: bool
    kind: DayKind
    layer: str
    reason: str
    provisional: bool

    def describe(self) -> str:
        """A one-line human account, e.g. ``2026-10-01 Thu  holiday (china: National Day)``."""
        text = f"{self.date:%Y-%m-%d %a}  {self.kind.value.replace('_', ' ')}"
        if self.layer != _WEEKMASK_LAYER:
            text += f" ({self.layer}: {self.reason})" if self.reason else f" ({self.layer})"
        if self.provisional:
            text += " [provisional]"
        return text


@attrs.define(frozen=True, slots=True)
class WorkingDayCount:
    """An explained working-day addition: the result and every day that was looked at.

    Attributes:
        start: the day counting started from (not itself counted).
        n: the number of working days added (negative counts backwards).
        result: the day reached.
        days: the days from the day after ``start`` to ``result`` (or backwards), in the
            order they were looked at, each with its verdict.
        provisional: True when any of those days (or ``start``) is provisional — the
            answer may change when the year's notice is published.
    """

    start: dt.date
    n: int
    result: dt.date
    days: tuple[DayInfo, ...]
    provisional: bool

    def describe(self) -> str:
        """A readable account, one line per day, counted days numbered."""
        lines = [f"start {self.start:%Y-%m-%d %a} (not counted), add {self.n} working days"]
        counted = 0
        for info in self.days:
            if info.working:
                counted += 1
                lines.append(f"  {counted:>3}  {info.describe()}")
            else:
                lines.append(f"    -  {info.describe()}")
        lines.append(f"result {self.result:%Y-%m-%d %a}")
        if self.provisional:
            lines.append(
                "provisional: depends on a year whose State Council notice is not yet "
                "published; the date may move when it is"
            )
        return "\n".join(lines)


class WorkCalendar:
    """A compiled working-day (工作日) calendar with hall hours.

    Build one with :func:`hallflow.calendar.china` (the national calendar) or directly from
    layers. A calendar is immutable; :meth:`with_overlay` and :meth:`with_hours` return new
    ones. Every operation raises :class:`~hallflow.errors.CalendarRangeError` for a date,
    instant or result outside ``first..last`` rather than guess.

    Args:
        layers: the layers, lowest first (the national layer, then locality overlays).
        first: the first day compiled.
        last: the last day compiled.
        weekmask: seven booleans, Monday first: which days of the week work by default.
        hours: the hall hours (shifts, duty windows, cut-off, zone).
        name: a label for messages.
    """

    __slots__ = (
        "_bulk",
        "_closing",
        "_cum",
        "_cum_prov",
        "_cum_us",
        "_decided",
        "_first",
        "_last",
        "_layers",
        "_n",
        "_np",
        "_nwork",
        "_ord0",
        "_shift_us",
        "_tz",
        "_wdates",
        "_work",
        "hours",
        "name",
        "weekmask",
    )

    def __init__(
        self,
        layers: Sequence[Overlay],
        *,
        first: dt.date,
        last: dt.date,
        weekmask: Sequence[bool] = MONDAY_TO_FRIDAY,
        hours: HallHours | None = None,
        name: str = "calendar",
    ) -> None:
        if len(weekmask) != 7:
            raise CalendarDataError(f"weekmask={tuple(weekmask)!r} must have 7 entries")
        if last < first:
            raise CalendarDataError(f"last={last} must not be before first={first}")
        for layer in layers:
            if not isinstance(layer, Overlay):
                raise CalendarDataError(f"layers holds {layer!r}, which is not an Overlay")
        self.name = name
        self.weekmask = tuple(bool(w) for w in weekmask)
        self.hours = hours if hours is not None else HallHours()
        self._layers = tuple(layers)
        self._first = first
        self._last = last
        self._tz = self.hours.tzinfo
        self._compile()

    # ------------------------------------------------------------------ compilation

    def _compile(self) -> None:
        ord0 = self._first.toordinal()
        n = self._last.toordinal() - ord0 + 1
        weekday = (np.arange(ord0, ord0 + n, dtype=np.int64) - 1) % 7  # ordinal 1 is a Monday
        work = np.asarray(self.weekmask, dtype=np.bool_)[weekday]
        provisional = np.zeros(n, dtype=np.bool_)
        decided: dict[int, tuple[bool, str, str]] = {}
        for layer in self._layers:
            for day, working, reason in layer.entries():
                i = day.toordinal() - ord0
                if 0 <= i < n:
                    work[i] = working
                    decided[i] = (working, layer.name, reason)
            for lo, hi in layer.provisional:
                a = max(lo.toordinal() - ord0, 0)
                b = min(hi.toordinal() - ord0, n - 1)
                if a <= b:
                    provisional[a : b + 1] = True
        cum = np.cumsum(work, dtype=np.int64)
        work_off = np.flatnonzero(work)

        # working time per day, in microseconds, on the hall hours
        shift_us = []
        for wd in range(7):
            shift_us.append(
                tuple((_time_us(s.start), _time_us(s.end)) for s in self.hours.shifts_on(wd))
            )
        day_len = np.array([sum(e - s for s, e in day) for day in shift_us], dtype=np.int64)
        cum_us = np.cumsum(np.where(work, day_len[weekday], 0), dtype=np.int64)

        self._ord0 = ord0
        self._n = n
        self._nwork = int(work_off.size)
        self._work = work.astype(np.int64).tolist()
        self._cum = cum.tolist()
        self._cum_prov = np.cumsum(provisional, dtype=np.int64).tolist()
        self._wdates = [dt.date.fromordinal(ord0 + int(o)) for o in work_off]
        self._cum_us = cum_us.tolist()
        self._shift_us = tuple(shift_us)
        self._decided = decided
        epoch0 = ord0 - _EPOCH_ORDINAL
        self._np = _Tables(
            epoch0=epoch0,
            work=work.copy(),
            cum=cum,
            cum_minus_one=cum - 1,
            before=cum - work,
            wdays=(work_off + epoch0).astype("datetime64[D]"),
            provisional=provisional,
        )
        self._bulk: BulkOps | None = None
        self._closing: npt.NDArray[np.int64] | None = None

    # ------------------------------------------------------------------ construction

    @property
    def first(self) -> dt.date:
        """The first day the calendar covers."""
        return self._first

    @property
    def last(self) -> dt.date:
        """The last day the calendar covers."""
        return self._last

    @property
    def layers(self) -> tuple[Overlay, ...]:
        """The layers, lowest first."""
        return self._layers

    def with_overlay(self, overlay: Overlay) -> WorkCalendar:
        """A new calendar with ``overlay`` on top of this one's layers."""
        return WorkCalendar(
            (*self._layers, overlay),
            first=self._first,
            last=self._last,
            weekmask=self.weekmask,
            hours=self.hours,
            name=self.name,
        )

    def with_hours(self, hours: HallHours) -> WorkCalendar:
        """A new calendar with the same days and different hall hours."""
        return WorkCalendar(
            self._layers,
            first=self._first,
            last=self._last,
            weekmask=self.weekmask,
            hours=hours,
            name=self.name,
        )

    def __repr__(self) -> str:
        names = ", ".join(layer.name for layer in self._layers)
        return f"WorkCalendar({self.name!r}, {self._first}..{self._last}, layers=[{names}])"

    # ------------------------------------------------------------------ scalar days

    def _index(self, field: str, d: dt.date) -> int:
        try:
            i: int = d.toordinal() - self._ord0
        except AttributeError:
            raise CalendarDataError(f"{field}={d!r} must be a datetime.date") from None
        if 0 <= i < self._n:
            return i
        raise CalendarRangeError(field, d, self._first, self._last)

    def _kth(self, k: int, d: dt.date, n: int) -> dt.date:
        if 0 <= k < self._nwork:
            return self._wdates[k]
        raise CalendarRangeError("result", f"{n:+d} working days from {d}", self._first, self._last)

    def is_working_day(self, d: dt.date) -> bool:
        """Whether ``d`` is a working day."""
        return bool(self._work[self._index("d", d)] == 1)

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """Count ``n`` working days from ``d``.

        For ``n > 0`` the ``n``-th working day after ``d`` — ``d`` itself is never counted
        (the first day of a period is not counted); for ``n < 0`` the ``|n|``-th working day
        before ``d``; for ``n == 0``, ``d`` if it is a working day, else the next one.
        """
        i = self._index("d", d)
        k = self._cum[i] + n - 1 if n > 0 else self._cum[i] - self._work[i] + n
        return self._kth(k, d, n)

    def next_working_day(self, d: dt.date) -> dt.date:
        """The first working day strictly after ``d``."""
        return self.add_working_days(d, 1)

    def previous_working_day(self, d: dt.date) -> dt.date:
        """The last working day strictly before ``d``."""
        return self.add_working_days(d, -1)

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """The working days in ``(a, b]``; negative (those in ``(b, a]``) when ``b < a``."""
        return int(self._cum[self._index("b", b)] - self._cum[self._index("a", a)])

    def is_provisional(self, d: dt.date) -> bool:
        """Whether ``d`` lies in a generated (not yet published) part of the calendar."""
        i = self._index("d", d)
        return bool(self._cum_prov[i] != (self._cum_prov[i - 1] if i else 0))

    def any_provisional(self, a: dt.date, b: dt.date) -> bool:
        """Whether any day from ``a`` to ``b`` (inclusive, either order) is provisional."""
        i, j = sorted((self._index("a", a), self._index("b", b)))
        return bool(self._cum_prov[j] != (self._cum_prov[i - 1] if i else 0))

    def day_info(self, d: dt.date) -> DayInfo:
        """What the calendar says about ``d`` and which layer decided it."""
        i = self._index("d", d)
        return self._info(i)

    def _info(self, i: int) -> DayInfo:
        day = dt.date.fromordinal(self._ord0 + i)
        prov = self._cum_prov[i] != (self._cum_prov[i - 1] if i else 0)
        if i in self._decided:
            working, layer, reason = self._decided[i]
            kind = DayKind.EXTRA_WORKDAY if working else DayKind.HOLIDAY
            return DayInfo(day, working, kind, layer, reason, prov)
        working = bool(self._work[i])
        kind = DayKind.WORKDAY if working else DayKind.WEEKLY_REST
        return DayInfo(day, working, kind, _WEEKMASK_LAYER, "", prov)

    def explain_working_days(self, d: dt.date, n: int) -> WorkingDayCount:
        """:meth:`add_working_days` with its reasoning: every day looked at, and why."""
        result = self.add_working_days(d, n)
        i = self._index("d", d)
        j = result.toordinal() - self._ord0
        step = 1 if j >= i else -1
        days = tuple(self._info(x) for x in range(i + step, j + step, step)) if j != i else ()
        if n == 0 and j == i:
            days = (self._info(i),)
        return WorkingDayCount(
            start=d, n=n, result=result, days=days, provisional=self.any_provisional(d, result)
        )

    # ------------------------------------------------------------------ hall hours

    def _local(self, field: str, when: dt.datetime) -> tuple[int, int]:
        if not isinstance(when, dt.datetime):
            raise CalendarDataError(f"{field}={when!r} must be an aware datetime.datetime")
        if when.tzinfo is None or when.utcoffset() is None:
            raise NaiveDatetimeError(field, when)
        local = when.astimezone(self._tz)
        i = local.toordinal() - self._ord0
        if not 0 <= i < self._n:
            raise CalendarRangeError(field, when, self._first, self._last)
        t = (local.hour * 3600 + local.minute * 60 + local.second) * 1_000_000 + local.microsecond
        return i, t

    def _worked(self, i: int, t: int) -> int:
        """Working microseconds from the start of the range up to day ``i`` at time ``t``."""
        done = self._cum_us[i - 1] if i else 0
        if self._work[i]:
            for s, e in self._shift_us[(self._ord0 + i - 1) % 7]:
                if t <= s:
                    break
                done += (t if t < e else e) - s
        return int(done)

    def _instant(self, i: int, t: int) -> dt.datetime:
        day = dt.date.fromordinal(self._ord0 + i)
        secs, us = divmod(t, 1_000_000)
        mins, sec = divmod(secs, 60)
        hour, minute = divmod(mins, 60)
        if hour == 24:
            return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=self._tz)
        return dt.datetime.combine(day, dt.time(hour, minute, sec, us), tzinfo=self._tz)

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time on the hall hours from ``start`` to ``end`` (negative if reversed)."""
        a = self._worked(*self._local("start", start))
        b = self._worked(*self._local("end", end))
        return dt.timedelta(microseconds=b - a)

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The instant at which ``amount`` of working time has passed since ``start``.

        Forwards, the earliest such instant (a period ending exactly at a shift's end ends
        there, not when the next shift opens); backwards (negative ``amount``), the latest.
        A zero amount returns ``start`` in the hall's zone.
        """
        i, t = self._local("start", start)
        if not isinstance(amount, dt.timedelta):
            raise CalendarDataError(f"amount={amount!r} must be a datetime.timedelta")
        delta = amount // dt.timedelta(microseconds=1)
        if delta == 0:
            return start.astimezone(self._tz)
        target = self._worked(i, t) + delta
        cum_us = self._cum_us
        if delta > 0:
            j = bisect.bisect_left(cum_us, target)
            if j >= self._n:
                raise CalendarRangeError(
                    "result", f"{start} + {amount} working time", self._first, self._last
                )
            rest = target - (cum_us[j - 1] if j else 0)
            for s, e in self._shift_us[(self._ord0 + j - 1) % 7]:
                if rest <= e - s:
                    return self._instant(j, s + rest)
                rest -= e - s
        else:
            if target < 0:
                raise CalendarRangeError(
                    "result", f"{start} - {-amount} working time", self._first, self._last
                )
            j = bisect.bisect_right(cum_us, target)
            rest = target - (cum_us[j - 1] if j else 0)
            for s, e in self._shift_us[(self._ord0 + j - 1) % 7]:
                if rest < e - s:
                    return self._instant(j, s + rest)
                rest -= e - s
        raise AssertionError("unreachable: cumulative working time is inconsistent")

    def receipt_day(self, received: dt.datetime) -> dt.date:
        """The day a receipt counts as made on (the day a period's count starts from).

        A receipt on a working day before the cut-off counts that day; one at or after the
        cut-off, or on a rest day (even at a duty window), counts from the next working day.
        """
        i, t = self._local("received", received)
        day = dt.date.fromordinal(self._ord0 + i)
        if self._work[i]:
            cutoff = _time_us(self.hours.cutoff_on(day.weekday()))
            if t < cutoff:
                return day
            return self.add_working_days(day, 1)
        return self.add_working_days(day, 0)

    def is_open(self, when: dt.datetime) -> bool:
        """Whether the hall is open at ``when``: in a shift of a working day or a duty window."""
        i, t = self._local("when", when)
        weekday = (self._ord0 + i - 1) % 7
        day = self.hours.shifts_on(weekday) if self._work[i] else self.hours.duty_on(weekday)
        return any(_time_us(s.start) <= t < _time_us(s.end) for s in day)

    # ------------------------------------------------------------------ bulk

    @property
    def bulk(self) -> BulkOps:
        """The numpy bulk operations over this calendar (same answers as the scalar ones)."""
        if self._bulk is None:
            self._bulk = BulkOps(self)
        return self._bulk

    def closing_table(self) -> npt.NDArray[np.int64]:
        """Each day's closing instant, in microseconds since the Unix epoch (read-only, cached).

        Entry ``i`` is the end of the last shift of day ``first + i`` (whatever its kind),
        in the hall's zone: what :func:`hallflow.timeline.closing_time` returns for that day.
        Computed with numpy when the zone's UTC offset is the same on every sampled day of
        the range (every seventh day and the last), day by day otherwise.
        """
        if self._closing is None:
            self._closing = _closing_table(self)
        return self._closing

    def memory_bytes(self) -> int:
        """An estimate of the memory the compiled tables hold (for the 5 MB budget)."""
        import sys

        size = 0
        for seq in (self._work, self._cum, self._cum_prov, self._wdates, self._cum_us):
            size += sys.getsizeof(seq) + sum(sys.getsizeof(x) for x in seq)
        size += sum(a.nbytes for a in attrs.astuple(self._np) if isinstance(a, np.ndarray))
        size += sys.getsizeof(self._decided) + 200 * len(self._decided)
        return size


_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _closing_table(cal: WorkCalendar) -> npt.NDArray[np.int64]:
    ends = [cal.hours.closing_on(wd) for wd in range(7)]
    tod = np.array([_time_us(e) for e in ends], dtype=np.int64)
    day = np.arange(cal._n, dtype=np.int64)
    epoch0 = cal._ord0 - _EPOCH_ORDINAL
    weekday = (cal._ord0 + day - 1) % 7
    naive = (epoch0 + day) * _US_PER_DAY + tod[weekday]
    one_us = dt.timedelta(microseconds=1)

    def instant(i: int) -> int:
        d = dt.date.fromordinal(cal._ord0 + i)
        when = dt.datetime.combine(d, ends[d.weekday()], tzinfo=cal._tz)
        return (when - _EPOCH_UTC) // one_us

    sample = [*range(0, cal._n, 7), cal._n - 1]
    offsets = {int(naive[i]) - instant(i) for i in sample}
    if len(offsets) == 1:
        table = naive - offsets.pop()
    else:
        table = np.array([instant(i) for i in range(cal._n)], dtype=np.int64)
    table.setflags(write=False)
    return table


def _time_us(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


@attrs.define(frozen=True, slots=True)
class _Tables:
    epoch0: int
    work: npt.NDArray[np.bool_]
    cum: npt.NDArray[np.int64]
    cum_minus_one: npt.NDArray[np.int64]
    before: npt.NDArray[np.int64]
    wdays: npt.NDArray[Any]
    provisional: npt.NDArray[np.bool_]


DateArray = npt.NDArray[Any]
"""An array of ``datetime64[D]`` (anything :func:`numpy.asarray` turns into one)."""


class BulkOps:
    """Vectorised twins of the scalar day operations, numpy-style.

    Dates are anything :func:`numpy.asarray` can make ``datetime64[D]`` of; offsets are
    integers; arguments broadcast against each other. Results equal what the scalar calls
    return, element by element; any element out of range raises
    :class:`~hallflow.errors.CalendarRangeError` naming the first such element.
    """

    __slots__ = ("_cal", "_t")

    def __init__(self, calendar: WorkCalendar) -> None:
        self._cal = calendar
        self._t: _Tables = calendar._np

    def _offsets(self, field: str, dates: object) -> npt.NDArray[np.int64]:
        arr = np.asarray(dates)
        if arr.dtype != np.dtype("datetime64[D]"):
            try:
                arr = arr.astype("datetime64[D]")
            except (TypeError, ValueError):
                raise CalendarDataError(
                    f"{field} must hold dates (datetime64[D]); got dtype {arr.dtype}"
                ) from None
        off = arr.view(np.int64) - self._t.epoch0
        if off.size and (off.min() < 0 or off.max() >= self._cal._n):
            bad = np.flatnonzero((off.ravel() < 0) | (off.ravel() >= self._cal._n))[0]
            raise CalendarRangeError(
                f"{field}[{bad}]", arr.ravel()[bad], self._cal.first, self._cal.last
            )
        return off

    def is_working_day(self, dates: object) -> npt.NDArray[np.bool_]:
        """Element-wise :meth:`WorkCalendar.is_working_day`."""
        return self._t.work[self._offsets("dates", dates)]

    def is_provisional(self, dates: object) -> npt.NDArray[np.bool_]:
        """Element-wise :meth:`WorkCalendar.is_provisional`."""
        return self._t.provisional[self._offsets("dates", dates)]

    def add_working_days(self, dates: object, n: object) -> DateArray:
        """Element-wise :meth:`WorkCalendar.add_working_days`, broadcasting ``dates`` and ``n``."""
        off = self._offsets("dates", dates)
        nn = np.asarray(n)
        if nn.dtype.kind not in "iu":
            raise CalendarDataError(f"n must hold integers; got dtype {nn.dtype}")
        t = self._t
        if nn.ndim == 0:
            shift = int(nn)
            k = (t.cum_minus_one[off] if shift > 0 else t.before[off]) + shift
        else:
            nn = nn.astype(np.int64, copy=False)
            k = np.where(nn > 0, t.cum_minus_one[off], t.before[off]) + nn
        if k.size and (k.min() < 0 or k.max() >= t.wdays.size):
            flat = np.broadcast_to(k, k.shape).ravel()
            bad = int(np.flatnonzero((flat < 0) | (flat >= t.wdays.size))[0])
            raise CalendarRangeError(
                f"result[{bad}]", "a working day past the range", self._cal.first, self._cal.last
            )
        return t.wdays[k]

    def next_working_day(self, dates: object) -> DateArray:
        """Element-wise :meth:`WorkCalendar.next_working_day`."""
        return self.add_working_days(dates, 1)

    def previous_working_day(self, dates: object) -> DateArray:
        """Element-wise :meth:`WorkCalendar.previous_working_day`."""
        return self.add_working_days(dates, -1)

    def working_days_between(self, a: object, b: object) -> npt.NDArray[np.int64]:
        """Element-wise :meth:`WorkCalendar.working_days_between`, broadcasting ``a`` and ``b``."""
        cum = self._t.cum
        return cum[self._offsets("b", b)] - cum[self._offsets("a", a)]
