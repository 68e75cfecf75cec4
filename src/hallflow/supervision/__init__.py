"""Supervision (电子监察) at hall and province scale.

Sweeps, calendar changes, evaluations, complaints, scoring, accountability, statistics and
reports, all read from the event store. This package sits above :mod:`hallflow.cases` and
the store (it imports them; they never import it) and below the demo and the CLI.

* :mod:`~hallflow.supervision.sweep` — the bulk sweep over the store's open clocks
  (escalation ladders as data, the imperative hook only for clocks whose level rose):
  ``from hallflow.supervision.sweep import sweep`` (not re-exported here, where the name
  would hide the module); :mod:`~hallflow.supervision.pool` — the same sweep split across
  worker processes (:class:`SweepPool`).
* :mod:`~hallflow.supervision.calendar_change` — a published notice replaces a provisional
  year: recompute every open clock, record the due dates that moved.
* :mod:`~hallflow.supervision.evaluation`, :mod:`~hallflow.supervision.complaints` —
  ratings and the bad-rating flow, complaints (:class:`Supervision`).
* :mod:`~hallflow.supervision.scoring`, :mod:`~hallflow.supervision.accountability` —
  window and staff scores from events, accountability records for late steps.
* :mod:`~hallflow.supervision.stats`, :mod:`~hallflow.supervision.report`,
  :mod:`~hallflow.supervision.plots`, :mod:`~hallflow.supervision.html` — statistics and
  reports (durations in words come from :mod:`hallflow.timeline.words`).

Plots and Parquet need the ``report`` extra (matplotlib, pyarrow); they are imported only
when used.
"""

from hallflow.cases.supervision import SweepFailure, SweepReport
from hallflow.supervision.accountability import AccountabilityRecord, AccountabilityReport, records
from hallflow.supervision.calendar_change import (
    CalendarChange,
    MovedDue,
    apply_calendar_change,
    plan_calendar_change,
    reference_calendar_change,
    with_published_year,
)
from hallflow.supervision.complaints import Complaint, ComplaintCategory, Handling
from hallflow.supervision.evaluation import (
    DefaultRating,
    LateStep,
    Level,
    Rating,
    RatingChannel,
    Supervision,
)
from hallflow.supervision.pool import SweepPool, SweepPoolError
from hallflow.supervision.report import render_table, report_data, to_csv, to_json, write_parquet
from hallflow.supervision.scoring import (
    Assessment,
    Bonus,
    Category,
    Deduction,
    Elimination,
    Fact,
    FactKind,
    Grade,
    MonthResult,
    ScoringScheme,
    SubjectScore,
    Table,
    assess,
    derive_facts,
    hall_assessment,
    scheme_of,
    score_month,
)
from hallflow.supervision.stats import (
    COLUMNS,
    Column,
    Figures,
    Grouping,
    Period,
    Report,
    Row,
    StatisticsError,
    Summary,
    compute,
    summarise,
)

__all__ = [
    "COLUMNS",
    "AccountabilityRecord",
    "AccountabilityReport",
    "Assessment",
    "Bonus",
    "CalendarChange",
    "Category",
    "Column",
    "Complaint",
    "ComplaintCategory",
    "Deduction",
    "DefaultRating",
    "Elimination",
    "Fact",
    "FactKind",
    "Figures",
    "Grade",
    "Grouping",
    "Handling",
    "LateStep",
    "Level",
    "MonthResult",
    "MovedDue",
    "Period",
    "Rating",
    "RatingChannel",
    "Report",
    "Row",
    "ScoringScheme",
    "StatisticsError",
    "SubjectScore",
    "Summary",
    "Supervision",
    "SweepFailure",
    "SweepPool",
    "SweepPoolError",
    "SweepReport",
    "Table",
    "apply_calendar_change",
    "assess",
    "compute",
    "derive_facts",
    "hall_assessment",
    "plan_calendar_change",
    "records",
    "reference_calendar_change",
    "render_table",
    "report_data",
    "scheme_of",
    "score_month",
    "summarise",
    "to_csv",
    "to_json",
    "with_published_year",
    "write_parquet",
]
