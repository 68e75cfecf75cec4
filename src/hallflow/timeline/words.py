"""Durations in words, in Chinese and English, for reports, escalation notes and ``explain``.

Working-day counts ("还剩 3 个工作日", "3 working days left") come from the hall's calendar
(a :class:`~hallflow.timeline.clock.ClockStatus` counts them); calendar durations
("overdue by 2 days", "逾期 2 天") are put in words by pendulum's localised
``Duration.in_words``, cut to the two largest units.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from fractions import Fraction

import pendulum

from hallflow.errors import WordsError
from hallflow.timeline.clock import ClockState, ClockStatus, WarningLevel
from hallflow.timeline.limits import Unit

__all__ = [
    "LANGUAGES",
    "WordsError",
    "calendar_duration",
    "calendar_duration_reference",
    "clock_words",
    "overdue_words",
    "working_days",
]

LANGUAGES = ("zh", "en")
"""The languages words are given in."""

_ZH_NUMBER_UNIT = re.compile(r"(\d+)\s*(\D+?)(?=\s|\d|$)")


def _language(lang: object) -> str:
    if lang not in LANGUAGES:
        raise WordsError("lang", f"must be one of {', '.join(LANGUAGES)}", lang)
    return str(lang)


def _whole(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Fraction | float):
        raise WordsError(field, "must be a number of working days", value)
    if isinstance(value, float) and value != value:  # NaN
        raise WordsError(field, "must be a number of working days", value)
    if isinstance(value, int):
        return value
    whole = int(value)
    if whole != value:
        raise WordsError(field, "must be a whole number of working days", value)
    return whole


def working_days(remaining: int, lang: str = "en") -> str:
    """Working days left (positive), due today (0) or overdue (negative), in words.

    >>> working_days(3, "zh"), working_days(-2, "en"), working_days(1, "en")
    ('还剩 3 个工作日', 'overdue by 2 working days', '1 working day left')

    Raises:
        WordsError: ``remaining`` is not a whole number, ``lang`` not zh or en.
    """
    n = _whole("remaining", remaining)
    if _language(lang) == "zh":
        if n > 0:
            return f"还剩 {n} 个工作日"
        return "今日到期" if n == 0 else f"逾期 {-n} 个工作日"
    if n > 0:
        return f"{n} working day{'s' if n != 1 else ''} left"
    if n == 0:
        return "due today"
    return f"overdue by {-n} working day{'s' if n != -1 else ''}"


def calendar_duration(delta: dt.timedelta, lang: str = "en") -> str:
    """A calendar duration in words, to the two largest units (minutes at least).

    >>> calendar_duration(dt.timedelta(days=2), "zh"), calendar_duration(dt.timedelta(days=2))
    ('2 天', '2 days')

    Raises:
        WordsError: ``delta`` is not a non-negative timedelta, ``lang`` not zh or en.
    """
    if not isinstance(delta, dt.timedelta) or delta < dt.timedelta(0):
        raise WordsError("delta", "must be a timedelta of at least zero", delta)
    locale = _language(lang)
    minutes = int(delta.total_seconds()) // 60
    days, minute_of_day = divmod(minutes, 24 * 60)
    parts = (
        ("weeks", days // 7),
        ("days", days % 7),
        ("hours", minute_of_day // 60),
        ("minutes", minute_of_day % 60),
    )
    kept = tuple((unit, n) for unit, n in parts if n)[:2]
    return _in_words(kept, locale)


@functools.lru_cache(maxsize=4096)
def _in_words(kept: tuple[tuple[str, int], ...], locale: str) -> str:
    """Pendulum's words for the units ``kept`` (few distinct ones: cached)."""
    if not kept:
        return "0 分钟" if locale == "zh" else "0 minutes"
    words = pendulum.duration(**dict(kept)).in_words(locale=locale)
    if locale == "zh":  # pendulum writes "2天 3小时": a space between number and unit
        words = _ZH_NUMBER_UNIT.sub(lambda m: f"{m[1]} {m[2]}", words)
    return words


def calendar_duration_reference(delta: dt.timedelta, lang: str = "en") -> str:
    """The reference of :func:`calendar_duration`: pendulum splits the duration itself.

    Slow (pendulum builds a duration twice per call); a property test checks that
    :func:`calendar_duration` says the same for any duration.
    """
    if not isinstance(delta, dt.timedelta) or delta < dt.timedelta(0):
        raise WordsError("delta", "must be a timedelta of at least zero", delta)
    locale = _language(lang)
    duration = pendulum.duration(seconds=int(delta.total_seconds()) // 60 * 60)
    parts = [
        ("weeks", duration.weeks),
        ("days", duration.remaining_days),
        ("hours", duration.hours),
        ("minutes", duration.minutes),
    ]
    kept = [(unit, n) for unit, n in parts if n][:2]
    if not kept:
        return "0 分钟" if locale == "zh" else "0 minutes"
    words = pendulum.duration(**dict(kept)).in_words(locale=locale)
    if locale == "zh":
        words = _ZH_NUMBER_UNIT.sub(lambda m: f"{m[1]} {m[2]}", words)
    return words


def overdue_words(delta: dt.timedelta, lang: str = "en") -> str:
    """How long past due, in calendar time: "overdue by 2 days", "逾期 2 天"."""
    words = calendar_duration(delta, lang)
    return f"逾期 {words}" if lang == "zh" else f"overdue by {words}"


def clock_words(status: ClockStatus, lang: str = "en") -> str:
    """A clock's position in words: working days left or overdue, else calendar time.

    A working-day clock is told in working days of its calendar ("还剩 3 个工作日"); a clock
    past due also says by how much calendar time ("逾期 2 个工作日（2 天）"); a stopped clock
    says how it ended against its limit.

    Raises:
        WordsError: ``status`` is not a ClockStatus, ``lang`` not zh or en.
    """
    if not isinstance(status, ClockStatus):
        raise WordsError("status", "must be a ClockStatus", status)
    locale = _language(lang)
    if status.state is ClockState.STOPPED:
        margin = status.margin
        if status.limit.unit is Unit.WORKING_DAYS and margin == int(margin):
            n = int(margin)
            if locale == "zh":
                return (
                    "按时办结"
                    if n == 0
                    else (f"提前 {n} 个工作日办结" if n > 0 else f"超期 {-n} 个工作日办结")
                )
            if n == 0:
                return "closed on the due day"
            return f"closed {abs(n)} working day{'s' if abs(n) != 1 else ''} " + (
                "early" if n > 0 else "late"
            )
        late = status.overdue_by > dt.timedelta(0)
        if locale == "zh":
            return f"超期 {calendar_duration(status.overdue_by, 'zh')}办结" if late else "按期办结"
        return f"closed {calendar_duration(status.overdue_by)} late" if late else "closed in time"
    overdue = status.level is WarningLevel.OVERDUE
    if status.limit.unit is Unit.WORKING_DAYS and status.remaining == int(status.remaining):
        counted = working_days(int(status.remaining), locale)
        if overdue and int(status.remaining) >= 0:
            counted = working_days(-1, locale) if int(status.remaining) == 0 else counted
        if overdue:
            wall = calendar_duration(status.overdue_by, locale)
            return f"{counted}（{wall}）" if locale == "zh" else f"{counted} ({wall})"
        return counted
    if overdue:
        return overdue_words(status.overdue_by, locale)
    left = calendar_duration(max(status.remaining_time, dt.timedelta(0)), locale)
    return f"还剩 {left}" if locale == "zh" else f"{left} left"
