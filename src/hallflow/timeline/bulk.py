"""Bulk clock evaluation: the electronic-supervision sweep over a million open clocks in numpy.

A supervision platform (电子监察) reads every open clock of a province every night, and again
when a holiday notice replaces a provisional year. :class:`ClockArrays` holds N clocks as
flat arrays; :func:`evaluate` gives every clock's due instant, elapsed and remaining units,
state and warning level — element by element what :meth:`Clock.status` gives — and
:func:`recompute` reports which due dates move when one calendar replaces another.

The array form of a clock (its history known at the instant asked about):

* ``start`` — when the current count started (the start, or the last restart); the receipt
  day is computed from it on the calendar evaluated against;
* ``total`` — the limit in force, extensions included; ``unit`` — a unit code
  (:data:`~hallflow.timeline.compiled.UNITS`);
* ``pause_start[:, k]`` / ``pause_end[:, k]`` — the clock's suspensions, in order, packed to
  the left, :data:`NONE` (``NaT``) in unused slots. The clock runs on ``[start,
  pause_start[0])``, ``[pause_end[0], pause_start[1])``, ... A ``pause_end`` of :data:`NONE`
  on the last pause is a pause of unknown length (assumed to end at the instant asked
  about, as :class:`Clock` projects it); a ``pause_end`` after that instant is the known end
  of an excluded period;
* ``stop`` — when the clock stopped, :data:`NONE` while it is open. A stopped clock runs on
  ``[pause_end[-1], stop)`` unless its last pause has an unknown end (it stopped while
  paused);
* ``remind_before`` — the policy's reminder window, in the clock's unit;
* ``restart_total`` — for a clock whose last pause is a correction (its end restarts the
  count), the limit the restart counts (extensions are discarded), else -1. While such a
  pause lasts the due instant is projected from a fresh start at its end; once its known end
  has passed, the clock is evaluated as restarted there.

Every unit is supported: working and calendar days in any zone, same-day limits, and
working-hour limits in a zone whose UTC offset is constant over the calendar's range
(every zone of China); elsewhere a working-hour clock raises
:class:`~hallflow.errors.LimitError`. What bulk does not re-derive: an excluded period of
working-day or working-hour length keeps the end computed when the arrays were built, and
extensions are not re-checked against a moved due date (see :func:`recompute`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from hallflow.calendar.engine import WorkCalendar
from hallflow.errors import BulkInputError, ClockStateError, LimitError
from hallflow.timeline.clock import Clock
from hallflow.timeline.compiled import (
    CD,
    NONE,
    PAUSED,
    RUNNING,
    SD,
    STOPPED,
    UNITS,
    US_PER_DAY,
    US_PER_HOUR,
    WD,
    WH,
    CalendarTables,
    calendar_tables,
    compile_clock,
    to_us,
)
from hallflow.timeline.limits import Unit

__all__ = ["BulkStatus", "ClockArrays", "Recomputed", "evaluate", "recompute"]

I64 = npt.NDArray[np.int64]
_Index = slice | npt.NDArray[np.intp]


def _us_array(field: str, value: object, ndim: int) -> I64:
    arr = np.asarray(value)
    if arr.dtype.kind == "M":
        arr = arr.astype("datetime64[us]").view(np.int64)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64, copy=False)
    else:
        raise BulkInputError(
            f"{field} must hold epoch microseconds (int64) or datetime64; got dtype {arr.dtype}"
        )
    if arr.ndim != ndim:
        raise BulkInputError(f"{field} must have {ndim} dimension(s); got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def _unit_codes(value: object, n: int) -> npt.NDArray[np.int8]:
    arr = np.asarray(value)
    if arr.dtype.kind in "iu":
        codes = np.broadcast_to(arr, (n,)).astype(np.int8)
        if codes.size and (codes.min() < 0 or codes.max() >= len(UNITS)):
            raise LimitError(f"unit codes must be 0..{len(UNITS) - 1} (UNITS)")
        return codes
    flat = np.broadcast_to(arr, (n,))
    try:
        return np.array([UNITS.index(Unit(u)) for u in flat], dtype=np.int8)
    except ValueError:
        raise LimitError(
            f"unit must hold unit codes or Unit values ({', '.join(u.value for u in UNITS)})"
        ) from None


class ClockArrays:
    """N clocks as flat arrays (the history known at the instant they are evaluated at).

    See the module docstring for the meaning of each array. Instants are epoch
    microseconds (``int64``; ``datetime64`` arrays are accepted and converted), with
    :data:`NONE` (``NaT``) for "none".

    Args:
        start: (N,) when each count started.
        total: (N,) or scalar: the limit in force (0 for a same-day limit).
        unit: (N,) or scalar: unit codes or :class:`Unit` values.
        pause_start: (N, K) suspension starts, or None for no pauses.
        pause_end: (N, K) suspension ends (same shape as ``pause_start``).
        stop: (N,) stop instants, or None when every clock is open.
        remind_before: (N,) or scalar: the reminder window, in each clock's unit.
        restart_total: (N,) or scalar: the limit a correction's end restarts, or -1.

    Raises:
        BulkInputError: shapes disagree, or pauses are not packed, ordered and after the start.
        LimitError: a unit code is unknown, or a total is not valid for its unit.
    """

    __slots__ = (
        "pause_end",
        "pause_start",
        "remind_before",
        "restart_total",
        "start",
        "stop",
        "total",
        "unit",
    )

    def __init__(
        self,
        start: object,
        total: object,
        unit: object,
        pause_start: object = None,
        pause_end: object = None,
        stop: object = None,
        remind_before: object = 3,
        restart_total: object = -1,
    ) -> None:
        self.start = _us_array("start", start, 1)
        n = self.start.size
        tot = np.asarray(total)
        if tot.dtype.kind not in "iu":
            raise LimitError(f"total must hold whole numbers; got dtype {tot.dtype}")
        self.total = np.ascontiguousarray(np.broadcast_to(tot, (n,)).astype(np.int64))
        self.unit = _unit_codes(unit, n)
        if pause_start is None and pause_end is None:
            self.pause_start = np.full((n, 0), NONE, dtype=np.int64)
            self.pause_end = np.full((n, 0), NONE, dtype=np.int64)
        else:
            self.pause_start = _us_array("pause_start", pause_start, 2)
            self.pause_end = _us_array("pause_end", pause_end, 2)
        if self.pause_start.shape != self.pause_end.shape or self.pause_start.shape[0] != n:
            raise BulkInputError(
                f"pause_start {self.pause_start.shape} and pause_end {self.pause_end.shape} "
                f"must both have shape (N, K) with N = {n}"
            )
        self.stop = np.full(n, NONE, dtype=np.int64) if stop is None else _us_array("stop", stop, 1)
        if self.stop.shape != (n,):
            raise BulkInputError(f"stop must have shape ({n},); got {self.stop.shape}")
        rb = np.asarray(remind_before)
        if rb.dtype.kind not in "iu":
            raise BulkInputError(f"remind_before must hold whole numbers; got dtype {rb.dtype}")
        self.remind_before = np.ascontiguousarray(np.broadcast_to(rb, (n,)).astype(np.int64))
        rt = np.asarray(restart_total)
        if rt.dtype.kind not in "iu":
            raise BulkInputError(f"restart_total must hold whole numbers; got dtype {rt.dtype}")
        self.restart_total = np.ascontiguousarray(np.broadcast_to(rt, (n,)).astype(np.int64))
        self._check()

    def _check(self) -> None:
        same = self.unit == SD
        bad = np.flatnonzero(np.where(same, self.total != 0, self.total < 1))
        if bad.size:
            i = int(bad[0])
            raise LimitError(
                f"total[{i}]={self.total[i]} is not valid for {UNITS[self.unit[i]].value} "
                f"(a same-day limit has total 0, any other at least 1)"
            )
        ps, pe = self.pause_start, self.pause_end
        k = ps.shape[1]
        if k == 0:
            return
        used = ps != NONE
        problems = [
            ("a pause_end without its pause_start", ~used & (pe != NONE)),
            ("a pause_end before its pause_start", used & (pe != NONE) & (pe < ps)),
        ]
        first = used[:, 0]
        problems.append(("a pause before the start", first & (ps[:, 0] < self.start)))
        if k > 1:
            nxt = used[:, 1:]
            problems += [
                ("pauses not packed to the left", nxt & ~used[:, :-1]),
                ("a pause of unknown end followed by another pause", nxt & (pe[:, :-1] == NONE)),
                ("pauses out of order", nxt & (ps[:, 1:] < pe[:, :-1])),
            ]
        stopped = self.stop != NONE
        last = self.last_pause()
        has = last >= 0
        rows = np.arange(self.start.size)
        lps = np.where(has, ps[rows, np.maximum(last, 0)], NONE)
        problems.append(("a stop before a pause", stopped & has & (self.stop < lps)))
        for what, mask in problems:
            bad = np.flatnonzero(mask.reshape(mask.shape[0], -1).any(axis=1))
            if bad.size:
                raise BulkInputError(f"clock {int(bad[0])}: {what}")

    def __len__(self) -> int:
        return int(self.start.size)

    def last_pause(self) -> npt.NDArray[np.intp]:
        """The index of each clock's last pause (-1 when it has none)."""
        last: npt.NDArray[np.intp] = (self.pause_start != NONE).sum(axis=1) - 1
        return last

    @classmethod
    def from_clocks(
        cls, clocks: Sequence[Clock] | Iterable[Clock], at: dt.datetime, k: int | None = None
    ) -> ClockArrays:
        """The arrays of ``clocks`` as known at ``at`` (their histories reduced first).

        Args:
            clocks: the clocks (of any calendars; only their histories are taken).
            at: the instant their histories are read up to.
            k: pause slots per clock (default: the most any clock needs).

        Raises:
            BulkInputError: a clock has more than ``k`` pauses.
        """
        rows: list[tuple[int, int, int, list[tuple[int, int]], int, int, int]] = []
        for clock in clocks:
            s = compile_clock(clock, at)
            iv = list(s.intervals)
            pauses = [(iv[j][1], iv[j + 1][0]) for j in range(len(iv) - 1)]
            if s.stop is not None:
                if iv and iv[-1][1] != s.stop:
                    pauses.append((iv[-1][1], NONE))
            elif iv:
                pauses.append((iv[-1][1], NONE if s.open_from is None else s.open_from))
            stop = NONE if s.stop is None else s.stop
            restart = -1 if s.restart_total is None else s.restart_total
            rows.append((s.start, s.total, s.unit, pauses, stop, s.remind_before, restart))
        need = max((len(r[3]) for r in rows), default=0)
        width = need if k is None else k
        if need > width:
            raise BulkInputError(f"a clock has {need} pauses; k={width} slots were asked for")
        n = len(rows)
        ps = np.full((n, width), NONE, dtype=np.int64)
        pe = np.full((n, width), NONE, dtype=np.int64)
        for i, row in enumerate(rows):
            for j, (a, b) in enumerate(row[3]):
                ps[i, j], pe[i, j] = a, b
        return cls(
            start=np.array([r[0] for r in rows], dtype=np.int64),
            total=np.array([r[1] for r in rows], dtype=np.int64),
            unit=np.array([r[2] for r in rows], dtype=np.int8),
            pause_start=ps,
            pause_end=pe,
            stop=np.array([r[4] for r in rows], dtype=np.int64),
            remind_before=np.array([r[5] for r in rows], dtype=np.int64),
            restart_total=np.array([r[6] for r in rows], dtype=np.int64),
        )

    def take(self, rows: _Index) -> ClockArrays:
        """The clocks at ``rows`` (an index array or a slice), as new arrays."""
        out = ClockArrays.__new__(ClockArrays)
        for name in ClockArrays.__slots__:
            setattr(out, name, getattr(self, name)[rows])
        return out


