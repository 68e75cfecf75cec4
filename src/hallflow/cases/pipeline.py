"""The one pipeline every command runs through.

Each command is checked the same way, in this order, here and nowhere else:

1. **validate** — the command value validated itself when it was built
   (:mod:`hallflow.cases.commands`); the pipeline refuses anything that is not a command.
2. **load** the case (a submission makes one; its id comes from the command, from the
   idempotency key, or is fresh).
3. **authority** — every command names who may run it (:class:`Rule`): a power held under a
   written authority for the matter, window and day; the applicant themself; or the hall's
   supervision system. There is no command without a check: a :class:`Rule` refuses to be
   built without one.
4. **idempotency** — a key already used on the case answers with the earlier result only if
   it was used for the same command (same digest, hence same actor and arguments); otherwise
   :class:`~hallflow.errors.IdempotencyError` names both. The actor is authorised first, so a
   replayed key never shows a case to someone who may not act on it.
5. **time order** — a command's instant may not precede the case's last event (and so its
   receipt), nor lie further in the future than the hall's tolerance.
6. **state** — the lifecycle (:mod:`hallflow.cases.lifecycle`) or the rule's states allow it.
7. the **handler** — a function of the hall's configuration, the case and the command that
   returns the events to record (or raises, recording nothing).
8. **commit** — one version-checked append with the case's query row, bound to the key and
   the command's digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from hallflow.cases.case import Case, fold, fold_more
from hallflow.cases.commands import CaseCommand, Submit
from hallflow.cases.commands import digest as command_digest
from hallflow.cases.lifecycle import CaseState, Command, next_state
from hallflow.cases.sweepstate import packed_clocks
from hallflow.cases.upcast import CURRENT_SCHEMA
from hallflow.errors import (
    CaseCommandError,
    CaseStateError,
    CommandInputError,
    ConcurrencyError,
    HallflowError,
    IdempotencyError,
    NotAuthorisedError,
    TimeOrderError,
)
from hallflow.model.org import Power
from hallflow.store.base import Append, CaseRow, EventStore, NewEvent, StoredEvent
from hallflow.timeline.compiled import to_us
from hallflow.timeline.packed import with_last

if TYPE_CHECKING:
    from hallflow.calendar.engine import WorkCalendar
    from hallflow.cases.hall import Hall

__all__ = [
    "APPLICANT",
    "SUPERVISION",
    "Pipeline",
    "Rule",
    "derived_case_id",
    "event",
    "is_applicant",
]

SUPERVISION = "supervision"
"""The actor name of the electronic-supervision system (deemed approvals, silence)."""

APPLICANT = "applicant"
"""The actor name an applicant acts under (``applicant`` or ``applicant:<key>``)."""

C = TypeVar("C", bound=CaseCommand)

Handler = Callable[["Hall", Case, C], list[NewEvent]]
Authority = Callable[["Hall", Case, C], None]

_NEUTRAL = frozenset(
    {
        "signers_assigned",
        "step_signed",
        "returned_to_step",
        "transferred",
        "opinion_requested",
        "opinion_given",
        "opinion_deemed",
        "escalated",
        "deferred_supplied",
    }
)
"""Event kinds that never move a running case's due instant."""


def event(kind: str, actor: str, at: dt.datetime, **payload: Any) -> NewEvent:
    """A new event of the current payload schema for ``kind``."""
    return NewEvent(kind=kind, actor=actor, at=at, payload=payload, schema=CURRENT_SCHEMA[kind])


def is_applicant(actor: str, case_applicant: str) -> bool:
    """Whether ``actor`` is the case's applicant acting themself."""
    return actor == APPLICANT or actor == f"{APPLICANT}:{case_applicant}"


@attrs.define(frozen=True, slots=True)
class Rule(Generic[C]):
    """How the pipeline runs one kind of command.

    Attributes:
        handler: case + command → the events to record (raises to refuse).
        power: the power the actor must hold (at the case's window, for its matter, on the
            day of the act), unless ``authority`` replaces the check.
        applicant: the applicant may also run it themself.
        system: only the supervision system runs it.
        authority: a check of its own, for commands whose authority depends on more than
            one power (a step's signers, a co-department, a seal's holder).
        lifecycle: the lifecycle move it makes, checked against the case's state.
        states: the states it may run in, for commands that move no state (None: any state
            the lifecycle command allows, or any open state when there is none).
    """

    handler: Handler[C]
    power: Power | None = None
    applicant: bool = False
    system: bool = False
    authority: Authority[C] | None = None
    lifecycle: Command | None = None
    states: frozenset[CaseState] | None = None

    def __attrs_post_init__(self) -> None:
        if self.power is None and not self.system and self.authority is None:
            raise TypeError("every command needs an authority check")  # a programming error


