"""The store conformance kit (hallflow.testing.store_kit) run against every hallflow store.

MemoryStore, SQLiteStore and PostgresStore each pass the same tests, the state machine that
compares a store with the MemoryStore included. The PostgreSQL run needs a server
(``HALLFLOW_TEST_POSTGRES``, see tests/postgres_fixtures.py): each store it opens gets a
fresh schema, dropped after the test.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from hallflow.store import MemoryStore, SQLiteStore
from hallflow.testing.store_kit import Reopen, StoreContract, StoreFactory, StoreUnderTest
from tests.postgres_fixtures import tamper_postgres


def _tamper_memory(store: MemoryStore) -> Callable[[str, int, dict[str, Any]], None]:
    def tamper(case_id: str, seq: int, payload: dict[str, Any]) -> None:
        log = store._events[case_id]
        log[seq - 1] = attrs.evolve(log[seq - 1], payload=json.dumps(payload))

    return tamper


def _tamper_sqlite(path: Path) -> Callable[[str, int, dict[str, Any]], None]:
    def tamper(case_id: str, seq: int, payload: dict[str, Any]) -> None:
        conn = sqlite3.connect(path)
        with conn:
            conn.execute(
                "UPDATE events SET payload = ? WHERE case_id = ? AND seq = ?",
                (json.dumps(payload), case_id, seq),
            )
        conn.close()

    return tamper


class TestMemoryStoreKit(StoreContract):
    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        def factory() -> StoreUnderTest:
            store = MemoryStore()
            return StoreUnderTest(store, _tamper_memory(store))

        return factory


class TestSQLiteStoreKit(StoreContract):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> StoreFactory:
        count = iter(range(10**9))

        def factory() -> StoreUnderTest:
            path = tmp_path / f"kit-{next(count)}.db"
            return StoreUnderTest(
                SQLiteStore(path, durability="normal"),
                _tamper_sqlite(path),
                Reopen("hallflow.store:SQLiteStore", (str(path),)),
            )

        return factory


class TestPostgresStoreKit(StoreContract):
    @pytest.fixture
    def store_factory(
        self, postgres_dsn: str, pg_schemas: Callable[[], str]
    ) -> Iterator[StoreFactory]:
        from hallflow.store.postgres import PostgresStore

        def factory() -> StoreUnderTest:
            schema = pg_schemas()
            store = PostgresStore(postgres_dsn, schema=schema, max_size=4)
            return StoreUnderTest(
                store,
                tamper_postgres(postgres_dsn, schema),
                Reopen(
                    "hallflow.store.postgres:PostgresStore", (postgres_dsn,), {"schema": schema}
                ),
            )

        yield factory


def test_the_documented_third_party_example_passes_the_kit(tmp_path: Path) -> None:
    """docs/store.md's "Testing a store" example, run by pytest as a third party would."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "store.md").read_text("utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "StoreContract" in b)
    module = tmp_path / "test_third_party.py"
    module.write_text(block, "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(module), "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert re.match(r"\d+ passed in ", summary), summary
    assert int(summary.split()[0]) >= 60