class BulkStatus:
    """N clocks at one instant (element ``i`` is what :meth:`Clock.status` says of clock ``i``).

    Attributes:
        at: the instant asked about (``datetime64[us]``, UTC).
        due: due instants (``datetime64[us]``, UTC).
        elapsed: units counted so far (float64).
        remaining: units left (float64; negative when overdue and still counting).
        state: state codes (``STATES[code]``: running, paused, stopped).
        level: warning levels (:class:`WarningLevel` values).
        overdue: the clock ran (or runs) past its due instant: ``overdue_by > 0``.
        receipt: receipt days (``counting_from``, ``datetime64[D]``).
        provisional: a day from the receipt day to the due day is provisional.
    """

    __slots__ = (
        "at",
        "due",
        "elapsed",
        "level",
        "overdue",
        "provisional",
        "receipt",
        "remaining",
        "state",
    )

    def __init__(
        self,
        at: np.datetime64,
        due: npt.NDArray[Any],
        elapsed: npt.NDArray[np.float64],
        remaining: npt.NDArray[np.float64],
        state: npt.NDArray[np.int8],
        level: npt.NDArray[np.int8],
        overdue: npt.NDArray[np.bool_],
        receipt: npt.NDArray[Any],
        provisional: npt.NDArray[np.bool_],
    ) -> None:
        self.at = at
        self.due = due
        self.elapsed = elapsed
        self.remaining = remaining
        self.state = state
        self.level = level
        self.overdue = overdue
        self.receipt = receipt
        self.provisional = provisional

    def __len__(self) -> int:
        return int(self.due.size)


