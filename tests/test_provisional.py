"""Lunar festival dates and provisional (rule-generated) years.

See ``docs/provisional.md`` for the rules and the blind check against 2025 and 2026.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import numpy as np
import pytest

from hallflow.calendar.data import Festival, YearData, national_years
from hallflow.calendar.lunar import (
    FIRST_LUNAR_YEAR,
    LAST_LUNAR_YEAR,
    dragon_boat,
    lunar_new_year,
    mid_autumn,
    new_year_eve,
    qingming,
)
from hallflow.calendar.national import china
from hallflow.calendar.provisional import (
    DayDifference,
    compare_with_official,
    day_status,
    make_up_days,
    provisional_year,
    statutory_days,
)
from hallflow.errors import CalendarDataError, HallflowError

D = dt.date

# year: (lunar new year, Qingming, Dragon Boat, Mid-Autumn), from published calendars.
KNOWN: dict[int, tuple[dt.date, dt.date, dt.date, dt.date]] = {
    2004: (D(2004, 1, 22), D(2004, 4, 4), D(2004, 6, 22), D(2004, 9, 28)),
    2005: (D(2005, 2, 9), D(2005, 4, 5), D(2005, 6, 11), D(2005, 9, 18)),
    2006: (D(2006, 1, 29), D(2006, 4, 5), D(2006, 5, 31), D(2006, 10, 6)),
    2007: (D(2007, 2, 18), D(2007, 4, 5), D(2007, 6, 19), D(2007, 9, 25)),
    2008: (D(2008, 2, 7), D(2008, 4, 4), D(2008, 6, 8), D(2008, 9, 14)),
    2009: (D(2009, 1, 26), D(2009, 4, 4), D(2009, 5, 28), D(2009, 10, 3)),
    2010: (D(2010, 2, 14), D(2010, 4, 5), D(2010, 6, 16), D(2010, 9, 22)),
    2011: (D(2011, 2, 3), D(2011, 4, 5), D(2011, 6, 6), D(2011, 9, 12)),
    2012: (D(2012, 1, 23), D(2012, 4, 4), D(2012, 6, 23), D(2012, 9, 30)),
    2013: (D(2013, 2, 10), D(2013, 4, 4), D(2013, 6, 12), D(2013, 9, 19)),
    2014: (D(2014, 1, 31), D(2014, 4, 5), D(2014, 6, 2), D(2014, 9, 8)),
    2015: (D(2015, 2, 19), D(2015, 4, 5), D(2015, 6, 20), D(2015, 9, 27)),
    2016: (D(2016, 2, 8), D(2016, 4, 4), D(2016, 6, 9), D(2016, 9, 15)),
    2017: (D(2017, 1, 28), D(2017, 4, 4), D(2017, 5, 30), D(2017, 10, 4)),
    2018: (D(2018, 2, 16), D(2018, 4, 5), D(2018, 6, 18), D(2018, 9, 24)),
    2019: (D(2019, 2, 5), D(2019, 4, 5), D(2019, 6, 7), D(2019, 9, 13)),
    2020: (D(2020, 1, 25), D(2020, 4, 4), D(2020, 6, 25), D(2020, 10, 1)),
    2021: (D(2021, 2, 12), D(2021, 4, 4), D(2021, 6, 14), D(2021, 9, 21)),
    2022: (D(2022, 2, 1), D(2022, 4, 5), D(2022, 6, 3), D(2022, 9, 10)),
    2023: (D(2023, 1, 22), D(2023, 4, 5), D(2023, 6, 22), D(2023, 9, 29)),
    2024: (D(2024, 2, 10), D(2024, 4, 4), D(2024, 6, 10), D(2024, 9, 17)),
    2025: (D(2025, 1, 29), D(2025, 4, 4), D(2025, 5, 31), D(2025, 10, 6)),
    2026: (D(2026, 2, 17), D(2026, 4, 5), D(2026, 6, 19), D(2026, 9, 25)),
}

OFFICIAL = {y.year: y for y in national_years()}
PROVISIONAL_YEARS = range(2025, 2061)

# The blind check (docs/provisional.md): days of the year whose working status agrees.
BLIND_FLOOR = {2025: 365, 2026: 363}


# --- lunar.py -------------------------------------------------------------------------


@pytest.mark.parametrize("year", sorted(KNOWN))
def test_lunar_festivals_match_the_table(year: int) -> None:
    new_year, qm, boat, autumn = KNOWN[year]
    assert lunar_new_year(year) == new_year
    assert new_year_eve(year) == new_year - dt.timedelta(days=1)
    assert qingming(year) == qm
    assert dragon_boat(year) == boat
    assert mid_autumn(year) == autumn


def test_new_year_eve_after_a_29_day_twelfth_month() -> None:
    # Lunar 12th month of 2024 had 29 days: 除夕 2025 was 腊月二十九, 28 January.
    assert new_year_eve(2025) == D(2025, 1, 28)


@pytest.mark.parametrize("year", range(2004, 2061))
def test_qingming_agrees_with_chinesecalendar_solar_terms(year: int) -> None:
    terms = chinese_calendar.get_solar_terms(D(year, 3, 25), D(year, 4, 15))
    assert [d for d, name in terms if name == "清明"] == [qingming(year)]


@pytest.mark.parametrize("year", range(2008, 2027))
def test_lunar_festivals_are_official_holidays(year: int) -> None:
    """Since 2008 each of these days is a holiday of its own festival (or a merged break)."""
    data = OFFICIAL[year]
    holidays = data.holidays
    assert holidays[qingming(year)] is Festival.QINGMING
    assert holidays[dragon_boat(year)] is Festival.DRAGON_BOAT
    assert holidays[mid_autumn(year)] in (Festival.MID_AUTUMN, Festival.NATIONAL_DAY)
    assert holidays[lunar_new_year(year)] is Festival.SPRING_FESTIVAL


@pytest.mark.parametrize("year", [FIRST_LUNAR_YEAR - 1, LAST_LUNAR_YEAR + 1, 10_000])
@pytest.mark.parametrize("func", [lunar_new_year, new_year_eve, qingming, dragon_boat, mid_autumn])
def test_out_of_range_year_is_refused(year: int, func: object) -> None:
    assert callable(func)
    with pytest.raises(CalendarDataError, match=rf"year={year}\b") as info:
        func(year)
    assert isinstance(info.value, HallflowError)


def test_provisional_year_out_of_range_is_refused() -> None:
    with pytest.raises(CalendarDataError, match="year=2101"):
        provisional_year(2101)


# --- provisional_year: properties for every year 2025-2060 ------------------------------


def _runs(days: list[dt.date]) -> list[list[dt.date]]:
    """Split days into runs of consecutive dates."""
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][-1] == dt.timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def _breaks(data: YearData) -> dict[Festival, list[dt.date]]:
    """Each festival's break; a merged Mid-Autumn day is folded into National Day."""
    out: dict[Festival, list[dt.date]] = {}
    for entry in data.festivals:
        out.setdefault(entry.festival, []).extend(entry.holidays)
    autumn = out.get(Festival.MID_AUTUMN, [])
    national = out[Festival.NATIONAL_DAY]
    if len(autumn) == 1 and _runs([*autumn, *national]) == [sorted([*autumn, *national])]:
        national.extend(out.pop(Festival.MID_AUTUMN))
    return {f: sorted(days) for f, days in out.items()}


