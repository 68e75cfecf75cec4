"""Hypothesis strategies shared by the test suite (one place, as the house rules ask)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any, TypeAlias

import attrs
from hypothesis import strategies as st

from hallflow.calendar import MONDAY_TO_FRIDAY, HallHours, Overlay, Shift, WorkCalendar
from hallflow.errors import CalendarRangeError, ExtensionRefusedError
from hallflow.timeline import (
    Clock,
    ClockEvent,
    ClockPolicy,
    ClockState,
    Excluded,
    Extended,
    Limit,
    Paused,
    PauseReason,
    Restarted,
    Resumed,
    Stopped,
    Unit,
)
from hallflow.timeline.ladder import Ladder, Rung

__all__ = [
    "CalendarSpec",
    "ClockCase",
    "calendar_specs",
    "clock_calendar_specs",
    "clock_cases",
    "clock_histories",
    "clock_limits",
    "dates_in",
    "hall_hours",
    "instants_after",
    "instants_in",
    "json_texts",
    "offsets",
    "overlays",
    "sealable_documents",
    "unsealable_documents",
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


# ---- clocks


@attrs.define(frozen=True)
class ClockCase:
    """A random clock with a valid history, its calendar spec, and an instant to ask about."""

    spec: CalendarSpec
    clock: Clock
    at: dt.datetime

    def __repr__(self) -> str:
        lines = [f"ClockCase(limit={self.clock.limit}, policy={self.clock.policy}, at={self.at}"]
        lines.append(f"  spec={self.spec!r}")
        lines.extend(f"  {event!r}" for event in self.clock.events)
        return "\n".join(lines) + ")"


def clock_calendar_specs(
    min_days: int = 40, max_days: int = 200
) -> st.SearchStrategy[CalendarSpec]:
    """Calendars for clocks: a range long enough to count in, usually a working week."""

    @st.composite
    def build(draw: st.DrawFn) -> CalendarSpec:
        first = draw(st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 1)))
        last = first + dt.timedelta(days=draw(st.integers(min_days, max_days)))
        count = draw(st.integers(0, 2))
        layers = tuple(draw(overlays(first, last, f"layer{i}")) for i in range(count))
        mask = draw(st.one_of(st.just(MONDAY_TO_FRIDAY), weekmasks()))
        return CalendarSpec(layers, first, last, mask, draw(hall_hours()))

    return build()


def clock_limits() -> st.SearchStrategy[Limit]:
    """Working days 1–30, calendar days 1–30, working hours 1–40, or same day."""
    return st.one_of(
        st.integers(1, 30).map(Limit.working_days),
        st.integers(1, 30).map(Limit.calendar_days),
        st.integers(1, 40).map(Limit.working_hours),
        st.just(Limit.same_day()),
    )


def _edges(spec: CalendarSpec, day: dt.date) -> list[dt.time]:
    """The interesting wall times of ``day``: shift starts and ends, closing, cut-off."""
    hours = spec.hours
    out = [t for s in hours.shifts_on(day.weekday()) for t in (s.start, s.end)]
    out.append(hours.cutoff_on(day.weekday()))
    return out


@st.composite
def instants_after(
    draw: st.DrawFn, spec: CalendarSpec, after: dt.datetime, max_days: int = 12
) -> dt.datetime:
    """A whole-minute instant at or after ``after``: often the same one, a closing time or a
    shift edge a few days on; now and then expressed in UTC rather than the hall's zone."""
    tz = spec.hours.tzinfo
    local = after.astimezone(tz)
    kind = draw(st.sampled_from(["same", "minutes", "edge", "any"]))
    if kind == "same":
        when = local
    elif kind == "minutes":
        when = local + dt.timedelta(minutes=draw(st.integers(1, 600)))
    else:
        day = local.date() + dt.timedelta(days=draw(st.integers(0, max_days)))
        if kind == "edge":
            wall = draw(st.sampled_from(_edges(spec, day)))
        else:
            minute = draw(st.integers(0, 24 * 60 - 1))
            wall = dt.time(minute // 60, minute % 60)
        when = max(dt.datetime.combine(day, wall, tzinfo=tz), local)
    if draw(st.integers(0, 4)) == 0:
        return when.astimezone(dt.UTC)
    return when


_EXCLUDED_REASONS = [
    PauseReason.HEARING,
    PauseReason.INSPECTION,
    PauseReason.EXPERT_REVIEW,
    PauseReason.PUBLIC_NOTICE,
    PauseReason.CORRECTION,
]


_RUNNING_KINDS = ["pause", "correction", "exclude", "exclude", "extend", "restart", "stop"]
_PAUSED_KINDS = ["resume", "resume", "resume", "extend", "restart", "stop"]


def _excluded_lengths() -> st.SearchStrategy[Limit]:
    return st.one_of(
        st.integers(1, 10).map(Limit.working_days),
        st.integers(1, 10).map(Limit.calendar_days),
        st.integers(1, 16).map(Limit.working_hours),
    )


def _extra(limit: Limit) -> st.SearchStrategy[Limit]:
    top = 20 if limit.unit is Unit.WORKING_HOURS else 15
    return st.integers(1, top).map(lambda n: Limit(n, limit.unit))


@st.composite
def clock_histories(
    draw: st.DrawFn, spec: CalendarSpec, limit: Limit, max_events: int = 6
) -> Clock:
    """A clock on ``spec`` with a random valid history, built through :meth:`Clock.apply`.

    Events come in time order, chosen to fit the state the clock reports: pauses of several
    reasons (corrections among them, ended by a resume or a restart), excluded periods,
    extensions, restarts and perhaps a stop. Extensions the clock refuses (after expiry)
    are left out; a history that runs off the calendar's range stops growing.
    """
    calendar = WorkCalendar(spec.layers, **spec.kwargs())
    policy = ClockPolicy(allow_late_extension=draw(st.booleans()))
    span = (spec.last - spec.first).days
    tz = spec.hours.tzinfo
    day = spec.first + dt.timedelta(days=draw(st.integers(0, span // 4)))
    minute = draw(st.one_of(st.integers(0, 24 * 60 - 1), st.integers(0, 95).map(lambda q: q * 15)))
    start = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)
    if draw(st.booleans()):
        start = dt.datetime.combine(day, draw(st.sampled_from(_edges(spec, day))), tzinfo=tz)
    clock = Clock.start("case", limit, calendar, start, policy=policy)
    when = start
    for _ in draw(st.lists(st.none(), min_size=min(1, max_events), max_size=max_events)):
        when = draw(instants_after(spec, when))
        try:
            state = clock.state(when)
        except CalendarRangeError:
            break
        kinds = _RUNNING_KINDS if state is ClockState.RUNNING else _PAUSED_KINDS
        kind = draw(st.sampled_from(kinds))
        event: ClockEvent
        if kind == "pause":
            event = Paused(when, draw(st.sampled_from(list(PauseReason))))
        elif kind == "correction":
            event = Paused(when, PauseReason.CORRECTION)
        elif kind == "exclude":
            reason = draw(st.sampled_from(_EXCLUDED_REASONS))
            event = Excluded(when, length=draw(_excluded_lengths()), reason=reason)
        elif kind == "resume":
            event = Resumed(when)
        elif kind == "extend" and limit.unit is not Unit.SAME_DAY:
            event = Extended(when, extra=draw(_extra(limit)), approved_by="director")
        elif kind in ("restart", "extend"):
            event = Restarted(when)
        else:
            event = Stopped(when)
        try:
            clock = clock.apply(event)
        except ExtensionRefusedError:
            continue
        except CalendarRangeError:
            break
        if isinstance(event, Stopped):
            break
    return clock


@st.composite
def clock_cases(draw: st.DrawFn, max_days: int = 200) -> ClockCase:
    """A calendar, a limit, a clock with a random valid history, and an instant to ask about.

    The instant is at or after the start: often at an event, a closing time or a shift
    edge, sometimes well past the last event (less far for working-hour limits, which the
    reference counts minute by minute).
    """
    spec = draw(clock_calendar_specs(max_days=max_days))
    limit = draw(clock_limits())
    clock = draw(clock_histories(spec, limit))
    anchor = draw(st.sampled_from([e.at for e in clock.events]))
    reach = 10 if limit.unit is Unit.WORKING_HOURS else 45
    at = draw(instants_after(spec, anchor, max_days=reach))
    return ClockCase(spec, clock, at)


# ---- bulk clocks


@attrs.define(frozen=True)
class BulkCase:
    """Several random clocks on one calendar spec (each clock on its own twin calendar),
    a second calendar for recomputation (the spec plus one more layer), and an instant at or
    after every start."""

    spec: CalendarSpec
    clocks: tuple[Clock, ...]
    other: WorkCalendar
    at: dt.datetime

    def __repr__(self) -> str:
        lines = [f"BulkCase(at={self.at}", f"  spec={self.spec!r}"]
        for clock in self.clocks:
            lines.append(f"  clock {clock.limit}, {clock.policy}:")
            lines.extend(f"    {event!r}" for event in clock.events)
        lines.append(f"  other layers={self.other.layers!r}")
        return "\n".join(lines) + ")"


@st.composite
def bulk_clock_cases(draw: st.DrawFn, max_clocks: int = 6, max_days: int = 200) -> BulkCase:
    """A calendar spec, 1–``max_clocks`` clocks with random histories on it, a second
    calendar differing by one layer, and an instant at or after every clock's start (often
    after every event, so that the reduced histories are the whole ones)."""
    spec = draw(clock_calendar_specs(max_days=max_days))
    count = draw(st.integers(1, max_clocks))
    clocks = tuple(draw(clock_histories(spec, draw(clock_limits()))) for _ in range(count))
    latest = max(c.events[0].at for c in clocks)
    if draw(st.booleans()):
        latest = max(c.events[-1].at for c in clocks)
    at = draw(instants_after(spec, latest, max_days=30))
    extra = draw(overlays(spec.first, spec.last, "notice"))
    other = WorkCalendar((*spec.layers, extra), **spec.kwargs())
    return BulkCase(spec, clocks, other, at)


# ---- seals

JSON_INT_LIMIT = 2**53 - 1


def json_scalars() -> st.SearchStrategy[Any]:
    """JSON scalars the canonical form accepts: null, booleans, safe integers, finite
    floats (negative zero included) and Unicode text (no lone surrogates)."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-JSON_INT_LIMIT, JSON_INT_LIMIT),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
        st.sampled_from(["准予许可", "行政审批专用章", "", "\u2028", "\U0001f600", 'a"\\\n']),
    )


def json_keys() -> st.SearchStrategy[str]:
    """Object member names, with characters whose UTF-16 order differs from code points."""
    return st.one_of(st.text(max_size=6), st.sampled_from(["a", "A", "é", "\U0001f600", "\ufb33"]))


def json_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Nested JSON values: scalars inside lists and objects."""
    return st.recursive(
        json_scalars(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_keys(), inner, max_size=4),
        max_leaves=max_leaves,
    )


def json_documents(max_leaves: int = 20) -> st.SearchStrategy[dict[str, Any]]:
    """JSON objects, the shape of a document to be sealed."""
    return st.dictionaries(json_keys(), json_values(max_leaves), max_size=6)


# ---- model

import functools  # noqa: E402

import hallflow.testing.strategies as _public  # noqa: E402
from hallflow.model import (  # noqa: E402
    PROXY_VARIANT,
    USCC_ALPHABET,
    USCC_TYPES,
    ABPost,
    Applicant,
    Authority,
    Contact,
    Leave,
    LegalPerson,
    NaturalPerson,
    Organisation,
    Power,
    Role,
    Staff,
    Variant,
    Window,
    WindowKind,
    check_digit_resident,
    check_digit_uscc,
)

__all__ += [
    "applicants",
    "catalogues",
    "contacts",
    "legal_persons",
    "matters",
    "natural_persons",
    "organisations",
    "resident_ids",
    "usccs",
]

_NAME_CHARS = "abcdefgh 事项窗口中心部门张王李"


def _names(max_size: int = 12) -> st.SearchStrategy[str]:
    """Non-blank names, some with Chinese characters."""
    return st.text(alphabet=_NAME_CHARS, min_size=0, max_size=max_size).map(lambda s: "n" + s)


def _codes(prefix: str) -> st.SearchStrategy[str]:
    return st.integers(0, 999).map(lambda n: f"{prefix}{n:03d}")


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    """A valid GB 11643 resident ID number (lower-case x never appears)."""
    region = f"{draw(st.integers(1, 9))}{draw(st.integers(0, 99999)):05d}"
    born = draw(st.dates(dt.date(1800, 1, 1), dt.date(2099, 12, 31)))
    body = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + check_digit_resident(body)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    """A valid GB 32100 unified social credit code with an assigned authority and type."""
    authority = draw(st.sampled_from(sorted(USCC_TYPES)))
    kind = draw(st.sampled_from(sorted(USCC_TYPES[authority])))
    region = f"{draw(st.integers(1, 9))}{draw(st.integers(0, 99999)):05d}"
    body = "".join(draw(st.lists(st.sampled_from(USCC_ALPHABET), min_size=9, max_size=9)))
    first17 = f"{authority}{kind}{region}{body}"
    return first17 + check_digit_uscc(first17)


def contacts() -> st.SearchStrategy[Contact]:
    """Contacts with a mobile number, sometimes an address and an e-mail address."""
    return st.builds(
        Contact,
        phone=st.integers(13000000000, 19999999999).map(str),
        address=st.sampled_from(["", "1 Renmin Road", "人民路1号"]),
        email=st.sampled_from(["", "a@example.cn"]),
    )


def natural_persons() -> st.SearchStrategy[NaturalPerson]:
    """Citizens with valid ID numbers."""
    return st.builds(NaturalPerson, _names(), resident_ids(), st.none() | contacts())


def legal_persons() -> st.SearchStrategy[LegalPerson]:
    """Organisations with valid credit codes and a representative."""
    return st.builds(LegalPerson, _names(), usccs(), natural_persons(), st.none() | contacts())


def applicants() -> st.SearchStrategy[Applicant]:
    """Natural or legal persons."""
    return st.one_of(natural_persons(), legal_persons())


_VARIANTS = (PROXY_VARIANT, Variant("second", "this is a second withdrawal"))


# Matters and catalogues: the public strategies plugin authors use (hallflow.testing).
matters = _public.matters
catalogues = _public.catalogues


def _days_after(first: dt.date, days: int) -> dt.date:
    return first + dt.timedelta(days=days)


@st.composite
def organisations(draw: st.DrawFn) -> Organisation:
    """Organisations with windows, staff, authorities, leaves and A/B posts that all
    refer to known codes."""
    windows = []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(list(WindowKind)))
        department: str | None = draw(st.sampled_from(["dept-a", "dept-b"]))
        if kind is not WindowKind.DEPARTMENT and draw(st.booleans()):
            department = None
        served = draw(st.frozensets(_codes("M"), max_size=3))
        windows.append(Window(f"w{i}", draw(_names()), kind, department, served))
    people = [
        Staff(
            f"s{i}",
            draw(_names()),
            draw(st.sampled_from(["dept-a", "dept-b"])),
            draw(st.frozensets(st.sampled_from(list(Role)))),
        )
        for i in range(draw(st.integers(1, 5)))
    ]
    staff_codes = [s.code for s in people]
    window_codes = [w.code for w in windows]
    day = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))
    authorities = []
    for i in range(draw(st.integers(0, 5))):
        first = draw(day)
        until = st.integers(0, 400).map(functools.partial(_days_after, first))
        authorities.append(
            Authority(
                draw(st.sampled_from(staff_codes)),
                draw(st.frozensets(st.sampled_from(list(Power)), min_size=1)),
                draw(st.none() | st.frozensets(_codes("M"), max_size=3)),
                draw(st.none() | st.frozensets(st.sampled_from(window_codes), max_size=2)),
                valid_from=first,
                valid_to=draw(st.none() | until),
                issued_by=draw(_names()),
                document=f"doc-{i}",
            )
        )
    leaves = []
    for _ in range(draw(st.integers(0, 3))):
        who = draw(st.sampled_from(staff_codes))
        first = draw(day)
        others = [c for c in staff_codes if c != who]
        leaves.append(
            Leave(
                who,
                first,
                first + dt.timedelta(draw(st.integers(0, 30))),
                draw(st.none() | st.sampled_from(others)) if others else None,
            )
        )
    posts = []
    if len(staff_codes) >= 2:
        for _ in range(draw(st.integers(0, 2))):
            a, b = draw(st.lists(st.sampled_from(staff_codes), min_size=2, max_size=2, unique=True))
            posts.append(ABPost(a, b))
    return Organisation(
        tuple(windows), tuple(people), tuple(authorities), tuple(leaves), tuple(posts)
    )


