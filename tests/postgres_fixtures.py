"""PostgreSQL for the tests: a real server, a fresh schema per test, dropped afterwards.

The server is named by ``HALLFLOW_TEST_POSTGRES`` (a libpq DSN; default
``postgresql://root@127.0.0.1:5432/test``). Outside CI a test that needs it skips, all with
one line, when it cannot be reached (or psycopg is not installed); with ``CI=true`` it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

DEFAULT_DSN = "postgresql://root@127.0.0.1:5432/test"
SKIP_LINE = (
    "PostgreSQL not reachable: set HALLFLOW_TEST_POSTGRES to a DSN "
    "(e.g. postgresql://user@127.0.0.1:5432/test) to run these tests"
)


def postgres_dsn_from_env() -> str:
    """The DSN the tests use."""
    return os.environ.get("HALLFLOW_TEST_POSTGRES") or DEFAULT_DSN


def _reachable(dsn: str) -> str | None:
    """None if the server answers, else why not."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - the dev extra installs it
        return f"psycopg is not installed ({exc})"
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """A DSN of a reachable PostgreSQL server; skips (fails under CI) when there is none."""
    dsn = postgres_dsn_from_env()
    why = _reachable(dsn)
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL at HALLFLOW_TEST_POSTGRES={dsn!r}: {why}")
        pytest.skip(SKIP_LINE)
    return dsn


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Report every "no PostgreSQL" skip at one place, so ``-ra`` folds them into one line."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and SKIP_LINE in str(longrepr[2]):
        report.longrepr = (__file__, _SKIP_AT, longrepr[2])


_SKIP_AT = next(
    n
    for n, line in enumerate(Path(__file__).read_text("utf-8").splitlines(), start=1)
    if line.strip() == "pytest.skip(SKIP_LINE)"
)


def new_schema_name() -> str:
    """A schema name no other test uses."""
    return f"hf_test_{uuid.uuid4().hex[:12]}"


def drop_schema(dsn: str, schema: str) -> None:
    """Drop a test schema and everything in it."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


@pytest.fixture
def pg_schemas(postgres_dsn: str) -> Iterator[Callable[[], str]]:
    """Hands out fresh schema names; drops every one of them after the test."""
    made: list[str] = []

    def make() -> str:
        name = new_schema_name()
        made.append(name)
        return name

    yield make
    for name in made:
        drop_schema(postgres_dsn, name)


@pytest.fixture
def pg_schema(pg_schemas: Callable[[], str]) -> str:
    """One fresh schema name for the test (dropped afterwards)."""
    return pg_schemas()


def tamper_postgres(dsn: str, schema: str) -> Callable[[str, int, dict[str, Any]], None]:
    """A hook that rewrites one stored event's payload behind the store's back."""

    def tamper(case_id: str, seq: int, payload: dict[str, Any]) -> None:
        import json

        import psycopg

        sql = f'UPDATE "{schema}".events SET payload = %s WHERE case_id = %s AND seq = %s'
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                sql.encode(),
                (json.dumps(payload), case_id, seq),
            )

    return tamper
