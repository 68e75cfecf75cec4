"""The one place supervision commands are checked, and how they are appended to the store.

Every command of :mod:`hallflow.supervision.evaluation` and
:mod:`hallflow.supervision.complaints` runs :meth:`Desk.run` with the same checks, in the
same order as the case pipeline (:mod:`hallflow.cases.pipeline`):

1. **input** — each argument is validated before anything is read
   (:class:`~hallflow.errors.CommandInputError` naming the field, the rule and the value);
2. **authority** — the actor is a member of the hall's organisation holding one of the roles
   the command names and not on leave that day (:class:`~hallflow.errors.NotAuthorisedError`),
   or a member of the public for a rating or a complaint;
3. **idempotency** — a key already used on the stream answers with the earlier result when it
   was used for the same request, and is refused otherwise
   (:class:`~hallflow.errors.IdempotencyError`);
4. **time order** — not before the stream's last event nor before the rated case's last event,
   inside the hall calendar's compiled range, and not later than the hall's clock plus its
   tolerance (:class:`~hallflow.errors.TimeOrderError`; the range and the future are checked
   by the case pipeline's own :meth:`~hallflow.cases.pipeline.Pipeline.time_order`);
5. **state** — the stream's stage allows the command (:class:`~hallflow.errors.CaseStateError`);
6. **commit** — one version-checked append with the stream's row, bound to the key.

The streams are reserved (:data:`~hallflow.cases.commands.RESERVED_PREFIX`): a Hall never
lists them as cases, the store and its event sinks see them like any other stream.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from hallflow.cases.commands import MAX_CODE, MAX_TEXT, RESERVED_PREFIX, check_instant, is_text
from hallflow.cases.hall import Hall
from hallflow.cases.pipeline import Pipeline
from hallflow.errors import (
    CaseStateError,
    CommandInputError,
    ConcurrencyError,
    IdempotencyError,
    NotAuthorisedError,
    TimeOrderError,
    UnknownCodeError,
)
from hallflow.model.org import Role, Staff
from hallflow.store.base import CaseRow, NewEvent, StoredEvent
from hallflow.timeline.clock import Clock, ClockState, ClockStatus, Outcome
from hallflow.timeline.limits import Limit

__all__ = ["ANONYMOUS", "SYSTEM", "Desk", "LateStep", "Request", "late", "stream_id"]

ANONYMOUS = "anonymous"
"""The actor of an anonymous rating or complaint."""

SYSTEM = f"{RESERVED_PREFIX}supervision"
"""The actor of what the supervision system records itself (a default rating)."""


def stream_id(kind: str, item_id: str) -> str:
    """The reserved stream of one rating or complaint: ``hallflow:<kind>:<id>``."""
    return f"{RESERVED_PREFIX}{kind}:{item_id}"


def is_hex_id(value: object) -> bool:
    """Whether ``value`` is an id of the streams: 32 lowercase hexadecimal characters."""
    return type(value) is str and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def stored(hall: Hall, prefix: str, field: str, noun: str, item_id: object) -> list[StoredEvent]:
    """The events of the stream ``prefix + item_id`` (a rating's or a complaint's).

    Raises:
        CommandInputError: naming ``field``: not a 32-hex id, or no such stream.
    """
    if not is_hex_id(item_id):
        raise CommandInputError(field, "must be 32 lowercase hex characters", item_id)
    stream = prefix + str(item_id)
    if not hall.store.version(stream):
        raise CommandInputError(field, f"no such {noun}", item_id)
    return hall.store.load(stream)


def derived_id(kind: str, key: str) -> str:
    """The id a keyed request without an id gets: a retry finds the same stream."""
    return hashlib.sha256(f"hallflow-{kind}\x00{key}".encode()).hexdigest()[:32]


# ---------------------------------------------------------------------- input


def code(field: str, value: object) -> str:
    """A code: printable, non-blank text of at most ``MAX_CODE`` characters."""
    if not is_text(value) or not value or len(value) > MAX_CODE:
        raise CommandInputError(
            field, f"must be a non-empty str of at most {MAX_CODE} characters", value
        )
    if not value.isprintable() or not value.strip():
        raise CommandInputError(field, "must be printable text, not blank", value)
    return value


def optional_code(field: str, value: object) -> str | None:
    """None, or a code."""
    return None if value is None else code(field, value)


def text(field: str, value: object, *, required: bool) -> str:
    """Free text of at most ``MAX_TEXT`` characters; ``required``: not blank."""
    if not is_text(value) or len(value) > MAX_TEXT:
        raise CommandInputError(field, f"must be a str of at most {MAX_TEXT} characters", value)
    if required and not value.strip():
        raise CommandInputError(field, "a written text is required (not blank)", value)
    return value


def flag(field: str, value: object) -> bool:
    """A bool, never a truthy value."""
    if type(value) is not bool:
        raise CommandInputError(field, "must be True or False (a bool)", value)
    return value


def choice(field: str, value: object, allowed: Iterable[str]) -> str:
    """One of ``allowed`` (an enum member or its value)."""
    options = tuple(allowed)
    if isinstance(value, str) and str(value) in options:
        return str(value)
    raise CommandInputError(field, f"must be one of {', '.join(map(repr, options))}", value)


def key(value: object) -> str | None:
    """An idempotency key: None, or printable text of at most 200 characters."""
    if value is None:
        return None
    if not is_text(value) or not value or len(value) > 200 or not value.isprintable():
        raise CommandInputError(
            "idempotency_key", "must be None or a non-empty printable str of at most 200", value
        )
    return value


def hall(value: object) -> Hall:
    """``value`` if it is a :class:`~hallflow.cases.hall.Hall`."""
    if not isinstance(value, Hall):
        raise CommandInputError("hall", "must be a hallflow Hall", value)
    return value


def supervision(value: object) -> Any:
    """``value`` if it is a :class:`~hallflow.supervision.evaluation.Supervision`."""
    from hallflow.supervision.evaluation import Supervision

    if not isinstance(value, Supervision):
        raise CommandInputError("supervision", "must be a Supervision", value)
    return value


# ---------------------------------------------------------------------- requests


class Request:
    """One supervision command, as :meth:`Desk.run` checks and records it.

    Args:
        name: the command's name (for messages): ``rate``, ``verify``...
        stream: the stream it writes.
        actor: who acts.
        at: when (checked by :func:`~hallflow.cases.commands.check_instant` when built).
        kind: the event kind recorded.
        payload: the event's payload.
        roles: the roles one of which a staff actor must hold; None: anyone (the public).
        may: a further authority check of the staff member (True: allowed), given with
            ``roles`` for commands whose authority depends on the stream.
        after: further lower bounds of ``at``, as (what, instant) pairs (the rated case's
            last event).
        allowed: the stream's state allows the command: a function of the stream's events
            returning None, or the reason it is refused.
        creates: the command opens the stream (it must not exist yet).
    """

    __slots__ = (
        "actor",
        "after",
        "allowed",
        "at",
        "creates",
        "kind",
        "may",
        "name",
        "payload",
        "roles",
        "stream",
    )

    def __init__(
        self,
        *,
        name: str,
        stream: str,
        actor: str,
        at: object,
        kind: str,
        payload: Mapping[str, Any],
        roles: frozenset[Role] | None,
        may: Callable[[Staff], bool] | None = None,
        after: Iterable[tuple[str, dt.datetime]] = (),
        allowed: Callable[[list[StoredEvent]], str | None] | None = None,
        creates: bool = False,
    ) -> None:
        self.name = name
        self.stream = stream
        self.actor = actor
        self.at = check_instant("at", at)
        self.kind = kind
        self.payload = dict(payload)
        self.roles = roles
        self.may = may
        self.after = tuple(after)
        self.allowed = allowed
        self.creates = creates

    def stamp(self) -> str:
        """What an idempotency key is bound to: the request's canonical form."""
        body = json.dumps(
            [self.name, self.stream, self.actor, self.at.isoformat(), self.kind, self.payload],
            sort_keys=True,
            ensure_ascii=True,
        )
        return f"{self.name}|{self.actor}|{hashlib.sha256(body.encode()).hexdigest()}"


