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

Supervision (:meth:`~hallflow.cases.hall.Hall.sweep`) runs at every working day's close.
The report (:func:`hallflow.supervision.stats.summarise`) is computed from the stored events
alone (DOMAIN.md §7): nothing in it is typed in. Every command goes through the
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
from collections.abc import Callable, Iterable, Sequence
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
from hallflow.supervision.stats import Summary, summarise
from hallflow.timeline.clock import closing_time
from hallflow.timeline.limits import Limit

__all__ = [
    "BUREAU",
    "DEFAULT_DAYS",
    "DEFAULT_START",
    "MATTERS",
    "DemoError",
    "DemoHallPlugin",
    "DemoOptions",
    "DemoResult",
    "Summary",
    "build_hall",
    "installed_localities",
    "run",
    "summarise",
]

DEFAULT_START = dt.date(2026, 9, 21)
"""Monday 21 September 2026: the period then spans Mid-Autumn (25–27 September), National
Day (1–7 October) and the make-up working Saturday of 10 October."""

DEFAULT_DAYS = 31
"""Calendar days simulated by default."""

BUREAU = "County Administrative Approval Bureau (县行政审批局)"
"""The lead department: one bureau holding the approval powers and one approval seal."""

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


class DemoHallPlugin:
    """The embedded demo locality's contribution: its matters and their fees."""

    @hookimpl
    def hallflow_matters(self) -> Iterable[Matter]:
        """The demo catalogue (:data:`MATTERS`)."""
        return MATTERS

    @hookimpl
    def hallflow_fee_rules(self, matter: Matter) -> Iterable[FeeRule] | None:
        """The registration fee of the dwelling transfer; no other matter is charged."""
        return _FEES.get(matter.code)


# ---------------------------------------------------------------------- the organisation

CLERKS = ("clerk-1", "clerk-2", "clerk-3")
REVIEWERS = ("rev-1", "rev-2")
CHIEF = "chief"
DEPUTY = "deputy"
FIRE_OFFICER = "fire-1"
LAND_OFFICER = "land-1"


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
        self.hall.sweep(closing)

    # ---- the month

    def arrivals(self, day: dt.date, index: int) -> None:
        count = _poisson(self.rng, self.options.volume)
        forced = {0: "joint-silent", 1: "overdue", 4: "extension"}.get(index)
        if forced is not None:
            self.forced(day, forced)
        for _ in range(count):
            self.one(day)

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
        return lambda at: self.hall.deliver(case_id, method, actor=clerk, at=at)

    def _opinion(self, case_id: str, department: str) -> _Action:
        officer = FIRE_OFFICER if department == FIRE else LAND_OFFICER
        return lambda at: self.hall.give_opinion(case_id, department, True, actor=officer, at=at)

    def _extend(self, case_id: str, day: dt.date) -> _Action:
        actor = self.approver(day)
        reason = "An on-site check of the kitchen is needed; the applicant was told in writing."
        return lambda at: self.hall.extend(
            case_id, Limit.working_days(5), clock="promised", actor=actor, at=at, reason=reason
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
    """

    db: Path
    rules: str
    summary: Summary
    explained: str | None
    explanation: str
    marked: tuple[tuple[str, str], ...]
    audit: AuditReport

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
        """The full report: header, summary, scripted cases, the audit, one explained timeline."""
        lines = [
            f"hallflow demo — {self.rules}",
            f"database: {self.db}",
            "",
            self.summary.render(),
            "",
            "scripted cases: " + ", ".join(f"{k} {v}" for k, v in self.marked),
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
        )
    finally:
        store.close()
