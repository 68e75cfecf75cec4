"""hallflow-tongshan: the monthly assessment with bottom-place elimination (seed 001 第二篇)."""

from __future__ import annotations

import hallflow_tongshan
from hallflow_tongshan import plugin
from hallflow_tongshan.plugin import FAILINGS, SCHEME, scheme

from hallflow.plugins import loaded_plugins, plugin_manager
from hallflow.supervision.scoring import Fact, FactKind, assess, scheme_of
from hallflow.testing import assert_conforms

STAFF = ["a", "b", "c", "d"]
WINDOWS = ["w1", "w2", "w3"]
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04"]


def test_package_exposes_the_plugin_and_its_version() -> None:
    assert hallflow_tongshan.plugin is plugin
    assert hallflow_tongshan.__version__ == "0.1.0"


def test_the_scheme_is_the_first_result() -> None:
    pm = plugin_manager([plugin])
    assert scheme_of(pm) is SCHEME
    assert [name for name, _ in loaded_plugins(pm)] == [
        "hallflow.national",
        "hallflow_tongshan.plugin",
    ]


def test_each_failing_weighs_the_same() -> None:
    assert SCHEME.window is not None and SCHEME.staff is not None
    for table in (SCHEME.window, SCHEME.staff):
        assert {d.fact for d in table.deductions} == {f.value for f in FAILINGS}
        assert {d.points for d in table.deductions} == {1}
    heavier = scheme(3)
    assert heavier.staff is not None and {d.points for d in heavier.staff.deductions} == {3}


def failings(staff: str, month: str, n: int) -> list[Fact]:
    return [Fact(FactKind.OVERDUE_CASE.value, month, None, staff) for _ in range(n)]


def test_three_months_among_the_last_two_eliminate() -> None:
    # a and b trail every month for three months; c joins them in March only
    facts = [f for m in MONTHS[:3] for f in failings("a", m, 3) + failings("b", m, 2)]
    facts += failings("c", MONTHS[2], 2)
    outcome = assess(SCHEME, facts, MONTHS, WINDOWS, STAFF)
    flagged = [{s.subject for s in m.staff if s.flagged} for m in outcome.months]
    assert flagged == [{"a", "b"}, {"a", "b"}, {"a", "b", "c"}, set()]
    assert sorted(outcome.eliminated) == [("a", MONTHS[2]), ("b", MONTHS[2])]
    # a gap breaks the run: two months, a clean month, two months — no elimination
    gap = [f for m in (MONTHS[0], MONTHS[1], MONTHS[3]) for f in failings("d", m, 1)]
    assert assess(SCHEME, gap, MONTHS, WINDOWS, STAFF).eliminated == ()


def test_windows_are_flagged_for_a_talk_but_never_eliminated() -> None:
    facts = [Fact(FactKind.UPHELD_COMPLAINT.value, m, "w1") for m in MONTHS for _ in range(2)]
    outcome = assess(SCHEME, facts, MONTHS, WINDOWS, STAFF)
    assert all({w.subject for w in m.windows if w.flagged} == {"w1"} for m in outcome.months)
    assert outcome.eliminated == () and outcome.warnings == ()


def test_conforms_to_the_hallflow_plugin_kit() -> None:
    assert assert_conforms(plugin).ok
