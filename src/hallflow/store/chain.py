r"""The hash chains that make a store's history tamper-evident, and signed checkpoints.

Two chains, both SHA-256, both defined here once as pure functions on plain values, so that
every store (SQLite, memory, a future PostgreSQL) and every tool that copies a store computes
the same digests:

**A chain per case.** Each event's *content digest* covers what the event says::

    content = SHA-256(canonical JSON of
                      [case_id, seq, kind, actor, at_utc, at_tz, schema, payload])

where ``at_utc`` and ``at_tz`` are the instant's two text columns exactly as stored
(:func:`~hallflow.store.base.encode_instant`) and canonical JSON is :func:`canonical_json`
(keys sorted, no spaces, UTF-8, no NaN). The event's *digest* links it to the one before::

    digest_n = SHA-256(UTF-8 of digest_{n-1} + content_n + recorded_at_n)

with 64 zeros (:data:`ZERO`) before seq 1, all three as text (two of 64 hex digits, then the
UTC text of ``recorded_at`` as stored). The content digest does not depend on when the event
is recorded nor on what came before, so a store computes it before it takes its write lock;
inside, it only links (:func:`event_digest`). The last event's digest is the case's *head*.

**A chain over the hall.** Every append (one case's events in one transaction) gets the next
position ``p`` = 1, 2, 3... and a link::

    link_p = SHA-256(UTF-8 of link_{p-1} + head + str(p) + "\n" + str(version) + "\n" + case_id)

where ``version`` and ``head`` are the case's after the append and the numbers are written in
decimal (:func:`chain_link`); the two digests have a fixed width and the case id comes last,
so the text is unambiguous. The newest link therefore vouches for every case's history, and a
:class:`Checkpoint` — the newest position and link, signed — taken and kept outside the store
lets anyone holding it detect a rewrite of everything written before it, even one where all
chains were recomputed.

What a chain cannot show: who wrote an event (only that nothing changed since), nor that the
newest appends exist — deleting the last entries of the hall chain with the events they cover
leaves a consistent store; only a checkpoint taken after them reveals it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import json.encoder
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from hallflow.errors import SerializationError

__all__ = [
    "BREAK_RULES",
    "CHECKPOINT_FORMAT",
    "ZERO",
    "ChainBreak",
    "ChainHead",
    "Checkpoint",
    "VerifyReport",
    "canonical_json",
    "chain_link",
    "content_digest",
    "event_digest",
    "is_digest",
]

ZERO: Final = "0" * 64
"""The digest before the first event of a case, and the link before the first position."""

BREAK_RULES: Final = (
    "event-decode",
    "seq-gap",
    "event-digest",
    "case-link",
    "case-row",
    "head-mismatch",
    "unchained-case",
    "missing-case",
    "chain-decode",
    "missing-append",
    "chain-link",
    "chain-head",
    "checkpoint",
)
"""Every :attr:`ChainBreak.rule` verification reports (``docs/store.md`` says what each means)."""

CHECKPOINT_FORMAT: Final = "hallflow-checkpoint/1"
"""The format of :meth:`Checkpoint.to_json` and the scheme its signature covers."""

_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _not_json(value: object) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _one_pass() -> Callable[[object], str]:
    """``_CANONICAL.encode``, without building the C encoder again on every call.

    ``JSONEncoder.encode`` makes a new C encoder object per call; this one is made once, with
    the arguments ``JSONEncoder.iterencode`` gives it (no circular-reference check: every
    value hashed here is a copy made by ``json.loads``). Where the C encoder is missing, the
    pure-Python encoder gives the same text.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    escape = getattr(json.encoder, "c_encode_basestring", None)
    if make is None or escape is None:  # pragma: no cover - CPython has both
        return _CANONICAL.encode
    encoder = make(None, _not_json, escape, None, ":", ",", True, False, False)

    def encode(value: object) -> str:
        if isinstance(value, str):  # the C encoder takes containers; as JSONEncoder.encode does
            return _CANONICAL.encode(value)
        return "".join(encoder(value, 0))

    return encode


_encode = _one_pass()


def canonical_json(value: object) -> str:
    """The canonical JSON text of a JSON value: keys sorted, no spaces, no ASCII escaping.

    Numbers are written as Python's :mod:`json` writes them (ints in full, floats in their
    shortest round-trip form). Hash its UTF-8 bytes. ``value`` must not contain itself.

    Raises:
        TypeError: ``value`` holds something JSON cannot express.
        ValueError: ``value`` holds a NaN or an infinity.
    """
    return _encode(value)


