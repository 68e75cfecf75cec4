"""The error hierarchy: every refusal hallflow makes is a :class:`HallflowError`.

Each subclass names the rule that was broken; the message names the field (or the line, or the
date) and the value given, so that an embedding platform can show it to a user unchanged.
"""

from __future__ import annotations

__all__ = [
    "AppendRequestError",
    "AuthorityError",
    "BulkInputError",
    "CalendarDataError",
    "CalendarError",
    "CalendarRangeError",
    "CanonicalDocumentError",
    "CaseCommandError",
    "CaseNotFoundError",
    "CaseStateError",
    "CatalogueError",
    "ClockError",
    "ClockStateError",
    "CommandInputError",
    "CompressionError",
    "ConcurrencyError",
    "EventPayloadError",
    "ExtensionRefusedError",
    "FeeError",
    "HallflowError",
    "HistoryError",
    "HoursError",
    "IdempotencyError",
    "IdentityError",
    "LadderError",
    "LimitError",
    "MaterialsError",
    "ModelError",
    "NaiveDatetimeError",
    "NotAuthorisedError",
    "NoticeParseError",
    "OrganisationError",
    "OverlayConflictError",
    "PluginError",
    "SchemaVersionError",
    "SealError",
    "SealFieldError",
    "SealKeyError",
    "SealRevokedError",
    "SealStateError",
    "SerializationError",
    "SinkError",
    "StoreArgumentError",
    "StoreError",
    "TimeOrderError",
    "UnknownCodeError",
    "UnknownSealError",
    "WordsError",
]


