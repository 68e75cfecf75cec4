"""What happens to a clock: it starts, pauses, resumes, is extended, restarts, stops."""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from hallflow.errors import NaiveDatetimeError
from hallflow.timeline.limits import Limit

__all__ = [
    "ClockEvent",
    "Excluded",
    "Extended",
    "PauseReason",
    "Paused",
    "Restarted",
    "Resumed",
    "Started",
    "Stopped",
]


class PauseReason(enum.StrEnum):
    """Why a clock stops counting for a while.

    A correction restarts the clock when it ends (the applicant's new materials start the
    period afresh); every other reason suspends it, and counting continues where it left off.
    The reasons from hearing to expert review are the periods the Administrative Licensing
    Law (Art. 45) excludes from its limits.
    """

    CORRECTION = "correction"
    HEARING = "hearing"
    TENDERING = "tendering"
    AUCTION = "auction"
    INSPECTION = "inspection"
    TESTING = "testing"
    QUARANTINE = "quarantine"
    APPRAISAL = "appraisal"
    EXPERT_REVIEW = "expert_review"
    PUBLIC_NOTICE = "public_notice"
    APPLICANT_REQUEST = "applicant_request"
    OTHER = "other"

    @property
    def restarts(self) -> bool:
        """Whether the end of this pause restarts the clock rather than resuming it."""
        return self is PauseReason.CORRECTION


def _aware(_instance: object, attribute: attrs.Attribute[dt.datetime], value: object) -> None:
    if not isinstance(value, dt.datetime):
        raise NaiveDatetimeError(attribute.name, value)
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(attribute.name, value)


@attrs.define(frozen=True, slots=True)
class Started:
    """The clock starts (a case is accepted): counting begins the next day.

    Attributes:
        at: when the case was received or accepted.
    """

    at: dt.datetime = attrs.field(validator=_aware)


@attrs.define(frozen=True, slots=True)
class Paused:
    """The clock stops counting until :class:`Resumed` (or :class:`Restarted`).

    Attributes:
        at: when the pause began.
        reason: why.
        note: free text (the notice given to the applicant, say).
    """

    at: dt.datetime = attrs.field(validator=_aware)
    reason: PauseReason = attrs.field(default=PauseReason.OTHER, converter=PauseReason)
    note: str = ""


@attrs.define(frozen=True, slots=True)
class Resumed:
    """The clock counts again after a pause.

    Attributes:
        at: when counting resumed.
    """

    at: dt.datetime = attrs.field(validator=_aware)


@attrs.define(frozen=True, slots=True)
class Excluded:
    """A period of known length that is not counted (Art. 45: hearing, expert review...).

    The applicant was told in writing how long it takes; the clock pauses at ``at`` and
    resumes by itself once ``length`` has passed on the calendar, or earlier on
    :class:`Resumed`.

    Attributes:
        at: when the excluded period began.
        length: how long it lasts, as a limit (10 working days, say).
        reason: which kind of period.
        note: free text.
    """

    at: dt.datetime = attrs.field(validator=_aware)
    length: Limit = attrs.field(kw_only=True)
    reason: PauseReason = attrs.field(
        default=PauseReason.EXPERT_REVIEW, converter=PauseReason, kw_only=True
    )
    note: str = attrs.field(default="", kw_only=True)


@attrs.define(frozen=True, slots=True)
class Extended:
    """An approved extension adds time to the limit.

    Attributes:
        at: when the extension was approved (it must be before the limit expires, unless
            the clock's policy allows late extensions).
        extra: the time added, in the clock's unit.
        approved_by: who approved it.
        reason: the reasons told to the applicant.
    """

    at: dt.datetime = attrs.field(validator=_aware)
    extra: Limit = attrs.field(kw_only=True)
    approved_by: str = attrs.field(kw_only=True)
    reason: str = attrs.field(default="", kw_only=True)


@attrs.define(frozen=True, slots=True)
class Restarted:
    """The clock starts afresh (a correction was completed): counting begins the next day.

    Attributes:
        at: when the complete materials were received.
    """

    at: dt.datetime = attrs.field(validator=_aware)


@attrs.define(frozen=True, slots=True)
class Stopped:
    """The clock stops for good (the case is closed; for a decision, at the seal time).

    Attributes:
        at: when it stopped.
        note: free text.
    """

    at: dt.datetime = attrs.field(validator=_aware)
    note: str = ""


ClockEvent = Started | Paused | Resumed | Excluded | Extended | Restarted | Stopped
"""Any event a clock accepts."""
