"""A case (办件) as rebuilt from its events: the read side of the lifecycle.

Every field of :class:`Case` is derived by folding the case's stored events in order;
nothing else is stored. :func:`fold` is the only place that reads event payloads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from hallflow.calendar.engine import WorkCalendar
from hallflow.cases.lifecycle import CaseState, Command, next_state
from hallflow.cases.upcast import upcast
from hallflow.errors import HistoryError
from hallflow.store.base import StoredEvent
from hallflow.timeline.clock import Clock, ClockPolicy, ClockState
from hallflow.timeline.events import (
    ClockEvent,
    Excluded,
    Extended,
    Paused,
    PauseReason,
    Resumed,
    Started,
    Stopped,
)
from hallflow.timeline.limits import Limit, Unit

__all__ = [
    "Case",
    "Decision",
    "Opinion",
    "StepProgress",
    "fold",
    "fold_more",
    "limit_from",
    "limit_to",
]

# event kind → the lifecycle command it records (events that change no state map to None)
EVENT_COMMANDS: dict[str, Command | None] = {
    "submitted": None,
    "accepted": Command.ACCEPT,
    "accepted_with_gaps": Command.ACCEPT_WITH_GAPS,
    "approved_on_pledge": Command.APPROVE_ON_PLEDGE,
    "correction_requested": Command.REQUEST_CORRECTION,
    "materials_supplied": Command.SUPPLY,
    "not_accepted": Command.NOT_ACCEPT,
    "returned_to_window": Command.RETURN_TO_WINDOW,
    "suspended": Command.SUSPEND,
    "resumed": Command.RESUME,
    "decided": Command.DECIDE,
    "deemed_approved": Command.DEEM_APPROVED,
    "sealed": Command.SEAL,
    "delivered": Command.DELIVER,
    "withdrawn": Command.WITHDRAW,
    "revoked": Command.REVOKE,
    "deferred_supplied": None,
    "signers_assigned": None,
    "step_signed": None,
    "returned_to_step": None,
    "transferred": None,
    "extended": None,
    "pledge_verified": None,
    "opinion_requested": None,
    "opinion_given": None,
    "opinion_deemed": None,
    "escalated": None,
    "due_moved": None,
}


def limit_to(limit: Limit) -> dict[str, Any]:
    """A limit as a JSON object."""
    return {"amount": limit.amount, "unit": limit.unit.value}


def limit_from(data: Mapping[str, Any]) -> Limit:
    """The inverse of :func:`limit_to`."""
    return Limit(int(data["amount"]), Unit(data["unit"]))


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@attrs.define(frozen=True, slots=True)
class StepProgress:
    """Where one review step stands.

    Attributes:
        step: the step's code.
        signers: who must or may sign (assigned, added or transferred to), in order.
        signed: who has signed, in order.
        done: the step is complete.
    """

    step: str
    signers: tuple[str, ...]
    signed: tuple[str, ...]
    done: bool


@attrs.define(frozen=True, slots=True)
class Decision:
    """The decision on a case.

    Attributes:
        approved: approve (准予) or deny (不予).
        reasons: the reasons; a denial must give them.
        remedies: the applicant's remedies told with a denial (administrative review,
            litigation).
        by: who decided (``supervision`` for a deemed approval).
        at: when.
        deemed: approved by operation of the deemed-approval rule (超时默认).
    """

    approved: bool
    reasons: str
    remedies: tuple[str, ...]
    by: str
    at: dt.datetime
    deemed: bool = False


@attrs.define(frozen=True, slots=True)
class Opinion:
    """A co-department's opinion on a joint case (联办).

    Attributes:
        department: the co-department.
        requested_at: when its opinion was requested (None while a prerequisite is pending).
        limit: its reply limit.
        consent: True / False once it replied or was deemed; None while pending.
        deemed: consent (or block) came from the silence policy, not a reply.
        reasons: its reasons.
        responsible: the department answerable for the outcome (the silent one, when deemed).
    """

    department: str
    requested_at: dt.datetime | None
    limit: Limit
    consent: bool | None = None
    deemed: bool = False
    reasons: str = ""
    responsible: str = ""


@attrs.define(frozen=True, slots=True)
class Case:
    """One application of one matter by one applicant (办件), rebuilt from its events.

    Attributes:
        case_id: the case's identifier.
        version: how many events it has (the store's optimistic-concurrency version).
        state: where it stands.
        matter: the matter's code.
        applicant: the applicant's key (resident ID number or unified social credit code).
        applicant_data: the applicant as submitted.
        window: the window that received it.
        channel: window, online or proxy.
        received_at: when it was received (or when a correction was completed).
        materials: the materials supplied so far.
        conditions: the conditions that select material variants (``proxy``...).
        facts: the application's declared facts (amounts, counts) plugins check and price.
        correction_items: the open correction notice: material → problem.
        clock_start: when the limit clocks started (None before acceptance).
        deferred: materials deferred under accept-with-gaps, and the pledge date.
        steps: the review steps' progress, in procedure order.
        decision: the decision, once made.
        seal: the seal impression, once sealed.
        sealed_at: the seal time — the legal closing time.
        pledge_verify_by: for notify-and-pledge approvals, the verification deadline.
        pledge_kept: the verification's result, once verified.
        opinions: co-departments' opinions on a joint case.
        suspension: the reason of the current suspension, if suspended.
        clock_events: the events the limit clocks share (start, suspensions, stop).
        extensions: approved extensions, each with the name of the clock it extends.
        history: every stored event, in order.
    """

    case_id: str
    version: int
    state: CaseState
    matter: str
    applicant: str
    applicant_data: Mapping[str, Any]
    window: str
    channel: str
    received_at: dt.datetime
    materials: frozenset[str]
    conditions: frozenset[str]
    facts: Mapping[str, Any]
    correction_items: Mapping[str, str]
    clock_start: dt.datetime | None
    deferred: tuple[tuple[str, ...], dt.date | None]
    steps: tuple[StepProgress, ...]
    decision: Decision | None
    seal: Mapping[str, Any] | None
    sealed_at: dt.datetime | None
    pledge_verify_by: dt.date | None
    pledge_kept: bool | None
    opinions: tuple[Opinion, ...]
    suspension: str | None
    clock_events: tuple[ClockEvent, ...]
    extensions: tuple[tuple[str, Extended], ...]
    history: tuple[StoredEvent, ...] = attrs.field(repr=False)

    @property
    def current_step(self) -> StepProgress | None:
        """The first review step not yet complete."""
        return next((s for s in self.steps if not s.done), None)

    @property
    def closed(self) -> bool:
        """Whether the case has reached a state no command moves it from (bar revocation)."""
        return self.state in (
            CaseState.CLOSED,
            CaseState.NOT_ACCEPTED,
            CaseState.WITHDRAWN,
            CaseState.REVOKED,
        )

    def clock(
        self,
        name: str,
        limit: Limit,
        calendar: WorkCalendar,
        policy: ClockPolicy | None = None,
    ) -> Clock | None:
        """A limit clock of this case (promised or legal), or None before acceptance.

        Suspensions pause it, known Art. 45 lengths are excluded periods, and the
        extensions approved for this clock add to it.
        """
        if not self.clock_events:
            return None
        mine = [e for clock, e in self.extensions if clock == name]
        events = sorted([*self.clock_events, *mine], key=lambda e: e.at)  # stable
        clock = Clock(name, limit, calendar, tuple(events[:1]), policy or ClockPolicy())
        for event in events[1:]:
            if isinstance(event, Resumed) and clock.state(event.at) is ClockState.RUNNING:
                continue  # an excluded period of known length already ended by itself
            clock = clock.apply(event)
        return clock


class _Builder:
    """Mutable accumulator used while folding events."""

    def __init__(self, first: StoredEvent) -> None:
        p = first.payload
        self.case_id = first.case_id
        self.state = CaseState.SUBMITTED
        self.matter = str(p["matter"])
        self.applicant = str(p["applicant"]["key"])
        self.applicant_data: Mapping[str, Any] = p["applicant"]
        self.window = str(p["window"])
        self.channel = str(p.get("channel", "window"))
        self.received_at = first.at
        self.materials = set(p.get("materials", ()))
        self.conditions = frozenset(p.get("conditions", ()))
        self.facts: Mapping[str, Any] = p.get("facts", {})
        self.correction: dict[str, str] = {}
        self.clock_start: dt.datetime | None = None
        self.deferred: tuple[tuple[str, ...], dt.date | None] = ((), None)
        self.steps: list[dict[str, Any]] = [
            {"step": s, "signers": [], "signed": [], "done": False} for s in p.get("steps", ())
        ]
        self.decision: Decision | None = None
        self.seal: Mapping[str, Any] | None = None
        self.sealed_at: dt.datetime | None = None
        self.pledge_verify_by: dt.date | None = None
        self.pledge_kept: bool | None = None
        self.opinions: dict[str, Opinion] = {}
        self.suspension: str | None = None
        self.clock_events: list[ClockEvent] = []
        self.extensions: list[tuple[str, Extended]] = []

    @classmethod
    def resume(cls, case: Case) -> _Builder:
        """A builder holding ``case``'s folded state, to apply further events to."""
        b = cls.__new__(cls)  # every field is set below, from the case (no payload to parse)
        b.case_id = case.case_id
        b.matter = case.matter
        b.applicant = case.applicant
        b.applicant_data = case.applicant_data
        b.window = case.window
        b.channel = case.channel
        b.conditions = case.conditions
        b.facts = case.facts
        b.state = case.state
        b.received_at = case.received_at
        b.materials = set(case.materials)
        b.correction = dict(case.correction_items)
        b.clock_start = case.clock_start
        b.deferred = case.deferred
        b.steps = [
            {"step": s.step, "signers": list(s.signers), "signed": list(s.signed), "done": s.done}
            for s in case.steps
        ]
        b.decision = case.decision
        b.seal = case.seal
        b.sealed_at = case.sealed_at
        b.pledge_verify_by = case.pledge_verify_by
        b.pledge_kept = case.pledge_kept
        b.opinions = {o.department: o for o in case.opinions}
        b.suspension = case.suspension
        b.clock_events = list(case.clock_events)
        b.extensions = list(case.extensions)
        return b

    def step(self, code: str) -> dict[str, Any]:
        for s in self.steps:
            if s["step"] == code:
                return s
        raise KeyError(code)

    def start_clocks(self, at: dt.datetime) -> None:
        if not self.clock_events:
            self.clock_events.append(Started(at))

    def stop_clocks(self, at: dt.datetime) -> None:
        if self.clock_events and not isinstance(self.clock_events[-1], Stopped):
            if isinstance(self.clock_events[-1], Paused | Excluded):
                self.clock_events.append(Resumed(at))
            self.clock_events.append(Stopped(at))


def fold(events: Sequence[StoredEvent]) -> Case:
    """Rebuild a case from its stored events (the first must be ``submitted``).

    Each event is read through :func:`~hallflow.cases.upcast.upcast` (older payload shapes)
    and checked: positions run 1, 2, 3…, instants never go backwards, every state move is
    one the lifecycle allows.

    Raises:
        HistoryError: the history is malformed, reordered or inconsistent; it names the
            case and the position of the first event at fault.
    """
    if not events:
        raise HistoryError("?", 0, "a case's history cannot be empty")
    first = upcast(events[0])
    if first.kind != "submitted" or first.seq != 1:
        raise HistoryError(
            first.case_id, first.seq, "a case's history must start with a 'submitted' event"
        )
    try:
        b = _Builder(first)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise HistoryError(first.case_id, 1, f"malformed 'submitted' payload: {exc!r}") from None
    history = [first]
    _replay(b, history, events[1:], first.at)
    return _freeze(b, tuple(history))


def fold_more(case: Case, events: Sequence[StoredEvent]) -> Case:
    """``case`` with further events applied: equal to folding the whole history again."""
    b = _Builder.resume(case)
    history = list(case.history)
    _replay(b, history, events, history[-1].at)
    return _freeze(b, tuple(history))


def _replay(
    b: _Builder, history: list[StoredEvent], events: Sequence[StoredEvent], last: dt.datetime
) -> None:
    for raw in events:
        event = upcast(raw)
        expected = len(history) + 1
        if event.seq != expected or event.case_id != b.case_id:
            raise HistoryError(
                b.case_id,
                expected,
                f"expected event {expected} of case {b.case_id!r}, found event {event.seq} "
                f"of case {event.case_id!r}",
            )
        if event.at < last:
            raise HistoryError(
                b.case_id,
                event.seq,
                f"{event.kind!r} at {event.at.isoformat()} precedes the event before it "
                f"({last.isoformat()}): the history is out of order",
            )
        try:
            _apply(b, event)
        except HistoryError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise HistoryError(
                b.case_id, event.seq, f"malformed {event.kind!r} payload: {exc!r}"
            ) from None
        last = event.at
        history.append(event)


def _freeze(b: _Builder, history: tuple[StoredEvent, ...]) -> Case:
    return Case(
        case_id=b.case_id,
        version=len(history),
        state=b.state,
        matter=b.matter,
        applicant=b.applicant,
        applicant_data=b.applicant_data,
        window=b.window,
        channel=b.channel,
        received_at=b.received_at,
        materials=frozenset(b.materials),
        conditions=b.conditions,
        facts=b.facts,
        correction_items=dict(b.correction),
        clock_start=b.clock_start,
        deferred=b.deferred,
        steps=tuple(
            StepProgress(s["step"], tuple(s["signers"]), tuple(s["signed"]), s["done"])
            for s in b.steps
        ),
        decision=b.decision,
        seal=b.seal,
        sealed_at=b.sealed_at,
        pledge_verify_by=b.pledge_verify_by,
        pledge_kept=b.pledge_kept,
        opinions=tuple(b.opinions.values()),
        suspension=b.suspension,
        clock_events=tuple(b.clock_events),
        extensions=tuple(b.extensions),
        history=history,
    )


def _apply(b: _Builder, event: StoredEvent) -> None:
    kind, p, at = event.kind, event.payload, event.at
    if kind not in EVENT_COMMANDS or kind == "submitted":
        raise HistoryError(event.case_id, event.seq, f"unexpected event kind {kind!r}")
    command = EVENT_COMMANDS[kind]
    if command is not None:
        target = next_state(b.state, command)
        if target is None:
            raise HistoryError(
                event.case_id,
                event.seq,
                f"{kind!r} is not allowed in state {b.state.value}: the history is inconsistent",
            )
        b.state = target
    if kind in ("accepted", "accepted_with_gaps"):
        start = _instant(p["clock_start"])
        b.clock_start = b.clock_start or start
        b.start_clocks(start)
        if kind == "accepted_with_gaps":
            b.deferred = (tuple(p["deferred"]), dt.date.fromisoformat(p["pledge_date"]))
    elif kind == "approved_on_pledge":
        start = _instant(p["clock_start"])
        b.clock_start = b.clock_start or start
        b.start_clocks(start)
        b.pledge_verify_by = dt.date.fromisoformat(p["verify_by"])
        b.decision = Decision(True, str(p.get("reasons", "")), (), event.actor, at)
    elif kind == "deferred_supplied":
        b.materials.update(p["materials"])
        b.deferred = ((), None)
    elif kind == "correction_requested":
        b.correction = {i["material"]: i["problem"] for i in p["items"]}
    elif kind == "materials_supplied":
        b.materials.update(p["materials"])
        b.correction = {}
        b.received_at = at
    elif kind == "not_accepted" or kind == "withdrawn":
        b.stop_clocks(at)
    elif kind == "returned_to_window":
        for s in b.steps:
            s["signed"], s["done"] = [], False
    elif kind == "signers_assigned":
        b.step(p["step"])["signers"] = list(p["signers"])
    elif kind == "step_signed":
        s = b.step(p["step"])
        s["signed"].append(event.actor)
        s["done"] = bool(p["done"])
    elif kind == "returned_to_step":
        reset = False
        for s in b.steps:
            reset = reset or s["step"] == p["step"]
            if reset:
                s["signed"], s["done"] = [], False
    elif kind == "transferred":
        s = b.step(p["step"])
        s["signers"] = [p["to"] if x == p["from"] else x for x in s["signers"]]
        if p["from"] not in s["signers"] and p["to"] not in s["signers"]:
            s["signers"].append(p["to"])
    elif kind == "suspended":
        b.suspension = str(p["reason"])
        reason = PauseReason(p["reason"])
        if p.get("length"):
            b.clock_events.append(Excluded(at, length=limit_from(p["length"]), reason=reason))
        else:
            b.clock_events.append(Paused(at, reason))
    elif kind == "resumed":
        b.suspension = None
        b.clock_events.append(Resumed(at))
    elif kind == "extended":
        extension = Extended(
            at,
            extra=limit_from(p["extra"]),
            approved_by=str(p["approved_by"]),
            reason=str(p.get("reason", "")),
        )
        b.extensions.append((str(p["clock"]), extension))
    elif kind in ("decided", "deemed_approved"):
        b.suspension = None
        if b.clock_events and isinstance(b.clock_events[-1], Paused | Excluded):
            b.clock_events.append(Resumed(at))
        if kind == "decided" and p["outcome"] not in ("approved", "denied"):
            raise HistoryError(event.case_id, event.seq, f"unknown outcome {p['outcome']!r}")
        approved = p["outcome"] == "approved" if kind == "decided" else p["approved"] is True
        b.decision = Decision(
            approved=approved,
            reasons=str(p.get("reasons", "")),
            remedies=tuple(p.get("remedies", ())),
            by=event.actor,
            at=at,
            deemed=kind == "deemed_approved",
        )
    elif kind == "sealed":
        b.seal = p["impression"]
        b.sealed_at = at
        b.stop_clocks(at)
    elif kind == "pledge_verified":
        b.pledge_kept = bool(p["kept"])
    elif kind == "opinion_requested":
        b.opinions[p["department"]] = Opinion(p["department"], at, limit_from(p["limit"]))
    elif kind in ("opinion_given", "opinion_deemed"):
        old = b.opinions[p["department"]]
        b.opinions[p["department"]] = attrs.evolve(
            old,
            consent=bool(p["consent"]),
            deemed=kind == "opinion_deemed",
            reasons=str(p.get("reasons", "")),
            responsible=str(p.get("responsible", p["department"])),
        )
