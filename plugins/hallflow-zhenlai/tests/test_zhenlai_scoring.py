"""hallflow-zhenlai: the monthly window and staff assessment of 篇三, as a scoring scheme."""

from __future__ import annotations

from hallflow_zhenlai import plugin
from hallflow_zhenlai.scoring import SCHEME, STAFF, WINDOWS

from hallflow.plugins import plugin_manager
from hallflow.supervision.scoring import Fact, FactKind, scheme_of, score_month


def test_registered_from_the_plugin_module() -> None:
    assert scheme_of(plugin_manager([plugin])) is SCHEME
    assert "hallflow_scoring_scheme" in plugin.__all__


def test_the_seeds_points() -> None:
    # Window rules: 10 + 28 + 22 + 20 + 10 + 5 + 5 = 100, bonus up to 20 (一-八)
    assert [c.points for c in WINDOWS.categories] == [10, 28, 22, 20, 10, 5, 5]
    assert (WINDOWS.base, WINDOWS.bonus_cap) == (100, 20)
    # Staff rules: 25 + 23 + 12 + 35 + 5 = 100, bonus up to 20 (一-六)
    assert [c.points for c in STAFF.categories] == [25, 23, 12, 35, 5]
    assert (STAFF.base, STAFF.bonus_cap) == (100, 20)
    assert all("篇三" in d.source for d in (*WINDOWS.deductions, *STAFF.deductions))
    assert (SCHEME.model_windows, SCHEME.window_flags, SCHEME.warning_after_flags) == (5, 1, 2)
    assert (SCHEME.fail_below, SCHEME.sent_back_after) == (60, 2)


def test_grades() -> None:
    # Staff rules 五: 90+ excellent, 80-89 good, 60-79 basically qualified, below 60 not
    for points, name in (
        (100, "优秀"),
        (90, "优秀"),
        (89, "良好"),
        (80, "良好"),
        (79, "基本合格"),
        (60, "基本合格"),
        (59, "不合格"),
        (0, "不合格"),
    ):
        assert SCHEME.grade(points) == name


def test_improper_demands_take_the_whole_conduct_category_once() -> None:
    facts = [Fact(FactKind.IMPROPER_DEMANDS.value, "2026-05", "w1", "s1") for _ in range(3)]
    result = score_month(SCHEME, facts, "2026-05", ["w1", "w2"], ["s1", "s2"])
    w1 = next(s for s in result.windows if s.subject == "w1")
    s1 = next(s for s in result.staff if s.subject == "s1")
    assert (w1.score, w1.flagged) == (100 - 28, True)  # 二: all 28 points, and only those
    assert (s1.score, s1.grade) == (100 - 25, "基本合格")  # 一: all 25 points
