"""Commands as data: every act on a case is an attrs value, validated when it is built.

A command says who (``actor``) does what to which case, and when (``at``); it carries every
argument the act needs and nothing the hall decides. Building one checks each field's type
and shape — a boolean must be a ``bool`` (``"no"`` is not a denial), instants must be aware,
reasons must not be blank, codes must be non-empty text — and raises
:class:`~hallflow.errors.CommandInputError` naming the field, the rule and the value. What a
command may do to a case (state, authority, time order, the matter's rules) is checked by the
pipeline in :mod:`hallflow.cases.pipeline`, in one place, when it runs.

Every command has a JSON form (:func:`unstructure` / :func:`structure`, one cattrs converter
in :data:`CONVERTER`), ``{"command": "<name>", ...fields}``, so that the same command can
arrive over HTTP or a queue; :func:`digest` fingerprints the canonical form, which is what an
idempotency key is bound to.
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import enum
import hashlib
import json
from collections.abc import Mapping
from typing import Any, ClassVar, TypeGuard, get_origin

import attrs
import cattrs
from cattrs.errors import BaseValidationError, ForbiddenExtraKeysError

from hallflow.errors import CommandInputError, HallflowError
from hallflow.model.identity import Applicant, LegalPerson, NaturalPerson
from hallflow.model.serialize import dump as dump_model
from hallflow.model.serialize import load_applicant
from hallflow.timeline.events import PauseReason
from hallflow.timeline.limits import Limit, Unit

__all__ = [
    "COMMANDS",
    "CONVERTER",
    "RESERVED_PREFIX",
    "Accept",
    "AcceptWithGaps",
    "AddSigner",
    "ApproveOnPledge",
    "AssignSigners",
    "CaseCommand",
    "Channel",
    "Decide",
    "DeemApproved",
    "Deliver",
    "DeliveryMethod",
    "Extend",
    "GiveOpinion",
    "NotAccept",
    "RequestCorrection",
    "Resume",
    "ReturnCase",
    "Revoke",
    "Seal",
    "Sign",
    "Submit",
    "Supply",
    "SupplyDeferred",
    "Suspend",
    "SweepOpinions",
    "Transfer",
    "VerifyPledge",
    "Withdraw",
    "check_instant",
    "digest",
    "is_text",
    "structure",
    "unstructure",
]

RESERVED_PREFIX = "hallflow:"
"""Stream ids starting with this are the hall's own (the seal registry), never a case's."""

MAX_TEXT = 4000
"""The longest reason, problem or note a command takes, in characters."""

MAX_CODE = 128
"""The longest code or identifier (case id, staff, step, window, idempotency key)."""

_EARLIEST = dt.datetime(1949, 10, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(2999, 12, 31, tzinfo=dt.UTC)


class Channel(enum.StrEnum):
    """How an application arrived."""

    WINDOW = "window"
    """At a window of the hall, received by its staff."""
    ONLINE = "online"
    """Online, submitted by the applicant themself."""
    PROXY = "proxy"
    """Through a proxy window (代办), whose staff apply on the applicant's behalf."""


class DeliveryMethod(enum.StrEnum):
    """How a sealed decision reaches the applicant (送达)."""

    IN_PERSON = "in_person"
    POST = "post"
    UNIFIED = "unified"
    """The hall's unified delivery desk (统一送达)."""


# --------------------------------------------------------------------------- validators


