"""hallflow-xiangyang: kinds, windows, seals and the order to correct."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import hallflow_xiangyang
import pytest
from hallflow_xiangyang import plugin
from hallflow_xiangyang.plugin import comprehensive_window, correction, green_window
from hypothesis import given, settings
from hypothesis import strategies as st

from hallflow import hookimpl
from hallflow.calendar import china
from hallflow.cases.hall import Hall, HallSettings
from hallflow.errors import CaseCommandError
from hallflow.model import (
    ESCALATED,
    IMMEDIATE,
    JOINT,
    PROMISED,
    URGENT,
    Authority,
    Material,
    Matter,
    NaturalPerson,
    Organisation,
    Power,
    Role,
    Staff,
    WindowKind,
)
from hallflow.plugins import (
    EscalationAction,
    assemble_catalogue,
    assemble_hall,
    limit_policy,
    plugin_manager,
)
from hallflow.seals import SealKind, SealRegistry, SoftwareSealProvider
from hallflow.store import MemoryStore
from hallflow.testing import assert_conforms
from hallflow.timeline import Clock, Limit, PauseReason

SH = ZoneInfo("Asia/Shanghai")
CAL = china()
DEPT = "Market Supervision Bureau"


def at(m: int, d: int, hh: int = 10, mm: int = 0, y: int = 2026) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


LICENCE = Matter(
    "xy-test-01",
    "A test licence (the seed lists no matters)",
    DEPT,
    PROMISED,
    legal_basis=("Administrative Licensing Law, Art. 42",),
    conditions=("none",),
    materials=(Material("form", "Application form", original=True, copies=0),),
    legal_limit=Limit.working_days(20),
    promised_limit=Limit.working_days(5),
)


class _Matters:
    """A matter for the hall tests: Xiangyang's measures list none."""

    @hookimpl
    def hallflow_matters(self) -> tuple[Matter, ...]:
        return (LICENCE,)


def _authority(holder: str, powers: set[Power], doc: str) -> Authority:
    return Authority(
        holder,
        frozenset(powers),
        None,
        None,
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2027, 12, 31),
        issued_by="Xiangyang administrative approval bureau",
        document=doc,
    )


ORG = Organisation(
    windows=(comprehensive_window("zh1"), green_window("gr1")),
    staff=(
        Staff("clerk", "Wang", DEPT, {Role.CLERK}),
        Staff("chief", "Zhang", DEPT, {Role.CHIEF_REPRESENTATIVE}),
        Staff("head", "Li", DEPT, {Role.WINDOW_HEAD}),
    ),
    authorities=(
        _authority("clerk", {Power.ACCEPT}, "X-1"),
        _authority("chief", set(Power), "X-2"),
        _authority("head", {Power.REVIEW, Power.DECIDE, Power.SEAL}, "X-3"),
    ),
)
APPLICANT = NaturalPerson("Zhang San", "11010519491231002X")


def build_hall(*, holder: str = "chief", locality: bool = True) -> Hall:
    plugins: list[object] = [_Matters()]
    if locality:
        plugins.append(plugin)
    provider = SoftwareSealProvider()
    provider.generate_key("approval-key")
    seals = SealRegistry().activate(
        "S-1",
        SealKind.APPROVAL,
        owner=DEPT,
        holder=holder,
        key_id="approval-key",
        at=at(1, 5),
        by="admin",
    )
    counter = itertools.count(1)
    return assemble_hall(
        plugin_manager(plugins),
        organisation=ORG,
        store=MemoryStore(),
        seals=seals,
        seal_provider=provider,
        settings=HallSettings(new_id=lambda: f"case-{next(counter):04d}"),
    )


def accepted_case(hall: Hall) -> str:
    case_id = hall.submit(
        LICENCE.code, APPLICANT, "zh1", materials=["form"], actor="clerk", at=at(11, 2)
    ).case_id
    hall.accept(case_id, actor="clerk", at=at(11, 2, 11))
    return case_id


def decided_case(hall: Hall) -> str:
    case_id = accepted_case(hall)
    hall.sign(case_id, "review", actor="chief", at=at(11, 3))
    hall.sign(case_id, "approve", actor="chief", at=at(11, 3))
    hall.decide(case_id, True, actor="chief", at=at(11, 4))
    return case_id


def test_package_exposes_the_plugin_and_its_version() -> None:
    assert hallflow_xiangyang.plugin is plugin
    assert hallflow_xiangyang.__version__ == "0.1.0"


