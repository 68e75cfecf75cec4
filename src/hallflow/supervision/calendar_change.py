"""When the calendar changes under open cases: which due dates move, and recording it.

The State Council publishes next year's holiday arrangement late in the year, so a hall runs
on a provisional year (:mod:`hallflow.calendar.provisional`) until the notice arrives. When
the notice replaces the provisional year, every open clock whose count reaches into that
year may end on another day. This module finds those clocks and records, on each case that
moved, a ``due_moved`` event per clock (the old and new due instants and the shift in
working days), so that the applicant and the department can be told and the history shows
why the due date changed.

Two implementations answer the same question:

* :func:`plan_calendar_change` — the production path: each chunk of open cases is turned
  into :class:`~hallflow.timeline.bulk.ClockArrays` and recomputed on both calendars at
  once with :func:`hallflow.timeline.bulk.recompute`;
* :func:`reference_calendar_change` — the reference: each clock is rebuilt on the old
  calendar and its :meth:`~hallflow.timeline.Clock.due` compared with the new one's.

A property test keeps them equal. :func:`apply_calendar_change` records the plan; it is
idempotent (a clock whose newest ``due_moved`` already names the new due is not recorded
again), so running it twice, or after a crash, records each move once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import attrs

from hallflow.calendar.data import YearData
from hallflow.calendar.engine import WorkCalendar
from hallflow.calendar.national import china
from hallflow.cases.case import Case
from hallflow.cases.commands import RESERVED_PREFIX, check_instant
from hallflow.cases.lifecycle import CaseState
from hallflow.cases.pipeline import SUPERVISION, event
from hallflow.errors import CaseStateError, CommandInputError, ConcurrencyError, HallflowError
from hallflow.timeline.bulk import ClockArrays, recompute
from hallflow.timeline.clock import Clock

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = [
    "CalendarChange",
    "MovedDue",
    "apply_calendar_change",
    "plan_calendar_change",
    "reference_calendar_change",
    "with_published_year",
]

OPEN_STATES = (CaseState.REVIEWING, CaseState.SUSPENDED, CaseState.DECIDED, CaseState.SEALED)
"""The states whose clocks may still run (the states the supervision sweep reads)."""

CHUNK = 2000
"""Cases recomputed together (bounded memory: one chunk's clocks at a time)."""

RETRIES = 5
"""How many times a case changed under :func:`apply_calendar_change` is read again."""


@attrs.define(frozen=True, slots=True)
class MovedDue:
    """One clock whose due instant moved when the calendar changed.

    Attributes:
        case_id: the case.
        clock: the clock's name (``promised``, ``legal``, ``delivery``).
        old_due: the due instant on the old calendar (the hall's zone).
        new_due: the due instant on the new calendar (the hall's zone).
        working_days: working days on the new calendar from the old due day to the new one
            (negative when the due date moved earlier).
    """

    case_id: str
    clock: str
    old_due: dt.datetime
    new_due: dt.datetime
    working_days: int

    @property
    def delta(self) -> dt.timedelta:
        """``new_due - old_due``."""
        return self.new_due - self.old_due


@attrs.define(frozen=True, slots=True)
class CalendarChange:
    """What a calendar change does to a hall's open clocks.

    Attributes:
        at: the instant the clocks were read at.
        cases: open cases examined.
        clocks: clocks examined.
        moved: the clocks whose due instant moved, by case id then clock name.
        recorded: of those, how many were recorded now (``due_moved`` events); 0 for a plan.
        failures: ``(case_id, error)`` for cases that could not be examined or recorded.
    """

    at: dt.datetime
    cases: int
    clocks: int
    moved: tuple[MovedDue, ...]
    recorded: int = 0
    failures: tuple[tuple[str, str], ...] = ()

    def lines(self) -> list[str]:
        """One line per moved clock, then a summary line (for the CLI and logs)."""
        out = [
            f"{m.case_id} {m.clock}: {m.old_due:%Y-%m-%d %H:%M} -> {m.new_due:%Y-%m-%d %H:%M} "
            f"({m.working_days:+d} working day{'' if abs(m.working_days) == 1 else 's'})"
            for m in self.moved
        ]
        out += [f"{case_id}: not examined ({error})" for case_id, error in self.failures]
        out.append(
            f"{len(self.moved)} of {self.clocks} open clocks on {self.cases} cases moved; "
            f"{self.recorded} recorded"
        )
        return out


def with_published_year(calendar: WorkCalendar, data: YearData) -> WorkCalendar:
    """``calendar`` with the national year ``data`` (an imported notice) in place of its own.

    The national layer is rebuilt from hallflow's shipped data plus ``data``; the hall's
    hours and every locality overlay above the national layer are kept.

    Raises:
        CommandInputError: ``data`` is not a :class:`~hallflow.calendar.data.YearData`, or
            its year lies outside ``calendar``'s range.
    """
    if not isinstance(calendar, WorkCalendar):
        raise CommandInputError("calendar", "must be a WorkCalendar", calendar)
    if not isinstance(data, YearData):
        raise CommandInputError("data", "must be a YearData (an imported notice)", data)
    if not calendar.first.year <= data.year <= calendar.last.year:
        raise CommandInputError(
            "data.year",
            f"must lie in the calendar's range {calendar.first.year}..{calendar.last.year}",
            data.year,
        )
    new = china(until=calendar.last.year, years=[data], hours=calendar.hours)
    for overlay in calendar.layers[1:]:
        new = new.with_overlay(overlay)
    return new


def _check_calendar(old: object, hall: Hall) -> WorkCalendar:
    if not isinstance(old, WorkCalendar):
        raise CommandInputError("old_calendar", "must be a WorkCalendar", old)
    if old.hours.zone != hall.calendar.hours.zone:
        raise CommandInputError(
            "old_calendar",
            f"must count in the hall's zone {hall.calendar.hours.zone}",
            old.hours.zone,
        )
    return old


def _open_cases(hall: Hall) -> Iterator[str]:
    for state in OPEN_STATES:
        for row in hall.store.find(state=state.value):
            if not row.case_id.startswith(RESERVED_PREFIX):
                yield row.case_id


def _chunks(hall: Hall, size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for case_id in _open_cases(hall):
        batch.append(case_id)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _counting(hall: Hall, case: Case, at: dt.datetime) -> list[tuple[str, Clock]]:
    """The case's clocks that have started by ``at``."""
    return [(name, clock) for name, clock in hall.clocks(case).items() if clock.events[0].at <= at]


def _moved(
    hall: Hall,
    old: WorkCalendar,
    case_id: str,
    name: str,
    old_due: dt.datetime,
    new_due: dt.datetime,
) -> MovedDue:
    zone = hall.calendar.hours.tzinfo
    a = old_due.astimezone(zone).date()
    b = new_due.astimezone(zone).date()
    shift = hall.calendar.working_days_between(a, b)
    return MovedDue(case_id, name, old_due.astimezone(zone), new_due.astimezone(zone), shift)


def reference_calendar_change(
    hall: Hall, old_calendar: WorkCalendar, at: dt.datetime
) -> CalendarChange:
    """The reference: every open clock rebuilt on ``old_calendar`` and compared, one by one.

    ``hall`` runs on the new calendar. Clocks are read as known at ``at``.

    Raises:
        CommandInputError: ``old_calendar`` is not a calendar in the hall's zone, or ``at``
            is not an aware datetime.
    """
    old = _check_calendar(old_calendar, hall)
    at = check_instant("at", at)
    moved: list[MovedDue] = []
    failures: list[tuple[str, str]] = []
    cases = clocks = 0
    for case_id in _open_cases(hall):
        try:
            counting = _counting(hall, hall.case(case_id), at)
            found = []
            for name, clock in counting:
                before = attrs.evolve(clock, calendar=old).due(at)
                after = clock.due(at)
                if before != after:
                    found.append(_moved(hall, old, case_id, name, before, after))
        except HallflowError as exc:
            failures.append((case_id, str(exc)))
            continue
        cases += 1
        clocks += len(counting)
        moved.extend(found)
    return CalendarChange(at, cases, clocks, _sorted(moved), failures=tuple(failures))


def plan_calendar_change(
    hall: Hall, old_calendar: WorkCalendar, at: dt.datetime, *, chunk: int = CHUNK
) -> CalendarChange:
    """Which open clocks move when ``hall``'s calendar replaces ``old_calendar`` (bulk).

    ``hall`` runs on the new calendar (the one with the published year). Open cases are read
    in chunks of ``chunk``; each chunk's clocks are recomputed on both calendars with numpy.
    Nothing is recorded (see :func:`apply_calendar_change`).

    Raises:
        CommandInputError: ``old_calendar`` is not a calendar in the hall's zone, ``at`` is
            not an aware datetime, or ``chunk`` is not a positive int.
    """
    old = _check_calendar(old_calendar, hall)
    at = check_instant("at", at)
    if type(chunk) is not int or chunk < 1:
        raise CommandInputError("chunk", "must be an int >= 1", chunk)
    moved: list[MovedDue] = []
    failures: list[tuple[str, str]] = []
    cases = clocks = 0
    for ids in _chunks(hall, chunk):
        names: list[tuple[str, str]] = []
        built: list[Clock] = []
        for case_id in ids:
            try:
                counting = _counting(hall, hall.case(case_id), at)
                ClockArrays.from_clocks([c for _, c in counting], at)  # each case on its own
            except HallflowError as exc:
                failures.append((case_id, str(exc)))
                continue
            cases += 1
            for name, clock in counting:
                names.append((case_id, name))
                built.append(clock)
        clocks += len(built)
        if not built:
            continue
        result = recompute(old, hall.calendar, ClockArrays.from_clocks(built, at), at)
        for j, i in enumerate(result.indices.tolist()):
            case_id, name = names[i]
            old_due = _instant(result.old_due[j])
            new_due = _instant(result.new_due[j])
            moved.append(
                MovedDue(
                    case_id,
                    name,
                    old_due.astimezone(hall.calendar.hours.tzinfo),
                    new_due.astimezone(hall.calendar.hours.tzinfo),
                    int(result.delta_working_days[j]),
                )
            )
    return CalendarChange(at, cases, clocks, _sorted(moved), failures=tuple(failures))


def _instant(value: object) -> dt.datetime:
    import numpy as np

    micros = int(np.asarray(value).astype("datetime64[us]").astype(np.int64))
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)


def _sorted(moved: Sequence[MovedDue]) -> tuple[MovedDue, ...]:
    return tuple(sorted(moved, key=lambda m: (m.case_id, m.clock)))


def apply_calendar_change(
    hall: Hall,
    old_calendar: WorkCalendar,
    at: dt.datetime,
    *,
    notice: str = "",
    chunk: int = CHUNK,
) -> CalendarChange:
    """Record a ``due_moved`` event for every open clock that the new calendar moves.

    ``hall`` runs on the new calendar. Each moved clock gets one event on its case, by the
    supervision system, at ``at`` (or the case's last event, if later), with the clock, the
    old and new due instants, the shift in working days and ``notice`` (what changed the
    calendar, e.g. the State Council notice's number). The case's row is rewritten in the
    same append, so its stored due date follows the new calendar. A clock whose newest
    ``due_moved`` already names the same new due is skipped: applying twice records once.

    Raises:
        CommandInputError: as :func:`plan_calendar_change`, or ``notice`` is not text.
    """
    if not isinstance(notice, str) or len(notice) > 500:
        raise CommandInputError("notice", "must be text of at most 500 characters", notice)
    plan = plan_calendar_change(hall, old_calendar, at, chunk=chunk)
    by_case: dict[str, list[MovedDue]] = {}
    for m in plan.moved:
        by_case.setdefault(m.case_id, []).append(m)
    recorded = 0
    failures = list(plan.failures)
    for case_id, moves in by_case.items():
        try:
            recorded += _record(hall, case_id, moves, plan.at, notice)
        except HallflowError as exc:
            failures.append((case_id, str(exc)))
    return attrs.evolve(plan, recorded=recorded, failures=tuple(failures))


def _record(hall: Hall, case_id: str, moves: list[MovedDue], at: dt.datetime, notice: str) -> int:
    for attempt in range(RETRIES):
        case = hall.case(case_id)
        if case.state not in OPEN_STATES:
            return 0
        newest: dict[str, str] = {}
        for e in case.history:
            if e.kind == "due_moved":
                newest[str(e.payload.get("clock"))] = str(e.payload.get("new_due"))
        when = max(at, case.history[-1].at)
        events = [
            event(
                "due_moved",
                SUPERVISION,
                when,
                clock=m.clock,
                old_due=m.old_due.isoformat(),
                new_due=m.new_due.isoformat(),
                working_days=m.working_days,
                notice=notice,
            )
            for m in moves
            if newest.get(m.clock) != m.new_due.isoformat()
        ]
        if not events:
            return 0
        try:
            hall._pipeline.commit(case, events, when, None, None)
        except (ConcurrencyError, CaseStateError):
            if attempt == RETRIES - 1:
                raise
            continue
        return len(events)
    return 0  # pragma: no cover - the loop returns or raises
