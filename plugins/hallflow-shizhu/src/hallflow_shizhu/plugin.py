"""Shizhu county, 2007 (石柱土家族自治县人民政府关于进一步加强政务服务中心工作的意见), as a plugin.

Source: ``seeds/000_2d1bee3f43073aea.txt``, 篇十二, section 三 (工作措施), part (二) 4
(完善行政审批服务运行制度), which lists the hall's working systems and defines three of them.

* **Deemed approval (超时默许制)**: an application whose materials were complete and valid,
  accepted by the department, not closed within the limit, with no written extension (or
  one that has run out too) counts as approved; the hall's window issues the decision
  under the approval seal and the late department bears the consequences.
  ``hallflow_deemed_approval`` answers True only when the three conditions hold, each read
  off what the hook receives (:func:`unmet_conditions`):

  1. *complete materials, accepted*: the case was accepted (it has a clock) with nothing
     deferred — neither outstanding (``case.deferred[0]`` empty) nor ever accepted with
     gaps (a case accepted with gaps was not complete when accepted);
  2. *not closed within the limit*: no decision yet, the clock not stopped, and ``at``
     past ``status.due``;
  3. *no written extension, or the extension also expired*: ``status`` already counts the
     approved extensions, so with an extension on record ``at`` must be past the extended
     due instant (reported separately so the refusal says which condition failed).

  ``hallflow_escalations`` raises a ``deemed_approval`` escalation on the legal clock when
  the three hold, so ``Hall.sweep`` issues the deemed approval by itself.
* **Notify and pledge (告知承诺制)**: not for matters touching public safety, personal
  health, life and property, or major pollution; a pledge not kept in time refuses the
  applicant's later related approvals, in this department and others, and goes on the
  credit record. ``hallflow_amend_matter`` withdraws ``pledge_allowed`` from the matters
  listed as excluded (``no_pledge``); ``hallflow_check_application`` refuses to accept a
  related application from an applicant with a broken pledge when the plugin can read the
  credit record (:meth:`ShizhuPlugin.track_credit`). The core itself refuses a second
  pledge approval after a broken one.
* **Rejection reporting (否定报备制)**: every rejection is reported to the centre.
  ``hallflow_event_sinks`` contributes :class:`RejectionReports`, which hands every
  ``not_accepted`` event and every denial to a ``report`` callable (when configured).
* **Case kinds**: immediate, promised, joint and escalated matters (即办件、承诺件、联办件、
  报批件); the fifth named, 否定件, is an outcome (a rejected case), not a kind of matter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from hallflow import hookimpl
from hallflow.cases.case import Case
from hallflow.model.catalogue import ESCALATED, IMMEDIATE, JOINT, PROMISED, CaseKind, Matter
from hallflow.plugins.policy import AcceptanceProblem, Escalation, EscalationAction, EventSink
from hallflow.store.base import StoredEvent
from hallflow.timeline.clock import ClockState, ClockStatus

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from hallflow.cases.hall import Hall

__all__ = [
    "DEEMED_APPROVAL_CODE",
    "SOURCE",
    "RejectionReports",
    "ShizhuPlugin",
    "configure",
    "default",
    "unmet_conditions",
]

SOURCE = "seed 000_2d1bee3f43073aea.txt, 篇十二 三(二)4 (Shizhu 2007)"
"""Where the rules come from."""

DEEMED_APPROVAL_CODE = "shizhu-deemed-approval"
"""The code of the escalation that triggers a deemed approval."""


def unmet_conditions(case: Case, status: ClockStatus, at: dt.datetime) -> list[str]:
    """The conditions of Shizhu's deemed approval that do not hold (篇十二 三(二)4, 超时默许制).

    Args:
        case: the case.
        status: the status of the limit clock (extensions included) at ``at``.
        at: the instant.

    Returns:
        One sentence per unmet condition; empty when deemed approval applies.
    """
    unmet: list[str] = []
    gaps = any(e.kind == "accepted_with_gaps" for e in case.history)
    if case.clock_start is None:
        unmet.append("materials: the application was never accepted")
    elif case.deferred[0] or gaps:
        unmet.append("materials: the application was accepted with materials missing")
    extended = [e for name, e in case.extensions if name == status.name]
    if case.decision is not None or status.state is ClockState.STOPPED:
        unmet.append("limit: the case was closed")
    elif at <= status.due and not extended:
        unmet.append(f"limit: the {status.name} limit runs until {status.due.isoformat()}")
    elif at <= status.due:
        unmet.append(
            f"extension: a written extension ({extended[-1].reason}) runs until "
            f"{status.due.isoformat()}"
        )
    return unmet


class RejectionReports:
    """An event sink reporting every rejection to the centre (否定报备, 篇十二 三(二)4).

    Hands every ``not_accepted`` event and every decision that denies to ``report``, which
    delivers it (raising on failure, so the outbox retries).

    Args:
        report: delivers one rejection to the centre.
    """

    name = "shizhu-rejection-reports"

    def __init__(self, report: Callable[[StoredEvent], None]) -> None:
        self._report = report

    def deliver(self, event: StoredEvent) -> None:
        """Report the event if it records a rejection; ignore any other event."""
        if event.kind == "not_accepted" or (
            event.kind == "decided" and not event.payload.get("approved", True)
        ):
            self._report(event)


class ShizhuPlugin:
    """Shizhu's rules, configurable for one hall.

    Args:
        no_pledge: codes of the matters excluded from notify-and-pledge (public safety,
            personal health, life and property, major pollution).
        credit_record: the applicant's cases with a broken pledge (see :meth:`track_credit`).
        related: codes of the matters a broken pledge blocks; ``None`` for every matter.
        report: delivers each rejection to the centre (a sink is contributed only when
            given).
    """

    def __init__(
        self,
        *,
        no_pledge: Iterable[str] = (),
        credit_record: Callable[[str], Sequence[str]] | None = None,
        related: Iterable[str] | None = None,
        report: Callable[[StoredEvent], None] | None = None,
    ) -> None:
        self.no_pledge = frozenset(no_pledge)
        self.credit_record = credit_record
        self.related = None if related is None else frozenset(related)
        self._sinks: tuple[EventSink, ...] = () if report is None else (RejectionReports(report),)

    def track_credit(self, hall: Hall) -> None:
        """Read broken pledges from ``hall`` (call once the hall is built)."""
        self.credit_record = hall.broken_pledges

    # ------------------------------------------------------------------ hooks

    @hookimpl
    def hallflow_case_kinds(self) -> Iterable[CaseKind]:
        """Immediate, promised, joint and escalated matters (篇十二 三(二)4)."""
        return (IMMEDIATE, PROMISED, JOINT, ESCALATED)

    @hookimpl
    def hallflow_deemed_approval_clock(self, matter: Matter) -> str:
        """Deemed approval runs from the promised limit (承诺时限), 篇十二 三(二)4."""
        return "promised"

    @hookimpl
    def hallflow_deemed_approval(
        self, matter: Matter, case: Case, status: ClockStatus, at: dt.datetime
    ) -> bool:
        """True exactly when the three conditions of 超时默许制 hold (篇十二 三(二)4)."""
        return not unmet_conditions(case, status, at)

    @hookimpl
    def hallflow_escalations(
        self, matter: Matter, case: Case, clock: str, status: ClockStatus, at: dt.datetime
    ) -> Iterable[Escalation]:
        """Trigger the deemed approval once its conditions hold on the promised clock."""
        if clock != "promised" or unmet_conditions(case, status, at):
            return ()
        return (
            Escalation(
                DEEMED_APPROVAL_CODE,
                EscalationAction.DEEMED_APPROVAL,
                "window",
                f"not decided by {status.due.isoformat()}: deemed approved; the window "
                f"issues the decision under the approval seal, {matter.department} answers "
                f"for the delay",
            ),
        )

    @hookimpl
    def hallflow_amend_matter(self, matter: Matter) -> Matter | None:
        """No notify-and-pledge for the excluded matters (篇十二 三(二)4, 告知承诺制)."""
        if matter.code in self.no_pledge and matter.pledge_allowed:
            return attrs.evolve(matter, pledge_allowed=False)
        return None

    @hookimpl
    def hallflow_check_application(
        self, matter: Matter, case: Case, facts: Mapping[str, Any]
    ) -> Iterable[AcceptanceProblem]:
        """Refuse a related application from an applicant who broke a pledge (告知承诺制)."""
        if self.credit_record is None:
            return ()
        if self.related is not None and matter.code not in self.related:
            return ()
        broken = list(self.credit_record(case.applicant))
        if not broken:
            return ()
        return (
            AcceptanceProblem(
                "applicant",
                f"broke a notify-and-pledge promise in {broken}: later related approvals "
                f"are refused (credit record, Shizhu)",
                case.applicant,
            ),
        )

    @hookimpl
    def hallflow_event_sinks(self) -> Iterable[EventSink]:
        """Rejection reports to the centre, when configured (否定报备制).

        The same sink on every call (its name keys the outbox's cursors).
        """
        return self._sinks


default = ShizhuPlugin()
"""The instance the module's hooks answer with (see :func:`configure`)."""


def configure(
    *,
    no_pledge: Iterable[str] = (),
    credit_record: Callable[[str], Sequence[str]] | None = None,
    related: Iterable[str] | None = None,
    report: Callable[[StoredEvent], None] | None = None,
) -> ShizhuPlugin:
    """Replace :data:`default`, the instance the module-level hooks use.

    Use this when the plugin is loaded through its entry point. The arguments are those of
    :class:`ShizhuPlugin`.

    Returns:
        The new default instance.
    """
    global default
    default = ShizhuPlugin(
        no_pledge=no_pledge, credit_record=credit_record, related=related, report=report
    )
    return default


# ---------------------------------------------------------------------- module-level hooks
# The entry point registers this module; each hook answers with the current default.


@hookimpl
def hallflow_case_kinds() -> Iterable[CaseKind]:
    """See :meth:`ShizhuPlugin.hallflow_case_kinds`."""
    return default.hallflow_case_kinds()


@hookimpl
def hallflow_deemed_approval_clock(matter: Matter) -> str:
    """See :meth:`ShizhuPlugin.hallflow_deemed_approval_clock`."""
    return default.hallflow_deemed_approval_clock(matter)


@hookimpl
def hallflow_deemed_approval(
    matter: Matter, case: Case, status: ClockStatus, at: dt.datetime
) -> bool:
    """See :meth:`ShizhuPlugin.hallflow_deemed_approval`."""
    return default.hallflow_deemed_approval(matter, case, status, at)


@hookimpl
def hallflow_escalations(
    matter: Matter, case: Case, clock: str, status: ClockStatus, at: dt.datetime
) -> Iterable[Escalation]:
    """See :meth:`ShizhuPlugin.hallflow_escalations`."""
    return default.hallflow_escalations(matter, case, clock, status, at)


@hookimpl
def hallflow_amend_matter(matter: Matter) -> Matter | None:
    """See :meth:`ShizhuPlugin.hallflow_amend_matter`."""
    return default.hallflow_amend_matter(matter)


@hookimpl
def hallflow_check_application(
    matter: Matter, case: Case, facts: Mapping[str, Any]
) -> Iterable[AcceptanceProblem]:
    """See :meth:`ShizhuPlugin.hallflow_check_application`."""
    return default.hallflow_check_application(matter, case, facts)


@hookimpl
def hallflow_event_sinks() -> Iterable[EventSink]:
    """See :meth:`ShizhuPlugin.hallflow_event_sinks`."""
    return default.hallflow_event_sinks()
