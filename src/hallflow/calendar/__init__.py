"""Working-day calendars: national data, locality overlays, hall hours; scalar and bulk.

Start with :func:`china`, the national calendar compiled from the State Council notices
(2004 onwards) and, for years not yet published, from the statutory rules (flagged
provisional). See ``docs/calendar.md`` for a guide.
"""

from hallflow.calendar.data import Festival, FestivalDays, Notice, YearData, dump_year, load_year
from hallflow.calendar.engine import (
    MONDAY_TO_FRIDAY,
    BulkOps,
    DayInfo,
    DayKind,
    WorkCalendar,
    WorkingDayCount,
)
from hallflow.calendar.hours import DEFAULT_ZONE, HallHours, Shift, shifts
from hallflow.calendar.national import FIRST_YEAR, china, load_years, national_layer
from hallflow.calendar.notice import import_notice, parse_notice
from hallflow.calendar.overlay import Overlay
from hallflow.calendar.provisional import compare_with_official, provisional_year
from hallflow.calendar.reference import ReferenceCalendar

__all__ = [
    "DEFAULT_ZONE",
    "FIRST_YEAR",
    "MONDAY_TO_FRIDAY",
    "BulkOps",
    "DayInfo",
    "DayKind",
    "Festival",
    "FestivalDays",
    "HallHours",
    "Notice",
    "Overlay",
    "ReferenceCalendar",
    "Shift",
    "WorkCalendar",
    "WorkingDayCount",
    "YearData",
    "china",
    "compare_with_official",
    "dump_year",
    "import_notice",
    "load_year",
    "load_years",
    "national_layer",
    "parse_notice",
    "provisional_year",
    "shifts",
]
