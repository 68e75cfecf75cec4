"""The seal registry's changes as events, so that every Hall on a store knows them.

A Hall is configured with a :class:`~hallflow.seals.SealRegistry`; activations, changes of
holder or key, and revocations made through the Hall are recorded as events in the store's
own stream :data:`SEAL_STREAM` (chained like every case's events), and the registry in force
is the configured one with those events applied in order. A Hall started later on the same
store — or another process — therefore knows a revocation and refuses to seal with a revoked
seal, whatever registry object it was given.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING, Any

from hallflow.cases.commands import RESERVED_PREFIX, check_instant, is_text
from hallflow.errors import (
    CommandInputError,
    HistoryError,
    NotAuthorisedError,
    TimeOrderError,
    UnknownCodeError,
)
from hallflow.seals import SealKind, SealRegistry
from hallflow.store.base import CaseRow, NewEvent, StoredEvent

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = ["SEAL_STREAM", "SealLedger"]

SEAL_STREAM = f"{RESERVED_PREFIX}seals"
"""The store stream holding the seal registry's changes (never a case id)."""


def _text(field: str, value: object) -> str:
    if not is_text(value):
        raise CommandInputError(field, "must be a str of valid Unicode text", value)
    assert isinstance(value, str)
    if not value.strip() or len(value) > 128:
        raise CommandInputError(field, "must be a non-blank str of at most 128 characters", value)
    return value


def _kind(value: object) -> SealKind:
    if isinstance(value, SealKind):
        return value
    if type(value) is str:
        try:
            return SealKind(value)
        except ValueError:
            pass
    allowed = ", ".join(repr(k.value) for k in SealKind)
    raise CommandInputError("kind", f"must be one of {allowed}", value)


def _instant(field: str, value: object) -> dt.datetime:
    return check_instant(field, value)


class SealLedger:
    """The seal registry of one Hall: configured, plus the changes recorded in the store."""

    def __init__(self, hall: Hall, base: SealRegistry) -> None:
        if not isinstance(base, SealRegistry):
            raise CommandInputError("Hall.seals", "must be a SealRegistry", base)
        self._hall = hall
        self._base = base
        self._lock = threading.Lock()
        self._version = -1
        self._registry = base
        self._last: dt.datetime | None = None

    def last(self) -> SealRegistry:
        """The registry as last read (:meth:`current` reads the store first)."""
        with self._lock:
            return self._registry if self._version >= 0 else self._base

    def current(self) -> SealRegistry:
        """The registry in force, brought up to date with the store."""
        store = self._hall.store
        version = store.version(SEAL_STREAM)
        with self._lock:
            if version == self._version:
                return self._registry
        events = store.load(SEAL_STREAM) if version else []
        registry = self._base
        last: dt.datetime | None = None
        for e in events:
            registry = _apply(registry, e)
            last = e.at
        with self._lock:
            self._version, self._registry, self._last = version, registry, last
        return registry

    def _record(
        self, kind: str, actor: str, at: dt.datetime, payload: dict[str, Any], apply: Any
    ) -> SealRegistry:
        actor = _text("actor", actor)
        at = _instant("at", at)
        try:
            self._hall.organisation.staff(actor)
        except UnknownCodeError:
            raise NotAuthorisedError(
                actor, kind, SEAL_STREAM, "seals are managed by the hall's staff", "unknown-staff"
            ) from None
        registry = self.current()
        version = self._version
        if self._last is not None and at < self._last:
            raise TimeOrderError(
                actor,
                kind,
                SEAL_STREAM,
                "the seal registry's changes are recorded in time order",
                at,
                self._last,
            )
        apply(registry)  # the registry's own rules (SealError) refuse a bad change
        new = NewEvent(kind=kind, actor=actor, at=at, payload=payload)
        row = CaseRow(
            case_id=SEAL_STREAM,
            matter="",
            applicant="",
            window="",
            state="registry",
            due=None,
            version=version + 1,
        )
        self._hall.store.append(SEAL_STREAM, version, [new], row)
        return self.current()

    def activate(
        self,
        code: str,
        kind: SealKind | str,
        owner: str,
        holder: str,
        key_id: str,
        actor: str,
        at: dt.datetime,
    ) -> SealRegistry:
        """Record a seal's activation."""
        payload = {
            "code": _text("code", code),
            "kind": _kind(kind).value,
            "owner": _text("owner", owner),
            "holder": _text("holder", holder),
            "key_id": _text("key_id", key_id),
        }
        return self._record(
            "seal_activated",
            actor,
            at,
            payload,
            lambda r: r.activate(
                code, kind, owner=owner, holder=holder, key_id=key_id, at=at, by=actor
            ),
        )

    def change(
        self, code: str, actor: str, at: dt.datetime, holder: str | None, key_id: str | None
    ) -> SealRegistry:
        """Record a change of a seal's holder or key."""
        payload = {
            "code": _text("code", code),
            "holder": None if holder is None else _text("holder", holder),
            "key_id": None if key_id is None else _text("key_id", key_id),
        }
        return self._record(
            "seal_changed",
            actor,
            at,
            payload,
            lambda r: r.change(code, at=at, by=actor, holder=holder, key_id=key_id),
        )

    def revoke(self, code: str, reason: str, actor: str, at: dt.datetime) -> SealRegistry:
        """Record a seal's revocation."""
        payload = {"code": _text("code", code), "reason": _text("reason", reason)}
        return self._record(
            "seal_revoked",
            actor,
            at,
            payload,
            lambda r: r.revoke(code, at=at, by=actor, reason=reason),
        )


def _apply(registry: SealRegistry, e: StoredEvent) -> SealRegistry:
    p = e.payload
    try:
        if e.kind == "seal_activated":
            return registry.activate(
                p["code"],
                p["kind"],
                owner=p["owner"],
                holder=p["holder"],
                key_id=p["key_id"],
                at=e.at,
                by=e.actor,
            )
        if e.kind == "seal_changed":
            return registry.change(
                p["code"], at=e.at, by=e.actor, holder=p.get("holder"), key_id=p.get("key_id")
            )
        if e.kind == "seal_revoked":
            return registry.revoke(p["code"], at=e.at, by=e.actor, reason=p["reason"])
    except (KeyError, TypeError) as exc:
        raise HistoryError(SEAL_STREAM, e.seq, f"malformed {e.kind!r}: {exc!r}") from None
    raise HistoryError(SEAL_STREAM, e.seq, f"unknown seal registry event {e.kind!r}")