def _field(instance: object, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def is_text(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a str of valid Unicode text (no lone surrogates)."""
    if type(value) is not str:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def code(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A code: non-empty text, no control characters, at most :data:`MAX_CODE` long."""
    if not is_text(value) or not value or len(value) > MAX_CODE:
        raise CommandInputError(
            _field(instance, attribute),
            f"must be a non-empty str of at most {MAX_CODE} characters (valid Unicode)",
            value,
        )
    assert isinstance(value, str)
    if not value.isprintable() or not value.strip():
        raise CommandInputError(
            _field(instance, attribute), "must be printable text, not blank", value
        )


def _optional_code(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        code(instance, attribute, value)


def case_id(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A case id: a code that does not start with the reserved prefix."""
    code(instance, attribute, value)
    assert isinstance(value, str)
    if value.startswith(RESERVED_PREFIX):
        raise CommandInputError(
            _field(instance, attribute), f"may not start with {RESERVED_PREFIX!r}", value
        )


def _text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not is_text(value) or len(value) > MAX_TEXT:
        raise CommandInputError(
            _field(instance, attribute),
            f"must be a str of at most {MAX_TEXT} characters (valid Unicode)",
            value,
        )


def _reason(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _text(instance, attribute, value)
    assert isinstance(value, str)
    if not value.strip():
        raise CommandInputError(
            _field(instance, attribute), "a written reason is required (not blank)", value
        )


def _bool(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not bool:
        raise CommandInputError(
            _field(instance, attribute), "must be True or False (a bool, not a truthy value)", value
        )


def _instant_problem(value: object) -> str | None:
    """Why ``value`` is not an instant a command takes, or None when it is."""
    if not isinstance(value, dt.datetime):
        return "must be an aware datetime"
    try:
        offset = value.utcoffset()
    except (ValueError, TypeError, OverflowError):
        offset = None
    if offset is None:
        return "must be an aware datetime (with a time zone)"
    try:
        inside = _EARLIEST <= value <= _LATEST
    except (OverflowError, ValueError):
        inside = False
    if not inside:
        return f"must lie between {_EARLIEST.date()} and {_LATEST.date()}"
    return None


def _instant(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    problem = _instant_problem(value)
    if problem is not None:
        raise CommandInputError(_field(instance, attribute), problem, value)


def check_instant(field: str, value: object) -> dt.datetime:
    """Return ``value`` if it is an instant a command takes (aware, within range).

    Raises:
        CommandInputError: naming ``field``, the rule and the value.
    """
    problem = _instant_problem(value)
    if problem is not None:
        raise CommandInputError(field, problem, value)
    assert isinstance(value, dt.datetime)
    return value


def _date(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not dt.date:
        raise CommandInputError(
            _field(instance, attribute), "must be a date (not a datetime or a number)", value
        )
    if not _EARLIEST.date() <= value <= _LATEST.date():
        raise CommandInputError(
            _field(instance, attribute),
            f"must lie between {_EARLIEST.date()} and {_LATEST.date()}",
            value,
        )


def _codes(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A collection of codes (list, tuple, set), never a bare str."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(
        value, list | tuple | set | frozenset
    ):
        raise CommandInputError(
            _field(instance, attribute),
            "must be a list of codes (a str is not a list of codes)",
            value,
        )
    if len(value) > 1000:
        raise CommandInputError(_field(instance, attribute), "at most 1000 codes", value)
    for item in value:
        if not is_text(item) or not item or len(item) > MAX_CODE or not item.strip():
            raise CommandInputError(
                _field(instance, attribute),
                f"every item must be a non-empty str of at most {MAX_CODE} characters",
                value,
            )


def _limit(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Limit):
        raise CommandInputError(
            _field(instance, attribute),
            'must be a Limit (e.g. Limit.working_days(10); JSON {"amount": 10, "unit": '
            '"working_days"})',
            value,
        )
    if value.amount > 3660:
        raise CommandInputError(_field(instance, attribute), "at most 3660 units", value)


def _optional_limit(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _limit(instance, attribute, value)


def _enum(kind: type[enum.StrEnum]) -> Any:
    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            allowed = ", ".join(repr(m.value) for m in kind)
            raise CommandInputError(_field(instance, attribute), f"must be one of {allowed}", value)

    return validate


def _to_enum(kind: type[enum.StrEnum]) -> Any:
    def convert(value: object) -> object:
        if isinstance(value, str) and not isinstance(value, kind):
            try:
                return kind(value)
            except ValueError:
                return value  # the validator names the field
        return value

    return convert


def _json_mapping(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping):
        raise CommandInputError(
            _field(instance, attribute), "must be a mapping with str keys", value
        )
    if not value:
        return
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, sort_keys=True)
        text.encode("utf-8")
        same = json.loads(text) == value
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError):
        same = False
    if not same:
        raise CommandInputError(
            _field(instance, attribute),
            "must be JSON data: str keys; str, int, finite float, bool, None, lists and "
            "mappings as values",
            value,
        )
    if len(text) > 64_000:
        raise CommandInputError(_field(instance, attribute), "at most 64,000 characters", value)


def _applicant(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, NaturalPerson | LegalPerson):
        raise CommandInputError(
            _field(instance, attribute), "must be a NaturalPerson or a LegalPerson", value
        )


def _items(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping) or not value:
        raise CommandInputError(
            _field(instance, attribute),
            "must be a non-empty mapping of material code to the problem with it",
            value,
        )
    for material, problem in value.items():
        if not is_text(material) or not material or len(material) > MAX_CODE:
            raise CommandInputError(
                _field(instance, attribute), "every key must be a material code", material
            )
        if not is_text(problem) or not problem.strip() or len(problem) > MAX_TEXT:
            raise CommandInputError(
                _field(instance, attribute),
                f"the problem with {material!r} must be written out (non-blank str)",
                problem,
            )


def _tuple(value: object) -> object:
    if isinstance(value, list | set | frozenset):
        items = list(value)
        if all(isinstance(v, str) for v in items):
            return tuple(sorted(items)) if isinstance(value, set | frozenset) else tuple(items)
    return value


_CHANNEL = _to_enum(Channel)
_METHOD = _to_enum(DeliveryMethod)
_PAUSE_REASON = _to_enum(PauseReason)


def _to_channel(value: object) -> object:
    return _CHANNEL(value)


def _to_method(value: object) -> object:
    return _METHOD(value)


def _to_pause_reason(value: object) -> object:
    return _PAUSE_REASON(value)


def _frozen_mapping(value: object) -> object:
    if isinstance(value, Mapping) and not isinstance(value, _FrozenDict):
        return _FrozenDict(value)
    return value


class _FrozenDict(dict[str, Any]):
    """A dict a command holds: hashable by its JSON form; changing it is refused."""

    def __hash__(self) -> int:  # type: ignore[override]
        try:
            return hash(json.dumps(self, sort_keys=True, default=str))
        except (TypeError, ValueError):
            return id(self)

    def _refuse(self, *_args: object, **_kwargs: object) -> None:
        raise CommandInputError("command", "commands are immutable", dict(self))

    __setitem__ = _refuse
    __delitem__ = _refuse
    update = _refuse
    pop = _refuse
    clear = _refuse
    setdefault = _refuse
    popitem = _refuse  # type: ignore[assignment]


# --------------------------------------------------------------------------- commands


@attrs.define(frozen=True, slots=True, kw_only=True)
class CaseCommand:
    """What every command on an existing case has: the case, who acts, and when.

    Attributes:
        case_id: the case.
        actor: who acts: a staff code, ``"applicant"`` / ``"applicant:<key>"`` for the
            applicant, or ``"supervision"`` for the hall's supervision system.
        at: when, an aware datetime; it may not precede the case's last event.
    """

    NAME: ClassVar[str] = ""

    case_id: str = attrs.field(validator=case_id)
    actor: str = attrs.field(validator=code)
    at: dt.datetime = attrs.field(validator=_instant)

    def describe(self) -> str:
        """A short description for messages: the command's name and actor."""
        return f"{self.NAME} by {self.actor}"


@attrs.define(frozen=True, slots=True, kw_only=True)
class Submit:
    """Receive an application (收件) at a window, online or through a proxy window.

    Attributes:
        matter: the matter's code.
        applicant: the applicant.
        window: the window that receives it (for an online application, the window that
            will handle it).
        materials: the material codes supplied.
        actor: the receiving clerk; for ``online``, the applicant themself.
        at: when.
        conditions: the conditions that select material variants.
        facts: declared facts (JSON data) plugins check and price.
        channel: window, online or proxy.
        case_id: the case id to use; derived from the idempotency key when one is given,
            a fresh time-ordered id otherwise.
    """

    NAME: ClassVar[str] = "submit"

    matter: str = attrs.field(validator=code)
    applicant: Applicant = attrs.field(validator=_applicant)
    window: str = attrs.field(validator=code)
    materials: tuple[str, ...] = attrs.field(converter=_tuple, validator=_codes)
    actor: str = attrs.field(validator=code)
    at: dt.datetime = attrs.field(validator=_instant)
    conditions: tuple[str, ...] = attrs.field(default=(), converter=_tuple, validator=_codes)
    facts: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_frozen_mapping, validator=_json_mapping
    )
    channel: Channel = attrs.field(
        default=Channel.WINDOW, converter=_to_channel, validator=_enum(Channel)
    )
    case_id: str | None = attrs.field(default=None, validator=attrs.validators.optional(case_id))

    def describe(self) -> str:
        """A short description for messages."""
        return f"submit of {self.matter} by {self.actor}"


@attrs.define(frozen=True, slots=True, kw_only=True)
class Accept(CaseCommand):
    """Accept (受理) a complete application; the limit clocks start."""

    NAME: ClassVar[str] = "accept"


@attrs.define(frozen=True, slots=True, kw_only=True)
class RequestCorrection(CaseCommand):
    """Issue one correction notice (补正) listing every missing or defective item.

    Attributes:
        items: material code → what is wrong with it (written out).
    """

    NAME: ClassVar[str] = "request_correction"

    items: Mapping[str, str] = attrs.field(converter=_frozen_mapping, validator=_items)


@attrs.define(frozen=True, slots=True, kw_only=True)
class Supply(CaseCommand):
    """Supply the materials a correction notice asked for.

    Attributes:
        materials: the material codes supplied.
    """

    NAME: ClassVar[str] = "supply"

    materials: tuple[str, ...] = attrs.field(converter=_tuple, validator=_codes)


@attrs.define(frozen=True, slots=True, kw_only=True)
class AcceptWithGaps(CaseCommand):
    """Accept with minor materials missing (容缺), on the applicant's pledge.

    Attributes:
        deferred: the materials deferred.
        pledge_date: the day by which the applicant pledges to supply them.
    """

    NAME: ClassVar[str] = "accept_with_gaps"

    deferred: tuple[str, ...] = attrs.field(converter=_tuple, validator=_codes)
    pledge_date: dt.date = attrs.field(validator=_date)


@attrs.define(frozen=True, slots=True, kw_only=True)
class SupplyDeferred(CaseCommand):
    """Supply the materials deferred under accept-with-gaps.

    Attributes:
        materials: the material codes supplied.
    """

    NAME: ClassVar[str] = "supply_deferred"

    materials: tuple[str, ...] = attrs.field(converter=_tuple, validator=_codes)


@attrs.define(frozen=True, slots=True, kw_only=True)
class NotAccept(CaseCommand):
    """Do not accept (不予受理), with a written reason.

    Attributes:
        reason: the written reason.
        redirect_window: the window that handles the matter, when it is outside this one's
            remit.
    """

    NAME: ClassVar[str] = "not_accept"

    reason: str = attrs.field(validator=_reason)
    redirect_window: str | None = attrs.field(default=None, validator=_optional_code)


@attrs.define(frozen=True, slots=True, kw_only=True)
class AssignSigners(CaseCommand):
    """Name the signers of a review step.

    Attributes:
        step: the step's code.
        signers: staff codes, distinct; all must sign a countersign, one an or-sign.
    """

    NAME: ClassVar[str] = "assign"

    step: str = attrs.field(validator=code)
    signers: tuple[str, ...] = attrs.field(converter=_tuple, validator=_codes)


@attrs.define(frozen=True, slots=True, kw_only=True)
class AddSigner(CaseCommand):
    """Add a signer to the current step (加签).

    Attributes:
        step: the step's code.
        signer: the staff code added.
    """

    NAME: ClassVar[str] = "add_signer"

    step: str = attrs.field(validator=code)
    signer: str = attrs.field(validator=code)


@attrs.define(frozen=True, slots=True, kw_only=True)
class Transfer(CaseCommand):
    """Hand the actor's part of the current step to a colleague (转办).

    Attributes:
        step: the step's code.
        to: the colleague's staff code.
    """

    NAME: ClassVar[str] = "transfer"

    step: str = attrs.field(validator=code)
    to: str = attrs.field(validator=code)


@attrs.define(frozen=True, slots=True, kw_only=True)
class Sign(CaseCommand):
    """Sign (approve) the actor's part of a review step.

    Attributes:
        step: the step's code.
    """

    NAME: ClassVar[str] = "sign"

    step: str = attrs.field(validator=code)


@attrs.define(frozen=True, slots=True, kw_only=True)
class ReturnCase(CaseCommand):
    """Return the case (驳回) to an earlier step or, with ``to="window"``, to the window.

    Attributes:
        to: an earlier step's code, or ``"window"``.
        reason: the written reason.
    """

    NAME: ClassVar[str] = "return_case"

    to: str = attrs.field(validator=code)
    reason: str = attrs.field(validator=_reason)


@attrs.define(frozen=True, slots=True, kw_only=True)
class Suspend(CaseCommand):
    """Suspend review for an Art. 45 period or at the applicant's request.

    Attributes:
        reason: why (a :class:`~hallflow.timeline.PauseReason`).
        length: the period's length when it was told in writing (an excluded period).
    """

    NAME: ClassVar[str] = "suspend"

    reason: PauseReason = attrs.field(converter=_to_pause_reason, validator=_enum(PauseReason))
    length: Limit | None = attrs.field(default=None, validator=_optional_limit)


@attrs.define(frozen=True, slots=True, kw_only=True)
class Resume(CaseCommand):
    """Resume review after a suspension."""

    NAME: ClassVar[str] = "resume"


@attrs.define(frozen=True, slots=True, kw_only=True)
class Extend(CaseCommand):
    """Record an approved extension (延期) of a limit clock; the actor approves it.

    Attributes:
        extra: the extra time.
        reason: the reasons told to the applicant.
        clock: the clock extended (``"legal"`` or ``"promised"``).
    """

    NAME: ClassVar[str] = "extend"

    extra: Limit = attrs.field(validator=_limit)
    reason: str = attrs.field(validator=_reason)
    clock: str = attrs.field(default="legal", validator=code)


@attrs.define(frozen=True, slots=True, kw_only=True)
class GiveOpinion(CaseCommand):
    """A co-department replies to the lead department on a joint case (联办).

    Attributes:
        department: the co-department.
        consent: consent (True) or objection (False).
        reasons: the reasons; an objection must give them.
    """

    NAME: ClassVar[str] = "give_opinion"

    department: str = attrs.field(validator=code)
    consent: bool = attrs.field(validator=_bool)
    reasons: str = attrs.field(default="", validator=_text)


@attrs.define(frozen=True, slots=True, kw_only=True)
class Decide(CaseCommand):
    """Decide: approve (准予) or deny (不予); a denial gives reasons.

    Attributes:
        approve: True to approve, False to deny — a ``bool``, nothing truthy.
        reasons: the reasons (required for a denial).
    """

    NAME: ClassVar[str] = "decide"

    approve: bool = attrs.field(validator=_bool)
    reasons: str = attrs.field(default="", validator=_text)


@attrs.define(frozen=True, slots=True, kw_only=True)
class ApproveOnPledge(CaseCommand):
    """Approve now on the applicant's written pledge (告知承诺), to be verified.

    Attributes:
        verify_by: the day by which the pledge is verified.
    """

    NAME: ClassVar[str] = "approve_on_pledge"

    verify_by: dt.date = attrs.field(validator=_date)


@attrs.define(frozen=True, slots=True, kw_only=True)
class VerifyPledge(CaseCommand):
    """Record the verification of a pledge.

    Attributes:
        kept: whether the pledge was kept; a broken one goes on the applicant's record.
    """

    NAME: ClassVar[str] = "verify_pledge"

    kept: bool = attrs.field(validator=_bool)


@attrs.define(frozen=True, slots=True, kw_only=True)
class Seal(CaseCommand):
    """Seal the decision with an approval seal; the seal time is the legal closing time.

    Attributes:
        seal_code: the approval seal's code.
    """

    NAME: ClassVar[str] = "seal"

    seal_code: str = attrs.field(validator=code)


@attrs.define(frozen=True, slots=True, kw_only=True)
class Deliver(CaseCommand):
    """Deliver the sealed decision (送达); closes the case.

    Attributes:
        method: in person, by post, or through unified delivery.
    """

    NAME: ClassVar[str] = "deliver"

    method: DeliveryMethod = attrs.field(converter=_to_method, validator=_enum(DeliveryMethod))


@attrs.define(frozen=True, slots=True, kw_only=True)
class Withdraw(CaseCommand):
    """The applicant withdraws (撤回) the application.

    Attributes:
        reason: an optional reason.
    """

    NAME: ClassVar[str] = "withdraw"

    reason: str = attrs.field(default="", validator=_text)


@attrs.define(frozen=True, slots=True, kw_only=True)
class Revoke(CaseCommand):
    """Revoke (撤销) a closed case's licence (fraud, or beyond authority).

    Attributes:
        reason: the written reason.
    """

    NAME: ClassVar[str] = "revoke"

    reason: str = attrs.field(validator=_reason)


@attrs.define(frozen=True, slots=True, kw_only=True)
class DeemApproved(CaseCommand):
    """Deemed approval (超时默认), by the supervision system when its conditions hold."""

    NAME: ClassVar[str] = "deem_approved"


@attrs.define(frozen=True, slots=True, kw_only=True)
class SweepOpinions(CaseCommand):
    """Apply the matter's silence policy to co-departments past their reply deadline."""

    NAME: ClassVar[str] = "sweep_opinions"


COMMANDS: dict[str, type[Submit] | type[CaseCommand]] = {
    cls.NAME: cls
    for cls in (
        Submit,
        Accept,
        RequestCorrection,
        Supply,
        AcceptWithGaps,
        SupplyDeferred,
        NotAccept,
        AssignSigners,
        AddSigner,
        Transfer,
        Sign,
        ReturnCase,
        Suspend,
        Resume,
        Extend,
        GiveOpinion,
        Decide,
        ApproveOnPledge,
        VerifyPledge,
        Seal,
        Deliver,
        Withdraw,
        Revoke,
        DeemApproved,
        SweepOpinions,
    )
}
"""Every command class by its name (the ``"command"`` of its JSON form)."""


# --------------------------------------------------------------------------- JSON form


def _structure_instant(value: Any, _tp: type) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or len(value) > 64:
        raise CommandInputError("at", "must be an ISO 8601 instant with an offset", value)
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandInputError("at", "must be an ISO 8601 instant with an offset", value) from None


def _structure_day(value: Any, _tp: type) -> dt.date:
    if type(value) is dt.date:
        return value
    if not isinstance(value, str) or len(value) > 32:
        raise CommandInputError("date", "must be an ISO 8601 date (YYYY-MM-DD)", value)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandInputError("date", "must be an ISO 8601 date (YYYY-MM-DD)", value) from None


def _structure_limit(value: Any, _tp: type) -> Limit:
    if isinstance(value, Limit):
        return value
    if (
        not isinstance(value, Mapping)
        or set(value) != {"amount", "unit"}
        or type(value["amount"]) is not int
        or not isinstance(value["unit"], str)
    ):
        raise CommandInputError(
            "limit", 'must be {"amount": <int>, "unit": "working_days" | ...}', value
        )
    try:
        return Limit(value["amount"], Unit(value["unit"]))
    except (ValueError, HallflowError) as exc:
        raise CommandInputError("limit", str(exc), value) from None


def _structure_applicant(value: Any, _tp: type) -> Applicant:
    if isinstance(value, NaturalPerson | LegalPerson):
        return value
    if not isinstance(value, Mapping):
        raise CommandInputError("applicant", "must be a NaturalPerson or LegalPerson", value)
    try:
        return load_applicant(value)
    except HallflowError as exc:
        raise CommandInputError("applicant", str(exc), value) from None


def _passthrough(value: Any, _tp: type) -> Any:
    return value  # the command's validator decides


def _is_collection(tp: Any) -> bool:
    origin: Any = get_origin(tp)
    return origin is tuple or origin is collections.abc.Mapping


def make_converter() -> cattrs.Converter:
    """Build the converter of the commands' JSON form."""
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=False)
    converter.register_unstructure_hook(dt.datetime, lambda d: d.isoformat())
    converter.register_structure_hook(dt.datetime, _structure_instant)
    converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    converter.register_structure_hook(dt.date, _structure_day)
    converter.register_unstructure_hook(
        Limit, lambda limit: {"amount": limit.amount, "unit": limit.unit.value}
    )
    converter.register_structure_hook(Limit, _structure_limit)
    converter.register_unstructure_hook(NaturalPerson, dump_model)
    converter.register_unstructure_hook(LegalPerson, dump_model)
    converter.register_structure_hook(Applicant, _structure_applicant)
    for kind in (Channel, DeliveryMethod, PauseReason):
        converter.register_unstructure_hook(kind, lambda member: member.value)
    for tp in (str, bool, Channel, DeliveryMethod, PauseReason):
        converter.register_structure_hook(tp, _passthrough)
    converter.register_structure_hook_func(_is_collection, _passthrough)
    converter.register_unstructure_hook(_FrozenDict, lambda d: {k: d[k] for k in sorted(d)})
    return converter


CONVERTER = make_converter()
"""The one converter of the commands' JSON form."""


def unstructure(command: Submit | CaseCommand) -> dict[str, Any]:
    """The JSON form of a command: ``{"command": <name>, ...fields}``.

    Raises:
        CommandInputError: ``command`` is not a command.
    """
    if type(command) not in COMMANDS.values():
        raise CommandInputError("command", "must be a hallflow command value", command)
    data: dict[str, Any] = CONVERTER.unstructure(command)
    return {"command": command.NAME, **data}


def structure(data: object) -> Submit | CaseCommand:
    """Build a command from its JSON form, validating every field.

    Raises:
        CommandInputError: an unknown command, a missing or extra field, or a field that
            breaks its rule (the error names it).
    """
    if not isinstance(data, Mapping):
        raise CommandInputError("command", "must be a JSON object", data)
    name = data.get("command")
    cls = COMMANDS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise CommandInputError("command", f"must be one of {sorted(COMMANDS)}", name)
    fields = {k: v for k, v in data.items() if k != "command"}
    try:
        return CONVERTER.structure(fields, cls)
    except HallflowError:
        raise
    except ForbiddenExtraKeysError as exc:
        raise CommandInputError(
            f"{cls.__name__}", f"unknown fields {sorted(exc.extra_fields)}", dict(fields)
        ) from None
    except (BaseValidationError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CommandInputError(
            f"{cls.__name__}", f"does not describe a {cls.__name__}: {exc!r}", dict(fields)
        ) from None


def digest(command: Submit | CaseCommand) -> str:
    """The SHA-256 of a command's canonical JSON form (sorted keys, no spaces).

    Two commands have the same digest exactly when they are the same command: the same
    kind, case, actor, instant and arguments. An idempotency key is bound to it.
    """
    form = unstructure(command)
    text = json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
