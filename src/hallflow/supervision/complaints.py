"""Complaints, as events of their own: received, handled, concluded.

A complaint is recorded in its own reserved stream ``hallflow:complaint:<id>`` (event shapes
in ``CONTRACT.md``: ``complaint_received``, ``complaint_concluded``), through the same checker
as the ratings (:class:`hallflow.supervision._checks.Desk`). The commands are methods of
:class:`hallflow.supervision.evaluation.Supervision` (``receive_complaint``,
``conclude_complaint``); this module holds the complaint's types and their rules.

Who may do what:

* **receive** — anyone (every complaint is taken): a named complainant gives their
  id, an anonymous one gives none. It names at least one of a case, a window, a staff member
  or a matter.
* **conclude** — the hall's supervision staff; for a complaint forwarded to a department,
  also that department's chief representative or window head (Xiangyang: the management
  body takes and handles complaints against windows and their staff — seed 004, Art. 14(5);
  every complaint is investigated and concluded — Art. 19).

The handling clock runs from receipt to conclusion; its limit comes from the
``hallflow_complaint_limit`` hook.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

import attrs

from hallflow.cases.commands import RESERVED_PREFIX, check_instant
from hallflow.errors import CommandInputError, HistoryError, PluginError
from hallflow.model.org import Role, Staff
from hallflow.store.base import StoredEvent
from hallflow.supervision import _checks
from hallflow.supervision._checks import ANONYMOUS, LateStep, Request, late
from hallflow.timeline.clock import Clock
from hallflow.timeline.limits import Limit

if TYPE_CHECKING:
    from hallflow.supervision.evaluation import Supervision

__all__ = [
    "COMPLAINT_PREFIX",
    "Complaint",
    "ComplaintCategory",
    "Conclusion",
    "Handling",
    "complaint_clock",
    "complaint_limit",
    "complaints",
    "conclude",
    "fold_complaint",
    "get",
    "late_complaints",
    "receive",
]

COMPLAINT_PREFIX = f"{RESERVED_PREFIX}complaint:"
"""The prefix of every complaint stream."""


class ComplaintCategory(enum.StrEnum):
    """What a complaint (投诉) is about."""

    WRONGFUL_REJECTION = "wrongful_rejection"
    """An application that should have been accepted was not."""
    OVERDUE = "overdue"
    FEES = "fees"
    """Fees charged against the rules."""
    ATTITUDE = "attitude"
    IMPROPER_DEMANDS = "improper_demands"
    """Asking for, taking, obstructing or demanding from applicants (索拿卡要)."""
    OTHER = "other"


class Handling(enum.StrEnum):
    """Who handles a complaint."""

    CENTRE = "centre"
    """The hall's own supervision staff."""
    FORWARDED = "forwarded"
    """Forwarded to the department concerned."""
    JOINT = "joint"
    """Handled jointly by the centre and the departments."""


@attrs.define(frozen=True, slots=True)
class Conclusion:
    """A complaint's outcome: upheld or not, with the finding."""

    upheld: bool
    finding: str
    by: str
    at: dt.datetime
    seq: int


@attrs.define(frozen=True, slots=True)
class Complaint:
    """One complaint, rebuilt from its stream.

    Attributes:
        complaint_id: 32 lowercase hex characters.
        category: what it is about.
        case_id, window, staff, matter, department: what it is against (at least one of
            the first four is given).
        handling: who handles it.
        text: the complaint's words.
        complainant: the complainant's id, or ``anonymous``.
        received_at: when it was received.
        conclusion: the outcome, once concluded.
    """

    complaint_id: str
    category: ComplaintCategory
    case_id: str | None
    window: str | None
    staff: str | None
    matter: str | None
    department: str | None
    handling: Handling
    text: str
    complainant: str
    received_at: dt.datetime
    conclusion: Conclusion | None = None

    @property
    def stream(self) -> str:
        """The complaint's stream id."""
        return COMPLAINT_PREFIX + self.complaint_id

    @property
    def upheld(self) -> bool:
        """Concluded and upheld."""
        return self.conclusion is not None and self.conclusion.upheld


