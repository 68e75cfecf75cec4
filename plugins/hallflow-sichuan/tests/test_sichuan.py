"""Sichuan 2008 (seed 000, 篇九) through hallflow's hooks and a small real hall.

November 2026 has no public holidays. The hall has one department, the Planning Bureau,
whose chief representative may decide cases but is not the agency head; its director is.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from collections.abc import Iterable, Iterator
from fractions import Fraction
from zoneinfo import ZoneInfo

import hallflow_sichuan.plugin as sichuan_module
import pytest
from hallflow_sichuan import ExtensionCopies, SichuanPlugin, configure

from hallflow import hookimpl
from hallflow.calendar import china
from hallflow.cases.hall import Hall, HallSettings
from hallflow.errors import CaseCommandError, CompressionError
from hallflow.model import (
    PROMISED,
    Authority,
    Material,
    Matter,
    NaturalPerson,
    Organisation,
    Power,
    Role,
    SilencePolicy,
    Staff,
    Window,
    WindowKind,
)
from hallflow.plugins import (
    EscalationAction,
    LimitPolicy,
    assemble_catalogue,
    assemble_hall,
    limit_policy,
    plugin_manager,
)
from hallflow.seals import SealRegistry
from hallflow.store import MemoryStore
from hallflow.store.base import StoredEvent
from hallflow.timeline import ClockPolicy, Limit

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
    materials=(Material("form", "Application form", original=True),),
    legal_limit=Limit.working_days(20),
    promised_limit=Limit.working_days(14),  # exactly 30% shorter
)


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
        Staff("director", "Liu", DEPT, {Role.APPROVER}),
    ),
    authorities=(
        _authority("clerk", {Power.ACCEPT}),
        _authority("chief", {Power.ACCEPT, Power.REVIEW, Power.DECIDE}),
        _authority("director", {Power.DECIDE}),
    ),
)


class Catalogue:
    """A test plugin contributing matters."""

    def __init__(self, *matters: Matter) -> None:
        self.matters = matters

    @hookimpl
    def hallflow_matters(self) -> Iterable[Matter]:
        """The matters."""
        return self.matters


def build_hall(plugin: object, *, late: bool = False) -> Hall:
    """A hall with the permit, the given Sichuan plugin, and optionally late extensions."""
    pm = plugin_manager([Catalogue(PERMIT), plugin])
    policy = ClockPolicy(allow_late_extension=late)
    return assemble_hall(
        pm,
        organisation=ORG,
        store=MemoryStore(),
        seals=SealRegistry(),
        # the hall's clock after every instant these tests use (some lie in December 2026)
        settings=HallSettings(
            clock_policy=policy, now=lambda: dt.datetime(2027, 12, 31, tzinfo=dt.UTC)
        ),
    )


def accepted(hall: Hall, when: dt.datetime | None = None) -> str:
    """Submit and accept a complete application (on 2 November by default); the case id."""
    when = when or at(11, 2)
    case = hall.submit("plan-01", PERSON, "pl", materials=["form"], actor="clerk", at=when)
    hall.accept(case.case_id, actor="clerk", at=when)
    return case.case_id


@pytest.fixture
def module_default() -> Iterator[None]:
    """Restore the module's default instance after a test configures it."""
    saved = sichuan_module.default
    yield
    sichuan_module.default = saved


# ---------------------------------------------------------------------- policy values


def test_entry_point_names_the_module() -> None:
    """The package advertises ``hallflow_sichuan.plugin`` under the ``hallflow`` group."""
    eps = importlib.metadata.entry_points(group="hallflow")
    assert {ep.name: ep.value for ep in eps}["sichuan"] == "hallflow_sichuan.plugin"


def test_policy_values_through_the_module() -> None:
    """30% compression and consent by silence (篇九 二; 篇二 三)."""
    pm = plugin_manager([sichuan_module])
    policy = limit_policy(pm)
    assert policy == LimitPolicy("3/10", source=policy.source if policy else "")
    assert policy is not None and policy.min_reduction == Fraction(3, 10)
    assert "篇九" in policy.source
    assert pm.hook.hallflow_silence_policy(matter=PERMIT) is SilencePolicy.CONSENT


def test_silence_can_be_left_to_the_matter() -> None:
    """``silence=None`` lets the matter's own setting hold."""
    pm = plugin_manager([SichuanPlugin(silence=None)])
    assert pm.hook.hallflow_silence_policy(matter=PERMIT) is None


def test_compression_refuses_a_long_promise() -> None:
    """A promised limit of 15 of 20 working days is only 25% shorter: refused."""
    slow = Matter(
        "plan-02",
        "Slow permit",
        DEPT,
        PROMISED,
        legal_basis=("Some law",),
        conditions=(),
        materials=(Material("form", "Application form"),),
        legal_limit=Limit.working_days(20),
        promised_limit=Limit.working_days(15),
    )
    assert len(assemble_catalogue(plugin_manager([Catalogue(PERMIT), sichuan_module]))) == 1
    with pytest.raises(CompressionError):
        assemble_catalogue(plugin_manager([Catalogue(slow), sichuan_module]))


# ---------------------------------------------------------------------- extensions


def test_extension_by_the_agency_head_before_expiry_is_recorded() -> None:
    """The director (agency head) extends before the promise expires."""
    hall = build_hall(SichuanPlugin(agency_heads={DEPT: {"director"}}, calendar=CAL))
    case_id = accepted(hall)
    case = hall.extend(
        case_id, Limit.working_days(5), actor="director", at=at(11, 10), reason="expert opinion"
    )
    assert [e.approved_by for _, e in case.extensions] == ["director"]


