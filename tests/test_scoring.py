"""Scoring: the engine against a hand computation and a naive twin; facts derived from events."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence

import pytest
from hallflow_tongshan.plugin import SCHEME as TONGSHAN
from hallflow_zhenlai.scoring import SCHEME as ZHENLAI
from hypothesis import given, settings
from hypothesis import strategies as st

from hallflow.errors import HallflowError, ModelError, PluginError
from hallflow.plugins import hookimpl, plugin_manager
from hallflow.supervision.evaluation import Supervision
from hallflow.supervision.scoring import (
    Category,
    Deduction,
    Fact,
    FactKind,
    Grade,
    ScoringScheme,
    Table,
    assess,
    bottom,
    default_subjects,
    derive_facts,
    hall_assessment,
    month_of,
    rank,
    scheme_of,
    score,
    score_month,
)
from tests.hall_fixtures import APPLICANT, SH, at
from tests.strategies import scoring_facts
from tests.test_evaluation import build, closed_case, nth_working_day_close, supervision

WINDOWS = ["c1", "pl", "hf", "w4", "w5", "w6", "w7"]
STAFF = ["clerk", "rev1", "rev2", "chief", "deputy"]
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


# ---------------------------------------------------------------------- the naive twin


def naive_scores(
    table: Table, facts: Sequence[Fact], month: str, subjects: Sequence[str], attr: str
) -> dict[str, int]:
    """Category by category, fact by fact: the rules as the seed states them."""
    out: dict[str, int] = {}
    for s in subjects:
        mine = [f for f in facts if f.month == month and getattr(f, attr) == s]
        total = table.base
        for category in table.categories:
            taken = 0
            for f in mine:
                for d in table.deductions:
                    if d.fact == f.kind and d.category == category.code:
                        taken += d.points
            total -= min(taken, category.points)  # "until the category is used up"
        bonus = sum(b.points for f in mine for b in table.bonuses if b.fact == f.kind)
        out[s] = total + min(bonus, table.bonus_cap)
    return out


def naive_bottom(scores: dict[str, int], n: int) -> set[str]:
    """The n-th lowest score is the threshold; a month where everyone ties flags no one."""
    if n == 0 or not scores:
        return set()
    ordered = sorted(scores.values())
    threshold = ordered[min(n, len(ordered)) - 1]
    return {s for s, v in scores.items() if v <= threshold and v < ordered[-1]}


def naive_rank(scores: dict[str, int]) -> dict[str, int]:
    return {s: 1 + sum(1 for v in scores.values() if v > mine) for s, mine in scores.items()}


def naive_assessment(
    scheme: ScoringScheme, facts: Sequence[Fact], months: Sequence[str]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    warnings, sent_back, eliminated = [], [], []
    flags = dict.fromkeys(WINDOWS, 0)
    failing = dict.fromkeys(STAFF, 0)
    low = dict.fromkeys(STAFF, 0)
    for m in months:
        if scheme.window is not None:
            w = naive_scores(scheme.window, facts, m, WINDOWS, "window")
            for s in WINDOWS:  # the engine reports in rank order; compare as sets below
                if s in naive_bottom(w, scheme.window_flags):
                    flags[s] += 1
                    if scheme.warning_after_flags and flags[s] % scheme.warning_after_flags == 0:
                        warnings.append((s, m))
        if scheme.staff is not None:
            p = naive_scores(scheme.staff, facts, m, STAFF, "staff")
            last = naive_bottom(p, scheme.elimination.bottom) if scheme.elimination else set()
            for s in STAFF:
                if scheme.fail_below is not None and p[s] < scheme.fail_below:
                    failing[s] += 1
                    if failing[s] == scheme.sent_back_after:
                        sent_back.append((s, m))
                else:
                    failing[s] = 0
                if s in last:
                    low[s] += 1
                    if scheme.elimination is not None and low[s] == scheme.elimination.months:
                        eliminated.append((s, m))
                else:
                    low[s] = 0
    return warnings, sent_back, eliminated


# ---------------------------------------------------------------------- hand computations


def facts_of(
    kind: FactKind, n: int, month: str, window: str | None, staff: str | None = None
) -> list[Fact]:
    return [Fact(kind.value, month, window, staff) for _ in range(n)]


def test_zhenlai_window_hand_computation() -> None:
    m = "2026-03"
    facts = [
        *facts_of(FactKind.BAD_RATING, 2, m, "pl"),
        *facts_of(FactKind.UPHELD_COMPLAINT, 1, m, "pl"),
        *facts_of(FactKind.ATTITUDE, 1, m, "pl"),
        *facts_of(FactKind.OVERDUE_CASE, 3, m, "pl"),
        *facts_of(FactKind.COMMENDATION, 11, m, "pl"),
        *facts_of(FactKind.WRONGFUL_REJECTION, 1, m, "c1"),
        *facts_of(FactKind.IMPROPER_DEMANDS, 1, m, "hf"),
        *facts_of(FactKind.IMPROPER_DEMANDS, 1, "2026-04", "c1"),  # another month
    ]
    result = score_month(ZHENLAI, facts, m, WINDOWS, STAFF)
    by = {s.subject: s for s in result.windows}
    # 篇三, Window rules 四: results carry 20 points; 2 bad ratings x2, a complaint x5 and
    # 3 overdue cases x5 would take 24, the category stops at 20; 二: attitude 2; 八: eleven
    # commendations x2 = 22, the bonus stops at 20.
    assert by["pl"].score == 100 - min(20, 2 * 2 + 5 + 3 * 5) - 2 + min(20, 11 * 2)
    assert dict(by["pl"].deducted) == {"results": 20, "conduct": 2}
    assert by["c1"].score == 100 - 2  # 三: a wrongful rejection
    assert by["hf"].score == 100 - 28  # 二: improper demands lose the whole category
    scores = {s.subject: s.score for s in result.windows}
    assert {s.subject: s.rank for s in result.windows} == naive_rank(scores)
    assert [s.subject for s in result.windows if s.flagged] == ["hf"]  # the last, yellow flag
    assert {s.subject for s in result.windows if s.model} == {
        s for s, r in naive_rank(scores).items() if r <= 5
    }


def test_zhenlai_staff_grades_and_return() -> None:
    months = MONTHS[:3]
    facts = []
    for m in months[:2]:  # rev2: two months below 60 running
        facts += facts_of(FactKind.IMPROPER_DEMANDS, 1, m, None, "rev2")  # 一: -25
        facts += facts_of(FactKind.UPHELD_COMPLAINT, 4, m, None, "rev2")  # 四: -20
    facts += facts_of(FactKind.OVERDUE_CASE, 3, months[0], None, "rev1")  # 四: -15
    outcome = assess(ZHENLAI, facts, months, WINDOWS, STAFF)
    first = {s.subject: s for s in outcome.months[0].staff}
    assert first["rev2"].score == 100 - 25 - 20 and first["rev2"].grade == "不合格"
    assert first["rev1"].score == 100 - 15 and first["rev1"].grade == "良好"
    assert first["clerk"].score == 100 and first["clerk"].grade == "优秀"
    assert outcome.sent_back == (("rev2", months[1]),)
    assert outcome.eliminated == ()


def test_two_yellow_flags_make_a_warning() -> None:
    facts = facts_of(FactKind.FEES, 1, MONTHS[0], "hf") + facts_of(
        FactKind.FEES, 1, MONTHS[2], "hf"
    )
    outcome = assess(ZHENLAI, facts, MONTHS[:4], WINDOWS, STAFF)
    assert [m.month for m in outcome.months for w in m.windows if w.flagged] == [
        MONTHS[0],
        MONTHS[2],
    ]
    assert outcome.warnings == (("hf", MONTHS[2]),)


def test_tongshan_bottom_two_for_three_months() -> None:
    facts = []
    for m in MONTHS[:3]:
        facts += facts_of(FactKind.OVERDUE_CASE, 2, m, None, "rev1")
        facts += facts_of(FactKind.BAD_RATING, 1, m, None, "rev2")
    facts += facts_of(FactKind.OVERDUE_CASE, 1, MONTHS[1], None, "clerk")  # third last in m2
    outcome = assess(TONGSHAN, facts, MONTHS[:4], WINDOWS, STAFF)
    assert sorted(outcome.eliminated) == [("rev1", MONTHS[2]), ("rev2", MONTHS[2])]
    # in February clerk and rev2 lost one point each and tie; with only rev1 strictly below
    # them, all three are among the last two places
    feb = {s.subject: s for s in outcome.months[1].staff}
    assert {s for s, v in feb.items() if v.flagged} == {"rev1", "rev2", "clerk"}


def test_a_month_where_everyone_ties_flags_no_one() -> None:
    result = score_month(TONGSHAN, [], MONTHS[0], WINDOWS, STAFF)
    assert not any(s.flagged for s in (*result.windows, *result.staff))
    assert {s.rank for s in result.windows} == {1}


# ---------------------------------------------------------------------- the property


facts_strategy = scoring_facts(MONTHS, WINDOWS, STAFF)


@settings(max_examples=150, deadline=None)
@given(
    scheme=st.sampled_from([ZHENLAI, TONGSHAN]),
    facts=facts_strategy,
    months=st.integers(1, len(MONTHS)),
)
def test_engine_equals_the_naive_twin(
    scheme: ScoringScheme, facts: list[Fact], months: int
) -> None:
    chosen = MONTHS[:months]
    outcome = assess(scheme, facts, chosen, WINDOWS, STAFF)
    for result in outcome.months:
        for table, attr, flags, got in (
            (scheme.window, "window", scheme.window_flags, result.windows),
            (scheme.staff, "staff", scheme.staff_flags, result.staff),
        ):
            assert table is not None
            subjects = WINDOWS if attr == "window" else STAFF
            expected = naive_scores(table, facts, result.month, subjects, attr)
            assert {s.subject: s.score for s in got} == expected
            assert {s.subject: s.rank for s in got} == naive_rank(expected)
            assert {s.subject for s in got if s.flagged} == naive_bottom(expected, flags)
            assert [s.rank for s in got] == sorted(s.rank for s in got)
            if attr == "staff":
                for s in got:
                    floors = [g.floor for g in scheme.grades if g.floor <= s.score]
                    names = {g.floor: g.name for g in scheme.grades}
                    assert s.grade == (names[max(floors)] if floors else None)
    warnings, sent_back, eliminated = naive_assessment(scheme, facts, chosen)
    assert sorted(outcome.warnings) == sorted(warnings)
    assert sorted(outcome.sent_back) == sorted(sent_back)
    assert sorted(outcome.eliminated) == sorted(eliminated)


# ---------------------------------------------------------------------- validation


def test_schemes_validate_themselves() -> None:
    with pytest.raises(ModelError):
        Table(100, 20, (Category("a", "A", 60), Category("b", "B", 60)), ())
    with pytest.raises(ModelError):
        Table(100, 20, (Category("a", "A", 60),), (Deduction("bad_rating", "zz", 2, "s"),))
    with pytest.raises(ModelError):
        Deduction("late_lunch", "a", 2, "s")
    with pytest.raises(ModelError):
        Deduction("bad_rating", "a", 0, "s")
    with pytest.raises(ModelError):
        ScoringScheme("n", "s", grades=(Grade(60, "a"), Grade(60, "b")))
    with pytest.raises(ModelError):
        Fact("bad_rating", "2026-13")
    with pytest.raises(ModelError):
        score_month(ZHENLAI, [], "2026-1", WINDOWS, STAFF)
    with pytest.raises(ModelError):
        score_month(ZHENLAI, ["bad_rating"], "2026-01", WINDOWS, STAFF)  # type: ignore[list-item]
    with pytest.raises(ModelError):
        score_month(ZHENLAI, [], "2026-01", ["pl", "pl"], STAFF)


class Wrong:
    @hookimpl
    def hallflow_scoring_scheme(self) -> object:
        return {"base": 100}


def test_the_scheme_comes_from_the_first_plugin() -> None:
    import hallflow_zhenlai.plugin

    assert scheme_of(plugin_manager()) is None  # national: none
    assert scheme_of(plugin_manager([hallflow_zhenlai.plugin])) is ZHENLAI
    with pytest.raises(PluginError):
        scheme_of(plugin_manager([Wrong()]))


# ---------------------------------------------------------------------- facts from events


def test_facts_are_derived_from_events_only() -> None:
    hall = build()
    sup = supervision(hall)
    cid, done = closed_case(hall, "c-1", at(3, 2))
    bad = sup.rate(2, "keypad", at=done, case_id=cid, staff="clerk")
    sup.verify(bad.rating_id, valid=True, finding="f", actor="sup", at=at(3, 31, 16))
    unfounded = sup.rate(1, "sms", at=at(3, 4), window="pl", staff="rev1")
    sup.verify(unfounded.rating_id, valid=False, finding="no", actor="sup", at=at(3, 5))
    sup.rate(5, "qr", at=at(4, 1), window="pl", staff="rev1", rater="p-9", comment="thank you")
    sup.rate(5, "qr", at=at(4, 1), window="pl", rater="p-8")  # no words: no commendation
    fees = sup.receive_complaint(
        "fees", "centre", "double fee", at=at(3, 10), window="pl", staff="clerk"
    )
    sup.conclude_complaint(fees.complaint_id, upheld=True, finding="f", actor="sup", at=at(4, 2))
    rejected = sup.receive_complaint("attitude", "centre", "x", at=at(3, 10), window="pl")
    sup.conclude_complaint(
        rejected.complaint_id, upheld=False, finding="f", actor="sup", at=at(3, 11)
    )
    # an open case past its promise, with rev2 holding the council step
    accepted = at(3, 2, 11)
    hall.submit(
        "plan-01",
        APPLICANT,
        "c1",
        materials=["form", "site"],
        actor="clerk",
        at=accepted,
        case_id="c-late",
    )
    hall.accept("c-late", actor="clerk", at=accepted)
    hall.sign("c-late", "review", actor="rev1", at=accepted)
    hall.assign("c-late", "council", ["rev1", "rev2"], actor="chief", at=accepted)
    hall.sign("c-late", "council", actor="rev1", at=accepted)
    due = nth_working_day_close(hall, accepted, 12)
    rectify_due = nth_working_day_close(hall, at(3, 31, 16), 15)
    until = at(5, 1)
    facts = derive_facts(sup, until)
    got = sorted((f.kind, f.month, f.window, f.staff) for f in facts)
    expected = sorted(
        [
            ("bad_rating", "2026-03", "c1", "clerk"),
            ("commendation", "2026-04", "pl", "rev1"),
            ("upheld_complaint", "2026-04", "pl", "clerk"),
            ("fees", "2026-04", "pl", "clerk"),
            ("overdue_case", due.strftime("%Y-%m"), "c1", "rev2"),
            # verified on 31 March and never rectified: 15 working days later it is late
            ("rectification_late", rectify_due.strftime("%Y-%m"), "c1", "clerk"),
        ]
    )
    assert got == expected
    overdue = next(f for f in facts if f.kind == "overdue_case")
    assert all(stream == "c-late" for stream, _ in overdue.evidence)
    # nothing is a fact before it happened
    assert derive_facts(sup, at(3, 3)) == []
    windows, staff = default_subjects(sup)
    assert "sup" not in staff and set(windows) == {"c1", "pl", "hf"}
    months = assess(ZHENLAI, facts, ["2026-03", "2026-04"], windows, staff).months
    april = {s.subject: s.score for s in months[1].windows}
    # 四: a complaint found true -5; 五: a fee against the rules -2; 八: one commendation +2
    assert april["pl"] == 100 - 5 - 2 + 2
    # Zhenlai deducts nothing for a late rectification; in March c1 lost 2 for the bad
    # rating (四) and 5 for the overdue case (四), when the case fell due in March
    assert april["c1"] == 100
    march = {s.subject: s.score for s in months[0].windows}
    assert march["c1"] == 100 - 2 - (5 if due.month == 3 else 0)
    # the same through the hall's own plugins: national has no scheme, Zhenlai's is used
    assert hall_assessment(sup, ["2026-03", "2026-04"], until) is None
    import hallflow_zhenlai.plugin

    zhenlai_hall = build(hall.store, plugins=[hallflow_zhenlai.plugin])
    through = hall_assessment(supervision(zhenlai_hall), ["2026-03", "2026-04"], until)
    assert through is not None and through.months == months
    assert dt.timedelta(0) < until - due


def _garbage() -> list[Callable[[], object]]:
    from hallflow.supervision import accountability, complaints

    hall = build()
    return [
        lambda: month_of("2026-03-01", SH),  # type: ignore[arg-type]
        lambda: month_of(dt.datetime(2026, 3, 1), SH),
        lambda: rank({"a": "1"}),  # type: ignore[dict-item]
        lambda: bottom({"a": 1}, -1),
        lambda: score("table", Counter()),  # type: ignore[arg-type]
        lambda: score(TONGSHAN.staff, {"bad_rating": 1}),  # type: ignore[arg-type]
        lambda: scheme_of("pm"),  # type: ignore[arg-type]
        lambda: derive_facts("sup", at(3, 3)),  # type: ignore[arg-type]
        lambda: derive_facts(supervision(hall), "2026-03-03"),  # type: ignore[arg-type]
        lambda: assess("scheme", [], MONTHS, WINDOWS, STAFF),  # type: ignore[arg-type]
        lambda: assess(ZHENLAI, [], MONTHS, "c1", STAFF),
        lambda: accountability.records("hall", at(3, 3)),  # type: ignore[arg-type]
        lambda: accountability.records(hall, at(3, 3), "sup"),  # type: ignore[arg-type]
        lambda: accountability.post_of(hall, ["clerk"]),  # type: ignore[arg-type]
        lambda: complaints.get("sup", "0" * 32),  # type: ignore[arg-type]
        lambda: Supervision("hall"),  # type: ignore[arg-type]
        lambda: supervision(hall).clocks("rating"),  # type: ignore[arg-type]
        lambda: supervision(hall).complaint_clock("complaint"),  # type: ignore[arg-type]
        lambda: supervision(hall).late_steps(dt.datetime(2026, 3, 3)),
    ]


def test_public_entry_points_refuse_garbage_with_hallflow_errors() -> None:
    for call in _garbage():
        with pytest.raises(HallflowError):
            call()
