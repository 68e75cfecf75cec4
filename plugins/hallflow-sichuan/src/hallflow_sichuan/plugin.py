"""Sichuan province, 2008 (川府发〔2008〕38号), as a hallflow plugin.

Source: ``seeds/000_2d1bee3f43073aea.txt``, 篇九 (section 二, "全面实行限时办结制" and
"严格执行责任追究制"). Each rule below names the passage it encodes, in English.

* **Promised limits at least 30% shorter than the legal ones** (篇九 二, 限时办结制):
  ``hallflow_limit_policy`` answers ``LimitPolicy("3/10")``; a matter whose promised limit
  is longer than 70% of its legal limit is refused when the catalogue is assembled.
* **Extensions** (篇九 二, 限时办结制): an extension is allowed only where the law allows
  one, needs the written approval of the agency head (本机关行政首长), and must be told to
  the applicant before the promised limit expires, with copies to the centre and the
  supervision office. ``hallflow_extension_refusal`` refuses an extension approved after
  the extended clock's due instant, one approved by anyone but a listed agency head of the
  matter's department, and (when :attr:`SichuanPlugin.extendable` is given) one for a
  matter the law gives no extension. The copies ride on an event sink
  (:class:`ExtensionCopies`) when a ``copies`` callable is configured.
* **Silence of a co-department counts as consent**: ``hallflow_silence_policy`` answers
  :attr:`SilencePolicy.CONSENT`. 篇九 itself only asks for joint review meetings (section
  四, 并联审批会商、会审、会签); the absence-means-consent rule is stated by Luzhou, a
  Sichuan city, in 篇二 (三, "并联审批会审会签缺席默认制"). Pass ``silence=None`` to leave
  each matter's own setting.
* **Repeated returns are tracked** (篇九 二, 责任追究制: the same applicant returned twice or
  more on the same matter is followed up closely): ``hallflow_escalations`` refers an open
  case to the supervision office when the applicant's earlier cases of the same matter
  were returned (not accepted or denied) two or more times. The hooks see one case only,
  so the plugin needs a way to count the earlier ones: :meth:`SichuanPlugin.track_returns`
  binds it to a hall (:func:`count_returns`).

Who is the agency head? The hooks receive only the approver's staff code, and the
organisation has no "agency head" role, so the plugin is told: ``agency_heads`` maps a
department to the staff codes of its head (and any deputy the head designates in
writing). A department with no head listed gets no extension — the rule fails closed.

Configuring. Registered through its entry point, the module's hooks answer with
:data:`default`, a :class:`SichuanPlugin` with no agency heads; call :func:`configure`
before the hall is assembled. Without entry points, register a :class:`SichuanPlugin`
instance yourself — never both, or the unconfigured default refuses every extension.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from hallflow import hookimpl
from hallflow.calendar.engine import WorkCalendar
from hallflow.cases.case import Case
from hallflow.cases.lifecycle import CaseState
from hallflow.errors import ClockError
from hallflow.model.catalogue import Matter, SilencePolicy
from hallflow.plugins.policy import Escalation, EscalationAction, EventSink, LimitPolicy
from hallflow.store.base import StoredEvent
from hallflow.timeline.clock import ClockStatus

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = [
    "MIN_REDUCTION",
    "REPEATED_RETURNS",
    "SOURCE",
    "ExtensionCopies",
    "SichuanPlugin",
    "configure",
    "count_returns",
    "default",
]

SOURCE = "seed 000_2d1bee3f43073aea.txt, 篇九 (Sichuan 2008, 川府发〔2008〕38号)"
"""Where the rules come from."""

MIN_REDUCTION = "3/10"
"""Promised limits at least 30% below the legal ones (篇九 二, 限时办结制)."""

REPEATED_RETURNS = 2
"""Returns of one applicant on one matter that call for close tracking (篇九 二: 两次以上)."""


def count_returns(hall: Hall, applicant: str, matter: str) -> int:
    """How many of an applicant's cases of one matter were returned (退件).

    A case counts when it was not accepted (不予受理) or decided against (不予许可).

    Args:
        hall: the hall whose store is searched.
        applicant: the applicant's key.
        matter: the matter's code.

    Returns:
        The number of returned cases.
    """
    returned = 0
    for row in hall.find(applicant=applicant, matter=matter):
        case = hall.case(row.case_id)
        if case.state is CaseState.NOT_ACCEPTED or (
            case.decision is not None and not case.decision.approved
        ):
            returned += 1
    return returned


def _promised_due(
    matter: Matter, case: Case, calendar: WorkCalendar, at: dt.datetime
) -> dt.datetime | None:
    """The case's promised due instant at ``at``, or None when it cannot be read then."""
    try:
        promised = case.clock("promised", matter.promised_limit, calendar)
        if promised is None or at < promised.events[0].at:
            return None
        return promised.due(at)
    except ClockError:
        return None


