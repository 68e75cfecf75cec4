"""The national calendar of the People's Republic of China, as a compiled WorkCalendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from hallflow.calendar.data import YearData, load_year, national_years
from hallflow.calendar.engine import MONDAY_TO_FRIDAY, WorkCalendar
from hallflow.calendar.hours import HallHours
from hallflow.calendar.overlay import Overlay
from hallflow.calendar.provisional import provisional_year
from hallflow.errors import CalendarDataError

__all__ = ["FIRST_YEAR", "NATIONAL_LAYER", "china", "load_years", "national_layer"]

FIRST_YEAR = 2004
"""The first year of shipped national data."""

NATIONAL_LAYER = "china"
"""The name of the national layer, as :attr:`DayInfo.layer` reports it."""


def load_years(folder: Path) -> list[YearData]:
    """Read every ``*.toml`` year file in ``folder`` (as written by ``import-notice``)."""
    return [load_year(p) for p in sorted(Path(folder).glob("*.toml"))]


def _reason(data: YearData, index: int) -> str:
    entry = data.festivals[index]
    notice = data.notice_for(entry)
    if data.provisional or notice is None:
        return f"{entry.festival.english} (provisional, from the statutory rules)"
    cite = notice.number or f"notice of {notice.issued:%Y-%m-%d}"
    return f"{entry.festival.english}, {cite}"


def national_layer(years: Iterable[YearData]) -> Overlay:
    """Merge year data into the national layer; a later year's entry for a day wins.

    Days of a provisional year — the whole year, and any days of a neighbouring year it
    lists — are marked provisional.
    """
    holidays: dict[dt.date, str] = {}
    workdays: dict[dt.date, str] = {}
    spans: list[tuple[dt.date, dt.date]] = []
    for data in sorted(years, key=lambda y: y.year):
        listed: list[dt.date] = []
        for index, entry in enumerate(data.festivals):
            reason = _reason(data, index)
            for day in entry.holidays:
                workdays.pop(day, None)
                holidays[day] = reason
                listed.append(day)
            for day in entry.workdays:
                holidays.pop(day, None)
                workdays[day] = reason
                listed.append(day)
        if data.provisional:
            lo = min([dt.date(data.year, 1, 1), *listed])
            hi = max([dt.date(data.year, 12, 31), *listed])
            spans.append((lo, hi))
    return Overlay(NATIONAL_LAYER, holidays=holidays, workdays=workdays, provisional=spans)


def china(
    until: int = 2030,
    *,
    years: Iterable[YearData] = (),
    hours: HallHours | None = None,
) -> WorkCalendar:
    """The national working-day calendar from 1 January 2004 to 31 December ``until``.

    Published years come from hallflow's data (each citing its State Council notice); a
    year in range with no published data is generated from the statutory rules
    (:func:`~hallflow.calendar.provisional.provisional_year`) and every answer depending on
    it is flagged provisional. ``years`` adds or replaces years — pass the output of
    ``hallflow calendar import-notice`` (via :func:`load_years`) to replace a provisional
    year by its official notice as soon as it is published.

    Args:
        until: the last year compiled (inclusive).
        years: extra year data, replacing shipped or provisional data of the same year.
        hours: the hall hours (default 9:00-12:00 and 13:30-17:30, Asia/Shanghai).

    Raises:
        CalendarDataError: ``until`` is before the first year of data.
    """
    if not isinstance(until, int) or until < FIRST_YEAR:
        raise CalendarDataError(f"until={until!r} must be a year ≥ {FIRST_YEAR}")
    by_year = {y.year: y for y in national_years()}
    for extra in years:
        by_year[extra.year] = extra
    chosen = [by_year.get(y) or provisional_year(y) for y in range(FIRST_YEAR, until + 1)]
    return WorkCalendar(
        [national_layer(chosen)],
        first=dt.date(FIRST_YEAR, 1, 1),
        last=dt.date(until, 12, 31),
        weekmask=MONDAY_TO_FRIDAY,
        hours=hours,
        name="china",
    )
