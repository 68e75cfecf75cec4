"""The bulk supervision sweep against the per-case reference, on random halls."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from hallflow.cases.hall import Hall
from hallflow.cases.supervision import SweepReport
from hallflow.cases.supervision import sweep as reference_sweep
from hallflow.errors import CommandInputError, HallflowError, StoreArgumentError
from hallflow.model import Matter
from hallflow.plugins import hookimpl
from hallflow.store import MemoryStore, SQLiteStore
from hallflow.store.base import CaseRow, EventStore
from hallflow.supervision.sweep import sweep as bulk_sweep
from hallflow.timeline import PauseReason
from hallflow.timeline.ladder import Ladder, Rung
from tests.hall_fixtures import (
    APPLICANT,
    at,
    build_hall,
)
from tests.strategies import ACTIONS, scripts

PROMISED = frozenset({"promised"})
LADDER = Ladder(
    "test",
    (
        Rung("notice", "reminder", "window", "due {due}", PROMISED, 3),
        Rung("limit", "reminder", "department", "{remaining} {days}", PROMISED, 0),
        Rung("warning", "warning", "leader", "late on {clock}", PROMISED, -3),
        Rung("referral", "referral", "supervision", "refer", PROMISED, -8),
        Rung("deliver", "reminder", "window", "deliver by {due}", frozenset({"delivery"}), 2),
    ),
)
DEEM = Ladder(
    "deem", (Rung("deem", "deemed_approval", "supervision", "silence", frozenset({"legal"}), -2),)
)


class Ladders:
    """The test ladders: every matter's, and deemed approval on plan-01's legal clock."""

    @hookimpl
    def hallflow_escalation_ladders(self, matter: Matter) -> tuple[Ladder, ...]:
        return (LADDER, DEEM) if matter.code == "plan-01" else (LADDER,)


def make_hall(store: EventStore) -> Hall:
    return build_hall(store, plugins=[Ladders()])


# ---------------------------------------------------------------------- random halls


def escalations(report: SweepReport) -> list[tuple[str, str, str, str, str]]:
    return sorted((c, e.code, e.action.value, e.to, e.note) for c, e in report)


def histories(hall: Hall) -> dict[str, list[tuple[Any, ...]]]:
    return {
        c: [(e.kind, e.actor, e.at, dict(e.payload)) for e in hall.store.load(c)]
        for c in hall.store.case_ids()
    }


def run(script: list[tuple[Any, ...]], bulk_store: EventStore) -> None:
    ref, bulk = make_hall(MemoryStore()), make_hall(bulk_store)
    ids: list[str] = []
    newest = at(1, 1)
    for step in script:
        if step[0] == "submit":
            _, matter, materials, when = step
            made = [
                h.submit(matter, APPLICANT, "c1", materials=materials, actor="clerk", at=when)
                for h in (ref, bulk)
            ]
            assert made[0].case_id == made[1].case_id
            ids.append(made[0].case_id)
            newest = max(newest, when)
        elif step[0] == "act":
            _, case, name, when = step
            outcomes = []
            for h in (ref, bulk):
                try:
                    ACTIONS[name](h, ids[case], when)
                    outcomes.append("ok")
                except HallflowError as exc:
                    outcomes.append(type(exc).__name__)
            assert outcomes[0] == outcomes[1], (name, outcomes)
            newest = max(newest, when)
        else:
            _, when, chunk = step
            expected = reference_sweep(ref, when)
            got = bulk_sweep(bulk, when, chunk=chunk)
            assert escalations(got) == escalations(expected)
            assert [f.case_id for f in got.failures] == [f.case_id for f in expected.failures]
            # (swept counts differ when a case is deemed approved: the reference meets it
            # again among the decided cases)
            assert got.folded <= got.swept
            again = bulk_sweep(bulk, when, chunk=chunk)
            assert list(again) == []  # idempotent: a second sweep records nothing
            if when >= newest and not got.failures:
                assert again.folded == 0  # and folds nothing
            newest = max(newest, when)
    assert histories(bulk) == histories(ref)
    # the rows the bulk sweep wrote (renewed from what it read) are the ones the pipeline
    # writes; only what each sweep acknowledged may differ
    assert rows(bulk) == rows(ref)


def rows(hall: Hall) -> dict[str, CaseRow]:
    return {c: attrs.evolve(hall.store.row(c), swept=None) for c in hall.store.case_ids()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
def test_bulk_sweep_records_what_the_reference_records(script: list[tuple[Any, ...]]) -> None:
    run(script, MemoryStore())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
def test_bulk_sweep_on_sqlite_records_what_the_reference_records(
    script: list[tuple[Any, ...]],
) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        SQLiteStore(Path(tmp) / "hall.db", durability="normal") as store,
    ):
        run(script, store)


# ---------------------------------------------------------------------- by hand

LEGACY = Path(__file__).parent / "data" / "legacy" / "store-v1.sqlite"


def accepted(hall: Hall, day: int, matter: str = "plan-01") -> str:
    materials = ["form", "site"] if matter == "plan-01" else ["form"]
    case = hall.submit(matter, APPLICANT, "c1", materials=materials, actor="clerk", at=at(3, day))
    hall.accept(case.case_id, actor="clerk", at=at(3, day, 11))
    return case.case_id


def test_a_sweep_folds_only_the_candidates_and_a_second_folds_nothing(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "h.db") as store:
        hall = make_hall(store)
        early = [accepted(hall, 2) for _ in range(3)]  # 12 working days: due 18 Mar
        late = [accepted(hall, 16) for _ in range(4)]  # due 1 Apr
        first = bulk_sweep(hall, at(3, 16, 12), chunk=2)
        assert (first.swept, first.folded) == (7, 3)  # only the early ones are reminded
        assert {c for c, _ in first} == set(early)
        assert sorted(e.code for c, e in first if c == early[0]) == ["notice", "reminder"]
        second = bulk_sweep(hall, at(3, 16, 12), chunk=2)
        assert (list(second), second.folded) == ([], 0)
        # a command on a reminded case resets what the sweep acknowledged: it is folded again,
        # and nothing is recorded twice
        hall.sign(early[0], "review", actor="rev1", at=at(3, 16, 13))
        third = bulk_sweep(hall, at(3, 16, 14))
        assert (list(third), third.folded) == ([], 0)  # a neutral event keeps it
        hall.suspend(early[0], PauseReason.HEARING, actor="chief", at=at(3, 16, 15))
        fourth = bulk_sweep(hall, at(3, 16, 16))
        assert (list(fourth), fourth.folded) == ([], 1)
        assert late  # untouched until their own reminder window


def test_a_legacy_store_is_backfilled_by_its_first_sweep(tmp_path: Path) -> None:
    """Rows written before schema 3 hold no clocks: the first sweep folds those cases (the
    reference rule), records what the reference records, and writes their clocks."""
    import shutil

    paths = [tmp_path / "a.sqlite", tmp_path / "b.sqlite"]
    for path in paths:
        shutil.copy(LEGACY, path)
    with SQLiteStore(paths[0]) as one, SQLiteStore(paths[1]) as two:
        ref, bulk = make_hall(one), make_hall(two)
        assert [r[3] for r in two.open_clocks()] == [None, None, None]  # not computed yet
        when = at(12, 20)
        expected = reference_sweep(ref, when)
        got = bulk_sweep(bulk, when)
        assert escalations(got) == escalations(expected)
        assert got.folded == 3
        rows = {r[0]: r for r in two.open_clocks()}
        assert all(r[3] is not None for r in rows.values())  # backfilled
        assert bulk_sweep(bulk, when).folded == 0
        assert histories(bulk) == histories(ref)
        assert two.verify().ok


class Failing:
    """A plugin whose escalation hook fails on one case."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id

    @hookimpl
    def hallflow_escalations(self, matter: Any, case: Any, clock: str, status: Any, at: Any) -> Any:
        if case.case_id == self.case_id:
            raise RuntimeError("the plugin fails on this case")
        return ()


