"""The organisation: windows, staff, written authorities, leave and A/B substitution."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallflow.errors import AuthorityError, OrganisationError, UnknownCodeError
from hallflow.model import (
    PROMISED,
    ABPost,
    Authority,
    Leave,
    Material,
    Matter,
    Organisation,
    Power,
    Role,
    Staff,
    Window,
    WindowKind,
)
from hallflow.timeline import Limit
from tests.strategies import organisations

D = dt.date
START = D(2024, 1, 1)


def matter(code: str, department: str) -> Matter:
    return Matter(
        code,
        f"Matter {code}",
        department,
        PROMISED,
        "Administrative Licensing Law",
        (),
        (Material("app", "Application"),),
        Limit.working_days(20),
        Limit.working_days(10),
    )


def hall() -> Organisation:
    """Two departments; a comprehensive window; a department window; A/B posts."""
    return Organisation(
        windows=(
            Window("c1", "Comprehensive 1", WindowKind.COMPREHENSIVE),
            Window("land", "Land bureau", WindowKind.DEPARTMENT, "land"),
            Window("g1", "Green window", WindowKind.GREEN, matters={"L-1", "H-1"}),
        ),
        staff=(
            Staff("zhang", "Zhang", "land", {Role.CHIEF_REPRESENTATIVE}),
            Staff("li", "Li", "land", {Role.CLERK}),
            Staff("wang", "Wang", "land", {Role.CLERK}),
            Staff("zhao", "Zhao", "housing", {Role.APPROVER}),
        ),
        authorities=(
            Authority(
                "zhang",
                {Power.ACCEPT, Power.DECIDE, Power.SEAL},
                {"L-1", "L-2"},
                None,
                valid_from=START,
                valid_to=D(2024, 12, 31),
                issued_by="Director of the land bureau",
                document="LAND-2024-01",
            ),
            Authority(
                "li",
                {Power.ACCEPT},
                None,
                {"land"},
                valid_from=START,
                issued_by="Director of the land bureau",
                document="LAND-2024-02",
            ),
        ),
        leaves=(
            Leave("zhang", D(2024, 3, 4), D(2024, 3, 8)),
            Leave("li", D(2024, 5, 6), D(2024, 5, 10), substitute="zhao"),
        ),
        posts=(ABPost("zhang", "li"), ABPost("li", "wang")),
    )


LAND_1 = matter("L-1", "land")


def test_own_authority_within_scope_and_period() -> None:
    permission = hall().may("zhang", Power.DECIDE, "L-1", "c1", D(2024, 2, 1))
    assert permission
    assert permission.authority is not None
    assert permission.authority.document == "LAND-2024-01"
    assert permission.acting_for is None
    assert permission.rule == "own-authority"


@pytest.mark.parametrize(
    ("staff", "power", "matter", "window", "on", "rule"),
    [
        ("zhang", Power.REVIEW, "L-1", "c1", D(2024, 2, 1), "no-power"),
        ("zhang", Power.DECIDE, "L-3", "c1", D(2024, 2, 1), "matter-scope"),
        ("zhang", Power.DECIDE, "L-1", "c1", D(2025, 1, 1), "expired"),
        ("zhang", Power.DECIDE, "L-1", "c1", D(2023, 12, 31), "not-yet-valid"),
        ("li", Power.ACCEPT, "L-1", "c1", D(2024, 2, 1), "window-scope"),
        ("li", Power.ACCEPT, "L-1", None, D(2024, 2, 1), "window-scope"),
        ("zhao", Power.DECIDE, "L-1", "c1", D(2024, 2, 1), "no-authority"),
        ("ghost", Power.DECIDE, "L-1", "c1", D(2024, 2, 1), "unknown-staff"),
        ("zhang", Power.DECIDE, "L-1", "nowhere", D(2024, 2, 1), "unknown-window"),
        ("zhang", Power.DECIDE, "L-2", "g1", D(2024, 2, 1), "window-remit"),
        ("zhang", Power.DECIDE, "L-1", "c1", D(2024, 3, 4), "on-leave"),
    ],
)
def test_refusals_say_why(
    staff: str, power: Power, matter: str, window: str | None, on: dt.date, rule: str
) -> None:
    permission = hall().may(staff, power, matter, window, on)
    assert not permission
    assert permission.rule == rule
    assert permission.reason
    with pytest.raises(AuthorityError) as info:
        hall().require(staff, power, matter, window, on)
    assert info.value.actor == staff
    assert info.value.power == power
    assert info.value.matter == matter
    assert info.value.window == window
    assert rule in info.value.rule


def test_window_without_list_serves_its_departments_matters() -> None:
    org = hall()
    assert org.may("li", Power.ACCEPT, LAND_1, "land", D(2024, 2, 1))
    housing = org.may("li", Power.ACCEPT, matter("H-1", "housing"), "land", D(2024, 2, 1))
    assert housing.rule == "window-remit"
    # Given only a code, the department window cannot tell; the remit check is skipped
    # and the authorities decide.
    assert org.may("li", Power.ACCEPT, "H-1", "land", D(2024, 2, 1))
    assert org.window("land").handles(LAND_1)
    assert not org.window("land").handles(matter("H-1", "housing"))
    assert org.window("land").serves("H-1", None) is None


def test_a_comprehensive_window_accepts_any_matter() -> None:
    window = hall().window("c1")
    assert window.serves("anything", None) is True
    assert window.serves("anything", "housing") is True


def test_b_acts_for_a_only_while_a_is_on_leave() -> None:
    org = hall()
    during = org.may("li", Power.DECIDE, "L-1", "c1", D(2024, 3, 5))
    assert during
    assert during.acting_for == "zhang"
    assert during.rule == "substitute"
    assert during.authority is not None and during.authority.document == "LAND-2024-01"
    for day in (D(2024, 3, 1), D(2024, 3, 11)):
        assert not org.may("li", Power.DECIDE, "L-1", "c1", day)
    # B's own authority still serves B, and is tried first.
    own = org.may("li", Power.ACCEPT, LAND_1, "land", D(2024, 3, 5))
    assert own.acting_for is None
    # A's authority keeps its own scope and period while B uses it.
    assert org.may("li", Power.DECIDE, "L-3", "c1", D(2024, 3, 5)).rule == "matter-scope"


def test_a_leave_that_names_a_substitute_overrides_the_ab_post() -> None:
    org = hall()
    day = D(2024, 5, 7)
    assert org.stood_in_for("zhao", day) == ("li",)
    assert org.stood_in_for("wang", day) == ()
    permission = org.may("zhao", Power.ACCEPT, LAND_1, "land", day)
    assert permission and permission.acting_for == "li"
    assert not org.may("wang", Power.ACCEPT, LAND_1, "land", day)


def test_staff_on_leave_may_not_act_even_on_their_own_authority() -> None:
    assert hall().may("li", Power.ACCEPT, LAND_1, "land", D(2024, 5, 8)).rule == "on-leave"


def test_lookups() -> None:
    org = hall()
    assert org.staff("zhang").roles == {Role.CHIEF_REPRESENTATIVE}
    assert org.window("land").department == "land"
    with pytest.raises(UnknownCodeError):
        org.staff("nobody")
    with pytest.raises(UnknownCodeError) as info:
        org.window("nowhere")
    assert info.value.value == "nowhere"
    assert org.leave_on("zhang", D(2024, 3, 8)) is not None
    assert org.leave_on("zhang", D(2024, 3, 9)) is None


def test_construction_errors_name_the_field_and_value() -> None:
    window = Window("w", "W", WindowKind.COMPREHENSIVE)
    person = Staff("a", "A", "d")
    grant = Authority("a", {Power.ACCEPT}, valid_from=START, issued_by="x", document="doc")
    cases: list[tuple[object, str, object]] = [
        (lambda: Window("w", "W", WindowKind.DEPARTMENT), "Window[w].department", None),
        (lambda: Staff("", "A", "d"), "Staff.code", ""),
        (
            lambda: Authority("a", set(), valid_from=START, issued_by="x", document="doc"),
            "Authority[doc].powers",
            set(),
        ),
        (
            lambda: Authority(
                "a",
                "accept",
                valid_from=START,
                valid_to=D(2023, 1, 1),
                issued_by="x",
                document="doc",
            ),
            "Authority.valid_to",
            D(2023, 1, 1),
        ),
        (
            lambda: Authority("a", "accept", valid_from=START, issued_by=" ", document="doc"),
            "Authority.issued_by",
            " ",
        ),
        (lambda: Leave("a", D(2024, 2, 2), D(2024, 2, 1)), "Leave[a].last", D(2024, 2, 1)),
        (lambda: Leave("a", START, START, "a"), "Leave[a].substitute", "a"),
        (lambda: ABPost("a", "a"), "ABPost[a].b", "a"),
        (lambda: Organisation((window, window), (person,), ()), "Organisation.windows", "w"),
        (lambda: Organisation((window,), (person, person), ()), "Organisation.staff", "a"),
        (
            lambda: Organisation((window,), (person,), (attr_holder(grant, "b"),)),
            "Organisation.authorities[doc].holder",
            "b",
        ),
        (
            lambda: Organisation((window,), (person,), (attr_windows(grant, {"x"}),)),
            "Organisation.authorities[doc].windows",
            "x",
        ),
        (
            lambda: Organisation((window,), (person,), (), leaves=(Leave("b", START, START),)),
            "Organisation.leaves.staff",
            "b",
        ),
        (
            lambda: Organisation((window,), (person,), (), posts=(ABPost("a", "b"),)),
            "Organisation.posts.b",
            "b",
        ),
    ]
    for build, field, value in cases:
        with pytest.raises(OrganisationError) as info:
            build()  # type: ignore[operator]
        assert info.value.field == field
        assert info.value.value == value


def attr_holder(grant: Authority, holder: str) -> Authority:
    return Authority(
        holder,
        grant.powers,
        grant.matters,
        grant.windows,
        valid_from=grant.valid_from,
        issued_by=grant.issued_by,
        document=grant.document,
    )


def attr_windows(grant: Authority, windows: set[str]) -> Authority:
    return Authority(
        grant.holder,
        grant.powers,
        grant.matters,
        windows,
        valid_from=grant.valid_from,
        issued_by=grant.issued_by,
        document=grant.document,
    )


@given(organisations(), st.dates(D(2019, 6, 1), D(2032, 6, 1)), st.sampled_from(list(Power)))
def test_permissions_agree_with_the_rules(org: Organisation, on: dt.date, power: Power) -> None:
    """Every allowed act rests on an authority in force that covers it, held by the actor
    or by someone on leave whom the actor stands in for; nobody on leave is allowed."""
    for person in org.staff_members:
        for window in (None, *(w.code for w in org.windows)):
            permission = org.may(person.code, power, "M001", window, on)
            if not permission:
                assert permission.authority is None
                continue
            assert org.leave_on(person.code, on) is None
            authority = permission.authority
            assert authority is not None
            assert authority.miss(power, "M001", window, on) is None
            if permission.acting_for is None:
                assert authority.holder == person.code
            else:
                assert authority.holder == permission.acting_for
                assert org.leave_on(permission.acting_for, on) is not None
                assert permission.acting_for in org.stood_in_for(person.code, on)
