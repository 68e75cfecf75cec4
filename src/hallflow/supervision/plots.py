"""The report's plots, drawn with matplotlib (Agg backend) to PNG or SVG.

Four plots: cases received and closed per week, the on-time share per window, the
distribution of ratings by level, and the ageing of overdue open cases. Labels are Chinese
with English when a font with the CJK glyphs is installed (:func:`cjk_font` looks for one:
WenQuanYi Micro Hei from Debian's ``fonts-wqy-microhei``, Noto Sans CJK from
``fonts-noto-cjk``, or any font whose glyphs cover the labels), and English only otherwise,
so a plot never shows missing-glyph boxes. matplotlib is the optional extra
``hallflow[report]``.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hallflow.supervision.stats import Report, StatisticsError, check_report

__all__ = [
    "FONT_CANDIDATES",
    "PLOTS",
    "PLOT_FORMATS",
    "cjk_font",
    "draw",
    "label_language",
    "render",
]

PLOTS = ("weekly", "on_time_by_window", "ratings", "overdue_ageing")
"""The plots drawn, by file stem."""

PLOT_FORMATS = ("png", "svg")
"""The image formats a plot is written in."""

FONT_CANDIDATES = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
"""CJK fonts preferred, in order, before any other font that has the glyphs."""

_LABELS = {
    "weekly": ("每周收件与办结", "Cases received and closed per week"),
    "week": ("周（周一）", "week (Monday)"),
    "cases": ("件数", "cases"),
    "received": ("收件", "received"),
    "closed": ("办结", "closed"),
    "on_time_by_window": ("各窗口按时办结率", "On-time share per window"),
    "window": ("窗口", "window"),
    "share": ("按时办结率 (%)", "on time (%)"),
    "ratings": ("评价分布", "Ratings by level"),
    "level": ("评价等级", "level"),
    "count": ("数量", "ratings"),
    "overdue_ageing": ("逾期在办件账龄", "Overdue open cases by days overdue"),
    "days_overdue": ("逾期工作日", "working days overdue"),
    "levels": (
        ("非常不满意", "不满意", "基本满意", "满意", "非常满意"),
        ("1 very dissatisfied", "2 dissatisfied", "3 basically", "4 satisfied", "5 very"),
    ),
}
_SAMPLE = "".join(str(v[0]) if isinstance(v[0], str) else "".join(v[0]) for v in _LABELS.values())


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise StatisticsError(
            "plots", "need matplotlib: pip install 'hallflow[report]'", "matplotlib"
        ) from None
    matplotlib.use("Agg", force=True)
    return matplotlib


def _covers(path: str, text: str) -> bool:
    from matplotlib import ft2font

    try:
        font = ft2font.FT2Font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(ch)) for ch in set(text) if not ch.isspace())


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed font with every glyph of the Chinese labels, or None."""
    _matplotlib()
    from matplotlib import font_manager

    fonts = font_manager.fontManager.ttflist
    ranked = sorted(
        fonts,
        key=lambda f: FONT_CANDIDATES.index(f.name) if f.name in FONT_CANDIDATES else 99,
    )
    for entry in ranked:
        if _covers(entry.fname, _SAMPLE):
            return str(entry.name)
    return None


def label_language(font: str | None) -> str:
    """``zh`` (Chinese with English) when a CJK font is given, else ``en``."""
    return "zh" if font else "en"


