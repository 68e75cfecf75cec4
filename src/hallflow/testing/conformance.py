"""The conformance kit: a locality's plugin checked against every hook's contract.

:func:`check_plugin` registers the plugin beside hallflow's national defaults (as a hall
would) and checks, with generated inputs where a hook takes any:

* **catalogue** — the matters assemble; each promised limit fits the legal one and passes
  the limit policy; material codes are unique and their variants declared; deferred
  materials exist; joint dependencies are acyclic and fit the promised limit; every kind is
  declared by some plugin.
* **fees** — every rule has a basis, amounts are exact to the fen and not negative, a range
  charged "as declared" names its fact, fee names are unique; exemptions are well formed;
  pricing generated cases gives lines that are not negative and a total equal to their
  sum, or a :class:`~hallflow.errors.FeeError` exactly when a declared amount is missing,
  malformed or out of range.
* **escalations** — ``hallflow_escalations`` is total over generated clock states (every
  state, warning level and unit): it never raises, returns :class:`Escalation` values with
  non-blank codes, no code twice, and the same answer for the same input.
* **calendar** — the calendar assembles; hall hours are :class:`HallHours` whose cut-off
  lets a receipt count the same day; every working day has shifts; the plugin's overlays
  never mark one day both ways and every day they name is decided as they say.
* **policies** — silence, deemed approval, extension refusal and acceptance checks never
  raise, answer with the types their hooks promise, and are deterministic.
* **supervision** — each matter's escalation ladders are :class:`~hallflow.timeline.ladder.
  Ladder` values that combine (rung codes unique, at most 31); the default rating, the
  rectification limits (``verify``, ``rectify``, ``revisit``), the complaint limit of every
  category and handling, and the scoring scheme answer None or a value of their type.
* **seals** and **sinks** — seal-holder roles are roles (never none at all), event sinks
  have stable unique names. Sinks are never delivered to.

Cases for the hooks that take one are real: submitted (and sometimes accepted) through a
small in-memory :class:`~hallflow.cases.hall.Hall` that carries only the national plugin,
so the plugin under test is called by the kit alone and its sinks see nothing.
"""

from __future__ import annotations

import datetime as dt
import graphlib
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import pluggy
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hallflow.calendar.engine import WorkCalendar
from hallflow.calendar.hours import HallHours
from hallflow.calendar.overlay import Overlay
from hallflow.cases.case import Case
from hallflow.cases.hall import Hall, HallSettings
from hallflow.errors import CompressionError, FeeError, HallflowError
from hallflow.model import (
    JOINT,
    Authority,
    CaseKind,
    Catalogue,
    Material,
    Matter,
    Organisation,
    Power,
    Role,
    SilencePolicy,
    Staff,
    Window,
    WindowKind,
    check_compression,
)
from hallflow.plugins.manager import (
    assemble_calendar,
    assemble_catalogue,
    case_kinds,
    limit_policy,
    plugin_manager,
)
from hallflow.plugins.policy import (
    RANGE_RULES,
    AcceptanceProblem,
    Escalation,
    EventSink,
    Exemption,
    FeeRule,
    LimitPolicy,
    declared_amount,
    price,
)
from hallflow.seals import SealKind, SealRegistry, SoftwareSealProvider
from hallflow.store import MemoryStore
from hallflow.testing import strategies as hs
from hallflow.timeline import ClockStatus, Limit, Unit

__all__ = [
    "CHECKS",
    "RANGE_RULES",
    "ConformanceReport",
    "Failure",
    "assert_conforms",
    "check_plugin",
    "price",
]

CHECKS = (
    "catalogue",
    "fees",
    "escalations",
    "calendar",
    "policies",
    "supervision",
    "seals",
    "sinks",
)
"""The groups of checks :func:`check_plugin` runs, in order (a :class:`Failure`'s ``check``)."""

_FEN = Decimal("0.01")


# ---------------------------------------------------------------------- the report


@attrs.define(frozen=True, slots=True)
class Failure:
    """One way a plugin breaks a hook's contract.

    Attributes:
        check: the group of checks (one of :data:`CHECKS`).
        subject: what is at fault: a matter code, a hook, a plugin, a day.
        problem: what is wrong, in words.
        example: the generated input that showed it (empty when none was needed).
    """

    check: str
    subject: str
    problem: str
    example: str = ""

    def __str__(self) -> str:
        text = f"[{self.check}] {self.subject}: {self.problem}"
        return f"{text}\n    example: {self.example}" if self.example else text