class ExtensionCopies:
    """An event sink that copies every approved extension to the centre and supervision.

    篇九 二 (限时办结制): an extension is copied to the service centre and the supervision
    office (抄告政务服务中心和监察机关). The sink hands each ``extended`` event to
    ``send``, which delivers it (and raises on failure, so the outbox retries).

    Args:
        send: delivers one ``extended`` event to the centre and the supervision office.
    """

    name = "sichuan-extension-copies"

    def __init__(self, send: Callable[[StoredEvent], None]) -> None:
        self._send = send

    def deliver(self, event: StoredEvent) -> None:
        """Copy the event if it records an extension; ignore any other event."""
        if event.kind == "extended":
            self._send(event)


class SichuanPlugin:
    """Sichuan's rules, configurable for one hall.

    Args:
        agency_heads: department → staff codes of its agency head (行政首长), whose written
            approval an extension needs.
        extendable: codes of the matters whose law allows an extension; ``None`` to trust
            the core's rule (Licensing Law Art. 42 allows one for every licence).
        silence: what a co-department's silence means; ``None`` leaves each matter's own
            setting.
        calendar: the hall's calendar; when given, an extension of the legal clock is also
            refused once the *promised* limit has expired (the seed's deadline).
        copies: delivers each approved extension to the centre and the supervision office
            (an event sink is contributed only when given).
        prior_returns: counts an applicant's returned cases of a matter (see
            :meth:`track_returns`); without it no repeated-return referral is made.
    """

    def __init__(
        self,
        *,
        agency_heads: Mapping[str, Iterable[str]] | None = None,
        extendable: Iterable[str] | None = None,
        silence: SilencePolicy | None = SilencePolicy.CONSENT,
        calendar: WorkCalendar | None = None,
        copies: Callable[[StoredEvent], None] | None = None,
        prior_returns: Callable[[str, str], int] | None = None,
    ) -> None:
        self.agency_heads: dict[str, frozenset[str]] = {
            dept: frozenset(heads) for dept, heads in (agency_heads or {}).items()
        }
        self.extendable = None if extendable is None else frozenset(extendable)
        self.silence = silence
        self.calendar = calendar
        self._sinks: tuple[EventSink, ...] = () if copies is None else (ExtensionCopies(copies),)
        self.prior_returns = prior_returns

    def track_returns(self, hall: Hall) -> None:
        """Count earlier returns in ``hall`` (call once the hall is built)."""
        self.prior_returns = lambda applicant, matter: count_returns(hall, applicant, matter)

    # ------------------------------------------------------------------ hooks

    @hookimpl
    def hallflow_limit_policy(self) -> LimitPolicy:
        """Promised limits at least 30% shorter than the law's (篇九 二, 限时办结制)."""
        return LimitPolicy(MIN_REDUCTION, source=f"{SOURCE}, 二 限时办结制")

    @hookimpl
    def hallflow_extension_refusal(
        self, matter: Matter, case: Case, status: ClockStatus, at: dt.datetime, approved_by: str
    ) -> str | None:
        """Refuse an extension the seed does not allow (篇九 二, 限时办结制).

        Only where the law allows one, approved by the agency head, before the limit
        expires.
        """
        reasons: list[str] = []
        if self.extendable is not None and matter.code not in self.extendable:
            reasons.append(f"the law allows no extension for matter {matter.code} (Sichuan)")
        if at > status.due:
            reasons.append(
                f"approved after the {status.name} limit expired at {status.due.isoformat()}; "
                f"Sichuan requires the approval before the promise expires"
            )
        elif self.calendar is not None and status.name != "promised":
            promised_due = _promised_due(matter, case, self.calendar, at)
            if promised_due is not None and at > promised_due:
                reasons.append(
                    f"approved after the promised limit expired at {promised_due.isoformat()} "
                    f"(Sichuan)"
                )
        heads = self.agency_heads.get(matter.department, frozenset())
        if approved_by not in heads:
            named = sorted(heads) or "none registered"
            reasons.append(
                f"{approved_by} is not the agency head of {matter.department} "
                f"(heads: {named}); Sichuan requires the head's written approval"
            )
        return "; ".join(reasons) or None

    @hookimpl
    def hallflow_silence_policy(self, matter: Matter) -> SilencePolicy | None:
        """A silent co-department consents (篇二 三, Luzhou's 缺席默认制; see the module)."""
        return self.silence

    @hookimpl
    def hallflow_escalations(
        self, matter: Matter, case: Case, clock: str, status: ClockStatus, at: dt.datetime
    ) -> Iterable[Escalation]:
        """Refer a case whose applicant was returned twice or more on this matter (篇九 二)."""
        if self.prior_returns is None or clock != "promised":
            return ()
        returned = self.prior_returns(case.applicant, case.matter)
        if returned < REPEATED_RETURNS:
            return ()
        return (
            Escalation(
                "sichuan-repeated-returns",
                EscalationAction.REFERRAL,
                "supervision office",
                f"applicant returned {returned} times on matter {case.matter}: track closely",
            ),
        )

    @hookimpl
    def hallflow_event_sinks(self) -> Iterable[EventSink]:
        """Copies of extensions to the centre and supervision office, when configured.

        The same sink on every call (its name keys the outbox's cursors).
        """
        return self._sinks


