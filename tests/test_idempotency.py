"""Idempotency: an idempotency key names one command, once.

A client that does not know whether its command arrived (a timeout, a dropped connection)
sends it again with the same key: the same command — same arguments, same actor, same
instant — gets the earlier result, however far the case has moved since, and nothing is
recorded twice. The same key with anything else is an
:class:`~hallflow.errors.IdempotencyError` naming both commands — never a silent answer
with the other command's result. A key does not let anyone past authority: replayed by an
actor without the power, it is a :class:`~hallflow.errors.NotAuthorisedError`.

The races run two threads on one fresh case per trial, released together by a barrier,
on a MemoryStore and on an SQLiteStore (one Hall, or two Halls sharing the file): 200
trials per store by default, 1,000 under ``-m slow``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from hallflow.cases import Case, CaseState, Hall
from hallflow.errors import (
    HallflowError,
    IdempotencyError,
    NotAuthorisedError,
)
from hallflow.store import MemoryStore, SQLiteStore
from hallflow.store.base import EventStore
from tests.hall_fixtures import APPLICANT as PERSON
from tests.hall_fixtures import at, build_hall
from tests.strategies import Scene, build_scene, log_snapshot, slow_selected

START = at(11, 2, 9)
T = at(11, 3, 10)

Command = Callable[[Hall, str], Case]
"""A keyed command on a case (the key is bound in)."""


def scene() -> tuple[Hall, Scene]:
    hall = build_hall()
    return hall, build_scene(hall, PERSON, START)


# ---- a retry gets the earlier result


RETRIES: list[tuple[str, str, Command]] = [
    ("accept", "submitted", lambda h, c: h.accept(c, actor="clerk", at=T, idempotency_key="k")),
    (
        "not_accept",
        "submitted",
        lambda h, c: h.not_accept(c, "outside remit", actor="clerk", at=T, idempotency_key="k"),
    ),
    (
        "request_correction",
        "incomplete",
        lambda h, c: h.request_correction(
            c, {"site": "missing"}, actor="clerk", at=T, idempotency_key="k"
        ),
    ),
    ("sign", "council", lambda h, c: h.sign(c, "council", actor="rev1", at=T, idempotency_key="k")),
    (
        "decide",
        "ready",
        lambda h, c: h.decide(c, False, actor="chief", at=T, reasons="no", idempotency_key="k"),
    ),
    (
        "seal",
        "decided",
        lambda h, c: h.seal(c, "S-PLAN-1", actor="chief", at=T, idempotency_key="k"),
    ),
    (
        "deliver",
        "sealed",
        lambda h, c: h.deliver(c, "post", actor="clerk", at=T, idempotency_key="k"),
    ),
    (
        "withdraw",
        "correction",
        lambda h, c: h.withdraw(c, actor="applicant", at=T, idempotency_key="k"),
    ),
    (
        "give_opinion",
        "joint",
        lambda h, c: h.give_opinion(
            c, "Fire Brigade", True, actor="fire", at=T, idempotency_key="k"
        ),
    ),
]


@pytest.mark.parametrize(("name", "label", "command"), RETRIES, ids=[r[0] for r in RETRIES])
def test_a_retry_with_the_same_key_returns_the_earlier_result(
    name: str, label: str, command: Command
) -> None:
    hall, s = scene()
    first = command(hall, s[label])
    after = log_snapshot(hall.store)
    again = command(hall, s[label])
    assert again == first
    assert log_snapshot(hall.store) == after


def test_a_retry_after_the_case_moved_on_returns_the_case_as_it_was() -> None:
    hall, s = scene()
    case_id = s["submitted"]
    accepted = hall.accept(case_id, actor="clerk", at=T, idempotency_key="accept-1")
    hall.sign(case_id, "review", actor="rev1", at=T + dt.timedelta(hours=1))
    hall.assign(case_id, "council", ["rev1"], actor="chief", at=T + dt.timedelta(hours=2))
    moved = log_snapshot(hall.store)
    again = hall.accept(case_id, actor="clerk", at=T, idempotency_key="accept-1")
    assert again == accepted and again.state is CaseState.REVIEWING and again.version == 2
    assert log_snapshot(hall.store) == moved


# ---- the same key for another command


def first_and_second(
    label: str, first: Command, second: Command
) -> tuple[Hall, Scene, IdempotencyError]:
    hall, s = scene()
    first(hall, s[label])
    after = log_snapshot(hall.store)
    with pytest.raises(IdempotencyError) as refused:
        second(hall, s[label])
    assert log_snapshot(hall.store) == after
    return hall, s, refused.value


OTHER_COMMANDS: list[tuple[str, str, Command, Command]] = [
    (
        "approve-then-deny",
        "ready",
        lambda h, c: h.decide(c, True, actor="chief", at=T, idempotency_key="k"),
        lambda h, c: h.decide(c, False, actor="chief", at=T, reasons="no", idempotency_key="k"),
    ),
    (
        "accept-then-not-accept",
        "submitted",
        lambda h, c: h.accept(c, actor="clerk", at=T, idempotency_key="k"),
        lambda h, c: h.not_accept(c, "outside remit", actor="clerk", at=T, idempotency_key="k"),
    ),
    (
        "signed-by-two-people",
        "council",
        lambda h, c: h.sign(c, "council", actor="rev1", at=T, idempotency_key="k"),
        lambda h, c: h.sign(c, "council", actor="rev2", at=T, idempotency_key="k"),
    ),
    (
        "accepted-by-two-people",
        "submitted",
        lambda h, c: h.accept(c, actor="clerk", at=T, idempotency_key="k"),
        lambda h, c: h.accept(c, actor="chief", at=T, idempotency_key="k"),
    ),
    (
        "at-another-instant",
        "submitted",
        lambda h, c: h.accept(c, actor="clerk", at=T, idempotency_key="k"),
        lambda h, c: h.accept(
            c, actor="clerk", at=T + dt.timedelta(minutes=1), idempotency_key="k"
        ),
    ),
    (
        "other-reasons",
        "ready",
        lambda h, c: h.decide(c, False, actor="chief", at=T, reasons="site", idempotency_key="k"),
        lambda h, c: h.decide(c, False, actor="chief", at=T, reasons="form", idempotency_key="k"),
    ),
]


@pytest.mark.parametrize(
    ("name", "label", "first", "second"), OTHER_COMMANDS, ids=[c[0] for c in OTHER_COMMANDS]
)
def test_the_same_key_for_another_command_is_refused(
    name: str, label: str, first: Command, second: Command
) -> None:
    _, s, refused = first_and_second(label, first, second)
    assert refused.first and refused.second and refused.first != refused.second
    assert refused.case_id == s[label] and refused.key == "k"


def test_another_submission_under_a_used_key_is_refused() -> None:
    hall = build_hall()
    hall.submit(
        "plan-01",
        PERSON,
        "c1",
        materials=["form"],
        actor="clerk",
        at=T,
        case_id="c-1",
        idempotency_key="k",
    )
    after = log_snapshot(hall.store)
    with pytest.raises(IdempotencyError) as refused:
        hall.submit(
            "plan-joint",
            PERSON,
            "c1",
            materials=["form"],
            actor="clerk",
            at=T,
            case_id="c-1",
            idempotency_key="k",
        )
    assert refused.value.first and refused.value.second
    assert log_snapshot(hall.store) == after


def submit_keyed(hall: Hall, matter: str = "plan-01", key: str = "sub-1") -> Case:
    return hall.submit(
        matter, PERSON, "c1", materials=["form"], actor="clerk", at=T, idempotency_key=key
    )


def test_a_keyed_submission_without_a_case_id_opens_one_case() -> None:
    hall = build_hall()
    first = submit_keyed(hall)
    again = submit_keyed(hall)
    assert again == first
    assert hall.case_ids() == [first.case_id]
    with pytest.raises(IdempotencyError):
        submit_keyed(hall, matter="plan-joint")
    assert hall.case_ids() == [first.case_id]
    other = submit_keyed(hall, key="sub-2")  # another key: another case
    assert sorted(hall.case_ids()) == sorted([first.case_id, other.case_id])


# ---- a key is no pass


@pytest.mark.parametrize("actor", ["ghost", "rev1", "applicant", "fire"])
def test_a_key_replayed_by_an_actor_without_the_power_is_refused(actor: str) -> None:
    hall, s = scene()
    first = hall.accept(s["submitted"], actor="clerk", at=T, idempotency_key="used")
    after = log_snapshot(hall.store)
    with pytest.raises(NotAuthorisedError) as refused:
        hall.accept(s["submitted"], actor=actor, at=T, idempotency_key="used")
    assert refused.value.actor == actor
    assert log_snapshot(hall.store) == after
    assert hall.case(s["submitted"]) == first


# ---- races

TRIALS = [200, pytest.param(1_000, marks=pytest.mark.slow, id="slow")]
STORES = ["memory", "sqlite", "sqlite-two-halls"]


@contextlib.contextmanager
def open_halls(kind: str, tmp_path: Path) -> Iterator[tuple[Hall, Hall]]:
    """One hall, or two halls, on one store."""
    store: EventStore = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "race.db")
    with store:
        one = build_hall(store)
        yield one, build_hall(store) if kind == "sqlite-two-halls" else one


def skip_unless_selected(trials: int, request: pytest.FixtureRequest) -> None:
    if trials > 200 and not slow_selected(request.config):
        pytest.skip("slow: run with -m slow")


def race(pool: ThreadPoolExecutor, a: Callable[[], Case], b: Callable[[], Case]) -> list[Any]:
    """Run ``a`` and ``b`` released together; return each one's result or exception."""
    gate = threading.Barrier(2, timeout=30)

    def run(call: Callable[[], Case]) -> Any:
        gate.wait()
        try:
            return call()
        except HallflowError as exc:
            return exc

    futures = [pool.submit(run, a), pool.submit(run, b)]
    return [f.result(timeout=60) for f in futures]


