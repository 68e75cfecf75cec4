"""Evaluations of service and the rectification of bad ratings, as events of their own.

A rating is recorded in its own reserved stream ``hallflow:rating:<id>`` (the event shapes are
fixed in ``CONTRACT.md``: ``rated``, ``rating_verified``, ``rating_rectified``,
``rating_revisited``), appended through the hall's store like the seal ledger's stream, so
that every Hall on the store, the statistics and the event sinks see it.

:class:`Supervision` is the facade: it is built on a :class:`~hallflow.cases.hall.Hall` (the
supervision layer sits above the cases; nothing in :mod:`hallflow.cases` imports it) and runs
every command through one checker (:class:`hallflow.supervision._checks.Desk`).

Who may do what:

* **rate** — anyone: a real-name rater gives their id (for a case, the case's applicant), an
  anonymous rater gives none; staff rate nothing on behalf of the public.
* **verify** and **revisit** — the hall's supervision staff
  (:attr:`~hallflow.model.org.Role.SUPERVISOR`; in Zhenlai the centre's inspection section,
  runs the assessments — seed 000 篇三, Window rules 九).
* **rectify** — the rated staff member themself, or a window head or chief
  representative of the rated window's department (any window head when the window belongs
  to no department).
* **default ratings** — the supervision system (actor ``hallflow:supervision``).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import uuid6

from hallflow.cases.commands import RESERVED_PREFIX, check_instant
from hallflow.cases.hall import Hall
from hallflow.cases.lifecycle import CaseState
from hallflow.errors import (
    CaseStateError,
    CommandInputError,
    HistoryError,
    ModelError,
    NotAuthorisedError,
    PluginError,
    UnknownCodeError,
)
from hallflow.model.catalogue import Matter
from hallflow.model.org import Role, Staff
from hallflow.store.base import StoredEvent
from hallflow.supervision import _checks, complaints
from hallflow.supervision._checks import ANONYMOUS, SYSTEM, Desk, LateStep, Request, late
from hallflow.supervision.complaints import Complaint, ComplaintCategory, Handling
from hallflow.timeline.clock import Clock
from hallflow.timeline.limits import Limit

__all__ = [
    "ANONYMOUS",
    "RATING_PREFIX",
    "RECTIFICATION_STEPS",
    "SYSTEM",
    "DefaultRating",
    "LateStep",
    "Level",
    "Rating",
    "RatingChannel",
    "Rectification",
    "Revisit",
    "Supervision",
    "Verification",
    "fold_rating",
]

RATING_PREFIX = f"{RESERVED_PREFIX}rating:"
"""The prefix of every rating stream."""

RECTIFICATION_STEPS = ("verify", "rectify", "revisit")
"""The steps of a bad rating's flow, in order: verification, rectification, visit."""


class Level(enum.IntEnum):
    """The five levels of the national good-and-bad rating scheme (好差评).

    A rating of :attr:`DISSATISFIED` or worse is a bad rating (see :attr:`Rating.bad`).
    """

    VERY_DISSATISFIED = 1
    DISSATISFIED = 2
    BASICALLY_SATISFIED = 3
    SATISFIED = 4
    VERY_SATISFIED = 5


class RatingChannel(enum.StrEnum):
    """Where a rating was given."""

    KEYPAD = "keypad"
    """The rating keypad at the window (电子评价器)."""
    ONLINE = "online"
    SMS = "sms"
    QR = "qr"
    """A QR code shown at the window."""
    DEFAULT = "default"
    """No rating was given in time: the locality's default rating (recorded by the system)."""


_GIVEN = tuple(c.value for c in RatingChannel if c is not RatingChannel.DEFAULT)


def _level(field: str, value: object) -> Level:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return Level(value)
    raise CommandInputError(field, "must be an int from 1 (very dissatisfied) to 5", value)


def _default_level(value: object) -> Level:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return Level(value)
    raise ModelError("DefaultRating.level", "must be an int from 1 to 5 (a Level)", value)


def _check_limit(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Limit):
        raise ModelError(f"DefaultRating.{attribute.name}", "must be a Limit", value)


@attrs.define(frozen=True, slots=True)
class DefaultRating:
    """The rating a closed case gets when its applicant gives none in time.

    Attributes:
        period: how long after closure (the delivery) the applicant may rate.
        level: the level recorded when the period has passed without a rating.
    """

    period: Limit = attrs.field(validator=_check_limit)
    level: Level = attrs.field(converter=_default_level)


