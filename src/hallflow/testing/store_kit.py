"""The store conformance kit: the :class:`~hallflow.store.base.EventStore` contract as tests.

Any store — hallflow's own or a third party's — is run through the same pytest tests by
subclassing :class:`StoreContract` in a test module and giving it a ``store_factory``
fixture, which returns a function that opens a new, empty store each time it is called::

    import pytest
    from hallflow.testing.store_kit import StoreContract, StoreUnderTest

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store_factory(self, tmp_path):
            made = []
            def factory():
                made.append(MyStore(tmp_path / f"{len(made)}.db"))
                return StoreUnderTest(made[-1], tamper=None)
            yield factory   # the kit closes the stores; clean up anything else here

The tests cover appends and versions, optimistic concurrency (threads racing), idempotency
keys and request digests, the row and its projection columns, ``find`` and its due window,
``load_many`` and ``append_many``, ``open_clocks`` and ``put_swept``, the hash chains (the
digests must be those of :mod:`hallflow.store.chain`, so a hall copied between stores
verifies), ``verify`` with checkpoints and — when the factory gives a ``tamper`` hook that
edits a stored payload behind the store's back — that ``verify`` names the edited event,
input validation (every refusal a :class:`~hallflow.errors.HallflowError` naming the field),
a closed store, and a hypothesis state machine comparing the store with
:class:`~hallflow.store.MemoryStore` on random command sequences.

Needs pytest and hypothesis (hallflow's ``test`` extra). ``docs/store.md`` ("Testing a store")
says more.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import attrs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from hallflow.errors import (
    AppendRequestError,
    CaseNotFoundError,
    ConcurrencyError,
    EventPayloadError,
    HallflowError,
    IdempotencyError,
    NaiveDatetimeError,
    StoreArgumentError,
    StoreError,
)
from hallflow.store.base import (
    Append,
    CaseRow,
    EventStore,
    KeyRecord,
    NewEvent,
    StoredEvent,
    encode_instant,
    even_cuts,
    utc_text,
)
from hallflow.store.chain import (
    ZERO,
    Checkpoint,
    chain_link,
    content_digest,
    event_digest,
    is_digest,
)
from hallflow.store.memory import MemoryStore

__all__ = [
    "Reopen",
    "StoreContract",
    "StoreFactory",
    "StoreModel",
    "StoreUnderTest",
    "Tamper",
    "expected_digests",
]

Tamper = Callable[[str, int, dict[str, Any]], None]
"""``tamper(case_id, seq, payload)``: overwrite one stored event's payload (its JSON) in the
store's storage, behind the store's back, as an intruder with write access would."""


@attrs.define(frozen=True)
class Reopen:
    """How another process opens the same store: ``module:callable`` and its arguments.

    The kill test runs a writer in a child process, which imports ``target`` (say
    ``"hallflow.store:SQLiteStore"``) and calls it with ``args`` and ``kwargs`` (JSON
    values: the child gets them on its command line) to open the store the test reads.

    Attributes:
        target: ``"package.module:callable"`` returning an open store.
        args: positional arguments (JSON values).
        kwargs: keyword arguments (JSON values).
    """

    target: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = attrs.field(factory=dict)

    def open(self) -> EventStore:
        """Open the store (what the child process does)."""
        module, _, name = self.target.partition(":")
        opener = getattr(importlib.import_module(module), name)
        store: EventStore = opener(*self.args, **self.kwargs)
        return store

    def to_json(self) -> str:
        """The spec as JSON, for the child's command line."""
        return json.dumps([self.target, list(self.args), self.kwargs])

    @classmethod
    def from_json(cls, text: str) -> Reopen:
        """Read :meth:`to_json`'s text."""
        target, args, kwargs = json.loads(text)
        return cls(target, tuple(args), kwargs)


@attrs.define(frozen=True)
class StoreUnderTest:
    """A fresh, empty store for one test, how to tamper with it, and how to reopen it.

    Attributes:
        store: the store; the kit closes it.
        tamper: the store's tamper hook, or None (the tamper test then skips).
        reopen: how another process opens the same store, or None for a store that lives
            in one process (the kill test then skips).
    """

    store: EventStore
    tamper: Tamper | None = None
    reopen: Reopen | None = None


StoreFactory = Callable[[], StoreUnderTest]
"""Opens a new, empty store each call."""

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=SH)


def _ev(
    kind: str = "received",
    actor: str = "clerk-1",
    at: dt.datetime = T0,
    payload: Mapping[str, Any] | None = None,
    schema: int = 1,
) -> NewEvent:
    return NewEvent(kind, actor, at, {} if payload is None else dict(payload), schema)


def _row(
    case_id: str,
    version: int,
    *,
    state: str = "received",
    matter: str = "m1",
    applicant: str = "a1",
    window: str = "w1",
    due: dt.datetime | None = None,
    clocks: bytes | None = None,
    swept: bytes | None = None,
) -> CaseRow:
    return CaseRow(case_id, matter, applicant, window, state, due, version, clocks, swept)


