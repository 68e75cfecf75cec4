"""The event-store contract, run against every store, plus SQLite's durability and races.

Each contract test runs once per store (the ``store`` fixture). The SQLite-only tests check
the file settings, schema versions, races between processes, and that a process killed with
SIGKILL mid-write loses no acknowledged case.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pendulum
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from hallflow.errors import (
    AppendRequestError,
    CaseNotFoundError,
    ConcurrencyError,
    EventPayloadError,
    IdempotencyError,
    NaiveDatetimeError,
    SchemaVersionError,
    StoreError,
)
from hallflow.store import CaseRow, EventStore, MemoryStore, NewEvent, SQLiteStore
from hallflow.store._shared import WRITE_LOCK_SUFFIX, SharedLog
from hallflow.store.sqlite import DURABILITIES, SCHEMA_VERSION

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=SH)
WORKER = Path(__file__).with_name("store_worker.py")


def ev(
    kind: str = "received",
    actor: str = "clerk-1",
    at: dt.datetime = T0,
    payload: Mapping[str, Any] | None = None,
) -> NewEvent:
    return NewEvent(kind=kind, actor=actor, at=at, payload={} if payload is None else payload)


def mkrow(
    case_id: str,
    version: int,
    *,
    state: str = "received",
    matter: str = "m1",
    applicant: str = "a1",
    window: str = "w1",
    due: dt.datetime | None = None,
) -> CaseRow:
    return CaseRow(
        case_id=case_id,
        matter=matter,
        applicant=applicant,
        window=window,
        state=state,
        due=due,
        version=version,
    )


def make_store(kind: str, directory: Path) -> EventStore:
    if kind == "memory":
        return MemoryStore()
    return SQLiteStore(directory / "cases.db")


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    with make_store(request.param, tmp_path) as s:
        yield s


# --- append, load, row ----------------------------------------------------------------------


def test_append_then_load(store: EventStore) -> None:
    first = ev(payload={"materials": ["营业执照", "身份证"], "fee": "0.00"})
    second = ev("accepted", "clerk-2", T0 + dt.timedelta(hours=1), {"reasons": []})
    assert store.append("c1", 0, [first, second], mkrow("c1", 2, state="accepted")) == 2
    loaded = store.load("c1")
    assert [e.seq for e in loaded] == [1, 2]
    assert [(e.case_id, e.kind, e.actor, e.at, e.payload) for e in loaded] == [
        ("c1", "received", "clerk-1", T0, first.payload),
        ("c1", "accepted", "clerk-2", T0 + dt.timedelta(hours=1), {"reasons": []}),
    ]
    for e in loaded:
        assert e.recorded_at.utcoffset() == dt.timedelta(0)
        assert abs(e.recorded_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert store.version("c1") == 2
    assert store.row("c1") == mkrow("c1", 2, state="accepted")
    assert store.case_ids() == ["c1"]


def test_appends_continue_the_sequence_and_replace_the_row(store: EventStore) -> None:
    store.append("c1", 0, [ev()], mkrow("c1", 1))
    assert store.append("c1", 1, [ev("accepted"), ev("reviewed")], mkrow("c1", 3, state="x")) == 3
    assert [(e.seq, e.kind) for e in store.load("c1")] == [
        (1, "received"),
        (2, "accepted"),
        (3, "reviewed"),
    ]
    assert store.row("c1").state == "x"
    assert store.row("c1").version == 3


def test_missing_case(store: EventStore) -> None:
    assert store.version("nope") == 0
    with pytest.raises(CaseNotFoundError, match="'nope'") as info:
        store.load("nope")
    assert isinstance(info.value, KeyError)
    assert info.value.case_id == "nope"
    assert str(info.value) == "no case 'nope' in the store"
    with pytest.raises(CaseNotFoundError):
        store.row("nope")
    assert store.case_ids() == []


def test_custom_clock_sets_recorded_at(tmp_path: Path) -> None:
    at = dt.datetime(2030, 1, 1, 8, 0, 0, 123456, tzinfo=SH)
    for s in (MemoryStore(clock=lambda: at), SQLiteStore(tmp_path / "x.db", clock=lambda: at)):
        with s:
            s.append("c", 0, [ev()], mkrow("c", 1))
            recorded = s.load("c")[0].recorded_at
            assert recorded == at
            assert recorded.tzinfo == dt.UTC


def test_naive_clock_is_refused(tmp_path: Path) -> None:
    with MemoryStore(clock=lambda: dt.datetime(2030, 1, 1)) as s:
        with pytest.raises(NaiveDatetimeError, match="clock"):
            s.append("c", 0, [ev()], mkrow("c", 1))
        assert s.case_ids() == []


# --- optimistic concurrency -----------------------------------------------------------------


@pytest.mark.parametrize(("expected", "actual"), [(0, 2), (1, 2), (3, 2), (7, 2)])
def test_wrong_expected_version_is_a_conflict(
    store: EventStore, expected: int, actual: int
) -> None:
    store.append("c1", 0, [ev(), ev()], mkrow("c1", 2))
    with pytest.raises(ConcurrencyError) as info:
        store.append("c1", expected, [ev("late")], mkrow("c1", expected + 1, state="late"))
    err = info.value
    assert (err.case_id, err.expected, err.actual) == ("c1", expected, actual)
    assert "another actor changed the case first" in str(err)
    assert "reload" in str(err)
    assert [e.kind for e in store.load("c1")] == ["received", "received"]
    assert store.row("c1") == mkrow("c1", 2)


def test_expecting_an_absent_case_is_a_conflict(store: EventStore) -> None:
    with pytest.raises(ConcurrencyError) as info:
        store.append("c9", 1, [ev()], mkrow("c9", 2))
    assert info.value.actual == 0
    assert store.case_ids() == []


# --- idempotency ----------------------------------------------------------------------------


def test_the_same_request_twice_applies_once(store: EventStore) -> None:
    def request() -> list[NewEvent]:  # fresh objects each time, as a retry would build them
        return [ev(payload={"a": 1, "b": [1, 2]}), ev("accepted", payload={"z": None})]

    assert store.append("c1", 0, request(), mkrow("c1", 2), idempotency_key="k1") == 2
    assert store.append("c1", 0, request(), mkrow("c1", 2), idempotency_key="k1") == 2
    assert store.version("c1") == 2
    # Later appends do not disturb the answer to a retry.
    store.append("c1", 2, [ev("reviewed")], mkrow("c1", 3))
    assert store.append("c1", 0, request(), mkrow("c1", 2), idempotency_key="k1") == 2
    assert [e.seq for e in store.load("c1")] == [1, 2, 3]


def test_same_request_means_same_instant_and_json(store: EventStore) -> None:
    store.append("c1", 0, [ev(payload={"a": 1, "b": 2})], mkrow("c1", 1), idempotency_key="k")
    # Another zone for the same instant, and another key order: still the same request.
    same = ev(at=T0.astimezone(dt.UTC), payload={"b": 2, "a": 1})
    assert store.append("c1", 0, [same], mkrow("c1", 1), idempotency_key="k") == 1
    assert store.version("c1") == 1


@pytest.mark.parametrize(
    "changed",
    [
        [ev("accepted")],
        [ev(actor="clerk-2")],
        [ev(at=T0 + dt.timedelta(microseconds=1))],
        [ev(payload={"a": 2})],
        [ev(payload={"a": 1.0})],
        [ev(payload={"a": 1}), ev(payload={"a": 1})],
    ],
    ids=["kind", "actor", "instant", "payload", "int-vs-float", "count"],
)
def test_a_key_reused_for_another_request_is_refused(
    store: EventStore, changed: list[NewEvent]
) -> None:
    store.append("c1", 0, [ev(payload={"a": 1})], mkrow("c1", 1), idempotency_key="k1")
    with pytest.raises(IdempotencyError, match="'k1'") as info:
        store.append("c1", 1, changed, mkrow("c1", 1 + len(changed)), idempotency_key="k1")
    assert (info.value.case_id, info.value.key) == ("c1", "k1")
    assert store.version("c1") == 1


def test_keys_belong_to_their_case(store: EventStore) -> None:
    store.append("c1", 0, [ev()], mkrow("c1", 1), idempotency_key="k")
    assert store.append("c2", 0, [ev("other")], mkrow("c2", 1), idempotency_key="k") == 1
    assert store.case_ids() == ["c1", "c2"]


def test_a_refused_append_does_not_spend_its_key(store: EventStore) -> None:
    store.append("c1", 0, [ev()], mkrow("c1", 1))
    with pytest.raises(ConcurrencyError):
        store.append("c1", 0, [ev("x")], mkrow("c1", 1), idempotency_key="k")
    assert store.append("c1", 1, [ev("x")], mkrow("c1", 2), idempotency_key="k") == 2
    assert store.append("c1", 1, [ev("x")], mkrow("c1", 2), idempotency_key="k") == 2


# --- validation -----------------------------------------------------------------------------


def _cycle() -> dict[str, Any]:
    d: dict[str, Any] = {"ok": 1}
    d["inner"] = {"me": d}
    return d


@pytest.mark.parametrize(
    ("payload", "path", "rule"),
    [
        ({"score": float("nan")}, "events[1].payload['score']", "NaN"),
        ({"x": {"y": float("inf")}}, "events[1].payload['x']['y']", "infinity"),
        ({"fees": [1, (2, 3)]}, "events[1].payload['fees'][1]", "tuple"),
        ({"when": dt.date(2026, 1, 1)}, "events[1].payload['when']", "ISO text"),
        ({"fee": Decimal("1.50")}, "events[1].payload['fee']", "decimal text"),
        ({"m": {1: "one"}}, "events[1].payload['m'][1]", "keys must be str"),
        ({"s": "bad \ud800"}, "events[1].payload['s']", "surrogate"),
        ({"set": {1}}, "events[1].payload['set']", "set is not JSON"),
        (_cycle(), "events[1].payload['inner']['me']", "holds itself"),
        (["not", "a", "mapping"], "events[1].payload", "mapping"),
    ],
)
def test_payload_must_survive_json(store: EventStore, payload: Any, path: str, rule: str) -> None:
    with pytest.raises(EventPayloadError) as info:
        store.append("c1", 0, [ev(), ev(payload=payload)], mkrow("c1", 2))
    assert info.value.path == path
    assert str(info.value).startswith(path + "=")
    assert rule in str(info.value)
    assert isinstance(info.value, ValueError)
    assert store.case_ids() == []


def test_payloads_round_trip_and_are_copies(store: EventStore) -> None:
    payload: dict[str, Any] = {
        "申请人": "张三",
        "big": 2**80,
        "neg": -0.5,
        "tiny": 5e-324,
        "flags": [True, False, None],
        "nested": {"empty": {}, "list": [[], [{}]]},
        "nul": "a\x00b",
    }
    store.append("c1", 0, [ev(payload=payload)], mkrow("c1", 1))
    payload["nested"]["empty"]["changed"] = True  # the caller's dict is not the stored one
    loaded = store.load("c1")[0].payload
    assert loaded["nested"] == {"empty": {}, "list": [[], [{}]]}
    assert {k: v for k, v in loaded.items() if k != "nested"} == {
        k: v for k, v in payload.items() if k != "nested"
    }
    assert list(loaded) == list(payload)  # key order kept
    loaded["flags"].append("mine")  # nor is a loaded one
    assert store.load("c1")[0].payload["flags"] == [True, False, None]


_EDGE = dt.datetime.max.replace(tzinfo=dt.timezone(-dt.timedelta(hours=5)))


def test_request_shape_is_checked(store: EventStore) -> None:
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: store.append("c1", 0, [], mkrow("c1", 1)), "events"),
        (lambda: store.append("c1", 0, [ev()], mkrow("c2", 1)), "row.case_id"),
        (lambda: store.append("c1", 0, [ev(), ev()], mkrow("c1", 1)), "row.version"),
        (lambda: store.append("c1", -1, [ev()], mkrow("c1", 1)), "expected_version"),
        (lambda: store.append("", 0, [ev()], mkrow("c1", 1)), "case_id"),
        (lambda: store.append("c1", 0, [ev()], mkrow("c1", 1), idempotency_key=""), "key"),
        (lambda: store.append("c1", 0, ["x"], mkrow("c1", 1)), "events[0]"),  # type: ignore[list-item]
        (lambda: store.append("c1", 0, [ev(at=_EDGE)], mkrow("c1", 1)), "events[0].at"),
        (lambda: store.append("c1", 0, [ev()], mkrow("c1", 1, due=_EDGE)), "row.due"),
    ]
    for call, field in cases:
        with pytest.raises(AppendRequestError, match=re.escape(field)):
            call()
    assert store.case_ids() == []


def test_values_are_validated_at_construction() -> None:
    with pytest.raises(NaiveDatetimeError, match="at="):
        NewEvent("received", "clerk", dt.datetime(2026, 1, 1))
    with pytest.raises(AppendRequestError, match="kind"):
        NewEvent("", "clerk", T0)
    with pytest.raises(NaiveDatetimeError, match="due="):
        mkrow("c", 1, due=dt.datetime(2026, 1, 1))
    with pytest.raises(AppendRequestError, match="version"):
        mkrow("c", 0)
    with pytest.raises(AppendRequestError, match="surrogate"):
        mkrow("c", 1, applicant="\udfff")


# --- time zones -----------------------------------------------------------------------------


ZONES: list[dt.tzinfo] = [
    SH,
    ZoneInfo("UTC"),
    ZoneInfo("America/New_York"),
    dt.UTC,
    dt.timezone(dt.timedelta(hours=5, minutes=45)),
    dt.timezone(dt.timedelta(hours=-3, minutes=-30)),
    dt.timezone(dt.timedelta(hours=1, seconds=7, microseconds=5)),
    pendulum.timezone("Asia/Urumqi"),
]


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_instants_load_back_in_their_zone(store: EventStore, tz: dt.tzinfo) -> None:
    at = dt.datetime(2026, 11, 1, 1, 30, 15, 250, tzinfo=tz)
    due = dt.datetime(2026, 11, 1, 1, 45, tzinfo=tz, fold=1)
    store.append("c1", 0, [ev(at=at)], mkrow("c1", 1, due=due))
    loaded = store.load("c1")[0].at
    got_due = store.row("c1").due
    assert got_due is not None
    for original, back in ((at, loaded), (due, got_due)):
        assert back == original
        assert back.utcoffset() == original.utcoffset()
        assert back.replace(tzinfo=None) == original.replace(tzinfo=None)
        assert back.tzinfo == original.tzinfo or (
            isinstance(original.tzinfo, ZoneInfo) and back.tzinfo == ZoneInfo(str(tz))
        )


def test_an_ambiguous_wall_time_keeps_its_fold(store: EventStore) -> None:
    ny = ZoneInfo("America/New_York")
    second = dt.datetime(2026, 11, 1, 1, 30, tzinfo=ny, fold=1)  # the EST 1:30
    store.append("c1", 0, [ev(at=second)], mkrow("c1", 1))
    back = store.load("c1")[0].at
    assert back.fold == 1
    assert back.utcoffset() == dt.timedelta(hours=-5)


# --- queries --------------------------------------------------------------------------------


def _populate(store: EventStore) -> None:
    day = dt.timedelta(days=1)
    specs = [
        ("c1", "m1", "a1", "w1", "received", T0),
        ("c2", "m1", "a2", "w1", "accepted", T0 + day),
        ("c3", "m2", "a1", "w2", "accepted", T0 + 2 * day),
        ("c4", "m2", "a3", "w2", "decided", None),
        ("c5", "m1", "a1", "w2", "accepted", (T0 + 3 * day).astimezone(dt.UTC)),
    ]
    for case_id, matter, applicant, window, state, due in specs:
        store.append(
            case_id,
            0,
            [ev()],
            mkrow(
                case_id,
                1,
                matter=matter,
                applicant=applicant,
                window=window,
                state=state,
                due=due,
            ),
        )


def _ids(rows: list[CaseRow]) -> list[str]:
    return [r.case_id for r in rows]


def test_find_by_each_field(store: EventStore) -> None:
    _populate(store)
    assert _ids(store.find()) == ["c1", "c2", "c3", "c4", "c5"]
    assert _ids(store.find(matter="m2")) == ["c3", "c4"]
    assert _ids(store.find(applicant="a1")) == ["c1", "c3", "c5"]
    assert _ids(store.find(window="w2")) == ["c3", "c4", "c5"]
    assert _ids(store.find(state="accepted")) == ["c2", "c3", "c5"]
    assert _ids(store.find(applicant="a1", window="w2", state="accepted")) == ["c3", "c5"]
    assert _ids(store.find(applicant="nobody")) == []
    assert store.find(matter="m2")[1] == store.row("c4")


def test_find_due_in_a_half_open_window(store: EventStore) -> None:
    _populate(store)
    day = dt.timedelta(days=1)
    assert _ids(store.find(due_from=T0)) == ["c1", "c2", "c3", "c5"]  # c4 has no due date
    assert _ids(store.find(due_to=T0 + day)) == ["c1"]  # the upper bound is excluded
    assert _ids(store.find(due_from=T0 + day, due_to=T0 + 3 * day)) == ["c2", "c3"]
    assert _ids(store.find(due_from=T0 + dt.timedelta(microseconds=1))) == ["c2", "c3", "c5"]
    # Bounds in another zone mean the same instants.
    utc = (T0 + day).astimezone(dt.UTC)
    assert _ids(store.find(due_from=utc, due_to=utc + dt.timedelta(seconds=1))) == ["c2"]
    tokyo = (T0 + 3 * day).astimezone(ZoneInfo("Asia/Tokyo"))
    assert _ids(store.find(due_from=tokyo, state="accepted")) == ["c5"]
    assert store.find(due_from=T0 + day, due_to=T0) == []
    with pytest.raises(NaiveDatetimeError, match="due_to"):
        store.find(due_to=dt.datetime(2026, 1, 1))


def test_find_sees_the_latest_row(store: EventStore) -> None:
    _populate(store)
    store.append("c1", 1, [ev("decided")], mkrow("c1", 2, state="decided", due=None))
    assert _ids(store.find(state="received")) == []
    assert _ids(store.find(state="decided")) == ["c1", "c4"]
    assert _ids(store.find(due_to=T0 + dt.timedelta(days=1))) == []


def test_a_closed_store_refuses_calls(tmp_path: Path) -> None:
    for s in (MemoryStore(), SQLiteStore(tmp_path / "x.db")):
        with s:
            s.append("c", 0, [ev()], mkrow("c", 1))
        s.close()  # twice is fine
        with pytest.raises(StoreError, match="closed"):
            s.version("c")
        with pytest.raises(StoreError, match="closed"):
            s.append("d", 0, [ev()], mkrow("d", 1))


# --- threads --------------------------------------------------------------------------------


def _race(store: EventStore, case_id: str, expected: int, threads: int) -> list[object]:
    """Let ``threads`` threads append at ``expected`` at once; return each one's outcome."""
    barrier = threading.Barrier(threads)
    outcomes: list[object] = [None] * threads

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = store.append(
                case_id, expected, [ev(actor=f"clerk-{i}")], mkrow(case_id, expected + 1)
            )
        except ConcurrencyError as exc:
            outcomes[i] = exc

    pool = [threading.Thread(target=attempt, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return outcomes


def test_threads_racing_on_one_version_one_wins(store: EventStore) -> None:
    threads = 6
    for round_ in range(8):
        case_id = f"race-{round_}"
        for expected in (0, 1):  # creating the case, then acting on it
            outcomes = _race(store, case_id, expected, threads)
            winners = [i for i, o in enumerate(outcomes) if o == expected + 1]
            assert len(winners) == 1, outcomes
            losers = [o for o in outcomes if isinstance(o, ConcurrencyError)]
            assert len(losers) == threads - 1
            assert all(o.actual == expected + 1 for o in losers)
            assert store.load(case_id)[-1].actor == f"clerk-{winners[0]}"
        assert [e.seq for e in store.load(case_id)] == [1, 2]


def test_threads_that_reload_on_conflict_lose_nothing(store: EventStore) -> None:
    threads, each = 4, 15

    def clerk(i: int) -> None:
        for n in range(each):
            while True:
                version = store.version("shared")
                try:
                    store.append(
                        "shared",
                        version,
                        [ev(actor=f"clerk-{i}", payload={"n": n})],
                        mkrow("shared", version + 1),
                    )
                    break
                except ConcurrencyError:
                    continue

    pool = [threading.Thread(target=clerk, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    loaded = store.load("shared")
    assert [e.seq for e in loaded] == list(range(1, threads * each + 1))
    for i in range(threads):
        mine = [e.payload["n"] for e in loaded if e.actor == f"clerk-{i}"]
        assert mine == list(range(each))
    assert store.row("shared").version == threads * each


# --- hypothesis: the store against a dict model ---------------------------------------------

CASES = ["c1", "c2", "c3"]
KEYS = ["k1", "k2"]
MODEL_ZONES = [
    SH,
    ZoneInfo("UTC"),
    ZoneInfo("America/New_York"),
    dt.timezone(-dt.timedelta(hours=9)),
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
instants = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.sampled_from(MODEL_ZONES),
    allow_imaginary=False,
)
new_events = st.builds(
    NewEvent,
    kind=st.sampled_from(["received", "accepted", "decided"]),
    actor=st.sampled_from(["clerk-1", "clerk-2"]),
    at=instants,
    payload=st.dictionaries(st.text(max_size=4), json_values, max_size=3),
)


def _canonical(events: list[NewEvent]) -> str:
    return json.dumps(
        [[e.kind, e.actor, e.at.astimezone(dt.UTC).isoformat(), e.payload] for e in events],
        sort_keys=True,
    )


class StoreModel(RuleBasedStateMachine):
    """Random appends (right and wrong versions, reused keys), checked against dicts."""

    kind = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="hallflow-store-"))
        self.store = make_store(self.kind, self.directory)
        self.events: dict[str, list[NewEvent]] = {}
        self.rows: dict[str, CaseRow] = {}
        self.keys: dict[tuple[str, str], tuple[str, int]] = {}
        self.requests: list[tuple[str, int, list[NewEvent], CaseRow, str | None]] = []

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _attempt(
        self, case_id: str, expected: int, events: list[NewEvent], row: CaseRow, key: str | None
    ) -> None:
        actual = len(self.events.get(case_id, []))
        if key is not None and (case_id, key) in self.keys:
            digest, version = self.keys[(case_id, key)]
            if digest == _canonical(events):
                assert self.store.append(case_id, expected, events, row, idempotency_key=key) == (
                    version
                )
            else:
                with pytest.raises(IdempotencyError):
                    self.store.append(case_id, expected, events, row, idempotency_key=key)
            return
        if expected != actual:
            with pytest.raises(ConcurrencyError) as info:
                self.store.append(case_id, expected, events, row, idempotency_key=key)
            assert info.value.actual == actual
            return
        version = self.store.append(case_id, expected, events, row, idempotency_key=key)
        assert version == actual + len(events)
        self.events.setdefault(case_id, []).extend(events)
        self.rows[case_id] = row
        if key is not None:
            self.keys[(case_id, key)] = (_canonical(events), version)
        self.requests.append((case_id, expected, events, row, key))

    @rule(
        case_id=st.sampled_from(CASES),
        delta=st.sampled_from([0, 0, 0, -1, 1, 2]),
        events=st.lists(new_events, min_size=1, max_size=3),
        key=st.none() | st.sampled_from(KEYS),
        applicant=st.sampled_from(["a1", "a2"]),
        window=st.sampled_from(["w1", "w2"]),
        due=st.none() | instants,
    )
    def append(
        self,
        case_id: str,
        delta: int,
        events: list[NewEvent],
        key: str | None,
        applicant: str,
        window: str,
        due: dt.datetime | None,
    ) -> None:
        expected = max(0, len(self.events.get(case_id, [])) + delta)
        row = mkrow(
            case_id,
            expected + len(events),
            state=events[-1].kind,
            applicant=applicant,
            window=window,
            due=due,
        )
        self._attempt(case_id, expected, events, row, key)

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        self._attempt(*data.draw(st.sampled_from(self.requests)))

    @rule(
        applicant=st.none() | st.sampled_from(["a1", "a2"]),
        state=st.none() | st.sampled_from(["received", "accepted", "decided"]),
        due_from=st.none() | instants,
        span=st.none()
        | st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=9000)),
    )
    def find(
        self,
        applicant: str | None,
        state: str | None,
        due_from: dt.datetime | None,
        span: dt.timedelta | None,
    ) -> None:
        due_to = None if due_from is None or span is None else due_from + span
        expected = sorted(
            (
                r
                for r in self.rows.values()
                if (applicant is None or r.applicant == applicant)
                and (state is None or r.state == state)
                and (due_from is None or (r.due is not None and r.due >= due_from))
                and (due_to is None or (r.due is not None and r.due < due_to))
            ),
            key=lambda r: r.case_id,
        )
        got = self.store.find(applicant=applicant, state=state, due_from=due_from, due_to=due_to)
        assert got == expected

    @invariant()
    def store_matches_model(self) -> None:
        assert self.store.case_ids() == sorted(self.events)
        for case_id in CASES:
            model = self.events.get(case_id, [])
            assert self.store.version(case_id) == len(model)
            if not model:
                continue
            loaded = self.store.load(case_id)
            assert [e.seq for e in loaded] == list(range(1, len(model) + 1))
            for got, want in zip(loaded, model, strict=True):
                assert (got.kind, got.actor, got.at, got.payload) == (
                    want.kind,
                    want.actor,
                    want.at,
                    want.payload,
                )
                assert got.at.utcoffset() == want.at.utcoffset()
            assert self.store.row(case_id) == self.rows[case_id]
        report = self.store.verify()
        assert report.ok, report.breaks
        assert report.positions == self.store.head().position == len(self.requests)


