"""The command line: answers agree with the library, refusals exit 2 with one clear line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import hallflow
from hallflow.calendar import china
from hallflow.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_due_prints_the_reasoning_and_the_closing_time(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "calendar", "due", "2026-09-28", "20")
    assert status == 0
    count = china().explain_working_days(dt.date(2026, 9, 28), 20)
    assert count.describe() in out
    assert f"due: {count.result:%Y-%m-%d %a} at 17:30 (Asia/Shanghai)" in out
    assert "provisional" not in out


def test_due_flags_provisional_answers(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "calendar", "due", "2026-12-10", "20", "--brief")
    assert status == 0
    assert out.startswith("due: ")
    assert "note: provisional" in out


def test_day_and_between(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "calendar", "day", "2026-10-10", "2026-10-11")
    cal = china()
    assert status == 0
    assert out.splitlines() == [
        cal.day_info(dt.date(2026, 10, 10)).describe(),
        cal.day_info(dt.date(2026, 10, 11)).describe(),
    ]
    status, out, _ = run(capsys, "calendar", "between", "2026-01-01", "2026-12-31")
    expected = cal.working_days_between(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert out.startswith(f"{expected} working days")


def test_out_of_range_exits_2_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "calendar", "due", "2030-12-20", "20")
    assert status == 2
    assert out == ""
    assert "outside the calendar's compiled range" in err
    assert "--until" in err
    status, out, _ = run(capsys, "calendar", "due", "2030-12-20", "20", "--until", "2031")
    assert status == 0


def test_bad_date_is_an_argument_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["calendar", "due", "28/09/2026", "20"])
    assert exit_.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_missing_notice_file_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, "calendar", "import-notice", str(tmp_path / "nope.txt"))
    assert status == 2
    assert "nope.txt" in err


def test_import_notice_writes_a_year_a_calendar_loads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from hallflow.calendar.data import load_year, national_years

    notice = Path(__file__).parent / "data" / "notices" / "2026.txt"
    status, out, _ = run(capsys, "calendar", "import-notice", str(notice), "-o", str(tmp_path))
    assert status == 0
    written = load_year(tmp_path / "2026.toml")
    shipped = {y.year: y for y in national_years()}[2026]
    assert written == shipped
    assert str(tmp_path / "2026.toml") in out
    status, out, _ = run(
        capsys, "calendar", "due", "2026-09-28", "20", "--brief", "--data", str(tmp_path)
    )
    assert status == 0
    assert out.startswith(f"due: {china().add_working_days(dt.date(2026, 9, 28), 20):%Y-%m-%d}")


def test_not_a_notice_names_the_rule(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bogus = tmp_path / "menu.txt"
    bogus.write_text("今日菜单：米饭、青菜、豆腐汤。\n", encoding="utf-8")
    status, _, err = run(capsys, "calendar", "import-notice", str(bogus))
    assert status == 2
    assert err.startswith("hallflow: error:")
    assert "not-a-notice" in err


def test_plugins_lists_the_national_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "plugins", "--no-entry-points")
    assert status == 0
    assert out.splitlines() == [f"hallflow.national {hallflow.__version__}"]
