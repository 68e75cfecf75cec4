"""The command line: answers agree with the library, refusals exit 2 with one clear line."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import attrs
import pytest

import hallflow
from hallflow.calendar import china
from hallflow.calendar.data import load_year, national_years
from hallflow.cli import main

NOTICES = Path(__file__).parent / "data" / "notices"
SHIPPED = Path(__file__).parents[1] / "src" / "hallflow" / "calendar" / "data" / "cn"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@attrs.define(frozen=True)
class Outcome:
    """What one call of ``main`` did: its exit status, its output, and how it ended."""

    status: int
    out: str
    err: str
    usage: bool  # argparse refused the arguments (SystemExit) rather than main returning

    def refusal(self) -> str:
        """The one error line of a refusal, after checking the refusal's shape.

        A refusal while the command runs is exactly one line, ``hallflow: error: ...``. An
        argparse usage error is its usage (a first line ``usage: ...`` and indented
        continuation lines) and exactly one error line, ``hallflow ...: error: ...``.
        """
        assert self.status == 2, self
        lines = self.err.splitlines()
        if self.usage:
            assert len(lines) >= 2, self.err
            assert lines[0].startswith("usage: hallflow"), self.err
            assert all(line.startswith(" ") for line in lines[1:-1]), self.err
            assert re.match(r"hallflow(?: [\w-]+)*: error: \S", lines[-1]), self.err
        else:
            assert len(lines) == 1, self.err
            assert lines[0].startswith("hallflow: error: "), self.err
        return lines[-1]


def call(capsys: pytest.CaptureFixture[str], argv: Sequence[str]) -> Outcome:
    """Run ``main(argv)`` in-process; a usage error's SystemExit becomes an outcome."""
    try:
        status, usage = main(list(argv)), False
    except SystemExit as exc:
        code = exc.code
        status, usage = (code if isinstance(code, int) else 0 if code is None else 1), True
    out, err = capsys.readouterr()
    return Outcome(status, out, err, usage)


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
    notice = NOTICES / "2026.txt"
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


# --- the reported bugs, and every option's rule ---------------------------------------------


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, str]:
    """Files and folders the table below refers to by name."""
    empty = tmp_path / "empty"
    empty.mkdir()
    binary = tmp_path / "notice.bin"
    binary.write_bytes("国务院办公厅".encode("utf-16") + bytes(range(256)))
    bad = tmp_path / "bad-data"
    bad.mkdir()
    (bad / "2027.toml").write_bytes("year = 2027 # 国务院".encode("gb18030"))
    twice = tmp_path / "twice"
    twice.mkdir()
    shutil.copy(SHIPPED / "2026.toml", twice / "2026.toml")
    shutil.copy(SHIPPED / "2026.toml", twice / "copy.toml")
    return {
        "notice": str(NOTICES / "2026.txt"),
        "binary": str(binary),
        "missing": str(tmp_path / "missing"),
        "empty": str(empty),
        "bad": str(bad),
        "twice": str(twice),
        "out": str(tmp_path / "out"),
    }


DUE = ["calendar", "due", "2026-09-28", "20"]

