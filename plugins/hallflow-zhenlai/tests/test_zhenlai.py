"""hallflow-zhenlai: the catalogue, the kinds, the limit policy, the ladder and the seals."""

from __future__ import annotations

import datetime as dt
import itertools
from fractions import Fraction
from zoneinfo import ZoneInfo

import attrs
import hallflow_zhenlai
import pytest
from hallflow_zhenlai import plugin
from hallflow_zhenlai.plugin import RETURNED, TO_COMPLETE, ladder
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
    Authority,
    Matter,
    NaturalPerson,
    Organisation,
    Power,
    Role,
    SilencePolicy,
    Staff,
    Window,
    WindowKind,
    check_compression,
)
from hallflow.plugins import (
    EscalationAction,
    assemble_catalogue,
    assemble_hall,
    case_kinds,
    limit_policy,
    plugin_manager,
)
from hallflow.seals import SealKind, SealRegistry, SoftwareSealProvider
from hallflow.store import MemoryStore
from hallflow.testing import assert_conforms
from hallflow.timeline import Clock, ClockStatus, Limit, PauseReason

SH = ZoneInfo("Asia/Shanghai")
CAL = china()
MATTER = "zl-con-22"
DEPT = "Construction Bureau (建设局)"
LADDER = ["zhenlai-notice", "zhenlai-reminder", "zhenlai-warning", "zhenlai-referral"]


def at(m: int, d: int, hh: int = 10, mm: int = 0, y: int = 2026) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


def _authority(holder: str, powers: set[Power], doc: str) -> Authority:
    return Authority(
        holder,
        frozenset(powers),
        None,
        None,
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2027, 12, 31),
        issued_by="Director of the centre",
        document=doc,
    )


ORG = Organisation(
    windows=(Window("con", "Construction window", WindowKind.DEPARTMENT, DEPT),),
    staff=(
        Staff("clerk", "Wang", DEPT, {Role.CLERK}),
        Staff("chief", "Zhang", DEPT, {Role.CHIEF_REPRESENTATIVE}),
        Staff("head", "Li", DEPT, {Role.WINDOW_HEAD}),
    ),
    authorities=(
        _authority("clerk", {Power.ACCEPT}, "Z-1"),
        _authority(
            "chief",
            {Power.ACCEPT, Power.REVIEW, Power.DECIDE, Power.SEAL, Power.COORDINATE},
            "Z-2",
        ),
        _authority("head", {Power.REVIEW, Power.DECIDE, Power.SEAL}, "Z-3"),
    ),
)
APPLICANT = NaturalPerson("Zhang San", "11010519491231002X")


def build_hall(*, locality: bool = True, holder: str = "chief") -> Hall:
    pm = plugin_manager([plugin] if locality else [_OnlyMatters()])
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
        pm,
        organisation=ORG,
        store=MemoryStore(),
        seals=seals,
        seal_provider=provider,
        settings=HallSettings(new_id=lambda: f"case-{next(counter):04d}"),
    )


class _OnlyMatters:
    """Zhenlai's matters without its rules (to compare with the national defaults)."""

    @hookimpl
    def hallflow_matters(self) -> tuple[Matter, ...]:
        return plugin.matters()


def accepted_case(hall: Hall) -> str:
    case_id = hall.submit(
        MATTER, APPLICANT, "con", materials=["form"], actor="clerk", at=at(11, 2)
    ).case_id
    hall.accept(case_id, actor="clerk", at=at(11, 2, 11))
    return case_id


# ---------------------------------------------------------------------- package


def test_package_exposes_the_plugin_and_its_version() -> None:
    assert hallflow_zhenlai.plugin is plugin
    assert hallflow_zhenlai.__version__ == "0.1.0"


def test_entry_points_stay_off() -> None:
    pm = plugin_manager([plugin])
    names = [name for name, _ in pm.list_name_plugin()]
    assert len(names) == 2  # the national defaults and this module, nothing installed


# ---------------------------------------------------------------------- kinds and policy


def test_kinds_are_the_five_kind_system_plus_escalated() -> None:
    kinds = tuple(plugin.hallflow_case_kinds())
    assert {k.code for k in kinds} == {
        "immediate",
        "promised",
        "joint",
        "returned",
        "to_complete",
        "escalated",
    }
    assert {IMMEDIATE, PROMISED, JOINT, RETURNED, TO_COMPLETE, ESCALATED} <= case_kinds(
        plugin_manager([plugin])
    )


