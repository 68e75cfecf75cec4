"""Gregorian dates of the festivals that follow the Chinese lunisolar calendar.

Four of China's statutory festivals move against the Gregorian calendar: the Spring
Festival (its eve, 除夕, is the last day of the lunar year), Qingming (the day of the solar
term 清明), the Dragon Boat Festival (lunar 5th month, 5th day) and the Mid-Autumn Festival
(lunar 8th month, 15th day). The conversions are delegated to the maintained
``lunar_python`` library; this module only picks the right day and checks the range.

Only years :data:`FIRST_LUNAR_YEAR` to :data:`LAST_LUNAR_YEAR` are accepted: the library
extrapolates far beyond that, but outside it its answers are not checked against any
published calendar.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lunar_python import Lunar

from hallflow.errors import CalendarDataError

__all__ = [
    "FIRST_LUNAR_YEAR",
    "LAST_LUNAR_YEAR",
    "dragon_boat",
    "lunar_new_year",
    "mid_autumn",
    "new_year_eve",
    "qingming",
]

FIRST_LUNAR_YEAR = 1901
"""The first Gregorian year whose lunar festivals this module computes."""

LAST_LUNAR_YEAR = 2100
"""The last Gregorian year whose lunar festivals this module computes."""


def _check(year: int) -> None:
    if (
        not isinstance(year, int)
        or isinstance(year, bool)
        or not FIRST_LUNAR_YEAR <= year <= LAST_LUNAR_YEAR
    ):
        raise CalendarDataError(
            f"year={year!r} is outside the range of the lunar calendar conversion "
            f"({FIRST_LUNAR_YEAR}..{LAST_LUNAR_YEAR})"
        )


def _to_date(solar: Any) -> dt.date:
    return dt.date(int(solar.getYear()), int(solar.getMonth()), int(solar.getDay()))


def _lunar_day(year: int, month: int, day: int) -> dt.date:
    _check(year)
    return _to_date(Lunar.fromYmd(year, month, day).getSolar())


def lunar_new_year(year: int) -> dt.date:
    """The first day of the lunar year that begins in Gregorian ``year`` (正月初一).

    Args:
        year: a Gregorian year.

    Returns:
        The Gregorian date of lunar 1/1 (between 21 January and 20 February).

    Raises:
        CalendarDataError: ``year`` is outside :data:`FIRST_LUNAR_YEAR`..:data:`LAST_LUNAR_YEAR`.
    """
    return _lunar_day(year, 1, 1)


def new_year_eve(year: int) -> dt.date:
    """The eve of the Spring Festival (除夕) that falls in Gregorian ``year``.

    It is the day before lunar 1/1, i.e. the last day of the twelfth lunar month of the
    previous lunar year, whether that month has 29 or 30 days.

    Args:
        year: a Gregorian year.

    Returns:
        The Gregorian date of 除夕.

    Raises:
        CalendarDataError: ``year`` is outside :data:`FIRST_LUNAR_YEAR`..:data:`LAST_LUNAR_YEAR`.
    """
    return lunar_new_year(year) - dt.timedelta(days=1)


def qingming(year: int) -> dt.date:
    """The Qingming Festival of ``year``: the day of the solar term 清明 (4, 5 or 6 April).

    Args:
        year: a Gregorian year.

    Returns:
        The Gregorian date on which the sun reaches ecliptic longitude 15° (Beijing time).

    Raises:
        CalendarDataError: ``year`` is outside :data:`FIRST_LUNAR_YEAR`..:data:`LAST_LUNAR_YEAR`.
    """
    _check(year)
    # Lunar year `year` runs from late January/February, so it holds the April term.
    table = Lunar.fromYmd(year, 1, 1).getJieQiTable()
    return _to_date(table["清明"])


def dragon_boat(year: int) -> dt.date:
    """The Dragon Boat Festival of ``year`` (端午节, lunar 5th month, 5th day).

    Args:
        year: a Gregorian year.

    Returns:
        The Gregorian date of lunar 5/5.

    Raises:
        CalendarDataError: ``year`` is outside :data:`FIRST_LUNAR_YEAR`..:data:`LAST_LUNAR_YEAR`.
    """
    return _lunar_day(year, 5, 5)


def mid_autumn(year: int) -> dt.date:
    """The Mid-Autumn Festival of ``year`` (中秋节, lunar 8th month, 15th day).

    Args:
        year: a Gregorian year.

    Returns:
        The Gregorian date of lunar 8/15.

    Raises:
        CalendarDataError: ``year`` is outside :data:`FIRST_LUNAR_YEAR`..:data:`LAST_LUNAR_YEAR`.
    """
    return _lunar_day(year, 8, 15)