_OPEN = frozenset(
    {
        CaseState.SUBMITTED,
        CaseState.CORRECTION,
        CaseState.REVIEWING,
        CaseState.SUSPENDED,
        CaseState.DECIDED,
        CaseState.SEALED,
    }
)


class _Stale(Exception):
    """A case a command ran on unchecked was not the stored one (the command runs again)."""


class Pipeline:
    """Runs commands for one :class:`~hallflow.cases.hall.Hall`.

    Args:
        hall: the hall whose catalogue, organisation, store and settings it uses.
        rules: the rule of each command class.
    """

    def __init__(self, hall: Hall, rules: dict[type[Any], Rule[Any]]) -> None:
        self.hall = hall
        self.rules = rules
        self._bounds: tuple[Any, ...] | None = None  # see _inner_bounds

    # ------------------------------------------------------------------ running

    def run(self, command: object, idempotency_key: object = None) -> Case:
        """Run ``command`` through every check and record its events.

        Returns:
            The case after the command (or, for a repeated key, after the first run).

        Raises:
            HallflowError: the subclass naming the rule that refused it; nothing is recorded.
        """
        key = _key(idempotency_key)
        if isinstance(command, Submit):
            from hallflow.cases.intake import submit_case

            return submit_case(self, command, key)
        rule = self.rules.get(type(command))
        if rule is None or not isinstance(command, CaseCommand):
            raise CommandInputError("command", "must be a hallflow command value", command)
        hall = self.hall
        if key is None:
            # The case as this Hall last knew it, unchecked: the append's version check
            # verifies it when the command records events; a refusal, or a command that
            # records nothing, verifies it by reading the version, and a case found stale
            # runs again from the store, as if read there first. A keyed command reads the
            # store first: the actor is authorised on the stored case before an earlier
            # result is shown.
            cached = hall._cache.get(command.case_id)
            if cached is not None:
                try:
                    return self._run(rule, cached, command, None, verified=False)
                except (HallflowError, _Stale):
                    if hall.store.version(cached.case_id) == cached.version:
                        raise
        return self._run(rule, hall.case(command.case_id), command, key, verified=True)

    def _run(
        self,
        rule: Rule[Any],
        case: Case,
        command: CaseCommand,
        key: str | None,
        *,
        verified: bool,
    ) -> Case:
        """The checks, the handler and the commit, on ``case``.

        With ``verified`` false, ``case`` is not known to be the stored one: a command that
        records nothing raises :class:`_Stale` if it is not.
        """
        self.authorise(rule, case, command)
        stamp: str | None = None
        if key is not None:  # the digest is computed only for a keyed command
            stamp = _stamp(command)
            earlier = self.replayed(case.case_id, key, stamp, command.describe())
            if earlier is not None:
                return earlier
        try:
            self.time_order(case, command.actor, command.NAME, command.at)
            self.state(rule, case, command)
            events = rule.handler(self.hall, case, command)
            if not events:
                if not verified and self.hall.store.version(case.case_id) != case.version:
                    raise _Stale
                return case
            return self.commit(case, events, command.at, key, stamp, command.describe())
        except CaseCommandError:
            if key is not None and stamp is not None:  # a racing twin may have run it meanwhile
                earlier = self.replayed(case.case_id, key, stamp, command.describe())
                if earlier is not None:
                    return earlier
            raise

    # ------------------------------------------------------------------ the checks

    def authorise(self, rule: Rule[Any], case: Case, command: CaseCommand) -> None:
        """Refuse the command unless its actor may run it on this case at its instant."""
        actor = command.actor
        if rule.system:
            if actor != SUPERVISION:
                raise NotAuthorisedError(
                    actor,
                    command.NAME,
                    case.case_id,
                    "only the supervision system runs this command",
                    "system-only",
                )
            return
        if actor == APPLICANT or actor.startswith(f"{APPLICANT}:"):
            if not rule.applicant:
                raise NotAuthorisedError(
                    actor,
                    command.NAME,
                    case.case_id,
                    "an applicant may not run this command",
                    "staff-only",
                )
            if not is_applicant(actor, case.applicant):
                raise NotAuthorisedError(
                    actor,
                    command.NAME,
                    case.case_id,
                    "an applicant acts only on their own cases",
                    "not-the-applicant",
                )
            return
        if rule.authority is not None:
            rule.authority(self.hall, case, command)
            return
        assert rule.power is not None
        self.require(actor, rule.power, case, command.NAME, command.at)

    def require(self, actor: str, power: Power, case: Case, command: str, at: dt.datetime) -> None:
        """Refuse unless ``actor`` holds ``power`` for the case's matter and window that day."""
        matter = self.hall.catalogue.get(case.matter)
        day = at.astimezone(self.hall.calendar.hours.tzinfo).date()
        permission = self.hall.organisation.may(actor, power, matter, case.window, day)
        if not permission.allowed:
            raise NotAuthorisedError(
                actor, command, case.case_id, permission.reason, permission.rule or "no-authority"
            )

    def time_order(self, case: Case | None, actor: str, command: str, at: dt.datetime) -> None:
        """Refuse an instant out of order: before the case's last event, or out of range.

        Out of range: outside the days the hall's calendar was compiled for, or later than
        the hall's clock plus its tolerance.
        """
        case_id = case.case_id if case is not None else "(new)"
        if case is not None and case.history:
            last = case.history[-1].at
            if at < last:
                raise TimeOrderError(
                    actor,
                    command,
                    case_id,
                    f"its instant {at.isoformat()} precedes the case's last event "
                    f"({case.history[-1].kind} at {last.isoformat()}): acts are recorded in "
                    f"time order",
                    at,
                    last,
                )
        calendar = self.hall.calendar
        bounds = self._bounds
        if bounds is None or bounds[0] is not calendar or bounds[1] is not calendar.hours:
            bounds = self._bounds = _inner_bounds(calendar)
        if not bounds[2] <= at <= bounds[3]:  # else it lies well inside: no day to compute
            self._in_range(calendar, actor, command, case_id, at)
        settings = self.hall.settings
        if settings.future_tolerance is not None:
            latest = settings.now() + settings.future_tolerance
            if at > latest:
                raise TimeOrderError(
                    actor,
                    command,
                    case_id,
                    f"its instant {at.isoformat()} is in the future (later than "
                    f"{latest.isoformat()}, the hall's clock plus its tolerance)",
                    at,
                    latest,
                )

    @staticmethod
    def _in_range(
        calendar: WorkCalendar, actor: str, command: str, case_id: str, at: dt.datetime
    ) -> None:
        """Refuse an instant whose day in the hall's zone the calendar does not cover."""
        day = at.astimezone(calendar.hours.tzinfo).date()
        if not calendar.first <= day <= calendar.last:
            bound = calendar.first if day < calendar.first else calendar.last
            raise TimeOrderError(
                actor,
                command,
                case_id,
                f"its day {day} lies outside the hall calendar's range {calendar.first}.."
                f"{calendar.last} (compile the calendar further: china(until=...))",
                at,
                bound,
            )

    def state(self, rule: Rule[Any], case: Case, command: CaseCommand) -> None:
        """Refuse a command the case's state does not allow."""
        if rule.lifecycle is not None:
            if next_state(case.state, rule.lifecycle) is None:
                raise CaseStateError(
                    command.actor,
                    command.NAME,
                    case.case_id,
                    f"the case is {case.state.value}; {command.NAME} is not allowed then",
                )
            return
        allowed = rule.states if rule.states is not None else _OPEN
        if case.state not in allowed:
            raise CaseStateError(
                command.actor,
                command.NAME,
                case.case_id,
                f"the case is {case.state.value}; {command.NAME} needs it "
                f"{' or '.join(sorted(s.value for s in allowed))}",
            )

    # ------------------------------------------------------------------ idempotency

    def replayed(self, case_id: str, key: str, stamp: str, describe: str) -> Case | None:
        """The earlier result of this command under ``key``, or None if the key is unused.

        Raises:
            IdempotencyError: the key was used on this case for another command.
        """
        record = self.hall.store.idempotency(case_id, key)
        if record is None:
            return None
        if record.digest != stamp:
            raise IdempotencyError(
                case_id, key, first=_described(record.digest), second=_second(describe, stamp)
            )
        return fold(self.hall.store.load(case_id)[: record.version])

    def _both(self, case_id: str, key: str, stamp: str, describe: str) -> IdempotencyError:
        """The store's refusal of a reused key (a race lost), naming both commands."""
        record = self.hall.store.idempotency(case_id, key)
        return IdempotencyError(
            case_id,
            key,
            first=_described(record.digest) if record is not None else None,
            second=_second(describe, stamp),
        )

    # ------------------------------------------------------------------ commit

    def commit(
        self,
        case: Case,
        events: Sequence[NewEvent],
        at: dt.datetime,
        key: str | None,
        stamp: str | None,
        describe: str = "",
    ) -> Case:
        """Append ``events`` to ``case`` with its new row; the store checks the version."""
        updated, row = self._after(case, events, at)
        hall = self.hall
        try:
            version = _append(hall.store, case.case_id, case.version, list(events), row, key, stamp)
        except IdempotencyError:
            assert key is not None and stamp is not None
            raise self._both(case.case_id, key, stamp, describe) from None
        hall._rows[case.case_id] = row
        if version != updated.version:  # an earlier identical request: answer with it
            return fold(hall.store.load(case.case_id)[:version])
        return hall._remember(updated)

    def commit_many(
        self,
        items: Sequence[tuple[Case, Sequence[NewEvent], dt.datetime, CaseRow | None]],
    ) -> list[Case | ConcurrencyError]:
        """Append events to several cases at once (:meth:`EventStore.append_many`).

        Each item is what :meth:`commit` takes without a key: a case, its new events (already
        checked by the caller's rule) and their instant, with the case's current row if the
        caller has it (else this Hall's cached row, if any, is used; see :meth:`row`). The
        store commits them together and checks each case's version on its own.

        Returns:
            For each item, in order: the case after its events, or the
            :class:`~hallflow.errors.ConcurrencyError` of a case a concurrent command
            changed (nothing was written for it).
        """
        hall = self.hall
        after = [self._after(case, events, at, row) for case, events, at, row in items]
        outcomes = hall.store.append_many(
            [
                Append(case.case_id, case.version, list(events), row)
                for (case, events, _, _), (_, row) in zip(items, after, strict=True)
            ]
        )
        out: list[Case | ConcurrencyError] = []
        for (updated, row), outcome in zip(after, outcomes, strict=True):
            if isinstance(outcome, ConcurrencyError):
                out.append(outcome)
                continue
            if not isinstance(outcome, int) or outcome != updated.version:
                raise AssertionError(f"an unkeyed append answered {outcome!r}")
            hall._rows[updated.case_id] = row
            out.append(hall._remember(updated))
        return out

    def _after(
        self,
        case: Case,
        events: Sequence[NewEvent],
        at: dt.datetime,
        previous: CaseRow | None = None,
    ) -> tuple[Case, CaseRow]:
        """``case`` with ``events`` folded in, and its row after them.

        The row is renewed from ``previous`` (the case's current row), or else from this
        Hall's cached row, when either is at the case's version (:meth:`row`).
        """
        stored = [
            StoredEvent(
                case_id=case.case_id,
                seq=case.version + i + 1,
                kind=e.kind,
                actor=e.actor,
                at=e.at,
                payload=e.payload,
                recorded_at=e.at,
                schema=e.schema,
            )
            for i, e in enumerate(events)
        ]
        updated = fold_more(case, stored)
        if previous is None:
            previous = self.hall._rows.get(case.case_id)
        if previous is not None and previous.version != case.version:
            previous = None
        return updated, self.row(updated, at, previous, [e.kind for e in events])

    def create(
        self, case_id: str, new: NewEvent, key: str | None, stamp: str | None, describe: str
    ) -> Case:
        """Record a new case's first event."""
        stored = StoredEvent(
            case_id, 1, new.kind, new.actor, new.at, new.payload, new.at, schema=new.schema
        )
        case = fold([stored])
        row = self.row(case, new.at)
        try:
            version = _append(self.hall.store, case_id, 0, [new], row, key, stamp)
        except ConcurrencyError:
            raise CaseCommandError(
                new.actor, "submit", case_id, "a case with this id already exists"
            ) from None
        except IdempotencyError:
            assert key is not None and stamp is not None
            raise self._both(case_id, key, stamp, describe) from None
        if version != 1:
            return fold(self.hall.store.load(case_id)[:version])
        self.hall._rows[case_id] = row
        return self.hall._remember(case)

    def row(
        self,
        case: Case,
        at: dt.datetime,
        previous: CaseRow | None = None,
        kinds: Iterable[str] = (),
    ) -> CaseRow:
        """The query projection of ``case``.

        The due instant is recomputed only when the new events can move it; otherwise the
        previous row's due is kept (a running clock's due does not depend on the instant).
        The same goes for what the supervision sweep reads (:mod:`hallflow.cases.sweepstate`):
        the open clocks are packed again, and what the sweep acknowledged is reset, only when
        the events can move a clock; otherwise only the last event's instant is updated.
        """
        kinds = list(kinds)
        if (
            previous is not None
            and previous.version + len(kinds) == case.version
            and case.state is CaseState.REVIEWING
            and previous.state == CaseState.REVIEWING.value
            and previous.clocks
            and all(kind in _NEUTRAL for kind in kinds)
        ):
            # attrs.evolve without its introspection: every field of previous, the version
            # and the last event's instant renewed (a field added to CaseRow goes here too)
            return CaseRow(
                previous.case_id,
                previous.matter,
                previous.applicant,
                previous.window,
                previous.state,
                previous.due,
                case.version,
                with_last(previous.clocks, to_us(case.history[-1].at)),
                previous.swept,
            )
        due: dt.datetime | None = None
        if not case.closed and case.state is not CaseState.SEALED and case.clock_events:
            matter = self.hall.catalogue.get(case.matter)
            clock = case.clock(
                "promised",
                matter.promised_limit,
                self.hall.calendar,
                self.hall.settings.clock_policy,
            )
            if clock is not None:
                due = clock.due(max(at, clock.events[-1].at))
        return CaseRow(
            case_id=case.case_id,
            matter=case.matter,
            applicant=case.applicant,
            window=case.window,
            state=case.state.value,
            due=due,
            version=case.version,
            clocks=packed_clocks(self.hall, case),
        )


