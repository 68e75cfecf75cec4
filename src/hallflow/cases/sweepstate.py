"""What a case's row keeps for the supervision sweep: its open clocks, packed.

:func:`packed_clocks` is computed by :meth:`Pipeline.row` in the transaction that appends
the case's events, so the bulk sweep (:mod:`hallflow.supervision.sweep`) reads every open
clock of a hall without folding a case. It holds exactly the clocks :meth:`Hall.clocks`
builds that have not stopped (a stopped clock's level is closed for good and no ladder rung
is reached on it), in the form :mod:`hallflow.timeline.packed` defines; a clock that only
started is written without building a :class:`~hallflow.timeline.clock.Clock`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hallflow.cases.case import Case
from hallflow.cases.lifecycle import CaseState
from hallflow.timeline.compiled import NONE, UNITS, to_us
from hallflow.timeline.events import Started, Stopped
from hallflow.timeline.limits import Limit
from hallflow.timeline.packed import clock_words, pack

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = ["CLOCK_NAMES", "SWEPT_STATES", "packed_clocks"]

CLOCK_NAMES = ("promised", "legal", "delivery")
"""The clocks of a case (:meth:`Hall.clocks`), by code: ``CLOCK_NAMES[code]``."""

SWEPT_STATES = frozenset(
    {CaseState.REVIEWING, CaseState.SUSPENDED, CaseState.DECIDED, CaseState.SEALED}
)
"""The states a supervision sweep reads a case in."""


def _started(code: int, limit: Limit, at_us: int, remind_before: int) -> list[int]:
    return [code, at_us, limit.amount, UNITS.index(limit.unit), NONE, remind_before, -1]


def packed_clocks(hall: Hall, case: Case) -> bytes:
    """The packed open clocks of ``case`` as known at its last event (``b""`` when none).

    Raises:
        HistoryError: the case's events do not make valid clocks.
    """
    if case.state not in SWEPT_STATES:
        return b""
    last = case.history[-1].at
    policy = hall.settings.clock_policy
    records: list[list[int]] = []
    events = case.clock_events
    if events and not isinstance(events[-1], Stopped):
        matter = hall.catalogue.get(case.matter)
        if len(events) == 1 and isinstance(events[0], Started) and not case.extensions:
            start = to_us(events[0].at)
            records.append(_started(0, matter.promised_limit, start, policy.remind_before))
            records.append(_started(1, matter.legal_limit, start, policy.remind_before))
        else:
            clocks = hall.clocks(case)
            records.append(clock_words(0, clocks["promised"], last))
            records.append(clock_words(1, clocks["legal"], last))
    if case.decision is not None and not any(e.kind == "delivered" for e in case.history):
        records.append(
            _started(2, hall.settings.delivery, to_us(case.decision.at), policy.remind_before)
        )
    if not records:
        return b""
    return pack(to_us(last), records)