@attrs.define(frozen=True, slots=True)
class ConformanceReport:
    """What :func:`check_plugin` found.

    Attributes:
        plugin: the plugin's name.
        failures: every failure, grouped by check in the order of :data:`CHECKS`.
        notes: what was not checked, and why (no matters to price, say).
        examples: the number of generated examples per property.
    """

    plugin: str
    failures: tuple[Failure, ...]
    notes: tuple[str, ...] = ()
    examples: int = 0

    @property
    def ok(self) -> bool:
        """Whether the plugin passed every check."""
        return not self.failures

    def of(self, check: str) -> tuple[Failure, ...]:
        """The failures of one group of checks."""
        return tuple(f for f in self.failures if f.check == check)

    def __str__(self) -> str:
        head = f"{self.plugin}: " + (
            "conforms" if self.ok else f"{len(self.failures)} conformance failure(s)"
        )
        lines = [head, *(f"  {f}" for f in self.failures)]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _show(value: object, limit: int = 400) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Findings:
    """Failures collected without stopping, each kept once (the first example shown)."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str, str], Failure] = {}
        self.notes: list[str] = []

    def add(
        self, check: str, subject: str, problem: str, example: object = None, key: str = ""
    ) -> None:
        index = (check, subject, key or problem)
        if index not in self.found:
            shown = "" if example is None else _show(example)
            self.found[index] = Failure(check, subject, problem, shown)

    def any(self, check: str) -> bool:
        return any(k[0] == check for k in self.found)

    def report(self, plugin: str, examples: int) -> ConformanceReport:
        ordered = sorted(self.found.values(), key=lambda f: CHECKS.index(f.check))
        return ConformanceReport(plugin, tuple(ordered), tuple(self.notes), examples)


# ---------------------------------------------------------------------- calling hooks


def _display(pm: pluggy.PluginManager, plugin: object) -> str:
    """The plugin's registered name, or its module or class name when pluggy made one up."""
    name = str(pm.get_name(plugin) or "")
    if name and not name.isdigit():
        return name
    return str(getattr(plugin, "__name__", type(plugin).__qualname__))


def _plugin_name(pm: pluggy.PluginManager, impl: Any) -> str:
    return _display(pm, impl.plugin)


def _impls(pm: pluggy.PluginManager, hook: str) -> list[Any]:
    """The hook's implementations in call order (the last registered first), no wrappers."""
    found = getattr(pm.hook, hook).get_hookimpls()
    plain = [i for i in found if not (i.hookwrapper or getattr(i, "wrapper", False))]
    return list(reversed(plain))


def _materialise(value: object) -> object:
    if value is None or isinstance(value, str | bytes | Mapping):
        return value
    if isinstance(value, Iterable):
        return list(value)
    return value


def _ask(
    find: _Findings,
    pm: pluggy.PluginManager,
    hook: str,
    kwargs: Mapping[str, Any],
    check: str,
    example: object = None,
) -> list[tuple[str, object]]:
    """Call each implementation twice; record a raise or two different answers.

    Returns:
        ``(plugin name, answer)`` for each implementation that answered, iterables as lists.
    """
    out = []
    for impl in _impls(pm, hook):
        name = _plugin_name(pm, impl)
        args = [kwargs[a] for a in impl.argnames]
        try:
            first = _materialise(impl.function(*args))
            second = _materialise(impl.function(*args))
        except Exception as exc:  # the contract under test: never raise
            find.add(
                check,
                name,
                f"{hook} raised {type(exc).__name__}: {exc}",
                example,
                key=f"{hook} raised {type(exc).__name__}",
            )
            continue
        if first != second:
            find.add(
                check,
                name,
                f"{hook} is not deterministic: {_show(first, 120)} then {_show(second, 120)}",
                example,
                key=f"{hook} not deterministic",
            )
        out.append((name, first))
    return out


def _items(
    find: _Findings, check: str, name: str, hook: str, answer: object, example: object = None
) -> list[Any]:
    """The items of a collected hook's answer (None counts as none)."""
    if answer is None:
        return []
    if not isinstance(answer, list):
        find.add(check, name, f"{hook} must return an iterable or None", answer)
        return []
    return answer


# ---------------------------------------------------------------------- running properties


