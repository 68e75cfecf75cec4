"""A child process for the SQLite store tests (run as ``python tests/store_worker.py MODE DB``).

Modes:

``crash DB PREFIX``
    Append cases named ``PREFIX-0``, ``PREFIX-1``... in an endless loop (now and then a second
    append to an earlier case), printing ``CASE VERSION`` only after ``append`` returned. The
    test kills it with SIGKILL and checks that every printed case is in the database.

``burst DB PREFIX``
    Print ``ready``, wait for a line on stdin, then append cases ``PREFIX-0`` to
    ``PREFIX-39`` from four threads sharing one store and print ``done``. Two of these at
    once exercise group commit, the writers' ``flock`` and shared syncs across processes.

``race DB NAME``
    Print ``ready``, then for each stdin line ``CASE EXPECTED`` try one append at that expected
    version and print ``won`` or ``conflict``. Two of these racing on the same lines must
    never both win.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import threading
from zoneinfo import ZoneInfo

from hallflow.errors import ConcurrencyError
from hallflow.store import CaseRow, NewEvent, SQLiteStore

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def events(rng: random.Random, count: int, actor: str) -> list[NewEvent]:
    """Build ``count`` events with payloads of a few kilobytes (so writes take a while)."""
    return [
        NewEvent(
            kind=rng.choice(["received", "accepted", "reviewed"]),
            actor=actor,
            at=START + dt.timedelta(minutes=rng.randrange(100_000)),
            payload={
                "reasons": ["材料齐全", "符合法定形式"],
                "note": "x" * rng.randrange(100, 4000),
                "n": rng.randrange(10**9),
            },
        )
        for _ in range(count)
    ]


def row(case_id: str, version: int, state: str) -> CaseRow:
    """The row a worker writes with its events."""
    return CaseRow(
        case_id=case_id,
        matter="business-licence",
        applicant=f"applicant-{version}",
        window="window-3",
        state=state,
        due=START + dt.timedelta(days=version),
        version=version,
    )


def crash(path: str, prefix: str) -> None:
    """Append forever; acknowledge each append on stdout once it has returned."""
    rng = random.Random(prefix)
    with SQLiteStore(path) as store:
        done: list[tuple[str, int]] = []
        i = 0
        while True:
            if done and rng.random() < 0.3:
                k = rng.randrange(len(done))
                case_id, version = done[k]
            else:
                case_id, version = f"{prefix}-{i}", 0
                i += 1
                done.append((case_id, 0))
                k = len(done) - 1
            batch = events(rng, rng.randint(1, 3), "worker")
            new = store.append(case_id, version, batch, row(case_id, version + len(batch), "x"))
            done[k] = (case_id, new)
            print(case_id, new, flush=True)


def burst(path: str, prefix: str) -> None:
    """Append 40 new cases from four threads once told to start."""
    rng = random.Random(prefix)
    with SQLiteStore(path) as store:
        print("ready", flush=True)
        sys.stdin.readline()

        def clerk(k: int) -> None:
            for n in range(k, 40, 4):
                case_id = f"{prefix}-{n}"
                store.append(case_id, 0, events(rng, 1, prefix), row(case_id, 1, "x"))

        pool = [threading.Thread(target=clerk, args=(k,)) for k in range(4)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        print("done", flush=True)


def race(path: str, name: str) -> None:
    """Try the appends the test dictates, reporting each outcome."""
    rng = random.Random(name)
    with SQLiteStore(path) as store:
        print("ready", flush=True)
        for line in sys.stdin:
            case_id, expected_text = line.split()
            expected = int(expected_text)
            batch = events(rng, 1, name)
            try:
                store.append(case_id, expected, batch, row(case_id, expected + 1, name))
            except ConcurrencyError:
                print("conflict", flush=True)
            else:
                print("won", flush=True)


def main(argv: list[str]) -> None:
    """Dispatch on the mode."""
    mode, path, arg = argv
    if mode == "crash":
        crash(path, arg)
    elif mode == "burst":
        burst(path, arg)
    elif mode == "race":
        race(path, arg)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
