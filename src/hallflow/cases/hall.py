"""The Hall: the API an e-government platform embeds.

A :class:`Hall` is built from a catalogue, an organisation (windows, staff, authorities), a
calendar, an event store and a seal provider. Its methods are the friendly form of the
commands in :mod:`hallflow.cases.commands`: each builds a command value (which validates its
arguments) and runs it through the one pipeline (:mod:`hallflow.cases.pipeline`) — authority,
idempotency, time order and state, checked in the same order for every command — whose
handler (in :mod:`~hallflow.cases.intake`, :mod:`~hallflow.cases.review`,
:mod:`~hallflow.cases.joint`, :mod:`~hallflow.cases.decision`,
:mod:`~hallflow.cases.closing`) turns case + command into events. A refused command raises a
:class:`~hallflow.errors.HallflowError` subclass naming who, what, which case and which rule,
and records nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import pluggy
import uuid6
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hallflow.calendar.engine import WorkCalendar
from hallflow.cases import closing, decision, intake, joint, review
from hallflow.cases.audit import AuditReport, audit
from hallflow.cases.case import Case, Opinion, fold
from hallflow.cases.commands import (
    RESERVED_PREFIX,
    Accept,
    AcceptWithGaps,
    AddSigner,
    ApproveOnPledge,
    AssignSigners,
    CaseCommand,
    Decide,
    DeemApproved,
    Deliver,
    Extend,
    GiveOpinion,
    NotAccept,
    RequestCorrection,
    Resume,
    ReturnCase,
    Revoke,
    Seal,
    Sign,
    Submit,
    Supply,
    SupplyDeferred,
    Suspend,
    SweepOpinions,
    Transfer,
    VerifyPledge,
    Withdraw,
    check_instant,
    is_text,
)
from hallflow.cases.lifecycle import CaseState
from hallflow.cases.pipeline import APPLICANT, SUPERVISION, Pipeline, Rule
from hallflow.cases.registry import SealLedger
from hallflow.cases.supervision import SweepReport, sweep
from hallflow.errors import CommandInputError, HallflowError, HistoryError
from hallflow.model.catalogue import Catalogue
from hallflow.model.identity import Applicant
from hallflow.model.org import Organisation
from hallflow.plugins.policy import EventSink, Quote, price
from hallflow.seals import SealKind, SealProvider, SealRegistry
from hallflow.store.base import CaseRow, EventStore, utc_now
from hallflow.store.chain import Checkpoint
from hallflow.timeline.clock import Clock, ClockPolicy
from hallflow.timeline.events import PauseReason
from hallflow.timeline.ladder import Ladder
from hallflow.timeline.limits import Limit

__all__ = ["APPLICANT", "SUPERVISION", "Hall", "HallSettings"]

DEFAULT_REMEDIES = ("administrative review", "administrative litigation")


def _tolerance(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, dt.timedelta) or value < dt.timedelta(0)):
        raise CommandInputError(
            f"HallSettings.{attribute.name}", "must be None or a timedelta >= 0", value
        )


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
        now: the hall's clock (an aware instant); commands dated later than it by more than
            ``future_tolerance`` are refused.
        future_tolerance: how far in the future a command may be dated (clocks drift
            between machines); None turns the check off — for replays and simulations whose
            instants are not today's.
    """

    clock_policy: ClockPolicy = attrs.field(factory=ClockPolicy)
    correction_notice: Limit = attrs.field(factory=lambda: Limit.working_days(5))
    delivery: Limit = attrs.field(factory=lambda: Limit.working_days(10))
    remedies: tuple[str, ...] = DEFAULT_REMEDIES
    new_id: Callable[[], str] = attrs.field(default=lambda: uuid6.uuid7().hex, eq=False)
    now: Callable[[], dt.datetime] = attrs.field(default=utc_now, eq=False)
    future_tolerance: dt.timedelta | None = attrs.field(
        default=dt.timedelta(minutes=5), validator=_tolerance
    )


_STATES = {s.value: s for s in CaseState}