def _explore(
    find: _Findings,
    check: str,
    strategy: st.SearchStrategy[Any],
    body: Callable[[Any], None],
    examples: int,
    derandomize: bool,
) -> None:
    """Run ``body`` on ``examples`` generated values; it records failures and never raises."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(value: Any) -> None:
        body(value)

    try:
        run()
    except Exception as exc:  # generation itself failed (a case the kit could not build)
        find.add(check, "kit", f"could not generate inputs: {type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------- cases


@attrs.define(frozen=True, slots=True)
class _Sample:
    """A generated case with what it was made from."""

    matter: Matter
    case: Case

    def __repr__(self) -> str:
        c = self.case
        return (
            f"case(matter={self.matter.code!r}, state={c.state.value}, materials="
            f"{sorted(c.materials)}, conditions={sorted(c.conditions)}, facts={dict(c.facts)!r}, "
            f"received_at={c.received_at.isoformat()})"
        )


_KIT_WINDOW = "kit-window"
_KIT_CLERK = "kit-clerk"


class _CaseMaker:
    """Real cases from a small in-memory hall carrying only the national plugin."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self.pm = plugin_manager()
        self.provider = SoftwareSealProvider()
        self.organisation = Organisation(
            windows=(Window(_KIT_WINDOW, "Conformance kit window", WindowKind.COMPREHENSIVE),),
            staff=(Staff(_KIT_CLERK, "Kit clerk", "conformance kit", {Role.CLERK}),),
            authorities=(
                Authority(
                    _KIT_CLERK,
                    frozenset(Power),
                    None,
                    None,
                    valid_from=calendar.first,
                    valid_to=calendar.last,
                    issued_by="conformance kit",
                    document="kit",
                ),
            ),
        )
        self.halls: dict[Matter, Hall] = {}
        self.ids = itertools.count(1)
        last = calendar.last - dt.timedelta(days=120)
        self.first = max(calendar.first, last - dt.timedelta(days=5 * 366))
        self.last = max(self.first, last)

    def hall(self, matter: Matter) -> Hall:
        hall = self.halls.get(matter)
        if hall is None:
            hall = Hall(
                catalogue=Catalogue((matter,)),
                organisation=self.organisation,
                calendar=self.calendar,
                store=MemoryStore(),
                seals=SealRegistry(),
                seal_provider=self.provider,
                settings=HallSettings(
                    new_id=lambda: f"kit-{next(self.ids):06d}", future_tolerance=None
                ),
                plugins=self.pm,
            )
            self.halls[matter] = hall
        return hall

    def cases(
        self, matters: st.SearchStrategy[Matter], facts: Callable[[Matter], Any] | None = None
    ) -> st.SearchStrategy[_Sample]:
        """Cases of the matters drawn: materials, conditions, facts, submitted or accepted."""

        @st.composite
        def build(draw: st.DrawFn) -> _Sample:
            matter = draw(matters)
            variants = [v.code for v in matter.variants]
            conditions: frozenset[str] = frozenset()
            if variants:
                conditions = draw(st.frozensets(st.sampled_from(variants)))
            codes = [m.code for m in matter.materials]
            supplied = draw(st.frozensets(st.sampled_from(codes))) if codes else frozenset()
            declared = draw(facts(matter)) if facts is not None else draw(hs.facts_for())
            accepted = draw(st.booleans())
            if accepted:
                supplied |= {m.code for m in _required(matter, conditions)}
            received = draw(hs.instants(self.first, self.last))
            hall = self.hall(matter)
            case = hall.submit(
                matter.code,
                draw(hs.natural_persons()),
                _KIT_WINDOW,
                materials=sorted(supplied),
                actor=_KIT_CLERK,
                at=received,
                conditions=sorted(conditions),
                facts=declared,
            )
            if accepted:
                later = received + dt.timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
                case = hall.accept(case.case_id, actor=_KIT_CLERK, at=later)
            return _Sample(matter, case)

        return build()


def _required(matter: Matter, conditions: Iterable[str]) -> list[Material]:
    return [m for m in matter.materials_for(tuple(conditions)) if m.required]


# ---------------------------------------------------------------------- catalogue


def _fits(promised: Limit, legal: Limit) -> bool:
    if promised.unit is legal.unit:
        return promised.amount <= legal.amount
    return promised.unit is Unit.SAME_DAY and legal.is_days


def _check_matter(
    find: _Findings, matter: Matter, kinds: frozenset[CaseKind], policy: LimitPolicy | None
) -> None:
    code = f"matter {matter.code}"
    add = find.add
    if not _fits(matter.promised_limit, matter.legal_limit):
        add(
            "catalogue",
            code,
            f"promised {matter.promised_limit} exceeds legal {matter.legal_limit}",
        )
    if policy is not None and policy.min_reduction:
        try:
            check_compression(matter, policy.min_reduction)
        except CompressionError as exc:
            add("catalogue", code, f"breaks the limit policy: {exc}")
        except Exception as exc:
            add("catalogue", code, f"the limit policy cannot be applied: {exc}")
    if kinds and matter.kind not in kinds:
        declared = sorted(k.code for k in kinds)
        add("catalogue", code, f"kind {matter.kind.code!r} is declared by no plugin ({declared})")
    if not any(b.strip() for b in matter.legal_basis):
        add("catalogue", code, "has no legal basis")
    variants = [v.code for v in matter.variants]
    if len(set(variants)) != len(variants):
        add("catalogue", code, f"variant codes repeat: {variants}")
    seen: dict[str, Material] = {}
    for material in matter.materials:
        if material.code in seen:
            add("catalogue", code, f"material code {material.code!r} is used twice")
        seen[material.code] = material
        if material.when is not None and material.when not in variants:
            add(
                "catalogue",
                code,
                f"material {material.code!r} needs variant {material.when!r}, not declared",
            )
    if matter.gaps is not None:
        for gap in matter.gaps.deferrable:
            found = seen.get(gap)
            if found is None or not (found.deferrable and found.required):
                add("catalogue", code, f"gap material {gap!r} is not a required deferrable one")
    _check_joint(find, matter)


