"""Report outputs and ``hallflow report``: every output shows the same figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import warnings
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallflow.cli import main
from hallflow.demo import DemoOptions, build_hall, run
from hallflow.store import SQLiteStore
from hallflow.supervision import plots
from hallflow.supervision.html import render_html
from hallflow.supervision.report import (
    TOTAL,
    render_table,
    report_data,
    to_csv,
    to_json,
    write_parquet,
)
from hallflow.supervision.stats import (
    COLUMNS,
    Grouping,
    Period,
    Report,
    StatisticsError,
    compute,
    decimal_places,
    display,
)
from hallflow.timeline.words import (
    LANGUAGES,
    WordsError,
    calendar_duration,
    calendar_duration_reference,
    clock_words,
    working_days,
)
from tests.strategies import append_complaint, append_rating

OCTOBER = Period.month("2026-10")
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "hall.db"
    run(DemoOptions(volume=4, seed=5, db=path))
    with SQLiteStore(path) as store:
        tz = dt.timezone(dt.timedelta(hours=8))
        append_rating(
            store,
            "1" * 32,
            at=dt.datetime(2026, 10, 9, 10, tzinfo=tz),
            level=5,
            window="c1",
            staff="clerk-1",
        )
        append_rating(
            store,
            "2" * 32,
            at=dt.datetime(2026, 10, 12, 10, tzinfo=tz),
            level=1,
            window="c2",
            rectified=True,
        )
        append_complaint(
            store,
            "3" * 32,
            at=dt.datetime(2026, 10, 13, 10, tzinfo=tz),
            category="attitude",
            window="c2",
        )
    return path


def reports(db: Path, grouping: Grouping) -> tuple[Report, Report]:
    with SQLiteStore(db) as store:
        hall, _ = build_hall(store)
        return compute(hall, OCTOBER, grouping), compute(hall, OCTOBER, Grouping.WINDOW)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_json_csv_and_table_show_the_same_figures(db: Path) -> None:
    report, _ = reports(db, Grouping.WINDOW)
    data = json.loads(to_json(report))
    assert data["by"] == "window" and data["period"]["first"] == "2026-10-01"
    rows = {r["group"]: r for r in data["rows"]}
    assert set(rows) == {r.key for r in report.rows} | {TOTAL}
    for row in [*report.rows, report.total]:
        key = TOTAL if row is report.total else row.key
        for c in COLUMNS:
            value = row.value(c.name)
            assert rows[key]["figures"][c.name] == display(value, c.kind)
            if isinstance(value, Fraction):
                assert Fraction(rows[key]["exact"][c.name]) == value
    parsed = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert [p["group"] for p in parsed] == [r["group"] for r in data["rows"]]
    for line in parsed:
        assert {k: v for k, v in line.items() if k != "group"} == rows[line["group"]]["figures"]
    table = render_table(report, width=220)
    total = rows[TOTAL]["figures"]
    shown = next(x for x in table.splitlines() if "closure rate" in x)
    assert shown.split("│")[-2].strip() == total["closure_rate"]
    ageing = data["overdue_ageing"]
    assert sum(ageing.values()) == report.total.figures.open_overdue > 0
    for days, n in ageing.items():
        found = next(x for x in table.splitlines() if f"逾期 {days} 个工作日 " in x)
        assert found.split("│")[-2].strip() == str(n)
    # the demo's own ratings and complaint, and the ones appended above, recounted
    levels, bad_c2, rectified_c2, complaints = _october_voices(db)
    assert data["rating_levels"] == {str(n): levels[n] for n in range(1, 6)}
    assert levels[1] >= 1 and levels[5] >= 1 and complaints >= 1
    assert rows["c2"]["figures"]["rectification_rate"] == display(
        Fraction(rectified_c2, bad_c2), "percent"
    )
    received = report.total.figures.received
    assert total["complaints_per_1000"] == str(
        decimal_places(Fraction(1000 * complaints, received))
    )


def _october_voices(db: Path) -> tuple[Counter[int], int, int, int]:
    """October's ratings by level (withdrawn ones left out), window c2's bad ratings and
    those rectified by the end, and the complaints received, counted from the raw events."""
    levels: Counter[int] = Counter()
    bad = rectified = complaints = 0
    with SQLiteStore(db) as store:
        streams = [store.load(s) for s in store.case_ids() if s.startswith("hallflow:")]
    for events in streams:
        first = events[0]
        if first.at.astimezone(TZ).date().strftime("%Y-%m") != "2026-10":
            continue
        if first.kind == "complaint_received":
            complaints += 1
        if first.kind != "rated":
            continue
        kinds = {e.kind: e for e in events}
        verified = kinds.get("rating_verified")
        if verified is not None and verified.payload["valid"] is False:
            continue  # withdrawn
        levels[first.payload["level"]] += 1
        if first.payload["window"] == "c2" and first.payload["level"] <= 2:
            bad += 1
            rectified += "rating_rectified" in kinds
    return levels, bad, rectified, complaints


def test_parquet_round_trips_exact_values(db: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    report, _ = reports(db, Grouping.MATTER)
    path = tmp_path / "r.parquet"
    write_parquet(report, path)
    table = pq.read_table(path).to_pylist()
    assert [r["group"] for r in table] == [*(r.key for r in report.rows), TOTAL]
    for got, row in zip(table, [*report.rows, report.total], strict=True):
        for c in COLUMNS:
            value = row.value(c.name)
            if isinstance(value, Fraction):
                assert got[c.name] == decimal_places(value, 6)
            elif isinstance(value, Decimal):
                assert got[c.name] == value
            else:
                assert got[c.name] == value


def test_cli_report_writes_every_output(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = cli(capsys, "report", str(db), "--period", "2026-10", "--by", "window")
    assert status == 0, err
    assert "closure rate (办结率)" in out
    status, out, _ = cli(
        capsys, "report", str(db), "--period", "2026-10", "--by", "window", "--format", "json"
    )
    report, _ = reports(db, Grouping.WINDOW)
    assert json.loads(out) == report_data(report)
    out_path = tmp_path / "r.csv"
    status, out, err = cli(
        capsys,
        "report",
        str(db),
        "--period",
        "2026-10",
        "--format",
        "csv",
        "--output",
        str(out_path),
        "--plots",
        str(tmp_path / "plots"),
        "--html",
        str(tmp_path / "r.html"),
    )
    assert status == 0 and out == ""
    assert out_path.read_text(encoding="utf-8").startswith("group,received")
    for name in plots.PLOTS:
        assert (tmp_path / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in (tmp_path / "plots" / f"{name}.svg").read_bytes()[:400]
        assert f"plot: {tmp_path / 'plots' / name}.png" in err
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--period", "2026-13"], "argument --period: '2026-13': must be a month"),
        (["--period", "2026-10", "--by", "floor"], "argument --by: invalid choice"),
        (["--period", "2026-10", "--format", "xml"], "argument --format: invalid choice"),
        (["--period", "2026-10", "--format", "parquet"], "parquet is binary"),
        (["--period", "2026-10", "--output", "/nonexistent/x.csv"], "does not exist"),
        (["--period", "2026-10", "--locality", "atlantis"], "no locality plugin named"),
    ],
)
def test_cli_refusals_are_one_line_and_exit_2(
    db: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = main(["report", str(db), *argv])
    except SystemExit as exc:  # refused while parsing: argparse's usage, then one line
        status = int(str(exc.code))
    err = capsys.readouterr().err
    assert status == 2
    last = err.rstrip("\n").splitlines()[-1]
    assert message in last and last.startswith("hallflow")


def test_cli_refuses_a_file_that_is_not_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "x.db"
    bogus.write_text("hello")
    status, _, err = cli(capsys, "report", str(bogus), "--period", "2026-10")
    assert status == 2 and "DB=" in err
    status, _, err = cli(capsys, "report", str(tmp_path / "none.db"), "--period", "2026-10")
    assert status == 2 and "must be an existing hallflow SQLite file" in err


def _fc_has_chinese() -> bool:
    try:
        found = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
        ).stdout
    except FileNotFoundError:
        return False
    return bool(found.strip())


def test_the_label_path_follows_the_fonts_installed(db: Path) -> None:
    """Chinese labels when a CJK font is installed (fc-list says so), English otherwise;
    either way no glyph is missing (matplotlib warns of every missing glyph)."""
    font = plots.cjk_font()
    if _fc_has_chinese() or os.environ.get("CI") == "true":  # .ci/run installs one
        assert font is not None
    report, by_window = reports(db, Grouping.WINDOW)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svg = plots.render(report, by_window, "weekly", "svg", font).decode("utf-8")
    if font is not None:
        assert plots.label_language(font) == "zh"
        assert "收件" in svg  # text kept as text in the SVG, in the CJK font
    english = plots.render(report, by_window, "ratings", "svg", None).decode("utf-8")
    assert "非常" not in english and "very dissatisfied" in english


def test_a_font_without_the_glyphs_is_refused_not_drawn_as_boxes(db: Path) -> None:
    report, by_window = reports(db, Grouping.WINDOW)
    with pytest.raises(StatisticsError, match="lacks glyphs"):
        plots.render(report, by_window, "weekly", "png", "DejaVu Sans")


def test_html_table_equals_the_json_figures(db: Path) -> None:
    report, by_window = reports(db, Grouping.WINDOW)
    page = render_html(report, by_window, plots.cjk_font())
    data = report_data(report)
    for row in data["rows"]:
        for name, shown in row["figures"].items():
            cell = f'data-group="{row["group"]}" data-column="{name}">{shown}</td>'
            assert cell in page
    assert page.count("data:image/png;base64,") == len(plots.PLOTS)


def test_words() -> None:
    assert working_days(3, "zh") == "还剩 3 个工作日"
    assert working_days(-2, "zh") == "逾期 2 个工作日"
    assert working_days(-2, "en") == "overdue by 2 working days"
    assert calendar_duration(dt.timedelta(days=2), "zh") == "2 天"
    assert calendar_duration(dt.timedelta(days=2, hours=5, minutes=3), "en") == "2 days 5 hours"
    with pytest.raises(WordsError, match="lang"):
        working_days(1, "fr")
    with pytest.raises(WordsError, match="remaining"):
        working_days(Fraction(1, 2), "en")  # type: ignore[arg-type]
    with pytest.raises(WordsError, match="delta"):
        calendar_duration(dt.timedelta(days=-1))


@settings(max_examples=300, deadline=None)
@given(st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=4000)))
def test_calendar_duration_says_what_its_reference_says(delta: dt.timedelta) -> None:
    for lang in LANGUAGES:
        assert calendar_duration(delta, lang) == calendar_duration_reference(delta, lang)


def test_clock_words_read_the_clock(db: Path) -> None:
    with SQLiteStore(db) as store:
        hall, _ = build_hall(store)
        overdue = [
            c
            for c in hall.case_ids()
            if any(e.kind == "escalated" and e.payload["code"] == "overdue" for e in store.load(c))
            and store.load(c)[-1].kind != "delivered"
        ]
        case = hall.case(overdue[0])
        clock = hall.clocks(case)["promised"]
        at = clock.status(clock.events[-1].at).due + dt.timedelta(days=10)
        status = clock.status(at)
        zh = clock_words(status, "zh")
        en = clock_words(status, "en")
    late = -int(status.remaining)
    assert late >= 1
    assert zh.startswith(f"逾期 {late} 个工作日")
    assert en.startswith(f"overdue by {late} working day")
    assert "(1 week 3 days)" in en and "（1 周 3 天）" in zh


def test_without_a_cjk_font_the_labels_are_english(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback path: no installed font has the glyphs, so cjk_font is None."""
    from matplotlib import font_manager

    latin = [f for f in font_manager.fontManager.ttflist if f.name == "DejaVu Sans"]
    assert latin
    monkeypatch.setattr(font_manager.fontManager, "ttflist", latin)
    plots.cjk_font.cache_clear()
    try:
        assert plots.cjk_font() is None
        assert plots.label_language(plots.cjk_font()) == "en"
    finally:
        plots.cjk_font.cache_clear()


