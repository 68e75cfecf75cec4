"""A sweep split into ranges, in one process and across a pool of worker processes."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallflow.cases.hall import Hall
from hallflow.cases.supervision import SweepReport
from hallflow.cases.supervision import sweep as reference_sweep
from hallflow.errors import CommandInputError, StoreArgumentError
from hallflow.plugins import hookimpl
from hallflow.store import MemoryStore, SQLiteStore
from hallflow.store.base import EventStore, even_cuts
from hallflow.supervision.pool import SweepPool, SweepPoolError
from hallflow.supervision.sweep import sweep as bulk_sweep
from tests.hall_fixtures import APPLICANT, at
from tests.test_supervision_sweep import accepted, escalations, histories, make_hall

WHEN = at(3, 30, 12)
"""After every case's events: the early ones overdue, the later ones in their reminders."""


def fill(hall: Hall) -> list[str]:
    """A case accepted on each working day from 2 to 20 March."""
    return [accepted(hall, day) for day in range(2, 21) if at(3, day).weekday() < 5]


def open_hall(path: str) -> Hall:
    """What each worker of the pool opens: the test hall on the SQLite file ``path``."""
    return make_hall(SQLiteStore(path))


def open_postgres_hall(dsn: str, schema: str) -> Hall:
    """What each worker opens in the PostgreSQL test: the test hall on one schema."""
    from hallflow.store.postgres import PostgresStore

    return make_hall(PostgresStore(dsn, schema=schema, max_size=2))


