"""The Hall: the API an e-government platform embeds.

A :class:`Hall` is built from a catalogue, an organisation (windows, staff, authorities), a
calendar, an event store and a seal provider. Every command loads the case's events,
checks the actor's authority and the case's state, appends the new events in one atomic,
version-checked write, and returns the case as rebuilt from its events. A refused command
raises a :class:`~hallflow.errors.CaseCommandError` (who, what, which case, which rule) and
records nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Concatenate, ParamSpec

import attrs
import pluggy
import uuid6

from hallflow.calendar.engine import WorkCalendar
from hallflow.cases.case import Case, Opinion, StepProgress, fold, fold_more, limit_to
from hallflow.cases.lifecycle import CaseState, Command, next_state
from hallflow.errors import (
    CaseCommandError,
    CaseStateError,
    ClockError,
    HallflowError,
    MaterialsError,
)
from hallflow.model.catalogue import Catalogue, Matter, SilencePolicy, Step, StepKind
from hallflow.model.identity import Applicant, LegalPerson, NaturalPerson, applicant_key
from hallflow.model.org import Organisation, Power
from hallflow.plugins.policy import (
    Escalation,
    EscalationAction,
    EventSink,
    Quote,
    price,
)
from hallflow.seals import SealKind, SealProvider, SealRegistry
from hallflow.store.base import CaseRow, EventStore, NewEvent, StoredEvent
from hallflow.timeline.clock import Clock, ClockPolicy
from hallflow.timeline.events import PauseReason
from hallflow.timeline.limits import Limit, Unit

__all__ = ["APPLICANT", "SUPERVISION", "Hall", "HallSettings"]

SUPERVISION = "supervision"
"""The actor name of the electronic-supervision system (deemed approvals, silence)."""

APPLICANT = "applicant"
"""The actor name an applicant acts under (``applicant`` or ``applicant:<key>``)."""

DEFAULT_REMEDIES = ("administrative review", "administrative litigation")

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


@attrs.define(frozen=True, slots=True)
class HallSettings:
    """A hall's rules for its cases.

    Attributes:
        clock_policy: reminders and late-extension rule for the limit clocks.
        correction_notice: the time the hall has to issue a correction notice; a case not
            notified within it counts as accepted from receipt (Licensing Law Art. 32).
        delivery: the time to deliver a decision (Licensing Law Art. 44: 10 working days).
        remedies: the remedies a denial must tell the applicant.
        new_id: how new case identifiers are made. The default is a time-ordered UUID
            (version 7, RFC 9562) as 32 hex digits: identifiers sort by creation, and the
            cases a hall opens together sit together in the store's indexes, so that
            concurrent commands touch — and sync — fewer pages than random ids would.
    """

    clock_policy: ClockPolicy = attrs.field(factory=ClockPolicy)
    correction_notice: Limit = attrs.field(factory=lambda: Limit.working_days(5))
    delivery: Limit = attrs.field(factory=lambda: Limit.working_days(10))
    remedies: tuple[str, ...] = DEFAULT_REMEDIES
    new_id: Callable[[], str] = attrs.field(default=lambda: uuid6.uuid7().hex, eq=False)


def _applicant_data(applicant: Applicant) -> dict[str, Any]:
    if isinstance(applicant, NaturalPerson):
        return {"type": "natural", "name": applicant.name, "key": applicant_key(applicant)}
    if isinstance(applicant, LegalPerson):
        return {"type": "legal", "name": applicant.name, "key": applicant_key(applicant)}
    raise HallflowError(f"applicant={applicant!r} must be a NaturalPerson or a LegalPerson")


_P = ParamSpec("_P")


def _idempotent(
    command: Callable[Concatenate[Hall, str, _P], Case],
) -> Callable[Concatenate[Hall, str, _P], Case]:
    """Answer a command repeated with the same idempotency key with the earlier result.

    The check runs before anything else, so a retry of a command that moved the case on is
    not refused by the state it moved the case to.
    """

    @functools.wraps(command)
    def run(hall: Hall, case_id: str, /, *args: _P.args, **kwargs: _P.kwargs) -> Case:
        key = kwargs.get("idempotency_key")
        done = hall._replayed(case_id, key if isinstance(key, str) else None)
        if done is not None:
            return done
        return command(hall, case_id, *args, **kwargs)

    return run


class Hall:
    """A government service hall's back office, embeddable.

    Args:
        catalogue: the matters the hall handles.
        organisation: windows, staff, authorities, leave and A/B posts.
        calendar: the hall's working-day calendar (with its hours and cut-off).
        store: where events are kept.
        seals: the seal registry.
        seal_provider: signs decisions (the software Ed25519 provider by default).
        settings: the hall's case rules.
        plugins: the plugin manager whose hooks decide locality rules (acceptance checks,
            extension rules, deemed approval, silence, seal holders, fees, escalation);
            the national defaults when omitted.

    One Hall may serve many threads (one per clerk or request): its case cache is guarded,
    commands on different cases run side by side, two commands on one case are settled by
    the store's version check, and with :class:`~hallflow.store.SQLiteStore` the appends of
    concurrent commands are committed together (group commit).
    """

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        organisation: Organisation,
        calendar: WorkCalendar,
        store: EventStore,
        seals: SealRegistry,
        seal_provider: SealProvider,
        settings: HallSettings | None = None,
        plugins: pluggy.PluginManager | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.organisation = organisation
        self.calendar = calendar
        self.store = store
        self.seals = seals
        self.seal_provider = seal_provider
        self.settings = settings or HallSettings()
        if plugins is None:
            from hallflow.plugins.manager import plugin_manager

            plugins = plugin_manager()
        self.plugins = plugins
        self.sinks: list[EventSink] = [
            sink for batch in plugins.hook.hallflow_event_sinks() for sink in batch
        ]
        self._cache: OrderedDict[str, Case] = OrderedDict()
        self._rows: dict[str, CaseRow] = {}
        self._cache_lock = threading.Lock()

    _CACHE_SIZE = 4096

    # ------------------------------------------------------------------ queries

    def case(self, case_id: str) -> Case:
        """The case as rebuilt from its events.

        Rebuilt cases are cached; the cache is checked against the store's version of the
        case on every call, so a write by another process or Hall is always seen.
        """
        cached = self._cache.get(case_id)
        if cached is not None and cached.version == self.store.version(case_id):
            with self._cache_lock:
                if case_id in self._cache:
                    self._cache.move_to_end(case_id)
            return cached
        return self._remember(fold(self.store.load(case_id)))

    def _remember(self, case: Case) -> Case:
        with self._cache_lock:
            self._cache[case.case_id] = case
            self._cache.move_to_end(case.case_id)
            while len(self._cache) > self._CACHE_SIZE:
                dropped, _ = self._cache.popitem(last=False)
                self._rows.pop(dropped, None)
        return case

    def find(
        self,
        *,
        matter: str | None = None,
        applicant: str | None = None,
        window: str | None = None,
        state: CaseState | None = None,
        due_from: dt.datetime | None = None,
        due_to: dt.datetime | None = None,
    ) -> list[CaseRow]:
        """Cases by matter, applicant, window, state, or due in ``[due_from, due_to)``."""
        return self.store.find(
            matter=matter,
            applicant=applicant,
            window=window,
            state=state.value if state is not None else None,
            due_from=due_from,
            due_to=due_to,
        )

    def clocks(self, case: Case) -> dict[str, Clock]:
        """The case's clocks, by name.

        ``promised`` and ``legal`` once it is accepted; ``delivery`` once it is decided
        (Licensing Law Art. 44: deliver within the settings' delivery limit of the
        decision; it stops at delivery).
        """
        matter = self.catalogue.get(case.matter)
        out: dict[str, Clock] = {}
        for name, limit in (("promised", matter.promised_limit), ("legal", matter.legal_limit)):
            clock = case.clock(name, limit, self.calendar, self.settings.clock_policy)
            if clock is not None:
                out[name] = clock
        if case.decision is not None:
            delivery = Clock.start(
                "delivery",
                self.settings.delivery,
                self.calendar,
                case.decision.at,
                policy=self.settings.clock_policy,
            )
            delivered = next((e.at for e in case.history if e.kind == "delivered"), None)
            if delivered is not None:
                delivery = delivery.stop(delivered)
            out["delivery"] = delivery
        return out

    def opinion_clock(self, case: Case, opinion: Opinion) -> Clock | None:
        """A co-department's reply clock on a joint case."""
        if opinion.requested_at is None:
            return None
        return Clock.start(opinion.department, opinion.limit, self.calendar, opinion.requested_at)

    # ------------------------------------------------------------------ plumbing

    def _replayed(self, case_id: str, key: str | None) -> Case | None:
        """The earlier result of a command repeated with the same idempotency key."""
        if key is None:
            return None
        version = self.store.key_version(case_id, key)
        if version is None:
            return None
        return fold(self.store.load(case_id)[:version])

    def _matter(self, case: Case) -> Matter:
        return self.catalogue.get(case.matter)

    def _authorise(
        self, actor: str, power: Power, case: Case, command: str, at: dt.datetime
    ) -> None:
        matter = self._matter(case)
        permission = self.organisation.may(actor, power, matter, case.window, at.date())
        if not permission.allowed:
            raise CaseCommandError(actor, command, case.case_id, permission.reason)

    def _applicant_or(
        self, actor: str, power: Power, case: Case, command: str, at: dt.datetime
    ) -> None:
        if actor in (APPLICANT, f"{APPLICANT}:{case.applicant}"):
            return
        self._authorise(actor, power, case, command, at)

    def _require_state(self, case: Case, command: Command, actor: str) -> None:
        if next_state(case.state, command) is None:
            raise CaseStateError(
                actor,
                command.value,
                case.case_id,
                f"the case is {case.state.value}; {command.value} is not allowed then",
            )

    def _row(
        self,
        case: Case,
        at: dt.datetime,
        previous: CaseRow | None = None,
        kinds: Iterable[str] = (),
    ) -> CaseRow:
        """The query projection of ``case``.

        The due instant is recomputed only when the new events can move it; otherwise the
        previous row's due is kept (a running clock's due does not depend on the instant).
        """
        if (
            previous is not None
            and previous.version + len(list(kinds)) == case.version
            and case.state is CaseState.REVIEWING
            and previous.state == CaseState.REVIEWING.value
            and all(kind in _NEUTRAL for kind in kinds)
        ):
            return attrs.evolve(previous, version=case.version)
        due: dt.datetime | None = None
        if not case.closed and case.state is not CaseState.SEALED and case.clock_events:
            matter = self._matter(case)
            clock = case.clock(
                "promised", matter.promised_limit, self.calendar, self.settings.clock_policy
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
        )

    def _commit(
        self,
        case: Case,
        events: Sequence[NewEvent],
        at: dt.datetime,
        idempotency_key: str | None,
    ) -> Case:
        stored = [
            StoredEvent(
                case_id=case.case_id,
                seq=case.version + i + 1,
                kind=e.kind,
                actor=e.actor,
                at=e.at,
                payload=e.payload,
                recorded_at=e.at,
            )
            for i, e in enumerate(events)
        ]
        updated = fold_more(case, stored)
        previous = self._rows.get(case.case_id)
        if previous is not None and previous.version != case.version:
            previous = None
        row = self._row(updated, at, previous, [e.kind for e in events])
        version = self.store.append(
            case.case_id,
            case.version,
            list(events),
            row,
            idempotency_key=idempotency_key,
        )
        self._rows[case.case_id] = row
        if version != updated.version:  # an earlier identical request: answer with it
            return fold(self.store.load(case.case_id)[:version])
        return self._remember(updated)

    def _event(self, kind: str, actor: str, at: dt.datetime, **payload: Any) -> NewEvent:
        return NewEvent(kind=kind, actor=actor, at=at, payload=payload)

    # ------------------------------------------------------------------ intake

    def submit(
        self,
        matter: str,
        applicant: Applicant,
        window: str,
        *,
        materials: Iterable[str],
        actor: str,
        at: dt.datetime,
        conditions: Iterable[str] = (),
        facts: Mapping[str, Any] | None = None,
        channel: str = "window",
        case_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Case:
        """Receive an application (at a window, online or through a proxy window).

        Raises:
            CaseCommandError: the window does not handle the matter (the message names the
                windows that do), or the actor may not receive at this window.
            MaterialsError: a material code the matter does not know.
        """
        spec = self.catalogue.get(matter)
        if case_id is not None:
            done = self._replayed(case_id, idempotency_key)
            if done is not None:
                return done
        case_id = case_id or self.settings.new_id()
        supplied = sorted(set(materials))
        known = {m.code for m in spec.materials}
        unknown = [m for m in supplied if m not in known]
        if unknown:
            raise MaterialsError(actor, "submit", case_id, f"unknown materials {unknown}")
        handled = self.organisation.window(window)
        if not handled.handles(spec):
            others = [w.code for w in self.organisation.windows if w.handles(spec)]
            raise CaseCommandError(
                actor,
                "submit",
                case_id,
                f"window {window} does not handle matter {matter}; go to {others or 'none'}",
            )
        if channel == "window":
            permission = self.organisation.may(actor, Power.ACCEPT, spec, window, at.date())
            if not permission.allowed:
                raise CaseCommandError(actor, "submit", case_id, permission.reason)
        event = self._event(
            "submitted",
            actor,
            at,
            matter=matter,
            applicant=_applicant_data(applicant),
            window=window,
            channel=channel,
            materials=supplied,
            conditions=sorted(set(conditions)),
            facts=dict(facts or {}),
            steps=[s.code for s in spec.procedure.steps],
        )
        stored = StoredEvent(case_id, 1, event.kind, actor, at, event.payload, at)
        case = fold([stored])
        row = self._row(case, at)
        version = self.store.append(case_id, 0, [event], row, idempotency_key=idempotency_key)
        if version != 1:
            return self.case(case_id)
        self._rows[case_id] = row
        return self._remember(case)

    def _plugin_checks(self, case: Case, spec: Matter, actor: str, command: str) -> None:
        found = self.plugins.hook.hallflow_check_application(
            matter=spec, case=case, facts=case.facts
        )
        problems = [str(p) for batch in found if batch for p in batch]
        if problems:
            raise CaseCommandError(actor, command, case.case_id, "; ".join(problems))

    def _missing(self, case: Case, spec: Matter, deferred: Iterable[str] = ()) -> list[str]:
        needed = [m.code for m in spec.materials_for(case.conditions) if m.required]
        skip = set(deferred)
        return [m for m in needed if m not in case.materials and m not in skip]

    def _clock_start(self, case: Case, at: dt.datetime) -> dt.datetime:
        """Art. 32: accepted after the correction-notice window ⇒ counts from receipt."""
        receipt = self.calendar.receipt_day(case.received_at)
        notice_by = self.calendar.add_working_days(receipt, self.settings.correction_notice.amount)
        return case.received_at if at.date() > notice_by else at

    @_idempotent
    def accept(
        self, case_id: str, *, actor: str, at: dt.datetime, idempotency_key: str | None = None
    ) -> Case:
        """Accept (受理) a complete application; the limit clocks start."""
        case = self.case(case_id)
        self._require_state(case, Command.ACCEPT, actor)
        self._authorise(actor, Power.ACCEPT, case, "accept", at)
        spec = self._matter(case)
        missing = self._missing(case, spec)
        if missing:
            raise MaterialsError(actor, "accept", case_id, f"required materials missing: {missing}")
        self._plugin_checks(case, spec, actor, "accept")
        events = [
            self._event("accepted", actor, at, clock_start=self._clock_start(case, at).isoformat())
        ]
        events += self._open_opinions(case, spec, actor, at)
        return self._commit(case, events, at, idempotency_key)

    @_idempotent
    def request_correction(
        self,
        case_id: str,
        items: Mapping[str, str],
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Issue one correction notice (补正) listing every missing or defective item.

        Raises:
            MaterialsError: no items, an unknown material, or a required missing material
                left off the notice (the notice must list everything at once).
            CaseCommandError: the notice comes after the Art. 32 window.
        """
        case = self.case(case_id)
        self._require_state(case, Command.REQUEST_CORRECTION, actor)
        self._authorise(actor, Power.ACCEPT, case, "request correction", at)
        spec = self._matter(case)
        known = {m.code for m in spec.materials}
        if not items:
            raise MaterialsError(actor, "request correction", case_id, "the notice lists nothing")
        unknown = sorted(set(items) - known)
        if unknown:
            raise MaterialsError(actor, "request correction", case_id, f"unknown {unknown}")
        left_off = sorted(set(self._missing(case, spec)) - set(items))
        if left_off:
            raise MaterialsError(
                actor,
                "request correction",
                case_id,
                f"a correction notice must list every missing item at once; also missing "
                f"{left_off}",
            )
        if self._clock_start(case, at) != at:
            raise CaseCommandError(
                actor,
                "request correction",
                case_id,
                f"more than {self.settings.correction_notice} after receipt: the case counts "
                f"as accepted from receipt (Licensing Law Art. 32)",
            )
        payload = [{"material": k, "problem": v} for k, v in sorted(items.items())]
        event = self._event("correction_requested", actor, at, items=payload)
        return self._commit(case, [event], at, idempotency_key)

    @_idempotent
    def supply(
        self,
        case_id: str,
        materials: Iterable[str],
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Supply the materials a correction notice asked for.

        The case is received anew: the limit runs from the day the materials are complete.
        """
        case = self.case(case_id)
        self._require_state(case, Command.SUPPLY, actor)
        self._applicant_or(actor, Power.ACCEPT, case, "supply materials", at)
        given = set(materials)
        outstanding = sorted(set(case.correction_items) - given)
        if outstanding:
            raise MaterialsError(
                actor, "supply materials", case_id, f"still missing from the notice: {outstanding}"
            )
        event = self._event("materials_supplied", actor, at, materials=sorted(given))
        return self._commit(case, [event], at, idempotency_key)

    @_idempotent
    def accept_with_gaps(
        self,
        case_id: str,
        deferred: Iterable[str],
        pledge_date: dt.date,
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Accept with minor materials missing (容缺).

        The applicant pledges to supply them by ``pledge_date``.
        """
        case = self.case(case_id)
        self._require_state(case, Command.ACCEPT_WITH_GAPS, actor)
        self._authorise(actor, Power.ACCEPT, case, "accept with gaps", at)
        spec = self._matter(case)
        gaps = spec.gaps
        rule = "accept with gaps"
        if gaps is None:
            raise CaseCommandError(actor, rule, case_id, f"matter {spec.code} allows no gaps")
        wanted = sorted(set(deferred))
        not_allowed = sorted(set(wanted) - set(gaps.deferrable))
        if not wanted or not_allowed:
            raise MaterialsError(
                actor, rule, case_id, f"materials {not_allowed or wanted} may not be deferred"
            )
        missing = self._missing(case, spec, wanted)
        if missing:
            raise MaterialsError(actor, rule, case_id, f"required materials missing: {missing}")
        self._plugin_checks(case, spec, actor, rule)
        latest = self._limit_end(at, gaps.max_days)
        if pledge_date > latest or pledge_date < at.date():
            raise CaseCommandError(
                actor,
                rule,
                case_id,
                f"pledge date {pledge_date} must be between {at.date()} and {latest} "
                f"({gaps.max_days})",
            )
        event = self._event(
            "accepted_with_gaps",
            actor,
            at,
            deferred=wanted,
            pledge_date=pledge_date.isoformat(),
            clock_start=self._clock_start(case, at).isoformat(),
        )
        events = [event, *self._open_opinions(case, spec, actor, at)]
        return self._commit(case, events, at, idempotency_key)

    def _limit_end(self, at: dt.datetime, limit: Limit) -> dt.date:
        day = at.astimezone(self.calendar.hours.tzinfo).date()
        if limit.unit is Unit.WORKING_DAYS:
            return self.calendar.add_working_days(day, limit.amount)
        if limit.unit is Unit.CALENDAR_DAYS:
            return day + dt.timedelta(days=limit.amount)
        return day

    @_idempotent
    def supply_deferred(
        self,
        case_id: str,
        materials: Iterable[str],
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Supply the materials deferred under accept-with-gaps."""
        case = self.case(case_id)
        self._applicant_or(actor, Power.ACCEPT, case, "supply deferred materials", at)
        deferred, _ = case.deferred
        given = set(materials)
        if not deferred or set(deferred) - given:
            raise MaterialsError(
                actor,
                "supply deferred materials",
                case_id,
                f"deferred materials are {list(deferred)}; given {sorted(given)}",
            )
        event = self._event("deferred_supplied", actor, at, materials=sorted(given))
        return self._commit(case, [event], at, idempotency_key)

    @_idempotent
    def not_accept(
        self,
        case_id: str,
        reason: str,
        *,
        actor: str,
        at: dt.datetime,
        redirect_window: str | None = None,
        idempotency_key: str | None = None,
    ) -> Case:
        """Do not accept (不予受理), with a written reason.

        When the matter is outside this window's remit, name the right window.
        """
        case = self.case(case_id)
        self._require_state(case, Command.NOT_ACCEPT, actor)
        self._authorise(actor, Power.ACCEPT, case, "not accept", at)
        if not reason.strip():
            raise CaseCommandError(actor, "not accept", case_id, "a written reason is required")
        event = self._event(
            "not_accepted", actor, at, reason=reason, redirect_window=redirect_window
        )
        return self._commit(case, [event], at, idempotency_key)

    # ------------------------------------------------------------------ review

    @_idempotent
    def assign(
        self,
        case_id: str,
        step: str,
        signers: Sequence[str],
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Name the signers of a review step (all must sign a countersign, one an or-sign)."""
        case = self.case(case_id)
        self._in_review(case, actor, "assign signers")
        self._authorise(actor, Power.COORDINATE, case, "assign signers", at)
        progress = self._step(case, step, actor, "assign signers")
        if progress.signed:
            raise CaseStateError(actor, "assign signers", case_id, f"step {step} has signatures")
        if len(set(signers)) != len(signers) or not signers:
            raise CaseCommandError(
                actor, "assign signers", case_id, "signers must be distinct and non-empty"
            )
        event = self._event("signers_assigned", actor, at, step=step, signers=list(signers))
        return self._commit(case, [event], at, idempotency_key)

    @_idempotent
    def add_signer(
        self,
        case_id: str,
        step: str,
        signer: str,
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Add a signer to the current step (加签)."""
        case = self.case(case_id)
        self._in_review(case, actor, "add a signer")
        self._authorise(actor, Power.COORDINATE, case, "add a signer", at)
        progress = self._step(case, step, actor, "add a signer")
        if case.current_step is None or progress.step != case.current_step.step:
            raise CaseStateError(actor, "add a signer", case_id, f"{step} is not the current step")
        if signer in progress.signers:
            raise CaseCommandError(actor, "add a signer", case_id, f"{signer} already signs")
        event = self._event(
            "signers_assigned", actor, at, step=step, signers=[*progress.signers, signer]
        )
        return self._commit(case, [event], at, idempotency_key)

    @_idempotent
    def transfer(
        self,
        case_id: str,
        step: str,
        to: str,
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Hand the actor's part of the current step to a colleague (转办)."""
        case = self.case(case_id)
        self._in_review(case, actor, "transfer")
        progress = self._step(case, step, actor, "transfer")
        if case.current_step is None or progress.step != case.current_step.step:
            raise CaseStateError(actor, "transfer", case_id, f"{step} is not the current step")
        if actor in progress.signed:
            raise CaseStateError(actor, "transfer", case_id, "the actor has already signed")
        spec = self._spec_step(case, step)
        permission = self.organisation.may(
            to, spec.power, self._matter(case), case.window, at.date()
        )
        if not permission.allowed:
            raise CaseCommandError(actor, "transfer", case_id, f"{to}: {permission.reason}")
        event = self._event("transferred", actor, at, step=step, **{"from": actor, "to": to})
        return self._commit(case, [event], at, idempotency_key)

    @_idempotent
    def sign(
        self,
        case_id: str,
        step: str,
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Sign (approve) the actor's part of a review step."""
        case = self.case(case_id)
        self._in_review(case, actor, "sign")
        progress = self._step(case, step, actor, "sign")
        spec = self._spec_step(case, step)
        self._authorise(actor, spec.power, case, f"sign step {step}", at)
        if case.current_step is None or progress.step != case.current_step.step:
            raise CaseStateError(actor, "sign", case_id, f"{step} is not the current step")
        if actor in progress.signed:
            raise CaseCommandError(actor, "sign", case_id, "already signed this step")
        signers = progress.signers
        kind = spec.kind
        if signers and actor not in signers:
            raise CaseCommandError(actor, "sign", case_id, f"not a signer of {step}: {signers}")
        if kind in (StepKind.PARALLEL_COUNTERSIGN, StepKind.SEQUENTIAL_COUNTERSIGN) and not signers:
            raise CaseStateError(actor, "sign", case_id, f"countersign step {step} has no signers")
        if kind is StepKind.SEQUENTIAL_COUNTERSIGN:
            expected = signers[len(progress.signed)]
            if actor != expected:
                raise CaseCommandError(actor, "sign", case_id, f"{expected} signs next")
        signed = (*progress.signed, actor)
        countersign = kind in (StepKind.PARALLEL_COUNTERSIGN, StepKind.SEQUENTIAL_COUNTERSIGN)
        complete = set(signed) >= set(signers) if countersign else True
        event = self._event("step_signed", actor, at, step=step, done=complete)
        return self._commit(case, [event], at, idempotency_key)

    @_idempotent
    def return_case(
        self,
        case_id: str,
        to: str,
        reason: str,
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Return the case (驳回) to an earlier step or, with ``to="window"``, to the window."""
        case = self.case(case_id)
        self._in_review(case, actor, "return")
        self._authorise(actor, Power.REVIEW, case, "return", at)
        if not reason.strip():
            raise CaseCommandError(actor, "return", case_id, "a reason is required")
        if to == "window":
            event = self._event("returned_to_window", actor, at, reason=reason)
            return self._commit(case, [event], at, idempotency_key)
        current = case.current_step
        order = [s.step for s in case.steps]
        if to not in order:
            raise CaseCommandError(actor, "return", case_id, f"no step {to}")
        if current is None or order.index(to) > order.index(current.step):
            raise CaseStateError(actor, "return", case_id, f"{to} is not an earlier step")
        event = self._event("returned_to_step", actor, at, step=to, reason=reason)
        return self._commit(case, [event], at, idempotency_key)

    def _in_review(self, case: Case, actor: str, command: str) -> None:
        if case.state is not CaseState.REVIEWING:
            raise CaseStateError(
                actor, command, case.case_id, f"the case is {case.state.value}, not reviewing"
            )

    def _step(self, case: Case, step: str, actor: str, command: str) -> StepProgress:
        for progress in case.steps:
            if progress.step == step:
                return progress
        raise CaseCommandError(actor, command, case.case_id, f"matter has no step {step}")

    def _spec_step(self, case: Case, step: str) -> Step:
        for spec in self._matter(case).procedure.steps:
            if spec.code == step:
                return spec
        raise HallflowError(f"step {step} is not in matter {case.matter}")

    # ------------------------------------------------------------------ time

    @_idempotent
    def suspend(
        self,
        case_id: str,
        reason: PauseReason | str,
        *,
        actor: str,
        at: dt.datetime,
        length: Limit | None = None,
        idempotency_key: str | None = None,
    ) -> Case:
        """Suspend review for an Art. 45 period or at the applicant's request.

        Give ``length`` when it was told in writing; the limit clocks stop counting.
        """
        case = self.case(case_id)
        self._require_state(case, Command.SUSPEND, actor)
        self._authorise(actor, Power.REVIEW, case, "suspend", at)
        why = PauseReason(reason)
        spec = self._matter(case)
        if why is PauseReason.CORRECTION:
            raise CaseCommandError(
                actor, "suspend", case_id, "a correction is requested before acceptance"
            )
        if (
            spec.excludable
            and why not in spec.excludable
            and why is not PauseReason.APPLICANT_REQUEST
        ):
            allowed = sorted(r.value for r in spec.excludable)
            raise CaseCommandError(
                actor, "suspend", case_id, f"matter {spec.code} excludes only {allowed}"
            )
        payload: dict[str, Any] = {"reason": why.value}
        if length is not None:
            payload["length"] = limit_to(length)
        event = self._event("suspended", actor, at, **payload)
        return self._commit(case, [event], at, idempotency_key)

    @_idempotent
    def resume(
        self, case_id: str, *, actor: str, at: dt.datetime, idempotency_key: str | None = None
    ) -> Case:
        """Resume review after a suspension."""
        case = self.case(case_id)
        self._require_state(case, Command.RESUME, actor)
        self._authorise(actor, Power.REVIEW, case, "resume", at)
        event = self._event("resumed", actor, at)
        return self._commit(case, [event], at, idempotency_key)

    @_idempotent
    def extend(
        self,
        case_id: str,
        extra: Limit,
        *,
        clock: str = "legal",
        actor: str,
        at: dt.datetime,
        reason: str,
        idempotency_key: str | None = None,
    ) -> Case:
        """Record an approved extension (延期) of a limit clock, approved by ``actor``.

        Refused after the clock has expired unless the hall's clock policy allows it.
        """
        case = self.case(case_id)
        if case.state not in (CaseState.REVIEWING, CaseState.SUSPENDED):
            raise CaseStateError(actor, "extend", case_id, f"the case is {case.state.value}")
        self._authorise(actor, Power.DECIDE, case, "approve an extension", at)
        clocks = self.clocks(case)
        if clock not in clocks:
            raise CaseCommandError(actor, "extend", case_id, f"no clock named {clock}")
        if not reason.strip():
            raise CaseCommandError(
                actor, "extend", case_id, "reasons must be told to the applicant"
            )
        try:
            clocks[clock].extend(at, extra, approved_by=actor, reason=reason)
        except ClockError as exc:
            raise CaseCommandError(actor, "extend", case_id, str(exc)) from exc
        refusals = self.plugins.hook.hallflow_extension_refusal(
            matter=self._matter(case),
            case=case,
            status=clocks[clock].status(at),
            at=at,
            approved_by=actor,
            clock=clock,
            extra=extra,
        )
        refused = [r for r in refusals if r]
        if refused:
            raise CaseCommandError(actor, "extend", case_id, "; ".join(refused))
        event = self._event(
            "extended",
            actor,
            at,
            clock=clock,
            extra=limit_to(extra),
            approved_by=actor,
            reason=reason,
        )
        return self._commit(case, [event], at, idempotency_key)

    # ------------------------------------------------------------------ joint cases

    def _open_opinions(
        self, case: Case, spec: Matter, actor: str, at: dt.datetime
    ) -> list[NewEvent]:
        if spec.joint is None:
            return []
        ready = [c for c in spec.joint.co_departments if not c.after]
        return [
            self._event(
                "opinion_requested",
                actor,
                at,
                department=c.department,
                limit=limit_to(c.reply_limit),
            )
            for c in ready
        ]

    @_idempotent
    def give_opinion(
        self,
        case_id: str,
        department: str,
        consent: bool,
        *,
        actor: str,
        at: dt.datetime,
        reasons: str = "",
        idempotency_key: str | None = None,
    ) -> Case:
        """A co-department replies to the lead's request (approve or object with reasons)."""
        case = self.case(case_id)
        opinion = self._opinion(case, department, actor)
        staff = self.organisation.staff(actor)
        if staff.department != department:
            raise CaseCommandError(actor, "give an opinion", case_id, f"not of {department}")
        if not consent and not reasons.strip():
            raise CaseCommandError(actor, "object", case_id, "an objection needs reasons")
        events = [
            self._event(
                "opinion_given",
                actor,
                at,
                department=department,
                consent=consent,
                reasons=reasons,
            )
        ]
        events += self._next_opinions(case, opinion.department, actor, at)
        return self._commit(case, events, at, idempotency_key)

    def _opinion(self, case: Case, department: str, actor: str) -> Opinion:
        for opinion in case.opinions:
            if opinion.department == department:
                if opinion.consent is not None:
                    raise CaseStateError(actor, "give an opinion", case.case_id, "already given")
                return opinion
        raise CaseStateError(
            actor, "give an opinion", case.case_id, f"no opinion requested from {department}"
        )

    def _next_opinions(
        self, case: Case, answered: str, actor: str, at: dt.datetime
    ) -> list[NewEvent]:
        spec = self._matter(case)
        assert spec.joint is not None
        done = {o.department for o in case.opinions if o.consent is not None} | {answered}
        requested = {o.department for o in case.opinions}
        return [
            self._event(
                "opinion_requested",
                actor,
                at,
                department=c.department,
                limit=limit_to(c.reply_limit),
            )
            for c in spec.joint.co_departments
            if c.department not in requested and set(c.after) <= done
        ]

    def sweep_opinions(self, case_id: str, *, at: dt.datetime) -> Case:
        """Apply the matter's silence policy to co-departments past their reply deadline.

        Consent (视为同意, the silent department recorded as responsible), block, or escalate.
        """
        case = self.case(case_id)
        spec = self._matter(case)
        if spec.joint is None or case.closed:
            return case
        events: list[NewEvent] = []
        for opinion in case.opinions:
            clock = self.opinion_clock(case, opinion)
            if opinion.consent is not None or clock is None or at <= clock.due(at):
                continue
            policy = self.plugins.hook.hallflow_silence_policy(matter=spec) or spec.joint.silence
            if policy is SilencePolicy.ESCALATE:
                if not any(
                    e.kind == "escalated" and e.payload.get("department") == opinion.department
                    for e in case.history
                ):
                    events.append(
                        self._event(
                            "escalated",
                            SUPERVISION,
                            at,
                            department=opinion.department,
                            rule="co-department silent past its reply deadline",
                        )
                    )
                continue
            events.append(
                self._event(
                    "opinion_deemed",
                    SUPERVISION,
                    at,
                    department=opinion.department,
                    consent=policy is SilencePolicy.CONSENT,
                    responsible=opinion.department,
                    reasons=f"silent past {clock.due(at).isoformat()}",
                )
            )
            events += self._next_opinions(case, opinion.department, SUPERVISION, at)
        if not events:
            return case
        return self._commit(case, events, at, None)

    # ------------------------------------------------------------------ decision

    @_idempotent
    def decide(
        self,
        case_id: str,
        approve: bool,
        *,
        actor: str,
        at: dt.datetime,
        reasons: str = "",
        idempotency_key: str | None = None,
    ) -> Case:
        """Decide (准予 / 不予). A denial gives reasons and the applicant's remedies.

        Raises:
            CaseStateError: review steps are not complete, deferred materials are still
                outstanding, or (to approve) a co-department's opinion is missing or objects.
        """
        case = self.case(case_id)
        self._require_state(case, Command.DECIDE, actor)
        self._authorise(actor, Power.DECIDE, case, "decide", at)
        pending = [s.step for s in case.steps if not s.done]
        if pending:
            raise CaseStateError(actor, "decide", case_id, f"review steps pending: {pending}")
        if not approve and not reasons.strip():
            raise CaseCommandError(actor, "deny", case_id, "a denial must give reasons")
        if approve:
            if case.deferred[0]:
                raise CaseStateError(
                    actor, "approve", case_id, f"deferred materials {list(case.deferred[0])}"
                )
            self._opinions_allow(case, actor)
        remedies = [] if approve else list(self.settings.remedies)
        event = self._event(
            "decided", actor, at, approved=approve, reasons=reasons, remedies=remedies
        )
        return self._commit(case, [event], at, idempotency_key)

    def _opinions_allow(self, case: Case, actor: str) -> None:
        spec = self._matter(case)
        if spec.joint is None:
            return
        replied = {o.department: o for o in case.opinions}
        for co in spec.joint.co_departments:
            opinion = replied.get(co.department)
            if opinion is None or opinion.consent is None:
                raise CaseStateError(
                    actor, "approve", case.case_id, f"no opinion yet from {co.department}"
                )
            if not opinion.consent:
                raise CaseStateError(
                    actor, "approve", case.case_id, f"{co.department} objects: {opinion.reasons}"
                )

    def deem_approved(self, case_id: str, *, at: dt.datetime) -> Case:
        """Deemed approval (超时默认), triggered by supervision when its conditions hold.

        Accepted with complete materials, not decided within the limit (the legal one, or
        the one ``hallflow_deemed_approval_clock`` names), and no extension still running.
        """
        case = self.case(case_id)
        actor = SUPERVISION
        self._require_state(case, Command.DEEM_APPROVED, actor)
        if case.deferred[0]:
            raise CaseStateError(actor, "deem approved", case_id, "materials were incomplete")
        name = self.plugins.hook.hallflow_deemed_approval_clock(matter=self._matter(case))
        name = name or "legal"
        clock = self.clocks(case).get(name)
        if clock is None:
            raise CaseStateError(actor, "deem approved", case_id, f"no {name} clock running")
        status = clock.status(at)
        if at <= status.due:
            raise CaseStateError(
                actor,
                "deem approved",
                case_id,
                f"the {name} limit (with extensions) runs until {status.due.isoformat()}",
            )
        allowed = self.plugins.hook.hallflow_deemed_approval(
            matter=self._matter(case), case=case, status=status, at=at
        )
        if not allowed:
            raise CaseCommandError(
                actor, "deem approved", case_id, "this hall's rules provide no deemed approval"
            )
        event = self._event(
            "deemed_approved",
            actor,
            at,
            approved=True,
            reasons=f"not decided by {status.due.isoformat()}",
        )
        return self._commit(case, [event], at, None)

    @_idempotent
    def approve_on_pledge(
        self,
        case_id: str,
        verify_by: dt.date,
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Approve now on the applicant's written pledge (告知承诺), to be verified by a date.

        Refused when the matter does not allow it, or the applicant broke a pledge before.
        """
        case = self.case(case_id)
        self._require_state(case, Command.APPROVE_ON_PLEDGE, actor)
        self._authorise(actor, Power.DECIDE, case, "approve on pledge", at)
        spec = self._matter(case)
        if not spec.pledge_allowed:
            raise CaseCommandError(
                actor, "approve on pledge", case_id, f"matter {spec.code} allows no pledge"
            )
        if self.broken_pledges(case.applicant):
            raise CaseCommandError(
                actor,
                "approve on pledge",
                case_id,
                f"applicant {case.applicant} broke an earlier pledge (credit record)",
            )
        if verify_by < at.date():
            raise CaseCommandError(actor, "approve on pledge", case_id, "verify_by is past")
        event = self._event(
            "approved_on_pledge",
            actor,
            at,
            verify_by=verify_by.isoformat(),
            clock_start=at.isoformat(),
            reasons="approved on the applicant's pledge",
        )
        return self._commit(case, [event], at, idempotency_key)

    @_idempotent
    def verify_pledge(
        self,
        case_id: str,
        kept: bool,
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Record the verification of a pledge; a broken one goes on the applicant's record."""
        case = self.case(case_id)
        if case.pledge_verify_by is None or case.pledge_kept is not None:
            raise CaseStateError(actor, "verify a pledge", case_id, "no pledge awaits verification")
        self._authorise(actor, Power.REVIEW, case, "verify a pledge", at)
        event = self._event("pledge_verified", actor, at, kept=kept)
        return self._commit(case, [event], at, idempotency_key)

    def broken_pledges(self, applicant: str) -> list[str]:
        """The cases in which ``applicant`` broke a pledge."""
        out = []
        for row in self.store.find(applicant=applicant):
            case = self.case(row.case_id)
            if case.pledge_kept is False:
                out.append(case.case_id)
        return out

    # ------------------------------------------------------------------ closing

    @_idempotent
    def seal(
        self,
        case_id: str,
        seal_code: str,
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Seal the decision with the approval seal.

        The seal time is the legal closing time; the limit clocks stop there.
        """
        case = self.case(case_id)
        self._require_state(case, Command.SEAL, actor)
        self._authorise(actor, Power.SEAL, case, "seal", at)
        seal = self.seals.get(seal_code)
        if seal.kind is not SealKind.APPROVAL:
            raise CaseCommandError(actor, "seal", case_id, f"{seal_code} is not an approval seal")
        roles = set(self.plugins.hook.hallflow_seal_holder_roles(kind=seal.kind) or ())
        holder_roles = set(self.organisation.staff(actor).roles)
        if roles and not roles & holder_roles:
            raise CaseCommandError(
                actor,
                "seal",
                case_id,
                f"a {seal.kind.value} seal is held by {sorted(r.value for r in roles)} here",
            )
        if seal.holder != actor:
            raise CaseCommandError(
                actor, "seal", case_id, f"seal {seal_code} is held by {seal.holder}"
            )
        document = self.decision_document(case)
        try:
            impression = self.seal_provider.sign(seal, document, at)
        except HallflowError as exc:
            raise CaseCommandError(actor, "seal", case_id, str(exc)) from exc
        event = self._event("sealed", actor, at, impression=impression.to_dict(), document=document)
        return self._commit(case, [event], at, idempotency_key)

    def decision_document(self, case: Case) -> dict[str, Any]:
        """The canonical decision document a seal signs."""
        assert case.decision is not None
        d = case.decision
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

    @_idempotent
    def deliver(
        self,
        case_id: str,
        method: str,
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Deliver the sealed decision (in person, by post, unified delivery); closes the case."""
        case = self.case(case_id)
        self._require_state(case, Command.DELIVER, actor)
        self._authorise(actor, Power.ACCEPT, case, "deliver", at)
        if method not in ("in_person", "post", "unified"):
            raise CaseCommandError(actor, "deliver", case_id, f"unknown method {method!r}")
        event = self._event("delivered", actor, at, method=method)
        return self._commit(case, [event], at, idempotency_key)

    @_idempotent
    def withdraw(
        self,
        case_id: str,
        *,
        actor: str,
        at: dt.datetime,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Case:
        """The applicant withdraws (撤回) the application."""
        case = self.case(case_id)
        self._require_state(case, Command.WITHDRAW, actor)
        self._applicant_or(actor, Power.ACCEPT, case, "withdraw", at)
        event = self._event("withdrawn", actor, at, reason=reason)
        return self._commit(case, [event], at, idempotency_key)

    @_idempotent
    def revoke(
        self,
        case_id: str,
        reason: str,
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Revoke (撤销) a closed case's licence — obtained by fraud, or beyond authority."""
        case = self.case(case_id)
        self._require_state(case, Command.REVOKE, actor)
        self._authorise(actor, Power.DECIDE, case, "revoke", at)
        if not reason.strip():
            raise CaseCommandError(actor, "revoke", case_id, "a reason is required")
        event = self._event("revoked", actor, at, reason=reason)
        return self._commit(case, [event], at, idempotency_key)

    # ------------------------------------------------------------------ fees

    def quote(self, case_id: str) -> Quote:
        """Price a case: every fee line with its legal basis and standard, exemptions applied.

        Fees come from the ``hallflow_fee_rules`` hooks; a range is charged by the
        ``hallflow_fee_range_rule`` (``"lower"`` by default, or ``"declared"``: the case
        fact named by the rule, which must lie within the range).

        Raises:
            FeeError: a declared amount is missing or outside its range.
        """
        case = self.case(case_id)
        matter = self._matter(case)
        rules = [
            r
            for batch in self.plugins.hook.hallflow_fee_rules(matter=matter)
            if batch
            for r in batch
        ]
        exemptions = [
            e
            for batch in self.plugins.hook.hallflow_fee_exemptions(
                matter=matter, case=case, facts=case.facts
            )
            if batch
            for e in batch
        ]
        return price(rules, exemptions, self.plugins.hook.hallflow_fee_range_rule(), case.facts)

    # ------------------------------------------------------------------ supervision

    def sweep(self, at: dt.datetime) -> list[tuple[str, Escalation]]:
        """Apply the escalation hooks to every open case's clocks at ``at``.

        Each escalation is recorded once per case, clock and code (an ``escalated`` event by
        the supervision actor), so a sweep run twice records nothing twice. An escalation
        whose action is deemed approval triggers :meth:`deem_approved`.

        Returns:
            The escalations recorded by this sweep, with their case ids.
        """
        recorded: list[tuple[str, Escalation]] = []
        for state in (
            CaseState.REVIEWING,
            CaseState.SUSPENDED,
            CaseState.DECIDED,
            CaseState.SEALED,
        ):
            for row in self.store.find(state=state.value):
                recorded += self._sweep_case(row.case_id, at)
        return recorded

    def _sweep_case(self, case_id: str, at: dt.datetime) -> list[tuple[str, Escalation]]:
        case = self.case(case_id)
        matter = self._matter(case)
        done = {
            (e.payload.get("clock"), e.payload.get("code"))
            for e in case.history
            if e.kind == "escalated"
        }
        events: list[NewEvent] = []
        found: list[tuple[str, Escalation]] = []
        deem = False
        for name, clock in self.clocks(case).items():
            status = clock.status(max(at, clock.events[-1].at))
            batches = self.plugins.hook.hallflow_escalations(
                matter=matter, case=case, clock=name, status=status, at=at
            )
            for escalation in (e for batch in batches if batch for e in batch):
                if (name, escalation.code) in done:
                    continue
                done.add((name, escalation.code))
                found.append((case_id, escalation))
                events.append(
                    self._event(
                        "escalated",
                        SUPERVISION,
                        at,
                        clock=name,
                        code=escalation.code,
                        action=escalation.action.value,
                        to=escalation.to,
                        note=escalation.note,
                    )
                )
                deem = deem or escalation.action is EscalationAction.DEEMED_APPROVAL
        if events:
            case = self._commit(case, events, at, None)
        if deem:
            self.deem_approved(case_id, at=at)
        return found
