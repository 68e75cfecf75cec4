"""Shizhu 2007 (seed 000, 篇十二) through hallflow's hooks and a small real hall.

November and December 2026 have no public holidays. A permit accepted on Monday 2 November
has its legal limit (20 working days) due at closing on 30 November.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

import attrs
import hallflow_shizhu.plugin as shizhu_module
import pytest
from hallflow_shizhu import (
    DEEMED_APPROVAL_CODE,
    RejectionReports,
    ShizhuPlugin,
    configure,
    unmet_conditions,
)

from hallflow import hookimpl
from hallflow.calendar import china
from hallflow.cases.hall import SUPERVISION, Hall
from hallflow.cases.lifecycle import CaseState
from hallflow.errors import CaseCommandError, CaseStateError
from hallflow.model import (
    PROMISED,
    Authority,
    GapPolicy,
    Material,
    Matter,
    NaturalPerson,
    Organisation,
    Power,
    Procedure,
    Role,
    Staff,
    Window,
    WindowKind,
)
from hallflow.plugins import EscalationAction, assemble_catalogue, assemble_hall, plugin_manager
from hallflow.seals import SealRegistry
from hallflow.store import MemoryStore
from hallflow.store.base import StoredEvent
from hallflow.timeline import Limit

SH = ZoneInfo("Asia/Shanghai")
CAL = china()
DEPT = "Planning Bureau"
PERSON = NaturalPerson("Zhang San", "11010519491231002X")

PERMIT = Matter(
    "plan-01",
    "Construction project planning permit",
    DEPT,
    PROMISED,
    legal_basis=("Urban and Rural Planning Law, Art. 40",),
    conditions=("Land-use rights obtained",),
    materials=(
        Material("form", "Application form", original=True),
        Material("site", "Site plan", deferrable=True),
    ),
    legal_limit=Limit.working_days(20),
    promised_limit=Limit.working_days(12),
    procedure=Procedure.review_and_approve(),
    pledge_allowed=True,
    gaps=GapPolicy(("site",), Limit.working_days(5)),
)

BLASTING = attrs.evolve(
    PERMIT,
    code="blast-01",
    name="Blasting operation permit",
    gaps=None,
    materials=(Material("form", "Application form", original=True),),
)
"""A public-safety matter: excluded from notify-and-pledge."""


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
    windows=(Window("pl", "Planning window", WindowKind.DEPARTMENT, DEPT),),
    staff=(
        Staff("clerk", "Wang", DEPT, {Role.CLERK}),
        Staff("chief", "Zhang", DEPT, {Role.CHIEF_REPRESENTATIVE}),
    ),
    authorities=(
        _authority("clerk", {Power.ACCEPT}),
        _authority("chief", {Power.ACCEPT, Power.REVIEW, Power.DECIDE}),
    ),
)


class Catalogue:
    """A test plugin contributing matters."""

    @hookimpl
    def hallflow_matters(self) -> Iterable[Matter]:
        """The matters."""
        return (PERMIT, BLASTING)


def build_hall(plugin: object) -> Hall:
    """A hall with the two matters and the given Shizhu plugin."""
    pm = plugin_manager([Catalogue(), plugin])
    return assemble_hall(pm, organisation=ORG, store=MemoryStore(), seals=SealRegistry())


def submit(hall: Hall, matter: str = "plan-01", materials: Iterable[str] = ("form", "site")) -> str:
    """Submit an application on 2 November; the case id."""
    case = hall.submit(matter, PERSON, "pl", materials=materials, actor="clerk", at=at(11, 2))
    return case.case_id


def accepted(hall: Hall) -> str:
    """A complete application accepted on 2 November; the case id."""
    case_id = submit(hall)
    hall.accept(case_id, actor="clerk", at=at(11, 2))
    return case_id


def legal_due(hall: Hall, case_id: str, when: dt.datetime) -> dt.datetime:
    """The legal clock's due instant (extensions included)."""
    return hall.clocks(hall.case(case_id))["legal"].due(when)


@pytest.fixture
def module_default() -> Iterator[None]:
    """Restore the module's default instance after a test configures it."""
    saved = shizhu_module.default
    yield
    shizhu_module.default = saved


@pytest.fixture
def hall() -> Hall:
    """A hall with the module registered (entry points off)."""
    return build_hall(shizhu_module)


# ---------------------------------------------------------------------- policy values


