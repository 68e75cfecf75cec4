"""Dongping 2017 for hallflow: seed 003.

The rules and their sources are in :mod:`hallflow_dongping.plugin`.
"""

from __future__ import annotations

from hallflow_dongping.plugin import (
    COLLECTIVE_DISCUSSION,
    EXPERT_REVIEW,
    SITE_INSPECTION,
    SOURCE,
    DongpingPlugin,
    check_matter,
    configure,
    needs_site_inspection,
    one_review_one_approval,
    site_inspection_step,
)

__all__ = [
    "COLLECTIVE_DISCUSSION",
    "EXPERT_REVIEW",
    "SITE_INSPECTION",
    "SOURCE",
    "DongpingPlugin",
    "check_matter",
    "configure",
    "needs_site_inspection",
    "one_review_one_approval",
    "site_inspection_step",
]

__version__ = "0.1.0"
