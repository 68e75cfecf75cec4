"""``hallflow demo``: a simulated month in a county hall, on SQLite, ending in a report.

The demo builds a small but working hall — a county administrative approval bureau
(行政审批局) with one approval seal — and drives it through the working days of a period
(by default four and a half weeks across the 2026 Mid-Autumn and National Day holidays).
Applications arrive at the windows during hall hours; each follows a path drawn at random
from a fixed seed: accepted on the spot and closed the same day (immediate matters),
corrected first, reviewed and approved (or denied) within, at or after the promised limit,
withdrawn, or not accepted. A few paths are always there:

* a joint case whose second co-department never replies, so the silence policy deems its
  consent when the reply limit has passed;
* a case whose promised limit is extended, with reasons, before it expires;
* a case left lying in the department, overdue, which supervision escalates;
* the chief representative away for two working days, the B post acting for them.

Supervision's bulk sweep (:func:`hallflow.supervision.sweep.sweep`: the store's open
clocks evaluated with numpy, only the cases whose level rose folded) runs at every working
day's close.
The public has its say through :class:`hallflow.supervision.evaluation.Supervision`: most
applicants rate their closed case (a few service encounters are rated without one), bad
ratings are verified, rectified and followed up by a visit, and one complaint is received
and concluded. The report (:func:`hallflow.supervision.stats.summarise`, then
:func:`supervise`: ratings, complaints, the months' scores and ranking, the report by window
and its plots, the accountability records) is computed from the stored events alone
(DOMAIN.md §7): nothing in it is typed in. Every command goes through the
:class:`~hallflow.cases.hall.Hall`; a command the hall refuses (a locality's rule, say) is
counted and shown, never forced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import importlib.metadata
import math
import random
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

import attrs
import pluggy
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hallflow.cases.audit import AuditReport
from hallflow.cases.hall import APPLICANT, Hall, HallSettings
from hallflow.errors import HallflowError
from hallflow.model.catalogue import (
    IMMEDIATE,
    JOINT,
    PROMISED,
    CoDepartment,
    JointHandling,
    Material,
    Matter,
    Procedure,
    SilencePolicy,
)
from hallflow.model.identity import (
    Applicant,
    LegalPerson,
    NaturalPerson,
    check_digit_resident,
    check_digit_uscc,
)
from hallflow.model.org import (
    ABPost,
    Authority,
    Leave,
    Organisation,
    Power,
    Role,
    Staff,
    Window,
    WindowKind,
)
from hallflow.plugins.hookspecs import PROJECT, hookimpl
from hallflow.plugins.manager import assemble_hall, plugin_manager
from hallflow.plugins.policy import FeeRule
from hallflow.seals import SealKind, SealRegistry, SoftwareSealProvider
from hallflow.store.sqlite import SQLiteStore
from hallflow.supervision.accountability import AccountabilityRecord, records
from hallflow.supervision.complaints import Complaint
from hallflow.supervision.evaluation import Level, Rating, Supervision
from hallflow.supervision.report import render_table
from hallflow.supervision.scoring import (
    Assessment,
    Bonus,
    Category,
    Deduction,
    FactKind,
    Grade,
    ScoringScheme,
    Table,
    hall_assessment,
    scheme_of,
)
from hallflow.supervision.stats import Grouping, Period, Report, Summary, compute, summarise
from hallflow.supervision.sweep import sweep
from hallflow.timeline.clock import ClockState, ClockStatus, Outcome, closing_time
from hallflow.timeline.limits import Limit
from hallflow.timeline.words import overdue_words, working_days

__all__ = [
    "BUREAU",
    "CENTRE",
    "DEFAULT_DAYS",
    "DEFAULT_START",
    "DEMO_SCHEME",
    "MATTERS",
    "DemoError",
    "DemoHallPlugin",
    "DemoOptions",
    "DemoResult",
    "DemoSupervision",
    "Summary",
    "build_hall",
    "installed_localities",
    "run",
    "summarise",
    "supervise",
]

DEFAULT_START = dt.date(2026, 9, 21)
"""Monday 21 September 2026: the period then spans Mid-Autumn (25–27 September), National
Day (1–7 October) and the make-up working Saturday of 10 October."""

DEFAULT_DAYS = 31
"""Calendar days simulated by default."""

BUREAU = "County Administrative Approval Bureau (县行政审批局)"
"""The lead department: one bureau holding the approval powers and one approval seal."""

CENTRE = "County Government Service Centre (县政务服务中心)"
"""The hall itself: its supervision office belongs to no department that handles matters."""

FIRE = "Fire and Rescue Brigade (消防救援大队)"
LAND = "Natural Resources Bureau (自然资源局)"
SEAL_CODE = "S-APPROVAL-1"

IMMEDIATE_MATTER = "ind-biz"
FOOD_MATTER = "food-licence"
ESTATE_MATTER = "estate-transfer"
JOINT_MATTER = "project-joint"


class DemoError(HallflowError):
    """The demo cannot run as asked (an unknown locality, a database already in use)."""


# ---------------------------------------------------------------------- the catalogue

_FORM = Material("form", "Application form (申请表)", original=True, copies=0)
_ID = Material("id", "Identity card or business licence of the applicant", original=True)

MATTERS: tuple[Matter, ...] = (
    Matter(
        IMMEDIATE_MATTER,
        "Registration of an individual business (个体工商户登记)",
        BUREAU,
        IMMEDIATE,
        legal_basis=(
            "Regulations on Promoting the Development of Individual Industrial and "
            "Commercial Households; Regulations on the Registration of Market Entities, "
            "Art. 19 (registration on the spot when the materials are complete)",
        ),
        conditions=("A natural person able to work, trading under a business name.",),
        materials=(_FORM, _ID, Material("premises", "Proof of the business premises")),
        legal_limit=Limit.working_days(3),
        promised_limit=Limit.same_day(),
        procedure=Procedure.on_the_spot(),
        summary="Decided at the window while the applicant waits (即办件).",
    ),
    Matter(
        FOOD_MATTER,
        "Food business licence (食品经营许可)",
        BUREAU,
        PROMISED,
        legal_basis=("Food Safety Law of the PRC, Art. 35",),
        conditions=("Premises, equipment and food-safety staff fit for the business.",),
        materials=(
            _FORM,
            _ID,
            Material("premises", "Layout and proof of the business premises"),
            Material("rules", "Food-safety management rules"),
        ),
        legal_limit=Limit.working_days(20),
        promised_limit=Limit.working_days(7),
        summary="Reviewed and approved by the bureau within the promised limit (承诺件).",
    ),
    Matter(
        ESTATE_MATTER,
        "Transfer registration of a dwelling (房屋转移登记)",
        BUREAU,
        PROMISED,
        legal_basis=("Interim Regulations on Real Estate Registration, Arts. 14, 20",),
        conditions=("A valid sale, gift or inheritance of a registered dwelling.",),
        materials=(
            _FORM,
            _ID,
            Material("title", "Real estate title certificate", original=True),
            Material("contract", "Sale contract or other proof of the transfer"),
        ),
        legal_limit=Limit.working_days(30),
        promised_limit=Limit.working_days(5),
        fee_basis="发改价格规〔2016〕2559号 (NDRC and MoF notice on real estate registration fees)",
        fee_standard="80 yuan per registration of a dwelling",
        summary="Registered within five working days; a registration fee is charged.",
    ),
    Matter(
        JOINT_MATTER,
        "Joint approval of a small construction project (工程建设项目联合审批)",
        BUREAU,
        JOINT,
        legal_basis=("Administrative Licensing Law of the PRC, Arts. 26, 42",),
        conditions=("A registered project with its land-use rights settled.",),
        materials=(
            _FORM,
            _ID,
            Material("drawings", "Construction drawings"),
            Material("fire", "Fire-safety design documents"),
        ),
        legal_limit=Limit.working_days(45),
        promised_limit=Limit.working_days(20),
        joint=JointHandling(
            BUREAU,
            (
                CoDepartment(FIRE, Limit.working_days(5)),
                CoDepartment(LAND, Limit.working_days(5)),
            ),
            silence=SilencePolicy.CONSENT,
        ),
        summary=(
            "The bureau accepts and copies the fire brigade and the natural resources "
            "bureau, which give their opinions in parallel; silence past the reply limit "
            "counts as consent (缺席默认)."
        ),
    ),
)
"""The demo's catalogue: an immediate, two promised and one joint matter."""

