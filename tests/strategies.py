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
