"""The software seal provider: Ed25519 signatures with keys held in memory.

Ed25519 (RFC 8032) is deterministic — the same key and payload always give the same
signature — needs no random numbers at signing time, and its public keys are 32 bytes.
Keys live in a keystore owned by the provider object; persisting them (encrypted PEM) is
the embedder's job.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from hallflow.errors import SealKeyError
from hallflow.seals.canonical import document_digest
from hallflow.seals.model import Seal, SealImpression

__all__ = ["ED25519", "SoftwareSealProvider", "verify_impression"]

ED25519: Final = "Ed25519"
"""The algorithm name written into impressions."""


def _verify_with(
    public_key: Ed25519PublicKey, impression: SealImpression, document: Mapping[str, Any]
) -> bool:
    if impression.algorithm != ED25519:
        return False
    if not impression.matches(document):
        return False
    try:
        public_key.verify(impression.signature_bytes(), impression.signed_payload())
    except (InvalidSignature, ValueError):
        return False
    return True


def _load_public(key_id: str, pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise SealKeyError(key_id, f"not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SealKeyError(key_id, f"not an Ed25519 key but a {type(key).__name__}")
    return key


def verify_impression(
    impression: SealImpression, document: Mapping[str, Any], public_key_pem: bytes
) -> bool:
    """Check a sealed document with nothing but the seal key's public key.

    This is what a third party — a court, an auditor, another hall — runs years later: the
    document, the stored impression and the PEM public key of ``impression.key_id`` suffice.

    Args:
        impression: the stored impression.
        document: the document as stored (JSON values only).
        public_key_pem: the PEM (SubjectPublicKeyInfo) public key of ``impression.key_id``.

    Returns:
        ``True`` if the document's digest matches and the signature over the payload
        (document digest, seal code, kind, key id, algorithm, signing time) is valid;
        ``False`` for any change to the document or the impression.

    Raises:
        SealKeyError: ``public_key_pem`` is not an Ed25519 public key.
        CanonicalDocumentError: ``document`` holds a non-JSON value.
    """
    return _verify_with(_load_public(impression.key_id, public_key_pem), impression, document)


class SoftwareSealProvider:
    """Seals signed in software with Ed25519 keys kept in this object's keystore.

    The keystore maps a key id to a private key (which can sign) or to a public key alone
    (kept to verify old impressions after the private key was retired). It is ordinary
    object state: create one provider per hall (or per process) and pass it around.
    """

    name: str = "software-ed25519"

    def __init__(self) -> None:
        self._private: dict[str, Ed25519PrivateKey] = {}
        self._public: dict[str, Ed25519PublicKey] = {}

    def __repr__(self) -> str:
        return f"SoftwareSealProvider(keys={sorted(self._public)!r})"

    # ---- keystore

    def key_ids(self) -> tuple[str, ...]:
        """Every key id known (signing or verify-only), sorted."""
        return tuple(sorted(self._public))

    def can_sign(self, key_id: str) -> bool:
        """Whether the provider holds the private key of ``key_id``."""
        return key_id in self._private

    def _new_id(self, key_id: str) -> None:
        if not isinstance(key_id, str) or not key_id.strip():
            raise SealKeyError(str(key_id), "a key id must be a non-empty string")
        if key_id in self._public:
            raise SealKeyError(
                key_id, "the keystore already holds this key id (ids are not reused)"
            )

    def _put(self, key_id: str, key: Ed25519PrivateKey) -> None:
        self._private[key_id] = key
        self._public[key_id] = key.public_key()

    def generate_key(self, key_id: str) -> bytes:
        """Create a new Ed25519 key under ``key_id``.

        Returns:
            Its public key as PEM, to publish for later verification.

        Raises:
            SealKeyError: the id is empty or already taken.
        """
        self._new_id(key_id)
        self._put(key_id, Ed25519PrivateKey.generate())
        return self.public_key_pem(key_id)

    def add_key_pem(self, key_id: str, pem: bytes, password: bytes | None = None) -> None:
        """Load an Ed25519 private key from PEM (PKCS #8, encrypted if ``password`` is given).

        Raises:
            SealKeyError: the id is taken, the PEM cannot be read with this password, or it
                holds some other kind of key.
        """
        self._new_id(key_id)
        try:
            key = serialization.load_pem_private_key(pem, password=password)
        except (ValueError, TypeError) as exc:
            raise SealKeyError(key_id, f"cannot read the PEM private key ({exc})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SealKeyError(key_id, f"not an Ed25519 key but a {type(key).__name__}")
        self._put(key_id, key)

    def add_public_key_pem(self, key_id: str, pem: bytes) -> None:
        """Keep a public key alone, to verify impressions made with a retired key.

        Raises:
            SealKeyError: the id is taken or the PEM is not an Ed25519 public key.
        """
        self._new_id(key_id)
        self._public[key_id] = _load_public(key_id, pem)

    def public_key_pem(self, key_id: str) -> bytes:
        """The public key of ``key_id`` as PEM (SubjectPublicKeyInfo).

        Raises:
            SealKeyError: the keystore has no such key.
        """
        try:
            key = self._public[key_id]
        except KeyError:
            raise SealKeyError(key_id, "the keystore has no such key") from None
        return key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def private_key_pem(self, key_id: str, password: bytes | None = None) -> bytes:
        """Export the private key of ``key_id`` as PKCS #8 PEM, for backup or another process.

        Args:
            key_id: the key.
            password: encrypt the PEM with it (strongly advised); ``None`` exports it in
                the clear.

        Raises:
            SealKeyError: the keystore holds no private key under ``key_id``.
        """
        key = self._signing_key(key_id)
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    def retire_key(self, key_id: str) -> None:
        """Drop the private key of ``key_id`` and keep its public key for verification.

        Raises:
            SealKeyError: the keystore holds no private key under ``key_id``.
        """
        self._signing_key(key_id)
        del self._private[key_id]

    def _signing_key(self, key_id: str) -> Ed25519PrivateKey:
        try:
            return self._private[key_id]
        except KeyError:
            state = "retired (verify only)" if key_id in self._public else "unknown"
            raise SealKeyError(key_id, f"no private key to sign with: the key is {state}") from None

    # ---- the SealProvider protocol

    def sign(self, seal: Seal, document: Mapping[str, Any], at: dt.datetime) -> SealImpression:
        """Affix ``seal`` to ``document`` at ``at`` with the seal's current key.

        Args:
            seal: the seal, as the registry holds it now.
            document: the decision document, JSON values only.
            at: the signing instant (aware); for an approval seal, the legal closing time.

        Returns:
            The impression; its signature covers the document's digest, the seal's code and
            kind, the key id, the algorithm and ``at``.

        Raises:
            NaiveDatetimeError: ``at`` has no time zone.
            SealRevokedError: the seal is revoked (naming when).
            SealStateError: ``at`` precedes the seal's last recorded step.
            SealKeyError: the keystore holds no private key for ``seal.key_id``.
            CanonicalDocumentError: ``document`` holds a non-JSON value (naming its path).
        """
        seal.check_can_sign(at)
        key = self._signing_key(seal.key_id)
        digest = document_digest(document)
        payload = SealImpression.payload(seal.code, seal.kind, seal.key_id, ED25519, at, digest)
        return SealImpression(
            seal_code=seal.code,
            kind=seal.kind,
            key_id=seal.key_id,
            algorithm=ED25519,
            signed_at=at,
            digest=digest,
            signature=base64.b64encode(key.sign(payload)).decode("ascii"),
        )

    def verify(self, impression: SealImpression, document: Mapping[str, Any]) -> bool:
        """Whether ``impression`` is a valid seal of ``document``, by the keystore's keys.

        Returns:
            ``False`` for a changed document, a changed impression or a bad signature.

        Raises:
            SealKeyError: the keystore has no key under ``impression.key_id``.
            CanonicalDocumentError: ``document`` holds a non-JSON value.
        """
        try:
            key = self._public[impression.key_id]
        except KeyError:
            raise SealKeyError(
                impression.key_id, "the keystore has no such key to verify with"
            ) from None
        return _verify_with(key, impression, document)