_FEES: dict[str, tuple[FeeRule, ...]] = {
    ESTATE_MATTER: (
        FeeRule(
            "Real estate registration fee, dwelling (住宅类不动产登记费)",
            "发改价格规〔2016〕2559号, 一",
            "80 yuan per registration (per piece), certificate included",
            "80",
        ),
    ),
}


_DEMO_RULE = "hallflow demo: the embedded demo's own illustration, not a national rule"

_DEMO_TABLE = Table(
    base=100,
    bonus_cap=10,
    categories=(
        Category("conduct", "Conduct towards applicants", 40),
        Category("results", "Results", 40),
    ),
    deductions=(
        Deduction(FactKind.ATTITUDE, "conduct", 3, _DEMO_RULE),
        Deduction(FactKind.IMPROPER_DEMANDS, "conduct", 40, _DEMO_RULE),
        Deduction(FactKind.WRONGFUL_REJECTION, "conduct", 3, _DEMO_RULE),
        Deduction(FactKind.FEES, "conduct", 3, _DEMO_RULE),
        Deduction(FactKind.BAD_RATING, "results", 2, _DEMO_RULE),
        Deduction(FactKind.RECTIFICATION_LATE, "results", 2, _DEMO_RULE),
        Deduction(FactKind.OVERDUE_CASE, "results", 3, _DEMO_RULE),
        Deduction(FactKind.REVOKED_CASE, "results", 5, _DEMO_RULE),
        Deduction(FactKind.UPHELD_COMPLAINT, "results", 3, _DEMO_RULE),
    ),
    bonuses=(Bonus(FactKind.COMMENDATION, 1, _DEMO_RULE),),
)

DEMO_SCHEME = ScoringScheme(
    name="the demo's own scheme (an illustration, not a national rule)",
    source=_DEMO_RULE,
    window=_DEMO_TABLE,
    staff=_DEMO_TABLE,
    grades=(Grade(90, "excellent"), Grade(75, "good"), Grade(60, "pass"), Grade(0, "fail")),
    model_windows=1,
    window_flags=1,
    staff_flags=1,
)
"""The embedded demo's scoring scheme, supplied by :class:`DemoHallPlugin`.

No national rule scores windows or staff (the national defaults supply no scheme), so the
embedded demo brings its own to show a month's scores and ranking: windows and staff start
from 100 with up to 10 bonus points; conduct (40 points) loses 3 per upheld complaint of
attitude, fees or wrongful rejection and all 40 for improper demands; results (40 points)
lose 2 per bad rating verified as valid or late rectification, 3 per overdue case or
upheld complaint and 5 per revoked decision; a commendation adds 1. Grades: 90 excellent,
75 good, 60 pass, below that fail. The best window is the model window, the last window and
the last staff member are flagged. A locality plugin's own scheme (Zhenlai's 100 + 20)
replaces it: a plugin loaded later is asked first.
"""


class DemoHallPlugin:
    """The embedded demo locality's contribution: its matters, their fees, its scoring."""

    @hookimpl
    def hallflow_matters(self) -> Iterable[Matter]:
        """The demo catalogue (:data:`MATTERS`)."""
        return MATTERS

    @hookimpl
    def hallflow_fee_rules(self, matter: Matter) -> Iterable[FeeRule] | None:
        """The registration fee of the dwelling transfer; no other matter is charged."""
        return _FEES.get(matter.code)

    @hookimpl
    def hallflow_scoring_scheme(self) -> ScoringScheme:
        """The demo's own scheme (:data:`DEMO_SCHEME`); a locality's scheme replaces it."""
        return DEMO_SCHEME


# ---------------------------------------------------------------------- the organisation

CLERKS = ("clerk-1", "clerk-2", "clerk-3")
REVIEWERS = ("rev-1", "rev-2")
CHIEF = "chief"
DEPUTY = "deputy"
FIRE_OFFICER = "fire-1"
LAND_OFFICER = "land-1"
SUPERVISOR = "sup-1"


def _authority(
    holder: str, powers: set[Power], document: str, matters: Iterable[str] | None = None
) -> Authority:
    return Authority(
        holder,
        frozenset(powers),
        None if matters is None else frozenset(matters),
        None,
        valid_from=dt.date(2020, 1, 1),
        valid_to=None,
        issued_by="Director of the county government service centre",
        document=document,
    )


def organisation(leave: tuple[dt.date, dt.date] | None) -> Organisation:
    """The demo hall's windows, staff and written authorities.

    Args:
        leave: the chief representative's leave, first and last day (their B post acts).
    """
    staff = [
        *(Staff(c, f"Clerk {i}", BUREAU, {Role.CLERK}) for i, c in enumerate(CLERKS, 1)),
        *(Staff(r, f"Reviewer {i}", BUREAU, {Role.REVIEWER}) for i, r in enumerate(REVIEWERS, 1)),
        Staff(CHIEF, "Chief representative", BUREAU, {Role.CHIEF_REPRESENTATIVE}),
        Staff(DEPUTY, "Window head (B post)", BUREAU, {Role.WINDOW_HEAD}),
        Staff(FIRE_OFFICER, "Fire brigade liaison", FIRE, {Role.REVIEWER}),
        Staff(LAND_OFFICER, "Natural resources liaison", LAND, {Role.REVIEWER}),
        # the centre's supervision office verifies bad ratings, visits raters, concludes
        # complaints; it scores no one and is not scored
        Staff(SUPERVISOR, "Supervision officer (监察室)", CENTRE, {Role.SUPERVISOR}),
    ]
    authorities = [
        *(_authority(c, {Power.ACCEPT}, f"SP-2026-{i:02d}") for i, c in enumerate(CLERKS, 1)),
        *(
            _authority(c, {Power.DECIDE}, f"SP-2026-1{i}", [IMMEDIATE_MATTER])
            for i, c in enumerate(CLERKS, 1)
        ),
        *(_authority(r, {Power.REVIEW}, f"SP-2026-2{i}") for i, r in enumerate(REVIEWERS, 1)),
        # the co-departments' liaisons give their departments' opinions on joint cases
        _authority(FIRE_OFFICER, {Power.REVIEW}, "SP-2026-41"),
        _authority(LAND_OFFICER, {Power.REVIEW}, "SP-2026-42"),
        _authority(
            CHIEF,
            {Power.ACCEPT, Power.REVIEW, Power.DECIDE, Power.SEAL, Power.COORDINATE},
            "SP-2026-30",
        ),
    ]
    leaves = () if leave is None else (Leave(CHIEF, leave[0], leave[1]),)
    return Organisation(
        windows=(
            Window("c1", "Comprehensive window 1 (综合窗口)", WindowKind.COMPREHENSIVE),
            Window("c2", "Comprehensive window 2 (综合窗口)", WindowKind.COMPREHENSIVE),
            Window("c3", "Comprehensive window 3 (综合窗口)", WindowKind.COMPREHENSIVE),
        ),
        staff=staff,
        authorities=authorities,
        leaves=leaves,
        posts=(ABPost(CHIEF, DEPUTY),),
    )


# ---------------------------------------------------------------------- options, building


@attrs.define(frozen=True, slots=True)
class DemoOptions:
    """What to simulate.

    Attributes:
        locality: the entry-point name of an installed locality plugin, or None for the
            embedded national demo.
        start: the first simulated day.
        days: how many calendar days to simulate.
        volume: the mean number of applications per working day.
        seed: the random seed; the same options give the same month.
        db: the SQLite file to write (must hold no cases yet).
    """

    locality: str | None = None
    start: dt.date = DEFAULT_START
    days: int = DEFAULT_DAYS
    volume: float = 20.0
    seed: int = 2026
    db: Path | None = None


