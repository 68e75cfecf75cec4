"""A child process for the PostgreSQL store tests (``python tests/postgres_worker.py MODE ...``).

Modes:

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
    if mode == "burst":
        burst(dsn, schema, prefix)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
