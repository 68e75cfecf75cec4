"""Checking a store's history against its chains: one checker, fed by every store.

A store reads its history as plain stored values — text, numbers, whatever a damaged file
holds — and feeds them to an :class:`Audit`: each case's events in seq order with its row and
its newest hall-chain entry (:meth:`Audit.case`), cases known only to the chain or only to the
row table (:meth:`Audit.orphan_entry`, :meth:`Audit.orphan_row`), the hall chain in position
order (:meth:`Audit.chain`) and the checkpoints (:meth:`Audit.checkpoint`). The audit
recomputes every digest with :mod:`hallflow.store.chain` and turns everything that does not
hold into a :class:`~hallflow.store.chain.ChainBreak`: a value of the wrong type, text that
does not decode, a payload that is not JSON, never an exception.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from hallflow.errors import StoreError
from hallflow.store.base import decode_instant
from hallflow.store.chain import (
    ZERO,
    ChainBreak,
    Checkpoint,
    VerifyReport,
    canonical_json,
    chain_link,
    content_digest,
    event_digest,
    is_digest,
)

__all__ = ["Audit", "ChainRow", "EventRow", "checked_checkpoints"]

EventRow = tuple[object, object, object, object, object, object, object, object, object, object]
"""One stored event as found: ``(case_id, seq, kind, actor, at_utc, at_tz, schema, payload,
recorded_at, digest)``, the payload as its JSON text."""

ChainRow = tuple[object, object, object, object, object, object]
"""One hall-chain entry as found, with the digest of the event it names: ``(position,
case_id, version, head, link, digest)``, the digest None when the case has no event at
that version."""


def checked_checkpoints(checkpoints: Sequence[Checkpoint]) -> tuple[Checkpoint, ...]:
    """The checkpoints given to ``verify``, each checked to be a :class:`Checkpoint`.

    Raises:
        StoreError: one is not.
    """
    if isinstance(checkpoints, Checkpoint):
        raise StoreError("checkpoints must be a sequence of Checkpoint, not one Checkpoint")
    if isinstance(checkpoints, str | bytes) or not isinstance(checkpoints, Sequence):
        raise StoreError(f"checkpoints={checkpoints!r}: must be a sequence of Checkpoint")
    found = tuple(checkpoints)
    for index, checkpoint in enumerate(found):
        if not isinstance(checkpoint, Checkpoint):
            raise StoreError(f"checkpoints[{index}]={checkpoint!r}: must be a Checkpoint")
    return found


def _shown(value: object) -> str:
    """A stored value for a message: text as it is, anything else by its repr."""
    return value if isinstance(value, str) else repr(value)


def _brief(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _is_text(value: object) -> bool:
    if type(value) is not str or not value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 1


class Audit:
    """Collects the breaks in a store's history while the store feeds it (see the module)."""

    def __init__(self) -> None:
        self._case_breaks: list[ChainBreak] = []
        self._chain_breaks: list[ChainBreak] = []
        self._checkpoint_breaks: list[ChainBreak] = []
        self._cases = 0
        self._events = 0
        self._positions = 0

    # --- cases -------------------------------------------------------------------------------

    def case(
        self,
        case_id: object,
        events: Iterable[EventRow],
        row: tuple[object, object] | None,
        newest: tuple[object, object] | None,
    ) -> None:
        """Check one case: its events' chain, its row, and that the hall chain covers it.

        Args:
            case_id: the case, as stored.
            events: its events, in the store's seq order.
            row: the ``(version, head)`` of its row, or None when it has none.
            newest: the ``(position, version)`` of its newest hall-chain entry, or None.
        """
        self._cases += 1
        name = _shown(case_id)
        expected = 1  # the seq the next event should have
        previous: object = ZERO  # the stored digest of the event before
        last_seq = 0
        last_digest: object = None
        for event in events:
            self._events += 1
            seq = event[1]
            adjacent = type(seq) is int and seq == expected
            place = seq if type(seq) is int else expected
            if type(seq) is int and seq > expected:
                missing = (
                    f"seq {expected}" if seq == expected + 1 else f"seqs {expected}..{seq - 1}"
                )
                self._break(name, expected, "seq-gap", f"{missing} missing: seq {seq} follows")
            elif type(seq) is int and seq < expected:
                self._break(
                    name, seq, "seq-gap", f"seq {seq} is out of place after seq {expected - 1}"
                )
            try:
                self._event(name, case_id, event, place, previous, adjacent)
            except Exception as exc:  # a checker must outlive any stored value
                self._break(name, place, "event-decode", f"cannot be checked: {_brief(exc)}")
            previous = event[9]
            expected = place + 1
            last_seq, last_digest = place, event[9]
        if last_seq == 0:
            return
        if row is None:
            self._break(name, last_seq, "case-row", "the case has events but no row")
        else:
            version, head = row
            if version != last_seq or type(version) is not int:
                self._break(
                    name,
                    last_seq,
                    "case-row",
                    f"the row says version {_brief(version)}, the last event is seq {last_seq}",
                )
            if head != last_digest:
                self._break(
                    name,
                    last_seq,
                    "head-mismatch",
                    f"the row's head is {_brief(head)}, the last event's digest "
                    f"{_brief(last_digest)}",
                )
        if newest is None:
            self._break(name, 1, "unchained-case", "no entry of the hall chain covers the case")
        else:
            position, version = newest
            if type(version) is int and version < last_seq:
                self._break(
                    name,
                    max(version + 1, 1),
                    "unchained-case",
                    f"the case's newest hall-chain entry (position {_brief(position)}) is "
                    f"version {version}, but its last event is seq {last_seq}",
                )

    def _event(
        self,
        name: str,
        case_id: object,
        event: EventRow,
        place: int,
        previous: object,
        adjacent: bool,
    ) -> None:
        _, seq, kind, actor, at_utc, at_tz, schema, payload, recorded_at, digest = event
        problems: list[str] = []
        if not _is_text(case_id):
            problems.append(f"case_id {_brief(case_id)} is not text")
        if type(seq) is not int:
            problems.append(f"seq {_brief(seq)} is not an int")
        for field, value in (("kind", kind), ("actor", actor)):
            if not _is_text(value):
                problems.append(f"{field} {_brief(value)} is not non-empty text")
        if not _is_count(schema):
            problems.append(f"schema {_brief(schema)} is not an int of at least 1")
        if type(at_utc) is not str or type(at_tz) is not str:
            problems.append(f"at ({_brief(at_utc)}, {_brief(at_tz)}) is not text")
        else:
            try:
                decode_instant(at_utc, at_tz)
            except Exception as exc:  # any stored text must be survivable
                problems.append(f"at ({at_utc!r}, {at_tz!r}) does not decode: {_brief(exc)}")
        plain: dict[str, Any] | None = None
        if type(payload) is not str:
            problems.append(f"payload {_brief(payload)} is not text")
        else:
            try:
                loaded = json.loads(payload)
                if not isinstance(loaded, dict):
                    raise ValueError(f"a {type(loaded).__name__}, not an object")
                canonical_json(loaded).encode("utf-8")  # no NaN, no lone surrogate
                plain = loaded
            except Exception as exc:  # any stored text must be survivable
                problems.append(f"payload does not decode as a JSON object: {_brief(exc)}")
        if type(recorded_at) is not str:
            problems.append(f"recorded_at {_brief(recorded_at)} is not text")
        else:
            try:
                if dt.datetime.fromisoformat(recorded_at).tzinfo is not None:
                    raise ValueError("has a zone; hallflow writes UTC without one")
            except ValueError as exc:
                problems.append(f"recorded_at {recorded_at!r} does not decode: {exc}")
        if not is_digest(digest):
            problems.append(f"digest {_brief(digest)} is not 64 lowercase hex digits")
        if problems:
            self._break(name, place, "event-decode", "; ".join(problems))
        if (
            plain is None
            or type(case_id) is not str
            or type(seq) is not int
            or type(kind) is not str
            or type(actor) is not str
            or type(at_utc) is not str
            or type(at_tz) is not str
            or type(schema) is not int
            or type(recorded_at) is not str
            or type(previous) is not str
        ):
            return  # nothing to recompute from
        content = content_digest(case_id, seq, kind, actor, at_utc, at_tz, schema, plain)
        expected = event_digest(previous, content, recorded_at)
        if expected != digest:
            if adjacent:
                self._break(
                    name,
                    place,
                    "event-digest",
                    f"the event's fields give digest {expected}, the store holds {_brief(digest)}",
                )
            else:
                self._break(
                    name,
                    place,
                    "case-link",
                    f"the event does not link to the event stored before it: expected digest "
                    f"{expected}, the store holds {_brief(digest)}",
                )

    def orphan_row(self, case_id: object, version: object) -> None:
        """Report a case row whose case has no events."""
        self._break(
            _shown(case_id),
            version if type(version) is int else 0,
            "missing-case",
            f"the case has a row (version {_brief(version)}) but no events",
        )

    def orphan_entry(self, case_id: object, position: object) -> None:
        """Report a case that the hall chain names but that has no events."""
        self._break(
            _shown(case_id),
            0,
            "missing-case",
            f"the hall chain names the case (newest at position {_brief(position)}) but it "
            f"has no events",
        )

    def _break(self, case_id: str | None, position: int, rule: str, detail: str) -> None:
        self._case_breaks.append(ChainBreak(case_id, position, rule, detail))

    # --- the hall chain ----------------------------------------------------------------------

    def chain(self, entries: Iterable[ChainRow]) -> None:
        """Check the hall chain, its entries in the store's position order."""
        expected = 1
        previous: object = ZERO
        for entry in entries:
            self._positions += 1
            position = entry[0]
            place = position if type(position) is int else expected
            if type(position) is int and position > expected:
                missing = (
                    f"position {expected}"
                    if position == expected + 1
                    else f"positions {expected}..{position - 1}"
                )
                self._chain_break(
                    None, expected, "missing-append", f"{missing} missing: {position} follows"
                )
            elif type(position) is int and position < expected:
                self._chain_break(
                    None,
                    position,
                    "chain-link",
                    f"position {position} is out of place after {expected - 1}",
                )
            adjacent = type(position) is int and position == expected
            try:
                self._entry(entry, place, previous, adjacent)
            except Exception as exc:  # a checker must outlive any stored value
                self._chain_break(None, place, "chain-decode", f"cannot be checked: {_brief(exc)}")
            previous = entry[4]
            expected = place + 1

    def _entry(self, entry: ChainRow, place: int, previous: object, adjacent: bool) -> None:
        position, case_id, version, head, link, digest = entry
        name = case_id if isinstance(case_id, str) else None
        problems: list[str] = []
        if type(position) is not int:
            problems.append(f"position {_brief(position)} is not an int")
        if not _is_text(case_id):
            problems.append(f"case_id {_brief(case_id)} is not text")
        if not _is_count(version):
            problems.append(f"version {_brief(version)} is not an int of at least 1")
        if not is_digest(head):
            problems.append(f"head {_brief(head)} is not 64 lowercase hex digits")
        if not is_digest(link):
            problems.append(f"link {_brief(link)} is not 64 lowercase hex digits")
        if problems:
            self._chain_break(name, place, "chain-decode", "; ".join(problems))
        if (
            type(position) is int
            and type(case_id) is str
            and type(version) is int
            and type(head) is str
            and type(previous) is str
        ):
            expected = chain_link(previous, position, case_id, version, head)
            if expected != link:
                after = "" if adjacent else " (it follows a gap or a misplaced entry)"
                self._chain_break(
                    name,
                    place,
                    "chain-link",
                    f"the entry gives link {expected}, the store holds {_brief(link)}{after}",
                )
        if digest is None:
            self._chain_break(
                name,
                place,
                "chain-head",
                f"the entry names version {_brief(version)} of case {_brief(case_id)}, which "
                f"has no such event",
            )
        elif digest != head:
            self._chain_break(
                name,
                place,
                "chain-head",
                f"the entry names head {_brief(head)} for version {_brief(version)}, but that "
                f"event's digest is {_brief(digest)}",
            )

    def _chain_break(self, case_id: str | None, position: int, rule: str, detail: str) -> None:
        self._chain_breaks.append(ChainBreak(case_id, position, rule, detail))

    # --- checkpoints -------------------------------------------------------------------------

    def checkpoint(self, checkpoint: Checkpoint, link: object, newest: int) -> None:
        """Compare a checkpoint with the store.

        Args:
            checkpoint: the checkpoint.
            link: the store's link at the checkpoint's position, or None if there is none.
            newest: the store's newest position.
        """
        position = checkpoint.position
        if position == 0:
            link = ZERO  # every chain starts from it
        if link is None:
            self._checkpoint_breaks.append(
                ChainBreak(
                    None,
                    position,
                    "checkpoint",
                    f"the checkpoint of {checkpoint.at.isoformat()} signed position {position}, "
                    f"which the store no longer has (its newest is {newest})",
                )
            )
        elif link != checkpoint.link:
            self._checkpoint_breaks.append(
                ChainBreak(
                    None,
                    position,
                    "checkpoint",
                    f"the checkpoint of {checkpoint.at.isoformat()} signed link "
                    f"{checkpoint.link} at position {position}, the store holds {_brief(link)}",
                )
            )

    # --- the outcome -------------------------------------------------------------------------

    def report(self) -> VerifyReport:
        """Every break found: cases (by case id, then seq), the hall chain, checkpoints."""
        cases = sorted(self._case_breaks, key=lambda b: (b.case_id or "", b.position))
        chain = sorted(self._chain_breaks, key=lambda b: b.position)
        checkpoints = sorted(self._checkpoint_breaks, key=lambda b: b.position)
        return VerifyReport(
            breaks=(*cases, *chain, *checkpoints),
            cases=self._cases,
            events=self._events,
            positions=self._positions,
        )