# --------------------------------------------------------------------------- helpers


def _raise_range(t: CalendarTables, field: str, bad: npt.NDArray[np.bool_], values: I64) -> None:
    i = int(np.flatnonzero(bad)[0])
    raise t.range_error(f"{field}[{i}]", np.int64(values[i]).astype("datetime64[us]"))


class _Days:
    """Day look-ups of instants on one calendar (arithmetic when the offset is fixed)."""

    def __init__(self, t: CalendarTables) -> None:
        self.t = t
        self._midnight: I64 | None = None

    def midnights(self) -> I64:
        if self._midnight is None:
            t = self.t
            self._midnight = np.array([t.instant(i, 0) for i in range(t.n + 1)], dtype=np.int64)
        return self._midnight

    def day(self, field: str, x: I64) -> I64:
        """The local day index of each instant, checked against the range."""
        t = self.t
        if t.offset is not None:
            d = (x + t.offset) // US_PER_DAY - t.epoch0
        else:
            d = np.searchsorted(self.midnights(), x, side="right").astype(np.int64) - 1
        bad = (d < 0) | (d >= t.n)
        if bad.any():
            _raise_range(t, field, bad, x)
        return d

    def lcb(self, field: str, x: I64) -> I64:
        """The last day whose closing instant is strictly before each instant."""
        d = self.day(field, x)
        return d - (self.t.close_np[d] >= x)

    def lcr(self, field: str, x: I64) -> I64:
        """The last day whose closing instant is at or before each instant."""
        d = self.day(field, x)
        return d - (self.t.close_np[d] > x)


