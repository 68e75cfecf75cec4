"""The decision: approve or deny, deemed approval, approval on the applicant's pledge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hallflow.cases.case import Case
from hallflow.cases.commands import ApproveOnPledge, Decide, DeemApproved, VerifyPledge
from hallflow.cases.lifecycle import Command
from hallflow.cases.pipeline import Rule, event
from hallflow.errors import CaseCommandError, CaseStateError
from hallflow.model.org import Power
from hallflow.store.base import NewEvent

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = ["RULES", "broken_pledges"]


def _opinions_allow(hall: Hall, case: Case, actor: str) -> None:
    spec = hall.catalogue.get(case.matter)
    if spec.joint is None:
        return
    replied = {o.department: o for o in case.opinions}
    for co in spec.joint.co_departments:
        opinion = replied.get(co.department)
        if opinion is None or opinion.consent is None:
            raise CaseStateError(
                actor, "approve", case.case_id, f"no opinion yet from {co.department}"
            )
        if not opinion.consent:
            raise CaseStateError(
                actor, "approve", case.case_id, f"{co.department} objects: {opinion.reasons}"
            )


def decide(hall: Hall, case: Case, command: Decide) -> list[NewEvent]:
    """Approve (准予) or deny (不予); a denial gives reasons and tells the remedies."""
    actor = command.actor
    pending = [s.step for s in case.steps if not s.done]
    if pending:
        raise CaseStateError(actor, "decide", case.case_id, f"review steps pending: {pending}")
    if not command.approve and not command.reasons.strip():
        raise CaseCommandError(actor, "deny", case.case_id, "a denial must give reasons")
    if command.approve:
        if case.deferred[0]:
            raise CaseStateError(
                actor, "approve", case.case_id, f"deferred materials {list(case.deferred[0])}"
            )
        _opinions_allow(hall, case, actor)
    remedies = [] if command.approve else list(hall.settings.remedies)
    return [
        event(
            "decided",
            actor,
            command.at,
            outcome="approved" if command.approve else "denied",
            reasons=command.reasons,
            remedies=remedies,
        )
    ]


def deem_approved(hall: Hall, case: Case, command: DeemApproved) -> list[NewEvent]:
    """Deemed approval (超时默认) when its conditions hold.

    Accepted with complete materials, not decided within the limit (the legal one, or the
    one ``hallflow_deemed_approval_clock`` names), and no extension still running.
    """
    actor, at = command.actor, command.at
    matter = hall.catalogue.get(case.matter)
    if case.deferred[0]:
        raise CaseStateError(actor, "deem approved", case.case_id, "materials were incomplete")
    name = hall.plugins.hook.hallflow_deemed_approval_clock(matter=matter) or "legal"
    clock = hall.clocks(case).get(name)
    if clock is None:
        raise CaseStateError(actor, "deem approved", case.case_id, f"no {name} clock running")
    status = clock.status(at)
    if at <= status.due:
        raise CaseStateError(
            actor,
            "deem approved",
            case.case_id,
            f"the {name} limit (with extensions) runs until {status.due.isoformat()}",
        )
    allowed = hall.plugins.hook.hallflow_deemed_approval(
        matter=matter, case=case, status=status, at=at
    )
    if not allowed:
        raise CaseCommandError(
            actor, "deem approved", case.case_id, "this hall's rules provide no deemed approval"
        )
    return [
        event(
            "deemed_approved",
            actor,
            at,
            approved=True,
            reasons=f"not decided by {status.due.isoformat()}",
        )
    ]


def broken_pledges(hall: Hall, applicant: str) -> list[str]:
    """The cases in which ``applicant`` broke a pledge."""
    out = []
    for row in hall.store.find(applicant=applicant):
        case = hall.case(row.case_id)
        if case.pledge_kept is False:
            out.append(case.case_id)
    return out


def approve_on_pledge(hall: Hall, case: Case, command: ApproveOnPledge) -> list[NewEvent]:
    """Approve on the applicant's pledge (告知承诺): allowed matters, no broken pledge before."""
    actor, at = command.actor, command.at
    spec = hall.catalogue.get(case.matter)
    if not spec.pledge_allowed:
        raise CaseCommandError(
            actor, "approve on pledge", case.case_id, f"matter {spec.code} allows no pledge"
        )
    if broken_pledges(hall, case.applicant):
        raise CaseCommandError(
            actor,
            "approve on pledge",
            case.case_id,
            f"applicant {case.applicant} broke an earlier pledge (credit record)",
        )
    if command.verify_by < at.astimezone(hall.calendar.hours.tzinfo).date():
        raise CaseCommandError(actor, "approve on pledge", case.case_id, "verify_by is past")
    return [
        event(
            "approved_on_pledge",
            actor,
            at,
            verify_by=command.verify_by.isoformat(),
            clock_start=at.isoformat(),
            reasons="approved on the applicant's pledge",
        )
    ]


def verify_pledge(hall: Hall, case: Case, command: VerifyPledge) -> list[NewEvent]:
    """The verification of a pledge; a broken one goes on the applicant's record."""
    if case.pledge_verify_by is None or case.pledge_kept is not None:
        raise CaseStateError(
            command.actor, "verify a pledge", case.case_id, "no pledge awaits verification"
        )
    return [event("pledge_verified", command.actor, command.at, kept=command.kept)]


RULES: dict[type[Any], Rule[Any]] = {
    Decide: Rule(decide, power=Power.DECIDE, lifecycle=Command.DECIDE),
    DeemApproved: Rule(deem_approved, system=True, lifecycle=Command.DEEM_APPROVED),
    ApproveOnPledge: Rule(
        approve_on_pledge, power=Power.DECIDE, lifecycle=Command.APPROVE_ON_PLEDGE
    ),
    VerifyPledge: Rule(verify_pledge, power=Power.REVIEW, states=None),
}
"""The decision commands' rules."""
