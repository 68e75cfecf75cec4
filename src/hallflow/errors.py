"""The error hierarchy: every refusal hallflow makes is a :class:`HallflowError`.

Each subclass names the rule that was broken; the message names the field (or the line, or the
date) and the value given, so that an embedding platform can show it to a user unchanged.
"""

from __future__ import annotations

__all__ = [
    "CalendarDataError",
    "CalendarError",
    "CalendarRangeError",
    "ClockError",
    "ClockStateError",
    "ExtensionRefusedError",
    "HallflowError",
    "HoursError",
    "LimitError",
    "NaiveDatetimeError",
    "NoticeParseError",
    "OverlayConflictError",
]


class HallflowError(Exception):
    """Base class of every error hallflow raises on purpose."""


class CalendarError(HallflowError):
    """A working-day calendar was given something it cannot answer or build."""


class CalendarRangeError(CalendarError, ValueError):
    """A date, instant or result lies outside the range a calendar was compiled for.

    Attributes:
        field: the argument (or result) that was out of range.
        value: the offending value.
        first: the first day the calendar covers.
        last: the last day the calendar covers.
    """

    def __init__(self, field: str, value: object, first: object, last: object) -> None:
        self.field = field
        self.value = value
        self.first = first
        self.last = last
        super().__init__(
            f"{field}={value!s} is outside the calendar's compiled range {first}..{last}; "
            f"build the calendar with a wider range (e.g. china(until=...))"
        )


class CalendarDataError(CalendarError, ValueError):
    """Calendar data (a year file, a layer) breaks a rule of the data format."""


class OverlayConflictError(CalendarDataError):
    """One overlay declares the same day both a holiday and a working day."""


class HoursError(CalendarError, ValueError):
    """Hall hours are malformed (a shift that ends before it starts, overlapping shifts...)."""


class NaiveDatetimeError(CalendarError, ValueError):
    """A datetime without a time zone was given where an aware one is required."""

    def __init__(self, field: str, value: object) -> None:
        self.field = field
        self.value = value
        super().__init__(
            f"{field}={value!s} is a naive datetime; hallflow needs aware datetimes "
            f"(attach the hall's zone, e.g. Asia/Shanghai)"
        )


class NoticeParseError(CalendarError, ValueError):
    """The text given to the notice parser is not a holiday notice, or contradicts itself.

    Attributes:
        line_no: 1-based number of the offending line (0 when the whole text is at fault).
        line: the text of that line.
        rule: a short name of the rule that failed.
    """

    def __init__(self, rule: str, message: str, line_no: int = 0, line: str = "") -> None:
        self.rule = rule
        self.line_no = line_no
        self.line = line
        where = f"line {line_no}: {line.strip()!r}: " if line_no else ""
        super().__init__(f"{where}{message} [{rule}]")


class ClockError(HallflowError):
    """A case clock was given an event or a limit it cannot accept."""


class LimitError(ClockError, ValueError):
    """A time limit is malformed (a negative amount, an extension in the wrong unit...)."""


class ClockStateError(ClockError):
    """An event does not fit the clock's state or history.

    Attributes:
        clock: the clock's name.
        event: the refused event's kind.
        state: the clock's state when the event arrived.
    """

    def __init__(self, clock: str, event: str, state: str, rule: str) -> None:
        self.clock = clock
        self.event = event
        self.state = state
        self.rule = rule
        super().__init__(f"clock {clock!r} is {state}: cannot {event} ({rule})")


class ExtensionRefusedError(ClockError):
    """An extension arrived after the limit had expired and the policy does not allow it.

    Attributes:
        clock: the clock's name.
        at: when the extension was approved.
        due: when the limit expired.
    """

    def __init__(self, clock: str, at: object, due: object) -> None:
        self.clock = clock
        self.at = at
        self.due = due
        super().__init__(
            f"clock {clock!r}: extension approved at {at} comes after the limit expired at "
            f"{due}; an extension must be approved before expiry "
            f"(ClockPolicy.allow_late_extension=False)"
        )