def _check_joint(find: _Findings, matter: Matter) -> None:
    code = f"matter {matter.code}"
    joint = matter.joint
    if (matter.kind == JOINT) != (joint is not None):
        find.add("catalogue", code, "joint handling is given exactly for a joint matter")
    if joint is None:
        return
    names = {co.department for co in joint.co_departments}
    graph: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for co in joint.co_departments:
        unknown = sorted(set(co.after) - names)
        if unknown:
            find.add("catalogue", code, f"{co.department} waits for unknown {unknown}")
        graph.add(co.department, *co.after)
    try:
        graph.prepare()
    except graphlib.CycleError as exc:
        find.add("catalogue", code, f"joint dependencies form a cycle: {exc.args[1]}")
        return
    promised = matter.promised_limit
    if promised.unit is not Unit.SAME_DAY:
        chain = joint.longest_chain(promised.unit)
        if chain > promised.amount:
            find.add("catalogue", code, f"replies in order take {chain}, over {promised}")


def _collect_matters(find: _Findings, pm: pluggy.PluginManager) -> dict[str, Matter]:
    matters: dict[str, Matter] = {}
    owner: dict[str, str] = {}
    for name, answer in _ask(find, pm, "hallflow_matters", {}, "catalogue"):
        for matter in _items(find, "catalogue", name, "hallflow_matters", answer):
            if not isinstance(matter, Matter):
                find.add("catalogue", name, "hallflow_matters returned a non-Matter", matter)
            elif matter.code in matters:
                find.add(
                    "catalogue",
                    f"matter {matter.code}",
                    f"contributed by both {owner[matter.code]} and {name}",
                )
            else:
                matters[matter.code] = matter
                owner[matter.code] = name
    for code in list(matters):
        for name, amended in _ask(
            find, pm, "hallflow_amend_matter", {"matter": matters[code]}, "catalogue"
        ):
            if amended is None:
                continue
            if not isinstance(amended, Matter) or amended.code != code:
                find.add(
                    "catalogue",
                    f"matter {code}",
                    f"{name}'s amendment is not a Matter of the same code",
                    amended,
                )
                continue
            matters[code] = amended
    return matters


def _check_catalogue(find: _Findings, pm: pluggy.PluginManager) -> list[Matter]:
    matters = _collect_matters(find, pm)
    kinds: frozenset[CaseKind] = frozenset()
    try:
        kinds = case_kinds(pm)
    except Exception as exc:
        find.add("catalogue", "hallflow_case_kinds", f"raised {type(exc).__name__}: {exc}")
    policy: LimitPolicy | None = None
    try:
        answer = limit_policy(pm)
        if answer is not None and not isinstance(answer, LimitPolicy):
            find.add("catalogue", "hallflow_limit_policy", "must return a LimitPolicy", answer)
        else:
            policy = answer
    except Exception as exc:
        find.add("catalogue", "hallflow_limit_policy", f"raised {type(exc).__name__}: {exc}")
    if policy is not None:
        if not 0 <= policy.min_reduction < 1:
            find.add("catalogue", "hallflow_limit_policy", "min_reduction must lie in [0, 1)")
        if not 0 < policy.green_channel <= 1:
            find.add("catalogue", "hallflow_limit_policy", "green_channel must lie in (0, 1]")
    for matter in matters.values():
        _check_matter(find, matter, kinds, policy)
    try:
        assemble_catalogue(pm)
    except Exception as exc:
        if not find.any("catalogue"):
            find.add("catalogue", "assemble_catalogue", f"raised {type(exc).__name__}: {exc}")
    return list(matters.values())


# ---------------------------------------------------------------------- fees