class Desk:
    """Checks and records supervision commands for one :class:`~hallflow.cases.hall.Hall`."""

    def __init__(self, hall: Hall) -> None:
        if not isinstance(hall, Hall):
            raise CommandInputError("hall", "must be a hallflow Hall", hall)
        self.hall = hall
        # The case pipeline's range and future checks are reused as they are (case=None
        # skips its last-event check, which is ours to make against the stream).
        self._pipeline = Pipeline(hall, {})

    def staff(self, request: Request) -> Staff | None:
        """Refuse an actor who may not run ``request``; the staff member when one acts."""
        if request.roles is None:
            return None
        try:
            member = self.hall.organisation.staff(request.actor)
        except UnknownCodeError:
            raise NotAuthorisedError(
                request.actor,
                request.name,
                request.stream,
                "only a member of the hall's staff may do this",
                "unknown-staff",
            ) from None
        if not member.roles & request.roles:
            raise NotAuthorisedError(
                request.actor,
                request.name,
                request.stream,
                f"needs the role {' or '.join(sorted(r.value for r in request.roles))}",
                "role",
            )
        day = request.at.astimezone(self.hall.calendar.hours.tzinfo).date()
        if self.hall.organisation.leave_on(member.code, day) is not None:
            raise NotAuthorisedError(
                request.actor,
                request.name,
                request.stream,
                f"is on leave on {day}",
                "on-leave",
            )
        if request.may is not None and not request.may(member):
            raise NotAuthorisedError(
                request.actor,
                request.name,
                request.stream,
                "answers only for their own window's department (or their own rating)",
                "not-responsible",
            )
        return member

    def time_order(self, request: Request, events: list[StoredEvent]) -> None:
        """Refuse an instant before the stream's (or the case's) last event, or out of range."""
        bounds = list(request.after)
        if events:
            bounds.append((f"the stream's last event ({events[-1].kind})", events[-1].at))
        for what, bound in bounds:
            if request.at < bound:
                raise TimeOrderError(
                    request.actor,
                    request.name,
                    request.stream,
                    f"its instant {request.at.isoformat()} precedes {what} at "
                    f"{bound.isoformat()}: acts are recorded in time order",
                    request.at,
                    bound,
                )
        self.in_range(request.actor, request.name, request.at)

    def in_range(self, actor: str, name: str, at: dt.datetime) -> None:
        """Refuse an instant outside the hall calendar's range or later than its clock allows."""
        self._pipeline.time_order(None, actor, name, at)

    def run(self, request: Request, idempotency_key: str | None = None) -> list[StoredEvent]:
        """Check ``request`` and record its event; the stream's events afterwards.

        Raises:
            NotAuthorisedError: the actor may not run it.
            IdempotencyError: the key was used on the stream for another request.
            TimeOrderError: its instant is out of order or out of range.
            CaseStateError: the stream's state does not allow it.
            ConcurrencyError: another writer changed the stream meanwhile.
        """
        store = self.hall.store
        self.staff(request)
        stamp = request.stamp() if idempotency_key is not None else None
        if idempotency_key is not None and stamp is not None:
            record = store.idempotency(request.stream, idempotency_key)
            if record is not None:
                if record.digest != stamp:
                    raise IdempotencyError(
                        request.stream,
                        idempotency_key,
                        first="another request",
                        second=f"{request.name} by {request.actor}",
                    )
                return store.load(request.stream)[: record.version]
        version = store.version(request.stream)
        events = store.load(request.stream) if version else []
        if request.creates and events:
            raise CaseStateError(
                request.actor, request.name, request.stream, "the stream already exists"
            )
        if not request.creates and not events:
            raise CommandInputError("id", "no such rating or complaint", request.stream)
        self.time_order(request, events)
        if request.allowed is not None:
            reason = request.allowed(events)
            if reason is not None:
                raise CaseStateError(request.actor, request.name, request.stream, reason)
        new = NewEvent(
            kind=request.kind, actor=request.actor, at=request.at, payload=request.payload
        )
        row = CaseRow(
            case_id=request.stream,
            matter="",
            applicant="",
            window="",
            state=request.kind,
            due=None,
            version=version + 1,
        )
        try:
            if idempotency_key is None:
                store.append(request.stream, version, [new], row)
            else:
                store.append(
                    request.stream,
                    version,
                    [new],
                    row,
                    idempotency_key=idempotency_key,
                    request_digest=stamp,
                )
        except ConcurrencyError:
            if idempotency_key is not None and stamp is not None:
                record = store.idempotency(request.stream, idempotency_key)
                if record is not None and record.digest == stamp:
                    return store.load(request.stream)[: record.version]
            raise
        return store.load(request.stream)


