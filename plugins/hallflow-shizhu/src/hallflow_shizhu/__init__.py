"""Shizhu 2007 for hallflow: seed 000, 篇十二.

The rules and their sources are in :mod:`hallflow_shizhu.plugin`.
"""

from __future__ import annotations

from hallflow_shizhu.plugin import (
    DEEMED_APPROVAL_CODE,
    SOURCE,
    RejectionReports,
    ShizhuPlugin,
    configure,
    unmet_conditions,
)

__all__ = [
    "DEEMED_APPROVAL_CODE",
    "SOURCE",
    "RejectionReports",
    "ShizhuPlugin",
    "configure",
    "unmet_conditions",
]

__version__ = "0.1.0"
