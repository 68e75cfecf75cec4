"""Cases: the lifecycle, the case rebuilt from its events, and the Hall facade."""

from hallflow.cases import commands
from hallflow.cases.case import Case, Decision, Opinion, StepProgress, fold
from hallflow.cases.hall import APPLICANT, SUPERVISION, Hall, HallSettings
from hallflow.cases.lifecycle import CaseLifecycle, CaseState, Command, allowed_commands
from hallflow.cases.supervision import SweepFailure, SweepReport

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
    "SweepFailure",
    "SweepReport",
    "allowed_commands",
    "commands",
    "fold",
]
