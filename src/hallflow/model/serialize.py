"""(De)serialization of the model: one cattrs converter, a format version, migrations.

A dumped value is a plain, JSON-ready document::

    {"format": 1, "type": "Matter", "data": {...}}

Dates and datetimes are ISO 8601 strings, enums their values, frozensets sorted lists,
limits ``{"amount": 20, "unit": "working_days"}``. Loading a document written in an older
format runs the migrations in :data:`MIGRATIONS` one format at a time (``MIGRATIONS[n]``
turns a format-``n`` document into a format-``n + 1`` one); a newer or unknown format is
refused. Every change to a serialized type bumps :data:`FORMAT_VERSION` and adds one
migration.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    BaseValidationError,
    ForbiddenExtraKeysError,
    StructureHandlerNotFoundError,
)

from hallflow.errors import HallflowError, SerializationError
from hallflow.model.identity import Applicant, LegalPerson, NaturalPerson
from hallflow.timeline.limits import Limit, Unit

__all__ = [
    "CONVERTER",
    "FORMAT_VERSION",
    "MIGRATIONS",
    "Migration",
    "dump",
    "load",
    "load_applicant",
    "make_converter",
]

T = TypeVar("T")

FORMAT_VERSION = 1
"""The format :func:`dump` writes. Bump it, and add a migration, on every change."""

Migration = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns a whole document of format ``n`` into one of format ``n + 1`` (the loader then
sets ``"format"``). It receives a deep copy and may change it in place."""

MIGRATIONS: dict[int, Migration] = {}
"""``MIGRATIONS[n]`` migrates a format-``n`` document to format ``n + 1``. Empty while
there is only format 1."""


def _sort_key(value: object) -> tuple[int, Any]:
    if isinstance(value, str):
        return (0, value)
    if isinstance(value, int | float):
        return (1, value)
    return (2, json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


def _is_frozenset(tp: Any) -> bool:
    return tp is frozenset or get_origin(tp) is frozenset


def _structure_date(value: Any, _tp: type) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise SerializationError("a date must be an ISO string (YYYY-MM-DD)", value)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SerializationError("a date must be an ISO string (YYYY-MM-DD)", value) from None


def _structure_datetime(value: Any, _tp: type) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise SerializationError("a datetime must be an ISO string with an offset", value)
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise SerializationError("a datetime must be an ISO string with an offset", value) from None


def _structure_limit(value: Any, _tp: type) -> Limit:
    if not isinstance(value, Mapping) or set(value) != {"amount", "unit"}:
        raise SerializationError('a limit must be {"amount": ..., "unit": ...}', value)
    return Limit(value["amount"], Unit(value["unit"]))


def make_converter() -> cattrs.Converter:
    """Build the converter the model is (de)serialized with.

    Unknown keys are refused (a sign that a migration is missing), and the model's own
    validation errors pass through unchanged.
    """
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=False)
    converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    converter.register_structure_hook(dt.date, _structure_date)
    converter.register_unstructure_hook(dt.datetime, lambda d: d.isoformat())
    converter.register_structure_hook(dt.datetime, _structure_datetime)
    converter.register_unstructure_hook(
        Limit, lambda limit: {"amount": limit.amount, "unit": limit.unit.value}
    )
    converter.register_structure_hook(Limit, _structure_limit)

    def frozenset_unstructure(tp: Any) -> Callable[[frozenset[Any]], list[Any]]:
        args = get_args(tp)
        item = args[0] if args else Any

        def unstructure(value: frozenset[Any]) -> list[Any]:
            return sorted(
                (converter.unstructure(v, unstructure_as=item) for v in value), key=_sort_key
            )

        return unstructure

    converter.register_unstructure_hook_factory(_is_frozenset, frozenset_unstructure)
    return converter


CONVERTER = make_converter()
"""The one converter of the model."""


def dump(obj: object) -> dict[str, Any]:
    """Serialize a model value to a versioned, JSON-ready document.

    Args:
        obj: any attrs value of :mod:`hallflow.model` (a Matter, a Catalogue, an
            Organisation, a NaturalPerson...).

    Returns:
        ``{"format": FORMAT_VERSION, "type": <class name>, "data": {...}}``.

    Raises:
        SerializationError: ``obj`` is not an attrs value.
    """
    if not attrs.has(type(obj)):
        raise SerializationError("only attrs values of the model can be dumped", type(obj))
    return {
        "format": FORMAT_VERSION,
        "type": type(obj).__name__,
        "data": CONVERTER.unstructure(obj),
    }


def _migrate(document: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(document, Mapping):
        raise SerializationError("a document must be a mapping", type(document))
    missing = {"format", "type", "data"} - set(document)
    if missing:
        raise SerializationError(f"a document needs the keys {sorted(missing)}", dict(document))
    doc = copy.deepcopy(dict(document))
    found = doc["format"]
    if isinstance(found, bool) or not isinstance(found, int) or found < 1:
        raise SerializationError("unknown document format", found)
    if found > FORMAT_VERSION:
        raise SerializationError(
            f"the document has format {found}, newer than this hallflow's {FORMAT_VERSION}; "
            f"upgrade hallflow to read it",
            found,
        )
    while doc["format"] < FORMAT_VERSION:
        current = doc["format"]
        migration = MIGRATIONS.get(current)
        if migration is None:
            raise SerializationError(f"no migration from format {current} to {current + 1}")
        doc = migration(doc)
        doc["format"] = current + 1
    return doc


def _structure(doc: dict[str, Any], cls: type[T]) -> T:
    try:
        return CONVERTER.structure(doc["data"], cls)
    except HallflowError:
        raise
    except (
        BaseValidationError,
        ForbiddenExtraKeysError,
        StructureHandlerNotFoundError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
    ) as exc:
        raise SerializationError(
            f"the document does not describe a valid {cls.__name__}: {exc!r}"
        ) from exc


def load(document: Mapping[str, Any], cls: type[T]) -> T:
    """Load a value from a document written by :func:`dump`, migrating it if it is older.

    The document is not changed.

    Args:
        document: the document.
        cls: the class expected; must match the document's ``"type"``.

    Returns:
        The value, validated as at construction.

    Raises:
        SerializationError: a newer or unknown format, a missing migration, another type,
            or data that does not fit the class.
        HallflowError: the data fits the class's shape but breaks one of its rules (a
            :class:`~hallflow.errors.CatalogueError` for a bad matter...).
    """
    doc = _migrate(document)
    if doc["type"] != cls.__name__:
        raise SerializationError(f"expected a {cls.__name__} document", doc["type"])
    return _structure(doc, cls)


def load_applicant(document: Mapping[str, Any]) -> Applicant:
    """Load a natural or a legal person, whichever the document holds.

    Raises:
        SerializationError: as :func:`load`, or the document holds neither.
    """
    doc = _migrate(document)
    classes: dict[str, type[NaturalPerson] | type[LegalPerson]] = {
        "NaturalPerson": NaturalPerson,
        "LegalPerson": LegalPerson,
    }
    cls = classes.get(doc["type"])
    if cls is None:
        raise SerializationError("expected a NaturalPerson or LegalPerson document", doc["type"])
    return _structure(doc, cls)