# --- documents to seal (canonical bytes: the fast path against the reference) ---

_UTF8_TEXT = st.characters(codec="utf-8")

_TRICKY_CHARS = (
    [chr(c) for c in range(0x20)]  # control characters: the short and the \u00xx escapes
    + ['"', "\\", "/", "\x7f", "\x80", "\xa0", "\u2028", "\u2029"]  # the last four: literal
    + ["a", "A", "é", "中", "国", "\ud7ff"]
    + ["\ue000", "\uf8ff", "\ufb33", "\ufeff", "\uff08", "\uff1a", "\ufffd", "\uffff"]
    + ["\U00010000", "\U0001d11e", "\U0001f600", "\U00020000", "\U0010ffff"]  # beyond U+FFFF
)
"""Characters where JSON escaping or UTF-16 member order is easy to get wrong."""


def json_texts(max_size: int = 10) -> st.SearchStrategy[str]:
    """Valid Unicode text (never a lone surrogate), rich in characters that are hard on JSON.

    Control characters, quotes and backslashes (which JSON escapes), DEL, U+2028 and U+2029
    (which RFC 8785 writes as they are), characters in U+E000–U+FFFF and beyond U+FFFF
    (whose order by UTF-16 code units differs from their order by code points), Chinese
    text, and arbitrary text.

    Args:
        max_size: the most characters drawn.
    """
    tricky = st.sampled_from(_TRICKY_CHARS)
    return st.one_of(
        st.text(tricky, max_size=max_size),
        st.text(tricky | _UTF8_TEXT, max_size=max_size),
        st.text(_UTF8_TEXT, max_size=max_size),
        st.sampled_from(["", "准予许可", "行政审批专用章", "金额（元）", 'a"\\\n\u2028\U0001f600']),
    )


def _json_integers() -> st.SearchStrategy[int]:
    """Integers a JSON document may hold: exact doubles, on both sides of ±(2**53 − 1)."""
    edges = [0, 1, -1, JSON_INT_LIMIT, -JSON_INT_LIMIT, 2**53, -(2**53), 2**60, 10**21]
    return st.one_of(
        st.integers(-(10**6), 10**6),
        st.integers(-JSON_INT_LIMIT, JSON_INT_LIMIT),
        st.sampled_from(edges),
        st.integers(-1074, 1023).map(lambda e: 2**e if e >= 0 else 0),
        st.integers(54, 1023).map(lambda e: -(2**e)),
    )


def sealable_documents(
    doubles: bool = True, max_leaves: int = 20
) -> st.SearchStrategy[dict[str, Any]]:
    """JSON objects that :func:`~hallflow.seals.canonical_bytes` accepts.

    Nested objects and lists holding ``None``, booleans, integers (some beyond
    ±(2**53 − 1), where only exact doubles are allowed), text from :func:`json_texts` in
    member names and values, and, when ``doubles`` is true, finite floats (``-0.0`` too).

    Args:
        doubles: draw numbers that RFC 8785 writes as doubles: floats, and integers beyond
            ±(2**53 − 1). Without them a document holds only integers in that range.
        max_leaves: about the most scalars in a document.
    """
    scalars: list[st.SearchStrategy[Any]] = [
        st.none(),
        st.booleans(),
        st.integers(-JSON_INT_LIMIT, JSON_INT_LIMIT),
        json_texts(),
    ]
    if doubles:
        scalars += [_json_integers(), st.floats(allow_nan=False, allow_infinity=False)]
    names = json_texts(max_size=4)
    values = st.recursive(
        st.one_of(scalars),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4),
        max_leaves=max_leaves,
    )
    return st.dictionaries(names, values, max_size=8)


_Container: TypeAlias = "dict[Any, Any] | list[Any]"


