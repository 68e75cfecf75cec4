"""A child process for the PostgreSQL store tests (``python tests/postgres_worker.py MODE ...``).

Modes:

``crash DSN SCHEMA PREFIX``
    Append cases ``PREFIX-0``, ``PREFIX-1``... in an endless loop (now and then another
    append to an earlier case), printing ``CASE VERSION`` only after ``append`` returned. The
    test kills it with SIGKILL and checks that every printed append is in the store.

``burst DSN SCHEMA PREFIX``
    Print ``ready``, wait for a line on stdin, then append cases ``PREFIX-0`` to
    ``PREFIX-39`` from four threads sharing one store, each case twice, and print ``done``.
    Several of these at once extend one hall chain from several processes.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import threading
from zoneinfo import ZoneInfo

from hallflow.store import CaseRow, NewEvent
from hallflow.store.postgres import PostgresStore

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def events(rng: random.Random, count: int, actor: str) -> list[NewEvent]:
    """``count`` events with payloads of a few kilobytes."""
    return [
        NewEvent(
            kind=rng.choice(["received", "accepted", "reviewed"]),
            actor=actor,
            at=START + dt.timedelta(minutes=rng.randrange(100_000)),
            payload={"reasons": ["材料齐全"], "note": "x" * rng.randrange(100, 4000)},
        )
        for _ in range(count)
    ]


def row(case_id: str, version: int) -> CaseRow:
    """The row a worker writes with its events."""
    return CaseRow(
        case_id=case_id,
        matter="business-licence",
        applicant=f"applicant-{version}",
        window="window-3",
        state="x",
        due=START + dt.timedelta(days=version),
        version=version,
        clocks=b"\x01" * version,
    )


def crash(dsn: str, schema: str, prefix: str) -> None:
    """Append forever; acknowledge each append on stdout once it has returned."""
    rng = random.Random(prefix)
    with PostgresStore(dsn, schema=schema) as store:
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
            new = store.append(case_id, version, batch, row(case_id, version + len(batch)))
            done[k] = (case_id, new)
            print(case_id, new, flush=True)


def burst(dsn: str, schema: str, prefix: str) -> None:
    """Append 40 new cases, then a second event to each, from four threads."""
    rng = random.Random(prefix)
    with PostgresStore(dsn, schema=schema) as store:
        print("ready", flush=True)
        sys.stdin.readline()

        def clerk(k: int) -> None:
            local = random.Random(f"{prefix}{k}")
            for n in range(k, 40, 4):
                case_id = f"{prefix}-{n}"
                store.append(case_id, 0, events(local, 1, prefix), row(case_id, 1))
            for n in range(k, 40, 4):
                case_id = f"{prefix}-{n}"
                store.append(case_id, 1, events(local, 1, prefix), row(case_id, 2))

        del rng
        pool = [threading.Thread(target=clerk, args=(k,)) for k in range(4)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        print("done", flush=True)


def main(argv: list[str]) -> None:
    """Dispatch on the mode."""
    mode, dsn, schema, prefix = argv
    if mode == "crash":
        crash(dsn, schema, prefix)
    elif mode == "burst":
        burst(dsn, schema, prefix)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
