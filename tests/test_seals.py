"""Seals: canonical bytes, the registry's lifecycle, Ed25519 impressions and verification."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import hashlib
import json
import random
import types
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import assume, given
from hypothesis import strategies as st

from hallflow.errors import (
    CanonicalDocumentError,
    HallflowError,
    NaiveDatetimeError,
    SealFieldError,
    SealKeyError,
    SealRevokedError,
    SealStateError,
    UnknownSealError,
)
from hallflow.seals import (
    IMPRESSION_FORMAT,
    Seal,
    SealAction,
    SealChange,
    SealImpression,
    SealKind,
    SealProvider,
    SealRegistry,
    SealStatus,
    SoftwareSealProvider,
    canonical_bytes,
    document_digest,
    to_json_value,
    verify_impression,
)
from tests.strategies import JSON_INT_LIMIT, json_documents

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH)
DAY = dt.timedelta(days=1)

DECISION: dict[str, Any] = {
    "case": "370923-2026-000123",
    "matter": "11370923MB0000000X-001",
    "applicant": {"name": "东平县某某建材有限公司", "kind": "legal_person"},
    "decision": "grant",
    "reasons": ["材料齐全", "符合法定形式"],
    "fee": "0.00",
    "limits": {"promised": 10, "legal": 20},
}


def registry() -> SealRegistry:
    return SealRegistry().activate(
        "SEAL-A1", SealKind.APPROVAL, "dept-land", "staff-001", "k2026", T0, "admin"
    )


def provider(*key_ids: str) -> SoftwareSealProvider:
    out = SoftwareSealProvider()
    for key_id in key_ids or ("k2026",):
        out.generate_key(key_id)
    return out


def sealed(at: dt.datetime = T0 + DAY) -> tuple[SoftwareSealProvider, SealImpression]:
    prov = provider()
    return prov, prov.sign(registry().get("SEAL-A1"), DECISION, at)


# ---- canonical bytes


def test_canonical_bytes_sorts_members_and_normalises_numbers() -> None:
    doc = {"b": [1.0, 2.5, -0.0, 1e21, 1e-7], "a": {"y": None, "x": True}, "c": "\n\u2028"}
    assert canonical_bytes(doc) == (
        b'{"a":{"x":true,"y":null},"b":[1,2.5,0,1e+21,1e-7],"c":"\\n\xe2\x80\xa8"}'
    )


def test_canonical_bytes_orders_members_by_utf16_code_units() -> None:
    # The sorting example of RFC 8785 §3.2.3.
    doc = {k: k for k in ["\u20ac", "\r", "\ufb33", "1", "\U0001f600", "\u0080", "ö"]}
    order = list(json.loads(canonical_bytes(doc)))
    assert order == ["\r", "1", "\u0080", "ö", "\u20ac", "\U0001f600", "\ufb33"]


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@given(json_documents(), st.randoms(use_true_random=False))
def test_canonical_bytes_ignore_member_order(doc: dict[str, Any], rng: random.Random) -> None:
    other = _shuffled(doc, rng)
    assert canonical_bytes(other) == canonical_bytes(doc)
    assert document_digest(other) == document_digest(doc)


def _as_double(text: str) -> int | float:
    """Read a JSON integer as a double-based parser does (JSON numbers are doubles)."""
    value = int(text)
    return value if abs(value) <= JSON_INT_LIMIT else float(text)


@given(json_documents())
def test_canonical_bytes_are_json_for_the_same_value(doc: dict[str, Any]) -> None:
    data = canonical_bytes(doc)
    assert json.loads(data, parse_int=_as_double) == doc
    assert canonical_bytes(json.loads(data, parse_int=_as_double)) == data  # a fixed point
    assert document_digest(doc) == hashlib.sha256(data).hexdigest()


def test_canonical_bytes_accept_tuples_enum_members_and_read_only_mappings() -> None:
    class Colour(enum.Enum):
        RED = "red"

    class Shade(str, enum.Enum):  # noqa: UP042  # str(Shade.DARK) is "Shade.DARK"
        DARK = "dark"

    doc = {"t": (1, 2), "m": types.MappingProxyType({"k": SealKind.APPROVAL}), "s": Shade.DARK}
    assert canonical_bytes(doc) == b'{"m":{"k":"approval"},"s":"dark","t":[1,2]}'
    with pytest.raises(CanonicalDocumentError, match=r"\$\.c=.*to_json_value"):
        canonical_bytes({"c": Colour.RED})
    assert to_json_value({"c": Colour.RED}) == {"c": "red"}


@pytest.mark.parametrize(
    ("doc", "path", "words"),
    [
        ({"a": [1, {"b": dt.date(2026, 1, 1)}]}, "$.a[1].b", "to_json_value"),
        ({"fee": decimal.Decimal("1.50")}, "$.fee", "Decimal"),
        ({"big": JSON_INT_LIMIT + 2}, "$.big", "2**53"),
        ({"huge": [10**400]}, "$.huge[0]", "2**53"),
        ({"x": [float("nan")]}, "$.x[0]", "NaN"),
        ({"s": {1, 2}}, "$.s", "set"),
        ({"k": {1: "one"}}, "$.k[1]", "names must be strings"),
        ({"申请 人": "x\ud800"}, "$['申请 人']", "surrogate"),
    ],
)
def test_canonical_bytes_refuse_non_json_values_naming_the_path(
    doc: dict[str, Any], path: str, words: str
) -> None:
    with pytest.raises(CanonicalDocumentError) as info:
        canonical_bytes(doc)
    assert info.value.path == path
    assert words in str(info.value)
    assert isinstance(info.value, HallflowError)


def test_large_integers_are_written_as_the_double_that_holds_them() -> None:
    assert canonical_bytes({"n": 2**53}) == b'{"n":9007199254740992}'
    assert canonical_bytes({"n": 10**21}) == canonical_bytes({"n": 1e21}) == b'{"n":1e+21}'


def test_canonical_bytes_refuse_a_document_that_contains_itself() -> None:
    doc: dict[str, Any] = {"a": []}
    doc["a"].append(doc)
    with pytest.raises(CanonicalDocumentError, match="refers to itself"):
        canonical_bytes(doc)


def test_canonical_bytes_refuse_a_non_object() -> None:
    with pytest.raises(CanonicalDocumentError, match="JSON object"):
        canonical_bytes([1, 2])  # type: ignore[arg-type]


def test_shared_lists_are_not_mistaken_for_cycles() -> None:
    shared = [1, 2]
    assert canonical_bytes({"a": shared, "b": shared}) == b'{"a":[1,2],"b":[1,2]}'


def test_to_json_value_converts_by_fixed_rules() -> None:
    value = to_json_value(
        {
            "at": dt.datetime(2026, 3, 2, 9, 30, tzinfo=SH),
            "day": dt.date(2026, 3, 2),
            "fee": decimal.Decimal("12.50"),
            "kind": SealKind.APPROVAL,
            "pair": (1, "x"),
            "nested": [{"d": dt.date(2026, 1, 1)}],
        }
    )
    assert value == {
        "at": "2026-03-02T09:30:00+08:00",
        "day": "2026-03-02",
        "fee": "12.50",
        "kind": "approval",
        "pair": [1, "x"],
        "nested": [{"d": "2026-01-01"}],
    }
    assert isinstance(value, dict) and type(value["kind"]) is str
    canonical_bytes(value)


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"at": dt.datetime(2026, 3, 2, 9)}, "$.at"),
        ({"fee": [decimal.Decimal("NaN")]}, "$.fee[0]"),
        ({"raw": b"\x00"}, "$.raw"),
        ({"s": frozenset()}, "$.s"),
    ],
)
def test_to_json_value_refuses_what_has_no_json_form(value: Any, path: str) -> None:
    with pytest.raises(CanonicalDocumentError) as info:
        to_json_value(value)
    assert info.value.path == path


# ---- the registry


def test_activate_records_the_seal_and_its_first_step() -> None:
    reg = registry()
    seal = reg.get("SEAL-A1")
    assert (seal.kind, seal.owner, seal.holder, seal.key_id) == (
        SealKind.APPROVAL,
        "dept-land",
        "staff-001",
        "k2026",
    )
    assert seal.status is SealStatus.ACTIVE and seal.is_active
    assert seal.activated_at == T0 and seal.revoked_at is None
    (step,) = seal.history
    assert step.action == "activate" and step.action is SealAction.ACTIVATE
    assert (step.at, step.by, step.holder, step.key_id) == (T0, "admin", "staff-001", "k2026")
    assert reg.active(SealKind.APPROVAL, "dept-land") == seal
    assert reg.active("approval", "dept-land") == seal
    assert reg.active(SealKind.AGENCY, "dept-land") is None
    assert reg.active(SealKind.APPROVAL, "dept-water") is None
    assert reg.held_by("staff-001") == (seal,)
    assert "SEAL-A1" in reg and len(reg) == 1 and list(reg) == [seal]


def test_commands_return_new_registries_and_leave_the_old_one_alone() -> None:
    empty = SealRegistry()
    reg = registry()
    assert len(empty) == 0
    changed = reg.change("SEAL-A1", T0 + DAY, "admin", holder="staff-002")
    assert reg.get("SEAL-A1").holder == "staff-001"
    assert changed.get("SEAL-A1").holder == "staff-002"
    with pytest.raises(SealStateError):
        changed.change("SEAL-A1", T0 + DAY, "admin", holder="staff-002")
    assert changed.get("SEAL-A1").holder == "staff-002"
    snapshot = attrs.evolve(changed)
    revoked = changed.revoke("SEAL-A1", T0 + 3 * DAY, "a", "lost")
    assert changed == snapshot and changed.get("SEAL-A1").is_active
    assert not revoked.get("SEAL-A1").is_active
    assert len(empty) == 0


def test_change_records_holder_and_key_with_their_history() -> None:
    reg = registry().change("SEAL-A1", T0 + DAY, "admin", holder="staff-002")
    reg = reg.change("SEAL-A1", T0 + 5 * DAY, "admin", key_id="k2027")
    seal = reg.get("SEAL-A1")
    assert (seal.holder, seal.key_id) == ("staff-002", "k2027")
    assert [s.action for s in seal.history] == ["activate", "change", "change"]
    assert seal.history[1].detail == "holder staff-001 -> staff-002"
    assert seal.history[2].detail == "key k2026 -> k2027"
    assert seal.holder_at(T0) == "staff-001"
    assert seal.holder_at(T0 + DAY) == "staff-002"
    assert seal.key_id_at(T0 + 4 * DAY) == "k2026"
    assert seal.key_id_at(T0 + 5 * DAY) == "k2027"
    assert seal.key_id_at(T0 - DAY) is None
    assert reg.held_by("staff-001") == () and reg.held_by("staff-002") == (seal,)


def test_change_of_both_and_change_to_the_same_values() -> None:
    reg = registry()
    both = reg.change("SEAL-A1", T0, "admin", holder="s2", key_id="k2")
    assert both.get("SEAL-A1").history[-1].detail == "holder staff-001 -> s2; key k2026 -> k2"
    with pytest.raises(SealStateError, match="nothing to change"):
        reg.change("SEAL-A1", T0 + DAY, "admin")
    with pytest.raises(SealStateError, match="nothing to change"):
        reg.change("SEAL-A1", T0 + DAY, "admin", holder="staff-001", key_id="k2026")


def test_revoke_records_the_reason_and_ends_the_seal() -> None:
    when = T0 + 10 * DAY
    reg = registry().revoke("SEAL-A1", when, "admin", "机构改革, seal replaced")
    seal = reg.get("SEAL-A1")
    assert seal.status is SealStatus.REVOKED and not seal.is_active
    assert seal.revoked_at == when
    assert seal.history[-1].detail == "机构改革, seal replaced"
    assert reg.active(SealKind.APPROVAL, "dept-land") is None
    assert seal.active_at(when - dt.timedelta(seconds=1)) and not seal.active_at(when)
    assert seal.key_id_at(when) is None and seal.holder_at(when + DAY) is None
    # The owner may now activate a new seal of the kind, under a new code.
    reg = reg.activate("SEAL-A2", "approval", "dept-land", "staff-009", "k9", when, "admin")
    assert reg.active(SealKind.APPROVAL, "dept-land") == reg.get("SEAL-A2")
    assert len(reg) == 2


def test_a_revoked_seal_can_neither_change_nor_be_revoked_again() -> None:
    when = T0 + 10 * DAY
    reg = registry().revoke("SEAL-A1", when, "admin", "lost")
    with pytest.raises(SealRevokedError) as info:
        reg.change("SEAL-A1", when + DAY, "admin", holder="staff-002")
    assert info.value.revoked_at == when and info.value.code == "SEAL-A1"
    assert info.value.action == "change"
    assert "SEAL-A1" in str(info.value) and when.isoformat(" ") in str(info.value)
    with pytest.raises(SealRevokedError):
        reg.revoke("SEAL-A1", when + DAY, "admin", "again")


def test_codes_are_unique_and_never_reused() -> None:
    reg = registry()
    with pytest.raises(SealStateError, match="already registered"):
        reg.activate("SEAL-A1", "agency", "dept-water", "s", "k", T0, "admin")
    revoked = reg.revoke("SEAL-A1", T0 + DAY, "admin", "lost")
    with pytest.raises(SealStateError, match="never reused"):
        revoked.activate("SEAL-A1", "approval", "dept-land", "s", "k", T0 + DAY, "admin")


def test_an_owner_has_one_active_seal_of_each_kind() -> None:
    reg = registry()
    with pytest.raises(SealStateError, match="already has an active approval seal 'SEAL-A1'"):
        reg.activate("SEAL-A9", "approval", "dept-land", "staff-002", "k9", T0, "admin")
    # Other kinds and other owners are independent.
    reg = reg.activate("SEAL-R1", SealKind.ACCEPTANCE, "dept-land", "staff-002", "k9", T0, "a")
    reg = reg.activate("SEAL-W1", SealKind.APPROVAL, "dept-water", "staff-003", "k9", T0, "a")
    assert [s.code for s in reg] == ["SEAL-A1", "SEAL-R1", "SEAL-W1"]


def test_registry_refuses_bad_arguments_with_named_errors() -> None:
    reg = registry()
    with pytest.raises(UnknownSealError, match="'NOPE'"):
        reg.get("NOPE")
    with pytest.raises(UnknownSealError):
        reg.change("NOPE", T0, "admin", holder="x")
    with pytest.raises(NaiveDatetimeError):
        reg.change("SEAL-A1", dt.datetime(2026, 3, 3), "admin", holder="x")
    with pytest.raises(NaiveDatetimeError):
        reg.activate("S2", "agency", "o", "h", "k", dt.datetime(2026, 3, 3), "admin")
    with pytest.raises(SealStateError, match="time order"):
        reg.change("SEAL-A1", T0 - DAY, "admin", holder="x")
    with pytest.raises(SealFieldError, match="written reason"):
        reg.revoke("SEAL-A1", T0 + DAY, "admin", "  ")
    with pytest.raises(SealFieldError, match=r"\.holder=''"):
        reg.activate("S2", "agency", "o", "", "k", T0, "admin")
    with pytest.raises(SealFieldError, match=r"SealChange\.by"):
        reg.change("SEAL-A1", T0, "", holder="x")
    with pytest.raises(ValueError):
        reg.activate("S2", "stamp", "o", "h", "k", T0, "admin")


def test_a_seal_must_agree_with_its_history() -> None:
    seal = registry().get("SEAL-A1")
    with pytest.raises(SealFieldError, match="status"):
        attrs.evolve(seal, status=SealStatus.REVOKED)
    with pytest.raises(SealFieldError, match="match the history"):
        attrs.evolve(seal, holder="someone-else")
    with pytest.raises(SealFieldError, match="starts with its activation"):
        attrs.evolve(seal, history=())
    late = SealChange(T0 - DAY, SealAction.CHANGE, "a", holder="x")
    with pytest.raises(SealFieldError, match="time order"):
        attrs.evolve(seal, history=(*seal.history, late))
    with pytest.raises(SealStateError, match="share this code"):
        SealRegistry((seal, seal))


# ---- signing and verifying


def test_sign_and_verify_round_trip() -> None:
    prov, imp = sealed()
    as_protocol: SealProvider = prov  # mypy checks the protocol here
    assert isinstance(as_protocol, SealProvider) and as_protocol.name == "software-ed25519"
    assert imp.seal_code == "SEAL-A1" and imp.kind is SealKind.APPROVAL
    assert imp.key_id == "k2026" and imp.algorithm == "Ed25519"
    assert imp.signed_at == T0 + DAY
    assert imp.digest == document_digest(DECISION)
    assert len(imp.signature_bytes()) == 64
    assert imp.matches(DECISION)
    assert prov.verify(imp, DECISION)
    assert verify_impression(imp, DECISION, prov.public_key_pem("k2026"))
    # Ed25519 is deterministic: the same seal, document and instant give the same impression.
    assert prov.sign(registry().get("SEAL-A1"), DECISION, T0 + DAY) == imp


def test_the_payload_covers_the_seal_the_time_and_the_digest() -> None:
    _, imp = sealed()
    payload = json.loads(imp.signed_payload())
    assert payload == {
        "scheme": "hallflow-seal/1",
        "seal": "SEAL-A1",
        "kind": "approval",
        "key_id": "k2026",
        "algorithm": "Ed25519",
        "signed_at": "2026-03-03T01:00:00.000000+00:00",
        "digest": document_digest(DECISION),
    }


def test_a_changed_document_fails() -> None:
    prov, imp = sealed()
    tampered = {**DECISION, "decision": "deny"}
    assert not prov.verify(imp, tampered)
    assert not verify_impression(imp, tampered, prov.public_key_pem("k2026"))
    # Recomputing the digest does not help: the signature covers it.
    forged = attrs.evolve(imp, digest=document_digest(tampered))
    assert not prov.verify(forged, tampered)


@pytest.mark.parametrize(
    "changes",
    [
        {"signed_at": T0 + DAY + dt.timedelta(microseconds=1)},
        {"signed_at": T0},
        {"seal_code": "SEAL-A2"},
        {"kind": SealKind.AGENCY},
        {"algorithm": "SM2"},
        {"signature": base64.b64encode(bytes(64)).decode()},
        {"signature": "AAAA"},
    ],
)
def test_a_changed_impression_fails(changes: dict[str, Any]) -> None:
    prov, imp = sealed()
    forged = attrs.evolve(imp, **changes)
    assert not prov.verify(forged, DECISION)
    assert not verify_impression(forged, DECISION, prov.public_key_pem("k2026"))


def test_a_changed_key_id_fails_even_if_the_provider_holds_that_key() -> None:
    prov, imp = sealed()
    prov.generate_key("k-other")
    assert not prov.verify(attrs.evolve(imp, key_id="k-other"), DECISION)
    assert not verify_impression(imp, DECISION, prov.public_key_pem("k-other"))


def test_the_same_instant_in_another_zone_still_verifies() -> None:
    prov, imp = sealed()
    moved = attrs.evolve(imp, signed_at=imp.signed_at.astimezone(dt.UTC))
    assert prov.verify(moved, DECISION)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [path]
    return []


def _modified(doc: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        if isinstance(doc, str):
            return doc + "x"
        return -doc if doc else 1  # a different JSON number (1 and 1.0 are one number)
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[path[0]] = _modified(doc[path[0]], path[1:])
    return copy


@given(json_documents(), st.data())
def test_any_change_to_a_string_or_number_breaks_the_seal(
    doc: dict[str, Any], data: st.DataObject
) -> None:
    leaves = _leaves(doc)
    assume(leaves)
    path = data.draw(st.sampled_from(leaves))
    prov = provider()
    imp = prov.sign(registry().get("SEAL-A1"), doc, T0)
    assert prov.verify(imp, doc)
    tampered = _modified(doc, path)
    assert tampered != doc
    assert not prov.verify(imp, tampered)
    assert not verify_impression(imp, tampered, prov.public_key_pem("k2026"))


def test_key_rotation_keeps_old_impressions_verifiable() -> None:
    prov = provider("k2026", "k2027")
    reg = registry()
    old = prov.sign(reg.get("SEAL-A1"), DECISION, T0 + DAY)
    reg = reg.change("SEAL-A1", T0 + 30 * DAY, "admin", key_id="k2027")
    new = prov.sign(reg.get("SEAL-A1"), DECISION, T0 + 31 * DAY)
    assert (old.key_id, new.key_id) == ("k2026", "k2027")
    assert old.signature != new.signature
    seal = reg.get("SEAL-A1")
    assert seal.key_id_at(old.signed_at) == old.key_id
    assert seal.key_id_at(new.signed_at) == new.key_id
    # The old private key may be retired; its public key still verifies old impressions.
    prov.retire_key("k2026")
    assert not prov.can_sign("k2026") and prov.key_ids() == ("k2026", "k2027")
    assert prov.verify(old, DECISION) and prov.verify(new, DECISION)
    assert verify_impression(old, DECISION, prov.public_key_pem("k2026"))
    assert not verify_impression(new, DECISION, prov.public_key_pem("k2026"))
    with pytest.raises(SealKeyError, match="retired"):
        prov.sign(attrs.evolve(seal, key_id="k2026", history=seal.history[:1]), DECISION, T0)


def test_a_revoked_seal_refuses_to_sign() -> None:
    when = T0 + 3 * DAY
    reg = registry().revoke("SEAL-A1", when, "admin", "lost")
    prov = provider()
    with pytest.raises(SealRevokedError) as info:
        prov.sign(reg.get("SEAL-A1"), DECISION, when + DAY)
    assert info.value.code == "SEAL-A1" and info.value.revoked_at == when
    assert info.value.action == "sign"
    # Back-dating does not help either.
    with pytest.raises(SealRevokedError):
        prov.sign(reg.get("SEAL-A1"), DECISION, when - DAY)


def test_sign_refuses_naive_times_unknown_keys_and_times_before_the_last_step() -> None:
    prov = provider()
    seal = registry().get("SEAL-A1")
    with pytest.raises(NaiveDatetimeError):
        prov.sign(seal, DECISION, dt.datetime(2026, 3, 3, 9))
    with pytest.raises(SealStateError, match="precedes"):
        prov.sign(seal, DECISION, T0 - dt.timedelta(minutes=1))
    with pytest.raises(SealKeyError, match="unknown"):
        SoftwareSealProvider().sign(seal, DECISION, T0)
    with pytest.raises(CanonicalDocumentError, match=r"\$\.day"):
        prov.sign(seal, {"day": dt.date(2026, 3, 3)}, T0)
    with pytest.raises(SealKeyError):
        SoftwareSealProvider().verify(sealed()[1], DECISION)


def test_private_key_pem_export_and_import() -> None:
    prov, imp = sealed()
    for password in (None, b"correct horse"):
        pem = prov.private_key_pem("k2026", password)
        assert pem.startswith(b"-----BEGIN ")
        other = SoftwareSealProvider()
        other.add_key_pem("k2026", pem, password)
        assert other.public_key_pem("k2026") == prov.public_key_pem("k2026")
        assert other.sign(registry().get("SEAL-A1"), DECISION, imp.signed_at) == imp
    with pytest.raises(SealKeyError, match="cannot read"):
        SoftwareSealProvider().add_key_pem("k", prov.private_key_pem("k2026", b"pw"), b"wrong")


def test_public_key_pem_import_verifies() -> None:
    prov, imp = sealed()
    pem = prov.public_key_pem("k2026")
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    verifier = SoftwareSealProvider()
    verifier.add_public_key_pem("k2026", pem)
    assert verifier.verify(imp, DECISION)
    assert not verifier.can_sign("k2026")
    with pytest.raises(SealKeyError, match="retired"):
        verifier.sign(registry().get("SEAL-A1"), DECISION, T0)


def test_keystore_refuses_other_keys_and_reused_ids() -> None:
    prov = provider()
    with pytest.raises(SealKeyError, match="already holds"):
        prov.generate_key("k2026")
    with pytest.raises(SealKeyError, match="non-empty"):
        prov.generate_key("")
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_private = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    ec_public = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(SealKeyError, match="not an Ed25519 key"):
        prov.add_key_pem("ec", ec_private)
    with pytest.raises(SealKeyError, match="not an Ed25519 key"):
        prov.add_public_key_pem("ec", ec_public)
    with pytest.raises(SealKeyError, match="not an Ed25519 key"):
        verify_impression(sealed()[1], DECISION, ec_public)
    with pytest.raises(SealKeyError, match="not a PEM"):
        prov.add_public_key_pem("junk", b"junk")
    with pytest.raises(SealKeyError, match="no such key"):
        prov.public_key_pem("nope")
    assert prov.key_ids() == ("k2026",)


# ---- storage


def test_impression_to_dict_and_back() -> None:
    prov, imp = sealed()
    data = imp.to_dict()
    assert data["format"] == IMPRESSION_FORMAT
    assert data["signed_at"] == "2026-03-03T09:00:00+08:00"
    stored = json.loads(json.dumps(data))
    back = SealImpression.from_dict(stored)
    assert back == imp
    assert back.to_dict() == data
    assert verify_impression(back, DECISION, prov.public_key_pem("k2026"))


@given(
    json_documents(),
    st.datetimes(
        dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1), timezones=st.sampled_from([SH, dt.UTC])
    ),
)
def test_impression_round_trip_through_json(doc: dict[str, Any], at: dt.datetime) -> None:
    reg = SealRegistry().activate(
        "S", SealKind.ACCEPTANCE, "hall", "h", "k", dt.datetime(1, 1, 2, tzinfo=dt.UTC), "a"
    )
    prov = provider("k")
    imp = prov.sign(reg.get("S"), doc, at)
    back = SealImpression.from_dict(json.loads(json.dumps(imp.to_dict())))
    assert back == imp and back.to_dict() == imp.to_dict()
    assert prov.verify(back, doc)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"format": 2}, "SealImpression.format"),
        ({"kind": "stamp"}, "SealImpression.kind"),
        ({"signed_at": "yesterday"}, "SealImpression.signed_at"),
        ({"signed_at": "2026-03-03T09:00:00"}, "SealImpression.signed_at"),
        ({"digest": "ABC"}, "SealImpression.digest"),
        ({"signature": "not base64!"}, "SealImpression.signature"),
        ({"signature": None}, "SealImpression.signature"),
        ({"seal_code": None}, "SealImpression.seal_code"),
    ],
)
def test_from_dict_names_the_bad_field(changes: dict[str, Any], field: str) -> None:
    data = {**sealed()[1].to_dict(), **changes}
    with pytest.raises((SealFieldError, NaiveDatetimeError)) as info:
        SealImpression.from_dict(data)
    assert field in str(info.value)


def test_seal_values_are_hashable_and_comparable() -> None:
    reg = registry()
    assert hash(reg) == hash(registry()) and reg == registry()
    assert {reg.get("SEAL-A1")} == {registry().get("SEAL-A1")}
    assert isinstance(reg.get("SEAL-A1"), Seal)
