"""hallflow-wanbailin: the 32 surveyed items, their departments and kinds, the windows."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from fractions import Fraction
from zoneinfo import ZoneInfo

import hallflow_wanbailin
import pytest
from hallflow_wanbailin import plugin
from hallflow_wanbailin.plugin import DEPARTMENTS, ITEMS, KINDS, windows

from hallflow.cases.lifecycle import CaseState
from hallflow.errors import CaseCommandError
from hallflow.model import (
    ESCALATED,
    IMMEDIATE,
    JOINT,
    PROMISED,
    Authority,
    NaturalPerson,
    Organisation,
    Power,
    Role,
    Staff,
    WindowKind,
)
from hallflow.plugins import assemble_catalogue, assemble_hall, case_kinds, plugin_manager
from hallflow.seals import SealRegistry
from hallflow.store import MemoryStore
from hallflow.testing import assert_conforms
from hallflow.timeline import Limit

SH = ZoneInfo("Asia/Shanghai")

# the survey's count per department, in its order (篇一 二(一)3)
COUNTS = {
    "Civil Affairs Bureau (民政局)": 3,
    "Statistics Bureau (统计局)": 5,
    "Construction Administration Bureau (建管局)": 2,
    "Planning Branch (规划分局)": 6,
    "Transport Bureau (交通局)": 2,
    "Family Planning Bureau (计生局)": 3,
    "City Appearance and Sanitation Bureau (市容环卫局)": 6,
    "Culture and Sports Bureau (文体局)": 5,
}
ESCALATED_ITEMS = {
    "wbl-con-01",
    *(f"wbl-pla-{n:02d}" for n in range(1, 7)),
    "wbl-tra-01",
    "wbl-tra-02",
    "wbl-cul-04",
    "wbl-cul-05",
}


def test_package_exposes_the_plugin_and_its_version() -> None:
    assert hallflow_wanbailin.plugin is plugin
    assert hallflow_wanbailin.__version__ == "0.1.0"


def test_entry_point_names_the_module_but_stays_off() -> None:
    eps = importlib.metadata.entry_points(group="hallflow")
    assert {ep.name: ep.value for ep in eps}["wanbailin"] == "hallflow_wanbailin.plugin"
    assert len(plugin_manager([plugin]).list_name_plugin()) == 2


# ---------------------------------------------------------------------- catalogue


def test_the_catalogue_assembles_with_all_32_items() -> None:
    catalogue = assemble_catalogue(plugin_manager([plugin]))
    assert len(catalogue) == 32
    assert {d: len(catalogue.by_department(d)) for d in catalogue.departments()} == COUNTS
    assert sum(len(names) for names in ITEMS.values()) == 32


@pytest.mark.parametrize(
    ("code", "department", "chinese"),
    [
        ("wbl-civ-01", "民政局", "社团审批"),
        ("wbl-sta-05", "统计局", "统计违法案件的处理"),
        ("wbl-con-02", "建管局", "城市树木变动及占用绿地审批"),
        ("wbl-pla-06", "规划分局", "申请〈建设工程规划验收〉的受理"),
        ("wbl-tra-02", "交通局", "汽车维修企业的开、停业受理"),
        ("wbl-fam-01", "计生局", "为流动人口办理〈流动人口婚育证明〉"),
        ("wbl-san-06", "市容环卫局", "饲养家禽、家畜<会签>"),
        ("wbl-cul-05", "文体局", "音像制品初审"),
    ],
)
def test_items_keep_the_seeds_names_and_departments(
    code: str, department: str, chinese: str
) -> None:
    matter = assemble_catalogue(plugin_manager([plugin])).get(code)
    assert department in matter.department
    assert matter.name.endswith(f"({chinese})")
    assert "二(一)3" in matter.summary


def test_kinds_follow_the_item_names() -> None:
    catalogue = assemble_catalogue(plugin_manager([plugin]))
    assert {m.code for m in catalogue if m.kind == ESCALATED} == ESCALATED_ITEMS
    assert {m.kind for m in catalogue} == {ESCALATED, PROMISED}
    for matter in catalogue:
        words = "受理" in matter.name or "初审" in matter.name
        assert words == (matter.kind == ESCALATED), matter.code


def test_limits_are_the_national_defaults_and_said_to_be() -> None:
    for matter in plugin.matters():
        assert matter.legal_limit == Limit.working_days(20)
        assert matter.promised_limit == Limit.working_days(20)
        assert "national default" in matter.legal_basis[0]
        assert [m.code for m in matter.materials] == ["form"]
        assert not matter.has_fee


def test_kinds_are_declared() -> None:
    assert set(KINDS) == {IMMEDIATE, PROMISED, JOINT, ESCALATED}
    declared = case_kinds(plugin_manager([plugin]))
    assert {m.kind for m in plugin.matters()} <= declared
    assert plugin_manager([plugin]).hook.hallflow_limit_policy() is None


def test_no_compression_needed_by_default() -> None:
    catalogue = assemble_catalogue(plugin_manager([plugin]))
    assert catalogue.compression_errors(Fraction(0)) == ()
    # Sichuan's 30% would refuse every placeholder promise: the README says so
    assert len(catalogue.compression_errors(Fraction(3, 10))) == 32


# ---------------------------------------------------------------------- windows


def test_the_17_stationed_windows() -> None:
    built = windows()
    assert len(built) == 17
    assert [w.code for w in built[-3:]] == ["tra", "pri", "agr"]
    assert all(w.name.startswith("Floor 2") for w in built[-3:])
    assert all(w.name.startswith("Floor 1") for w in built[:14])
    assert {w.kind for w in built} == {WindowKind.DEPARTMENT}
    assert {w.department for w in built} == set(DEPARTMENTS.values())
    assert len({w.code for w in built}) == 17


def test_every_item_has_exactly_one_window() -> None:
    built = windows()
    for matter in plugin.matters():
        serving = [w.code for w in built if w.handles(matter)]
        assert serving == [matter.code.split("-")[1]], matter.code


def test_a_hall_built_from_the_windows_routes_applications() -> None:
    department = DEPARTMENTS["cul"]
    org = Organisation(
        windows=windows(),
        staff=(Staff("clerk", "Wang", department, {Role.CLERK}),),
        authorities=(
            Authority(
                "clerk",
                frozenset({Power.ACCEPT}),
                None,
                None,
                valid_from=dt.date(2026, 1, 1),
                issued_by="Director of the centre",
                document="WBL-1",
            ),
        ),
    )
    hall = assemble_hall(
        plugin_manager([plugin]), organisation=org, store=MemoryStore(), seals=SealRegistry()
    )
    person = NaturalPerson("Zhang San", "11010519491231002X")
    when = dt.datetime(2026, 3, 2, 10, tzinfo=SH)
    case = hall.submit("wbl-cul-03", person, "cul", materials=["form"], actor="clerk", at=when)
    assert hall.accept(case.case_id, actor="clerk", at=when).state is CaseState.REVIEWING
    with pytest.raises(CaseCommandError, match=r"go to \['cul'\]"):
        hall.submit("wbl-cul-03", person, "sta", materials=["form"], actor="clerk", at=when)


# ---------------------------------------------------------------------- conformance


def test_conforms_to_the_hallflow_plugin_kit() -> None:
    report = assert_conforms(plugin)
    assert report.ok
