"""Case clocks: limits counted on a calendar through pauses, extensions and restarts.

Start with :meth:`Clock.start`; see ``docs/timeline.md`` for the counting rules.
"""

from hallflow.timeline.bulk import BulkStatus, ClockArrays, Recomputed, evaluate, recompute
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
from hallflow.timeline.compiled import (
    CompiledClock,
    Evaluation,
    calendar_tables,
    compile_clock,
    evaluate_one,
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
from hallflow.timeline.ladder import Ladder, Rung
from hallflow.timeline.limits import Limit, Unit
from hallflow.timeline.words import (
    WordsError,
    calendar_duration,
    clock_words,
    overdue_words,
    working_days,
)

__all__ = [
    "BulkStatus",
    "Clock",
    "ClockArrays",
    "ClockEvent",
    "ClockPolicy",
    "ClockState",
    "ClockStatus",
    "CompiledClock",
    "Evaluation",
    "Excluded",
    "Extended",
    "Ladder",
    "Limit",
    "Outcome",
    "PauseReason",
    "Paused",
    "Recomputed",
    "Restarted",
    "Resumed",
    "Rung",
    "Started",
    "Stopped",
    "Unit",
    "WarningLevel",
    "WordsError",
    "calendar_duration",
    "calendar_tables",
    "clock_words",
    "clocks_at",
    "closing_time",
    "compile_clock",
    "evaluate",
    "evaluate_one",
    "overdue_words",
    "recompute",
    "working_days",
]
