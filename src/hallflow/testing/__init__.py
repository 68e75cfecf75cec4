"""The conformance kit for locality plugins, and hypothesis strategies for their tests.

A locality package runs :func:`assert_conforms` on its plugin in its own test suite (see
``docs/testing.md``); :mod:`hallflow.testing.strategies` holds the strategies the kit draws
from, for the package's own property tests. Needs ``hypothesis`` (the ``test`` extra).
"""

from hallflow.testing.conformance import (
    CHECKS,
    RANGE_RULES,
    ConformanceReport,
    Failure,
    assert_conforms,
    check_plugin,
    price,
)

__all__ = [
    "CHECKS",
    "RANGE_RULES",
    "ConformanceReport",
    "Failure",
    "assert_conforms",
    "check_plugin",
    "price",
]
