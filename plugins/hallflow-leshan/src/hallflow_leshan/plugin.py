"""Leshan's housing provident fund withdrawal (乐山 住房公积金提取) as a hallflow plugin.

Every rule comes from seed ``001_f911300f824a7822.txt``, 篇四: the service guide the housing
provident fund sub-centre (住房公积金管理分中心) publishes in the Leshan municipal government
service centre for one matter, withdrawing the fund to repay a housing loan
(职工提取住房公积金偿还住房贷款). The guide's sections are numbered 一 to 七, followed by a
closing tip (温馨提示); each rule below names its section.

What the plugin contributes:

* the matter, with the guide's three sets of materials (a provident fund loan; a bank loan,
  first withdrawal; a bank loan, later withdrawal), the proxy materials and the extra
  materials for withdrawing the spouse's fund, each set a :class:`~hallflow.model.Variant`;
* the kind it uses: immediate, handled on the spot once the materials are complete, free;
* an acceptance check of the guide's conditions and amount limits on the facts an
  application declares (see :data:`FACTS`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hallflow import hookimpl
from hallflow.cases.case import Case
from hallflow.errors import FeeError
from hallflow.model.catalogue import (
    IMMEDIATE,
    PROXY_VARIANT,
    CaseKind,
    Material,
    Matter,
    Procedure,
    Variant,
    proxy_materials,
)
from hallflow.plugins.policy import AcceptanceProblem, yuan
from hallflow.timeline.limits import Limit

__all__ = [
    "BANK_FIRST",
    "BANK_LATER",
    "DEPARTMENT",
    "FACTS",
    "FUND_LOAN",
    "LOAN_VARIANTS",
    "REPAY_LOAN",
    "SEED",
    "SPOUSE",
    "check_withdrawal",
    "hallflow_case_kinds",
    "hallflow_check_application",
    "hallflow_matters",
    "matters",
    "repay_loan",
]

SEED = "seed 001_f911300f824a7822.txt, 篇四"
"""Where every rule of this package comes from."""

DEPARTMENT = "Leshan Housing Provident Fund Management Sub-centre (住房公积金管理分中心)"
"""The department: the fund's sub-centre in the municipal government service centre (篇四,
title). Its district and county offices (区县公积金管理部) handle the matter too (五.1, 五.3)."""

REPAY_LOAN = "ls-hf-repay"
"""The matter's code."""

_TZ = ZoneInfo("Asia/Shanghai")

# ---------------------------------------------------------------------- variants

FUND_LOAN = Variant("fund_loan", "the loan was granted by the housing provident fund centre")
"""四.1: a provident fund loan needs only the approval form and the identity card."""

BANK_FIRST = Variant(
    "bank_first", "the loan was granted by a commercial bank and this is the first withdrawal"
)
"""四.2: a bank loan, first withdrawal (第一次支取): the contracts and the passbook too."""

BANK_LATER = Variant(
    "bank_later", "the loan was granted by a commercial bank and money was withdrawn before"
)
"""四.3: a bank loan, a later withdrawal (第二次支取): the previous approved form's third
sheet and the passbook, instead of the contracts."""

SPOUSE = Variant("spouse", "the spouse's provident fund is withdrawn as well")
"""温馨提示: withdrawing the spouse's fund needs the spouse's own approval form, the marriage
certificate and the spouse's identity card."""

LOAN_VARIANTS = (FUND_LOAN, BANK_FIRST, BANK_LATER)
"""Exactly one of them holds for an application: the guide gives one list of materials for
each (四.1-3)."""

# ---------------------------------------------------------------------- the matter

_FORM_NAME = (
    "Leshan housing provident fund withdrawal approval form (《乐山市住房公积金支取使用审批表》)"
)


def _materials() -> tuple[Material, ...]:
    """The materials of 四.1-3 and of the closing tip, in the guide's order.

    "Original and copy" (原件和复印件) is an original shown and one copy handed in.
    """
    return (
        # every list starts with the form and ends with the identity card (四.1-3 ①, last)
        Material(
            "form",
            f"{_FORM_NAME}, bearing the employer's reserved seal (单位预留印鉴章)",
            original=True,
            copies=0,
        ),
        Material("id_card", "Applicant's identity card (身份证)", original=True),
        # 四.2 ②: bank loan, first withdrawal
        Material(
            "purchase_contract",
            "House purchase contract (购房合同)",
            when="bank_first",
            original=True,
        ),
        Material("loan_contract", "Loan contract (借款合同)", when="bank_first", original=True),
        Material(
            "passbook_first",
            "Repayment passbook showing the last three repayments (还款存折, 最近三期还款记录)",
            when="bank_first",
            original=True,
        ),
        # 四.3 ②③: bank loan, later withdrawal
        Material(
            "previous_form",
            "Third sheet of the approval form approved at the previous withdrawal (第三联)",
            copies=1,
            when="bank_later",
        ),
        Material(
            "passbook_later",
            "Repayment passbook showing the last three repayments (还款存折, 最近三期还款记录)",
            when="bank_later",
            original=True,
        ),
        # 四.1-3, the bracket after the identity card: an agent applies
        *proxy_materials(
            "Power of attorney handwritten, signed and fingerprinted by the applicant "
            "(亲笔书写并签名盖手印的委托书)",
            "Agent's identity card (代办人身份证)",
        ),
        # 温馨提示: the spouse's fund too
        Material(
            "spouse_form",
            f"{_FORM_NAME} of the spouse, bearing the spouse's employer's reserved seal",
            original=True,
            copies=0,
            when="spouse",
        ),
        Material(
            "marriage_certificate", "Marriage certificate (结婚证)", when="spouse", original=True
        ),
        Material(
            "spouse_id_card", "Spouse's identity card (配偶身份证)", when="spouse", original=True
        ),
    )