def _fee_rules(find: _Findings, pm: pluggy.PluginManager, matter: Matter) -> list[FeeRule]:
    """The matter's valid fee rules; each broken rule is recorded and left out."""
    subject = f"matter {matter.code}"
    rules: list[FeeRule] = []
    for name, answer in _ask(find, pm, "hallflow_fee_rules", {"matter": matter}, "fees", matter):
        for rule in _items(find, "fees", name, "hallflow_fee_rules", answer):
            if not isinstance(rule, FeeRule):
                find.add("fees", subject, f"{name} returned a non-FeeRule", rule)
                continue
            problems = []
            if not isinstance(rule.basis, str) or not rule.basis.strip():
                problems.append("has no legal basis")
            bounds = [rule.low] if rule.high is None else [rule.low, rule.high]
            for amount in bounds:
                if not isinstance(amount, Decimal) or not amount.is_finite():
                    problems.append(f"amount {amount!r} is not a Decimal")
                elif amount < 0:
                    problems.append(f"amount {amount} is negative")
                elif amount != amount.quantize(_FEN):
                    problems.append(f"amount {amount} is not exact to the fen")
            if rule.high is not None and not problems and rule.high < rule.low:
                problems.append(f"range {rule.low}..{rule.high} is upside down")
            if rule.high is not None and not rule.fact.strip():
                problems.append("a range names no fact to declare its amount")
            for problem in problems:
                find.add("fees", subject, f"fee {rule.name!r} {problem}", rule)
            if not problems:
                rules.append(rule)
    names = [r.name for r in rules]
    for twice in sorted({n for n in names if names.count(n) > 1}):
        find.add("fees", subject, f"fee name {twice!r} is used twice (exemptions match by name)")
    charged = [r for r in rules if r.low > 0 or (r.high is not None and r.high > 0)]
    if charged and not matter.has_fee:
        find.add(
            "fees",
            subject,
            f"charges {[r.name for r in charged]} but the matter's guide says no fee is charged "
            "(set fee_basis and fee_standard)",
        )
    return rules


def _declaration_problem(rules: Sequence[FeeRule], facts: Mapping[str, Any]) -> str | None:
    for rule in rules:
        if rule.high is None:
            continue
        try:
            declared_amount(rule, facts)
        except FeeError as exc:
            return str(exc)
    return None


def _check_quote(
    find: _Findings,
    pm: pluggy.PluginManager,
    sample: _Sample,
    rules: list[FeeRule],
    range_rule: str | None,
) -> None:
    matter, case = sample.matter, sample.case
    subject = f"matter {matter.code}"
    kwargs = {"matter": matter, "case": case, "facts": case.facts}
    exemptions: list[Exemption] = []
    for name, answer in _ask(find, pm, "hallflow_fee_exemptions", kwargs, "fees", sample):
        for item in _items(find, "fees", name, "hallflow_fee_exemptions", answer, sample):
            if not isinstance(item, Exemption):
                find.add("fees", name, "hallflow_fee_exemptions returned a non-Exemption", item)
            elif not (item.reason.strip() and item.basis.strip() and item.fee.strip()):
                find.add("fees", name, "an exemption needs a fee, a reason and a basis", item)
            else:
                exemptions.append(item)
    expected = _declaration_problem(rules, case.facts) if range_rule == "declared" else None
    try:
        quote = price(rules, exemptions, range_rule, case.facts)
    except FeeError as exc:
        if expected is None:
            find.add("fees", subject, f"pricing refused a valid application: {exc}", sample)
        return
    except Exception as exc:
        find.add("fees", subject, f"pricing raised {type(exc).__name__}: {exc}", sample)
        return
    if expected is not None:
        find.add("fees", subject, f"pricing accepted a bad declaration ({expected})", sample)
    if len(quote.lines) != len(rules):
        find.add("fees", subject, "the quote does not have one line per fee", sample)
    for line in quote.lines:
        if line.amount < 0 or line.amount != line.amount.quantize(_FEN):
            find.add("fees", subject, f"line {line.name!r} charges {line.amount}", sample)
        if not line.basis.strip():
            find.add("fees", subject, f"line {line.name!r} has no basis", sample)
    total = sum((line.amount for line in quote.lines), Decimal("0.00"))
    if quote.total != total or quote.total < 0:
        find.add("fees", subject, f"total {quote.total} is not the sum {total}", sample)


