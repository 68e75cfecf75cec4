"""Hall hours: the shifts a hall works, its duty windows on rest days, and its cut-off."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping

import attrs

from hallflow.errors import HoursError

__all__ = ["DEFAULT_ZONE", "HallHours", "Shift", "shifts"]

DEFAULT_ZONE = "Asia/Shanghai"

_SPEC = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _naive_time(field: str, value: object) -> dt.time:
    if not isinstance(value, dt.time):
        raise HoursError(f"{field}={value!r} must be a datetime.time")
    if value.tzinfo is not None:
        raise HoursError(f"{field}={value} must be a wall-clock time without a zone")
    return value


@attrs.define(frozen=True, slots=True, order=True)
class Shift:
    """One stretch of opening time within a day, ``start`` inclusive to ``end`` exclusive.

    Attributes:
        start: wall-clock start in the hall's zone.
        end: wall-clock end; must be after ``start`` (a shift never crosses midnight).
    """

    start: dt.time
    end: dt.time

    def __attrs_post_init__(self) -> None:
        _naive_time("Shift.start", self.start)
        _naive_time("Shift.end", self.end)
        if not self.start < self.end:
            raise HoursError(
                f"Shift.end={self.end} must be after Shift.start={self.start} "
                f"(a shift may not be empty or cross midnight)"
            )

    @classmethod
    def parse(cls, spec: str) -> Shift:
        """Build a shift from ``"H:MM-H:MM"``, e.g. ``"13:30-17:30"``.

        Raises:
            HoursError: the text is not of that form or names an impossible time.
        """
        match = _SPEC.match(spec)
        if not match:
            raise HoursError(f"shift={spec!r} must look like '9:00-12:00'")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            return cls(dt.time(h1, m1), dt.time(h2, m2))
        except ValueError as exc:
            raise HoursError(f"shift={spec!r}: {exc}") from None

    @property
    def length(self) -> dt.timedelta:
        """How long the shift lasts."""
        return dt.datetime.combine(dt.date.min, self.end) - dt.datetime.combine(
            dt.date.min, self.start
        )

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def shifts(*specs: str | Shift) -> tuple[Shift, ...]:
    """Build a day's shifts from strings like ``"9:00-12:00"`` (or ready shifts).

    Raises:
        HoursError: a spec is malformed, or two shifts overlap.
    """
    return _check_day("shifts", tuple(s if isinstance(s, Shift) else Shift.parse(s) for s in specs))


def _check_day(field: str, day: Iterable[Shift]) -> tuple[Shift, ...]:
    ordered = tuple(sorted(day))
    for shift in ordered:
        if not isinstance(shift, Shift):
            raise HoursError(f"{field} holds {shift!r}, which is not a Shift")
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise HoursError(f"{field}: shift {after} overlaps shift {before}")
    return ordered


_WeekInput = Mapping[int, Iterable[Shift]] | None
_Week = tuple[tuple[int, tuple[Shift, ...]], ...]


def _week(field: str) -> Callable[[_WeekInput], _Week]:
    def convert(
        value: Mapping[int, Iterable[Shift]] | None,
    ) -> tuple[tuple[int, tuple[Shift, ...]], ...]:
        if value is None:
            return ()
        if not isinstance(value, Mapping):
            raise HoursError(f"{field}={value!r} must map weekday numbers (0=Monday) to shifts")
        out = []
        for weekday, day in sorted(value.items()):
            if not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise HoursError(f"{field} key {weekday!r} must be a weekday number 0..6")
            out.append((weekday, _check_day(f"{field}[{weekday}]", day)))
        return tuple(out)

    return convert


def _check_zone(_instance: object, _attribute: object, value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise HoursError(f"zone={value!r} is not a known IANA time zone") from None


def _weekdays(value: _WeekInput) -> _Week:
    return _week("weekdays")(value)


def _duty(value: _WeekInput) -> _Week:
    return _week("duty")(value)


def _workday(value: Iterable[Shift]) -> tuple[Shift, ...]:
    return _check_day("workday", value)


def _default_shifts() -> tuple[Shift, ...]:
    return shifts("9:00-12:00", "13:30-17:30")


@attrs.define(frozen=True, slots=True)
class HallHours:
    """When a hall works (办公时间): shifts per working day, duty windows, cut-off and zone.

    A working day uses the shifts given for its weekday in ``weekdays``, else ``workday`` —
    so a make-up working Sunday works the ``workday`` shifts unless Sunday has its own.
    Days the calendar rests have no working time; a duty window (``duty``, e.g. a Saturday
    morning window) lets the hall receive applications then, but receipts on a rest day
    count from the next working day, like receipts after the cut-off.

    Attributes:
        workday: the shifts of an ordinary working day (default 9:00-12:00 and 13:30-17:30).
        weekdays: shifts for particular weekdays (0 = Monday), overriding ``workday``.
        duty: duty windows by weekday, open on days the calendar rests.
        cutoff: receipts at or after this wall-clock time count from the next working day;
            None means the end of the day's last shift.
        zone: the hall's IANA time zone.
    """

    workday: tuple[Shift, ...] = attrs.field(factory=_default_shifts, converter=_workday)
    weekdays: tuple[tuple[int, tuple[Shift, ...]], ...] = attrs.field(
        default=None,
        converter=_weekdays,
    )
    duty: tuple[tuple[int, tuple[Shift, ...]], ...] = attrs.field(
        default=None,
        converter=_duty,
    )
    cutoff: dt.time | None = None
    zone: str = attrs.field(default=DEFAULT_ZONE, validator=_check_zone)

    def __attrs_post_init__(self) -> None:
        if self.cutoff is not None:
            _naive_time("cutoff", self.cutoff)
        for weekday in range(7):
            if not self.shifts_on(weekday):
                raise HoursError(
                    f"weekdays[{weekday}] is empty: a working day needs at least one shift "
                    f"(make the day a rest day in the calendar instead)"
                )

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        """The hall's zone as a tzinfo."""
        return zoneinfo.ZoneInfo(self.zone)

    def shifts_on(self, weekday: int) -> tuple[Shift, ...]:
        """The shifts of a working day falling on ``weekday`` (0 = Monday)."""
        for day, day_shifts in self.weekdays:
            if day == weekday:
                return day_shifts
        return self.workday

    def duty_on(self, weekday: int) -> tuple[Shift, ...]:
        """The duty windows of a rest day falling on ``weekday`` (often none)."""
        for day, day_shifts in self.duty:
            if day == weekday:
                return day_shifts
        return ()

    def closing_on(self, weekday: int) -> dt.time:
        """The closing time of a working day falling on ``weekday``: its last shift's end."""
        return self.shifts_on(weekday)[-1].end

    def cutoff_on(self, weekday: int) -> dt.time:
        """The receipt cut-off of a working day falling on ``weekday``."""
        return self.cutoff if self.cutoff is not None else self.closing_on(weekday)