def repay_loan() -> Matter:
    """The matter of 篇四: withdrawing the provident fund to repay a housing loan.

    * **Kind** immediate, **procedure** one step on the spot, **promised limit** the same
      day: the guide promises "on the spot once the formalities are complete" (六).
    * **Legal limit** 3 calendar days: the Regulation on the Administration of Housing
      Provident Funds, which the guide cites first (二), gives the centre 3 days (3日) from
      acceptance to decide (Art. 25). The article is not quoted in the seed.
    * **Fee**: none (七); the guide's words stand in ``fee_standard`` and there are no fee
      rules.
    * **Materials**: those for every application, then one :class:`Variant` per list of
      the guide (:data:`LOAN_VARIANTS`), the proxy and the spouse (see :func:`_materials`).
    """
    return Matter(
        code=REPAY_LOAN,
        name="Withdrawal of housing provident fund to repay a housing loan "
        "(职工提取住房公积金偿还住房贷款)",
        department=DEPARTMENT,
        kind=IMMEDIATE,
        legal_basis=(
            "Regulation on the Administration of Housing Provident Funds (《住房公积金管理条例》); "
            "Art. 25: decision within 3 days of acceptance",
            "Sichuan Measures on Housing Provident Fund Withdrawal "
            "(《四川省住房公积金提取管理办法》)",
            "Leshan Rules for Housing Provident Fund Withdrawal "
            "(《乐山市住房公积金提取管理实施细则》)",
        ),
        conditions=(
            "The applicant holds a housing loan from the provident fund centre or a commercial "
            "bank; withdrawals may start in the year after the loan was granted.",
            "The employer has checked the approval form and affixed its reserved seal.",
            "Amount: at most this year's repayments, and all withdrawals for the loan together "
            "at most the principal and interest actually repaid.",
        ),
        materials=_materials(),
        legal_limit=Limit.calendar_days(3),
        promised_limit=Limit.same_day(),
        procedure=Procedure.on_the_spot(),
        fee_standard="No fee (不收费)",
        summary=(
            "Collect the approval form at the sub-centre or a district or county office, or "
            "print it from the Leshan housing provident fund website; have the employer check "
            "it and affix its reserved seal; hand it in with the other materials at the "
            "sub-centre or a district or county office, where the withdrawal is handled on the "
            f"spot ({SEED}, 五, 六)."
        ),
        variants=(*LOAN_VARIANTS, PROXY_VARIANT, SPOUSE),
    )


def matters() -> tuple[Matter, ...]:
    """The matters of the guide: the one withdrawal purpose it covers (篇四 一)."""
    return (repay_loan(),)


@hookimpl
def hallflow_matters() -> Iterable[Matter]:
    """The withdrawal to repay a housing loan (see :func:`repay_loan`)."""
    return matters()


@hookimpl
def hallflow_case_kinds() -> Iterable[CaseKind]:
    """The guide's matter is immediate: handled on the spot (篇四 六)."""
    return (IMMEDIATE,)


# ---------------------------------------------------------------------- acceptance

FACTS: Mapping[str, str] = {
    "loan_year": "the year the loan was granted (an integer, e.g. 2025)",
    "amount": "the amount this application withdraws, in yuan (with the spouse's account "
    "when the spouse variant holds)",
    "year_repayment": "the repayments of the current year on the loan, in yuan",
    "repaid_total": "the principal and interest actually repaid on the loan so far, in yuan",
    "withdrawn_total": "the provident fund already withdrawn for this loan before this "
    "application, in yuan (0 for a first withdrawal)",
}
"""The facts an application for :data:`REPAY_LOAN` must declare (``Hall.submit(...,
facts=...)``). Amounts are decimal text or integers, exact to the fen."""

_CONDITION = f"{SEED} 三: withdrawals start in the year after the loan was granted"
_PER_YEAR = f"{SEED} 四, 提取金额 1: at most the current year's repayments"
_CUMULATIVE = (
    f"{SEED} 四, 提取金额 2: all withdrawals together at most the principal and interest "
    "actually repaid"
)
_ONE_LIST = (
    f"{SEED} 四.1-3: exactly one of {[v.code for v in LOAN_VARIANTS]} holds (one list of "
    "materials per kind of loan)"
)