class DiesOnce:
    """Kills its worker process the first time it is asked about a case (a marker file)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    @hookimpl
    def hallflow_escalations(self, matter: Any, case: Any, clock: str, status: Any, at: Any) -> Any:
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return ()
        os._exit(9)  # as SIGKILL would: no cleanup, mid-sweep


def open_dying_hall(path: str, marker: str) -> Hall:
    """The test hall with a plugin that kills the first worker to sweep a candidate."""
    hall = make_hall(SQLiteStore(path))
    hall.plugins.register(DiesOnce(marker))
    return hall


def no_hall(path: str) -> Hall:
    raise RuntimeError(f"cannot open {path}")


# ---------------------------------------------------------------------- the cuts


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text("abc", min_size=1, max_size=4), unique=True), st.integers(1, 12))
def test_even_cuts_split_every_id_into_exactly_one_range_of_nearly_equal_size(
    ids: list[str], parts: int
) -> None:
    ids = sorted(ids)
    cuts = even_cuts(ids, parts)
    assert cuts == sorted(set(cuts)) and len(cuts) <= parts - 1
    bounds = [None, *cuts, None]
    shares = [
        [c for c in ids if (lo is None or c > lo) and (hi is None or c <= hi)]
        for lo, hi in itertools.pairwise(bounds)
    ]
    assert sorted(c for share in shares for c in share) == ids  # each id exactly once
    sizes = [len(share) for share in shares]
    if len(ids) >= parts:
        assert len(sizes) == parts
        assert max(sizes) - min(sizes) <= 1  # i * n // parts boundaries


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 10**6), unique=True, max_size=40), st.integers(1, 9))
def test_sqlite_cuts_are_the_reference_cuts(numbers: list[int], parts: int) -> None:
    ids = [f"c-{n:07d}" for n in numbers]
    with (
        tempfile.TemporaryDirectory() as tmp,
        MemoryStore() as memory,
        SQLiteStore(Path(tmp) / "h.db") as sqlite,
    ):
        for store in (memory, sqlite):
            hall = make_hall(store)
            for case_id in ids:
                hall.submit(
                    "plan-01",
                    APPLICANT,
                    "c1",
                    materials=["form", "site"],
                    actor="clerk",
                    at=at(3, 2),
                    case_id=case_id,
                )
        assert sqlite.split_cases(parts) == memory.split_cases(parts)
        assert memory.split_cases(parts) == even_cuts(sorted(ids), parts)


@pytest.mark.parametrize("parts", [0, -1, 10_001, 2.0, "2", None, True])
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_bad_parts_are_refused(kind: str, parts: object, tmp_path: Path) -> None:
    store: EventStore = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "h.db")
    with pytest.raises(StoreArgumentError, match="parts"):
        store.split_cases(parts)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- ranges, in process


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize("parts", [1, 3, 7, 40])
def test_sweeping_the_ranges_records_what_one_sweep_records(
    kind: str, parts: int, tmp_path: Path
) -> None:
    one = make_hall(MemoryStore())
    split = make_hall(MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "h.db"))
    assert fill(one) == fill(split)
    expected = bulk_sweep(one, WHEN)
    cuts = split.store.split_cases(parts)
    bounds = [None, *cuts, None]
    got = SweepReport()
    for lo, hi in itertools.pairwise(bounds):
        part = bulk_sweep(split, WHEN, after=lo, until=hi, chunk=3)
        got.extend(part)
        got.swept += part.swept
    assert escalations(got) == escalations(expected) != []
    assert got.swept == expected.swept
    assert histories(split) == histories(one)


@pytest.mark.parametrize("name", ["after", "until"])
def test_bad_bounds_are_refused(name: str) -> None:
    hall = make_hall(MemoryStore())
    with pytest.raises(CommandInputError, match=f"sweep.{name}"):
        bulk_sweep(hall, WHEN, **{name: 7})  # type: ignore[arg-type]
    with pytest.raises(StoreArgumentError, match=name):
        hall.store.open_clocks(**{name: 7})  # type: ignore[arg-type]


# ---------------------------------------------------------------------- the pool


def test_a_pool_of_processes_records_each_escalation_once(tmp_path: Path) -> None:
    path = tmp_path / "hall.db"
    with SQLiteStore(path) as store:
        fill(make_hall(store))
    shutil.copy(path, tmp_path / "twin.db")
    with SweepPool(partial(open_hall, str(path)), 2, parts_per_process=3, chunk=4) as pool:
        assert len(pool.memory_kib) == 2  # two processes, each with its hall open
        got = pool.sweep(WHEN)
        again = pool.sweep(WHEN)
    with SQLiteStore(tmp_path / "twin.db") as twin_store, SQLiteStore(path) as store:
        twin = make_hall(twin_store)
        expected = reference_sweep(twin, WHEN)
        assert escalations(got) == escalations(expected) != []
        assert len(got) == len(set(escalations(got)))  # nothing recorded twice
        assert (list(again), again.folded) == ([], 0)  # the second sweep: nothing
        assert got.swept == again.swept == expected.swept
        assert histories(make_hall(store)) == histories(twin)
        assert store.verify().ok


def test_a_pool_whose_workers_cannot_open_their_hall_says_so(tmp_path: Path) -> None:
    with pytest.raises(SweepPoolError, match="cannot open"):
        SweepPool(partial(no_hall, str(tmp_path / "x.db")), 1, timeout=60)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"processes": 0}, "processes"),
        ({"processes": 1.5}, "processes"),
        ({"parts_per_process": 0}, "parts_per_process"),
        ({"chunk": "9"}, "chunk"),
        ({"start_method": "thread"}, "start_method"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
    ],
)
def test_bad_pool_arguments_are_refused(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(CommandInputError, match=f"SweepPool.{field}"):
        SweepPool(partial(open_hall, "unused.db"), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(CommandInputError, match="open_hall"):
        SweepPool("not callable")  # type: ignore[arg-type]


def test_a_pool_on_postgresql_records_each_escalation_once(
    postgres_dsn: str, pg_schemas: Callable[[], str]
) -> None:
    """Issue 13: several workers on one database; every case in one range, recorded once."""
    from hallflow.store.postgres import PostgresStore

    schema, twin = pg_schemas(), pg_schemas()
    for name in (schema, twin):
        with PostgresStore(postgres_dsn, schema=name) as store:
            fill(make_hall(store))
    opener = partial(open_postgres_hall, postgres_dsn, schema)
    with SweepPool(opener, 2, parts_per_process=2, chunk=3) as pool:
        got = pool.sweep(WHEN)
        again = pool.sweep(WHEN)
    with (
        PostgresStore(postgres_dsn, schema=schema) as store,
        PostgresStore(postgres_dsn, schema=twin) as twin_store,
    ):
        reference = make_hall(twin_store)
        expected = reference_sweep(reference, WHEN)
        assert escalations(got) == escalations(expected) != []
        assert len(got) == len(set(escalations(got)))
        assert (list(again), again.folded) == ([], 0)
        assert histories(make_hall(store)) == histories(reference)
        assert store.verify().ok


def test_a_worker_killed_mid_sweep_has_its_share_taken_over(tmp_path: Path) -> None:
    """Issue 13: nothing half-done, the dead worker's ranges swept again, nothing twice."""
    path = tmp_path / "hall.db"
    with SQLiteStore(path) as store:
        fill(make_hall(store))
    shutil.copy(path, tmp_path / "twin.db")
    marker = tmp_path / "died"
    opener = partial(open_dying_hall, str(path), str(marker))
    with SweepPool(opener, 2, parts_per_process=2, chunk=3) as pool:
        got = pool.sweep(WHEN)
        assert marker.exists() and pool.restarts == 1
        again = pool.sweep(WHEN)
    with SQLiteStore(tmp_path / "twin.db") as twin_store, SQLiteStore(path) as store:
        twin = make_hall(twin_store)
        expected = reference_sweep(twin, WHEN)
        assert set(escalations(got)) <= set(escalations(expected))  # what the survivors said
        assert (list(again), again.folded) == ([], 0)
        assert histories(make_hall(store)) == histories(twin)  # every escalation, once
        assert store.verify().ok
