"""Hypothesis strategies shared by the test suite (one place, as the house rules ask)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from hypothesis import strategies as st

from hallflow.calendar import HallHours, Overlay, Shift

__all__ = [
    "CalendarSpec",
    "calendar_specs",
    "dates_in",
    "hall_hours",
    "instants_in",
    "offsets",
    "overlays",
    "weekmasks",
    "working_minutes",
]


@attrs.define(frozen=True)
class CalendarSpec:
    """Everything needed to build a WorkCalendar and its ReferenceCalendar twin."""

    layers: tuple[Overlay, ...]
    first: dt.date
    last: dt.date
    weekmask: tuple[bool, ...]
    hours: HallHours

    def kwargs(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "last": self.last,
            "weekmask": self.weekmask,
            "hours": self.hours,
        }


def weekmasks() -> st.SearchStrategy[tuple[bool, ...]]:
    """Any week mask, including all-rest (layers may still add working days)."""
    return st.tuples(*[st.booleans()] * 7)


@st.composite
def shift_lists(draw: st.DrawFn) -> tuple[Shift, ...]:
    """One to three non-overlapping shifts on a quarter-hour grid."""
    marks = sorted(draw(st.sets(st.integers(0, 95), min_size=2, max_size=6)))
    if len(marks) % 2:
        marks = marks[:-1]
    out = []
    for a, b in zip(marks[::2], marks[1::2], strict=True):
        out.append(Shift(dt.time(a // 4, a % 4 * 15), dt.time(b // 4, b % 4 * 15)))
    return tuple(out)


@st.composite
def hall_hours(draw: st.DrawFn) -> HallHours:
    """Hall hours with a default day, some per-weekday overrides and maybe a cut-off."""
    overrides = draw(st.dictionaries(st.integers(0, 6), shift_lists(), max_size=3))
    cutoff = draw(st.none() | st.times().map(lambda t: t.replace(second=0, microsecond=0)))
    zone = draw(st.sampled_from(["Asia/Shanghai", "Asia/Urumqi", "UTC"]))
    return HallHours(workday=draw(shift_lists()), weekdays=overrides, cutoff=cutoff, zone=zone)


@st.composite
def overlays(draw: st.DrawFn, first: dt.date, last: dt.date, name: str) -> Overlay:
    """A layer of random holidays and working days inside (and a little around) a range."""
    span = (last - first).days
    days = st.integers(-5, span + 5).map(lambda k: first + dt.timedelta(days=k))
    holidays = draw(st.sets(days, max_size=40))
    workdays = draw(st.sets(days, max_size=20)) - holidays
    provisional = []
    if draw(st.booleans()):
        lo = draw(days)
        provisional.append((lo, lo + dt.timedelta(days=draw(st.integers(0, 60)))))
    return Overlay(
        name,
        holidays={d: f"{name} rest" for d in holidays},
        workdays={d: f"{name} work" for d in workdays},
        provisional=provisional,
    )


@st.composite
def calendar_specs(draw: st.DrawFn, max_days: int = 400) -> CalendarSpec:
    """A random calendar: range (often across a year end), week mask, 0–3 layers, hours."""
    first = draw(st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 1)))
    last = first + dt.timedelta(days=draw(st.integers(0, max_days)))
    count = draw(st.integers(0, 3))
    layers = tuple(draw(overlays(first, last, f"layer{i}")) for i in range(count))
    mask = draw(weekmasks())
    return CalendarSpec(layers, first, last, mask, draw(hall_hours()))


def dates_in(spec: CalendarSpec, margin: int = 3) -> st.SearchStrategy[dt.date]:
    """Dates in the range, with the ends and a few days beyond them favoured."""
    span = (spec.last - spec.first).days
    edges = st.sampled_from([-margin, -1, 0, 1, span - 1, span, span + 1, span + margin])
    inner = st.integers(-margin, span + margin)
    return st.one_of(edges, inner).map(lambda k: spec.first + dt.timedelta(days=k))


def offsets(limit: int = 300) -> st.SearchStrategy[int]:
    """Working-day offsets: small ones, zero, negatives, and a few past any range."""
    return st.one_of(st.integers(-10, 10), st.integers(-limit, limit))


def instants_in(spec: CalendarSpec) -> st.SearchStrategy[dt.datetime]:
    """Whole-minute aware instants in (and just around) the range, in the hall's zone."""
    tz = spec.hours.tzinfo

    def build(args: tuple[dt.date, int]) -> dt.datetime:
        day, minute = args
        return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)

    # Shifts sit on a quarter-hour grid; favour instants on it so shift edges are hit.
    minute = st.one_of(st.integers(0, 24 * 60 - 1), st.integers(0, 95).map(lambda q: q * 15))
    return st.tuples(dates_in(spec, margin=1), minute).map(build)


def working_minutes() -> st.SearchStrategy[dt.timedelta]:
    """Working-time amounts in whole minutes, either sign, often whole quarter hours."""
    return st.one_of(
        st.integers(-600, 600),
        st.integers(-3 * 24 * 60, 3 * 24 * 60),
        st.integers(-200, 200).map(lambda q: q * 15),
    ).map(lambda m: dt.timedelta(minutes=m))
