"""An event store in a Python dict: for tests, examples and short-lived processes.

It keeps the same contract as the SQLite store, down to the values it loads back: events and
rows go through the same encoding (payloads as JSON text, instants as UTC text plus zone), so a
test that passes against it passes against SQLite. Nothing survives the process.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Sequence
from types import TracebackType
from typing import Self

import attrs

from hallflow.errors import (
    CaseNotFoundError,
    ConcurrencyError,
    IdempotencyError,
    StoreError,
)
from hallflow.store.base import (
    CaseRow,
    Clock,
    NewEvent,
    PreparedEvent,
    StoredEvent,
    bound_text,
    decode_instant,
    encode_instant,
    prepare_append,
    read_clock,
    utc_now,
)

__all__ = ["MemoryStore"]


@attrs.define(frozen=True, slots=True)
class _Record:
    event: PreparedEvent
    at: dt.datetime
    recorded_at: dt.datetime


class MemoryStore:
    """An in-memory :class:`~hallflow.store.base.EventStore`, safe to share between threads.

    One lock guards every call, so appends are atomic and serialised.

    Args:
        clock: returns the current aware instant, for ``recorded_at`` (default: UTC now).
    """

    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock = clock or utc_now
        self._lock = threading.Lock()
        self._events: dict[str, list[_Record]] = {}
        self._rows: dict[str, CaseRow] = {}
        self._keys: dict[tuple[str, str], tuple[str, int]] = {}
        self._closed = False

    def append(
        self,
        case_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        row: CaseRow,
        *,
        idempotency_key: str | None = None,
    ) -> int:
        """Append events to a case and replace its row, atomically.

        See :meth:`hallflow.store.base.EventStore.append`.
        """
        request = prepare_append(case_id, expected_version, events, row, idempotency_key)
        with self._lock:
            self._check_open()
            key = request.idempotency_key
            if key is not None:
                seen = self._keys.get((case_id, key))
                if seen is not None:
                    if seen[0] != request.request_hash:
                        raise IdempotencyError(case_id, key)
                    return seen[1]
            log = self._events.get(case_id, [])
            if len(log) != expected_version:
                raise ConcurrencyError(case_id, expected_version, len(log))
            recorded_at = read_clock(self._clock)
            self._events[case_id] = log + [
                _Record(e, decode_instant(e.at_utc, e.at_tz), recorded_at) for e in request.events
            ]
            self._rows[case_id] = request.row
            if key is not None:
                self._keys[(case_id, key)] = (request.request_hash, request.new_version)
            return request.new_version

    def load(self, case_id: str) -> list[StoredEvent]:
        """Return a case's events in order; see :meth:`hallflow.store.base.EventStore.load`."""
        with self._lock:
            self._check_open()
            log = self._events.get(case_id)
            if log is None:
                raise CaseNotFoundError(case_id)
        return [
            StoredEvent(
                case_id=case_id,
                seq=seq,
                kind=r.event.kind,
                actor=r.event.actor,
                at=r.at,
                payload=json.loads(r.event.payload_json),
                recorded_at=r.recorded_at,
            )
            for seq, r in enumerate(log, start=1)
        ]

    def key_version(self, case_id: str, key: str) -> int | None:
        """See :meth:`hallflow.store.base.EventStore.key_version`."""
        with self._lock:
            self._check_open()
            seen = self._keys.get((case_id, key))
        return None if seen is None else seen[1]

    def version(self, case_id: str) -> int:
        """Return a case's version, 0 if absent."""
        with self._lock:
            self._check_open()
            return len(self._events.get(case_id, ()))

    def row(self, case_id: str) -> CaseRow:
        """Return a case's row; see :meth:`hallflow.store.base.EventStore.row`."""
        with self._lock:
            self._check_open()
            try:
                return self._rows[case_id]
            except KeyError:
                raise CaseNotFoundError(case_id) from None

    def find(
        self,
        *,
        matter: str | None = None,
        applicant: str | None = None,
        window: str | None = None,
        state: str | None = None,
        due_from: dt.datetime | None = None,
        due_to: dt.datetime | None = None,
    ) -> list[CaseRow]:
        """Return the matching rows; see :meth:`hallflow.store.base.EventStore.find`."""
        low = bound_text("due_from", due_from)
        high = bound_text("due_to", due_to)
        with self._lock:
            self._check_open()
            rows = list(self._rows.values())
        found = []
        for r in rows:
            if matter is not None and r.matter != matter:
                continue
            if applicant is not None and r.applicant != applicant:
                continue
            if window is not None and r.window != window:
                continue
            if state is not None and r.state != state:
                continue
            if low is not None or high is not None:
                if r.due is None:
                    continue
                due = encode_instant(r.due)[0]
                if (low is not None and due < low) or (high is not None and due >= high):
                    continue
            found.append(r)
        return sorted(found, key=lambda r: r.case_id)

    def case_ids(self) -> list[str]:
        """Return every case id, sorted."""
        with self._lock:
            self._check_open()
            return sorted(self._events)

    def close(self) -> None:
        """Drop everything; later calls raise StoreError."""
        with self._lock:
            self._closed = True
            self._events.clear()
            self._rows.clear()
            self._keys.clear()

    def __enter__(self) -> Self:
        """Return the store."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")
