"""The bulk supervision sweep: every open clock of a hall, read from the store in chunks.

The per-case sweep (:func:`hallflow.cases.supervision.sweep`, ``Hall.sweep``) folds every
open case and evaluates its clocks one by one: the reference. This one is the production
path. For each chunk of case rows (:meth:`~hallflow.store.base.EventStore.open_clocks`, a
keyset read in case-id order, so memory is bounded by the chunk):

1. the packed open clocks the row keeps (:mod:`hallflow.cases.sweepstate`, written with the
   events) become one :class:`~hallflow.timeline.bulk.ClockArrays`
   (:func:`hallflow.timeline.packed.unpack`) and are evaluated at once
   (:func:`hallflow.timeline.bulk.evaluate`);
2. each matter's ladders (``hallflow_escalation_ladders``) are evaluated on them in bulk
   (:meth:`hallflow.timeline.ladder.Ladder.bulk`);
3. a clock is a *candidate* when its warning level is above the level the row says the sweep
   acknowledged, or it has reached a rung the row does not list; a case whose row has no
   packed clocks yet (a store written before they were kept), or whose last event is later
   than the sweep's instant, is a candidate too;
4. only the candidates' cases are folded and decided by the reference rule
   (:func:`hallflow.cases.supervision.plan_case`: the imperative ``hallflow_escalations``
   hook, the ladders one clock at a time), in batches of :data:`BATCH` read with one query
   (:meth:`~hallflow.store.base.EventStore.load_many`); each batch's ``escalated`` events
   are appended in one commit (:meth:`Pipeline.commit_many`), then any deemed approval;
   each case isolated (a failure is reported, not fatal) and swept alone by
   :func:`~hallflow.cases.supervision.sweep_case` when a concurrent command moved it;
5. what each candidate's sweep saw (levels and rungs per clock) is written back to its row
   with :meth:`~hallflow.store.base.EventStore.put_swept`, for the version the sweep left
   the case at: a cache beside the hash-chained log (no event, no version). A command that
   moves a clock resets it (:meth:`Pipeline.row`), so the hook sees the case again.

A second sweep at the same instant therefore folds nothing and records nothing.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import gc
import itertools
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from hallflow.cases.case import fold
from hallflow.cases.commands import RESERVED_PREFIX, check_instant, is_text
from hallflow.cases.lifecycle import CaseState
from hallflow.cases.supervision import (
    SweepFailure,
    SweepPlan,
    SweepReport,
    finish,
    ladder_of,
    plan_case,
    sweep_case,
)
from hallflow.cases.sweepstate import CLOCK_NAMES, packed_clocks
from hallflow.errors import CommandInputError, ConcurrencyError, HallflowError
from hallflow.plugins.policy import Escalation
from hallflow.store.base import CaseRow, SweepMark, SweepRow
from hallflow.timeline.bulk import BulkStatus, ClockArrays, evaluate
from hallflow.timeline.compiled import to_us
from hallflow.timeline.ladder import Ladder
from hallflow.timeline.packed import pack_swept, unpack, unpack_swept

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = ["BATCH", "CHUNK", "WORKERS", "candidates", "sweep"]

CHUNK = 50_000
"""Case rows read per chunk by default."""

WORKERS = 4
"""Threads sweeping, by default, the candidates that are swept one at a time."""

BATCH = 500
"""Candidates read and committed together."""


def sweep(
    hall: Hall,
    at: dt.datetime,
    *,
    chunk: int = CHUNK,
    workers: int = WORKERS,
    after: str | None = None,
    until: str | None = None,
) -> SweepReport:
    """Sweep every open case of ``hall`` at ``at``, in bulk (see the module docstring).

    Records the same escalations as :meth:`Hall.sweep` would (the property test in
    ``tests/test_supervision_sweep.py`` checks it), folding only the candidates.

    Python's cyclic garbage collector is paused while it runs (and restored after): the scan
    allocates a million short-lived rows, which would set off full collections for nothing
    (they hold no cycles; reference counting frees them), a third of the scan's time.

    Args:
        hall: the hall.
        at: the sweep's instant (aware).
        chunk: case rows read and evaluated at a time (bounds memory).
        workers: threads sweeping, side by side, the candidates swept one at a time (those
            whose rows were written before clocks were kept, or that could not be swept
            with the others).
        after: sweep only the cases with ids after this one (None: from the first).
        until: sweep only the cases with ids up to this one (None: to the last). With
            ``after``, the share of one of several sweepers
            (:meth:`~hallflow.store.base.EventStore.split_cases`,
            :class:`~hallflow.supervision.pool.SweepPool`).

    Returns:
        The escalations recorded, the cases that failed, ``swept`` (open cases read) and
        ``folded`` (candidates folded).

    Raises:
        CommandInputError: ``at`` is not an aware instant, ``chunk`` or ``workers`` not an
            int >= 1, or ``after`` or ``until`` not a str or None.
    """
    when = check_instant("sweep.at", at)
    for name, value in (("chunk", chunk), ("workers", workers)):
        if type(value) is not int or value < 1:
            raise CommandInputError(f"sweep.{name}", "must be an int of at least 1", value)
    for name, bound in (("after", after), ("until", until)):
        if bound is not None and not is_text(bound):
            raise CommandInputError(f"sweep.{name}", "must be None or a case id (str)", bound)
    report = SweepReport()
    with _collector_paused(), ThreadPoolExecutor(workers) as pool:
        while True:
            rows = hall.store.open_clocks(after, chunk, until)
            if not rows:
                return report
            after = rows[-1][0]
            rows = _cases(rows)
            report.swept += len(rows)
            picked = [rows[i] for i in candidates(hall, rows, when)]
            del rows
            report.folded += len(picked)
            batched = [row for row in picked if row[3] is not None]
            alone = [row for row in picked if row[3] is None]
            marks: list[SweepMark] = []
            for start in range(0, len(batched), BATCH):
                found, done, again = _batch(hall, batched[start : start + BATCH], when)
                report.extend(found)
                marks += done
                alone += again
            for outcome in pool.map(_one, itertools.repeat(hall), alone, itertools.repeat(when)):
                if isinstance(outcome, SweepFailure):
                    report.failures.append(outcome)
                else:
                    report.extend(outcome[0])
                    marks.append(outcome[1])
            if marks:
                hall.store.put_swept(marks)
                _remember(hall, marks)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the body, if it runs; restore it after."""
    running = gc.isenabled()
    if running:
        gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


