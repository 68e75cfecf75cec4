"""README.md opens with exactly two commands, and CI runs the second one verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert first_block is not None, "README.md must open with a code block of commands"
    before = text[: first_block.start()]
    assert before.strip().startswith("# hallflow") and "\n\n" not in before.strip()
    return [line for line in first_block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_two_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    assert "hallflow demo" in commands[0]
    assert "pytest" in commands[1]
    for command in commands:
        assert command.startswith("python3.11 -m venv .venv && ")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_commands()[1] in ci.splitlines()
