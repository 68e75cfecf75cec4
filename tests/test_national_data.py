"""The shipped national data (``hallflow/calendar/data/cn/*.toml``), 2004-2026.

Every day from 2004-01-01 to 2026-12-31 is compared with two independent oracles, the
``chinesecalendar`` package and the ``holidays`` package. Where an oracle is wrong the day
is listed in :data:`ORACLE_ERRORS` with the notice that settles it; any other disagreement
fails, and so does an entry of the table that no longer disagrees (the oracle was fixed, or
our data changed). See ``docs/calendar-data.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from importlib import resources

import chinese_calendar
import holidays
import pytest

from hallflow.calendar.data import Festival, YearData, dumps_year, loads_year, national_years

FIRST, LAST = 2004, 2026
START, END = dt.date(FIRST, 1, 1), dt.date(LAST, 12, 31)

CHINESECALENDAR = "chinesecalendar"
HOLIDAYS = "holidays"

# date -> (the oracle that is wrong, the notice that says what is right, why)
ORACLE_ERRORS: dict[dt.date, tuple[str, str, str]] = {
    dt.date(2005, 12, 31): (
        CHINESECALENDAR,
        "国办发明电〔2005〕35号",
        "Saturday 31 December 2005 was worked: the 2006 notice moved that weekend day to "
        "Tuesday 3 January 2006; chinesecalendar has the 3 January holiday but keeps the "
        "Saturday as a rest day",
    ),
}

NUMBER = re.compile(r"^国(办)?发明电〔\d{4}〕\d+号$")
# Years whose yearly notice, as published, carries no document number.
UNNUMBERED = {2026}
# Years in which the Mid-Autumn Festival falls on a statutory National Day (1-3 October),
# so the notice's combined block is recorded entirely as national_day.
MID_AUTUMN_INSIDE_NATIONAL_DAY = {2009, 2020}
# Festivals introduced by the 2007 revision of the holiday regulations (in force 2008).
FROM_2008 = {Festival.QINGMING, Festival.DRAGON_BOAT, Festival.MID_AUTUMN}


def _dates(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.fixture(scope="module")
def years() -> dict[int, YearData]:
    return {y.year: y for y in national_years()}


@pytest.fixture(scope="module")
def days(years: dict[int, YearData]) -> tuple[dict[dt.date, int], dict[dt.date, int]]:
    """(holidays, make-up working days), each day mapped to the year file listing it."""
    off: dict[dt.date, int] = {}
    worked: dict[dt.date, int] = {}
    for data in years.values():
        for day in data.holidays:
            assert day not in off and day not in worked, f"{day} listed twice ({data.year})"
            off[day] = data.year
        for day in data.workdays:
            assert day not in off and day not in worked, f"{day} listed twice ({data.year})"
            worked[day] = data.year
    return off, worked


@pytest.fixture(scope="module")
def ours(days: tuple[dict[dt.date, int], dict[dt.date, int]]) -> dict[dt.date, bool]:
    off, worked = days
    return {d: (d.weekday() < 5 or d in worked) and d not in off for d in _dates(START, END)}


@pytest.fixture(scope="module")
def oracles() -> dict[str, dict[dt.date, bool]]:
    # One year either side, so that days a neighbouring year's notice sets are known.
    cn = holidays.country_holidays("CN", years=range(FIRST - 1, LAST + 2))
    span = _dates(START, END)
    return {
        CHINESECALENDAR: {d: chinese_calendar.is_workday(d) for d in span},
        # is_working_day: a weekday not in the holiday set, or a weekend day listed in
        # weekend_workdays (the 调休 days the package derives from its substitutions).
        HOLIDAYS: {d: cn.is_working_day(d) for d in span},
    }


# --- the shipped files -------------------------------------------------------------------


def test_every_year_from_2004_to_2026_is_published(years: dict[int, YearData]) -> None:
    assert sorted(years) == list(range(FIRST, LAST + 1))
    assert not [y for y, data in years.items() if data.provisional]


def test_each_file_round_trips_through_dumps_and_loads() -> None:
    folder = resources.files("hallflow.calendar") / "data" / "cn"
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)
    assert [p.name for p in files] == [f"{y}.toml" for y in range(FIRST, LAST + 1)]
    for path in files:
        data = loads_year(path.read_text(encoding="utf-8"), source=path.name)
        assert data.year == int(path.name.removesuffix(".toml"))
        text = dumps_year(data)
        assert loads_year(text) == data, path.name
        assert dumps_year(loads_year(text)) == text, path.name


# --- notices -----------------------------------------------------------------------------


def test_the_yearly_notice_comes_first_and_before_its_year(years: dict[int, YearData]) -> None:
    for year, data in years.items():
        first = data.notices[0]
        assert first.title == f"国务院办公厅关于{year}年部分节假日安排的通知", year
        assert first.issued < dt.date(year, 1, 1), year
        assert first.issued.year == year - 1, year
        for later in data.notices[1:]:
            # Amendments: the 2015 victory day, the 2019 Labour Day change and the 2020
            # Spring Festival extension (issued 26 January 2020, inside its year).
            assert first.issued < later.issued, (year, later.number)
            assert later.issued.year == year, (year, later.number)


def test_notice_numbers_are_well_formed_and_unique(years: dict[int, YearData]) -> None:
    numbers = Counter(n.number for data in years.values() for n in data.notices if n.number)
    assert [n for n, count in numbers.items() if count > 1] == []
    for year, data in years.items():
        for notice in data.notices:
            if notice.number == "":
                assert year in UNNUMBERED, f"{year}: {notice.title} has no number"
            else:
                assert NUMBER.match(notice.number), notice.number
                issued_in = int(notice.number.split("〔")[1][:4])
                assert issued_in == notice.issued.year, notice.number


def test_every_day_is_set_before_it_happens(years: dict[int, YearData]) -> None:
    for data in years.values():
        for entry in data.festivals:
            notice = data.notice_for(entry)
            assert notice is not None
            for day in (*entry.holidays, *entry.workdays):
                assert notice.issued < day, (data.year, entry.festival.value, day)


def test_amendments_are_cited(years: dict[int, YearData]) -> None:
    spring_2020 = years[2020].holidays
    extension = [e for e in years[2020].festivals if e.notice == "国办发明电〔2020〕1号"]
    assert [e.festival for e in extension] == [Festival.SPRING_FESTIVAL]
    assert extension[0].holidays == (dt.date(2020, 1, 31), dt.date(2020, 2, 1), dt.date(2020, 2, 2))
    assert spring_2020[dt.date(2020, 2, 1)] is Festival.SPRING_FESTIVAL
    assert dt.date(2020, 2, 1) not in years[2020].workdays

    victory = [e for e in years[2015].festivals if e.festival is Festival.VICTORY_DAY_70TH]
    assert len(victory) == 1 and victory[0].notice == "国发明电〔2015〕1号"
    assert victory[0].holidays == tuple(_dates(dt.date(2015, 9, 3), dt.date(2015, 9, 5)))
    assert victory[0].workdays == (dt.date(2015, 9, 6),)

    may_2019 = [e for e in years[2019].festivals if e.notice == "国办发明电〔2019〕3号"]
    assert [e.festival for e in may_2019] == [Festival.LABOUR_DAY]
    assert may_2019[0].holidays == tuple(_dates(dt.date(2019, 5, 2), dt.date(2019, 5, 4)))
    assert may_2019[0].workdays == (dt.date(2019, 4, 28), dt.date(2019, 5, 5))


# --- plausibility ------------------------------------------------------------------------


def _count(data: YearData, festival: Festival) -> int:
    return sum(len(e.holidays) for e in data.festivals if e.festival is festival)


def test_festival_blocks_are_plausible(years: dict[int, YearData]) -> None:
    for year, data in years.items():
        present = {e.festival for e in data.festivals}
        assert _count(data, Festival.NEW_YEAR) in (1, 2, 3), year
        assert 3 <= _count(data, Festival.SPRING_FESTIVAL) <= 10, year
        assert 3 <= _count(data, Festival.NATIONAL_DAY) <= 8, year
        if year < 2008:
            assert present.isdisjoint(FROM_2008), year
            assert _count(data, Festival.LABOUR_DAY) == 7, year
        else:
            assert 1 <= _count(data, Festival.LABOUR_DAY) <= 5, year
            for festival in FROM_2008:
                if festival is Festival.MID_AUTUMN and year in MID_AUTUMN_INSIDE_NATIONAL_DAY:
                    assert festival not in present, year
                    continue
                assert 1 <= _count(data, festival) <= 3, (year, festival.value)
        assert (Festival.VICTORY_DAY_70TH in present) == (year == 2015), year


def test_holidays_sit_in_their_season(years: dict[int, YearData]) -> None:
    months = {
        Festival.NEW_YEAR: {12, 1},
        Festival.SPRING_FESTIVAL: {1, 2},
        Festival.QINGMING: {3, 4},
        Festival.LABOUR_DAY: {4, 5},
        Festival.DRAGON_BOAT: {5, 6},
        Festival.MID_AUTUMN: {9, 10},
        Festival.NATIONAL_DAY: {9, 10},
        Festival.VICTORY_DAY_70TH: {9},
    }
    for data in years.values():
        for day, festival in data.holidays.items():
            assert day.month in months[festival], (day, festival.value)


def test_make_up_days_are_weekend_days_and_never_holidays(
    days: tuple[dict[dt.date, int], dict[dt.date, int]],
) -> None:
    off, worked = days
    assert [d for d in worked if d.weekday() < 5] == []
    assert set(off) & set(worked) == set()
    # Days of a neighbouring year appear only as the New Year block of the next year.
    assert all(year in (d.year, d.year + 1) for d, year in (*off.items(), *worked.items()))
    strays = [d for d, year in (*off.items(), *worked.items()) if d.year != year]
    assert all(d.month == 12 and d.day >= 29 for d in strays), strays


# --- the oracles -------------------------------------------------------------------------


def test_data_agrees_with_both_oracles_except_the_documented_errors(
    ours: dict[dt.date, bool], oracles: dict[str, dict[dt.date, bool]]
) -> None:
    found = {
        (day, name)
        for name, oracle in oracles.items()
        for day, working in ours.items()
        if oracle[day] != working
    }
    expected = {(day, name) for day, (name, _, _) in ORACLE_ERRORS.items()}
    unexpected = sorted(found - expected)
    stale = sorted(expected - found)
    assert not unexpected, "disagreements not in ORACLE_ERRORS: " + ", ".join(
        f"{d} ({d:%a}) {name}: ours={'working' if ours[d] else 'day off'}" for d, name in unexpected
    )
    assert not stale, "ORACLE_ERRORS entries that no longer disagree: " + ", ".join(
        f"{d} {name}" for d, name in stale
    )


def test_the_oracle_error_table_cites_shipped_notices(years: dict[int, YearData]) -> None:
    cited = {n.number for data in years.values() for n in data.notices}
    for day, (name, notice, reason) in ORACLE_ERRORS.items():
        assert name in (CHINESECALENDAR, HOLIDAYS)
        assert notice in cited, (day, notice)
        assert reason


def test_the_compiled_national_calendar_matches_the_data(ours: dict[dt.date, bool]) -> None:
    national = pytest.importorskip("hallflow.calendar.national")
    calendar = national.china(until=LAST)
    wrong = [d for d, working in ours.items() if calendar.is_working_day(d) != working]
    assert wrong == []
    assert not calendar.any_provisional(START, END)
