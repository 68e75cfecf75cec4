"""A naive recount of the report's figures, the reference for :mod:`hallflow.supervision.stats`.

Deliberately simple and slow: it loads the whole log into memory, then counts each figure
separately with a comprehension over the raw :class:`~hallflow.store.base.StoredEvent`
lists, straight from the definitions in docs/reports.md. It shares no code with the
streaming computation except the lower layers it stands on (the case fold, the clocks, the
hall's fee quotes), which have their own tests. Only for tests: use
:func:`hallflow.supervision.stats.compute`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hallflow.cases.case import fold
from hallflow.cases.hall import Hall
from hallflow.model.catalogue import IMMEDIATE
from hallflow.store.base import StoredEvent
from hallflow.timeline.clock import Outcome, WarningLevel
from hallflow.timeline.limits import Unit

__all__ = ["recount"]

_Events = list[StoredEvent]


def _frac(part: Any, whole: int) -> Fraction | None:
    return None if whole == 0 else Fraction(part, whole)


def recount(
    hall: Hall, first: dt.date, last: dt.date, grouping: str
) -> dict[str, dict[str, object]]:
    """Every group's figures (by column name, exact values) and ``"*total*"``, naively.

    Args:
        hall: the hall whose store is read.
        first: the period's first day.
        last: the period's last day.
        grouping: ``hall``, ``window``, ``department``, ``matter`` or ``staff``.
    """
    tz = hall.calendar.hours.tzinfo
    start = dt.datetime(first.year, first.month, first.day, tzinfo=tz)
    nxt = last + dt.timedelta(days=1)
    end = dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)

    # the whole log, cut at the period's end
    log: dict[str, _Events] = {}
    for stream in hall.store.case_ids():
        kept = [e for e in hall.store.load(stream) if e.at < end]
        if kept:
            log[stream] = kept
    cases = {s: evs for s, evs in log.items() if not s.startswith("hallflow:")}
    ratings = {s: evs for s, evs in log.items() if s.startswith("hallflow:rating:")}
    complaints = {s: evs for s, evs in log.items() if s.startswith("hallflow:complaint:")}

    def during(at: dt.datetime) -> bool:
        return start <= at < end

    def kinds(evs: _Events) -> list[str]:
        return [e.kind for e in evs]

    def first_of(evs: _Events, *wanted: str) -> StoredEvent | None:
        for e in evs:
            if e.kind in wanted:
                return e
        return None

    def department_of_matter(code: str) -> str:
        return hall.catalogue.get(code).department

    def case_group(evs: _Events) -> str:
        sub = evs[0].payload
        if grouping == "hall":
            return "hall"
        if grouping == "window":
            return str(sub["window"])
        if grouping == "matter":
            return str(sub["matter"])
        if grouping == "department":
            return department_of_matter(str(sub["matter"]))
        decider = first_of(evs, "accepted", "accepted_with_gaps", "not_accepted")
        if decider is not None:
            return decider.actor
        return "-" if sub.get("channel") == "online" else evs[0].actor

    def side_group(payload: Mapping[str, Any]) -> str:
        if grouping == "hall":
            return "hall"
        if grouping == "department":
            if payload.get("department") is not None:
                return str(payload["department"])
            matter = payload.get("matter")
            codes = [m.code for m in hall.catalogue]
            if matter is not None and matter in codes:
                return department_of_matter(str(matter))
            return "-"
        value = payload.get(grouping)
        return "-" if value is None else str(value)

    def local_day(at: dt.datetime) -> dt.date:
        return at.astimezone(tz).date()

    period_days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    working = [day for day in period_days if hall.calendar.is_working_day(day)]

    groups = {case_group(evs) for evs in cases.values()}
    groups |= {side_group(evs[0].payload) for evs in ratings.values()}
    groups |= {side_group(evs[0].payload) for evs in complaints.values()}

    result: dict[str, dict[str, object]] = {}
    for group in [*sorted(groups), "*total*"]:

        def mine(evs: _Events, group: str = group) -> bool:
            return group == "*total*" or case_group(evs) == group

        def mine_side(evs: _Events, group: str = group) -> bool:
            return group == "*total*" or side_group(evs[0].payload) == group

        my_cases = [evs for evs in cases.values() if mine(evs)]
        received = [evs for evs in my_cases if during(evs[0].at)]
        accepted = [
            evs
            for evs in my_cases
            if (a := first_of(evs, "accepted", "accepted_with_gaps")) is not None and during(a.at)
        ]
        closed = [
            evs
            for evs in my_cases
            if (d := first_of(evs, "delivered")) is not None and during(d.at)
        ]
        outcomes: list[Outcome | None] = []
        used: list[Fraction] = []
        promised: list[int] = []
        fees = Decimal(0)
        visits = 0
        on_site = 0
        online = 0
        immediate = 0
        for evs in closed:
            case = fold(evs)
            assert case.sealed_at is not None and case.decision is not None
            status = hall.clocks(case)["promised"].status(case.sealed_at)
            outcomes.append(status.outcome)
            if status.limit.unit in (Unit.WORKING_DAYS, Unit.SAME_DAY):
                used.append(status.limit.amount - Fraction(status.margin))
                promised.append(status.limit.amount)
            if case.decision.approved:
                fees += hall.quote(case.case_id).total
            channel = evs[0].payload.get("channel")
            delivery = first_of(evs, "delivered")
            assert delivery is not None
            days = set()
            if channel == "window":
                days.add(local_day(evs[0].at))
                for e in evs:
                    if e.kind in ("materials_supplied", "deferred_supplied"):
                        days.add(local_day(e.at))
            if delivery.payload["method"] == "in_person":
                days.add(local_day(delivery.at))
            visits += len(days)
            if (
                channel == "window"
                and delivery.payload["method"] == "in_person"
                and local_day(evs[0].at) == local_day(delivery.at)
            ):
                on_site += 1
            if channel == "online" and delivery.payload["method"] != "in_person":
                online += 1
            if hall.catalogue.get(str(evs[0].payload["matter"])).kind == IMMEDIATE:
                immediate += 1
        overdue = 0
        for evs in my_cases:
            if any(k in ("delivered", "not_accepted", "withdrawn") for k in kinds(evs)):
                continue
            case = fold(evs)
            if case.closed:
                continue
            clock = hall.clocks(case).get("promised")
            if clock is None:
                continue
            when = end if end > clock.events[-1].at else clock.events[-1].at
            if clock.status(when).level is WarningLevel.OVERDUE:
                overdue += 1

        # ratings: the first event is `rated`, in the period; withdrawn bad ones left out
        my_ratings = [
            evs
            for evs in ratings.values()
            if evs[0].kind == "rated" and during(evs[0].at) and mine_side(evs)
        ]

        def withdrawn(evs: _Events) -> bool:
            return evs[0].payload["level"] <= 2 and any(
                e.kind == "rating_verified" and e.payload["valid"] is False for e in evs
            )

        counted = [evs for evs in my_ratings if not withdrawn(evs)]
        good = [evs for evs in counted if evs[0].payload["level"] >= 3]
        bad = [evs for evs in counted if evs[0].payload["level"] <= 2]
        rectified = [evs for evs in bad if "rating_rectified" in kinds(evs)]
        my_complaints = [
            evs
            for evs in complaints.values()
            if evs[0].kind == "complaint_received" and during(evs[0].at) and mine_side(evs)
        ]
        corrections_on_closed = sum(kinds(evs).count("correction_requested") for evs in closed)
        early = outcomes.count(Outcome.EARLY)
        on_time = outcomes.count(Outcome.ON_TIME)
        used_sorted = sorted(used)
        rank = -(-9 * len(used_sorted) // 10)  # ceil(0.9 n), in integers
        p90 = used_sorted[rank - 1] if used_sorted else None
        result[group] = {
            "received": len(received),
            "accepted": len(accepted),
            "closed": len(closed),
            "closure_rate": _frac(len(closed), len(received)),
            "per_working_day": _frac(len(received), len(working)),
            "immediate_share": _frac(immediate, len(closed)),
            "on_site_rate": _frac(on_site, len(closed)),
            "early": early,
            "on_time": on_time,
            "late": outcomes.count(Outcome.LATE),
            "on_time_rate": _frac(early + on_time, len(closed)),
            "early_rate": _frac(early, len(closed)),
            "average_used": _frac(sum(used, Fraction(0)), len(used)),
            "p90_used": p90,
            "average_promised": _frac(sum(promised), len(promised)),
            "open_overdue": overdue,
            "corrections_per_case": _frac(corrections_on_closed, len(closed)),
            "visits_per_case": _frac(visits, len(closed)),
            "satisfaction_rate": _frac(len(good), len(counted)),
            "rectification_rate": _frac(len(rectified), len(bad)),
            "complaints_per_1000": _frac(len(my_complaints) * 1000, len(received)),
            "fees": fees,
            "online_rate": _frac(online, len(closed)),
            "rating_levels": {
                level: sum(1 for evs in counted if evs[0].payload["level"] == level)
                for level in range(1, 6)
            },
        }
    return result