def _receipt(days: _Days, start: I64) -> I64:
    t = days.t
    i = days.day("start", start)
    offset = t.offset
    tod = (start + offset) % US_PER_DAY if offset is not None else start - days.midnights()[i]
    cutoff = np.asarray(t.cutoff, dtype=np.int64)[t.weekday_np[i]]
    same = (t.work_np[i] == 1) & (tod < cutoff)
    k = t.cum_np[i]
    late = ~same & (k >= t.nwork)
    if late.any():
        _raise_range(t, "receipt of start", late, start)
    return np.where(same, i, t.wday_np[np.minimum(k, t.nwork - 1)])


def _worked(days: _Days, field: str, x: I64) -> I64:
    t = days.t
    assert t.offset is not None
    i = days.day(field, x)
    tod = (x + t.offset) % US_PER_DAY
    wd = t.weekday_np[i]
    s = t.shift_start[wd]
    part = np.clip(tod[:, None], s, t.shift_end[wd]) - s
    prev = np.where(i > 0, t.cum_us_np[i - 1], 0)
    out: I64 = prev + np.where(t.work_np[i] == 1, part.sum(axis=1), 0)
    return out


def _add_working_time(days: _Days, anchor: I64, left: I64, quiet: npt.NDArray[np.bool_]) -> I64:
    t = days.t
    assert t.offset is not None
    target = _worked(days, "due anchor", anchor) + left
    j = np.searchsorted(t.cum_us_np, target, side="left")
    if j.size and j.max() >= t.n:
        bad = (j >= t.n) & ~quiet
        if bad.any():
            _raise_range(t, "working-hour due of anchor", bad, anchor)
        j = np.minimum(j, t.n - 1)
    rest = target - np.where(j > 0, t.cum_us_np[j - 1], 0)
    wd = t.weekday_np[j]
    cl = np.cumsum(t.shift_len, axis=1)[wd]
    # a row clamped to the last day above (its due is past the range, and discarded) may ask
    # for more than that day holds: keep its shift index in bounds
    s = np.minimum((cl < rest[:, None]).sum(axis=1), cl.shape[1] - 1)
    rows = np.arange(j.size)
    tod = t.shift_start[wd, s] + rest - (cl[rows, s] - t.shift_len[wd, s])
    due: I64 = (t.epoch0 + j) * US_PER_DAY + tod - t.offset
    return due


