"""Serialization: versioned documents, round trips, migrations, refusals."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given

from hallflow.errors import CatalogueError, IdentityError, SerializationError
from hallflow.model import (
    FORMAT_VERSION,
    Authority,
    Catalogue,
    LegalPerson,
    Matter,
    NaturalPerson,
    Organisation,
    Power,
    dump,
    load,
    load_applicant,
)
from hallflow.model import serialize as ser
from tests.strategies import applicants, catalogues, matters, organisations
from tests.test_model_catalogue import leshan, promised_matter


def roundtrip_json(document: dict[str, Any]) -> dict[str, Any]:
    """What a store would give back: the document through JSON text."""
    result: dict[str, Any] = json.loads(json.dumps(document, ensure_ascii=False))
    return result


def test_document_shape() -> None:
    document = dump(leshan())
    assert document["format"] == FORMAT_VERSION == 1
    assert document["type"] == "Matter"
    data = document["data"]
    assert data["kind"] == {"code": "immediate", "label": "Immediate"}
    assert data["legal_limit"] == {"amount": 20, "unit": "working_days"}
    assert data["promised_limit"] == {"amount": 0, "unit": "same_day"}
    assert data["procedure"]["steps"][0]["power"] == "decide"
    assert data["excludable"] == []


def test_frozensets_are_sorted_lists_and_dates_iso_strings() -> None:
    grant = Authority(
        "a",
        {Power.SEAL, Power.ACCEPT, Power.DECIDE},
        {"m2", "m10", "m1"},
        valid_from=dt.date(2024, 1, 2),
        valid_to=dt.date(2024, 12, 31),
        issued_by="x",
        document="d",
    )
    data = dump(grant)["data"]
    assert data["powers"] == ["accept", "decide", "seal"]
    assert data["matters"] == ["m1", "m10", "m2"]
    assert data["windows"] is None
    assert data["valid_from"] == "2024-01-02"
    assert load(roundtrip_json(dump(grant)), Authority) == grant


def test_excluded_periods_are_sorted_values() -> None:
    matter = promised_matter(excludable={"testing", "hearing", "appraisal"})
    assert dump(matter)["data"]["excludable"] == ["appraisal", "hearing", "testing"]


def test_datetimes_are_iso_strings() -> None:
    converter = ser.make_converter()
    when = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert converter.unstructure(when) == "2024-05-06T09:30:00+08:00"
    assert converter.structure("2024-05-06T09:30:00+08:00", dt.datetime) == when


def test_organisation_uses_its_field_names() -> None:
    from tests.test_model_org import hall

    document = roundtrip_json(dump(hall()))
    assert set(document["data"]) == {"windows", "staff_members", "authorities", "leaves", "posts"}
    assert load(document, Organisation) == hall()


@given(matters())
def test_matters_round_trip(matter: Matter) -> None:
    assert load(roundtrip_json(dump(matter)), Matter) == matter


@given(catalogues())
def test_catalogues_round_trip(catalogue: Catalogue) -> None:
    loaded = load(roundtrip_json(dump(catalogue)), Catalogue)
    assert loaded == catalogue
    assert [m.code for m in loaded] == [m.code for m in catalogue]
    for matter in loaded:
        assert loaded.get(matter.code) is matter


@given(organisations())
def test_organisations_round_trip(org: Organisation) -> None:
    assert load(roundtrip_json(dump(org)), Organisation) == org


@given(applicants())
def test_applicants_round_trip(applicant: NaturalPerson | LegalPerson) -> None:
    document = roundtrip_json(dump(applicant))
    assert load_applicant(document) == applicant
    assert load(document, type(applicant)) == applicant


def test_a_migration_chain_runs_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend format 3 is current: format 1 renamed ``summary`` to ``overview`` in 2, and
    format 2 back to ``summary`` in 3; a format-1 document must pass through both."""
    seen: list[int] = []

    def one_to_two(doc: dict[str, Any]) -> dict[str, Any]:
        seen.append(doc["format"])
        doc["data"]["overview"] = doc["data"].pop("summary")
        return doc

    def two_to_three(doc: dict[str, Any]) -> dict[str, Any]:
        seen.append(doc["format"])
        doc["data"]["summary"] = doc["data"].pop("overview") + " (migrated)"
        return doc

    original = dump(leshan())
    monkeypatch.setattr(ser, "FORMAT_VERSION", 3)
    monkeypatch.setitem(ser.MIGRATIONS, 1, one_to_two)
    monkeypatch.setitem(ser.MIGRATIONS, 2, two_to_three)
    loaded = load(original, Matter)
    assert seen == [1, 2]
    assert loaded.summary == leshan().summary + " (migrated)"
    assert original["format"] == 1 and "summary" in original["data"]  # input untouched
    assert dump(loaded)["format"] == 3


def test_a_missing_migration_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ser, "FORMAT_VERSION", 2)
    with pytest.raises(SerializationError) as info:
        load({"format": 1, "type": "Matter", "data": {}}, Matter)
    assert "no migration from format 1 to 2" in str(info.value)


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        ({"format": 2, "type": "Matter", "data": {}}, "newer"),
        ({"format": 0, "type": "Matter", "data": {}}, "unknown document format"),
        ({"format": "1", "type": "Matter", "data": {}}, "unknown document format"),
        ({"format": True, "type": "Matter", "data": {}}, "unknown document format"),
        ({"type": "Matter", "data": {}}, "needs the keys"),
        ({"format": 1, "type": "Catalogue", "data": {}}, "expected a Matter"),
    ],
)
def test_bad_documents_are_refused(document: dict[str, Any], needle: str) -> None:
    with pytest.raises(SerializationError) as info:
        load(document, Matter)
    assert needle in str(info.value)


def test_data_that_does_not_fit_is_refused() -> None:
    document = dump(leshan())
    document["data"]["unexpected"] = 1
    with pytest.raises(SerializationError):
        load(document, Matter)
    document = dump(leshan())
    del document["data"]["name"]
    with pytest.raises(SerializationError):
        load(document, Matter)
    document = dump(leshan())
    document["data"]["legal_limit"] = "20 days"
    with pytest.raises(SerializationError):
        load(document, Matter)


def test_rule_violations_in_a_document_surface_as_model_errors() -> None:
    document = dump(promised_matter())
    document["data"]["promised_limit"] = {"amount": 30, "unit": "working_days"}
    with pytest.raises(CatalogueError) as info:
        load(document, Matter)
    assert info.value.field == "Matter[m1].promised_limit"
    person = dump(NaturalPerson("Zhang", "11010519491231002X"))
    person["data"]["id_number"] = "110105194912310021"
    with pytest.raises(IdentityError):
        load_applicant(person)


def test_load_applicant_refuses_other_types_and_dump_refuses_non_model_values() -> None:
    with pytest.raises(SerializationError):
        load_applicant(dump(leshan()))
    with pytest.raises(SerializationError):
        dump({"a": 1})
