"""Escalation ladders as data: thresholds on a clock's remaining time, one by one or in bulk.

A locality's supervision rules often read "so many days before the limit, tell the window; at
the limit, remind the department; so many days after, warn; later still, refer". A
:class:`Ladder` states such a rule as data — :class:`Rung` values, each with a threshold in
the clock's own day unit — so that a sweep evaluates it over a million clocks with numpy
(:meth:`Ladder.bulk`) and the same rule on one :class:`~hallflow.timeline.clock.ClockStatus`
(:meth:`Ladder.reached`, the reference). The two agree element by element (a property test
checks it).

When a rung is reached, for a running clock (a paused, stopped or closed clock reaches
nothing — a paused clock is not counting, a stopped one is closed):

* a clock counted in working or calendar days: ``remaining <= threshold``, ``remaining`` being
  in the clock's unit (working days for a working-day clock). A threshold of 3 is "3 days or
  less before the limit", 0 "at the limit", -3 "3 days past it";
* a same-day or working-hour clock (the wall-time rule): it has no days to count down, so a
  rung before the limit (threshold > 0) is reached once the clock is overdue, or, for a
  working-hour clock, once it enters its reminder window; a rung at the limit (0) once it is
  overdue; and a rung after the limit (threshold -n) once it has been overdue for n days of
  wall time (``overdue_by >= n days``).

This module depends on clock statuses only: escalation actions are plain strings (the values
of :class:`hallflow.plugins.policy.EscalationAction`), and turning a reached rung into an
``Escalation`` is the caller's job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from hallflow.errors import LadderError
from hallflow.timeline.bulk import BulkStatus
from hallflow.timeline.clock import ClockState, ClockStatus, WarningLevel
from hallflow.timeline.compiled import CD, RUNNING, US_PER_DAY, WD, WH
from hallflow.timeline.limits import Unit
from hallflow.timeline.words import clock_words

__all__ = ["ACTIONS", "MAX_RUNGS", "NOTE_FIELDS", "Ladder", "Rung", "combine", "note_fields"]

ACTIONS = ("reminder", "warning", "referral", "deemed_approval")
"""The actions a rung may take (the values of ``EscalationAction``)."""

MAX_RUNGS = 31
"""The most rungs the ladders of one matter may have together (a bit each in a 32-bit mask)."""

NOTE_FIELDS = ("clock", "days", "due", "remaining", "left", "left_zh")
"""The fields a rung's note template may name: ``{clock}`` (its name), ``{days}`` (what the
thresholds count: ``working days`` for a working-day clock, else ``days``), ``{due}`` (the
due instant, ``YYYY-MM-DD HH:MM`` in the clock's zone), ``{remaining}`` (units left in the
clock's unit, ``%g``), and the clock's position in words (:func:`~hallflow.timeline.words.
clock_words`): ``{left}`` in English ("2 working days left", "overdue by 1 working day
(18 hours)"), ``{left_zh}`` in Chinese ("还剩 2 个工作日")."""

_DAY = dt.timedelta(days=1)


def _text(name: str, *, empty: bool = False) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str) or (not empty and not value.strip()):
            raise LadderError(name, "must be a " + ("str" if empty else "non-empty str"), value)

    return check


def _action(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or str(value) not in ACTIONS:
        raise LadderError("action", f"must be one of {list(ACTIONS)}", value)


def _threshold(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or not -3660 <= value <= 3660:
        raise LadderError("threshold", "must be an int of days in -3660..3660", value)


def _clocks(value: object) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, (set, frozenset, list, tuple)):
        raise LadderError("clocks", "must be a set of clock names", value)
    names = frozenset(value)
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise LadderError("clocks", "must name at least one clock, each a non-empty str", value)
    return names


def note_fields(status: ClockStatus) -> dict[str, str]:
    """The values a note template is filled with, for ``status`` (see :data:`NOTE_FIELDS`).

    The words (``left``, ``left_zh``) are put together only if a template asks for them.
    """
    return _Fields(
        status,
        {
            "clock": status.name,
            "days": "working days" if status.limit.unit is Unit.WORKING_DAYS else "days",
            "due": f"{status.due:%Y-%m-%d %H:%M}",
            "remaining": f"{status.remaining:g}",
        },
    )


class _Fields(dict[str, str]):
    """Note fields whose words are made when a template first names them."""

    def __init__(self, status: ClockStatus, plain: dict[str, str]) -> None:
        super().__init__(plain)
        self._status = status

    def __missing__(self, key: str) -> str:
        if key == "left":
            value = clock_words(self._status, "en")
        elif key == "left_zh":
            value = clock_words(self._status, "zh")
        else:
            raise KeyError(key)
        self[key] = value
        return value


_SAMPLE = {
    "clock": "promised",
    "days": "days",
    "due": "2026-11-30 17:30",
    "remaining": "3",
    "left": "3 working days left",
    "left_zh": "还剩 3 个工作日",
}


def _note(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise LadderError("note", "must be a str (a template)", value)
    try:
        value.format_map(_SAMPLE)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise LadderError(
            "note", f"must be a template naming only {list(NOTE_FIELDS)} ({exc!r})", value
        ) from None


@attrs.define(frozen=True, slots=True)
class Rung:
    """One step of an escalation ladder (a 催办 rung): when it is reached, what it does, to whom.

    Attributes:
        code: a stable code; an escalation is recorded once per case, clock and code.
        action: ``reminder``, ``warning``, ``referral`` or ``deemed_approval``.
        to: the addressee (the window, the department, the supervision authority...).
        note: the notice's text, a template naming fields of :data:`NOTE_FIELDS`.
        clocks: the names of the clocks it watches (``promised``, ``legal``, ``delivery``).
        threshold: days in the clock's own day unit: positive before the limit, 0 at it,
            negative after it (see the module docstring for same-day and working-hour clocks).

    Raises:
        LadderError: a field is malformed (the error names it).
    """

    code: str = attrs.field(validator=_text("code"))
    action: str = attrs.field(validator=_action)
    to: str = attrs.field(validator=_text("to"))
    note: str = attrs.field(validator=_note)
    clocks: frozenset[str] = attrs.field(converter=_clocks)
    threshold: int = attrs.field(validator=_threshold)

    def reached(self, status: ClockStatus) -> bool:
        """Whether a clock with ``status`` has reached this rung (clock names aside)."""
        if status.state is not ClockState.RUNNING or status.level is WarningLevel.CLOSED:
            return False
        unit = status.limit.unit
        if unit is Unit.WORKING_DAYS or unit is Unit.CALENDAR_DAYS:
            return status.remaining <= self.threshold
        late = status.overdue_by
        overdue = status.level is WarningLevel.OVERDUE or late > dt.timedelta(0)
        if self.threshold > 0:
            return overdue or (unit is Unit.WORKING_HOURS and status.level is WarningLevel.REMINDER)
        if self.threshold == 0:
            return overdue
        return late >= -self.threshold * _DAY

    def text(self, status: ClockStatus) -> str:
        """The note, filled in for ``status``."""
        return self.note.format_map(note_fields(status))


def _rungs(value: object) -> tuple[Rung, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise LadderError("rungs", "must be a sequence of Rung", value)
    rungs = tuple(value)
    if not rungs or not all(isinstance(r, Rung) for r in rungs):
        raise LadderError("rungs", "must hold at least one Rung, and only Rungs", value)
    if len(rungs) > MAX_RUNGS:
        raise LadderError("rungs", f"at most {MAX_RUNGS} rungs", len(rungs))
    codes = [r.code for r in rungs]
    if len(set(codes)) != len(codes):
        raise LadderError("rungs", "codes must be unique within a ladder", codes)
    return rungs


@attrs.define(frozen=True, slots=True)
class Ladder:
    """An escalation ladder (催办 ladder): rungs evaluated on each clock they watch.

    Attributes:
        name: what the ladder is (``zhenlai``).
        rungs: its rungs, in the order they are recorded when several are reached at once.
        source: where the rule comes from (seed and article).

    Raises:
        LadderError: no rungs, too many, duplicate codes, or a malformed field.
    """

    name: str = attrs.field(validator=_text("name"))
    rungs: tuple[Rung, ...] = attrs.field(converter=_rungs)
    source: str = attrs.field(default="", validator=_text("source", empty=True))

    def reached(self, status: ClockStatus) -> tuple[Rung, ...]:
        """The rungs a clock with ``status`` has reached, in ladder order (the reference).

        The clock's name is ``status.name``; a rung that does not watch it is not reached.
        Total over every status: it never raises.
        """
        return tuple(r for r in self.rungs if status.name in r.clocks and r.reached(status))

    def mask(self, status: ClockStatus) -> int:
        """The rungs reached as a bit mask (bit ``i`` for ``rungs[i]``)."""
        return sum(
            1 << i
            for i, r in enumerate(self.rungs)
            if status.name in r.clocks and r.reached(status)
        )

    def bulk(
        self,
        status: BulkStatus,
        unit: npt.NDArray[np.int8],
        clock: npt.NDArray[np.integer[Any]],
        names: Sequence[str],
    ) -> npt.NDArray[np.int64]:
        """The rungs each clock of a bulk evaluation has reached, as bit masks.

        Element ``i`` equals :meth:`mask` of the :class:`ClockStatus` that element ``i`` of
        ``status`` stands for.

        Args:
            status: the clocks at one instant (:func:`hallflow.timeline.bulk.evaluate`).
            unit: each clock's unit code (``ClockArrays.unit``).
            clock: each clock's name, as an index into ``names``.
            names: the clock names the indices stand for.

        Raises:
            LadderError: the arrays' lengths differ.
        """
        n = len(status)
        if unit.shape != (n,) or clock.shape != (n,):
            raise LadderError(
                "bulk", f"unit and clock must have shape ({n},)", (unit.shape, clock.shape)
            )
        out = np.zeros(n, dtype=np.int64)
        running = (status.state == RUNNING) & (status.level != int(WarningLevel.CLOSED))
        if not running.any():
            return out
        days = (unit == WD) | (unit == CD)
        late = status.at.astype(np.int64) - status.due.view(np.int64)
        overdue = (status.level == int(WarningLevel.OVERDUE)) | (late > 0)
        reminder = (unit == WH) & (status.level == int(WarningLevel.REMINDER))
        for i, rung in enumerate(self.rungs):
            codes = [k for k, name in enumerate(names) if name in rung.clocks]
            if not codes:
                continue
            watched = running & np.isin(clock, codes)
            th = rung.threshold
            if th > 0:
                by_time = overdue | reminder
            elif th == 0:
                by_time = overdue
            else:
                by_time = late >= -th * US_PER_DAY
            hit = watched & np.where(days, status.remaining <= th, by_time)
            out |= hit.astype(np.int64) << i
        return out


def combine(ladders: Sequence[Ladder]) -> Ladder | None:
    """The ladders of one matter as one (their rungs in order), or None when there are none.

    Raises:
        LadderError: two ladders share a rung code, or together have too many rungs.
    """
    found = tuple(ladders)
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    rungs = tuple(r for ladder in found for r in ladder.rungs)
    return Ladder("+".join(ladder.name for ladder in found), rungs)
