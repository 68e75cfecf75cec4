"""The catalogue: matters validated at construction, compression, joint handling, the guide."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallflow.errors import CatalogueError, CompressionError, UnknownCodeError
from hallflow.model import (
    GUIDE_ITEMS,
    IMMEDIATE,
    JOINT,
    PROMISED,
    PROXY_VARIANT,
    CaseKind,
    Catalogue,
    CoDepartment,
    GapPolicy,
    JointHandling,
    Material,
    Matter,
    Power,
    Procedure,
    SilencePolicy,
    Step,
    StepKind,
    Variant,
    check_compression,
    proxy_materials,
    render_guide,
)
from hallflow.timeline import Limit, PauseReason
from tests.strategies import matters

FUND = "Housing Provident Fund Centre"


def leshan() -> Matter:
    """The Leshan guide (seed 001, fourth piece): withdrawing housing-fund savings to repay
    a housing loan, with its variants: a fund loan, a bank loan (first and later
    withdrawals), a proxy applicant, and the spouse's savings."""
    return Matter(
        "leshan-hf-repay",
        "Withdrawal of housing provident fund to repay a housing loan",
        FUND,
        IMMEDIATE,
        (
            "Regulation on the Administration of Housing Provident Funds",
            "Sichuan rules on housing provident fund withdrawal",
            "Leshan implementing rules on housing provident fund withdrawal",
        ),
        ("The loan was granted by the centre or a bank; withdrawal from the next year on.",),
        (
            Material("form", "Withdrawal approval form sealed by the employer", original=True),
            Material("id", "Applicant's identity card", original=True),
            *proxy_materials(),
            Material("contracts", "Purchase and loan contracts", when="bank_first"),
            Material(
                "passbook_first",
                "Passbook with the last three repayments",
                True,
                True,
                when="bank_first",
            ),
            Material(
                "previous_form", "Third sheet of the previously approved form", when="bank_later"
            ),
            Material(
                "passbook_later",
                "Passbook with the last three repayments",
                True,
                True,
                when="bank_later",
            ),
            Material(
                "spouse_form",
                "Spouse's approval form sealed by their employer",
                original=True,
                when="spouse",
            ),
            Material("marriage", "Marriage certificate", original=True, when="spouse"),
            Material("spouse_id", "Spouse's identity card", original=True, when="spouse"),
        ),
        Limit.working_days(20),
        Limit.same_day(),
        procedure=Procedure.on_the_spot(),
        variants=(
            PROXY_VARIANT,
            Variant("bank_first", "the loan is from a bank and this is the first withdrawal"),
            Variant("bank_later", "the loan is from a bank and money was withdrawn before"),
            Variant("spouse", "the spouse's savings are withdrawn too"),
        ),
        summary="Complete papers are handled on the spot.",
    )


def promised_matter(**changes: Any) -> Matter:
    fields: dict[str, Any] = {
        "code": "m1",
        "name": "A licence",
        "department": "dept",
        "kind": PROMISED,
        "legal_basis": ("Administrative Licensing Law",),
        "conditions": (),
        "materials": (Material("app", "Application form", original=True),),
        "legal_limit": Limit.working_days(20),
        "promised_limit": Limit.working_days(10),
    }
    fields.update(changes)
    return Matter(**fields)


def joint(*cos: CoDepartment, lead: str = "dept") -> JointHandling:
    return JointHandling(lead, cos)


# ---- materials and variants


def codes(materials: tuple[Material, ...]) -> list[str]:
    return [m.code for m in materials]


def test_leshan_materials_by_variant() -> None:
    matter = leshan()
    assert codes(matter.materials_for([])) == ["form", "id"]
    assert codes(matter.materials_for(["bank_first"])) == [
        "form",
        "id",
        "contracts",
        "passbook_first",
    ]
    assert codes(matter.materials_for({"bank_later", "proxy"})) == [
        "form",
        "id",
        "power_of_attorney",
        "agent_id",
        "previous_form",
        "passbook_later",
    ]
    # Unknown conditions are ignored: a case may pass "proxy" for any matter.
    assert codes(matter.materials_for(["urgent", "spouse"]))[-3:] == [
        "spouse_form",
        "marriage",
        "spouse_id",
    ]