def _weekdays(days: list[dt.date]) -> int:
    return sum(1 for d in days if d.weekday() < 5)


def _short_break_ok(festival_day: dt.date, days: list[dt.date]) -> None:
    if festival_day.weekday() == 2:
        assert days == [festival_day]
        return
    assert len(days) == 3
    assert festival_day in days
    assert any(d.weekday() >= 5 for d in days)  # joined to a weekend


@pytest.mark.parametrize("year", PROVISIONAL_YEARS)
def test_provisional_year_follows_the_principles(year: int) -> None:
    data = provisional_year(year)
    assert data.provisional
    assert data.year == year
    law = statutory_days(year)
    breaks = _breaks(data)

    for days in breaks.values():
        assert len(_runs(days)) == 1, "every break is one run of days"

    _short_break_ok(D(year, 1, 1), breaks[Festival.NEW_YEAR])
    _short_break_ok(qingming(year), breaks[Festival.QINGMING])
    _short_break_ok(dragon_boat(year), breaks[Festival.DRAGON_BOAT])

    spring = breaks[Festival.SPRING_FESTIVAL]
    assert len(spring) == 8
    assert spring[0] == new_year_eve(year)

    labour = breaks[Festival.LABOUR_DAY]
    assert len(labour) == 5
    assert {D(year, 5, 1), D(year, 5, 2)} <= set(labour)
    assert _weekdays(labour) == 3  # it holds a whole weekend

    national = breaks[Festival.NATIONAL_DAY]
    autumn = mid_autumn(year)
    if Festival.MID_AUTUMN in breaks:
        assert len(national) == 7
        assert national[0] == D(year, 10, 1)
        assert not D(year, 9, 29) <= autumn <= D(year, 10, 8)
        _short_break_ok(autumn, breaks[Festival.MID_AUTUMN])
    else:
        assert len(national) == 8
        assert autumn in national
        assert national[0] == min(autumn, D(year, 10, 1))

    holidays = data.holidays
    workdays = data.workdays
    assert not set(holidays) & set(workdays), "no day is both"
    for festival, law_days in law.items():
        for day in law_days:
            assert day in holidays, f"statutory day {day} of {festival.value} is a holiday"

    # Make-up days: weekend days outside every break, as many as each break needs, near it.
    for entry in data.festivals:
        for day in entry.workdays:
            assert day.weekday() >= 5
            assert day not in holidays
    for festival, days in breaks.items():
        statutory = sum(len(law[f]) for f in law if set(law[f]) <= set(days))
        need = max(0, _weekdays(days) - statutory)
        made_up = [d for d, f in workdays.items() if f is festival]
        assert len(made_up) == need, f"{festival.value}: {made_up} for {days}"
        for day in made_up:
            gap = min(abs((day - days[0]).days), abs((day - days[-1]).days))
            assert gap <= 21, f"{festival.value}: make-up day {day} is far from the break"
        if need == 2:
            whole_weekend = made_up[1] - made_up[0] == dt.timedelta(days=1) and (
                made_up[1] == days[0] - dt.timedelta(days=1)
                or made_up[0] == days[-1] + dt.timedelta(days=1)
            )
            split = made_up[0] < days[0] < days[-1] < made_up[1]
            assert whole_weekend or split, f"{festival.value}: {made_up} for {days}"

    # Every day stays in or next to the year, as YearData requires.
    assert all(abs(d.year - year) <= 1 for d in [*holidays, *workdays])