def _cases(rows: list[SweepRow]) -> list[SweepRow]:
    """``rows`` without the hall's own streams (ids in order: theirs are one run)."""
    lo = bisect.bisect_left(rows, RESERVED_PREFIX, key=lambda r: r[0])
    if lo == len(rows) or not rows[lo][0].startswith(RESERVED_PREFIX):
        return rows
    hi = lo
    while hi < len(rows) and rows[hi][0].startswith(RESERVED_PREFIX):
        hi += 1
    return rows[:lo] + rows[hi:]


def _batch(
    hall: Hall, rows: Sequence[SweepRow], when: dt.datetime
) -> tuple[list[tuple[str, Escalation]], list[SweepMark], list[SweepRow]]:
    """Sweep candidates together: one read of their events, one commit of their escalations.

    Each case is decided by the reference rule (:func:`~hallflow.cases.supervision.plan_case`)
    and its escalations appended with the others' (:meth:`Pipeline.commit_many`). A case
    that cannot be folded or planned, or that a concurrent command changed before the
    commit, is handed back to be swept alone (:func:`_one`: retried, or reported); so is
    the whole batch if the commit itself fails.

    Returns:
        The escalations recorded, the marks of the cases swept, the rows to sweep alone.
    """
    histories = hall.store.load_many([row[0] for row in rows])
    plans: list[tuple[SweepRow, SweepPlan]] = []
    again: list[SweepRow] = []
    for row in rows:
        try:
            plans.append((row, plan_case(hall, fold(histories[row[0]]), when)))
        except Exception:  # the reference sweep reports it (or finds it moved on)
            again.append(row)
    writing = [(row, plan) for row, plan in plans if plan.events]
    try:
        outcomes = hall._pipeline.commit_many(
            [(plan.case, plan.events, plan.when, _current(row, plan)) for row, plan in writing]
        )
    except Exception:  # the commit failed as a whole: each case is swept alone
        return [], [], list(rows)
    after = {row[0]: outcome for (row, _), outcome in zip(writing, outcomes, strict=True)}
    found: list[tuple[str, Escalation]] = []
    marks: list[SweepMark] = []
    for row, plan in plans:
        case = after.get(row[0], plan.case)
        if isinstance(case, ConcurrencyError):
            again.append(row)  # a command came first: the reference reads it again
            continue
        found += plan.found
        try:
            done = finish(hall, plan, case)
        except Exception:  # its escalations stand; the deemed approval is retried alone
            again.append(row)
            continue
        marks.append((row[0], done.version, None, pack_swept(done.seen)))
    return found, marks, again


