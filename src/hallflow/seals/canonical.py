"""Canonical bytes of a document: the JSON Canonicalization Scheme (RFC 8785).

A seal signs bytes, not objects. Two programs that hold the same decision document must
produce the same bytes, whatever order their dictionaries keep and however their JSON
library writes numbers; otherwise a signature made in one place cannot be checked in
another. RFC 8785 fixes both: object members sorted by the UTF-16 code units of their names,
no insignificant white space, strings escaped minimally, numbers written as ECMAScript writes
them (``1.0`` and ``1`` are the same number, ``1e21`` has one form). hallflow uses the
``rfc8785`` library for it.

The scheme only knows JSON values. :func:`canonical_bytes` accepts nothing else: a date, a
:class:`~decimal.Decimal` or a set in a document raises :class:`CanonicalDocumentError` naming
the key path, because a silent conversion would make the signed bytes depend on a convention
the verifier might not share. :func:`to_json_value` is the explicit conversion the caller
applies first.

Most documents take a fast path. One pass copies the document into plain dicts, lists and
scalars, and notes whether it holds a number that must be written as a double (a float, or
an integer beyond ±(2**53 − 1)) or a member name with a character beyond U+FFFF. Without
such a number, the standard library's C encoder writes the bytes: for JSON strings its
minimal escaping is the one RFC 8785 prescribes, and for integers, booleans and ``null``
the forms agree. Its ``sort_keys`` compares code points where RFC 8785 compares UTF-16 code
units; the two orders differ only for names with a character beyond U+FFFF, so those
documents are sorted by UTF-16 first. A copy with doubles goes to ``rfc8785``. Whatever
the fast path cannot vouch for (a lone surrogate, a value with no JSON form, a cycle) is
handed to the reference, the ``rfc8785`` path, which raises the error it always raised.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
import math
import re
from collections.abc import Mapping
from typing import Any, TypeAlias

import rfc8785

from hallflow.errors import CanonicalDocumentError

__all__ = ["JsonValue", "canonical_bytes", "document_digest", "to_json_value"]

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
"""A JSON value as Python holds it."""

_INT_LIMIT = 2**53 - 1
"""The largest integer an IEEE 754 double holds exactly; JCS refuses larger ones."""


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]"


def _check_str(path: str, value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalDocumentError(
            path, value, "a string must be valid Unicode (it holds a lone surrogate)"
        ) from None
    return str.__str__(value)  # the plain text, even for a (str, Enum) member


def _scalar(path: str, value: object) -> JsonValue:
    """A JSON scalar as a plain Python value, or refuse it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        if -_INT_LIMIT <= value <= _INT_LIMIT:
            return int(value)
        # A JSON number is an IEEE 754 double: beyond ±(2**53 - 1) only some integers
        # have one, and those are written as that double would be.
        try:
            exact = float(value)
        except OverflowError:
            exact = math.inf
        if exact != value:
            raise CanonicalDocumentError(
                path,
                value,
                "no IEEE 754 double holds this integer exactly (beyond ±(2**53 - 1) most "
                "are lost); write it as a string",
            )
        return exact
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalDocumentError(path, value, "NaN and infinities are not JSON numbers")
        return float(value)
    if isinstance(value, str):
        return _check_str(path, value)
    raise TypeError  # not a scalar: the caller decides what to say


def _walk(value: object, path: str, convert: bool, seen: set[int]) -> JsonValue:
    if isinstance(value, enum.Enum) and convert:
        return _walk(value.value, path, convert, seen)
    try:
        return _scalar(path, value)
    except TypeError:
        pass
    if isinstance(value, Mapping | list | tuple):
        if id(value) in seen:
            raise CanonicalDocumentError(path, "...", "the document refers to itself")
        seen.add(id(value))
        try:
            if isinstance(value, Mapping):
                out: dict[str, JsonValue] = {}
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise CanonicalDocumentError(
                            f"{path}[{key!r}]", key, "object member names must be strings"
                        )
                    sub = _key_path(path, key)
                    out[_check_str(sub, key)] = _walk(item, sub, convert, seen)
                return out
            return [_walk(item, f"{path}[{i}]", convert, seen) for i, item in enumerate(value)]
        finally:
            seen.discard(id(value))
    if convert:
        if isinstance(value, dt.datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                raise CanonicalDocumentError(
                    path, value, "a naive datetime has no instant; attach the hall's zone"
                )
            return value.isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, decimal.Decimal):
            if not value.is_finite():
                raise CanonicalDocumentError(path, value, "NaN and infinities are not amounts")
            return str(value)
        rule = "no JSON form: convert it yourself (a set has no order; encode bytes as base64)"
    else:
        rule = (
            f"a {type(value).__name__} is not a JSON value; convert the document with "
            f"to_json_value() first"
        )
    raise CanonicalDocumentError(path, value, rule)


def to_json_value(value: object, path: str = "$") -> JsonValue:
    """Convert ``value`` to plain JSON values, by fixed and documented rules.

    * mappings become dicts (member names must be strings), lists and tuples become lists;
    * an aware :class:`~datetime.datetime` becomes its ISO 8601 text with its UTC offset
      (``2026-11-02T10:00:00+08:00``); a naive one is refused;
    * a :class:`~datetime.date` becomes ``YYYY-MM-DD``;
    * a :class:`~decimal.Decimal` becomes its exact text (``"12.50"``), never a float, so an
      amount keeps every digit (and its scale: ``"12.5"`` and ``"12.50"`` differ);
    * an enum member becomes its value;
    * ``None``, booleans, integers, finite floats and strings stay (an integer must have an
      exact IEEE 754 double, as every JSON number is one: all do within ±(2**53 − 1)).

    Args:
        value: the value to convert.
        path: the key path of ``value``, used in error messages (``$`` is the root).

    Returns:
        A new value made only of dicts, lists, strings, numbers, booleans and ``None``.

    Raises:
        CanonicalDocumentError: something has no JSON form (a set, bytes, a naive datetime,
            an integer too large, NaN...); the error names its key path.
    """
    return _walk(value, path, True, set())


