"""Fuzz the command boundary: every public Hall method and every public store method.

Bad input never escapes as a plain Python error and never changes what is stored
(ARCHITECTURE.md, rules of the house: "Bad input never corrupts stored state"). Hypothesis
draws calls with a mix of valid arguments (cases in every state, built through valid
lifecycles; real staff, steps, materials and seals; instants in order) and invalid ones
(wrong types, None, lone surrogates, huge ints, NaN, naive datetimes, instants out of order,
unknown codes), and checks after every call:

* it returned, or raised a :class:`~hallflow.errors.HallflowError` — never anything else;
* after a refusal the log is identical: every event (seq, kind, actor, instant, payload as
  sorted JSON) and every row; for SQLite also the bytes of the database's SQL dump;
* at the end, every stored case replays from its events to the case the Hall serves.

The counts of calls are asserted, not assumed: the default run makes more than 10,000 Hall
calls (MemoryStore, plus a smaller SQLite share) and several thousand store calls; the runs
marked ``slow`` (``pytest -m slow``) make ten times as many.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallflow.cases import Hall, fold
from hallflow.errors import HallflowError
from hallflow.model import NaturalPerson, check_digit_resident
from hallflow.store import MemoryStore, SQLiteStore
from hallflow.store.base import EventStore
from tests.hall_fixtures import APPLICANT as PERSON
from tests.hall_fixtures import at, build_hall
from tests.strategies import (
    HALL_METHODS,
    hall_calls,
    log_snapshot,
    public_methods,
    scene_ids,
    scene_template,
    slow_selected,
    sqlite_dump,
    store_calls,
    vocabulary,
)

OTHER = NaturalPerson("Li Si", "11010519800101001" + check_digit_resident("11010519800101001"))
"""A second applicant, so that acting for the wrong one is drawn too."""

START = at(11, 2, 9)
TEMPLATE = scene_template(build_hall(MemoryStore()), PERSON, START)
"""The scene is built once through the Hall; each example plants a copy in a fresh store."""
VOCABULARY = vocabulary(TEMPLATE.hall, [PERSON, OTHER])
SCENE = scene_ids()
SPARE = [f"new-{n}" for n in range(4)] + [f"case-{n:04d}" for n in range(1, 4)]
CALLS = hall_calls(VOCABULARY, SCENE, spare_ids=SPARE)
STORE_CALLS = {
    store_type: store_calls(store_type, SCENE, TEMPLATE.scene.after)
    for store_type in (MemoryStore, SQLiteStore)
}

# Short runs of calls on a fresh copy of the scene, many of them: a failure shrinks to a few
# calls. About 45 s on two cores in all (the Hall's calls on a MemoryStore take 20 of them).
CALLS_PER_EXAMPLE = 12
HALL_MEMORY_EXAMPLES = 840  # x 12 = 10,080 calls
HALL_SQLITE_EXAMPLES = 100  # x 12 = 1,200 calls
STORE_CALLS_PER_EXAMPLE = 15
STORE_MEMORY_EXAMPLES = 200  # x 15 = 3,000 calls
STORE_SQLITE_EXAMPLES = 40  # x 15 = 600 calls

SCALES = [1, pytest.param(10, marks=pytest.mark.slow, id="slow")]

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


def skip_unless_selected(scale: int, request: pytest.FixtureRequest) -> None:
    if scale > 1 and not slow_selected(request.config):
        pytest.skip("slow: run with -m slow")


@attrs.define
class Tally:
    """What a fuzz run did."""

    calls: int = 0
    returned: int = 0
    refused: int = 0
    methods: Counter[str] = attrs.field(factory=Counter)
    errors: Counter[str] = attrs.field(factory=Counter)

    def report(self, what: str) -> str:
        return (
            f"{what}: {self.calls} calls, {self.returned} returned, {self.refused} refused "
            f"({', '.join(f'{k} {n}' for k, n in self.errors.most_common())})"
        )


def _later(now: dt.datetime, when: Any) -> dt.datetime:
    """The present after a call given ``when`` succeeded (never past the calendar)."""
    aware = isinstance(when, dt.datetime) and when.utcoffset() is not None
    return when if aware and now < when and when.year <= 2030 else now


def fuzz_hall(
    data: st.DataObject,
    store: EventStore,
    tally: Tally,
    dump: Callable[[], bytes] | None = None,
) -> None:
    """Plant the scene, make CALLS_PER_EXAMPLE drawn calls, check each, then replay."""
    hall = TEMPLATE.plant(store)
    now = TEMPLATE.scene.after
    snapshot = log_snapshot(hall.store)
    dumped = dump() if dump is not None else b""
    for _ in range(CALLS_PER_EXAMPLE):
        call = data.draw(CALLS)
        tally.calls += 1
        tally.methods[call.method] += 1
        try:
            _, when = call.run(hall, now)
        except HallflowError as exc:
            tally.refused += 1
            tally.errors[type(exc).__name__] += 1
            assert log_snapshot(hall.store) == snapshot, f"refused {call!r} changed the log"
            if dump is not None:
                assert dump() == dumped, f"refused {call!r} changed the database"
            continue
        tally.returned += 1
        now = _later(now, when)
        snapshot = log_snapshot(hall.store)
        if dump is not None:
            dumped = dump()
    for case_id in hall.case_ids():
        assert fold(hall.store.load(case_id)) == hall.case(case_id)


def check_tally(tally: Tally, minimum: int) -> None:
    print(tally.report("hall"))
    assert tally.calls >= minimum, tally.report("too few calls")
    missing = [m for m in HALL_METHODS if tally.methods[m] < minimum // 400]
    assert not missing, f"methods called too rarely: {missing} ({tally.methods})"
    # the valid calls reach the handlers: a fair share returns, a fair share is refused
    assert tally.returned >= tally.calls // 20, tally.report("too few calls returned")
    assert tally.refused >= tally.calls // 4, tally.report("too few calls refused")


def test_the_fuzz_calls_every_public_hall_method() -> None:
    """A public method the fuzz does not know is a boundary no test guards."""
    unknown = public_methods(Hall) - set(HALL_METHODS)
    assert not unknown, f"add these Hall methods to tests/strategies.py hall_calls: {unknown}"


@pytest.mark.parametrize("scale", SCALES)
def test_hall_calls_refuse_only_with_hallflow_errors_and_record_nothing(
    scale: int, request: pytest.FixtureRequest
) -> None:
    skip_unless_selected(scale, request)
    tally = Tally()

    @fuzz_settings(HALL_MEMORY_EXAMPLES * scale)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        fuzz_hall(data, MemoryStore(), tally)

    run()
    check_tally(tally, 10_000 * scale)


@pytest.mark.parametrize("scale", SCALES)
def test_hall_calls_on_sqlite_leave_the_database_byte_identical(
    scale: int, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    skip_unless_selected(scale, request)
    tally = Tally()
    files = (tmp_path / f"h{n}.db" for n in itertools.count())

    @fuzz_settings(HALL_SQLITE_EXAMPLES * scale)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        path = next(files)
        with SQLiteStore(path) as store:
            fuzz_hall(data, store, tally, lambda: sqlite_dump(path))

    run()
    print(tally.report("hall on SQLite"))
    assert tally.calls >= 1_150 * scale, tally.report("too few calls")
    assert tally.returned >= tally.calls // 20, tally.report("too few calls returned")


def fuzz_store(
    data: st.DataObject,
    store: EventStore,
    tally: Tally,
    dump: Callable[[], bytes] | None = None,
) -> None:
    """Plant the scene, then make STORE_CALLS_PER_EXAMPLE drawn store calls."""
    TEMPLATE.plant(store)
    calls = STORE_CALLS[MemoryStore if isinstance(store, MemoryStore) else SQLiteStore]
    snapshot = log_snapshot(store)
    dumped = dump() if dump is not None else b""
    for _ in range(STORE_CALLS_PER_EXAMPLE):
        call = data.draw(calls)
        tally.calls += 1
        tally.methods[call.method] += 1
        try:
            call.run(store, TEMPLATE.scene.after)
        except HallflowError as exc:
            tally.refused += 1
            tally.errors[type(exc).__name__] += 1
            assert log_snapshot(store) == snapshot, f"refused {call!r} changed the store"
            if dump is not None:
                assert dump() == dumped, f"refused {call!r} changed the database"
            continue
        tally.returned += 1
        snapshot = log_snapshot(store)
        if dump is not None:
            dumped = dump()


def check_store_tally(tally: Tally, store_type: type, minimum: int) -> None:
    print(tally.report(store_type.__name__))
    assert tally.calls >= minimum, tally.report("too few calls")
    expected = public_methods(store_type) - {"close"}
    rare = [m for m in sorted(expected) if not tally.methods[m]]
    assert not rare, f"store methods called too rarely: {rare} ({tally.methods})"
    assert tally.returned >= tally.calls // 10, tally.report("too few calls returned")
    assert tally.refused >= tally.calls // 10, tally.report("too few calls refused")


@pytest.mark.parametrize("scale", SCALES)
def test_memory_store_calls_refuse_only_with_hallflow_errors(
    scale: int, request: pytest.FixtureRequest
) -> None:
    skip_unless_selected(scale, request)
    tally = Tally()

    @fuzz_settings(STORE_MEMORY_EXAMPLES * scale)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        fuzz_store(data, MemoryStore(), tally)

    run()
    check_store_tally(tally, MemoryStore, 2_900 * scale)


@pytest.mark.parametrize("scale", SCALES)
def test_sqlite_store_calls_refuse_only_with_hallflow_errors(
    scale: int, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    skip_unless_selected(scale, request)
    tally = Tally()
    files = (tmp_path / f"s{n}.db" for n in itertools.count())

    @fuzz_settings(STORE_SQLITE_EXAMPLES * scale)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        path = next(files)
        with SQLiteStore(path) as store:
            fuzz_store(data, store, tally, lambda: sqlite_dump(path))

    run()
    check_store_tally(tally, SQLiteStore, 580 * scale)