@attrs.define(frozen=True, slots=True)
class Verification:
    """A bad rating's verification (核实): whether the complaint in it holds."""

    valid: bool
    finding: str
    by: str
    at: dt.datetime
    seq: int


@attrs.define(frozen=True, slots=True)
class Rectification:
    """What the responsible staff did about a verified bad rating (整改)."""

    measures: str
    by: str
    at: dt.datetime
    seq: int


@attrs.define(frozen=True, slots=True)
class Revisit:
    """The follow-up visit to the rater after rectification (回访)."""

    satisfied: bool
    note: str
    by: str
    at: dt.datetime
    seq: int


@attrs.define(frozen=True, slots=True)
class Rating:
    """One rating, rebuilt from its stream.

    Attributes:
        rating_id: 32 lowercase hex characters.
        level: the level.
        channel: where it was given.
        case_id: the case rated, or None for a service encounter without a case.
        window: the window rated.
        department: the window's (or the matter's) department, if any.
        staff: the staff member rated, if any.
        matter: the matter, if known.
        real_name: given under the rater's id (else anonymous).
        rater: the rater's id, ``anonymous``, or ``hallflow:supervision`` for a default.
        comment: the rater's words.
        default: recorded by the system when no rating was given in time.
        rated_at: when.
        verification: the verification, once made.
        rectification: the rectification, once made.
        revisit: the follow-up visit, once made.
    """

    rating_id: str
    level: Level
    channel: RatingChannel
    case_id: str | None
    window: str
    department: str | None
    staff: str | None
    matter: str | None
    real_name: bool
    rater: str
    comment: str
    default: bool
    rated_at: dt.datetime
    verification: Verification | None = None
    rectification: Rectification | None = None
    revisit: Revisit | None = None

    @property
    def stream(self) -> str:
        """The rating's stream id."""
        return RATING_PREFIX + self.rating_id

    @property
    def bad(self) -> bool:
        """A bad rating (差评): dissatisfied or very dissatisfied."""
        return self.level <= Level.DISSATISFIED

    @property
    def withdrawn(self) -> bool:
        """A bad rating verified as unfounded: out of satisfaction and rectification figures."""
        return self.bad and self.verification is not None and not self.verification.valid

    @property
    def stage(self) -> str:
        """Where the rating stands.

        ``rated``, ``verified``, ``rectified``, ``revisited``, ``withdrawn``, or ``closed``
        for a rating that is not bad.
        """
        if not self.bad:
            return "closed"
        if self.revisit is not None:
            return "revisited"
        if self.rectification is not None:
            return "rectified"
        if self.verification is not None:
            return "withdrawn" if not self.verification.valid else "verified"
        return "rated"


def fold_rating(events: list[StoredEvent]) -> Rating:
    """Rebuild a rating from its stream's events.

    Raises:
        HistoryError: the events are not a rating's history.
    """
    if not isinstance(events, list) or not all(isinstance(e, StoredEvent) for e in events):
        raise CommandInputError("events", "must be a list of StoredEvents", events)
    if not events:
        raise HistoryError("(none)", 0, "a rating stream has no events")
    stream = events[0].case_id
    if not stream.startswith(RATING_PREFIX):
        raise HistoryError(stream, 1, "not a rating stream")
    first = events[0]
    try:
        if first.kind != "rated":
            raise HistoryError(stream, first.seq, f"the first event is {first.kind!r}")
        p = first.payload
        rating = Rating(
            rating_id=stream[len(RATING_PREFIX) :],
            level=Level(p["level"]),
            channel=RatingChannel(p["channel"]),
            case_id=p["case_id"],
            window=p["window"],
            department=p["department"],
            staff=p["staff"],
            matter=p["matter"],
            real_name=bool(p["real_name"]),
            rater=first.actor,
            comment=p["comment"],
            default=bool(p["default"]),
            rated_at=first.at,
        )
        for e in events[1:]:
            q = e.payload
            if e.kind == "rating_verified" and rating.verification is None and rating.bad:
                rating = attrs.evolve(
                    rating,
                    verification=Verification(q["valid"], q["finding"], e.actor, e.at, e.seq),
                )
            elif (
                e.kind == "rating_rectified"
                and rating.stage == "verified"
                and rating.rectification is None
            ):
                rating = attrs.evolve(
                    rating, rectification=Rectification(q["measures"], e.actor, e.at, e.seq)
                )
            elif e.kind == "rating_revisited" and rating.stage == "rectified":
                rating = attrs.evolve(
                    rating, revisit=Revisit(q["satisfied"], q["note"], e.actor, e.at, e.seq)
                )
            else:
                raise HistoryError(stream, e.seq, f"{e.kind!r} does not follow {rating.stage}")
    except (KeyError, TypeError, ValueError) as exc:
        raise HistoryError(stream, first.seq, f"malformed rating event: {exc!r}") from None
    return rating