@pytest.mark.parametrize(
    "call",
    [
        lambda: to_json("report"),  # type: ignore[arg-type]
        lambda: to_csv(None),  # type: ignore[arg-type]
        lambda: render_table(object()),  # type: ignore[arg-type]
        lambda: report_data([]),  # type: ignore[arg-type]
    ],
)
def test_outputs_refuse_what_is_not_a_report(call: object) -> None:
    with pytest.raises(StatisticsError, match="report"):
        call()  # type: ignore[operator]


def test_plots_and_files_refuse_bad_arguments(db: Path, tmp_path: Path) -> None:
    report, by_window = reports(db, Grouping.HALL)
    with pytest.raises(StatisticsError, match="plot"):
        plots.render(report, by_window, "pie")
    with pytest.raises(StatisticsError, match="format"):
        plots.render(report, by_window, "weekly", "gif")
    with pytest.raises(StatisticsError, match="by_window"):
        plots.render(report, "c1", "weekly")  # type: ignore[arg-type]
    with pytest.raises(StatisticsError, match="formats"):
        plots.draw(report, by_window, tmp_path, formats="png")
    with pytest.raises(StatisticsError, match="width"):
        render_table(report, width=5)
    with pytest.raises(StatisticsError, match="path"):
        write_parquet(report, "x.parquet")  # type: ignore[arg-type]
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StatisticsError, match="plots"):
        plots.draw(report, by_window, blocker / "sub")


def test_without_the_report_extra_parquet_and_plots_are_refused(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    report, by_window = reports(db, Grouping.HALL)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(StatisticsError, match=r"hallflow\[report\]"):
        write_parquet(report, tmp_path / "x.parquet")
    with pytest.raises(StatisticsError, match=r"hallflow\[report\]"):
        plots.render(report, by_window, "weekly")
    assert not (tmp_path / "x.parquet").exists()