# ---------------------------------------------------------------------- late steps


@attrs.define(frozen=True, slots=True)
class LateStep:
    """A step of a bad rating's flow or of a complaint that ran past its limit.

    Attributes:
        stream: the rating's or complaint's stream.
        step: ``verify``, ``rectify``, ``revisit`` or ``conclude``.
        limit: the limit and its source (the hook that set it).
        due: when it was due.
        finished: when the step was done (late), or None while it is still open.
        overdue_by: how late (at the instant asked about, for an open step).
        responsible: the staff member answerable, when the stream names one.
        department: the department answerable, when known.
        evidence: the seqs of the events in the stream that start (and end) the step.
    """

    stream: str
    step: str
    limit: Limit
    due: dt.datetime
    finished: dt.datetime | None
    overdue_by: dt.timedelta
    responsible: str | None
    department: str | None
    evidence: tuple[int, ...]


def late(
    stream: str,
    step: str,
    clock: Clock,
    at: dt.datetime,
    responsible: str | None,
    department: str | None,
    evidence: tuple[int, ...],
) -> LateStep | None:
    """The late step a clock shows at ``at``, or None when it is on time (so far).

    A clock that starts after ``at`` is not late at ``at``.
    """
    if at < clock.events[0].at:
        return None
    status: ClockStatus = clock.status(at)
    if status.state is ClockState.STOPPED:
        if status.outcome is not Outcome.LATE:
            return None
        return LateStep(
            stream,
            step,
            clock.limit,
            status.due,
            clock.events[-1].at,
            status.overdue_by,
            responsible,
            department,
            evidence,
        )
    if at <= status.due:
        return None
    return LateStep(
        stream,
        step,
        clock.limit,
        status.due,
        None,
        status.overdue_by,
        responsible,
        department,
        evidence,
    )