def _check_fees(
    find: _Findings,
    pm: pluggy.PluginManager,
    matters: list[Matter],
    maker: _CaseMaker | None,
    examples: int,
    derandomize: bool,
) -> None:
    range_rule: str | None = None
    try:
        answer = pm.hook.hallflow_fee_range_rule()
        if answer is not None and answer not in RANGE_RULES:
            find.add(
                "fees", "hallflow_fee_range_rule", f"must be one of {list(RANGE_RULES)}", answer
            )
        else:
            range_rule = answer
    except Exception as exc:
        find.add("fees", "hallflow_fee_range_rule", f"raised {type(exc).__name__}: {exc}")
    if maker is None:
        find.notes.append("fees: quotes not checked (no calendar to build cases on)")
        for matter in matters:
            _fee_rules(find, pm, matter)
        return
    targets: list[st.SearchStrategy[Matter]] = [st.just(m) for m in matters]
    targets.append(hs.matters())
    for target in targets:
        rules_of: dict[Matter, list[FeeRule]] = {}

        def rules_for(matter: Matter, cache: dict[Matter, list[FeeRule]] = rules_of) -> Any:
            if matter not in cache:
                cache[matter] = _fee_rules(find, pm, matter)
            return hs.facts_for(cache[matter])

        def body(sample: _Sample, cache: dict[Matter, list[FeeRule]] = rules_of) -> None:
            _check_quote(find, pm, sample, cache[sample.matter], range_rule)

        _explore(find, "fees", maker.cases(target, rules_for), body, examples, derandomize)


# ---------------------------------------------------------------------- escalations and policies


def _matter_strategy(matters: list[Matter]) -> st.SearchStrategy[Matter]:
    if matters:
        return st.one_of(st.sampled_from(matters), hs.matters())
    return hs.matters()


@attrs.define(frozen=True, slots=True)
class _Situation:
    sample: _Sample
    clock: str
    status: ClockStatus
    approved_by: str

    def __repr__(self) -> str:
        st_ = self.status
        status = (
            f"{st_.state.value} {st_.level.name} limit={st_.limit} remaining={st_.remaining:g} "
            f"at={st_.at.isoformat()}"
        )
        return f"clock {self.clock!r} {status}; approved_by={self.approved_by!r}; {self.sample!r}"


def _situations(maker: _CaseMaker, matters: list[Matter]) -> st.SearchStrategy[_Situation]:
    return st.builds(
        _Situation,
        maker.cases(_matter_strategy(matters)),
        st.sampled_from(hs.CLOCK_NAMES),
        hs.clock_statuses(),
        st.sampled_from([_KIT_CLERK, "chief", "director", "deputy"]),
    )


def _check_escalations(find: _Findings, pm: pluggy.PluginManager, s: _Situation) -> None:
    kwargs = {
        "matter": s.sample.matter,
        "case": s.sample.case,
        "clock": s.clock,
        "status": s.status,
        "at": s.status.at,
    }
    codes: dict[str, str] = {}
    for name, answer in _ask(find, pm, "hallflow_escalations", kwargs, "escalations", s):
        for item in _items(find, "escalations", name, "hallflow_escalations", answer, s):
            if not isinstance(item, Escalation):
                find.add("escalations", name, "returned a non-Escalation", s, key="type")
            elif not isinstance(item.code, str) or not item.code.strip():
                find.add("escalations", name, "returned an escalation without a code", s)
            elif item.code in codes:
                find.add(
                    "escalations",
                    codes[item.code],
                    f"code {item.code!r} is also returned by {name} for the same clock; "
                    "only one is recorded",
                    s,
                    key=f"code twice {item.code}",
                )
            else:
                codes[item.code] = name


