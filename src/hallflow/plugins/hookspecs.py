"""Every hook a hallflow plugin can implement, grouped by the phase that calls it.

A plugin is any object or module with functions marked ``@hallflow.hookimpl`` whose names
match these specifications. ``docs/plugins.md`` documents each hook (a test fails when one
is missing there). Hooks marked *first result* stop at the first plugin that returns
something other than None; the others collect every plugin's answer.

Plugins registered later are called first (pluggy's order); hallflow's national defaults
(:mod:`hallflow.plugins.builtin`) are registered first, so a locality's answer wins where
only one answer is used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from hallflow.calendar.hours import HallHours
    from hallflow.calendar.overlay import Overlay
    from hallflow.cases.case import Case
    from hallflow.model.catalogue import CaseKind, Matter, SilencePolicy
    from hallflow.model.org import Role
    from hallflow.plugins.policy import (
        AcceptanceProblem,
        Escalation,
        EventSink,
        Exemption,
        FeeRule,
        LimitPolicy,
    )
    from hallflow.seals import SealKind, SealProvider
    from hallflow.supervision.evaluation import DefaultRating
    from hallflow.supervision.scoring import ScoringScheme
    from hallflow.timeline.clock import ClockStatus
    from hallflow.timeline.ladder import Ladder
    from hallflow.timeline.limits import Limit

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "hallflow"
"""The pluggy project name; also the entry-point group plugins are found under."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------------- catalogue


@hookspec
def hallflow_matters() -> Iterable[Matter]:  # type: ignore[empty-body]
    """Contribute matters to the hall's catalogue.

    Called once when a hall is assembled. Every plugin's matters are collected; two plugins
    contributing the same code is an error (amend a matter instead).

    Returns:
        The plugin's matters.
    """


@hookspec
def hallflow_amend_matter(matter: Matter) -> Matter | None:
    """Amend a matter contributed by any plugin (a locality tightening a national limit).

    Called once per matter when a hall is assembled, after all matters are collected.
    Amendments chain: each plugin, in call order, receives the matter as amended so far.

    Args:
        matter: the matter as contributed (or as amended by plugins called earlier).

    Returns:
        The amended matter (same code), or None to leave it unchanged.
    """


# ---------------------------------------------------------------------- calendar


@hookspec
def hallflow_calendar_overlays() -> Iterable[Overlay]:  # type: ignore[empty-body]
    """Add layers over the national calendar: extra holidays, extra working days.

    Called once when a hall is assembled; every plugin's overlays are stacked in call order
    over the national layer (they never replace it).

    Returns:
        The plugin's overlays.
    """


@hookspec(firstresult=True)
def hallflow_hall_hours() -> HallHours | None:
    """The hall's hours: shifts, Saturday duty windows, cut-off, zone.

    Called once when a hall is assembled. First result: stops at the first non-None result.

    Returns:
        The hours, or None to leave the choice to other plugins.
    """


# ---------------------------------------------------------------------- kinds and limits


@hookspec
def hallflow_case_kinds() -> Iterable[CaseKind]:  # type: ignore[empty-body]
    """The kinds of case the locality uses (five in Zhenlai, four in Xiangyang).

    Called once when a hall is assembled. The union of all plugins' kinds is the set a
    matter may use; a matter of another kind is refused when the catalogue is checked.

    Returns:
        The plugin's kinds.
    """


@hookspec(firstresult=True)
def hallflow_limit_policy() -> LimitPolicy | None:
    """How much shorter than the law's the promised limits must be, and the green channel.

    Called once when a hall is assembled; every matter is checked against the policy and a
    matter breaking it is refused with a clear error. First result: stops at the first
    non-None result.

    Returns:
        The policy, or None.
    """


# ---------------------------------------------------------------------- acceptance


@hookspec
def hallflow_check_application(
    matter: Matter, case: Case, facts: Mapping[str, Any]
) -> Iterable[AcceptanceProblem] | None:
    """Extra validation of an application before it is accepted (amount limits, say).

    Called by ``Hall.accept`` and ``Hall.accept_with_gaps`` after the core checks. Every
    plugin's problems are collected; any problem refuses the acceptance and is named in the
    error.

    Args:
        matter: the matter applied for.
        case: the case as it stands.
        facts: the application's declared facts (``Hall.submit(..., facts=...)``).

    Returns:
        The problems found (empty or None when the application is fine).
    """


