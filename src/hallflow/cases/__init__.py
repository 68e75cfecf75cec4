"""Cases: the lifecycle, the case rebuilt from its events, and the Hall facade."""

from hallflow.cases.case import Case, Decision, Opinion, StepProgress, fold
from hallflow.cases.hall import APPLICANT, SUPERVISION, Hall, HallSettings
from hallflow.cases.lifecycle import CaseLifecycle, CaseState, Command, allowed_commands

__all__ = [
    "APPLICANT",
    "SUPERVISION",
    "Case",
    "CaseLifecycle",
    "CaseState",
    "Command",
    "Decision",
    "Hall",
    "HallSettings",
    "Opinion",
    "StepProgress",
    "allowed_commands",
    "fold",
]
