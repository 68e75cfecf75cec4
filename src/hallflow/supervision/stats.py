"""Supervision statistics (统计), computed from the stored events alone (DOMAIN.md §7).

Nothing here is typed in: every figure is counted from the events of the hall's store, one
stream at a time (a case, a rating, a complaint), into per-group accumulators, so memory
grows with the number of groups, not with the log. The definitions, with their formulas,
are in docs/reports.md; :mod:`hallflow.supervision.stats_reference` recounts the same
figures naively over the whole log, and a property test holds the two together.

A report covers a :class:`Period` (whole days in the hall's zone) and sees the store as it
stood at the period's end: events after the end instant are ignored, so a report of a past
month does not change when later events are stored. Counts are ints, rates are exact
:class:`~fractions.Fraction` values (``None`` when the denominator is zero), shown rounded
half-up to two decimals by :func:`percent` (10846/10907 is 99.44%).
"""

from __future__ import annotations

import calendar as months
import datetime as dt
import enum
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import attrs

from hallflow.cases.case import fold
from hallflow.cases.commands import RESERVED_PREFIX
from hallflow.cases.hall import Hall
from hallflow.errors import HallflowError
from hallflow.model.catalogue import IMMEDIATE
from hallflow.store.base import StoredEvent
from hallflow.timeline.clock import Outcome, WarningLevel
from hallflow.timeline.limits import Unit

__all__ = [
    "ACCEPTED_KINDS",
    "COLUMNS",
    "COMPLAINT_PREFIX",
    "ENDED_KINDS",
    "IN_PERSON_SUPPLY_KINDS",
    "NO_GROUP",
    "RATING_PREFIX",
    "CaseFacts",
    "Column",
    "Figures",
    "Grouping",
    "Period",
    "RatingFacts",
    "Report",
    "Row",
    "StatisticsError",
    "Summary",
    "case_facts",
    "check_report",
    "compute",
    "decimal_places",
    "display",
    "p90",
    "percent",
    "rating_facts",
    "side_keys",
    "summarise",
]

RATING_PREFIX = f"{RESERVED_PREFIX}rating:"
"""Stream ids of evaluations (CONTRACT: ``hallflow:rating:<id>``)."""

COMPLAINT_PREFIX = f"{RESERVED_PREFIX}complaint:"
"""Stream ids of complaints (``hallflow:complaint:<id>``)."""

ACCEPTED_KINDS = frozenset({"accepted", "accepted_with_gaps"})
"""Events that accept a case (受理)."""

ENDED_KINDS = frozenset({"delivered", "not_accepted", "withdrawn"})
"""Events after which a case is no longer open."""

IN_PERSON_SUPPLY_KINDS = frozenset({"materials_supplied", "deferred_supplied"})
"""Events by which an applicant hands in materials (in person when the case came in at a
window)."""

NO_GROUP = "-"
"""The group of a rating or complaint that does not name the grouping's field."""

_LOW_RATING = 2
"""A bad rating (差评) is level 2 or less (CONTRACT)."""


class StatisticsError(HallflowError, ValueError):
    """A statistics request is malformed: the error names the field, the rule and the value.

    Attributes:
        field: the argument at fault, e.g. ``"Period.first"``.
        rule: the rule it breaks.
        value: the value given.
    """

    def __init__(self, field: str, rule: str, value: object) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:76] + "..." + shown[-1]
        super().__init__(f"{field}={shown}: {rule}")


# ---------------------------------------------------------------------- period, grouping

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")


