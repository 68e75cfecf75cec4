"""Intake: receipt, the formal check, corrections, acceptance (with gaps) or not.

Handlers take the hall (its catalogue, organisation, calendar, settings and plugins), the
case and the command, and return the events to record; the pipeline has already checked
authority, idempotency, time order and state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hallflow.cases.case import Case
from hallflow.cases.commands import (
    Accept,
    AcceptWithGaps,
    Channel,
    NotAccept,
    RequestCorrection,
    Submit,
    Supply,
    SupplyDeferred,
)
from hallflow.cases.joint import open_opinions
from hallflow.cases.lifecycle import CaseState, Command
from hallflow.cases.pipeline import (
    Pipeline,
    Rule,
    _stamp,
    derived_case_id,
    event,
    is_applicant,
)
from hallflow.errors import CaseCommandError, MaterialsError, NotAuthorisedError
from hallflow.model.catalogue import Matter
from hallflow.model.identity import Applicant, LegalPerson, NaturalPerson, applicant_key
from hallflow.model.org import Power, Window
from hallflow.store.base import NewEvent
from hallflow.timeline.limits import Limit, Unit

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = ["RULES", "clock_start", "limit_end", "missing", "plugin_checks", "submit_case"]


def _applicant_data(applicant: Applicant) -> dict[str, Any]:
    kind = "natural" if isinstance(applicant, NaturalPerson) else "legal"
    assert isinstance(applicant, NaturalPerson | LegalPerson)
    return {"type": kind, "name": applicant.name, "key": applicant_key(applicant)}


def submit_case(pipeline: Pipeline, command: Submit, key: str | None) -> Case:
    """Run a submission: the pipeline's steps for a case that does not exist yet."""
    hall = pipeline.hall
    spec = hall.catalogue.get(command.matter)
    window = hall.organisation.window(command.window)
    case_id = command.case_id or (derived_case_id(key) if key else hall.settings.new_id())
    actor = command.actor
    if not window.handles(spec):
        others = [w.code for w in hall.organisation.windows if w.handles(spec)]
        raise CaseCommandError(
            actor,
            "submit",
            case_id,
            f"window {window.code} does not handle matter {spec.code}; go to {others or 'none'}",
        )
    # authority: staff at a window or a proxy window; the applicant themself online
    owner = applicant_key(command.applicant)
    if command.channel is Channel.ONLINE:
        if not is_applicant(actor, owner):
            raise NotAuthorisedError(
                actor,
                "submit",
                case_id,
                "an online application is submitted by the applicant themself",
                "not-the-applicant",
            )
    else:
        day = command.at.astimezone(hall.calendar.hours.tzinfo).date()
        permission = hall.organisation.may(actor, Power.ACCEPT, spec, window.code, day)
        if not permission.allowed:
            raise NotAuthorisedError(
                actor, "submit", case_id, permission.reason, permission.rule or "no-authority"
            )
    stamp: str | None = None
    if key is not None:
        stamp = _stamp(command)
        earlier = pipeline.replayed(case_id, key, stamp, command.describe())
        if earlier is not None:
            return earlier
    try:
        return _record_submission(pipeline, command, spec, window, case_id, key, stamp)
    except CaseCommandError:
        if key is not None and stamp is not None:  # a racing twin may have made it meanwhile
            earlier = pipeline.replayed(case_id, key, stamp, command.describe())
            if earlier is not None:
                return earlier
        raise


def _record_submission(
    pipeline: Pipeline,
    command: Submit,
    spec: Matter,
    window: Window,
    case_id: str,
    key: str | None,
    stamp: str | None,
) -> Case:
    actor = command.actor
    pipeline.time_order(None, actor, "submit", command.at)
    # an id already taken is refused by the store's version check (pipeline.create)
    supplied = sorted(set(command.materials))
    known = {m.code for m in spec.materials}
    unknown = [m for m in supplied if m not in known]
    if unknown:
        raise MaterialsError(actor, "submit", case_id, f"unknown materials {unknown}")
    new = event(
        "submitted",
        actor,
        command.at,
        matter=spec.code,
        applicant=_applicant_data(command.applicant),
        window=window.code,
        channel=command.channel.value,
        materials=supplied,
        conditions=sorted(set(command.conditions)),
        facts=dict(command.facts),
        steps=[s.code for s in spec.procedure.steps],
    )
    return pipeline.create(case_id, new, key, stamp, command.describe())