def _limits_answer(answer: object) -> dict[str, Limit]:
    if not isinstance(answer, Mapping) or set(answer) != set(RECTIFICATION_STEPS):
        raise PluginError(
            "(first result)",
            "hallflow_rectification_limits",
            f"must map exactly {', '.join(RECTIFICATION_STEPS)} to Limits, not {answer!r}",
        )
    out: dict[str, Limit] = {}
    for step in RECTIFICATION_STEPS:
        limit = answer[step]
        if not isinstance(limit, Limit):
            raise PluginError(
                "(first result)", "hallflow_rectification_limits", f"{step}: {limit!r}"
            )
        out[step] = limit
    return out


_RECTIFIERS = frozenset({Role.WINDOW_HEAD, Role.CHIEF_REPRESENTATIVE})
_SUPERVISORS = frozenset({Role.SUPERVISOR})


class Supervision:
    """Evaluations, the rectification of bad ratings and complaints, for one hall.

    Args:
        hall: the hall (its organisation, calendar, store, settings and plugins).
        new_id: how new rating and complaint ids are made (32 lowercase hex characters;
            default: a time-ordered UUID 7).
    """

    def __init__(self, hall: Hall, *, new_id: Callable[[], str] | None = None) -> None:
        self.desk = Desk(hall)
        self.hall = hall
        self._new_id = new_id or (lambda: uuid6.uuid7().hex)

    # ------------------------------------------------------------------ ids

    def fresh_id(self, kind: str, key: str | None) -> str:
        """A new stream id: derived from the idempotency key when there is one."""
        if key is not None:
            return _checks.derived_id(kind, key)
        value = self._new_id()
        if not _checks.is_hex_id(value):
            raise CommandInputError("new_id()", "must return 32 lowercase hex characters", value)
        return value

    # ------------------------------------------------------------------ rating

    def rate(
        self,
        level: Level | int,
        channel: RatingChannel | str,
        *,
        at: dt.datetime,
        case_id: str | None = None,
        window: str | None = None,
        staff: str | None = None,
        matter: str | None = None,
        rater: str | None = None,
        comment: str = "",
        idempotency_key: str | None = None,
    ) -> Rating:
        """Record a rating of a case, or of a service encounter without one.

        For a case, the window and matter are the case's (a window or matter given must
        match); for an encounter, the window is required. ``rater`` None is an anonymous
        rating; a real-name rating of a case is by its applicant.

        Raises:
            CommandInputError: a malformed or unknown argument.
            CaseNotFoundError: no such case.
            NotAuthorisedError: a real-name rater who is not the case's applicant.
            TimeOrderError: before the case's last event, or out of range.
            IdempotencyError: the key was used for another request.
        """
        lvl = _level("level", level)
        chan = _checks.choice("channel", channel, _GIVEN)
        key = _checks.key(idempotency_key)
        case_id = _checks.optional_code("case_id", case_id)
        window = _checks.optional_code("window", window)
        staff = _checks.optional_code("staff", staff)
        matter = _checks.optional_code("matter", matter)
        rater = _checks.optional_code("rater", rater)
        comment = _checks.text("comment", comment, required=False)
        if rater is not None and (rater == ANONYMOUS or rater.startswith(RESERVED_PREFIX)):
            raise CommandInputError(
                "rater", "is reserved; give None for an anonymous rating", rater
            )
        after: list[tuple[str, dt.datetime]] = []
        if case_id is not None:
            case = self.hall.case(case_id)
            for name, given, own in (
                ("window", window, case.window),
                ("matter", matter, case.matter),
            ):
                if given is not None and given != own:
                    raise CommandInputError(name, f"must be the case's own ({own!r})", given)
            window, matter = case.window, case.matter
            if rater is not None and rater != case.applicant:
                raise NotAuthorisedError(
                    rater,
                    "rate",
                    case_id,
                    "a real-name rating of a case is by its applicant",
                    "not-the-applicant",
                )
            after.append((f"the case's last event ({case.history[-1].kind})", case.history[-1].at))
        if window is None:
            raise CommandInputError("window", "is required for a rating without a case", None)
        department = self.department_of(window, matter, staff)
        payload: dict[str, Any] = {
            "level": int(lvl),
            "channel": chan,
            "case_id": case_id,
            "window": window,
            "department": department,
            "staff": staff,
            "matter": matter,
            "real_name": rater is not None,
            "comment": comment,
            "default": False,
        }
        rating_id = self.fresh_id("rating", key)
        request = Request(
            name="rate",
            stream=RATING_PREFIX + rating_id,
            actor=rater if rater is not None else ANONYMOUS,
            at=at,
            kind="rated",
            payload=payload,
            roles=None,
            after=after,
            creates=True,
        )
        return fold_rating(self.desk.run(request, key))

    def department_of(
        self, window: str | None, matter: str | None, staff: str | None
    ) -> str | None:
        """The department answerable: the window's, else the matter's, else the staff's.

        Raises:
            CommandInputError: an unknown window, matter or staff member.
        """
        org = self.hall.organisation
        department: str | None = None
        if window is not None:
            try:
                department = org.window(window).department
            except UnknownCodeError:
                raise CommandInputError("window", "no such window in the hall", window) from None
        if matter is not None:
            try:
                m = self.hall.catalogue.get(matter)
            except UnknownCodeError:
                raise CommandInputError(
                    "matter", "no such matter in the catalogue", matter
                ) from None
            if department is None:
                department = m.department
        if staff is not None:
            try:
                member = org.staff(staff)
            except UnknownCodeError:
                raise CommandInputError("staff", "no such staff member", staff) from None
            if department is None:
                department = member.department
        return department

    # ------------------------------------------------------------------ the flow

    def rating(self, rating_id: str) -> Rating:
        """The rating with this id.

        Raises:
            CommandInputError: not a rating id, or no such rating.
        """
        return fold_rating(
            _checks.stored(self.hall, RATING_PREFIX, "rating_id", "rating", rating_id)
        )

    def ratings(self) -> list[Rating]:
        """Every rating in the store, by id."""
        store = self.hall.store
        return [fold_rating(store.load(s)) for s in store.case_ids() if s.startswith(RATING_PREFIX)]

    def _step(
        self,
        name: str,
        kind: str,
        rating_id: str,
        actor: str,
        at: dt.datetime,
        payload: dict[str, Any],
        needs: str,
        key: str | None,
    ) -> Rating:
        rating = self.rating(rating_id)
        actor = _checks.code("actor", actor)
        roles: frozenset[Role] = _SUPERVISORS
        may: Callable[[Staff], bool] | None = None
        if name == "rectify":
            roles = frozenset(Role)

            def may(member: Staff) -> bool:
                if member.code == rating.staff:
                    return True
                return bool(member.roles & _RECTIFIERS) and rating.department in (
                    None,
                    member.department,
                )

        def allowed(events: list[StoredEvent]) -> str | None:
            current = fold_rating(events)
            if not current.bad:
                return f"only a bad rating is {name}d; this one is level {int(current.level)}"
            if current.stage != needs:
                return f"the rating is {current.stage}; {name} needs it {needs}"
            return None

        request = Request(
            name=name,
            stream=rating.stream,
            actor=actor,
            at=at,
            kind=kind,
            payload=payload,
            roles=roles,
            may=may,
            allowed=allowed,
        )
        return fold_rating(self.desk.run(request, _checks.key(key)))

    def verify(
        self,
        rating_id: str,
        *,
        valid: bool,
        finding: str,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Rating:
        """Verify a bad rating: ``valid`` False withdraws it from the figures.

        Raises:
            CommandInputError: a malformed argument or an unknown rating.
            NotAuthorisedError: the actor is not supervision staff.
            TimeOrderError: before the stream's last event, or out of range.
            CaseStateError: not a bad rating, or already verified.
            IdempotencyError: the key was used for another request.
        """
        payload = {
            "valid": _checks.flag("valid", valid),
            "finding": _checks.text("finding", finding, required=True),
        }
        return self._step(
            "verify", "rating_verified", rating_id, actor, at, payload, "rated", idempotency_key
        )

    def rectify(
        self,
        rating_id: str,
        *,
        measures: str,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Rating:
        """Record the rectification of a bad rating verified as valid.

        Raises:
            CommandInputError: a malformed argument or an unknown rating.
            NotAuthorisedError: the actor is neither the rated staff member nor a window
                head or chief representative of the department.
            TimeOrderError: before the stream's last event, or out of range.
            CaseStateError: not verified as valid, or already rectified.
            IdempotencyError: the key was used for another request.
        """
        payload = {"measures": _checks.text("measures", measures, required=True)}
        return self._step(
            "rectify",
            "rating_rectified",
            rating_id,
            actor,
            at,
            payload,
            "verified",
            idempotency_key,
        )

    def revisit(
        self,
        rating_id: str,
        *,
        satisfied: bool,
        note: str,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Rating:
        """Record the follow-up visit to the rater after rectification.

        Raises:
            CommandInputError: a malformed argument or an unknown rating.
            NotAuthorisedError: the actor is not supervision staff.
            TimeOrderError: before the stream's last event, or out of range.
            CaseStateError: not rectified, or already revisited.
            IdempotencyError: the key was used for another request.
        """
        payload = {
            "satisfied": _checks.flag("satisfied", satisfied),
            "note": _checks.text("note", note, required=True),
        }
        return self._step(
            "revisit",
            "rating_revisited",
            rating_id,
            actor,
            at,
            payload,
            "rectified",
            idempotency_key,
        )

    # ------------------------------------------------------------------ default ratings

    def default_rating(self, matter: Matter) -> DefaultRating | None:
        """The locality's default rating for ``matter`` (the first plugin's answer)."""
        answer = self.hall.plugins.hook.hallflow_default_rating(matter=matter)
        if answer is not None and not isinstance(answer, DefaultRating):
            raise PluginError(
                "(first result)", "hallflow_default_rating", f"not a DefaultRating: {answer!r}"
            )
        return answer

    def default_ratings(self, at: dt.datetime) -> list[Rating]:
        """Record the default rating of every closed case whose rating period has passed.

        A case closed (delivered) and never rated gets the locality's default level, dated
        when its period ran out; a second run records nothing (the case is rated then, and
        the stream id is derived from the case id, so two runs cannot both record one).

        Returns:
            The ratings recorded now.

        Raises:
            CommandInputError: ``at`` is not an aware instant.
            TimeOrderError: ``at`` lies outside the hall calendar or in the future.
        """
        at = check_instant("at", at)
        self.desk.in_range(SYSTEM, "default_ratings", at)
        rated = {r.case_id for r in self.ratings() if r.case_id is not None}
        out: list[Rating] = []
        for row in self.hall.find(state=CaseState.CLOSED):
            if row.case_id in rated:
                continue
            case = self.hall.case(row.case_id)
            rule = self.default_rating(self.hall.catalogue.get(case.matter))
            if rule is None:
                continue
            closed = case.history[-1].at
            due = Clock.start("rating", rule.period, self.hall.calendar, closed).due(closed)
            if due > at:
                continue
            payload: dict[str, Any] = {
                "level": int(rule.level),
                "channel": RatingChannel.DEFAULT.value,
                "case_id": case.case_id,
                "window": case.window,
                "department": self.department_of(case.window, case.matter, None),
                "staff": None,
                "matter": case.matter,
                "real_name": False,
                "comment": "",
                "default": True,
            }
            stream = RATING_PREFIX + _checks.derived_id("default-rating", case.case_id)
            request = Request(
                name="default_rating",
                stream=stream,
                actor=SYSTEM,
                at=due,
                kind="rated",
                payload=payload,
                roles=None,
                after=[("the case's last event", closed)],
                creates=True,
            )
            try:
                out.append(fold_rating(self.desk.run(request)))
            except CaseStateError:
                continue  # a concurrent run recorded it first
        return out

    # ------------------------------------------------------------------ clocks

    def rectification_limits(self) -> dict[str, Limit]:
        """The limits of the verification, rectification and follow-up visit steps."""
        return _limits_answer(self.hall.plugins.hook.hallflow_rectification_limits())

    def clocks(self, rating: Rating) -> dict[str, Clock]:
        """A bad rating's step clocks on the hall calendar (none for a rating not bad).

        ``verify`` runs from the rating to its verification; ``rectify`` from a valid
        verification to the rectification; ``revisit`` from the rectification to the visit.
        """
        if not isinstance(rating, Rating):
            raise CommandInputError("rating", "must be a Rating", rating)
        if not rating.bad:
            return {}
        limits = self.rectification_limits()
        cal, policy = self.hall.calendar, self.hall.settings.clock_policy
        out: dict[str, Clock] = {}
        marks: list[tuple[str, dt.datetime, dt.datetime | None]] = [
            ("verify", rating.rated_at, rating.verification.at if rating.verification else None)
        ]
        if rating.verification is not None and rating.verification.valid:
            marks.append(
                (
                    "rectify",
                    rating.verification.at,
                    rating.rectification.at if rating.rectification else None,
                )
            )
        if rating.rectification is not None:
            marks.append(
                ("revisit", rating.rectification.at, rating.revisit.at if rating.revisit else None)
            )
        for step, start, stop in marks:
            clock = Clock.start(step, limits[step], cal, start, policy=policy)
            out[step] = clock.stop(stop) if stop is not None else clock
        return out

    def late_steps(self, at: dt.datetime) -> list[LateStep]:
        """Every step of every bad rating that is overdue at ``at`` or was done late."""
        at = check_instant("at", at)
        out: list[LateStep] = []
        for rating in self.ratings():
            seqs = {
                "verify": (1, rating.verification.seq if rating.verification else None),
                "rectify": (
                    rating.verification.seq if rating.verification else None,
                    rating.rectification.seq if rating.rectification else None,
                ),
                "revisit": (
                    rating.rectification.seq if rating.rectification else None,
                    rating.revisit.seq if rating.revisit else None,
                ),
            }
            for step, clock in self.clocks(rating).items():
                who = rating.staff if step == "rectify" else None
                evidence = tuple(s for s in seqs[step] if s is not None)
                found = late(rating.stream, step, clock, at, who, rating.department, evidence)
                if found is not None:
                    out.append(found)
        return out

    # ------------------------------------------------------------------ complaints

    def receive_complaint(
        self,
        category: ComplaintCategory | str,
        handling: Handling | str,
        text: str,
        *,
        at: dt.datetime,
        case_id: str | None = None,
        window: str | None = None,
        staff: str | None = None,
        matter: str | None = None,
        complainant: str | None = None,
        idempotency_key: str | None = None,
    ) -> Complaint:
        """Receive a complaint (see :func:`hallflow.supervision.complaints.receive`)."""
        return complaints.receive(
            self,
            category,
            handling,
            text,
            at=at,
            case_id=case_id,
            window=window,
            staff=staff,
            matter=matter,
            complainant=complainant,
            idempotency_key=idempotency_key,
        )

    def conclude_complaint(
        self,
        complaint_id: str,
        *,
        upheld: bool,
        finding: str,
        actor: str,
        at: dt.datetime,
        idempotency_key: str | None = None,
    ) -> Complaint:
        """Conclude a complaint (see :func:`hallflow.supervision.complaints.conclude`)."""
        return complaints.conclude(
            self,
            complaint_id,
            upheld=upheld,
            finding=finding,
            actor=actor,
            at=at,
            idempotency_key=idempotency_key,
        )

    def complaint(self, complaint_id: str) -> Complaint:
        """The complaint with this id (see :func:`hallflow.supervision.complaints.get`)."""
        return complaints.get(self, complaint_id)

    def complaints(self) -> list[Complaint]:
        """Every complaint in the store, by id."""
        return complaints.complaints(self)

    def complaint_clock(self, complaint: Complaint) -> Clock:
        """A complaint's handling clock."""
        return complaints.complaint_clock(self, complaint)

    def late_complaints(self, at: dt.datetime) -> list[LateStep]:
        """Every complaint open past its limit at ``at``, or concluded late."""
        return complaints.late_complaints(self, at)
