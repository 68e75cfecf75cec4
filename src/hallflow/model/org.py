"""Who may do what, where and when: windows, staff, written authorities, leave, A/B posts.

A department keeps its legal powers when it moves into a hall; its staff act on them only
through written authorities: scoped to some powers, some matters and some windows, valid for
a period, issued by someone and recorded in a document. Roles (chief representative, window
head...) describe a job and grant nothing by themselves.

:meth:`Organisation.may` answers one question: may this staff member use this power on this
matter at this window on this day? Its answer carries the authority relied on and, when a
substitute acts, whom they act for.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from hallflow.errors import AuthorityError, OrganisationError, UnknownCodeError

if TYPE_CHECKING:
    from hallflow.model.catalogue import Matter

__all__ = [
    "ABPost",
    "Authority",
    "Leave",
    "Organisation",
    "Permission",
    "Power",
    "Role",
    "Staff",
    "Window",
    "WindowKind",
]


class WindowKind(enum.StrEnum):
    """The kinds of window (窗口) a hall opens."""

    COMPREHENSIVE = "comprehensive"
    """A comprehensive window (综合窗口): accepts for many departments at the front,
    the departments review at the back, and the case is delivered at the front again."""
    DEPARTMENT = "department"
    """A department's own window, handling that department's matters."""
    GREEN = "green"
    """A green window (绿色窗口) for special groups and major projects: priority,
    extended hours, appointments."""
    PROXY = "proxy"
    """A proxy window (代办窗口): staff apply on the applicant's behalf."""
    FLEXIBLE = "flexible"
    """A mobile or seasonal window (流动/季节性窗口)."""


class Role(enum.StrEnum):
    """A job in the hall. A role grants no power; an :class:`Authority` does."""

    CHIEF_REPRESENTATIVE = "chief_representative"
    """The department's chief representative (首席代表) in the hall."""
    WINDOW_HEAD = "window_head"
    """The head of a window (窗口负责人)."""
    CLERK = "clerk"
    """A window clerk who receives and checks applications."""
    REVIEWER = "reviewer"
    """The reviewer of one-review-one-approval (一审一核)."""
    APPROVER = "approver"
    """The approver of one-review-one-approval."""
    SUPERVISOR = "supervisor"
    """A member of the hall's supervision staff."""


class Power(enum.StrEnum):
    """A power an authority grants (the chief representative's five powers, generalised)."""

    ACCEPT = "accept"
    """Decide whether to accept an application (受理决定权)."""
    REVIEW = "review"
    """Review an application and report upwards (审核上报权)."""
    DECIDE = "decide"
    """Decide to approve or to deny (审批决定权)."""
    SEAL = "seal"
    """Affix the approval seal, physical or electronic (印章使用权)."""
    COORDINATE = "coordinate"
    """Organise and coordinate joint handling (组织协调权)."""


