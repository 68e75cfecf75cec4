"""An audit of a hall's history: the store's chains, every replay, every seal, every power.

:func:`audit` (``Hall.audit()``, ``hallflow audit DB``) answers one question — does the stored
history prove itself? — in four parts:

1. the store's hash chains (:meth:`~hallflow.store.base.EventStore.verify`): every event's
   digest, each case's chain, the hall-wide chain over appends, and any checkpoints given;
2. every case replays (:func:`~hallflow.cases.case.fold`): positions contiguous, instants in
   time order, every state move one the lifecycle allows, every payload readable;
3. every seal is verified again against the decision document **re-derived from the
   events** (not only against the copy stored in the ``sealed`` event), and that copy must
   equal it;
4. every decision, seal and acceptance was made by someone who held the power for it on
   that day under the hall's organisation (a forged decider fails here even if a whole-file
   rewrite kept the chains consistent).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from hallflow.cases.case import Case, fold
from hallflow.cases.closing import decision_document
from hallflow.cases.commands import RESERVED_PREFIX
from hallflow.cases.pipeline import SUPERVISION, is_applicant
from hallflow.cases.registry import SEAL_STREAM
from hallflow.errors import HallflowError
from hallflow.model.org import Power
from hallflow.seals import SealImpression
from hallflow.store.base import EventStore
from hallflow.store.chain import ChainBreak, Checkpoint, VerifyReport

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = ["AuditFinding", "AuditReport", "SealCheck", "audit", "audit_store"]

_POWERS = {
    "accepted": Power.ACCEPT,
    "accepted_with_gaps": Power.ACCEPT,
    "not_accepted": Power.ACCEPT,
    "decided": Power.DECIDE,
    "approved_on_pledge": Power.DECIDE,
    "revoked": Power.DECIDE,
    "extended": Power.DECIDE,
    "sealed": Power.SEAL,
}
"""The events whose actor must have held a power, and which."""


@attrs.define(frozen=True, slots=True)
class AuditFinding:
    """One thing the audit found wrong with a case.

    Attributes:
        case_id: the case.
        position: the event's seq (0 for the case as a whole).
        rule: ``replay``, ``seal-document``, ``seal-signature`` or ``authority``.
        detail: what is wrong.
    """

    case_id: str
    position: int
    rule: str
    detail: str


@attrs.define(frozen=True, slots=True)
class AuditReport:
    """The result of :func:`audit`.

    Attributes:
        chain: what the store's chain verification found.
        findings: what the replays, seal and authority checks found.
        cases: how many cases were replayed.
        seals: how many seals were verified.
    """

    chain: VerifyReport
    findings: tuple[AuditFinding, ...]
    cases: int
    seals: int

    @property
    def ok(self) -> bool:
        """Whether the history proves itself: no chain break and no finding."""
        return self.chain.ok and not self.findings

    @property
    def breaks(self) -> tuple[ChainBreak, ...]:
        """The chain breaks (see :class:`~hallflow.store.chain.ChainBreak`)."""
        return self.chain.breaks

    def lines(self) -> list[str]:
        """One line per break and finding, for a terminal or a log."""
        out = [
            f"chain {b.rule}: case {b.case_id or '-'} position {b.position}: {b.detail}"
            for b in self.chain.breaks
        ]
        out += [f"{f.rule}: case {f.case_id} event {f.position}: {f.detail}" for f in self.findings]
        return out


SealCheck = Callable[[SealImpression, Mapping[str, Any]], bool | None]
"""Verifies an impression over a document: True or False, or None when it cannot tell (no
public key for the impression's key id)."""


def audit(hall: Hall, checkpoints: Sequence[Checkpoint] = ()) -> AuditReport:
    """Audit ``hall``'s stored history (see the module): all four parts."""

    def authority(case: Case) -> list[AuditFinding]:
        return _authority(hall, case)

    def registry() -> None:
        hall.current_seals()

    return audit_store(
        hall.store,
        checkpoints=checkpoints,
        verify_seal=hall.seal_provider.verify,
        authority=authority,
        registry=registry,
    )


def audit_store(
    store: EventStore,
    *,
    checkpoints: Sequence[Checkpoint] = (),
    verify_seal: SealCheck | None = None,
    authority: Callable[[Case], list[AuditFinding]] | None = None,
    registry: Callable[[], None] | None = None,
) -> AuditReport:
    """Audit a store without a hall's configuration (``hallflow audit DB``).

    The chains, every replay and every seal's document; each seal's signature when
    ``verify_seal`` can check it; the powers only with ``authority`` (which needs the
    hall's organisation).

    Args:
        store: the store.
        checkpoints: checkpoints to compare the hall chain with.
        verify_seal: checks an impression over the re-derived document.
        authority: the findings about who acted without the power, per case.
        registry: replays the seal registry's stream (raises when it cannot).
    """
    chain = store.verify(checkpoints=checkpoints)
    findings: list[AuditFinding] = []
    cases = seals = 0
    for case_id in store.case_ids():
        if case_id == SEAL_STREAM:
            if registry is not None:
                try:
                    registry()
                except HallflowError as exc:
                    findings.append(
                        AuditFinding(case_id, getattr(exc, "seq", 0), "replay", str(exc))
                    )
            continue
        if case_id.startswith(RESERVED_PREFIX):
            continue  # another layer's stream (a rating, a complaint): chained, not a case
        cases += 1
        try:
            case = fold(store.load(case_id))
        except HallflowError as exc:
            findings.append(AuditFinding(case_id, getattr(exc, "seq", 0), "replay", str(exc)))
            continue
        if authority is not None:
            findings += authority(case)
        if case.seal is not None:
            seals += 1
            findings += _seal(case, verify_seal)
    return AuditReport(chain=chain, findings=tuple(findings), cases=cases, seals=seals)


def _authority(hall: Hall, case: Case) -> list[AuditFinding]:
    out: list[AuditFinding] = []
    try:
        matter = hall.catalogue.get(case.matter)
    except HallflowError as exc:
        return [AuditFinding(case.case_id, 1, "authority", str(exc))]
    zone = hall.calendar.hours.tzinfo
    for e in case.history:
        power = _POWERS.get(e.kind)
        if power is None or e.actor == SUPERVISION or is_applicant(e.actor, case.applicant):
            continue
        permission = hall.organisation.may(
            e.actor, power, matter, case.window, e.at.astimezone(zone).date()
        )
        if not permission.allowed:
            out.append(
                AuditFinding(
                    case.case_id,
                    e.seq,
                    "authority",
                    f"{e.kind} by {e.actor} without the {power.value} power: {permission.reason}",
                )
            )
    return out


def _seal(case: Case, verify_seal: SealCheck | None) -> list[AuditFinding]:
    sealed = next(e for e in case.history if e.kind == "sealed")
    before = fold(case.history[: sealed.seq - 1])
    try:
        derived = decision_document(before)
    except HallflowError as exc:
        return [AuditFinding(case.case_id, sealed.seq, "seal-document", str(exc))]
    out: list[AuditFinding] = []
    if sealed.payload.get("document") != derived:
        out.append(
            AuditFinding(
                case.case_id,
                sealed.seq,
                "seal-document",
                "the document stored with the seal differs from the decision the events record",
            )
        )
    if verify_seal is None:
        return out
    try:
        impression = SealImpression.from_dict(sealed.payload["impression"])
        valid = verify_seal(impression, derived)
    except (HallflowError, KeyError, TypeError) as exc:
        return [*out, AuditFinding(case.case_id, sealed.seq, "seal-signature", repr(exc))]
    if valid is None:
        return out
    if not valid:
        out.append(
            AuditFinding(
                case.case_id,
                sealed.seq,
                "seal-signature",
                "the seal does not verify over the decision re-derived from the events",
            )
        )
    return out