def fold_complaint(events: list[StoredEvent]) -> Complaint:
    """Rebuild a complaint from its stream's events.

    Raises:
        HistoryError: the events are not a complaint's history.
    """
    if not isinstance(events, list) or not all(isinstance(e, StoredEvent) for e in events):
        raise CommandInputError("events", "must be a list of StoredEvents", events)
    if not events:
        raise HistoryError("(none)", 0, "a complaint stream has no events")
    first = events[0]
    stream = first.case_id
    if not stream.startswith(COMPLAINT_PREFIX) or first.kind != "complaint_received":
        raise HistoryError(stream, first.seq, "not a complaint stream")
    try:
        p = first.payload
        complaint = Complaint(
            complaint_id=stream[len(COMPLAINT_PREFIX) :],
            category=ComplaintCategory(p["category"]),
            case_id=p["case_id"],
            window=p["window"],
            staff=p["staff"],
            matter=p["matter"],
            department=p["department"],
            handling=Handling(p["handling"]),
            text=p["text"],
            complainant=first.actor,
            received_at=first.at,
        )
        for e in events[1:]:
            if e.kind != "complaint_concluded" or complaint.conclusion is not None:
                raise HistoryError(stream, e.seq, f"{e.kind!r} does not follow")
            q = e.payload
            complaint = attrs.evolve(
                complaint, conclusion=Conclusion(q["upheld"], q["finding"], e.actor, e.at, e.seq)
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise HistoryError(stream, first.seq, f"malformed complaint event: {exc!r}") from None
    return complaint


def receive(
    sup: Supervision,
    category: ComplaintCategory | str,
    handling: Handling | str,
    text: str,
    *,
    at: dt.datetime,
    case_id: str | None = None,
    window: str | None = None,
    staff: str | None = None,
    matter: str | None = None,
    complainant: str | None = None,
    idempotency_key: str | None = None,
) -> Complaint:
    """Receive a complaint against a case, window, staff member or matter.

    A case given fills in its window and matter (a window or matter given must match).

    Raises:
        CommandInputError: a malformed or unknown argument, or no target at all.
        CaseNotFoundError: no such case.
        TimeOrderError: before the case's last event, or out of range.
        IdempotencyError: the key was used for another request.
    """
    _checks.supervision(sup)
    cat = _checks.choice("category", category, (c.value for c in ComplaintCategory))
    how = _checks.choice("handling", handling, (h.value for h in Handling))
    body = _checks.text("text", text, required=True)
    key = _checks.key(idempotency_key)
    case_id = _checks.optional_code("case_id", case_id)
    window = _checks.optional_code("window", window)
    staff = _checks.optional_code("staff", staff)
    matter = _checks.optional_code("matter", matter)
    complainant = _checks.optional_code("complainant", complainant)
    if complainant is not None and (
        complainant == ANONYMOUS or complainant.startswith(RESERVED_PREFIX)
    ):
        raise CommandInputError(
            "complainant", "is reserved; give None for an anonymous complaint", complainant
        )
    if case_id is None and window is None and staff is None and matter is None:
        raise CommandInputError(
            "case_id", "a complaint names a case, a window, a staff member or a matter", None
        )
    hall = sup.hall
    after: list[tuple[str, dt.datetime]] = []
    if case_id is not None:
        case = hall.case(case_id)
        for name, given, own in (("window", window, case.window), ("matter", matter, case.matter)):
            if given is not None and given != own:
                raise CommandInputError(name, f"must be the case's own ({own!r})", given)
        window, matter = case.window, case.matter
        after.append((f"the case's last event ({case.history[-1].kind})", case.history[-1].at))
    department = sup.department_of(window, matter, staff)
    payload: dict[str, Any] = {
        "category": cat,
        "case_id": case_id,
        "window": window,
        "staff": staff,
        "matter": matter,
        "department": department,
        "handling": how,
        "text": body,
    }
    complaint_id = sup.fresh_id("complaint", key)
    request = Request(
        name="complain",
        stream=COMPLAINT_PREFIX + complaint_id,
        actor=complainant if complainant is not None else ANONYMOUS,
        at=at,
        kind="complaint_received",
        payload=payload,
        roles=None,
        after=after,
        creates=True,
    )
    return fold_complaint(sup.desk.run(request, key))


def get(sup: Supervision, complaint_id: str) -> Complaint:
    """The complaint with this id.

    Raises:
        CommandInputError: not a complaint id, or no such complaint.
    """
    _checks.supervision(sup)
    events = _checks.stored(sup.hall, COMPLAINT_PREFIX, "complaint_id", "complaint", complaint_id)
    return fold_complaint(events)


def complaints(sup: Supervision) -> list[Complaint]:
    """Every complaint in the store, by id."""
    _checks.supervision(sup)
    store = sup.hall.store
    return [
        fold_complaint(store.load(s)) for s in store.case_ids() if s.startswith(COMPLAINT_PREFIX)
    ]


_DEPARTMENT_HANDLERS = frozenset({Role.CHIEF_REPRESENTATIVE, Role.WINDOW_HEAD})


def conclude(
    sup: Supervision,
    complaint_id: str,
    *,
    upheld: bool,
    finding: str,
    actor: str,
    at: dt.datetime,
    idempotency_key: str | None = None,
) -> Complaint:
    """Conclude a complaint: upheld or not, with the finding.

    Raises:
        CommandInputError: a malformed argument or an unknown complaint.
        NotAuthorisedError: the actor may not conclude it.
        TimeOrderError: before its receipt, or out of range.
        CaseStateError: it is already concluded.
        IdempotencyError: the key was used for another request.
    """
    _checks.supervision(sup)
    complaint = get(sup, complaint_id)
    payload = {
        "upheld": _checks.flag("upheld", upheld),
        "finding": _checks.text("finding", finding, required=True),
    }
    actor = _checks.code("actor", actor)
    roles = frozenset({Role.SUPERVISOR})
    if complaint.handling is Handling.FORWARDED:
        roles = roles | _DEPARTMENT_HANDLERS

    def may(member: Staff) -> bool:
        if Role.SUPERVISOR in member.roles:
            return True
        return complaint.department is not None and member.department == complaint.department

    def allowed(events: list[StoredEvent]) -> str | None:
        if fold_complaint(events).conclusion is not None:
            return "the complaint is already concluded"
        return None

    request = Request(
        name="conclude",
        stream=complaint.stream,
        actor=actor,
        at=at,
        kind="complaint_concluded",
        payload=payload,
        roles=roles,
        may=may,
        allowed=allowed,
    )
    return fold_complaint(sup.desk.run(request, _checks.key(idempotency_key)))


def complaint_limit(sup: Supervision, complaint: Complaint) -> Limit:
    """The handling limit of ``complaint`` (the first plugin's answer).

    Raises:
        PluginError: no plugin answers, or the answer is not a Limit.
    """
    _checks.supervision(sup)
    answer = sup.hall.plugins.hook.hallflow_complaint_limit(
        category=complaint.category.value, handling=complaint.handling.value
    )
    if not isinstance(answer, Limit):
        raise PluginError("(first result)", "hallflow_complaint_limit", f"not a Limit: {answer!r}")
    return answer


def complaint_clock(sup: Supervision, complaint: Complaint) -> Clock:
    """The handling clock: from receipt to conclusion, on the hall calendar."""
    _checks.supervision(sup)
    if not isinstance(complaint, Complaint):
        raise CommandInputError("complaint", "must be a Complaint", complaint)
    clock = Clock.start(
        "conclude",
        complaint_limit(sup, complaint),
        sup.hall.calendar,
        complaint.received_at,
        policy=sup.hall.settings.clock_policy,
    )
    if complaint.conclusion is not None:
        clock = clock.stop(complaint.conclusion.at)
    return clock


def late_complaints(sup: Supervision, at: dt.datetime) -> list[LateStep]:
    """Every complaint open past its limit at ``at``, or concluded late."""
    _checks.supervision(sup)
    at = check_instant("at", at)
    out: list[LateStep] = []
    for c in complaints(sup):
        evidence = (1,) if c.conclusion is None else (1, c.conclusion.seq)
        found = late(
            c.stream, "conclude", complaint_clock(sup, c), at, None, c.department, evidence
        )
        if found is not None:
            out.append(found)
    return out
