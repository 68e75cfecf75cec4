"""Case clocks: limits counted on a calendar through pauses, extensions and restarts.

Start with :meth:`Clock.start`; see ``docs/timeline.md`` for the counting rules.
"""

from hallflow.timeline.clock import (
    Clock,
    ClockPolicy,
    ClockState,
    ClockStatus,
    Outcome,
    WarningLevel,
    clocks_at,
    closing_time,
)
from hallflow.timeline.events import (
    ClockEvent,
    Excluded,
    Extended,
    Paused,
    PauseReason,
    Restarted,
    Resumed,
    Started,
    Stopped,
)
from hallflow.timeline.limits import Limit, Unit

__all__ = [
    "Clock",
    "ClockEvent",
    "ClockPolicy",
    "ClockState",
    "ClockStatus",
    "Excluded",
    "Extended",
    "Limit",
    "Outcome",
    "PauseReason",
    "Paused",
    "Restarted",
    "Resumed",
    "Started",
    "Stopped",
    "Unit",
    "WarningLevel",
    "clocks_at",
    "closing_time",
]