default = SichuanPlugin()
"""The instance the module's hooks answer with (no agency heads until :func:`configure`)."""


def configure(
    *,
    agency_heads: Mapping[str, Iterable[str]] | None = None,
    extendable: Iterable[str] | None = None,
    silence: SilencePolicy | None = SilencePolicy.CONSENT,
    calendar: WorkCalendar | None = None,
    copies: Callable[[StoredEvent], None] | None = None,
    prior_returns: Callable[[str, str], int] | None = None,
) -> SichuanPlugin:
    """Replace :data:`default`, the instance the module-level hooks use.

    Use this when the plugin is loaded through its entry point. The arguments are those of
    :class:`SichuanPlugin`.

    Returns:
        The new default instance.
    """
    global default
    default = SichuanPlugin(
        agency_heads=agency_heads,
        extendable=extendable,
        silence=silence,
        calendar=calendar,
        copies=copies,
        prior_returns=prior_returns,
    )
    return default


# ---------------------------------------------------------------------- module-level hooks
# The entry point registers this module; each hook answers with the current default.


@hookimpl
def hallflow_limit_policy() -> LimitPolicy:
    """See :meth:`SichuanPlugin.hallflow_limit_policy`."""
    return default.hallflow_limit_policy()


@hookimpl
def hallflow_extension_refusal(
    matter: Matter, case: Case, status: ClockStatus, at: dt.datetime, approved_by: str
) -> str | None:
    """See :meth:`SichuanPlugin.hallflow_extension_refusal`."""
    return default.hallflow_extension_refusal(matter, case, status, at, approved_by)


@hookimpl
def hallflow_silence_policy(matter: Matter) -> SilencePolicy | None:
    """See :meth:`SichuanPlugin.hallflow_silence_policy`."""
    return default.hallflow_silence_policy(matter)


@hookimpl
def hallflow_escalations(
    matter: Matter, case: Case, clock: str, status: ClockStatus, at: dt.datetime
) -> Iterable[Escalation]:
    """See :meth:`SichuanPlugin.hallflow_escalations`."""
    return default.hallflow_escalations(matter, case, clock, status, at)


@hookimpl
def hallflow_event_sinks() -> Iterable[EventSink]:
    """See :meth:`SichuanPlugin.hallflow_event_sinks`."""
    return default.hallflow_event_sinks()