def test_entry_point_names_the_module() -> None:
    """The package advertises ``hallflow_shizhu.plugin`` under the ``hallflow`` group."""
    eps = importlib.metadata.entry_points(group="hallflow")
    assert {ep.name: ep.value for ep in eps}["shizhu"] == "hallflow_shizhu.plugin"


def test_policy_values(hall: Hall) -> None:
    """No compression rule; the kinds are declared; deemed approval is Shizhu's to answer."""
    pm = plugin_manager([shizhu_module])
    assert pm.hook.hallflow_limit_policy() is None
    kinds = {k.code for batch in pm.hook.hallflow_case_kinds() for k in batch}
    assert {"immediate", "promised", "joint", "escalated"} <= kinds
    case = hall.case(accepted(hall))
    status = hall.clocks(case)["legal"].status(at(12, 1))
    assert (
        pm.hook.hallflow_deemed_approval(matter=PERMIT, case=case, status=status, at=at(12, 1))
        is True
    )
    national = plugin_manager()
    assert (
        national.hook.hallflow_deemed_approval(
            matter=PERMIT, case=case, status=status, at=at(12, 1)
        )
        is False
    )


# ---------------------------------------------------------------------- deemed approval


def test_deemed_approval_when_all_three_conditions_hold(hall: Hall) -> None:
    """Complete and accepted, not closed within the limit, no extension: approved."""
    case_id = accepted(hall)
    due = legal_due(hall, case_id, at(11, 2))
    assert due == dt.datetime(2026, 11, 30, 17, 30, tzinfo=SH)
    case = hall.deem_approved(case_id, at=at(12, 1))
    assert case.decision is not None and case.decision.deemed and case.decision.approved
    assert case.decision.by == SUPERVISION
    assert case.state is CaseState.DECIDED


def test_no_deemed_approval_when_accepted_with_gaps(hall: Hall) -> None:
    """Condition 1: materials were incomplete at acceptance — even once supplied later."""
    case_id = submit(hall, materials=("form",))
    hall.accept_with_gaps(case_id, ["site"], dt.date(2026, 11, 6), actor="clerk", at=at(11, 2))
    case = hall.case(case_id)
    status = hall.clocks(case)["legal"].status(at(12, 1))
    assert unmet_conditions(case, status, at(12, 1)) == [
        "materials: the application was accepted with materials missing"
    ]
    with pytest.raises(CaseStateError, match="incomplete"):  # the core refuses first
        hall.deem_approved(case_id, at=at(12, 1))
    hall.supply_deferred(case_id, ["site"], actor="applicant", at=at(11, 5))
    with pytest.raises(CaseCommandError, match="no deemed approval"):  # Shizhu refuses
        hall.deem_approved(case_id, at=at(12, 1))


def test_no_deemed_approval_within_the_limit(hall: Hall) -> None:
    """Condition 2: not before the promised limit (due 18 Nov) has run out, nor once decided."""
    case_id = accepted(hall)
    case = hall.case(case_id)
    status = hall.clocks(case)["promised"].status(at(11, 18, 17))
    assert unmet_conditions(case, status, at(11, 18, 17))[0].startswith("limit: the promised limit")
    with pytest.raises(CaseStateError, match="runs until"):
        hall.deem_approved(case_id, at=at(11, 18, 17))
    hall.sign(case_id, "review", actor="chief", at=at(11, 17))
    hall.sign(case_id, "approve", actor="chief", at=at(11, 17))
    decided = hall.decide(case_id, False, actor="chief", at=at(11, 17), reasons="no land rights")
    status = hall.clocks(decided)["promised"].status(at(11, 19))
    assert unmet_conditions(decided, status, at(11, 19)) == ["limit: the case was closed"]
    with pytest.raises(CaseStateError):
        hall.deem_approved(case_id, at=at(11, 19))


def test_no_deemed_approval_while_a_written_extension_runs(hall: Hall) -> None:
    """Condition 3: an extension in writing holds it off until it has run out too."""
    case_id = accepted(hall)
    hall.extend(
        case_id,
        Limit.working_days(5),
        clock="promised",
        actor="chief",
        at=at(11, 16),
        reason="expert opinion",
    )
    case = hall.case(case_id)
    status = hall.clocks(case)["promised"].status(at(11, 19))
    extended_due = status.due.isoformat()
    assert unmet_conditions(case, status, at(11, 19)) == [
        f"extension: a written extension (expert opinion) runs until {extended_due}"
    ]
    with pytest.raises(CaseStateError, match="runs until"):
        hall.deem_approved(case_id, at=at(11, 19))
    deemed = hall.deem_approved(case_id, at=status.due + dt.timedelta(minutes=1))
    assert deemed.decision is not None and deemed.decision.deemed