class SQLiteStoreModel(StoreModel):
    kind = "sqlite"


_model_settings = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestMemoryStoreModel = StoreModel.TestCase
TestMemoryStoreModel.settings = _model_settings
TestSQLiteStoreModel = SQLiteStoreModel.TestCase
TestSQLiteStoreModel.settings = settings(_model_settings, max_examples=25)


# --- SQLite only ----------------------------------------------------------------------------


def test_sqlite_file_settings(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with SQLiteStore(path) as store:
        assert store.durability == "full"
        conn = store._connection()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # "full" commits with NORMAL and syncs the log itself, shared between writers.
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1
        assert Path(str(path) + WRITE_LOCK_SUFFIX).exists()
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {"events", "cases", "idempotency", "chain", "cases_applicant", "cases_due"} <= tables


def test_sqlite_persists_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    at = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with SQLiteStore(path) as store:
        store.append("c1", 0, [ev(at=at, payload={"x": [1]})], mkrow("c1", 1, due=at))
        store.append("c1", 1, [ev("y")], mkrow("c1", 2), idempotency_key="k")
        before = store.load("c1")
    with SQLiteStore(path) as store:
        assert store.load("c1") == before
        assert store.row("c1") == mkrow("c1", 2)
        assert store.append("c1", 1, [ev("y")], mkrow("c1", 2), idempotency_key="k") == 2


def test_sqlite_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaVersionError, match=f"schema version {SCHEMA_VERSION + 1}"):
        SQLiteStore(path)