def test_material_needed_under_an_undeclared_variant_is_refused() -> None:
    with pytest.raises(CatalogueError) as info:
        promised_matter(materials=proxy_materials())
    assert info.value.field == "Matter[m1].materials[power_of_attorney].when"
    assert info.value.value == "proxy"


def test_duplicate_material_codes_are_refused() -> None:
    with pytest.raises(CatalogueError) as info:
        promised_matter(materials=(Material("a", "A"), Material("a", "B")))
    assert info.value.field == "Matter[m1].materials"
    assert info.value.value == "a"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"code": "", "name": "x"}, "Material.code"),
        ({"code": "x", "name": "x", "copies": -1}, "Material[x].copies"),
        ({"code": "x", "name": "x", "copies": 0}, "Material[x].copies"),
        ({"code": "x", "name": "x", "when": "Not A Code"}, "Material[x].when"),
    ],
)
def test_material_errors_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(CatalogueError) as info:
        Material(**kwargs)
    assert info.value.field == field


# ---- limits


def test_promised_may_not_exceed_legal() -> None:
    with pytest.raises(CatalogueError) as info:
        promised_matter(promised_limit=Limit.working_days(21))
    assert info.value.field == "Matter[m1].promised_limit"
    assert info.value.value == Limit.working_days(21)
    assert "must not exceed the legal limit 20 working days" in str(info.value)


def test_limits_in_different_units_are_refused() -> None:
    with pytest.raises(CatalogueError) as info:
        promised_matter(promised_limit=Limit.calendar_days(5))
    assert "same unit" in info.value.rule
    assert info.value.value == Limit.calendar_days(5)


def test_a_same_day_promise_fits_a_legal_limit_in_days() -> None:
    assert promised_matter(promised_limit=Limit.same_day()).promised_limit == Limit.same_day()
    assert promised_matter(
        legal_limit=Limit.calendar_days(30), promised_limit=Limit.same_day()
    ).legal_limit == Limit.calendar_days(30)


@pytest.mark.parametrize("promised", [Limit.same_day(), Limit.working_days(1)])
def test_immediate_matter_limits_allowed(promised: Limit) -> None:
    assert promised_matter(kind=IMMEDIATE, promised_limit=promised).kind == IMMEDIATE


def test_immediate_matter_needs_a_same_day_or_one_day_promise() -> None:
    with pytest.raises(CatalogueError) as info:
        promised_matter(kind=IMMEDIATE, promised_limit=Limit.working_days(2))
    assert "immediate" in info.value.rule


def test_step_limits_must_fit_the_promise() -> None:
    steps = (
        Step("review", "Review", limit=Limit.working_days(6)),
        Step("approve", "Approve", power=Power.DECIDE, limit=Limit.working_days(5)),
    )
    with pytest.raises(CatalogueError) as info:
        promised_matter(procedure=Procedure(steps))
    assert info.value.field == "Matter[m1].procedure.steps"
    assert info.value.value == 11
    with pytest.raises(CatalogueError) as info:
        promised_matter(procedure=Procedure((Step("x", "X", limit=Limit.working_days(11)),)))
    assert info.value.field == "Matter[m1].procedure.steps[x].limit"


def test_procedure_rules() -> None:
    assert [s.power for s in Procedure.review_and_approve().steps] == [
        Power.REVIEW,
        Power.DECIDE,
    ]
    with pytest.raises(CatalogueError):
        Procedure(())
    with pytest.raises(CatalogueError) as info:
        Procedure((Step("a", "A"), Step("a", "B", kind=StepKind.OR_SIGN)))
    assert info.value.value == "a"
    with pytest.raises(UnknownCodeError):
        Procedure.review_and_approve().step("nope")


