"""The national defaults: the Administrative Licensing Law, as a plugin (DOMAIN.md §5).

* Extensions of a legal limit total at most 10 working days, 15 for joint matters (Art. 42);
  decisions are delivered within 10 working days (Art. 44, the ``delivery`` clock).
* Limits are counted in working days (Art. 82) on the national calendar with the default
  hall hours (9:00–12:00, 13:30–17:30, Asia/Shanghai).
* The five case kinds of the core; promised limits may not exceed legal ones (no further
  compression is required nationally).
* A co-department's silence follows the matter's own setting; no deemed approval (the law
  has none for licences); extensions need the approval of someone with the power to decide
  (checked by the core) and nothing more.
* The software Ed25519 seal provider; approval seals held by a chief representative or a
  window head.
* Supervision: a reminder when a clock enters its reminder window, a warning once it is
  overdue.
* No fees and no event sinks.
* Evaluations and complaints: no default rating and no scoring scheme (the law sets
  neither); hallflow's default limits for a bad rating's verification, rectification and
  follow-up visit (5, 15 and 5 working days) and for concluding a complaint (15).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from hallflow.calendar.hours import HallHours
from hallflow.cases.case import Case
from hallflow.model.catalogue import ESCALATED, IMMEDIATE, JOINT, PROMISED, URGENT, CaseKind, Matter
from hallflow.model.org import Role
from hallflow.plugins.hookspecs import hookimpl
from hallflow.plugins.policy import Escalation, EscalationAction
from hallflow.seals import SealKind, SealProvider, SoftwareSealProvider
from hallflow.timeline.clock import ClockStatus, WarningLevel
from hallflow.timeline.limits import Limit, Unit
from hallflow.timeline.words import clock_words


@hookimpl
def hallflow_hall_hours() -> HallHours:
    """The default hours."""
    return HallHours()


@hookimpl
def hallflow_case_kinds() -> Iterable[CaseKind]:
    """The core's five kinds."""
    return (IMMEDIATE, PROMISED, JOINT, ESCALATED, URGENT)


EXTENSION_CAP = {"joint": 15}
"""Licensing Law Art. 42: a legal limit may be extended once, by at most 10 working days
(15 for unified or joint handling)."""


@hookimpl
def hallflow_extension_refusal(
    matter: Matter, case: Case, status: ClockStatus, clock: str, extra: Limit
) -> str | None:
    """Art. 42: legal-limit extensions total at most 10 working days (joint: 15)."""
    if clock != "legal":
        return None
    cap = EXTENSION_CAP.get(matter.kind.code, 10)
    already = sum(e.extra.amount for name, e in case.extensions if name == "legal")
    if extra.unit is Unit.WORKING_DAYS and already + extra.amount > cap:
        return (
            f"the law allows at most {cap} working days of extension for this matter "
            f"(Administrative Licensing Law Art. 42); {already} already granted"
        )
    return None


@hookimpl
def hallflow_deemed_approval(
    matter: Matter, case: Case, status: ClockStatus, at: dt.datetime
) -> bool:
    """No deemed approval under the national law."""
    return False


@hookimpl
def hallflow_seal_provider() -> SealProvider:
    """The software provider (keys are added by the hall's operator)."""
    return SoftwareSealProvider()


@hookimpl
def hallflow_seal_holder_roles(kind: SealKind) -> Iterable[Role]:
    """Approval and acceptance seals: a chief representative or a window head."""
    return (Role.CHIEF_REPRESENTATIVE, Role.WINDOW_HEAD)


@hookimpl
def hallflow_escalations(
    matter: Matter, case: Case, clock: str, status: ClockStatus, at: dt.datetime
) -> Iterable[Escalation]:
    """A reminder in the reminder window, a warning once overdue (notes in both languages)."""
    if status.level is WarningLevel.REMINDER:
        return (
            Escalation(
                "reminder",
                EscalationAction.REMINDER,
                "window",
                f"{clock_words(status, 'en')} ({clock_words(status, 'zh')})",
            ),
        )
    if status.level is WarningLevel.OVERDUE:
        return (
            Escalation(
                "overdue",
                EscalationAction.WARNING,
                "window head",
                f"due {status.due.isoformat()}: {clock_words(status, 'en')} "
                f"({clock_words(status, 'zh')})",
            ),
        )
    return ()


# ---------------------------------------------------------------------- evaluations, complaints

RECTIFICATION_LIMITS = {
    "verify": Limit.working_days(5),
    "rectify": Limit.working_days(15),
    "revisit": Limit.working_days(5),
}
"""hallflow's defaults for a bad rating's flow: verification within 5 working days of the
rating, rectification within 15 of a valid verification, the follow-up visit within 5 of the
rectification. The national good-and-bad rating scheme asks for every bad rating to be
verified, rectified and reported back; the seeds hallflow models carry no national figure, so
these are settings a locality overrides (``hallflow_rectification_limits``)."""

COMPLAINT_LIMIT = Limit.working_days(15)
"""hallflow's default time to conclude a complaint; no seed sets one (Xiangyang asks only that
every complaint be taken, investigated and concluded quickly — seed 004, Art. 19)."""


@hookimpl
def hallflow_rectification_limits() -> dict[str, Limit]:
    """The default limits for verification, rectification and the follow-up visit."""
    return dict(RECTIFICATION_LIMITS)


@hookimpl
def hallflow_complaint_limit(category: str, handling: str) -> Limit:
    """The default complaint limit, whatever the category and handling."""
    return COMPLAINT_LIMIT
