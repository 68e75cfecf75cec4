"""The hot path's shortcuts agree with the reference paths beside them.

* The SQLite store updates a case it wrote last with a guarded UPDATE instead of reading its
  row, inserts a new case without reading, and extends the hall chain after the newest entry
  the last writer left as a hint (checked by the same write). The reference: the row and the
  newest entry read from the file — which the MemoryStore's chains equal (same clock, same
  digests). Hypothesis drives two stores on one file with stale caches, stale and garbage
  hints, rows edited behind the store's back, and wrong expected versions.
* The pipeline runs an unkeyed command on the Hall's cached case without reading its
  version; a stale cache must give what a Hall reading the store gives.
* ``utc_text`` formats what ``isoformat`` formats; the calendar-range check skips computing
  the day only where the reference (``Pipeline._in_range``) would pass.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallflow.cases.lifecycle import CaseState
from hallflow.cases.pipeline import _inner_bounds
from hallflow.errors import CaseStateError, ConcurrencyError, StoreError, TimeOrderError
from hallflow.store import CaseRow, MemoryStore, NewEvent, SQLiteStore
from hallflow.store import _shared as shared_module
from hallflow.store.base import utc_text
from tests.hall_fixtures import APPLICANT, CAL, at, build_hall

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
FIXED = dt.datetime(2026, 3, 2, 1, 30, 0, 123456, tzinfo=dt.UTC)
CASES = ("c-0", "c-1", "c-2")

# --------------------------------------------------------------------------- the store

operations = st.lists(
    st.tuples(
        st.integers(0, 1),  # which store writes
        st.sampled_from(CASES),
        st.sampled_from([0, 0, 0, 0, -1, 1]),  # expected version: right, or off by one
        st.integers(1, 2),  # events in the append
        st.sampled_from(["none", "none", "none", "stale-hint", "garbage-hint", "edit-row"]),
        st.sampled_from(["received", "reviewing", "decided"]),
    ),
    min_size=1,
    max_size=25,
)


def _append(store: Any, case_id: str, expected: int, n: int, state: str) -> object:
    events = [
        NewEvent("noted", "clerk", T0 + dt.timedelta(minutes=expected + i), {"i": i, "s": state})
        for i in range(n)
    ]
    due = None if state == "decided" else T0 + dt.timedelta(days=expected)
    row = CaseRow(case_id, "m1", "a1", "w1", state, due, expected + n)
    try:
        return store.append(case_id, expected, events, row)
    except ConcurrencyError as exc:
        return ("refused", exc.expected, exc.actual)


def _interfere(path: Path, store: SQLiteStore, how: str, case_id: str) -> None:
    shared = store._shared
    if how == "edit-row":  # a row edited behind the stores' backs (version and head kept)
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE cases SET state = 'edited' WHERE case_id = ?", (case_id,))
        return
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT position, link FROM chain ORDER BY position DESC").fetchall()
    if how == "stale-hint" and len(rows) >= 2:  # as a writer killed after its commit leaves it
        hint = (rows[1][0], rows[1][1])
    elif how == "garbage-hint":
        hint = (len(rows) or 1, "f" * 64)
    else:
        return
    if shared is not None:
        shared.set_tail(*hint)
    else:
        store._tail_hint = hint


@pytest.mark.parametrize("shared", [True, False], ids=["shared-log", "sqlite-locks-only"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations)
def test_two_sqlite_stores_with_stale_caches_agree_with_the_memory_store(
    shared: bool, ops: list[tuple[int, str, int, int, str, str]]
) -> None:
    clock = lambda: FIXED  # noqa: E731 - the same recorded_at in every store: same digests
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "s.db"
        patch = (
            mock.patch.object(shared_module.SharedLog, "open", return_value=None)
            if not shared
            else contextlib.nullcontext()
        )
        with patch:
            stores = (SQLiteStore(path, clock=clock), SQLiteStore(path, clock=clock))
        reference = MemoryStore(clock=clock)
        try:
            for writer, case_id, offset, n, how, state in ops:
                store = stores[writer]
                _interfere(path, store, how, case_id)
                expected = max(0, reference.version(case_id) + offset)
                got = _append(store, case_id, expected, n, state)
                want = _append(reference, case_id, expected, n, state)
                assert got == want
                if not isinstance(want, tuple):  # written: the row is the one appended
                    assert store.row(case_id) == reference.row(case_id)
            for case_id in reference.case_ids():
                assert [e.digest for e in stores[0].load(case_id)] == [
                    e.digest for e in reference.load(case_id)
                ]
            assert stores[1].head() == reference.head()
            report = stores[0].verify()
            assert report.ok, report.breaks
        finally:
            for s in stores:
                s.close()


def test_a_hint_from_another_hallflow_is_checked(tmp_path: Path) -> None:
    """A chain row written by a writer that leaves no hint (an older hallflow): relinked."""
    clock = lambda: FIXED  # noqa: E731
    with SQLiteStore(tmp_path / "a.db", clock=clock) as store:
        row = CaseRow("x", "m1", "a1", "w1", "received", None, 1)
        store.append("x", 0, [NewEvent("noted", "clerk", T0)], row)
        assert store._shared is not None
        stale = store._shared.tail()
        assert stale is not None and stale[0] == 1
        store.append("y", 0, [NewEvent("noted", "clerk", T0)], CaseRow("y", *row_fields(1)))
        store._shared.set_tail(*stale)  # as if "y" had been written by an older hallflow
        store.append("z", 0, [NewEvent("noted", "clerk", T0)], CaseRow("z", *row_fields(1)))
        assert store.head().position == 3
        assert store.verify().ok


def row_fields(version: int) -> tuple[Any, ...]:
    return ("m1", "a1", "w1", "received", None, version)


def test_a_rolled_back_transaction_leaves_no_wrong_memory(tmp_path: Path) -> None:
    """A write that fails inside SQLite leaves the store's memory of the case unused."""
    clock = lambda: FIXED  # noqa: E731
    with SQLiteStore(tmp_path / "r.db", clock=clock) as store:
        store.append("x", 0, [NewEvent("noted", "clerk", T0)], CaseRow("x", *row_fields(1)))
        conn = store._connection()
        conn.execute(  # the next events insert fails: an event at seq 2 already exists
            "INSERT INTO events (case_id, seq, kind, actor, at_utc, at_tz, payload, "
            "recorded_at) VALUES ('x', 2, 'k', 'a', 't', 'z', '{}', 'r')"
        )
        with pytest.raises(StoreError):
            store.append("x", 1, [NewEvent("noted", "clerk", T0)], CaseRow("x", *row_fields(2)))
        conn.execute("DELETE FROM events WHERE case_id = 'x' AND seq = 2")
        assert store.version("x") == 1
        store.append("x", 1, [NewEvent("noted", "clerk", T0)], CaseRow("x", *row_fields(2)))
        assert store.verify().ok


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_is_refused(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "f.db") as store:
        store.version("x")
        pid = os.fork()
        if pid == 0:  # the child: the store must refuse it
            try:
                store.version("x")
            except StoreError:
                os._exit(0)
            os._exit(1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert store.version("x") == 0  # the parent goes on


# --------------------------------------------------------------------------- the pipeline


def _submit(hall: Any) -> str:
    case = hall.submit(
        "plan-01", APPLICANT, "c1", materials=("form", "site"), actor="clerk", at=at(11, 2)
    )
    return str(case.case_id)


def test_a_stale_cached_case_runs_again_on_the_stored_one(tmp_path: Path) -> None:
    """Hall A's cache is behind Hall B's writes; A's commands act as on the stored case."""
    store = SQLiteStore(tmp_path / "h.db")
    first, second, fresh = build_hall(store), build_hall(store), build_hall(store)
    case_id = _submit(first)
    first.accept(case_id, actor="clerk", at=at(11, 2, 11))
    second.sign(case_id, "review", actor="rev1", at=at(11, 3))  # first's cache is now stale
    # allowed on the stored case (review done), refused on the stale one: it runs again
    case = first.assign(case_id, "council", ["rev1", "rev2"], actor="chief", at=at(11, 4))
    assert case.version == 4 == store.version(case_id)
    assert case == fresh.case(case_id)
    second.sign(case_id, "council", actor="rev1", at=at(11, 5))
    # time order is judged on the stored case: before the latest event, refused
    with pytest.raises(TimeOrderError):
        first.sign(case_id, "council", actor="rev2", at=at(11, 4, 12))
    # a refusal on the stored case stays a refusal (the case is not decided yet)
    with pytest.raises(CaseStateError):
        first.seal(case_id, "S-PLAN-1", actor="chief", at=at(11, 6))
    case = first.sign(case_id, "council", actor="rev2", at=at(11, 6))
    assert case == fresh.case(case_id) and case.version == 6
    assert case.state is CaseState.REVIEWING
    assert store.verify().ok
    store.close()


# --------------------------------------------------------------------------- the small ones


aware = st.datetimes(
    min_value=dt.datetime(1, 1, 3),
    max_value=dt.datetime(9999, 12, 29),
    timezones=st.sampled_from(
        [
            dt.UTC,
            ZoneInfo("Asia/Shanghai"),
            ZoneInfo("America/New_York"),
            dt.timezone(-dt.timedelta(hours=13, minutes=7)),
        ]
    ),
)


@given(value=aware)
def test_utc_text_is_isoformat_in_utc(value: dt.datetime) -> None:
    assert utc_text(value) == value.astimezone(dt.UTC).isoformat(timespec="microseconds")[:-6]


@given(value=aware)
def test_the_calendar_range_shortcut_agrees_with_the_day(value: dt.datetime) -> None:
    _, _, low, high = _inner_bounds(CAL)
    day = value.astimezone(CAL.hours.tzinfo).date()
    if low <= value <= high:  # the shortcut says "covered": the day must be
        assert CAL.first <= day <= CAL.last
