"""Joint cases (联办): co-departments' opinions, their order, and silence past a deadline."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from hallflow.cases.case import Case, limit_to
from hallflow.cases.commands import GiveOpinion, SweepOpinions
from hallflow.cases.lifecycle import CaseState
from hallflow.cases.pipeline import SUPERVISION, Rule, event
from hallflow.errors import (
    CaseCommandError,
    CaseStateError,
    NotAuthorisedError,
    UnknownCodeError,
)
from hallflow.model.catalogue import CoDepartment, Matter, SilencePolicy
from hallflow.model.org import Power
from hallflow.store.base import NewEvent
from hallflow.timeline.clock import Clock

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = ["RULES", "next_opinions", "open_opinions", "opinion_clock"]


def _request(co: CoDepartment, actor: str, at: dt.datetime) -> NewEvent:
    return event(
        "opinion_requested", actor, at, department=co.department, limit=limit_to(co.reply_limit)
    )


def open_opinions(spec: Matter, actor: str, at: dt.datetime) -> list[NewEvent]:
    """The opinion requests made on acceptance: every co-department with no prerequisite."""
    if spec.joint is None:
        return []
    return [_request(c, actor, at) for c in spec.joint.co_departments if not c.after]


def next_opinions(
    spec: Matter, case: Case, answered: str, actor: str, at: dt.datetime
) -> list[NewEvent]:
    """The requests a reply (or a deemed reply) by ``answered`` makes due."""
    assert spec.joint is not None
    done = {o.department for o in case.opinions if o.consent is not None} | {answered}
    requested = {o.department for o in case.opinions}
    return [
        _request(c, actor, at)
        for c in spec.joint.co_departments
        if c.department not in requested and set(c.after) <= done
    ]


def opinion_clock(
    hall: Hall, opinion_requested_at: dt.datetime | None, department: str, limit: Any
) -> Clock | None:
    """A co-department's reply clock."""
    if opinion_requested_at is None:
        return None
    return Clock.start(department, limit, hall.calendar, opinion_requested_at)


def _opinion_authority(hall: Hall, case: Case, command: GiveOpinion) -> None:
    """A co-department's opinion is given by its own staff, holding the review power."""
    try:
        staff = hall.organisation.staff(command.actor)
    except UnknownCodeError:
        raise NotAuthorisedError(
            command.actor,
            "give an opinion",
            case.case_id,
            f"no staff member {command.actor!r}",
            "unknown-staff",
        ) from None
    if staff.department != command.department:
        raise NotAuthorisedError(
            command.actor,
            "give an opinion",
            case.case_id,
            f"{command.actor} is of {staff.department}, not of {command.department}",
            "other-department",
        )
    matter = hall.catalogue.get(case.matter)
    day = command.at.astimezone(hall.calendar.hours.tzinfo).date()
    permission = hall.organisation.may(command.actor, Power.REVIEW, matter, None, day)
    if not permission.allowed:
        raise NotAuthorisedError(
            command.actor,
            "give an opinion",
            case.case_id,
            permission.reason,
            permission.rule or "no-authority",
        )


def give_opinion(hall: Hall, case: Case, command: GiveOpinion) -> list[NewEvent]:
    """A co-department's reply: consent, or an objection with reasons."""
    actor = command.actor
    for opinion in case.opinions:
        if opinion.department == command.department:
            if opinion.consent is not None:
                raise CaseStateError(actor, "give an opinion", case.case_id, "already given")
            break
    else:
        raise CaseStateError(
            actor,
            "give an opinion",
            case.case_id,
            f"no opinion requested from {command.department}",
        )
    if not command.consent and not command.reasons.strip():
        raise CaseCommandError(actor, "object", case.case_id, "an objection needs reasons")
    events = [
        event(
            "opinion_given",
            actor,
            command.at,
            department=command.department,
            consent=command.consent,
            reasons=command.reasons,
        )
    ]
    spec = hall.catalogue.get(case.matter)
    return events + next_opinions(spec, case, command.department, actor, command.at)


def sweep_opinions(hall: Hall, case: Case, command: SweepOpinions) -> list[NewEvent]:
    """Apply the silence policy to co-departments past their reply deadline.

    Consent (视为同意, the silent department recorded as responsible), block, or escalate.
    """
    spec = hall.catalogue.get(case.matter)
    at = command.at
    if spec.joint is None:
        return []
    events: list[NewEvent] = []
    for opinion in case.opinions:
        clock = opinion_clock(hall, opinion.requested_at, opinion.department, opinion.limit)
        if opinion.consent is not None or clock is None or at <= clock.due(at):
            continue
        policy = hall.plugins.hook.hallflow_silence_policy(matter=spec) or spec.joint.silence
        if policy is SilencePolicy.ESCALATE:
            if not any(
                e.kind == "escalated" and e.payload.get("department") == opinion.department
                for e in case.history
            ):
                events.append(
                    event(
                        "escalated",
                        SUPERVISION,
                        at,
                        department=opinion.department,
                        rule="co-department silent past its reply deadline",
                    )
                )
            continue
        events.append(
            event(
                "opinion_deemed",
                SUPERVISION,
                at,
                department=opinion.department,
                consent=policy is SilencePolicy.CONSENT,
                responsible=opinion.department,
                reasons=f"silent past {clock.due(at).isoformat()}",
            )
        )
        events += next_opinions(spec, case, opinion.department, SUPERVISION, at)
    return events


_IN_REVIEW = frozenset({CaseState.REVIEWING, CaseState.SUSPENDED})

RULES: dict[type[Any], Rule[Any]] = {
    GiveOpinion: Rule(give_opinion, authority=_opinion_authority, states=_IN_REVIEW),
    SweepOpinions: Rule(sweep_opinions, system=True),
}
"""The joint-case commands' rules."""
