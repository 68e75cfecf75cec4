"""``hallflow demo``: it runs, its report agrees with the stored events, it is reproducible."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import attrs
import pytest

from hallflow.calendar.engine import WorkCalendar
from hallflow.cases.commands import RESERVED_PREFIX
from hallflow.cases.hall import Hall
from hallflow.cli import main
from hallflow.demo import (
    DEMO_SCHEME,
    ESTATE_MATTER,
    IMMEDIATE_MATTER,
    LAND,
    SUPERVISOR,
    DemoOptions,
    DemoResult,
    build_hall,
    installed_localities,
    run,
)
from hallflow.store import SQLiteStore
from hallflow.store.base import StoredEvent
from hallflow.supervision.accountability import records
from hallflow.supervision.evaluation import Supervision
from hallflow.supervision.plots import PLOTS
from hallflow.supervision.report import render_table
from hallflow.supervision.scoring import hall_assessment, scheme_of
from hallflow.supervision.stats import COLUMNS, Grouping, Period, compute
from hallflow.supervision.stats_reference import recount
from hallflow.timeline.clock import closing_time
from hallflow.timeline.limits import Limit, Unit


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
    for heading in (
        "Ratings (好差评)",
        "  a bad rating followed through: case ",
        "Complaints (投诉)",
        "Scores and ranking (考核) by month",
        "Supervision report 2026-09-21..2026-10-21 by window",
        "Accountability records (问责)",
    ):
        assert heading in out, heading
    assert "history audit: clean" in out
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
    # the database and the plots beside it are named after the file; nothing else differs
    stem_one, stem_two = str(one.db.with_suffix("")), str(two.db.with_suffix(""))
    assert one.render().replace(stem_one, "") == two.render().replace(stem_two, "")
    assert one.supervision.ratings == two.supervision.ratings
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


# ---------------------------------------------------------------------- supervision shown

RATING = f"{RESERVED_PREFIX}rating:"
COMPLAINT = f"{RESERVED_PREFIX}complaint:"


def _streams(db: Path, prefix: str) -> dict[str, list[StoredEvent]]:
    with SQLiteStore(db) as store:
        return {s: store.load(s) for s in store.case_ids() if s.startswith(prefix)}


def _section(text: str, first: str, stop: str) -> list[str]:
    """The lines of ``text`` from the one starting with ``first`` to the one before ``stop``."""
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith(first))
    j = next(n for n in range(i + 1, len(lines)) if lines[n].startswith(stop))
    return lines[i:j]


def _due(cal: WorkCalendar, start: dt.datetime, limit: Limit) -> dt.datetime:
    """A working-day limit's due instant, counted by hand: the start day is not counted,
    the limit's last working day ends at closing time."""
    assert limit.unit is Unit.WORKING_DAYS
    day, left = start.date(), limit.amount
    while left:
        day += dt.timedelta(days=1)
        left -= cal.is_working_day(day)
    return closing_time(cal, day)


def _spare(cal: WorkCalendar, done: dt.datetime, due: dt.datetime) -> int:
    """Working days after the day a step was done, up to and including the due day."""
    days = (due.date() - done.date()).days
    return sum(cal.is_working_day(done.date() + dt.timedelta(days=k)) for k in range(1, days + 1))


def _hm(at: dt.datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M}"


