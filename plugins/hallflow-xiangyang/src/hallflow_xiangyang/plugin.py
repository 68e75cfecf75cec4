"""Xiangyang's government service centres (襄阳市政务服务中心, 2020) as a hallflow plugin.

Every rule here comes from seed ``004_0115bc677b3b19d5.txt``, the Xiangyang municipal
government's management measures for its service centres (襄阳市政务服务中心管理办法,
23 October 2020, 38 articles); each rule names its article.

What the plugin contributes:

* the four case kinds: immediate, promised, joint and urgent (Art. 25);
* approval seals held by the department's chief representative (Arts. 31-32);
* an order to correct when a promised limit passes (Arts. 27, 35);
* helpers that build the comprehensive window and the green window (Arts. 4, 11, 28).

What the seed does not state, and the plugin therefore leaves to other plugins or to the
national defaults: hall hours (Art. 7 only asks for a sign showing them), a required
compression of promised limits or a green-channel factor (Art. 20 only asks windows to
shorten limits), what a co-department's silence means, fees beyond their being collected
in one place (Art. 18), and any matter (the measures list none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from hallflow import hookimpl
from hallflow.cases.case import Case
from hallflow.model.catalogue import IMMEDIATE, JOINT, PROMISED, URGENT, CaseKind, Matter
from hallflow.model.org import Role, Window, WindowKind
from hallflow.plugins.policy import Escalation, EscalationAction
from hallflow.seals import SealKind
from hallflow.timeline.clock import ClockState, ClockStatus, WarningLevel

__all__ = [
    "CORRECTION_CLOCKS",
    "KINDS",
    "SEED",
    "comprehensive_window",
    "correction",
    "green_window",
    "hallflow_case_kinds",
    "hallflow_escalations",
    "hallflow_seal_holder_roles",
]

SEED = "seed 004_0115bc677b3b19d5.txt (襄阳市政务服务中心管理办法, 2020)"
"""Where every rule of this package comes from."""

# ---------------------------------------------------------------------- kinds

KINDS: tuple[CaseKind, ...] = (IMMEDIATE, PROMISED, JOINT, URGENT)
"""Art. 25: an immediate case (即办件) is closed on the spot; a promised case (承诺件) within
its limit; a joint case (联办件) by joint review or parallel approval; an urgent case (急办件)
through the green channel. The measures know no escalated case."""


@hookimpl
def hallflow_case_kinds() -> Iterable[CaseKind]:
    """Xiangyang's four kinds (Art. 25)."""
    return KINDS


# ---------------------------------------------------------------------- windows


def comprehensive_window(code: str, name: str = "Comprehensive window (综合窗口)") -> Window:
    """A comprehensive window: it accepts and delivers for every department.

    Matters enter the centre to be accepted at a comprehensive front desk, approved by the
    departments behind it and delivered at the comprehensive window again (Art. 4(1)), and
    are moved to comprehensive windows in stages (Art. 28); the hall is laid out with a
    comprehensive acceptance area and a single delivery area (Art. 8). A window without a
    department or matter list serves every matter.

    Args:
        code: the window's code.
        name: the name shown above it.

    Returns:
        The window.
    """
    return Window(code, name, WindowKind.COMPREHENSIVE)


def green_window(code: str, name: str = "Green window (绿色窗口)") -> Window:
    """A green window, for people with particular needs and particular business.

    Every centre sets one up, offering extended hours and appointments (Art. 11); key
    projects get a green channel with appointments and full proxy service (Art. 17).

    Args:
        code: the window's code.
        name: the name shown above it.

    Returns:
        The window.
    """
    return Window(code, name, WindowKind.GREEN)


# ---------------------------------------------------------------------- seals


@hookimpl
def hallflow_seal_holder_roles(kind: SealKind) -> Iterable[Role]:
    """Seals are held by the department's chief representative.

    Each window department seconds a chief representative to the centre and grants them
    the approval powers they need (Art. 31); the chief representative accepts and handles
    the department's matters and organises its joint cases (Art. 32(1)-(2)). The measures
    name no seal holder; the seal goes with these powers.
    """
    return (Role.CHIEF_REPRESENTATIVE,)


# ---------------------------------------------------------------------- escalation

CORRECTION_CLOCKS = frozenset({"promised"})
"""The clock the order to correct watches: the promised limit, which the time-limit system
(限时办理制, Art. 27) holds a window to."""


def correction(status: ClockStatus) -> tuple[Escalation, ...]:
    """The order to correct a running clock has earned, if any (Arts. 27, 35-36).

    Windows work under a time-limit system (Art. 27). When a window fails to carry out its
    duties, harming the efficiency of administration, the centre orders it to correct at
    once and hands the matter on for accountability under the relevant rules (Art. 35); if
    correction falls short, the centre asks the discipline inspection body to act
    (Art. 36). The measures set no further deadlines, so the ladder has one automatic
    rung: ``xiangyang-correction``, once the limit has passed on a running clock. What
    follows is a decision for people.

    Total over every :class:`ClockStatus`: it never raises.

    Args:
        status: the clock's status.

    Returns:
        The order to correct, or nothing.
    """
    if status.state is not ClockState.RUNNING or status.level is not WarningLevel.OVERDUE:
        return ()
    return (
        Escalation(
            "xiangyang-correction",
            EscalationAction.WARNING,
            "centre management body (政务服务管理机构)",
            f"Limit passed at {status.due:%Y-%m-%d %H:%M}: the window is ordered to correct "
            "at once; accountability follows under the relevant rules (Arts. 35-36).",
        ),
    )


@hookimpl
def hallflow_escalations(
    matter: Matter, case: Case, clock: str, status: ClockStatus, at: dt.datetime
) -> Iterable[Escalation]:
    """An order to correct once a promised limit has passed (Arts. 27, 35)."""
    if clock not in CORRECTION_CLOCKS:
        return ()
    return correction(status)
