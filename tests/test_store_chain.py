"""A history that proves itself: hash chains, verify(), checkpoints, request digests, migration.

Shared behaviour runs against both stores. The mutation tests edit closed SQLite files with the
sqlite3 module directly — every column of every row, deletions, insertions, swaps, rewrites
with recomputed chains — and require verify() to notice every one, without ever raising.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import os
import re
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallflow.errors import (
    AppendRequestError,
    ConcurrencyError,
    IdempotencyError,
    SerializationError,
    StoreError,
)
from hallflow.store import (
    CaseRow,
    ChainBreak,
    ChainHead,
    Checkpoint,
    EventStore,
    KeyRecord,
    MemoryStore,
    NewEvent,
    SQLiteStore,
    StoredEvent,
    VerifyReport,
)
from hallflow.store.base import encode_instant
from hallflow.store.chain import (
    BREAK_RULES,
    ZERO,
    canonical_json,
    chain_link,
    content_digest,
    event_digest,
    is_digest,
)
from hallflow.store.sqlite import SCHEMA_VERSION
from tests.strategies import json_documents

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=SH)
LEGACY = Path(__file__).with_name("data") / "legacy" / "store-v1.sqlite"
FIXED = dt.datetime(2026, 3, 2, 1, 0, 0, 123456, tzinfo=dt.UTC)


def slow_selected(config: pytest.Config) -> bool:
    """Whether the run asked for tests marked ``slow`` (``-m slow`` or ``HALLFLOW_SLOW=1``)."""
    return "slow" in str(config.getoption("markexpr") or "") or bool(
        os.environ.get("HALLFLOW_SLOW")
    )


def ev(
    kind: str = "received",
    actor: str = "clerk-1",
    at: dt.datetime = T0,
    payload: Mapping[str, Any] | None = None,
    schema: int = 1,
) -> NewEvent:
    return NewEvent(kind, actor, at, {} if payload is None else payload, schema)


def mkrow(case_id: str, version: int, state: str = "received") -> CaseRow:
    return CaseRow(case_id, "m1", "a1", "w1", state, None, version)


def make_store(kind: str, directory: Path, clock: Any = None) -> EventStore:
    if kind == "memory":
        return MemoryStore(clock=clock)
    return SQLiteStore(directory / "cases.db", clock=clock)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    with make_store(request.param, tmp_path) as s:
        yield s


def rules(report: VerifyReport) -> set[tuple[str | None, int, str]]:
    found = {(b.case_id, b.position, b.rule) for b in report.breaks}
    assert {rule for _, _, rule in found} <= set(BREAK_RULES)
    return found


# --- a history, built the same way in both stores -------------------------------------------


def build_history(store: EventStore) -> None:
    """Four cases, eight appends (some of several events), keys, zones, schemas."""
    ny = ZoneInfo("America/New_York")
    plus5 = dt.timezone(dt.timedelta(hours=5, minutes=45))
    hour = dt.timedelta(hours=1)
    store.append(
        "c1",
        0,
        [
            ev("submitted", payload={"materials": ["营业执照", "身份证"], "urgent": True}),
            ev("accepted", "clerk-2", T0 + hour, {"clock": {"running": True, "days": 20}}),
        ],
        mkrow("c1", 2, "accepted"),
        idempotency_key="k-submit",
    )
    store.append("c2", 0, [ev(at=T0.astimezone(ny), payload={"note": "x"})], mkrow("c2", 1))
    store.append(
        "c1",
        2,
        [ev("decided", "chief", T0 + 2 * hour, {"approved": True, "reasons": []}, schema=2)],
        mkrow("c1", 3, "decided"),
        idempotency_key="k-decide",
        request_digest="command:decide:c1",
    )
    store.append(
        "c3",
        0,
        [
            ev("submitted", at=T0.astimezone(plus5), payload={"fee": "12.50", "n": 3}),
            ev("paused", payload={"missing": ["site"], "approved": False}),
            ev("resumed", payload={"ok": None, "ratio": 0.5}),
        ],
        mkrow("c3", 3, "resumed"),
    )
    store.append("c2", 1, [ev("accepted", payload={"flag": False})], mkrow("c2", 2, "accepted"))
    store.append("c4", 0, [ev("submitted", at=T0.astimezone(dt.UTC))], mkrow("c4", 1))
    store.append("c1", 3, [ev("sealed", "chief", T0 + 3 * hour, {"seal": "S-1"})], mkrow("c1", 4))
    store.append(
        "c3", 3, [ev("decided", payload={"approved": True, "text": "准予许可"})], mkrow("c3", 4)
    )


# --- the chains, as documented ----------------------------------------------------------------


def test_digests_follow_the_documented_formulas(store: EventStore) -> None:
    build_history(store)
    for case_id in store.case_ids():
        previous = ZERO
        for e in store.load(case_id):
            at_utc, at_tz = encode_instant(e.at)
            content = content_digest(
                case_id, e.seq, e.kind, e.actor, at_utc, at_tz, e.schema, dict(e.payload)
            )
            recorded = e.recorded_at.isoformat(timespec="microseconds")[:-6]
            assert e.digest == event_digest(previous, content, recorded)
            previous = e.digest
    # The hall chain: one entry per append, in order, over each case's version and head.
    appends = [("c1", 2), ("c2", 1), ("c1", 3), ("c3", 3), ("c2", 2), ("c4", 1), ("c1", 4)]
    appends.append(("c3", 4))
    link = ZERO
    for position, (case_id, version) in enumerate(appends, start=1):
        head = store.load(case_id)[version - 1].digest
        link = chain_link(link, position, case_id, version, head)
    assert store.head() == ChainHead(len(appends), link)


def test_the_formulas_by_hand() -> None:
    """The encodings spelled out, so that another implementation can match them."""
    payload = {"b": [1, 2.5, None], "a": "准予", "c": {"z": True, "y": False}}
    text = '["c1",1,"received","clerk","2026-03-02T01:30:00.000000","Asia/Shanghai",1,' + (
        '{"a":"准予","b":[1,2.5,null],"c":{"y":false,"z":true}}]'
    )
    assert canonical_json(
        ["c1", 1, "received", "clerk", "2026-03-02T01:30:00.000000", "Asia/Shanghai", 1, payload]
    ) == (text)
    import hashlib

    content = hashlib.sha256(text.encode()).hexdigest()
    assert (
        content_digest(
            "c1", 1, "received", "clerk", "2026-03-02T01:30:00.000000", "Asia/Shanghai", 1, payload
        )
        == content
    )
    recorded = "2026-03-02T01:31:00.000000"
    assert (
        event_digest(ZERO, content, recorded)
        == hashlib.sha256((ZERO + content + recorded).encode()).hexdigest()
    )
    assert (
        chain_link(ZERO, 7, "案-1", 3, content)
        == hashlib.sha256(f"{ZERO}{content}7\n3\n案-1".encode()).hexdigest()
    )
    assert is_digest(content) and not is_digest(content.upper()) and not is_digest(content[1:])


def test_both_stores_compute_the_same_digests(tmp_path: Path) -> None:
    clock = lambda: FIXED  # noqa: E731 - one recorded_at for every append, in both
    with MemoryStore(clock=clock) as memory, SQLiteStore(tmp_path / "s.db", clock=clock) as lite:
        build_history(memory)
        build_history(lite)
        for case_id in memory.case_ids():
            assert [e.digest for e in memory.load(case_id)] == [
                e.digest for e in lite.load(case_id)
            ]
        assert memory.head() == lite.head()


def test_loaded_events_carry_schema_and_digest(store: EventStore) -> None:
    build_history(store)
    decided = store.load("c1")[2]
    assert (decided.kind, decided.schema) == ("decided", 2)
    assert store.load("c1")[0].schema == 1
    assert all(is_digest(e.digest) for c in store.case_ids() for e in store.load(c))
    # digest is not part of equality; schema is.
    assert attrs.evolve(decided, digest="") == decided
    assert attrs.evolve(decided, schema=1) != decided


def test_stored_event_keeps_its_positional_fields() -> None:
    stored = StoredEvent("c1", 1, "received", "clerk", T0, {}, T0)
    assert (stored.schema, stored.digest) == (1, "")
    assert attrs.fields(StoredEvent)[-2].name == "schema"
    assert attrs.fields(StoredEvent)[-1].name == "digest"


@pytest.mark.parametrize("schema", [0, -1, True, "1", 1.0, None])
def test_schema_must_be_an_int_of_at_least_one(schema: object) -> None:
    with pytest.raises(AppendRequestError, match="schema"):
        NewEvent("received", "clerk", T0, {}, schema)  # type: ignore[arg-type]


def test_a_schema_is_part_of_the_request(store: EventStore) -> None:
    store.append("c1", 0, [ev(schema=1)], mkrow("c1", 1), idempotency_key="k")
    with pytest.raises(IdempotencyError):
        store.append("c1", 0, [ev(schema=2)], mkrow("c1", 1), idempotency_key="k")
    assert store.append("c1", 0, [ev(schema=1)], mkrow("c1", 1), idempotency_key="k") == 1


# --- head ----------------------------------------------------------------------------------


def test_head_counts_appends_not_events_nor_refusals(store: EventStore) -> None:
    assert store.head() == ChainHead(0, ZERO)
    store.append("c1", 0, [ev(), ev()], mkrow("c1", 2), idempotency_key="k")
    first = store.head()
    assert first.position == 1 and is_digest(first.link) and first.link != ZERO
    assert store.append("c1", 0, [ev(), ev()], mkrow("c1", 2), idempotency_key="k") == 2
    with pytest.raises(ConcurrencyError):
        store.append("c1", 0, [ev()], mkrow("c1", 1))
    with pytest.raises(IdempotencyError):
        store.append("c1", 2, [ev("x")], mkrow("c1", 3), idempotency_key="k")
    assert store.head() == first
    store.append("c2", 0, [ev()], mkrow("c2", 1))
    assert store.head().position == 2
    assert store.verify().ok


# --- untouched histories verify clean -------------------------------------------------------


MODEL_ZONES = [
    SH,
    ZoneInfo("UTC"),
    ZoneInfo("America/New_York"),
    dt.timezone(-dt.timedelta(hours=9)),
]
instants = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.sampled_from(MODEL_ZONES),
    allow_imaginary=False,
)
new_events = st.builds(
    NewEvent,
    kind=st.sampled_from(["received", "accepted", "decided", "事项"]),
    actor=st.sampled_from(["clerk-1", "chief"]),
    at=instants,
    payload=json_documents(max_leaves=8),
    schema=st.integers(1, 3),
)
appends = st.lists(
    st.tuples(
        st.sampled_from(["c1", "c2", "c3", "案件-4"]),
        st.lists(new_events, min_size=1, max_size=3),
        st.sampled_from([None, "k1", "k2"]),
        st.sampled_from([None, None, "cmd-a", "cmd-b"]),
        st.booleans(),  # repeat the append afterwards, as a client that timed out would
    ),
    min_size=1,
    max_size=12,
)


def _play(store: EventStore, history: list[Any]) -> tuple[int, int]:
    """Run ``history``; return how many appends and events were written."""
    written = events = 0
    for case_id, batch, key, digest, repeat in history:
        version = store.version(case_id)
        request_digest = digest if key is not None else None
        row = mkrow(case_id, version + len(batch))
        record = None if key is None else store.idempotency(case_id, key)
        if record is not None:  # a key used before: a repeat, or a different request
            try:
                got = store.append(
                    case_id, version, batch, row, idempotency_key=key, request_digest=request_digest
                )
            except IdempotencyError:
                continue
            assert got == record.version
            continue
        got = store.append(
            case_id, version, batch, row, idempotency_key=key, request_digest=request_digest
        )
        assert got == version + len(batch)
        written += 1
        events += len(batch)
        if repeat and key is not None:
            assert (
                store.append(
                    case_id, version, batch, row, idempotency_key=key, request_digest=request_digest
                )
                == got
            )
    return written, events


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=appends)
def test_an_untouched_history_verifies_clean(history: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        clock = lambda: FIXED  # noqa: E731
        heads = []
        for kind in ("memory", "sqlite"):
            with make_store(kind, Path(directory), clock) as store:
                written, events = _play(store, history)
                report = store.verify()
                assert report.ok, report.breaks
                assert (report.cases, report.events, report.positions) == (
                    len(store.case_ids()),
                    events,
                    written,
                )
                heads.append(store.head())
                assert heads[-1].position == written
                cp = Checkpoint.sign(heads[-1], FIXED, Ed25519PrivateKey.generate(), "k")
                assert store.verify(checkpoints=[cp]).ok
        assert heads[0] == heads[1]  # the same history gives the same chain in both stores


def test_verify_while_writers_write(tmp_path: Path) -> None:
    """verify() reads one snapshot: appends going on meanwhile never look like breaks."""
    with SQLiteStore(tmp_path / "busy.db", durability="normal") as store:
        stop = threading.Event()
        errors: list[BaseException] = []

        def clerk(i: int) -> None:
            n = 0
            try:
                while not stop.is_set() and n < 400:
                    case_id = f"c{i}-{n // 4}"
                    version = store.version(case_id)
                    store.append(
                        case_id, version, [ev(payload={"n": n})], mkrow(case_id, version + 1)
                    )
                    n += 1
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        pool = [threading.Thread(target=clerk, args=(i,)) for i in range(4)]
        for t in pool:
            t.start()
        try:
            for _ in range(5):
                report = store.verify()
                assert report.ok, report.breaks
        finally:
            stop.set()
            for t in pool:
                t.join()
        assert not errors
        final = store.verify()
        assert final.ok and final.positions == store.head().position == final.events


# --- request digests and idempotency records ------------------------------------------------


def test_a_key_with_a_request_digest_is_bound_to_the_command(store: EventStore) -> None:
    assert (
        store.append(
            "c1", 0, [ev(payload={"a": 1})], mkrow("c1", 1), idempotency_key="k", request_digest="A"
        )
        == 1
    )
    # The same command (digest), even with other events (say, a later clock): the old answer.
    assert (
        store.append(
            "c1", 0, [ev("other")], mkrow("c1", 1), idempotency_key="k", request_digest="A"
        )
        == 1
    )
    # Another command under the same key, even with the very same events: refused.
    with pytest.raises(IdempotencyError):
        store.append(
            "c1", 0, [ev(payload={"a": 1})], mkrow("c1", 1), idempotency_key="k", request_digest="B"
        )
    with pytest.raises(IdempotencyError):  # without a digest, the events' hash is compared
        store.append("c1", 0, [ev(payload={"a": 1})], mkrow("c1", 1), idempotency_key="k")
    assert store.version("c1") == 1
    assert store.idempotency("c1", "k") == KeyRecord(digest="A", version=1)
    assert store.key_version("c1", "k") == 1


def test_the_key_is_checked_before_the_version(store: EventStore) -> None:
    store.append("c1", 0, [ev()], mkrow("c1", 1), idempotency_key="k", request_digest="A")
    store.append("c1", 1, [ev("next")], mkrow("c1", 2))
    # Stale version, same command: the old answer, not a conflict.
    assert (
        store.append("c1", 0, [ev()], mkrow("c1", 1), idempotency_key="k", request_digest="A") == 1
    )
    # Stale version, other command: the key's refusal, not a conflict.
    with pytest.raises(IdempotencyError):
        store.append("c1", 0, [ev()], mkrow("c1", 1), idempotency_key="k", request_digest="B")


def test_idempotency_records(store: EventStore) -> None:
    assert store.idempotency("c1", "k") is None
    store.append("c1", 0, [ev(), ev()], mkrow("c1", 2), idempotency_key="k")
    record = store.idempotency("c1", "k")
    assert record is not None and record.version == 2 and is_digest(record.digest)
    assert store.idempotency("c2", "k") is None  # keys belong to their case
    assert store.idempotency("c1", "other") is None


@pytest.mark.parametrize(
    ("key", "digest", "field"),
    [
        (None, "A", "request_digest"),
        ("k", "", "request_digest"),
        ("k", 7, "request_digest"),
        ("k", "\udfff", "request_digest"),
    ],
)
def test_a_request_digest_needs_a_key_and_text(
    store: EventStore, key: str | None, digest: object, field: str
) -> None:
    with pytest.raises(AppendRequestError, match=field):
        store.append(
            "c1",
            0,
            [ev()],
            mkrow("c1", 1),
            idempotency_key=key,
            request_digest=digest,  # type: ignore[arg-type]
        )
    assert store.case_ids() == []


# --- checkpoints ------------------------------------------------------------------------------


def _checkpoint(head: ChainHead | None = None, key: Ed25519PrivateKey | None = None) -> Checkpoint:
    head = head or ChainHead(5, "ab" * 32)
    return Checkpoint.sign(head, T0, key or Ed25519PrivateKey.generate(), "hall-key-1")


def test_a_checkpoint_round_trips_and_verifies() -> None:
    key = Ed25519PrivateKey.generate()
    cp = _checkpoint(key=key)
    assert cp.verify_signature(key.public_key())
    text = cp.to_json()
    back = Checkpoint.from_json(text)
    assert back == cp and back.at.utcoffset() == dt.timedelta(hours=8)
    assert back.verify_signature(key.public_key())
    assert Checkpoint.from_json(text.encode()) == cp
    assert json.loads(text)["format"] == "hallflow-checkpoint/1"


def test_a_forged_checkpoint_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    cp = _checkpoint(key=key)
    assert not cp.verify_signature(Ed25519PrivateKey.generate().public_key())
    for forged in (
        attrs.evolve(cp, position=6),
        attrs.evolve(cp, link="cd" * 32),
        attrs.evolve(cp, at=cp.at + dt.timedelta(microseconds=1)),
        attrs.evolve(cp, key_id="hall-key-2"),
        attrs.evolve(cp, signature=base64.b64encode(b"\0" * 64).decode()),
        attrs.evolve(cp, signature="AAAA"),
    ):
        assert not forged.verify_signature(key.public_key())
    # The same instant in another zone is the same checkpoint.
    assert attrs.evolve(cp, at=cp.at.astimezone(dt.UTC)).verify_signature(key.public_key())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[]",
        "null",
        '{"format": "hallflow-checkpoint/2"}',
        "{}",
        "[[[[[[" * 5000,
    ],
)
def test_from_json_refuses_what_is_not_a_checkpoint(text: str) -> None:
    with pytest.raises(SerializationError):
        Checkpoint.from_json(text)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("position", -1),
        ("position", True),
        ("position", "5"),
        ("link", "AB" * 32),
        ("link", "ab"),
        ("at", "2026-03-02T09:30:00"),
        ("at", "yesterday"),
        ("at", 5),
        ("key_id", ""),
        ("key_id", 3),
        ("signature", "not base64!"),
        ("signature", ""),
        ("extra", 1),
        ("missing", None),
    ],
)
def test_from_json_names_a_bad_field(field: str, value: object) -> None:
    document = json.loads(_checkpoint().to_json())
    if field == "missing":
        del document["link"]
    else:
        document[field] = value
    with pytest.raises(SerializationError):
        Checkpoint.from_json(json.dumps(document))


def test_checkpoint_fields_are_validated() -> None:
    key = Ed25519PrivateKey.generate()
    with pytest.raises(SerializationError, match="at"):
        Checkpoint.sign(ChainHead(1, "ab" * 32), dt.datetime(2026, 1, 1), key, "k")
    with pytest.raises(SerializationError, match="link"):
        Checkpoint.sign(ChainHead(1, "xyz"), T0, key, "k")
    with pytest.raises(SerializationError, match="key_id"):
        Checkpoint.sign(ChainHead(1, "ab" * 32), T0, key, "")


def test_checkpoints_in_verify(store: EventStore) -> None:
    key = Ed25519PrivateKey.generate()
    empty = Checkpoint.sign(store.head(), T0, key, "k")
    build_history(store)
    now = Checkpoint.sign(store.head(), T0, key, "k")
    report = store.verify(checkpoints=[empty, now])
    assert report.ok
    wrong = Checkpoint.sign(ChainHead(3, "ab" * 32), T0, key, "k")
    future = Checkpoint.sign(ChainHead(99, "ab" * 32), T0, key, "k")
    report = store.verify(checkpoints=[wrong, future, now])
    assert [(b.rule, b.position) for b in report.breaks] == [("checkpoint", 3), ("checkpoint", 99)]
    assert "no longer has" in report.breaks[1].detail
    with pytest.raises(StoreError, match="Checkpoint"):
        store.verify(checkpoints=["nope"])  # type: ignore[list-item]
    with pytest.raises(StoreError, match="sequence"):
        store.verify(checkpoints=now)  # type: ignore[arg-type]


def test_a_closed_store_refuses_verify_and_head(tmp_path: Path) -> None:
    for s in (MemoryStore(), SQLiteStore(tmp_path / "x.db")):
        s.close()
        for call in (s.verify, s.head, lambda s=s: s.idempotency("c", "k")):
            with pytest.raises(StoreError, match="closed"):
                call()


# --- tampering, in both stores ----------------------------------------------------------------


class Tamper:
    """Edits a store's history behind its back: SQLite through the file, memory in place."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def event(self, case_id: str, at_seq: int, /, **changes: Any) -> None:
        if isinstance(self.store, MemoryStore):
            log = self.store._events[case_id]
            index = next(i for i, r in enumerate(log) if r.seq == at_seq)
            renamed = {("recorded" if k == "recorded_at" else k): v for k, v in changes.items()}
            log[index] = attrs.evolve(log[index], **renamed)
            return
        assignments = ", ".join(f"{column} = ?" for column in changes)
        self._sql(
            f"UPDATE events SET {assignments} WHERE case_id = ? AND seq = ?",
            (*changes.values(), case_id, at_seq),
        )

    def delete_event(self, case_id: str, seq: int) -> None:
        if isinstance(self.store, MemoryStore):
            log = self.store._events[case_id]
            log[:] = [r for r in log if r.seq != seq]
            return
        self._sql("DELETE FROM events WHERE case_id = ? AND seq = ?", (case_id, seq))

    def delete_entry(self, position: int) -> None:
        if isinstance(self.store, MemoryStore):
            self.store._chain[:] = [e for e in self.store._chain if e.position != position]
            return
        self._sql("DELETE FROM chain WHERE position = ?", (position,))

    def row_head(self, case_id: str, head: str) -> None:
        if isinstance(self.store, MemoryStore):
            self.store._heads[case_id] = head
            return
        self._sql("UPDATE cases SET head = ? WHERE case_id = ?", (head, case_id))

    def delete_case(self, case_id: str) -> None:
        if isinstance(self.store, MemoryStore):
            del self.store._events[case_id], self.store._rows[case_id], self.store._heads[case_id]
            return
        self._sql("DELETE FROM events WHERE case_id = ?", (case_id,))
        self._sql("DELETE FROM cases WHERE case_id = ?", (case_id,))

    def _sql(self, sql: str, params: tuple[Any, ...]) -> None:
        assert isinstance(self.store, SQLiteStore)
        conn = sqlite3.connect(self.store.path, isolation_level=None)
        try:
            conn.execute(sql, params)
        finally:
            conn.close()