def test_extension_by_someone_other_than_the_head_is_refused() -> None:
    """The chief representative may decide cases, but not approve an extension."""
    hall = build_hall(SichuanPlugin(agency_heads={DEPT: {"director"}}))
    case_id = accepted(hall)
    before = hall.case(case_id).version
    with pytest.raises(CaseCommandError, match="not the agency head of Planning Bureau"):
        hall.extend(
            case_id, Limit.working_days(5), actor="chief", at=at(11, 10), reason="expert opinion"
        )
    assert hall.case(case_id).version == before  # a refusal records nothing


def test_unconfigured_default_refuses_every_extension(module_default: None) -> None:
    """Fail closed: no head registered, no extension."""
    configure()
    hall = build_hall(sichuan_module)
    case_id = accepted(hall)
    with pytest.raises(CaseCommandError, match="none registered"):
        hall.extend(case_id, Limit.working_days(5), actor="director", at=at(11, 10), reason="x")


def test_configured_module_allows_the_head(module_default: None) -> None:
    """``configure`` sets the heads the entry-point module answers with."""
    configure(agency_heads={DEPT: ["director"]})
    hall = build_hall(sichuan_module)
    case_id = accepted(hall)
    case = hall.extend(case_id, Limit.working_days(5), actor="director", at=at(11, 10), reason="x")
    assert len(case.extensions) == 1


def test_extension_after_the_promised_limit_expired_is_refused() -> None:
    """Even where the hall's clock policy accepts late extensions, Sichuan does not."""
    plugin = SichuanPlugin(agency_heads={DEPT: {"director"}}, calendar=CAL)
    hall = build_hall(plugin, late=True)
    case_id = accepted(hall)
    clocks = hall.clocks(hall.case(case_id))
    promised_due = clocks["promised"].due(at(11, 2))
    legal_due = clocks["legal"].due(at(11, 2))
    late = promised_due + dt.timedelta(days=2)
    assert late < legal_due
    with pytest.raises(CaseCommandError, match="promised limit expired"):
        hall.extend(
            case_id, Limit.working_days(3), clock="promised", actor="director", at=late, reason="x"
        )
    # the legal clock still runs, but the promise it backs has expired (calendar given)
    with pytest.raises(CaseCommandError, match="promised limit expired"):
        hall.extend(case_id, Limit.working_days(3), actor="director", at=late, reason="x")


def test_extension_after_expiry_is_refused_by_default_too() -> None:
    """With the core's default clock policy the core refuses first."""
    hall = build_hall(SichuanPlugin(agency_heads={DEPT: {"director"}}))
    case_id = accepted(hall)
    with pytest.raises(CaseCommandError, match="expired"):
        hall.extend(case_id, Limit.working_days(3), actor="director", at=at(12, 10), reason="x")


def test_only_matters_whose_law_allows_it_are_extended() -> None:
    """``extendable`` lists the matters whose law provides an extension."""
    hall = build_hall(SichuanPlugin(agency_heads={DEPT: {"director"}}, extendable=()))
    case_id = accepted(hall)
    with pytest.raises(CaseCommandError, match="allows no extension"):
        hall.extend(case_id, Limit.working_days(3), actor="director", at=at(11, 10), reason="x")


def test_extensions_are_copied_to_the_centre_and_supervision() -> None:
    """The sink forwards ``extended`` events only."""
    sent: list[StoredEvent] = []
    plugin = SichuanPlugin(copies=sent.append)
    sinks = [s for batch in plugin_manager([plugin]).hook.hallflow_event_sinks() for s in batch]
    assert [s.name for s in sinks] == ["sichuan-extension-copies"]
    assert plugin_manager([SichuanPlugin()]).hook.hallflow_event_sinks() == [()]
    sink = ExtensionCopies(sent.append)
    for kind in ("accepted", "extended"):
        sink.deliver(StoredEvent("c1", 2, kind, "director", at(11, 10), {}, at(11, 10)))
    assert [e.kind for e in sent] == ["extended"]


# ---------------------------------------------------------------------- repeated returns


def test_repeated_returns_are_referred_to_supervision() -> None:
    """Two earlier returns on the same matter: the next case is referred (篇九 二)."""
    plugin = SichuanPlugin(agency_heads={DEPT: {"director"}})
    hall = build_hall(plugin)
    plugin.track_returns(hall)
    first = hall.submit("plan-01", PERSON, "pl", materials=["form"], actor="clerk", at=at(11, 2))
    hall.not_accept(first.case_id, "no land-use rights", actor="clerk", at=at(11, 2, 11))
    case_id = accepted(hall, at(11, 3))
    assert hall.sweep(at(11, 4)) == []  # one return only
    second = hall.submit("plan-01", PERSON, "pl", materials=["form"], actor="clerk", at=at(11, 4))
    hall.not_accept(second.case_id, "still no land-use rights", actor="clerk", at=at(11, 4, 11))
    found = hall.sweep(at(11, 5))
    assert [(c, e.code, e.action) for c, e in found] == [
        (case_id, "sichuan-repeated-returns", EscalationAction.REFERRAL)
    ]
    assert hall.sweep(at(11, 6)) == []  # recorded once


# ---------------------------------------------------------------------- conformance


def test_module_conforms_to_the_hook_contracts() -> None:
    """Hallflow's conformance kit passes for the entry-point module."""
    from hallflow.testing import assert_conforms

    assert_conforms(sichuan_module, examples=20)


def test_configured_plugin_conforms_to_the_hook_contracts() -> None:
    """And for a configured instance counting returns."""
    from hallflow.testing import assert_conforms

    plugin = SichuanPlugin(
        agency_heads={DEPT: {"director"}}, calendar=CAL, prior_returns=lambda a, m: 2
    )
    assert_conforms(plugin, examples=20)
