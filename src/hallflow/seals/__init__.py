"""Seals: the registry of a hall's seals, their lifecycle, and signing decision documents.

Register seals in a :class:`SealRegistry`; affix one with a :class:`SealProvider` such as
:class:`SoftwareSealProvider`; store the :class:`SealImpression` beside the document and
check it later with :func:`verify_impression`. See ``docs/seals.md``.
"""

from hallflow.seals.canonical import JsonValue, canonical_bytes, document_digest, to_json_value
from hallflow.seals.model import (
    IMPRESSION_FORMAT,
    SIGNATURE_SCHEME,
    Seal,
    SealAction,
    SealChange,
    SealImpression,
    SealKind,
    SealProvider,
    SealRegistry,
    SealStatus,
)
from hallflow.seals.software import ED25519, SoftwareSealProvider, verify_impression

__all__ = [
    "ED25519",
    "IMPRESSION_FORMAT",
    "SIGNATURE_SCHEME",
    "JsonValue",
    "Seal",
    "SealAction",
    "SealChange",
    "SealImpression",
    "SealKind",
    "SealProvider",
    "SealRegistry",
    "SealStatus",
    "SoftwareSealProvider",
    "canonical_bytes",
    "document_digest",
    "to_json_value",
    "verify_impression",
]