def test_only_art45_periods_and_public_notice_may_be_excluded() -> None:
    ok = promised_matter(excludable={"hearing", PauseReason.PUBLIC_NOTICE})
    assert ok.excludable == {PauseReason.HEARING, PauseReason.PUBLIC_NOTICE}
    with pytest.raises(CatalogueError) as info:
        promised_matter(excludable={PauseReason.CORRECTION})
    assert info.value.field == "Matter[m1].excludable"


def test_blank_legal_basis_is_refused() -> None:
    with pytest.raises(CatalogueError) as info:
        promised_matter(legal_basis=())
    assert info.value.field == "Matter[m1].legal_basis"


# ---- accept with gaps


def test_gap_materials_must_exist_be_deferrable_and_required() -> None:
    materials = (
        Material("app", "Application"),
        Material("plan", "Site plan", deferrable=True),
        Material("photo", "Photo", required=False, deferrable=True),
    )
    days = Limit.working_days(5)
    assert promised_matter(materials=materials, gaps=GapPolicy("plan", days)).gaps
    for code, rule in [
        ("nope", "names no material"),
        ("app", "not marked deferrable"),
        ("photo", "only a required material"),
    ]:
        with pytest.raises(CatalogueError) as info:
            promised_matter(materials=materials, gaps=GapPolicy((code,), days))
        assert info.value.field == "Matter[m1].gaps.deferrable"
        assert info.value.value == code
        assert rule in info.value.rule
    with pytest.raises(CatalogueError):
        GapPolicy((), days)
    with pytest.raises(CatalogueError):
        GapPolicy(("a", "a"), days)


# ---- joint handling


def test_joint_handling_is_given_exactly_for_joint_matters() -> None:
    handling = joint(CoDepartment("fire", Limit.working_days(5)))
    assert promised_matter(kind=JOINT, joint=handling).joint == handling
    with pytest.raises(CatalogueError) as info:
        promised_matter(kind=JOINT)
    assert info.value.field == "Matter[m1].joint"
    with pytest.raises(CatalogueError) as info:
        promised_matter(joint=handling)
    assert "only a joint matter" in info.value.rule


def test_the_lead_is_the_matters_department() -> None:
    handling = joint(CoDepartment("fire", Limit.working_days(5)), lead="other")
    with pytest.raises(CatalogueError) as info:
        promised_matter(kind=JOINT, joint=handling)
    assert info.value.field == "Matter[m1].joint.lead_department"


@pytest.mark.parametrize(
    "cos",
    [
        [("a", ("a",))],
        [("a", ("b",)), ("b", ("a",))],
        [("a", ()), ("b", ("c",)), ("c", ("d",)), ("d", ("b",))],
    ],
)
def test_a_dependency_cycle_is_refused(cos: list[tuple[str, tuple[str, ...]]]) -> None:
    with pytest.raises(CatalogueError) as info:
        joint(*(CoDepartment(name, Limit.working_days(2), after) for name, after in cos))
    assert "each other's prerequisites" in info.value.rule


def test_joint_handling_structure_errors() -> None:
    two = Limit.working_days(2)
    with pytest.raises(CatalogueError) as info:
        joint(CoDepartment("a", two, "ghost"))
    assert info.value.field == "CoDepartment[a].after"
    assert info.value.value == "ghost"
    with pytest.raises(CatalogueError):
        joint(CoDepartment("a", two), CoDepartment("a", two))
    with pytest.raises(CatalogueError):
        joint(CoDepartment("dept", two))
    with pytest.raises(CatalogueError):
        joint()


def test_stages_and_longest_chain() -> None:
    handling = joint(
        CoDepartment("fire", Limit.working_days(3)),
        CoDepartment("env", Limit.working_days(5)),
        CoDepartment("land", Limit.working_days(4), ("fire", "env")),
        CoDepartment("water", Limit.same_day(), "land"),
    )
    assert handling.stages() == (("env", "fire"), ("land",), ("water",))
    assert handling.longest_chain(Limit.working_days(1).unit) == 9
    assert handling.silence is SilencePolicy.CONSENT
    with pytest.raises(CatalogueError) as info:
        promised_matter(kind=JOINT, joint=handling, promised_limit=Limit.working_days(8))
    assert info.value.field == "Matter[m1].joint.co_departments"
    assert info.value.value == 9
    assert promised_matter(kind=JOINT, joint=handling, promised_limit=Limit.working_days(9))