def test_four_kinds() -> None:
    kinds = tuple(plugin.hallflow_case_kinds())
    assert kinds == (IMMEDIATE, PROMISED, JOINT, URGENT)
    assert ESCALATED not in kinds


def test_no_matters_no_limit_policy_no_hours() -> None:
    pm = plugin_manager([plugin])
    assert len(assemble_catalogue(pm)) == 0
    assert limit_policy(pm) is None
    for hook in ("hallflow_matters", "hallflow_limit_policy", "hallflow_hall_hours"):
        assert not hasattr(plugin, hook)


def test_windows() -> None:
    front = comprehensive_window("zh1")
    assert front.kind is WindowKind.COMPREHENSIVE and front.department is None
    assert not front.matters  # serves every matter
    assert green_window("gr1").kind is WindowKind.GREEN


def test_a_case_is_accepted_at_the_comprehensive_window() -> None:
    hall = build_hall()
    case = hall.case(accepted_case(hall))
    assert case.window == "zh1"


def test_only_the_chief_representative_seals() -> None:
    hall = build_hall(holder="chief")
    assert hall.seal(decided_case(hall), "S-1", actor="chief", at=at(11, 4, 15)).sealed_at
    hall = build_hall(holder="head")
    with pytest.raises(CaseCommandError, match="chief_representative"):
        hall.seal(decided_case(hall), "S-1", actor="head", at=at(11, 4, 15))
    national = build_hall(holder="head", locality=False)
    assert national.seal(decided_case(national), "S-1", actor="head", at=at(11, 4, 15)).sealed_at
    for kind in SealKind:
        assert tuple(plugin.hallflow_seal_holder_roles(kind)) == (Role.CHIEF_REPRESENTATIVE,)


def test_order_to_correct_once_the_promised_limit_passes() -> None:
    hall = build_hall()
    case_id = accepted_case(hall)
    # promised 5 working days from Mon 2 Nov 2026: due Mon 9 Nov, 17:30
    assert hall.clocks(hall.case(case_id))["promised"].status(at(11, 3)).due == at(11, 9, 17, 30)

    def ours(when: dt.datetime) -> list[str]:
        return [e.code for _, e in hall.sweep(when) if e.code.startswith("xiangyang-")]

    assert ours(at(11, 9, 17, 30)) == []  # at the limit, not past it
    assert ours(at(11, 9, 17, 31)) == ["xiangyang-correction"]
    assert ours(at(12, 30)) == []  # recorded once
    escalated = [e.payload for e in hall.case(case_id).history if e.kind == "escalated"]
    mine = [p for p in escalated if p["code"] == "xiangyang-correction"]
    assert len(mine) == 1 and mine[0]["clock"] == "promised"
    assert mine[0]["action"] == EscalationAction.WARNING.value


def test_no_order_for_closed_paused_or_legal_clocks() -> None:
    clock = Clock.start("promised", Limit.working_days(5), CAL, at(11, 2, 11))
    late = at(12, 31)
    assert len(correction(clock.status(late))) == 1
    assert correction(clock.stop(at(11, 5)).status(late)) == ()
    assert correction(clock.pause(at(11, 5), PauseReason.CORRECTION).status(late)) == ()
    legal = tuple(plugin.hallflow_escalations(LICENCE, None, "legal", clock.status(late), late))  # type: ignore[arg-type]
    assert legal == ()


@settings(max_examples=150, deadline=None)
@given(
    limit=st.sampled_from(
        [
            Limit.working_days(5),
            Limit.calendar_days(7),
            Limit.working_hours(6),
            Limit.same_day(),
        ]
    ),
    start=st.integers(min_value=0, max_value=60 * 24 * 90),
    offset=st.integers(min_value=0, max_value=60 * 24 * 120),
    stop=st.one_of(st.none(), st.integers(min_value=1, max_value=60 * 24 * 60)),
)
def test_correction_never_raises(limit: Limit, start: int, offset: int, stop: int | None) -> None:
    begin = at(1, 5, 0) + dt.timedelta(minutes=start)
    clock = Clock.start("promised", limit, CAL, begin)
    if stop is not None:
        clock = clock.stop(begin + dt.timedelta(minutes=stop))
    when = max(begin + dt.timedelta(minutes=offset), clock.events[-1].at)
    status = clock.status(when)
    found = correction(status)
    assert len(found) == (1 if when > status.due and stop is None else 0)


def test_conforms_to_the_hallflow_plugin_kit() -> None:
    report = assert_conforms(plugin)
    assert report.ok