def _check_policies(find: _Findings, pm: pluggy.PluginManager, s: _Situation) -> None:
    matter, case, status = s.sample.matter, s.sample.case, s.status
    kwargs: dict[str, Any] = {
        "matter": matter,
        "case": case,
        "status": status,
        "at": status.at,
        "approved_by": s.approved_by,
        "facts": case.facts,
        "clock": s.clock if s.clock in ("legal", "promised") else "legal",
        "extra": Limit(max(1, status.limit.amount // 2), status.limit.unit)
        if status.limit.unit is not Unit.SAME_DAY
        else Limit.working_days(1),
    }
    for name, answer in _ask(find, pm, "hallflow_deemed_approval", kwargs, "policies", s):
        if answer is not None and not isinstance(answer, bool):
            find.add("policies", name, "hallflow_deemed_approval must return a bool or None", s)
    for name, answer in _ask(find, pm, "hallflow_extension_refusal", kwargs, "policies", s):
        if answer is not None and not (isinstance(answer, str) and answer.strip()):
            find.add("policies", name, "hallflow_extension_refusal must return a reason or None", s)
    for name, answer in _ask(find, pm, "hallflow_check_application", kwargs, "policies", s):
        for item in _items(find, "policies", name, "hallflow_check_application", answer, s):
            if not isinstance(item, AcceptanceProblem):
                find.add("policies", name, "hallflow_check_application: a non-problem", s)


def _check_silence(find: _Findings, pm: pluggy.PluginManager, matters: Iterable[Matter]) -> None:
    for matter in matters:
        for name, answer in _ask(
            find, pm, "hallflow_silence_policy", {"matter": matter}, "policies", matter
        ):
            if answer is not None and answer not in set(SilencePolicy):
                find.add("policies", name, "hallflow_silence_policy: not a SilencePolicy", answer)


# ---------------------------------------------------------------------- calendar


def _check_calendar(find: _Findings, pm: pluggy.PluginManager, until: int) -> WorkCalendar | None:
    for name, hours in _ask(find, pm, "hallflow_hall_hours", {}, "calendar"):
        if hours is not None and not isinstance(hours, HallHours):
            find.add("calendar", name, "hallflow_hall_hours must return HallHours or None", hours)
    marks: dict[dt.date, dict[bool, str]] = {}
    ours: list[tuple[str, Overlay]] = []
    for name, answer in _ask(find, pm, "hallflow_calendar_overlays", {}, "calendar"):
        for overlay in _items(find, "calendar", name, "hallflow_calendar_overlays", answer):
            if not isinstance(overlay, Overlay):
                find.add("calendar", name, "hallflow_calendar_overlays: a non-Overlay", overlay)
                continue
            ours.append((name, overlay))
            for day, working, _reason in overlay.entries():
                marks.setdefault(day, {})[working] = overlay.name
    for day in sorted(d for d, both in marks.items() if len(both) == 2):
        find.add(
            "calendar",
            f"day {day}",
            f"a holiday in overlay {marks[day][False]!r} and a working day in {marks[day][True]!r}",
        )
    try:
        calendar = assemble_calendar(pm, until=until)
    except Exception as exc:
        find.add("calendar", "assemble_calendar", f"raised {type(exc).__name__}: {exc}")
        return None
    hours = calendar.hours
    weekdays: set[int] = set()
    day = calendar.first
    while day <= calendar.last and len(weekdays) < 7:
        if calendar.is_working_day(day):
            weekdays.add(day.weekday())
        day += dt.timedelta(days=1)
    for weekday in sorted(weekdays):
        shifts = hours.shifts_on(weekday)
        if not shifts:
            find.add("calendar", f"weekday {weekday}", "working days have no shifts")
            continue
        cutoff = hours.cutoff_on(weekday)
        if cutoff <= shifts[0].start:
            find.add(
                "calendar",
                f"weekday {weekday}",
                f"the cut-off {cutoff} is at or before opening ({shifts[0].start}): no receipt "
                "could count the same day",
            )
    # the topmost of the plugins' overlays decides each day it names (within the range)
    decided: dict[dt.date, bool] = {}
    for _name, overlay in reversed(ours):  # registration order: the last one wins
        for day, working, _reason in overlay.entries():
            decided[day] = working
    for day, working in sorted(decided.items()):
        if calendar.first <= day <= calendar.last and calendar.is_working_day(day) != working:
            find.add(
                "calendar", f"day {day}", "the calendar does not decide it as the overlay says"
            )
    return calendar


# ---------------------------------------------------------------------- supervision


def _check_matter_supervision(find: _Findings, pm: pluggy.PluginManager, matter: Matter) -> None:
    """A matter's escalation ladders (they must combine) and its default rating."""
    from hallflow.supervision.evaluation import DefaultRating
    from hallflow.timeline.ladder import Ladder, combine

    ladders: list[Ladder] = []
    for name, answer in _ask(
        find, pm, "hallflow_escalation_ladders", {"matter": matter}, "supervision", matter
    ):
        for ladder in _items(
            find, "supervision", name, "hallflow_escalation_ladders", answer, matter
        ):
            if isinstance(ladder, Ladder):
                ladders.append(ladder)
            else:
                find.add("supervision", name, "hallflow_escalation_ladders: a non-Ladder", ladder)
    try:
        combine(ladders)
    except HallflowError as exc:
        find.add("supervision", matter.code, f"the matter's ladders do not combine: {exc}")
    for name, answer in _ask(
        find, pm, "hallflow_default_rating", {"matter": matter}, "supervision", matter
    ):
        if answer is not None and not isinstance(answer, DefaultRating):
            find.add("supervision", name, "hallflow_default_rating: not a DefaultRating", answer)


def _check_supervision(find: _Findings, pm: pluggy.PluginManager) -> None:
    """Check the supervision hooks: each answers None or a value of its type.

    Ladders, default ratings, rectification and complaint limits, the scoring scheme; and
    the ladders of each matter combine (unique rung codes, at most 31 rungs).
    """
    from hallflow.supervision.complaints import ComplaintCategory, Handling
    from hallflow.supervision.scoring import ScoringScheme

    for name, answer in _ask(find, pm, "hallflow_rectification_limits", {}, "supervision"):
        if answer is None:
            continue
        if not isinstance(answer, Mapping) or set(answer) != {"verify", "rectify", "revisit"}:
            find.add(
                "supervision",
                name,
                "hallflow_rectification_limits: a mapping of verify, rectify and revisit",
                answer,
            )
        elif not all(isinstance(v, Limit) for v in answer.values()):
            find.add("supervision", name, "hallflow_rectification_limits: not Limits", answer)
    for category, handling in itertools.product(ComplaintCategory, Handling):
        kwargs = {"category": category.value, "handling": handling.value}
        for name, answer in _ask(
            find, pm, "hallflow_complaint_limit", kwargs, "supervision", kwargs
        ):
            if answer is not None and not isinstance(answer, Limit):
                find.add("supervision", name, "hallflow_complaint_limit: not a Limit", answer)
    for name, answer in _ask(find, pm, "hallflow_scoring_scheme", {}, "supervision"):
        if answer is not None and not isinstance(answer, ScoringScheme):
            find.add("supervision", name, "hallflow_scoring_scheme: not a ScoringScheme", answer)


# ---------------------------------------------------------------------- seals and sinks


def _check_seals_and_sinks(find: _Findings, pm: pluggy.PluginManager) -> None:
    for kind in SealKind:
        for name, answer in _ask(find, pm, "hallflow_seal_holder_roles", {"kind": kind}, "seals"):
            if answer is None:
                continue
            roles = _items(find, "seals", name, "hallflow_seal_holder_roles", answer)
            if not roles:
                find.add("seals", name, f"no role may hold a {kind.value} seal")
            elif not all(isinstance(r, Role) for r in roles):
                find.add("seals", name, f"{kind.value} seal holders must be Roles", roles)
    names: dict[str, str] = {}
    for plugin, answer in _ask(find, pm, "hallflow_event_sinks", {}, "sinks"):
        for sink in _items(find, "sinks", plugin, "hallflow_event_sinks", answer):
            if not isinstance(sink, EventSink):
                find.add("sinks", plugin, "a sink needs a name and deliver(event)", sink)
                continue
            name = sink.name
            if not isinstance(name, str) or not name.strip():
                find.add("sinks", plugin, "a sink needs a non-blank name", sink)
            elif name in names:
                find.add("sinks", plugin, f"sink name {name!r} is also used by {names[name]}")
            else:
                names[name] = plugin


# ---------------------------------------------------------------------- entry points


def check_plugin(
    plugin: object,
    *,
    examples: int = 50,
    until: int = 2030,
    derandomize: bool = True,
) -> ConformanceReport:
    """Check a plugin against every hook's contract; never raises for a broken plugin.

    The plugin is registered after the national defaults (``plugin_manager([plugin])``), as
    a hall would have it. See the module's documentation for what is checked.

    Do not call this inside a ``@given`` test: it runs hypothesis itself.

    Args:
        plugin: the plugin object or module (what the package registers).
        examples: generated examples per property (per matter for fees).
        until: the last calendar year assembled.
        derandomize: generate the same examples on every run (reproducible CI); pass False
            to explore afresh each time.

    Returns:
        The report: every failure found, with an example input where one was generated.
    """
    from hallflow.plugins.builtin import national

    pm = plugin_manager() if plugin is national else plugin_manager([plugin])
    name = _display(pm, plugin)
    find = _Findings()
    matters = _check_catalogue(find, pm)
    calendar = _check_calendar(find, pm, until)
    maker = _CaseMaker(calendar) if calendar is not None else None
    _check_fees(find, pm, matters, maker, examples, derandomize)
    _check_silence(find, pm, matters)
    if maker is None:
        find.notes.append("escalations and policies: not checked (the calendar did not assemble)")
    else:
        situations = _situations(maker, matters)
        _explore(
            find,
            "escalations",
            situations,
            lambda s: _check_escalations(find, pm, s),
            examples,
            derandomize,
        )
        _explore(
            find,
            "policies",
            situations,
            lambda s: _check_policies(find, pm, s),
            examples,
            derandomize,
        )
    _explore(
        find,
        "supervision",
        _matter_strategy(matters),
        lambda m: _check_matter_supervision(find, pm, m),
        examples,
        derandomize,
    )
    _check_supervision(find, pm)
    _check_seals_and_sinks(find, pm)
    if not matters:
        find.notes.append("catalogue: the plugins contribute no matters; generated ones were used")
    return find.report(name, examples)


def assert_conforms(
    plugin: object,
    *,
    examples: int = 50,
    until: int = 2030,
    derandomize: bool = True,
) -> ConformanceReport:
    """Like :func:`check_plugin`, for a test: raise listing every failure, else the report.

    Raises:
        AssertionError: the plugin breaks a contract (the message lists every failure).
    """
    report = check_plugin(plugin, examples=examples, until=until, derandomize=derandomize)
    if not report.ok:
        raise AssertionError(str(report))
    return report