def test_a_reply_limit_longer_than_the_promise_is_refused() -> None:
    handling = joint(CoDepartment("fire", Limit.working_days(11)))
    with pytest.raises(CatalogueError) as info:
        promised_matter(kind=JOINT, joint=handling)
    assert info.value.field == "Matter[m1].joint.co_departments[fire].reply_limit"


# ---- compression


@pytest.mark.parametrize(
    ("reduction", "legal", "longest_ok"),
    [
        (0.3, 20, 14),
        (0.3, 15, 10),
        (0.5, 20, 10),
        (0.5, 15, 7),
        (0.7, 20, 6),
        (0.7, 10, 3),
    ],
)
def test_compression(reduction: float, legal: int, longest_ok: int) -> None:
    ok = promised_matter(
        legal_limit=Limit.working_days(legal), promised_limit=Limit.working_days(longest_ok)
    )
    check_compression(ok, reduction)
    too_long = Limit.working_days(longest_ok + 1)
    bad = promised_matter(legal_limit=Limit.working_days(legal), promised_limit=too_long)
    with pytest.raises(CompressionError) as info:
        check_compression(bad, reduction)
    error = info.value
    assert error.matter == "m1"
    assert error.legal == Limit.working_days(legal)
    assert error.promised == too_long
    assert error.required == f"{round(reduction * 100)}%"
    assert f"{round(reduction * 100)}%" in str(error)
    assert isinstance(error, CatalogueError)


def test_same_day_promises_always_compress_and_bad_settings_are_refused() -> None:
    check_compression(promised_matter(promised_limit=Limit.same_day()), 0.9)
    for setting in (-0.1, 1, 1.5, "0.3", True):
        with pytest.raises(CatalogueError):
            check_compression(promised_matter(), setting)  # type: ignore[arg-type]


def test_catalogue_compression_errors_lists_every_offender() -> None:
    catalogue = Catalogue(
        (
            promised_matter(code="a", promised_limit=Limit.working_days(15)),
            promised_matter(code="b", promised_limit=Limit.working_days(14)),
            promised_matter(code="c", promised_limit=Limit.working_days(20)),
        )
    )
    assert [e.matter for e in catalogue.compression_errors(0.3)] == ["a", "c"]
    assert catalogue.compression_errors(0) == ()


# ---- kinds and the catalogue


def test_case_kinds_are_extensible_and_compared_by_code() -> None:
    returned = CaseKind("returned", "退办件")
    assert returned != PROMISED
    assert CaseKind("promised", "承诺件") == PROMISED
    with pytest.raises(CatalogueError) as info:
        CaseKind("Returned Case", "x")
    assert info.value.field == "CaseKind.code"
    assert promised_matter(kind=returned).kind.label == "退办件"


def test_catalogue_lookups() -> None:
    catalogue = Catalogue((leshan(), promised_matter(code="m1"), promised_matter(code="m2")))
    assert catalogue.get("m2").code == "m2"
    assert "m1" in catalogue and "zz" not in catalogue
    assert len(catalogue) == 3
    assert [m.code for m in catalogue] == ["leshan-hf-repay", "m1", "m2"]
    assert [m.code for m in catalogue.by_department("dept")] == ["m1", "m2"]
    assert catalogue.departments() == (FUND, "dept")
    with pytest.raises(UnknownCodeError) as info:
        catalogue.get("zz")
    assert isinstance(info.value, LookupError)
    assert info.value.value == "zz"
    with pytest.raises(CatalogueError) as dup:
        Catalogue((promised_matter(), promised_matter()))
    assert dup.value.value == "m1"


