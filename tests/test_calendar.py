"""Worked examples and refusals of the working-day calendar.

Counting rules followed (DOMAIN.md §5):
- Administrative Licensing Law Art. 82: periods in the law are counted in working days,
  statutory holidays excluded.
- Civil Code Art. 201: the day a period starts is not counted; counting begins the next day.
- Civil Code Art. 203: a period whose last day is a statutory holiday ends on the day after
  the holiday — for working-day counts this is automatic, since only working days count.
The dates of holidays and make-up working days are those of the State Council notices cited.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from hallflow.calendar import (
    DayKind,
    Festival,
    FestivalDays,
    HallHours,
    Notice,
    Overlay,
    Shift,
    WorkCalendar,
    YearData,
    china,
    shifts,
)
from hallflow.errors import (
    CalendarDataError,
    CalendarRangeError,
    HallflowError,
    HoursError,
    NaiveDatetimeError,
    OverlayConflictError,
)

SH = ZoneInfo("Asia/Shanghai")
D = dt.date


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return china(until=2030)


# ------------------------------------------------------------------ worked examples


def test_twenty_working_days_across_national_day_2026(cal: WorkCalendar) -> None:
    """Art. 42/82: accepted Mon 2026-09-28, 20 working days.

    Notice of 2025-11-04: 1–7 October off, Sat 10 October worked. Counted: 29, 30 Sep;
    8, 9, 10 (make-up Saturday), then 12–16, 19–23, 26–30 October → due Fri 30 October.
    """
    count = cal.explain_working_days(D(2026, 9, 28), 20)
    assert count.result == D(2026, 10, 30)
    skipped = [info.date for info in count.days if not info.working]
    assert [d for d in skipped if info_kind(cal, d) is DayKind.HOLIDAY] == [
        D(2026, 10, d) for d in range(1, 8)
    ]
    assert cal.day_info(D(2026, 10, 10)).kind is DayKind.EXTRA_WORKDAY
    assert not count.provisional
    assert "National Day" in count.describe()


def info_kind(cal: WorkCalendar, d: dt.date) -> DayKind:
    return cal.day_info(d).kind


def test_working_sunday_before_national_day_2026(cal: WorkCalendar) -> None:
    """Sun 2026-09-20 is a make-up working day (notice of 2025-11-04); the start day is not
    counted (Civil Code Art. 201), so one working day later is Mon 21 September."""
    assert cal.is_working_day(D(2026, 9, 20))
    assert cal.add_working_days(D(2026, 9, 20), 1) == D(2026, 9, 21)
    assert cal.add_working_days(D(2026, 9, 20), 0) == D(2026, 9, 20)


def test_start_day_never_counted(cal: WorkCalendar) -> None:
    """Civil Code Art. 201: a working Monday plus one working day is Tuesday, not Monday."""
    assert cal.add_working_days(D(2026, 11, 23), 1) == D(2026, 11, 24)
    assert cal.working_days_between(D(2026, 11, 23), D(2026, 11, 24)) == 1
    assert cal.working_days_between(D(2026, 11, 23), D(2026, 11, 23)) == 0


def test_zero_rolls_forward_and_negative_counts_back(cal: WorkCalendar) -> None:
    """2026 Spring Festival, 15–23 February off (notice of 2025-11-04)."""
    assert cal.add_working_days(D(2026, 2, 15), 0) == D(2026, 2, 24)
    assert cal.add_working_days(D(2026, 2, 24), -1) == D(2026, 2, 14)  # make-up Saturday
    assert cal.previous_working_day(D(2026, 2, 20)) == D(2026, 2, 14)
    assert cal.next_working_day(D(2026, 2, 14)) == D(2026, 2, 24)


def test_one_off_changes_are_the_final_state(cal: WorkCalendar) -> None:
    """2015: 3–5 September off and Sun 6 September worked (国发明电〔2015〕1号); 2020: the
    Spring Festival extended to 2 February, so Sat 1 February is no longer worked
    (国办发明电〔2020〕1号)."""
    assert cal.day_info(D(2015, 9, 3)).reason.startswith(Festival.VICTORY_DAY_70TH.english)
    assert cal.is_working_day(D(2015, 9, 6))
    assert not cal.is_working_day(D(2020, 2, 1))
    assert "国办发明电〔2020〕1号" in cal.day_info(D(2020, 2, 1)).reason
    assert cal.next_working_day(D(2020, 1, 23)) == D(2020, 2, 3)


# ------------------------------------------------------------------ provisional years


def test_unpublished_years_are_flagged(cal: WorkCalendar) -> None:
    assert not cal.is_provisional(D(2026, 12, 31))
    assert cal.is_provisional(D(2027, 1, 4))
    december = cal.explain_working_days(D(2026, 12, 10), 20)
    assert december.provisional
    assert "provisional" in december.describe()
    assert cal.bulk.is_provisional(
        np.array(["2026-06-01", "2028-06-01"], "datetime64[D]")
    ).tolist() == [
        False,
        True,
    ]


def test_importing_a_year_replaces_the_provisional_one() -> None:
    notice = Notice("国办发明电〔2099〕1号", D(2026, 11, 1), "test notice for 2027")
    official = YearData(
        2027,
        (notice,),
        (FestivalDays(Festival.NEW_YEAR, holidays=[D(2027, 1, 1)], workdays=[D(2027, 1, 9)]),),
    )
    cal = china(until=2028, years=[official])
    assert not cal.is_provisional(D(2027, 6, 1))
    assert cal.is_provisional(D(2028, 6, 1))
    assert cal.is_working_day(D(2027, 1, 9))  # a Saturday made a working day by the "notice"
    assert cal.day_info(D(2027, 1, 9)).reason == "New Year's Day, 国办发明电〔2099〕1号"


def test_china_refuses_a_year_before_the_data() -> None:
    with pytest.raises(CalendarDataError, match="until=2003"):
        china(until=2003)


# ------------------------------------------------------------------ overlays


def test_overlays_add_and_never_replace(cal: WorkCalendar) -> None:
    county = Overlay(
        "county",
        holidays={D(2026, 7, 15): "county founding day"},
        workdays={D(2026, 7, 18): "catch-up Saturday"},
    )
    local = cal.with_overlay(county)
    # the overlay's own days
    assert not local.is_working_day(D(2026, 7, 15))
    assert local.day_info(D(2026, 7, 15)).layer == "county"
    assert local.is_working_day(D(2026, 7, 18))
    # national entries the overlay does not mention survive
    assert not local.is_working_day(D(2026, 10, 1))
    assert local.day_info(D(2026, 10, 1)).layer == "china"
    assert local.is_working_day(D(2026, 10, 10))
    # the national calendar itself is unchanged
    assert cal.is_working_day(D(2026, 7, 15))


def test_later_layers_win_and_compose(cal: WorkCalendar) -> None:
    city = Overlay("city", holidays=[D(2026, 7, 15), D(2026, 7, 16)])
    district = Overlay("district", workdays={D(2026, 7, 16): "district keeps working"})
    both = cal.with_overlay(city).with_overlay(district)
    assert both.day_info(D(2026, 7, 15)).layer == "city"
    assert both.day_info(D(2026, 7, 16)).layer == "district"
    assert both.is_working_day(D(2026, 7, 16))
    assert [layer.name for layer in both.layers] == ["china", "city", "district"]


def test_overlay_conflict_is_refused() -> None:
    with pytest.raises(OverlayConflictError, match="2026-07-15"):
        Overlay("bad", holidays=[D(2026, 7, 15)], workdays=[D(2026, 7, 15)])
    with pytest.raises(CalendarDataError, match=r"not a datetime\.date"):
        Overlay("bad", holidays=["2026-07-15"])  # type: ignore[list-item]


# ------------------------------------------------------------------ hall hours


def test_split_shifts_and_working_time(cal: WorkCalendar) -> None:
    """A township hall: 8:00–12:30 and 14:30–17:30 (7.5 hours a day)."""
    township = cal.with_hours(HallHours(workday=shifts("8:00-12:30", "14:30-17:30")))
    start = dt.datetime(2026, 9, 30, 16, 0, tzinfo=SH)  # Wed, last day before National Day
    # 1.5 h left that day; the next working day is Thu 8 October
    end = township.add_working_time(start, dt.timedelta(hours=3))
    assert end == dt.datetime(2026, 10, 8, 9, 30, tzinfo=SH)
    assert township.working_time_between(start, end) == dt.timedelta(hours=3)
    # a period that uses a morning exactly ends at 12:30, not at 14:30
    morning = dt.datetime(2026, 10, 8, 8, 0, tzinfo=SH)
    assert township.add_working_time(morning, dt.timedelta(hours=4, minutes=30)) == (
        dt.datetime(2026, 10, 8, 12, 30, tzinfo=SH)
    )


def test_cutoff_and_duty_windows(cal: WorkCalendar) -> None:
    """Received at 17:40, after the 17:30 close → counted from the next working day; a
    Saturday duty window receives but the count starts on Monday."""
    hours = HallHours(duty={5: shifts("9:00-12:00")})
    hall = cal.with_hours(hours)
    assert hall.receipt_day(dt.datetime(2026, 11, 24, 17, 40, tzinfo=SH)) == D(2026, 11, 25)
    assert hall.receipt_day(dt.datetime(2026, 11, 24, 17, 29, tzinfo=SH)) == D(2026, 11, 24)
    saturday = dt.datetime(2026, 11, 28, 10, 0, tzinfo=SH)
    assert hall.is_open(saturday)
    assert not hall.is_open(saturday.replace(hour=13))
    assert hall.receipt_day(saturday) == D(2026, 11, 30)
    early = cal.with_hours(HallHours(cutoff=dt.time(16, 0)))
    assert early.receipt_day(dt.datetime(2026, 11, 24, 16, 0, tzinfo=SH)) == D(2026, 11, 25)


def test_closing_time_is_the_last_shift_end() -> None:
    hours = HallHours(weekdays={4: shifts("9:00-12:00")}, cutoff=dt.time(16, 0))
    assert hours.closing_on(0) == dt.time(17, 30)
    assert hours.closing_on(4) == dt.time(12, 0)
    assert hours.cutoff_on(4) == dt.time(16, 0)
    assert HallHours().cutoff_on(2) == HallHours().closing_on(2)


def test_instants_in_other_zones_are_converted(cal: WorkCalendar) -> None:
    utc = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    assert cal.is_open(utc)
    assert cal.add_working_time(utc, dt.timedelta(hours=1)) == dt.datetime(
        2026, 11, 24, 10, 0, tzinfo=SH
    )


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Shift.parse("9-12"), "must look like"),
        (lambda: Shift.parse("12:00-9:00"), "must be after"),
        (lambda: Shift.parse("9:00-25:00"), "9:00-25:00"),
        (lambda: shifts("9:00-12:00", "11:00-13:00"), "overlaps"),
        (lambda: HallHours(zone="Mars/Olympus"), "Mars/Olympus"),
        (lambda: HallHours(weekdays={7: shifts("9:00-12:00")}), "0..6"),
        (lambda: HallHours(workday=()), "at least one shift"),
    ],
)
def test_bad_hours_are_refused(build: object, match: str) -> None:
    with pytest.raises(HoursError, match=match):
        build()  # type: ignore[operator]


# ------------------------------------------------------------------ refusals


def test_out_of_range_is_refused_never_guessed(cal: WorkCalendar) -> None:
    with pytest.raises(CalendarRangeError) as err:
        cal.is_working_day(D(2003, 12, 31))
    assert err.value.field == "d"
    assert err.value.value == D(2003, 12, 31)
    with pytest.raises(CalendarRangeError, match="result"):
        cal.add_working_days(D(2030, 12, 20), 20)
    with pytest.raises(CalendarRangeError, match=r"dates\[1\]"):
        cal.bulk.add_working_days(np.array(["2026-01-05", "2031-01-01"], "datetime64[D]"), 1)
    assert isinstance(err.value, HallflowError)


def test_naive_datetimes_are_refused(cal: WorkCalendar) -> None:
    with pytest.raises(NaiveDatetimeError, match="start"):
        cal.add_working_time(dt.datetime(2026, 11, 24, 9), dt.timedelta(hours=1))


def test_bad_arguments_name_the_field() -> None:
    with pytest.raises(CalendarDataError, match="weekmask"):
        WorkCalendar([], first=D(2026, 1, 1), last=D(2026, 2, 1), weekmask=(True,) * 6)
    with pytest.raises(CalendarDataError, match="last=2025-01-01"):
        WorkCalendar([], first=D(2026, 1, 1), last=D(2025, 1, 1))


def test_compiled_national_calendar_fits_the_memory_budget(cal: WorkCalendar) -> None:
    """Issue target: under 5 MB per compiled calendar (a size, not a timing)."""
    assert cal.memory_bytes() < 5 * 1024 * 1024
