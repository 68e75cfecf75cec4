"""Accountability records: every overdue step names who held it, their post and the rule.

Overdue cases generate accountability records by themselves, per step and post (DOMAIN.md
§6). :func:`case_records` reads one case's history; :func:`records` every case of a hall, and,
given a :class:`~hallflow.supervision.evaluation.Supervision`, the late steps of bad ratings
and complaints too.

A clock is late when it ran past its due (still running at the instant asked about, or
stopped after its due). Who is answerable is read from the case *as it stood at the due
instant* (the history folded up to it):

* under review — each signer of the current step who had not signed; when no one was
  assigned, the staff member who acted on the case last;
* decided and awaiting the seal — the decider;
* a co-department's reply (a joint step) — the staff member of that department who replied
  late, or, when it had not replied, its chief representative in the hall (the department
  alone when it has none).

The post is the staff member's role, the senior one when they hold several (chief
representative, window head, approver, reviewer, clerk, supervisor).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from hallflow.cases.case import Case, fold
from hallflow.cases.commands import check_instant
from hallflow.cases.hall import Hall
from hallflow.cases.lifecycle import CaseState
from hallflow.cases.pipeline import SUPERVISION
from hallflow.errors import CommandInputError, HallflowError, UnknownCodeError
from hallflow.model.org import Role
from hallflow.supervision import _checks
from hallflow.timeline.clock import Clock, ClockState, Outcome
from hallflow.timeline.limits import Limit

if TYPE_CHECKING:
    from hallflow.supervision.evaluation import Supervision

__all__ = [
    "POST_ORDER",
    "AccountabilityRecord",
    "AccountabilityReport",
    "case_records",
    "post_of",
    "records",
]

POST_ORDER = (
    Role.CHIEF_REPRESENTATIVE,
    Role.WINDOW_HEAD,
    Role.APPROVER,
    Role.REVIEWER,
    Role.CLERK,
    Role.SUPERVISOR,
)
"""Which role names a staff member's post when they hold several (the first held)."""


@attrs.define(frozen=True, slots=True)
class AccountabilityRecord:
    """An accountability record (问责记录) for one late step and one person answerable.

    Attributes:
        case_id: the case (or the rating's or complaint's stream).
        clock: the clock that ran late: ``promised``, ``legal``, ``opinion:<department>``,
            or the step of a rating's or complaint's flow.
        step: the step in hand when the clock fell due (a review step's code,
            ``decision``, ``seal``, ``opinion``, ``verify``, ``rectify``, ``revisit``,
            ``conclude``).
        staff: the staff member answerable, or None when only a department is known.
        post: the staff member's post (a role value), or None.
        department: the department answerable.
        limit: the limit that was missed.
        rule: the limit and its source, in words.
        due: when the step was due.
        finished: when the step was done (late), or None while it is still open.
        overdue_by: how late, at the instant asked about (or at the finish).
        evidence: the seqs of the events that start the clock, hand the step over and end it.
    """

    case_id: str
    clock: str
    step: str
    staff: str | None
    post: str | None
    department: str | None
    limit: Limit
    rule: str
    due: dt.datetime
    finished: dt.datetime | None
    overdue_by: dt.timedelta
    evidence: tuple[int, ...]


def post_of(hall: Hall, staff: str) -> tuple[str | None, str | None]:
    """A staff member's post (senior role) and department; (None, None) if unknown."""
    _checks.hall(hall)
    if not isinstance(staff, str):
        raise CommandInputError("staff", "must be a str", staff)
    try:
        member = hall.organisation.staff(staff)
    except UnknownCodeError:
        return None, None
    post = next((r.value for r in POST_ORDER if r in member.roles), None)
    return post, member.department


def _late(
    clock: Clock, at: dt.datetime
) -> tuple[dt.datetime, dt.datetime | None, dt.timedelta] | None:
    if at < clock.events[0].at:
        return None  # not started yet at ``at``
    status = clock.status(at)
    if status.state is ClockState.STOPPED:
        if status.outcome is not Outcome.LATE:
            return None
        return status.due, clock.events[-1].at, status.overdue_by
    if at <= status.due:
        return None
    return status.due, None, status.overdue_by


def _holders(case: Case, due: dt.datetime) -> tuple[str, list[str], int]:
    """The step in hand at ``due``, who held it, and the seq of the event that handed it."""
    seen = [e for e in case.history if e.at <= due]
    then = fold(seen)
    # the supervision system's own events (escalations, deemed opinions) hand nothing over:
    # the step stays with the last staff member who acted
    last = next((e for e in reversed(seen) if e.actor != SUPERVISION), seen[-1])
    if then.state is CaseState.DECIDED and then.decision is not None:
        return "seal", [then.decision.by], last.seq
    step = then.current_step
    if then.state is CaseState.REVIEWING and step is not None:
        waiting = [s for s in step.signers if s not in step.signed]
        if waiting:
            handed = max(
                (e.seq for e in seen if e.kind in ("signers_assigned", "transferred", "accepted")),
                default=last.seq,
            )
            return step.step, waiting, handed
        return step.step, [last.actor], last.seq
    return "decision", [last.actor], last.seq


