"""Payload schema versions of case events, and the upcasters that read older shapes.

Every event records the version of its payload's shape (``StoredEvent.schema``). When a shape
changes, its kind's entry in :data:`CURRENT_SCHEMA` goes up by one and one upcaster is added
to :data:`UPCASTERS`, turning a payload of version ``n`` into one of version ``n + 1``; the
fold reads every stored event through :func:`upcast`, so old stores keep replaying without a
rewrite of their history (a rewrite would break the hash chain it is proved by).

The one change so far:

* ``decided`` 1 → 2: version 1 recorded ``"approved": <bool>``; version 2 records
  ``"outcome": "approved" | "denied"``, so that no stored value can be read as a decision by
  being merely truthy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from hallflow.errors import HistoryError
from hallflow.store.base import StoredEvent

__all__ = ["CURRENT_SCHEMA", "UPCASTERS", "upcast"]

Upcaster = Callable[[Mapping[str, Any]], dict[str, Any]]

_KINDS = (
    "submitted",
    "accepted",
    "accepted_with_gaps",
    "approved_on_pledge",
    "correction_requested",
    "materials_supplied",
    "not_accepted",
    "returned_to_window",
    "suspended",
    "resumed",
    "decided",
    "deemed_approved",
    "sealed",
    "delivered",
    "withdrawn",
    "revoked",
    "deferred_supplied",
    "signers_assigned",
    "step_signed",
    "returned_to_step",
    "transferred",
    "extended",
    "pledge_verified",
    "opinion_requested",
    "opinion_given",
    "opinion_deemed",
    "escalated",
    "due_moved",
)

CURRENT_SCHEMA: dict[str, int] = {kind: 1 for kind in _KINDS} | {"decided": 2}
"""The payload version each event kind is written with today."""


def _decided_1_to_2(payload: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in payload.items() if k != "approved"}
    approved = payload["approved"]
    if type(approved) is not bool:
        raise ValueError(f"'approved' must be a boolean, found {approved!r}")
    out["outcome"] = "approved" if approved else "denied"
    return out


UPCASTERS: dict[tuple[str, int], Upcaster] = {("decided", 1): _decided_1_to_2}
"""``UPCASTERS[(kind, n)]`` turns a version-``n`` payload of ``kind`` into version ``n + 1``."""


def upcast(event: StoredEvent) -> StoredEvent:
    """``event`` with its payload in the current shape of its kind.

    Raises:
        HistoryError: an unknown kind, a version newer than this hallflow knows, a missing
            upcaster, or a payload an upcaster cannot read.
    """
    current = CURRENT_SCHEMA.get(event.kind)
    if current is None:
        raise HistoryError(event.case_id, event.seq, f"unknown event kind {event.kind!r}")
    version = event.schema
    if version == current:
        return event
    if type(version) is not int or version < 1 or version > current:
        raise HistoryError(
            event.case_id,
            event.seq,
            f"payload version {version!r} of {event.kind!r} is not one this hallflow reads "
            f"(1 to {current})",
        )
    payload: Mapping[str, Any] = event.payload
    while version < current:
        step = UPCASTERS.get((event.kind, version))
        if step is None:
            raise HistoryError(
                event.case_id, event.seq, f"no upcaster for {event.kind!r} version {version}"
            )
        try:
            payload = step(payload)
        except (KeyError, TypeError, ValueError) as exc:
            raise HistoryError(
                event.case_id,
                event.seq,
                f"cannot read the version-{version} payload of {event.kind!r}: {exc}",
            ) from None
        version += 1
    return attrs.evolve(event, payload=payload, schema=version)