def installed_localities() -> dict[str, importlib.metadata.EntryPoint]:
    """The locality plugins installed under the ``hallflow`` entry-point group, by name."""
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=PROJECT)}


def _plugins(locality: str | None) -> tuple[pluggy.PluginManager, str]:
    plugins: list[object] = [DemoHallPlugin()]
    label = "embedded national demo (national defaults)"
    if locality is not None:
        found = installed_localities()
        if locality not in found:
            names = ", ".join(sorted(found)) or "none"
            raise DemoError(
                f"no locality plugin named {locality!r} is installed (installed: {names})"
            )
        plugins.append(found[locality].load())
        label = f"{locality} (plugin {found[locality].value}) over the national defaults"
    return plugin_manager(plugins), label


def _seal_provider(seed: int) -> SoftwareSealProvider:
    """A provider holding a key derived from the seed, so the whole run is reproducible."""
    secret = hashlib.sha256(f"hallflow-demo-seal-{seed}".encode()).digest()
    pem = Ed25519PrivateKey.from_private_bytes(secret).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    provider = SoftwareSealProvider()
    provider.add_key_pem("demo-approval", pem)
    return provider


def build_hall(
    store: SQLiteStore,
    *,
    locality: str | None = None,
    leave: tuple[dt.date, dt.date] | None = None,
    seed: int = 2026,
    seal_from: dt.datetime | None = None,
) -> tuple[Hall, str]:
    """The demo hall on ``store``, with the locality plugin loaded when one is named.

    Returns:
        The hall and a label naming the rules in force.

    Raises:
        DemoError: no installed locality plugin has that name.
    """
    pm, label = _plugins(locality)
    start = seal_from or dt.datetime(2026, 1, 4, 9, tzinfo=dt.UTC)
    seals = SealRegistry().activate(
        SEAL_CODE,
        SealKind.APPROVAL,
        owner=BUREAU,
        holder=CHIEF,
        key_id="demo-approval",
        at=start,
        by="centre director",
    )
    hall = assemble_hall(
        pm,
        organisation=organisation(leave),
        store=store,
        seals=seals,
        seal_provider=_seal_provider(seed),
        # a simulation: its instants are the simulated month's, not today's
        settings=HallSettings(future_tolerance=None),
    )
    return hall, label


# ---------------------------------------------------------------------- the simulation

_Action = Callable[[dt.datetime], object]