def _containers(document: dict[str, Any]) -> list[tuple[_Container, ...]]:
    """Every object and list in a document, each with its ancestors (root first).

    A container met twice (the document may already hold a cycle) is listed once.
    """
    out: list[tuple[_Container, ...]] = []
    seen: set[int] = set()
    stack: list[tuple[_Container, ...]] = [(document,)]
    while stack:
        chain = stack.pop()
        here = chain[-1]
        if id(here) in seen:
            continue
        seen.add(id(here))
        out.append(chain)
        items = here.values() if isinstance(here, dict) else here
        stack.extend((*chain, item) for item in items if isinstance(item, dict | list))
    return out


def _lone_surrogates() -> st.SearchStrategy[str]:
    """Text with at least one lone surrogate (it has no UTF-8 form)."""
    surrogate = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
    return st.tuples(json_texts(4), surrogate, json_texts(4)).map("".join)


def _non_json_values() -> st.SearchStrategy[Any]:
    """Values with no place in a JSON document, not even as a double."""
    return st.one_of(
        _lone_surrogates(),
        st.sampled_from([math.nan, math.inf, -math.inf]),
        st.sampled_from([2**53 + 1, -(2**53 + 1), 2**64 + 1, 10**400, -(10**400)]),
        st.frozensets(st.integers(0, 3)).map(set),
        st.binary(max_size=4),
        st.sampled_from([Decimal("1.50"), dt.date(2026, 1, 1), object(), 1j]),
    )


def _non_json_names() -> st.SearchStrategy[Any]:
    """Member names JSON refuses: lone surrogates and non-strings."""
    return st.one_of(
        _lone_surrogates(),
        st.sampled_from([0, 1, -1, None, True, False, 1.5, (1, 2), b"a", Decimal("1")]),
    )


@st.composite
def unsealable_documents(draw: st.DrawFn, max_leaves: int = 20) -> dict[str, Any]:
    """JSON objects with one to three things :func:`~hallflow.seals.canonical_bytes` refuses.

    A document from :func:`sealable_documents` with each fault planted in an object or list
    anywhere in it: a value with no JSON form (a lone surrogate, NaN or an infinity, an
    integer no double holds, a set, bytes, a date, a Decimal...), a member name that is not
    valid text (a lone surrogate, a number, ``None``, a tuple...), or a container that holds
    one of its own ancestors (a cycle).

    Args:
        draw: supplied by hypothesis.
        max_leaves: about the most scalars in the document around the faults.
    """
    document = draw(sealable_documents(max_leaves=max_leaves))
    for _ in range(draw(st.integers(1, 3))):
        chain = draw(st.sampled_from(_containers(document)))
        target = chain[-1]
        fault = draw(st.sampled_from(["value", "name", "cycle"]))
        bad = draw(st.sampled_from(chain)) if fault == "cycle" else draw(_non_json_values())
        if isinstance(target, list):
            target.insert(draw(st.integers(0, len(target))), bad)
        elif fault == "name":
            target[draw(_non_json_names())] = draw(st.one_of(st.none(), json_texts()))
        else:
            target[draw(json_texts(4))] = bad
    return document


# ---- hall calls: the command boundary (test_boundary, test_fuzz_hall, test_authority,
# test_time_order, test_idempotency)

import copy  # noqa: E402
import inspect  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sqlite3  # noqa: E402
from collections.abc import Mapping, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from hallflow.cases import Case, CaseState, Hall  # noqa: E402
from hallflow.model import applicant_key  # noqa: E402
from hallflow.seals import SealKind  # noqa: E402
from hallflow.store.base import CaseRow, EventStore, NewEvent  # noqa: E402

__all__ += [
    "HALL_METHODS",
    "SCENE_STATES",
    "STORE_METHODS",
    "CaseOf",
    "CommandOf",
    "DayAfter",
    "Earlier",
    "HallCall",
    "HallVocabulary",
    "Later",
    "NaiveNow",
    "OpinionOf",
    "RowAfter",
    "Scene",
    "StoreCall",
    "VersionOf",
    "bad_case_ids",
    "bad_hall_instants",
    "build_scene",
    "case_of",
    "hall_calls",
    "hall_instants",
    "junk",
    "last_instant",
    "log_snapshot",
    "loose",
    "public_methods",
    "slow_selected",
    "sqlite_dump",
    "store_calls",
    "vocabulary",
]

LogSnapshot: TypeAlias = "list[tuple[str, list[tuple[int, str, str, str, str]], CaseRow]]"


def log_snapshot(store: EventStore) -> LogSnapshot:
    """Everything a store holds about its cases, as plain comparable values.

    Each case's events (seq, kind, actor, instant in its own zone, payload as sorted JSON)
    and its row: two snapshots are equal exactly when nothing was recorded in between.
    """
    return [
        (
            cid,
            [
                (e.seq, e.kind, e.actor, e.at.isoformat(), json.dumps(e.payload, sort_keys=True))
                for e in store.load(cid)
            ],
            store.row(cid),
        )
        for cid in store.case_ids()
    ]


def sqlite_dump(path: str | Path) -> bytes:
    """The SQL dump of a database file, read through a connection of its own."""
    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump()).encode("utf-8")
    finally:
        conn.close()


def public_methods(cls: type) -> set[str]:
    """The public methods of a class (not properties, not dunders)."""
    return {
        name
        for name, value in inspect.getmembers(cls)
        if not name.startswith("_") and inspect.isfunction(value)
    }


def slow_selected(config: Any) -> bool:
    """Whether this run asked for the tests marked ``slow`` (``-m slow``, or
    ``HALLFLOW_SLOW=1``); without it they skip, so that the default run stays quick."""
    return "slow" in str(config.getoption("markexpr") or "") or bool(
        os.environ.get("HALLFLOW_SLOW")
    )


def last_instant(hall: Hall, case_id: str) -> dt.datetime:
    """The instant of a case's last event."""
    return hall.store.load(case_id)[-1].at


def loose(value: object) -> Any:
    """``value`` typed as Any, to make calls with arguments of the wrong type on purpose."""
    return value


def case_of(result: object) -> Case:
    """``result``, checked to be a Case."""
    assert isinstance(result, Case), f"expected a Case, got {result!r}"
    return result


# -- references: arguments that depend on the hall, the store or the present, resolved when
# the call runs (so that a strategy is built once and its calls read well when shown)


@attrs.define(frozen=True)
class Later:
    """``now`` plus some minutes, in the hall's zone or in UTC."""

    minutes: int
    utc: bool = False

    def resolve(self, target: Any, now: dt.datetime) -> Any:
        when = now + dt.timedelta(minutes=self.minutes)
        return when.astimezone(dt.UTC) if self.utc else when

    def __repr__(self) -> str:
        return f"now+{self.minutes}min" + (" (UTC)" if self.utc else "")


@attrs.define(frozen=True)
class Earlier:
    """``now`` minus some minutes: out of order with the case's last event."""

    minutes: int

    def resolve(self, target: Any, now: dt.datetime) -> Any:
        return now - dt.timedelta(minutes=self.minutes)

    def __repr__(self) -> str:
        return f"now-{self.minutes}min"


@attrs.define(frozen=True)
class NaiveNow:
    """``now`` without its zone."""

    def resolve(self, target: Any, now: dt.datetime) -> Any:
        return now.replace(tzinfo=None)

    def __repr__(self) -> str:
        return "naive(now)"


@attrs.define(frozen=True)
class DayAfter:
    """The day of ``now`` plus some days (negative: before)."""

    days: int

    def resolve(self, target: Any, now: dt.datetime) -> Any:
        return now.date() + dt.timedelta(days=self.days)

    def __repr__(self) -> str:
        return f"today{self.days:+d}d"


@attrs.define(frozen=True)
class CaseOf:
    """Stands for ``hall.case(case_id)`` (for queries that take a Case)."""

    case_id: str

    def resolve(self, target: Any, now: dt.datetime) -> Any:
        return target.case(self.case_id)


@attrs.define(frozen=True)
class OpinionOf:
    """Stands for the case's ``index``-th opinion, or None when it has fewer."""

    case_id: str
    index: int

    def resolve(self, target: Any, now: dt.datetime) -> Any:
        opinions = target.case(self.case_id).opinions
        return opinions[self.index] if self.index < len(opinions) else None


@attrs.define(frozen=True)
class VersionOf:
    """Stands for ``store.version(case_id)``."""

    case_id: str

    def resolve(self, target: Any, now: dt.datetime) -> Any:
        return target.version(self.case_id)


@attrs.define(frozen=True)
class RowAfter:
    """Stands for a valid row of ``case_id`` after ``added`` more events."""

    case_id: str
    added: int

    def resolve(self, target: Any, now: dt.datetime) -> Any:
        version = max(target.version(self.case_id) + self.added, 1)
        return CaseRow(self.case_id, "plan-01", "key", "c1", "submitted", None, version)


@attrs.define(frozen=True)
class CommandOf:
    """Stands for a command value of :mod:`hallflow.cases.commands`, built when the call
    runs (building it validates its fields, so a bad field is refused then)."""

    name: str
    fields: Mapping[str, Any]

    def resolve(self, target: Any, now: dt.datetime) -> Any:
        from hallflow.cases import commands

        fields = {k: _resolve(target, now, v) for k, v in self.fields.items()}
        return getattr(commands, self.name)(**fields)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.fields.items())
        return f"{self.name}({shown})"


_Ref = Later | Earlier | NaiveNow | DayAfter | CaseOf | OpinionOf | VersionOf | RowAfter | CommandOf


def _resolve(target: Any, now: dt.datetime, value: Any) -> Any:
    return value.resolve(target, now) if isinstance(value, _Ref) else value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 70 else text[:67] + "..."


@attrs.define(frozen=True, repr=False)
class HallCall:
    """One call of a public Hall method, with its arguments (some may be references)."""

    method: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]

    def __repr__(self) -> str:
        shown = [_show(a) for a in self.args] + [f"{k}={_show(v)}" for k, v in self.kwargs.items()]
        return f"hall.{self.method}({', '.join(shown)})"

    def resolve(self, hall: Hall, now: dt.datetime) -> tuple[list[Any], dict[str, Any]]:
        """The arguments, references resolved against ``hall`` and ``now``."""
        args = [_resolve(hall, now, a) for a in self.args]
        kwargs = {k: _resolve(hall, now, v) for k, v in self.kwargs.items()}
        return args, kwargs

    def run(self, hall: Hall, now: dt.datetime) -> tuple[Any, Any]:
        """Make the call; return its result and the instant it was given (or None)."""
        args, kwargs = self.resolve(hall, now)
        at = args[0] if self.method == "sweep" and args else kwargs.get("at")
        return getattr(hall, self.method)(*args, **kwargs), at