def test_the_sweep_issues_the_deemed_approval(hall: Hall) -> None:
    """Supervision's sweep raises the escalation and the deemed approval follows."""
    case_id = accepted(hall)
    early = {e.code for _, e in hall.sweep(at(11, 18))}  # within the promised limit
    assert DEEMED_APPROVAL_CODE not in early
    found = hall.sweep(at(11, 19))
    ours = [(c, e.action) for c, e in found if e.code == DEEMED_APPROVAL_CODE]
    assert ours == [(case_id, EscalationAction.DEEMED_APPROVAL)]
    case = hall.case(case_id)
    assert case.decision is not None and case.decision.deemed


# ---------------------------------------------------------------------- notify and pledge


def test_excluded_matters_lose_notify_and_pledge(module_default: None) -> None:
    """Public-safety matters: no pledge (篇十二 三(二)4, 告知承诺制)."""
    configure(no_pledge={"blast-01"})
    catalogue = assemble_catalogue(plugin_manager([Catalogue(), shizhu_module]))
    assert catalogue.get("plan-01").pledge_allowed is True
    assert catalogue.get("blast-01").pledge_allowed is False
    hall = build_hall(shizhu_module)
    case_id = submit(hall, "blast-01", ("form",))
    with pytest.raises(CaseCommandError, match="allows no pledge"):
        hall.approve_on_pledge(case_id, dt.date(2026, 12, 1), actor="chief", at=at(11, 2))


def test_a_broken_pledge_refuses_later_related_applications() -> None:
    """The credit record refuses the applicant's later related applications."""
    plugin = ShizhuPlugin(related={"blast-01"})
    hall = build_hall(plugin)
    plugin.track_credit(hall)
    first = submit(hall)
    hall.approve_on_pledge(first, dt.date(2026, 11, 20), actor="chief", at=at(11, 2))
    hall.verify_pledge(first, False, actor="chief", at=at(11, 23))
    later = submit(hall, "blast-01", ("form",))
    with pytest.raises(CaseCommandError, match="broke a notify-and-pledge promise"):
        hall.accept(later, actor="clerk", at=at(11, 24))
    unrelated = submit(hall)
    assert hall.accept(unrelated, actor="clerk", at=at(11, 24)).state is CaseState.REVIEWING


# ---------------------------------------------------------------------- rejection reports


def test_rejections_are_reported_to_the_centre() -> None:
    """否定报备: not-accepted cases and denials are reported; approvals are not."""
    reported: list[StoredEvent] = []
    pm = plugin_manager([ShizhuPlugin(report=reported.append)])
    sinks = [s for batch in pm.hook.hallflow_event_sinks() for s in batch]
    assert [s.name for s in sinks] == ["shizhu-rejection-reports"]
    sink = RejectionReports(reported.append)
    events: list[tuple[str, dict[str, object]]] = [
        ("not_accepted", {"reason": "outside remit"}),
        ("decided", {"approved": True}),
        ("decided", {"approved": False}),
        ("accepted", {}),
    ]
    for seq, (kind, payload) in enumerate(events, 2):
        sink.deliver(StoredEvent("c1", seq, kind, "chief", at(11, 2), payload, at(11, 2)))
    assert [(e.kind, e.seq) for e in reported] == [("not_accepted", 2), ("decided", 4)]


# ---------------------------------------------------------------------- conformance


def test_module_conforms_to_the_hook_contracts() -> None:
    """Hallflow's conformance kit passes for the entry-point module."""
    from hallflow.testing import assert_conforms

    assert_conforms(shizhu_module, examples=20)


def test_configured_plugin_conforms_to_the_hook_contracts() -> None:
    """And for a configured instance with a credit record that always finds a broken pledge."""
    from hallflow.testing import assert_conforms

    plugin = ShizhuPlugin(no_pledge={"blast-01"}, credit_record=lambda a: ["c-0"], report=print)
    assert_conforms(plugin, examples=20)