def _current(row: SweepRow, plan: SweepPlan) -> CaseRow | None:
    """The candidate's case row as stored, when what the sweep read is still current.

    Built from the sweep's read (the packed clocks, what was acknowledged) and the case as
    folded (the due instant as :func:`plan_case` saw it, which a running clock's due does not
    depend on): the pipeline then renews only the version and the last instant
    (:meth:`Pipeline.row`), instead of compiling the clocks again. None when the case is at
    another version than the row read, or is not under review (the row is then recomputed).
    """
    case = plan.case
    if case.version != row[2] or row[3] is None or case.state is not CaseState.REVIEWING:
        return None
    return CaseRow(
        case.case_id,
        case.matter,
        case.applicant,
        case.window,
        case.state.value,
        plan.due,
        case.version,
        row[3],
        row[4],
    )


def _one(
    hall: Hall, row: SweepRow, when: dt.datetime
) -> tuple[list[tuple[str, Escalation]], SweepMark] | SweepFailure:
    """Sweep one candidate by the reference rule; a failure is returned, not raised."""
    case_id, _, _, clocks, _ = row
    try:
        done = sweep_case(hall, case_id, when)
        fresh = None
        if clocks is None:  # backfill a row written before clocks were kept
            fresh = packed_clocks(hall, hall.case(case_id))
        return done.found, (case_id, done.version, fresh, pack_swept(done.seen))
    except Exception as exc:  # isolated and reported: one case never stops the pass
        return SweepFailure(case_id, str(exc), type(exc).__name__)


def _remember(hall: Hall, marks: list[SweepMark]) -> None:
    """Update this hall's cached rows with what was acknowledged.

    The pipeline builds a row that moves no clock from the cached one; a stale cache (here,
    or in another hall on the same store) only resets the acknowledgement, which costs the
    case one more fold, never an escalation.
    """
    for case_id, version, clocks, swept in marks:
        row = hall._rows.get(case_id)
        if row is not None and row.version == version:
            fresh = row.clocks if clocks is None else clocks
            hall._rows[case_id] = attrs.evolve(row, swept=swept, clocks=fresh)