class _Simulation:
    """Drives a hall through the period; every command goes through the hall."""

    def __init__(
        self,
        hall: Hall,
        options: DemoOptions,
        working: Sequence[dt.date],
        leave: tuple[dt.date, dt.date] | None,
        progress: TextIO | None,
    ) -> None:
        self.hall = hall
        self.cal = hall.calendar
        self.options = options
        self.rng = random.Random(options.seed)
        self.working = list(working)
        self.leave = leave
        self.progress = progress
        self.queue: list[tuple[dt.datetime, int, str, str, _Action]] = []
        self.seq = 0
        self.failed: set[str] = set()
        self.refusals: Counter[str] = Counter()
        self.joint_open: set[str] = set()
        self.counter = 0
        self.roles = set(hall.plugins.hook.hallflow_seal_holder_roles(kind=SealKind.APPROVAL) or ())
        self.deputy_seals = not self.roles or Role.WINDOW_HEAD in self.roles
        self.marked: dict[str, str] = {}
        # the public's ratings and complaints draw from a stream of their own, so the cases
        # of a seed are the same with or without them; ids come from it too (reproducible)
        self.voice = random.Random(f"hallflow-demo-voice-{options.seed}")
        self.supervision = Supervision(hall, new_id=lambda: f"{self.voice.getrandbits(128):032x}")
        self.streams: dict[str, str] = {}
        self.voices = 0
        self.complaint: str | None = None

    # ---- time

    def instant(self, day: dt.date, frac: float) -> dt.datetime:
        """The instant ``frac`` of the way through ``day``'s opening hours (to the minute)."""
        shifts = self.cal.hours.shifts_on(day.weekday())
        tz = self.cal.hours.tzinfo
        spans = [
            (
                dt.datetime.combine(day, s.start, tzinfo=tz),
                dt.datetime.combine(day, s.end, tzinfo=tz),
            )
            for s in shifts
        ]
        total = sum(((b - a) for a, b in spans), dt.timedelta())
        left = total * min(max(frac, 0.0), 0.999)
        for a, b in spans:
            if left < b - a:
                return (a + left).replace(second=0, microsecond=0)
            left -= b - a
        return spans[-1][1] - dt.timedelta(minutes=1)  # pragma: no cover

    def day(self, base: dt.date, offset: int) -> dt.date:
        return self.cal.add_working_days(base, offset)

    def on_leave(self, day: dt.date) -> bool:
        return self.leave is not None and self.leave[0] <= day <= self.leave[1]

    def approver(self, day: dt.date) -> str:
        """The chief representative, or their B post while they are away."""
        return DEPUTY if self.on_leave(day) else CHIEF

    def seal_day(self, day: dt.date) -> tuple[dt.date, str]:
        """When and by whom a decision made on ``day`` is sealed.

        While the chief is away the seal passes to the B post when this hall's rules let a
        window head hold it; otherwise sealing waits for the chief's return.
        """
        if not self.on_leave(day):
            return day, CHIEF
        if self.deputy_seals:
            return day, DEPUTY
        assert self.leave is not None
        return self.cal.next_working_day(self.leave[1]), CHIEF

    # ---- scheduling

    def push(self, case_id: str, when: dt.datetime, what: str, step: _Action) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (when, self.seq, case_id, what, step))

    def schedule(self, case_id: str, plan: Iterable[tuple[dt.datetime, str, _Action]]) -> None:
        last: dt.datetime | None = None
        for when, what, step in plan:
            if last is not None and when <= last:
                when = last + dt.timedelta(minutes=1)
            self.push(case_id, when, what, step)
            last = when

    def run_until(self, until: dt.datetime) -> None:
        while self.queue and self.queue[0][0] <= until:
            when, _, case_id, what, step = heapq.heappop(self.queue)
            if case_id in self.failed:
                continue
            try:
                step(when)
            except HallflowError as exc:
                self.failed.add(case_id)
                self.refusals[f"{what}: {exc}"] += 1

    # ---- applicants and cases

    def next_id(self, day: dt.date) -> str:
        self.counter += 1
        return f"D{day:%Y%m%d}-{self.counter:05d}"

    def applicant(self, matter: str) -> Applicant:
        n = self.rng.randrange(1, 10**6)
        person = NaturalPerson(f"Applicant {n}", _resident_id(n))
        if matter == JOINT_MATTER:
            return LegalPerson(f"Builder Co. No. {n}", _credit_code(n), person)
        return person

    def submit(
        self,
        case_id: str,
        matter: str,
        applicant: Applicant,
        window: str,
        clerk: str,
        given: Iterable[str],
    ) -> _Action:
        materials = sorted(given)

        def step(at: dt.datetime) -> None:
            self.hall.submit(
                matter, applicant, window, materials=materials, actor=clerk, at=at, case_id=case_id
            )

        return step

    # ---- daily supervision

    def close_day(self, day: dt.date) -> None:
        closing = closing_time(self.cal, day)
        self.run_until(closing - dt.timedelta(seconds=1))
        for case_id in sorted(self.joint_open):
            case = self.hall.sweep_opinions(case_id, at=closing)
            if case.closed or all(o.consent is not None for o in case.opinions):
                self.joint_open.discard(case_id)
        sweep(self.hall, closing, workers=1)

    # ---- the month

    def arrivals(self, day: dt.date, index: int) -> None:
        count = _poisson(self.rng, self.options.volume)
        forced = {0: "joint-silent", 1: "overdue", 4: "extension"}.get(index)
        if forced is not None:
            self.forced(day, forced)
        for _ in range(count):
            self.one(day)
        # a service encounter without a case (a question answered at a window), rated there
        if index == 0 or self.voice.random() < 0.25:
            self.encounter(day)
        if index == 2:
            self.complain(day)

    def forced(self, day: dt.date, kind: str) -> None:
        matter = {"joint-silent": JOINT_MATTER, "overdue": ESTATE_MATTER}.get(kind, FOOD_MATTER)
        case_id = self.next_id(day)
        self.marked[kind] = case_id
        spec = self.hall.catalogue.get(matter)
        given = [m.code for m in spec.materials_for(()) if m.required]
        arrive = self.instant(day, 0.05)
        clerk, window = CLERKS[0], "c1"
        plan: list[tuple[dt.datetime, str, _Action]] = [
            (
                arrive,
                "submit",
                self.submit(case_id, matter, self.applicant(matter), window, clerk, given),
            ),
            (arrive + dt.timedelta(minutes=10), "accept", self._accept(case_id, clerk)),
        ]
        if kind == "joint-silent":
            self.joint_open.add(case_id)
            plan.append(
                (self.instant(self.day(day, 2), 0.3), "opinion", self._opinion(case_id, FIRE))
            )
            # the natural resources bureau never answers: silence is swept into consent
            plan += self.review_and_decide(case_id, self.day(day, 8), self.day(day, 9), True)
            plan += self.close_out(case_id, self.day(day, 9), "unified", clerk)
        elif kind == "extension":
            limit = spec.promised_limit.amount
            ask = self.day(day, limit - 1)
            plan.append(
                (
                    self.instant(self.day(day, 2), 0.4),
                    "review",
                    self._sign(case_id, "review", REVIEWERS[0]),
                )
            )
            plan.append((self.instant(ask, 0.5), "extend", self._extend(case_id, ask)))
            plan += self.approve_and_decide(case_id, self.day(day, limit + 3), True)
            plan += self.close_out(case_id, self.day(day, limit + 3), "in_person", clerk)
        # "overdue": the case is accepted and then lies untouched in the department
        self.schedule(case_id, plan)

    def one(self, day: dt.date) -> None:
        rng = self.rng
        matter = rng.choices(
            (IMMEDIATE_MATTER, FOOD_MATTER, ESTATE_MATTER, JOINT_MATTER), (46, 22, 28, 4)
        )[0]
        spec = self.hall.catalogue.get(matter)
        case_id = self.next_id(day)
        slot = rng.randrange(len(CLERKS))
        clerk, window = CLERKS[slot], f"c{slot + 1}"
        required = [m.code for m in spec.materials_for(()) if m.required]
        latest = 0.8 if matter == IMMEDIATE_MATTER else 0.95
        arrive = self.instant(day, rng.random() * latest)
        path = rng.random()
        applicant = self.applicant(matter)
        plan: list[tuple[dt.datetime, str, _Action]] = []
        if path < 0.03:  # not accepted: the conditions are not met
            plan.append(
                (arrive, "submit", self.submit(case_id, matter, applicant, window, clerk, required))
            )
            plan.append(
                (arrive + dt.timedelta(minutes=15), "not accept", self._not_accept(case_id, clerk))
            )
            self.schedule(case_id, plan)
            return
        start = day
        if matter != IMMEDIATE_MATTER and path < 0.15:  # one correction notice
            missing = rng.sample(required[1:], k=rng.randint(1, min(2, len(required) - 1)))
            given = [m for m in required if m not in missing]
            plan.append(
                (arrive, "submit", self.submit(case_id, matter, applicant, window, clerk, given))
            )
            plan.append(
                (
                    arrive + dt.timedelta(minutes=12),
                    "correction",
                    self._correct(case_id, clerk, missing),
                )
            )
            start = self.day(day, rng.randint(1, 4))
            supplied = self.instant(start, rng.random() * 0.9)
            plan.append((supplied, "supply", self._supply(case_id, missing)))
            plan.append(
                (supplied + dt.timedelta(minutes=10), "accept", self._accept(case_id, clerk))
            )
        else:
            plan.append(
                (arrive, "submit", self.submit(case_id, matter, applicant, window, clerk, required))
            )
            plan.append((arrive + dt.timedelta(minutes=8), "accept", self._accept(case_id, clerk)))
        if matter == IMMEDIATE_MATTER:
            plan += self.on_the_spot(case_id, start, plan[-1][0], clerk)
            self.schedule(case_id, plan)
            return
        if path > 0.975:  # the applicant withdraws during review
            plan.append(
                (
                    self.instant(self.day(start, 1), rng.random()),
                    "withdraw",
                    self._withdraw(case_id),
                )
            )
            self.schedule(case_id, plan)
            return
        approve = rng.random() > 0.03
        limit = spec.promised_limit.amount
        finish = self.finish_offset(limit)
        if matter == JOINT_MATTER:
            self.joint_open.add(case_id)
            replies = [rng.randint(1, 4), rng.randint(1, 4)]
            for department, offset in zip((FIRE, LAND), replies, strict=True):
                plan.append(
                    (
                        self.instant(self.day(start, offset), rng.random()),
                        "opinion",
                        self._opinion(case_id, department),
                    )
                )
            finish = max(finish, max(replies) + 2)
            plan += self.review_and_decide(
                case_id, self.day(start, finish - 1), self.day(start, finish), approve
            )
            plan += self.close_out(case_id, self.day(start, finish), "unified", clerk)
        else:
            review = self.day(start, rng.randint(0, max(finish - 1, 0)))
            plan += self.review_and_decide(case_id, review, self.day(start, finish), approve)
            method = rng.choice(("in_person", "in_person", "post"))
            plan += self.close_out(case_id, self.day(start, finish), method, clerk)
        self.schedule(case_id, plan)

    def finish_offset(self, limit: int) -> int:
        """The working day the decision is sealed on, counted from acceptance."""
        roll = self.rng.random()
        if roll < 0.04:
            return limit + self.rng.randint(1, 2)  # late
        if roll < 0.16:
            return limit  # on the due day
        return self.rng.randint(1, max(limit - 1, 1))

    # ---- paths

    def on_the_spot(
        self, case_id: str, day: dt.date, accepted: dt.datetime, clerk: str
    ) -> list[tuple[dt.datetime, str, _Action]]:
        if self.rng.random() < 0.02:  # the seal is not affixed before closing: late
            seal_day = self.day(day, 1)
            sealed = self.instant(seal_day, 0.02)
        else:
            seal_day = day
            sealed = accepted + dt.timedelta(minutes=self.rng.randint(15, 45))
        seal_day, holder = self.seal_day(seal_day)
        if seal_day != day:
            sealed = max(sealed, self.instant(seal_day, 0.02))
        decided = accepted + dt.timedelta(minutes=10)
        return [
            (decided, "decide", self._sign(case_id, "decide", clerk)),
            (decided + dt.timedelta(minutes=1), "decide", self._decide(case_id, clerk, True)),
            (sealed, "seal", self._seal(case_id, holder)),
            (
                sealed + dt.timedelta(minutes=5),
                "deliver",
                self._deliver(case_id, clerk, "in_person"),
            ),
        ]

    def review_and_decide(
        self, case_id: str, review: dt.date, decide: dt.date, approve: bool
    ) -> list[tuple[dt.datetime, str, _Action]]:
        reviewer = self.rng.choice(REVIEWERS)
        return [
            (self.instant(review, 0.3), "review", self._sign(case_id, "review", reviewer)),
            *self.approve_and_decide(case_id, decide, approve),
        ]

    def approve_and_decide(
        self, case_id: str, day: dt.date, approve: bool
    ) -> list[tuple[dt.datetime, str, _Action]]:
        actor = self.approver(day)
        at = self.instant(day, 0.55)
        return [
            (at, "approve", self._sign(case_id, "approve", actor)),
            (at + dt.timedelta(minutes=2), "decide", self._decide(case_id, actor, approve)),
        ]

    def close_out(
        self, case_id: str, day: dt.date, method: str, clerk: str
    ) -> list[tuple[dt.datetime, str, _Action]]:
        seal_day, holder = self.seal_day(day)
        sealed = self.instant(seal_day, 0.75 if seal_day == day else 0.05)
        deliver_day = seal_day if method == "in_person" else self.day(seal_day, 1)
        delivered = self.instant(deliver_day, 0.9 if deliver_day == seal_day else 0.3)
        return [
            (sealed, "seal", self._seal(case_id, holder)),
            (delivered, "deliver", self._deliver(case_id, clerk, method)),
        ]

    # ---- commands

    def _accept(self, case_id: str, clerk: str) -> _Action:
        return lambda at: self.hall.accept(case_id, actor=clerk, at=at)

    def _not_accept(self, case_id: str, clerk: str) -> _Action:
        reason = "The applicant does not meet the conditions of the matter (申办条件)."
        return lambda at: self.hall.not_accept(case_id, reason, actor=clerk, at=at)

    def _correct(self, case_id: str, clerk: str, missing: Sequence[str]) -> _Action:
        items = {m: "missing" for m in missing}
        return lambda at: self.hall.request_correction(case_id, items, actor=clerk, at=at)

    def _supply(self, case_id: str, missing: Sequence[str]) -> _Action:
        return lambda at: self.hall.supply(case_id, list(missing), actor=APPLICANT, at=at)

    def _withdraw(self, case_id: str) -> _Action:
        reason = "The applicant no longer needs the licence."
        return lambda at: self.hall.withdraw(case_id, actor=APPLICANT, at=at, reason=reason)

    def _sign(self, case_id: str, step: str, actor: str) -> _Action:
        return lambda at: self.hall.sign(case_id, step, actor=actor, at=at)

    def _decide(self, case_id: str, actor: str, approve: bool) -> _Action:
        reasons = "" if approve else "The premises do not meet the conditions on inspection."
        return lambda at: self.hall.decide(case_id, approve, actor=actor, at=at, reasons=reasons)

    def _seal(self, case_id: str, holder: str) -> _Action:
        return lambda at: self.hall.seal(case_id, SEAL_CODE, actor=holder, at=at)

    def _deliver(self, case_id: str, clerk: str, method: str) -> _Action:
        def step(at: dt.datetime) -> None:
            self.hall.deliver(case_id, method, actor=clerk, at=at)
            self.closed(case_id, clerk, method, at)

        return step

    def _opinion(self, case_id: str, department: str) -> _Action:
        officer = FIRE_OFFICER if department == FIRE else LAND_OFFICER
        return lambda at: self.hall.give_opinion(case_id, department, True, actor=officer, at=at)

    def _extend(self, case_id: str, day: dt.date) -> _Action:
        actor = self.approver(day)
        reason = "An on-site check of the kitchen is needed; the applicant was told in writing."
        return lambda at: self.hall.extend(
            case_id, Limit.working_days(5), clock="promised", actor=actor, at=at, reason=reason
        )

    # ---- ratings (好差评) and a complaint (投诉), through hallflow.supervision

    def closed(self, case_id: str, clerk: str, method: str, delivered: dt.datetime) -> None:
        """After a case is delivered its applicant may rate it (most do, most are pleased)."""
        rng = self.voice
        second = self.working[1] if len(self.working) > 1 else delivered.date()
        scripted = "bad-rating" not in self.marked and method == "in_person"
        if scripted and delivered.date() >= second:
            self.marked["bad-rating"] = case_id
            self.scripted_bad_rating(case_id, clerk, delivered)
            return
        if rng.random() >= RATED_SHARE:
            return
        level = rng.choices(_LEVELS, _LEVEL_WEIGHTS)[0]
        if method == "in_person":
            channel = rng.choices(_CHANNELS, (50, 20, 15, 15))[0]
        else:  # the applicant was not at the window when the case closed
            channel = rng.choice(_CHANNELS[1:])
        real_name = rng.random() < REAL_NAME_SHARE
        if channel == "keypad":
            when = delivered + dt.timedelta(minutes=2)
        else:
            day = self.day(delivered.date(), rng.randint(0, 2))
            when = max(self.instant(day, rng.random()), delivered + dt.timedelta(minutes=5))
        self.rating_flow(when, level, channel, case_id=case_id, staff=clerk, real_name=real_name)

    def encounter(self, day: dt.date) -> None:
        rng = self.voice
        slot = rng.randrange(len(CLERKS))
        level = rng.choices(_LEVELS, _LEVEL_WEIGHTS)[0]
        channel = rng.choice(("keypad", "qr"))
        when = self.instant(day, rng.random() * 0.9)
        self.rating_flow(when, level, channel, window=f"c{slot + 1}", staff=CLERKS[slot])

    def rating_flow(
        self,
        when: dt.datetime,
        level: int,
        channel: str,
        *,
        case_id: str | None = None,
        window: str | None = None,
        staff: str,
        real_name: bool = False,
        comment: str | None = None,
        steps: tuple[tuple[int, float, bool], ...] | None = None,
    ) -> str:
        """Schedule a rating and, for a bad one, its verification, rectification and visit.

        ``steps`` fixes (working days after the previous step, fraction of the day, outcome)
        for verify, rectify and revisit; otherwise they are drawn.
        """
        rng = self.voice
        self.voices += 1
        key = f"voice-{self.voices:05d}"
        if comment is None:
            comment = ""
            if level <= Level.DISSATISFIED:
                comment = rng.choice(_GRIEVANCES)
            elif level == Level.VERY_SATISFIED and real_name and rng.random() < 0.15:
                comment = rng.choice(_PRAISE)

        def rate(at: dt.datetime) -> None:
            rater = self.hall.case(case_id).applicant if real_name and case_id else None
            rating = self.supervision.rate(
                level,
                channel,
                at=at,
                case_id=case_id,
                window=window,
                staff=staff,
                rater=rater,
                comment=comment,
            )
            self.streams[key] = rating.rating_id

        plan: list[tuple[dt.datetime, str, _Action]] = [(when, "rate", rate)]
        if level <= Level.DISSATISFIED:
            if steps is None:
                valid = rng.random() < 0.75
                steps = (
                    (rng.randint(1, 3), rng.random(), valid),
                    (rng.randint(2, 8), rng.random(), True),
                    (rng.randint(1, 3), rng.random(), rng.random() < 0.85),
                )
            (v_days, v_frac, valid), (r_days, r_frac, _), (s_days, s_frac, pleased) = steps
            verified = self.day(when.date(), v_days)
            plan.append((self.instant(verified, v_frac), "verify", self._verify(key, valid)))
            if valid:
                rectified = self.day(verified, r_days)
                plan.append((self.instant(rectified, r_frac), "rectify", self._rectify(key, staff)))
                visited = self.day(rectified, s_days)
                plan.append((self.instant(visited, s_frac), "revisit", self._revisit(key, pleased)))
        self.schedule(key, plan)
        return key

    def scripted_bad_rating(self, case_id: str, clerk: str, delivered: dt.datetime) -> None:
        """A bad rating at the keypad, verified, rectified and revisited within its limits."""
        self.rating_flow(
            delivered + dt.timedelta(minutes=2),
            Level.DISSATISFIED,
            "keypad",
            case_id=case_id,
            staff=clerk,
            real_name=True,
            comment="Kept waiting forty minutes while the clerk took a private phone call.",
            steps=((1, 0.3, True), (3, 0.5, True), (2, 0.4, True)),
        )

    def _verify(self, key: str, valid: bool) -> _Action:
        finding = (
            "The window's video record confirms it."
            if valid
            else "The record shows the wait came from a queue at opening time, not the window."
        )
        return lambda at: self.supervision.verify(
            self.streams[key], valid=valid, finding=finding, actor=SUPERVISOR, at=at
        )

    def _rectify(self, key: str, staff: str) -> _Action:
        measures = "Phones stay off the counter; a second clerk covers the window at peak hours."
        return lambda at: self.supervision.rectify(
            self.streams[key], measures=measures, actor=staff, at=at
        )

    def _revisit(self, key: str, pleased: bool) -> _Action:
        note = (
            "Called back: the applicant found the window quicker on the next visit."
            if pleased
            else "Called back: the applicant is still unhappy with the first visit."
        )
        return lambda at: self.supervision.revisit(
            self.streams[key], satisfied=pleased, note=note, actor=SUPERVISOR, at=at
        )

    def complain(self, day: dt.date) -> None:
        """A complaint against window 3's clerk, handled by the centre and upheld."""
        window, clerk = "c3", CLERKS[2]

        def receive(at: dt.datetime) -> None:
            complaint = self.supervision.receive_complaint(
                "attitude",
                "centre",
                "The clerk at comprehensive window 3 answered rudely when asked why a "
                "second copy of the form was needed.",
                at=at,
                window=window,
                staff=clerk,
            )
            self.complaint = complaint.complaint_id

        def conclude(at: dt.datetime) -> None:
            assert self.complaint is not None
            self.supervision.conclude_complaint(
                self.complaint,
                upheld=True,
                finding="Confirmed by the window's audio record; the clerk apologised in "
                "writing and was given a talk by the centre.",
                actor=SUPERVISOR,
                at=at,
            )

        self.schedule(
            "complaint",
            [
                (self.instant(day, 0.45), "complaint", receive),
                (self.instant(self.day(day, 4), 0.6), "conclude complaint", conclude),
            ],
        )

    # ---- the seal changes hands while the chief is away

    def seal_handover(self) -> None:
        if self.leave is None or not self.deputy_seals:
            return
        first, last = self.leave
        out = dt.datetime.combine(first, dt.time(8), tzinfo=self.cal.hours.tzinfo)
        back = dt.datetime.combine(
            self.cal.next_working_day(last), dt.time(8), tzinfo=self.cal.hours.tzinfo
        )

        def hand(holder: str) -> _Action:
            def step(at: dt.datetime) -> None:
                self.hall.change_seal(SEAL_CODE, actor=CHIEF, at=at, holder=holder)

            return step

        self.push("", out, "seal handover", hand(DEPUTY))
        self.push("", back, "seal handover", hand(CHIEF))