def expected_digests(events: list[StoredEvent]) -> list[str]:
    """The digests a case's loaded events must carry, computed by :mod:`hallflow.store.chain`.

    Any two stores agree on them, so a hall copied from one to another verifies.
    """
    head = ZERO
    out = []
    for e in events:
        at_utc, at_tz = encode_instant(e.at)
        content = content_digest(
            e.case_id, e.seq, e.kind, e.actor, at_utc, at_tz, e.schema, dict(e.payload)
        )
        head = event_digest(head, content, utc_text(e.recorded_at))
        out.append(head)
    return out


def _outcome(call: Callable[[], object]) -> object:
    """What a call gives, comparable between stores: its value, or its error's type and text."""
    try:
        value = call()
    except HallflowError as exc:
        return (type(exc), str(exc))
    if isinstance(value, list):
        return [(type(v), str(v)) if isinstance(v, HallflowError) else v for v in value]
    return value


class StoreContract:
    """The EventStore contract as pytest tests: subclass it as ``TestXxx`` with a factory.

    Override the ``store_factory`` fixture (see the module). Class attributes tune the
    kit: :attr:`model_settings` (the state machine's hypothesis settings) and
    :attr:`race_threads` (how many threads race on one version).
    """

    model_settings: ClassVar[settings] = settings(
        max_examples=25,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    race_threads: ClassVar[int] = 8

    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        """Override: return a function that opens a new, empty store each call."""
        pytest.fail(f"{type(self).__name__} must define the store_factory fixture")

    @pytest.fixture
    def subject(self, store_factory: StoreFactory) -> Iterator[StoreUnderTest]:
        """One fresh store (and its tamper hook) for a test; closed afterwards."""
        made = store_factory()
        try:
            yield made
        finally:
            made.store.close()

    @pytest.fixture
    def store(self, subject: StoreUnderTest) -> EventStore:
        """The test's store."""
        return subject.store

    # --- append, load, version, row --------------------------------------------------------

    def test_append_then_load(self, store: EventStore) -> None:
        """Events load back equal, with seqs, zone, schema, UTC recorded_at and digests."""
        first = _ev(payload={"materials": ["营业执照", "身份证"], "fee": "0.00", "nul": "a\x00b"})
        second = _ev("accepted", "clerk-2", T0 + dt.timedelta(hours=1), {"ok": True}, schema=2)
        assert store.append("c1", 0, [first, second], _row("c1", 2, state="accepted")) == 2
        loaded = store.load("c1")
        assert [(e.case_id, e.seq, e.kind, e.actor, e.at, e.payload, e.schema) for e in loaded] == [
            ("c1", 1, "received", "clerk-1", T0, first.payload, 1),
            ("c1", 2, "accepted", "clerk-2", T0 + dt.timedelta(hours=1), {"ok": True}, 2),
        ]
        for e in loaded:
            assert e.at.tzinfo == SH
            assert e.recorded_at.utcoffset() == dt.timedelta(0)
            assert abs(e.recorded_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
            assert is_digest(e.digest)
        assert store.version("c1") == 2
        assert store.row("c1") == _row("c1", 2, state="accepted")
        assert store.case_ids() == ["c1"]

    def test_appends_continue_the_sequence_and_replace_the_row(self, store: EventStore) -> None:
        """A second append gets the next seqs and its row replaces the first."""
        store.append("c1", 0, [_ev()], _row("c1", 1))
        due = dt.datetime(2026, 3, 20, 17, tzinfo=SH)
        row = _row("c1", 3, state="accepted", window="w2", due=due, clocks=b"\x01", swept=b"")
        assert store.append("c1", 1, [_ev("a"), _ev("b")], row) == 3
        assert [e.seq for e in store.load("c1")] == [1, 2, 3]
        assert store.row("c1") == row
        assert store.row("c1").due == due

    def test_a_missing_case(self, store: EventStore) -> None:
        """A case never appended to is absent from every read."""
        with pytest.raises(CaseNotFoundError):
            store.load("nope")
        with pytest.raises(CaseNotFoundError):
            store.row("nope")
        assert store.version("nope") == 0
        assert store.key_version("nope", "k") is None
        assert store.idempotency("nope", "k") is None
        assert store.load_many(["nope"]) == {}
        assert store.case_ids() == []

    def test_instants_keep_their_zone(self, store: EventStore) -> None:
        """Each instant loads back in its zone: an IANA zone, a fixed offset, UTC."""
        zones: list[dt.tzinfo] = [
            SH,
            ZoneInfo("America/New_York"),
            dt.timezone(dt.timedelta(hours=5, minutes=30)),
            dt.UTC,
        ]
        events = [_ev(at=T0.astimezone(z)) for z in zones]
        store.append("z", 0, events, _row("z", len(events)))
        for got, want in zip(store.load("z"), events, strict=True):
            assert got.at == want.at
            assert got.at.utcoffset() == want.at.utcoffset()
            assert encode_instant(got.at) == encode_instant(want.at)

    # --- optimistic concurrency --------------------------------------------------------------

    @pytest.mark.parametrize("expected", [0, 1, 3])
    def test_a_wrong_version_is_a_conflict(self, store: EventStore, expected: int) -> None:
        """An append at a version the case is not at is refused and writes nothing."""
        store.append("c1", 0, [_ev(), _ev()], _row("c1", 2))
        head = store.head()
        with pytest.raises(ConcurrencyError) as info:
            store.append("c1", expected, [_ev()], _row("c1", expected + 1))
        assert (info.value.expected, info.value.actual) == (expected, 2)
        assert store.version("c1") == 2
        assert store.head() == head

    def test_expecting_an_absent_case_is_a_conflict(self, store: EventStore) -> None:
        """Expecting version 2 of a case that does not exist is a conflict at 0."""
        with pytest.raises(ConcurrencyError) as info:
            store.append("c9", 2, [_ev()], _row("c9", 3))
        assert info.value.actual == 0
        assert store.case_ids() == []

    def test_threads_racing_on_one_version_one_wins(self, store: EventStore) -> None:
        """Threads appending at the same version: exactly one wins, the others conflict."""
        store.append("race", 0, [_ev()], _row("race", 1))
        barrier = threading.Barrier(self.race_threads)
        outcomes: list[object] = []
        lock = threading.Lock()

        def attempt(n: int) -> None:
            barrier.wait()
            try:
                result: object = store.append("race", 1, [_ev(actor=f"clerk-{n}")], _row("race", 2))
            except ConcurrencyError as exc:
                result = exc
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(self.race_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert outcomes.count(2) == 1
        assert sum(isinstance(o, ConcurrencyError) for o in outcomes) == self.race_threads - 1
        assert store.version("race") == 2
        assert store.verify().ok

    # --- idempotency -------------------------------------------------------------------------

    def test_the_same_request_twice_applies_once(self, store: EventStore) -> None:
        """A repeat with the key answers the old version, even after the case moved on."""
        events = [_ev(payload={"n": 1})]
        assert store.append("c1", 0, events, _row("c1", 1), idempotency_key="k1") == 1
        same = [_ev(at=T0.astimezone(dt.UTC), payload={"n": 1})]  # same instant, other zone
        assert store.append("c1", 0, same, _row("c1", 1), idempotency_key="k1") == 1
        store.append("c1", 1, [_ev("accepted")], _row("c1", 2))
        assert store.append("c1", 0, events, _row("c1", 1), idempotency_key="k1") == 1
        assert store.version("c1") == 2
        assert store.key_version("c1", "k1") == 1
        record = store.idempotency("c1", "k1")
        assert isinstance(record, KeyRecord) and record.version == 1
        assert store.head().position == 2

    @pytest.mark.parametrize(
        "other",
        [
            _ev(payload={"n": 1.0}),
            _ev(payload={"n": 2}),
            _ev(kind="accepted", payload={"n": 1}),
            _ev(actor="clerk-2", payload={"n": 1}),
            _ev(at=T0 + dt.timedelta(microseconds=1), payload={"n": 1}),
            _ev(payload={"n": 1}, schema=2),
        ],
        ids=["float", "value", "kind", "actor", "instant", "schema"],
    )
    def test_a_key_reused_for_another_request_is_refused(
        self, store: EventStore, other: NewEvent
    ) -> None:
        """The same key with a request that differs in anything is an IdempotencyError."""
        store.append("c1", 0, [_ev(payload={"n": 1})], _row("c1", 1), idempotency_key="k")
        with pytest.raises(IdempotencyError):
            store.append("c1", 1, [other], _row("c1", 2), idempotency_key="k")
        assert store.version("c1") == 1

    def test_a_request_digest_binds_the_key(self, store: EventStore) -> None:
        """With a request_digest the key is bound to it, not to the events."""
        store.append("c1", 0, [_ev()], _row("c1", 1), idempotency_key="k", request_digest="d1")
        assert store.idempotency("c1", "k") == KeyRecord("d1", 1)
        later = [_ev(at=T0 + dt.timedelta(seconds=5))]
        assert (
            store.append("c1", 0, later, _row("c1", 1), idempotency_key="k", request_digest="d1")
            == 1
        )
        with pytest.raises(IdempotencyError):
            store.append("c1", 1, [_ev()], _row("c1", 2), idempotency_key="k", request_digest="d2")
        with pytest.raises(AppendRequestError) as info:
            store.append("c1", 1, [_ev()], _row("c1", 2), request_digest="d3")
        assert info.value.field == "request_digest"

    def test_keys_belong_to_their_case_and_refusals_keep_them(self, store: EventStore) -> None:
        """A key is per case; an append refused for its version does not use the key up."""
        store.append("c1", 0, [_ev()], _row("c1", 1), idempotency_key="k")
        assert store.append("c2", 0, [_ev()], _row("c2", 1), idempotency_key="k") == 1
        with pytest.raises(ConcurrencyError):
            store.append("c2", 0, [_ev("x")], _row("c2", 1), idempotency_key="k2")
        assert store.key_version("c2", "k2") is None
        assert store.append("c2", 1, [_ev("x")], _row("c2", 2), idempotency_key="k2") == 2

    # --- validation --------------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("call", "field"),
        [
            (lambda s: s.append("c1", 0, [], _row("c1", 1)), "events"),
            (lambda s: s.append("c1", -1, [_ev()], _row("c1", 0 + 1)), "expected_version"),
            (lambda s: s.append("c1", True, [_ev()], _row("c1", 2)), "expected_version"),
            (lambda s: s.append("", 0, [_ev()], _row("c1", 1)), "case_id"),
            (lambda s: s.append("c1", 0, [_ev()], _row("c2", 1)), "row.case_id"),
            (lambda s: s.append("c1", 0, [_ev()], _row("c1", 2)), "row.version"),
            (lambda s: s.append("c1", 0, ["x"], _row("c1", 1)), "events[0]"),
            (lambda s: s.append("c1", 0, [_ev()], "row"), "row"),
            (
                lambda s: s.append("c1", 0, [_ev()], _row("c1", 1), idempotency_key=""),
                "idempotency_key",
            ),
            (lambda s: s.append("c1", 0, "ab", _row("c1", 2)), "events"),
            (lambda s: s.append_many("x"), "appends"),
            (lambda s: s.append_many([1]), "appends[0]"),
            (lambda s: s.load(1), "case_id"),
            (lambda s: s.row(None), "case_id"),
            (lambda s: s.version(b"c1"), "case_id"),
            (lambda s: s.key_version("c1", 3), "key"),
            (lambda s: s.idempotency(3, "k"), "case_id"),
            (lambda s: s.find(matter=1), "matter"),
            (lambda s: s.find(window=["w"]), "window"),
            (lambda s: s.load_many("c1"), "case_ids"),
            (lambda s: s.load_many(["c1", 2]), "case_ids[1]"),
            (lambda s: s.open_clocks(after=1), "after"),
            (lambda s: s.open_clocks(limit=0), "limit"),
            (lambda s: s.put_swept("x"), "marks"),
            (lambda s: s.put_swept([("c1", 0, None, b"")]), "marks[0]"),
            (lambda s: s.put_swept([("c1", 1, None, None)]), "marks[0]"),
        ],
    )
    def test_bad_input_is_refused_naming_the_field(
        self, store: EventStore, call: Callable[[Any], object], field: str
    ) -> None:
        """Malformed requests raise a HallflowError naming the field, and change nothing."""
        with pytest.raises(HallflowError) as info:
            call(store)
        assert isinstance(info.value, (AppendRequestError, StoreArgumentError))
        assert info.value.field == field
        assert store.case_ids() == []
        assert store.head().position == 0

    @pytest.mark.parametrize(
        ("payload", "path"),
        [
            ({"x": float("nan")}, "events[0].payload['x']"),
            ({"x": (1, 2)}, "events[0].payload['x']"),
            ({"x": {1: "a"}}, "events[0].payload['x'][1]"),
            ({"x": ["ok", dt.date(2026, 1, 1)]}, "events[0].payload['x'][1]"),
            ({"x": "\ud800"}, "events[0].payload['x']"),
        ],
    )
    def test_payloads_must_survive_json(
        self, store: EventStore, payload: dict[str, Any], path: str
    ) -> None:
        """A payload that would not load back equal is refused, naming the place."""
        with pytest.raises(EventPayloadError) as info:
            store.append("c1", 0, [_ev(payload=payload)], _row("c1", 1))
        assert info.value.path == path
        assert store.version("c1") == 0

    def test_naive_due_bounds_are_refused(self, store: EventStore) -> None:
        """A due bound without a zone is a NaiveDatetimeError."""
        with pytest.raises(NaiveDatetimeError):
            store.find(due_from=dt.datetime(2026, 3, 2))

    def test_loads_are_copies(self, store: EventStore) -> None:
        """Changing what load returned, or the appended dict, changes nothing stored."""
        payload: dict[str, Any] = {"list": [1, 2], "map": {"a": "b"}}
        store.append("c1", 0, [_ev(payload=payload)], _row("c1", 1))
        payload["list"].append(3)
        loaded = store.load("c1")[0].payload
        assert loaded == {"list": [1, 2], "map": {"a": "b"}}
        loaded["map"]["a"] = "changed"
        assert store.load("c1")[0].payload == {"list": [1, 2], "map": {"a": "b"}}

    # --- queries -----------------------------------------------------------------------------

    def _populate(self, store: EventStore) -> None:
        due = dt.datetime(2026, 3, 10, 17, tzinfo=SH)
        specs = [
            ("c1", "m1", "a1", "w1", "received", None),
            ("c2", "m1", "a2", "w2", "accepted", due),
            ("c3", "m2", "a1", "w1", "accepted", due + dt.timedelta(days=1)),
            ("c4", "m2", "a2", "w2", "decided", due.astimezone(dt.UTC) - dt.timedelta(hours=1)),
        ]
        for case_id, matter, applicant, window, state, when in specs:
            row = _row(
                case_id, 1, matter=matter, applicant=applicant, window=window, state=state, due=when
            )
            store.append(case_id, 0, [_ev()], row)

    def test_find_by_each_field(self, store: EventStore) -> None:
        """Each filter selects its rows; filters combine; rows come by case id."""
        self._populate(store)

        def ids(rows: list[CaseRow]) -> list[str]:
            return [r.case_id for r in rows]

        assert ids(store.find()) == ["c1", "c2", "c3", "c4"]
        assert ids(store.find(matter="m2")) == ["c3", "c4"]
        assert ids(store.find(applicant="a1")) == ["c1", "c3"]
        assert ids(store.find(window="w2", state="decided")) == ["c4"]
        assert ids(store.find(state="accepted", applicant="a1")) == ["c3"]
        assert ids(store.find(matter="zzz")) == []

    def test_find_due_in_a_half_open_window(self, store: EventStore) -> None:
        """due_from <= due < due_to, compared as instants; no due date never matches."""
        self._populate(store)
        due = dt.datetime(2026, 3, 10, 17, tzinfo=SH)
        got = store.find(due_from=due.astimezone(dt.UTC), due_to=due + dt.timedelta(days=1))
        assert [r.case_id for r in got] == ["c2"]
        assert [r.case_id for r in store.find(due_to=due)] == ["c4"]
        assert [r.case_id for r in store.find(due_from=due)] == ["c2", "c3"]
        assert store.find(due_from=due, due_to=due) == []

    def test_ids_sort_by_code_point(self, store: EventStore) -> None:
        """case_ids, find and open_clocks order ids as Python sorts str (code points)."""
        ids = ["b", "B", "a-2", "a_1", "ä", "中", "a", "Z9", "a b"]
        for case_id in ids:
            store.append(case_id, 0, [_ev()], _row(case_id, 1))
        assert store.case_ids() == sorted(ids)
        assert [r.case_id for r in store.find()] == sorted(ids)
        assert [r[0] for r in store.open_clocks()] == sorted(ids)

    def test_load_many(self, store: EventStore) -> None:
        """Several cases' events as load gives them; absent cases are left out."""
        store.append("c1", 0, [_ev(), _ev("a")], _row("c1", 2))
        store.append("c2", 0, [_ev(payload={"x": [1]})], _row("c2", 1))
        got = store.load_many(["c2", "absent", "c1"])
        assert set(got) == {"c1", "c2"}
        assert got["c1"] == store.load("c1")
        assert got["c2"] == store.load("c2")
        assert [e.digest for e in got["c1"]] == [e.digest for e in store.load("c1")]
        assert store.load_many([]) == {}

    def test_append_many_checks_each_on_its_own(self, store: EventStore) -> None:
        """Refused appends answer with their refusal; the others, in order, commit."""
        store.append("c1", 0, [_ev()], _row("c1", 1), idempotency_key="k")
        outcomes = store.append_many(
            [
                Append("c2", 0, [_ev()], _row("c2", 1)),
                Append("c1", 0, [_ev("x")], _row("c1", 1)),  # stale
                Append("c1", 1, [_ev("y")], _row("c1", 2), idempotency_key="k"),  # reused
                Append("c2", 1, [_ev("z"), _ev("z")], _row("c2", 3)),  # after the first
                Append("c1", 0, [_ev()], _row("c1", 1), idempotency_key="k"),  # a repeat
            ]
        )
        assert outcomes[0] == 1 and outcomes[3] == 3 and outcomes[4] == 1
        assert isinstance(outcomes[1], ConcurrencyError) and outcomes[1].actual == 1
        assert isinstance(outcomes[2], IdempotencyError)
        assert store.version("c1") == 1 and store.version("c2") == 3
        assert store.head().position == 3
        assert store.append_many([]) == []
        report = store.verify()
        assert report.ok, report.breaks

    def test_append_many_refuses_a_malformed_batch_whole(self, store: EventStore) -> None:
        """One malformed append: nothing of the batch is appended."""
        with pytest.raises(AppendRequestError) as info:
            store.append_many(
                [Append("c1", 0, [_ev()], _row("c1", 1)), Append("c2", 0, [_ev()], _row("c2", 2))]
            )
        assert info.value.field == "row.version"
        assert store.case_ids() == []

    def test_open_clocks_and_put_swept(self, store: EventStore) -> None:
        """open_clocks pages by case id over rows with clocks not b""; put_swept is a cache."""
        for n, clocks in enumerate([b"\x01", b"", None, b"\x02\x00", b"", b"\x03"]):
            case_id = f"c{n}"
            store.append(case_id, 0, [_ev()], _row(case_id, 1, clocks=clocks))
        assert store.open_clocks() == [
            ("c0", "m1", 1, b"\x01", None),
            ("c2", "m1", 1, None, None),
            ("c3", "m1", 1, b"\x02\x00", None),
            ("c5", "m1", 1, b"\x03", None),
        ]
        assert [r[0] for r in store.open_clocks(limit=2)] == ["c0", "c2"]
        assert [r[0] for r in store.open_clocks(after="c2", limit=2)] == ["c3", "c5"]
        assert store.open_clocks(after="c5") == []
        assert [r[0] for r in store.open_clocks(until="c3")] == ["c0", "c2", "c3"]
        assert [r[0] for r in store.open_clocks(after="c0", until="c4")] == ["c2", "c3"]
        assert [r[0] for r in store.open_clocks(after="c0", until="c4", limit=1)] == ["c2"]
        assert store.open_clocks(after="c3", until="c3") == []
        head = store.head()
        done = store.put_swept(
            [
                ("c0", 1, None, b"s0"),
                ("c2", 1, b"", b"s2"),
                ("c3", 9, None, b"no"),
                ("zz", 1, None, b""),
            ]
        )
        assert done == 2
        assert store.row("c0").swept == b"s0" and store.row("c0").clocks == b"\x01"
        assert store.row("c2").clocks == b"" and store.row("c2").swept == b"s2"
        assert store.row("c3").swept is None
        assert [r[0] for r in store.open_clocks()] == ["c0", "c3", "c5"]
        assert store.head() == head and store.version("c0") == 1
        assert store.put_swept([]) == 0
        report = store.verify()
        assert report.ok, report.breaks

    def test_split_cases_cuts_into_nearly_equal_ranges(self, store: EventStore) -> None:
        """split_cases gives the ids at every i * n // parts boundary (even_cuts)."""
        assert store.split_cases(3) == []
        ids = [f"c{n:02d}" for n in range(11)]
        store.append_many([Append(c, 0, [_ev()], _row(c, 1)) for c in reversed(ids)])
        for parts in (1, 2, 3, 4, 11, 12, 50):
            assert store.split_cases(parts) == even_cuts(ids, parts), parts
        assert store.split_cases(4) == ["c01", "c04", "c07"]
        for bad in (0, 10_001, 1.0, "2", None):
            with pytest.raises(StoreArgumentError) as info:
                store.split_cases(bad)  # type: ignore[arg-type]
            assert info.value.field == "parts"

    # --- chains and verify -------------------------------------------------------------------

    def test_chains_use_the_shared_digests(self, store: EventStore) -> None:
        """Event digests and the hall chain's links are those of hallflow.store.chain."""
        appends = [("c1", 0, 2), ("c2", 0, 1), ("c1", 2, 1), ("c3", 0, 3), ("c2", 1, 1)]
        link = ZERO
        for position, (case_id, expected, count) in enumerate(appends, start=1):
            events = [_ev(f"k{i}", payload={"p": position, "i": i}) for i in range(count)]
            version = store.append(case_id, expected, events, _row(case_id, expected + count))
            loaded = store.load(case_id)
            assert [e.digest for e in loaded] == expected_digests(loaded)
            link = chain_link(link, position, case_id, version, loaded[-1].digest)
            assert store.head().position == position
            assert store.head().link == link
        report = store.verify()
        assert report.ok, report.breaks
        assert (report.cases, report.events, report.positions) == (3, 8, 5)

    def test_verify_checks_checkpoints(self, store: EventStore) -> None:
        """A checkpoint of the head verifies; one with another link is a break."""
        store.append("c1", 0, [_ev()], _row("c1", 1))
        key = Ed25519PrivateKey.generate()
        good = Checkpoint.sign(store.head(), T0, key, key_id="k")
        store.append("c2", 0, [_ev()], _row("c2", 1))
        assert store.verify(checkpoints=[good]).ok
        forged = Checkpoint.sign(
            attrs.evolve(store.head(), link="0" * 63 + "1"), T0, key, key_id="k"
        )
        report = store.verify(checkpoints=[forged])
        assert [b.rule for b in report.breaks] == ["checkpoint"]
        with pytest.raises(StoreError):
            store.verify(checkpoints=good)  # type: ignore[arg-type]

    def test_verify_names_an_edited_event(self, subject: StoreUnderTest) -> None:
        """A payload edited behind the store's back is reported at its case and seq."""
        if subject.tamper is None:
            pytest.skip("this store's factory gives no tamper hook")
        store = subject.store
        store.append("c1", 0, [_ev(payload={"approved": False}), _ev("x")], _row("c1", 2))
        store.append("c2", 0, [_ev()], _row("c2", 1))
        assert store.verify().ok
        subject.tamper("c1", 1, {"approved": True})
        assert store.load("c1")[0].payload == {"approved": True}
        report = store.verify()
        assert not report.ok
        assert ("c1", 1, "event-digest") in [(b.case_id, b.position, b.rule) for b in report.breaks]
        assert all(b.case_id == "c1" for b in report.breaks)

    # --- a writer killed mid-append ----------------------------------------------------------

    kill_rounds: ClassVar[int] = 3

    def test_a_writer_killed_mid_append_loses_no_acknowledged_append(
        self, subject: StoreUnderTest
    ) -> None:
        """SIGKILL a child appending in a loop: every append it acknowledged is stored whole.

        The child prints ``CASE VERSION`` only after ``append`` returned; after each kill
        every acknowledged append is in the store, every case has contiguous seqs and a row
        of its version, and ``verify`` is clean.
        """
        if subject.reopen is None:
            pytest.skip("this store's factory gives no way to reopen it in another process")
        if os.name != "posix":
            pytest.skip("SIGKILL is POSIX")
        store = subject.store
        rng = random.Random(20260302)
        acknowledged: dict[str, int] = {}
        for round_ in range(self.kill_rounds):
            child = subprocess.Popen(
                [
                    *(sys.executable, "-m", "hallflow.testing.store_kit", "crash"),
                    *(subject.reopen.to_json(), f"r{round_}"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert child.stdout is not None
            first = child.stdout.readline()  # the child is up and appending
            assert first, child.communicate()[1]
            time.sleep(rng.uniform(0.05, 0.3))
            child.send_signal(signal.SIGKILL)
            rest, _ = child.communicate(timeout=60)
            assert child.returncode == -signal.SIGKILL
            for line in (first + rest).split("\n")[:-1]:  # a cut-off last line: not counted
                case_id, version = line.split()
                acknowledged[case_id] = max(acknowledged.get(case_id, 0), int(version))
            stored = set(store.case_ids())
            assert set(acknowledged) <= stored
            for case_id in stored:
                events = store.load(case_id)
                assert [e.seq for e in events] == list(range(1, len(events) + 1))
                assert store.row(case_id).version == len(events) >= acknowledged.get(case_id, 1)
                assert store.row(case_id).applicant == f"applicant-{len(events)}"
            report = store.verify()
            assert report.ok, report.breaks
            assert report.positions == store.head().position
        assert len(acknowledged) >= self.kill_rounds

    # --- life cycle --------------------------------------------------------------------------

    def test_a_closed_store_refuses_calls(self, store: EventStore) -> None:
        """After close every call raises StoreError; closing again is fine."""
        store.append("c1", 0, [_ev()], _row("c1", 1))
        with store as entered:
            assert entered is store
        store.close()
        calls: list[Callable[[], object]] = [
            lambda: store.append("c2", 0, [_ev()], _row("c2", 1)),
            lambda: store.append_many([Append("c2", 0, [_ev()], _row("c2", 1))]),
            lambda: store.load("c1"),
            lambda: store.load_many(["c1"]),
            lambda: store.version("c1"),
            lambda: store.row("c1"),
            lambda: store.find(),
            lambda: store.case_ids(),
            lambda: store.open_clocks(),
            lambda: store.put_swept([("c1", 1, None, b"")]),
            lambda: store.key_version("c1", "k"),
            lambda: store.idempotency("c1", "k"),
            lambda: store.head(),
            lambda: store.verify(),
        ]
        for call in calls:
            with pytest.raises(StoreError):
                call()

    # --- the model ---------------------------------------------------------------------------

    def test_the_store_behaves_as_the_memory_store(self, store_factory: StoreFactory) -> None:
        """Random command sequences give the same answers as on a MemoryStore."""
        machine = type("Model", (StoreModel,), {"factory": staticmethod(store_factory)})
        run_state_machine_as_test(machine, settings=self.model_settings)


_CASES = ["c1", "c2", "c3", "中-4"]
_KEYS = ["k1", "k2"]
_ZONES: list[dt.tzinfo] = [SH, dt.UTC, dt.timezone(dt.timedelta(hours=-3, minutes=-30))]
_instants = st.builds(
    lambda minutes, zone: (T0 + dt.timedelta(minutes=minutes)).astimezone(zone),
    st.integers(0, 60 * 24 * 400),
    st.sampled_from(_ZONES),
)
_json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"]), max_size=6)
)
_json = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
_events = st.lists(
    st.builds(
        NewEvent,
        kind=st.sampled_from(["received", "accepted", "decided"]),
        actor=st.sampled_from(["clerk-1", "窗口-2"]),
        at=_instants,
        payload=st.dictionaries(st.text(max_size=4), _json, max_size=3),
        schema=st.sampled_from([1, 1, 2]),
    ),
    min_size=1,
    max_size=3,
)
_clocks = st.none() | st.sampled_from([b"", b"\x01", b"\x00\xff"])


class StoreModel(RuleBasedStateMachine):
    """Random commands run against the store under test and a MemoryStore, compared.

    Set ``factory`` (a :data:`StoreFactory`) on a subclass. Every answer — a value, or an
    error's type and message — must be the same on both, and after each step both must hold
    the same cases, events, rows and keys, the same chain position, and verify clean.
    """

    factory: Callable[[], StoreUnderTest]

    def __init__(self) -> None:
        super().__init__()
        self.reference = MemoryStore()
        self.store = self.factory().store
        self.requests: list[Append] = []
        self.used_keys: set[tuple[str, str]] = set()

    def teardown(self) -> None:
        """Close both stores."""
        self.store.close()
        self.reference.close()

    def _both(self, call: Callable[[EventStore], object]) -> object:
        want = _outcome(lambda: call(self.reference))
        got = _outcome(lambda: call(self.store))
        assert got == want
        return want

    def _request(self, data: st.DataObject) -> Append:
        case_id = data.draw(st.sampled_from(_CASES))
        delta = data.draw(st.sampled_from([0, 0, 0, -1, 1]))
        expected = max(0, self.reference.version(case_id) + delta)
        events = data.draw(_events)
        key = data.draw(st.none() | st.sampled_from(_KEYS))
        digest = data.draw(st.none() | st.sampled_from(["d1", "d2"])) if key else None
        row = _row(
            case_id,
            expected + len(events),
            state=events[-1].kind,
            applicant=data.draw(st.sampled_from(["a1", "a2"])),
            due=data.draw(st.none() | _instants),
            clocks=data.draw(_clocks),
            swept=data.draw(st.none() | st.just(b"s")),
        )
        return Append(case_id, expected, events, row, key, digest)

    def _record(self, request: Append) -> None:
        self.requests.append(request)
        if request.idempotency_key is not None:
            self.used_keys.add((request.case_id, request.idempotency_key))

    @rule(data=st.data())
    def append(self, data: st.DataObject) -> None:
        """One append, right or wrong version, with or without a key."""
        r = self._request(data)
        self._both(
            lambda s: s.append(
                r.case_id,
                r.expected_version,
                r.events,
                r.row,
                idempotency_key=r.idempotency_key,
                request_digest=r.request_digest,
            )
        )
        self._record(r)

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        """An earlier request sent again (a client that timed out)."""
        r = data.draw(st.sampled_from(self.requests))
        self._both(
            lambda s: s.append(
                r.case_id,
                r.expected_version,
                r.events,
                r.row,
                idempotency_key=r.idempotency_key,
                request_digest=r.request_digest,
            )
        )

    @rule(data=st.data(), count=st.integers(1, 4))
    def append_many(self, data: st.DataObject, count: int) -> None:
        """Several appends in one call (their versions drawn against the state before)."""
        batch = [self._request(data) for _ in range(count)]
        self._both(lambda s: s.append_many(batch))
        for r in batch:
            self._record(r)

    @rule(data=st.data())
    def put_swept(self, data: st.DataObject) -> None:
        """Sweep marks, some for stale versions or absent cases."""
        marks = []
        for case_id in data.draw(st.lists(st.sampled_from(_CASES), max_size=3)):
            version = max(
                1, self.reference.version(case_id) + data.draw(st.sampled_from([0, 0, 1]))
            )
            marks.append(
                (case_id, version, data.draw(_clocks), data.draw(st.sampled_from([b"", b"x"])))
            )
        self._both(lambda s: s.put_swept(marks))

    @rule(
        applicant=st.none() | st.sampled_from(["a1", "a2"]),
        state=st.none() | st.sampled_from(["received", "decided"]),
        due_from=st.none() | _instants,
        span=st.none() | st.timedeltas(dt.timedelta(0), dt.timedelta(days=300)),
    )
    def find(
        self,
        applicant: str | None,
        state: str | None,
        due_from: dt.datetime | None,
        span: dt.timedelta | None,
    ) -> None:
        """Run find with random filters."""
        due_to = None if due_from is None or span is None else due_from + span
        self._both(
            lambda s: s.find(applicant=applicant, state=state, due_from=due_from, due_to=due_to)
        )

    @rule(after=st.none() | st.sampled_from(["", "c1", "c2\x00", "c9"]), limit=st.integers(1, 3))
    def open_clocks(self, after: str | None, limit: int) -> None:
        """A page of the sweep's keyset read."""
        self._both(lambda s: s.open_clocks(after=after, limit=limit))

    @rule(case_ids=st.lists(st.sampled_from([*_CASES, "absent"]), max_size=4))
    def load_many(self, case_ids: list[str]) -> None:
        """Several cases at once."""
        self._both(lambda s: {k: [_plain(e) for e in v] for k, v in s.load_many(case_ids).items()})

    @invariant()
    def same_state(self) -> None:
        """Both stores hold the same cases, events, rows, keys and chain position."""
        self._both(lambda s: s.case_ids())
        for case_id in _CASES:
            self._both(lambda s, c=case_id: s.version(c))  # type: ignore[misc]
            self._both(lambda s, c=case_id: s.row(c))  # type: ignore[misc]
            self._both(lambda s, c=case_id: [_plain(e) for e in s.load(c)])  # type: ignore[misc]
            for key in _KEYS:
                self._both(lambda s, c=case_id, k=key: s.idempotency(c, k))  # type: ignore[misc]
        loaded = {c: self.store.load(c) for c in self.store.case_ids()}
        for events in loaded.values():
            assert [e.digest for e in events] == expected_digests(events)
        assert self.store.head().position == self.reference.head().position
        report = self.store.verify()
        assert report.ok, report.breaks


def _plain(e: StoredEvent) -> tuple[object, ...]:
    """An event's fields as a tuple, with its instant's offset (equality ignores zones)."""
    return (e.case_id, e.seq, e.kind, e.actor, e.at, e.at.utcoffset(), e.payload, e.schema)


def _crash(reopen: Reopen, prefix: str) -> None:
    """The kill test's child: append forever, acknowledging each append once it returned."""
    rng = random.Random(prefix)
    with reopen.open() as store:
        done: list[tuple[str, int]] = []
        while True:
            if done and rng.random() < 0.3:
                k = rng.randrange(len(done))
                case_id, version = done[k]
            else:
                case_id, version = f"{prefix}-{len(done)}", 0
                done.append((case_id, 0))
                k = len(done) - 1
            events = [
                _ev(
                    rng.choice(["received", "accepted"]),
                    payload={"note": "x" * rng.randrange(2000)},
                )
                for _ in range(rng.randint(1, 3))
            ]
            new = version + len(events)
            store.append(case_id, version, events, _row(case_id, new, applicant=f"applicant-{new}"))
            done[k] = (case_id, new)
            print(case_id, new, flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "crash":
        raise SystemExit("usage: python -m hallflow.testing.store_kit crash REOPEN_JSON PREFIX")
    _crash(Reopen.from_json(sys.argv[2]), sys.argv[3])
