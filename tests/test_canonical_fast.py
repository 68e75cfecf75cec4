"""The fast path of canonical_bytes: the same bytes and the same errors as the reference."""

from __future__ import annotations

import collections
import decimal
import enum
import sys
import types
from typing import Any
from unittest import mock

import pytest
import rfc8785
from hypothesis import given

from hallflow.errors import CanonicalDocumentError
from hallflow.seals import canonical
from hallflow.seals.canonical import _canonical_bytes_reference, canonical_bytes
from tests.strategies import sealable_documents, unsealable_documents


class Level(enum.IntEnum):
    HIGH = 3


class Kind(str, enum.Enum):  # noqa: UP042 - str() is 'Kind.APPROVAL', not the value
    APPROVAL = "approval"


class Plain(enum.Enum):
    ONE = "one"


def _refusal(document: Any, encode: Any) -> CanonicalDocumentError:
    with pytest.raises(CanonicalDocumentError) as caught:
        encode(document)
    return caught.value


# ---- the same bytes


@given(sealable_documents(doubles=False))
def test_documents_without_doubles_take_the_fast_path(doc: dict[str, Any]) -> None:
    expected = _canonical_bytes_reference(doc)
    refuse = mock.Mock(side_effect=AssertionError("the fast path fell back"))
    with (
        mock.patch.object(canonical, "_canonical_bytes_reference", refuse),
        mock.patch.object(rfc8785, "dumps", refuse),
    ):
        assert canonical_bytes(doc) == expected


@given(sealable_documents())
def test_canonical_bytes_equal_the_reference(doc: dict[str, Any]) -> None:
    assert canonical_bytes(doc) == _canonical_bytes_reference(doc)


@pytest.mark.parametrize(
    "doc",
    [
        {"t": (1, "a", (True, None)), "e": Kind.APPROVAL, "i": Level.HIGH, Kind.APPROVAL: 0},
        {"m": types.MappingProxyType({"b": 1, "a": [2]}), "o": collections.OrderedDict(z=1)},
        {"d": collections.defaultdict(list, {"\U0001f600": [], "\uff08": ()})},
        {"big": 2**53, "neg": -(2**60), "at": 10**21},  # exact doubles: the rfc8785 path
        {"f": -0.0, "g": 1e-7, "h": [0.1, 1e21, 5e-324]},
        {"shared": (shared := [1, {"x": 2}]), "again": shared},
        {},
    ],
)
def test_json_like_values_give_the_reference_bytes(doc: dict[Any, Any]) -> None:
    assert canonical_bytes(doc) == _canonical_bytes_reference(doc)


def test_a_name_beyond_u_ffff_sorts_before_u_ff08_as_utf16_has_it() -> None:
    # Code points put U+FF08 (0xFF08) first; UTF-16 puts U+1F600 (0xD83D 0xDE00) first.
    doc = {"\uff08": 1, "\U0001f600": 2, "a": {"\uffff": 3, "\U00010000": 4}}
    expected = '{"a":{"\U00010000":4,"\uffff":3},"\U0001f600":2,"\uff08":1}'.encode()
    assert canonical_bytes(doc) == expected == _canonical_bytes_reference(doc)


def test_control_characters_are_escaped_as_rfc_8785_has_it() -> None:
    doc = {"s": '\x00\x08\t\n\x0b\x0c\r\x1f\x7f\u2028\u2029"\\/é'}
    expected = (
        b'{"s":"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f\x7f\xe2\x80\xa8\xe2\x80\xa9\\"\\\\/\xc3\xa9"}'
    )
    assert canonical_bytes(doc) == expected == _canonical_bytes_reference(doc)


def test_booleans_stay_booleans_and_integers_stay_integers() -> None:
    doc = {"t": True, "f": False, "one": 1, "zero": 0, "list": [True, 1, False, 0]}
    expected = b'{"f":false,"list":[true,1,false,0],"one":1,"t":true,"zero":0}'
    assert canonical_bytes(doc) == expected == _canonical_bytes_reference(doc)


def test_a_document_too_deep_for_the_fast_path_gets_the_reference_bytes() -> None:
    # The fast path takes two frames a level, the reference one: in between, it falls back.
    doc: dict[str, Any] = {}
    inner = doc
    for _ in range(sys.getrecursionlimit() * 2 // 3):
        inner["a"] = inner = {}
    assert canonical_bytes(doc) == _canonical_bytes_reference(doc)


# ---- the same errors


@given(unsealable_documents())
def test_canonical_bytes_refuse_as_the_reference_does(doc: dict[str, Any]) -> None:
    fast = _refusal(doc, canonical_bytes)
    slow = _refusal(doc, _canonical_bytes_reference)
    assert (str(fast), fast.path, fast.rule) == (str(slow), slow.path, slow.rule)


@pytest.mark.parametrize(
    "doc",
    [
        {"a": "x\ud800"},
        {"\udfff": 1},
        {"n": 1.5, "s": ["\ud83d"]},  # a double and a lone surrogate: the rfc8785 path
        {"n": 1.5, "\udc00": 1},  # a lone surrogate in a name the rfc8785 path sorts
        {1: "one"},
        {"a": {None: 1}},
        {"x": float("nan")},
        {"x": [float("-inf")]},
        {"s": {1, 2}},
        {"big": 2**53 + 1},
        {"huge": 10**400},
        {"p": Plain.ONE},
        {"d": decimal.Decimal("1.50")},
        {"b": b"bytes"},
    ],
)
def test_bad_values_are_refused_as_the_reference_does(doc: dict[Any, Any]) -> None:
    assert str(_refusal(doc, canonical_bytes)) == str(_refusal(doc, _canonical_bytes_reference))


def test_cycles_and_non_objects_are_refused_as_the_reference_does() -> None:
    looped: dict[str, Any] = {"a": [1]}
    looped["a"].append(looped)
    for doc in (looped, [1, 2], "text"):
        fast = _refusal(doc, canonical_bytes)
        assert str(fast) == str(_refusal(doc, _canonical_bytes_reference))
