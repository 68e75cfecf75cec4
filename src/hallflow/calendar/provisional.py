"""Provisional years: a national calendar generated from the statutory rules.

The State Council publishes each year's holiday arrangement (放假调休安排) only a few weeks
before the year starts. For later years hallflow generates a *provisional* year from two
sources, and every answer that depends on it is flagged provisional:

1. the statutory holidays of the 全国年节及纪念日放假办法 as revised in November 2024
   (in force from 2025): New Year's Day 1 day (1 January); Spring Festival 4 days (除夕 and
   lunar 1/1-1/3); Qingming 1 day; Labour Day 2 days (1-2 May); Dragon Boat 1 day;
   Mid-Autumn 1 day; National Day 3 days (1-3 October);
2. the arrangement principles stated in the preamble of the notice for 2025
   (国办发明电〔2024〕12号): the Spring Festival break is 8 days from 除夕; the National Day
   break is 7 days from 1 October, 8 days when it meets the Mid-Autumn Festival; the Labour
   Day break is 5 days; New Year's Day, Qingming, Dragon Boat and Mid-Autumn are 3-day
   breaks joined to a weekend, or the single day when it is a Wednesday.

The rules this module settles on where the principles are silent (see ``docs/provisional.md``
for the reasoning and a blind check against the published 2025 and 2026 notices):

* **3-day breaks** by the weekday of the festival: Monday → Saturday-Monday; Tuesday →
  Sunday-Tuesday; Wednesday → the day alone; Thursday → Thursday-Saturday; Friday →
  Friday-Sunday; Saturday → Saturday-Monday; Sunday → Saturday-Monday.
* **Labour Day**: of the four 5-day spans holding 1 and 2 May, the one with the fewest
  weekdays (so the fewest make-up days); on a tie the latest (1-5 May when possible).
* **National Day and Mid-Autumn** merge into one 8-day break starting on the earlier of
  1 October and the festival when Mid-Autumn falls between 29 September and 8 October
  (a separate 3-day Mid-Autumn break would touch or overlap the National Day break). The
  festival day is then listed under Mid-Autumn and the rest of the break, with its make-up
  days, under National Day.
* **Make-up working days** (调休上班): a break needs as many as it has weekdays beyond its
  statutory days (statutory days that fall on a weekend are made good by a weekday off),
  which under these rules is 0, 1 or 2. One goes on the nearest free weekend day (before
  the break on a tie); two go on a whole weekend touching the break when there is one
  (a break starting on a Monday or ending on a Friday), otherwise one on the nearest free
  weekend day on each side. "Free" means outside every break and not already taken;
  breaks are processed in date order (:func:`make_up_days`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from hallflow.calendar.data import Festival, FestivalDays, YearData
from hallflow.calendar.lunar import dragon_boat, mid_autumn, new_year_eve, qingming
from hallflow.errors import CalendarDataError

__all__ = [
    "Comparison",
    "DayDifference",
    "compare_with_official",
    "day_status",
    "make_up_days",
    "provisional_year",
    "statutory_days",
]

_DAY = dt.timedelta(days=1)
_SEARCH_DAYS = 35
"""How far from a break the make-up search looks (far more than any break ever needs)."""


def _span(start: dt.date, length: int) -> tuple[dt.date, ...]:
    return tuple(start + i * _DAY for i in range(length))


def _weekdays(days: Iterable[dt.date]) -> int:
    return sum(1 for d in days if d.weekday() < 5)


def statutory_days(year: int) -> dict[Festival, tuple[dt.date, ...]]:
    """The statutory holidays of ``year`` under the 2024 revision of the holiday rules.

    Args:
        year: a Gregorian year.

    Returns:
        Each festival with its statutory days (13 days in all), in date order.

    Raises:
        CalendarDataError: ``year`` is outside the range of the lunar conversion.
    """
    eve = new_year_eve(year)
    return {
        Festival.NEW_YEAR: (dt.date(year, 1, 1),),
        Festival.SPRING_FESTIVAL: _span(eve, 4),
        Festival.QINGMING: (qingming(year),),
        Festival.LABOUR_DAY: (dt.date(year, 5, 1), dt.date(year, 5, 2)),
        Festival.DRAGON_BOAT: (dragon_boat(year),),
        Festival.MID_AUTUMN: (mid_autumn(year),),
        Festival.NATIONAL_DAY: _span(dt.date(year, 10, 1), 3),
    }


# Offset of the first day of a 3-day break from the festival, by weekday (Monday = 0);
# None: the festival alone (Wednesday).
_SHORT_START: dict[int, int | None] = {0: -2, 1: -2, 2: None, 3: 0, 4: 0, 5: 0, 6: -1}


def _short_break(day: dt.date) -> tuple[dt.date, ...]:
    offset = _SHORT_START[day.weekday()]
    if offset is None:
        return (day,)
    return _span(day + offset * _DAY, 3)


def _labour_break(year: int) -> tuple[dt.date, ...]:
    may_1 = dt.date(year, 5, 1)
    spans = [_span(may_1 - back * _DAY, 5) for back in range(4)]  # latest first
    return min(spans, key=_weekdays)  # min keeps the first (latest) of equal spans


@attrs.define(frozen=True, slots=True)
class _Break:
    festival: Festival
    days: tuple[dt.date, ...]
    statutory: int

    @property
    def makeups_needed(self) -> int:
        return max(0, _weekdays(self.days) - self.statutory)


def _breaks(year: int) -> list[_Break]:
    law = statutory_days(year)
    out = [
        _Break(Festival.NEW_YEAR, _short_break(dt.date(year, 1, 1)), 1),
        _Break(Festival.SPRING_FESTIVAL, _span(law[Festival.SPRING_FESTIVAL][0], 8), 4),
        _Break(Festival.QINGMING, _short_break(law[Festival.QINGMING][0]), 1),
        _Break(Festival.LABOUR_DAY, _labour_break(year), 2),
        _Break(Festival.DRAGON_BOAT, _short_break(law[Festival.DRAGON_BOAT][0]), 1),
    ]
    autumn = law[Festival.MID_AUTUMN][0]
    oct_1 = dt.date(year, 10, 1)
    if dt.date(year, 9, 29) <= autumn <= dt.date(year, 10, 8):
        out.append(_Break(Festival.NATIONAL_DAY, _span(min(autumn, oct_1), 8), 4))
    else:
        out.append(_Break(Festival.MID_AUTUMN, _short_break(autumn), 1))
        out.append(_Break(Festival.NATIONAL_DAY, _span(oct_1, 7), 3))
    return sorted(out, key=lambda b: b.days[0])


def _free_weekend_days(start: dt.date, step: int, blocked: set[dt.date]) -> list[dt.date]:
    """Weekend days from ``start`` in direction ``step`` (±1), nearest first, not blocked."""
    found = []
    day = start
    for _ in range(_SEARCH_DAYS):
        day += step * _DAY
        if day.weekday() >= 5 and day not in blocked:
            found.append(day)
    return found


def make_up_days(
    days: tuple[dt.date, ...], need: int, blocked: set[dt.date]
) -> tuple[dt.date, ...]:
    """Choose ``need`` make-up working days for the break ``days``.

    * Two days, and a whole weekend touches the break (it starts on a Monday or ends on a
      Friday) and is free: that weekend (the one before, if both are).
    * Otherwise the days are split between the two sides of the break, each side taking
      its nearest free weekend days; an odd day goes to the side whose nearest free
      weekend day is closer, before the break on a tie. A side short of free days passes
      its share to the other.

    Args:
        days: the break, in date order.
        need: how many make-up days it needs.
        blocked: days that may not be chosen (every break, and make-up days already taken).

    Returns:
        The chosen days, in date order.
    """
    if need <= 0:
        return ()
    first, last = days[0], days[-1]
    if need == 2:
        for pair in ((first - 2 * _DAY, first - _DAY), (last + _DAY, last + 2 * _DAY)):
            if all(d.weekday() >= 5 and d not in blocked for d in pair):
                return pair
    before = _free_weekend_days(first, -1, blocked)
    after = _free_weekend_days(last, 1, blocked)
    n_before = n_after = need // 2
    if need % 2:
        gap_before = (first - before[0]).days if before else _SEARCH_DAYS + 1
        gap_after = (after[0] - last).days if after else _SEARCH_DAYS + 1
        if gap_before <= gap_after:
            n_before += 1
        else:
            n_after += 1
    n_before, n_after = (
        min(n_before, len(before)) + max(0, n_after - len(after)),
        min(n_after, len(after)) + max(0, n_before - len(before)),
    )
    return tuple(sorted(before[:n_before] + after[:n_after]))


def _makeups(brk: _Break, blocked: set[dt.date]) -> tuple[dt.date, ...]:
    return make_up_days(brk.days, brk.makeups_needed, blocked) if brk.makeups_needed else ()


def provisional_year(year: int) -> YearData:
    """Generate ``year`` of the national calendar from the statutory rules.

    The result has ``provisional=True`` and no notices; it is replaced by the official
    data as soon as the State Council's notice for the year is published and imported.
    A break may reach into a neighbouring year (a New Year break that starts on
    30 December); those days are listed too.

    Args:
        year: a Gregorian year in the range of the lunar conversion.

    Returns:
        The year's festivals with their holidays and make-up working days, in date order.

    Raises:
        CalendarDataError: ``year`` is outside the range of the lunar conversion.
    """
    breaks = _breaks(year)
    blocked = {d for b in breaks for d in b.days}
    festivals: list[FestivalDays] = []
    autumn = mid_autumn(year)
    for brk in breaks:
        workdays = _makeups(brk, blocked)
        blocked.update(workdays)
        if brk.festival is Festival.NATIONAL_DAY and autumn in brk.days:
            # A merged break: the festival day itself is listed under Mid-Autumn, as the
            # published data does, and the make-up days stay with National Day.
            rest = tuple(d for d in brk.days if d != autumn)
            festivals.append(FestivalDays(brk.festival, holidays=rest, workdays=workdays))
            festivals.append(FestivalDays(Festival.MID_AUTUMN, holidays=(autumn,)))
        else:
            festivals.append(FestivalDays(brk.festival, holidays=brk.days, workdays=workdays))
    return YearData(year=year, notices=(), festivals=festivals, provisional=True)


def day_status(data: YearData, day: dt.date) -> str:
    """How ``data`` classifies ``day``.

    Returns:
        ``"holiday"`` or ``"make-up workday"`` when the data lists the day, otherwise
        ``"weekday"`` (Monday-Friday) or ``"weekend"``.
    """
    if day in data.holidays:
        return "holiday"
    if day in data.workdays:
        return "make-up workday"
    return "weekday" if day.weekday() < 5 else "weekend"


def _is_working(status: str) -> bool:
    return status in ("weekday", "make-up workday")


@attrs.define(frozen=True, slots=True)
class DayDifference:
    """A day on which two versions of a year disagree whether it is a working day.

    Attributes:
        day: the date.
        generated: the generated year's status (see :func:`day_status`).
        official: the official year's status.
    """

    day: dt.date
    generated: str
    official: str


@attrs.define(frozen=True, slots=True)
class Comparison:
    """The day-by-day agreement of a generated year with the official one.

    Attributes:
        year: the year compared (1 January to 31 December only).
        total_days: the number of days in the year.
        agreeing: days both versions call working, or both non-working.
        differences: the other days, in date order.
    """

    year: int
    total_days: int
    agreeing: int
    differences: tuple[DayDifference, ...]

    @property
    def share(self) -> float:
        """The fraction of days that agree."""
        return self.agreeing / self.total_days


def compare_with_official(generated: YearData, official: YearData) -> Comparison:
    """Compare a generated year with the official data, day by day.

    Only working versus non-working matters: a day both versions call non-working agrees
    even if one calls it a holiday and the other a plain weekend.

    Args:
        generated: the year from :func:`provisional_year` (or any other year data).
        official: the published data of the same year.

    Raises:
        CalendarDataError: the two are not data for the same year.
    """
    if generated.year != official.year:
        raise CalendarDataError(
            f"official.year={official.year} does not match generated.year={generated.year}"
        )
    year = generated.year
    day = dt.date(year, 1, 1)
    total = agreeing = 0
    differences = []
    while day.year == year:
        total += 1
        ours, theirs = day_status(generated, day), day_status(official, day)
        if _is_working(ours) == _is_working(theirs):
            agreeing += 1
        else:
            differences.append(DayDifference(day, ours, theirs))
        day += _DAY
    return Comparison(year, total, agreeing, tuple(differences))