RATED_SHARE = 0.85
"""The share of closed cases whose applicant rates them (the others never do: nationally
there is no default rating)."""

REAL_NAME_SHARE = 0.7
"""The share of case ratings given under the applicant's id (the rest are anonymous)."""

_LEVELS = tuple(Level)
_LEVEL_WEIGHTS = (1, 2, 5, 14, 78)  # very dissatisfied .. very satisfied: 3% bad
_CHANNELS = ("keypad", "online", "sms", "qr")
_GRIEVANCES = (
    "Sent home for a copy the published list does not ask for.",
    "Kept waiting at the window although no one was ahead.",
    "The clerk could not say when the licence would be ready.",
)
_PRAISE = (
    "Quick and patient; the clerk checked every page with me.",
    "Done in one visit, thank you.",
)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method, in chunks so large means do not underflow)."""
    total = 0
    left = mean
    while left > 0:
        part = min(left, 30.0)
        left -= part
        limit, k, p = math.exp(-part), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                break
            k += 1
        total += k
    return total


def _resident_id(n: int) -> str:
    """A well-formed resident identity number (GB 11643) for demo applicant ``n``."""
    body = f"220821{1960 + n % 40:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + check_digit_resident(body)


def _credit_code(n: int) -> str:
    """A well-formed unified social credit code (GB 32100) for demo firm ``n``."""
    body = f"91220821MA{n % 10**6:06d}X"
    return body + check_digit_uscc(body)


# ---------------------------------------------------------------------- running

_LEVEL_WORDS = {
    5: "very satisfied",
    4: "satisfied",
    3: "basically satisfied",
    2: "dissatisfied",
    1: "very dissatisfied",
}


def _at(instant: dt.datetime) -> str:
    return f"{instant:%Y-%m-%d %H:%M}"


def _wrap(parts: Sequence[str], head: str, width: int = 110) -> list[str]:
    """``parts`` joined by "; " on lines of at most ``width``, never splitting a part."""
    lines: list[str] = []
    line = head
    for i, part in enumerate(parts):
        text = part + (";" if i < len(parts) - 1 else "")
        if line.strip() and len(line) + 1 + len(text) > width and line != head:
            lines.append(line.rstrip())
            line = " " * len(head)
        line += ("" if line.endswith(" ") else " ") + text
    lines.append(line.rstrip())
    return lines


def _step_words(status: ClockStatus) -> str:
    """How a rating's or complaint's step stands against its limit."""
    head = f"limit {status.limit}, due {_at(status.due)}"
    if status.state is ClockState.STOPPED:
        margin = int(status.margin)
        if status.outcome is Outcome.LATE:
            return f"{head}: done late, {overdue_words(status.overdue_by)}"
        spare = f"{margin} working day{'s' if margin != 1 else ''} to spare"
        return f"{head}: done within it, {spare}"
    if status.overdue_by > dt.timedelta(0):
        return f"{head}: open, {overdue_words(status.overdue_by)}"
    return f"{head}: open, {working_days(int(status.remaining))}"


@attrs.define(frozen=True, slots=True)
class DemoSupervision:
    """What the demo shows of supervision; every figure comes from :mod:`hallflow.supervision`.

    Attributes:
        end: the end of the period (midnight after its last day), the instant read at.
        ratings: the ratings given in the period (``Supervision.ratings``).
        complaints: the complaints received in the period (``Supervision.complaints``).
        followed: the scripted bad rating, if it was given.
        followed_steps: its steps' clocks at ``end`` (``Supervision.clocks``), by step.
        complaint: the scripted complaint, if it was received.
        complaint_status: its handling clock at ``end`` (``Supervision.complaint_clock``).
        satisfaction: the report's satisfaction rate, displayed.
        counted: the ratings that rate counts (the report's; withdrawn ones left out).
        rectification: the report's bad-rating rectification rate, displayed.
        scheme: the name of the scoring scheme in force, or None (no scheme).
        scheme_rules: what its ranking leads to, in words (empty without a scheme).
        assessment: the months' scores (``scoring.hall_assessment``), or None.
        months: the months scored, ``YYYY-MM``.
        table: the period's report by window (``report.render_table``).
        plots: the plot files written (``plots.draw``), or none.
        plots_note: where the plots are, or why there are none.
        accountability: the accountability records at ``end`` (``accountability.records``).
        example: the record shown as an example, if any.
    """

    end: dt.datetime
    ratings: tuple[Rating, ...]
    complaints: tuple[Complaint, ...]
    followed: Rating | None
    followed_steps: tuple[tuple[str, ClockStatus], ...]
    complaint: Complaint | None
    complaint_status: ClockStatus | None
    satisfaction: str
    counted: int
    rectification: str
    scheme: str | None
    scheme_rules: str
    assessment: Assessment | None
    months: tuple[str, ...]
    table: str
    plots: tuple[Path, ...]
    plots_note: str
    accountability: tuple[AccountabilityRecord, ...]
    example: AccountabilityRecord | None

    def rating_lines(self) -> list[str]:
        """The ratings: counts by channel, by level, the bad ones' flow, one followed through."""
        rs = self.ratings
        channels = Counter(r.channel.value for r in rs)
        levels = Counter(int(r.level) for r in rs)
        bad = [r for r in rs if r.bad]
        stages = Counter(r.stage for r in bad)
        valid = sum(1 for r in bad if r.verification is not None and r.verification.valid)
        rectified = sum(1 for r in bad if r.rectification is not None)
        revisited = sum(1 for r in bad if r.revisit is not None)
        lines = [
            f"Ratings (好差评)                  {len(rs):>6}   "
            + ", ".join(f"{c} {channels[c]}" for c in _CHANNELS),
            f"  of closed cases {sum(1 for r in rs if r.case_id is not None)}, of service "
            f"encounters without a case {sum(1 for r in rs if r.case_id is None)}; "
            f"real-name {sum(1 for r in rs if r.real_name)}, "
            f"anonymous {sum(1 for r in rs if not r.real_name)}",
            "  by level: "
            + ", ".join(f"{n} {_LEVEL_WORDS[n]} {levels[n]}" for n in range(5, 0, -1)),
            f"  bad ratings (差评) {len(bad)}: verified valid {valid}, withdrawn "
            f"{stages['withdrawn']}, awaiting verification {stages['rated']}; rectified "
            f"{rectified}, revisited {revisited}",
            f"  satisfaction rate {self.satisfaction} (of the {self.counted} ratings not "
            f"withdrawn), bad-rating rectification rate {self.rectification}",
        ]
        r = self.followed
        if r is not None:
            what = f"case {r.case_id}" if r.case_id else "a service encounter"
            lines.append(
                f"  a bad rating followed through: {what}, window {r.window}, staff {r.staff}, "
                f'level {int(r.level)} at the {r.channel.value}: "{r.comment}"'
            )
            rater = "the applicant, by name" if r.real_name else "anonymously"
            lines.append(f"    rated      {_at(r.rated_at)} {rater}")
            done = {
                "verify": r.verification,
                "rectify": r.rectification,
                "revisit": r.revisit,
            }
            label = {"verify": "verified", "rectify": "rectified", "revisit": "revisited"}
            for step, status in self.followed_steps:
                act = done[step]
                if act is None:
                    lines.append(f"    {step:<10} not yet — {_step_words(status)}")
                    continue
                lines.append(
                    f"    {label[step]:<10} {_at(act.at)} by {act.by} — {_step_words(status)}"
                )
            if r.revisit is not None:
                pleased = "satisfied" if r.revisit.satisfied else "not satisfied"
                lines.append(f"    the rater, visited: {pleased} ({r.revisit.note})")
        return lines

    def complaint_lines(self) -> list[str]:
        """The complaints: counts, and the scripted one with its handling clock."""
        cs = self.complaints
        concluded = [c for c in cs if c.conclusion is not None]
        lines = [
            f"Complaints (投诉)                {len(cs):>6}   concluded {len(concluded)}, "
            f"upheld {sum(1 for c in concluded if c.upheld)}"
        ]
        c = self.complaint
        if c is not None:
            against = ", ".join(
                f"{name} {value}"
                for name, value in (
                    ("case", c.case_id),
                    ("window", c.window),
                    ("staff", c.staff),
                    ("matter", c.matter),
                )
                if value is not None
            )
            lines.append(
                f"  against {against} ({c.category.value}, handled by the {c.handling.value}), "
                f'received {_at(c.received_at)}: "{c.text}"'
            )
            status = self.complaint_status
            assert status is not None
            if c.conclusion is None:
                lines.append(f"    not concluded — {_step_words(status)}")
            else:
                verdict = "upheld" if c.conclusion.upheld else "not upheld"
                lines.append(
                    f"    concluded {_at(c.conclusion.at)} by {c.conclusion.by}: {verdict} — "
                    f"{_step_words(status)}"
                )
                lines.append(f"    finding: {c.conclusion.finding}")
        return lines

    def score_lines(self) -> list[str]:
        """Each month's window and staff scores in rank order, with grades and flags."""
        if self.scheme is None or self.assessment is None:
            return [
                "Scores and ranking: no scoring scheme is in force (the national defaults "
                "have none; a locality plugin supplies one)"
            ]
        last = (self.end - dt.timedelta(days=1)).date()
        lines = [
            f"Scores and ranking (考核) by month, facts to {last} — {self.scheme}",
            *_wrap(self.scheme_rules.split("; "), "  rules: "),
        ]
        for result in self.assessment.months:
            for kind, subjects in (("windows", result.windows), ("staff", result.staff)):
                if not subjects:
                    continue
                parts = []
                for x in subjects:
                    marks = [m for m in (x.grade,) if m]
                    if x.model:
                        marks.append("model window")
                    if x.flagged:
                        marks.append("yellow flag" if kind == "windows" else "last place")
                    note = f" ({', '.join(marks)})" if marks else ""
                    parts.append(f"{x.rank}. {x.subject} {x.score}{note}")
                lines += _wrap(parts, f"  {result.month} {kind:<8} ")
        a = self.assessment
        for name, pairs in (
            ("warned (two flags)", a.warnings),
            ("proposed for return to their department", a.sent_back),
            ("eliminated", a.eliminated),
        ):
            if pairs:
                lines.append(f"  {name}: " + ", ".join(f"{s} in {m}" for s, m in pairs))
        return lines

    def accountability_lines(self) -> list[str]:
        """How many accountability records, and one of them."""
        lines = [f"Accountability records (问责)    {len(self.accountability):>6}"]
        r = self.example
        if r is not None:
            who = f"{r.staff} ({r.post})"
            state = f"done {_at(r.finished)}" if r.finished is not None else "still open at the end"
            lines.append(
                f"  e.g. {r.case_id}, {r.clock} clock: {who}, step {r.step}, due {_at(r.due)}, "
                f"{state}, {overdue_words(r.overdue_by)}"
            )
            lines.append(f"    rule: {r.rule}")
        return lines

    def render(self) -> str:
        """The supervision part of the demo's report."""
        return "\n".join(
            [
                *self.rating_lines(),
                "",
                *self.complaint_lines(),
                "",
                *self.score_lines(),
                "",
                self.table.rstrip("\n"),
                self.plots_note,
                *(f"  {path}" for path in self.plots),
                "",
                *self.accountability_lines(),
            ]
        )


@attrs.define(frozen=True, slots=True)
class DemoResult:
    """What a demo run produced.

    Attributes:
        db: the SQLite file written.
        rules: which rules were in force (the locality).
        summary: the supervision summary.
        explained: the case whose promised clock is explained, if any.
        explanation: that clock's explanation at the end of the period.
        marked: the scripted cases by role (``joint-silent``, ``overdue``, ``extension``).
        audit: the audit of the stored history at the end (chains, replays, seals, powers).
        supervision: ratings, complaints, scores, the report by window, accountability.
    """

    db: Path
    rules: str
    summary: Summary
    explained: str | None
    explanation: str
    marked: tuple[tuple[str, str], ...]
    audit: AuditReport
    supervision: DemoSupervision

    def _audit_line(self) -> str:
        a, chain = self.audit, self.audit.chain
        verdict = "clean" if a.ok else f"{len(chain.breaks) + len(a.findings)} problem(s)"
        return (
            f"history audit: {verdict} — {chain.events} events of {a.cases} cases in "
            f"{chain.positions} chained appends; {a.seals} seals verified over the decisions "
            f"re-derived from the events; every acceptance, decision and seal by a holder of "
            f"the power"
        )

    def render(self) -> str:
        """The full report: header, summary, scripted cases, supervision, the audit, a timeline."""
        lines = [
            f"hallflow demo — {self.rules}",
            f"database: {self.db}",
            "",
            self.summary.render(),
            "",
            "scripted cases: " + ", ".join(f"{k} {v}" for k, v in self.marked),
            "",
            self.supervision.render(),
            "",
            self._audit_line(),
            *(f"  {line}" for line in self.audit.lines()),
        ]
        if self.explained is not None:
            lines += ["", f"case {self.explained}, promised limit explained:", self.explanation]
        return "\n".join(lines)


def _leave(working: Sequence[dt.date]) -> tuple[dt.date, dt.date] | None:
    """Two working days of leave for the chief, two thirds into the period."""
    if len(working) < 6:
        return None
    i = (len(working) * 2) // 3
    return working[i], working[i + 1]


def _months(first: dt.date, last: dt.date) -> tuple[str, ...]:
    """The months ``YYYY-MM`` a period touches, in order."""
    out: list[str] = []
    day = first.replace(day=1)
    while day <= last:
        out.append(f"{day:%Y-%m}")
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return tuple(out)


def _scheme_rules(scheme: ScoringScheme) -> str:
    """What a scheme's monthly ranking leads to, in words."""
    parts = []
    for table, kind in ((scheme.window, "windows"), (scheme.staff, "staff")):
        if table is not None:
            parts.append(f"{kind} from {table.base} with up to {table.bonus_cap} bonus points")
    if scheme.model_windows:
        n = scheme.model_windows
        parts.append(
            "the best window is a model window" if n == 1 else f"the top {n} are model windows"
        )
    if scheme.window_flags:
        n = scheme.window_flags
        parts.append(
            "the last window gets a yellow flag"
            if n == 1
            else f"the last {n} windows get a yellow flag"
        )
    if scheme.warning_after_flags:
        parts.append(f"{scheme.warning_after_flags} flags bring a warning")
    if scheme.staff_flags:
        n = scheme.staff_flags
        parts.append(
            "the last staff member is flagged"
            if n == 1
            else f"the last {n} staff members are flagged"
        )
    if scheme.grades:
        grades = sorted(scheme.grades, key=lambda g: -g.floor)
        shown = [f"{g.name} {g.floor}+" for g in grades]
        if len(grades) > 1 and grades[-1].floor == 0:
            shown[-1] = f"{grades[-1].name} below {grades[-2].floor}"
        parts.append("grades " + ", ".join(shown))
    if scheme.fail_below is not None and scheme.sent_back_after is not None:
        parts.append(
            f"{scheme.sent_back_after} months below {scheme.fail_below} and a staff member is "
            "proposed for return to their department"
        )
    if scheme.elimination is not None:
        e = scheme.elimination
        parts.append(f"among the last {e.bottom} for {e.months} months running: eliminated")
    return "; ".join(parts)


def _plots(summary: Report, by_window: Report, folder: Path) -> tuple[tuple[Path, ...], str]:
    """Draw the report's plots as PNG into ``folder`` when matplotlib is installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return (), "plots: not drawn — they need the report extra: pip install 'hallflow[report]'"
    from hallflow.supervision.plots import cjk_font, draw

    written = draw(summary, by_window, folder, formats=("png",), font=cjk_font())
    return tuple(written), f"plots ({len(written)}, PNG) in {folder}:"


def supervise(
    hall: Hall,
    summary: Summary,
    marked: Mapping[str, str],
    complaint_id: str | None,
    db: Path,
) -> DemoSupervision:
    """The supervision part of the report, read from the store through hallflow.supervision.

    Args:
        hall: the demo hall, after the period.
        summary: the period's summary (its report gives the satisfaction and rectification
            rates and the plots' totals).
        marked: the scripted cases (``bad-rating`` names the case whose rating is followed).
        complaint_id: the scripted complaint, if it was received.
        db: the database file; the plots go to a folder beside it.
    """
    assert summary.report is not None
    period = Period(summary.first_day, summary.last_day)
    start, end = period.bounds(hall)
    sup = Supervision(hall)
    ratings = tuple(r for r in sup.ratings() if start <= r.rated_at < end)
    complaints = tuple(c for c in sup.complaints() if start <= c.received_at < end)
    followed = next(
        (r for r in ratings if r.case_id is not None and r.case_id == marked.get("bad-rating")),
        None,
    )
    steps: tuple[tuple[str, ClockStatus], ...] = ()
    if followed is not None:
        steps = tuple((name, c.status(end)) for name, c in sup.clocks(followed).items())
    complaint = next((c for c in complaints if c.complaint_id == complaint_id), None)
    complaint_status = sup.complaint_clock(complaint).status(end) if complaint else None
    scheme = scheme_of(hall.plugins)
    months = _months(period.first, period.last)
    assessment = hall_assessment(sup, months, end)
    by_window = compute(hall, period, Grouping.WINDOW)
    plots, note = _plots(summary.report, by_window, db.parent / f"{db.stem}-plots")
    found = records(hall, end, sup)
    # an example naming a person: the scripted overdue case's first, else the earliest due
    named = sorted(
        (r for r in found if r.staff is not None),
        key=lambda r: (r.case_id != marked.get("overdue"), r.due, r.case_id, r.clock),
    )
    example = named[0] if named else None
    total = summary.report.total
    return DemoSupervision(
        end=end,
        ratings=ratings,
        complaints=complaints,
        followed=followed,
        followed_steps=steps,
        complaint=complaint,
        complaint_status=complaint_status,
        satisfaction=total.shown()["satisfaction_rate"],
        counted=total.figures.ratings,
        rectification=total.shown()["rectification_rate"],
        scheme=None if scheme is None else scheme.name,
        scheme_rules="" if scheme is None else _scheme_rules(scheme),
        assessment=assessment,
        months=months,
        table=render_table(by_window, width=120),
        plots=plots,
        plots_note=note,
        accountability=tuple(found),
        example=example,
    )


def run(options: DemoOptions, *, progress: TextIO | None = None) -> DemoResult:
    """Simulate the period and report on it.

    Args:
        options: what to simulate.
        progress: where to write a progress line every five simulated days (None: nowhere).

    Raises:
        DemoError: an unknown locality, a bad option, or a database already holding cases.
    """
    if options.days < 1:
        raise DemoError(f"--days {options.days}: simulate at least one day")
    if options.volume < 0:
        raise DemoError(f"--volume {options.volume}: must not be negative")
    _plugins(options.locality)  # an unknown locality is refused before any file is made
    db = options.db or Path(tempfile.mkdtemp(prefix="hallflow-demo-")) / "hall.db"
    last_day = options.start + dt.timedelta(days=options.days - 1)
    store = SQLiteStore(db, durability="normal")
    try:
        if store.case_ids():
            raise DemoError(f"{db} already holds cases; give a new file to --db")
        probe, _ = build_hall(store, locality=options.locality, seed=options.seed)
        cal = probe.calendar
        working = [
            options.start + dt.timedelta(days=i)
            for i in range(options.days)
            if cal.is_working_day(options.start + dt.timedelta(days=i))
        ]
        leave = _leave(working)
        seal_from = dt.datetime.combine(
            options.start - dt.timedelta(days=1), dt.time(8), tzinfo=cal.hours.tzinfo
        )
        hall, rules = build_hall(
            store, locality=options.locality, leave=leave, seed=options.seed, seal_from=seal_from
        )
        sim = _Simulation(hall, options, working, leave, progress)
        sim.seal_handover()
        index = 0
        for i in range(options.days):
            day = options.start + dt.timedelta(days=i)
            if cal.is_working_day(day):
                sim.arrivals(day, index)
                index += 1
                sim.close_day(day)
            if progress is not None and (i + 1) % 5 == 0:
                print(
                    f"hallflow demo: {day} simulated ({i + 1}/{options.days} days, "
                    f"{sim.counter} cases so far)",
                    file=progress,
                )
        summary = summarise(hall, options.start, last_day, sim.refusals.items())
        candidates = [sim.marked.get(k) for k in ("extension", "overdue", "joint-silent")]
        explained = next((c for c in candidates if c and c not in sim.failed), None)
        explanation = ""
        if explained is not None:
            case = hall.case(explained)
            clock = hall.clocks(case).get("promised")
            if clock is not None:
                end = closing_time(cal, cal.previous_working_day(last_day + dt.timedelta(days=1)))
                explanation = clock.explain(max(end, clock.events[-1].at))
        if not explanation:
            explained = None
        return DemoResult(
            db=db,
            rules=rules,
            summary=summary,
            explained=explained,
            explanation=explanation,
            marked=tuple(sorted(sim.marked.items())),
            audit=hall.audit(),
            supervision=supervise(hall, summary, sim.marked, sim.complaint, db),
        )
    finally:
        store.close()