def _amount(facts: Mapping[str, Any], key: str) -> Decimal | AcceptanceProblem:
    """The amount declared under ``key``, or the problem with it."""
    if key not in facts:
        return AcceptanceProblem(key, f"must be declared: {FACTS[key]}", None)
    value = facts[key]
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        return AcceptanceProblem(key, "must be an amount in yuan (decimal text)", value)
    try:
        amount = yuan(str(value).strip())
    except (FeeError, ArithmeticError, ValueError):
        return AcceptanceProblem(key, "must be an amount in yuan, exact to the fen", value)
    if amount < 0:
        return AcceptanceProblem(key, "must not be negative", value)
    return amount


def _year(facts: Mapping[str, Any]) -> int | AcceptanceProblem:
    """The loan's year, or the problem with it."""
    if "loan_year" not in facts:
        return AcceptanceProblem("loan_year", f"must be declared: {FACTS['loan_year']}", None)
    value = facts["loan_year"]
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 9999:
        return AcceptanceProblem("loan_year", "must be a year (an integer)", value)
    return value


def _local_year(when: dt.datetime) -> int:
    return (when.astimezone(_TZ) if when.tzinfo is not None else when).year


def check_withdrawal(
    facts: Mapping[str, Any], conditions: Iterable[str], received: dt.datetime
) -> tuple[AcceptanceProblem, ...]:
    """Check an application to withdraw the fund against the guide's rules.

    1. Exactly one kind of loan (:data:`LOAN_VARIANTS`) is among the conditions, so the
       right list of materials is asked for (四.1-3).
    2. The loan was granted before the year of application (三).
    3. ``amount`` is at most ``year_repayment`` (提取金额 1).
    4. ``withdrawn_total + amount`` is at most ``repaid_total`` (提取金额 2).
    5. A first withdrawal for a bank loan follows no earlier one, and a later withdrawal
       follows one (the headings 第一次支取 and 第二次支取 of 四.2 and 四.3).

    A fact that is missing or malformed is itself a problem, and the rules that need it are
    not checked. Total over any facts: it never raises.

    Args:
        facts: the declared facts (see :data:`FACTS`).
        conditions: the case's conditions (variant codes).
        received: when the application was received (its year, Beijing time, is the year
            of application).

    Returns:
        The problems, each naming the fact and the rule; empty when the application passes.
    """
    problems: list[AcceptanceProblem] = []
    held = set(conditions)
    loans = sorted(v.code for v in LOAN_VARIANTS if v.code in held)
    if len(loans) != 1:
        problems.append(AcceptanceProblem("conditions", _ONE_LIST, loans))

    year = _year(facts)
    if isinstance(year, AcceptanceProblem):
        problems.append(year)
    elif year >= _local_year(received):
        problems.append(
            AcceptanceProblem(
                "loan_year", f"{_CONDITION} (applied in {_local_year(received)})", year
            )
        )

    found: dict[str, Decimal] = {}
    for key in ("amount", "year_repayment", "repaid_total", "withdrawn_total"):
        value = _amount(facts, key)
        if isinstance(value, AcceptanceProblem):
            problems.append(value)
        else:
            found[key] = value
    amount = found.get("amount")
    if amount is not None and amount == 0:
        problems.append(AcceptanceProblem("amount", "must be more than 0", str(amount)))
    if amount is not None and "year_repayment" in found and amount > found["year_repayment"]:
        problems.append(
            AcceptanceProblem(
                "amount", f"{_PER_YEAR} ({found['year_repayment']} yuan)", str(amount)
            )
        )
    if amount is not None and {"repaid_total", "withdrawn_total"} <= found.keys():
        total = found["withdrawn_total"] + amount
        if total > found["repaid_total"]:
            problems.append(
                AcceptanceProblem(
                    "amount",
                    f"{_CUMULATIVE} ({found['withdrawn_total']} already withdrawn + this "
                    f"withdrawal = {total} > {found['repaid_total']} yuan repaid)",
                    str(amount),
                )
            )
    earlier = found.get("withdrawn_total")
    if earlier is not None and loans == ["bank_first"] and earlier > 0:
        problems.append(
            AcceptanceProblem(
                "withdrawn_total",
                f"{SEED} 四.2: a first withdrawal (bank_first) follows no earlier one; "
                "declare bank_later",
                str(earlier),
            )
        )
    if earlier is not None and loans == ["bank_later"] and earlier == 0:
        problems.append(
            AcceptanceProblem(
                "withdrawn_total",
                f"{SEED} 四.3: a later withdrawal (bank_later) follows an earlier approved one; "
                "declare bank_first",
                str(earlier),
            )
        )
    return tuple(problems)


@hookimpl
def hallflow_check_application(
    matter: Matter, case: Case, facts: Mapping[str, Any]
) -> Iterable[AcceptanceProblem] | None:
    """Check an application for :data:`REPAY_LOAN` (see :func:`check_withdrawal`).

    Other matters are not this plugin's: None.
    """
    if matter.code != REPAY_LOAN:
        return None
    return check_withdrawal(facts, case.conditions, case.received_at)