class Hall:
    """A government service hall's back office, embeddable.

    Args:
        catalogue: the matters the hall handles.
        organisation: windows, staff, authorities, leave and A/B posts.
        calendar: the hall's working-day calendar (with its hours and cut-off).
        store: where events are kept.
        seals: the seal registry as configured; changes made through
            :meth:`activate_seal`, :meth:`change_seal` and :meth:`revoke_seal` are recorded
            in the store and applied on top of it, so every Hall on the same store knows
            them.
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
        self._ladders: dict[str, Ladder | None] = {}  # per matter (cases.supervision)
        self._cache_lock = threading.Lock()
        rules: dict[type[Any], Rule[Any]] = {}
        for phase in (intake, review, joint, decision, closing):
            rules.update(phase.RULES)
        self._pipeline = Pipeline(self, rules)
        self._ledger = SealLedger(self, seals)

    _CACHE_SIZE = 4096

    # ------------------------------------------------------------------ running commands

    def execute(self, command: Submit | CaseCommand, *, idempotency_key: str | None = None) -> Case:
        """Run a command value (:mod:`hallflow.cases.commands`) through the pipeline.

        Every friendly method below builds one command and calls this. Use it directly for
        commands that arrive as data (:func:`hallflow.cases.commands.structure` of a JSON
        body).

        Args:
            command: the command.
            idempotency_key: names the request: a retry with the same key and the same
                command returns the earlier result; the same key with anything else is an
                :class:`~hallflow.errors.IdempotencyError`.

        Returns:
            The case after the command.

        Raises:
            CommandInputError: not a command, or a malformed key.
            NotAuthorisedError: the actor may not run it.
            TimeOrderError: its instant precedes the case's last event or is in the future.
            CaseStateError: the case's state does not allow it.
            IdempotencyError: the key was used for another command.
            CaseCommandError: another rule of the command refused it.
        """
        return self._pipeline.run(command, idempotency_key)

    @property
    def seals(self) -> SealRegistry:
        """The seal registry in force: the configured one with every recorded change."""
        return self._ledger.current()

    def current_seals(self) -> SealRegistry:
        """The seal registry in force, re-read from the store (another Hall may have changed it)."""
        return self._ledger.current()

    def seals_read(self) -> SealRegistry:
        """The seal registry as this Hall last read it from the store (no new read)."""
        return self._ledger.last()

    # ------------------------------------------------------------------ queries

    def case(self, case_id: str) -> Case:
        """The case as rebuilt from its events.

        Rebuilt cases are cached; the cache is checked against the store's version of the
        case on every call, so a write by another process or Hall is always seen.

        Raises:
            CommandInputError: ``case_id`` is not a case id.
            CaseNotFoundError: no such case.
            HistoryError: the stored history cannot be replayed.
        """
        _check_case_id(case_id)
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
        state: CaseState | str | None = None,
        due_from: dt.datetime | None = None,
        due_to: dt.datetime | None = None,
    ) -> list[CaseRow]:
        """Cases by matter, applicant, window, state, or due in ``[due_from, due_to)``.

        ``state`` is a :class:`~hallflow.cases.lifecycle.CaseState` or its value
        (``"closed"``).

        Raises:
            CommandInputError: a filter of the wrong type, or an unknown state.
        """
        for name, value in (("matter", matter), ("applicant", applicant), ("window", window)):
            if value is not None and not is_text(value):
                raise CommandInputError(f"find.{name}", "must be None or a str", value)
        wanted: str | None = None
        if state is not None:
            found = _STATES.get(state) if isinstance(state, str) else None
            if found is None:
                raise CommandInputError(
                    "find.state", f"must be one of {sorted(_STATES)} or a CaseState", state
                )
            wanted = found.value
        for name, bound in (("due_from", due_from), ("due_to", due_to)):
            if bound is not None:
                check_instant(f"find.{name}", bound)
        rows = self.store.find(
            matter=matter,
            applicant=applicant,
            window=window,
            state=wanted,
            due_from=due_from,
            due_to=due_to,
        )
        return [r for r in rows if not r.case_id.startswith(RESERVED_PREFIX)]

    def case_ids(self) -> list[str]:
        """The ids of every case in the store, sorted (not the hall's own streams)."""
        return [c for c in self.store.case_ids() if not c.startswith(RESERVED_PREFIX)]

    def clocks(self, case: Case) -> dict[str, Clock]:
        """The case's clocks, by name.

        ``promised`` and ``legal`` once it is accepted; ``delivery`` once it is decided
        (Licensing Law Art. 44: deliver within the settings' delivery limit of the
        decision; it stops at delivery).

        Raises:
            CommandInputError: ``case`` is not a :class:`Case`.
            HistoryError: the case's events do not make valid clocks (a history the
                pipeline would not have written).
        """
        if not isinstance(case, Case):
            raise CommandInputError("clocks.case", "must be a Case", case)
        try:
            return self._clocks(case)
        except HallflowError as exc:
            if isinstance(exc, HistoryError):
                raise
            raise HistoryError(
                case.case_id, case.version, f"its clocks cannot be built: {exc}"
            ) from exc

    def _clocks(self, case: Case) -> dict[str, Clock]:
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
        if not isinstance(opinion, Opinion):
            raise CommandInputError("opinion_clock.opinion", "must be an Opinion", opinion)
        return joint.opinion_clock(self, opinion.requested_at, opinion.department, opinion.limit)

    def decision_document(self, case: Case) -> dict[str, Any]:
        """The canonical decision document a seal signs, derived from the case's events."""
        if not isinstance(case, Case):
            raise CommandInputError("decision_document.case", "must be a Case", case)
        return closing.decision_document(case)

    def broken_pledges(self, applicant: str) -> list[str]:
        """The cases in which ``applicant`` broke a pledge."""
        if not is_text(applicant):
            raise CommandInputError("broken_pledges.applicant", "must be a str", applicant)
        return decision.broken_pledges(self, applicant)

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
        """Receive an application (收件) at a window, online or through a proxy window.

        Checks: the matter, window and materials are known and the window handles the
        matter (the message names the windows that do); at a window or proxy window the
        actor holds the accept power there; online, the actor is the applicant themself.
        With an idempotency key and no ``case_id`` the case id is derived from the key, so a
        retry finds the same case.

        Raises:
            CommandInputError: a malformed argument.
            NotAuthorisedError: the actor may not receive here (or is not the applicant).
            CaseCommandError: the window does not handle the matter, or the case id is
                taken.
            MaterialsError: a material code the matter does not know.
        """
        command = Submit(
            matter=matter,
            applicant=applicant,
            window=window,
            materials=materials,
            actor=actor,
            at=at,
            conditions=conditions,
            facts=facts if facts is not None else {},
            channel=channel,
            case_id=case_id,
        )
        return self.execute(command, idempotency_key=idempotency_key)

    def accept(
        self, case_id: str, *, actor: str, at: dt.datetime, idempotency_key: str | None = None
    ) -> Case:
        """Accept (受理) a complete application; the limit clocks start.

        Checks: accept power; the case is submitted; every required material supplied; the
        locality's acceptance checks. Accepted after the correction-notice window, the
        clocks count from receipt (Licensing Law Art. 32). Opinions are requested from the
        co-departments of a joint matter.
        """
        return self.execute(
            Accept(case_id=case_id, actor=actor, at=at), idempotency_key=idempotency_key
        )

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

        ``items`` maps each material code to what is wrong with it.

        Raises:
            MaterialsError: an unknown material, or a required missing material left off
                the notice (the notice must list everything at once).
            CaseCommandError: the notice comes after the Art. 32 window.
        """
        command = RequestCorrection(case_id=case_id, items=items, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

    def supply(
        self,
        case_id: str,
        materials: Iterable[str],
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Supply the materials a correction notice asked for (the applicant or a clerk).

        The case is received anew: the limit runs from the day the materials are complete.
        """
        command = Supply(case_id=case_id, materials=materials, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

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
        """Accept with minor materials missing (容缺), on a pledge to supply them by a date.

        Checks: accept power; the matter's gap policy allows these materials; the pledge
        date lies within the policy's limit.
        """
        command = AcceptWithGaps(
            case_id=case_id,
            deferred=deferred,
            pledge_date=pledge_date,
            actor=actor,
            at=at,
        )
        return self.execute(command, idempotency_key=idempotency_key)

    def supply_deferred(
        self,
        case_id: str,
        materials: Iterable[str],
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Supply the materials deferred under accept-with-gaps (the applicant or a clerk)."""
        command = SupplyDeferred(case_id=case_id, materials=materials, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

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
        command = NotAccept(
            case_id=case_id, reason=reason, redirect_window=redirect_window, actor=actor, at=at
        )
        return self.execute(command, idempotency_key=idempotency_key)

    # ------------------------------------------------------------------ review

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
        """Name the signers of a review step (all must sign a countersign, one an or-sign).

        Checks: coordinate power; the case is reviewing; the step has no signatures yet;
        signers are distinct staff who hold the step's power that day.
        """
        command = AssignSigners(case_id=case_id, step=step, signers=signers, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

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
        """Add a signer to the current step (加签): coordinate power; the signer eligible."""
        command = AddSigner(case_id=case_id, step=step, signer=signer, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

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
        """Hand the actor's part of the current step to a colleague (转办).

        Checks: the actor is one of the step's signers (when signers are named) and holds
        the step's power; the colleague holds it too and does not sign already.
        """
        command = Transfer(case_id=case_id, step=step, to=to, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

    def sign(
        self,
        case_id: str,
        step: str,
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Sign (approve) the actor's part of the current review step.

        Checks: the step's power; the actor is a named signer (when signers are named) and
        has not signed; in a sequential countersign, it is their turn.
        """
        return self.execute(
            Sign(case_id=case_id, step=step, actor=actor, at=at), idempotency_key=idempotency_key
        )

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
        command = ReturnCase(case_id=case_id, to=to, reason=reason, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

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

        Give ``length`` when it was told in writing; the limit clocks stop counting. The
        matter may restrict which periods it excludes.
        """
        command = Suspend(case_id=case_id, reason=reason, length=length, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

    def resume(
        self, case_id: str, *, actor: str, at: dt.datetime, idempotency_key: str | None = None
    ) -> Case:
        """Resume review after a suspension (review power)."""
        return self.execute(
            Resume(case_id=case_id, actor=actor, at=at), idempotency_key=idempotency_key
        )

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

        Checks: decide power; the case is reviewing or suspended; the clock exists; the
        reasons are written out; the law's cap and the locality's rules. Refused after the
        clock has expired unless the hall's clock policy allows it.
        """
        command = Extend(
            case_id=case_id, extra=extra, clock=clock, reason=reason, actor=actor, at=at
        )
        return self.execute(command, idempotency_key=idempotency_key)

    # ------------------------------------------------------------------ joint cases

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
        """A co-department replies to the lead's request (consent, or object with reasons).

        Checks: the actor is staff of that department holding the review power for the
        matter; its opinion was requested and not yet given.
        """
        command = GiveOpinion(
            case_id=case_id,
            department=department,
            consent=consent,
            reasons=reasons,
            actor=actor,
            at=at,
        )
        return self.execute(command, idempotency_key=idempotency_key)

    def sweep_opinions(self, case_id: str, *, at: dt.datetime) -> Case:
        """Apply the matter's silence policy to co-departments past their reply deadline.

        Consent (视为同意, the silent department recorded as responsible), block, or escalate.
        """
        return self.execute(SweepOpinions(case_id=case_id, actor=SUPERVISION, at=at))

    # ------------------------------------------------------------------ decision

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
        """Decide: approve (准予, ``approve=True``) or deny (不予, ``approve=False``).

        ``approve`` must be a ``bool`` — a string such as ``"no"`` is refused, never read as
        an approval. A denial gives reasons, and the applicant is told their remedies.

        Raises:
            CommandInputError: ``approve`` is not a bool.
            CaseStateError: review steps are not complete, deferred materials are still
                outstanding, or (to approve) a co-department's opinion is missing or objects.
        """
        command = Decide(case_id=case_id, approve=approve, reasons=reasons, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

    def deem_approved(self, case_id: str, *, at: dt.datetime) -> Case:
        """Deemed approval (超时默认), triggered by supervision when its conditions hold.

        Accepted with complete materials, not decided within the limit (the legal one, or
        the one ``hallflow_deemed_approval_clock`` names), and no extension still running.
        """
        return self.execute(DeemApproved(case_id=case_id, actor=SUPERVISION, at=at))

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
        command = ApproveOnPledge(case_id=case_id, verify_by=verify_by, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

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
        command = VerifyPledge(case_id=case_id, kept=kept, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

    # ------------------------------------------------------------------ closing

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

        Checks: seal power; the seal is an approval seal, active at the instant (not before
        its activation, not after its revocation — as recorded in the store) and held by
        the actor in a role the locality allows. The seal time is the legal closing time;
        the limit clocks stop there.
        """
        command = Seal(case_id=case_id, seal_code=seal_code, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

    def deliver(
        self,
        case_id: str,
        method: str,
        *,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Case:
        """Deliver the sealed decision (``in_person``, ``post``, ``unified``); closes the case."""
        command = Deliver(case_id=case_id, method=method, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

    def withdraw(
        self,
        case_id: str,
        *,
        actor: str,
        at: dt.datetime,
        reason: str = "",
        idempotency_key: str | None = None,
    ) -> Case:
        """The applicant withdraws (撤回) the application (the applicant, or a clerk for them)."""
        command = Withdraw(case_id=case_id, reason=reason, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

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
        command = Revoke(case_id=case_id, reason=reason, actor=actor, at=at)
        return self.execute(command, idempotency_key=idempotency_key)

    # ------------------------------------------------------------------ seals

    def activate_seal(
        self,
        code: str,
        kind: SealKind | str,
        *,
        owner: str,
        holder: str,
        key_id: str,
        actor: str,
        at: dt.datetime,
    ) -> SealRegistry:
        """Put a new seal into use, recorded in the store (see :class:`SealLedger`)."""
        return self._ledger.activate(code, kind, owner, holder, key_id, actor, at)

    def change_seal(
        self,
        code: str,
        *,
        actor: str,
        at: dt.datetime,
        holder: str | None = None,
        key_id: str | None = None,
    ) -> SealRegistry:
        """Hand a seal to a new holder or rotate its key, recorded in the store."""
        return self._ledger.change(code, actor, at, holder, key_id)

    def revoke_seal(self, code: str, reason: str, *, actor: str, at: dt.datetime) -> SealRegistry:
        """Revoke a seal, recorded in the store: no Hall on this store seals with it again."""
        return self._ledger.revoke(code, reason, actor, at)

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
        matter = self.catalogue.get(case.matter)
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

    # ------------------------------------------------------------------ audit

    def audit(self, *, checkpoints: Sequence[Checkpoint] = ()) -> AuditReport:
        """Check that the stored history proves itself.

        The store's hash chains (and the checkpoints given), a replay of every case, every
        seal re-verified over the decision re-derived from the events, and the power of
        whoever accepted, decided or sealed (see :mod:`hallflow.cases.audit`).

        Returns:
            Every break and finding; ``report.ok`` when there are none.
        """
        if isinstance(checkpoints, str | bytes) or not isinstance(checkpoints, Sequence):
            raise CommandInputError(
                "audit.checkpoints", "must be a list of Checkpoint", checkpoints
            )
        for item in checkpoints:
            if not isinstance(item, Checkpoint):
                raise CommandInputError("audit.checkpoints", "must hold only Checkpoint", item)
        return audit(self, list(checkpoints))

    def checkpoint(self, private_key: Ed25519PrivateKey, key_id: str) -> Checkpoint:
        """Sign the store's chain head now, for someone outside the hall to keep.

        Whoever holds it detects even a rewrite of the whole store after it
        (:meth:`audit` with ``checkpoints=[...]``).
        """
        if not isinstance(private_key, Ed25519PrivateKey):
            raise CommandInputError(
                "checkpoint.private_key", "must be an Ed25519PrivateKey", private_key
            )
        if type(key_id) is not str or not key_id.isprintable() or not key_id.strip():
            raise CommandInputError("checkpoint.key_id", "must be a printable str", key_id)
        return Checkpoint.sign(self.store.head(), self.settings.now(), private_key, key_id)

    # ------------------------------------------------------------------ supervision

    def sweep(self, at: dt.datetime) -> SweepReport:
        """Apply the escalation hooks and ladders to every open case's clocks at ``at``.

        The per-case sweep: it folds every open case. It is the reference of the bulk sweep,
        :func:`hallflow.supervision.sweep.sweep`, which folds only the cases whose clocks rose
        a warning level or a ladder rung and records the same escalations (the production
        path; see docs/supervision.md).

        Each escalation is recorded once per case, clock and code (an ``escalated`` event by
        the supervision actor), so a sweep run twice records nothing twice. An escalation
        whose action is deemed approval triggers :meth:`deem_approved`. A case changed by a
        concurrent command is re-read and swept again; a case that cannot be swept (its
        history does not replay, a plugin fails on it) is reported in
        :attr:`SweepReport.failures` and the pass goes on.

        Returns:
            The escalations recorded by this sweep, with their case ids (a list), and the
            cases it could not sweep.
        """
        return sweep(self, check_instant("sweep.at", at))


def _check_case_id(case_id: object) -> None:
    if not is_text(case_id) or not case_id or len(case_id) > 128:
        raise CommandInputError(
            "case_id", "must be a non-empty str of at most 128 characters", case_id
        )
    if case_id.startswith(RESERVED_PREFIX):
        raise CommandInputError("case_id", f"may not start with {RESERVED_PREFIX!r}", case_id)