TAMPERS: list[tuple[str, Callable[[Tamper], None], set[tuple[str | None, int, str]]]] = [
    (
        "flip-a-boolean",
        lambda t: t.event("c3", 2, payload='{"missing": ["site"], "approved": true}'),
        {("c3", 2, "event-digest")},
    ),
    ("change-the-actor", lambda t: t.event("c1", 1, actor="clerk-9"), {("c1", 1, "event-digest")}),
    ("raise-the-schema", lambda t: t.event("c1", 3, schema=3), {("c1", 3, "event-digest")}),
    (
        "undecodable-payload",
        lambda t: t.event("c2", 1, payload="{not json"),
        {("c2", 1, "event-decode")},
    ),
    (
        "delete-a-middle-event",
        lambda t: t.delete_event("c3", 2),
        {("c3", 2, "seq-gap"), ("c3", 3, "case-link")},
    ),
    (
        "delete-the-last-event",
        lambda t: t.delete_event("c4", 1),
        {("c4", 0, "missing-case"), (None, 6, "chain-head")},
    ),
    (
        "delete-a-chain-entry",
        lambda t: t.delete_entry(4),
        {(None, 4, "missing-append"), ("c2", 5, "chain-link")},
    ),
    (
        "delete-the-newest-entry",
        lambda t: t.delete_entry(8),
        {("c3", 4, "unchained-case")},
    ),
    ("edit-a-row-head", lambda t: t.row_head("c2", "ab" * 32), {("c2", 2, "head-mismatch")}),
    (
        "delete-a-case",
        lambda t: t.delete_case("c2"),
        {("c2", 0, "missing-case"), ("c2", 2, "chain-head"), ("c2", 5, "chain-head")},
    ),
]


