"""The supervision sweep over a hall's open cases: escalations, deemed approvals.

The sweep reads each open case, asks the escalation hooks about each of its clocks, and
records what is new. It survives its hall: a case changed by a concurrent command is read
again and swept again (a few times), and a case it cannot sweep — a history that does not
replay, a plugin that fails on it — is reported with the error, never allowed to stop the
pass for the other cases.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from hallflow.cases.case import Case
from hallflow.cases.commands import RESERVED_PREFIX
from hallflow.cases.lifecycle import CaseState
from hallflow.cases.pipeline import SUPERVISION, event
from hallflow.errors import CaseStateError, ConcurrencyError
from hallflow.plugins.policy import Escalation, EscalationAction
from hallflow.store.base import NewEvent

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = ["SweepFailure", "SweepReport", "sweep"]

RETRIES = 5
"""How many times a case changed under the sweep is read and swept again."""

_SWEPT = (CaseState.REVIEWING, CaseState.SUSPENDED, CaseState.DECIDED, CaseState.SEALED)


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
    """

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[SweepFailure] = []
        self.swept = 0


def sweep(hall: Hall, at: dt.datetime) -> SweepReport:
    """Sweep every open case of ``hall`` at ``at`` (see :meth:`Hall.sweep`)."""
    report = SweepReport()
    for state in _SWEPT:
        for row in hall.store.find(state=state.value):
            if row.case_id.startswith(RESERVED_PREFIX):
                continue
            report.swept += 1
            try:
                report.extend(_sweep_case(hall, row.case_id, at))
            except Exception as exc:  # isolated and reported: one case never stops the pass
                report.failures.append(SweepFailure(row.case_id, str(exc), type(exc).__name__))
    return report


def _sweep_case(hall: Hall, case_id: str, at: dt.datetime) -> list[tuple[str, Escalation]]:
    for attempt in range(RETRIES):
        try:
            return _sweep_once(hall, case_id, at)
        except (ConcurrencyError, CaseStateError):
            # a concurrent command changed the case or moved it on: read it again
            if attempt == RETRIES - 1:
                raise
    return []  # pragma: no cover - the loop returns or raises


def _sweep_once(hall: Hall, case_id: str, at: dt.datetime) -> list[tuple[str, Escalation]]:
    case = hall.case(case_id)
    if case.state not in _SWEPT:
        return []
    matter = hall.catalogue.get(case.matter)
    when = max(at, case.history[-1].at)
    done = {
        (e.payload.get("clock"), e.payload.get("code"))
        for e in case.history
        if e.kind == "escalated"
    }
    events: list[NewEvent] = []
    found: list[tuple[str, Escalation]] = []
    deem = False
    for name, clock in hall.clocks(case).items():
        status = clock.status(max(when, clock.events[-1].at))
        batches = hall.plugins.hook.hallflow_escalations(
            matter=matter, case=case, clock=name, status=status, at=when
        )
        for escalation in (e for batch in batches if batch for e in batch):
            if (name, escalation.code) in done:
                continue
            done.add((name, escalation.code))
            found.append((case_id, escalation))
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
    if events:
        case = hall._pipeline.commit(case, events, when, None, None)
    if deem and _may_deem(case):
        hall.deem_approved(case_id, at=when)
    return found


def _may_deem(case: Case) -> bool:
    return case.state in (CaseState.REVIEWING, CaseState.SUSPENDED)