# --------------------------------------------------------------------------- helpers


def plugin_checks(hall: Hall, case: Case, spec: Matter, actor: str, command: str) -> None:
    """Refuse when a locality's acceptance check finds a problem."""
    found = hall.plugins.hook.hallflow_check_application(matter=spec, case=case, facts=case.facts)
    problems = [str(p) for batch in found if batch for p in batch]
    if problems:
        raise CaseCommandError(actor, command, case.case_id, "; ".join(problems))


def missing(case: Case, spec: Matter, deferred: Iterable[str] = ()) -> list[str]:
    """Required materials not supplied (nor deferred)."""
    needed = [m.code for m in spec.materials_for(case.conditions) if m.required]
    skip = set(deferred)
    return [m for m in needed if m not in case.materials and m not in skip]


def clock_start(hall: Hall, case: Case, at: dt.datetime) -> dt.datetime:
    """Art. 32: accepted after the correction-notice window ⇒ counts from receipt."""
    receipt = hall.calendar.receipt_day(case.received_at)
    notice_by = hall.calendar.add_working_days(receipt, hall.settings.correction_notice.amount)
    return case.received_at if at.date() > notice_by else at


def limit_end(hall: Hall, at: dt.datetime, limit: Limit) -> dt.date:
    """The last day of ``limit`` counted from ``at``."""
    day = at.astimezone(hall.calendar.hours.tzinfo).date()
    if limit.unit is Unit.WORKING_DAYS:
        return hall.calendar.add_working_days(day, limit.amount)
    if limit.unit is Unit.CALENDAR_DAYS:
        return day + dt.timedelta(days=limit.amount)
    return day


# --------------------------------------------------------------------------- handlers


def accept(hall: Hall, case: Case, command: Accept) -> list[NewEvent]:
    """Accept (受理) a complete application; the limit clocks start."""
    spec = hall.catalogue.get(case.matter)
    gaps = missing(case, spec)
    if gaps:
        raise MaterialsError(
            command.actor, "accept", case.case_id, f"required materials missing: {gaps}"
        )
    plugin_checks(hall, case, spec, command.actor, "accept")
    start = clock_start(hall, case, command.at)
    events = [event("accepted", command.actor, command.at, clock_start=start.isoformat())]
    return events + open_opinions(spec, command.actor, command.at)


def request_correction(hall: Hall, case: Case, command: RequestCorrection) -> list[NewEvent]:
    """One correction notice (补正) listing every missing or defective item at once."""
    actor, rule = command.actor, "request correction"
    spec = hall.catalogue.get(case.matter)
    known = {m.code for m in spec.materials}
    unknown = sorted(set(command.items) - known)
    if unknown:
        raise MaterialsError(actor, rule, case.case_id, f"unknown materials {unknown}")
    left_off = sorted(set(missing(case, spec)) - set(command.items))
    if left_off:
        raise MaterialsError(
            actor,
            rule,
            case.case_id,
            f"a correction notice must list every missing item at once; also missing {left_off}",
        )
    if clock_start(hall, case, command.at) != command.at:
        raise CaseCommandError(
            actor,
            rule,
            case.case_id,
            f"more than {hall.settings.correction_notice} after receipt: the case counts "
            f"as accepted from receipt (Licensing Law Art. 32)",
        )
    items = [{"material": k, "problem": v} for k, v in sorted(command.items.items())]
    return [event("correction_requested", actor, command.at, items=items)]