def content_digest(
    case_id: str,
    seq: int,
    kind: str,
    actor: str,
    at_utc: str,
    at_tz: str,
    schema: int,
    payload: Mapping[str, Any],
) -> str:
    """The digest of what one event says, independent of when and after what it is stored.

    Args:
        case_id: the case.
        seq: the event's seq in the case.
        kind: what happened.
        actor: who did it.
        at_utc: the instant's UTC text, as stored.
        at_tz: the instant's zone, as stored.
        schema: the version of the payload's shape.
        payload: the payload, as plain JSON values (it is written in canonical form).

    Returns:
        SHA-256 of the canonical JSON of the fields, 64 lowercase hex digits.

    Raises:
        TypeError: the payload holds something JSON cannot express.
        ValueError: the payload holds a NaN or an infinity.
        UnicodeEncodeError: a text holds a lone surrogate.
    """
    text = _encode([case_id, seq, kind, actor, at_utc, at_tz, schema, payload])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_digest(previous: str, content: str, recorded_at: str) -> str:
    """Link an event into its case's chain.

    Args:
        previous: the digest of the event before (:data:`ZERO` before seq 1).
        content: the event's :func:`content_digest`.
        recorded_at: when the event was recorded, its UTC text as stored
            (``2026-03-02T01:30:00.000000``).

    Returns:
        The event's digest, 64 lowercase hex digits.

    Raises:
        UnicodeEncodeError: a text holds a lone surrogate.
    """
    return hashlib.sha256((previous + content + recorded_at).encode("utf-8")).hexdigest()


def chain_link(previous: str, position: int, case_id: str, version: int, head: str) -> str:
    """Link an append into the hall's chain.

    Args:
        previous: the link at ``position - 1`` (:data:`ZERO` before position 1).
        position: the append's place in the hall's chain, from 1.
        case_id: the case appended to.
        version: the case's version after the append.
        head: the case's head (its last event's digest) after the append.

    Returns:
        The link, 64 lowercase hex digits.

    Raises:
        UnicodeEncodeError: a text holds a lone surrogate.
    """
    text = f"{previous}{head}{position:d}\n{version:d}\n{case_id}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_digest(value: object) -> bool:
    """Whether ``value`` is a SHA-256 digest as hallflow writes it: 64 lowercase hex digits."""
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


# --- what verification reports ---------------------------------------------------------------


@attrs.define(frozen=True, slots=True)
class ChainHead:
    """The newest entry of a store's hall-wide chain.

    Attributes:
        position: how many appends the store holds (0 for an empty store).
        link: the chain's link at ``position`` (:data:`ZERO` for an empty store).
    """

    position: int
    link: str


@attrs.define(frozen=True, slots=True)
class ChainBreak:
    """One place where a store's history does not prove itself.

    Attributes:
        case_id: the case concerned, or None for a break in the hall-wide chain alone. A
            stored case id that is not text is shown by its ``repr``.
        position: the event's seq for a break in a case, the hall-chain position for a break
            in that chain (0 where there is none to name).
        rule: a short, stable code for what was found, one of :data:`BREAK_RULES`:
            ``event-decode``, ``seq-gap``, ``event-digest``, ``case-link``, ``case-row``,
            ``head-mismatch``, ``unchained-case``, ``missing-case``, ``chain-decode``,
            ``missing-append``, ``chain-link``, ``chain-head``, ``checkpoint`` (see
            ``docs/store.md``).
        detail: what differs, expected against found.
    """

    case_id: str | None
    position: int
    rule: str
    detail: str


@attrs.define(frozen=True, slots=True)
class VerifyReport:
    """What :meth:`~hallflow.store.base.EventStore.verify` found.

    Attributes:
        breaks: every break found, cases first (by case id, then seq), then the hall chain
            (by position), then the checkpoints; empty when the history proves itself.
        cases: how many cases were checked.
        events: how many events were checked.
        positions: how many entries of the hall chain were checked.
    """

    breaks: tuple[ChainBreak, ...]
    cases: int
    events: int
    positions: int

    @property
    def ok(self) -> bool:
        """Whether no break was found."""
        return not self.breaks


# --- signed checkpoints ----------------------------------------------------------------------