@attrs.define(frozen=True, repr=False)
class StoreCall:
    """One call of a public store method."""

    method: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]

    def __repr__(self) -> str:
        shown = [_show(a) for a in self.args] + [f"{k}={_show(v)}" for k, v in self.kwargs.items()]
        return f"store.{self.method}({', '.join(shown)})"

    def run(self, store: EventStore, now: dt.datetime) -> Any:
        """Resolve the references and make the call."""
        args = [_resolve(store, now, a) for a in self.args]
        kwargs = {k: _resolve(store, now, v) for k, v in self.kwargs.items()}
        return getattr(store, self.method)(*args, **kwargs)


# -- values no command should take


class _Opaque:
    """An object of no type a command knows."""

    def __repr__(self) -> str:
        return "<opaque>"


_JUNK: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    1,
    -1,
    2**63,
    -(2**63) - 1,
    10**30,
    1.5,
    -0.0,
    math.nan,
    math.inf,
    -math.inf,
    "",
    " ",
    "\x00",
    "\ud800",
    "a\udfffb",
    b"bytes",
    [],
    ["x"],
    [1, None],
    {},
    {"a": 1},
    {1: 2},
    (),
    frozenset({1}),
    _Opaque(),
    Decimal("1.5"),
    dt.date(2026, 11, 2),
    dt.datetime(2026, 11, 2, 10, 0),  # naive
    dt.timedelta(days=1),
    Limit.working_days(3),
    1j,
)


def junk() -> st.SearchStrategy[Any]:
    """Values of the wrong type or shape for any argument: None, booleans, huge integers,
    NaN and infinities, blank and lone-surrogate text, bytes, containers, naive datetimes,
    Decimals, limits, opaque objects, arbitrary text and integers. Each draw is a fresh copy."""
    return st.one_of(
        st.sampled_from(_JUNK).map(copy.copy),
        _SURROGATE_TEXT,
        st.integers(),
        st.floats(),
        st.text(max_size=6),
        st.lists(st.integers(), max_size=3),
    )


_SURROGATE_TEXT = st.builds(
    "{}{}{}".format,
    st.text(max_size=3),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    st.text(max_size=3),
)
"""Text with a lone surrogate (it has no UTF-8 form), cheaply drawn."""


def bad_case_ids() -> st.SearchStrategy[Any]:
    """Case ids no case has: lists, ints, None, empty, lone surrogates, unknown text."""
    return st.one_of(
        st.sampled_from([None, "", 1, 2**70, ["case-0001"], ("x",), "\ud800", "case-\udc00"]),
        st.sampled_from(["case-unknown", "scene-nope", " "]),
        junk(),
    )


def hall_instants(spread_days: int = 3) -> st.SearchStrategy[Later]:
    """Instants at or after the present of the run: often exactly then, minutes or days
    later, sometimes in UTC rather than the hall's zone."""
    return st.builds(
        Later,
        st.one_of(st.just(0), st.integers(1, 240), st.integers(0, spread_days * 24 * 60)),
        st.booleans(),
    )


def bad_hall_instants(tz: dt.tzinfo | None = None) -> st.SearchStrategy[Any]:
    """Instants a command must refuse: before the present of the run (out of order with the
    case), naive, huge, beyond any calendar, not datetimes at all."""
    tz = tz or dt.timezone(dt.timedelta(hours=8))
    return st.one_of(
        st.builds(Earlier, st.integers(1, 40 * 24 * 60)),
        st.just(NaiveNow()),
        st.sampled_from(
            [
                None,
                "2026-11-02T10:00:00+08:00",
                dt.date(2026, 11, 2),
                1_793_000_000.0,
                dt.datetime(9999, 12, 31, 23, 59, tzinfo=tz),
                dt.datetime.max.replace(tzinfo=dt.UTC),
                dt.datetime.min.replace(tzinfo=tz),
                dt.datetime(2099, 6, 1, 10, 0, tzinfo=tz),
                dt.datetime(1990, 6, 1, 10, 0, tzinfo=tz),
            ]
        ),
        junk(),
    )


# -- what a hall knows


@attrs.define(frozen=True)
class HallVocabulary:
    """The codes a hall knows, to draw well-typed arguments from."""

    staff: tuple[str, ...]
    applicants: tuple[Applicant, ...]
    windows: tuple[str, ...]
    matters: tuple[str, ...]
    materials: tuple[str, ...]
    steps: tuple[str, ...]
    departments: tuple[str, ...]
    seals: tuple[str, ...]

    @property
    def actors(self) -> tuple[str, ...]:
        """Staff, the applicant (bare and by key), supervision and a stranger."""
        keys = tuple(f"applicant:{applicant_key(a)}" for a in self.applicants)
        return (*self.staff, "applicant", *keys, "supervision", "ghost")


def vocabulary(hall: Hall, applicants: Sequence[Applicant]) -> HallVocabulary:
    """The vocabulary of ``hall``, with the applicants who will apply to it."""
    matters = list(hall.catalogue)
    departments = {s.department for s in hall.organisation.staff_members}
    for matter in matters:
        departments.add(matter.department)
        if matter.joint is not None:
            departments.update(c.department for c in matter.joint.co_departments)
    return HallVocabulary(
        staff=tuple(s.code for s in hall.organisation.staff_members),
        applicants=tuple(applicants),
        windows=tuple(w.code for w in hall.organisation.windows),
        matters=tuple(m.code for m in matters),
        materials=tuple(sorted({x.code for m in matters for x in m.materials})),
        steps=tuple(sorted({s.code for m in matters for s in m.procedure.steps})),
        departments=tuple(sorted(departments)),
        seals=tuple(seal.code for seal in hall.seals),
    )


# -- call strategies


@attrs.define(frozen=True)
class _Param:
    """One parameter of a method: well-typed values and values of the wrong type or shape."""

    name: str
    valid: st.SearchStrategy[Any]
    invalid: st.SearchStrategy[Any]
    keyword: bool = True
    default: bool = False  # it has a default, so a call may leave it out


@st.composite
def _calls(draw: st.DrawFn, method: str, params: Sequence[_Param]) -> HallCall:
    """A call of ``method``: every argument well-typed, exactly one of the wrong type or
    shape, or each one either way."""
    mode = draw(st.sampled_from(["valid", "valid", "one", "one", "chaos"]))
    bad_index = draw(st.integers(0, len(params) - 1)) if mode == "one" and params else -1
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for i, param in enumerate(params):
        bad = i == bad_index or (mode == "chaos" and draw(st.booleans()))
        if not bad and param.default and draw(st.booleans()):
            continue
        value = draw(param.invalid if bad else param.valid)
        if param.keyword:
            kwargs[param.name] = value
        else:
            args.append(value)
    return HallCall(method, tuple(args), kwargs)


