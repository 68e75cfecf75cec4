"""Review: signers and signatures of the procedure's steps, returns, suspensions, extensions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hallflow.cases.case import Case, StepProgress, limit_to
from hallflow.cases.commands import (
    AddSigner,
    AssignSigners,
    Extend,
    Resume,
    ReturnCase,
    Sign,
    Suspend,
    Transfer,
)
from hallflow.cases.lifecycle import CaseState, Command
from hallflow.cases.pipeline import Rule, event
from hallflow.errors import (
    CaseCommandError,
    CaseStateError,
    ClockError,
    NotAuthorisedError,
)
from hallflow.model.catalogue import Step, StepKind
from hallflow.model.org import Power
from hallflow.store.base import NewEvent
from hallflow.timeline.events import PauseReason

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = ["RULES", "progress_of", "spec_of"]

_REVIEWING = frozenset({CaseState.REVIEWING})
_COUNTERSIGN = (StepKind.PARALLEL_COUNTERSIGN, StepKind.SEQUENTIAL_COUNTERSIGN)


def progress_of(case: Case, step: str, actor: str, command: str) -> StepProgress:
    """The progress of ``step``, refusing a step the matter does not have."""
    for progress in case.steps:
        if progress.step == step:
            return progress
    raise CaseCommandError(actor, command, case.case_id, f"matter has no step {step!r}")


def spec_of(hall: Hall, case: Case, step: str, actor: str, command: str) -> Step:
    """The procedure's definition of ``step``."""
    for spec in hall.catalogue.get(case.matter).procedure.steps:
        if spec.code == step:
            return spec
    raise CaseCommandError(actor, command, case.case_id, f"matter has no step {step!r}")


def _current(case: Case, progress: StepProgress, actor: str, command: str) -> None:
    if case.current_step is None or progress.step != case.current_step.step:
        raise CaseStateError(
            actor, command, case.case_id, f"{progress.step} is not the current step"
        )


def _eligible(
    hall: Hall, case: Case, signer: str, power: Power, at: Any, command: str, actor: str
) -> None:
    """Refuse a signer who is not staff or lacks the step's power that day."""
    matter = hall.catalogue.get(case.matter)
    day = at.astimezone(hall.calendar.hours.tzinfo).date()
    permission = hall.organisation.may(signer, power, matter, case.window, day)
    if not permission.allowed:
        raise CaseCommandError(
            actor,
            command,
            case.case_id,
            f"{signer} cannot sign this step: {permission.reason} [{permission.rule}]",
        )


# --------------------------------------------------------------------------- signers


def assign(hall: Hall, case: Case, command: AssignSigners) -> list[NewEvent]:
    """Name a step's signers: distinct staff holding the step's power."""
    actor, name = command.actor, "assign signers"
    progress = progress_of(case, command.step, actor, name)
    spec = spec_of(hall, case, command.step, actor, name)
    if progress.signed:
        raise CaseStateError(actor, name, case.case_id, f"step {command.step} has signatures")
    signers = command.signers
    if not signers or len(set(signers)) != len(signers):
        raise CaseCommandError(actor, name, case.case_id, "signers must be distinct and non-empty")
    for signer in signers:
        _eligible(hall, case, signer, spec.power, command.at, name, actor)
    return [event("signers_assigned", actor, command.at, step=command.step, signers=list(signers))]


def add_signer(hall: Hall, case: Case, command: AddSigner) -> list[NewEvent]:
    """Add a signer to the current step (加签)."""
    actor, name = command.actor, "add a signer"
    progress = progress_of(case, command.step, actor, name)
    _current(case, progress, actor, name)
    spec = spec_of(hall, case, command.step, actor, name)
    if command.signer in progress.signers:
        raise CaseCommandError(actor, name, case.case_id, f"{command.signer} already signs")
    _eligible(hall, case, command.signer, spec.power, command.at, name, actor)
    signers = [*progress.signers, command.signer]
    return [event("signers_assigned", actor, command.at, step=command.step, signers=signers)]


def _transfer_authority(hall: Hall, case: Case, command: Transfer) -> None:
    """Only a signer of the step (holding its power) hands over their own part."""
    actor = command.actor
    progress = progress_of(case, command.step, actor, "transfer")
    spec = spec_of(hall, case, command.step, actor, "transfer")
    if progress.signers and actor not in progress.signers:
        raise NotAuthorisedError(
            actor,
            "transfer",
            case.case_id,
            f"only a signer of {command.step} ({', '.join(progress.signers)}) hands over "
            f"their part",
            "not-a-signer",
        )
    hall._pipeline.require(actor, spec.power, case, "transfer", command.at)


def transfer(hall: Hall, case: Case, command: Transfer) -> list[NewEvent]:
    """Hand the actor's part of the current step to a colleague (转办)."""
    actor = command.actor
    progress = progress_of(case, command.step, actor, "transfer")
    _current(case, progress, actor, "transfer")
    if actor in progress.signed:
        raise CaseStateError(actor, "transfer", case.case_id, "the actor has already signed")
    if command.to == actor or command.to in progress.signers:
        raise CaseCommandError(
            actor, "transfer", case.case_id, f"{command.to} already signs {command.step}"
        )
    spec = spec_of(hall, case, command.step, actor, "transfer")
    _eligible(hall, case, command.to, spec.power, command.at, "transfer", actor)
    return [
        event(
            "transferred",
            actor,
            command.at,
            step=command.step,
            **{"from": actor, "to": command.to},
        )
    ]


