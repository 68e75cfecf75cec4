"""Named layers of day rules that compose over a week mask and over each other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping

import attrs

from hallflow.errors import CalendarDataError, OverlayConflictError

__all__ = ["Overlay"]


_DayInput = Mapping[dt.date, str] | Iterable[dt.date] | None
_DayMap = tuple[tuple[dt.date, str], ...]


def _day_map(field: str) -> Callable[[_DayInput], _DayMap]:
    def convert(
        value: Mapping[dt.date, str] | Iterable[dt.date] | None,
    ) -> tuple[tuple[dt.date, str], ...]:
        if value is None:
            return ()
        items = value.items() if isinstance(value, Mapping) else ((d, "") for d in value)
        out: dict[dt.date, str] = {}
        for day, reason in items:
            if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
                raise CalendarDataError(f"{field} holds {day!r}, which is not a datetime.date")
            if not isinstance(reason, str):
                raise CalendarDataError(f"{field}[{day}]={reason!r} must be a string reason")
            out[day] = reason
        return tuple(sorted(out.items()))

    return convert


def _holidays(value: _DayInput) -> _DayMap:
    return _day_map("holidays")(value)


def _workdays(value: _DayInput) -> _DayMap:
    return _day_map("workdays")(value)


def _spans(value: Iterable[tuple[dt.date, dt.date]] | None) -> tuple[tuple[dt.date, dt.date], ...]:
    out = []
    for first, last in value or ():
        if last < first:
            raise CalendarDataError(f"provisional span {first}..{last} ends before it starts")
        out.append((first, last))
    return tuple(sorted(out))


@attrs.define(frozen=True, slots=True)
class Overlay:
    """A named layer of day rules: holidays and extra working days, each with a reason.

    A :class:`~hallflow.calendar.WorkCalendar` starts from its week mask and applies its
    layers in order; a day a layer names is decided by that layer, a day it does not name
    keeps what the layers below decided. The national calendar is the first layer; a
    locality adds its own on top (extra holidays, extra working days, its own rest days)
    without dropping anything below — adding an overlay never removes a national entry for a
    day the overlay does not mention.

    Attributes:
        name: shown as the deciding layer of the days this layer names.
        holidays: rest days and why (a mapping date → reason, or just dates).
        workdays: working days and why (e.g. the national make-up working days).
        provisional: date spans whose entries are generated rather than published; answers
            that depend on a day in them are flagged provisional.

    Raises:
        OverlayConflictError: a day is both a holiday and a working day in this layer.
    """

    name: str
    holidays: tuple[tuple[dt.date, str], ...] = attrs.field(
        default=None,
        converter=_holidays,
    )
    workdays: tuple[tuple[dt.date, str], ...] = attrs.field(
        default=None,
        converter=_workdays,
    )
    provisional: tuple[tuple[dt.date, dt.date], ...] = attrs.field(
        default=None,
        converter=_spans,
    )

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise CalendarDataError(f"Overlay.name={self.name!r} must be a non-empty string")
        clash = {d for d, _ in self.holidays} & {d for d, _ in self.workdays}
        if clash:
            raise OverlayConflictError(
                f"overlay {self.name!r}: {min(clash)} is both a holiday and a working day"
            )

    def entries(self) -> Iterable[tuple[dt.date, bool, str]]:
        """Every day this layer decides: ``(date, working, reason)``, holidays first."""
        for day, reason in self.holidays:
            yield day, False, reason
        for day, reason in self.workdays:
            yield day, True, reason