class _Segments:
    """The running segments of each clock, one pause slot at a time."""

    def __init__(self, arrays: ClockArrays, sel: _Index, at: int) -> None:
        self.start = arrays.start[sel]
        self.ps = arrays.pause_start[sel]
        self.pe = arrays.pause_end[sel]
        self.stop = arrays.stop[sel]
        self.at = at
        self.k = self.ps.shape[1]
        self.stopped = self.stop != NONE

    def __iter__(self) -> Any:
        """Yield ``(running, a, closed, b, open_)`` for each pause slot j = 0..K.

        ``closed`` rows run on ``[a, b)``; ``open_`` rows from ``a`` on (``running`` among
        them: those whose open segment has begun, not a projection of a pause); other rows
        hold safe fill values in ``a`` and ``b``.
        """
        for j in range(self.k + 1):
            if j == 0:
                exists = np.ones(self.start.size, dtype=np.bool_)
                a = self.start
                unknown = np.zeros(self.start.size, dtype=np.bool_)
            else:
                exists = self.ps[:, j - 1] != NONE
                raw = self.pe[:, j - 1]
                unknown = exists & (raw == NONE)
                a = np.where(exists & ~unknown, raw, self.start)
            if j < self.k:
                more = self.ps[:, j] != NONE
                b = np.where(more, self.ps[:, j], a)
            else:
                more = np.zeros(self.start.size, dtype=np.bool_)
                b = a
            last = exists & ~more
            tail = last & self.stopped & ~unknown & (a <= self.stop)
            closed = (exists & more) | tail
            b = np.where(tail, self.stop, b)
            open_ = last & ~self.stopped
            a = np.where(open_ & unknown, self.at, a)
            if not exists.any():
                return
            running = open_ & ~unknown & (a <= self.at)
            yield running, a, closed, b, open_


