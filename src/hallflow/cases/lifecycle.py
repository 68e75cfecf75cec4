"""The case lifecycle as a state machine (python-statemachine): states and allowed moves.

The machine decides only *whether* a command may move a case from its state; what the
command records (materials, reasons, clocks, seals) lives in :mod:`hallflow.cases.hall`.
The history of events is the source of truth: a case's state is whatever replaying its
events through this machine gives.
"""

from __future__ import annotations

import enum
from typing import Any

from statemachine import State, StateMachine

__all__ = ["CaseLifecycle", "CaseState", "Command", "allowed_commands", "drive", "next_state"]


class CaseState(enum.StrEnum):
    """Where a case (办件) stands."""

    SUBMITTED = "submitted"
    """Received, awaiting the formal check (形式审查)."""
    CORRECTION = "correction"
    """A correction notice (补正) listing every missing item was issued; awaiting materials."""
    REVIEWING = "reviewing"
    """Accepted (受理); the review steps are under way."""
    SUSPENDED = "suspended"
    """Review suspended for an Art. 45 period (hearing, expert review...) or on request."""
    DECIDED = "decided"
    """A decision (approve or deny) awaits its seal."""
    SEALED = "sealed"
    """The decision is sealed (its seal time is the legal closing time); awaiting delivery."""
    CLOSED = "closed"
    """Delivered (送达); the case is closed."""
    NOT_ACCEPTED = "not_accepted"
    """Not accepted (不予受理), with a written reason."""
    WITHDRAWN = "withdrawn"
    """Withdrawn by the applicant (撤回)."""
    REVOKED = "revoked"
    """A closed case's licence revoked (撤销)."""


class Command(enum.StrEnum):
    """The commands that move a case between states."""

    ACCEPT = "accept"
    ACCEPT_WITH_GAPS = "accept_with_gaps"
    APPROVE_ON_PLEDGE = "approve_on_pledge"
    REQUEST_CORRECTION = "request_correction"
    SUPPLY = "supply"
    NOT_ACCEPT = "not_accept"
    RETURN_TO_WINDOW = "return_to_window"
    SUSPEND = "suspend"
    RESUME = "resume"
    DECIDE = "decide"
    DEEM_APPROVED = "deem_approved"
    SEAL = "seal"
    DELIVER = "deliver"
    WITHDRAW = "withdraw"
    REVOKE = "revoke"


class CaseLifecycle(StateMachine):
    """The states of a case and the commands that move it (DOMAIN.md §4)."""

    submitted = State(value=CaseState.SUBMITTED.value, initial=True)
    correction = State(value=CaseState.CORRECTION.value)
    reviewing = State(value=CaseState.REVIEWING.value)
    suspended = State(value=CaseState.SUSPENDED.value)
    decided = State(value=CaseState.DECIDED.value)
    sealed = State(value=CaseState.SEALED.value)
    closed = State(value=CaseState.CLOSED.value)
    not_accepted = State(value=CaseState.NOT_ACCEPTED.value, final=True)
    withdrawn = State(value=CaseState.WITHDRAWN.value, final=True)
    revoked = State(value=CaseState.REVOKED.value, final=True)

    accept = submitted.to(reviewing)
    accept_with_gaps = submitted.to(reviewing)
    approve_on_pledge = submitted.to(decided)
    request_correction = submitted.to(correction)
    supply = correction.to(submitted)
    not_accept = submitted.to(not_accepted) | correction.to(not_accepted)
    return_to_window = reviewing.to(submitted)
    suspend = reviewing.to(suspended)
    resume = suspended.to(reviewing)
    decide = reviewing.to(decided)
    deem_approved = reviewing.to(decided) | suspended.to(decided)
    seal = decided.to(sealed)
    deliver = sealed.to(closed)
    withdraw = (
        submitted.to(withdrawn)
        | correction.to(withdrawn)
        | reviewing.to(withdrawn)
        | suspended.to(withdrawn)
    )
    revoke = closed.to(revoked)


def _table() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for state in CaseLifecycle.states:
        for transition in state.transitions:
            for event in transition.events:
                table[(state.value, str(event))] = transition.target.value
    return table


_TABLE = _table()


def next_state(state: CaseState, command: Command) -> CaseState | None:
    """The state ``command`` moves a case in ``state`` to, or None if it may not.

    Read from :class:`CaseLifecycle` once (a table lookup, so replaying long histories
    stays cheap); :func:`drive` moves a state through the machine itself, and the tests
    check the two agree for every state and command.
    """
    target = _TABLE.get((state.value, command.value))
    return CaseState(target) if target is not None else None


def allowed_commands(state: CaseState) -> tuple[Command, ...]:
    """The commands a case in ``state`` accepts, in declaration order."""
    return tuple(c for c in Command if (state.value, c.value) in _TABLE)


def drive(state: CaseState, command: Command, **context: Any) -> CaseState:
    """Move a state through the real python-statemachine machine (used by the tests).

    Raises:
        TransitionNotAllowed: the machine refuses the command in that state.
    """
    machine = CaseLifecycle(start_value=state.value)
    machine.send(command.value, **context)
    return CaseState(machine.current_state.value)
