"""Several appends in one call (``append_many``) and several cases in one read (``load_many``).

The reference is the one-at-a-time API: a batch must leave the store exactly as the same
appends made one by one (events, rows, versions, and a chain that verifies), answer each
refusal as ``append`` would raise it, and write nothing when any append is malformed.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallflow.errors import (
    AppendRequestError,
    ConcurrencyError,
    EventPayloadError,
    IdempotencyError,
    StoreArgumentError,
)
from hallflow.store import Append, EventStore, MemoryStore, SQLiteStore
from tests.test_store import T0, ev, make_store, mkrow


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    with make_store(request.param, tmp_path) as s:
        yield s


def snapshot(store: EventStore) -> dict[str, Any]:
    """Everything a caller can read of the store, but the instants of recording."""
    out: dict[str, Any] = {}
    for case_id in store.case_ids():
        events = [(e.seq, e.kind, e.actor, e.at, dict(e.payload)) for e in store.load(case_id)]
        out[case_id] = (events, store.row(case_id))
    return out


def test_a_batch_is_made_as_its_appends_one_by_one(store: EventStore) -> None:
    store.append("b", 0, [ev()], mkrow("b", 1))
    outcomes = store.append_many(
        [
            Append("a", 0, [ev(), ev("accepted")], mkrow("a", 2, state="accepted")),
            Append("b", 1, [ev("accepted")], mkrow("b", 2, state="accepted")),
            Append("c", 0, [ev()], mkrow("c", 1)),
        ]
    )
    assert outcomes == [2, 2, 1]
    assert [e.kind for e in store.load("a")] == ["received", "accepted"]
    assert store.row("b").state == "accepted"
    assert store.verify().ok


def test_a_refused_append_is_answered_and_the_others_stand(store: EventStore) -> None:
    store.append("b", 0, [ev()], mkrow("b", 1), idempotency_key="k")
    outcomes = store.append_many(
        [
            Append("a", 0, [ev()], mkrow("a", 1)),
            Append("b", 0, [ev()], mkrow("b", 1)),  # stale: b is at version 1
            Append("b", 1, [ev("accepted")], mkrow("b", 2), idempotency_key="k"),  # reused
            Append("c", 0, [ev()], mkrow("c", 1)),
        ]
    )
    assert outcomes[0] == 1 and outcomes[3] == 1
    assert isinstance(outcomes[1], ConcurrencyError)
    assert (outcomes[1].expected, outcomes[1].actual) == (0, 1)
    assert isinstance(outcomes[2], IdempotencyError)
    assert store.version("b") == 1
    assert sorted(store.case_ids()) == ["a", "b", "c"]
    assert store.verify().ok


@pytest.mark.parametrize(
    ("bad", "error", "field"),
    [
        ("not a list", AppendRequestError, "appends"),
        ([("a", 0, [], None)], AppendRequestError, r"appends\[1\]"),
        ([Append("z", 0, [], mkrow("z", 1))], AppendRequestError, "events"),
        ([Append("z", 0, [ev()], mkrow("z", 2))], AppendRequestError, "row.version"),
        ([Append("z", 0, [ev(payload={"x": {1, 2}})], mkrow("z", 1))], EventPayloadError, "x"),
    ],
)
def test_a_malformed_append_refuses_the_whole_batch(
    store: EventStore, bad: Any, error: type[Exception], field: str
) -> None:
    before = snapshot(store)
    batch = bad if isinstance(bad, str) else [Append("ok", 0, [ev()], mkrow("ok", 1)), *bad]
    with pytest.raises(error, match=field):
        store.append_many(batch)  # type: ignore[arg-type]
    assert snapshot(store) == before  # nothing written, not even the good one
    assert store.append_many([]) == []


def test_load_many_is_load_of_each_existing_case(store: EventStore) -> None:
    for case_id in ("a", "b", "c"):
        store.append(case_id, 0, [ev(), ev("accepted")], mkrow(case_id, 2))
    got = store.load_many(["c", "a", "missing", "a"])
    assert set(got) == {"a", "c"}
    assert got["a"] == store.load("a") and got["c"] == store.load("c")
    assert [e.digest for e in got["a"]] == [e.digest for e in store.load("a")]
    assert store.load_many([]) == {}
    for bad in ("abc", [1], None, ["ok", b"x"]):
        with pytest.raises(StoreArgumentError, match="case_ids"):
            store.load_many(bad)  # type: ignore[arg-type]


def test_load_many_reads_past_one_query(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "h.db") as store:
        ids = [f"c{i:04d}" for i in range(1203)]  # more than two queries' worth
        store.append_many([Append(c, 0, [ev()], mkrow(c, 1)) for c in ids])
        got = store.load_many(ids)
        assert sorted(got) == ids and all(len(v) == 1 for v in got.values())


# ---------------------------------------------------------------------- against the reference

STEP = st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),
    st.integers(0, 3),  # how far the expected version is off (0: right)
    st.lists(st.sampled_from(["received", "accepted", "escalated"]), min_size=1, max_size=3),
    st.one_of(st.none(), st.sampled_from(["k1", "k2"])),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(STEP, max_size=6), max_size=5), st.sampled_from(["memory", "sqlite"]))
def test_batches_leave_the_store_as_appends_one_by_one(
    batches: list[list[tuple[str, int, list[str], str | None]]], kind: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        one_dir, many_dir = Path(tmp, "one"), Path(tmp, "many")
        one_dir.mkdir()
        many_dir.mkdir()
        with make_store(kind, one_dir) as one, make_store(kind, many_dir) as many:
            for batch in batches:
                appends = []
                for case_id, off, kinds, key in batch:
                    version = many.version(case_id)  # as read before the batch
                    expected = max(version - off, 0) if off else version
                    new = expected + len(kinds)
                    events = [ev(k, at=T0 + dt.timedelta(minutes=i)) for i, k in enumerate(kinds)]
                    appends.append(
                        Append(case_id, expected, events, mkrow(case_id, new), idempotency_key=key)
                    )
                got = many.append_many(appends)
                want: list[Any] = []
                for a in appends:
                    try:
                        want.append(
                            one.append(
                                a.case_id,
                                a.expected_version,
                                a.events,
                                a.row,
                                idempotency_key=a.idempotency_key,
                            )
                        )
                    except (ConcurrencyError, IdempotencyError) as exc:
                        want.append(exc)
                assert [_outcome(x) for x in got] == [_outcome(x) for x in want]
            assert snapshot(many) == snapshot(one)
            assert many.verify().ok


def _outcome(value: Any) -> Any:
    if isinstance(value, ConcurrencyError):
        return ("conflict", value.case_id, value.expected, value.actual)
    if isinstance(value, IdempotencyError):
        return ("key", value.case_id)
    return value


def test_append_is_a_batch_of_one(tmp_path: Path) -> None:
    with MemoryStore() as one, SQLiteStore(tmp_path / "h.db") as many:
        row = mkrow("a", 1)
        assert one.append("a", 0, [ev()], row) == many.append_many([Append("a", 0, [ev()], row)])[0]
        assert snapshot(one) == snapshot(many)
        assert attrs.evolve(row) == many.row("a")