def fresh(hall: Hall, n: int, materials: tuple[str, ...] = ("form", "site")) -> str:
    return hall.submit(
        "plan-01",
        PERSON,
        "c1",
        materials=list(materials),
        actor="clerk",
        at=at(11, 2, 9),
        case_id=f"trial-{n}",
    ).case_id


IDENTICAL: list[tuple[str, Callable[[Hall, str, str], Case]]] = [
    ("accept", lambda h, c, k: h.accept(c, actor="clerk", at=T, idempotency_key=k)),
    (
        "not_accept",
        lambda h, c, k: h.not_accept(c, "outside remit", actor="clerk", at=T, idempotency_key=k),
    ),
    ("withdraw", lambda h, c, k: h.withdraw(c, actor="applicant", at=T, idempotency_key=k)),
    (
        "submit",
        lambda h, c, k: h.submit(
            "plan-01", PERSON, "c1", materials=["form"], actor="clerk", at=T, idempotency_key=k
        ),
    ),
]


@pytest.mark.parametrize("trials", TRIALS)
@pytest.mark.parametrize("kind", STORES)
def test_two_identical_keyed_commands_racing_record_once_and_agree(
    kind: str, trials: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    skip_unless_selected(trials, request)
    outcomes: Counter[str] = Counter()
    with open_halls(kind, tmp_path) as (one, two), ThreadPoolExecutor(2) as pool:
        for n in range(trials):
            name, command = IDENTICAL[n % len(IDENTICAL)]
            case_id = fresh(one, n)
            key = f"race-{n}"
            before = set(one.case_ids())
            a, b = race(
                pool,
                functools.partial(command, one, case_id, key),
                functools.partial(command, two, case_id, key),
            )
            assert isinstance(a, Case) and isinstance(b, Case), f"trial {n} ({name}): {a!r}, {b!r}"
            assert a == b, f"trial {n} ({name}): the two answers differ"
            if name == "submit":  # one new case, of one event
                assert set(one.case_ids()) - before == {a.case_id}
                assert one.store.version(a.case_id) == 1
            else:  # the case's one new event
                assert one.store.version(case_id) == 2 and a.version == 2
            outcomes[name] += 1
    assert sum(outcomes.values()) == trials, outcomes


DIFFERENT: list[tuple[str, Callable[[Hall, str, str], Case], Callable[[Hall, str, str], Case]]] = [
    (
        "accept-or-not",
        lambda h, c, k: h.accept(c, actor="clerk", at=T, idempotency_key=k),
        lambda h, c, k: h.not_accept(c, "outside remit", actor="clerk", at=T, idempotency_key=k),
    ),
    (
        "accept-by-two",
        lambda h, c, k: h.accept(c, actor="clerk", at=T, idempotency_key=k),
        lambda h, c, k: h.accept(c, actor="chief", at=T, idempotency_key=k),
    ),
    (
        "withdraw-or-accept",
        lambda h, c, k: h.withdraw(c, actor="applicant", at=T, idempotency_key=k),
        lambda h, c, k: h.accept(c, actor="clerk", at=T, idempotency_key=k),
    ),
]


@pytest.mark.parametrize("trials", TRIALS)
@pytest.mark.parametrize("kind", STORES)
def test_two_different_commands_racing_under_one_key_one_wins_the_other_is_refused(
    kind: str, trials: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    skip_unless_selected(trials, request)
    silent = 0
    with open_halls(kind, tmp_path) as (one, two), ThreadPoolExecutor(2) as pool:
        for n in range(trials):
            name, first, second = DIFFERENT[n % len(DIFFERENT)]
            case_id = fresh(one, n)
            key = f"race-{n}"
            a, b = race(
                pool,
                functools.partial(first, one, case_id, key),
                functools.partial(second, two, case_id, key),
            )
            results = [r for r in (a, b) if isinstance(r, Case)]
            errors = [r for r in (a, b) if not isinstance(r, Case)]
            if len(results) == 2:
                silent += 1  # one got the other's answer, or both ran
                continue
            assert len(results) == 1, f"trial {n} ({name}): {a!r}, {b!r}"
            assert isinstance(errors[0], IdempotencyError), f"trial {n} ({name}): {errors[0]!r}"
            assert one.store.version(case_id) == 2
            assert one.case(case_id) == results[0]
    assert silent == 0, f"{silent} of {trials} trials answered a command with another's result"


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_approve_and_deny_racing_under_one_key(kind: str, tmp_path: Path) -> None:
    """The decision itself: exactly one of approve and deny is recorded, the other refused."""
    with open_halls(kind, tmp_path) as (one, two), ThreadPoolExecutor(2) as pool:
        for n in range(40):
            case_id = fresh(one, n)
            one.accept(case_id, actor="clerk", at=at(11, 2, 10))
            for signer, step in (("rev1", "review"), ("rev1", "council"), ("chief", "approve")):
                if step == "council":
                    one.assign(case_id, "council", ["rev1"], actor="chief", at=at(11, 2, 11))
                one.sign(case_id, step, actor=signer, at=at(11, 2, 11))
            key = f"decide-{n}"
            approve = functools.partial(
                one.decide, case_id, True, actor="chief", at=T, idempotency_key=key
            )
            deny = functools.partial(
                two.decide, case_id, False, actor="chief", at=T, reasons="no", idempotency_key=key
            )
            a, b = race(pool, approve, deny)
            kinds = sorted(type(r).__name__ for r in (a, b))
            assert kinds == ["Case", "IdempotencyError"], f"trial {n}: {a!r}, {b!r}"
            decided = [e for e in one.store.load(case_id) if e.kind == "decided"]
            assert len(decided) == 1
