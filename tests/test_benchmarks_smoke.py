"""Smoke test of ``benchmarks/run.py --quick --json``: output structure and correctness.

No timing assertions: only that every operation was measured for every library, that the
numbers are well-formed, and that hallflow's answers equal chinesecalendar's on the sample.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("chinese_calendar")
pytest.importorskip("holidays")
pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "run.py"

SCALAR_OPS = ("scalar add 10", "scalar add 200", "scalar count year")
SCALAR_LIBS = {
    "hallflow": "yes",
    "chinesecalendar": "yes",
    "holidays": "yes",
    "numpy busdaycalendar": "no",
    "numpy holidays=": "no",
    "pandas": "no",
}
BULK_LIBS = {"hallflow": "yes", "numpy busdaycalendar": "no", "numpy holidays=": "no"}
ROW_KEYS = {
    "operation",
    "library",
    "median_ns",
    "per",
    "speedup",
    "equal_hallflow",
    "equal_chinesecalendar",
    "knows_makeup",
    "call",
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data, proc.stdout


def _rows(data: dict[str, Any], op: str) -> dict[str, dict[str, Any]]:
    return {r["library"]: r for r in data["rows"] if r["operation"] == op}


def test_report_structure(quick_run: tuple[dict[str, Any], str]) -> None:
    data, stdout = quick_run
    assert set(data) == {"machine", "config", "calendar", "rows", "targets"}
    assert data["config"]["quick"] is True
    for key in ("cpu", "cores", "python", "numpy", "pandas", "holidays", "chinesecalendar"):
        assert data["machine"][key]
    assert data["calendar"]["first"] == "2004-01-01"
    assert data["calendar"]["last"] == "2030-12-31"
    assert data["calendar"]["memory"]["memory_bytes"] > 0
    for row in data["rows"]:
        assert set(row) == ROW_KEYS
        assert row["median_ns"] > 0
        assert row["per"] in {"call", "batch"}
        assert row["knows_makeup"] in {"yes", "no"}
    assert "| operation" in stdout
    assert "targets:" in stdout


def test_every_operation_and_library_measured(quick_run: tuple[dict[str, Any], str]) -> None:
    data, _ = quick_run
    ops = {r["operation"] for r in data["rows"]}
    size = f"{data['config']['bulk_size']:,}"
    bulk_ops = (f"bulk add 10 ({size})", f"bulk count year ({size})")
    assert ops == {*SCALAR_OPS, *bulk_ops, "build china(until=2030)"}
    for op in SCALAR_OPS:
        rows = _rows(data, op)
        assert {lib: r["knows_makeup"] for lib, r in rows.items()} == SCALAR_LIBS
        assert all(r["per"] == "call" for r in rows.values())
    for op in bulk_ops:
        rows = _rows(data, op)
        assert {lib: r["knows_makeup"] for lib, r in rows.items()} == BULK_LIBS
        assert all(r["per"] == "batch" for r in rows.values())


def test_speedup_column(quick_run: tuple[dict[str, Any], str]) -> None:
    data, _ = quick_run
    for row in data["rows"]:
        if row["library"] == "hallflow":
            assert row["speedup"] is None
            continue
        base = _rows(data, row["operation"])["hallflow"]["median_ns"]
        assert row["speedup"] == pytest.approx(row["median_ns"] / base)


def test_correctness_columns(quick_run: tuple[dict[str, Any], str]) -> None:
    data, _ = quick_run
    for row in data["rows"]:
        if row["operation"].startswith("build"):
            assert row["equal_hallflow"] is None
            continue
        for key in ("equal_hallflow", "equal_chinesecalendar"):
            assert 0.0 <= row[key] <= 1.0
        if row["library"] == "hallflow":
            # hallflow equals itself, and its answers are cross-checked against chinesecalendar
            assert row["equal_hallflow"] == 1.0
            assert row["equal_chinesecalendar"] == 1.0, row["operation"]
        if row["library"] == "chinesecalendar":
            assert row["equal_chinesecalendar"] == 1.0


def test_targets_section(quick_run: tuple[dict[str, Any], str]) -> None:
    data, stdout = quick_run
    names = [t["name"] for t in data["targets"]]
    assert len(names) == 7
    assert any(n.startswith("bulk add 10") for n in names)
    assert any(n.startswith("build china") for n in names)
    assert any(n.startswith("memory_bytes") for n in names)
    for target in data["targets"]:
        assert isinstance(target["passed"], bool)
        assert target["measured"] >= 0
        status = "PASS" if target["passed"] else "MISS"
        assert f"{status}  {target['name']}" in stdout


def test_lifecycle_benchmark_quick_json(tmp_path: Path) -> None:
    """``benchmarks/lifecycle.py --quick --json``: every storage measured on every side.

    Structure only: no timing assertions (the targets may PASS or MISS on any machine).
    """
    pytest.importorskip("SpiffWorkflow")
    out = tmp_path / "lifecycle.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "lifecycle.py"),
            "--quick",
            "--json",
            str(out),
            "--workers",
            "2",
            "--clerks",
            "3",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == {
        "machine",
        "config",
        "variants",
        "rows",
        "concurrent",
        "targets",
        "profile",
        "profile_storage",
    }
    assert data["config"]["quick"] is True
    commands = ["submit", "accept", "review", "approve", "decide", "seal", "deliver"]
    assert data["config"]["commands"] == commands
    for key in ("cpu", "python", "sqlite", "SpiffWorkflow", "tempdir_filesystem"):
        assert data["machine"][key]
    names = [v["name"] for v in data["variants"]]
    assert names[0] == "default"
    assert data["variants"][0]["durability"] == "full"
    assert {"default", "strict", "normal"} <= set(names)
    libraries = {"hallflow", "SpiffWorkflow", "SQLite floor (7 bare commits)"}
    for name in names:
        rows = {r["library"]: r for r in data["rows"] if r["variant"] == name}
        expected = libraries | ({"SpiffWorkflow, reload per task"} if name == "default" else set())
        assert set(rows) == expected, name
        base = rows["hallflow"]["median_rate"]
        for library, row in rows.items():
            assert len(row["rates"]) == data["config"]["rounds"]
            assert all(rate > 0 for rate in row["rates"])
            assert row["median_rate"] > 0
            assert list(row["commands"]) == commands
            for latency in row["commands"].values():
                assert 0 < latency["median_us"] <= latency["p95_us"]
            if library == "hallflow":
                assert row["ratio"] is None
            else:
                assert row["ratio"] == pytest.approx(base / row["median_rate"])
    assert data["config"]["concurrency"]["workers"] == 2
    assert data["config"]["concurrency"]["clerks"] == 3
    for name in names:
        rows = {r["library"]: r for r in data["concurrent"] if r["variant"] == name}
        assert set(rows) == libraries, name
        base = rows["hallflow"]["median_rate"]
        for library, row in rows.items():
            assert (row["workers"], row["clerks"]) == (2, 3)
            assert len(row["rates"]) == data["config"]["concurrency"]["rounds"]
            assert all(rate > 0 for rate in row["rates"])
            assert 0 < row["lifecycle_p50_ms"] <= row["lifecycle_p95_ms"]
            if library == "hallflow":
                assert row["ratio"] is None
            else:
                assert row["ratio"] == pytest.approx(base / row["median_rate"])
    # Judged on the concurrent run, then the sequential figures, reported only.
    assert [t["judged"] for t in data["targets"]] == [True, True, False, False]
    assert data["targets"][0]["threshold"] == 1000.0
    for target in data["targets"]:
        assert isinstance(target["passed"], bool)
        status = "PASS" if target["passed"] else "MISS"
        if not target["judged"]:
            status = status.lower()
        assert f"{status}  {target['name']}" in proc.stdout
    assert "concurrent: 2 processes x 3 clerks" in proc.stdout
    assert "| storage" in proc.stdout
    assert "per command (default)" in proc.stdout


# ---- benchmarks/supervision.py --quick: structure only


def test_supervision_benchmark_quick(tmp_path: Path) -> None:
    pytest.importorskip("hallflow_zhenlai")
    out = tmp_path / "supervision.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "supervision.py"),
            "--quick",
            "--cases",
            "3000",
            "--sample",
            "40",
            "--cache",
            str(tmp_path / "cache"),
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert data["cases"] == data["open_cases"] == 3000
    bulk, second, reference = data["bulk"], data["second"], data["reference"]
    assert bulk["swept"] == 3000 and bulk["failures"] == 0
    assert bulk["folded"] == data["escalating_cases"] > 0  # only the escalating cases folded
    assert bulk["escalations"] >= data["escalating_cases"]
    assert (second["escalations"], second["folded"], second["failures"]) == (0, 0, 0)
    assert data["memory_peak_mib"] > 0 and data["ratio"] > 0
    assert reference["sample"] == 40 and reference["recorded_in_sample"] == 0
    assert reference["recorded_later_in_sample"] > 0
    assert "bulk sweep" in proc.stdout and "ratio" in proc.stdout
    # the store is cached: a second run builds nothing
    again = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "supervision.py"),
            "--cases",
            "3000",
            "--sample",
            "10",
            "--cache",
            str(tmp_path / "cache"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert "built" not in again.stdout
    assert [p.suffix for p in (tmp_path / "cache").iterdir()] == [".sqlite"]