def supply(hall: Hall, case: Case, command: Supply) -> list[NewEvent]:
    """The materials a correction notice asked for; the case is received anew."""
    given = set(command.materials)
    outstanding = sorted(set(case.correction_items) - given)
    if outstanding:
        raise MaterialsError(
            command.actor,
            "supply materials",
            case.case_id,
            f"still missing from the notice: {outstanding}",
        )
    known = {m.code for m in hall.catalogue.get(case.matter).materials}
    unknown = sorted(given - known)
    if unknown:
        raise MaterialsError(
            command.actor, "supply materials", case.case_id, f"unknown materials {unknown}"
        )
    return [event("materials_supplied", command.actor, command.at, materials=sorted(given))]


def accept_with_gaps(hall: Hall, case: Case, command: AcceptWithGaps) -> list[NewEvent]:
    """Accept with minor materials missing (容缺), on a pledge date within the policy."""
    actor, rule, at = command.actor, "accept with gaps", command.at
    spec = hall.catalogue.get(case.matter)
    gaps = spec.gaps
    if gaps is None:
        raise CaseCommandError(actor, rule, case.case_id, f"matter {spec.code} allows no gaps")
    wanted = sorted(set(command.deferred))
    not_allowed = sorted(set(wanted) - set(gaps.deferrable))
    if not wanted or not_allowed:
        raise MaterialsError(
            actor, rule, case.case_id, f"materials {not_allowed or wanted} may not be deferred"
        )
    still = missing(case, spec, wanted)
    if still:
        raise MaterialsError(actor, rule, case.case_id, f"required materials missing: {still}")
    plugin_checks(hall, case, spec, actor, rule)
    latest = limit_end(hall, at, gaps.max_days)
    today = at.astimezone(hall.calendar.hours.tzinfo).date()
    if command.pledge_date > latest or command.pledge_date < today:
        raise CaseCommandError(
            actor,
            rule,
            case.case_id,
            f"pledge date {command.pledge_date} must be between {today} and {latest} "
            f"({gaps.max_days})",
        )
    first = event(
        "accepted_with_gaps",
        actor,
        at,
        deferred=wanted,
        pledge_date=command.pledge_date.isoformat(),
        clock_start=clock_start(hall, case, at).isoformat(),
    )
    return [first, *open_opinions(spec, actor, at)]


def supply_deferred(hall: Hall, case: Case, command: SupplyDeferred) -> list[NewEvent]:
    """The materials deferred under accept-with-gaps, all of them."""
    deferred, _ = case.deferred
    given = set(command.materials)
    if not deferred or set(deferred) - given:
        raise MaterialsError(
            command.actor,
            "supply deferred materials",
            case.case_id,
            f"deferred materials are {list(deferred)}; given {sorted(given)}",
        )
    return [event("deferred_supplied", command.actor, command.at, materials=sorted(given))]


def not_accept(hall: Hall, case: Case, command: NotAccept) -> list[NewEvent]:
    """Not accepted (不予受理), with the written reason (and the right window)."""
    if command.redirect_window is not None:
        hall.organisation.window(command.redirect_window)  # must exist
    return [
        event(
            "not_accepted",
            command.actor,
            command.at,
            reason=command.reason,
            redirect_window=command.redirect_window,
        )
    ]


_SUBMITTED_OR_CORRECTION = frozenset({CaseState.SUBMITTED, CaseState.CORRECTION})

RULES: dict[type[Any], Rule[Any]] = {
    Accept: Rule(accept, power=Power.ACCEPT, lifecycle=Command.ACCEPT),
    RequestCorrection: Rule(
        request_correction, power=Power.ACCEPT, lifecycle=Command.REQUEST_CORRECTION
    ),
    Supply: Rule(supply, power=Power.ACCEPT, applicant=True, lifecycle=Command.SUPPLY),
    AcceptWithGaps: Rule(accept_with_gaps, power=Power.ACCEPT, lifecycle=Command.ACCEPT_WITH_GAPS),
    SupplyDeferred: Rule(
        supply_deferred,
        power=Power.ACCEPT,
        applicant=True,
        states=frozenset({CaseState.REVIEWING, CaseState.SUSPENDED, CaseState.DECIDED}),
    ),
    NotAccept: Rule(not_accept, power=Power.ACCEPT, lifecycle=Command.NOT_ACCEPT),
}
"""The intake commands' rules."""