def test_sqlite_refuses_memory_and_garbage(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="MemoryStore"):
        SQLiteStore(":memory:")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"junk\.db"):
        SQLiteStore(junk)


def test_sqlite_waits_for_a_writer_then_gives_up(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    with SQLiteStore(path, timeout=0.2) as store:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            assert store.version("c") == 0  # readers are not blocked in WAL mode
            with pytest.raises(StoreError, match="locked"):
                store.append("c", 0, [ev()], mkrow("c", 1))
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert store.append("c", 0, [ev()], mkrow("c", 1)) == 1


# --- SQLite group commit --------------------------------------------------------------------


def _queued_appends(
    store: SQLiteStore, requests: list[tuple[str, int, str | None]]
) -> tuple[list[object], list[int]]:
    """Run ``requests`` (case, expected version, key) from one thread each while another
    connection holds the write lock, so that they queue up; return each outcome and the
    size of every batch the store wrote."""
    sizes: list[int] = []
    write_batch = store._write_batch

    def spy(conn: sqlite3.Connection, batch: list[Any]) -> None:
        sizes.append(len(batch))
        write_batch(conn, batch)

    store._write_batch = spy  # type: ignore[method-assign]
    outcomes: list[object] = [None] * len(requests)

    def attempt(i: int) -> None:
        case_id, expected, key = requests[i]
        try:
            outcomes[i] = store.append(
                case_id,
                expected,
                [ev(actor=f"clerk-{i}", payload={"i": i})],
                mkrow(case_id, expected + 1),
                idempotency_key=key,
            )
        except StoreError as exc:
            outcomes[i] = exc

    blocker = sqlite3.connect(store._path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    pool = [threading.Thread(target=attempt, args=(i,)) for i in range(len(requests))]
    try:
        for n, t in enumerate(pool, start=1):  # one at a time, so that they queue in order
            t.start()
            deadline = time.monotonic() + 10
            while len(store._group.queue) < n and time.monotonic() < deadline:
                time.sleep(0.002)
            assert len(store._group.queue) == n
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    for t in pool:
        t.join()
    return outcomes, sizes


def test_sqlite_commits_queued_appends_together(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "g.db", timeout=10) as store:
        n = 12
        outcomes, sizes = _queued_appends(store, [(f"g-{i}", 0, None) for i in range(n)])
        assert outcomes == [1] * n
        # The first in line took what was queued when it got the lead, then waited for the
        # lock; everyone who queued meanwhile went in one more batch.
        assert sum(sizes) == n and 1 <= len(sizes) <= 2
        for i in range(n):
            assert [e.payload for e in store.load(f"g-{i}")] == [{"i": i}]
            assert store.row(f"g-{i}") == mkrow(f"g-{i}", 1)


def test_sqlite_a_refused_append_refuses_only_its_caller(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "g.db", timeout=10) as store:
        store.append("old", 0, [ev()], mkrow("old", 1), idempotency_key="k")
        requests: list[tuple[str, int, str | None]] = [
            ("a", 0, None),
            ("old", 0, None),  # stale version
            ("b", 0, None),
            ("old", 0, "k"),  # key reused for another request
            ("a", 1, None),  # builds on the first, written earlier in the same batch
            ("a", 1, None),  # the same version again: too late
        ]
        outcomes, sizes = _queued_appends(store, requests)
        assert sum(sizes) == len(requests) and max(sizes) > 1
        assert outcomes[0] == 1 and outcomes[2] == 1 and outcomes[4] == 2
        assert isinstance(outcomes[1], ConcurrencyError) and outcomes[1].actual == 1
        assert isinstance(outcomes[3], IdempotencyError)
        assert isinstance(outcomes[5], ConcurrencyError) and outcomes[5].actual == 2
        assert [e.actor for e in store.load("a")] == ["clerk-0", "clerk-4"]
        assert len(store.load("old")) == 1 and store.version("b") == 1


def test_sqlite_a_failing_write_fails_only_its_own_append(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SQLiteStore(tmp_path / "g.db", timeout=10) as store:
        apply = store._apply

        def flaky(conn: sqlite3.Connection, request: Any, *rest: Any) -> Any:
            if request.case_id == "bad":
                raise sqlite3.OperationalError("disk I/O error (simulated)")
            return apply(conn, request, *rest)

        monkeypatch.setattr(store, "_apply", flaky)
        requests: list[tuple[str, int, str | None]] = [
            ("x", 0, None),
            ("y", 0, None),
            ("bad", 0, None),
            ("z", 0, None),
        ]
        outcomes, sizes = _queued_appends(store, requests)
        assert max(sizes) > 1
        assert outcomes[0] == outcomes[1] == outcomes[3] == 1
        assert isinstance(outcomes[2], StoreError)
        assert "disk I/O error (simulated)" in str(outcomes[2])
        assert [store.version(c) for c in ("x", "y", "bad", "z")] == [1, 1, 0, 1]
        assert store._group.queue == deque()
        report = store.verify()  # the rolled-back batch left no gap in the hall chain
        assert report.ok and report.positions == store.head().position == 3


# --- SQLite durability ----------------------------------------------------------------------


@pytest.mark.parametrize(("durability", "synchronous"), [("strict", 2), ("normal", 1)])
def test_sqlite_other_durabilities_leave_syncing_to_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durability: str, synchronous: int
) -> None:
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    with SQLiteStore(tmp_path / "s.db", durability=durability) as store:
        assert store.durability == durability
        conn = store._connection()
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == synchronous
        store.append("c", 0, [ev()], mkrow("c", 1))
    assert synced == []


def test_sqlite_refuses_an_unknown_durability(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"'fast'.*'full', 'strict', 'normal'"):
        SQLiteStore(tmp_path / "s.db", durability="fast")
    assert DURABILITIES == ("full", "strict", "normal")


def test_sqlite_answers_only_after_a_sync_that_began_after_its_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An acknowledged append is on disk: some sync of the log started after its
    transaction committed and ended before the call returned. Slow syncs let the threads'
    commits pile up, so that one sync covers several of them."""
    log: list[tuple[str, str]] = []
    lock = threading.Lock()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        with lock:
            n = str(sum(1 for kind, _ in log if kind == "sync-start"))
            log.append(("sync-start", n))
        time.sleep(0.02)
        real_fsync(fd)
        with lock:
            log.append(("sync-end", n))

    monkeypatch.setattr(os, "fsync", fsync)
    with SQLiteStore(tmp_path / "d.db") as store:
        write_batch = store._write_batch

        def spy(conn: sqlite3.Connection, batch: list[Any]) -> None:
            write_batch(conn, batch)
            with lock:
                log.extend(("commit", p.request.case_id) for p in batch)

        monkeypatch.setattr(store, "_write_batch", spy)
        threads, each = 6, 4
        barrier = threading.Barrier(threads)

        def clerk(i: int) -> None:
            barrier.wait()
            for n in range(each):
                case_id = f"d-{i}-{n}"
                store.append(case_id, 0, [ev()], mkrow(case_id, 1))
                with lock:
                    log.append(("return", case_id))

        pool = [threading.Thread(target=clerk, args=(i,)) for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    appends = threads * each
    starts = [i for i, (kind, _) in enumerate(log) if kind == "sync-start"]
    ends = {n: i for i, (kind, n) in enumerate(log) if kind == "sync-end"}
    for case_id in (f"d-{i}-{n}" for i in range(threads) for n in range(each)):
        committed = log.index(("commit", case_id))
        returned = log.index(("return", case_id))
        assert any(committed < start and ends[log[start][1]] < returned for start in starts), (
            case_id
        )
    assert 0 < len(starts) < appends  # shared: fewer syncs than appends


def test_sqlite_a_failed_sync_fails_the_appends_it_was_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    with SQLiteStore(tmp_path / "f.db") as store:
        monkeypatch.setattr(os, "fsync", broken)
        with pytest.raises(StoreError, match=r"case c was committed but syncing the log failed"):
            store.append("c", 0, [ev()], mkrow("c", 1))
        monkeypatch.undo()
        # The store goes on; the next append syncs the log, the earlier commit with it.
        assert store.version("c") == 1
        assert store.append("c", 1, [ev("y")], mkrow("c", 2)) == 2


def test_shared_log_waiters_share_the_sync_under_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer whose commit a running sync covers waits for it and syncs nothing; one that
    committed after the sync began waits for it too, then syncs once more."""
    wal = tmp_path / "w.db-wal"
    wal.write_bytes(b"")
    shared = SharedLog.open(str(tmp_path / "w.db"))
    assert shared is not None and shared.attach_log(str(wal))
    began, release = threading.Event(), threading.Event()
    syncs: list[int] = []

    def fsync(fd: int) -> None:
        syncs.append(fd)
        began.set()
        assert release.wait(10)

    def commit() -> int:
        shared.lock()
        try:
            return shared.committed()
        finally:
            shared.unlock()

    monkeypatch.setattr(os, "fsync", fsync)
    try:
        first, second = commit(), commit()
        leader = threading.Thread(target=shared.sync, args=(first,))
        leader.start()
        assert began.wait(10)  # the sync under way covers ``first`` and ``second``
        third = commit()
        waiters = [threading.Thread(target=shared.sync, args=(n,)) for n in (second, third)]
        for t in waiters:
            t.start()
        time.sleep(0.05)
        assert all(t.is_alive() for t in waiters) and len(syncs) == 1
        release.set()
        for t in (leader, *waiters):
            t.join(10)
            assert not t.is_alive()
        assert len(syncs) == 2  # one more, for ``third`` alone
    finally:
        release.set()
        shared.close()


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_processes_racing_on_one_version_one_wins(tmp_path: Path) -> None:
    path = str(tmp_path / "race.db")  # both open (and create) the file at the same time
    workers = [_spawn("race", path, "one"), _spawn("race", path, "two")]
    try:
        for w in workers:
            assert w.stdout is not None
            assert w.stdout.readline().strip() == "ready", w.stderr
        for round_ in range(10):
            for expected in (0, 1):
                for w in workers:
                    assert w.stdin is not None
                    w.stdin.write(f"case-{round_} {expected}\n")
                    w.stdin.flush()
                results = sorted(w.stdout.readline().strip() for w in workers if w.stdout)
                assert results == ["conflict", "won"]
    finally:
        for w in workers:
            w.communicate(timeout=30)
    assert all(w.returncode == 0 for w in workers)
    with SQLiteStore(path) as store:
        assert len(store.case_ids()) == 10
        for case_id in store.case_ids():
            assert [e.seq for e in store.load(case_id)] == [1, 2]


@pytest.mark.skipif(os.name != "posix", reason="flock and shared syncs are POSIX")
def test_processes_share_the_write_lock_and_the_syncs(tmp_path: Path) -> None:
    path = str(tmp_path / "burst.db")
    workers = [_spawn("burst", path, "p"), _spawn("burst", path, "q")]
    try:
        for w in workers:
            assert w.stdout is not None
            assert w.stdout.readline().strip() == "ready", w.stderr
        for w in workers:
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        for w in workers:
            assert w.stdout is not None
            assert w.stdout.readline().strip() == "done", w.stderr
    finally:
        for w in workers:
            w.communicate(timeout=60)
    assert all(w.returncode == 0 for w in workers)
    with SQLiteStore(path) as store:
        assert store.case_ids() == sorted(f"{p}-{n}" for p in "pq" for n in range(40))
        conn = store._connection()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        report = store.verify()  # both processes extended one gap-free hall chain
        assert report.ok, report.breaks
        assert report.positions == store.head().position == 80
    # Every writer answered only once a sync covered its transaction: at rest, the shared
    # counters agree, and they counted at least one transaction per batch written.
    counters = Path(path + WRITE_LOCK_SUFFIX).read_bytes()
    written, synced = struct.unpack_from("<QQ", counters)
    assert 0 < written <= 80
    assert synced == written


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_sigkill_mid_write_loses_no_acknowledged_case(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    rng = random.Random(20260302)
    acknowledged: dict[str, int] = {}
    for round_ in range(6):
        worker = _spawn("crash", str(path), f"r{round_}")
        assert worker.stdout is not None
        first = worker.stdout.readline()  # the worker is up and appending
        assert first, worker.communicate()[1]
        time.sleep(rng.uniform(0.0, 0.4))
        worker.send_signal(signal.SIGKILL)
        rest, _ = worker.communicate(timeout=30)
        assert worker.returncode == -signal.SIGKILL
        lines = (first + rest).split("\n")
        for line in lines[:-1]:  # a line without its newline was cut off: not counted
            case_id, version = line.split()
            acknowledged[case_id] = max(acknowledged.get(case_id, 0), int(version))
        with SQLiteStore(path) as store:  # opening recovers the WAL
            conn = sqlite3.connect(path)
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            with_events = {r[0] for r in conn.execute("SELECT DISTINCT case_id FROM events")}
            conn.close()
            stored = set(store.case_ids())
            assert stored == with_events
            assert set(acknowledged) <= stored
            for case_id in stored:  # every case, acknowledged or not, is whole
                events = store.load(case_id)
                assert [e.seq for e in events] == list(range(1, len(events) + 1))
                row = store.row(case_id)
                assert row.version == len(events) >= acknowledged.get(case_id, 1)
                assert row.applicant == f"applicant-{len(events)}"
            report = store.verify()  # a crash never leaves a chain half-written
            assert report.ok, report.breaks
    assert len(acknowledged) > 6


def test_the_documented_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "store.md").read_text("utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block is not None
    monkeypatch.chdir(tmp_path)
    exec(compile(block.group(1), "docs/store.md", "exec"), {})
    with SQLiteStore(tmp_path / "hall.db") as store:
        assert store.version("2026-0001") == 1
