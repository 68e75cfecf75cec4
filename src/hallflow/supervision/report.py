"""A period's statistics as a table (rich), CSV, JSON and Parquet.

Every output shows the same figures: each :data:`~hallflow.supervision.stats.COLUMNS` entry
displayed by :func:`~hallflow.supervision.stats.display` (ints as counted, rates as
percentages rounded half-up to two decimals). JSON also carries each exact value (a
fraction as ``"p/q"``); Parquet keeps counts as int64 and rates as decimals (six places,
half-up). Parquet needs pyarrow, the optional extra ``hallflow[report]``.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from hallflow.supervision.stats import (
    COLUMNS,
    Grouping,
    Report,
    Row,
    StatisticsError,
    check_report,
    decimal_places,
)
from hallflow.timeline.words import working_days

__all__ = [
    "FORMATS",
    "TOTAL",
    "exact",
    "render_table",
    "report_data",
    "to_csv",
    "to_json",
    "write_parquet",
]

FORMATS = ("table", "csv", "json", "parquet")
"""The output formats of ``hallflow report``."""

TOTAL = "*total*"
"""The group name of the total row in files (no window, department or staff is called so)."""


def exact(value: object) -> object:
    """A figure's exact value for JSON: int, ``"p/q"`` for a fraction, a decimal string."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else str(value)
    if isinstance(value, Decimal):
        return str(value)
    raise StatisticsError("value", "must be an int, Fraction, Decimal or None", value)


def _rows(report: Report) -> list[tuple[str, Row]]:
    """The groups and the total (only the total when the hall is the one group)."""
    if report.grouping is Grouping.HALL:
        return [(TOTAL, report.total)]
    return [*((r.key, r) for r in report.rows), (TOTAL, report.total)]


def report_data(report: Report) -> dict[str, Any]:
    """The report as plain data (what :func:`to_json` writes).

    Raises:
        StatisticsError: ``report`` is not a Report.
    """
    check_report("report", report)
    t = report.total.figures
    return {
        "period": {
            "first": report.period.first.isoformat(),
            "last": report.period.last.isoformat(),
        },
        "by": report.grouping.value,
        "working_days": report.working_days,
        "columns": [{"name": c.name, "en": c.en, "zh": c.zh, "kind": c.kind} for c in COLUMNS],
        "rows": [
            {
                "group": key,
                "figures": row.shown(),
                "exact": {c.name: exact(row.value(c.name)) for c in COLUMNS},
            }
            for key, row in _rows(report)
        ],
        "rating_levels": {str(level): t.rating_levels[level] for level in range(1, 6)},
        "weekly": [
            {
                "week": week.isoformat(),
                "received": t.weekly_received[week],
                "closed": t.weekly_closed[week],
            }
            for week in sorted(set(t.weekly_received) | set(t.weekly_closed))
        ],
        "overdue_ageing": {str(days): n for days, n in sorted(t.overdue_ageing.items())},
    }


def to_json(report: Report) -> str:
    """The report as JSON (UTF-8 text, Chinese labels unescaped)."""
    return json.dumps(report_data(report), ensure_ascii=False, indent=2) + "\n"


def to_csv(report: Report) -> str:
    """One line per group and a ``*total*`` line; the figures as displayed.

    Raises:
        StatisticsError: ``report`` is not a Report.
    """
    check_report("report", report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["group", *(c.name for c in COLUMNS)])
    for key, row in _rows(report):
        shown = row.shown()
        writer.writerow([key, *(shown[c.name] for c in COLUMNS)])
    return out.getvalue()


def render_table(report: Report, *, width: int = 160) -> str:
    """The report as a rich table: one line per figure, one column per group and the total.

    Raises:
        StatisticsError: ``report`` is not a Report, or ``width`` not an int from 40 to 1000.
    """
    check_report("report", report)
    if type(width) is not int or not 40 <= width <= 1000:
        raise StatisticsError("width", "must be an int from 40 to 1000", width)
    from rich.console import Console
    from rich.table import Table

    title = (
        f"Supervision report {report.period} by {report.grouping.value} "
        f"({report.working_days} working days)"
    )
    table = Table(title=title, show_lines=False)
    table.add_column("figure (统计项)", no_wrap=True)
    rows = _rows(report)
    for key, _ in rows:
        table.add_column("total (合计)" if key == TOTAL else key, justify="right")
    shown = [row.shown() for _, row in rows]
    for column in COLUMNS:
        table.add_row(f"{column.en} ({column.zh})", *(s[column.name] for s in shown))
    console = Console(file=io.StringIO(), width=width, color_system=None, record=True)
    console.print(table)
    ageing = report.total.figures.overdue_ageing
    if ageing:
        overdue = Table(title="Overdue open cases at the end (期末逾期在办)")
        overdue.add_column("overdue by")
        overdue.add_column("逾期")
        overdue.add_column("cases (件)", justify="right")
        for days, n in sorted(ageing.items()):
            overdue.add_row(working_days(-days, "en"), working_days(-days, "zh"), str(n))
        console.print(overdue)
    return console.export_text()


def write_parquet(report: Report, path: Path) -> None:
    """Write the report to a Parquet file: counts int64, rates decimal(20, 6), fees (20, 2).

    Raises:
        StatisticsError: pyarrow is not installed (``pip install 'hallflow[report]'``), or
            the file cannot be written.
    """
    check_report("report", report)
    if not isinstance(path, Path):
        raise StatisticsError("path", "must be a pathlib.Path", path)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise StatisticsError(
            "format", "parquet needs pyarrow: pip install 'hallflow[report]'", "parquet"
        ) from None
    fields = [pa.field("group", pa.string(), nullable=False)]
    for column in COLUMNS:
        if column.kind == "count":
            fields.append(pa.field(column.name, pa.int64()))
        elif column.kind == "yuan":
            fields.append(pa.field(column.name, pa.decimal128(20, 2)))
        else:
            fields.append(pa.field(column.name, pa.decimal128(20, 6)))
    data: dict[str, list[object]] = {f.name: [] for f in fields}
    for key, row in _rows(report):
        data["group"].append(key)
        for column in COLUMNS:
            value = row.value(column.name)
            if isinstance(value, Fraction):
                value = decimal_places(value, 6)
            data[column.name].append(value)
    table = pa.table(data, schema=pa.schema(fields))
    try:
        pq.write_table(table, str(path))
    except OSError as exc:
        raise StatisticsError("output", f"cannot be written ({exc})", str(path)) from None
