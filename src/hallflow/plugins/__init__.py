"""The plugin system: hook specifications, the plugin manager, the national defaults."""

from hallflow.plugins.hookspecs import PROJECT, hookimpl, hookspec
from hallflow.plugins.manager import (
    assemble_calendar,
    assemble_catalogue,
    assemble_hall,
    case_kinds,
    limit_policy,
    loaded_plugins,
    plugin_manager,
)
from hallflow.plugins.policy import (
    AcceptanceProblem,
    Escalation,
    EscalationAction,
    EventSink,
    Exemption,
    FeeLine,
    FeeRule,
    LimitPolicy,
    Quote,
    yuan,
)

__all__ = [
    "PROJECT",
    "AcceptanceProblem",
    "Escalation",
    "EscalationAction",
    "EventSink",
    "Exemption",
    "FeeLine",
    "FeeRule",
    "LimitPolicy",
    "Quote",
    "assemble_calendar",
    "assemble_catalogue",
    "assemble_hall",
    "case_kinds",
    "hookimpl",
    "hookspec",
    "limit_policy",
    "loaded_plugins",
    "plugin_manager",
    "yuan",
]