def test_a_failing_case_is_reported_and_the_others_are_swept() -> None:
    hall = make_hall(MemoryStore())
    ids = [accepted(hall, 2) for _ in range(3)]
    hall.plugins.register(Failing(ids[1]))
    report = bulk_sweep(hall, at(3, 16, 12), chunk=1)
    assert [f.case_id for f in report.failures] == [ids[1]]
    assert report.failures[0].kind == "RuntimeError"
    assert {c for c, _ in report} == {ids[0], ids[2]}
    again = bulk_sweep(hall, at(3, 16, 12))
    assert [f.case_id for f in again.failures] == [ids[1]]  # still reported, never marked
    assert list(again) == []


def test_a_case_changed_under_the_sweep_is_read_again() -> None:
    hall = make_hall(MemoryStore())
    case_id = accepted(hall, 2)
    calls = {"n": 0}

    class Racing:
        @hookimpl
        def hallflow_escalations(
            self, matter: Any, case: Any, clock: str, status: Any, at: Any
        ) -> Any:
            calls["n"] += 1
            if calls["n"] == 1:  # a clerk signs while the sweep looks at the case
                hall.sign(case_id, "review", actor="rev1", at=at)
            return ()

    hall.plugins.register(Racing())
    report = bulk_sweep(hall, at(3, 16, 12))
    assert report.failures == []
    assert sorted(e.code for _, e in report) == ["notice", "reminder"]
    kinds = [e.kind for e in hall.case(case_id).history]
    assert kinds.count("escalated") == 2 and "step_signed" in kinds


