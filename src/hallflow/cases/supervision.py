"""The supervision sweep over a hall's open cases: escalations, deemed approvals.

This is the per-case sweep, the reference: it reads each open case, asks the escalation
hooks and the matter's ladders (:mod:`hallflow.timeline.ladder`, evaluated one clock at a
time) about each of its clocks, and records what is new. The production path is the bulk
sweep (:mod:`hallflow.supervision.sweep`), which reads the clocks the store keeps, evaluates
them and the ladders in bulk, and calls :func:`sweep_case` only on the cases whose clocks
rose a level or a rung; a property test checks that both record the same escalations.

It survives its hall: a case changed by a concurrent command is read again and swept again
(a few times), and a case it cannot sweep — a history that does not replay, a plugin that
fails on it — is reported with the error, never allowed to stop the pass for the other
cases.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from hallflow.cases.case import Case
from hallflow.cases.commands import RESERVED_PREFIX
from hallflow.cases.lifecycle import CaseState
from hallflow.cases.pipeline import SUPERVISION, event
from hallflow.cases.sweepstate import CLOCK_NAMES, SWEPT_STATES
from hallflow.errors import CaseStateError, ConcurrencyError
from hallflow.model.catalogue import Matter
from hallflow.plugins.policy import Escalation, EscalationAction
from hallflow.store.base import NewEvent
from hallflow.timeline.ladder import Ladder, combine

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = [
    "CaseSwept",
    "SweepFailure",
    "SweepPlan",
    "SweepReport",
    "finish",
    "ladder_of",
    "plan_case",
    "sweep",
    "sweep_case",
]

RETRIES = 5
"""How many times a case changed under the sweep is read and swept again."""

_SWEPT = (CaseState.REVIEWING, CaseState.SUSPENDED, CaseState.DECIDED, CaseState.SEALED)
assert frozenset(_SWEPT) == SWEPT_STATES


@attrs.define(frozen=True, slots=True)
class SweepFailure:
    """A case the sweep could not sweep.

    Attributes:
        case_id: the case.
        error: the error, as text.
        kind: the error's class name.
    """

    case_id: str
    error: str
    kind: str


class SweepReport(list[tuple[str, Escalation]]):
    """The escalations a sweep recorded (a list of ``(case_id, escalation)``).

    Attributes:
        failures: the cases it could not sweep, with their errors.
        swept: how many cases it swept.
        folded: how many cases it read and folded (every case for the per-case sweep; the
            candidates for the bulk sweep).
    """

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[SweepFailure] = []
        self.swept = 0
        self.folded = 0


@attrs.define(frozen=True, slots=True)
class CaseSwept:
    """What sweeping one case did.

    Attributes:
        found: the escalations recorded, with the case id.
        version: the case's version after them (and after the deemed approval, if any).
        seen: for each clock code (:data:`~hallflow.cases.sweepstate.CLOCK_NAMES`), the
            warning level and ladder rung mask the sweep saw: what it acknowledged.
        deemed: a deemed approval followed.
    """

    found: list[tuple[str, Escalation]]
    version: int
    seen: dict[int, tuple[int, int]]
    deemed: bool


def ladder_of(hall: Hall, matter: Matter) -> Ladder | None:
    """The ladders of ``matter`` combined (``hallflow_escalation_ladders``), cached per hall."""
    cache = hall._ladders
    if matter.code in cache:
        return cache[matter.code]
    batches = hall.plugins.hook.hallflow_escalation_ladders(matter=matter)
    found = combine([ladder for batch in batches if batch for ladder in batch])
    cache[matter.code] = found
    return found


def sweep(hall: Hall, at: dt.datetime) -> SweepReport:
    """Sweep every open case of ``hall`` at ``at`` (see :meth:`Hall.sweep`)."""
    report = SweepReport()
    for state in _SWEPT:
        for row in hall.store.find(state=state.value):
            if row.case_id.startswith(RESERVED_PREFIX):
                continue
            report.swept += 1
            report.folded += 1
            try:
                report.extend(sweep_case(hall, row.case_id, at).found)
            except Exception as exc:  # isolated and reported: one case never stops the pass
                report.failures.append(SweepFailure(row.case_id, str(exc), type(exc).__name__))
    return report


def sweep_case(hall: Hall, case_id: str, at: dt.datetime) -> CaseSwept:
    """Sweep one case at ``at``: record its new escalations and rungs (the reference rule).

    A case changed by a concurrent command is read and swept again (up to :data:`RETRIES`
    times).

    Raises:
        HallflowError: the case cannot be swept (the caller reports it).
    """
    for attempt in range(RETRIES):
        try:
            return _sweep_once(hall, case_id, at)
        except (ConcurrencyError, CaseStateError):
            # a concurrent command changed the case or moved it on: read it again
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


@attrs.define(frozen=True, slots=True)
class SweepPlan:
    """What sweeping one case will record, decided before anything is written.

    Attributes:
        case: the case as folded.
        when: the instant of its escalations (the sweep's, or the case's last event's if
            later).
        events: the ``escalated`` events to append.
        found: the escalations, with the case id.
        seen: for each clock code, the warning level and rung mask seen (see
            :class:`CaseSwept`).
        deem: an escalation asks for a deemed approval.
        due: the promised clock's due instant as seen at ``when`` (the case row's ``due``),
            or None when the case has no promised clock.
    """

    case: Case
    when: dt.datetime
    events: list[NewEvent]
    found: list[tuple[str, Escalation]]
    seen: dict[int, tuple[int, int]]
    deem: bool
    due: dt.datetime | None = None


def plan_case(hall: Hall, case: Case, at: dt.datetime) -> SweepPlan:
    """Decide what sweeping ``case`` at ``at`` records: the reference rule, without writing.

    Each clock's status goes to the ``hallflow_escalations`` hooks and to the matter's
    ladders; an escalation already recorded on the clock (same code) is not recorded again.
    """
    if case.state not in _SWEPT:
        return SweepPlan(case, at, [], [], {}, False)
    matter = hall.catalogue.get(case.matter)
    ladder = ladder_of(hall, matter)
    when = max(at, case.history[-1].at)
    done = {
        (e.payload.get("clock"), e.payload.get("code"))
        for e in case.history
        if e.kind == "escalated"
    }
    events: list[NewEvent] = []
    found: list[tuple[str, Escalation]] = []
    deem = False
    seen: dict[int, tuple[int, int]] = {}
    due_at: dt.datetime | None = None
    for name, clock in hall.clocks(case).items():
        status = clock.status(max(when, clock.events[-1].at))
        batches = hall.plugins.hook.hallflow_escalations(
            matter=matter, case=case, clock=name, status=status, at=when
        )
        due = [e for batch in batches if batch for e in batch]
        if ladder is not None:
            due += [
                Escalation(r.code, r.action, r.to, r.text(status)) for r in ladder.reached(status)
            ]
        if name == "promised":
            due_at = status.due
        seen[CLOCK_NAMES.index(name)] = (
            int(status.level),
            0 if ladder is None else ladder.mask(status),
        )
        for escalation in due:
            if (name, escalation.code) in done:
                continue
            done.add((name, escalation.code))
            found.append((case.case_id, escalation))
            events.append(
                event(
                    "escalated",
                    SUPERVISION,
                    when,
                    clock=name,
                    code=escalation.code,
                    action=escalation.action.value,
                    to=escalation.to,
                    note=escalation.note,
                )
            )
            deem = deem or escalation.action is EscalationAction.DEEMED_APPROVAL
    return SweepPlan(case, when, events, found, seen, deem, due_at)


def finish(hall: Hall, plan: SweepPlan, case: Case) -> CaseSwept:
    """Finish sweeping a case once ``plan``'s events are recorded (``case``: after them).

    Records the deemed approval, if one was asked for and the case may still be deemed
    approved.
    """
    deemed = plan.deem and _may_deem(case)
    if deemed:
        case = hall.deem_approved(case.case_id, at=plan.when)
    return CaseSwept(plan.found, case.version, plan.seen, deemed)


def _sweep_once(hall: Hall, case_id: str, at: dt.datetime) -> CaseSwept:
    plan = plan_case(hall, hall.case(case_id), at)
    case = plan.case
    if plan.events:
        case = hall._pipeline.commit(case, plan.events, plan.when, None, None)
    return finish(hall, plan, case)


def _may_deem(case: Case) -> bool:
    return case.state in (CaseState.REVIEWING, CaseState.SUSPENDED)