def _not_none(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return strategy.filter(lambda x: x is not None)


def _hall_params(
    v: HallVocabulary, ids: Sequence[str], spare: Sequence[str], time: st.SearchStrategy[Any]
) -> dict[str, list[_Param]]:
    bad = junk()
    bad_time = bad_hall_instants()
    known = st.sampled_from(ids)
    some_id = st.one_of(known, known, known, st.sampled_from(spare)) if spare else known
    case_id = _Param("case_id", some_id, bad_case_ids(), keyword=False)
    actor = _Param("actor", st.sampled_from(v.actors), st.one_of(bad, st.just("ghost")))
    at = _Param("at", time, bad_time)
    key = _Param(
        "idempotency_key",
        st.sampled_from([None, "key-1", "key-2", "key-3"]),
        st.one_of(bad, st.sampled_from(["", "\ud800", 7])),
        default=True,
    )
    materials = st.lists(st.sampled_from([*v.materials, "nope"]), max_size=3)
    bad_materials = st.one_of(bad, st.sampled_from(["form", [1], ["\ud800"], {"form": 1}]))
    step = st.sampled_from([*v.steps, "nope"])
    staff = st.sampled_from([*v.staff, "ghost"])
    reason = st.one_of(
        st.sampled_from(["per the review", "outside remit", "obtained by fraud", " "]),
        st.text(max_size=12),
    )
    bad_reason = st.one_of(bad, st.just(None))
    flag = st.booleans()
    bad_flag = st.one_of(bad, st.sampled_from(["no", "yes", 1, 0, None]))
    day = st.builds(DayAfter, st.integers(-2, 40))
    bad_day = st.one_of(
        bad, st.sampled_from([1.5, "2026-11-20", None]), st.builds(Later, st.just(0))
    )
    limits = st.one_of(
        st.integers(1, 12).map(Limit.working_days), st.integers(1, 12).map(Limit.calendar_days)
    )
    bad_limit = st.one_of(bad, st.sampled_from([5, 2.5, "5", None, dt.timedelta(days=5)]))
    facts = st.one_of(st.none(), st.dictionaries(st.text(max_size=4), json_scalars(), max_size=3))
    bad_facts = st.one_of(
        bad,
        st.sampled_from(
            [["a"], "facts", {"x": math.nan}, {1: "a"}, {"d": dt.date(2026, 1, 1)}, {"s": {1}}]
        ),
    )
    keys = [applicant_key(a) for a in v.applicants]
    states = st.sampled_from([*CaseState, *(s.value for s in CaseState)])
    a_case = _Param(
        "case",
        st.sampled_from(ids).map(CaseOf),
        st.one_of(bad, st.sampled_from(ids)),
        keyword=False,
    )
    c = case_id

    def positional(name: str, valid: st.SearchStrategy[Any], invalid: Any = bad) -> _Param:
        return _Param(name, valid, invalid, keyword=False)

    return {
        "submit": [
            positional("matter", st.sampled_from([*v.matters, "nope"])),
            positional(
                "applicant",
                st.one_of(st.sampled_from(v.applicants), natural_persons()),
                st.one_of(bad, st.sampled_from(keys)),
            ),
            positional("window", st.sampled_from([*v.windows, "nope"])),
            _Param("materials", materials, bad_materials),
            actor,
            at,
            _Param(
                "conditions",
                st.lists(st.sampled_from(["proxy", "second"]), max_size=2),
                st.one_of(bad, st.just("proxy")),
                default=True,
            ),
            _Param("facts", facts, bad_facts, default=True),
            _Param(
                "channel",
                st.sampled_from(["window", "online", "proxy"]),
                st.one_of(bad, st.just("anything")),
                default=True,
            ),
            _Param(
                "case_id",
                st.one_of(st.none(), st.sampled_from([*spare, *ids])),
                bad_case_ids(),
                default=True,
            ),
            key,
        ],
        "accept": [c, actor, at, key],
        "request_correction": [
            c,
            positional(
                "items",
                st.dictionaries(st.sampled_from([*v.materials, "nope"]), reason, max_size=3),
                st.one_of(bad, st.sampled_from([["form"], {"form": None}, {"form": 1}, "form"])),
            ),
            actor,
            at,
            key,
        ],
        "supply": [c, positional("materials", materials, bad_materials), actor, at, key],
        "accept_with_gaps": [
            c,
            positional("deferred", materials, bad_materials),
            positional("pledge_date", day, bad_day),
            actor,
            at,
            key,
        ],
        "supply_deferred": [c, positional("materials", materials, bad_materials), actor, at, key],
        "not_accept": [
            c,
            positional("reason", reason, bad_reason),
            actor,
            at,
            _Param(
                "redirect_window",
                st.sampled_from([None, *v.windows, "nope"]),
                _not_none(bad),
                default=True,
            ),
            key,
        ],
        "assign": [
            c,
            positional("step", step),
            positional(
                "signers",
                st.lists(staff, max_size=3),
                st.one_of(bad, st.sampled_from(["rev1", "rev1rev2", [None], [1, 2]])),
            ),
            actor,
            at,
            key,
        ],
        "add_signer": [c, positional("step", step), positional("signer", staff), actor, at, key],
        "transfer": [c, positional("step", step), positional("to", staff), actor, at, key],
        "sign": [c, positional("step", step), actor, at, key],
        "return_case": [
            c,
            positional("to", st.sampled_from([*v.steps, "window", "nope"])),
            positional("reason", reason, bad_reason),
            actor,
            at,
            key,
        ],
        "suspend": [
            c,
            positional(
                "reason",
                st.sampled_from([*PauseReason, *(r.value for r in PauseReason)]),
                st.one_of(bad, st.just("bogus")),
            ),
            actor,
            at,
            _Param("length", st.one_of(st.none(), limits), _not_none(bad_limit), default=True),
            key,
        ],
        "resume": [c, actor, at, key],
        "extend": [
            c,
            positional("extra", limits, bad_limit),
            _Param(
                "clock",
                st.sampled_from(["legal", "promised", "delivery", "nope"]),
                bad,
                default=True,
            ),
            actor,
            at,
            _Param("reason", reason, bad_reason),
            key,
        ],
        "give_opinion": [
            c,
            positional("department", st.sampled_from([*v.departments, "nope"])),
            positional("consent", flag, bad_flag),
            actor,
            at,
            _Param("reasons", reason, bad_reason, default=True),
            key,
        ],
        "sweep_opinions": [c, at],
        "decide": [
            c,
            positional("approve", flag, bad_flag),
            actor,
            at,
            _Param("reasons", reason, bad_reason, default=True),
            key,
        ],
        "deem_approved": [c, at],
        "approve_on_pledge": [c, positional("verify_by", day, bad_day), actor, at, key],
        "verify_pledge": [c, positional("kept", flag, bad_flag), actor, at, key],
        "seal": [c, positional("seal_code", st.sampled_from([*v.seals, "S-NOPE"])), actor, at, key],
        "deliver": [
            c,
            positional(
                "method",
                st.sampled_from(["in_person", "post", "unified"]),
                st.one_of(bad, st.just("drone")),
            ),
            actor,
            at,
            key,
        ],
        "withdraw": [c, actor, at, _Param("reason", reason, bad_reason, default=True), key],
        "revoke": [c, positional("reason", reason, bad_reason), actor, at, key],
        "quote": [c],
        "sweep": [positional("at", time, bad_time)],
        "case": [c],
        "find": [
            _Param("matter", st.sampled_from([*v.matters, "nope"]), _not_none(bad), default=True),
            _Param("applicant", st.sampled_from(keys), _not_none(bad), default=True),
            _Param("window", st.sampled_from(v.windows), _not_none(bad), default=True),
            _Param("state", states, _not_none(st.one_of(bad, st.just("bogus"))), default=True),
            _Param("due_from", time, _not_none(bad_time), default=True),
            _Param("due_to", time, _not_none(bad_time), default=True),
        ],
        "clocks": [a_case],
        "opinion_clock": [
            a_case,
            positional("opinion", st.builds(OpinionOf, st.sampled_from(ids), st.integers(0, 1))),
        ],
        "broken_pledges": [
            positional("applicant", st.one_of(st.sampled_from(keys), st.text(max_size=8)))
        ],
        "decision_document": [a_case],
        "execute": [
            positional(
                "command",
                _command_values(v, some_id, time),
                st.one_of(bad, st.builds(HallCall, st.just("accept"), st.just(()), st.just({}))),
            ),
            key,
        ],
        "case_ids": [],
        "current_seals": [],
        "seals_read": [],
        "activate_seal": [
            positional("code", st.sampled_from(["S-NEW-1", "S-NEW-2", *v.seals])),
            positional(
                "kind",
                st.sampled_from([*SealKind, *(k.value for k in SealKind)]),
                st.one_of(bad, st.just("bogus")),
            ),
            _Param("owner", st.sampled_from(v.departments), bad),
            _Param("holder", staff, bad),
            _Param("key_id", st.sampled_from(["plan-2026", "no-such-key"]), bad),
            actor,
            at,
        ],
        "change_seal": [
            positional("code", st.sampled_from(["S-NEW-1", *v.seals])),
            actor,
            at,
            _Param("holder", staff, _not_none(bad), default=True),
            _Param(
                "key_id",
                st.sampled_from(["plan-2026", "no-such-key"]),
                _not_none(bad),
                default=True,
            ),
        ],
        "revoke_seal": [
            positional("code", st.sampled_from(["S-NEW-1", *v.seals])),
            positional("reason", reason, bad_reason),
            actor,
            at,
        ],
        "audit": [_Param("checkpoints", st.just(()), _not_none(bad), default=True)],
        "checkpoint": [
            positional("private_key", st.just(_CHECKPOINT_KEY)),
            positional("key_id", st.sampled_from(["outside-1", "k"])),
        ],
    }


_CHECKPOINT_KEY = Ed25519PrivateKey.generate()


def _command_values(
    v: HallVocabulary, ids: st.SearchStrategy[Any], time: st.SearchStrategy[Any]
) -> st.SearchStrategy[CommandOf]:
    """Command values to give :meth:`Hall.execute` (a bad field now and then)."""
    actors = st.sampled_from(v.actors)
    field = st.one_of(st.just(None), junk())  # None: keep the drawn well-typed value

    @st.composite
    def build(draw: st.DrawFn) -> CommandOf:
        name = draw(st.sampled_from(["Accept", "Decide", "Sign", "Withdraw", "Submit"]))
        fields: dict[str, Any] = {"actor": draw(actors), "at": draw(time)}
        if name == "Submit":
            fields |= {
                "matter": draw(st.sampled_from(v.matters)),
                "applicant": draw(st.sampled_from(v.applicants)),
                "window": draw(st.sampled_from(v.windows)),
                "materials": draw(st.lists(st.sampled_from(v.materials), max_size=3)),
            }
        else:
            fields["case_id"] = draw(ids)
        if name == "Decide":
            fields |= {"approve": draw(st.booleans()), "reasons": "per the review"}
        elif name == "Sign":
            fields["step"] = draw(st.sampled_from(v.steps))
        if draw(st.integers(0, 3)) == 0:
            bad = draw(field)
            fields[draw(st.sampled_from(sorted(fields)))] = bad
        return CommandOf(name, fields)

    return build()


HALL_METHODS: tuple[str, ...] = (
    "accept",
    "accept_with_gaps",
    "activate_seal",
    "add_signer",
    "approve_on_pledge",
    "assign",
    "audit",
    "broken_pledges",
    "case",
    "case_ids",
    "change_seal",
    "checkpoint",
    "clocks",
    "current_seals",
    "decide",
    "decision_document",
    "deem_approved",
    "deliver",
    "execute",
    "extend",
    "find",
    "give_opinion",
    "not_accept",
    "opinion_clock",
    "quote",
    "request_correction",
    "resume",
    "return_case",
    "revoke",
    "revoke_seal",
    "seal",
    "seals_read",
    "sign",
    "submit",
    "supply",
    "supply_deferred",
    "suspend",
    "sweep",
    "sweep_opinions",
    "transfer",
    "verify_pledge",
    "withdraw",
)
"""The public Hall methods :func:`hall_calls` draws calls of."""


def hall_calls(
    vocab: HallVocabulary,
    case_ids: Sequence[str],
    *,
    spare_ids: Sequence[str] = (),
    methods: Sequence[str] = HALL_METHODS,
    time: st.SearchStrategy[Any] | None = None,
) -> st.SearchStrategy[HallCall]:
    """Calls of public Hall methods, each argument well-typed or of the wrong type or shape.

    Well-typed arguments come from the hall's vocabulary (real staff, steps, materials,
    windows, seals; a few unknown codes), ``case_ids`` and instants at or after the present
    of the run (:func:`hall_instants`, or ``time``); the others from :func:`junk`,
    :func:`bad_case_ids` and :func:`bad_hall_instants` (instants before the present, naive,
    huge...). In about two calls in five every argument is well-typed, in two exactly one
    is not, in one any may not be. Instants are :class:`Later`/:class:`Earlier` references:
    :meth:`HallCall.run` resolves them against the present it is given.

    Args:
        vocab: the hall's codes.
        case_ids: ids of stored cases, to call with.
        spare_ids: ids of cases that may come to be (submitted with them, or by the hall's
            id factory), called with less often, and given to ``submit`` as new ids.
        methods: the methods to call (all of :data:`HALL_METHODS` by default).
        time: the well-typed instants, instead of :func:`hall_instants`.
    """
    params = _hall_params(vocab, case_ids, spare_ids, hall_instants() if time is None else time)
    return st.one_of([_calls(method, params[method]) for method in methods])


STORE_METHODS: tuple[str, ...] = (
    "append",
    "case_ids",
    "find",
    "key_version",
    "load",
    "row",
    "version",
)
"""The store methods :func:`store_calls` knows the parameters of; any other public method
of a store is called with its required parameters drawn from case ids and junk."""


def _bad_payloads() -> st.SearchStrategy[Any]:
    return st.one_of(
        _non_json_values().map(lambda v: {"x": v}),
        _non_json_names().map(lambda k: {k: 1}),
        st.sampled_from([None, [1], "payload"]),
        st.just({"t": (1, 2)}),
    )


def store_calls(
    store_type: type, case_ids: Sequence[str], now: dt.datetime
) -> st.SearchStrategy[StoreCall]:
    """Calls of every public method of ``store``, with valid and garbage arguments.

    Valid appends create new cases or extend existing ones at their current version with a
    matching row; garbage ones have a wrong version, an empty or non-list event list, a
    payload with no JSON form, an instant too near the ends of time, a row for another case
    or version, a bad key... Reads get real ids and garbage.

    Args:
        store_type: the store's class (it decides which further public methods are called).
        case_ids: ids of stored cases.
        now: the instants of new events are at or after it.
    """
    bad = junk()
    ids = st.sampled_from(list(case_ids))
    any_id = st.one_of(ids, ids, bad_case_ids())
    fresh = st.integers(0, 20).map(lambda n: f"store-{n}")
    instant = st.integers(0, 10 * 24 * 60).map(lambda m: now + dt.timedelta(minutes=m))
    edge = st.sampled_from(
        [
            dt.datetime.min.replace(tzinfo=dt.timezone(dt.timedelta(hours=8))),
            dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        ]
    )
    payload = st.dictionaries(st.text(max_size=4), json_scalars(), max_size=3)
    kinds = st.sampled_from(["submitted", "note", "accepted"])
    actors = st.sampled_from(["clerk", "chief", "applicant"])
    good_event = st.builds(NewEvent, kinds, actors, instant, payload)
    bad_event = st.one_of(
        st.builds(NewEvent, kinds, actors, instant, _bad_payloads()),
        st.builds(NewEvent, kinds, actors, edge, payload),
        bad,
    )
    key = st.sampled_from([None, "k-1", "k-2"])
    bad_key = st.one_of(_not_none(bad), st.sampled_from(["", "\ud800"]))

    @st.composite
    def appends(draw: st.DrawFn) -> StoreCall:
        case: Any = draw(st.one_of(fresh, ids))
        events: Any = draw(st.lists(good_event, min_size=1, max_size=3))
        expected: Any = VersionOf(case)
        row: Any = RowAfter(case, len(events))
        kwargs: dict[str, Any] = {"idempotency_key": draw(key)}
        fault = draw(st.sampled_from(["none", "none", "case", "version", "events", "row", "key"]))
        if fault == "case":
            case = draw(bad_case_ids())
        elif fault == "version":
            expected = draw(st.one_of(bad, st.sampled_from([-1, True, "0", 2**70, 10**6])))
        elif fault == "events":
            events = draw(
                st.one_of(
                    bad,
                    st.sampled_from([[], "events", (None,)]),
                    bad_event.map(lambda e: [*events, e]),
                )
            )
        elif fault == "row":
            row = draw(
                st.one_of(
                    bad,
                    st.builds(RowAfter, ids, st.integers(-1, 5)),
                    st.builds(RowAfter, fresh, st.just(1)),
                )
            )
        elif fault == "key":
            kwargs[draw(st.sampled_from(append_keywords))] = draw(bad_key)
        return StoreCall("append", (case, expected, events, row), kwargs)

    append_keywords = sorted(
        name
        for name, p in inspect.signature(store_type.append).parameters.items()  # type: ignore[attr-defined]
        if p.kind is p.KEYWORD_ONLY
    )

    text_filter = st.sampled_from([None, "plan-01", "c1", "reviewing", "x"])
    bad_due = _not_none(st.one_of(bad_hall_instants(), edge))

    @st.composite
    def finds(draw: st.DrawFn) -> StoreCall:
        kwargs: dict[str, Any] = {}
        for name in ("matter", "applicant", "window", "state"):
            value = draw(st.one_of(text_filter, text_filter, _not_none(bad)))
            if value is not None:
                kwargs[name] = value
        for name in ("due_from", "due_to"):
            value = draw(st.one_of(st.none(), instant, bad_due))
            if value is not None:
                kwargs[name] = value
        return StoreCall("find", (), kwargs)

    def one(name: str) -> st.SearchStrategy[StoreCall]:
        return any_id.map(lambda c: StoreCall(name, (c,), {}))

    known: dict[str, st.SearchStrategy[StoreCall]] = {
        "append": appends(),
        "load": one("load"),
        "version": one("version"),
        "row": one("row"),
        "case_ids": st.just(StoreCall("case_ids", (), {})),
        "key_version": st.builds(
            lambda c, k: StoreCall("key_version", (c, k), {}),
            any_id,
            st.one_of(st.sampled_from(["k-1", "k-2", "key-1"]), bad),
        ),
        "find": finds(),
    }
    for name in sorted(public_methods(store_type) - set(STORE_METHODS) - {"close"}):
        known[name] = _other_store_calls(store_type, name, any_id)
    return st.sampled_from(sorted(known)).flatmap(known.__getitem__)


def _other_store_calls(
    store_type: type, name: str, values: st.SearchStrategy[Any]
) -> st.SearchStrategy[StoreCall]:
    """Calls of a store method :func:`store_calls` does not know: each required parameter
    from ``values``, each optional keyword left out or junk."""
    parameters = list(inspect.signature(getattr(store_type, name)).parameters.values())[1:]
    required = [
        p.name
        for p in parameters
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    optional = [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]

    @st.composite
    def build(draw: st.DrawFn) -> StoreCall:
        args = tuple(draw(values) for _ in required)
        kwargs = {k: draw(junk()) for k in optional if draw(st.booleans())}
        return StoreCall(name, args, kwargs)

    return build()


# -- cases in every state, built through valid lifecycles

SCENE_STATES: tuple[str, ...] = (
    "submitted",
    "incomplete",
    "correction",
    "reviewing",
    "reviewed",
    "council",
    "gaps",
    "suspended",
    "ready",
    "decided",
    "sealed",
    "closed",
    "withdrawn",
    "not_accepted",
    "joint",
    "pledged",
)
"""The scene's cases: submitted with complete materials / with the site plan missing; in
correction; accepted; review step signed; at the council countersign (rev1 and rev2
assigned); accepted with gaps; suspended for expert review; every step signed; decided;
sealed; closed; withdrawn; not accepted; a joint case accepted (Fire Brigade asked);
approved on pledge."""


@attrs.define(frozen=True)
class Scene:
    """Cases of the test hall (tests/hall_fixtures.py) in the states of SCENE_STATES.

    Attributes:
        ids: state label → case id (``scene-<label>``).
        after: an instant after every event of the scene.
    """

    ids: Mapping[str, str]
    after: dt.datetime

    def __getitem__(self, label: str) -> str:
        return self.ids[label]


@attrs.define(frozen=True)
class SceneTemplate:
    """A scene built once through the Hall, to plant into fresh stores cheaply.

    Attributes:
        hall: the hall it was built in (its seal provider signed the scene's seals).
        scene: the scene's ids and the instant after it.
        streams: every stored stream: its id, its events (to append again) and its row.
    """

    hall: Hall
    scene: Scene
    streams: tuple[tuple[str, tuple[NewEvent, ...], CaseRow], ...]

    def plant(self, store: EventStore) -> Hall:
        """Append the scene's events to ``store`` and return a hall on it like the one the
        scene was built in (same catalogue, staff, seals and seal keys, plugins and clock;
        its own id counter)."""
        for stream, events, row in self.streams:
            store.append(stream, 0, list(events), row)
        counter = itertools.count(1)
        settings = attrs.evolve(self.hall.settings, new_id=lambda: f"case-{next(counter):04d}")
        return Hall(
            catalogue=self.hall.catalogue,
            organisation=self.hall.organisation,
            calendar=self.hall.calendar,
            store=store,
            seals=self.hall.seals,
            seal_provider=self.hall.seal_provider,
            settings=settings,
            plugins=self.hall.plugins,
        )


def copied_events(events: Sequence[Any]) -> tuple[NewEvent, ...]:
    """Stored events as events to append again (their payload schema kept, if any)."""
    out = []
    for e in events:
        extra: dict[str, Any] = {}
        schema = getattr(e, "schema", None)
        if schema is not None:
            extra["schema"] = schema
        out.append(NewEvent(kind=e.kind, actor=e.actor, at=e.at, payload=e.payload, **extra))
    return tuple(out)


def scene_template(hall: Hall, applicant: Applicant, start: dt.datetime) -> SceneTemplate:
    """Build the scene in ``hall`` (whose store must be empty) and keep its streams."""
    scene = build_scene(hall, applicant, start)
    store = hall.store
    streams = tuple(
        (cid, copied_events(store.load(cid)), store.row(cid)) for cid in store.case_ids()
    )
    return SceneTemplate(hall, scene, streams)


def scene_ids(states: Sequence[str] = SCENE_STATES) -> list[str]:
    """The case ids :func:`build_scene` gives its cases."""
    return [f"scene-{label}" for label in states]


__all__ += ["SceneTemplate", "copied_events", "scene_ids", "scene_template"]


def build_scene(
    hall: Hall, applicant: Applicant, start: dt.datetime, *, states: Sequence[str] = SCENE_STATES
) -> Scene:
    """Build cases in the given states through valid commands, a minute apart from ``start``.

    The hall must be the test hall of tests/hall_fixtures.py (matters plan-01 and
    plan-joint, staff clerk, rev1, rev2, chief, seal S-PLAN-1), on a day its chief is not on
    leave. Every event lies within two hours after ``start``.
    """
    minutes = itertools.count(1)

    def t() -> dt.datetime:
        return start + dt.timedelta(minutes=next(minutes))

    def submit(label: str, materials: Sequence[str], matter: str = "plan-01") -> str:
        case = hall.submit(
            matter,
            applicant,
            "c1",
            materials=list(materials),
            actor="clerk",
            at=t(),
            case_id=f"scene-{label}",
        )
        return case.case_id

    def review(cid: str, upto: str) -> None:
        hall.accept(cid, actor="clerk", at=t())
        if upto == "accepted":
            return
        hall.sign(cid, "review", actor="rev1", at=t())
        if upto == "review":
            return
        hall.assign(cid, "council", ["rev1", "rev2"], actor="chief", at=t())
        if upto == "council":
            return
        hall.sign(cid, "council", actor="rev1", at=t())
        hall.sign(cid, "council", actor="rev2", at=t())
        hall.sign(cid, "approve", actor="chief", at=t())

    ids: dict[str, str] = {}
    for label in states:
        if label in ("incomplete", "correction", "gaps"):
            cid = submit(label, ["form"])
        elif label == "joint":
            cid = submit(label, ["form"], "plan-joint")
        else:
            cid = submit(label, ["form", "site"])
        ids[label] = cid
        if label == "correction":
            hall.request_correction(cid, {"site": "missing"}, actor="clerk", at=t())
        elif label in ("reviewing", "joint"):
            review(cid, "accepted")
        elif label == "reviewed":
            review(cid, "review")
        elif label == "council":
            review(cid, "council")
        elif label == "gaps":
            day = (start + dt.timedelta(days=1)).date()
            hall.accept_with_gaps(cid, ["site"], day, actor="clerk", at=t())
        elif label == "suspended":
            review(cid, "accepted")
            hall.suspend(cid, PauseReason.EXPERT_REVIEW, actor="chief", at=t())
        elif label in ("ready", "decided", "sealed", "closed"):
            review(cid, "all")
            if label != "ready":
                hall.decide(cid, True, actor="chief", at=t(), reasons="meets the plan")
            if label in ("sealed", "closed"):
                hall.seal(cid, "S-PLAN-1", actor="chief", at=t())
            if label == "closed":
                hall.deliver(cid, "in_person", actor="clerk", at=t())
        elif label == "withdrawn":
            hall.withdraw(cid, actor="applicant", at=t(), reason="changed plans")
        elif label == "not_accepted":
            hall.not_accept(cid, "outside remit", actor="clerk", at=t())
        elif label == "pledged":
            verify_by = (start + dt.timedelta(days=30)).date()
            hall.approve_on_pledge(cid, verify_by, actor="chief", at=t())
    return Scene(ids, t())


# ---- scoring (test_scoring): event-derived facts over a few months, windows and staff


def scoring_facts(
    months: Sequence[str], windows: Sequence[str], staff: Sequence[str], max_size: int = 60
) -> st.SearchStrategy[list[Any]]:
    """Lists of scoring facts (:class:`hallflow.supervision.scoring.Fact`) in ``months``,
    charged to a window, a staff member, both or neither."""
    from hallflow.supervision.scoring import Fact, FactKind

    return st.lists(
        st.builds(
            Fact,
            kind=st.sampled_from([k.value for k in FactKind]),
            month=st.sampled_from(list(months)),
            window=st.none() | st.sampled_from(list(windows)),
            staff=st.none() | st.sampled_from(list(staff)),
        ),
        max_size=max_size,
    )


__all__ += ["scoring_facts"]
# ---- supervision statistics: random halls (test_supervision_stats, test_report*)

from hallflow.errors import HallflowError  # noqa: E402

SUPERVISION_PATHS: tuple[str, ...] = (
    "submitted",
    "not_accepted",
    "withdrawn",
    "correction",
    "reviewing",
    "closed",
    "closed_after_correction",
    "denied",
)
"""How far a generated case goes (the last three are delivered)."""


@attrs.define(frozen=True)
class CasePlan:
    """One generated case of the test hall: when it arrives and how far it goes.

    Attributes:
        day: calendar days after 2026-10-08 of its arrival (moved to a working day).
        minute: minutes after 9:00 it arrives.
        channel: ``window`` or ``online``.
        window: ``c1`` or ``pl``.
        path: one of :data:`SUPERVISION_PATHS`.
        gaps: working days between its successive steps.
        method: how the decision is delivered.
    """

    day: int
    minute: int
    channel: str
    window: str
    path: str
    gaps: tuple[int, ...]
    method: str


@attrs.define(frozen=True)
class RatingPlan:
    """A generated evaluation stream (CONTRACT: ``hallflow:rating:<32 hex>``).

    Attributes:
        day: calendar days after 2026-10-01 of the rating.
        level: 1..5.
        case: the index of the case rated, or None for a service encounter.
        window: the window rated.
        staff: the staff member rated, if named.
        matter: the matter, if named.
        department: the department, if named.
        verified: None (not verified), True (valid) or False (withdrawn when bad).
        rectified: a rectification follows (for a bad rating).
        default: a default rating (基本满意, by supervision).
        later: calendar days from the rating to its follow-up events.
        hour: the hour of the day it was given (0: on the stroke of midnight, a period's
            first instant).
    """

    day: int
    level: int
    case: int | None
    window: str
    staff: str | None
    matter: str | None
    department: str | None
    verified: bool | None
    rectified: bool
    default: bool
    later: int
    hour: int = 10


@attrs.define(frozen=True)
class ComplaintPlan:
    """A generated complaint stream (``hallflow:complaint:<32 hex>``).

    Attributes:
        day: calendar days after 2026-10-01 it was received.
        category: its category.
        window: the window complained of, if named.
        staff: the staff member, if named.
        matter: the matter, if named.
        upheld: None (not concluded) or the outcome.
        hour: the hour of the day it was received (0: midnight).
    """

    day: int
    category: str
    window: str | None
    staff: str | None
    matter: str | None
    upheld: bool | None
    hour: int = 10


@attrs.define(frozen=True)
class HallPlan:
    """A generated hall history: cases, ratings and complaints."""

    cases: tuple[CasePlan, ...]
    ratings: tuple[RatingPlan, ...]
    complaints: tuple[ComplaintPlan, ...]


def case_plans() -> st.SearchStrategy[CasePlan]:
    return st.builds(
        CasePlan,
        day=st.integers(0, 50),
        minute=st.integers(0, 150),
        channel=st.sampled_from(("window", "window", "online")),
        window=st.sampled_from(("c1", "pl")),
        path=st.sampled_from(SUPERVISION_PATHS),
        gaps=st.tuples(*[st.integers(0, 6)] * 10),
        method=st.sampled_from(("in_person", "post", "unified")),
    )


_STAFF = ("clerk", "rev1", "chief")
_MATTERS = ("plan-01", "plan-joint")


def rating_plans(cases: int) -> st.SearchStrategy[RatingPlan]:
    return st.builds(
        RatingPlan,
        day=st.integers(0, 70),
        level=st.integers(1, 5),
        case=st.none() | st.integers(0, max(cases - 1, 0)) if cases else st.none(),
        window=st.sampled_from(("c1", "pl", "hf")),
        staff=st.none() | st.sampled_from(_STAFF),
        matter=st.none() | st.sampled_from(_MATTERS),
        department=st.none() | st.sampled_from(("Planning Bureau", "Housing Fund Centre")),
        verified=st.none() | st.booleans(),
        rectified=st.booleans(),
        default=st.booleans(),
        later=st.integers(0, 20),
        hour=st.sampled_from((0, 10, 23)),
    )


def complaint_plans() -> st.SearchStrategy[ComplaintPlan]:
    return st.builds(
        ComplaintPlan,
        day=st.integers(0, 70),
        category=st.sampled_from(
            ("wrongful_rejection", "overdue", "fees", "attitude", "improper_demands", "other")
        ),
        window=st.none() | st.sampled_from(("c1", "pl")),
        staff=st.none() | st.sampled_from(_STAFF),
        matter=st.none() | st.sampled_from(_MATTERS),
        upheld=st.none() | st.booleans(),
        hour=st.sampled_from((0, 10, 23)),
    )


@st.composite
def hall_plans(draw: st.DrawFn, max_cases: int = 8) -> HallPlan:
    cases = draw(st.lists(case_plans(), max_size=max_cases))
    ratings = draw(st.lists(rating_plans(len(cases)), max_size=6))
    complaints = draw(st.lists(complaint_plans(), max_size=4))
    return HallPlan(tuple(cases), tuple(ratings), tuple(complaints))


def _side_row(stream: str, state: str, version: int, window: str | None) -> CaseRow:
    return CaseRow(stream, "", "", window or "", state, None, version)


def append_rating(
    store: EventStore,
    rating_id: str,
    *,
    at: dt.datetime,
    level: int,
    window: str,
    case_id: str | None = None,
    staff: str | None = None,
    matter: str | None = None,
    department: str | None = None,
    channel: str = "keypad",
    default: bool = False,
    verified: bool | None = None,
    rectified: bool = False,
    later: dt.timedelta = dt.timedelta(days=1),
) -> str:
    """Append a rating stream exactly as CONTRACT.md describes it; returns its stream id."""
    stream = f"hallflow:rating:{rating_id}"
    actor = "hallflow:supervision" if default else "anonymous"
    events = [
        NewEvent(
            "rated",
            actor,
            at,
            {
                "level": level,
                "channel": "default" if default else channel,
                "case_id": case_id,
                "window": window,
                "department": department,
                "staff": staff,
                "matter": matter,
                "real_name": False,
                "comment": "",
                "default": default,
            },
        )
    ]
    if verified is not None:
        events.append(
            NewEvent(
                "rating_verified", "chief", at + later, {"valid": verified, "finding": "checked"}
            )
        )
    if rectified:
        events.append(
            NewEvent(
                "rating_rectified",
                "clerk",
                at + later + dt.timedelta(hours=1),
                {"measures": "the window's guidance was rewritten"},
            )
        )
    store.append(stream, 0, events, _side_row(stream, events[-1].kind, len(events), window))
    return stream


def append_complaint(
    store: EventStore,
    complaint_id: str,
    *,
    at: dt.datetime,
    category: str,
    case_id: str | None = None,
    window: str | None = None,
    staff: str | None = None,
    matter: str | None = None,
    department: str | None = None,
    upheld: bool | None = None,
) -> str:
    """Append a complaint stream exactly as CONTRACT.md describes it; returns its id."""
    stream = f"hallflow:complaint:{complaint_id}"
    events = [
        NewEvent(
            "complaint_received",
            "anonymous",
            at,
            {
                "category": category,
                "case_id": case_id,
                "window": window,
                "staff": staff,
                "matter": matter,
                "department": department,
                "handling": "centre",
                "text": "a complaint",
            },
        )
    ]
    if upheld is not None:
        events.append(
            NewEvent(
                "complaint_concluded",
                "chief",
                at + dt.timedelta(days=2),
                {"upheld": upheld, "finding": "looked into"},
            )
        )
    store.append(stream, 0, events, _side_row(stream, events[-1].kind, len(events), window))
    return stream


def play_hall_plan(hall: Hall, plan: HallPlan, applicant: Any) -> list[str]:
    """Run the plan through the test hall's commands (tests/hall_fixtures.py); returns the
    case ids. A command the hall refuses (the chief on leave, say) ends that case's path,
    as it would at a real window; ratings and complaints are appended per the contract."""
    cal = hall.calendar
    tz = cal.hours.tzinfo
    base = dt.date(2026, 10, 8)
    ids: list[str] = []
    for n, c in enumerate(plan.cases):
        day = base + dt.timedelta(days=c.day)
        if not cal.is_working_day(day):
            day = cal.next_working_day(day)
        now = dt.datetime.combine(day, dt.time(9), tzinfo=tz) + dt.timedelta(minutes=c.minute)
        gaps = iter(c.gaps)

        def later(now: dt.datetime, gaps: Any = gaps) -> dt.datetime:
            gap = next(gaps)
            if gap == 0:
                return now + dt.timedelta(minutes=7)
            nxt = cal.add_working_days(now.astimezone(tz).date(), gap)
            return dt.datetime.combine(nxt, dt.time(9, 30), tzinfo=tz)

        online = c.channel == "online"
        actor = "applicant" if online else "clerk"
        window = "c1" if online else c.window
        materials = ["form"] if "correction" in c.path else ["form", "site"]
        case_id = f"case-{n:04d}"
        try:
            hall.submit(
                "plan-01",
                applicant,
                window,
                materials=materials,
                actor=actor,
                at=now,
                channel=c.channel,
                case_id=case_id,
            )
        except HallflowError:
            continue
        ids.append(case_id)
        try:
            if c.path == "submitted":
                continue
            if c.path == "not_accepted":
                hall.not_accept(case_id, "outside remit", actor="clerk", at=later(now))
                continue
            if "correction" in c.path:
                now = later(now)
                hall.request_correction(case_id, {"site": "missing"}, actor="clerk", at=now)
                if c.path == "correction":
                    continue
                now = later(now)
                hall.supply(case_id, ["site"], actor="applicant", at=now)
            now = later(now)
            hall.accept(case_id, actor="clerk", at=now)
            if c.path == "withdrawn":
                hall.withdraw(case_id, actor="applicant", at=later(now), reason="changed plans")
                continue
            if c.path == "reviewing":
                continue
            now = later(now)
            hall.sign(case_id, "review", actor="rev1", at=now)
            now = later(now)
            hall.assign(case_id, "council", ["rev1", "rev2"], actor="chief", at=now)
            hall.sign(case_id, "council", actor="rev1", at=now + dt.timedelta(minutes=1))
            hall.sign(case_id, "council", actor="rev2", at=now + dt.timedelta(minutes=2))
            now = later(now + dt.timedelta(minutes=2))
            hall.sign(case_id, "approve", actor="chief", at=now)
            approve = c.path != "denied"
            reasons = "meets the plan" if approve else "the plan is refused"
            hall.decide(
                case_id, approve, actor="chief", at=now + dt.timedelta(minutes=1), reasons=reasons
            )
            now = later(now + dt.timedelta(minutes=1))
            hall.seal(case_id, "S-PLAN-1", actor="chief", at=now)
            hall.deliver(case_id, c.method, actor="clerk", at=later(now))
        except HallflowError:
            continue
    start = dt.datetime(2026, 10, 1, tzinfo=tz)
    for n, r in enumerate(plan.ratings):
        level = 3 if r.default else r.level
        append_rating(
            hall.store,
            f"{n:032x}",
            at=start + dt.timedelta(days=r.day, hours=r.hour),
            level=level,
            window=r.window,
            case_id=ids[r.case] if r.case is not None and r.case < len(ids) else None,
            staff=r.staff,
            matter=r.matter,
            department=r.department,
            default=r.default,
            verified=r.verified,
            rectified=r.rectified and level <= 2,
            later=dt.timedelta(days=r.later),
        )
    for n, p in enumerate(plan.complaints):
        append_complaint(
            hall.store,
            f"{n:032x}",
            at=start + dt.timedelta(days=p.day, hours=p.hour),
            category=p.category,
            window=p.window,
            staff=p.staff,
            matter=p.matter,
            upheld=p.upheld,
        )
    return ids


__all__ += [
    "SUPERVISION_PATHS",
    "CasePlan",
    "ComplaintPlan",
    "HallPlan",
    "RatingPlan",
    "append_complaint",
    "append_rating",
    "case_plans",
    "complaint_plans",
    "hall_plans",
    "play_hall_plan",
    "rating_plans",
]


# ---- escalation ladders (tests/test_ladder.py, tests/test_supervision_sweep.py)

LADDER_CLOCK_NAMES = ("promised", "legal", "delivery")


@st.composite
def rungs(draw: st.DrawFn, code: str) -> Rung:
    """A rung with a random action, addressee, clock set and threshold (-12..12 days)."""
    clocks = draw(st.sets(st.sampled_from(LADDER_CLOCK_NAMES), min_size=1))
    return Rung(
        code,
        draw(st.sampled_from(["reminder", "warning", "referral"])),
        draw(st.sampled_from(["window", "department", "supervision office"])),
        draw(st.sampled_from(["due {due}", "{remaining} {days} left on {clock}", "late"])),
        clocks,
        draw(st.integers(-12, 12)),
    )


@st.composite
def ladders(draw: st.DrawFn, max_rungs: int = 6) -> Ladder:
    """A ladder of 1..``max_rungs`` random rungs (codes ``r0``, ``r1``...)."""
    count = draw(st.integers(1, max_rungs))
    return Ladder("test", tuple(draw(rungs(f"r{i}")) for i in range(count)))


__all__ += ["LADDER_CLOCK_NAMES", "ladders", "rungs"]


# ---- supervision sweep scripts (tests/test_supervision_sweep.py; the hall of
# tests/hall_fixtures.py: matters plan-01 and plan-joint, staff clerk, rev1, rev2, chief,
# fire, land, seal S-PLAN-1)

from collections.abc import Callable  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

_SH = ZoneInfo("Asia/Shanghai")

Action = Callable[[Hall, str, dt.datetime], object]

ACTIONS: dict[str, Action] = {
    "accept": lambda h, c, t: h.accept(c, actor="clerk", at=t),
    "correction": lambda h, c, t: h.request_correction(c, {"site": "missing"}, actor="clerk", at=t),
    "supply": lambda h, c, t: h.supply(c, ["site"], actor="clerk", at=t),
    "review": lambda h, c, t: h.sign(c, "review", actor="rev1", at=t),
    "assign": lambda h, c, t: h.assign(c, "council", ["rev1", "rev2"], actor="chief", at=t),
    "council1": lambda h, c, t: h.sign(c, "council", actor="rev1", at=t),
    "council2": lambda h, c, t: h.sign(c, "council", actor="rev2", at=t),
    "approve": lambda h, c, t: h.sign(c, "approve", actor="chief", at=t),
    "suspend": lambda h, c, t: h.suspend(c, PauseReason.HEARING, actor="chief", at=t),
    "exclude": lambda h, c, t: h.suspend(
        c, PauseReason.EXPERT_REVIEW, actor="chief", at=t, length=Limit.working_days(3)
    ),
    "resume": lambda h, c, t: h.resume(c, actor="chief", at=t),
    "extend": lambda h, c, t: h.extend(
        c, Limit.working_days(4), clock="legal", actor="chief", at=t, reason="complex"
    ),
    "extend-promised": lambda h, c, t: h.extend(
        c, Limit.working_days(2), clock="promised", actor="chief", at=t, reason="complex"
    ),
    "fire": lambda h, c, t: h.give_opinion(c, "Fire Brigade", True, actor="fire", at=t),
    "land": lambda h, c, t: h.give_opinion(c, "Land Bureau", True, actor="land", at=t),
    "decide": lambda h, c, t: h.decide(c, True, actor="chief", at=t, reasons="fine"),
    "seal": lambda h, c, t: h.seal(c, "S-PLAN-1", actor="chief", at=t),
    "deliver": lambda h, c, t: h.deliver(c, "in_person", actor="clerk", at=t),
    "withdraw": lambda h, c, t: h.withdraw(c, actor="applicant", at=t, reason="changed plans"),
}


PATH = {
    "plan-01": ["accept", "review", "assign", "council1", "council2", "approve"],
    "plan-joint": ["accept", "fire", "review", "land", "approve"],
}
"""Each matter's way through review; then decide, seal, deliver."""
SIDE = ["suspend", "exclude", "resume", "resume", "extend", "extend-promised", "withdraw"]


@st.composite
def scripts(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """Steps in time order: submissions, commands on the cases, and sweeps (some at an
    instant earlier than the newest event).

    A command on a case is mostly the next one on its way (accept, the review steps,
    decide, seal, deliver; a correction first when the site plan is missing), otherwise a
    suspension, an excluded period, a resumption, an extension or a withdrawal; a command
    the hall refuses is refused in both halls alike.
    """
    steps: list[tuple[Any, ...]] = []
    when = dt.datetime(2026, 3, 2, 9, 5, tzinfo=_SH) + dt.timedelta(
        minutes=draw(st.integers(0, 60 * 24 * 200))
    )
    ways: list[list[str]] = []
    for _ in range(draw(st.integers(4, 45))):
        when += dt.timedelta(minutes=draw(st.sampled_from([7, 60, 60 * 20, 60 * 24 * 3])))
        kind = draw(st.sampled_from(["submit", "act", "act", "act", "act", "act", "sweep"]))
        if kind == "submit" or not ways:
            matter = draw(st.sampled_from(["plan-01", "plan-01", "plan-joint"]))
            materials = ["form"]
            way = [*PATH[matter], "decide", "seal", "deliver"]
            if matter == "plan-01":
                if draw(st.booleans()):
                    materials.append("site")
                else:
                    way = ["correction", "supply", *way]
            steps.append(("submit", matter, materials, when))
            ways.append(way)
        elif kind == "act":
            case = draw(st.integers(0, len(ways) - 1))
            way = ways[case]
            if way and draw(st.integers(0, 9)) < 8:
                name = way.pop(0)
            else:
                name = draw(st.sampled_from(SIDE))
            steps.append(("act", case, name, when))
        else:
            back = draw(st.sampled_from([0, 0, 0, 30, 60 * 24 * 2]))
            steps.append(("sweep", when - dt.timedelta(minutes=back), draw(st.integers(1, 4))))
    steps.append(("sweep", when + dt.timedelta(days=draw(st.integers(0, 40))), 3))
    return steps


__all__ += ["ACTIONS", "PATH", "SIDE", "scripts"]