def test_the_ratings_printed_equal_a_recount_of_the_rating_events(small: DemoResult) -> None:
    streams = _streams(small.db, RATING)
    rated = [evs[0].payload for evs in streams.values()]
    assert rated and all(evs[0].kind == "rated" for evs in streams.values())
    kinds = {s: [e.kind for e in evs] for s, evs in streams.items()}
    bad = [s for s, evs in streams.items() if evs[0].payload["level"] <= 2]
    verdicts = {
        s: e.payload["valid"]
        for s, evs in streams.items()
        for e in evs
        if e.kind == "rating_verified"
    }
    lines = _section(small.render(), "Ratings (好差评)", "Complaints")
    head = re.fullmatch(
        r"Ratings \(好差评\) +(\d+)   keypad (\d+), online (\d+), sms (\d+), qr (\d+)", lines[0]
    )
    assert head is not None, lines[0]
    channels = Counter(p["channel"] for p in rated)
    assert [int(g) for g in head.groups()] == [
        len(rated),
        channels["keypad"],
        channels["online"],
        channels["sms"],
        channels["qr"],
    ]
    with_case = sum(1 for p in rated if p["case_id"] is not None)
    named = sum(1 for p in rated if p["real_name"])
    assert lines[1] == (
        f"  of closed cases {with_case}, of service encounters without a case "
        f"{len(rated) - with_case}; real-name {named}, anonymous {len(rated) - named}"
    )
    assert with_case > 0 and len(rated) - with_case > 0  # both kinds of rating are there
    assert named > 0 and len(rated) - named > 0
    levels = Counter(p["level"] for p in rated)
    printed = [int(n) for n in re.findall(r"(?:satisfied|dissatisfied) (\d+)", lines[2])]
    assert printed == [levels[n] for n in (5, 4, 3, 2, 1)]
    valid = sum(1 for s in bad if verdicts.get(s) is True)
    withdrawn = sum(1 for s in bad if verdicts.get(s) is False)
    assert lines[3] == (
        f"  bad ratings (差评) {len(bad)}: verified valid {valid}, withdrawn {withdrawn}, "
        f"awaiting verification {len(bad) - valid - withdrawn}; rectified "
        f"{sum('rating_rectified' in kinds[s] for s in bad)}, revisited "
        f"{sum('rating_revisited' in kinds[s] for s in bad)}"
    )
    # the rates are the report's, and the report's equal a naive recount (test above)
    assert small.summary.report is not None
    shown = small.summary.report.total.shown()
    assert lines[4] == (
        f"  satisfaction rate {shown['satisfaction_rate']} (of the "
        f"{len(rated) - withdrawn} ratings not withdrawn), bad-rating rectification rate "
        f"{shown['rectification_rate']}"
    )
    # each case rating follows the case's delivery, and rates the case's own window
    with SQLiteStore(small.db) as store:
        for p, evs in zip(rated, streams.values(), strict=True):
            if p["case_id"] is not None:
                case = store.load(p["case_id"])
                assert case[-1].kind == "delivered" and evs[0].at > case[-1].at
                assert p["window"] == case[0].payload["window"]


def test_one_bad_rating_is_verified_rectified_and_revisited_within_its_limits(
    small: DemoResult,
) -> None:
    case_id = dict(small.marked)["bad-rating"]
    streams = _streams(small.db, RATING)
    [events] = [evs for evs in streams.values() if evs[0].payload["case_id"] == case_id]
    assert [e.kind for e in events] == [
        "rated",
        "rating_verified",
        "rating_rectified",
        "rating_revisited",
    ]
    rated, verified, rectified, revisited = events
    assert rated.payload["level"] <= 2 and verified.payload["valid"] is True
    assert verified.actor == revisited.actor == SUPERVISOR
    assert rectified.actor == rated.payload["staff"]
    with SQLiteStore(small.db) as store:
        hall, _ = build_hall(store)
        limits = hall.plugins.hook.hallflow_rectification_limits()
        cal = hall.calendar
    lines = _section(small.render(), "  a bad rating followed through", "Complaints")
    assert lines[0].startswith(
        f"  a bad rating followed through: case {case_id}, window {rated.payload['window']}, "
        f"staff {rated.payload['staff']}, level {rated.payload['level']} at the keypad"
    )
    assert lines[1] == f"    rated      {_hm(rated.at)} the applicant, by name"
    for line, (step, word, start, done) in zip(
        lines[2:5],
        [
            ("verify", "verified", rated, verified),
            ("rectify", "rectified", verified, rectified),
            ("revisit", "revisited", rectified, revisited),
        ],
        strict=True,
    ):
        due = _due(cal, start.at, limits[step])
        assert done.at <= due  # within its limit
        spare = _spare(cal, done.at, due)
        assert line == (
            f"    {word:<10} {_hm(done.at)} by {done.actor} — limit {limits[step]}, due "
            f"{_hm(due)}: done within it, {spare} working day{'s' if spare != 1 else ''} to spare"
        )
    assert lines[5].startswith("    the rater, visited: satisfied")


def test_the_complaint_is_received_and_concluded_within_its_limit(small: DemoResult) -> None:
    streams = _streams(small.db, COMPLAINT)
    assert len(streams) == 1
    [(received, concluded)] = streams.values()
    assert (received.kind, concluded.kind) == ("complaint_received", "complaint_concluded")
    p = received.payload
    with SQLiteStore(small.db) as store:
        hall, _ = build_hall(store)
        limit = hall.plugins.hook.hallflow_complaint_limit(
            category=p["category"], handling=p["handling"]
        )
        due = _due(hall.calendar, received.at, limit)
        spare = _spare(hall.calendar, concluded.at, due)
    assert concluded.at <= due and concluded.actor == SUPERVISOR
    verdict = "upheld" if concluded.payload["upheld"] else "not upheld"
    lines = _section(small.render(), "Complaints (投诉)", "Scores and ranking")
    assert re.fullmatch(r"Complaints \(投诉\) +1   concluded 1, upheld (\d)", lines[0])
    assert lines[0].endswith(f"upheld {int(concluded.payload['upheld'])}")
    assert lines[1].startswith(
        f"  against window {p['window']}, staff {p['staff']} ({p['category']}, handled by the "
        f"{p['handling']}), received {_hm(received.at)}"
    )
    assert lines[2] == (
        f"    concluded {_hm(concluded.at)} by {concluded.actor}: {verdict} — limit {limit}, "
        f"due {_hm(due)}: done within it, {spare} working days to spare"
    )
    assert small.summary.report is not None
    assert small.summary.report.total.figures.complaints == 1