@pytest.mark.parametrize("year", PROVISIONAL_YEARS)
def test_provisional_year_gives_the_statutory_count_of_days_off(year: int) -> None:
    """Make-up days exactly pay for the extra weekdays: 13 statutory days off, net."""
    data = provisional_year(year)
    assert sum(len(days) for days in statutory_days(year).values()) == 13
    weekday_holidays = sum(1 for d in data.holidays if d.weekday() < 5)
    assert weekday_holidays - len(data.workdays) == 13


def test_provisional_year_is_deterministic() -> None:
    assert provisional_year(2031) == provisional_year(2031)


# --- the blind comparison with the published years ----------------------------------------


@pytest.mark.parametrize("year", sorted(BLIND_FLOOR))
def test_blind_comparison_floor(year: int) -> None:
    if year not in OFFICIAL:
        pytest.skip(f"{year}.toml is not shipped")
    result = compare_with_official(provisional_year(year), OFFICIAL[year])
    assert result.total_days == 365
    assert result.agreeing >= BLIND_FLOOR[year]
    assert result.agreeing + len(result.differences) == result.total_days


def test_blind_comparison_2026_differences_are_the_nine_day_spring_festival() -> None:
    if 2026 not in OFFICIAL:
        pytest.skip("2026.toml is not shipped")
    result = compare_with_official(provisional_year(2026), OFFICIAL[2026])
    assert result.differences == (
        DayDifference(D(2026, 2, 15), "make-up workday", "holiday"),
        DayDifference(D(2026, 2, 28), "weekend", "make-up workday"),
    )


# Official make-up days the placement rule does not reproduce, given the official break.
PLACEMENT_EXCEPTIONS = {
    (2013, Festival.NEW_YEAR): "Tuesday-Thursday break repaid by the whole weekend after",
}


@pytest.mark.parametrize("year", range(2009, 2027))
def test_make_up_placement_reproduces_the_published_years(year: int) -> None:
    """Given each official break and its number of make-up days, the placement rule picks
    the days the State Council picked (a check on years the rule was not built from)."""
    if year not in OFFICIAL:
        pytest.skip(f"{year}.toml is not shipped")
    data = OFFICIAL[year]
    autumn = [d for d, f in data.holidays.items() if f is Festival.MID_AUTUMN]
    for entry in data.festivals:
        if not entry.workdays or entry.notice:  # amendments (2020) are not arrangements
            continue
        days = set(entry.holidays)
        if entry.festival is Festival.NATIONAL_DAY and len(_runs([*days, *autumn])) == 1:
            days |= set(autumn)
        assert len(_runs(list(days))) == 1
        others = set(data.workdays) - set(entry.workdays)
        got = make_up_days(tuple(sorted(days)), len(entry.workdays), set(data.holidays) | others)
        if (year, entry.festival) in PLACEMENT_EXCEPTIONS:
            assert got != entry.workdays
        else:
            assert got == entry.workdays, f"{year} {entry.festival.value}"


def test_compare_refuses_different_years() -> None:
    with pytest.raises(CalendarDataError, match=r"official\.year=2025"):
        compare_with_official(provisional_year(2026), provisional_year(2025))


def test_compare_counts_non_working_days_alike() -> None:
    data = provisional_year(2027)
    same = compare_with_official(data, data)
    assert (same.agreeing, same.differences, same.share) == (365, (), 1.0)
    assert day_status(data, D(2027, 1, 1)) == "holiday"
    assert day_status(data, D(2027, 1, 4)) == "weekday"
    assert day_status(data, D(2027, 1, 9)) == "weekend"


# --- the national calendar uses provisional years after the last notice ------------------


def test_china_flags_years_without_a_notice_as_provisional() -> None:
    if 2026 not in OFFICIAL:
        pytest.skip("2026.toml is not shipped")
    cal = china(until=2030)
    ops = cal.bulk

    days_2026 = np.arange("2026-01-01", "2027-01-01", dtype="datetime64[D]")
    later = np.arange("2027-01-01", "2031-01-01", dtype="datetime64[D]")
    assert not ops.is_provisional(days_2026).any()
    assert ops.is_provisional(later).all()
    assert cal.is_provisional(D(2027, 10, 1))
    assert not cal.is_working_day(D(2027, 10, 1))
    info = cal.day_info(D(2027, 10, 1))
    assert info.provisional
    assert "provisional" in info.describe()
