"""A small but real hall for the case tests: two matters, five staff, one approval seal."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hallflow.calendar import WorkCalendar, china
from hallflow.cases.hall import Hall, HallSettings
from hallflow.model import (
    JOINT,
    PROMISED,
    PROXY_VARIANT,
    ABPost,
    Authority,
    Catalogue,
    CoDepartment,
    GapPolicy,
    JointHandling,
    Leave,
    Material,
    Matter,
    NaturalPerson,
    Organisation,
    Power,
    Procedure,
    Role,
    Staff,
    Step,
    StepKind,
    Window,
    WindowKind,
    proxy_materials,
)
from hallflow.plugins import hookimpl, plugin_manager
from hallflow.seals import SealKind, SealRegistry, SoftwareSealProvider
from hallflow.store import MemoryStore
from hallflow.store.base import EventStore
from hallflow.timeline import Limit, PauseReason

SH = ZoneInfo("Asia/Shanghai")
CAL = china()
DEPT = "Planning Bureau"

LICENCE = Matter(
    "plan-01",
    "Construction project planning permit",
    DEPT,
    PROMISED,
    legal_basis=("Urban and Rural Planning Law, Art. 40",),
    conditions=("Land-use rights obtained",),
    materials=(
        Material("form", "Application form", original=True),
        Material("site", "Site plan", deferrable=True),
        *proxy_materials(),
    ),
    legal_limit=Limit.working_days(20),
    promised_limit=Limit.working_days(12),
    procedure=Procedure(
        (
            Step("review", "Review", power=Power.REVIEW),
            Step("council", "Countersign", kind=StepKind.PARALLEL_COUNTERSIGN, power=Power.REVIEW),
            Step("approve", "Approve", power=Power.DECIDE),
        )
    ),
    excludable=frozenset({PauseReason.EXPERT_REVIEW, PauseReason.HEARING}),
    pledge_allowed=True,
    gaps=GapPolicy(("site",), Limit.working_days(5)),
    variants=(PROXY_VARIANT,),
)

JOINT_PERMIT = Matter(
    "plan-joint",
    "Joint construction approval",
    DEPT,
    JOINT,
    legal_basis=("Administrative Licensing Law, Art. 26",),
    conditions=("Project registered",),
    materials=(Material("form", "Application form", original=True),),
    legal_limit=Limit.working_days(45),
    promised_limit=Limit.working_days(20),
    procedure=Procedure.review_and_approve(),
    joint=JointHandling(
        DEPT,
        (
            CoDepartment("Fire Brigade", Limit.working_days(5)),
            CoDepartment("Land Bureau", Limit.working_days(4), after=("Fire Brigade",)),
        ),
    ),
)

CATALOGUE = Catalogue((LICENCE, JOINT_PERMIT))


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
    windows=(
        Window("c1", "Comprehensive window 1", WindowKind.COMPREHENSIVE),
        Window("pl", "Planning window", WindowKind.DEPARTMENT, DEPT),
        Window("hf", "Housing fund window", WindowKind.DEPARTMENT, "Housing Fund Centre"),
    ),
    staff=(
        Staff("clerk", "Wang", DEPT, {Role.CLERK}),
        Staff("rev1", "Zhao", DEPT, {Role.REVIEWER}),
        Staff("rev2", "Qian", DEPT, {Role.REVIEWER}),
        Staff("chief", "Zhang", DEPT, {Role.CHIEF_REPRESENTATIVE}),
        Staff("deputy", "Li", DEPT, {Role.WINDOW_HEAD}),
        Staff("fire", "Sun", "Fire Brigade", {Role.REVIEWER}),
        Staff("land", "Zhou", "Land Bureau", {Role.REVIEWER}),
    ),
    authorities=(
        _authority("clerk", {Power.ACCEPT}, "A-1"),
        _authority("rev1", {Power.REVIEW}, "A-2"),
        _authority("rev2", {Power.REVIEW}, "A-3"),
        _authority("fire", {Power.REVIEW}, "F-1"),
        _authority("land", {Power.REVIEW}, "L-1"),
        _authority(
            "chief",
            {Power.ACCEPT, Power.REVIEW, Power.DECIDE, Power.SEAL, Power.COORDINATE},
            "A-4",
        ),
    ),
    leaves=(Leave("chief", dt.date(2026, 11, 16), dt.date(2026, 11, 20)),),
    posts=(ABPost("chief", "deputy"),),
)

APPLICANT = NaturalPerson("Zhang San", "11010519491231002X")


def at(m: int, d: int, hh: int = 10, mm: int = 0, y: int = 2026) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


NOW = at(12, 31, 18, y=2027)
"""The fixture hall's clock: every instant the case tests use lies before it."""


class DeemedApproval:
    """A test locality with deemed approval (as Shizhu has) once the core conditions hold."""

    @hookimpl
    def hallflow_deemed_approval(
        self, matter: object, case: object, status: object, at: object
    ) -> bool:
        return True


SEAL_KEY_PEM = Ed25519PrivateKey.from_private_bytes(bytes(range(32))).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
"""The approval seal's key: fixed, so that a hall built again on a store verifies its seals
(tests/data/legacy was sealed with it too)."""


def build_hall(
    store: EventStore | None = None,
    *,
    organisation: Organisation = ORG,
    calendar: WorkCalendar = CAL,
    plugins: Sequence[object] = (),
) -> Hall:
    """The fixture hall on ``store`` (a new memory store by default), with extra plugins."""
    provider = SoftwareSealProvider()
    provider.add_key_pem("plan-2026", SEAL_KEY_PEM)
    seals = SealRegistry().activate(
        "S-PLAN-1",
        SealKind.APPROVAL,
        owner=DEPT,
        holder="chief",
        key_id="plan-2026",
        at=at(1, 5),
        by="admin",
    )
    counter = itertools.count(1)
    return Hall(
        catalogue=CATALOGUE,
        organisation=organisation,
        calendar=calendar,
        store=store or MemoryStore(),
        seals=seals,
        seal_provider=provider,
        settings=HallSettings(new_id=lambda: f"case-{next(counter):04d}", now=lambda: NOW),
        plugins=plugin_manager([DeemedApproval(), *plugins]),
    )