def _ranking(text: str) -> dict[tuple[str, str], list[tuple[int, str, int, str]]]:
    """The printed ranking: (month, kind) -> [(rank, subject, score, marks)]."""
    lines = text.splitlines()
    first = next(n for n, line in enumerate(lines) if line.startswith("Scores and ranking"))
    out: dict[tuple[str, str], list[tuple[int, str, int, str]]] = {}
    key: tuple[str, str] | None = None
    for line in lines[first + 1 :]:
        if not line:
            break
        head = re.match(r"  (\d{4}-\d\d) (windows|staff) +", line)
        if head:
            key = (head[1], head[2])
            out[key] = []
        elif key is None or not line.startswith(" " * 19):
            continue
        for m in re.finditer(r"(\d+)\. (\S+) (-?\d+)(?: \(([^)]*)\))?", line):
            out[key].append((int(m[1]), m[2], int(m[3]), m[4] or ""))
    return out


def _expected_ranking(
    hall: Hall, db_end: dt.datetime, months: tuple[str, ...], flag: str
) -> dict[tuple[str, str], list[tuple[int, str, int, str]]]:
    assessment = hall_assessment(Supervision(hall), months, db_end)
    assert assessment is not None
    out: dict[tuple[str, str], list[tuple[int, str, int, str]]] = {}
    for result in assessment.months:
        for kind, subjects in (("windows", result.windows), ("staff", result.staff)):
            rows = []
            for x in subjects:
                marks = [x.grade] if x.grade else []
                marks += ["model window"] if x.model else []
                if x.flagged:
                    marks.append(flag if kind == "windows" else "last place")
                rows.append((x.rank, x.subject, x.score, ", ".join(marks)))
            out[(result.month, kind)] = rows
    return out


def test_the_scores_and_ranking_are_the_hall_assessment_of_the_store(small: DemoResult) -> None:
    from hallflow.plugins.manager import plugin_manager

    # the national defaults score no one: the embedded demo brings its own scheme
    assert scheme_of(plugin_manager()) is None
    text = small.render()
    assert f"Scores and ranking (考核) by month, facts to {small.summary.last_day} — " in text
    assert DEMO_SCHEME.name in text
    sup = small.supervision
    assert sup.months == ("2026-09", "2026-10")
    with SQLiteStore(small.db) as store:
        hall, _ = build_hall(store)
        assert scheme_of(hall.plugins) is DEMO_SCHEME
        expected = _expected_ranking(hall, sup.end, sup.months, "yellow flag")
    printed = _ranking(text)
    assert printed == expected
    # a month's windows: the best is the model window, the last (unless all tie) flagged
    for (_, kind), rows in printed.items():
        assert [r[0] for r in rows] == sorted(r[0] for r in rows)
        if kind == "windows":
            assert "model window" in rows[0][3]
    # the upheld complaint against window 3 and its clerk costs them points that month
    concluded = [evs[-1] for evs in _streams(small.db, COMPLAINT).values()]
    month = f"{concluded[0].at.astimezone(sup.end.tzinfo):%Y-%m}"
    assert sup.assessment is not None
    [result] = [m for m in sup.assessment.months if m.month == month]
    for subjects, who in ((result.windows, "c3"), (result.staff, "clerk-3")):
        [x] = [x for x in subjects if x.subject == who]
        taken = dict(x.deducted)
        # attitude: 3 from conduct; an upheld complaint: 3 from results (the demo's scheme)
        assert taken["conduct"] >= 3 and taken["results"] >= 3, (who, taken)


def test_the_report_table_and_plots(small: DemoResult) -> None:
    text = small.render()
    with SQLiteStore(small.db) as store:
        hall, _ = build_hall(store)
        period = Period(small.summary.first_day, small.summary.last_day)
        by_window = compute(hall, period, Grouping.WINDOW)
        naive = recount(hall, period.first, period.last, "window")
    for row in by_window.rows:
        for column in COLUMNS:
            assert row.value(column.name) == naive[row.key][column.name], (row.key, column)
    assert render_table(by_window, width=120).rstrip("\n") in text
    plots = small.supervision.plots
    folder = small.db.with_name(f"{small.db.stem}-plots")
    assert f"plots ({len(plots)}, PNG) in {folder}:" in text
    assert {p.name for p in plots} == {f"{name}.png" for name in PLOTS}
    for path in plots:
        assert f"  {path}" in text
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_the_report_extra_there_is_no_plot_and_a_line_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    result = run(DemoOptions(days=3, volume=2, seed=3, db=tmp_path / "bare.db"))
    assert result.supervision.plots == ()
    assert (
        "plots: not drawn — they need the report extra: pip install 'hallflow[report]'"
        in result.render()
    )
    assert not (tmp_path / "bare-plots").exists()