def _inner_bounds(calendar: WorkCalendar) -> tuple[Any, ...]:
    """The calendar, its hours, and two instants between which every day is covered.

    Midnight (in the hall's zone) two days after the calendar's first day and two days
    before its last: an instant between them falls, in that zone, on a day the calendar
    covers, whatever the zone's offsets do (they move a wall clock by less than a day), so
    :meth:`Pipeline.time_order` need not compute its day. Outside them it does
    (:meth:`Pipeline._in_range`, the reference).
    """
    tz = calendar.hours.tzinfo
    try:
        low = dt.datetime.combine(calendar.first + dt.timedelta(days=2), dt.time(), tz)
        high = dt.datetime.combine(calendar.last - dt.timedelta(days=2), dt.time(), tz)
    except OverflowError:  # a calendar at the ends of the date range: always the reference
        low, high = dt.datetime.max.replace(tzinfo=dt.UTC), dt.datetime.min.replace(tzinfo=dt.UTC)
    return calendar, calendar.hours, low, high


def _append(
    store: EventStore,
    case_id: str,
    expected: int,
    events: list[NewEvent],
    row: CaseRow,
    key: str | None,
    stamp: str | None,
) -> int:
    """Append; a keyed append is bound to the command's stamp (the store compares it)."""
    if key is None:
        return store.append(case_id, expected, events, row)
    return store.append(case_id, expected, events, row, idempotency_key=key, request_digest=stamp)


def _key(value: object) -> str | None:
    if value is None:
        return None
    if type(value) is not str or not value or len(value) > 200 or not value.isprintable():
        raise CommandInputError(
            "idempotency_key", "must be None or a non-empty printable str of at most 200", value
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise CommandInputError("idempotency_key", "must be valid Unicode text", value) from None
    return value


def _stamp(command: Submit | CaseCommand) -> str:
    """What an idempotency key is bound to: the command's name, actor and digest."""
    return f"{command.NAME}|{command.actor}|{command_digest(command)}"


def _described(stamp: str) -> str:
    name, _, rest = stamp.partition("|")
    actor, _, digest = rest.partition("|")
    if not digest:
        return "another request"
    return f"{name} by {actor} (command {digest[:12]})"


def _second(describe: str, stamp: str) -> str:
    return f"{describe} (command {stamp.rpartition('|')[2][:12]})"


def derived_case_id(key: str) -> str:
    """The case id a submission with ``key`` and no case id gets: a retry finds the same case."""
    return hashlib.sha256(f"hallflow-submit\x00{key}".encode()).hexdigest()[:32]