def _shown(value: object, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters for a one-line message."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


class HallflowError(Exception):
    """Base class of every error hallflow raises on purpose."""


class CalendarError(HallflowError):
    """A working-day calendar was given something it cannot answer or build."""


class CalendarRangeError(CalendarError, ValueError):
    """A date, instant or result lies outside the range a calendar was compiled for.

    Attributes:
        field: the argument (or result) that was out of range.
        value: the offending value.
        first: the first day the calendar covers.
        last: the last day the calendar covers.
    """

    def __init__(self, field: str, value: object, first: object, last: object) -> None:
        self.field = field
        self.value = value
        self.first = first
        self.last = last
        super().__init__(
            f"{field}={value!s} is outside the calendar's compiled range {first}..{last}; "
            f"build the calendar with a wider range (e.g. china(until=...))"
        )


class CalendarDataError(CalendarError, ValueError):
    """Calendar data (a year file, a layer) breaks a rule of the data format."""


class OverlayConflictError(CalendarDataError):
    """One overlay declares the same day both a holiday and a working day."""


class HoursError(CalendarError, ValueError):
    """Hall hours are malformed (a shift that ends before it starts, overlapping shifts...)."""


class NaiveDatetimeError(CalendarError, ValueError):
    """A datetime without a time zone was given where an aware one is required."""

    def __init__(self, field: str, value: object) -> None:
        self.field = field
        self.value = value
        super().__init__(
            f"{field}={value!s} is a naive datetime; hallflow needs aware datetimes "
            f"(attach the hall's zone, e.g. Asia/Shanghai)"
        )


class NoticeParseError(CalendarError, ValueError):
    """The text given to the notice parser is not a holiday notice, or contradicts itself.

    Attributes:
        line_no: 1-based number of the offending line (0 when the whole text is at fault).
        line: the text of that line.
        rule: a short name of the rule that failed.
    """

    def __init__(self, rule: str, message: str, line_no: int = 0, line: str = "") -> None:
        self.rule = rule
        self.line_no = line_no
        self.line = line
        where = f"line {line_no}: {line.strip()!r}: " if line_no else ""
        super().__init__(f"{where}{message} [{rule}]")


class ClockError(HallflowError):
    """A case clock was given an event or a limit it cannot accept."""


class LimitError(ClockError, ValueError):
    """A time limit is malformed (a negative amount, an extension in the wrong unit...)."""


class ClockStateError(ClockError):
    """An event does not fit the clock's state or history.

    Attributes:
        clock: the clock's name.
        event: the refused event's kind.
        state: the clock's state when the event arrived.
    """

    def __init__(self, clock: str, event: str, state: str, rule: str) -> None:
        self.clock = clock
        self.event = event
        self.state = state
        self.rule = rule
        super().__init__(f"clock {clock!r} is {state}: cannot {event} ({rule})")


class ExtensionRefusedError(ClockError):
    """An extension arrived after the limit had expired and the policy does not allow it.

    Attributes:
        clock: the clock's name.
        at: when the extension was approved.
        due: when the limit expired.
    """

    def __init__(self, clock: str, at: object, due: object) -> None:
        self.clock = clock
        self.at = at
        self.due = due
        super().__init__(
            f"clock {clock!r}: extension approved at {at} comes after the limit expired at "
            f"{due}; an extension must be approved before expiry "
            f"(ClockPolicy.allow_late_extension=False)"
        )


class BulkInputError(ClockError, ValueError):
    """Arrays given to the bulk clock evaluation are malformed (shapes, sentinels, order)."""


class LadderError(ClockError, ValueError):
    """An escalation ladder or one of its rungs is malformed.

    Attributes:
        field: the field at fault.
        rule: the rule broken.
        value: the value given.
    """

    def __init__(self, field: str, rule: str, value: object) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        super().__init__(f"{field}={_shown(value)}: {rule}")


class SealError(HallflowError):
    """A seal, a seal registry or a seal provider refused a request."""


class SealFieldError(SealError, ValueError):
    """A seal value (a code, a holder, a key id, an impression field...) is malformed.

    Attributes:
        field: the field at fault, e.g. ``"Seal.holder"``.
        value: the value given.
        rule: what the field must be.
    """

    def __init__(self, field: str, value: object, rule: str) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        super().__init__(f"{field}={value!r}: {rule}")


class SealStateError(SealError):
    """A seal command does not fit the seal's lifecycle.

    For example: a duplicate code, a change that changes nothing, a time before the last
    recorded step, a second active seal of one kind for one owner.

    Attributes:
        code: the seal's code.
        action: the refused command (``"activate"``, ``"change"``, ``"revoke"``, ``"sign"``).
        rule: the rule that was broken.
    """

    def __init__(self, code: str, action: str, rule: str) -> None:
        self.code = code
        self.action = action
        self.rule = rule
        super().__init__(f"seal {code!r}: cannot {action}: {rule}")


class SealRevokedError(SealStateError):
    """The seal has been revoked: it can no longer be changed, revoked again or used.

    Attributes:
        revoked_at: when the seal was revoked.
    """

    def __init__(self, code: str, action: str, revoked_at: object) -> None:
        self.revoked_at = revoked_at
        super().__init__(code, action, f"the seal was revoked at {revoked_at}")


class UnknownSealError(SealError, LookupError):
    """No seal with this code is registered.

    Attributes:
        code: the code asked for.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"no seal with code {code!r} is registered")


class SealKeyError(SealError, LookupError):
    """A seal provider lacks a key, already holds it, or was given key material it cannot use.

    Attributes:
        key_id: the key id concerned.
        rule: what went wrong.
    """

    def __init__(self, key_id: str, rule: str) -> None:
        self.key_id = key_id
        self.rule = rule
        super().__init__(f"key {key_id!r}: {rule}")


class CanonicalDocumentError(SealError, ValueError):
    """A document to be sealed holds a value with no canonical JSON form.

    Attributes:
        path: where the value sits, e.g. ``"$.fees[2].amount"``.
        value: the value found there.
        rule: why it was refused.
    """

    def __init__(self, path: str, value: object, rule: str) -> None:
        self.path = path
        self.value = value
        self.rule = rule
        super().__init__(f"{path}={value!r}: {rule}")


class StoreError(HallflowError):
    """An event store refused a request, or cannot serve it (closed, busy, unknown schema)."""


class ConcurrencyError(StoreError):
    """An append expected a case version that is no longer current (optimistic concurrency).

    Attributes:
        case_id: the case appended to.
        expected: the version the caller based its decision on.
        actual: the version the store holds (0 when the case does not exist).
    """

    def __init__(self, case_id: str, expected: int, actual: int) -> None:
        self.case_id = case_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"case {case_id!r} is at version {actual}, not the expected {expected}: another "
            f"actor changed the case first; reload it and decide again"
        )


class CaseNotFoundError(StoreError, KeyError):
    """No case with this id is stored.

    Attributes:
        case_id: the id looked up.
    """

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        super().__init__(f"no case {case_id!r} in the store")

    def __str__(self) -> str:
        return str(self.args[0])


class IdempotencyError(StoreError):
    """An idempotency key was reused on a case for a request that differs from the first one.

    Attributes:
        case_id: the case appended to.
        key: the reused idempotency key.
        first: what the key was first used for, when known (a command's description).
        second: what it was reused for, when known.
    """

    def __init__(
        self, case_id: str, key: str, *, first: str | None = None, second: str | None = None
    ) -> None:
        self.case_id = case_id
        self.key = key
        self.first = first
        self.second = second
        if first is not None and second is not None:
            message = (
                f"idempotency key {key!r} was already used on case {case_id!r} for {first}; "
                f"it cannot also name {second}: give a new command a new key"
            )
        else:
            message = (
                f"idempotency key {key!r} was already used on case {case_id!r} for a different "
                f"request (other events, actors, instants or payloads); give a new command a "
                f"new key"
            )
        super().__init__(message)


class EventPayloadError(StoreError, ValueError):
    """An event payload holds something that does not survive a JSON round trip unchanged.

    Attributes:
        path: where the value sits, e.g. ``events[0].payload['fees'][2]``.
        value: the offending value (or key).
        rule: what is wrong with it.
    """

    def __init__(self, path: str, value: object, rule: str) -> None:
        self.path = path
        self.value = value
        self.rule = rule
        shown = _shown(value)
        super().__init__(f"{path}={shown}: {rule}")


class AppendRequestError(StoreError, ValueError):
    """An append request is malformed (no events, a row for another case or version...).

    Attributes:
        field: the argument at fault.
        value: the value given.
        rule: the rule it breaks.
    """

    def __init__(self, field: str, value: object, rule: str) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        super().__init__(f"{field}={value!r}: {rule}")


class StoreArgumentError(StoreError, ValueError):
    """A store query was given an argument it cannot take (a case id that is not text...).

    Attributes:
        field: the argument at fault.
        value: the value given.
        rule: the rule it breaks.
    """

    def __init__(self, field: str, value: object, rule: str) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        shown = _shown(value)
        super().__init__(f"{field}={shown}: {rule}")


class SchemaVersionError(StoreError):
    """A database was written by a newer hallflow whose schema this version does not know.

    Attributes:
        found: the schema version in the database.
        known: the newest schema version this hallflow can use.
    """

    def __init__(self, found: int, known: int) -> None:
        self.found = found
        self.known = known
        super().__init__(
            f"the database has schema version {found}, but this hallflow knows versions up to "
            f"{known}; upgrade hallflow to open it"
        )


class CaseCommandError(HallflowError):
    """A command on a case was refused; nothing was recorded.

    Attributes:
        actor: who asked.
        command: what they asked for.
        case_id: which case.
        rule: the rule that refused it.
    """

    def __init__(self, actor: str, command: str, case_id: str, rule: str) -> None:
        self.actor = actor
        self.command = command
        self.case_id = case_id
        self.rule = rule
        super().__init__(f"{actor} may not {command} case {case_id}: {rule}")


class CaseStateError(CaseCommandError):
    """The command does not fit the case's state (deciding a case still under review...)."""


class MaterialsError(CaseCommandError):
    """Materials are missing or unknown for the command (accepting an incomplete case...)."""


class NotAuthorisedError(CaseCommandError):
    """The actor lacks the power the command needs, or acts for an applicant they are not.

    Attributes:
        code: a short, stable name of the authority rule that refused it (``no-authority``,
            ``on-leave``, ``not-the-applicant``, ``not-a-signer``...), for an HTTP 403 body.
    """

    def __init__(self, actor: str, command: str, case_id: str, rule: str, code: str) -> None:
        self.code = code
        super().__init__(actor, command, case_id, f"{rule} [{code}]")


class TimeOrderError(CaseCommandError):
    """A command's instant is out of order with the case's history or with the present.

    Before the case's last event, its receipt or the seal's activation, or further in the
    future than the hall's tolerance.

    Attributes:
        at: the command's instant.
        bound: the instant it may not precede (or exceed).
    """

    def __init__(
        self, actor: str, command: str, case_id: str, rule: str, at: object, bound: object
    ) -> None:
        self.at = at
        self.bound = bound
        super().__init__(actor, command, case_id, rule)


class HistoryError(HallflowError):
    """A stored history cannot be replayed: an unknown event, one out of order or malformed.

    Attributes:
        case_id: the case.
        seq: the position (1-based) of the event at fault.
        rule: what is wrong with it.
    """

    def __init__(self, case_id: str, seq: int, rule: str) -> None:
        self.case_id = case_id
        self.seq = seq
        self.rule = rule
        super().__init__(f"case {case_id!r}, event {seq}: {rule}")


# ---- model


class _FieldRuleError(HallflowError, ValueError):
    """A value breaks a rule: the error names the field, the rule and the value."""

    def __init__(self, field: str, rule: str, value: object) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        super().__init__(f"{field}={value!r}: {rule}")


class CommandInputError(_FieldRuleError):
    """A command was given a value it cannot take; nothing was recorded.

    A wrong type, an unknown code, a naive instant, an empty reason...

    Attributes:
        field: the argument at fault, e.g. ``"Decide.approve"``.
        rule: the rule it breaks.
        value: the value given.
    """


class WordsError(_FieldRuleError):
    """A duration cannot be put in words as asked (:mod:`hallflow.timeline.words`).

    Attributes:
        field: the argument at fault, e.g. ``"lang"``.
        rule: the rule it breaks.
        value: the value given.
    """


class ModelError(_FieldRuleError):
    """A value of the model (an identity number, a matter, a window...) breaks a rule.

    Attributes:
        field: the field at fault, e.g. ``"Matter.promised_limit"``.
        rule: a short statement of the rule that was broken.
        value: the value given.
    """


class IdentityError(ModelError):
    """An identity number (resident ID, unified social credit code) or a contact is invalid."""


class CatalogueError(ModelError):
    """A matter, material, procedure or catalogue is inconsistent."""


class OrganisationError(ModelError):
    """A window, staff member, authority, leave or A/B post is inconsistent."""


class UnknownCodeError(ModelError, LookupError):
    """A lookup by code found nothing (``Catalogue.get``, ``Organisation.staff``...)."""

    def __str__(self) -> str:
        return f"{self.field}={self.value!r}: {self.rule}"


class CompressionError(CatalogueError):
    """A promised limit is not short enough compared with the legal limit.

    Localities require the promised limit (承诺时限) to be a given share shorter than the
    legal one (Sichuan: at least 30%).

    Attributes:
        matter: the matter's code.
        legal: the legal limit.
        promised: the promised limit.
        required: the required reduction, as a fraction (0.3 for 30%).
    """

    def __init__(self, matter: str, legal: object, promised: object, required: object) -> None:
        self.matter = matter
        self.legal = legal
        self.promised = promised
        self.required = required
        self.field = f"Matter[{matter}].promised_limit"
        self.rule = f"must be at least {required} shorter than the legal limit {legal}"
        self.value = promised
        HallflowError.__init__(
            self,
            f"matter {matter!r}: promised limit {promised} is not at least {required} "
            f"shorter than the legal limit {legal}",
        )


class AuthorityError(HallflowError):
    """A staff member tried to use a power they do not hold for that matter, window and day.

    Attributes:
        actor: the staff member's code.
        power: the power asked for (accept, review, decide, seal, coordinate).
        matter: the matter's code.
        window: the window's code (``None`` for back-office work).
        rule: why it was refused.
    """

    def __init__(
        self, actor: str, power: object, matter: str, window: str | None, rule: str
    ) -> None:
        self.actor = actor
        self.power = power
        self.matter = matter
        self.window = window
        self.rule = rule
        where = f" at window {window!r}" if window is not None else ""
        super().__init__(f"{actor!r} may not {power} matter {matter!r}{where}: {rule}")


class SerializationError(HallflowError, ValueError):
    """A document cannot be loaded: unknown or newer format, wrong type, missing migration.

    Attributes:
        rule: what was wrong.
        value: the offending part of the document.
    """

    def __init__(self, rule: str, value: object = None) -> None:
        self.rule = rule
        self.value = value
        detail = f" (got {value!r})" if value is not None else ""
        super().__init__(f"{rule}{detail}")


class PluginError(HallflowError):
    """A plugin broke a rule of the hook it implements.

    For example two plugins contributing one matter, or an amendment changing a code.

    Attributes:
        plugin: the plugin's name.
        hook: the hook.
        rule: the rule broken.
    """

    def __init__(self, plugin: str, hook: str, rule: str) -> None:
        self.plugin = plugin
        self.hook = hook
        self.rule = rule
        super().__init__(f"plugin {plugin!r}, hook {hook}: {rule}")


class FeeError(_FieldRuleError):
    """A fee rule or amount is malformed (a float, a fraction of a fen, no legal basis...).

    Attributes:
        field: the field at fault.
        rule: the rule broken.
        value: the value given.
    """


class SinkError(HallflowError, ValueError):
    """Event sinks or their dispatcher were set up wrongly.

    For example two sinks sharing a name, a sink without ``deliver``, a malformed backoff or
    drain limit. A sink failing to deliver is not an error: the dispatcher records it and
    retries later.
    """