def case_records(hall: Hall, case: Case, at: dt.datetime) -> list[AccountabilityRecord]:
    """The accountability records of one case's late clocks at ``at``.

    Raises:
        CommandInputError: ``case`` is not a Case, or ``at`` not an aware instant.
    """
    _checks.hall(hall)
    if not isinstance(case, Case):
        raise CommandInputError("case", "must be a Case", case)
    at = check_instant("at", at)
    matter = hall.catalogue.get(case.matter)
    clocks = hall.clocks(case)
    start_seq = next(
        (e.seq for e in case.history if e.kind in ("accepted", "accepted_with_gaps")), 1
    )
    stop_seq = next((e.seq for e in case.history if e.kind == "sealed"), None)
    out: list[AccountabilityRecord] = []
    sources = {
        "promised": f"the promised limit of matter {matter.code} (the hall's published promise)",
        "legal": f"the legal limit of matter {matter.code} ({'; '.join(matter.legal_basis)})",
    }
    for name in ("promised", "legal"):
        clock = clocks.get(name)
        if clock is None:
            continue
        found = _late(clock, at)
        if found is None:
            continue
        due, finished, overdue_by = found
        step, holders, handed = _holders(case, due)
        for staff in holders:
            post, department = post_of(hall, staff)
            evidence = tuple(
                sorted({start_seq, handed} | ({stop_seq} if finished and stop_seq else set()))
            )
            out.append(
                AccountabilityRecord(
                    case_id=case.case_id,
                    clock=name,
                    step=step,
                    staff=staff if post is not None else None,
                    post=post,
                    department=department,
                    limit=clock.limit,
                    rule=f"{clock.limit} — {sources[name]}",
                    due=due,
                    finished=finished,
                    overdue_by=overdue_by,
                    evidence=evidence,
                )
            )
    for opinion in case.opinions:
        clock = hall.opinion_clock(case, opinion)
        if clock is None:
            continue
        requested = next(
            e.seq
            for e in case.history
            if e.kind == "opinion_requested" and e.payload.get("department") == opinion.department
        )
        reply = next(
            (
                e
                for e in case.history
                if e.kind in ("opinion_given", "opinion_deemed")
                and e.payload.get("department") == opinion.department
            ),
            None,
        )
        if reply is not None:
            clock = clock.stop(reply.at)
        found = _late(clock, at)
        if found is None:
            continue
        due, finished, overdue_by = found
        who: str | None = None
        if reply is not None and reply.kind == "opinion_given":
            who = reply.actor
        else:
            who = next(
                (
                    s.code
                    for s in hall.organisation.staff_members
                    if s.department == opinion.department and Role.CHIEF_REPRESENTATIVE in s.roles
                ),
                None,
            )
        post = post_of(hall, who)[0] if who is not None else None
        out.append(
            AccountabilityRecord(
                case_id=case.case_id,
                clock=f"opinion:{opinion.department}",
                step="opinion",
                staff=who,
                post=post,
                department=opinion.department,
                limit=opinion.limit,
                rule=f"{opinion.limit} — the reply limit of {opinion.department} on joint "
                f"matter {matter.code} (the matter's joint handling)",
                due=due,
                finished=finished,
                overdue_by=overdue_by,
                evidence=(requested,) if reply is None else (requested, reply.seq),
            )
        )
    return out


class AccountabilityReport(list[AccountabilityRecord]):
    """The accountability records of a hall (a list), with the cases that could not be read.

    Attributes:
        failures: ``(case_id, error)`` for each case whose history or clocks could not be
            read; the other cases' records are all there.
    """

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[tuple[str, str]] = []


def records(
    hall: Hall, at: dt.datetime, supervision: Supervision | None = None
) -> AccountabilityReport:
    """Every accountability record of the hall at ``at``, by case and clock.

    With ``supervision``, the late steps of bad ratings (rectification: the rated staff
    member; verification and visit: the supervision office) and complaints are included.
    A case that cannot be read (a history that does not replay, a matter no longer in the
    catalogue) is reported in ``failures``, never allowed to hide the other cases' records.
    """
    _checks.hall(hall)
    at = check_instant("at", at)
    if supervision is not None:
        _checks.supervision(supervision)
    out = AccountabilityReport()
    for case_id in hall.case_ids():
        try:
            out.extend(case_records(hall, hall.case(case_id), at))
        except HallflowError as exc:
            out.failures.append((case_id, str(exc)))
    if supervision is not None:
        steps = [*supervision.late_steps(at), *supervision.late_complaints(at)]
        for s in steps:
            post, _ = post_of(hall, s.responsible) if s.responsible else (None, None)
            source = (
                "hallflow_complaint_limit"
                if s.step == "conclude"
                else "hallflow_rectification_limits"
            )
            out.append(
                AccountabilityRecord(
                    case_id=s.stream,
                    clock=s.step,
                    step=s.step,
                    staff=s.responsible,
                    post=post,
                    department=s.department,
                    limit=s.limit,
                    rule=f"{s.limit} — the locality's limit for this step ({source})",
                    due=s.due,
                    finished=s.finished,
                    overdue_by=s.overdue_by,
                    evidence=s.evidence,
                )
            )
    return out