# ---------------------------------------------------------------------- review and joint


@hookspec(firstresult=True)
def hallflow_silence_policy(matter: Matter) -> SilencePolicy | None:
    """What a co-department's silence past its reply deadline means for ``matter``.

    Called by ``Hall.sweep_opinions`` for each overdue opinion. First result: stops at the
    first non-None result; when every plugin returns None, the matter's own setting holds.

    Args:
        matter: the joint matter.

    Returns:
        Consent, block or escalate; or None.
    """


@hookspec
def hallflow_extension_refusal(
    matter: Matter,
    case: Case,
    status: ClockStatus,
    at: dt.datetime,
    approved_by: str,
    clock: str,
    extra: Limit,
) -> str | None:
    """Say why an extension may not be granted (Sichuan: written approval before expiry).

    Called by ``Hall.extend`` after the core checks. Every plugin is asked; any reason
    refuses the extension.

    Args:
        matter: the matter.
        case: the case.
        status: the status of the clock to extend, at ``at``.
        at: when the extension is approved.
        approved_by: who approves it.
        clock: the clock's name (``legal`` or ``promised``).
        extra: the time the extension adds. (An implementation may take fewer arguments.)

    Returns:
        A reason to refuse, or None.
    """


@hookspec(firstresult=True)
def hallflow_deemed_approval_clock(matter: Matter) -> str | None:
    """Which limit a deemed approval runs from: ``"legal"`` (the default) or ``"promised"``.

    Called by ``Hall.deem_approved`` before :func:`hallflow_deemed_approval`. First result:
    stops at the first non-None result. Shizhu's rule counts from the promised limit.

    Args:
        matter: the matter.

    Returns:
        The clock's name, or None.
    """


@hookspec(firstresult=True)
def hallflow_deemed_approval(
    matter: Matter, case: Case, status: ClockStatus, at: dt.datetime
) -> bool | None:
    """Whether deemed approval (超时默认) applies to this case now.

    Called by ``Hall.deem_approved`` and by the escalation sweep. First result: stops at
    the first non-None result. The built-in plugin answers False (the national law has no
    deemed approval for licences); Shizhu's conditions answer True when they all hold.

    Args:
        matter: the matter.
        case: the case.
        status: the legal clock's status at ``at``.
        at: the instant.

    Returns:
        True or False, or None to leave it to other plugins.
    """


# ---------------------------------------------------------------------- fees


@hookspec
def hallflow_fee_rules(matter: Matter) -> Iterable[FeeRule] | None:
    """The fees charged for ``matter``, each with its legal basis and standard.

    Called by ``Hall.quote``. Every plugin's rules are collected.

    Args:
        matter: the matter.

    Returns:
        The fee rules, or None.
    """


@hookspec
def hallflow_fee_exemptions(
    matter: Matter, case: Case, facts: Mapping[str, Any]
) -> Iterable[Exemption] | None:
    """Listed exemptions that apply to this case (disaster reconstruction, say).

    Called by ``Hall.quote``; every plugin's exemptions are collected.

    Args:
        matter: the matter.
        case: the case.
        facts: the application's declared facts.

    Returns:
        The exemptions that apply, or None.
    """


@hookspec(firstresult=True)
def hallflow_fee_range_rule() -> str | None:
    """How a fee given as a range is charged.

    ``"lower"``: always the lower bound; ``"declared"``: within the range, as the case's
    facts say.

    Called by ``Hall.quote``. First result: stops at the first non-None result.

    Returns:
        The rule, or None.
    """


# ---------------------------------------------------------------------- seals


@hookspec(firstresult=True)
def hallflow_seal_provider() -> SealProvider | None:
    """The seal provider that signs decisions (the software Ed25519 provider by default).

    Called once when a hall is assembled. First result: stops at the first non-None result.

    Returns:
        A provider, or None.
    """