# ---- the guide


def test_guide_has_the_eight_items_in_order_and_the_variants() -> None:
    text = render_guide(leshan())
    positions = [text.index(f"## {i}. {item}") for i, item in enumerate(GUIDE_ITEMS, 1)]
    assert positions == sorted(positions)
    assert text.startswith("# Withdrawal of housing provident fund")
    for needle in [
        "Regulation on the Administration of Housing Provident Funds",
        "No fee is charged.",
        "Free of charge.",
        "For every application:",
        "In addition, when someone applies on the applicant's behalf:",
        "Power of attorney signed by the applicant (original)",
        "In addition, when the loan is from a bank and this is the first withdrawal:",
        "Third sheet of the previously approved form (1 copy)",
        "In addition, when the spouse's savings are withdrawn too:",
        "withdrawal from the next year on",
        "Decide at the window",
        "same day (legal limit: 20 working days)",
    ]:
        assert needle in text


def test_guide_shows_fees_joint_handling_pledge_gaps_and_excluded_periods() -> None:
    handling = JointHandling(
        "dept",
        (
            CoDepartment("fire", Limit.working_days(3)),
            CoDepartment("env", Limit.working_days(4), "fire"),
        ),
        SilencePolicy.CONSENT,
    )
    matter = promised_matter(
        kind=JOINT,
        joint=handling,
        materials=(Material("plan", "Site plan", deferrable=True),),
        gaps=GapPolicy("plan", Limit.working_days(5)),
        pledge_allowed=True,
        excludable={PauseReason.HEARING, PauseReason.EXPERT_REVIEW},
        fee_basis="Provincial price notice",
        fee_standard="50 yuan",
    )
    text = render_guide(matter)
    for needle in [
        "Provincial price notice",
        "50 yuan",
        "Joint handling, led by dept:",
        "- env replies within 4 working days, after fire",
        "taken to consent",
        "Notify and pledge",
        "accepted without Site plan, which must follow within 5 working days",
        "Not counted in the limit: expert review, hearing.",
        "10 working days (legal limit: 20 working days)",
    ]:
        assert needle in text


@given(matters())
def test_every_generated_matter_renders_all_eight_items(matter: Matter) -> None:
    text = render_guide(matter)
    for i, item in enumerate(GUIDE_ITEMS, 1):
        assert f"## {i}. {item}" in text
    for material in matter.materials:
        assert material.name in text


@given(matters(), st.sets(st.sampled_from(["proxy", "second", "unknown"])))
def test_materials_for_is_the_unconditional_ones_plus_the_variants(
    matter: Matter, conditions: set[str]
) -> None:
    chosen = matter.materials_for(conditions)
    assert set(chosen) == {m for m in matter.materials if m.when in conditions | {None}}
    assert list(chosen) == [m for m in matter.materials if m in chosen]


def test_the_examples_in_docs_model_md_run() -> None:
    import contextlib
    import io
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "model.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 4
    namespace: dict[str, Any] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for block in blocks:
            exec(block, namespace)
    withdrawal = namespace["withdrawal"]
    assert [m.code for m in withdrawal.materials_for({"proxy", "bank_later"})] == [
        "form",
        "id",
        "power_of_attorney",
        "agent_id",
        "previous_form",
    ]
    assert namespace["permit"].joint.stages() == (
        ("Environment Bureau", "Fire Brigade"),
        ("Land Bureau",),
    )
    assert [e.matter for e in namespace["catalogue"].compression_errors(0.5)] == ["cz-build-01"]
    org, day = namespace["org"], namespace["dt"].date
    substitute = org.may("li", Power.DECIDE, withdrawal, "hf", day(2024, 3, 5))
    assert substitute.acting_for == "zhang" and substitute.rule == "substitute"
    assert org.may("li", Power.DECIDE, withdrawal, "hf", day(2024, 3, 11)).rule == "no-authority"
    assert namespace["citizen"].id_number == "11010519491231002X"
