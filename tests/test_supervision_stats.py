"""Supervision statistics: the streaming computation against a naive recount, exact rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hallflow.errors import HallflowError
from hallflow.supervision.stats import (
    COLUMNS,
    Figures,
    Grouping,
    Period,
    StatisticsError,
    compute,
    decimal_places,
    display,
    p90,
    percent,
)
from hallflow.supervision.stats_reference import recount
from tests.hall_fixtures import APPLICANT, at, build_hall
from tests.strategies import (
    CasePlan,
    HallPlan,
    append_complaint,
    append_rating,
    hall_plans,
    play_hall_plan,
    slow_selected,
)

PERIODS = st.sampled_from(
    (
        Period.month("2026-10"),
        Period.month("2026-11"),
        Period(dt.date(2026, 10, 8), dt.date(2026, 10, 8)),
        Period(dt.date(2026, 10, 12), dt.date(2026, 11, 20)),
        Period(dt.date(2026, 9, 1), dt.date(2026, 12, 31)),
    )
)


def agree(hall: object, period: Period, grouping: Grouping) -> None:
    report = compute(hall, period, grouping)  # type: ignore[arg-type]
    expected = recount(hall, period.first, period.last, grouping.value)  # type: ignore[arg-type]
    total = expected.pop("*total*")
    for column in COLUMNS:
        assert report.total.value(column.name) == total[column.name], column.name
    levels = total["rating_levels"]
    assert isinstance(levels, dict)
    assert dict(report.total.figures.rating_levels) == {k: v for k, v in levels.items() if v}
    if grouping is Grouping.HALL:
        assert [r.key for r in report.rows] == ["hall"]
        return
    assert [r.key for r in report.rows] == sorted(expected)
    for row in report.rows:
        for column in COLUMNS:
            assert row.value(column.name) == expected[row.key][column.name], (
                row.key,
                column.name,
            )


SCALES = [1, pytest.param(10, marks=pytest.mark.slow, id="slow")]


@pytest.mark.parametrize("scale", SCALES)
def test_streaming_statistics_equal_a_naive_recount(
    scale: int, request: pytest.FixtureRequest
) -> None:
    """60 random halls (600 in the slow run), each period and grouping drawn at random."""
    if scale > 1 and not slow_selected(request.config):
        pytest.skip("slow: run with -m slow")

    @settings(
        max_examples=60 * scale,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(plan=hall_plans(), period=PERIODS, grouping=st.sampled_from(list(Grouping)))
    def check(plan: HallPlan, period: Period, grouping: Grouping) -> None:
        hall = build_hall()
        play_hall_plan(hall, plan, APPLICANT)
        totals = compute(hall, period).total.figures
        event(f"closed {min(totals.closed, 3)}, open overdue {min(totals.open_overdue, 1)}")
        event(f"late {min(totals.late, 1)}, bad ratings {min(totals.bad_ratings, 1)}")
        agree(hall, period, grouping)

    check()


def test_a_hand_built_hall_has_the_figures_counted_by_hand() -> None:
    """Three cases, a rating of each kind, a complaint: every figure computed by hand."""
    hall = build_hall()
    plan = HallPlan(
        cases=(
            # closed on the 3rd working day after acceptance, delivered in person: early
            CasePlan(0, 0, "window", "c1", "closed", (0, 1, 0, 0, 1, 0, 0, 0, 0, 0), "in_person"),
            # online, closed by post: handled wholly online
            CasePlan(0, 10, "online", "c1", "closed", (0, 0, 0, 0, 0, 0, 0, 0, 0, 0), "post"),
            # accepted and left lying: overdue by the end of November (12-day promise)
            CasePlan(1, 0, "window", "pl", "reviewing", (0,) * 10, "in_person"),
        ),
        ratings=(),
        complaints=(),
    )
    ids = play_hall_plan(hall, plan, APPLICANT)
    assert len(ids) == 3
    append_rating(hall.store, "a" * 32, at=at(10, 9), level=5, window="c1", staff="clerk")
    append_rating(hall.store, "b" * 32, at=at(10, 9, 11), level=1, window="c1", rectified=True)
    append_rating(  # a bad rating found invalid: withdrawn from the figures
        hall.store, "c" * 32, at=at(10, 9, 12), level=2, window="pl", verified=False
    )
    append_rating(hall.store, "d" * 32, at=at(10, 10), level=2, window="pl")
    append_complaint(hall.store, "e" * 32, at=at(10, 12), category="overdue", window="pl")
    report = compute(hall, Period(dt.date(2026, 10, 1), dt.date(2026, 11, 30)), "window")
    t = report.total.figures
    assert (t.received, t.accepted, t.closed) == (3, 3, 2)
    assert t.closure_rate == Fraction(2, 3)
    assert t.online_rate == Fraction(1, 2)
    assert t.open == 1 and t.open_overdue == 1
    # satisfied: the 5 only; ratings counted: 5, 1, 2 (the withdrawn 2 left out)
    assert (t.ratings, t.satisfied, t.bad_ratings, t.bad_rectified) == (3, 1, 2, 1)
    assert t.satisfaction_rate == Fraction(1, 3)
    assert t.rectification_rate == Fraction(1, 2)
    assert t.complaints_per_1000 == Fraction(1000, 3)
    assert t.fees == Decimal(0)
    # visits: the window case came in and took its decision on two days; the online one none
    assert t.visits_per_case == Fraction(2, 2)
    rows = {r.key: r.figures for r in report.rows}
    assert set(rows) == {"c1", "pl"}
    assert rows["pl"].complaints == 1 and rows["pl"].received == 1
    assert rows["c1"].satisfaction_rate == Fraction(1, 2)
    agree(hall, Period(dt.date(2026, 10, 1), dt.date(2026, 11, 30)), Grouping.WINDOW)


def test_the_sichuan_check_is_99_44_not_99_47() -> None:
    """DOMAIN.md §7: a Sichuan county closed 10846 of 10907 (the seed prints 99.47%)."""
    rate = Figures(received=10907, closed=10846).closure_rate
    assert rate == Fraction(10846, 10907)
    assert percent(rate) == "99.44%"
    assert display(rate, "percent") == "99.44%"
    # the same figure by hand: 10846 * 10000 // 10907 = 994407..., so 99.44 after half-up
    assert 10846 * 10000 // 10907 == 9944
    assert (10846 * 100000 // 10907) % 10 < 5


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (Fraction(1, 8), 2, "0.13"),  # a true half rounds up
        (Fraction(-1, 8), 2, "-0.13"),  # and away from zero below it
        (Fraction(1, 3), 2, "0.33"),
        (Fraction(2, 3), 0, "1"),
        (Fraction(0), 2, "0.00"),
        (Fraction(5, 2), 0, "3"),
    ],
)
def test_half_up_rounding_is_exact(value: Fraction, places: int, shown: str) -> None:
    assert str(decimal_places(value, places)) == shown


@given(st.integers(0, 10**6), st.integers(1, 10**6))
def test_percent_agrees_with_decimal_half_up(part: int, whole: int) -> None:
    from decimal import ROUND_HALF_UP, localcontext

    with localcontext() as ctx:
        ctx.prec = 50
        expected = (Decimal(part * 100) / Decimal(whole)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    # 50 digits are exact enough for a ratio of numbers below 10**8 except at exact halves,
    # which both round the same way
    assert percent(Fraction(part, whole)) == f"{expected}%"


def test_p90_is_the_nearest_rank() -> None:
    values = {Fraction(v): 1 for v in range(1, 11)}
    assert p90(values) == 9  # rank ceil(0.9 * 10) = 9
    assert p90({Fraction(1): 1}) == 1
    assert p90({}) is None
    assert p90({Fraction(2): 9, Fraction(7): 1}) == 2


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026-10", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        ("2028-02", dt.date(2028, 2, 1), dt.date(2028, 2, 29)),
        ("2026-10-08", dt.date(2026, 10, 8), dt.date(2026, 10, 8)),
        ("2026-10-08..2026-11-02", dt.date(2026, 10, 8), dt.date(2026, 11, 2)),
    ],
)
def test_periods_parse(text: str, first: dt.date, last: dt.date) -> None:
    assert Period.parse(text) == Period(first, last)


@pytest.mark.parametrize(
    "text",
    ["2026-13", "2026-1", "october", "2026-10-32", "2026-11-02..2026-10-08", "", "2026-10.."],
)
def test_bad_periods_are_refused_naming_the_value(text: str) -> None:
    with pytest.raises(StatisticsError) as info:
        Period.parse(text)
    assert info.value.field == "period"
    assert repr(text) in str(info.value)


def test_bad_arguments_are_refused() -> None:
    hall = build_hall()
    with pytest.raises(StatisticsError, match="grouping"):
        compute(hall, Period.month("2026-10"), "floor")
    with pytest.raises(StatisticsError, match="period"):
        compute(hall, "2026-10", "hall")  # type: ignore[arg-type]
    with pytest.raises(StatisticsError, match=r"Period\.last"):
        Period(dt.date(2026, 10, 2), dt.date(2026, 10, 1))
    with pytest.raises(StatisticsError, match=r"Period\.first"):
        Period("2026-10-01", dt.date(2026, 10, 1))  # type: ignore[arg-type]
    with pytest.raises(StatisticsError, match="compiled range") as info:
        compute(hall, Period.month("2099-01"), "hall")
    assert info.value.field == "period" and info.value.value == "2099-01-01..2099-01-31"
    assert issubclass(StatisticsError, HallflowError)


def test_an_empty_hall_reports_zeros_and_no_rates() -> None:
    report = compute(build_hall(), Period.month("2026-10"), Grouping.WINDOW)
    assert report.rows == ()
    shown = report.total.shown()
    assert shown["received"] == "0"
    assert shown["closure_rate"] == "n/a"
    october = [dt.date(2026, 10, d) for d in range(1, 32)]
    assert report.working_days == sum(build_hall().calendar.is_working_day(d) for d in october)


def test_the_tongshan_immediate_share_is_of_the_closed() -> None:
    """DOMAIN.md §7: Tongshan closed 314669 of 318022 cases, 155400 of them immediate; the
    seed's 49.4% is immediate / closed (155400 / 318022 would be 48.9%)."""
    figures = Figures(received=318022, closed=314669, immediate_closed=155400)
    share = figures.immediate_share
    assert share == Fraction(155400, 314669)
    assert str(decimal_places(share * 100, 1)) == "49.4"
    assert str(decimal_places(Fraction(155400, 318022) * 100, 1)) == "48.9"
