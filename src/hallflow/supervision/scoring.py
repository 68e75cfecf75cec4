"""Window and staff scoring from events: a declarative scheme, facts, monthly ranking.

A locality supplies its scheme as data through the ``hallflow_scoring_scheme`` hook
(:class:`ScoringScheme`): a base score, a bonus cap, categories each worth some points,
deductions per *fact*, bonuses per fact, individual grades, and what the monthly ranking
leads to (model windows, flags for the last places, a warning after repeated flags, staff
sent back after repeated failing months, elimination after months at the bottom).

Facts (:class:`Fact`) are derived from the store's events only (:func:`derive_facts`):

========================  ===================================================  =============
fact                      derived from                                         dated
========================  ===================================================  =============
``bad_rating``            a bad rating verified as valid                       verification
``commendation``          a real-name very-satisfied rating with written words  rating
``rectification_late``    a bad rating's rectification done or open past due    due
``upheld_complaint``      any complaint concluded as upheld                     conclusion
``wrongful_rejection``    an upheld complaint of that category                  conclusion
``attitude``              an upheld complaint of that category                  conclusion
``fees``                  an upheld complaint of that category                  conclusion
``improper_demands``      an upheld complaint of that category                  conclusion
``overdue_case``          a case whose promised clock ran past its due          due
``revoked_case``          a decision revoked (an error in the result)           revocation
========================  ===================================================  =============

A subject's monthly score (:func:`score`) is ``base − Σ_category min(category points,
Σ deductions) + min(bonus cap, Σ bonuses)``: deductions stop when a category's points are
used up. Ranks are competition ranks (equal scores share a rank; the next rank skips).
A subject is among the *bottom n* when fewer than n subjects score strictly lower and it
scores below the month's best (a month in which everyone ties flags no one).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from hallflow.errors import ModelError, PluginError
from hallflow.model.org import Role
from hallflow.supervision import _checks
from hallflow.supervision.accountability import case_records

if TYPE_CHECKING:
    from hallflow.supervision.evaluation import Supervision

__all__ = [
    "Assessment",
    "Bonus",
    "Category",
    "Deduction",
    "Elimination",
    "Fact",
    "FactKind",
    "Grade",
    "MonthResult",
    "ScoringScheme",
    "SubjectScore",
    "Table",
    "assess",
    "bottom",
    "default_subjects",
    "derive_facts",
    "hall_assessment",
    "month_of",
    "rank",
    "scheme_of",
    "score",
    "score_month",
]


class FactKind(enum.StrEnum):
    """The facts a scheme can deduct or add points for (see the module's table)."""

    BAD_RATING = "bad_rating"
    COMMENDATION = "commendation"
    RECTIFICATION_LATE = "rectification_late"
    UPHELD_COMPLAINT = "upheld_complaint"
    WRONGFUL_REJECTION = "wrongful_rejection"
    ATTITUDE = "attitude"
    FEES = "fees"
    IMPROPER_DEMANDS = "improper_demands"
    OVERDUE_CASE = "overdue_case"
    REVOKED_CASE = "revoked_case"


_FACTS = frozenset(k.value for k in FactKind)


def _month_text(_i: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if (
        type(value) is not str
        or len(value) != 7
        or value[4] != "-"
        or not (value[:4] + value[5:]).isdigit()
        or not 1 <= int(value[5:]) <= 12
    ):
        raise ModelError(attribute.name, "must be a month 'YYYY-MM'", value)


def _fact_kind(_i: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in _FACTS:
        raise ModelError(attribute.name, f"must be one of {sorted(_FACTS)}", value)


def _optional_code(_i: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (type(value) is not str or not value.strip()):
        raise ModelError(attribute.name, "must be None or a non-blank str", value)


def _pairs(value: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    return tuple(value)


def month_of(at: dt.datetime, zone: dt.tzinfo) -> str:
    """The month ``YYYY-MM`` an instant falls in, in the hall's zone."""
    if not isinstance(at, dt.datetime) or at.utcoffset() is None:
        raise ModelError("at", "must be an aware datetime", at)
    if not isinstance(zone, dt.tzinfo):
        raise ModelError("zone", "must be a tzinfo", zone)
    return at.astimezone(zone).strftime("%Y-%m")


@attrs.define(frozen=True, slots=True)
class Fact:
    """One event-derived fact a scheme scores.

    Attributes:
        kind: what happened (a :class:`FactKind` value).
        month: the month it counts in, ``YYYY-MM`` (the hall's zone).
        window: the window it is charged to, if any.
        staff: the staff member it is charged to, if any.
        evidence: the (stream, seq) pairs of the events it comes from.
    """

    kind: str = attrs.field(validator=_fact_kind)
    month: str = attrs.field(validator=_month_text)
    window: str | None = attrs.field(default=None, validator=_optional_code)
    staff: str | None = attrs.field(default=None, validator=_optional_code)
    evidence: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=_pairs)


# ---------------------------------------------------------------------- the scheme


def _positive(_i: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or value <= 0:
        raise ModelError(attribute.name, "must be an int above 0", value)


def _natural(_i: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or value < 0:
        raise ModelError(attribute.name, "must be an int of at least 0", value)


def _optional_positive(_i: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _positive(_i, attribute, value)


def _text(_i: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not str or not value.strip():
        raise ModelError(attribute.name, "must be a non-blank str", value)


@attrs.define(frozen=True, slots=True)
class Category:
    """A scoring category and the points it carries (deductions stop at them)."""

    code: str = attrs.field(validator=_text)
    name: str = attrs.field(validator=_text)
    points: int = attrs.field(validator=_positive)


@attrs.define(frozen=True, slots=True)
class Deduction:
    """Points taken from a category for each occurrence of a fact, and the rule's source."""

    fact: str = attrs.field(validator=_fact_kind)
    category: str = attrs.field(validator=_text)
    points: int = attrs.field(validator=_positive)
    source: str = attrs.field(validator=_text)


@attrs.define(frozen=True, slots=True)
class Bonus:
    """Points added for each occurrence of a fact (up to the table's bonus cap)."""

    fact: str = attrs.field(validator=_fact_kind)
    points: int = attrs.field(validator=_positive)
    source: str = attrs.field(validator=_text)


def _categories(value: Iterable[Category]) -> tuple[Category, ...]:
    return tuple(value)


def _deductions(value: Iterable[Deduction]) -> tuple[Deduction, ...]:
    return tuple(value)


def _bonuses(value: Iterable[Bonus]) -> tuple[Bonus, ...]:
    return tuple(value)


def _grades(value: Iterable[Grade]) -> tuple[Grade, ...]:
    return tuple(value)


@attrs.define(frozen=True, slots=True)
class Table:
    """How one kind of subject (windows or staff) is scored.

    Attributes:
        base: the base score.
        bonus_cap: the most bonus points a month can add.
        categories: the categories (their points are the most a month can take from each).
        deductions: per-fact deductions, each into a known category.
        bonuses: per-fact bonuses.
    """

    base: int = attrs.field(validator=_positive)
    bonus_cap: int = attrs.field(validator=_natural)
    categories: tuple[Category, ...] = attrs.field(converter=_categories)
    deductions: tuple[Deduction, ...] = attrs.field(converter=_deductions)
    bonuses: tuple[Bonus, ...] = attrs.field(default=(), converter=_bonuses)

    def __attrs_post_init__(self) -> None:
        codes = [c.code for c in self.categories]
        if len(set(codes)) != len(codes):
            raise ModelError("Table.categories", "category codes must be unique", codes)
        if sum(c.points for c in self.categories) > self.base:
            raise ModelError(
                "Table.categories", "the categories may not carry more than the base", codes
            )
        for d in self.deductions:
            if not isinstance(d, Deduction) or d.category not in codes:
                raise ModelError("Table.deductions", "each deducts from a known category", d)
        for b in self.bonuses:
            if not isinstance(b, Bonus):
                raise ModelError("Table.bonuses", "must be Bonus values", b)


@attrs.define(frozen=True, slots=True)
class Grade:
    """An individual grade: scores at or above ``floor`` (and below the next) get ``name``."""

    floor: int = attrs.field(validator=_natural)
    name: str = attrs.field(validator=_text)


@attrs.define(frozen=True, slots=True)
class Elimination:
    """Bottom-place elimination: ``bottom`` last places for ``months`` months running."""

    bottom: int = attrs.field(validator=_positive)
    months: int = attrs.field(validator=_positive)
    source: str = attrs.field(validator=_text)


@attrs.define(frozen=True, slots=True)
class ScoringScheme:
    """A locality's scoring scheme, as data.

    Attributes:
        name: a name for reports.
        source: where the rules come from (seed and article).
        window: how windows are scored, or None (no window scores).
        staff: how staff are scored, or None.
        grades: individual grades, any order (the highest floor not above a score wins).
        model_windows: windows ranked this high or better are model windows (0: none).
        window_flags: the last this many windows are flagged each month (0: none).
        staff_flags: the last this many staff are flagged each month (0: none).
        warning_after_flags: a window flagged this many times is warned (each time its
            count of flags reaches a multiple of it); None: never.
        fail_below: a staff score below this fails the month; None: no pass mark.
        sent_back_after: a staff member failing this many months running is sent back to
            their department; None: never.
        elimination: the bottom-place elimination rule for staff, or None.
    """

    name: str = attrs.field(validator=_text)
    source: str = attrs.field(validator=_text)
    window: Table | None = None
    staff: Table | None = None
    grades: tuple[Grade, ...] = attrs.field(default=(), converter=_grades)
    model_windows: int = attrs.field(default=0, validator=_natural)
    window_flags: int = attrs.field(default=0, validator=_natural)
    staff_flags: int = attrs.field(default=0, validator=_natural)
    warning_after_flags: int | None = attrs.field(default=None, validator=_optional_positive)
    fail_below: int | None = attrs.field(default=None, validator=_optional_positive)
    sent_back_after: int | None = attrs.field(default=None, validator=_optional_positive)
    elimination: Elimination | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("window", "staff"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Table):
                raise ModelError(f"ScoringScheme.{name}", "must be a Table or None", value)
        floors = [g.floor for g in self.grades]
        if len(set(floors)) != len(floors):
            raise ModelError("ScoringScheme.grades", "grade floors must be distinct", floors)
        if self.elimination is not None and not isinstance(self.elimination, Elimination):
            raise ModelError("ScoringScheme.elimination", "must be an Elimination", None)

    def grade(self, points: int) -> str | None:
        """The grade of a score (None when the scheme has no grades or none applies)."""
        best: Grade | None = None
        for g in self.grades:
            if g.floor <= points and (best is None or g.floor > best.floor):
                best = g
        return best.name if best is not None else None


def scheme_of(pm: pluggy.PluginManager) -> ScoringScheme | None:
    """The first plugin's scoring scheme (None: no scheme, as nationally).

    Raises:
        PluginError: the answer is not a :class:`ScoringScheme`.
    """
    if not isinstance(pm, pluggy.PluginManager):
        raise ModelError("pm", "must be a pluggy PluginManager", pm)
    answer = pm.hook.hallflow_scoring_scheme()
    if answer is not None and not isinstance(answer, ScoringScheme):
        raise PluginError("(first result)", "hallflow_scoring_scheme", f"not a scheme: {answer!r}")
    return answer


# ---------------------------------------------------------------------- scores


@attrs.define(frozen=True, slots=True)
class SubjectScore:
    """One window's or staff member's month.

    Attributes:
        subject: the window or staff code.
        month: ``YYYY-MM``.
        score: the month's score.
        deducted: points taken, per category code (only categories with a deduction).
        bonus: points added (capped).
        rank: the competition rank among the month's subjects (1 is best).
        grade: the individual grade (staff), or None.
        model: a model window this month.
        flagged: among the month's flagged last places.
    """

    subject: str
    month: str
    score: int
    deducted: tuple[tuple[str, int], ...]
    bonus: int
    rank: int = 0
    grade: str | None = None
    model: bool = False
    flagged: bool = False


def score(table: Table, counts: Counter[str]) -> tuple[int, tuple[tuple[str, int], ...], int]:
    """A subject's score from its fact counts: (score, deducted per category, bonus)."""
    if not isinstance(table, Table):
        raise ModelError("table", "must be a Table", table)
    if not isinstance(counts, Counter):
        raise ModelError("counts", "must be a Counter of fact kinds", counts)
    taken: dict[str, int] = {}
    for d in table.deductions:
        if counts[d.fact]:
            taken[d.category] = taken.get(d.category, 0) + d.points * counts[d.fact]
    caps = {c.code: c.points for c in table.categories}
    deducted = tuple((c, min(caps[c], p)) for c, p in sorted(taken.items()))
    bonus = min(table.bonus_cap, sum(b.points * counts[b.fact] for b in table.bonuses))
    return table.base - sum(p for _, p in deducted) + bonus, deducted, bonus


def _check_scores(scores: object) -> None:
    if not isinstance(scores, dict) or not all(
        isinstance(k, str) and type(v) is int for k, v in scores.items()
    ):
        raise ModelError("scores", "must map subject codes to int scores", scores)


def rank(scores: dict[str, int]) -> dict[str, int]:
    """Competition ranks: 1 + the number of subjects scoring strictly higher."""
    _check_scores(scores)
    values = sorted(scores.values(), reverse=True)
    first: dict[int, int] = {}
    for i, v in enumerate(values):
        first.setdefault(v, i + 1)
    return {s: first[v] for s, v in scores.items()}


def bottom(scores: dict[str, int], n: int) -> frozenset[str]:
    """The subjects among the last ``n`` places (none when everyone ties)."""
    _check_scores(scores)
    if type(n) is not int or n < 0:
        raise ModelError("n", "must be an int of at least 0", n)
    if n <= 0 or not scores:
        return frozenset()
    best = max(scores.values())
    values = sorted(scores.values())
    out = set()
    for s, v in scores.items():
        lower = sum(1 for x in values if x < v)
        if lower < n and v < best:
            out.add(s)
    return frozenset(out)


@attrs.define(frozen=True, slots=True)
class MonthResult:
    """A month's scores: windows and staff, each in rank order (then by code)."""

    month: str
    windows: tuple[SubjectScore, ...]
    staff: tuple[SubjectScore, ...]


def _subjects(
    scheme: ScoringScheme,
    table: Table | None,
    facts: Sequence[Fact],
    month: str,
    subjects: Sequence[str],
    attr: str,
    flags: int,
    model: int,
) -> tuple[SubjectScore, ...]:
    if table is None:
        return ()
    counts: dict[str, Counter[str]] = {s: Counter() for s in subjects}
    for f in facts:
        who = getattr(f, attr)
        if f.month == month and who in counts:
            counts[who][f.kind] += 1
    raw = {s: score(table, counts[s]) for s in subjects}
    totals = {s: r[0] for s, r in raw.items()}
    ranks = rank(totals)
    flagged = bottom(totals, flags)
    out = [
        SubjectScore(
            subject=s,
            month=month,
            score=raw[s][0],
            deducted=raw[s][1],
            bonus=raw[s][2],
            rank=ranks[s],
            grade=scheme.grade(raw[s][0]) if attr == "staff" else None,
            model=model > 0 and ranks[s] <= model,
            flagged=s in flagged,
        )
        for s in subjects
    ]
    return tuple(sorted(out, key=lambda x: (x.rank, x.subject)))


def score_month(
    scheme: ScoringScheme,
    facts: Sequence[Fact],
    month: str,
    windows: Sequence[str],
    staff: Sequence[str],
) -> MonthResult:
    """Every window's and staff member's score in ``month``.

    Raises:
        ModelError: a malformed month or a fact that is not a :class:`Fact`.
    """
    _check_inputs(scheme, facts, [month], windows, staff)
    return MonthResult(
        month,
        _subjects(
            scheme,
            scheme.window,
            facts,
            month,
            windows,
            "window",
            scheme.window_flags,
            scheme.model_windows,
        ),
        _subjects(scheme, scheme.staff, facts, month, staff, "staff", scheme.staff_flags, 0),
    )


def _check_inputs(
    scheme: object,
    facts: Sequence[object],
    months: Sequence[object],
    windows: Sequence[object],
    staff: Sequence[object],
) -> None:
    if not isinstance(scheme, ScoringScheme):
        raise ModelError("scheme", "must be a ScoringScheme", scheme)
    for f in facts:
        if not isinstance(f, Fact):
            raise ModelError("facts", "must be Fact values", f)
    for m in months:
        _month_text(None, attrs.fields(Fact).month, m)
    for name, codes in (("windows", windows), ("staff", staff)):
        if isinstance(codes, str) or len(set(codes)) != len(codes):
            raise ModelError(name, "must be a sequence of distinct codes", codes)


@attrs.define(frozen=True, slots=True)
class Assessment:
    """Several months' scores and what they lead to.

    Attributes:
        months: each month's result, in the order given.
        warnings: (window, month) each time a window's count of flags reaches a multiple
            of the scheme's ``warning_after_flags``.
        sent_back: (staff, month) when a staff member's run of failing months reaches the
            scheme's ``sent_back_after``.
        eliminated: (staff, month) when a staff member's run of months among the bottom
            ``elimination.bottom`` reaches ``elimination.months``.
    """

    months: tuple[MonthResult, ...]
    warnings: tuple[tuple[str, str], ...]
    sent_back: tuple[tuple[str, str], ...]
    eliminated: tuple[tuple[str, str], ...]


def assess(
    scheme: ScoringScheme,
    facts: Sequence[Fact],
    months: Sequence[str],
    windows: Sequence[str],
    staff: Sequence[str],
) -> Assessment:
    """Score consecutive months and apply the scheme's warnings, returns and eliminations.

    ``months`` are taken as consecutive, in the order given ("months running").

    Raises:
        ModelError: malformed inputs.
    """
    _check_inputs(scheme, facts, months, windows, staff)
    results = tuple(score_month(scheme, facts, m, windows, staff) for m in months)
    flags: Counter[str] = Counter()
    failing: Counter[str] = Counter()
    low: Counter[str] = Counter()
    warnings: list[tuple[str, str]] = []
    sent_back: list[tuple[str, str]] = []
    eliminated: list[tuple[str, str]] = []
    for result in results:
        for w in result.windows:
            if w.flagged:
                flags[w.subject] += 1
                n = scheme.warning_after_flags
                if n is not None and flags[w.subject] % n == 0:
                    warnings.append((w.subject, result.month))
        totals = {s.subject: s.score for s in result.staff}
        last = bottom(totals, scheme.elimination.bottom) if scheme.elimination else frozenset()
        for s in result.staff:
            if scheme.fail_below is not None and s.score < scheme.fail_below:
                failing[s.subject] += 1
                if failing[s.subject] == scheme.sent_back_after:
                    sent_back.append((s.subject, result.month))
            else:
                failing[s.subject] = 0
            if scheme.elimination is not None and s.subject in last:
                low[s.subject] += 1
                if low[s.subject] == scheme.elimination.months:
                    eliminated.append((s.subject, result.month))
            else:
                low[s.subject] = 0
    return Assessment(results, tuple(warnings), tuple(sent_back), tuple(eliminated))


# ---------------------------------------------------------------------- facts from events

_COMPLAINT_FACTS = {
    "wrongful_rejection": FactKind.WRONGFUL_REJECTION,
    "attitude": FactKind.ATTITUDE,
    "fees": FactKind.FEES,
    "improper_demands": FactKind.IMPROPER_DEMANDS,
}


def derive_facts(sup: Supervision, until: dt.datetime) -> list[Fact]:
    """Every fact the store's events establish by ``until`` (see the module's table).

    Ratings, complaints and cases are read from the store; an overdue case is charged to its
    window and to each staff member its accountability records name (the first with the
    window, the others alone); a revoked case to its window and the decider.

    Raises:
        CommandInputError: ``until`` is not an aware instant.
    """
    from hallflow.cases.commands import check_instant

    _checks.supervision(sup)
    until = check_instant("until", until)
    hall = sup.hall
    zone = hall.calendar.hours.tzinfo
    staff_codes = {s.code for s in hall.organisation.staff_members}
    out: list[Fact] = []

    def add(
        kind: FactKind,
        at: dt.datetime,
        window: str | None,
        staff: str | None,
        evidence: Iterable[tuple[str, int]],
    ) -> None:
        if at <= until:
            out.append(Fact(kind.value, month_of(at, zone), window, staff, evidence))

    ratings = {r.stream: r for r in sup.ratings()}
    for r in ratings.values():
        v = r.verification
        if r.bad and v is not None and v.valid:
            add(FactKind.BAD_RATING, v.at, r.window, r.staff, [(r.stream, 1), (r.stream, v.seq)])
        if r.level == 5 and r.real_name and r.comment.strip():
            add(FactKind.COMMENDATION, r.rated_at, r.window, r.staff, [(r.stream, 1)])
    for step in sup.late_steps(until):
        if step.step == "rectify":
            r = ratings[step.stream]
            add(
                FactKind.RECTIFICATION_LATE,
                step.due,
                r.window,
                r.staff,
                [(step.stream, s) for s in step.evidence],
            )
    for c in sup.complaints():
        if c.conclusion is None or not c.conclusion.upheld:
            continue
        evidence = [(c.stream, 1), (c.stream, c.conclusion.seq)]
        add(FactKind.UPHELD_COMPLAINT, c.conclusion.at, c.window, c.staff, evidence)
        specific = _COMPLAINT_FACTS.get(c.category.value)
        if specific is not None:
            add(specific, c.conclusion.at, c.window, c.staff, evidence)
    for case_id in hall.case_ids():
        case = hall.case(case_id)
        records = [r for r in case_records(hall, case, until) if r.clock == "promised"]
        if records:
            first = records[0]
            evidence = [(case_id, s) for s in first.evidence]
            names = [r.staff for r in records if r.staff in staff_codes]
            add(
                FactKind.OVERDUE_CASE, first.due, case.window, names[0] if names else None, evidence
            )
            for name in names[1:]:
                add(FactKind.OVERDUE_CASE, first.due, None, name, evidence)
        for e in case.history:
            if e.kind == "revoked":
                by = case.decision.by if case.decision is not None else None
                add(
                    FactKind.REVOKED_CASE,
                    e.at,
                    case.window,
                    by if by in staff_codes else None,
                    [(case_id, e.seq)],
                )
    return sorted(out, key=lambda f: (f.month, f.kind, f.window or "", f.staff or "", f.evidence))


def default_subjects(sup: Supervision) -> tuple[list[str], list[str]]:
    """The hall's windows, and its staff other than supervision officers."""
    _checks.supervision(sup)
    org = sup.hall.organisation
    return (
        [w.code for w in org.windows],
        [s.code for s in org.staff_members if s.roles != frozenset({Role.SUPERVISOR})],
    )


def hall_assessment(
    sup: Supervision, months: Sequence[str], until: dt.datetime
) -> Assessment | None:
    """The hall's assessment: its locality's scheme over the facts its events establish.

    Args:
        sup: the hall's supervision.
        months: consecutive months ``YYYY-MM``, in order.
        until: the instant the facts are read at (the end of the last month, typically).

    Returns:
        The assessment of every window and every staff member but the supervision officers,
        or None when no plugin supplies a scheme.

    Raises:
        CommandInputError: ``until`` is not an aware instant.
        ModelError: a malformed month.
    """
    _checks.supervision(sup)
    scheme = scheme_of(sup.hall.plugins)
    if scheme is None:
        return None
    windows, staff = default_subjects(sup)
    return assess(scheme, derive_facts(sup, until), months, windows, staff)
