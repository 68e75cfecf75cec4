"""Sichuan 2008 (川府发〔2008〕38号) for hallflow: seed 000, 篇九.

The rules and their sources are in :mod:`hallflow_sichuan.plugin`.
"""

from __future__ import annotations

from hallflow_sichuan.plugin import (
    MIN_REDUCTION,
    REPEATED_RETURNS,
    SOURCE,
    ExtensionCopies,
    SichuanPlugin,
    configure,
    count_returns,
)

__all__ = [
    "MIN_REDUCTION",
    "REPEATED_RETURNS",
    "SOURCE",
    "ExtensionCopies",
    "SichuanPlugin",
    "configure",
    "count_returns",
]

__version__ = "0.1.0"
