"""Clocks packed into bytes, the form a store keeps them in for the supervision sweep.

A case's open clocks are stored with its query row (one ``bytes`` value, written in the same
transaction as the events) so that a sweep reads a million of them without folding a single
case. The format is little-endian ``int64`` words:

* a header of three words: the number of clocks ``n``, the pause slots per clock ``K``, and
  the instant of the case's last event (epoch µs);
* ``n`` records of ``7 + 2K`` words: the clock's code (what the caller's name table says it
  is), then ``start``, ``total``, ``unit``, ``stop``, ``remind_before``, ``restart_total`` and
  ``K`` pairs ``(pause_start, pause_end)`` — exactly the columns of
  :class:`~hallflow.timeline.bulk.ClockArrays`, with :data:`~hallflow.timeline.compiled.NONE`
  for "none".

:func:`clock_words` turns a :class:`~hallflow.timeline.clock.Clock` into such a record (its
state at an instant, as :meth:`ClockArrays.from_clocks` reduces it), :func:`pack` builds the
bytes and :func:`unpack` turns many of them back into one :class:`ClockArrays`, vectorized.

The sweep also keeps, per case, what it has acknowledged of each clock: the warning level and
the ladder rungs (a bit mask) it last saw. :func:`pack_swept` and :func:`unpack_swept` read
and write that, as ``int32`` pairs for :data:`CODES` clock codes.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from hallflow.errors import BulkInputError
from hallflow.timeline.bulk import ClockArrays
from hallflow.timeline.clock import Clock, WarningLevel
from hallflow.timeline.compiled import NONE, UNITS, compile_clock, to_us
from hallflow.timeline.events import Started

__all__ = [
    "BASELINE",
    "CODES",
    "Unpacked",
    "clock_words",
    "pack",
    "pack_swept",
    "unpack",
    "unpack_swept",
    "with_last",
]

CODES = 8
"""How many clock codes a swept state holds (codes 0..7)."""

BASELINE = int(WarningLevel.NORMAL)
"""The level a clock is taken to be acknowledged at when nothing is stored: normal."""

_HEAD = 3
_FIXED = 7
_WORD = np.dtype("<i8")
_LAST = struct.Struct("<q")


def clock_words(code: int, clock: Clock, at: dt.datetime) -> list[int]:
    """The record of ``clock`` as known at ``at`` (see the module docstring), without the pads.

    Returns:
        ``[code, start, total, unit, stop, remind_before, restart_total, ps0, pe0, ...]``.

    Raises:
        ClockStateError: ``at`` is before the clock started.
        CalendarRangeError: an instant lies outside the calendar's range.
    """
    events = clock.events
    unit = UNITS.index(clock.limit.unit)
    if len(events) == 1 and isinstance(events[0], Started) and events[0].at <= at:
        # a clock that only started: nothing to reduce
        start = to_us(events[0].at)
        return [code, start, clock.limit.amount, unit, NONE, clock.policy.remind_before, -1]
    s = compile_clock(clock, at)
    iv = list(s.intervals)
    pauses = [(iv[j][1], iv[j + 1][0]) for j in range(len(iv) - 1)]
    if s.stop is not None:
        if iv and iv[-1][1] != s.stop:
            pauses.append((iv[-1][1], NONE))
    elif iv:
        pauses.append((iv[-1][1], NONE if s.open_from is None else s.open_from))
    words = [
        code,
        s.start,
        s.total,
        s.unit,
        NONE if s.stop is None else s.stop,
        s.remind_before,
        -1 if s.restart_total is None else s.restart_total,
    ]
    for a, b in pauses:
        words += (a, b)
    return words


def pack(last: int, records: Iterable[Sequence[int]]) -> bytes:
    """The bytes of a case's clocks (records from :func:`clock_words`) and last-event instant."""
    recs = list(records)
    k = max(((len(r) - _FIXED) // 2 for r in recs), default=0)
    words = [len(recs), k, last]
    for r in recs:
        words += r
        if len(r) < _FIXED + 2 * k:
            words += [NONE] * (_FIXED + 2 * k - len(r))
    return struct.pack(f"<{len(words)}q", *words)


def with_last(blob: bytes, last: int) -> bytes:
    """``blob`` with the case's last-event instant replaced by ``last``."""
    return blob[:16] + _LAST.pack(last) + blob[24:]


class Unpacked(NamedTuple):
    """Many packed cases as one set of arrays.

    Attributes:
        arrays: every clock of every case.
        owner: for each clock, the index of its case in the input.
        code: for each clock, its code.
        last: for each case, the instant of its last event (epoch µs).
    """

    arrays: ClockArrays
    owner: npt.NDArray[np.intp]
    code: npt.NDArray[np.int64]
    last: npt.NDArray[np.int64]


def unpack(blobs: Sequence[bytes]) -> Unpacked:
    """Turn the packed clocks of many cases into one :class:`ClockArrays` (vectorized).

    Clocks come out grouped by case, in the order of ``blobs``.

    Raises:
        BulkInputError: a value is not a well-formed packed clock set.
    """
    m = len(blobs)
    lengths = np.fromiter(map(len, blobs), dtype=np.int64, count=m)
    bad = np.flatnonzero((lengths % 8 != 0) | (lengths < 8 * _HEAD))
    if bad.size:
        raise BulkInputError(f"packed clocks[{int(bad[0])}]: not a packed clock set")
    order = np.argsort(lengths, kind="stable")
    cuts = np.flatnonzero(np.diff(lengths[order])) + 1
    last = np.empty(m, dtype=np.int64)
    parts: list[tuple[npt.NDArray[np.intp], npt.NDArray[np.int64], int]] = []
    for group in np.split(order, cuts) if m else []:
        width = int(lengths[group[0]]) // 8
        data = np.frombuffer(b"".join([blobs[i] for i in group.tolist()]), dtype=_WORD)
        data = data.reshape(group.size, width)
        last[group] = data[:, 2]
        heads = data[:, :2]
        if (heads == heads[0]).all():  # the usual case: one shape per length
            shapes = [heads[0].tolist()]
        else:
            shapes = np.unique(heads, axis=0).tolist()
        for n, k in shapes:
            sel = (
                np.arange(group.size)
                if len(shapes) == 1
                else np.flatnonzero((heads[:, 0] == n) & (heads[:, 1] == k))
            )
            if n < 0 or k < 0 or width != _HEAD + n * (_FIXED + 2 * k):
                raise BulkInputError(f"packed clocks[{int(group[sel[0]])}]: bad header {n}, {k}")
            if n == 0:
                continue
            recs = data[sel, _HEAD:].reshape(sel.size * n, _FIXED + 2 * k)
            parts.append((np.repeat(group[sel], n), recs, k))
    kmax = max((k for _, _, k in parts), default=0)
    total = sum(p[0].size for p in parts)
    owner = np.empty(total, dtype=np.intp)
    table = np.full((total, _FIXED + 2 * kmax), NONE, dtype=np.int64)
    row = 0
    for who, recs, k in parts:
        end = row + who.size
        owner[row:end] = who
        table[row:end, : _FIXED + 2 * k] = recs
        row = end
    if len(parts) > 1:
        by_case = np.argsort(owner, kind="stable")
        owner, table = owner[by_case], table[by_case]
    arrays = ClockArrays(
        start=table[:, 1],
        total=table[:, 2],
        unit=table[:, 3].astype(np.int8),
        pause_start=table[:, _FIXED::2],
        pause_end=table[:, _FIXED + 1 :: 2],
        stop=table[:, 4],
        remind_before=table[:, 5],
        restart_total=table[:, 6],
    )
    return Unpacked(arrays, owner, table[:, 0].copy(), last)


def pack_swept(state: Mapping[int, tuple[int, int]]) -> bytes:
    """The sweep's acknowledged state of a case: ``{code: (level, rung mask)}``.

    Codes not given are at the baseline (level normal, no rung).
    """
    words = np.zeros((CODES, 2), dtype="<i4")
    words[:, 0] = BASELINE
    for code, (level, mask) in state.items():
        words[code] = (level, mask)
    return words.tobytes()


def unpack_swept(
    values: Sequence[bytes | None],
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """The acknowledged levels and rung masks of many cases, each of shape ``(m, CODES)``.

    ``None`` (nothing acknowledged) reads as the baseline.

    Raises:
        BulkInputError: a value is not a packed swept state.
    """
    m = len(values)
    levels = np.full((m, CODES), BASELINE, dtype=np.int32)
    masks = np.zeros((m, CODES), dtype=np.int32)
    have = [i for i, v in enumerate(values) if v is not None]
    if have:
        raw = [values[i] for i in have]
        if any(len(v) != CODES * 8 for v in raw if v is not None):
            raise BulkInputError("swept state: not a packed swept state")
        data = np.frombuffer(b"".join(v for v in raw if v is not None), dtype="<i4")
        data = data.reshape(len(have), CODES, 2)
        levels[have] = data[:, :, 0]
        masks[have] = data[:, :, 1]
    return levels, masks