def _sign_authority(hall: Hall, case: Case, command: Sign) -> None:
    """A step is signed under the step's own power."""
    spec = spec_of(hall, case, command.step, command.actor, "sign")
    hall._pipeline.require(command.actor, spec.power, case, f"sign step {command.step}", command.at)


def sign(hall: Hall, case: Case, command: Sign) -> list[NewEvent]:
    """Sign the actor's part of the current step; a countersign completes with the last."""
    actor, step = command.actor, command.step
    progress = progress_of(case, step, actor, "sign")
    spec = spec_of(hall, case, step, actor, "sign")
    _current(case, progress, actor, "sign")
    if actor in progress.signed:
        raise CaseCommandError(actor, "sign", case.case_id, "already signed this step")
    signers = progress.signers
    if signers and actor not in signers:
        raise NotAuthorisedError(
            actor, "sign", case.case_id, f"not a signer of {step}: {list(signers)}", "not-a-signer"
        )
    if spec.kind in _COUNTERSIGN and not signers:
        raise CaseStateError(actor, "sign", case.case_id, f"countersign step {step} has no signers")
    if spec.kind is StepKind.SEQUENTIAL_COUNTERSIGN:
        expected = signers[len(progress.signed)]
        if actor != expected:
            raise CaseCommandError(actor, "sign", case.case_id, f"{expected} signs next")
    signed = (*progress.signed, actor)
    complete = set(signed) >= set(signers) if spec.kind in _COUNTERSIGN else True
    return [event("step_signed", actor, command.at, step=step, done=complete)]


def return_case(hall: Hall, case: Case, command: ReturnCase) -> list[NewEvent]:
    """Return (驳回) to an earlier step, or to the window."""
    actor, to = command.actor, command.to
    if to == "window":
        return [event("returned_to_window", actor, command.at, reason=command.reason)]
    order = [s.step for s in case.steps]
    if to not in order:
        raise CaseCommandError(actor, "return", case.case_id, f"no step {to!r}")
    current = case.current_step
    if current is None or order.index(to) > order.index(current.step):
        raise CaseStateError(actor, "return", case.case_id, f"{to} is not an earlier step")
    return [event("returned_to_step", actor, command.at, step=to, reason=command.reason)]


# --------------------------------------------------------------------------- time


def suspend(hall: Hall, case: Case, command: Suspend) -> list[NewEvent]:
    """Suspend review for an Art. 45 period (or on request); the limit clocks stop."""
    actor, why = command.actor, command.reason
    spec = hall.catalogue.get(case.matter)
    if why is PauseReason.CORRECTION:
        raise CaseCommandError(
            actor, "suspend", case.case_id, "a correction is requested before acceptance"
        )
    if spec.excludable and why not in spec.excludable and why is not PauseReason.APPLICANT_REQUEST:
        allowed = sorted(r.value for r in spec.excludable)
        raise CaseCommandError(
            actor, "suspend", case.case_id, f"matter {spec.code} excludes only {allowed}"
        )
    payload: dict[str, Any] = {"reason": why.value}
    if command.length is not None:
        payload["length"] = limit_to(command.length)
    return [event("suspended", actor, command.at, **payload)]


def resume(hall: Hall, case: Case, command: Resume) -> list[NewEvent]:
    """Resume review after a suspension."""
    return [event("resumed", command.actor, command.at)]


def extend(hall: Hall, case: Case, command: Extend) -> list[NewEvent]:
    """An approved extension (延期), refused after expiry unless the policy allows it."""
    actor, at = command.actor, command.at
    clocks = hall.clocks(case)
    clock = clocks.get(command.clock)
    if clock is None or command.clock == "delivery":
        raise CaseCommandError(
            actor, "extend", case.case_id, f"no limit clock named {command.clock!r}"
        )
    try:
        clock.extend(at, command.extra, approved_by=actor, reason=command.reason)
        status = clock.status(at)
    except ClockError as exc:
        raise CaseCommandError(actor, "extend", case.case_id, str(exc)) from exc
    refusals = hall.plugins.hook.hallflow_extension_refusal(
        matter=hall.catalogue.get(case.matter),
        case=case,
        status=status,
        at=at,
        approved_by=actor,
        clock=command.clock,
        extra=command.extra,
    )
    refused = [str(r) for r in refusals if r]
    if refused:
        raise CaseCommandError(actor, "extend", case.case_id, "; ".join(refused))
    return [
        event(
            "extended",
            actor,
            at,
            clock=command.clock,
            extra=limit_to(command.extra),
            approved_by=actor,
            reason=command.reason,
        )
    ]


RULES: dict[type[Any], Rule[Any]] = {
    AssignSigners: Rule(assign, power=Power.COORDINATE, states=_REVIEWING),
    AddSigner: Rule(add_signer, power=Power.COORDINATE, states=_REVIEWING),
    Transfer: Rule(transfer, authority=_transfer_authority, states=_REVIEWING),
    Sign: Rule(sign, authority=_sign_authority, states=_REVIEWING),
    ReturnCase: Rule(return_case, power=Power.REVIEW, states=_REVIEWING),
    Suspend: Rule(suspend, power=Power.REVIEW, lifecycle=Command.SUSPEND),
    Resume: Rule(resume, power=Power.REVIEW, lifecycle=Command.RESUME),
    Extend: Rule(
        extend,
        power=Power.DECIDE,
        states=frozenset({CaseState.REVIEWING, CaseState.SUSPENDED}),
    ),
}
"""The review commands' rules."""
