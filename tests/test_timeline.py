"""Worked legal scenarios for case clocks, each citing the rule it follows.

Calendar facts come from the State Council notice of 2025-11-04 (2026 holidays): Mid-Autumn
25–27 September, National Day 1–7 October, Sundays 20 September and Saturday 10 October
worked. November and December 2026 have no holidays. Hall hours are the default
9:00–12:00 and 13:30–17:30, Asia/Shanghai; a day limit ends at 17:30 on its last day.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from hallflow.calendar import WorkCalendar, china
from hallflow.errors import (
    ClockStateError,
    ExtensionRefusedError,
    LimitError,
    NaiveDatetimeError,
)
from hallflow.timeline import (
    Clock,
    ClockPolicy,
    ClockState,
    Limit,
    Outcome,
    PauseReason,
    Unit,
    WarningLevel,
    clock_words,
    clocks_at,
    closing_time,
)

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


def close(y: int, m: int, d: int) -> dt.datetime:
    return at(y, m, d, 17, 30)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return china()


def legal(cal: WorkCalendar, start: dt.datetime, days: int = 20, **kw: object) -> Clock:
    return Clock.start("legal", Limit.working_days(days), cal, start, **kw)  # type: ignore[arg-type]


def test_working_sunday_before_national_day(cal: WorkCalendar) -> None:
    """Licensing Law Arts. 42 and 82; Civil Code Art. 201. Accepted on the make-up working
    Sunday 20 September 2026 (not counted): 21–24 Sep (4), Mid-Autumn off, 28–30 Sep (7),
    National Day off, 8–10 Oct (10, the 10th a make-up Saturday), 12–16 (15), 19–23 (20)."""
    clock = legal(cal, at(2026, 9, 20))
    status = clock.status(at(2026, 9, 21))
    assert status.due == close(2026, 10, 23)
    assert status.counting_from == dt.date(2026, 9, 20)
    assert not status.provisional
    text = clock.explain(at(2026, 9, 21))
    assert "National Day" in text and "Mid-Autumn" in text
    assert "2026-10-10 Sat  extra workday" in text
    # where the clock stands, in both languages: on 21 September nothing is counted yet
    assert text.splitlines()[-1] == (
        f"in words: {clock_words(status, 'en')} / {clock_words(status, 'zh')}"
    )
    assert text.splitlines()[-1] == "in words: 20 working days left / 还剩 20 个工作日"


def test_received_after_closing_counts_from_next_working_day(cal: WorkCalendar) -> None:
    """Cut-off (DOMAIN.md §5): received 17:40, after the 17:30 close, on Tue 24 Nov 2026 —
    as if received Wed 25 Nov; 20 working days later is Wed 23 Dec (one day later than a
    receipt at 17:29, due Tue 22 Dec)."""
    late = legal(cal, at(2026, 11, 24, 17, 40)).status(at(2026, 11, 25))
    in_time = legal(cal, at(2026, 11, 24, 17, 29)).status(at(2026, 11, 25))
    assert late.counting_from == dt.date(2026, 11, 25)
    assert late.due == close(2026, 12, 23)
    assert in_time.due == close(2026, 12, 22)


def test_correction_restarts_the_clock(cal: WorkCalendar) -> None:
    """Licensing Law Art. 32: the period runs from the receipt of complete materials.
    Accepted Mon 2 Nov; correction requested on day 3 (Thu 5 Nov), completed six days later
    (Wed 11 Nov): counting starts afresh after 11 Nov → 20 working days → Wed 9 Dec."""
    clock = legal(cal, at(2026, 11, 2)).pause(at(2026, 11, 5), PauseReason.CORRECTION)
    paused = clock.status(at(2026, 11, 9))
    assert paused.state is ClockState.PAUSED
    assert paused.pause_reason is PauseReason.CORRECTION
    assert paused.elapsed == 2  # 3 and 4 Nov counted before the pause
    restarted = clock.resume(at(2026, 11, 11)).status(at(2026, 11, 12))
    assert restarted.counting_from == dt.date(2026, 11, 11)
    assert restarted.due == close(2026, 12, 9)
    assert restarted.elapsed == 0


def test_extension_before_expiry_and_refusal_after(cal: WorkCalendar) -> None:
    """Licensing Law Art. 42: 20 working days, extendable by 10 with approval. Accepted Mon
    2 Nov → due Mon 30 Nov. Approved on day 19 (Fri 27 Nov) → due Mon 14 Dec. Asked on day
    21 (Tue 1 Dec), after expiry: refused, unless the locality allows late extensions."""
    clock = legal(cal, at(2026, 11, 2))
    assert clock.due(at(2026, 11, 3)) == close(2026, 11, 30)
    extended = clock.extend(at(2026, 11, 27), Limit.working_days(10), approved_by="agency head")
    status = extended.status(at(2026, 11, 27))
    assert status.due == close(2026, 12, 14)
    assert status.limit == Limit.working_days(30)
    assert "extended by 10 working days, approved by agency head" in extended.explain(
        at(2026, 11, 27)
    )
    with pytest.raises(ExtensionRefusedError) as refused:
        clock.extend(at(2026, 12, 1), Limit.working_days(10), approved_by="agency head")
    assert refused.value.due == close(2026, 11, 30)
    lenient = legal(cal, at(2026, 11, 2), policy=ClockPolicy(allow_late_extension=True))
    late = lenient.extend(at(2026, 12, 1), Limit.working_days(10), approved_by="agency head")
    assert late.due(at(2026, 12, 1)) == close(2026, 12, 14)


def test_joint_handling_45_plus_15(cal: WorkCalendar) -> None:
    """Licensing Law Art. 42: unified or joint handling, 45 working days, extendable by 15."""
    start = at(2026, 9, 28)
    clock = legal(cal, start, days=45)
    assert clock.due(start) == closing_time(cal, cal.add_working_days(dt.date(2026, 9, 28), 45))
    longer = clock.extend(at(2026, 11, 20), Limit.working_days(15), approved_by="county head")
    assert longer.due(at(2026, 11, 20)) == closing_time(
        cal, cal.add_working_days(dt.date(2026, 9, 28), 60)
    )


def test_expert_review_excluded_for_ten_working_days(cal: WorkCalendar) -> None:
    """Licensing Law Art. 45: expert review time is not counted; the applicant is told its
    length in writing. Accepted 2 Nov (due 30 Nov); review from Tue 10 Nov 10:00 for 10
    working days resumes Tue 24 Nov 10:00 — the due date moves 10 working days, to 14 Dec."""
    clock = legal(cal, at(2026, 11, 2)).exclude(
        at(2026, 11, 10), Limit.working_days(10), PauseReason.EXPERT_REVIEW
    )
    during = clock.status(at(2026, 11, 16))
    assert during.state is ClockState.PAUSED
    assert during.due == close(2026, 12, 14)
    after = clock.status(at(2026, 11, 25))
    assert after.state is ClockState.RUNNING
    assert after.elapsed == 6  # 3–6 and 9 Nov before the review, 24 Nov after it
    text = clock.explain(at(2026, 11, 25))
    assert "not counted: paused (expert review)" in text


def test_reminder_three_working_days_before(cal: WorkCalendar) -> None:
    """Zhenlai's ladder (DOMAIN.md §6): a reminder 3 working days before the deadline.
    Accepted 2 Nov, due 30 Nov 17:30."""
    clock = legal(cal, at(2026, 11, 2), policy=ClockPolicy(remind_before=3))
    assert clock.status(at(2026, 11, 25)).level is WarningLevel.NORMAL  # 16 used, 4 left
    reminder = clock.status(at(2026, 11, 26))
    assert (reminder.elapsed, reminder.remaining) == (17, 3)
    assert reminder.level is WarningLevel.REMINDER
    overdue = clock.status(at(2026, 12, 1))
    assert overdue.level is WarningLevel.OVERDUE
    assert overdue.overdue_by == at(2026, 12, 1) - close(2026, 11, 30)
    assert overdue.remaining == 0  # 1 Dec has not closed yet
    assert clock.status(at(2026, 12, 2)).remaining == -1


def test_calendar_day_limit_ending_on_a_holiday(cal: WorkCalendar) -> None:
    """Civil Code Art. 203: a period whose last day is a holiday ends on the day after the
    holiday. 5 calendar days from Mon 28 Sep 2026 end on Sat 3 Oct, inside National Day →
    Thu 8 Oct, the first working day after it."""
    clock = Clock.start("notice", Limit.calendar_days(5), cal, at(2026, 9, 28))
    assert clock.due(at(2026, 9, 28)) == close(2026, 10, 8)
    # weekends are rest days too: 5 days from Mon 2 Nov end on Sat 7 Nov → Mon 9 Nov
    plain = Clock.start("notice", Limit.calendar_days(5), cal, at(2026, 11, 2))
    assert plain.due(at(2026, 11, 2)) == close(2026, 11, 9)
    assert plain.status(at(2026, 11, 5)).elapsed == 2


def test_same_day_and_hour_limits(cal: WorkCalendar) -> None:
    """An immediate matter is decided the day it is received; hour limits count working
    time on the hall hours (9:00–12:00, 13:30–17:30)."""
    same = Clock.start("immediate", Limit.same_day(), cal, at(2026, 11, 24, 15))
    assert same.due(at(2026, 11, 24, 15)) == close(2026, 11, 24)
    evening = Clock.start("immediate", Limit.same_day(), cal, at(2026, 11, 24, 17, 45))
    assert evening.due(at(2026, 11, 24, 17, 45)) == close(2026, 11, 25)
    hours = Clock.start("pre-review", Limit.working_hours(8), cal, at(2026, 11, 24, 15))
    # 2.5 h on the 24th, 3 h on the morning of the 25th, 2.5 h in its afternoon
    assert hours.due(at(2026, 11, 24, 15)) == at(2026, 11, 25, 16, 0)
    half = hours.status(at(2026, 11, 25, 11))
    assert half.elapsed == 4.5


def test_outcomes_early_on_time_late(cal: WorkCalendar) -> None:
    """提前/按时/超期: closed before the due day, on it, or after the due instant."""
    clock = legal(cal, at(2026, 11, 2))  # due Mon 30 Nov 17:30
    early = clock.stop(at(2026, 11, 20)).status(at(2026, 12, 31))
    assert (early.outcome, early.margin) == (Outcome.EARLY, 6)
    assert early.level is WarningLevel.CLOSED
    on_time = clock.stop(at(2026, 11, 30, 17, 30)).status(at(2026, 12, 31))
    assert on_time.outcome is Outcome.ON_TIME
    late = clock.stop(at(2026, 12, 1, 9, 30)).status(at(2026, 12, 31))
    assert (late.outcome, late.margin) == (Outcome.LATE, -1)
    assert late.overdue_by == at(2026, 12, 1, 9, 30) - close(2026, 11, 30)


def test_several_clocks_side_by_side(cal: WorkCalendar) -> None:
    """A promised limit (here 10, at least 50% shorter than the law's 20) beside the legal one."""
    start = at(2026, 11, 2)
    promised = Clock.start("promised", Limit.working_days(10), cal, start)
    statuses = clocks_at([promised, legal(cal, start)], at(2026, 11, 17))
    assert statuses["promised"].due == close(2026, 11, 16)
    assert statuses["promised"].level is WarningLevel.OVERDUE
    assert statuses["legal"].level is WarningLevel.NORMAL


def test_provisional_years_are_flagged(cal: WorkCalendar) -> None:
    status = legal(cal, at(2026, 12, 10)).status(at(2026, 12, 10))
    assert status.provisional
    assert "provisional" in legal(cal, at(2026, 12, 10)).explain(at(2026, 12, 10))


def test_refusals_change_nothing(cal: WorkCalendar) -> None:
    clock = legal(cal, at(2026, 11, 2))
    with pytest.raises(ClockStateError, match="only a paused clock resumes"):
        clock.resume(at(2026, 11, 3))
    with pytest.raises(ClockStateError, match="time order"):
        clock.pause(at(2026, 11, 3), "hearing").resume(at(2026, 11, 2, 12))
    with pytest.raises(LimitError, match="working_days"):
        clock.extend(at(2026, 11, 3), Limit.calendar_days(5), approved_by="head")
    with pytest.raises(ClockStateError, match="stopped"):
        clock.stop(at(2026, 11, 3)).pause(at(2026, 11, 4), "hearing")
    with pytest.raises(NaiveDatetimeError):
        clock.pause(dt.datetime(2026, 11, 3, 10), "hearing")
    with pytest.raises(ClockStateError, match="not started"):
        clock.status(at(2026, 11, 1))
    assert len(clock.events) == 1


@pytest.mark.parametrize(
    ("amount", "unit", "match"),
    [
        (-1, Unit.WORKING_DAYS, "negative"),
        (0, Unit.WORKING_DAYS, "same_day"),
        (2, Unit.SAME_DAY, "same-day"),
    ],
)
def test_bad_limits(amount: int, unit: Unit, match: str) -> None:
    with pytest.raises(LimitError, match=match):
        Limit(amount, unit)