def _days_part(
    days: _Days,
    arrays: ClockArrays,
    sel: _Index,
    receipt: I64,
    at: int,
    quiet: npt.NDArray[np.bool_],
) -> tuple[I64, npt.NDArray[np.float64]]:
    t = days.t
    wd = arrays.unit[sel] == WD
    cum = t.cum_np
    need = arrays.total[sel].copy()
    n = need.size
    count = np.zeros(n, dtype=np.int64)
    found = np.zeros(n, dtype=np.bool_)
    due_lo = receipt.copy()
    tail = receipt.copy()
    hi_at = int(days.lcr("at", np.array([at], dtype=np.int64))[0])
    for running, a, closed, b, open_ in _Segments(arrays, sel, at):
        lo = np.maximum(days.lcb("instants", a), receipt)
        t_lo = np.where(wd, cum[lo], lo)
        hi = days.lcb("instants", b)
        ticks = np.where(closed & (hi > lo), np.where(wd, cum[hi], hi) - t_lo, 0)
        count += ticks
        nf = ~found
        hit = nf & closed & (ticks >= need)
        upd = nf & closed & ~hit
        need -= np.where(upd, ticks, 0)
        tail = np.where(upd, np.maximum(tail, hi), tail)
        ohit = nf & open_
        due_lo = np.where(hit | ohit, lo, due_lo)
        found |= hit | ohit
        if open_.any():
            t_at = np.where(wd, cum[max(hi_at, 0)], hi_at)
            ok = running & (hi_at > lo)
            count += np.where(ok, t_at - t_lo, 0)
    stop = arrays.stop[sel]
    stopped = ~found & (stop != NONE)
    if stopped.any():
        # stopped before the limit was used up: project from the stop
        last = days.lcb("stop", np.where(stopped, stop, arrays.start[sel]))
        tail = np.where(stopped, np.maximum(tail, last), tail)
    due_lo = np.where(found, due_lo, tail)
    k = np.where(wd, cum[due_lo] + need - 1, due_lo + need)
    bad = np.where(wd, k >= t.nwork, k >= t.n) & ~quiet
    if bad.any():
        _raise_range(t, "due of start", bad, arrays.start[sel])
    due = np.where(
        wd, t.wclose_np[np.minimum(k, t.nwork - 1)], t.calclose_np[np.minimum(k, t.n - 1)]
    )
    none = (due == NONE) & ~quiet
    if none.any():
        _raise_range(t, "due of start", none, arrays.start[sel])
    return due, count.astype(np.float64)


def _hours_part(
    days: _Days, arrays: ClockArrays, sel: _Index, at: int, quiet: npt.NDArray[np.bool_]
) -> tuple[I64, npt.NDArray[np.float64]]:
    t = days.t
    if t.offset is None:
        raise LimitError(
            f"unit={Unit.WORKING_HOURS.value}: bulk working-hour clocks need a zone with a "
            f"constant UTC offset over the calendar's range; {t.calendar.hours.zone} has none "
            f"(evaluate these clocks with CompiledClock or Clock.status)"
        )
    left = arrays.total[sel] * US_PER_HOUR
    n = left.size
    spent = np.zeros(n, dtype=np.int64)
    found = np.zeros(n, dtype=np.bool_)
    anchor = arrays.stop[sel].copy()
    w_at = int(_worked(days, "at", np.array([at], dtype=np.int64))[0])
    for _running, a, closed, b, open_ in _Segments(arrays, sel, at):
        w_a = _worked(days, "instants", a)
        got = np.where(closed, _worked(days, "instants", b) - w_a, 0)
        spent += got
        nf = ~found
        hit = nf & closed & (got >= left)
        left -= np.where(nf & closed & ~hit, got, 0)
        ohit = nf & open_
        anchor = np.where(hit | ohit, a, anchor)
        found |= hit | ohit
        spent += np.where(open_ & (at > a), w_at - w_a, 0)
    due = _add_working_time(days, anchor, left, quiet)
    return due, spent / US_PER_HOUR


def _dues(
    days: _Days,
    arrays: ClockArrays,
    receipt: I64,
    at: int,
    quiet: npt.NDArray[np.bool_] | None = None,
) -> tuple[I64, npt.NDArray[np.float64]]:
    """Due instants and elapsed units, unit by unit.

    The dues of ``quiet`` rows are not wanted (they are projected afterwards): they do not
    raise when out of range.
    """
    if quiet is None:
        quiet = np.zeros(len(arrays), dtype=np.bool_)
    n = len(arrays)
    due = np.empty(n, dtype=np.int64)
    elapsed = np.empty(n, dtype=np.float64)
    unit = arrays.unit
    is_days = (unit == WD) | (unit == CD)
    for mask, kind in ((is_days, "days"), (unit == WH, "hours"), (unit == SD, "same")):
        if not mask.any():
            continue
        sel: _Index = slice(None) if mask.all() else np.flatnonzero(mask)
        if kind == "days":
            due[sel], elapsed[sel] = _days_part(days, arrays, sel, receipt[sel], at, quiet[sel])
        elif kind == "hours":
            due[sel], elapsed[sel] = _hours_part(days, arrays, sel, at, quiet[sel])
        else:
            d = days.t.close_np[receipt[sel]]
            due[sel] = d
            end = np.where(arrays.stop[sel] != NONE, arrays.stop[sel], at)
            elapsed[sel] = (end >= d).astype(np.float64)
    return due, elapsed


