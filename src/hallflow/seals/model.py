"""Seals, their lifecycle, the registry that records it, impressions and the provider protocol.

A :class:`Seal` is a value: its history of changes (activate, change, revoke) travels with
it. A :class:`SealRegistry` is immutable too: every command returns a new registry after
checking the lifecycle rules, and a refused command raises and leaves the registry as it
was. Affixing a seal is a provider's job (:class:`SealProvider`); what it returns is a
:class:`SealImpression` that anyone holding the public key can check later.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import hmac
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from hallflow.errors import (
    NaiveDatetimeError,
    SealFieldError,
    SealRevokedError,
    SealStateError,
    UnknownSealError,
)
from hallflow.seals.canonical import canonical_bytes, document_digest

__all__ = [
    "IMPRESSION_FORMAT",
    "SIGNATURE_SCHEME",
    "Seal",
    "SealAction",
    "SealChange",
    "SealImpression",
    "SealKind",
    "SealProvider",
    "SealRegistry",
    "SealStatus",
]

IMPRESSION_FORMAT: Final = 1
"""Version of the dictionary :meth:`SealImpression.to_dict` writes."""

SIGNATURE_SCHEME: Final = "hallflow-seal/1"
"""Name of the signed payload's layout; part of the payload, so a signature made for one
layout can never pass for another."""


class SealKind(enum.StrEnum):
    """What a seal is for."""

    APPROVAL = "approval"
    """The administrative approval seal (行政审批专用章): the instant it is affixed to a
    decision is the case's legal closing time."""
    ACCEPTANCE = "acceptance"
    """The administrative acceptance seal (行政受理专用章), affixed to acceptance notices."""
    AGENCY = "agency"
    """The agency's own official seal (公章)."""


class SealStatus(enum.StrEnum):
    """Whether a seal may still be used."""

    ACTIVE = "active"
    REVOKED = "revoked"


class SealAction(enum.StrEnum):
    """A recorded step of a seal's lifecycle (启用/变更/注销)."""

    ACTIVATE = "activate"
    """The seal is put into use (启用)."""
    CHANGE = "change"
    """Its holder or its key changes (变更)."""
    REVOKE = "revoke"
    """It is withdrawn for good (注销)."""


