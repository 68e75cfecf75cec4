"""The catalogue of matters: what a hall handles, with which materials, steps and limits.

A :class:`Matter` is immutable and checked when it is built: its promised limit fits in the
legal one, its material codes are unique, the materials it lets an applicant defer exist
and are marked deferrable, a joint matter names its co-departments and their order without
a cycle. The public service guide renders from it (:func:`render_guide`).

Rules that differ between localities are not built into :class:`Matter`; they are checks a
locality runs over its catalogue, such as :func:`check_compression` (Sichuan: the promised
limit at least 30% shorter than the legal one).
"""

from __future__ import annotations

import enum
import graphlib
import re
from collections.abc import Iterable, Iterator
from fractions import Fraction

import attrs

from hallflow.errors import CatalogueError, CompressionError, UnknownCodeError
from hallflow.model.org import Power
from hallflow.timeline.events import PauseReason
from hallflow.timeline.limits import Limit, Unit

__all__ = [
    "ART45_PERIODS",
    "ESCALATED",
    "EXCLUDABLE_PERIODS",
    "GUIDE_ITEMS",
    "IMMEDIATE",
    "JOINT",
    "PROMISED",
    "PROXY_VARIANT",
    "URGENT",
    "CaseKind",
    "Catalogue",
    "CoDepartment",
    "GapPolicy",
    "JointHandling",
    "Material",
    "Matter",
    "Procedure",
    "SilencePolicy",
    "Step",
    "StepKind",
    "Variant",
    "check_compression",
    "proxy_materials",
    "render_guide",
]

ART45_PERIODS = frozenset(
    {
        PauseReason.HEARING,
        PauseReason.TENDERING,
        PauseReason.AUCTION,
        PauseReason.INSPECTION,
        PauseReason.TESTING,
        PauseReason.QUARANTINE,
        PauseReason.APPRAISAL,
        PauseReason.EXPERT_REVIEW,
    }
)
"""The periods the Administrative Licensing Law (Art. 45) leaves out of its limits."""

EXCLUDABLE_PERIODS = ART45_PERIODS | {PauseReason.PUBLIC_NOTICE}
"""What a matter may declare as not counted: the Art. 45 periods and public notice."""

_CODE = re.compile(r"^[a-z][a-z0-9_-]*$")