def _restarted(arrays: ClockArrays, at: int) -> ClockArrays:
    """The arrays with every correction whose known end has passed turned into a restart."""
    if not (arrays.restart_total >= 0).any():
        return arrays
    last = arrays.last_pause()
    rows = np.arange(len(arrays))
    lpe = arrays.pause_end[rows, np.maximum(last, 0)] if arrays.pause_end.shape[1] else last
    done = np.flatnonzero(
        (arrays.restart_total >= 0)
        & (arrays.stop == NONE)
        & (last >= 0)
        & (lpe != NONE)
        & (lpe <= at)
    )
    if not done.size:
        return arrays
    out = arrays.take(slice(None))
    out.start = out.start.copy()
    out.total = out.total.copy()
    out.pause_start = out.pause_start.copy()
    out.pause_end = out.pause_end.copy()
    out.restart_total = out.restart_total.copy()
    out.start[done] = lpe[done]
    out.total[done] = out.restart_total[done]
    out.pause_start[done] = NONE
    out.pause_end[done] = NONE
    out.restart_total[done] = -1
    return out


def _at_us(at: dt.datetime | int | np.datetime64) -> int:
    if isinstance(at, np.datetime64):
        return int(at.astype("datetime64[us]").astype(np.int64))
    if isinstance(at, int):
        return at
    return to_us(at)


def evaluate(
    calendar: WorkCalendar, arrays: ClockArrays, at: dt.datetime | int | np.datetime64
) -> BulkStatus:
    """Every clock of ``arrays`` at ``at`` on ``calendar``: the supervision sweep.

    Element ``i`` of the result equals :meth:`Clock.status` of clock ``i`` (due, elapsed,
    remaining, state, level).

    Args:
        calendar: the hall calendar (every clock is counted on it).
        arrays: the clocks.
        at: the instant (an aware datetime, epoch µs or ``datetime64``).

    Raises:
        ClockStateError: a clock starts, pauses or stops after ``at``.
        CalendarRangeError: an instant or a due day lies outside the calendar's range.
        LimitError: working-hour clocks in a zone whose UTC offset changes over the range.
    """
    at_us = _at_us(at)
    t = calendar_tables(calendar)
    days = _Days(t)
    n = len(arrays)
    late = (arrays.start > at_us) | (arrays.stop > at_us) | (arrays.pause_start > at_us).any(1)
    if late.any():
        i = int(np.flatnonzero(late)[0])
        raise ClockStateError(
            f"arrays[{i}]",
            f"be read at {np.datetime64(at_us, 'us')}",
            "not started",
            "its start, pauses and stop must not be after the instant asked about",
        )
    arrays = _restarted(arrays, at_us)
    receipt = _receipt(days, arrays.start) if n else np.zeros(0, dtype=np.int64)
    stopped = arrays.stop != NONE
    last = arrays.last_pause()
    rows = np.arange(n)
    lpe = arrays.pause_end[rows, np.maximum(last, 0)] if arrays.pause_end.shape[1] else last
    paused = (last >= 0) & ((lpe == NONE) | (lpe > at_us))
    state = np.where(stopped, STOPPED, np.where(paused, PAUSED, RUNNING)).astype(np.int8)
    projected = paused & ~stopped & (arrays.restart_total >= 0)
    project = np.flatnonzero(projected)
    due, elapsed = _dues(days, arrays, receipt, at_us, projected)
    unit = arrays.unit
    total = arrays.total.astype(np.float64)
    same = unit == SD
    remaining = np.where(same, 1.0 - elapsed, total - elapsed)
    if project.size:
        # a correction is projected to end at its known end (or now), and restarts there
        sub = arrays.take(project)
        lpe_sub = lpe[project]
        sub.start = np.where(lpe_sub == NONE, at_us, lpe_sub)
        sub.total = sub.restart_total.copy()
        sub.pause_start = np.full((project.size, 0), NONE, dtype=np.int64)
        sub.pause_end = sub.pause_start.copy()
        due[project] = _dues(days, sub, _receipt(days, sub.start), at_us)[0]
    level = np.where(
        stopped,
        0,
        np.where(
            at_us > due,
            3,
            np.where(~same & (remaining <= arrays.remind_before), 2, 1),
        ),
    ).astype(np.int8)
    end = np.where(stopped, arrays.stop, at_us)
    due_day = days.day("due", due) if n else receipt
    prov = t.cum_prov
    lo, hi = np.minimum(receipt, due_day), np.maximum(receipt, due_day)
    provisional = prov[hi] - np.where(lo > 0, prov[lo - 1], 0) > 0
    return BulkStatus(
        at=np.datetime64(at_us, "us"),
        due=due.view("datetime64[us]"),
        elapsed=elapsed,
        remaining=remaining,
        state=state,
        level=level,
        overdue=end > due,
        receipt=(receipt + t.epoch0).astype("datetime64[D]"),
        provisional=provisional,
    )


