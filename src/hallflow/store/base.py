"""What every event store stores, and the contract every store keeps.

A case is a sequence of events. Each append adds one or more events at the end, in one
transaction, together with the case's query row (:class:`CaseRow`), and only if the case is
still at the version the caller read (optimistic concurrency). The rest of hallflow sees stores
only through :class:`EventStore`; nothing outside ``hallflow.store`` knows SQL.

Every store also keeps its history tamper-evident: each event carries a digest chained to the
one before it, and every append is linked into one chain over the whole hall (the functions
and types are in :mod:`hallflow.store.chain`); :meth:`EventStore.verify` recomputes both.

The helpers at the end (:func:`prepare_append`, :func:`encode_instant`, :func:`decode_instant`)
are for store implementations: they validate an append and turn it into plain text columns, so
that every store refuses the same requests, loads back the same values and computes the same
digests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self
from zoneinfo import ZoneInfo

import attrs

from hallflow.errors import (
    AppendRequestError,
    ConcurrencyError,
    EventPayloadError,
    IdempotencyError,
    NaiveDatetimeError,
    StoreArgumentError,
)
from hallflow.store.chain import ChainHead, Checkpoint, VerifyReport, content_digest

__all__ = [
    "Append",
    "AppendOutcome",
    "CaseRow",
    "Clock",
    "EventStore",
    "KeyRecord",
    "NewEvent",
    "PreparedAppend",
    "PreparedEvent",
    "StoredEvent",
    "SweepMark",
    "SweepRow",
    "bound_text",
    "check_case_ids",
    "check_marks",
    "check_parts",
    "check_sweep_query",
    "decode_instant",
    "encode_instant",
    "even_cuts",
    "prepare_append",
    "prepare_many",
    "query_text",
    "read_clock",
    "utc_now",
    "utc_text",
]

Clock = Callable[[], dt.datetime]
"""A function returning the current aware instant; stores use it for ``recorded_at``."""


def _aware(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(attribute.name, value)


def _aware_or_none(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _aware(instance, attribute, value)


def _is_unicode(value: str) -> bool:
    """Whether a str is valid Unicode text (no lone surrogates), so that storage can encode it."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_text(field: str, value: object, *, nonempty: bool) -> None:
    if type(value) is str and value.isascii() and (value or not nonempty) and "\x00" not in value:
        return  # ASCII is valid Unicode: the common case, without the encode below
    if not isinstance(value, str) or (nonempty and not value):
        raise AppendRequestError(
            field, value, "must be a non-empty str" if nonempty else "must be a str"
        )
    if "\x00" in value:  # every store refuses it: PostgreSQL's text cannot hold it
        raise AppendRequestError(field, value, "must not contain NUL (U+0000)")
    if not _is_unicode(value):
        raise AppendRequestError(field, value, "must be valid Unicode text (no lone surrogates)")