def _label(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    assert isinstance(zh, str) and isinstance(en, str)
    return f"{zh} {en}" if lang == "zh" else en


def _figure(report: Report, by_window: Report, name: str, font: str | None) -> Any:
    mpl = _matplotlib()
    from matplotlib.figure import Figure

    lang = label_language(font)
    rc = {"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"], "svg.fonttype": "none"}
    with mpl.rc_context(rc):
        fig = Figure(figsize=(7, 3.6), dpi=100)
        ax = fig.add_subplot()
        t = report.total.figures
        if name == "weekly":
            weeks = sorted(set(t.weekly_received) | set(t.weekly_closed))
            xs = list(range(len(weeks)))
            ax.bar(
                [x - 0.2 for x in xs],
                [t.weekly_received[w] for w in weeks],
                0.4,
                label=_label("received", lang),
            )
            ax.bar(
                [x + 0.2 for x in xs],
                [t.weekly_closed[w] for w in weeks],
                0.4,
                label=_label("closed", lang),
            )
            ax.set_xticks(xs, [w.strftime("%m-%d") for w in weeks])
            ax.set_xlabel(_label("week", lang))
            ax.set_ylabel(_label("cases", lang))
            ax.legend()
        elif name == "on_time_by_window":
            rows = [r for r in by_window.rows if r.figures.on_time_rate is not None]
            shares = [float(r.figures.on_time_rate or 0) * 100 for r in rows]
            ax.bar([r.key for r in rows], shares, color="#2a7ab9")
            ax.set_ylim(0, 100)
            ax.set_xlabel(_label("window", lang))
            ax.set_ylabel(_label("share", lang))
        elif name == "ratings":
            zh, en = _LABELS["levels"]
            names = [f"{a}\n{b}" for a, b in zip(zh, en, strict=True)] if lang == "zh" else list(en)
            ax.bar(names, [t.rating_levels[level] for level in range(1, 6)], color="#e08a1e")
            ax.set_xlabel(_label("level", lang))
            ax.set_ylabel(_label("count", lang))
        else:
            buckets = [
                ("1", 1, 1),
                ("2", 2, 2),
                ("3", 3, 3),
                ("4-5", 4, 5),
                ("6-10", 6, 10),
                (">10", 11, 10**9),
            ]
            counts = [
                sum(n for days, n in t.overdue_ageing.items() if low <= days <= high)
                for _, low, high in buckets
            ]
            ax.bar([b[0] for b in buckets], counts, color="#c0392b")
            ax.set_xlabel(_label("days_overdue", lang))
            ax.set_ylabel(_label("cases", lang))
        top = ax.get_ylim()[1]
        ax.set_ylim(0, 100 if name == "on_time_by_window" else max(top, 1))
        ax.set_title(_label(name, lang))
        fig.tight_layout()
    return fig


def render(
    report: Report, by_window: Report, name: str, fmt: str = "png", font: str | None = None
) -> bytes:
    """One plot as PNG or SVG bytes.

    Args:
        report: the report whose totals are drawn.
        by_window: the same period by window (for the on-time share per window).
        name: one of :data:`PLOTS`.
        fmt: ``png`` or ``svg``.
        font: the CJK font family to label in Chinese with, or None for English labels.

    Raises:
        StatisticsError: an unknown plot or format, or a glyph missing from the font.
    """
    check_report("report", report)
    check_report("by_window", by_window)
    if font is not None and (not isinstance(font, str) or not font.strip()):
        raise StatisticsError("font", "must be a font family name or None", font)
    if name not in PLOTS:
        raise StatisticsError("plot", f"must be one of {', '.join(PLOTS)}", name)
    if fmt not in PLOT_FORMATS:
        raise StatisticsError("format", f"must be one of {', '.join(PLOT_FORMATS)}", fmt)
    out = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = _figure(report, by_window, name, font)
        fig.savefig(out, format=fmt)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    if missing:
        raise StatisticsError("font", f"lacks glyphs: {missing[0]}", font)
    return out.getvalue()


def draw(
    report: Report,
    by_window: Report,
    folder: Path,
    formats: Sequence[str] = PLOT_FORMATS,
    font: str | None = None,
) -> list[Path]:
    """Write every plot into ``folder`` (made if missing) in each format; returns the paths.

    Raises:
        StatisticsError: the folder cannot be made or a file written.
    """
    if not isinstance(folder, Path):
        raise StatisticsError("folder", "must be a pathlib.Path", folder)
    if isinstance(formats, str) or any(f not in PLOT_FORMATS for f in formats):
        raise StatisticsError("formats", f"must hold only {', '.join(PLOT_FORMATS)}", formats)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StatisticsError("plots", f"cannot be made ({exc.strerror})", str(folder)) from None
    written = []
    for name in PLOTS:
        for fmt in formats:
            path = folder / f"{name}.{fmt}"
            data = render(report, by_window, name, fmt, font)
            try:
                path.write_bytes(data)
            except OSError as exc:
                raise StatisticsError(
                    "plots", f"cannot write {path.name} ({exc.strerror})", str(folder)
                ) from None
            written.append(path)
    return written