def test_accountability_records_are_those_of_the_store(small: DemoResult) -> None:
    sup = small.supervision
    with SQLiteStore(small.db) as store:
        hall, _ = build_hall(store)
        found = records(hall, sup.end, Supervision(hall))
        assert not found.failures
        org = hall.organisation
        example = sup.example
        assert example is not None and example in found
        member = org.staff(example.staff) if example.staff else None
    text = small.render()
    assert re.search(rf"Accountability records \(问责\) +{len(found)}\n", text)
    assert member is not None and example.post in {r.value for r in member.roles}
    line = (
        f"  e.g. {example.case_id}, {example.clock} clock: {example.staff} ({example.post}), "
        f"step {example.step}, due {_hm(example.due)}"
    )
    assert line in text
    assert f"    rule: {example.rule}" in text
    # every late promised clock of a closed case gives at least one record
    late = {c for c, *_ in _late_closed(small.db)}
    assert late <= {r.case_id for r in found if r.clock == "promised"}


def _late_closed(db: Path) -> list[tuple[str, dt.datetime]]:
    """Closed cases the summary counts late, recounted: sealed after the promised due."""
    out = []
    with SQLiteStore(db) as store:
        hall, _ = build_hall(store)
        for case_id in hall.case_ids():
            case = hall.case(case_id)
            clock = hall.clocks(case).get("promised")
            sealed = next((e.at for e in case.history if e.kind == "sealed"), None)
            if clock is not None and sealed is not None and sealed > clock.due(sealed):
                out.append((case_id, sealed))
    return out


def test_no_scheme_is_said_in_one_line(small: DemoResult) -> None:
    bare = attrs.evolve(small.supervision, scheme=None, scheme_rules="", assessment=None)
    assert bare.score_lines() == [
        "Scores and ranking: no scoring scheme is in force (the national defaults have none; "
        "a locality plugin supplies one)"
    ]


@pytest.mark.skipif(
    "zhenlai" not in installed_localities(), reason="hallflow-zhenlai not installed"
)
def test_zhenlai_scores_with_its_own_scheme_grades_and_yellow_flag(tmp_path: Path) -> None:
    from hallflow_zhenlai.scoring import SCHEME

    result = run(DemoOptions(locality="zhenlai", volume=4, seed=7, db=tmp_path / "z.db"))
    text = result.render()
    assert f"— {SCHEME.name}" in text
    sup = result.supervision
    with SQLiteStore(result.db) as store:
        hall, _ = build_hall(store, locality="zhenlai")
        assert scheme_of(hall.plugins) is SCHEME
        expected = _expected_ranking(hall, sup.end, sup.months, "yellow flag")
    printed = _ranking(text)
    assert printed == expected
    flags = [r[3] for (_, kind), rows in printed.items() if kind == "windows" for r in rows]
    assert any("yellow flag" in m for m in flags)
    grades = {g.name for g in SCHEME.grades}
    staff = [r for (_, kind), rows in printed.items() if kind == "staff" for r in rows]
    assert staff and all(r[3].split(", ")[0] in grades for r in staff)


def test_a_bad_rating_still_open_at_the_end_shows_its_open_step(tmp_path: Path) -> None:
    """Cut the period short: the followed rating's open step is shown with what is left."""
    result = run(DemoOptions(days=4, volume=3, seed=7, db=tmp_path / "short.db"))
    case_id = dict(result.marked)["bad-rating"]
    [events] = [
        evs for evs in _streams(result.db, RATING).values() if evs[0].payload["case_id"] == case_id
    ]
    kinds = [e.kind for e in events]
    assert kinds[0] == "rated" and "rating_revisited" not in kinds  # not through yet
    with SQLiteStore(result.db) as store:
        hall, _ = build_hall(store)
        limits = hall.plugins.hook.hallflow_rectification_limits()
        cal = hall.calendar
    last_day = result.summary.last_day
    steps = ["verify", "rectify", "revisit"]
    open_step = steps[len(kinds) - 1]
    start = events[-1].at  # the clock of the open step runs from the last step done
    counted = sum(
        cal.is_working_day(start.date() + dt.timedelta(days=k))
        for k in range(1, (last_day - start.date()).days + 1)
    )
    left = limits[open_step].amount - counted
    due = _due(cal, start, limits[open_step])
    expected = (
        f"    {open_step:<10} not yet — limit {limits[open_step]}, due {_hm(due)}: open, "
        f"{left} working day{'s' if left != 1 else ''} left"
    )
    assert expected in result.render().splitlines()