def _nonblank(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise OrganisationError(
            f"{type(instance).__name__}.{attribute.name}", "must be a non-blank string", value
        )


def _codes(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value)


def _optional_codes(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else _codes(value)


def _powers(value: Iterable[Power | str]) -> frozenset[Power]:
    if isinstance(value, str):
        return frozenset((Power(value),))
    return frozenset(Power(p) for p in value)


def _roles(value: Iterable[Role | str]) -> frozenset[Role]:
    if isinstance(value, str):
        return frozenset((Role(value),))
    return frozenset(Role(r) for r in value)


@attrs.define(frozen=True, slots=True)
class Window:
    """A window of the hall and the matters it handles.

    Which matters a window serves: those in ``matters`` when it is not empty; otherwise
    every matter of its ``department``; otherwise (no department: a comprehensive window,
    typically) any matter.

    Attributes:
        code: a unique code.
        name: the name shown above the window.
        kind: which kind of window.
        department: the department it belongs to; required for a department window.
        matters: the codes of the matters it handles; empty for "see above".
    """

    code: str = attrs.field(validator=_nonblank)
    name: str = attrs.field(validator=_nonblank)
    kind: WindowKind = attrs.field(converter=WindowKind)
    department: str | None = attrs.field(default=None)
    matters: frozenset[str] = attrs.field(default=frozenset(), converter=_codes)

    @department.validator
    def _check_department(self, _attribute: object, value: str | None) -> None:
        if value is None:
            if self.kind is WindowKind.DEPARTMENT:
                raise OrganisationError(
                    f"Window[{self.code}].department", "a department window needs one", value
                )
            return
        if not isinstance(value, str) or not value.strip():
            raise OrganisationError(
                f"Window[{self.code}].department", "must be None or a non-blank string", value
            )

    def handles(self, matter: Matter) -> bool:
        """Whether this window handles ``matter`` (see :meth:`serves`)."""
        return self.serves(matter.code, matter.department) is True

    def serves(self, matter: str, department: str | None) -> bool | None:
        """Whether this window handles a matter.

        Args:
            matter: the matter's code.
            department: the matter's department, if known.

        Returns:
            ``True`` or ``False``; ``None`` when the answer depends on the matter's
            department and ``department`` is ``None``.
        """
        if self.matters:
            return matter in self.matters
        if self.department is None:
            return True
        if department is None:
            return None
        return department == self.department


@attrs.define(frozen=True, slots=True)
class Staff:
    """A member of the hall's staff (工作人员).

    Attributes:
        code: a unique code (a staff number).
        name: the name.
        department: the department they come from (or the hall itself).
        roles: the jobs they hold.
    """

    code: str = attrs.field(validator=_nonblank)
    name: str = attrs.field(validator=_nonblank)
    department: str = attrs.field(validator=_nonblank)
    roles: frozenset[Role] = attrs.field(default=frozenset(), converter=_roles)


@attrs.define(frozen=True, slots=True)
class Authority:
    """A written authorisation (授权书) to use some powers on some matters at some windows.

    Attributes:
        holder: the staff code of the person authorised.
        powers: the powers granted (at least one).
        matters: the matter codes it covers; ``None`` for every matter.
        windows: the window codes it covers; ``None`` for every window and for work away
            from a window.
        valid_from: the first day it is valid.
        valid_to: the last day it is valid; ``None`` until revoked.
        issued_by: who issued it (a department head, the hall...).
        document: the reference of the written document.
    """

    holder: str = attrs.field(validator=_nonblank)
    powers: frozenset[Power] = attrs.field(converter=_powers)
    matters: frozenset[str] | None = attrs.field(default=None, converter=_optional_codes)
    windows: frozenset[str] | None = attrs.field(default=None, converter=_optional_codes)
    valid_from: dt.date = attrs.field(kw_only=True)
    valid_to: dt.date | None = attrs.field(default=None, kw_only=True)
    issued_by: str = attrs.field(kw_only=True, validator=_nonblank)
    document: str = attrs.field(kw_only=True, validator=_nonblank)

    @powers.validator
    def _check_powers(self, _attribute: object, value: frozenset[Power]) -> None:
        if not value:
            raise OrganisationError(
                f"Authority[{self.document}].powers",
                "must grant at least one power",
                set(value),
            )

    @valid_to.validator
    def _check_period(self, _attribute: object, value: dt.date | None) -> None:
        if not isinstance(self.valid_from, dt.date) or isinstance(self.valid_from, dt.datetime):
            raise OrganisationError("Authority.valid_from", "must be a date", self.valid_from)
        if value is not None and value < self.valid_from:
            raise OrganisationError(
                "Authority.valid_to", f"must not be before valid_from {self.valid_from}", value
            )

    def valid_on(self, day: dt.date) -> bool:
        """Whether the authority is in force on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def miss(
        self, power: Power, matter: str, window: str | None, on: dt.date
    ) -> tuple[str, str] | None:
        """Why this authority does not cover an act, or ``None`` if it does.

        Args:
            power: the power to use.
            matter: the matter's code.
            window: the window's code, or ``None`` for work away from a window.
            on: the day.

        Returns:
            ``None``, or a pair (rule, explanation).
        """
        if power not in self.powers:
            return "no-power", f"authority {self.document!r} does not grant {power}"
        if self.matters is not None and matter not in self.matters:
            return "matter-scope", f"authority {self.document!r} does not cover matter {matter!r}"
        if self.windows is not None and (window is None or window not in self.windows):
            where = "work away from a window" if window is None else f"window {window!r}"
            return "window-scope", f"authority {self.document!r} does not cover {where}"
        if on < self.valid_from:
            return "not-yet-valid", f"authority {self.document!r} is valid from {self.valid_from}"
        if self.valid_to is not None and on > self.valid_to:
            return "expired", f"authority {self.document!r} expired after {self.valid_to}"
        return None


@attrs.define(frozen=True, slots=True)
class Leave:
    """A period a staff member is away, and who stands in (顶岗).

    Attributes:
        staff: the staff code of the person away.
        first: the first day away.
        last: the last day away.
        substitute: the staff code of the person standing in; ``None`` to leave it to the
            person's A/B post.
    """

    staff: str = attrs.field(validator=_nonblank)
    first: dt.date = attrs.field()
    last: dt.date = attrs.field()
    substitute: str | None = attrs.field(default=None)

    @last.validator
    def _check_last(self, _attribute: object, value: dt.date) -> None:
        if value < self.first:
            raise OrganisationError(
                f"Leave[{self.staff}].last", f"must not be before first {self.first}", value
            )

    @substitute.validator
    def _check_substitute(self, _attribute: object, value: str | None) -> None:
        if value is not None and value == self.staff:
            raise OrganisationError(
                f"Leave[{self.staff}].substitute", "must not be the person on leave", value
            )

    def covers(self, day: dt.date) -> bool:
        """Whether ``day`` falls in the leave."""
        return self.first <= day <= self.last


@attrs.define(frozen=True, slots=True)
class ABPost:
    """An A/B post (AB角): B acts for A, on A's authorities, only while A is away.

    Attributes:
        a: the staff code of the holder of the post.
        b: the staff code of the backup.
    """

    a: str = attrs.field(validator=_nonblank)
    b: str = attrs.field(validator=_nonblank)

    @b.validator
    def _check_b(self, _attribute: object, value: str) -> None:
        if value == self.a:
            raise OrganisationError(f"ABPost[{self.a}].b", "must not be A", value)


@attrs.define(frozen=True, slots=True)
class Permission:
    """The answer of :meth:`Organisation.may`.

    Attributes:
        allowed: whether the act is allowed; a permission is truthy when it is.
        authority: the authority relied on, when allowed.
        acting_for: the staff code of the person stood in for, when a substitute acts.
        reason: an explanation fit to show a user.
        rule: a short name of the rule that decided (``"own-authority"``, ``"substitute"``,
            ``"on-leave"``, ``"expired"``...).
    """

    allowed: bool
    authority: Authority | None = None
    acting_for: str | None = None
    reason: str = ""
    rule: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def _unique(kind: str, codes: Iterable[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise OrganisationError(f"Organisation.{kind}", "codes must be unique", code)
        seen.add(code)


def _windows(value: Iterable[Window]) -> tuple[Window, ...]:
    return tuple(value)


def _staff(value: Iterable[Staff]) -> tuple[Staff, ...]:
    return tuple(value)


def _authorities(value: Iterable[Authority]) -> tuple[Authority, ...]:
    return tuple(value)


def _leaves(value: Iterable[Leave]) -> tuple[Leave, ...]:
    return tuple(value)


def _posts(value: Iterable[ABPost]) -> tuple[ABPost, ...]:
    return tuple(value)


@attrs.define(frozen=True, slots=True)
class Organisation:
    """The hall's windows and people, and who may do what (the data :meth:`may` reads).

    Construction checks that codes are unique and that every authority, leave and post
    names known staff (and, for authorities, known windows). Matter codes are not checked
    here: the organisation does not know the catalogue.

    Attributes:
        windows: the windows.
        staff_members: the staff (the constructor argument is ``staff``; the attribute is
            renamed so that :meth:`staff` can look one up).
        authorities: the written authorities.
        leaves: leave periods.
        posts: A/B posts.
    """

    windows: tuple[Window, ...] = attrs.field(converter=_windows)
    staff_members: tuple[Staff, ...] = attrs.field(converter=_staff, alias="staff")
    authorities: tuple[Authority, ...] = attrs.field(converter=_authorities)
    leaves: tuple[Leave, ...] = attrs.field(default=(), converter=_leaves)
    posts: tuple[ABPost, ...] = attrs.field(default=(), converter=_posts)
    _window_index: dict[str, Window] = attrs.field(init=False, eq=False, repr=False)
    _staff_index: dict[str, Staff] = attrs.field(init=False, eq=False, repr=False)
    _held: dict[str, tuple[Authority, ...]] = attrs.field(init=False, eq=False, repr=False)
    _leaves_of: dict[str, tuple[Leave, ...]] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        _unique("windows", (w.code for w in self.windows))
        _unique("staff", (s.code for s in self.staff_members))
        windows = {w.code: w for w in self.windows}
        people = {s.code: s for s in self.staff_members}
        for authority in self.authorities:
            where = f"Organisation.authorities[{authority.document}]"
            if authority.holder not in people:
                raise OrganisationError(f"{where}.holder", "unknown staff", authority.holder)
            for window in sorted(authority.windows or ()):
                if window not in windows:
                    raise OrganisationError(f"{where}.windows", "unknown window", window)
        for leave in self.leaves:
            for field, code in (("staff", leave.staff), ("substitute", leave.substitute)):
                if code is not None and code not in people:
                    raise OrganisationError(f"Organisation.leaves.{field}", "unknown staff", code)
        for post in self.posts:
            for field, code in (("a", post.a), ("b", post.b)):
                if code not in people:
                    raise OrganisationError(f"Organisation.posts.{field}", "unknown staff", code)
        object.__setattr__(self, "_window_index", windows)
        object.__setattr__(self, "_staff_index", people)
        # Each person's authorities and leaves, in the given order, so that a check reads
        # only its actor's (a hall holds hundreds of authorities).
        held: dict[str, list[Authority]] = {}
        for authority in self.authorities:
            held.setdefault(authority.holder, []).append(authority)
        object.__setattr__(self, "_held", {k: tuple(v) for k, v in held.items()})
        leaves_of: dict[str, list[Leave]] = {}
        for leave in self.leaves:
            leaves_of.setdefault(leave.staff, []).append(leave)
        object.__setattr__(self, "_leaves_of", {k: tuple(v) for k, v in leaves_of.items()})

    def window(self, code: str) -> Window:
        """The window with this code.

        Raises:
            UnknownCodeError: there is none.
        """
        try:
            return self._window_index[code]
        except KeyError:
            raise UnknownCodeError("window", "no such window", code) from None

    def staff(self, code: str) -> Staff:
        """The staff member with this code.

        Raises:
            UnknownCodeError: there is none.
        """
        try:
            return self._staff_index[code]
        except KeyError:
            raise UnknownCodeError("staff", "no such staff member", code) from None

    def leave_on(self, staff: str, on: dt.date) -> Leave | None:
        """The leave ``staff`` is on on day ``on``, if any."""
        return next((x for x in self._leaves_of.get(staff, ()) if x.covers(on)), None)

    def stood_in_for(self, staff: str, on: dt.date) -> tuple[str, ...]:
        """Whom ``staff`` stands in for on day ``on``.

        A person on leave is stood in for by the leave's named substitute, or, when the
        leave names none, by the B of each A/B post where they are A.

        Returns:
            The staff codes, in the order of the leaves.
        """
        out: list[str] = []
        for leave in self.leaves:
            if not leave.covers(on) or leave.staff in out:
                continue
            if leave.substitute is not None:
                if leave.substitute == staff:
                    out.append(leave.staff)
            elif any(p.a == leave.staff and p.b == staff for p in self.posts):
                out.append(leave.staff)
        return tuple(out)

    def may(
        self,
        staff: str,
        power: Power | str,
        matter: str | Matter,
        window: str | None,
        on: dt.date,
    ) -> Permission:
        """Whether ``staff`` may use ``power`` on ``matter`` at ``window`` on day ``on``.

        In order: the staff member and the window must exist; the window must serve the
        matter (see :class:`Window`; when that depends on the matter's department and only
        a code is given, this check is skipped — pass the
        :class:`~hallflow.model.catalogue.Matter` for the full check); a person on leave may
        not act; their own authorities are tried; then those of each person they stand in
        for that day (see :meth:`stood_in_for`).

        Args:
            staff: the staff code.
            power: the power to use.
            matter: the matter, or its code.
            window: the window's code; ``None`` for work away from a window, which only
                authorities without a window scope cover.
            on: the day of the act.

        Returns:
            The permission, allowed or not, with the reason.
        """
        power = power if type(power) is Power else Power(power)
        if isinstance(matter, str):
            code, department = matter, None
        else:
            code, department = matter.code, matter.department
        person = self._staff_index.get(staff)
        if person is None:
            return Permission(False, reason=f"no staff member {staff!r}", rule="unknown-staff")
        if window is not None:
            place = self._window_index.get(window)
            if place is None:
                return Permission(False, reason=f"no window {window!r}", rule="unknown-window")
            if place.serves(code, department) is False:
                return Permission(
                    False,
                    reason=f"window {window!r} does not handle matter {code!r}",
                    rule="window-remit",
                )
        leave = self.leave_on(staff, on)
        if leave is not None:
            return Permission(
                False,
                reason=f"{staff!r} is on leave from {leave.first} to {leave.last}",
                rule="on-leave",
            )
        misses: list[tuple[str, str]] = []
        for holder in (staff, *self.stood_in_for(staff, on)):
            for authority in self._held.get(holder, ()):
                miss = authority.miss(power, code, window, on)
                if miss is None:
                    if holder == staff:
                        return Permission(
                            True,
                            authority,
                            reason=f"{staff!r} holds authority {authority.document!r}",
                            rule="own-authority",
                        )
                    return Permission(
                        True,
                        authority,
                        acting_for=holder,
                        reason=(
                            f"{staff!r} stands in for {holder!r}, on leave, under "
                            f"authority {authority.document!r}"
                        ),
                        rule="substitute",
                    )
                misses.append(miss)
        if not misses:
            return Permission(
                False, reason=f"{staff!r} holds no written authority", rule="no-authority"
            )
        # The nearest miss explains best: a date problem beats a scope problem.
        order = ["expired", "not-yet-valid", "window-scope", "matter-scope", "no-power"]
        rule, reason = min(misses, key=lambda m: order.index(m[0]))
        return Permission(False, reason=reason, rule=rule)

    def require(
        self,
        staff: str,
        power: Power | str,
        matter: str | Matter,
        window: str | None,
        on: dt.date,
    ) -> Permission:
        """Like :meth:`may`, but raise when the act is not allowed.

        Returns:
            The permission (allowed).

        Raises:
            AuthorityError: naming the actor, power, matter, window and the reason.
        """
        permission = self.may(staff, power, matter, window, on)
        if not permission.allowed:
            code = matter if isinstance(matter, str) else matter.code
            rule = f"{permission.reason} [{permission.rule}]"
            raise AuthorityError(staff, Power(power), code, window, rule)
        return permission