# (argv, "usage" for an argparse refusal or "run" for one while the command runs, and what the
# error line must name: the option or argument, the value and the rule)
REFUSALS: dict[str, tuple[list[str], str, list[str]]] = {
    # a notice that is neither UTF-8 nor GB18030
    "notice-encoding": (
        ["calendar", "import-notice", "{binary}"],
        "run",
        ["FILE=", "{binary}", "UTF-8", "GB18030", "unknown-encoding"],
    ),
    "notice-missing": (["calendar", "import-notice", "{missing}"], "run", ["FILE=", "{missing}"]),
    "notice-folder": (["calendar", "import-notice", "{empty}"], "run", ["FILE=", "folder"]),
    # --data that is not a folder of year files
    "data-missing": ([*DUE, "--data", "{missing}"], "run", ["--data=", "{missing}", "no such"]),
    "data-file": ([*DUE, "--data", "{notice}"], "run", ["--data=", "{notice}", "not a folder"]),
    "data-empty": ([*DUE, "--data", "{empty}"], "run", ["--data=", "{empty}", "no year file"]),
    "data-not-utf8": ([*DUE, "--data", "{bad}"], "run", ["--data=", "2027.toml", "not UTF-8"]),
    "data-twice": ([*DUE, "--data", "{twice}"], "run", ["--data=", "copy.toml", "2026"]),
    "data-empty-string": ([*DUE, "--data", ""], "usage", ["--data", "''"]),
    # --year that contradicts the notice's title, or is outside the calendar's years
    "year-mismatch": (
        ["calendar", "import-notice", "{notice}", "--year", "2099", "-o", "{out}"],
        "run",
        ["--year", "2026", "2099", "year-mismatch"],
    ),
    "year-range": (
        ["calendar", "import-notice", "{notice}", "--year", "1999"],
        "usage",
        ["--year", "'1999'", "2004 to 2100"],
    ),
    "year-word": (
        ["calendar", "import-notice", "{notice}", "--year", "二〇二六"],
        "usage",
        ["--year", "'二〇二六'", "whole number"],
    ),
    "output-file": (
        ["calendar", "import-notice", "{notice}", "-o", "{notice}"],
        "run",
        ["--output=", "not a folder"],
    ),
    # every numeric option of the demo
    "volume-1e9": (["demo", "--volume", "1e9"], "usage", ["--volume", "'1e9'", "0 to 1000"]),
    "volume-inf": (["demo", "--volume", "inf"], "usage", ["--volume", "'inf'", "finite"]),
    "volume-nan": (["demo", "--volume", "nan"], "usage", ["--volume", "'nan'", "finite"]),
    "volume-negative": (["demo", "--volume=-1"], "usage", ["--volume", "'-1'", "0 to 1000"]),
    "volume-word": (["demo", "--volume", "twenty"], "usage", ["--volume", "'twenty'"]),
    "days-zero": (["demo", "--days", "0"], "usage", ["--days", "'0'", "1 to 366"]),
    "days-long": (["demo", "--days", "367"], "usage", ["--days", "'367'", "1 to 366"]),
    "days-float": (["demo", "--days", "1.5"], "usage", ["--days", "'1.5'", "whole number"]),
    "seed-negative": (["demo", "--seed=-1"], "usage", ["--seed", "'-1'", "0 to"]),
    "seed-float": (["demo", "--seed", "1e3"], "usage", ["--seed", "'1e3'", "whole number"]),
    "start-early": (["demo", "--start", "2019-12-31"], "usage", ["--start", "2020-01-01"]),
    "start-late": (["demo", "--start", "2030-10-01"], "usage", ["--start", "2030-09-30"]),
    "month-late": (["demo", "--month", "2030-10"], "usage", ["--month", "'2030-10'"]),
    "period-late": (
        ["demo", "--start", "2030-09-01", "--days", "31"],
        "run",
        ["--days=31", "2030-10-01", "2030-09-30"],
    ),
    "db-folder": (["demo", "--db", "{empty}"], "run", ["--db=", "{empty}", "folder"]),
    "db-not-sqlite": (["demo", "--db", "{notice}"], "run", ["--db=", "not a SQLite"]),
    "db-no-folder": (["demo", "--db", "{missing}/x.db"], "run", ["--db=", "does not exist"]),
    # every numeric option and date of the calendar commands
    "until-low": ([*DUE, "--until", "2003"], "usage", ["--until", "'2003'", "2004 to 2100"]),
    "until-high": ([*DUE, "--until", "2101"], "usage", ["--until", "'2101'", "2004 to 2100"]),
    "until-nan": ([*DUE, "--until", "nan"], "usage", ["--until", "'nan'", "whole number"]),
    "due-days-huge": (
        ["calendar", "due", "2026-09-28", "99999999"],
        "usage",
        ["days", "'99999999'", "-36500 to 36500"],
    ),
    "due-days-float": (["calendar", "due", "2026-09-28", "2.5"], "usage", ["days", "'2.5'"]),
    "due-date-early": (["calendar", "due", "2003-12-31", "5"], "usage", ["date", "2004-01-01"]),
    "day-not-a-date": (["calendar", "day", "2026-02-30"], "usage", ["DATE", "YYYY-MM-DD"]),
    "between-late": (
        ["calendar", "between", "2026-01-01", "2101-01-01"],
        "usage",
        ["end", "'2101-01-01'", "2100-12-31"],
    ),
    "day-after-until": (["calendar", "day", "2031-01-01"], "run", ["2031-01-01", "--until"]),
    "no-command": ([], "usage", ["required", "plugins,demo,audit,calendar"]),
    "no-calendar-command": (["calendar"], "usage", ["due,day,between,import-notice"]),
    # whatever argv holds, the error stays on one line
    "newline-in-argv": (["plugins", "a\nb"], "usage", ["unrecognized", "a\\nb"]),
    "surrogate-in-path": ([*DUE, "--data", "\udcff"], "run", ["--data=", "\\udcff"]),
    "unencodable-path": (["demo", "--db", "\ud800"], "usage", ["--db", "\\ud800", "encode"]),
    # Python 3.11's argparse stores [] for "--opt=--": the value is missing
    "dashes-as-value": (["demo", "--db=--"], "usage", ["--db", "expected one argument"]),
    "dashes-attached": (
        ["calendar", "import-notice", "{notice}", "-o--"],
        "usage",
        ["-o/--output", "expected one argument"],
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusals_are_one_line_naming_option_value_and_rule(
    case: str, paths: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv, kind, names = REFUSALS[case]
    outcome = call(capsys, [arg.format(**paths) for arg in argv])
    line = outcome.refusal()
    assert outcome.usage is (kind == "usage")
    assert outcome.out == ""
    for name in names:
        assert name.format(**paths) in line, (name, line)
    assert not Path(paths["out"]).exists()  # nothing was written


def test_a_gb18030_notice_imports_like_its_utf8_original(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    gb = tmp_path / "notice-gb18030.txt"
    gb.write_bytes((NOTICES / "2026.txt").read_text(encoding="utf-8").encode("gb18030"))
    outcome = call(capsys, ["calendar", "import-notice", str(gb), "-o", str(tmp_path / "gb")])
    assert (outcome.status, outcome.err) == (0, "")
    utf8 = call(
        capsys, ["calendar", "import-notice", str(NOTICES / "2026.txt"), "-o", str(tmp_path)]
    )
    assert utf8.status == 0
    assert load_year(tmp_path / "gb" / "2026.toml") == load_year(tmp_path / "2026.toml")
    assert load_year(tmp_path / "2026.toml") == {y.year: y for y in national_years()}[2026]


def test_year_is_for_a_notice_without_a_title(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (NOTICES / "2026.txt").read_text(encoding="utf-8").split("\n", 1)[1]
    untitled = tmp_path / "untitled.txt"
    untitled.write_text(text, encoding="utf-8")
    line = call(capsys, ["calendar", "import-notice", str(untitled), "-o", str(tmp_path)]).refusal()
    assert "missing-year" in line and "--year" in line
    agreeing = ["calendar", "import-notice", str(NOTICES / "2026.txt"), "--year", "2026"]
    assert call(capsys, [*agreeing, "-o", str(tmp_path / "a")]).status == 0
    outcome = call(
        capsys, ["calendar", "import-notice", str(untitled), "--year", "2026", "-o", str(tmp_path)]
    )
    assert outcome.status == 0
    assert load_year(tmp_path / "2026.toml").year == 2026


def test_a_refused_demo_makes_no_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "hall.db"
    for argv in (["--volume", "inf"], ["--start", "2030-09-01", "--days", "60"]):
        call(capsys, ["demo", "--db", str(db), *argv]).refusal()
    assert list(tmp_path.iterdir()) == []


def test_boundary_values_are_accepted(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # 3 October 2026 is a holiday: no application arrives, whatever the volume
    demo = ["demo", "--quiet", "--start", "2026-10-03", "--days", "1", "--seed", str(2**63 - 1)]
    assert call(capsys, [*demo, "--volume", "1000", "--db", str(tmp_path / "a.db")]).status == 0
    assert call(capsys, [*demo, "--volume", "0", "--db", str(tmp_path / "b.db")]).status == 0
    first = ["calendar", "day", "2004-01-01", "--until", "2004"]
    assert call(capsys, first).status == 0
    last = call(capsys, ["calendar", "between", "2100-12-01", "2100-12-31", "--until", "2100"])
    expected = china(until=2100).working_days_between(dt.date(2100, 12, 1), dt.date(2100, 12, 31))
    assert last.status == 0 and last.out.startswith(f"{expected} working days")
