"""The plugin system: hooks documented, assembled, and consumed by the Hall."""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from hallflow import hookimpl
from hallflow.calendar import HallHours, Overlay, shifts
from hallflow.cases.case import Case
from hallflow.cases.hall import Hall
from hallflow.errors import (
    CaseCommandError,
    CatalogueError,
    CompressionError,
    FeeError,
    PluginError,
)
from hallflow.model import CaseKind, Matter
from hallflow.plugins import (
    AcceptanceProblem,
    Escalation,
    EscalationAction,
    Exemption,
    FeeRule,
    LimitPolicy,
    assemble_calendar,
    assemble_catalogue,
    hookspecs,
    loaded_plugins,
    plugin_manager,
    yuan,
)
from hallflow.timeline import ClockStatus, Limit, WarningLevel
from tests.hall_fixtures import APPLICANT, CATALOGUE, LICENCE, at, build_hall

DOCS = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"


def hook_names() -> list[str]:
    return [
        n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("hallflow_")
    ]


def test_every_hook_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"`(hallflow_[a-z_]+)\(", text))
    assert set(hook_names()) == documented


def test_every_hook_is_consumed_by_the_core() -> None:
    """No hook that nothing calls: each name appears in hallflow's own code outside hookspecs."""
    src = Path(__file__).resolve().parent.parent / "src" / "hallflow"
    code = "\n".join(
        p.read_text(encoding="utf-8")
        for p in src.rglob("*.py")
        if p.name != "hookspecs.py" and "builtin" not in p.parts
    )
    for name in hook_names():
        assert (
            f"hook.{name}" in code or f'hook, "{name}"' in code or f"{name}.get_hookimpls" in code
        ), name


def test_default_manager_holds_only_the_national_plugin() -> None:
    assert [name for name, _ in loaded_plugins(plugin_manager())] == ["hallflow.national"]


# ---------------------------------------------------------------------- catalogue


class Contributes:
    def __init__(self, *matters: Matter) -> None:
        self.matters = matters

    @hookimpl
    def hallflow_matters(self) -> Iterable[Matter]:
        return self.matters


class Tightens:
    """A locality cutting every promised limit to 10 working days."""

    @hookimpl
    def hallflow_amend_matter(self, matter: Matter) -> Matter | None:
        if matter.promised_limit.amount > 10:
            return attrs.evolve(matter, promised_limit=Limit.working_days(10))
        return None


def test_catalogue_is_collected_amended_and_checked() -> None:
    pm = plugin_manager([Contributes(*CATALOGUE), Tightens()])
    catalogue = assemble_catalogue(pm)
    assert catalogue.get("plan-01").promised_limit == Limit.working_days(10)
    with pytest.raises(PluginError, match="already contributed"):
        assemble_catalogue(plugin_manager([Contributes(LICENCE), Contributes(LICENCE)]))


class Policy:
    def __init__(self, reduction: str) -> None:
        self.reduction = reduction

    @hookimpl
    def hallflow_limit_policy(self) -> LimitPolicy:
        return LimitPolicy(self.reduction, source="test")


def test_limit_policy_refuses_a_catalogue_breaking_it() -> None:
    """Sichuan ≥30%: 12 of 20 passes; Jilin City ≥50%: 12 of 20 fails."""
    assemble_catalogue(plugin_manager([Contributes(LICENCE), Policy("3/10")]))
    with pytest.raises(CompressionError, match="plan-01"):
        assemble_catalogue(plugin_manager([Contributes(LICENCE), Policy("1/2")]))


class FourKinds:
    @hookimpl
    def hallflow_case_kinds(self) -> Iterable[CaseKind]:
        return (CaseKind("returned", "Returned"),)


def test_a_matter_of_an_undeclared_kind_is_refused() -> None:
    odd = attrs.evolve(LICENCE, code="odd", kind=CaseKind("odd", "Odd"))
    with pytest.raises(CatalogueError, match="odd"):
        assemble_catalogue(plugin_manager([Contributes(odd), FourKinds()]))


# ---------------------------------------------------------------------- calendar


class CountyDays:
    @hookimpl
    def hallflow_calendar_overlays(self) -> Iterable[Overlay]:
        return (Overlay("county", holidays={dt.date(2026, 7, 15): "county day"}),)

    @hookimpl
    def hallflow_hall_hours(self) -> HallHours:
        return HallHours(
            workday=shifts("8:00-12:30", "14:30-17:30"), duty={5: shifts("9:00-12:00")}
        )


def test_calendar_takes_overlays_and_hours() -> None:
    cal = assemble_calendar(plugin_manager([CountyDays()]), until=2027)
    assert cal.day_info(dt.date(2026, 7, 15)).layer == "county"
    assert not cal.is_working_day(dt.date(2026, 10, 1))  # national layer kept
    assert cal.hours.shifts_on(0)[0].start == dt.time(8, 0)
    assert assemble_calendar(plugin_manager()).hours == HallHours()


# ---------------------------------------------------------------------- the Hall


def hall_with(*plugins: object) -> Hall:
    hall = build_hall()
    for plugin in plugins:
        hall.plugins.register(plugin)
    return hall


class AmountLimit:
    """Leshan-style check: a withdrawal may not exceed the declared balance."""

    @hookimpl
    def hallflow_check_application(
        self, matter: Matter, case: Case, facts: Mapping[str, Any]
    ) -> Iterable[AcceptanceProblem]:
        if Decimal(str(facts.get("amount", "0"))) > Decimal(str(facts.get("balance", "0"))):
            return (AcceptanceProblem("amount", "exceeds the balance", facts.get("amount")),)
        return ()


