"""Dongping 2017 (seed 003) through hallflow's hooks and a small real hall.

The seed lists no matters; the four below are the county's kind of catalogue (a construction
permit with a site inspection and gaps, an ordinary licence under 一审一核, a joint approval,
an immediate certificate), written for these tests.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from collections.abc import Iterator
from fractions import Fraction
from zoneinfo import ZoneInfo

import hallflow_dongping.plugin as dongping_module
import pytest
from hallflow_dongping import (
    DongpingPlugin,
    check_matter,
    configure,
    one_review_one_approval,
    site_inspection_step,
)

from hallflow.cases.hall import Hall
from hallflow.cases.lifecycle import CaseState
from hallflow.errors import CaseCommandError, CaseStateError, CatalogueError
from hallflow.model import (
    IMMEDIATE,
    JOINT,
    PROMISED,
    Authority,
    CoDepartment,
    GapPolicy,
    JointHandling,
    Material,
    Matter,
    NaturalPerson,
    Organisation,
    Power,
    Procedure,
    Role,
    Staff,
    Step,
    Window,
    WindowKind,
)
from hallflow.plugins import assemble_catalogue, assemble_hall, limit_policy, plugin_manager
from hallflow.seals import SealRegistry
from hallflow.store import MemoryStore
from hallflow.timeline import Limit

SH = ZoneInfo("Asia/Shanghai")
DEPT = "Housing and Construction Bureau"
PERSON = NaturalPerson("Zhang San", "11010519491231002X")

BUILD = Matter(
    "dp-build-01",
    "Construction works permit",
    DEPT,
    PROMISED,
    legal_basis=("Construction Law, Art. 8",),
    conditions=("Planning permit obtained",),
    materials=(
        Material("form", "Application form", original=True),
        Material("drawings", "Construction drawings review certificate", deferrable=True),
    ),
    legal_limit=Limit.working_days(15),
    promised_limit=Limit.working_days(7),
    procedure=Procedure(
        (
            Step("review", "Review at the window", power=Power.REVIEW),
            site_inspection_step(),
            Step("approve", "Approval at the window", power=Power.DECIDE),
        )
    ),
    pledge_allowed=True,
    gaps=GapPolicy(("drawings",), Limit.working_days(10)),
)

SHOP = Matter(
    "dp-shop-01",
    "Outdoor advertising licence",
    DEPT,
    PROMISED,
    legal_basis=("Urban Appearance Regulations, Art. 11",),
    conditions=(),
    materials=(Material("form", "Application form", original=True),),
    legal_limit=Limit.working_days(20),
    promised_limit=Limit.working_days(5),
    procedure=one_review_one_approval(),
    pledge_allowed=True,
)

JOINT_APPROVAL = Matter(
    "dp-joint-01",
    "Joint approval of a construction project",
    DEPT,
    JOINT,
    legal_basis=("Administrative Licensing Law, Art. 26",),
    conditions=(),
    materials=(Material("form", "Application form", original=True),),
    legal_limit=Limit.working_days(45),
    promised_limit=Limit.working_days(15),
    procedure=one_review_one_approval(),
    joint=JointHandling(
        DEPT,
        (
            CoDepartment("Natural Resources Bureau", Limit.working_days(5)),
            CoDepartment("Environment Bureau", Limit.working_days(5)),
        ),
    ),
)

CERTIFICATE = Matter(
    "dp-cert-01",
    "Certificate of no housing",
    DEPT,
    IMMEDIATE,
    legal_basis=("Housing Provident Fund Regulations",),
    conditions=(),
    materials=(Material("id", "Identity card", original=True, copies=0),),
    legal_limit=Limit.working_days(5),
    promised_limit=Limit.same_day(),
    procedure=Procedure.on_the_spot(),
)

MATTERS = (BUILD, SHOP, JOINT_APPROVAL, CERTIFICATE)


def at(m: int, d: int, hh: int = 10) -> dt.datetime:
    """An instant in 2026, Beijing time."""
    return dt.datetime(2026, m, d, hh, tzinfo=SH)


def _authority(holder: str, powers: set[Power]) -> Authority:
    return Authority(
        holder,
        frozenset(powers),
        None,
        None,
        valid_from=dt.date(2026, 1, 1),
        issued_by="Director of the centre",
        document=f"AUTH-{holder}",
    )


ORG = Organisation(
    windows=(Window("hc", "Housing and construction window", WindowKind.DEPARTMENT, DEPT),),
    staff=(
        Staff("clerk", "Wang", DEPT, {Role.CLERK}),
        Staff("chief", "Zhang", DEPT, {Role.CHIEF_REPRESENTATIVE}),
    ),
    authorities=(
        _authority("clerk", {Power.ACCEPT}),
        _authority("chief", {Power.ACCEPT, Power.REVIEW, Power.DECIDE}),
    ),
)


@pytest.fixture
def module_default() -> Iterator[None]:
    """Configure the module with the test catalogue; restore the default afterwards."""
    saved = dongping_module.default
    configure(matters=MATTERS)
    yield
    dongping_module.default = saved


@pytest.fixture
def hall(module_default: None) -> Hall:
    """A hall with the module registered (entry points off)."""
    pm = plugin_manager([dongping_module])
    return assemble_hall(pm, organisation=ORG, store=MemoryStore(), seals=SealRegistry())


def submit(hall: Hall, matter: str, materials: tuple[str, ...] = ("form",)) -> str:
    """Submit an application on 2 November; the case id."""
    case = hall.submit(matter, PERSON, "hc", materials=materials, actor="clerk", at=at(11, 2))
    return case.case_id


# ---------------------------------------------------------------------- policy values


def test_entry_point_names_the_module() -> None:
    """The package advertises ``hallflow_dongping.plugin`` under the ``hallflow`` group."""
    eps = importlib.metadata.entry_points(group="hallflow")
    assert {ep.name: ep.value for ep in eps}["dongping"] == "hallflow_dongping.plugin"


def test_default_contributes_no_matters() -> None:
    """The seed lists none."""
    pm = plugin_manager([dongping_module])
    assert len(assemble_catalogue(pm)) == 0
    kinds = {k.code for batch in pm.hook.hallflow_case_kinds() for k in batch}
    assert {"immediate", "promised", "joint"} <= kinds


def test_matters_assemble_and_pass_compression(module_default: None) -> None:
    """The catalogue assembles; Dongping sets no compression, and the promises fit."""
    pm = plugin_manager([dongping_module])
    catalogue = assemble_catalogue(pm)
    assert [m.code for m in catalogue] == [m.code for m in MATTERS]
    assert limit_policy(pm) is None
    assert catalogue.compression_errors(Fraction(0)) == ()
    assert catalogue.compression_errors(Fraction(3, 10)) == ()  # they even meet Sichuan's


def test_site_inspection_excludes_notify_and_pledge(module_default: None) -> None:
    """二(四)3: the pledge is withdrawn from the permit with a site inspection only."""
    catalogue = assemble_catalogue(plugin_manager([dongping_module]))
    assert catalogue.get("dp-build-01").pledge_allowed is False
    assert catalogue.get("dp-shop-01").pledge_allowed is True
    listed = DongpingPlugin(site_inspection={"dp-shop-01"})
    assert listed.hallflow_amend_matter(SHOP) is not None
    assert DongpingPlugin().hallflow_amend_matter(SHOP) is None


def test_one_review_one_approval_is_checked() -> None:
    """二(一)2: an ordinary matter with a third step is refused; a special one is not."""
    assert [check_matter(m) for m in MATTERS] == [[], [], [], []]
    three = Procedure(
        (
            Step("review", "Review", power=Power.REVIEW),
            Step("recheck", "Second review", power=Power.REVIEW),
            Step("approve", "Approve", power=Power.DECIDE),
        )
    )
    heavy = Matter(
        "dp-heavy-01",
        "A licence reviewed twice",
        DEPT,
        PROMISED,
        legal_basis=("Some law",),
        conditions=(),
        materials=(Material("form", "Application form"),),
        legal_limit=Limit.working_days(20),
        promised_limit=Limit.working_days(10),
        procedure=three,
    )
    assert check_matter(heavy)
    with pytest.raises(CatalogueError, match="一审一核"):
        DongpingPlugin(matters=[heavy])


def test_parallel_steps_may_not_be_each_others_prerequisites() -> None:
    """二(四)2: the core refuses co-departments waiting on each other."""
    with pytest.raises(CatalogueError, match="prerequisites"):
        JointHandling(
            DEPT,
            (
                CoDepartment("A Bureau", Limit.working_days(3), after=("B Bureau",)),
                CoDepartment("B Bureau", Limit.working_days(3), after=("A Bureau",)),
            ),
        )


# ---------------------------------------------------------------------- a real hall


def test_pledge_refused_where_a_site_inspection_is_needed(hall: Hall) -> None:
    """The core refuses the pledge on the permit, grants it on the licence."""
    build = submit(hall, "dp-build-01", ("form", "drawings"))
    with pytest.raises(CaseCommandError, match="allows no pledge"):
        hall.approve_on_pledge(build, dt.date(2026, 12, 1), actor="chief", at=at(11, 2))
    shop = submit(hall, "dp-shop-01")
    case = hall.approve_on_pledge(shop, dt.date(2026, 12, 1), actor="chief", at=at(11, 2))
    assert case.state is CaseState.DECIDED


def test_accept_with_gaps_then_approve_once_supplied(hall: Hall) -> None:
    """容缺预审 (二(五)1): accepted without the drawings; approval waits for them."""
    case_id = submit(hall, "dp-build-01")
    hall.accept_with_gaps(case_id, ["drawings"], dt.date(2026, 11, 13), actor="clerk", at=at(11, 2))
    for step in ("review", "site_inspection", "approve"):
        hall.sign(case_id, step, actor="chief", at=at(11, 4))
    with pytest.raises(CaseStateError, match="deferred"):
        hall.decide(case_id, True, actor="chief", at=at(11, 5))
    hall.supply_deferred(case_id, ["drawings"], actor="applicant", at=at(11, 6))
    decided = hall.decide(case_id, True, actor="chief", at=at(11, 6))
    assert decided.decision is not None and decided.decision.approved


# ---------------------------------------------------------------------- conformance


def test_module_conforms_to_the_hook_contracts(module_default: None) -> None:
    """Hallflow's conformance kit passes for the module configured with the catalogue."""
    from hallflow.testing import assert_conforms

    assert_conforms(dongping_module, examples=20)