@pytest.mark.parametrize(("name", "tamper", "expected"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_both_stores_report_the_same_breaks(
    tmp_path: Path,
    name: str,
    tamper: Callable[[Tamper], None],
    expected: set[tuple[str | None, int, str]],
) -> None:
    reports = []
    for kind in ("memory", "sqlite"):
        with make_store(kind, tmp_path) as s:
            build_history(s)
            tamper(Tamper(s))
            reports.append(s.verify())
    memory, lite = reports
    assert not memory.ok and not lite.ok
    assert rules(memory) == rules(lite)
    if name == "delete-a-case" or name == "delete-the-last-event":
        assert ("c2" if name == "delete-a-case" else "c4", 0, "missing-case") in rules(lite)
    # Chain breaks carry the case they name where there is one.
    found = {(c if r not in ("missing-append",) else None, p, r) for c, p, r in rules(lite)}
    for case_id, position, rule in expected:
        assert any(
            (position, rule) == (p, r) and (case_id is None or case_id == c) for c, p, r in found
        ), (name, rules(lite))


def test_a_break_is_reported_where_it_is_and_once(store: EventStore) -> None:
    build_history(store)
    Tamper(store).event("c1", 2, kind="rejected")
    report = store.verify()
    assert report.breaks == (
        ChainBreak(
            "c1",
            2,
            "event-digest",
            report.breaks[0].detail,
        ),
    )
    assert "the store holds" in report.breaks[0].detail
    assert (report.cases, report.events, report.positions) == (4, 11, 8)


def test_memory_store_survives_garbage_values() -> None:
    with MemoryStore() as store:
        build_history(store)
        tamper = Tamper(store)
        tamper.event("c1", 1, kind=None, payload=b"{}", schema=True)
        tamper.event("c1", 2, at_tz="Mars/Olympus", recorded_at=7)
        tamper.event("c3", 1, seq="one")
        tamper.event("c3", 2, digest=None)
        store._chain[2] = attrs.evolve(store._chain[2], version=None, link=[1])  # type: ignore[arg-type]
        report = store.verify()
        found = rules(report)
        assert {("c1", 1, "event-decode"), ("c1", 2, "event-decode")} <= found
        assert ("c3", 1, "event-decode") in found
        assert (None, 3, "chain-decode") in {(None, p, r) for _, p, r in found}


# --- mutations of SQLite files --------------------------------------------------------------


EVENT_COLUMNS = [
    "case_id",
    "seq",
    "kind",
    "actor",
    "at_utc",
    "at_tz",
    "schema",
    "payload",
    "recorded_at",
    "digest",
]
Mutation = tuple[str, Callable[[sqlite3.Connection], None]]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pristine") / "hall.db"
    with SQLiteStore(path) as store:
        build_history(store)
        assert store.verify().ok
    assert not Path(str(path) + "-wal").exists()
    return path


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _set(
    case_id: str, seq: int, column: str, value: object, raw: bool = False
) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        expression = value if raw else "?"
        params = () if raw else (value,)
        conn.execute(
            f"UPDATE events SET {column} = {expression} WHERE case_id = ? AND seq = ?",
            (*params, case_id, seq),
        )

    return apply


def _json_edits(value: Any) -> Iterator[Any]:
    """Every single-value edit of a JSON document: flips, changes, insertions, deletions."""
    if isinstance(value, bool):
        yield not value
    elif isinstance(value, (int, float)):
        yield value + 1
    elif isinstance(value, str):
        yield value + "x"
        yield value.upper() if value != value.upper() else value + "Y"
    elif value is None:
        yield False
    elif isinstance(value, list):
        yield [*value, None]
        for i, item in enumerate(value):
            for edited in _json_edits(item):
                yield [*value[:i], edited, *value[i + 1 :]]
            yield value[:i] + value[i + 1 :]
    elif isinstance(value, dict):
        yield {**value, "forged": True}
        for key, item in value.items():
            for edited in _json_edits(item):
                yield {**value, key: edited}
            yield {k: v for k, v in value.items() if k != key}


def _resealed(conn: sqlite3.Connection, case_id: str) -> str:
    """Recompute a case's chain from its stored fields (as an attacker with chain.py would)
    and its row's head; return the new head."""
    head = ZERO
    rows = conn.execute(
        "SELECT seq, kind, actor, at_utc, at_tz, schema, payload, recorded_at FROM events "
        "WHERE case_id = ? ORDER BY seq",
        (case_id,),
    ).fetchall()
    for seq, kind, actor, at_utc, at_tz, schema, payload, recorded_at in rows:
        content = content_digest(
            case_id, seq, kind, actor, at_utc, at_tz, schema, json.loads(payload)
        )
        head = event_digest(head, content, recorded_at)
        conn.execute(
            "UPDATE events SET digest = ? WHERE case_id = ? AND seq = ?", (head, case_id, seq)
        )
    conn.execute(
        "UPDATE cases SET head = ?, version = ? WHERE case_id = ?", (head, len(rows), case_id)
    )
    return head


def _relinked(conn: sqlite3.Connection) -> None:
    """Recompute the whole hall chain from the events as they now are."""
    link = ZERO
    for position, case_id, version in conn.execute(
        "SELECT position, case_id, version FROM chain ORDER BY position"
    ).fetchall():
        found = conn.execute(
            "SELECT digest FROM events WHERE case_id = ? AND seq = ?", (case_id, version)
        ).fetchone()
        head = found[0]
        link = chain_link(link, position, case_id, version, head)
        conn.execute(
            "UPDATE chain SET head = ?, link = ? WHERE position = ?", (head, link, position)
        )


def mutations(path: Path) -> list[Mutation]:
    """Every mutation of the file at ``path`` that verify() must notice."""
    events = _rows(path, f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY case_id, seq")
    chain = _rows(path, "SELECT position, case_id, version, head, link FROM chain")
    cases = sorted({e[0] for e in events})
    found: list[Mutation] = []

    def add(name: str, apply: Callable[[sqlite3.Connection], None]) -> None:
        found.append((name, apply))

    for e in events:
        case_id, seq, _, _, at_utc, at_tz, schema, payload, recorded_at, digest = e
        at = f"{case_id}/{seq}"
        for column, value in zip(EVENT_COLUMNS, e, strict=True):
            if isinstance(value, str) and column not in ("payload",):
                add(f"{at}:{column}:append", _set(case_id, seq, column, value + "x"))
                add(f"{at}:{column}:empty", _set(case_id, seq, column, ""))
                add(f"{at}:{column}:first-char", _set(case_id, seq, column, "Z" + value[1:]))
            add(
                f"{at}:{column}:not-utf8",
                _set(case_id, seq, column, "CAST(X'FF' AS TEXT)", raw=True),
            )
            add(f"{at}:{column}:blob", _set(case_id, seq, column, b"\x00"))
            add(f"{at}:{column}:real", _set(case_id, seq, column, 2.5))
            add(f"{at}:{column}:int", _set(case_id, seq, column, 1000 + seq))
        add(f"{at}:case_id:ghost", _set(case_id, seq, "case_id", "ghost"))
        later = (dt.datetime.fromisoformat(at_utc) + dt.timedelta(microseconds=1)).isoformat(
            timespec="microseconds"
        )
        add(f"{at}:at_utc:+1us", _set(case_id, seq, "at_utc", later))
        add(f"{at}:at_utc:other-spelling", _set(case_id, seq, "at_utc", at_utc[:19]))
        for zone in ("Asia/Chongqing", "UTC", "+08:00", "Mars/Olympus", "../../etc/passwd"):
            if zone != at_tz:
                add(f"{at}:at_tz:{zone}", _set(case_id, seq, "at_tz", zone))
        recorded_later = (
            dt.datetime.fromisoformat(recorded_at) + dt.timedelta(microseconds=1)
        ).isoformat(timespec="microseconds")
        add(f"{at}:recorded_at:+1us", _set(case_id, seq, "recorded_at", recorded_later))
        add(f"{at}:recorded_at:zoned", _set(case_id, seq, "recorded_at", recorded_at + "+00:00"))
        for value in (schema + 1, 0, -1):
            add(f"{at}:schema:{value}", _set(case_id, seq, "schema", value))
        add(f"{at}:seq:+100", _set(case_id, seq, "seq", seq + 100))  # 0 and less: CHECK refuses
        add(f"{at}:digest:upper", _set(case_id, seq, "digest", digest.upper()))
        document = json.loads(payload)
        for n, edited in enumerate(_json_edits(document)):
            add(f"{at}:payload:edit-{n}", _set(case_id, seq, "payload", json.dumps(edited)))
        for n, text in enumerate(
            ["not json", "[]", '"x"', '{"a": NaN}', '{"a": 1e999}', '{"s": "\\ud800"}', "[" * 5000]
        ):
            add(f"{at}:payload:garbage-{n}", _set(case_id, seq, "payload", text))
        add(f"{at}:delete", _delete_event(case_id, seq))
    for case_id in cases:
        last = max(e[1] for e in events if e[0] == case_id)
        for k in range(1, last + 2):
            add(f"{case_id}:insert-at-{k}", _insert(case_id, k, last, reseal=False))
            add(f"{case_id}:insert-at-{k}:resealed", _insert(case_id, k, last, reseal=True))
        for k in range(1, last + 1):
            add(f"{case_id}:rewrite-tail-from-{k}", _rewrite_tail(case_id, k))
        add(f"{case_id}:delete-case", _delete_case(case_id, rows=True))
        add(f"{case_id}:delete-events", _delete_case(case_id, rows=False))
        add(f"{case_id}:row-version+1", _case_row(case_id, "version = version + 1"))
        if last > 1:
            add(f"{case_id}:row-version-1", _case_row(case_id, "version = version - 1"))
        add(f"{case_id}:row-head", _case_row(case_id, "head = '" + "ab" * 32 + "'"))
        add(f"{case_id}:row-head-empty", _case_row(case_id, "head = ''"))
        add(f"{case_id}:row-delete", _case_row(case_id, None))
    for a, b in itertools.combinations(events, 2):
        if a[2:9] != b[2:9]:
            add(f"swap:{a[0]}/{a[1]}:{b[0]}/{b[1]}", _swap(a, b))
    for position, case_id, version, head, link in chain:
        p = f"chain/{position}"
        add(f"{p}:delete", _chain(f"DELETE FROM chain WHERE position = {position}"))
        add(f"{p}:move", _chain(f"UPDATE chain SET position = 1000 WHERE position = {position}"))
        for other in cases:
            if other != case_id:
                add(f"{p}:case_id:{other}", _chain_set(position, "case_id", other))
        add(f"{p}:case_id:not-utf8", _chain_raw(position, "case_id", "CAST(X'FF' AS TEXT)"))
        for value in (version + 1, version - 1, "x", 2.5):
            add(f"{p}:version:{value}", _chain_set(position, "version", value))
        for column, value in (("head", head), ("link", link)):
            add(
                f"{p}:{column}:flip",
                _chain_set(
                    position, column, "f" + value[1:] if value[0] != "f" else "e" + value[1:]
                ),
            )
            add(f"{p}:{column}:upper", _chain_set(position, column, value.upper()))
            add(f"{p}:{column}:blob", _chain_set(position, column, b"\x01"))
            add(f"{p}:{column}:zero", _chain_set(position, column, ZERO))
    return found


def _sql(sql: str, params: tuple[object, ...] = ()) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        conn.execute(sql, params)

    return apply


def _delete_event(case_id: str, seq: int) -> Callable[[sqlite3.Connection], None]:
    return _sql("DELETE FROM events WHERE case_id = ? AND seq = ?", (case_id, seq))


def _insert(
    case_id: str, k: int, last: int, *, reseal: bool
) -> Callable[[sqlite3.Connection], None]:
    """A forged event at seq ``k`` (later events move up one), its digest made up, or the
    case's chain and row recomputed over it."""

    def apply(conn: sqlite3.Connection) -> None:
        for seq in range(last, k - 1, -1):
            conn.execute(
                "UPDATE events SET seq = seq + 1 WHERE case_id = ? AND seq = ?", (case_id, seq)
            )
        conn.execute(
            "INSERT INTO events (case_id, seq, kind, actor, at_utc, at_tz, schema, payload, "
            "recorded_at, digest) VALUES (?, ?, 'approved', 'chief', "
            "'2026-03-01T01:00:00.000000', 'Asia/Shanghai', 1, '{\"forged\": true}', "
            "'2026-03-01T01:00:00.000000', ?)",
            (case_id, k, "cd" * 32),
        )
        if reseal:
            _resealed(conn, case_id)

    return apply


def _rewrite_tail(case_id: str, k: int) -> Callable[[sqlite3.Connection], None]:
    """Change event ``k`` and recompute the case's chain from there, consistently."""

    def apply(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE events SET payload = json_set(payload, '$.rewritten', json('true')) "
            "WHERE case_id = ? AND seq = ?",
            (case_id, k),
        )
        _resealed(conn, case_id)

    return apply


def _delete_case(case_id: str, *, rows: bool) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM events WHERE case_id = ?", (case_id,))
        if rows:
            conn.execute("DELETE FROM cases WHERE case_id = ?", (case_id,))
            conn.execute("DELETE FROM idempotency WHERE case_id = ?", (case_id,))

    return apply


def _case_row(case_id: str, assignment: str | None) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        if assignment is None:
            conn.execute("DELETE FROM cases WHERE case_id = ?", (case_id,))
        else:
            conn.execute(f"UPDATE cases SET {assignment} WHERE case_id = ?", (case_id,))

    return apply


def _swap(a: tuple[Any, ...], b: tuple[Any, ...]) -> Callable[[sqlite3.Connection], None]:
    """Swap two events' contents (everything but their place and digest)."""
    columns = EVENT_COLUMNS[2:9]

    def apply(conn: sqlite3.Connection) -> None:
        assignments = ", ".join(f"{c} = ?" for c in columns)
        for target, source in ((a, b), (b, a)):
            conn.execute(
                f"UPDATE events SET {assignments} WHERE case_id = ? AND seq = ?",
                (*source[2:9], target[0], target[1]),
            )

    return apply


def _chain(sql: str) -> Callable[[sqlite3.Connection], None]:
    return _sql(sql)


def _chain_set(position: int, column: str, value: object) -> Callable[[sqlite3.Connection], None]:
    return _sql(f"UPDATE chain SET {column} = ? WHERE position = ?", (value, position))


def _chain_raw(position: int, column: str, expression: str) -> Callable[[sqlite3.Connection], None]:
    return _sql(f"UPDATE chain SET {column} = {expression} WHERE position = ?", (position,))


def _mutated_report(
    pristine: Path, directory: Path, apply: Callable[[sqlite3.Connection], None]
) -> VerifyReport:
    path = directory / "mutant.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    shutil.copyfile(pristine, path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        apply(conn)
        conn.execute("COMMIT")
    finally:
        conn.close()
    with SQLiteStore(path) as store:
        return store.verify()


def _run_mutations(pristine: Path, directory: Path, chosen: list[Mutation]) -> None:
    missed = []
    for name, apply in chosen:
        report = _mutated_report(pristine, directory, apply)  # raises only if SQLite refuses
        if report.ok:
            missed.append(name)
    assert not missed, f"{len(missed)} of {len(chosen)} mutations went unnoticed: {missed}"


def test_there_are_hundreds_of_mutations(pristine: Path) -> None:
    found = mutations(pristine)
    assert len(found) > 500
    assert len({name for name, _ in found}) == len(found)


def test_verify_notices_a_sample_of_mutations(pristine: Path, tmp_path: Path) -> None:
    found = mutations(pristine)
    _run_mutations(pristine, tmp_path, found[::9])


@pytest.mark.slow
def test_verify_notices_every_mutation(
    pristine: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if not slow_selected(request.config):
        pytest.skip("exhaustive: run with -m slow or HALLFLOW_SLOW=1")
    _run_mutations(pristine, tmp_path, mutations(pristine))


@pytest.mark.parametrize(
    "respelling",
    [
        "UPDATE events SET payload = json(payload)",  # no spaces
        "UPDATE events SET payload = ' ' || payload || ' '",
    ],
)
def test_a_respelled_payload_is_not_a_change(
    pristine: Path, tmp_path: Path, respelling: str
) -> None:
    """The digest covers the payload's value (canonical JSON), not its spelling."""
    report = _mutated_report(pristine, tmp_path, _sql(respelling))
    assert report.ok, report.breaks


def test_garbage_anywhere_is_a_break_never_an_error(pristine: Path, tmp_path: Path) -> None:
    values: list[object] = ["", "x", b"\xff\xfe", 0, -(2**63), 2**63 - 1, 1e308, float("-inf")]
    tables = {
        "events": EVENT_COLUMNS,
        "cases": ["case_id", "version", "head", "matter"],
        "chain": ["case_id", "version", "head", "link"],
    }
    for table, columns in tables.items():
        for column, value in itertools.product(columns, values):

            def apply(
                conn: sqlite3.Connection,
                table: str = table,
                column: str = column,
                value: object = value,
            ) -> None:
                conn.execute(f"UPDATE {table} SET {column} = ?", (value,))

            try:
                report = _mutated_report(pristine, tmp_path, apply)
            except sqlite3.IntegrityError:
                continue  # e.g. every event given one seq: refused by the primary key
            if column != "matter":  # the row's query columns are a projection, not chained
                assert not report.ok, (table, column, value)


# --- full rewrites and truncation: what only a checkpoint can show ---------------------------


def test_a_full_rewrite_passes_alone_but_not_against_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "hall.db"
    key = Ed25519PrivateKey.generate()
    with SQLiteStore(path) as store:
        build_history(store)
        cp = Checkpoint.sign(store.head(), T0, key, "supervisor")
        store.append("c2", 2, [ev("closed")], mkrow("c2", 3))  # the hall goes on after it
    conn = sqlite3.connect(path, isolation_level=None)
    try:  # the attacker: change an early event, recompute every digest, head and link
        conn.execute("BEGIN")
        conn.execute(
            "UPDATE events SET payload = json_set(payload, '$.approved', json('true')) "
            "WHERE case_id = 'c3' AND seq = 2"
        )
        for (case_id,) in conn.execute("SELECT case_id FROM cases").fetchall():
            _resealed(conn, case_id)
        _relinked(conn)
        conn.execute("COMMIT")
    finally:
        conn.close()
    with SQLiteStore(path) as store:
        assert store.verify().ok  # the chains alone cannot tell
        report = store.verify(checkpoints=[cp])
        assert [(b.rule, b.position) for b in report.breaks] == [("checkpoint", cp.position)]
        assert cp.verify_signature(key.public_key())


def test_truncating_the_newest_appends_needs_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "hall.db"
    key = Ed25519PrivateKey.generate()
    with SQLiteStore(path) as store:
        build_history(store)
        before = store.row("c3")
        store.append("c3", 4, [ev("closed")], mkrow("c3", 5))
        cp = Checkpoint.sign(store.head(), T0, key, "supervisor")
    conn = sqlite3.connect(path, isolation_level=None)
    try:  # remove the newest append and everything that names it
        conn.execute("BEGIN")
        (position,) = conn.execute(
            "SELECT position FROM chain ORDER BY position DESC LIMIT 1"
        ).fetchone()
        conn.execute("DELETE FROM chain WHERE position = ?", (position,))
        conn.execute("DELETE FROM events WHERE case_id = 'c3' AND seq = 5")
        old_head = conn.execute(
            "SELECT digest FROM events WHERE case_id = 'c3' AND seq = 4"
        ).fetchone()[0]
        conn.execute(
            "UPDATE cases SET version = 4, state = ?, head = ? WHERE case_id = 'c3'",
            (before.state, old_head),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    with SQLiteStore(path) as store:
        assert store.verify().ok  # documented limit: a tail cut cleanly is consistent
        report = store.verify(checkpoints=[cp])
        assert [b.rule for b in report.breaks] == ["checkpoint"]
        assert "no longer has" in report.breaks[0].detail


# --- group commit keeps the chain gap-free -------------------------------------------------


def test_concurrent_appends_keep_the_hall_chain_gap_free(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "g.db", durability="normal") as store:
        barrier = threading.Barrier(8)
        outcomes: list[object] = []
        lock = threading.Lock()

        def clerk(i: int) -> None:
            barrier.wait()
            for n in range(15):
                case_id = f"shared-{n % 3}"
                version = store.version(case_id)
                try:
                    got: object = store.append(
                        case_id,
                        version,
                        [ev(actor=f"clerk-{i}")],
                        mkrow(case_id, version + 1),
                        idempotency_key=f"{i}-{n}",
                    )
                except ConcurrencyError as exc:
                    got = exc
                with lock:
                    outcomes.append(got)

        pool = [threading.Thread(target=clerk, args=(i,)) for i in range(8)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        written = sum(1 for o in outcomes if isinstance(o, int))
        assert written >= 3
        report = store.verify()
        assert report.ok, report.breaks
        assert report.positions == store.head().position == written


# --- migration from schema 1 ------------------------------------------------------------------


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    path = tmp_path / "store-v1.sqlite"
    shutil.copyfile(LEGACY, path)
    return path


def _raw_v1_events(path: Path) -> list[tuple[Any, ...]]:
    return _rows(
        path,
        "SELECT case_id, seq, kind, actor, at_utc, at_tz, payload, recorded_at FROM events "
        "ORDER BY case_id, seq",
    )


def test_the_legacy_fixture_is_schema_1() -> None:
    conn = sqlite3.connect(f"file:{LEGACY}?mode=ro&immutable=1", uri=True)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    finally:
        conn.close()


def test_a_schema_1_file_migrates_and_verifies(legacy: Path) -> None:
    before = _raw_v1_events(legacy)
    keys = _rows(legacy, "SELECT case_id, key, version FROM idempotency")
    assert len(before) == 22 and keys
    with SQLiteStore(legacy) as store:
        assert _rows(legacy, "PRAGMA user_version")[0][0] == SCHEMA_VERSION == 3
        report = store.verify()
        assert report.ok, report.breaks
        assert (report.cases, report.events, report.positions) == (3, 22, 3)
        assert store.head().position == 3  # one position per case, in case id order
        loaded = [e for case_id in store.case_ids() for e in store.load(case_id)]
        assert [
            (
                e.case_id,
                e.seq,
                e.kind,
                e.actor,
                *encode_instant(e.at),
                json.loads(raw[6]),
                e.recorded_at.isoformat(timespec="microseconds")[:-6],
            )
            for e, raw in zip(loaded, before, strict=True)
        ] == [(*raw[:6], json.loads(raw[6]), raw[7]) for raw in before]
        assert all(e.schema == 1 and is_digest(e.digest) for e in loaded)
        for case_id, key, version in keys:
            assert store.key_version(case_id, key) == version
        # The store goes on after the migration.
        case_id = store.case_ids()[-1]
        version = store.version(case_id)
        store.append(
            case_id, version, [ev("closed")], attrs.evolve(store.row(case_id), version=version + 1)
        )
        assert store.verify().ok


def test_the_backfill_is_deterministic(tmp_path: Path) -> None:
    heads = []
    for n in range(2):
        path = tmp_path / f"copy-{n}.sqlite"
        shutil.copyfile(LEGACY, path)
        with SQLiteStore(path) as store:
            heads.append((store.head(), [e.digest for e in store.load(store.case_ids()[0])]))
    assert heads[0] == heads[1]


def test_an_edit_after_the_migration_is_detected(legacy: Path) -> None:
    with SQLiteStore(legacy):
        pass  # migrates
    conn = sqlite3.connect(legacy, isolation_level=None)
    try:
        case_id, seq = conn.execute(
            "SELECT case_id, seq FROM events WHERE kind = 'decided' ORDER BY case_id LIMIT 1"
        ).fetchone()
        conn.execute(
            "UPDATE events SET payload = json_set(payload, '$.approved', "
            "json(CASE WHEN json_extract(payload, '$.approved') THEN 'false' ELSE 'true' END)) "
            "WHERE case_id = ? AND seq = ?",
            (case_id, seq),
        )
    finally:
        conn.close()
    with SQLiteStore(legacy) as store:
        assert rules(store.verify()) == {(case_id, seq, "event-digest")}


def test_a_damaged_schema_1_file_migrates_and_names_the_damage(tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite"
    shutil.copyfile(LEGACY, path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        case_id, seq = conn.execute("SELECT case_id, seq FROM events LIMIT 1").fetchone()
        conn.execute(
            "UPDATE events SET payload = 'not json' WHERE case_id = ? AND seq = ?", (case_id, seq)
        )
    finally:
        conn.close()
    with SQLiteStore(path) as store:
        report = store.verify()
        assert {(b.case_id, b.position, b.rule) for b in report.breaks} == {
            (case_id, seq, "event-decode")
        }


def test_a_schema_1_file_with_a_garbage_seq_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite"
    shutil.copyfile(LEGACY, path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:  # schema 1's CHECK (seq >= 1) lets text through: SQLite ranks text above numbers
        case_id, last = conn.execute(
            "SELECT case_id, MAX(seq) FROM events GROUP BY case_id ORDER BY case_id LIMIT 1"
        ).fetchone()
        conn.execute(
            "UPDATE events SET seq = 'last' WHERE case_id = ? AND seq = ?", (case_id, last)
        )
    finally:
        conn.close()
    with SQLiteStore(path) as store:
        report = store.verify()
        assert not report.ok
        assert (case_id, last, "event-decode") in rules(report)


# --- the documentation --------------------------------------------------------------------


DOCS = Path(__file__).resolve().parent.parent / "docs" / "store.md"


def test_every_rule_is_documented() -> None:
    text = DOCS.read_text("utf-8")
    table = set(re.findall(r"^\| `([a-z-]+)` \|", text, re.M))
    assert table == set(BREAK_RULES)


def test_the_checkpoint_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text("utf-8"), re.S)
    block = next(b for b in blocks if "Checkpoint.sign" in b)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "docs/store.md", "exec"), {})
    with SQLiteStore(tmp_path / "chained.db") as store:
        assert store.head().position == 1 and store.verify().ok


def test_head_refuses_a_damaged_newest_link(tmp_path: Path) -> None:
    path = tmp_path / "hall.db"
    with SQLiteStore(path) as store:
        build_history(store)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("UPDATE chain SET link = 'garbage' WHERE position = 8")
    finally:
        conn.close()
    with SQLiteStore(path) as store:
        with pytest.raises(StoreError, match="run verify"):
            store.head()
        assert (None, 8, "chain-decode") in {(None, p, r) for _, p, r in rules(store.verify())}


@settings(max_examples=300, deadline=None)
@given(document=json_documents())
def test_canonical_json_agrees_with_the_reference(document: dict[str, Any]) -> None:
    """The one-pass encoder against ``json.dumps`` with the canonical options."""
    reference = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    assert canonical_json(document) == reference
    assert canonical_json([1, "a", document]) == f'[1,"a",{reference}]'