def test_green_channel_halves_the_promised_limit() -> None:
    policy = limit_policy(plugin_manager([plugin]))
    assert policy is not None
    assert policy.green_channel == Fraction(1, 2)
    assert policy.min_reduction == 0
    assert "篇三" in policy.source


# ---------------------------------------------------------------------- catalogue


def test_catalogue_assembles_with_every_department() -> None:
    catalogue = assemble_catalogue(plugin_manager([plugin]))
    assert len(catalogue) == 25
    assert len(catalogue.departments()) == 13
    assert MATTER in catalogue
    permit = catalogue.get(MATTER)
    assert "建筑工程施工许可证" in permit.name
    assert permit.department == DEPT
    assert [m.code for m in permit.materials] == ["form"]
    assert permit.seal_required


def test_every_matter_passes_zhenlai_compression() -> None:
    pm = plugin_manager([plugin])
    policy = limit_policy(pm)
    assert policy is not None
    for matter in assemble_catalogue(pm):
        check_compression(matter, policy.min_reduction)
        assert matter.promised_limit.amount <= matter.legal_limit.amount
        assert matter.kind in set(plugin.hallflow_case_kinds())


def test_preliminary_reviews_are_escalated() -> None:
    catalogue = assemble_catalogue(plugin_manager([plugin]))
    escalated = {m.code for m in catalogue if m.kind == ESCALATED}
    assert escalated == {"zl-com-24", "zl-hea-03", "zl-eco-01", "zl-eco-02"}
    for code in escalated:
        name = catalogue.get(code).name
        assert "初审" in name or "初评" in name


# ---------------------------------------------------------------------- the ladder


def test_ladder_fires_in_order_on_a_real_hall() -> None:
    hall = build_hall()
    case_id = accepted_case(hall)
    # promised 20 working days from Mon 2 Nov 2026: due Mon 30 Nov, 17:30
    status = hall.clocks(hall.case(case_id))["promised"].status(at(11, 3))
    assert status.due == at(11, 30, 17, 30)

    def swept(when: dt.datetime) -> list[str]:
        return [e.code for _, e in hall.sweep(when) if e.code.startswith("zhenlai-")]

    assert swept(at(11, 25)) == []  # 4 working days left
    assert swept(at(11, 26)) == ["zhenlai-notice"]  # 3 left after Wed 25 closes
    assert swept(at(11, 30, 12)) == []
    assert swept(at(11, 30, 17, 30)) == ["zhenlai-reminder"]  # at the limit
    assert swept(at(12, 3)) == []  # 2 working days past
    assert swept(at(12, 4)) == ["zhenlai-warning"]  # 3 past after Thu 3 Dec closes
    assert swept(at(12, 10, 12)) == []
    assert swept(at(12, 11)) == ["zhenlai-referral"]  # 5 more working days
    assert swept(at(12, 20)) == []  # each rung once
    history = [e.payload for e in hall.case(case_id).history if e.kind == "escalated"]
    ours = [p for p in history if str(p["code"]).startswith("zhenlai-")]
    assert [p["code"] for p in ours] == LADDER
    assert {p["clock"] for p in ours} == {"promised"}
    assert [p["action"] for p in ours] == ["reminder", "reminder", "warning", "referral"]


def test_a_late_sweep_records_the_whole_ladder_in_order() -> None:
    hall = build_hall()
    accepted_case(hall)
    codes = [e.code for _, e in hall.sweep(at(12, 31)) if e.code.startswith("zhenlai-")]
    assert codes == LADDER


def test_ladder_skips_holidays_and_make_up_days() -> None:
    # accepted Mon 28 Sep 2026: the National Day holiday does not count
    clock = Clock.start("promised", Limit.working_days(20), CAL, at(9, 28, 11))
    due = clock.status(at(9, 29)).due
    assert [e.code for e in ladder(clock.status(due))] == LADDER[:2]
    before = CAL.add_working_days(due.date(), -3)
    just_before = dt.datetime.combine(before, dt.time(16), tzinfo=SH)
    assert ladder(clock.status(just_before)) == ()
    notice_day = CAL.add_working_days(before, 1)
    assert [e.code for e in ladder(clock.status(at(notice_day.month, notice_day.day)))] == [
        "zhenlai-notice"
    ]