def _strict(document: Mapping[str, Any]) -> dict[str, JsonValue]:
    if not isinstance(document, Mapping):
        raise CanonicalDocumentError("$", document, "a document must be a JSON object")
    out = _walk(document, "$", False, set())
    assert isinstance(out, dict)
    return out


def _canonical_bytes_reference(document: Mapping[str, Any]) -> bytes:
    """:func:`canonical_bytes` the slow and plain way: check and copy, then ``rfc8785``.

    The reference the fast path is tested against, and the path for what it leaves alone.
    """
    return rfc8785.dumps(_strict(document))


class _Unsure(Exception):
    """The fast path met something it leaves to the reference (which raises the error)."""


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
"""A character beyond U+FFFF: two UTF-16 code units, so it sorts by UTF-16 differently."""

_ENCODER_OPTIONS: dict[str, Any] = {
    "ensure_ascii": False,
    "separators": (",", ":"),
    "allow_nan": False,
    "check_circular": False,  # the pass refuses cycles before the encoder runs
}
_encode_sorted = json.JSONEncoder(sort_keys=True, **_ENCODER_OPTIONS).encode
_encode_in_order = json.JSONEncoder(sort_keys=False, **_ENCODER_OPTIONS).encode


class _Pass:
    """One pass over a document: a plain copy of it, and what its encoding needs.

    The copy equals what :func:`_strict` returns for every document :func:`_strict` accepts;
    anything else raises :class:`_Unsure`, except a lone surrogate, which the pass lets
    through for the UTF-8 encoding of the output to find.
    """

    __slots__ = ("astral_names", "doubles", "open")

    def __init__(self) -> None:
        self.doubles = False  # a float, or an integer written as a double
        self.astral_names = False  # a member name with a character beyond U+FFFF
        self.open: set[int] = set()  # the containers being copied, to refuse cycles

    def value(self, value: Any) -> JsonValue:
        """The plain copy of any value; the common exact types first, without a call."""
        kind = type(value)
        if kind is str or kind is bool or value is None:
            return value  # type: ignore[no-any-return]
        if kind is int and -_INT_LIMIT <= value <= _INT_LIMIT:
            return value  # type: ignore[no-any-return]
        if kind is dict:
            return self.mapping(value)
        if kind is list or kind is tuple:
            return self.sequence(value)
        # Everything else in _walk's order: scalars (subclasses too), then containers.
        try:
            plain = _scalar("$", value)
        except TypeError:
            if isinstance(value, Mapping):
                return self.mapping(value)
            if isinstance(value, list | tuple):
                return self.sequence(value)
            raise _Unsure from None
        except CanonicalDocumentError:
            raise _Unsure from None
        if isinstance(plain, float):
            self.doubles = True
        return plain

    def mapping(self, value: Mapping[Any, Any]) -> dict[str, JsonValue]:
        """The plain copy of a mapping, members in its own order (the encoder sorts)."""
        key = id(value)
        if key in self.open:
            raise _Unsure
        self.open.add(key)
        out: dict[str, JsonValue] = {}
        for name, item in value.items():
            if type(name) is not str:
                if not isinstance(name, str):
                    raise _Unsure
                name = str.__str__(name)
            if not name.isascii() and _ASTRAL.search(name):
                self.astral_names = True
            out[name] = self.value(item)
        self.open.discard(key)
        return out

    def sequence(self, value: list[object] | tuple[object, ...]) -> list[JsonValue]:
        """The plain copy of a list or tuple, as a list."""
        key = id(value)
        if key in self.open:
            raise _Unsure
        self.open.add(key)
        out = list(map(self.value, value))
        self.open.discard(key)
        return out


def _utf16_ordered(value: JsonValue) -> JsonValue:
    """A copy of a plain value whose objects keep their members in RFC 8785 order."""
    if isinstance(value, dict):
        members = sorted(value.items(), key=lambda member: member[0].encode("utf-16-be"))
        return {name: _utf16_ordered(item) for name, item in members}
    if isinstance(value, list):
        return [_utf16_ordered(item) for item in value]
    return value


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON object.

    Args:
        document: a mapping holding only JSON values (see :func:`to_json_value`).

    Returns:
        The canonical bytes: the same for any two documents that are equal as JSON.

    Raises:
        CanonicalDocumentError: a value is not JSON (naming its key path), or ``document``
            is not a mapping.
    """
    walk = _Pass()
    try:
        if not isinstance(document, Mapping):
            raise _Unsure
        plain = walk.mapping(document)
        if walk.doubles:
            return rfc8785.dumps(plain)  # ECMAScript number forms
        if walk.astral_names:
            return _encode_in_order(_utf16_ordered(plain)).encode("utf-8")
        return _encode_sorted(plain).encode("utf-8")
    except (_Unsure, UnicodeEncodeError, rfc8785.CanonicalizationError, RecursionError):
        # Not for the fast path, a lone surrogate, or deeper than the fast path's stack
        # allows (it takes two frames a level): the reference decides, and raises the error.
        return _canonical_bytes_reference(document)


def document_digest(document: Mapping[str, Any]) -> str:
    """The SHA-256 of :func:`canonical_bytes`, as 64 lowercase hex digits.

    Raises:
        CanonicalDocumentError: as :func:`canonical_bytes`.
    """
    return hashlib.sha256(canonical_bytes(document)).hexdigest()
