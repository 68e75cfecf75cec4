"""``hallflow demo``: it runs, its report agrees with the stored events, it is reproducible."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from hallflow.cases.commands import RESERVED_PREFIX
from hallflow.cli import main
from hallflow.demo import (
    ESTATE_MATTER,
    IMMEDIATE_MATTER,
    LAND,
    DemoOptions,
    DemoResult,
    installed_localities,
    run,
)
from hallflow.store import SQLiteStore


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    db = tmp_path_factory.mktemp("demo") / "hall.db"
    return run(DemoOptions(volume=4, seed=7, db=db))


def test_cli_runs_and_prints_the_summary_and_a_timeline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "hall.db"
    status, out, err = cli(capsys, "demo", "--volume", "3", "--db", str(db))
    assert status == 0, err
    assert f"database: {db}" in out
    assert "Supervision summary 2026-09-21 .. 2026-10-21 (18 working days)" in out
    assert "promised limit explained:" in out
    assert "holiday (china: National Day" in out
    # progress lines go to stderr, every five simulated days
    assert err.count("hallflow demo: ") == 6
    assert db.exists()


def test_quiet_and_month(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = cli(
        capsys,
        "demo",
        "--month",
        "2026-10",
        "--volume",
        "2",
        "--db",
        str(tmp_path / "m.db"),
        "--quiet",
    )
    assert status == 0
    assert err == ""
    assert "Supervision summary 2026-10-01 .. 2026-10-31" in out


def test_summary_equals_figures_recounted_from_the_store(small: DemoResult) -> None:
    s = small.summary
    events = {}
    with SQLiteStore(small.db) as store:
        for case_id in store.case_ids():
            if not case_id.startswith(RESERVED_PREFIX):  # the seal registry's own stream
                events[case_id] = store.load(case_id)
    kinds = {case_id: Counter(e.kind for e in evs) for case_id, evs in events.items()}
    delivered = [c for c, k in kinds.items() if k["delivered"]]
    assert s.received == len(events) > 0
    assert s.closed == len(delivered)
    assert s.not_accepted == sum(k["not_accepted"] for k in kinds.values())
    assert s.withdrawn == sum(k["withdrawn"] for k in kinds.values())
    assert s.corrections == sum(k["correction_requested"] for k in kinds.values())
    # every closed case has a promised clock: early, on time and late partition them
    assert s.early + s.on_time + s.late == s.closed
    assert s.approved + s.denied == s.closed
    # every received case is closed, not accepted, withdrawn, or still open
    ended = {c for c, k in kinds.items() if k["delivered"] or k["not_accepted"] or k["withdrawn"]}
    assert s.open == len(events) - len(ended)
    assert s.closed + s.not_accepted + s.withdrawn + s.open == s.received

    def submitted(case_id: str) -> dict[str, object]:
        return dict(events[case_id][0].payload)

    def approved(case_id: str) -> bool:
        return any(
            e.kind == "decided" and e.payload["outcome"] == "approved" for e in events[case_id]
        )

    immediate = [c for c in delivered if submitted(c)["matter"] == IMMEDIATE_MATTER]
    assert s.immediate_closed == len(immediate)
    # fees: 80 yuan per approved, closed dwelling transfer, the only matter charged
    estate = [c for c in delivered if submitted(c)["matter"] == ESTATE_MATTER and approved(c)]
    assert s.fees == Decimal(80) * len(estate)
    escalations = Counter(
        f"{e.payload['clock']} {e.payload['code']}"
        for evs in events.values()
        for e in evs
        if e.kind == "escalated"
    )
    assert dict(s.escalations) == dict(escalations)
    assert sum(escalations.values()) > 0
    assert s.refusals == ()


def test_the_scripted_cases_happened(small: DemoResult) -> None:
    marked = dict(small.marked)
    with SQLiteStore(small.db) as store:
        joint = store.load(marked["joint-silent"])
        extended = store.load(marked["extension"])
        overdue = store.load(marked["overdue"])
    deemed = [e for e in joint if e.kind == "opinion_deemed"]
    assert len(deemed) == 1
    assert deemed[0].payload["department"] == LAND
    assert deemed[0].payload["consent"] is True
    assert deemed[0].payload["responsible"] == LAND
    assert joint[-1].kind == "delivered"
    extensions = [e for e in extended if e.kind == "extended"]
    assert len(extensions) == 1
    assert extensions[0].payload["clock"] == "promised"
    assert extended[-1].kind == "delivered"
    assert small.summary.extensions == 1
    assert small.summary.deemed_opinions == 1
    codes = {e.payload["code"] for e in overdue if e.kind == "escalated"}
    assert "overdue" in codes
    assert small.summary.open_overdue >= 1
    assert small.explained == marked["extension"]
    assert "extended by 5 working days" in small.explanation


def test_a_fixed_seed_gives_the_same_month(tmp_path: Path) -> None:
    one = run(DemoOptions(volume=4, seed=11, db=tmp_path / "a.db"))
    two = run(DemoOptions(volume=4, seed=11, db=tmp_path / "b.db"))
    assert one.summary == two.summary
    assert one.render().replace(str(one.db), "") == two.render().replace(str(two.db), "")
    other = run(DemoOptions(volume=4, seed=12, db=tmp_path / "c.db"))
    assert other.summary != one.summary


def test_unknown_locality_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    status, out, err = cli(capsys, "demo", "--locality", "atlantis", "--db", str(db), "--quiet")
    assert status == 2
    assert out == ""
    assert "no locality plugin named 'atlantis' is installed" in err
    assert not db.exists()


def test_a_used_database_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "used.db"
    assert cli(capsys, "demo", "--volume", "1", "--days", "3", "--db", str(db), "--quiet")[0] == 0
    status, _, err = cli(capsys, "demo", "--volume", "1", "--db", str(db), "--quiet")
    assert status == 2
    assert "already holds cases" in err


@pytest.mark.skipif(
    "zhenlai" not in installed_localities(), reason="hallflow-zhenlai not installed"
)
def test_a_locality_plugin_brings_its_rules(tmp_path: Path) -> None:
    result = run(DemoOptions(locality="zhenlai", volume=4, seed=7, db=tmp_path / "z.db"))
    codes = dict(result.summary.escalations)
    assert any(code.startswith("promised zhenlai-") for code in codes)
    assert result.rules.startswith("zhenlai")


def test_short_periods_and_holidays_only(tmp_path: Path) -> None:
    """A period of rest days receives nothing and reports zeros, not errors."""
    result = run(DemoOptions(start=dt.date(2026, 10, 1), days=7, volume=5, db=tmp_path / "h.db"))
    assert result.summary.received == 0
    assert result.summary.working_days == 0
    assert "n/a" in result.render()


def test_the_month_leaves_a_history_that_proves_itself(small: DemoResult) -> None:
    """The demo ends with an audit of what it stored: chains, replays, seals, powers."""
    audit = small.audit
    assert audit.ok, audit.lines()
    assert audit.cases == small.summary.received
    assert audit.seals >= small.summary.closed > 0
    assert "history audit: clean" in small.render()


def test_the_summary_comes_from_supervision_and_equals_a_naive_recount(small: DemoResult) -> None:
    """The demo's figures are hallflow.supervision's, and a slow recount gives the same."""
    from hallflow.demo import build_hall
    from hallflow.supervision.stats import COLUMNS, percent
    from hallflow.supervision.stats_reference import recount

    s = small.summary
    assert s.report is not None
    with SQLiteStore(small.db) as store:
        hall, _ = build_hall(store)
        expected = recount(hall, s.first_day, s.last_day, "hall")["*total*"]
    for column in COLUMNS:
        assert s.report.total.value(column.name) == expected[column.name], column.name
    assert s.received == expected["received"] and s.closed == expected["closed"]
    on_site = expected["on_site_rate"]
    assert on_site is None or isinstance(on_site, Fraction)
    assert f"on-site closure rate {percent(on_site)}" in small.render()
