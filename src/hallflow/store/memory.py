"""An event store in a Python dict: for tests, examples and short-lived processes.

It keeps the same contract as the SQLite store, down to the values it loads back: events and
rows go through the same encoding (payloads as JSON text, instants as UTC text plus zone), and
its events and appends through the same hash chains (:mod:`hallflow.store.chain`), so a test
that passes against it passes against SQLite. Nothing survives the process.
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
    Append,
    CaseRow,
    Clock,
    KeyRecord,
    NewEvent,
    PreparedAppend,
    StoredEvent,
    SweepMark,
    SweepRow,
    bound_text,
    check_case_ids,
    check_marks,
    check_parts,
    check_sweep_query,
    decode_instant,
    encode_instant,
    even_cuts,
    prepare_append,
    prepare_many,
    query_text,
    read_clock,
    utc_now,
)
from hallflow.store.chain import (
    ZERO,
    ChainHead,
    Checkpoint,
    VerifyReport,
    chain_link,
    event_digest,
)
from hallflow.store.verify import Audit, EventRow, checked_checkpoints

__all__ = ["MemoryStore"]


@attrs.define(frozen=True, slots=True)
class _Record:
    """One stored event: the columns SQLite would hold, and the two instants decoded."""

    seq: int
    kind: str
    actor: str
    at_utc: str
    at_tz: str
    schema: int
    payload: str
    recorded: str  # recorded_at as UTC text, as hashed
    digest: str
    at: dt.datetime
    recorded_at: dt.datetime


@attrs.define(frozen=True, slots=True)
class _Entry:
    """One entry of the hall-wide chain."""

    position: int
    case_id: str
    version: int
    head: str
    link: str


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
        self._heads: dict[str, str] = {}
        self._keys: dict[tuple[str, str], tuple[str, int]] = {}
        self._chain: list[_Entry] = []
        self._closed = False

    def append(
        self,
        case_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        row: CaseRow,
        *,
        idempotency_key: str | None = None,
        request_digest: str | None = None,
    ) -> int:
        """Append events to a case and replace its row, atomically.

        See :meth:`hallflow.store.base.EventStore.append`.
        """
        request = prepare_append(
            case_id, expected_version, events, row, idempotency_key, request_digest
        )
        with self._lock:
            self._check_open()
            return self._commit(request)

    def append_many(
        self, appends: Sequence[Append]
    ) -> list[int | ConcurrencyError | IdempotencyError]:
        """Several appends, each checked on its own; see :meth:`EventStore.append_many`."""
        requests = prepare_many(appends)
        out: list[int | ConcurrencyError | IdempotencyError] = []
        with self._lock:
            self._check_open()
            for request in requests:
                try:
                    out.append(self._commit(request))
                except (ConcurrencyError, IdempotencyError) as refused:
                    out.append(refused)
        return out

    def load_many(self, case_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """Several cases' events; see :meth:`hallflow.store.base.EventStore.load_many`."""
        wanted = check_case_ids(case_ids)
        out: dict[str, list[StoredEvent]] = {}
        for case_id in wanted:
            try:
                out[case_id] = self.load(case_id)
            except CaseNotFoundError:
                continue
        return out

    def _commit(self, request: PreparedAppend) -> int:
        """Check and apply one prepared append (the lock held)."""
        case_id = request.case_id
        expected_version = request.expected_version
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
        recorded = recorded_at.isoformat(timespec="microseconds")[:-6]  # as SQLite's
        head = self._heads.get(case_id, ZERO)
        records = []
        for seq, e in enumerate(request.events, start=expected_version + 1):
            head = event_digest(head, e.content, recorded)
            records.append(
                _Record(
                    seq=seq,
                    kind=e.kind,
                    actor=e.actor,
                    at_utc=e.at_utc,
                    at_tz=e.at_tz,
                    schema=e.schema,
                    payload=e.payload_json,
                    recorded=recorded,
                    digest=head,
                    at=decode_instant(e.at_utc, e.at_tz),
                    recorded_at=recorded_at,
                )
            )
        new_version = request.new_version
        position, link = (
            (self._chain[-1].position, self._chain[-1].link) if self._chain else (0, ZERO)
        )
        position += 1
        self._chain.append(
            _Entry(
                position,
                case_id,
                new_version,
                head,
                chain_link(link, position, case_id, new_version, head),
            )
        )
        self._events[case_id] = log + records
        self._rows[case_id] = request.row
        self._heads[case_id] = head
        if key is not None:
            self._keys[(case_id, key)] = (request.request_hash, new_version)
        return new_version

    def load(self, case_id: str) -> list[StoredEvent]:
        """Return a case's events in order; see :meth:`hallflow.store.base.EventStore.load`."""
        query_text("case_id", case_id)
        with self._lock:
            self._check_open()
            log = self._events.get(case_id)
            if log is None:
                raise CaseNotFoundError(case_id)
        return [
            StoredEvent(
                case_id=case_id,
                seq=r.seq,
                kind=r.kind,
                actor=r.actor,
                at=r.at,
                payload=json.loads(r.payload),
                recorded_at=r.recorded_at,
                schema=r.schema,
                digest=r.digest,
            )
            for r in log
        ]

    def key_version(self, case_id: str, key: str) -> int | None:
        """See :meth:`hallflow.store.base.EventStore.key_version`."""
        query_text("case_id", case_id)
        query_text("key", key)
        with self._lock:
            self._check_open()
            seen = self._keys.get((case_id, key))
        return None if seen is None else seen[1]

    def idempotency(self, case_id: str, key: str) -> KeyRecord | None:
        """See :meth:`hallflow.store.base.EventStore.idempotency`."""
        query_text("case_id", case_id)
        query_text("key", key)
        with self._lock:
            self._check_open()
            seen = self._keys.get((case_id, key))
        return None if seen is None else KeyRecord(digest=seen[0], version=seen[1])

    def head(self) -> ChainHead:
        """See :meth:`hallflow.store.base.EventStore.head`."""
        with self._lock:
            self._check_open()
            if not self._chain:
                return ChainHead(0, ZERO)
            newest = self._chain[-1]
        return ChainHead(newest.position, newest.link)

    def verify(self, *, checkpoints: Sequence[Checkpoint] = ()) -> VerifyReport:
        """Recompute the chains; see :meth:`hallflow.store.base.EventStore.verify`.

        The store is checked as it stands at the call (a snapshot taken under its lock).
        """
        checkpoints = checked_checkpoints(checkpoints)
        with self._lock:
            self._check_open()
            events = {case_id: list(log) for case_id, log in self._events.items() if log}
            rows = dict(self._rows)
            heads = dict(self._heads)
            chain = list(self._chain)
        audit = Audit()
        newest: dict[object, tuple[object, object]] = {}
        for entry in chain:  # the last entry of a case is its newest
            newest[entry.case_id] = (entry.position, entry.version)
        digests: dict[object, dict[object, object]] = {}
        for case_id in sorted(events, key=repr):
            log = events[case_id]
            digests[case_id] = {r.seq: r.digest for r in log}
            row = rows.get(case_id)
            audit.case(
                case_id,
                [_event_row(case_id, r) for r in log],
                None if row is None else (row.version, heads.get(case_id)),
                newest.get(case_id),
            )
        for case_id in sorted(set(rows) - set(events), key=repr):
            audit.orphan_row(case_id, rows[case_id].version)
        for named, (position, _) in newest.items():
            if named not in events:
                audit.orphan_entry(named, position)
        audit.chain(
            (
                e.position,
                e.case_id,
                e.version,
                e.head,
                e.link,
                digests.get(e.case_id, {}).get(e.version),
            )
            for e in chain
        )
        by_position = {e.position: e.link for e in chain}
        for checkpoint in checkpoints:
            audit.checkpoint(
                checkpoint, by_position.get(checkpoint.position), chain[-1].position if chain else 0
            )
        return audit.report()

    def version(self, case_id: str) -> int:
        """Return a case's version, 0 if absent."""
        query_text("case_id", case_id)
        with self._lock:
            self._check_open()
            return len(self._events.get(case_id, ()))

    def row(self, case_id: str) -> CaseRow:
        """Return a case's row; see :meth:`hallflow.store.base.EventStore.row`."""
        query_text("case_id", case_id)
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
        for name, value in (
            ("matter", matter),
            ("applicant", applicant),
            ("window", window),
            ("state", state),
        ):
            query_text(name, value, optional=True)
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

    def open_clocks(
        self, after: str | None = None, limit: int = 10_000, until: str | None = None
    ) -> list[SweepRow]:
        """The next rows a sweep reads; see :meth:`hallflow.store.base.EventStore.open_clocks`."""
        check_sweep_query(after, limit, until)
        start = after or ""
        with self._lock:
            self._check_open()
            rows = [
                r
                for r in self._rows.values()
                if r.case_id > start and (until is None or r.case_id <= until) and r.clocks != b""
            ]
        rows.sort(key=lambda r: r.case_id)
        return [(r.case_id, r.matter, r.version, r.clocks, r.swept) for r in rows[:limit]]

    def split_cases(self, parts: int) -> list[str]:
        """See :meth:`hallflow.store.base.EventStore.split_cases`."""
        return even_cuts(self.case_ids(), check_parts(parts))

    def put_swept(self, marks: Sequence[SweepMark]) -> int:
        """Record what a sweep acknowledged (:meth:`hallflow.store.base.EventStore.put_swept`)."""
        rows = check_marks(marks)
        done = 0
        with self._lock:
            self._check_open()
            for case_id, version, clocks, swept in rows:
                row = self._rows.get(case_id)
                if row is None or row.version != version:
                    continue
                self._rows[case_id] = attrs.evolve(
                    row, swept=swept, clocks=row.clocks if clocks is None else clocks
                )
                done += 1
        return done

    def close(self) -> None:
        """Drop everything; later calls raise StoreError."""
        with self._lock:
            self._closed = True
            self._events.clear()
            self._rows.clear()
            self._heads.clear()
            self._keys.clear()
            self._chain.clear()

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


def _event_row(case_id: str, r: _Record) -> EventRow:
    return (
        case_id,
        r.seq,
        r.kind,
        r.actor,
        r.at_utc,
        r.at_tz,
        r.schema,
        r.payload,
        r.recorded,
        r.digest,
    )