def _date(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not dt.date:
        raise StatisticsError(f"Period.{attribute.name}", "must be a datetime.date", value)


@attrs.define(frozen=True, slots=True)
class Period:
    """Whole days, first to last inclusive, in the hall's zone.

    Attributes:
        first: the first day.
        last: the last day (not before ``first``).
    """

    first: dt.date = attrs.field(validator=_date)
    last: dt.date = attrs.field(validator=_date)

    def __attrs_post_init__(self) -> None:
        if self.last < self.first:
            raise StatisticsError(
                "Period.last", f"must not be before first ({self.first})", self.last
            )

    @classmethod
    def month(cls, text: str) -> Period:
        """The calendar month written ``YYYY-MM`` (e.g. ``"2026-10"``).

        Raises:
            StatisticsError: not a month of years 1..9999.
        """
        match = _MONTH.fullmatch(text) if isinstance(text, str) else None
        if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
            raise StatisticsError("period", "must be a month written YYYY-MM", text)
        year, month = int(match[1]), int(match[2])
        return cls(dt.date(year, month, 1), dt.date(year, month, months.monthrange(year, month)[1]))

    @classmethod
    def parse(cls, text: str) -> Period:
        """``YYYY-MM`` (a month), ``YYYY-MM-DD`` (a day) or ``YYYY-MM-DD..YYYY-MM-DD``.

        Raises:
            StatisticsError: none of these forms, or not real dates in order.
        """
        if not isinstance(text, str):
            raise StatisticsError("period", "must be a str", text)
        if _MONTH.fullmatch(text):
            return cls.month(text)
        match = _RANGE.fullmatch(text)
        parts = (match[1], match[2]) if match else (text, text)
        try:
            first, last = (dt.date.fromisoformat(p) for p in parts)
        except ValueError:
            raise StatisticsError(
                "period", "must be YYYY-MM, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD", text
            ) from None
        if len(parts[0]) != 10 or len(parts[1]) != 10:
            raise StatisticsError("period", "must write dates as YYYY-MM-DD", text)
        if last < first:
            raise StatisticsError("period", "must not end before it starts", text)
        return cls(first, last)

    def bounds(self, hall: Hall) -> tuple[dt.datetime, dt.datetime]:
        """The period as instants ``[start, end)``: midnight to midnight in the hall's zone."""
        tz = hall.calendar.hours.tzinfo
        start = dt.datetime.combine(self.first, dt.time(), tzinfo=tz)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        return start, end

    def __str__(self) -> str:
        return f"{self.first}..{self.last}"


class Grouping(enum.StrEnum):
    """What the rows of a report are (按…统计)."""

    HALL = "hall"
    """One row: the whole hall."""
    WINDOW = "window"
    """By the window that received the case (the window a rating or complaint names)."""
    DEPARTMENT = "department"
    """By the department holding the matter (the one a rating or complaint names)."""
    MATTER = "matter"
    """By catalogue matter."""
    STAFF = "staff"
    """By the clerk who decided on acceptance (else the clerk who received the case)."""


# ---------------------------------------------------------------------- one case's facts


@attrs.define(frozen=True, slots=True)
class CaseFacts:
    """What the statistics need of one case, read from its events up to the period's end.

    Attributes:
        case_id: the case.
        keys: the case's group under each grouping.
        received_at: the ``submitted`` instant.
        channel: ``window``, ``online`` or ``proxy``.
        accepted_at: the first acceptance, if any.
        not_accepted_at: when it was not accepted, if it was not.
        withdrawn_at: when it was withdrawn, if it was.
        closed_at: the delivery instant (办结), if delivered.
        approved: for a closed case, whether the decision approved.
        immediate: the matter is an immediate one (即办件).
        on_site: closed the day it was received, delivered in person at the window.
        online_handled: submitted online and delivered other than in person.
        outcome: the promised clock's outcome at sealing, for a closed case.
        used: working days used against a working-day or same-day promise (the promise
            with extensions, less the margin at sealing), for a closed case; else None.
        promised: that promise in working days (0 for a same-day one).
        corrections: correction notices (补正) on the case up to the end.
        corrections_in_period: of those, issued in the period.
        visits: in-person visits (distinct days with an in-person step).
        open_at_end: still open at the period's end.
        overdue_by: working days past the promised due day at the end, if open and overdue.
        fee: the fee of a closed, approved case (yuan), else 0.
        extensions: extensions recorded in the period.
        deemed: co-department opinions deemed from silence in the period.
        escalations: escalation labels recorded in the period.
    """

    case_id: str
    keys: Mapping[Grouping, str]
    received_at: dt.datetime
    channel: str
    accepted_at: dt.datetime | None
    not_accepted_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    closed_at: dt.datetime | None
    approved: bool
    immediate: bool
    on_site: bool
    online_handled: bool
    outcome: Outcome | None
    used: Fraction | None
    promised: int | None
    corrections: int
    corrections_in_period: int
    visits: int
    open_at_end: bool
    overdue_by: int | None
    fee: Decimal
    extensions: int
    deemed: int
    escalations: tuple[str, ...]


def _first(events: Sequence[StoredEvent], kinds: Iterable[str]) -> StoredEvent | None:
    wanted = frozenset(kinds)
    return next((e for e in events if e.kind in wanted), None)


def case_facts(
    hall: Hall, events: Sequence[StoredEvent], start: dt.datetime, end: dt.datetime
) -> CaseFacts | None:
    """One case's facts from its stored events, up to ``end`` (None: received after it)."""
    seen = [e for e in events if e.at < end]
    if not seen or seen[0].kind != "submitted":
        return None
    tz = hall.calendar.hours.tzinfo
    submitted = seen[0]
    matter_code = str(submitted.payload["matter"])
    try:
        matter = hall.catalogue.get(matter_code)
    except HallflowError:
        raise StatisticsError(
            "hall.catalogue",
            f"has no matter of stored case {submitted.case_id} (a report needs the hall the "
            f"store was written by; another locality?)",
            matter_code,
        ) from None
    channel = str(submitted.payload.get("channel", "window"))
    decided_on = _first(seen, {*ACCEPTED_KINDS, "not_accepted"})
    staff = (
        decided_on.actor
        if decided_on is not None
        else (submitted.actor if channel != "online" else NO_GROUP)
    )
    keys = {
        Grouping.HALL: "hall",
        Grouping.WINDOW: str(submitted.payload["window"]),
        Grouping.DEPARTMENT: matter.department,
        Grouping.MATTER: matter_code,
        Grouping.STAFF: staff,
    }
    accepted = _first(seen, ACCEPTED_KINDS)
    refused = _first(seen, {"not_accepted"})
    withdrawn = _first(seen, {"withdrawn"})
    delivered = _first(seen, {"delivered"})
    if seen[-1].at < start and _first(seen, ENDED_KINDS) is not None:
        # ended before the period: it counts in no figure, only its group is listed
        return _dormant(submitted, keys, channel, matter.kind == IMMEDIATE)
    case = fold(seen)
    in_person_days = set()
    if channel == "window":
        in_person_days.add(submitted.at.astimezone(tz).date())
        in_person_days.update(
            e.at.astimezone(tz).date() for e in seen if e.kind in IN_PERSON_SUPPLY_KINDS
        )
    if delivered is not None and delivered.payload.get("method") == "in_person":
        in_person_days.add(delivered.at.astimezone(tz).date())
    outcome: Outcome | None = None
    used: Fraction | None = None
    promised: int | None = None
    approved = False
    fee = Decimal(0)
    on_site = online = False
    if delivered is not None:
        assert case.decision is not None and case.sealed_at is not None
        approved = case.decision.approved
        status = hall.clocks(case)["promised"].status(case.sealed_at)
        outcome = status.outcome
        if status.limit.unit in (Unit.WORKING_DAYS, Unit.SAME_DAY):
            promised = status.limit.amount
            used = promised - Fraction(status.margin)
        if approved:
            fee = hall.quote(case.case_id).total
        method = delivered.payload.get("method")
        on_site = (
            channel == "window"
            and method == "in_person"
            and submitted.at.astimezone(tz).date() == delivered.at.astimezone(tz).date()
        )
        online = channel == "online" and method != "in_person"
    ended = _first(seen, ENDED_KINDS) is not None or case.closed
    overdue_by: int | None = None
    if not ended:
        clock = hall.clocks(case).get("promised")
        if clock is not None:
            status = clock.status(max(end, clock.events[-1].at))
            if status.level is WarningLevel.OVERDUE:
                overdue_by = max(1, math.ceil(-status.remaining))
    in_period = [e for e in seen if e.at >= start]
    escalations = []
    for e in in_period:
        if e.kind == "escalated":
            label = e.payload.get("clock") or f"opinion {e.payload.get('department')}"
            escalations.append(f"{label} {e.payload.get('code', 'silence')}")
    return CaseFacts(
        case_id=submitted.case_id,
        keys=keys,
        received_at=submitted.at,
        channel=channel,
        accepted_at=None if accepted is None else accepted.at,
        not_accepted_at=None if refused is None else refused.at,
        withdrawn_at=None if withdrawn is None else withdrawn.at,
        closed_at=None if delivered is None else delivered.at,
        approved=approved,
        immediate=matter.kind == IMMEDIATE,
        on_site=on_site,
        online_handled=online,
        outcome=outcome,
        used=used,
        promised=promised,
        corrections=sum(e.kind == "correction_requested" for e in seen),
        corrections_in_period=sum(e.kind == "correction_requested" for e in in_period),
        visits=len(in_person_days),
        open_at_end=not ended,
        overdue_by=overdue_by,
        fee=fee,
        extensions=sum(e.kind == "extended" for e in in_period),
        deemed=sum(e.kind == "opinion_deemed" for e in in_period),
        escalations=tuple(escalations),
    )


def _dormant(
    submitted: StoredEvent, keys: Mapping[Grouping, str], channel: str, immediate: bool
) -> CaseFacts:
    """The facts of a case that ended before the period.

    Every instant lies before the period and nothing is open at its end, so the clocks and
    the fee quote are neither needed nor computed; only the case's groups are listed.
    """
    return CaseFacts(
        case_id=submitted.case_id,
        keys=keys,
        received_at=submitted.at,
        channel=channel,
        accepted_at=None,
        not_accepted_at=None,
        withdrawn_at=None,
        closed_at=None,
        approved=False,
        immediate=immediate,
        on_site=False,
        online_handled=False,
        outcome=None,
        used=None,
        promised=None,
        corrections=0,
        corrections_in_period=0,
        visits=0,
        open_at_end=False,
        overdue_by=None,
        fee=Decimal(0),
        extensions=0,
        deemed=0,
        escalations=(),
    )


# ---------------------------------------------------------------------- the figures


def _ratio(part: int | Fraction, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def p90(values: Mapping[Fraction, int]) -> Fraction | None:
    """The 90th percentile (nearest rank) of a histogram value → count; None if empty.

    The smallest value such that at least 90% of the values are at or below it: the value of
    rank ``ceil(0.9 n)`` in ascending order.
    """
    n = sum(values.values())
    if n == 0:
        return None
    rank = (9 * n + 9) // 10
    seen = 0
    for value in sorted(values):
        seen += values[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable")  # pragma: no cover


@attrs.define(slots=True)
class Figures:
    """One group's counts for a period (mutable while counting; see :class:`Row`).

    Every count is an int; the rates are properties computing exact fractions.
    """

    received: int = 0
    accepted: int = 0
    not_accepted: int = 0
    withdrawn: int = 0
    closed: int = 0
    approved: int = 0
    denied: int = 0
    immediate_closed: int = 0
    on_site_closed: int = 0
    online_closed: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    timed: int = 0
    used_total: Fraction = Fraction(0)
    used_histogram: Counter[Fraction] = attrs.field(factory=Counter)
    promised_total: int = 0
    open: int = 0
    open_overdue: int = 0
    overdue_ageing: Counter[int] = attrs.field(factory=Counter)
    corrections: int = 0
    closed_corrections: int = 0
    visits: int = 0
    extensions: int = 0
    deemed_opinions: int = 0
    escalations: Counter[str] = attrs.field(factory=Counter)
    fees: Decimal = Decimal(0)
    ratings: int = 0
    satisfied: int = 0
    rating_levels: Counter[int] = attrs.field(factory=Counter)
    bad_ratings: int = 0
    bad_rectified: int = 0
    complaints: int = 0
    weekly_received: Counter[dt.date] = attrs.field(factory=Counter)
    weekly_closed: Counter[dt.date] = attrs.field(factory=Counter)
    working_days: int = 0

    def add_case(self, facts: CaseFacts, start: dt.datetime, end: dt.datetime) -> None:
        """Count one case's facts into the figures."""

        def inside(at: dt.datetime | None) -> bool:
            return at is not None and start <= at < end

        if inside(facts.received_at):
            self.received += 1
            self.weekly_received[_week(facts.received_at, start)] += 1
        if inside(facts.accepted_at):
            self.accepted += 1
        if inside(facts.not_accepted_at):
            self.not_accepted += 1
        if inside(facts.withdrawn_at):
            self.withdrawn += 1
        if facts.closed_at is not None and inside(facts.closed_at):
            self.closed += 1
            self.weekly_closed[_week(facts.closed_at, start)] += 1
            self.approved += facts.approved
            self.denied += not facts.approved
            self.immediate_closed += facts.immediate
            self.on_site_closed += facts.on_site
            self.online_closed += facts.online_handled
            self.early += facts.outcome is Outcome.EARLY
            self.on_time += facts.outcome is Outcome.ON_TIME
            self.late += facts.outcome is Outcome.LATE
            if facts.used is not None and facts.promised is not None:
                self.timed += 1
                self.used_total += facts.used
                self.used_histogram[facts.used] += 1
                self.promised_total += facts.promised
            self.closed_corrections += facts.corrections
            self.visits += facts.visits
            self.fees += facts.fee
        if facts.open_at_end:
            self.open += 1
            if facts.overdue_by is not None:
                self.open_overdue += 1
                self.overdue_ageing[facts.overdue_by] += 1
        self.corrections += facts.corrections_in_period
        self.extensions += facts.extensions
        self.deemed_opinions += facts.deemed
        self.escalations.update(facts.escalations)

    # ---- rates (exact; None when the denominator is zero)

    @property
    def closure_rate(self) -> Fraction | None:
        """Closed over received in the period (办结率)."""
        return _ratio(self.closed, self.received)

    @property
    def per_working_day(self) -> Fraction | None:
        """Cases received per working day of the period (均日办件量)."""
        return _ratio(self.received, self.working_days)

    @property
    def immediate_share(self) -> Fraction | None:
        """Immediate matters among the closed cases (即办件率)."""
        return _ratio(self.immediate_closed, self.closed)

    @property
    def on_site_rate(self) -> Fraction | None:
        """Closed on the spot among the closed cases (现场办结率)."""
        return _ratio(self.on_site_closed, self.closed)

    @property
    def on_time_rate(self) -> Fraction | None:
        """Closed by the promised due instant (early or on time) among the closed (按时办结率)."""
        return _ratio(self.early + self.on_time, self.closed)

    @property
    def early_rate(self) -> Fraction | None:
        """Closed before the promised due day among the closed (提前办结率)."""
        return _ratio(self.early, self.closed)

    @property
    def late_rate(self) -> Fraction | None:
        """Closed after the promised due instant among the closed (超期率)."""
        return _ratio(self.late, self.closed)

    @property
    def average_used(self) -> Fraction | None:
        """Mean working days used by the closed cases with a working-day promise."""
        return _ratio(self.used_total, self.timed)

    @property
    def p90_used(self) -> Fraction | None:
        """The 90th percentile of the working days used (nearest rank)."""
        return p90(self.used_histogram)

    @property
    def average_promised(self) -> Fraction | None:
        """Mean promised working days (with extensions) of the same cases."""
        return _ratio(self.promised_total, self.timed)

    @property
    def corrections_per_case(self) -> Fraction | None:
        """Correction notices per closed case."""
        return _ratio(self.closed_corrections, self.closed)

    @property
    def visits_per_case(self) -> Fraction | None:
        """In-person visits per closed case (跑动次数)."""
        return _ratio(self.visits, self.closed)

    @property
    def satisfaction_rate(self) -> Fraction | None:
        """Ratings at level 3 or better among the ratings (满意率; CONTRACT)."""
        return _ratio(self.satisfied, self.ratings)

    @property
    def rectification_rate(self) -> Fraction | None:
        """Bad ratings with a rectification among the bad ratings (差评整改率; CONTRACT)."""
        return _ratio(self.bad_rectified, self.bad_ratings)

    @property
    def complaints_per_1000(self) -> Fraction | None:
        """Complaints received per 1,000 cases received (CONTRACT)."""
        return _ratio(self.complaints * 1000, self.received)

    @property
    def online_rate(self) -> Fraction | None:
        """Closed cases handled wholly online among the closed (全程网办率)."""
        return _ratio(self.online_closed, self.closed)


def _week(at: dt.datetime, start: dt.datetime) -> dt.date:
    """The Monday of the week of ``at`` (in the zone of ``start``)."""
    day = at.astimezone(start.tzinfo).date()
    return day - dt.timedelta(days=day.weekday())


# ---------------------------------------------------------------------- columns, display


@attrs.define(frozen=True, slots=True)
class Column:
    """A figure of a report row, as tables, files and the HTML report show it.

    Attributes:
        name: the key in JSON, CSV and Parquet.
        en: the English label.
        zh: the Chinese label.
        kind: ``count``, ``percent``, ``number`` (two decimals), ``days`` or ``yuan``.
    """

    name: str
    en: str
    zh: str
    kind: str


COLUMNS: tuple[Column, ...] = (
    Column("received", "received", "收件", "count"),
    Column("accepted", "accepted", "受理", "count"),
    Column("closed", "closed", "办结", "count"),
    Column("closure_rate", "closure rate", "办结率", "percent"),
    Column("per_working_day", "received per working day", "均日办件量", "number"),
    Column("immediate_share", "immediate share", "即办件率", "percent"),
    Column("on_site_rate", "on-site closure rate", "现场办结率", "percent"),
    Column("early", "early", "提前", "count"),
    Column("on_time", "on time", "按时", "count"),
    Column("late", "late", "超期", "count"),
    Column("on_time_rate", "on-time rate", "按时办结率", "percent"),
    Column("early_rate", "early rate", "提前办结率", "percent"),
    Column("average_used", "avg working days used", "平均用时(工作日)", "days"),
    Column("p90_used", "p90 working days used", "90%用时(工作日)", "days"),
    Column("average_promised", "avg promised working days", "平均承诺时限", "days"),
    Column("open_overdue", "overdue open at end", "期末逾期在办", "count"),
    Column("corrections_per_case", "corrections per case", "件均补正次数", "number"),
    Column("visits_per_case", "visits per case", "件均跑动次数", "number"),
    Column("satisfaction_rate", "satisfaction rate", "满意率", "percent"),
    Column("rectification_rate", "bad-rating rectification rate", "差评整改率", "percent"),
    Column("complaints_per_1000", "complaints per 1,000 cases", "千件投诉量", "number"),
    Column("fees", "fees collected (yuan)", "收费(元)", "yuan"),
    Column("online_rate", "online-handling rate", "全程网办率", "percent"),
)
"""The figures of a report row, in the order every output shows them."""


def decimal_places(value: Fraction, places: int = 2) -> Decimal:
    """``value`` rounded half-up (away from zero) to ``places`` decimals, exactly.

    Integer arithmetic on the fraction, never a binary float: 10846/10907 gives 0.99 at two
    places and 99.44 when scaled by 100 first.
    """
    if type(places) is not int or places < 0:
        raise StatisticsError("places", "must be an int of at least 0", places)
    if not isinstance(value, Fraction | int):
        raise StatisticsError("value", "must be a Fraction or an int", value)
    scaled = abs(Fraction(value)) * 10**places
    whole = math.floor(scaled + Fraction(1, 2))
    if value < 0:
        whole = -whole
    return Decimal(whole).scaleb(-places)


def percent(value: Fraction | None) -> str:
    """A rate as a percentage rounded half-up to two decimals (``"99.44%"``), or ``"n/a"``."""
    if value is None:
        return "n/a"
    return f"{decimal_places(value * 100)}%"


def display(value: object, kind: str) -> str:
    """A figure as every output shows it.

    Ints as they are, rates as :func:`percent`, other fractions to two decimals (half-up),
    yuan to the fen; ``"n/a"`` for no value.
    """
    if value is None:
        return "n/a"
    if kind == "count":
        return str(value)
    if kind == "percent":
        assert isinstance(value, Fraction)
        return percent(value)
    if kind == "yuan":
        assert isinstance(value, Decimal)
        return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    assert isinstance(value, Fraction)
    return str(decimal_places(value))


@attrs.define(frozen=True, slots=True)
class Row:
    """A report row: a group and its figures.

    Attributes:
        key: the group (a window code, a department, a matter code, a staff id, ``hall``).
        figures: the counts.
    """

    key: str
    figures: Figures

    def value(self, name: str) -> object:
        """The exact value of a column (an int, a Fraction, a Decimal, or None)."""
        return getattr(self.figures, name)

    def shown(self) -> dict[str, str]:
        """Every column as displayed, by column name."""
        return {c.name: display(self.value(c.name), c.kind) for c in COLUMNS}


@attrs.define(frozen=True, slots=True)
class Report:
    """The statistics of a period, one row per group plus the total.

    Attributes:
        period: the days covered.
        grouping: what the rows are.
        rows: the groups, sorted by key.
        total: the whole hall.
        working_days: working days in the period.
    """

    period: Period
    grouping: Grouping
    rows: tuple[Row, ...]
    total: Row
    working_days: int


def check_report(field: str, value: object) -> Report:
    """``value`` if it is a :class:`Report`; else a :class:`StatisticsError` naming ``field``."""
    if not isinstance(value, Report):
        raise StatisticsError(field, "must be a Report (from compute)", value)
    return value


# ---------------------------------------------------------------------- the computation


def _stream_kind(stream: str) -> str:
    if stream.startswith(RATING_PREFIX):
        return "rating"
    if stream.startswith(COMPLAINT_PREFIX):
        return "complaint"
    if stream.startswith(RESERVED_PREFIX):
        return "other"
    return "case"


def _department_of(hall: Hall, payload: Mapping[str, Any]) -> str | None:
    department = payload.get("department")
    if isinstance(department, str):
        return department
    matter = payload.get("matter")
    if isinstance(matter, str):
        known = next((m for m in hall.catalogue if m.code == matter), None)
        return None if known is None else known.department
    return None


def side_keys(hall: Hall, payload: Mapping[str, Any]) -> dict[Grouping, str]:
    """The groups of a rating or complaint: the fields it names (:data:`NO_GROUP` if null).

    A department not named is the department of the matter named, if the catalogue has it.
    """

    def named(field: str) -> str:
        value = payload.get(field)
        return value if isinstance(value, str) else NO_GROUP

    return {
        Grouping.HALL: "hall",
        Grouping.WINDOW: named("window"),
        Grouping.DEPARTMENT: _department_of(hall, payload) or NO_GROUP,
        Grouping.MATTER: named("matter"),
        Grouping.STAFF: named("staff"),
    }


@attrs.define(frozen=True, slots=True)
class RatingFacts:
    """One rating stream, as seen at the period's end.

    Attributes:
        keys: its groups.
        rated_at: the ``rated`` instant.
        level: 1..5.
        withdrawn: a bad rating verified invalid (核实不成立) by the end.
        rectified: a ``rating_rectified`` event by the end.
    """

    keys: Mapping[Grouping, str]
    rated_at: dt.datetime
    level: int
    withdrawn: bool
    rectified: bool


def rating_facts(hall: Hall, events: Sequence[StoredEvent], end: dt.datetime) -> RatingFacts | None:
    """A rating stream's facts up to ``end`` (None: rated after it, or not a rating)."""
    seen = [e for e in events if e.at < end]
    if not seen or seen[0].kind != "rated":
        return None
    first = seen[0]
    level = first.payload["level"]
    withdrawn = level <= _LOW_RATING and any(
        e.kind == "rating_verified" and e.payload.get("valid") is False for e in seen
    )
    return RatingFacts(
        keys=side_keys(hall, first.payload),
        rated_at=first.at,
        level=int(level),
        withdrawn=withdrawn,
        rectified=any(e.kind == "rating_rectified" for e in seen),
    )


def _add_rating(figures: Figures, facts: RatingFacts) -> None:
    if facts.withdrawn:
        return
    figures.rating_levels[facts.level] += 1
    figures.ratings += 1
    figures.satisfied += facts.level >= 3
    if facts.level <= _LOW_RATING:
        figures.bad_ratings += 1
        figures.bad_rectified += facts.rectified


def _streams(hall: Hall) -> Iterator[tuple[str, list[StoredEvent]]]:
    """Every stream of the store, one at a time (ratings and complaints included)."""
    for stream in hall.store.case_ids():
        yield stream, hall.store.load(stream)


def compute(hall: Hall, period: Period, grouping: Grouping | str = Grouping.HALL) -> Report:
    """The period's statistics by ``grouping``, counted from the hall's stored events.

    Streams are read one at a time: each case, rating and complaint is reduced to its facts
    and counted into its group and the total; nothing else is kept.

    Raises:
        StatisticsError: ``period`` is not a :class:`Period` within the hall calendar's
            compiled range, or ``grouping`` not a grouping.
    """
    if not isinstance(hall, Hall):
        raise StatisticsError("hall", "must be a Hall", hall)
    if not isinstance(period, Period):
        raise StatisticsError("period", "must be a Period", period)
    if not isinstance(grouping, Grouping):
        if grouping not in {g.value for g in Grouping}:
            raise StatisticsError(
                "grouping", f"must be one of {', '.join(g.value for g in Grouping)}", grouping
            )
        grouping = Grouping(grouping)
    cal = hall.calendar
    if period.first <= cal.first or period.last >= cal.last:
        raise StatisticsError(
            "period",
            f"must lie within the hall calendar's compiled range {cal.first}..{cal.last} "
            f"(a day each side to spare)",
            str(period),
        )
    start, end = period.bounds(hall)
    groups: dict[str, Figures] = {}
    total = Figures()

    def targets(keys: Mapping[Grouping, str]) -> tuple[Figures, Figures]:
        return total, groups.setdefault(keys[grouping], Figures())

    for stream, events in _streams(hall):
        kind = _stream_kind(stream)
        if kind == "case":
            facts = case_facts(hall, events, start, end)
            if facts is not None:
                for figures in targets(facts.keys):
                    figures.add_case(facts, start, end)
        elif kind == "rating":
            rating = rating_facts(hall, events, end)
            if rating is not None:
                for figures in targets(rating.keys):
                    if rating.rated_at >= start:
                        _add_rating(figures, rating)
        elif kind == "complaint":
            first = events[0]
            if first.kind == "complaint_received" and first.at < end:
                for figures in targets(side_keys(hall, first.payload)):
                    figures.complaints += first.at >= start
    if grouping is Grouping.HALL:
        groups = {"hall": total}
    working = hall.calendar.working_days_between(period.first - dt.timedelta(days=1), period.last)
    for figures in (total, *groups.values()):
        figures.working_days = working
    rows = tuple(Row(key, groups[key]) for key in sorted(groups))
    return Report(period, grouping, rows, Row("hall", total), working)


# ---------------------------------------------------------------------- the demo's summary


@attrs.define(frozen=True, slots=True)
class Summary:
    """The supervision summary of a period, every figure counted from stored events.

    Attributes:
        first_day: the first day of the period.
        last_day: the last day of the period.
        working_days: working days in the period.
        received: applications received (收件).
        accepted: applications accepted (受理), after any correction.
        corrections: correction notices issued (补正) in the period.
        not_accepted: applications not accepted (不予受理).
        withdrawn: applications withdrawn (撤回).
        closed: cases closed (办结): decision sealed and delivered.
        approved: closed cases approved.
        denied: closed cases denied.
        immediate_closed: closed cases of immediate matters (即办件).
        early: closed cases sealed before the promised limit's due day (提前).
        on_time: closed cases sealed on the due day (按时).
        late: closed cases sealed after the due instant (超期).
        open: cases still open at the end.
        open_overdue: of those, past their promised limit.
        extensions: extensions recorded (延期).
        deemed_opinions: co-department opinions deemed from silence (缺席默认).
        escalations: supervision escalations by clock and code, sorted.
        fees: fees of closed, approved cases, in yuan.
        refusals: commands the hall refused, by command and reason.
        report: the full statistics of the period (the hall as one group).
    """

    first_day: dt.date
    last_day: dt.date
    working_days: int
    received: int
    accepted: int
    corrections: int
    not_accepted: int
    withdrawn: int
    closed: int
    approved: int
    denied: int
    immediate_closed: int
    early: int
    on_time: int
    late: int
    open: int
    open_overdue: int
    extensions: int
    deemed_opinions: int
    escalations: tuple[tuple[str, int], ...]
    fees: Decimal
    refusals: tuple[tuple[str, int], ...] = ()
    report: Report | None = attrs.field(default=None, eq=False)

    @property
    def closure_rate(self) -> Fraction:
        """Closed over received (办结率); 0 when nothing was received."""
        return Fraction(self.closed, self.received) if self.received else Fraction(0)

    def render(self) -> str:
        """The summary as the text report the demo prints."""

        def pct(part: int, whole: int) -> str:
            return percent(_ratio(part, whole))

        per_day = Fraction(self.received, self.working_days) if self.working_days else Fraction(0)
        rows = [
            f"Supervision summary {self.first_day} .. {self.last_day} "
            f"({self.working_days} working days)",
            f"  received (收件)                 {self.received:>6}   per working day "
            f"{decimal_places(per_day, 1)}",
            f"  accepted (受理)                 {self.accepted:>6}   correction notices "
            f"{self.corrections}",
            f"  not accepted (不予受理)         {self.not_accepted:>6}",
            f"  withdrawn (撤回)                {self.withdrawn:>6}",
            f"  closed (办结)                   {self.closed:>6}   closure rate "
            f"{pct(self.closed, self.received)}  (approved {self.approved}, "
            f"denied {self.denied})",
            f"    early (提前)                  {self.early:>6}   {pct(self.early, self.closed)}",
            f"    on time (按时)                {self.on_time:>6}   "
            f"{pct(self.on_time, self.closed)}",
            f"    late (超期)                   {self.late:>6}   {pct(self.late, self.closed)}",
            f"    immediate (即办件)            {self.immediate_closed:>6}   immediate share "
            f"{pct(self.immediate_closed, self.closed)}",
            f"  still open at the end           {self.open:>6}   of which overdue "
            f"{self.open_overdue}",
            f"  extensions (延期)               {self.extensions:>6}",
            f"  opinions deemed from silence    {self.deemed_opinions:>6}",
            f"  fees collected (收费)      {self.fees:>11} yuan",
            "  escalations (电子监察)" + ("" if self.escalations else "          none"),
        ]
        rows += [f"    {code:<28}{n:>6}" for code, n in self.escalations]
        if self.report is not None:
            t = self.report.total.figures
            rows += [
                f"  on-site closure rate {percent(t.on_site_rate)}, online-handling rate "
                f"{percent(t.online_rate)}, visits per closed case "
                f"{display(t.visits_per_case, 'number')}",
                f"  satisfaction rate {percent(t.satisfaction_rate)} ({t.ratings} ratings), "
                f"complaints {t.complaints}",
            ]
        if self.refusals:
            rows.append("  refused by the hall's rules")
            rows += [f"    {n:>4} x {what}" for what, n in self.refusals]
        return "\n".join(rows)


def summarise(
    hall: Hall,
    first_day: dt.date,
    last_day: dt.date,
    refusals: Iterable[tuple[str, int]] = (),
) -> Summary:
    """The period's summary, counted from the events in the hall's store (see :func:`compute`).

    Outcomes (early, on time, late) are those of each closed case's promised clock, read at
    its seal time; fees are the hall's quotes of closed, approved cases.
    """
    report = compute(hall, Period(first_day, last_day))
    t = report.total.figures
    return Summary(
        first_day=first_day,
        last_day=last_day,
        working_days=report.working_days,
        received=t.received,
        accepted=t.accepted,
        corrections=t.corrections,
        not_accepted=t.not_accepted,
        withdrawn=t.withdrawn,
        closed=t.closed,
        approved=t.approved,
        denied=t.denied,
        immediate_closed=t.immediate_closed,
        early=t.early,
        on_time=t.on_time,
        late=t.late,
        open=t.open,
        open_overdue=t.open_overdue,
        extensions=t.extensions,
        deemed_opinions=t.deemed_opinions,
        escalations=tuple(sorted(t.escalations.items())),
        fees=t.fees,
        refusals=tuple(sorted(refusals)),
        report=report,
    )