@hookspec(firstresult=True)
def hallflow_seal_holder_roles(kind: SealKind) -> Iterable[Role] | None:
    """Which roles may hold (and use) a seal of ``kind`` — a locality setting.

    Called by ``Hall.seal``. First result: stops at the first non-None result.

    Args:
        kind: the seal's kind.

    Returns:
        The roles, or None.
    """


# ---------------------------------------------------------------------- escalation


@hookspec
def hallflow_escalations(
    matter: Matter, case: Case, clock: str, status: ClockStatus, at: dt.datetime
) -> Iterable[Escalation] | None:
    """What supervision does about a clock now (a reminder, a warning, a referral).

    Called by ``Hall.sweep`` for every open case and each of its clocks; the bulk sweep
    (:func:`hallflow.supervision.sweep.sweep`) calls it only for the clocks whose warning
    level or ladder rungs rose since the case last changed, so an implementation answers
    only for clocks at the reminder or overdue level (rules on thresholds belong in
    ``hallflow_escalation_ladders``). Every plugin's escalations are collected; each is
    recorded once per case, clock and code, so a sweep run twice records nothing twice.

    Args:
        matter: the matter.
        case: the case.
        clock: the clock's name (``promised`` or ``legal``).
        status: the clock's status at ``at``.
        at: the sweep's instant.

    Returns:
        The escalations due, or None.
    """


@hookspec
def hallflow_escalation_ladders(matter: Matter) -> Iterable[Ladder] | None:
    """The escalation ladders (催办 ladders) that watch the clocks of a matter's cases, as data.

    Called by the sweeps (``Hall.sweep`` and :func:`hallflow.supervision.sweep.sweep`), once
    per matter and hall. Every plugin's ladders are collected and evaluated together; a rung
    reached is recorded like an escalation (once per case, clock and code). Ladders are
    evaluated on a million clocks at once with numpy, so a rule that only compares a clock's
    remaining time with a threshold belongs here rather than in ``hallflow_escalations``.

    Args:
        matter: the matter.

    Returns:
        The ladders (:class:`hallflow.timeline.ladder.Ladder`), or None.
    """


# ---------------------------------------------------------------------- event sinks


@hookspec
def hallflow_event_sinks() -> Iterable[EventSink]:  # type: ignore[empty-body]
    """External systems every event is pushed to (the province's supervision platform).

    Called once when a hall is assembled. Every plugin's sinks are collected; each event is
    delivered to each sink at least once, in order per case, through a durable outbox.

    Returns:
        The sinks.
    """


# ---------------------------------------------------------------------- evaluations, complaints,
# scoring (hallflow.supervision)


@hookspec(firstresult=True)
def hallflow_default_rating(matter: Matter) -> DefaultRating | None:
    """The rating a closed case of ``matter`` gets when its applicant gives none.

    Called by ``Supervision.default_ratings`` for each closed case without a rating. First
    result: stops at the first non-None result. The national default is None (no default
    rating); a locality answers e.g. 7 calendar days → basically satisfied.

    Args:
        matter: the case's matter.

    Returns:
        The period after closure and the level, or None for no default rating.
    """


@hookspec(firstresult=True)
def hallflow_rectification_limits() -> Mapping[str, Limit] | None:
    """The limits of a bad rating's verification, rectification and follow-up visit.

    Called by ``Supervision`` whenever it builds a bad rating's clocks. First result: stops
    at the first non-None result.

    Returns:
        A mapping with the keys ``verify``, ``rectify`` and ``revisit`` (each a Limit), or
        None.
    """


@hookspec(firstresult=True)
def hallflow_complaint_limit(category: str, handling: str) -> Limit | None:
    """The time the hall has to conclude a complaint.

    Called by ``Supervision.complaint_clock``. First result: stops at the first non-None
    result.

    Args:
        category: the complaint's category (``wrongful_rejection``, ``overdue``...).
        handling: ``centre``, ``forwarded`` or ``joint``.

    Returns:
        The limit, or None.
    """


@hookspec(firstresult=True)
def hallflow_scoring_scheme() -> ScoringScheme | None:
    """The locality's scoring scheme for windows and staff, as data.

    Called by ``hallflow.supervision.scoring.scheme_of``. First result: stops at the first
    non-None result. The national default is None: the law sets no scores.

    Returns:
        The scheme, or None.
    """