def _nonblank(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(
            f"{type(instance).__name__}.{attribute.name}", "must be a non-blank string", value
        )


def _strings(value: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _steps(value: Iterable[Step]) -> tuple[Step, ...]:
    return tuple(value)


def _co_departments(value: Iterable[CoDepartment]) -> tuple[CoDepartment, ...]:
    return tuple(value)


def _materials(value: Iterable[Material]) -> tuple[Material, ...]:
    return tuple(value)


def _variants(value: Iterable[Variant]) -> tuple[Variant, ...]:
    return tuple(value)


def _matters(value: Iterable[Matter]) -> tuple[Matter, ...]:
    return tuple(value)


def _limit(instance: object, attribute: attrs.Attribute[Limit], value: object) -> None:
    if not isinstance(value, Limit):
        raise CatalogueError(
            f"{type(instance).__name__}.{attribute.name}", "must be a Limit", value
        )


def _optional_limit(instance: object, attribute: attrs.Attribute[Limit], value: object) -> None:
    if value is not None:
        _limit(instance, attribute, value)


def _compare(a: Limit, b: Limit) -> int | None:
    """Compare two limits: -1, 0 or 1 as ``a`` is shorter, as long or longer than ``b``.

    ``None`` when the units differ, except that a same-day limit is shorter than any limit
    counted in days.
    """
    if a.unit is b.unit:
        return (a.amount > b.amount) - (a.amount < b.amount)
    if a.unit is Unit.SAME_DAY and b.is_days:
        return -1
    if b.unit is Unit.SAME_DAY and a.is_days:
        return 1
    return None


# ---- kinds


@attrs.define(frozen=True, slots=True)
class CaseKind:
    """A kind of case (办件类型): how a matter is handled. Localities add their own.

    The five built in are :data:`IMMEDIATE` (即办件), :data:`PROMISED` (承诺件),
    :data:`JOINT` (联办件), :data:`ESCALATED` (上报件) and :data:`URGENT` (急办件).
    Two kinds are the same when their codes are.

    Attributes:
        code: a lower-case identifier (``"immediate"``, ``"returned"``...).
        label: the name shown to people.
    """

    code: str = attrs.field()
    label: str = attrs.field(eq=False, validator=_nonblank)

    @code.validator
    def _check_code(self, _attribute: object, value: object) -> None:
        if not isinstance(value, str) or not _CODE.match(value):
            raise CatalogueError(
                "CaseKind.code", "must be a lower-case identifier (a-z, 0-9, _, -)", value
            )


IMMEDIATE = CaseKind("immediate", "Immediate")
"""Decided on the spot or the same day."""
PROMISED = CaseKind("promised", "Promised")
"""Reviewed and decided by the department within the promised limit."""
JOINT = CaseKind("joint", "Joint")
"""Handled by a lead department with co-departments in parallel (see :class:`JointHandling`)."""
ESCALATED = CaseKind("escalated", "Escalated")
"""The local part ends when the case is passed to a higher authority."""
URGENT = CaseKind("urgent", "Urgent")
"""Green channel: priority at every step, shorter limits."""


# ---- materials


@attrs.define(frozen=True, slots=True)
class Variant:
    """A condition under which an application needs extra materials.

    Attributes:
        code: an identifier that :attr:`Material.when` refers to (``"proxy"``).
        label: how the guide introduces the materials (``"an agent applies"``).
    """

    code: str = attrs.field()
    label: str = attrs.field(validator=_nonblank)

    @code.validator
    def _check_code(self, _attribute: object, value: object) -> None:
        if not isinstance(value, str) or not _CODE.match(value):
            raise CatalogueError(
                "Variant.code", "must be a lower-case identifier (a-z, 0-9, _, -)", value
            )


PROXY_VARIANT = Variant("proxy", "someone applies on the applicant's behalf")
"""The commonest variant: an agent applies, bringing a power of attorney and their ID."""


def _copies(instance: Material, _attribute: object, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CatalogueError(
            f"Material[{instance.code}].copies", "must be a whole number >= 0", value
        )
    if value == 0 and not instance.original:
        raise CatalogueError(
            f"Material[{instance.code}].copies",
            "a material needs an original or at least one copy",
            value,
        )


def _when(instance: Material, _attribute: object, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not _CODE.match(value)):
        raise CatalogueError(
            f"Material[{instance.code}].when", "must be None or a variant code", value
        )


@attrs.define(frozen=True, slots=True)
class Material:
    """An application material (申报材料).

    Attributes:
        code: unique within the matter.
        name: the name in the guide.
        required: whether it must be supplied (when it applies at all).
        original: whether the original is shown.
        copies: how many copies are handed in.
        deferrable: whether it may be supplied after acceptance (容缺), when the matter's
            :class:`GapPolicy` lists it.
        when: the code of the :class:`Variant` under which it is needed; ``None`` for
            every application.
    """

    code: str = attrs.field(validator=_nonblank)
    name: str = attrs.field(validator=_nonblank)
    required: bool = True
    original: bool = False
    copies: int = attrs.field(default=1, validator=_copies)
    deferrable: bool = False
    when: str | None = attrs.field(default=None, validator=_when)

    def describe(self) -> str:
        """A one-line description for the guide (name, original, copies, flags)."""
        parts = []
        if self.original:
            parts.append("original")
        if self.copies:
            parts.append(f"{self.copies} {'copy' if self.copies == 1 else 'copies'}")
        flags = [" and ".join(parts)]
        if not self.required:
            flags.append("optional")
        if self.deferrable:
            flags.append("may be supplied after acceptance")
        return f"{self.name} ({'; '.join(flags)})"


def proxy_materials(
    power_of_attorney: str = "Power of attorney signed by the applicant",
    agent_id: str = "Identity card of the agent",
) -> tuple[Material, Material]:
    """The two materials an agent brings, needed when ``"proxy"`` holds.

    The power of attorney (original) and the agent's identity card (original shown, one
    copy). Declare :data:`PROXY_VARIANT` in the matter's variants to use them.

    Args:
        power_of_attorney: the name of the first material in the guide.
        agent_id: the name of the second.

    Returns:
        Materials coded ``power_of_attorney`` and ``agent_id``.
    """
    return (
        Material("power_of_attorney", power_of_attorney, original=True, copies=0, when="proxy"),
        Material("agent_id", agent_id, original=True, copies=1, when="proxy"),
    )


# ---- procedure


class StepKind(enum.StrEnum):
    """How a step is signed."""

    SINGLE = "single"
    """One person acts."""
    SEQUENTIAL_COUNTERSIGN = "sequential_countersign"
    """Several sign one after another (会签, in order)."""
    PARALLEL_COUNTERSIGN = "parallel_countersign"
    """Several sign, in any order; all are needed."""
    OR_SIGN = "or_sign"
    """Several may sign; the first signature is enough."""


@attrs.define(frozen=True, slots=True)
class Step:
    """A step of the review procedure (办事程序).

    Attributes:
        code: unique within the procedure.
        name: the name in the guide.
        kind: how it is signed.
        power: the power needed to act on it (see :class:`~hallflow.model.org.Power`).
        limit: the time it may take, if it has its own limit.
    """

    code: str = attrs.field(validator=_nonblank)
    name: str = attrs.field(validator=_nonblank)
    kind: StepKind = attrs.field(default=StepKind.SINGLE, converter=StepKind)
    power: Power = attrs.field(default=Power.REVIEW, converter=Power)
    limit: Limit | None = attrs.field(default=None, validator=_optional_limit)


@attrs.define(frozen=True, slots=True)
class Procedure:
    """The steps after acceptance, in order.

    Attributes:
        steps: at least one step; codes unique.
    """

    steps: tuple[Step, ...] = attrs.field(converter=_steps)

    @steps.validator
    def _check_steps(self, _attribute: object, value: tuple[Step, ...]) -> None:
        if not value:
            raise CatalogueError("Procedure.steps", "needs at least one step", value)
        seen: set[str] = set()
        for step in value:
            if not isinstance(step, Step):
                raise CatalogueError("Procedure.steps", "must hold Step values", step)
            if step.code in seen:
                raise CatalogueError("Procedure.steps", "step codes must be unique", step.code)
            seen.add(step.code)

    @classmethod
    def review_and_approve(cls) -> Procedure:
        """One review and one approval (一审一核): a reviewer, then an approver who decides."""
        return cls(
            (
                Step("review", "Review", power=Power.REVIEW),
                Step("approve", "Approve", power=Power.DECIDE),
            )
        )

    @classmethod
    def on_the_spot(cls) -> Procedure:
        """A single step in which the window decides (an immediate matter)."""
        return cls((Step("decide", "Decide at the window", power=Power.DECIDE),))

    def step(self, code: str) -> Step:
        """The step with this code.

        Raises:
            UnknownCodeError: there is none.
        """
        for step in self.steps:
            if step.code == code:
                return step
        raise UnknownCodeError("step", "no such step", code)


# ---- joint handling


class SilencePolicy(enum.StrEnum):
    """What a co-department's silence past its reply limit means."""

    CONSENT = "consent"
    """Silence counts as consent (缺席默认, 视为同意); the silent department answers for it."""
    BLOCK = "block"
    """The case waits for the opinion."""
    ESCALATE = "escalate"
    """The hall steps in to coordinate."""


@attrs.define(frozen=True, slots=True)
class CoDepartment:
    """A department whose opinion a joint matter needs.

    Attributes:
        department: the department.
        reply_limit: how long it has to reply once asked.
        after: co-departments whose opinion it needs first; empty to run in parallel
            from the start.
    """

    department: str = attrs.field(validator=_nonblank)
    reply_limit: Limit = attrs.field(validator=_limit)
    after: tuple[str, ...] = attrs.field(default=(), converter=_strings)


@attrs.define(frozen=True, slots=True)
class JointHandling:
    """How a joint matter (联办件) is handled: a lead department and its co-departments.

    Parallel steps may not be each other's prerequisites (不得互为前置): the ``after``
    relation must not form a cycle; a cycle, an unknown department in ``after``, a
    department listed twice, or the lead listed as a co-department is refused.

    Attributes:
        lead_department: the department that accepts, coordinates and decides.
        co_departments: at least one.
        silence: what a co-department's silence means.
    """

    lead_department: str = attrs.field(validator=_nonblank)
    co_departments: tuple[CoDepartment, ...] = attrs.field(converter=_co_departments)
    silence: SilencePolicy = attrs.field(default=SilencePolicy.CONSENT, converter=SilencePolicy)
    _order: tuple[tuple[str, ...], ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if not self.co_departments:
            raise CatalogueError(
                "JointHandling.co_departments", "a joint matter needs a co-department", ()
            )
        names: set[str] = set()
        for co in self.co_departments:
            if co.department == self.lead_department:
                raise CatalogueError(
                    "JointHandling.co_departments",
                    "the lead department is not its own co-department",
                    co.department,
                )
            if co.department in names:
                raise CatalogueError("JointHandling.co_departments", "listed twice", co.department)
            names.add(co.department)
        graph: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        for co in self.co_departments:
            for before in co.after:
                if before not in names:
                    raise CatalogueError(
                        f"CoDepartment[{co.department}].after",
                        "names no co-department of this matter",
                        before,
                    )
            graph.add(co.department, *co.after)
        try:
            graph.prepare()
        except graphlib.CycleError as exc:
            cycle = " -> ".join(exc.args[1])
            raise CatalogueError(
                "JointHandling.co_departments",
                f"co-departments may not be each other's prerequisites (cycle {cycle})",
                tuple(exc.args[1]),
            ) from None
        stages: list[tuple[str, ...]] = []
        while graph.is_active():
            ready = tuple(sorted(graph.get_ready()))
            stages.append(ready)
            graph.done(*ready)
        object.__setattr__(self, "_order", tuple(stages))

    def stages(self) -> tuple[tuple[str, ...], ...]:
        """The co-departments in waves: each wave can be asked at once (names sorted)."""
        return self._order

    def co_department(self, department: str) -> CoDepartment:
        """The co-department entry for ``department``.

        Raises:
            UnknownCodeError: it is not a co-department.
        """
        for co in self.co_departments:
            if co.department == department:
                return co
        raise UnknownCodeError("co_department", "not a co-department", department)

    def longest_chain(self, unit: Unit) -> int:
        """The most time, in ``unit``, a chain of replies can take one after another.

        Only reply limits counted in ``unit`` add up; others (same-day ones) count 0.
        """
        best: dict[str, int] = {}
        for stage in self._order:
            for name in stage:
                co = self.co_department(name)
                own = co.reply_limit.amount if co.reply_limit.unit is unit else 0
                best[name] = own + max((best[b] for b in co.after), default=0)
        return max(best.values(), default=0)


# ---- accept with gaps


@attrs.define(frozen=True, slots=True)
class GapPolicy:
    """Accept with gaps (容缺受理): which materials may be supplied after acceptance.

    Attributes:
        deferrable: codes of the materials that may follow (at least one, no repeats).
        max_days: how long the applicant has to supply them.
    """

    deferrable: tuple[str, ...] = attrs.field(converter=_strings)
    max_days: Limit = attrs.field(validator=_limit)

    @deferrable.validator
    def _check_deferrable(self, _attribute: object, value: tuple[str, ...]) -> None:
        if not value:
            raise CatalogueError("GapPolicy.deferrable", "must list at least one material", ())
        if len(set(value)) != len(value):
            raise CatalogueError("GapPolicy.deferrable", "must not repeat a material", value)


# ---- matters


def _kind(_instance: object, _attribute: object, value: CaseKind) -> None:
    if not isinstance(value, CaseKind):
        raise CatalogueError("Matter.kind", "must be a CaseKind", value)


def _excludable(value: Iterable[PauseReason | str]) -> frozenset[PauseReason]:
    return frozenset(PauseReason(v) for v in value)


@attrs.define(frozen=True, slots=True)
class Matter:
    """A matter (事项) of the catalogue: one service a department provides in the hall.

    Construction refuses:

    - a promised limit longer than the legal one, or in a different unit (a same-day
      promise fits any legal limit counted in days);
    - an immediate matter whose promised limit is more than one working day (same day or
      1 working day);
    - duplicate material codes, a material needed under an undeclared variant;
    - gap materials that do not exist, are not marked deferrable, or are not required;
    - a joint matter without :class:`JointHandling`, or joint handling on any other kind
      (joint handling is given exactly when the kind is :data:`JOINT`); a lead department
      other than the matter's; a co-department's reply limit, or the longest chain of
      replies, longer than the promised limit;
    - step limits that add up to more than the promised limit;
    - excluded periods other than those of :data:`EXCLUDABLE_PERIODS`.

    Attributes:
        code: unique within the catalogue.
        name: the matter's name.
        department: the department responsible.
        kind: the kind of case it makes.
        legal_basis: the laws and rules it rests on (法定依据); at least one.
        conditions: the conditions an applicant must meet (申办条件), as text.
        materials: the application materials.
        legal_limit: the limit the law sets (法定时限).
        promised_limit: the limit the hall promises (承诺时限).
        procedure: the steps after acceptance.
        excludable: which periods (hearing, expert review...) may be left out of the count.
        pledge_allowed: whether notify-and-pledge (告知承诺) may be used.
        gaps: whether and how accept-with-gaps may be used; ``None`` if not.
        joint: the joint handling of a joint matter.
        seal_required: whether the decision bears the approval seal.
        fee_basis: the legal basis of the fee (收费依据); empty when there is no fee.
        fee_standard: the amount or range (收费标准); empty when there is no fee.
        summary: an overview for the guide.
        variants: the conditions under which extra materials are needed.
    """

    code: str = attrs.field(validator=_nonblank)
    name: str = attrs.field(validator=_nonblank)
    department: str = attrs.field(validator=_nonblank)
    kind: CaseKind = attrs.field(validator=_kind)
    legal_basis: tuple[str, ...] = attrs.field(converter=_strings)
    conditions: tuple[str, ...] = attrs.field(converter=_strings)
    materials: tuple[Material, ...] = attrs.field(converter=_materials)
    legal_limit: Limit = attrs.field(validator=_limit)
    promised_limit: Limit = attrs.field(validator=_limit)
    procedure: Procedure = attrs.field(factory=Procedure.review_and_approve)
    excludable: frozenset[PauseReason] = attrs.field(default=frozenset(), converter=_excludable)
    pledge_allowed: bool = False
    gaps: GapPolicy | None = None
    joint: JointHandling | None = None
    seal_required: bool = True
    fee_basis: str = ""
    fee_standard: str = ""
    summary: str = ""
    variants: tuple[Variant, ...] = attrs.field(default=(), converter=_variants)

    def __attrs_post_init__(self) -> None:
        self._check_limits()
        self._check_materials()
        self._check_joint()
        self._check_rest()

    def _field(self, name: str) -> str:
        return f"Matter[{self.code}].{name}"

    def _check_limits(self) -> None:
        legal, promised = self.legal_limit, self.promised_limit
        order = _compare(promised, legal)
        if order is None:
            raise CatalogueError(
                self._field("promised_limit"),
                f"must be counted in the same unit as the legal limit {legal} ({legal.unit.value})",
                promised,
            )
        if order > 0:
            raise CatalogueError(
                self._field("promised_limit"),
                f"must not exceed the legal limit {legal}",
                promised,
            )
        if self.kind == IMMEDIATE and not (
            promised.unit is Unit.SAME_DAY or promised == Limit.working_days(1)
        ):
            raise CatalogueError(
                self._field("promised_limit"),
                "an immediate matter is closed the same day or within 1 working day",
                promised,
            )
        total = 0
        for step in self.procedure.steps:
            if step.limit is None:
                continue
            if _compare(step.limit, promised) == 1:
                raise CatalogueError(
                    self._field(f"procedure.steps[{step.code}].limit"),
                    f"must not exceed the promised limit {promised}",
                    step.limit,
                )
            if step.limit.unit is promised.unit:
                total += step.limit.amount
        if promised.unit is not Unit.SAME_DAY and total > promised.amount:
            raise CatalogueError(
                self._field("procedure.steps"),
                f"step limits add up to {total}, more than the promised limit {promised}",
                total,
            )

    def _check_materials(self) -> None:
        variants: set[str] = set()
        for variant in self.variants:
            if not isinstance(variant, Variant):
                raise CatalogueError(self._field("variants"), "must hold Variant values", variant)
            if variant.code in variants:
                raise CatalogueError(self._field("variants"), "codes must be unique", variant.code)
            variants.add(variant.code)
        codes: dict[str, Material] = {}
        for material in self.materials:
            if not isinstance(material, Material):
                raise CatalogueError(
                    self._field("materials"), "must hold Material values", material
                )
            if material.code in codes:
                raise CatalogueError(
                    self._field("materials"), "material codes must be unique", material.code
                )
            if material.when is not None and material.when not in variants:
                raise CatalogueError(
                    self._field(f"materials[{material.code}].when"),
                    "names no variant of this matter (declare it in variants)",
                    material.when,
                )
            codes[material.code] = material
        if self.gaps is not None:
            for code in self.gaps.deferrable:
                found = codes.get(code)
                if found is None:
                    raise CatalogueError(
                        self._field("gaps.deferrable"), "names no material of this matter", code
                    )
                if not found.deferrable:
                    raise CatalogueError(
                        self._field("gaps.deferrable"),
                        "the material is not marked deferrable",
                        code,
                    )
                if not found.required:
                    raise CatalogueError(
                        self._field("gaps.deferrable"),
                        "only a required material can be deferred",
                        code,
                    )

    def _check_joint(self) -> None:
        joint = self.joint
        if self.kind == JOINT and joint is None:
            raise CatalogueError(self._field("joint"), "a joint matter needs joint handling", None)
        if joint is None:
            return
        if self.kind != JOINT:
            raise CatalogueError(
                self._field("joint"),
                f"only a joint matter has joint handling (kind is {self.kind.code!r})",
                joint.lead_department,
            )
        if joint.lead_department != self.department:
            raise CatalogueError(
                self._field("joint.lead_department"),
                f"must be the matter's department {self.department!r}",
                joint.lead_department,
            )
        promised = self.promised_limit
        for co in joint.co_departments:
            if _compare(co.reply_limit, promised) == 1:
                raise CatalogueError(
                    self._field(f"joint.co_departments[{co.department}].reply_limit"),
                    f"must not exceed the promised limit {promised}",
                    co.reply_limit,
                )
        if promised.unit is not Unit.SAME_DAY:
            chain = joint.longest_chain(promised.unit)
            if chain > promised.amount:
                raise CatalogueError(
                    self._field("joint.co_departments"),
                    f"replies in order take up to {chain} {promised.unit.value}, more than "
                    f"the promised limit {promised}",
                    chain,
                )

    def _check_rest(self) -> None:
        if not self.legal_basis or not all(
            isinstance(b, str) and b.strip() for b in self.legal_basis
        ):
            raise CatalogueError(
                self._field("legal_basis"), "needs at least one non-blank entry", self.legal_basis
            )
        extra = self.excludable - EXCLUDABLE_PERIODS
        if extra:
            raise CatalogueError(
                self._field("excludable"),
                "only Art. 45 periods and public notice may be excluded",
                sorted(extra),
            )
        for name in ("pledge_allowed", "seal_required"):
            if not isinstance(getattr(self, name), bool):
                value = getattr(self, name)
                raise CatalogueError(self._field(name), "must be True or False", value)

    def materials_for(self, conditions: Iterable[str] = ()) -> tuple[Material, ...]:
        """The materials an application needs under some conditions.

        Args:
            conditions: variant codes that hold for this application (``"proxy"`` when an
                agent applies...); codes this matter does not know are ignored.

        Returns:
            The materials for every application plus those of the given variants, required
            and optional alike, in catalogue order.
        """
        held = set(_strings(conditions) if isinstance(conditions, str) else conditions)
        return tuple(m for m in self.materials if m.when is None or m.when in held)

    def material(self, code: str) -> Material:
        """The material with this code.

        Raises:
            UnknownCodeError: there is none.
        """
        for material in self.materials:
            if material.code == code:
                return material
        raise UnknownCodeError("material", f"no such material in matter {self.code!r}", code)

    @property
    def has_fee(self) -> bool:
        """Whether the matter charges a fee: it names a legal basis for one.

        No fee without a basis: a standard alone (``"no fee"``) does not make a fee.
        """
        return bool(self.fee_basis.strip())


def _reduction(value: float | Fraction) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        raise CatalogueError("min_reduction", "must be a number from 0 up to (not incl.) 1", value)
    share = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    if not 0 <= share < 1:
        raise CatalogueError("min_reduction", "must be a number from 0 up to (not incl.) 1", value)
    return share


def check_compression(matter: Matter, min_reduction: float | Fraction) -> None:
    """Check that a matter's promised limit is at least ``min_reduction`` shorter than the law's.

    That is, promised ≤ legal × (1 − min_reduction), computed exactly.

    Sichuan asks for 30% (``0.3``), Jilin City for 50%; Luzhou's "70%" reads as ``0.7``
    (the promised limit at most 30% of the legal one) — the setting is the locality's.
    A same-day promise always passes.

    Args:
        matter: the matter.
        min_reduction: the required reduction, a fraction from 0 up to (not including) 1.

    Raises:
        CompressionError: the promised limit is too long.
        CatalogueError: ``min_reduction`` is out of range.
    """
    share = _reduction(min_reduction)
    legal, promised = matter.legal_limit, matter.promised_limit
    if promised.unit is Unit.SAME_DAY:
        return
    if promised.amount > legal.amount * (1 - share):
        percent = share * 100
        shown = f"{int(percent)}%" if percent.denominator == 1 else f"{float(percent):g}%"
        raise CompressionError(matter.code, legal, promised, shown)


# ---- the catalogue


@attrs.define(frozen=True, slots=True)
class Catalogue:
    """The matters a hall handles (事项目录), by code.

    Attributes:
        matters: the matters; codes unique.
    """

    matters: tuple[Matter, ...] = attrs.field(converter=_matters)
    _index: dict[str, Matter] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        index: dict[str, Matter] = {}
        for matter in self.matters:
            if not isinstance(matter, Matter):
                raise CatalogueError("Catalogue.matters", "must hold Matter values", matter)
            if matter.code in index:
                raise CatalogueError(
                    "Catalogue.matters", "matter codes must be unique", matter.code
                )
            index[matter.code] = matter
        object.__setattr__(self, "_index", index)

    def get(self, code: str) -> Matter:
        """The matter with this code.

        Raises:
            UnknownCodeError: there is none.
        """
        try:
            return self._index[code]
        except KeyError:
            raise UnknownCodeError("matter", "no such matter in the catalogue", code) from None

    def by_department(self, department: str) -> tuple[Matter, ...]:
        """The matters of one department, in catalogue order."""
        return tuple(m for m in self.matters if m.department == department)

    def departments(self) -> tuple[str, ...]:
        """Every department with a matter, sorted."""
        return tuple(sorted({m.department for m in self.matters}))

    def compression_errors(self, min_reduction: float | Fraction) -> tuple[CompressionError, ...]:
        """Every matter whose promised limit is not ``min_reduction`` shorter than the law's.

        Args:
            min_reduction: see :func:`check_compression`.

        Returns:
            One error per offending matter, in catalogue order (empty when all pass).
        """
        out: list[CompressionError] = []
        for matter in self.matters:
            try:
                check_compression(matter, min_reduction)
            except CompressionError as exc:
                out.append(exc)
        return tuple(out)

    def __iter__(self) -> Iterator[Matter]:
        return iter(self.matters)

    def __len__(self) -> int:
        return len(self.matters)

    def __contains__(self, code: object) -> bool:
        return code in self._index


# ---- the public service guide

GUIDE_ITEMS = (
    "Overview (概述)",
    "Legal basis (法定依据)",
    "Fee basis (收费依据)",
    "Fee standard (收费标准)",
    "Materials (申报材料)",
    "Preconditions (前置条件)",
    "Procedure (办事程序)",
    "Promised limit (承诺时限)",
)
"""The eight public items (八公开) of a service guide, in order, as headings."""

_STEP_KINDS = {
    StepKind.SINGLE: "",
    StepKind.SEQUENTIAL_COUNTERSIGN: "countersigned in order",
    StepKind.PARALLEL_COUNTERSIGN: "countersigned by all, in any order",
    StepKind.OR_SIGN: "signed by any one of the signers",
}

_SILENCE = {
    SilencePolicy.CONSENT: "A co-department that does not reply in time is taken to consent.",
    SilencePolicy.BLOCK: "The case waits for every co-department's opinion.",
    SilencePolicy.ESCALATE: "If a co-department does not reply in time, the hall coordinates.",
}


def _bullets(lines: Iterable[str], empty: str) -> list[str]:
    items = [f"- {line}" for line in lines]
    return items or [empty]


def render_guide(matter: Matter) -> str:
    """Render the public service guide (办事指南) of a matter as Markdown.

    The guide has the eight public items (八公开) of :data:`GUIDE_ITEMS`, in order:
    overview, legal basis, fee basis, fee standard, materials (those for every
    application, then those of each variant), preconditions, procedure (with joint
    handling, notify-and-pledge and accept-with-gaps when allowed) and promised limit.

    Args:
        matter: the matter.

    Returns:
        The Markdown text, ending with a newline.
    """
    labels = {v.code: v.label for v in matter.variants}
    out = [f"# {matter.name}", ""]

    def section(number: int, body: list[str]) -> None:
        out.extend([f"## {number}. {GUIDE_ITEMS[number - 1]}", "", *body, ""])

    overview = [matter.summary.strip()] if matter.summary.strip() else []
    if overview:
        overview.append("")
    overview += [
        f"- Matter code: {matter.code}",
        f"- Department: {matter.department}",
        f"- Kind: {matter.kind.label}",
    ]
    if matter.seal_required:
        overview.append("- The decision bears the approval seal.")
    section(1, overview)
    section(2, _bullets(matter.legal_basis, "None given."))
    section(3, [matter.fee_basis.strip() or "No fee is charged."])
    section(4, [matter.fee_standard.strip() or "Free of charge."])

    materials: list[str] = []
    always = [m for m in matter.materials if m.when is None]
    if always:
        materials.append("For every application:")
        materials.append("")
        materials += [f"{i}. {m.describe()}" for i, m in enumerate(always, 1)]
    for variant in matter.variants:
        extra = [m for m in matter.materials if m.when == variant.code]
        if not extra:
            continue
        if materials:
            materials.append("")
        materials.append(f"In addition, when {labels[variant.code]}:")
        materials.append("")
        materials += [f"{i}. {m.describe()}" for i, m in enumerate(extra, 1)]
    section(5, materials or ["No materials are needed."])
    section(6, _bullets(matter.conditions, "None."))

    procedure: list[str] = []
    for i, step in enumerate(matter.procedure.steps, 1):
        notes = [n for n in (_STEP_KINDS[step.kind],) if n]
        if step.limit is not None:
            notes.append(f"within {step.limit}")
        tail = f" ({'; '.join(notes)})" if notes else ""
        procedure.append(f"{i}. {step.name}{tail}")
    if matter.joint is not None:
        joint = matter.joint
        procedure += ["", f"Joint handling, led by {joint.lead_department}:", ""]
        for co in joint.co_departments:
            after = f", after {', '.join(co.after)}" if co.after else ""
            procedure.append(f"- {co.department} replies within {co.reply_limit}{after}")
        procedure += ["", _SILENCE[joint.silence]]
    if matter.pledge_allowed:
        procedure += [
            "",
            "Notify and pledge: the application may be approved on the applicant's written "
            "pledge to meet the conditions, verified afterwards.",
        ]
    if matter.gaps is not None:
        names = ", ".join(matter.material(code).name for code in matter.gaps.deferrable)
        procedure += [
            "",
            f"Accept with gaps: the application may be accepted without {names}, which must "
            f"follow within {matter.gaps.max_days}.",
        ]
    section(7, procedure)

    limit = [f"{matter.promised_limit} (legal limit: {matter.legal_limit})"]
    if matter.excludable:
        periods = ", ".join(sorted(p.value.replace("_", " ") for p in matter.excludable))
        limit.append("")
        limit.append(f"Not counted in the limit: {periods}.")
    section(8, limit)
    return "\n".join(out).rstrip("\n") + "\n"
