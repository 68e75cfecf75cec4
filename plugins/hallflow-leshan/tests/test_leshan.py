"""hallflow-leshan: the withdrawal matter, its variants, its amount limits, on a real hall."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import hallflow_leshan
import pytest
from hallflow_leshan import plugin
from hallflow_leshan.plugin import DEPARTMENT, FACTS, REPAY_LOAN, check_withdrawal

from hallflow.cases.hall import Hall, HallSettings
from hallflow.cases.lifecycle import CaseState
from hallflow.errors import CaseCommandError, MaterialsError
from hallflow.model import (
    IMMEDIATE,
    Authority,
    Matter,
    NaturalPerson,
    Organisation,
    Power,
    Role,
    Staff,
    Window,
    WindowKind,
    render_guide,
)
from hallflow.plugins import assemble_catalogue, assemble_hall, case_kinds, plugin_manager
from hallflow.seals import SealKind, SealRegistry, SoftwareSealProvider
from hallflow.store import MemoryStore
from hallflow.testing import assert_conforms
from hallflow.timeline import Limit

SH = ZoneInfo("Asia/Shanghai")
APPLICANT = NaturalPerson("Zhang San", "11010519491231002X")

BASE = ["form", "id_card"]
BANK_FIRST = [*BASE, "purchase_contract", "loan_contract", "passbook_first"]
BANK_LATER = [*BASE, "previous_form", "passbook_later"]
PROXY = ["power_of_attorney", "agent_id"]
SPOUSE = ["spouse_form", "marriage_certificate", "spouse_id_card"]

VALID = {
    "loan_year": 2025,
    "amount": "12000.00",
    "year_repayment": "15600.00",
    "repaid_total": "31200.00",
    "withdrawn_total": "0",
}


def at(m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, m, d, hh, mm, tzinfo=SH)


def _authority(holder: str, powers: set[Power], doc: str) -> Authority:
    return Authority(
        holder,
        frozenset(powers),
        None,
        None,
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2026, 12, 31),
        issued_by="Director of the sub-centre",
        document=doc,
    )


ORG = Organisation(
    windows=(Window("hf", "Housing provident fund", WindowKind.DEPARTMENT, DEPARTMENT),),
    staff=(
        Staff("clerk", "Wang", DEPARTMENT, {Role.CLERK}),
        Staff("chief", "Li", DEPARTMENT, {Role.CHIEF_REPRESENTATIVE}),
    ),
    authorities=(
        _authority("clerk", {Power.ACCEPT}, "LS-1"),
        _authority("chief", {Power.ACCEPT, Power.DECIDE, Power.SEAL}, "LS-2"),
    ),
)


def build_hall() -> Hall:
    pm = plugin_manager([plugin])
    provider = SoftwareSealProvider()
    provider.generate_key("approval-key")
    seals = SealRegistry().activate(
        "S-1",
        SealKind.APPROVAL,
        owner=DEPARTMENT,
        holder="chief",
        key_id="approval-key",
        at=at(1, 5),
        by="admin",
    )
    counter = itertools.count(1)
    return assemble_hall(
        pm,
        organisation=ORG,
        store=MemoryStore(),
        seals=seals,
        seal_provider=provider,
        settings=HallSettings(new_id=lambda: f"case-{next(counter):04d}"),
    )


def submit(
    hall: Hall,
    facts: dict[str, Any],
    conditions: tuple[str, ...] = ("bank_first",),
    materials: list[str] | None = None,
) -> str:
    chosen = materials if materials is not None else BANK_FIRST
    case = hall.submit(
        REPAY_LOAN,
        APPLICANT,
        "hf",
        materials=chosen,
        conditions=conditions,
        facts=facts,
        actor="clerk",
        at=at(3, 2, 9, 30),
    )
    return case.case_id


# ---------------------------------------------------------------------- package


def test_package_exposes_the_plugin_and_its_version() -> None:
    assert hallflow_leshan.plugin is plugin
    assert hallflow_leshan.__version__ == "0.1.0"


def test_entry_point_names_the_module_but_stays_off() -> None:
    eps = importlib.metadata.entry_points(group="hallflow")
    assert {ep.name: ep.value for ep in eps}["leshan"] == "hallflow_leshan.plugin"
    assert len(plugin_manager([plugin]).list_name_plugin()) == 2


# ---------------------------------------------------------------------- the matter


def test_the_matter_is_immediate_same_day_free_and_on_the_spot() -> None:
    pm = plugin_manager([plugin])
    catalogue = assemble_catalogue(pm)
    assert [m.code for m in catalogue] == [REPAY_LOAN]
    matter = catalogue.get(REPAY_LOAN)
    assert matter.kind == IMMEDIATE
    assert IMMEDIATE in case_kinds(pm)
    assert matter.promised_limit == Limit.same_day()
    assert matter.legal_limit == Limit.calendar_days(3)
    assert [s.code for s in matter.procedure.steps] == ["decide"]
    assert matter.fee_basis == ""
    assert "不收费" in matter.fee_standard
    assert pm.hook.hallflow_fee_rules(matter=matter) == []
    assert len(matter.legal_basis) == 3
    assert "住房公积金管理条例" in matter.legal_basis[0]
    guide = render_guide(matter)
    assert "乐山市住房公积金支取使用审批表" in guide
    assert "same day (legal limit: 3 calendar days)" in guide


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ((), BASE),
        (("fund_loan",), BASE),
        (("bank_first",), BANK_FIRST),
        (("bank_later",), BANK_LATER),
        (("fund_loan", "proxy"), [*BASE, *PROXY]),
        (("bank_first", "proxy"), [*BANK_FIRST, *PROXY]),
        (("bank_later", "proxy", "spouse"), [*BANK_LATER, *PROXY, *SPOUSE]),
        (("fund_loan", "spouse", "unknown"), [*BASE, *SPOUSE]),
    ],
)
def test_materials_for_each_variant(conditions: tuple[str, ...], expected: list[str]) -> None:
    matter = plugin.repay_loan()
    assert [m.code for m in matter.materials_for(conditions)] == expected


def test_originals_and_copies_follow_the_guide() -> None:
    matter = plugin.repay_loan()
    form = matter.material("form")
    assert form.original and form.copies == 0  # the sealed form itself
    previous = matter.material("previous_form")
    assert not previous.original and previous.copies == 1  # a copy of the third sheet
    for code in ("id_card", "purchase_contract", "loan_contract", "passbook_first", "agent_id"):
        material = matter.material(code)
        assert material.original and material.copies == 1, code  # 原件和复印件
    assert "亲笔书写" in matter.material("power_of_attorney").name


# ---------------------------------------------------------------------- a real hall


def test_a_valid_withdrawal_is_accepted_and_closed_the_same_day() -> None:
    hall = build_hall()
    case_id = submit(hall, VALID)
    accepted = hall.accept(case_id, actor="clerk", at=at(3, 2, 9, 40))
    assert accepted.state is CaseState.REVIEWING
    promised = hall.clocks(accepted)["promised"].status(at(3, 2, 9, 41))
    assert promised.due.date() == dt.date(2026, 3, 2)
    hall.sign(case_id, "decide", actor="chief", at=at(3, 2, 9, 50))
    hall.decide(case_id, True, actor="chief", at=at(3, 2, 9, 55))
    hall.seal(case_id, "S-1", actor="chief", at=at(3, 2, 10))
    closed = hall.deliver(case_id, "in_person", actor="clerk", at=at(3, 2, 10, 5))
    assert closed.state is CaseState.CLOSED
    assert hall.quote(case_id).total == 0


def test_a_later_withdrawal_by_an_agent_with_the_spouse_is_accepted() -> None:
    hall = build_hall()
    facts = {**VALID, "withdrawn_total": "15000", "amount": "15600"}
    case_id = submit(hall, facts, ("bank_later", "proxy", "spouse"), BANK_LATER + PROXY + SPOUSE)
    assert hall.accept(case_id, actor="clerk", at=at(3, 2, 9, 40)).state is CaseState.REVIEWING


def test_missing_variant_materials_are_refused() -> None:
    hall = build_hall()
    case_id = submit(hall, VALID, ("bank_first", "proxy"), BANK_FIRST)
    with pytest.raises(MaterialsError, match="agent_id"):
        hall.accept(case_id, actor="clerk", at=at(3, 2, 9, 40))


def test_more_than_this_years_repayments_is_refused_naming_the_rule() -> None:
    hall = build_hall()
    case_id = submit(hall, {**VALID, "amount": "15600.01"})
    with pytest.raises(CaseCommandError) as refused:
        hall.accept(case_id, actor="clerk", at=at(3, 2, 9, 40))
    message = str(refused.value)
    assert "amount='15600.01'" in message
    assert "提取金额 1" in message
    assert "current year's repayments" in message
    assert hall.case(case_id).state is CaseState.SUBMITTED


def test_more_than_repaid_in_total_is_refused_naming_the_rule() -> None:
    hall = build_hall()
    facts = {**VALID, "withdrawn_total": "20000", "amount": "12000"}
    case_id = submit(hall, facts, ("bank_later",), BANK_LATER)
    with pytest.raises(CaseCommandError, match="提取金额 2") as refused:
        hall.accept(case_id, actor="clerk", at=at(3, 2, 9, 40))
    assert "32000.00 > 31200.00" in str(refused.value)


def test_a_loan_of_this_year_is_refused() -> None:
    hall = build_hall()
    case_id = submit(hall, {**VALID, "loan_year": 2026})
    with pytest.raises(CaseCommandError, match=r"loan_year=2026: .*三: withdrawals start"):
        hall.accept(case_id, actor="clerk", at=at(3, 2, 9, 40))


# ---------------------------------------------------------------------- the check itself


def _rules(facts: dict[str, Any], conditions: tuple[str, ...] = ("bank_first",)) -> list[str]:
    return [p.field for p in check_withdrawal(facts, conditions, at(3, 2))]


def test_the_check_passes_on_the_bounds() -> None:
    assert _rules(VALID) == []
    # exactly this year's repayments, and exactly everything repaid
    on_bounds = {**VALID, "amount": "15600", "withdrawn_total": "15600"}
    assert _rules(on_bounds, ("bank_later",)) == []
    assert _rules({**VALID, "amount": 100, "withdrawn_total": 0}, ("fund_loan",)) == []


def test_every_missing_fact_is_named() -> None:
    assert sorted(_rules({})) == sorted(FACTS)


@pytest.mark.parametrize(
    "bad",
    [None, True, "abc", "1.005", "NaN", "Infinity", "-5", 1.5, "1e999999", [], {"x": 1}],
)
def test_malformed_amounts_are_problems_not_errors(bad: object) -> None:
    assert _rules({**VALID, "amount": bad}) == ["amount"]


@pytest.mark.parametrize("bad", [None, "2025", 2025.0, False, 10_000, 12])
def test_malformed_years_are_problems(bad: object) -> None:
    assert _rules({**VALID, "loan_year": bad}) == ["loan_year"]


@pytest.mark.parametrize(
    "conditions",
    [(), ("proxy",), ("fund_loan", "bank_first"), ("bank_first", "bank_later")],
)
def test_exactly_one_kind_of_loan(conditions: tuple[str, ...]) -> None:
    assert _rules({**VALID, "withdrawn_total": "1"}, conditions) == ["conditions"]


def test_first_and_later_withdrawals_agree_with_the_history() -> None:
    assert _rules({**VALID, "withdrawn_total": "1"}, ("bank_first",)) == ["withdrawn_total"]
    assert _rules(VALID, ("bank_later",)) == ["withdrawn_total"]
    assert _rules({**VALID, "amount": "0"}) == ["amount"]


def test_other_matters_are_not_checked() -> None:
    other = Matter(
        "other",
        "Another matter",
        DEPARTMENT,
        IMMEDIATE,
        legal_basis=("Some rule",),
        conditions=(),
        materials=(),
        legal_limit=Limit.working_days(5),
        promised_limit=Limit.same_day(),
    )
    answer = plugin.hallflow_check_application(other, None, {})  # type: ignore[arg-type]
    assert answer is None


# ---------------------------------------------------------------------- conformance


def test_conforms_to_the_hallflow_plugin_kit() -> None:
    report = assert_conforms(plugin)
    assert report.ok