def _check_position(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SerializationError(f"Checkpoint.{name} must be an int of at least 0", value)


def _check_link(name: str, value: object) -> None:
    if not is_digest(value):
        raise SerializationError(
            f"Checkpoint.{name} must be a SHA-256 as 64 lowercase hex digits", value
        )


def _check_aware(name: str, value: object) -> None:
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise SerializationError(f"Checkpoint.{name} must be an aware datetime", value)


def _check_key_id(name: str, value: object) -> None:
    if not isinstance(value, str) or not value or not value.isprintable():
        raise SerializationError(f"Checkpoint.{name} must be a non-empty printable str", value)


def _check_signature(name: str, value: object) -> None:
    try:
        if not isinstance(value, str) or not value:
            raise ValueError
        base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise SerializationError(
            f"Checkpoint.{name} must be non-empty standard base64", value
        ) from None


def _validator(check: Any) -> Any:
    def validate(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        check(attribute.name, value)

    return validate


@attrs.define(frozen=True, slots=True)
class Checkpoint:
    """A signed statement that a store's hall-wide chain had this link at this position.

    Take one now and then (:meth:`sign` over :meth:`~hallflow.store.base.EventStore.head`)
    and keep it where whoever could edit the store cannot: another machine, a supervising
    authority, a printed report. Passed to :meth:`~hallflow.store.base.EventStore.verify`,
    it reveals any rewrite of what was written before it, even one in which every digest
    and link was recomputed. The signature is for the holder to check
    (:meth:`verify_signature`) before trusting a checkpoint; ``verify`` compares links only.

    The signature (Ed25519) covers the canonical JSON of
    ``{"scheme": "hallflow-checkpoint/1", "position": ..., "link": ..., "at": <UTC text>,
    "key_id": ...}`` (:meth:`signed_bytes`).

    Attributes:
        position: the chain position signed for (0 for an empty store).
        link: the chain's link at ``position``.
        at: when the checkpoint was taken (aware).
        key_id: names the signing key, for the holder to find its public key.
        signature: the Ed25519 signature over :meth:`signed_bytes`, standard base64.

    Raises:
        SerializationError: a field is malformed (the message names it).
    """

    position: int = attrs.field(validator=_validator(_check_position))
    link: str = attrs.field(validator=_validator(_check_link))
    at: dt.datetime = attrs.field(validator=_validator(_check_aware))
    key_id: str = attrs.field(validator=_validator(_check_key_id))
    signature: str = attrs.field(validator=_validator(_check_signature))

    @staticmethod
    def payload(position: int, link: str, at: dt.datetime, key_id: str) -> bytes:
        """The bytes signed for these fields (see the class)."""
        return canonical_json(
            {
                "scheme": CHECKPOINT_FORMAT,
                "position": position,
                "link": link,
                "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
                "key_id": key_id,
            }
        ).encode("utf-8")

    def signed_bytes(self) -> bytes:
        """The bytes this checkpoint's signature covers."""
        return self.payload(self.position, self.link, self.at, self.key_id)

    @classmethod
    def sign(
        cls,
        head: ChainHead,
        at: dt.datetime,
        private_key: Ed25519PrivateKey,
        key_id: str,
    ) -> Checkpoint:
        """Sign a chain head.

        Args:
            head: the store's :meth:`~hallflow.store.base.EventStore.head`.
            at: when it is taken (aware).
            private_key: the signing key.
            key_id: names the key, for those who will check the signature.

        Raises:
            SerializationError: a field is malformed.
        """
        _check_position("position", head.position)
        _check_link("link", head.link)
        _check_aware("at", at)
        _check_key_id("key_id", key_id)
        signature = private_key.sign(cls.payload(head.position, head.link, at, key_id))
        return cls(
            position=head.position,
            link=head.link,
            at=at,
            key_id=key_id,
            signature=base64.b64encode(signature).decode("ascii"),
        )

    def verify_signature(self, public_key: Ed25519PublicKey) -> bool:
        """Whether ``public_key`` made this checkpoint's signature over its fields."""
        try:
            public_key.verify(base64.b64decode(self.signature, validate=True), self.signed_bytes())
        except (InvalidSignature, ValueError, binascii.Error):
            return False
        return True

    def to_json(self) -> str:
        """The checkpoint as a JSON document (``at`` keeps its UTC offset)."""
        return json.dumps(
            {
                "format": CHECKPOINT_FORMAT,
                "position": self.position,
                "link": self.link,
                "at": self.at.isoformat(timespec="microseconds"),
                "key_id": self.key_id,
                "signature": self.signature,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Checkpoint:
        """Load a checkpoint written by :meth:`to_json`.

        Raises:
            SerializationError: the text is not a checkpoint document of a known format,
                or a field is malformed.
        """
        try:
            document = json.loads(text)
        except (TypeError, ValueError, RecursionError) as exc:
            raise SerializationError(f"a checkpoint must be JSON ({exc})") from None
        if not isinstance(document, dict):
            raise SerializationError("a checkpoint must be a JSON object", type(document).__name__)
        if document.get("format") != CHECKPOINT_FORMAT:
            raise SerializationError(
                f"a checkpoint's format must be {CHECKPOINT_FORMAT!r}", document.get("format")
            )
        fields = ("position", "link", "at", "key_id", "signature")
        unknown = sorted(set(document) - {"format", *fields})
        if unknown:
            raise SerializationError("a checkpoint has unknown fields", unknown)
        missing = [name for name in fields if name not in document]
        if missing:
            raise SerializationError("a checkpoint lacks fields", missing)
        at = document["at"]
        if not isinstance(at, str):
            raise SerializationError("Checkpoint.at must be ISO 8601 text", at)
        try:
            when = dt.datetime.fromisoformat(at)
        except ValueError:
            raise SerializationError("Checkpoint.at must be ISO 8601 text", at) from None
        return cls(
            position=document["position"],
            link=document["link"],
            at=when,
            key_id=document["key_id"],
            signature=document["signature"],
        )
