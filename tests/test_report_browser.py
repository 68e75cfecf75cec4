"""The HTML report in a real browser: Debian's chromium, headless.

chromium's own ``--headless --dump-dom`` and ``--screenshot`` modes are used rather than
selenium (which needs a matching chromedriver) or playwright (which downloads a browser of
its own): one subprocess per check, nothing else to install. Console messages are read from
chromium's log on stderr (``--enable-logging=stderr``), where every ``console.*`` call and
uncaught error appears as an ``INFO:CONSOLE`` line.

Outside CI the tests skip when chromium is missing; under ``CI=true`` (.ci/run installs it)
a missing chromium fails them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
from html import unescape
from pathlib import Path

import pytest

from hallflow.cli import main
from hallflow.demo import DemoOptions, run
from hallflow.store import SQLiteStore
from tests.strategies import append_complaint, append_rating


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing under CI (.ci/run installs Debian's chromium)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return found


def browse(page: Path, *mode: str) -> tuple[str, list[str]]:
    """Run headless chromium on ``page``; returns stdout and the console lines it logged."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1400,1800",
                *mode,
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "hall.db"
    run(DemoOptions(volume=4, seed=3, db=db))
    with SQLiteStore(db) as store:
        tz = dt.timezone(dt.timedelta(hours=8))
        for n, level in enumerate((5, 4, 3, 2, 1, 5)):
            append_rating(
                store,
                f"{n:032x}",
                at=dt.datetime(2026, 10, 9 + n, 10, tzinfo=tz),
                level=level,
                window=f"c{1 + n % 3}",
                rectified=level == 1,
            )
        append_complaint(
            store,
            "f" * 32,
            at=dt.datetime(2026, 10, 12, 10, tzinfo=tz),
            category="fees",
            window="c1",
        )
    page = folder / "report.html"
    data = folder / "report.json"
    argv = ["report", str(db), "--period", "2026-10", "--by", "window"]
    assert main([*argv, "--html", str(page)]) == 0
    assert main([*argv, "--format", "json", "--output", str(data)]) == 0
    return page, json.loads(data.read_text(encoding="utf-8"))


def test_the_console_check_can_fail(tmp_path: Path) -> None:
    """A page with a console error and an uncaught exception is caught by the check."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>console.error('boom'); nope();</script></body></html>")
    _, console = browse(bad, "--dump-dom")
    assert any("boom" in line for line in console)
    assert any("Uncaught" in line for line in console)


def test_the_page_renders_without_console_errors_and_its_figures_equal_the_json(
    outputs: tuple[Path, dict[str, object]],
) -> None:
    page, data = outputs
    dom, console = browse(page, "--dump-dom")
    assert console == []
    cells = {
        (unescape(g), unescape(c)): unescape(v)
        for g, c, v in re.findall(
            r'<td class="num" data-group="([^"]*)" data-column="([^"]*)">([^<]*)</td>', dom
        )
    }
    expected = {
        (row["group"], name): value
        for row in data["rows"]  # type: ignore[attr-defined]
        for name, value in row["figures"].items()
    }
    assert cells == expected
    assert len(expected) > 20
    # the images were decoded by the browser: it lays them out with their pixel sizes
    assert dom.count('src="data:image/png;base64,') == 4


def test_the_screenshot_is_not_blank(
    outputs: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    from matplotlib import image

    page, _ = outputs
    shot = tmp_path / "shot.png"
    _, console = browse(page, f"--screenshot={shot}")
    assert console == []
    pixels = image.imread(str(shot))
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    # a blank page is one colour; the plots' bars and the table's text are many
    assert float(pixels[..., :3].std()) > 0.05
    # the plot area (top half) is not white: coloured bars were painted
    top = pixels[: pixels.shape[0] // 2, :, :3]
    coloured = (abs(top[..., 0] - top[..., 2]) > 0.3).mean()
    assert coloured > 0.005