class Recomputed:
    """The due dates that moved when one calendar replaced another.

    Attributes:
        indices: the clocks whose due instant changed (positions in the arrays).
        old_due: their due instants on the old calendar (``datetime64[us]``).
        new_due: their due instants on the new calendar.
        delta: ``new_due - old_due`` (``timedelta64[us]``).
        delta_working_days: working days on the new calendar from the old due day to the
            new one (negative when the due date moved earlier).
        old: every clock on the old calendar.
        new: every clock on the new calendar.
    """

    __slots__ = ("delta", "delta_working_days", "indices", "new", "new_due", "old", "old_due")

    def __init__(
        self,
        indices: npt.NDArray[np.intp],
        old_due: npt.NDArray[Any],
        new_due: npt.NDArray[Any],
        delta: npt.NDArray[Any],
        delta_working_days: I64,
        old: BulkStatus,
        new: BulkStatus,
    ) -> None:
        self.indices = indices
        self.old_due = old_due
        self.new_due = new_due
        self.delta = delta
        self.delta_working_days = delta_working_days
        self.old = old
        self.new = new

    def __len__(self) -> int:
        return int(self.indices.size)


def recompute(
    old_calendar: WorkCalendar,
    new_calendar: WorkCalendar,
    arrays: ClockArrays,
    at: dt.datetime | int | np.datetime64,
) -> Recomputed:
    """Which due dates move, and by how much, when ``new_calendar`` replaces ``old_calendar``.

    The case in point: the State Council's notice for a year is published and replaces the
    provisional year (``china(years=[...])``); every open clock whose count reaches that
    year is recomputed, and those whose due date moves are reported (the applicant and the
    department are told). Receipt days are recomputed on each calendar; excluded periods
    keep the ends stored in ``arrays``.

    Raises:
        CalendarRangeError: a due day lies outside either calendar's range.
    """
    old = evaluate(old_calendar, arrays, at)
    new = evaluate(new_calendar, arrays, at)
    idx = np.flatnonzero(old.due != new.due)
    od = old.due[idx]
    nd = new.due[idx]
    t = calendar_tables(new_calendar)
    days = _Days(t)
    d_old = days.day("old due", od.view(np.int64))
    d_new = days.day("new due", nd.view(np.int64))
    delta_wd = t.cum_np[d_new] - t.cum_np[d_old]
    return Recomputed(idx, od, nd, nd - od, delta_wd, old, new)
