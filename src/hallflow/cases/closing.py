"""Closing: the seal, delivery, withdrawal, revocation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hallflow.cases.case import Case
from hallflow.cases.commands import Deliver, Revoke, Seal, Withdraw
from hallflow.cases.lifecycle import Command
from hallflow.cases.pipeline import Rule, event
from hallflow.errors import CaseCommandError, HallflowError, NotAuthorisedError, TimeOrderError
from hallflow.model.org import Power
from hallflow.seals import SealKind
from hallflow.store.base import NewEvent

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = ["RULES", "decision_document"]


def decision_document(case: Case) -> dict[str, Any]:
    """The canonical decision document a seal signs, derived from the case's events."""
    d = case.decision
    if d is None:
        raise CaseCommandError("-", "seal", case.case_id, "the case has no decision to seal")
    return {
        "case": case.case_id,
        "matter": case.matter,
        "applicant": dict(case.applicant_data),
        "approved": d.approved,
        "reasons": d.reasons,
        "remedies": list(d.remedies),
        "decided_by": d.by,
        "decided_at": d.at.isoformat(),
        "deemed": d.deemed,
    }


def _seal_authority(hall: Hall, case: Case, command: Seal) -> None:
    """The seal power, the seal's holding role, and the seal itself held by the actor."""
    actor = command.actor
    hall._pipeline.require(actor, Power.SEAL, case, "seal", command.at)
    seal = hall.current_seals().get(command.seal_code)
    roles = set(hall.plugins.hook.hallflow_seal_holder_roles(kind=seal.kind) or ())
    holder_roles = set(hall.organisation.staff(actor).roles)
    if roles and not roles & holder_roles:
        raise NotAuthorisedError(
            actor,
            "seal",
            case.case_id,
            f"a {seal.kind.value} seal is held by {sorted(r.value for r in roles)} here",
            "seal-role",
        )
    if command.at < seal.activated_at:
        raise TimeOrderError(
            actor,
            "seal",
            case.case_id,
            f"seal {command.seal_code} was activated at {seal.activated_at.isoformat()}, "
            f"after {command.at.isoformat()}",
            command.at,
            seal.activated_at,
        )
    if not seal.active_at(command.at):
        raise CaseCommandError(
            actor,
            "seal",
            case.case_id,
            f"seal {command.seal_code} was revoked at {seal.revoked_at}",
        )
    holder = seal.holder_at(command.at)
    if holder != actor:
        raise NotAuthorisedError(
            actor,
            "seal",
            case.case_id,
            f"seal {command.seal_code} is held by {holder} at {command.at.isoformat()}",
            "seal-holder",
        )


def seal(hall: Hall, case: Case, command: Seal) -> list[NewEvent]:
    """Seal the decision with an approval seal active at the instant; the clocks stop."""
    actor, at = command.actor, command.at
    found = hall.seals_read().get(command.seal_code)  # as the authority check just read it
    if found.kind is not SealKind.APPROVAL:
        raise CaseCommandError(
            actor, "seal", case.case_id, f"{command.seal_code} is not an approval seal"
        )
    document = decision_document(case)
    try:
        impression = hall.seal_provider.sign(found, document, at)
    except HallflowError as exc:
        raise CaseCommandError(actor, "seal", case.case_id, str(exc)) from exc
    return [event("sealed", actor, at, impression=impression.to_dict(), document=document)]


def deliver(hall: Hall, case: Case, command: Deliver) -> list[NewEvent]:
    """Deliver the sealed decision (送达); closes the case."""
    return [event("delivered", command.actor, command.at, method=command.method.value)]


def withdraw(hall: Hall, case: Case, command: Withdraw) -> list[NewEvent]:
    """The applicant withdraws (撤回); the clocks stop."""
    return [event("withdrawn", command.actor, command.at, reason=command.reason)]


def revoke(hall: Hall, case: Case, command: Revoke) -> list[NewEvent]:
    """Revoke (撤销) a closed case's licence."""
    if case.decision is None or not case.decision.approved:
        raise CaseCommandError(
            command.actor, "revoke", case.case_id, "only an approval can be revoked"
        )
    return [event("revoked", command.actor, command.at, reason=command.reason)]


RULES: dict[type[Any], Rule[Any]] = {
    Seal: Rule(seal, authority=_seal_authority, lifecycle=Command.SEAL),
    Deliver: Rule(deliver, power=Power.ACCEPT, lifecycle=Command.DELIVER),
    Withdraw: Rule(withdraw, power=Power.ACCEPT, applicant=True, lifecycle=Command.WITHDRAW),
    Revoke: Rule(revoke, power=Power.DECIDE, lifecycle=Command.REVOKE),
}
"""The closing commands' rules."""