def candidates(hall: Hall, rows: Sequence[SweepRow], at: dt.datetime) -> list[int]:
    """The indices of the rows whose cases must be folded and swept at ``at``.

    A case is a candidate when its row has no packed clocks, when its last event is later
    than ``at``, or when one of its clocks is at a warning level above the one acknowledged
    or has reached a ladder rung not acknowledged. A chunk that cannot be evaluated in bulk
    (a clock outside the calendar's range...) is split until the cases at fault are found;
    those are candidates, so the reference sweep reports them.
    """
    at_us = to_us(at)
    if not rows:
        return []
    _, all_matters, _, blobs, all_swept = zip(*rows, strict=True)  # columns, in C
    if None in blobs:  # rows written before clocks were kept: folded, and backfilled
        picked = {i for i, b in enumerate(blobs) if b is None}
        known = [i for i, b in enumerate(blobs) if b is not None]
        blobs = tuple(blobs[i] for i in known)
        all_matters = tuple(all_matters[i] for i in known)
        all_swept = tuple(all_swept[i] for i in known)
    else:
        picked, known = set(), list(range(len(rows)))
    if not known:
        return sorted(picked)
    try:
        packed = unpack(blobs)
    except HallflowError:
        return sorted(picked | set(known))
    late = packed.last > at_us
    if late.any():  # a case with events after the sweep's instant: the reference sweeps it
        picked |= {known[i] for i in np.flatnonzero(late).tolist()}
        keep = np.flatnonzero(~late[packed.owner])
        owner, code = packed.owner[keep], packed.code[keep]
        arrays = packed.arrays.take(keep)
    else:
        owner, code, arrays = packed.owner, packed.code, packed.arrays
    if len(arrays):
        levels, masks = unpack_swept(all_swept)
        matters = all_matters
        unknown = {m for m in set(matters) if m not in hall.catalogue}
        if unknown:  # a matter the catalogue no longer has: the reference reports the case
            picked |= {known[j] for j, m in enumerate(matters) if m in unknown}
        level, mask, failed = _evaluate(hall, arrays, at_us, matters, owner, code)
        seen = masks[owner, code].astype(np.int64)
        rose = failed | (level > levels[owner, code]) | ((mask & ~seen) != 0)
        picked |= {known[o] for o in np.unique(owner[rose]).tolist()}
    return sorted(picked)


def _evaluate(
    hall: Hall,
    arrays: ClockArrays,
    at_us: int,
    matters: Sequence[str],
    owner: npt.NDArray[np.intp],
    code: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Levels and rung masks of ``arrays`` at ``at_us``, and the clocks that failed.

    A clock that cannot be evaluated in bulk is flagged ``failed``, found by splitting the
    chunk in halves until the failing clocks stand alone.
    """
    n = len(arrays)
    level = np.zeros(n, dtype=np.int8)
    mask = np.zeros(n, dtype=np.int64)
    failed = np.zeros(n, dtype=np.bool_)
    pending = [np.arange(n)]
    while pending:
        sel = pending.pop()
        part = arrays.take(sel)
        try:
            status = evaluate(hall.calendar, part, at_us)
            rungs = _rungs(hall, status, part, matters, owner[sel], code[sel])
        except Exception:  # any error of the bulk path: the reference sweeps those cases
            if sel.size == 1:
                failed[sel] = True
            else:
                half = sel.size // 2
                pending += [sel[:half], sel[half:]]
            continue
        level[sel] = status.level
        mask[sel] = rungs
    return level, mask, failed


def _rungs(
    hall: Hall,
    status: BulkStatus,
    arrays: ClockArrays,
    matters: Sequence[str],
    owner: npt.NDArray[np.intp],
    code: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """The rung masks of every clock, each on its case's matter's ladders."""
    ladders: dict[str, Ladder | None] = {}
    for name in set(matters):
        try:
            ladders[name] = ladder_of(hall, hall.catalogue.get(name))
        except HallflowError:
            ladders[name] = None  # an unknown matter: the reference sweep reports the case
    distinct = {id(x): x for x in ladders.values() if x is not None}
    out = np.zeros(len(status), dtype=np.int64)
    if not distinct:
        return out
    if len(distinct) == 1 and all(x is not None for x in ladders.values()):
        ladder = next(iter(distinct.values()))
        return ladder.bulk(status, arrays.unit, code, CLOCK_NAMES)
    by_case = np.array([id(ladders[m]) if ladders[m] is not None else 0 for m in matters])
    which = by_case[owner]
    for key, ladder in distinct.items():
        sel = np.flatnonzero(which == key)
        out[sel] = ladder.bulk(_take(status, sel), arrays.unit[sel], code[sel], CLOCK_NAMES)
    return out


def _take(status: BulkStatus, sel: npt.NDArray[np.intp]) -> BulkStatus:
    fields: dict[str, Any] = {
        name: getattr(status, name)[sel] for name in BulkStatus.__slots__ if name != "at"
    }
    return BulkStatus(at=status.at, **fields)