def test_bad_input_is_refused() -> None:
    hall = make_hall(MemoryStore())
    with pytest.raises(CommandInputError, match="chunk"):
        bulk_sweep(hall, at(3, 2), chunk=0)
    with pytest.raises(CommandInputError):
        bulk_sweep(hall, dt.datetime(2026, 3, 2))  # naive
    with pytest.raises(StoreArgumentError):
        hall.store.open_clocks(limit=0)
    with pytest.raises(StoreArgumentError):
        hall.store.open_clocks(after=3)  # type: ignore[arg-type]
    with pytest.raises(StoreArgumentError):
        hall.store.put_swept([("c", 0, None, b"")])
    with pytest.raises(StoreArgumentError):
        hall.store.put_swept("no")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_put_swept_applies_only_to_the_version_given(kind: str, tmp_path: Path) -> None:
    store: EventStore = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "s.db")
    hall = make_hall(store)
    case_id = accepted(hall, 2)
    version = store.version(case_id)
    head = store.head()
    assert store.put_swept([(case_id, version - 1, None, b"x" * 64)]) == 0
    assert store.row(case_id).swept is None
    assert store.put_swept([(case_id, version, None, b"y" * 64)]) == 1
    row = store.row(case_id)
    assert row.swept == b"y" * 64 and row.clocks  # clocks kept
    assert store.head() == head and store.verify().ok  # outside the chains
    store.close()


def test_the_cache_option_is_checked(tmp_path: Path) -> None:
    from hallflow.errors import StoreError

    for bad in (0, -1, 1.5, True, 10**6):
        with pytest.raises(StoreError, match="cache_mib"):
            SQLiteStore(tmp_path / "c.db", cache_mib=bad)  # type: ignore[arg-type]
    with SQLiteStore(tmp_path / "c.db", cache_mib=8) as store:
        import sqlite3

        assert store.case_ids() == []
        conn = sqlite3.connect(tmp_path / "c.db")
        try:  # the pragma is per connection: a plain connection keeps SQLite's default
            assert conn.execute("PRAGMA cache_size").fetchone()[0] == -2000
        finally:
            conn.close()
        assert store._connection().execute("PRAGMA cache_size").fetchone()[0] == -8192


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_the_halls_own_streams_are_not_swept(kind: str, tmp_path: Path) -> None:
    store: EventStore = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "s.db")
    hall = make_hall(store)
    ids = [accepted(hall, 2), accepted(hall, 2)]
    hall.revoke_seal("S-PLAN-1", "key rotated", actor="chief", at=at(3, 4))
    streams = [c for c in store.case_ids() if c not in ids]
    assert streams  # the seal registry's stream
    assert {r[0] for r in store.open_clocks()} >= set(streams)  # read, then left out
    report = bulk_sweep(hall, at(3, 16, 12), chunk=1)
    assert report.failures == [] and report.swept == 2
    assert {c for c, _ in report} == set(ids)
    store.close()


def test_clocks_the_bulk_path_cannot_evaluate_go_to_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Any error of the bulk evaluation (timeline.bulk has had an IndexError) is confined by
    splitting the chunk: the clocks at fault are swept by the reference rule."""
    import numpy as np

    import hallflow.supervision.sweep as module
    from hallflow.timeline.compiled import to_us

    ref, bulk = make_hall(MemoryStore()), make_hall(MemoryStore())
    for hall in (ref, bulk):
        for day in (2, 2, 3, 2, 4):
            accepted(hall, day)
    odd = to_us(at(3, 3, 11))  # the case accepted on 3 March
    from hallflow.timeline.bulk import evaluate as real

    def evaluate(calendar: Any, arrays: Any, when: Any) -> Any:
        if (np.asarray(arrays.start) == odd).any():
            raise IndexError("a bulk bug")
        return real(calendar, arrays, when)

    monkeypatch.setattr(module, "evaluate", evaluate)
    when = at(3, 18, 12)
    expected = reference_sweep(ref, when)
    got = bulk_sweep(bulk, when, chunk=5)
    assert got.failures == []
    assert escalations(got) == escalations(expected)
    assert "case-0003" in {c for c, _ in got}  # the odd case, swept by the reference
    assert histories(bulk) == histories(ref)
