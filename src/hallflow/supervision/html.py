"""The report as one self-contained HTML file: the plots inline (base64 PNG) and the figures.

The table's cells are the figures exactly as the JSON report displays them
(:func:`hallflow.supervision.report.report_data`); each cell carries ``data-group`` and
``data-column`` attributes so that a reader (or a browser test) can match them.
"""

from __future__ import annotations

import base64
from html import escape

from hallflow.supervision.plots import PLOTS, label_language, render
from hallflow.supervision.report import report_data
from hallflow.supervision.stats import Report
from hallflow.timeline.words import working_days

__all__ = ["render_html"]

_STYLE = """
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; margin: 2em;
       color: #222; background: #fff; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #bbb; padding: 3px 6px; }
td.num { text-align: right; }
.plots img { max-width: 48%; margin: 4px; border: 1px solid #ddd; }
"""


def render_html(report: Report, by_window: Report, font: str | None = None) -> str:
    """The single-file HTML report.

    Args:
        report: the report (its rows and total make the table).
        by_window: the same period by window (for the on-time plot).
        font: the CJK font for the plots' labels, or None for English labels.

    Raises:
        StatisticsError: a report is not a Report, or the font lacks a label's glyph.
    """
    data = report_data(report)  # checks report; render checks by_window and font
    lang = label_language(font)
    images = []
    for name in PLOTS:
        png = base64.b64encode(render(report, by_window, name, "png", font)).decode("ascii")
        images.append(
            f'<img id="plot-{name}" alt="{escape(name)}" src="data:image/png;base64,{png}">'
        )
    head = "".join(
        f'<th data-column="{escape(c["name"])}">{escape(c["en"])}<br>{escape(c["zh"])}</th>'
        for c in data["columns"]
    )
    lines = []
    for row in data["rows"]:
        group = escape(row["group"])
        cells = "".join(
            f'<td class="num" data-group="{group}" data-column="{escape(name)}">'
            f"{escape(value)}</td>"
            for name, value in row["figures"].items()
        )
        lines.append(f'<tr><th scope="row">{group}</th>{cells}</tr>')
    ageing = "".join(
        f"<li>{escape(working_days(-int(days), 'en'))} / {escape(working_days(-int(days), 'zh'))}"
        f": {n}</li>"
        for days, n in data["overdue_ageing"].items()
    )
    title = f"Supervision report {report.period} by {report.grouping.value}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p id="meta" data-labels="{lang}">{report.working_days} working days (工作日)</p>'
        f'<div class="plots">{"".join(images)}</div>'
        f'<h2>Figures (统计)</h2><table id="figures"><thead><tr><th>group</th>{head}</tr>'
        f"</thead><tbody>{''.join(lines)}</tbody></table>"
        f'<h2>Overdue open cases (逾期在办)</h2><ul id="ageing">{ageing or "<li>none</li>"}</ul>'
        "</body></html>\n"
    )