def _text(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_text(attribute.name, value, nonempty=False)


def _nonempty_text(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_text(attribute.name, value, nonempty=True)


def _bytes_or_none(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not bytes:
        raise AppendRequestError(attribute.name, value, "must be bytes or None")


def _version(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise AppendRequestError(attribute.name, value, "must be an int of at least 1")


@attrs.define(frozen=True, slots=True)
class NewEvent:
    """An event to append: what happened to a case, who did it, and when.

    Attributes:
        kind: what happened (``"accepted"``, ``"decided"``...), a non-empty string.
        actor: who did it (a staff id, ``"applicant"``, ``"system"``...), a non-empty string.
        at: when it happened, an aware datetime (its zone is kept by the store).
        payload: the command's details and reasons. It must survive a JSON round trip
            unchanged: dicts with string keys, lists, strings, ints, finite floats, booleans
            and None. It is checked when appended (the error names the key), not here, because
            a dict can still change after the event is built.
        schema: the version of the payload's shape for this kind, an int of at least 1. The
            store keeps it and returns it; the case layer reads older shapes by upcasting.
    """

    kind: str = attrs.field(validator=_nonempty_text)
    actor: str = attrs.field(validator=_nonempty_text)
    at: dt.datetime = attrs.field(validator=_aware)
    payload: Mapping[str, Any] = attrs.field(factory=dict)
    schema: int = attrs.field(default=1, validator=_version)


@attrs.define(frozen=True, slots=True)
class StoredEvent:
    """An event as the store holds it: a :class:`NewEvent` with its place in the case.

    Attributes:
        case_id: the case the event belongs to.
        seq: its position in the case, 1-based and contiguous; after the event with ``seq``
            n, the case is at version n.
        kind: what happened.
        actor: who did it.
        at: when it happened, in the zone it was given in.
        payload: the details, a fresh copy on every load.
        recorded_at: when the store committed it (UTC, from the store's clock); not part of
            equality — two loads of the same event are equal whenever they were read.
        schema: the version of the payload's shape (see :class:`NewEvent`).
        digest: the event's digest in its case's hash chain, as stored (see
            :mod:`hallflow.store.chain`); empty for an event built by a caller rather than
            loaded. Not part of equality.
    """

    case_id: str
    seq: int
    kind: str
    actor: str
    at: dt.datetime
    payload: Mapping[str, Any]
    recorded_at: dt.datetime = attrs.field(eq=False)
    schema: int = 1
    digest: str = attrs.field(default="", eq=False)


@attrs.define(frozen=True, slots=True)
class KeyRecord:
    """What a store remembers of an idempotency key used on a case.

    Attributes:
        digest: what the key was bound to: the ``request_digest`` the caller gave, or else
            the store's hash of the request's events.
        version: the case's version after the append the key named.
    """

    digest: str
    version: int


@attrs.define(frozen=True, slots=True)
class CaseRow:
    """The query projection of a case, written in the same transaction as its events.

    The case lifecycle computes it from the events (the store does not interpret events); the
    store indexes it so that cases can be found by applicant, window, state or due date.

    Attributes:
        case_id: the case.
        matter: the catalogue matter the case applies for.
        applicant: who applied (an id, not a name, so that it can be indexed and erased).
        window: the service window (窗口) handling the case.
        state: the case's state after the events appended with this row.
        due: when the case's running limit expires, or None when no clock runs.
        version: the case's version after the append; it must equal the new version.
        clocks: what the supervision sweep reads of the case: its open clocks' compiled
            state and its last event's instant, packed (:mod:`hallflow.timeline.packed`);
            ``b""`` when no clock is to be swept, None when not computed (a row written
            before stores kept it). Opaque to the store.
        swept: what the sweep has acknowledged of those clocks (levels and ladder rungs,
            :func:`hallflow.timeline.packed.pack_swept`), or None for nothing yet. Also
            written by :meth:`EventStore.put_swept`, outside the hash chains (a cache).
    """

    case_id: str = attrs.field(validator=_nonempty_text)
    matter: str = attrs.field(validator=_text)
    applicant: str = attrs.field(validator=_text)
    window: str = attrs.field(validator=_text)
    state: str = attrs.field(validator=_text)
    due: dt.datetime | None = attrs.field(validator=_aware_or_none)
    version: int = attrs.field(validator=_version)
    clocks: bytes | None = attrs.field(default=None, validator=_bytes_or_none)
    swept: bytes | None = attrs.field(default=None, validator=_bytes_or_none)


@attrs.define(frozen=True, slots=True)
class Append:
    """One append of :meth:`EventStore.append_many`: the arguments of :meth:`EventStore.append`.

    Attributes:
        case_id: the case.
        expected_version: the version the caller read; 0 when it creates the case.
        events: one or more events.
        row: the case's row after them.
        idempotency_key: as for :meth:`EventStore.append`.
        request_digest: as for :meth:`EventStore.append`.
    """

    case_id: str
    expected_version: int
    events: Sequence[NewEvent]
    row: CaseRow
    idempotency_key: str | None = None
    request_digest: str | None = None


AppendOutcome = int | ConcurrencyError | IdempotencyError
"""What :meth:`EventStore.append_many` answers for each append: the case's new version, or
the refusal (returned, not raised, so that the other appends stand)."""


SweepRow = tuple[str, str, int, bytes | None, bytes | None]
"""A row as a sweep reads it: ``(case_id, matter, version, clocks, swept)``."""

SweepMark = tuple[str, int, bytes | None, bytes]
"""What a sweep writes back: ``(case_id, version, clocks or None to keep, swept)``."""


def check_sweep_query(after: object, limit: object, until: object = None) -> None:
    """Validate the arguments of :meth:`EventStore.open_clocks`."""
    query_text("after", after, optional=True)
    if type(limit) is not int or limit < 1:
        raise StoreArgumentError("limit", limit, "must be an int of at least 1")
    query_text("until", until, optional=True)


def check_parts(parts: object) -> int:
    """Validate the argument of :meth:`EventStore.split_cases`."""
    if type(parts) is not int or not 1 <= parts <= 10_000:
        raise StoreArgumentError("parts", parts, "must be an int from 1 to 10,000")
    return parts


def even_cuts(ids: Sequence[str], parts: int) -> list[str]:
    """The cuts that split the sorted ``ids`` into ``parts`` ranges of nearly equal size.

    The reference of :meth:`EventStore.split_cases`: the id at each ``i * len(ids) // parts``
    boundary (the last id of the range before it), without repeats.
    """
    cuts: list[str] = []
    for i in range(1, parts):
        at = i * len(ids) // parts
        if 0 < at <= len(ids) and (not cuts or ids[at - 1] > cuts[-1]):
            cuts.append(ids[at - 1])
    return cuts


def check_case_ids(case_ids: object) -> list[str]:
    """Validate the argument of :meth:`EventStore.load_many`; return it as a list."""
    if isinstance(case_ids, (str, bytes)) or not isinstance(case_ids, Sequence):
        raise StoreArgumentError("case_ids", case_ids, "must be a sequence of case ids")
    out: list[str] = []
    for i, case_id in enumerate(case_ids):
        query_text(f"case_ids[{i}]", case_id)
        out.append(case_id)
    return out


def prepare_many(appends: object) -> list[PreparedAppend]:
    """Validate and encode every append of :meth:`EventStore.append_many`, before any is made.

    Raises:
        AppendRequestError: ``appends`` is not a sequence of :class:`Append`, or one of them
            is malformed (the error names its index); nothing is appended.
        EventPayloadError: a payload does not survive a JSON round trip.
    """
    if isinstance(appends, (str, bytes)) or not isinstance(appends, Sequence):
        raise AppendRequestError("appends", appends, "must be a sequence of Append")
    out: list[PreparedAppend] = []
    for i, item in enumerate(appends):
        if not isinstance(item, Append):
            raise AppendRequestError(f"appends[{i}]", item, "must be an Append")
        out.append(
            prepare_append(
                item.case_id,
                item.expected_version,
                item.events,
                item.row,
                item.idempotency_key,
                item.request_digest,
            )
        )
    return out


def check_marks(marks: object) -> list[SweepMark]:
    """Validate the argument of :meth:`EventStore.put_swept`; return it as a list."""
    if isinstance(marks, (str, bytes)) or not isinstance(marks, Sequence):
        raise StoreArgumentError(
            "marks", marks, "must be a sequence of (id, version, clocks, swept)"
        )
    out: list[SweepMark] = []
    for i, mark in enumerate(marks):
        ok = (
            isinstance(mark, tuple)
            and len(mark) == 4
            and type(mark[0]) is str
            and type(mark[1]) is int
            and mark[1] >= 1
            and (mark[2] is None or type(mark[2]) is bytes)
            and type(mark[3]) is bytes
        )
        if not ok:
            raise StoreArgumentError(
                f"marks[{i}]",
                mark,
                "must be (case_id: str, version: int >= 1, bytes | None, bytes)",
            )
        out.append(mark)
    return out


class EventStore(Protocol):
    """An append-only log of case events with a queryable row per case.

    Every method may raise :class:`~hallflow.errors.StoreError` when the store is closed or
    its storage fails.
    """

    def append(
        self,
        case_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        row: CaseRow,
        *,
        idempotency_key: str | None = None,
        request_digest: str | None = None,
    ) -> int:
        """Append events to a case and replace its row, atomically.

        Each event is linked into its case's hash chain and the append into the hall's
        (:mod:`hallflow.store.chain`).

        Args:
            case_id: the case.
            expected_version: the version the caller read; 0 when it creates the case.
            events: one or more events; they get the seqs after ``expected_version``.
            row: the case's row after these events; ``row.case_id`` must be ``case_id`` and
                ``row.version`` the new version, ``expected_version + len(events)``.
            idempotency_key: names the command. If it was already used on this case for an
                identical request (same kinds, actors, instants, payloads and schemas, in
                order), the store appends nothing and returns the version recorded then.
            request_digest: binds the key to the caller's own fingerprint of the command
                (only with ``idempotency_key``; a non-empty str): the store records and
                compares it instead of its hash of the events, so a repeat is recognised by
                the command that produced the events, not by the events themselves.

        Returns:
            The case's version after the append.

        Raises:
            ConcurrencyError: the case is not at ``expected_version``.
            IdempotencyError: the key was used on this case for a different request (or
                bound to a different ``request_digest``); checked before the version.
            EventPayloadError: a payload does not survive a JSON round trip.
            AppendRequestError: the request is malformed (no events, mismatched row, a
                ``request_digest`` without a key...).
        """
        ...

    def load(self, case_id: str) -> list[StoredEvent]:
        """Return a case's events in order.

        Raises:
            CaseNotFoundError: the case does not exist.
        """
        ...

    def append_many(self, appends: Sequence[Append]) -> list[AppendOutcome]:
        """Make several appends, to different cases, each checked on its own.

        Each append is what :meth:`append` makes of the same arguments, and they are made in
        order; a store that can commits them together (SQLite: one transaction), which is
        what makes a supervision sweep that records escalations on thousands of cases
        cheap. An append refused for its version or its key is answered with the refusal
        and the others still stand.

        Returns:
            For each append, in order: the case's new version, or the
            :class:`~hallflow.errors.ConcurrencyError` or
            :class:`~hallflow.errors.IdempotencyError` that :meth:`append` would raise.

        Raises:
            AppendRequestError: an append is malformed; nothing is appended.
            EventPayloadError: a payload does not survive a JSON round trip; nothing is
                appended.
        """
        ...

    def load_many(self, case_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """Return several cases' events (what :meth:`load` returns), by case id.

        A case that does not exist is left out of the answer. A store reads them in as few
        queries as it can.

        Raises:
            StoreArgumentError: ``case_ids`` is not a sequence of case ids.
        """
        ...

    def version(self, case_id: str) -> int:
        """Return a case's version (its last seq), or 0 if the case does not exist."""
        ...

    def row(self, case_id: str) -> CaseRow:
        """Return a case's query row.

        Raises:
            CaseNotFoundError: the case does not exist.
        """
        ...

    def find(
        self,
        *,
        matter: str | None = None,
        applicant: str | None = None,
        window: str | None = None,
        state: str | None = None,
        due_from: dt.datetime | None = None,
        due_to: dt.datetime | None = None,
    ) -> list[CaseRow]:
        """Return the rows that match every filter given, ordered by case id.

        Args:
            matter: only cases of this matter.
            applicant: only cases of this applicant.
            window: only cases handled at this window.
            state: only cases in this state.
            due_from: only cases due at or after this instant (aware).
            due_to: only cases due before this instant (aware). Cases without a due date
                never match a due filter.

        Raises:
            NaiveDatetimeError: a due bound has no time zone.
        """
        ...

    def case_ids(self) -> list[str]:
        """Return the ids of every stored case, sorted."""
        ...

    def open_clocks(
        self, after: str | None = None, limit: int = 10_000, until: str | None = None
    ) -> list[SweepRow]:
        """Return the next ``limit`` rows a sweep reads, after case id ``after`` (keyset).

        The rows of cases whose ``clocks`` is not ``b""`` (open clocks, or not computed),
        ordered by case id, with ids in ``(after, until]`` (either end open when None);
        call again with the last id returned until the list is empty. Memory is bounded by
        ``limit``.

        Raises:
            StoreArgumentError: ``after`` or ``until`` is not a str or None, or ``limit``
                not an int >= 1.
        """
        ...

    def split_cases(self, parts: int) -> list[str]:
        """Case ids that cut the store's cases into ``parts`` ranges of nearly equal size.

        The answer ``[c1, c2, ...]`` (increasing, at most ``parts - 1`` ids; fewer when there
        are fewer cases) names the ranges ``(None, c1]``, ``(c1, c2]``, ..., ``(c_last,
        None)`` that several sweepers read with :meth:`open_clocks` (``after``, ``until``),
        each its own share. Exactly :func:`even_cuts` of :meth:`case_ids`; a store computes
        it without reading the rows.

        Raises:
            StoreArgumentError: ``parts`` is not an int from 1 to 10,000.
        """
        ...

    def put_swept(self, marks: Sequence[SweepMark]) -> int:
        """Record what a sweep has acknowledged, for each case still at the version given.

        A cache beside the log: it changes no event, no version and no hash chain; a case
        whose version moved meanwhile is left as it is (the next sweep sees it again).

        Args:
            marks: ``(case_id, version, clocks, swept)``: the row's new ``swept`` value
                and, unless ``clocks`` is None, its new ``clocks`` value.

        Returns:
            How many rows were updated.

        Raises:
            StoreArgumentError: a mark is malformed.
        """
        ...

    def key_version(self, case_id: str, key: str) -> int | None:
        """Return the version an append with this idempotency key produced, or None.

        Lets a caller answer a repeated command with the earlier result before it checks
        the command against the case's current state.
        """
        ...

    def idempotency(self, case_id: str, key: str) -> KeyRecord | None:
        """Return what an idempotency key used on this case was bound to, or None if unused.

        A caller that gives ``request_digest`` can tell a true repeat (same digest) from a
        key reused for another command before it does any work.
        """
        ...

    def head(self) -> ChainHead:
        """Return the newest position and link of the hall-wide chain.

        Sign it (:meth:`hallflow.store.chain.Checkpoint.sign`) and keep the checkpoint
        outside the store, to detect later rewrites of everything before it.
        """
        ...

    def verify(self, *, checkpoints: Sequence[Checkpoint] = ()) -> VerifyReport:
        """Recompute every case's chain and the hall-wide chain, and report every break.

        Checks each event's digest, that seqs run 1, 2, 3... without gaps, that every
        stored value still decodes, that each case's row holds its last version and head,
        that the hall chain's links follow one another without gaps, that each of its
        entries names the head the case had at that version and that each case's last
        version is its newest entry; and, for each checkpoint, that the store's link at
        the checkpoint's position is still the one signed. Undecodable values are breaks,
        never errors.

        Args:
            checkpoints: checkpoints taken earlier; their signatures are not checked here
                (see :meth:`hallflow.store.chain.Checkpoint.verify_signature`).

        Raises:
            StoreError: the store is closed or cannot be read.
        """
        ...

    def close(self) -> None:
        """Release the store's resources; later calls raise StoreError. Closing twice is fine."""
        ...

    def __enter__(self) -> Self:
        """Return the store itself."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        ...


# --- helpers for store implementations -------------------------------------------------------


def utc_now() -> dt.datetime:
    """Return the current instant in UTC (the default clock of the stores)."""
    return dt.datetime.now(dt.UTC)


def read_clock(clock: Clock) -> dt.datetime:
    """Read a store's clock and return the instant in UTC, for ``recorded_at``.

    Raises:
        NaiveDatetimeError: the clock returned a naive datetime.
    """
    now = clock()
    if not isinstance(now, dt.datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise NaiveDatetimeError("clock()", now)
    return now.astimezone(dt.UTC)


def query_text(field: str, value: object, *, optional: bool = False) -> str | None:
    """Validate a str argument of a store query (a case id, a key, a filter).

    Args:
        field: the argument's name, for the error.
        value: the value given.
        optional: None is allowed (a filter that is not given).

    Raises:
        StoreArgumentError: not a str, or not valid Unicode text.
    """
    if type(value) is str and (value.isascii() or _is_unicode(value)):
        return value
    if value is None and optional:
        return None
    raise StoreArgumentError(
        field, value, "must be a str of valid Unicode text" + (" or None" if optional else "")
    )


def bound_text(field: str, value: dt.datetime | None) -> str | None:
    """Validate a query bound and return its UTC text, comparable with stored instants.

    Args:
        field: the argument's name, for the error.
        value: an aware datetime, or None for no bound.

    Raises:
        NaiveDatetimeError: the bound has no time zone.
    """
    if value is None:
        return None
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(field, value)
    try:
        return encode_instant(value)[0]
    except OverflowError:
        raise StoreArgumentError(field, value, "is too near the datetime range's ends") from None


def encode_instant(value: dt.datetime) -> tuple[str, str]:
    """Encode an aware datetime as two text columns: the UTC instant and the zone.

    The instant is fixed-width ISO 8601 in UTC (``2026-03-02T01:30:00.000000``), so text order
    is time order and range queries can compare text. The zone is the IANA key of a
    :class:`~zoneinfo.ZoneInfo` (pendulum's zones are ZoneInfo too), or else the fixed UTC
    offset the datetime has (``+08:00``), which is all a foreign tzinfo can be trusted to give.

    Args:
        value: an aware datetime.

    Returns:
        ``(utc_text, zone)``.
    """
    tz = value.tzinfo
    if isinstance(tz, ZoneInfo) and tz.key:
        zone = tz.key
    else:
        offset = value.utcoffset()
        assert offset is not None
        zone = _format_offset(offset)
    return utc_text(value), zone


_UTC_TEXT = "%04d-%02d-%02dT%02d:%02d:%02d.%06d"


def utc_text(value: dt.datetime) -> str:
    """An aware instant as fixed-width ISO 8601 text in UTC, without the offset.

    ``value.astimezone(dt.UTC).isoformat(timespec="microseconds")[:-6]`` (the reference),
    formatted directly: ``isoformat`` costs more, and this runs for every instant stored.

    Raises:
        OverflowError: the instant in UTC falls outside the datetime range.
    """
    u = value.astimezone(dt.UTC)
    return _UTC_TEXT % (u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond)


def decode_instant(utc_text: str, zone: str) -> dt.datetime:
    """Invert :func:`encode_instant`: the same instant, in the zone it was given in."""
    utc = dt.datetime.fromisoformat(utc_text).replace(tzinfo=dt.UTC)
    tz: dt.tzinfo = dt.timezone(_parse_offset(zone)) if zone[:1] in "+-" else ZoneInfo(zone)
    return utc.astimezone(tz)


def _format_offset(offset: dt.timedelta) -> str:
    sign = "-" if offset < dt.timedelta(0) else "+"
    seconds = abs(offset) // dt.timedelta(microseconds=1)
    hours, rest = divmod(seconds, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    if rest:
        secs, micros = divmod(rest, 1_000_000)
        text += f":{secs:02d}" + (f".{micros:06d}" if micros else "")
    return text


def _parse_offset(text: str) -> dt.timedelta:
    sign = -1 if text[0] == "-" else 1
    hours, minutes, *rest = text[1:].split(":")
    seconds, _, micros = rest[0].partition(".") if rest else ("0", "", "0")
    return sign * dt.timedelta(
        hours=int(hours), minutes=int(minutes), seconds=int(seconds), microseconds=int(micros or 0)
    )


@attrs.define(frozen=True, slots=True)
class PreparedEvent:
    """A validated event as text columns, ready to be written.

    Attributes:
        kind: what happened.
        actor: who did it.
        at_utc: the instant, from :func:`encode_instant`.
        at_tz: the zone, from :func:`encode_instant`.
        payload_json: the payload as JSON text (keys in the order given).
        schema: the version of the payload's shape.
        content: the event's :func:`~hallflow.store.chain.content_digest` (at its seq);
            a store links it with :func:`~hallflow.store.chain.event_digest`.
    """

    kind: str
    actor: str
    at_utc: str
    at_tz: str
    payload_json: str
    schema: int = 1
    content: str = ""


@attrs.define(frozen=True, slots=True)
class PreparedAppend:
    """A validated append request, as :func:`prepare_append` returns it.

    Attributes:
        case_id: the case.
        expected_version: the version the caller read.
        new_version: the version after the append.
        events: the events as text columns.
        row: the case row, with ``due`` moved to the zone it will load back in.
        due_utc: the row's due instant as UTC text, or None.
        due_tz: the row's due zone, or None.
        idempotency_key: the key, or None.
        request_hash: what the key is bound to: the caller's ``request_digest`` if given,
            else a SHA-256 hex digest of the events' kinds, actors, instants, payloads (and
            schemas other than 1) as canonical JSON; two requests are identical when their
            hashes are. Empty when the request carries no idempotency key.
    """

    case_id: str
    expected_version: int
    new_version: int
    events: tuple[PreparedEvent, ...]
    row: CaseRow
    due_utc: str | None
    due_tz: str | None
    idempotency_key: str | None
    request_hash: str


def prepare_append(
    case_id: str,
    expected_version: int,
    events: Sequence[NewEvent],
    row: CaseRow,
    idempotency_key: str | None,
    request_digest: str | None = None,
) -> PreparedAppend:
    """Validate an append request and encode it; the same checks for every store.

    Also computes each event's content digest, the part of its chain digest that needs
    neither the time of recording nor the case's current head, so that a store computes it
    before it takes its write lock.

    Args:
        case_id: as for :meth:`EventStore.append`.
        expected_version: as for :meth:`EventStore.append`.
        events: as for :meth:`EventStore.append`.
        row: as for :meth:`EventStore.append`.
        idempotency_key: as for :meth:`EventStore.append`.
        request_digest: as for :meth:`EventStore.append`.

    Returns:
        The request, encoded.

    Raises:
        AppendRequestError: the request is malformed.
        EventPayloadError: a payload does not survive a JSON round trip.
    """
    _check_text("case_id", case_id, nonempty=True)
    if (
        not isinstance(expected_version, int)
        or isinstance(expected_version, bool)
        or expected_version < 0
    ):
        raise AppendRequestError(
            "expected_version", expected_version, "must be an int of at least 0"
        )
    if (
        type(events) is not list  # a list is a Sequence: no ABC check on the hot path
        and (isinstance(events, (str, bytes)) or not isinstance(events, Sequence))
    ) or not events:
        raise AppendRequestError("events", events, "must be a non-empty sequence of NewEvent")
    if idempotency_key is not None:
        _check_text("idempotency_key", idempotency_key, nonempty=True)
    if request_digest is not None:
        if idempotency_key is None:
            raise AppendRequestError(
                "request_digest", request_digest, "is only allowed with an idempotency_key"
            )
        _check_text("request_digest", request_digest, nonempty=True)
    if not isinstance(row, CaseRow):
        raise AppendRequestError("row", row, "must be a CaseRow")
    new_version = expected_version + len(events)
    if row.case_id != case_id:
        raise AppendRequestError("row.case_id", row.case_id, f"must be the case {case_id!r}")
    if row.version != new_version:
        raise AppendRequestError(
            "row.version",
            row.version,
            f"must be the version after the append, {expected_version} + {len(events)} = "
            f"{new_version}",
        )
    prepared: list[PreparedEvent] = []
    canonical: list[list[Any]] = []
    for index, event in enumerate(events):
        if not isinstance(event, NewEvent):
            raise AppendRequestError(f"events[{index}]", event, "must be a NewEvent")
        plain, text = _plain_payload(event.payload, f"events[{index}].payload")
        at_utc, at_tz = _encode_field(f"events[{index}].at", event.at)
        kind, actor, schema = event.kind, event.actor, event.schema
        prepared.append(
            PreparedEvent(
                kind=kind,
                actor=actor,
                at_utc=at_utc,
                at_tz=at_tz,
                payload_json=text,
                schema=schema,
                content=content_digest(
                    case_id, expected_version + index + 1, kind, actor, at_utc, at_tz, schema, plain
                ),
            )
        )
        # Schema 1 is left out, so that keys recorded before schemas existed still match.
        canonical.append(
            [kind, actor, at_utc, plain] if schema == 1 else [kind, actor, at_utc, plain, schema]
        )
    digest = ""  # only an idempotent request needs its fingerprint
    if request_digest is not None:
        digest = request_digest
    elif idempotency_key is not None:
        digest = hashlib.sha256(
            json.dumps(
                canonical,
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
                allow_nan=False,
            ).encode("utf-8")
        ).hexdigest()
    due_utc: str | None = None
    due_tz: str | None = None
    if row.due is not None:
        due_utc, due_tz = _encode_field("row.due", row.due)
        loaded, due = decode_instant(due_utc, due_tz), row.due
        # Same zone object, same fold and (compared with one zone) the same wall clock: the
        # row already holds what will load back, the usual case, so it is kept as it is.
        if not (loaded.tzinfo is due.tzinfo and loaded.fold == due.fold and loaded == due):
            row = attrs.evolve(row, due=loaded)
    return PreparedAppend(
        case_id=case_id,
        expected_version=expected_version,
        new_version=new_version,
        events=tuple(prepared),
        row=row,
        due_utc=due_utc,
        due_tz=due_tz,
        idempotency_key=idempotency_key,
        request_hash=digest,
    )


def _encode_field(field: str, value: dt.datetime) -> tuple[str, str]:
    try:
        return encode_instant(value)
    except OverflowError:
        raise AppendRequestError(field, value, "is too near the datetime range's ends") from None


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
"""``json.dumps(..., ensure_ascii=False, allow_nan=False)``, built once (``dumps`` builds an
encoder on every call that has options)."""


def _not_json(value: object) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _one_pass_dumps() -> Callable[[object], str]:
    """``_ENCODER.encode`` for a container, without building its C encoder on every call.

    The C encoder ``JSONEncoder.encode`` makes per call, made once with the same arguments
    but no circular-reference check (a container holding itself recurses until
    ``RecursionError``, which :func:`_plain_payload` takes as "not plain"). Where the C
    encoder is missing, ``_ENCODER.encode`` itself.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    escape = getattr(json.encoder, "c_encode_basestring", None)
    if make is None or escape is None:  # pragma: no cover - CPython has both
        return _ENCODER.encode
    encoder = make(None, _not_json, escape, None, ": ", ", ", False, False, False)
    return lambda value: "".join(encoder(value, 0))


_dumps = _one_pass_dumps()


def _plain_payload(payload: object, path: str) -> tuple[dict[str, Any], str]:
    if type(payload) is not dict and not isinstance(payload, Mapping):
        raise EventPayloadError(path, payload, "a payload must be a mapping with str keys")
    # Fast path: a payload that survives the JSON round trip unchanged is accepted as the
    # copy the round trip made. Anything else takes the walk below, which names the path.
    try:
        text = _dumps(payload)  # a Mapping that is not a dict is "not JSON" here: the walk
        if not text.isascii():
            text.encode("utf-8")  # refuses lone surrogates
        copy = json.loads(text)
        if isinstance(copy, dict) and copy == payload:
            return copy, text
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError):
        pass
    plain = _plain(payload, path, set())
    assert isinstance(plain, dict)
    # The walk above admits only JSON types; the round trip is the rule itself, kept as a
    # final check so that what is loaded is always what was appended.
    if json.loads(json.dumps(plain, allow_nan=False)) != plain:  # pragma: no cover
        raise EventPayloadError(path, payload, "does not survive a JSON round trip unchanged")
    return plain, _ENCODER.encode(plain)


def _plain(value: object, path: str, open_containers: set[int]) -> object:
    """Return a plain JSON copy of ``value`` (dicts and lists), or raise naming the path."""
    if isinstance(value, str):
        if not _is_unicode(value):
            raise EventPayloadError(path, value, "not valid Unicode text (a lone surrogate)")
        return value
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EventPayloadError(path, value, "JSON has no NaN or infinity")
        return value
    if isinstance(value, (Mapping, list)):
        if id(value) in open_containers:
            raise EventPayloadError(path, value, "a container holds itself")
        open_containers.add(id(value))
        try:
            if isinstance(value, list):
                return [
                    _plain(item, f"{path}[{i}]", open_containers) for i, item in enumerate(value)
                ]
            plain: dict[str, object] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise EventPayloadError(f"{path}[{key!r}]", key, "JSON object keys must be str")
                if not _is_unicode(key):
                    raise EventPayloadError(
                        f"{path}[{key!r}]", key, "not valid Unicode text (a lone surrogate)"
                    )
                plain[key] = _plain(item, f"{path}[{key!r}]", open_containers)
            return plain
        finally:
            open_containers.discard(id(value))
    if isinstance(value, tuple):
        raise EventPayloadError(path, value, "a tuple would load back as a list; give a list")
    rule = (
        f"{type(value).__name__} is not JSON; use dict, list, str, int, float, bool or None"
        + (" (datetimes as ISO text)" if isinstance(value, (dt.date, dt.time)) else "")
        + (" (money as decimal text)" if isinstance(value, Decimal) else "")
    )
    raise EventPayloadError(path, value, rule)
