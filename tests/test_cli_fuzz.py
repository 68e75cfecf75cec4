"""Fuzzing the command line: whatever argv holds, ``main`` ends well or refuses in one line.

Every subcommand is called in-process with argv drawn from valid values, boundary values
(the calendar's first and last days, the ends of every option's range) and junk (huge,
negative, fractional, nan and inf numbers, empty strings, unicode, NUL, lone surrogates as
argv carries undecodable bytes, missing files, folders, binary and GB18030 files, files the
parser has never seen). The property: ``main`` returns or raises ``SystemExit``, nothing
else; a non-zero status is 2 and comes with one error line on stderr (an argparse usage
error: its usage, then that line).

The default run makes at least 2,000 calls (:data:`DEFAULT`); the ``slow`` tests (selected
with ``-m slow`` or ``HALLFLOW_SLOW=1``, as the other fuzz tests are) make ten times as many.
The demo is only run on tiny periods (or on a holiday, where no application arrives whatever
the volume); everything else about it is exercised through its refusals.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallflow.calendar.data import dump_year
from hallflow.calendar.provisional import provisional_year
from tests.strategies import slow_selected
from tests.test_cli import NOTICES, SHIPPED, Outcome, call

DEFAULT = {
    "top": 150,
    "plugins": 100,
    "due": 450,
    "day": 300,
    "between": 300,
    "import-notice": 450,
    "demo": 300,
}
"""Examples per command in the default run: 2,050 calls."""

SLOW = {command: 10 * examples for command, examples in DEFAULT.items()}
"""Examples per command under the ``slow`` marker: 20,500 calls."""


# --- the files and folders the arguments name ----------------------------------------------


@attrs.define(frozen=True)
class World:
    """A scratch tree of things a path argument can name, and a way to make new paths."""

    root: Path
    notices: tuple[str, ...]
    data: tuple[str, ...]
    outputs: tuple[str, ...]
    dbs: tuple[str, ...]
    counter: Iterator[int]

    def fresh(self, kind: str, suffix: str = "") -> str:
        """A path nothing exists at yet."""
        return str(self.root / "fresh" / f"{kind}-{next(self.counter)}{suffix}")


def _write(path: Path, data: bytes | str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return str(path)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("cli-fuzz")
    text = (NOTICES / "2026.txt").read_text(encoding="utf-8")
    folder = root / "folder"
    folder.mkdir()
    notices = (
        *(str(p) for p in sorted(NOTICES.glob("*.txt"))),
        str(NOTICES / "gb18030" / "2025.txt"),
        _write(root / "gbk.txt", (NOTICES / "2024.txt").read_text(encoding="utf-8").encode("gbk")),
        _write(root / "bom.txt", text.encode("utf-8-sig")),
        _write(root / "utf16.txt", text.encode("utf-16")),
        _write(root / "binary.bin", bytes(range(256)) * 8),
        _write(root / "empty.txt", b""),
        _write(root / "untitled.txt", text.split("\n", 1)[1]),
        _write(root / "menu.txt", "今日菜单：米饭、青菜、豆腐汤。\n"),
        _write(root / "huge.txt", b"a" * ((1 << 20) + 1)),
        _write(root / "count.txt", text.replace("共9天", "共10天")),
        _write(root / "name-\udcff.txt", text),
        str(folder),
        str(root / "missing.txt"),
        "/dev/null",
    )

    def data_dir(name: str, files: dict[str, bytes | str]) -> str:
        path = root / name
        path.mkdir()
        for file, content in files.items():
            _write(path / file, content)
        return str(path)

    shipped = (SHIPPED / "2026.toml").read_bytes()
    provisional = root / "provisional.toml"
    dump_year(provisional_year(2031), provisional)
    subdir = data_dir("data-subdir", {})
    (Path(subdir) / "2026.toml").mkdir()
    fifo = data_dir("data-fifo", {})
    os.mkfifo(Path(fifo) / "2026.toml")  # reading it would wait for a writer forever
    os.mkfifo(root / "fifo.txt")
    data = (
        data_dir("data-ok", {"2026.toml": shipped, "2031.toml": provisional.read_bytes()}),
        data_dir("data-\udcff", {"2026.toml": shipped}),
        data_dir("data-empty", {}),
        data_dir("data-other", {"readme.txt": "year files go here"}),
        data_dir("data-binary", {"2027.toml": bytes(range(256))}),
        data_dir("data-gb18030", {"2027.toml": "# 国务院\nformat = 1".encode("gb18030")}),
        data_dir("data-not-toml", {"2027.toml": "format = ["}),
        data_dir("data-types", {"2027.toml": "format = 1\nyear = 2027\nnotices = 5\n"}),
        data_dir("data-tables", {"2027.toml": "format = 1\nyear = 2027\nfestivals = [1]\n"}),
        data_dir("data-year", {"2027.toml": "format = 1\nyear = true\n"}),
        data_dir("data-twice", {"2026.toml": shipped, "copy.toml": shipped}),
        subdir,
        fifo,
        str(root / "missing-data"),
        notices[0],
        "/dev/null",
    )
    notices = (*notices, str(root / "fifo.txt"))
    outputs = (notices[0], str(root / "out-\udcff"), "/dev/null", "/proc/hallflow-fuzz")
    dbs = (notices[0], str(folder), str(root / "missing" / "x.db"), "/dev/null")
    cwd = root / "cwd"
    cwd.mkdir()
    temp = root / "tmp"
    temp.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)  # import-notice writes here by default
        patch.setattr(tempfile, "tempdir", str(temp))  # and the demo's database goes here
        yield World(root, notices, data, outputs, dbs, iter(range(10**12)))
    shutil.rmtree(root, ignore_errors=True)


# --- values ----------------------------------------------------------------------------------

JUNK = (
    "",
    " ",
    "-",
    "--",
    "-1",
    "0",
    "-0",
    "+1",
    "1.5",
    "1e9",
    "-1e9",
    "1e309",
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "0x10",
    "1_000",
    "٣",
    "２０",
    "9" * 30,
    "-" + "9" * 30,
    "9" * 5000,
    "2026-02-30",
    "2026-13-01",
    "0001-01-01",
    "9999-12-31",
    "2026-W40-1",
    "20260928",
    "2026-09",
    "2026-9",
    "中文",
    "二〇二六",
    "\udcff",
    "\ud800",
    "a\udcffb",
    "\x00",
    "a\nb",
    "\r",
    "\u2028",
    "%s %(prog)s",
    "{}",
    "-h",
    "--help",
    "--version",
)
"""Values no option should take (a few of them, like ``"0"``, some options do take)."""

PATH_JUNK = (
    "",
    "\x00",
    "a\x00b",
    "\udcff",
    "/",
    ".",
    "..",
    "~",
    "x" * 300,  # a file name too long for the file system
    "a/" * 2100,  # a path too long for the file system
    "\ud800",  # a surrogate no file name decodes to (argv in-process can still hold it)
    "/dev/zero",
    "/proc/self/status",
    "/proc/hallflow-fuzz/x",
    "-",
)
"""Paths no path option should take, or that name odd things."""

_ANY_CHAR = st.characters(codec=None, exclude_categories=())  # surrogates included
junk = st.one_of(
    st.sampled_from(JUNK),
    st.text(_ANY_CHAR, max_size=12),
    st.integers().map(str),
    st.floats().map(str),
)
path_junk = st.one_of(st.sampled_from(PATH_JUNK), junk)


def _iso(lo: str, hi: str) -> st.SearchStrategy[str]:
    import datetime as dt

    first, last = dt.date.fromisoformat(lo), dt.date.fromisoformat(hi)
    return st.dates(first, last).map(dt.date.isoformat)


calendar_dates = st.one_of(
    st.sampled_from(
        [
            "2004-01-01",
            "2026-09-28",
            "2026-10-01",
            "2026-12-31",
            "2030-12-31",
            "2031-01-01",
            "2100-12-31",
            "2024-02-29",
        ]
    ),
    _iso("2004-01-01", "2031-12-31"),
    _iso("2004-01-01", "2100-12-31"),
)
untils = st.sampled_from(["2004", "2026", "2030", "2030", "2031", "2040", "2100"])
"""--until: compiling up to 2100 takes a third of a second, so it is drawn rarely."""
limits = st.one_of(
    st.integers(-60, 60).map(str),
    st.integers(-36_500, 36_500).map(str),
    st.sampled_from(["0", "36500", "-36500", "20"]),
)
years = st.one_of(st.sampled_from(["2004", "2026", "2100"]), st.integers(2004, 2100).map(str))

demo_days = st.one_of(st.integers(1, 3).map(str), st.sampled_from(["1", "3", "٣"]))
demo_volumes = st.one_of(
    st.floats(0, 2).map(str), st.sampled_from(["0", "0.0", "1", "2", "1e-300", "5e-324"])
)
demo_starts = st.one_of(
    st.sampled_from(["2020-01-01", "2026-09-28", "2030-09-28", "2030-09-30"]),
    _iso("2020-01-01", "2030-09-28"),
)
demo_months = st.sampled_from(["2020-01", "2026-10", "2030-09"])
seeds = st.one_of(
    st.sampled_from(["0", "2026", str(2**63 - 1)]), st.integers(0, 2**63 - 1).map(str)
)
# Values the demo refuses (a refusal is fast, whatever it refuses).
demo_refused_days = st.one_of(
    st.sampled_from(["0", "367", "-1", "1.0", "1e2", "nan", "inf", "", "9" * 40]),
    st.integers(max_value=0).map(str),
    st.integers(min_value=367).map(str),
)
demo_refused_volumes = st.one_of(
    st.sampled_from(["-1", "1000.5", "1e9", "1e309", "inf", "-inf", "nan", "", "x"]),
    st.floats(max_value=-1e-9).map(str),
    st.floats(min_value=1000.000001).map(str),
)
demo_refused_dates = st.one_of(
    st.sampled_from(["2019-12-31", "2030-10-01", "2004-01-01", "9999-12-31", "2026-02-30"]),
    _iso("0001-01-01", "2019-12-31"),
    _iso("2030-10-01", "9999-12-31"),
)


# --- argv -------------------------------------------------------------------------------------


@attrs.define(frozen=True)
class Option:
    """An option of a command: its spellings and the values to draw for it."""

    names: tuple[str, ...]
    good: st.SearchStrategy[str] | None  # None: a flag
    bad: st.SearchStrategy[str] = junk


def _option_tokens(draw: st.DrawFn, option: Option, *, bad: bool) -> list[str]:
    name = draw(st.sampled_from(option.names))
    if option.good is None:
        return [name]
    value = draw(option.bad if bad else option.good)
    if draw(st.booleans()) and name.startswith("--"):
        return [f"{name}={value}"]
    return [name, value]


@st.composite
def command_argv(
    draw: st.DrawFn,
    prefix: list[str],
    positionals: list[st.SearchStrategy[list[str]]],
    options: list[Option],
    required: tuple[Option, ...] = (),
    modes: tuple[str, ...] = ("valid", "one-bad", "wild"),
) -> list[str]:
    """argv for one command: valid, valid but for one value, or shuffled junk."""
    mode = draw(st.sampled_from(modes))
    chosen = [*required, *draw(st.lists(st.sampled_from(options), max_size=4, unique=True))]
    spots = len(positionals) + len(chosen)
    bad_spot = draw(st.integers(0, max(spots - 1, 0))) if mode == "one-bad" else -1
    wild = mode == "wild"
    groups: list[list[str]] = []
    for i, positional in enumerate(positionals):
        groups.append(
            [draw(junk)] if i == bad_spot or (wild and draw(st.booleans())) else draw(positional)
        )
    option_groups = [
        _option_tokens(
            draw, option, bad=i + len(positionals) == bad_spot or (wild and draw(st.booleans()))
        )
        for i, option in enumerate(chosen)
    ]
    if wild:
        tokens = [t for g in groups + option_groups for t in g]
        tokens += draw(st.lists(junk, max_size=2))
        return [*prefix, *draw(st.permutations(tokens))]
    if draw(st.booleans()):
        return [*prefix, *[t for g in option_groups + groups for t in g]]
    return [*prefix, *[t for g in groups + option_groups for t in g]]


def _one(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return strategy.map(lambda value: [value])


def calendar_options(world: World) -> list[Option]:
    return [
        Option(("--data",), st.sampled_from(world.data), path_junk),
        Option(("--until", "--unt"), untils),
    ]


def notice_files(world: World) -> st.SearchStrategy[str]:
    """Notices on disk, and notices never seen: mutated, re-encoded or random bytes."""

    @st.composite
    def generated(draw: st.DrawFn) -> str:
        source = draw(st.sampled_from(sorted(NOTICES.glob("*.txt"))))
        text = source.read_text(encoding="utf-8")
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        text = text[:start] + draw(st.text(max_size=20)) + text[end:]
        codec = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
        raw = draw(st.one_of(st.just(text.encode(codec, "replace")), st.binary(max_size=300)))
        return _write(Path(world.fresh("notice", ".txt")), raw)

    return st.one_of(st.sampled_from(world.notices), generated())


def demo_argv(dbs: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """argv for the demo: mostly refused; run only on a few days, or on a holiday."""
    options = command_argv(
        ["demo"],
        [],
        [
            Option(("--locality",), st.sampled_from(["zhenlai", "sichuan"]), junk),
            Option(("--start",), demo_starts, st.one_of(demo_refused_dates, junk)),
            Option(("--volume", "--vol"), demo_volumes, demo_refused_volumes),
            Option(("--seed",), seeds),
            Option(("--quiet",), None),
        ],
        required=(
            Option(("--days",), demo_days, demo_refused_days),
            Option(("--db",), dbs, path_junk),
        ),
        modes=("valid", "one-bad", "one-bad", "wild", "wild"),
    )
    # The largest volumes, on a holiday, so that no application arrives.
    holiday = st.builds(
        lambda volume, db: [
            *("demo", "--quiet", "--start", "2026-10-03", "--days", "1"),
            *("--volume", volume, "--db", db),
        ],
        st.sampled_from(["1000", "1e3", "1000.0", "999.999", "1000.0001"]),
        dbs,
    )
    month = st.builds(
        lambda month, db: ["demo", "--quiet", "--month", month, "--days", "1", "--db", db],
        st.sampled_from(["2020-01", "2030-09", "2019-12", "2030-10", "2026-13", "x"]),
        dbs,
    )
    return st.one_of(options, options, options, options, holiday, month)


def argv_strategies(world: World) -> dict[str, st.SearchStrategy[list[str]]]:
    outputs = st.one_of(
        st.builds(world.fresh, st.just("out")),
        st.builds(lambda: world.fresh("out") + "/a/b"),
        st.builds(lambda: str(Path(world.outputs[1]) / str(next(world.counter)))),
        st.sampled_from(world.outputs),
    )
    dbs = st.one_of(
        st.builds(world.fresh, st.just("db"), st.just(".db")), st.sampled_from(world.dbs)
    )
    words = st.sampled_from(
        [
            "plugins",
            "demo",
            "calendar",
            "due",
            "day",
            "between",
            "import-notice",
            "-h",
            "--help",
            "--version",
            "--no-entry-points",
            "--data",
            "--volume",
        ]
    )
    return {
        "top": st.lists(st.one_of(words, junk), max_size=5),
        "plugins": command_argv(["plugins"], [], [Option(("--no-entry-points", "--no"), None)]),
        "due": command_argv(
            ["calendar", "due"],
            [_one(calendar_dates), _one(limits)],
            [*calendar_options(world), Option(("--brief",), None)],
        ),
        "day": command_argv(
            ["calendar", "day"],
            [st.lists(calendar_dates, min_size=1, max_size=4)],
            calendar_options(world),
        ),
        "between": command_argv(
            ["calendar", "between"],
            [_one(calendar_dates), _one(calendar_dates)],
            calendar_options(world),
        ),
        "import-notice": command_argv(
            ["calendar", "import-notice"],
            [_one(st.one_of(notice_files(world), notice_files(world), path_junk))],
            [Option(("--year",), years)],
            required=(Option(("-o", "--output", "--out"), outputs, path_junk),),
        ),
        "demo": demo_argv(dbs),
    }


# --- the property ------------------------------------------------------------------------


def _without_progress(outcome: Outcome) -> Outcome:
    """The demo's progress lines are not part of a refusal."""
    lines = [
        line
        for line in outcome.err.splitlines(keepends=True)
        if not (line.startswith("hallflow demo: ") and " simulated (" in line)
    ]
    return attrs.evolve(outcome, err="".join(lines))


def fuzz(command: str, world: World, capsys: pytest.CaptureFixture[str], examples: int) -> None:
    calls = 0
    strategy = argv_strategies(world)[command]

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )
    @given(argv=strategy)
    def one_call(argv: list[str]) -> None:
        nonlocal calls
        calls += 1
        outcome = _without_progress(call(capsys, argv))  # any other exception fails the test
        if outcome.status != 0:
            outcome.refusal()

    one_call()
    assert calls >= examples


@pytest.mark.parametrize("command", list(DEFAULT))
def test_any_argv_returns_or_refuses_in_one_line(
    command: str, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    fuzz(command, world, capsys, DEFAULT[command])


@pytest.mark.slow
@pytest.mark.parametrize("command", list(SLOW))
def test_any_argv_returns_or_refuses_in_one_line_exhaustive(
    command: str, world: World, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    if not slow_selected(request.config):
        pytest.skip("slow: run with -m slow (or HALLFLOW_SLOW=1)")
    fuzz(command, world, capsys, SLOW[command])


def test_the_default_run_makes_at_least_2000_calls() -> None:
    assert sum(DEFAULT.values()) >= 2000
    assert sum(SLOW.values()) >= 10 * sum(DEFAULT.values())
