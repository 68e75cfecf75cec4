"""The conformance kit: the national plugin conforms, broken plugins are named, strategies."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import tomllib
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from hallflow import hookimpl
from hallflow.calendar import HallHours, Overlay, shifts
from hallflow.cases.case import Case
from hallflow.errors import FeeError
from hallflow.model import IMMEDIATE, JOINT, PROMISED, URGENT, Catalogue, Matter, check_compression
from hallflow.plugins import (
    Escalation,
    EscalationAction,
    Exemption,
    FeeRule,
    LimitPolicy,
    Quote,
    assemble_catalogue,
    plugin_manager,
)
from hallflow.plugins.builtin import national
from hallflow.testing import CHECKS, assert_conforms, check_plugin, price
from hallflow.testing.strategies import (
    catalogues,
    clock_statuses,
    facts_for,
    fee_rules,
    limits,
    matters,
)
from hallflow.timeline import ClockState, ClockStatus, Limit, Outcome, Unit, WarningLevel
from hallflow.timeline.ladder import Ladder, Rung
from tests.hall_fixtures import APPLICANT, LICENCE, at, build_hall

PLUGINS = Path(__file__).resolve().parent.parent / "plugins"
FEE_LICENCE = attrs.evolve(
    LICENCE, fee_basis="Price Bureau notice 12", fee_standard="10 yuan per licence"
)


def test_the_national_plugin_conforms() -> None:
    report = assert_conforms(national, examples=30)
    assert report.ok and report.plugin == "hallflow.national"
    assert "no matters" in " ".join(report.notes)


class Sichuan:
    """A small, correct locality: a matter, a 30% policy, a county day, fees, a ladder."""

    @hookimpl
    def hallflow_matters(self) -> Iterable[Matter]:
        return (FEE_LICENCE,)

    @hookimpl
    def hallflow_limit_policy(self) -> LimitPolicy:
        return LimitPolicy("3/10", source="test")

    @hookimpl
    def hallflow_calendar_overlays(self) -> Iterable[Overlay]:
        return (Overlay("county", holidays={dt.date(2026, 7, 15): "county day"}),)

    @hookimpl
    def hallflow_hall_hours(self) -> HallHours:
        return HallHours(workday=shifts("8:30-12:00", "14:00-17:30"))

    @hookimpl
    def hallflow_fee_rules(self, matter: Matter) -> Iterable[FeeRule]:
        if matter.code != FEE_LICENCE.code:
            return ()
        return (
            FeeRule("licence", "Price Bureau notice 12", "10 yuan", "10.00"),
            FeeRule("survey", "Survey rules, Art. 3", "200–500 yuan", "200", "500", fact="survey"),
        )

    @hookimpl
    def hallflow_fee_range_rule(self) -> str:
        return "declared"

    @hookimpl
    def hallflow_fee_exemptions(
        self, matter: Matter, case: Case, facts: Mapping[str, Any]
    ) -> Iterable[Exemption]:
        if facts.get("disaster") is True:
            return (Exemption("*", "disaster reconstruction", "State Council notice 2008-5"),)
        return ()

    @hookimpl
    def hallflow_escalations(
        self, matter: Matter, case: Case, clock: str, status: ClockStatus, at: dt.datetime
    ) -> Iterable[Escalation]:
        if clock == "promised" and status.level is WarningLevel.OVERDUE:
            return (Escalation("county-referral", EscalationAction.REFERRAL, "county leader"),)
        return ()


def test_a_correct_locality_conforms() -> None:
    report = check_plugin(Sichuan(), examples=25)
    assert report.ok, str(report)


class Broken:
    """Every kind of mistake the kit should name, one per hook."""

    @hookimpl
    def hallflow_matters(self) -> Iterable[Matter]:
        return (FEE_LICENCE,)

    @hookimpl
    def hallflow_limit_policy(self) -> LimitPolicy:
        return LimitPolicy("1/2", source="Jilin City")  # 12 of 20 working days breaks it

    @hookimpl
    def hallflow_fee_rules(self, matter: Matter) -> Iterable[FeeRule]:
        if matter.code != FEE_LICENCE.code:
            return ()
        refund = FeeRule("refund", "Notice 7", "a refund", "5.00")
        object.__setattr__(refund, "low", Decimal("-5.00"))  # past the constructor's check
        return (FeeRule("licence", "Notice 12", "10 yuan", "10.00"), refund)

    @hookimpl
    def hallflow_escalations(
        self, matter: Matter, case: Case, clock: str, status: ClockStatus, at: dt.datetime
    ) -> Iterable[Escalation]:
        if status.level is WarningLevel.OVERDUE:
            raise RuntimeError("the ladder has no rung for overdue clocks")
        return ()


class NoBasis:
    @hookimpl
    def hallflow_fee_rules(self, matter: Matter) -> Iterable[FeeRule]:
        return (FeeRule("licence", " ", "10 yuan", "10.00"),)


def test_a_broken_plugin_has_every_failure_named() -> None:
    report = check_plugin(Broken(), examples=25)
    assert not report.ok
    text = str(report)
    (compression,) = report.of("catalogue")
    assert compression.subject == "matter plan-01" and "limit policy" in compression.problem
    assert any("'refund'" in f.problem and "negative" in f.problem for f in report.of("fees"))
    (ladder,) = report.of("escalations")
    assert "raised RuntimeError" in ladder.problem and "no rung" in ladder.problem
    assert "OVERDUE" in ladder.example or "overdue" in ladder.example.lower()
    with pytest.raises(AssertionError) as raised:
        assert_conforms(Broken(), examples=25)
    assert str(raised.value) == text
    for failure in report.failures:
        assert failure.check in CHECKS
        assert str(failure).startswith(f"[{failure.check}] {failure.subject}: ")


def test_a_fee_without_basis_is_caught_at_construction() -> None:
    with pytest.raises(FeeError, match="basis"):
        FeeRule("licence", "", "10 yuan", "10.00")
    report = check_plugin(NoBasis(), examples=5)
    (failure,) = report.of("fees")
    assert "hallflow_fee_rules raised FeeError" in failure.problem and "basis" in failure.problem


class BadSupervision:
    """Ladders that clash, and supervision answers of the wrong types."""

    @hookimpl
    def hallflow_escalation_ladders(self, matter: Matter) -> Iterable[object]:
        rung = Rung("dup", "reminder", "window", "late", frozenset({"promised"}), 0)
        return (Ladder("one", (rung,)), Ladder("two", (rung,)), "not a ladder")

    @hookimpl
    def hallflow_rectification_limits(self) -> Mapping[str, Limit]:
        return {"verify": Limit.working_days(5)}  # rectify and revisit missing

    @hookimpl
    def hallflow_complaint_limit(self, category: str, handling: str) -> object:
        return 15  # not a Limit

    @hookimpl
    def hallflow_scoring_scheme(self) -> object:
        return {"base": 100}

    @hookimpl
    def hallflow_default_rating(self, matter: Matter) -> object:
        return "satisfied"


def test_supervision_hooks_are_checked() -> None:
    report = check_plugin(BadSupervision(), examples=5)
    problems = [f.problem for f in report.of("supervision")]
    for expected in (
        "a non-Ladder",
        "do not combine",
        "verify, rectify and revisit",
        "hallflow_complaint_limit: not a Limit",
        "not a ScoringScheme",
        "not a DefaultRating",
    ):
        assert any(expected in p for p in problems), (expected, problems)
    assert not check_plugin(national, examples=5).of("supervision")


class Inconsistent:
    """Calendar, duplicate escalation code, policy answers of the wrong type, a free guide."""

    @hookimpl
    def hallflow_matters(self) -> Iterable[Matter]:
        return (LICENCE,)  # the guide says no fee is charged

    @hookimpl
    def hallflow_fee_rules(self, matter: Matter) -> Iterable[FeeRule]:
        return (FeeRule("licence", "Notice 12", "10 yuan", "10.00"),)

    @hookimpl
    def hallflow_calendar_overlays(self) -> Iterable[Overlay]:
        day = dt.date(2026, 7, 15)
        return (Overlay("a", holidays={day: "rest"}), Overlay("b", workdays={day: "work"}))

    @hookimpl
    def hallflow_hall_hours(self) -> HallHours:
        return HallHours(cutoff=dt.time(8, 0))

    @hookimpl
    def hallflow_escalations(
        self, matter: Matter, case: Case, clock: str, status: ClockStatus, at: dt.datetime
    ) -> Iterable[Escalation]:
        if status.level is WarningLevel.OVERDUE:
            return (Escalation("overdue", EscalationAction.WARNING, "county leader"),)
        return ()

    @hookimpl
    def hallflow_deemed_approval(
        self, matter: Matter, case: Case, status: ClockStatus, at: dt.datetime
    ) -> Any:
        return "yes"


def test_calendar_policies_and_codes_are_checked() -> None:
    report = check_plugin(Inconsistent(), examples=25)
    problems = {f.check: f.problem for f in report.failures}
    assert set(problems) == {"fees", "calendar", "escalations", "policies"}, str(report)
    subjects = {f.subject for f in report.of("calendar")}
    assert "day 2026-07-15" in subjects and "weekday 0" in subjects
    assert "no fee is charged" in problems["fees"]
    assert "'overdue' is also returned by hallflow.national" in problems["escalations"]
    assert "bool or None" in problems["policies"]


# ---------------------------------------------------------------------- pricing


class HallFees:
    def __init__(self, rule: str) -> None:
        self.rule = rule

    @hookimpl
    def hallflow_fee_rules(self, matter: Matter) -> Iterable[FeeRule]:
        return (
            FeeRule("licence", "Notice 12", "10 yuan", "10.00"),
            FeeRule("survey", "Rules, Art. 3", "200–500 yuan", "200", "500", fact="survey"),
        )

    @hookimpl
    def hallflow_fee_range_rule(self) -> str:
        return self.rule

    @hookimpl
    def hallflow_fee_exemptions(
        self, matter: Matter, case: Case, facts: Mapping[str, Any]
    ) -> Iterable[Exemption]:
        return (Exemption("licence", "veteran", "Notice 3"),) if facts.get("veteran") else ()


@pytest.mark.parametrize("rule", ["lower", "declared"])
@pytest.mark.parametrize(
    "facts",
    [{}, {"survey": "350.00"}, {"survey": 500}, {"survey": "199.99", "veteran": True}],
)
def test_price_agrees_with_hall_quote(rule: str, facts: dict[str, Any]) -> None:
    plugin = HallFees(rule)
    hall = build_hall()
    hall.plugins.register(plugin)
    case = hall.submit(
        "plan-01", APPLICANT, "c1", materials=["form"], actor="clerk", at=at(11, 2), facts=facts
    )
    exemptions = plugin.hallflow_fee_exemptions(LICENCE, case, case.facts)

    def outcome(quote: Callable[[], Quote]) -> Quote | str:
        try:
            return quote()
        except FeeError:
            return "refused"

    assert outcome(lambda: hall.quote(case.case_id)) == outcome(
        lambda: price(plugin.hallflow_fee_rules(LICENCE), exemptions, rule, case.facts)
    )


def test_price_refuses_what_is_no_amount() -> None:
    rules = (FeeRule("survey", "Rules", "200–500", "200", "500", fact="survey"),)
    for bad in ("abc", None, True, "1.005", "NaN"):
        with pytest.raises(FeeError):
            price(rules, (), "declared", {"survey": bad})
    with pytest.raises(FeeError, match="range_rule"):
        price(rules, (), "upper", {})
    assert price(rules, (), None, {}).total == Decimal("200.00")


# ---------------------------------------------------------------------- the strategies


@given(clock_statuses())
def test_clock_statuses_agree_with_themselves(status: ClockStatus) -> None:
    assert status.at.tzinfo is not None
    if status.state is ClockState.STOPPED:
        assert status.level is WarningLevel.CLOSED and status.outcome is not None
        assert (status.outcome is Outcome.LATE) == (status.margin < 0)
    else:
        assert (status.level is WarningLevel.OVERDUE) == (status.remaining < 0)
        assert (status.pause_reason is not None) == (status.state is ClockState.PAUSED)
    assert status.overdue_by >= dt.timedelta(0)


@given(limits())
def test_limits_are_valid(limit: Any) -> None:
    assert (limit.amount == 0) == (limit.unit is Unit.SAME_DAY)


@given(catalogues(kinds=(IMMEDIATE, PROMISED, JOINT, URGENT)))
def test_generated_catalogues_assemble(catalogue: Catalogue) -> None:
    class Contributes:
        @hookimpl
        def hallflow_matters(self) -> Iterable[Matter]:
            return catalogue.matters

    assert assemble_catalogue(plugin_manager([Contributes()])) == catalogue
    for matter in catalogue:
        check_compression(matter, 0)


@given(
    st.lists(fee_rules(), max_size=3).flatmap(
        lambda rules: st.tuples(st.just(rules), facts_for(rules))
    )
)
def test_facts_are_json_and_name_the_range_facts(
    args: tuple[list[FeeRule], dict[str, Any]],
) -> None:
    rules, facts = args
    assert json.loads(json.dumps(facts, allow_nan=False)) == facts
    for rule in rules:
        assert rule.basis.strip() and rule.low >= 0


def test_a_generated_catalogue_conforms() -> None:
    catalogue = find(
        catalogues(max_matters=3, kinds=(PROMISED, JOINT)),
        lambda c: len(c) >= 2 and any(m.kind == JOINT for m in c),
        settings=settings(phases=[Phase.generate], database=None, derandomize=True),
    )

    class Contributes:
        @hookimpl
        def hallflow_matters(self) -> Iterable[Matter]:
            return catalogue.matters

    assert_conforms(Contributes(), examples=10)


@given(matters(kinds=(JOINT,)))
def test_generated_joint_matters_have_handling(matter: Matter) -> None:
    assert matter.joint is not None and matter.joint.stages()


# ---------------------------------------------------------------------- the plugins/ folder


def _packages() -> list[Path]:
    return sorted(p for p in PLUGINS.glob("*/pyproject.toml")) if PLUGINS.is_dir() else []


@pytest.mark.parametrize("pyproject", _packages(), ids=lambda p: p.parent.name)
def test_every_package_in_plugins_conforms(
    pyproject: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each package's ``hallflow`` entry points pass the kit (CI runs this)."""
    root = pyproject.parent
    monkeypatch.syspath_prepend(str(root / "src" if (root / "src").is_dir() else root))
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    entries = project.get("entry-points", {}).get("hallflow", {})
    assert entries, f"{root.name} declares no [project.entry-points.hallflow]"
    for target in entries.values():
        module, _, attr = str(target).partition(":")
        plugin: object = importlib.import_module(module)
        for part in filter(None, attr.split(".")):
            plugin = getattr(plugin, part)
        assert_conforms(plugin, examples=25)