def test_ladder_ignores_the_legal_clock_and_closed_or_paused_clocks() -> None:
    clock = Clock.start("promised", Limit.working_days(5), CAL, at(11, 2, 11))
    late = at(12, 31)
    status = clock.status(late)
    assert len(ladder(status)) == 4
    assert plugin.LADDER.reached(attrs.evolve(status, name="legal")) == ()
    assert tuple(plugin.hallflow_escalation_ladders(None)) == (plugin.LADDER,)  # type: ignore[arg-type]
    stopped = clock.stop(at(11, 20))
    assert ladder(stopped.status(late)) == ()
    paused = clock.pause(at(11, 5), PauseReason.EXPERT_REVIEW)
    assert ladder(paused.status(late)) == ()


@pytest.mark.parametrize(
    "limit",
    [
        Limit.working_days(1),
        Limit.working_days(20),
        Limit.calendar_days(10),
        Limit.working_hours(4),
        Limit.same_day(),
    ],
)
def test_ladder_is_monotone_and_total_for_every_unit(limit: Limit) -> None:
    clock = Clock.start("promised", limit, CAL, at(11, 2, 11))
    seen = 0
    when = at(11, 2, 11)
    while when < at(12, 31):
        reached = [e.code for e in ladder(clock.status(when))]
        assert reached == LADDER[: len(reached)]  # a prefix of the ladder, in order
        assert len(reached) >= seen  # never goes back
        seen = len(reached)
        when += dt.timedelta(hours=5)
    assert seen == 4
    assert [e.action for e in ladder(clock.status(when))] == [
        EscalationAction.REMINDER,
        EscalationAction.REMINDER,
        EscalationAction.WARNING,
        EscalationAction.REFERRAL,
    ]


_UNITS = st.sampled_from(
    [
        Limit.working_days(3),
        Limit.working_days(20),
        Limit.calendar_days(7),
        Limit.working_hours(6),
        Limit.same_day(),
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    limit=_UNITS,
    start=st.integers(min_value=0, max_value=60 * 24 * 90),
    offset=st.integers(min_value=0, max_value=60 * 24 * 120),
    pause=st.one_of(st.none(), st.integers(min_value=1, max_value=60 * 24 * 30)),
    stop=st.one_of(st.none(), st.integers(min_value=1, max_value=60 * 24 * 60)),
)
def test_ladder_never_raises(
    limit: Limit, start: int, offset: int, pause: int | None, stop: int | None
) -> None:
    begin = at(1, 5, 0) + dt.timedelta(minutes=start)
    clock = Clock.start("promised", limit, CAL, begin)
    if pause is not None:
        clock = clock.pause(begin + dt.timedelta(minutes=pause), PauseReason.CORRECTION)
    elif stop is not None:
        clock = clock.stop(begin + dt.timedelta(minutes=stop))
    when = max(begin + dt.timedelta(minutes=offset), clock.events[-1].at)
    status: ClockStatus = clock.status(when)
    reached = ladder(status)
    assert [e.code for e in reached] == LADDER[: len(reached)]


# ---------------------------------------------------------------------- seals and joint


def decided_case(hall: Hall) -> str:
    case_id = accepted_case(hall)
    hall.sign(case_id, "review", actor="chief", at=at(11, 3))
    hall.sign(case_id, "approve", actor="chief", at=at(11, 3))
    hall.decide(case_id, True, actor="chief", at=at(11, 4))
    return case_id


def test_only_the_chief_representative_seals() -> None:
    hall = build_hall(holder="chief")
    sealed = hall.seal(decided_case(hall), "S-1", actor="chief", at=at(11, 4, 15))
    assert sealed.sealed_at == at(11, 4, 15)
    # a window head holding the seal is refused in Zhenlai...
    hall = build_hall(holder="head")
    with pytest.raises(CaseCommandError, match="chief_representative"):
        hall.seal(decided_case(hall), "S-1", actor="head", at=at(11, 4, 15))
    # ...but not under the national defaults alone
    national = build_hall(locality=False, holder="head")
    assert national.seal(decided_case(national), "S-1", actor="head", at=at(11, 4, 15)).sealed_at


def test_seal_holders_for_every_kind() -> None:
    for kind in SealKind:
        assert tuple(plugin.hallflow_seal_holder_roles(kind)) == (Role.CHIEF_REPRESENTATIVE,)


def test_silence_is_consent_and_ranges_take_the_lower_bound() -> None:
    pm = plugin_manager([plugin])
    matter = assemble_catalogue(pm).get(MATTER)
    assert pm.hook.hallflow_silence_policy(matter=matter) is SilencePolicy.CONSENT
    assert pm.hook.hallflow_fee_range_rule() == "lower"


# ---------------------------------------------------------------------- conformance


def test_conforms_to_the_hallflow_plugin_kit() -> None:
    report = assert_conforms(plugin)
    assert report.ok
