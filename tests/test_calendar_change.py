"""A published notice replaces a provisional year: which due dates move, and the record of it.

The property: the bulk plan (:func:`plan_calendar_change`, numpy over chunks) moves exactly
the clocks the reference moves (each clock rebuilt on the old calendar and compared), and
applying it records each move once, with the case's stored due date following the new
calendar. Counting follows the Licensing Law as the clocks do (Art. 82: periods in working
days do not count statutory holidays; a made-up working day counts) — here the difference
between the provisional and the published year is exactly which days are holidays.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hallflow.calendar import china
from hallflow.calendar.data import FestivalDays, Notice, YearData
from hallflow.calendar.engine import WorkCalendar
from hallflow.calendar.provisional import provisional_year
from hallflow.cases.hall import Hall
from hallflow.errors import CommandInputError
from hallflow.store import MemoryStore, SQLiteStore
from hallflow.store.base import EventStore
from hallflow.supervision.calendar_change import (
    apply_calendar_change,
    plan_calendar_change,
    reference_calendar_change,
    with_published_year,
)
from hallflow.timeline import PauseReason
from tests.hall_fixtures import (
    APPLICANT,
    CATALOGUE,
    at,
    build_hall,
)

OLD = china()  # 2027 is provisional in the shipped data
PUBLISHED = Notice("国办发明电〔2026〕99号", dt.date(2026, 11, 20), "test notice for 2027")
WORKING_2027 = [
    d
    for d in (dt.date(2027, 1, 1) + dt.timedelta(days=i) for i in range(45))
    if OLD.is_working_day(d) and d.weekday() < 5  # a weekday, not a made-up working day
]
AT = at(12, 31, 18)


def published(extra_holidays: list[dt.date], dropped_workdays: int) -> YearData:
    """2027 as a notice might publish it: the provisional year with some days changed."""
    base = provisional_year(2027)
    festivals = []
    for i, f in enumerate(base.festivals):
        holidays = f.holidays + tuple(extra_holidays) if i == 0 else f.holidays
        workdays = f.workdays[dropped_workdays:] if i == 0 else f.workdays
        festivals.append(FestivalDays(f.festival, holidays=holidays, workdays=workdays))
    return YearData(year=2027, notices=(PUBLISHED,), festivals=festivals)


def build(store: EventStore, calendar: WorkCalendar) -> Hall:
    return build_hall(store, calendar=calendar)


def open_cases(hall: Hall, plans: list[tuple[int, int, bool]]) -> None:
    """Cases accepted in December 2026 (their limits reach into 2027), some suspended."""
    for day, hour, suspend in plans:
        case = hall.submit(
            "plan-01", APPLICANT, "pl", materials=["form", "site"], actor="clerk",
            at=at(12, day, hour),
        )  # fmt: skip
        hall.accept(case.case_id, actor="clerk", at=at(12, day, hour, 30))
        if suspend:
            hall.suspend(
                case.case_id, PauseReason.EXPERT_REVIEW, actor="chief", at=at(12, day, hour, 45)
            )


plans = st.lists(
    st.tuples(st.integers(1, 30), st.integers(9, 16), st.booleans()), min_size=1, max_size=6
)
changes = st.tuples(
    st.lists(st.sampled_from(WORKING_2027), max_size=4, unique=True), st.integers(0, 2)
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans, changes, st.integers(1, 4))
def test_bulk_plan_equals_the_reference_and_apply_records_each_move_once(
    plan: list[tuple[int, int, bool]], change: tuple[list[dt.date], int], chunk: int
) -> None:
    store = MemoryStore()
    open_cases(build(store, OLD), plan)
    new = china(years=[published(*change)])
    hall = build(store, new)

    bulk = plan_calendar_change(hall, OLD, AT, chunk=chunk)
    event(f"moved: {bool(bulk.moved)}")
    ref = reference_calendar_change(hall, OLD, AT)
    assert bulk.moved == ref.moved
    assert (bulk.cases, bulk.clocks, bulk.failures) == (ref.cases, ref.clocks, ())
    for m in bulk.moved:  # the shift is counted on the new calendar, from day to day
        assert m.working_days == new.working_days_between(m.old_due.date(), m.new_due.date())
        assert m.old_due != m.new_due

    done = apply_calendar_change(hall, OLD, AT, notice=PUBLISHED.number)
    assert done.recorded == len(bulk.moved)
    for m in bulk.moved:
        case = hall.case(m.case_id)
        recorded = [e for e in case.history if e.kind == "due_moved"]
        assert {(e.payload["clock"], e.payload["new_due"]) for e in recorded} >= {
            (m.clock, m.new_due.isoformat())
        }
        promised = hall.clocks(case)["promised"]
        row = store.row(m.case_id)
        if row.due is not None:  # the stored due follows the new calendar
            assert row.due == promised.due(max(AT, case.history[-1].at))
    again = apply_calendar_change(hall, OLD, AT, notice=PUBLISHED.number)
    assert again.recorded == 0
    assert again.moved == bulk.moved  # still moved against the old calendar, recorded once


def test_a_holiday_added_in_the_clock_s_span_moves_its_due_by_one_working_day() -> None:
    store = MemoryStore()
    old_hall = build(store, OLD)
    open_cases(old_hall, [(28, 10, False)])
    case = old_hall.case("case-0001")
    due = old_hall.clocks(case)["promised"].due(AT)
    span = [d for d in WORKING_2027 if d < due.date()]
    new = china(years=[published([span[0]], 0)])  # one more holiday before the due day
    hall = build(store, new)
    change = apply_calendar_change(hall, OLD, AT, notice=PUBLISHED.number)
    moved = {m.clock: m for m in change.moved}
    assert moved["promised"].new_due.date() == new.next_working_day(due.date())
    assert moved["promised"].working_days == 1
    assert change.recorded == len(change.moved)
    assert change.lines()[-1].endswith(f"{change.recorded} recorded")


def test_an_unchanged_calendar_moves_nothing() -> None:
    store = MemoryStore()
    open_cases(build(store, OLD), [(3, 10, False), (20, 15, True)])
    hall = build(store, china())
    assert apply_calendar_change(hall, OLD, AT).moved == ()


def test_on_sqlite_the_moves_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "hall.db"
    with SQLiteStore(path) as store:
        open_cases(build(store, OLD), [(24, 10, False)])
        case = build(store, OLD).case("case-0001")
        due = build(store, OLD).clocks(case)["promised"].due(AT)
        span = [d for d in WORKING_2027 if d < due.date()]
        new = china(years=[published(span[:2], 0)])
        recorded = apply_calendar_change(build(store, new), OLD, AT).recorded
    assert recorded >= 1
    with SQLiteStore(path) as store:
        hall = build(store, new)
        kinds = [e.kind for e in hall.case("case-0001").history]
        assert kinds.count("due_moved") == recorded
        assert hall.audit().ok


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("old_calendar", lambda h: plan_calendar_change(h, "china", AT)),  # type: ignore[arg-type]
        ("at", lambda h: plan_calendar_change(h, OLD, dt.datetime(2026, 12, 31))),
        ("chunk", lambda h: plan_calendar_change(h, OLD, AT, chunk=0)),
        ("notice", lambda h: apply_calendar_change(h, OLD, AT, notice=7)),  # type: ignore[arg-type]
        ("old_calendar", lambda h: reference_calendar_change(h, None, AT)),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_refused_naming_the_field(field: str, call: object) -> None:
    store = MemoryStore()
    hall = build(store, OLD)
    open_cases(hall, [(3, 10, False)])
    before = store.load("case-0001")
    with pytest.raises(CommandInputError) as info:
        call(hall)  # type: ignore[operator]
    assert info.value.field == field
    assert store.load("case-0001") == before


def test_a_case_that_cannot_be_read_is_reported_not_fatal() -> None:
    store = MemoryStore()
    hall = build(store, OLD)
    open_cases(hall, [(3, 10, False), (4, 10, False)])
    broken = build(store, OLD)
    broken.catalogue = type(CATALOGUE)(tuple(m for m in CATALOGUE if m.code != "plan-01"))
    change = plan_calendar_change(broken, OLD, AT)
    assert {case_id for case_id, _ in change.failures} == {"case-0001", "case-0002"}
    assert change.cases == 0


# ---------------------------------------------------------------------- the command line

SYNTHETIC_2027 = Path(__file__).parent / "data" / "synthetic" / "notice-2027.txt"
"""Not a published notice: a 2027 arrangement written for this test in the published form,
whose New Year break (five days, two Saturdays made up) differs from the provisional year."""


def test_import_notice_apply_records_the_moves_the_reference_finds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hallflow.cli import main
    from hallflow.demo import build_hall

    db = tmp_path / "hall.db"
    assert main(["demo", "--start", "2026-12-07", "--days", "25", "--db", str(db), "--quiet"]) == 0
    capsys.readouterr()
    when = "2026-12-31T18:00+08:00"
    args = ["calendar", "import-notice", str(SYNTHETIC_2027), "-o", str(tmp_path / "data")]
    with SQLiteStore(db) as store:  # what the reference says, before anything is recorded
        hall, _ = build_hall(store)
        old = hall.calendar
        hall.calendar = with_published_year(old, load_year_from(tmp_path, args))
        expected = reference_calendar_change(hall, old, dt.datetime.fromisoformat(when))
    capsys.readouterr()
    assert expected.moved, "the synthetic notice must move some open clock"
    assert main([*args, "--apply", str(db), "--at", when]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == (
        f"{len(expected.moved)} of {expected.clocks} open clocks on {expected.cases} cases "
        f"moved; {len(expected.moved)} recorded"
    )
    moved_lines = [line for line in out if " -> " in line]
    assert len(moved_lines) == len(expected.moved)
    assert main([*args, "--apply", str(db), "--at", when]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("moved; 0 recorded")
    assert main(["audit", str(db)]) == 0


def load_year_from(tmp_path: Path, args: list[str]) -> YearData:
    from hallflow.calendar.data import load_year
    from hallflow.cli import main

    assert main(args) == 0
    return load_year(tmp_path / "data" / "2027.toml")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--apply", "missing.db"], "--apply"),
        (["--apply", "hall.db", "--at", "2026-12-31T18:00"], "UTC offset"),
        (["--apply", "hall.db", "--locality", "atlantis"], "--locality"),
    ],
)
def test_import_notice_apply_refuses_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    from hallflow.cli import main
    from tests.test_cli import call

    db = tmp_path / "hall.db"
    assert main(["demo", "--start", "2026-12-07", "--days", "3", "--db", str(db), "--quiet"]) == 0
    capsys.readouterr()
    before = db.read_bytes()
    extra = [str(tmp_path / e) if e.endswith(".db") else e for e in extra]
    argv = ["calendar", "import-notice", str(SYNTHETIC_2027), "-o", str(tmp_path / "data")]
    line = call(capsys, [*argv, *extra]).refusal()
    assert message in line
    assert db.read_bytes() == before