def test_acceptance_check_refuses_and_records_nothing() -> None:
    hall = hall_with(AmountLimit())
    case = hall.submit(
        "plan-01",
        APPLICANT,
        "c1",
        materials=["form", "site"],
        actor="clerk",
        at=at(11, 2),
        facts={"amount": "900.00", "balance": "500.00"},
    )
    with pytest.raises(CaseCommandError, match="exceeds the balance"):
        hall.accept(case.case_id, actor="clerk", at=at(11, 2, 11))
    assert hall.case(case.case_id).version == 1


class WrittenBeforeExpiry:
    """Sichuan: extensions only with the agency head's written approval."""

    @hookimpl
    def hallflow_extension_refusal(
        self, matter: Matter, case: Case, status: ClockStatus, at: dt.datetime, approved_by: str
    ) -> str | None:
        return None if approved_by == "chief" else "only the agency head approves extensions"


def test_extension_rule_from_a_plugin() -> None:
    hall = hall_with(WrittenBeforeExpiry())
    case_id = hall.submit(
        "plan-01", APPLICANT, "c1", materials=["form", "site"], actor="clerk", at=at(11, 2)
    ).case_id
    hall.accept(case_id, actor="clerk", at=at(11, 2, 11))
    # the deputy holds the power only while the chief is away (16–20 November)
    with pytest.raises(CaseCommandError, match="agency head"):
        hall.extend(case_id, Limit.working_days(5), actor="deputy", at=at(11, 17), reason="x")
    hall.extend(case_id, Limit.working_days(5), actor="chief", at=at(11, 23), reason="x")


class Fees:
    def __init__(self, rule: str) -> None:
        self.rule = rule

    @hookimpl
    def hallflow_fee_rules(self, matter: Matter) -> Iterable[FeeRule]:
        return (
            FeeRule("licence", "Price Bureau notice 12", "10 yuan per licence", "10.00"),
            FeeRule(
                "survey",
                "Survey fee rules, Art. 3",
                "200–500 yuan",
                "200.00",
                "500.00",
                fact="survey",
            ),
        )

    @hookimpl
    def hallflow_fee_range_rule(self) -> str:
        return self.rule

    @hookimpl
    def hallflow_fee_exemptions(
        self, matter: Matter, case: Case, facts: Mapping[str, Any]
    ) -> Iterable[Exemption]:
        if facts.get("disaster"):
            return (Exemption("*", "disaster reconstruction", "State Council notice 2008-5"),)
        return ()


def test_fees_in_decimal_yuan_with_basis_ranges_and_exemptions() -> None:
    for rule, survey, total in (("lower", "200.00", "210.00"), ("declared", "350.00", "360.00")):
        hall = hall_with(Fees(rule))
        case_id = hall.submit(
            "plan-01",
            APPLICANT,
            "c1",
            materials=["form"],
            actor="clerk",
            at=at(11, 2),
            facts={"survey": "350.00"},
        ).case_id
        quote = hall.quote(case_id)
        assert [str(line.amount) for line in quote.lines] == ["10.00", survey]
        assert quote.total == Decimal(total)
        assert all(line.basis for line in quote.lines)
    hall = hall_with(Fees("declared"))
    exempt = hall.submit(
        "plan-01",
        APPLICANT,
        "c1",
        materials=["form"],
        actor="clerk",
        at=at(11, 2),
        facts={"survey": "600.00", "disaster": True},
    ).case_id
    with pytest.raises(FeeError, match=r"200\.00\.\.500\.00"):
        hall.quote(exempt)


def test_money_is_exact() -> None:
    assert yuan("12.30") == Decimal("12.30")
    with pytest.raises(FeeError, match="float"):
        yuan(12.3)  # type: ignore[arg-type]
    with pytest.raises(FeeError, match="fen"):
        yuan("0.001")
    with pytest.raises(FeeError, match="basis"):
        FeeRule("x", " ", "1 yuan", "1.00")


class Ladder:
    """Zhenlai: a notice 3 working days before the deadline, a reminder at it."""

    @hookimpl
    def hallflow_escalations(
        self, matter: Matter, case: Case, clock: str, status: ClockStatus, at: dt.datetime
    ) -> Iterable[Escalation]:
        if clock != "promised":
            return ()
        out = []
        if status.remaining <= 3:
            out.append(Escalation("notice-3", EscalationAction.REMINDER, "window", "3 days left"))
        if status.level is WarningLevel.OVERDUE:
            out.append(Escalation("ladder-overdue", EscalationAction.WARNING, "county leader"))
        return out


def test_sweep_records_each_escalation_once() -> None:
    hall = hall_with(Ladder())
    case_id = hall.submit(
        "plan-01", APPLICANT, "c1", materials=["form", "site"], actor="clerk", at=at(11, 2)
    ).case_id
    hall.accept(case_id, actor="clerk", at=at(11, 2, 11))
    # promised 12 working days from 2 Nov: due Wed 18 Nov
    assert hall.sweep(at(11, 10)) == []
    first = hall.sweep(at(11, 16))
    # the national plugin's own reminder is collected beside the locality's notice
    assert sorted(e.code for _, e in first) == ["notice-3", "reminder"]
    assert hall.sweep(at(11, 16, 15)) == []  # run twice, recorded once
    later = hall.sweep(at(11, 19))
    assert sorted(e.code for _, e in later) == ["ladder-overdue", "overdue"]
    codes = [e.payload["code"] for e in hall.case(case_id).history if e.kind == "escalated"]
    assert codes.count("notice-3") == 1 and "ladder-overdue" in codes