def _text(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        name = f"{type(instance).__name__}.{attribute.name}"
        raise SealFieldError(name, value, "must be a non-empty string")


def _optional_text(instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None:
        _text(instance, attribute, value)  # type: ignore[arg-type]


def _aware(instance: object, attribute: attrs.Attribute[dt.datetime], value: object) -> None:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(f"{type(instance).__name__}.{attribute.name}", value)


def _require_aware(field: str, value: dt.datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(field, value)


@attrs.define(frozen=True, slots=True)
class SealChange:
    """One recorded step of a seal's lifecycle.

    Attributes:
        at: when it took effect (aware).
        action: activate, change or revoke.
        by: who recorded it (a staff code).
        detail: a readable account: what changed, or the reason for a revocation.
        holder: the holder from this step on; ``None`` when this step leaves it unchanged.
        key_id: the signing key from this step on; ``None`` when unchanged.
    """

    at: dt.datetime = attrs.field(validator=_aware)
    action: SealAction = attrs.field(converter=SealAction)
    by: str = attrs.field(validator=_text)
    detail: str = attrs.field(default="", validator=attrs.validators.instance_of(str))
    holder: str | None = attrs.field(default=None, kw_only=True, validator=_optional_text)
    key_id: str | None = attrs.field(default=None, kw_only=True, validator=_optional_text)


def _steps(value: Iterable[SealChange]) -> tuple[SealChange, ...]:
    return tuple(value)


def _history(instance: Seal, _attribute: object, value: tuple[SealChange, ...]) -> None:
    field = "Seal.history"
    if not value:
        raise SealFieldError(field, value, "a seal's history starts with its activation")
    first = value[0]
    if first.action is not SealAction.ACTIVATE or first.holder is None or first.key_id is None:
        raise SealFieldError(
            field, first, "the first step must be an activation naming the holder and the key"
        )
    holder, key_id = first.holder, first.key_id
    for before, step in itertools.pairwise(value):
        if not isinstance(step, SealChange):
            raise SealFieldError(field, step, "every step must be a SealChange")
        if step.at < before.at:
            raise SealFieldError(field, step, "steps must be in time order")
        if before.action is SealAction.REVOKE:
            raise SealFieldError(field, step, "nothing may follow a revocation")
        if step.action is SealAction.ACTIVATE:
            raise SealFieldError(field, step, "a seal is activated once")
        holder = step.holder or holder
        key_id = step.key_id or key_id
    revoked = value[-1].action is SealAction.REVOKE
    if revoked != (instance.status is SealStatus.REVOKED):
        raise SealFieldError(
            "Seal.status", instance.status, "must be revoked exactly when the history ends so"
        )
    if (holder, key_id) != (instance.holder, instance.key_id):
        raise SealFieldError(
            "Seal.holder/key_id",
            (instance.holder, instance.key_id),
            f"must match the history, which gives {(holder, key_id)!r}",
        )


@attrs.define(frozen=True, slots=True)
class Seal:
    """A seal (印章, electronic seal 电子签章) of a department or a hall.

    Built by :class:`SealRegistry`; the current holder, key and status always agree with the
    history, which is checked at construction.

    Attributes:
        code: the seal's permanent code, unique in its registry and never reused.
        kind: what the seal is for.
        owner: the department or hall whose seal it is.
        holder: the staff code of the person who keeps and uses it (a chief representative
            or a window head — which role may hold which seal is a locality setting).
        key_id: the provider key its impressions are signed with.
        status: active or revoked.
        history: every lifecycle step, oldest first, starting with the activation.
    """

    code: str = attrs.field(validator=_text)
    kind: SealKind = attrs.field(converter=SealKind)
    owner: str = attrs.field(validator=_text)
    holder: str = attrs.field(validator=_text)
    key_id: str = attrs.field(validator=_text)
    status: SealStatus = attrs.field(converter=SealStatus)
    history: tuple[SealChange, ...] = attrs.field(converter=_steps, validator=_history)

    @property
    def activated_at(self) -> dt.datetime:
        """When the seal was put into use."""
        return self.history[0].at

    @property
    def revoked_at(self) -> dt.datetime | None:
        """When the seal was revoked, or ``None`` while it is active."""
        last = self.history[-1]
        return last.at if last.action is SealAction.REVOKE else None

    @property
    def is_active(self) -> bool:
        """Whether the seal may be used now (it has not been revoked)."""
        return self.status is SealStatus.ACTIVE

    def active_at(self, at: dt.datetime) -> bool:
        """Whether the seal was in use at ``at``: activated at or before it, not yet revoked.

        Raises:
            NaiveDatetimeError: ``at`` has no time zone.
        """
        _require_aware("at", at)
        revoked = self.revoked_at
        return self.activated_at <= at and (revoked is None or at < revoked)

    def holder_at(self, at: dt.datetime) -> str | None:
        """Who held the seal at ``at``, or ``None`` if it was not in use then."""
        return self._state_at(at)[0]

    def key_id_at(self, at: dt.datetime) -> str | None:
        """The key the seal signed with at ``at``, or ``None`` if it was not in use then.

        A verifier uses it to check that an impression's key was the seal's key when the
        impression says it was made.
        """
        return self._state_at(at)[1]

    def _state_at(self, at: dt.datetime) -> tuple[str | None, str | None]:
        if not self.active_at(at):
            return None, None
        holder: str | None = None
        key_id: str | None = None
        for step in self.history:
            if step.at > at:
                break
            holder = step.holder or holder
            key_id = step.key_id or key_id
        return holder, key_id

    def check_can_sign(self, at: dt.datetime) -> None:
        """Refuse, by raising, to use this seal at ``at``; return quietly when it may be used.

        Every provider calls it before signing: a revoked seal signs nothing, and a seal
        cannot sign at an instant before its last recorded step (its holder and key are only
        known from then on).

        Raises:
            NaiveDatetimeError: ``at`` has no time zone.
            SealRevokedError: the seal has been revoked.
            SealStateError: ``at`` precedes the seal's activation or its last change.
        """
        _require_aware("at", at)
        revoked = self.revoked_at
        if revoked is not None:
            raise SealRevokedError(self.code, "sign", revoked)
        last = self.history[-1]
        if at < last.at:
            raise SealStateError(
                self.code,
                "sign",
                f"the signing time {at.isoformat()} precedes the seal's last recorded step "
                f"({last.action.value} at {last.at.isoformat()})",
            )


def _sorted_seals(seals: object) -> tuple[Seal, ...]:
    return tuple(sorted(seals, key=lambda seal: seal.code))  # type: ignore[call-overload]


def _unique(instance: SealRegistry, _attribute: object, seals: tuple[Seal, ...]) -> None:
    for before, seal in itertools.pairwise(seals):
        if before.code == seal.code:
            raise SealStateError(seal.code, "register", "two seals share this code")
    active: dict[tuple[SealKind, str], Seal] = {}
    for seal in seals:
        if not isinstance(seal, Seal):
            raise SealFieldError("SealRegistry.seals", seal, "every item must be a Seal")
        if seal.is_active:
            other = active.setdefault((seal.kind, seal.owner), seal)
            if other is not seal:
                raise SealStateError(seal.code, "register", _one_active(other))


def _one_active(other: Seal) -> str:
    return (
        f"{other.owner!r} already has an active {other.kind.value} seal {other.code!r}; "
        f"an owner holds one active seal of each kind (revoke it first)"
    )


@attrs.define(frozen=True, slots=True)
class SealRegistry:
    """The seals of a hall and their recorded lifecycle.

    Immutable: :meth:`activate`, :meth:`change` and :meth:`revoke` return a new registry and
    leave this one untouched, so a refused command never corrupts stored state and the
    caller decides when a new registry replaces the old (usually after the matching event
    is stored).

    Rules: codes are unique and never reused, not even after a revocation; an owner holds
    at most one active seal of each kind; steps are recorded in time order; a revoked seal
    can be neither changed nor revoked again.

    Attributes:
        seals: every seal ever registered, revoked ones included, sorted by code.
    """

    seals: tuple[Seal, ...] = attrs.field(default=(), converter=_sorted_seals, validator=_unique)
    _index: Mapping[str, Seal] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_index", {seal.code: seal for seal in self.seals})

    def __iter__(self) -> Iterator[Seal]:
        return iter(self.seals)

    def __len__(self) -> int:
        return len(self.seals)

    def __contains__(self, code: object) -> bool:
        return code in self._index

    def get(self, code: str) -> Seal:
        """The seal with this code, active or revoked.

        Raises:
            UnknownSealError: no seal has this code.
        """
        try:
            return self._index[code]
        except KeyError:
            raise UnknownSealError(code) from None

    def active(self, kind: SealKind | str, owner: str) -> Seal | None:
        """The owner's active seal of this kind, or ``None`` if it has none."""
        kind = SealKind(kind)
        for seal in self.seals:
            if seal.is_active and seal.kind is kind and seal.owner == owner:
                return seal
        return None

    def held_by(self, holder: str) -> tuple[Seal, ...]:
        """The active seals this staff member holds, sorted by code."""
        return tuple(seal for seal in self.seals if seal.is_active and seal.holder == holder)

    def _replace(self, seal: Seal) -> SealRegistry:
        return SealRegistry((*(s for s in self.seals if s.code != seal.code), seal))

    def activate(
        self,
        code: str,
        kind: SealKind | str,
        owner: str,
        holder: str,
        key_id: str,
        at: dt.datetime,
        by: str,
    ) -> SealRegistry:
        """Put a new seal into use.

        Args:
            code: the new seal's code.
            kind: what it is for.
            owner: the department or hall it belongs to.
            holder: the staff member who will keep it.
            key_id: the provider key its impressions will be signed with.
            at: when it takes effect (aware).
            by: who records the activation.

        Returns:
            A new registry holding the seal.

        Raises:
            SealStateError: the code is already registered (even if revoked), or the owner
                already has an active seal of this kind.
            SealFieldError: a field is empty or malformed.
            NaiveDatetimeError: ``at`` has no time zone.
        """
        _require_aware("at", at)
        kind = SealKind(kind)
        if code in self._index:
            old = self._index[code]
            state = "revoked; codes are never reused" if not old.is_active else "active"
            raise SealStateError(code, "activate", f"the code is already registered ({state})")
        other = self.active(kind, owner)
        if other is not None:
            raise SealStateError(code, "activate", _one_active(other))
        step = SealChange(
            at,
            SealAction.ACTIVATE,
            by,
            f"{kind.value} seal of {owner}, held by {holder}, key {key_id}",
            holder=holder,
            key_id=key_id,
        )
        seal = Seal(code, kind, owner, holder, key_id, SealStatus.ACTIVE, (step,))
        return self._replace(seal)

    def change(
        self,
        code: str,
        at: dt.datetime,
        by: str,
        holder: str | None = None,
        key_id: str | None = None,
    ) -> SealRegistry:
        """Record a change of a seal's holder, its key, or both.

        A new key (key rotation) applies to impressions made from ``at`` on; impressions made
        before keep their old ``key_id`` and still verify with the old public key.

        Args:
            code: the seal's code.
            at: when the change takes effect (aware, not before the seal's last step).
            by: who records it.
            holder: the new holder, or ``None`` to keep the current one.
            key_id: the new key, or ``None`` to keep the current one.

        Returns:
            A new registry with the changed seal.

        Raises:
            UnknownSealError: no seal has this code.
            SealRevokedError: the seal has been revoked.
            SealStateError: nothing would change, or ``at`` precedes the seal's last step.
            SealFieldError: a field is empty or malformed.
            NaiveDatetimeError: ``at`` has no time zone.
        """
        seal = self._open(code, "change", at)
        parts = []
        if holder is not None and holder != seal.holder:
            parts.append(f"holder {seal.holder} -> {holder}")
        else:
            holder = None
        if key_id is not None and key_id != seal.key_id:
            parts.append(f"key {seal.key_id} -> {key_id}")
        else:
            key_id = None
        if not parts:
            raise SealStateError(
                code, "change", "nothing to change (give a new holder or a new key_id)"
            )
        step = SealChange(at, SealAction.CHANGE, by, "; ".join(parts), holder=holder, key_id=key_id)
        return self._replace(
            attrs.evolve(
                seal,
                holder=holder or seal.holder,
                key_id=key_id or seal.key_id,
                history=(*seal.history, step),
            )
        )

    def revoke(self, code: str, at: dt.datetime, by: str, reason: str) -> SealRegistry:
        """Withdraw a seal for good.

        Args:
            code: the seal's code.
            at: when the revocation takes effect (aware, not before the seal's last step).
            by: who records it.
            reason: why, in writing (kept as the step's detail).

        Returns:
            A new registry in which the seal is revoked; its code stays taken.

        Raises:
            UnknownSealError: no seal has this code.
            SealRevokedError: the seal is already revoked.
            SealStateError: ``at`` precedes the seal's last step.
            SealFieldError: ``reason`` or ``by`` is empty.
            NaiveDatetimeError: ``at`` has no time zone.
        """
        seal = self._open(code, "revoke", at)
        if not isinstance(reason, str) or not reason.strip():
            raise SealFieldError("reason", reason, "a revocation needs a written reason")
        step = SealChange(at, SealAction.REVOKE, by, reason)
        return self._replace(
            attrs.evolve(seal, status=SealStatus.REVOKED, history=(*seal.history, step))
        )

    def _open(self, code: str, action: str, at: dt.datetime) -> Seal:
        _require_aware("at", at)
        seal = self.get(code)
        revoked = seal.revoked_at
        if revoked is not None:
            raise SealRevokedError(code, action, revoked)
        last = seal.history[-1]
        if at < last.at:
            raise SealStateError(
                code,
                action,
                f"{at.isoformat()} precedes the seal's last recorded step "
                f"({last.action.value} at {last.at.isoformat()}); steps are recorded in "
                f"time order",
            )
        return seal


_HEX64 = re.compile(r"[0-9a-f]{64}")


def _digest(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise SealFieldError(
            "SealImpression.digest", value, "must be a SHA-256 as 64 lowercase hex digits"
        )


def _base64(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    try:
        if not isinstance(value, str) or not value:
            raise ValueError
        base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise SealFieldError(
            "SealImpression.signature", value, "must be non-empty standard base64"
        ) from None


def _utc_text(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


@attrs.define(frozen=True, slots=True)
class SealImpression:
    """The mark a seal leaves on a document: who sealed it, when, and a signature.

    The signature covers the canonical bytes (RFC 8785) of this payload::

        {"scheme": "hallflow-seal/1", "seal": <seal_code>, "kind": <kind>,
         "key_id": <key_id>, "algorithm": <algorithm>,
         "signed_at": <signed_at in UTC, ISO 8601 with microseconds>,
         "digest": <SHA-256 hex of the document's canonical bytes>}

    so the document (through its digest), the seal's identity and kind, the key and the
    signing time are all covered: changing any of them breaks the signature.

    Attributes:
        seal_code: the code of the seal affixed.
        kind: the seal's kind.
        key_id: the key that signed.
        algorithm: the signature algorithm (``"Ed25519"`` for the software provider).
        signed_at: when the seal was affixed (aware; for an approval seal, the case's legal
            closing time).
        digest: SHA-256 of the document's canonical bytes, 64 lowercase hex digits.
        signature: the signature over :meth:`signed_payload`, standard base64.
    """

    seal_code: str = attrs.field(validator=_text)
    kind: SealKind = attrs.field(converter=SealKind)
    key_id: str = attrs.field(validator=_text)
    algorithm: str = attrs.field(validator=_text)
    signed_at: dt.datetime = attrs.field(validator=_aware)
    digest: str = attrs.field(validator=_digest)
    signature: str = attrs.field(validator=_base64)

    @staticmethod
    def payload(
        seal_code: str,
        kind: SealKind,
        key_id: str,
        algorithm: str,
        signed_at: dt.datetime,
        digest: str,
    ) -> bytes:
        """The bytes a provider signs, built from the impression's fields (see the class)."""
        _require_aware("signed_at", signed_at)
        return canonical_bytes(
            {
                "scheme": SIGNATURE_SCHEME,
                "seal": seal_code,
                "kind": SealKind(kind).value,
                "key_id": key_id,
                "algorithm": algorithm,
                "signed_at": _utc_text(signed_at),
                "digest": digest,
            }
        )

    def signed_payload(self) -> bytes:
        """The bytes this impression's signature covers."""
        return self.payload(
            self.seal_code, self.kind, self.key_id, self.algorithm, self.signed_at, self.digest
        )

    def signature_bytes(self) -> bytes:
        """The raw signature."""
        return base64.b64decode(self.signature, validate=True)

    def matches(self, document: Mapping[str, Any]) -> bool:
        """Whether ``document`` has the digest this impression was made over.

        Raises:
            CanonicalDocumentError: ``document`` is not made of JSON values.
        """
        return hmac.compare_digest(document_digest(document), self.digest)

    def to_dict(self) -> dict[str, str | int]:
        """A JSON-ready dictionary for storage (``signed_at`` keeps its UTC offset)."""
        return {
            "format": IMPRESSION_FORMAT,
            "seal_code": self.seal_code,
            "kind": self.kind.value,
            "key_id": self.key_id,
            "algorithm": self.algorithm,
            "signed_at": self.signed_at.isoformat(),
            "digest": self.digest,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SealImpression:
        """Read back what :meth:`to_dict` wrote.

        Raises:
            SealFieldError: a field is missing or malformed, or the format is unknown.
        """
        if not isinstance(data, Mapping):
            raise SealFieldError("SealImpression", data, "must be read from a mapping")
        version = data.get("format")
        if version != IMPRESSION_FORMAT:
            raise SealFieldError(
                "SealImpression.format", version, f"unknown format (expected {IMPRESSION_FORMAT})"
            )
        values: dict[str, str] = {}
        for name in ("seal_code", "kind", "key_id", "algorithm", "signed_at", "digest"):
            value = data.get(name)
            if not isinstance(value, str):
                raise SealFieldError(f"SealImpression.{name}", value, "missing or not a string")
            values[name] = value
        try:
            kind = SealKind(values["kind"])
        except ValueError:
            raise SealFieldError(
                "SealImpression.kind",
                values["kind"],
                f"must be one of {[k.value for k in SealKind]}",
            ) from None
        try:
            signed_at = dt.datetime.fromisoformat(values["signed_at"])
        except ValueError:
            raise SealFieldError(
                "SealImpression.signed_at", values["signed_at"], "must be ISO 8601 with an offset"
            ) from None
        return cls(
            seal_code=values["seal_code"],
            kind=kind,
            key_id=values["key_id"],
            algorithm=values["algorithm"],
            signed_at=signed_at,
            digest=values["digest"],
            signature=data.get("signature"),  # type: ignore[arg-type]  # checked by validator
        )


@runtime_checkable
class SealProvider(Protocol):
    """What hallflow asks of anything that affixes seals.

    The software provider (:class:`~hallflow.seals.SoftwareSealProvider`) ships with the
    core; a hardware or SM2 provider implements the same three members.
    """

    name: str
    """A short name for logs and stored events (``"software-ed25519"``)."""

    def sign(self, seal: Seal, document: Mapping[str, Any], at: dt.datetime) -> SealImpression:
        """Affix ``seal`` to ``document`` at ``at``.

        Args:
            seal: the seal, as the registry holds it now.
            document: the decision document, JSON values only.
            at: the signing instant (aware); for an approval seal, the legal closing time.

        Returns:
            The impression, to be stored beside the document.

        Raises:
            SealRevokedError: the seal is revoked (see :meth:`Seal.check_can_sign`).
            SealKeyError: the provider does not hold the seal's key.
            NaiveDatetimeError: ``at`` has no time zone.
            CanonicalDocumentError: ``document`` holds a non-JSON value.
        """
        ...

    def verify(self, impression: SealImpression, document: Mapping[str, Any]) -> bool:
        """Whether ``impression`` is a valid seal of ``document``.

        Returns:
            ``False`` for a changed document, a changed impression or a bad signature.

        Raises:
            SealKeyError: the provider cannot check it (it lacks the key).
        """
        ...
