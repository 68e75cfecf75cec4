"""Test configuration: hypothesis profiles (``ci`` runs more examples, derandomised)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=1000,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# The tests marked ``slow`` (ten times the fuzz calls, 1,000 racing trials...) skip in a quick
# local run and run in CI, with the same command: CI=true selects them, as HALLFLOW_SLOW=1 or
# ``-m slow`` do by hand (tests.strategies.slow_selected reads it).
if os.environ.get("CI"):
    os.environ.setdefault("HALLFLOW_SLOW", "1")

# PostgreSQL: a reachable server (HALLFLOW_TEST_POSTGRES) and a fresh schema per test.
from tests.postgres_fixtures import (  # noqa: E402, F401
    pg_schema,
    pg_schemas,
    postgres_dsn,
    pytest_runtest_makereport,
)
