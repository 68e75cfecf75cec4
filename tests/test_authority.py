"""Authority: a command by someone lacking the power is refused and records nothing.

Staff act only on written authorities (DOMAIN.md §2: the chief representative's scoped
powers; A/B posts — the B acts only while the A is away). The oracle is the organisation's
own answer, :meth:`~hallflow.model.org.Organisation.may`, asked for the case's matter and
window on the day of the act: hypothesis draws a command and a day (some in the chief's
leave, 16–20 November 2026), then an actor the oracle says lacks the power — staff without
an authority for it, staff on leave, unknown actors, the supervision system, an applicant
acting for another applicant or on a staff-only command, a co-department giving another
department's opinion, a non-signer transferring a step. The command must be refused with
:class:`~hallflow.errors.NotAuthorisedError` naming the actor, the case and a short rule
code, and nothing may be recorded; the same command by an actor the oracle allows then
succeeds (so the refusal was about authority, not state or time).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallflow.cases import Case, CaseState, Hall
from hallflow.errors import CaseCommandError, CommandInputError, NotAuthorisedError
from hallflow.model import NaturalPerson, Power, applicant_key, check_digit_resident
from hallflow.timeline import Limit, PauseReason
from tests.hall_fixtures import APPLICANT as PERSON
from tests.hall_fixtures import at, build_hall
from tests.strategies import Scene, build_scene, log_snapshot, loose

OTHER = NaturalPerson("Li Si", "11010519800101001" + check_digit_resident("11010519800101001"))
OWN = f"applicant:{applicant_key(PERSON)}"
SOMEONE_ELSE = f"applicant:{applicant_key(OTHER)}"
APPLICANTS = ("applicant", OWN, SOMEONE_ELSE)
STRANGERS = ("ghost", "supervision")
START = at(11, 13, 9)
"""The scene is built on Friday 13 November, before the chief's leave (16–20 November)."""
DAYS = range(13, 21)
LEAVE = range(16, 21)

Run = Callable[[Hall, Scene, str, dt.datetime], object]


def staff_codes(hall: Hall) -> list[str]:
    return [s.code for s in hall.organisation.staff_members]


def may(hall: Hall, actor: str, power: Power, when: dt.datetime, matter: str = "plan-01") -> bool:
    """The oracle: the organisation's answer for the scene's window c1 on that day."""
    spec = hall.catalogue.get(matter)
    day = when.astimezone(hall.calendar.hours.tzinfo).date()
    return hall.organisation.may(actor, power, spec, "c1", day).allowed


@attrs.define(frozen=True)
class Guarded:
    """A command, the scene case it runs on, and who may run it."""

    name: str
    label: str
    run: Run
    power: Power | None = None
    applicant: bool = False  # the case's own applicant may run it too
    allowed: Callable[[Hall, str, dt.datetime], bool | None] | None = None  # a rule of its own

    def may(self, hall: Hall, actor: str, when: dt.datetime) -> bool | None:
        """Whether the actor may run it: True, False, or None where the rules leave it open
        (such actors are neither drawn as lacking nor used as the control)."""
        if actor in APPLICANTS:
            if self.name == "submit":
                return None  # an applicant at a window: not this test's question
            return self.applicant and actor != SOMEONE_ELSE
        if self.allowed is not None:
            return self.allowed(hall, actor, when)
        assert self.power is not None
        return may(hall, actor, self.power, when)

    def __repr__(self) -> str:
        return self.name


def reviewer(hall: Hall, when: dt.datetime, *, besides: tuple[str, ...] = ()) -> str:
    """Someone holding the review power that day who is not among ``besides``."""
    for code in ("chief", "deputy", "rev1", "rev2"):
        if code not in besides and may(hall, code, Power.REVIEW, when):
            return code
    raise AssertionError("nobody may review that day")


def council_signers(hall: Hall, scene: Scene) -> tuple[str, ...]:
    return hall.case(scene["council"]).steps[1].signers


def transfer_allowed(hall: Hall, actor: str, when: dt.datetime) -> bool | None:
    """A signer of the step hands over their own part; a non-signer without the power to
    coordinate may not (a coordinator who is no signer: left open)."""
    if actor in ("rev1", "rev2"):  # the council's signers in the scene
        return may(hall, actor, Power.REVIEW, when)
    if may(hall, actor, Power.COORDINATE, when):
        return None
    return False


def opinion_allowed(hall: Hall, actor: str, when: dt.datetime) -> bool | None:
    """Fire Brigade's opinion is given by Fire Brigade's staff; others may not."""
    if actor in STRANGERS:
        return False
    return hall.organisation.staff(actor).department == "Fire Brigade"


def seal_allowed(hall: Hall, actor: str, when: dt.datetime) -> bool | None:
    """The seal power, and the seal held by the actor (the chief)."""
    if not may(hall, actor, Power.SEAL, when):
        return False
    return True if actor == "chief" else None


def submit(hall: Hall, scene: Scene, actor: str, when: dt.datetime) -> object:
    return hall.submit("plan-01", PERSON, "c1", materials=["form", "site"], actor=actor, at=when)


GUARDED = [
    Guarded("submit", "", submit, Power.ACCEPT),
    Guarded(
        "accept",
        "submitted",
        lambda h, s, a, t: h.accept(s["submitted"], actor=a, at=t),
        Power.ACCEPT,
    ),
    Guarded(
        "request_correction",
        "incomplete",
        lambda h, s, a, t: h.request_correction(
            s["incomplete"], {"site": "missing"}, actor=a, at=t
        ),
        Power.ACCEPT,
    ),
    Guarded(
        "accept_with_gaps",
        "incomplete",
        lambda h, s, a, t: h.accept_with_gaps(s["incomplete"], ["site"], t.date(), actor=a, at=t),
        Power.ACCEPT,
    ),
    Guarded(
        "not_accept",
        "submitted",
        lambda h, s, a, t: h.not_accept(s["submitted"], "outside remit", actor=a, at=t),
        Power.ACCEPT,
    ),
    Guarded(
        "supply",
        "correction",
        lambda h, s, a, t: h.supply(s["correction"], ["site"], actor=a, at=t),
        Power.ACCEPT,
        applicant=True,
    ),
    Guarded(
        "supply_deferred",
        "gaps",
        lambda h, s, a, t: h.supply_deferred(s["gaps"], ["site"], actor=a, at=t),
        Power.ACCEPT,
        applicant=True,
    ),
    Guarded(
        "withdraw",
        "submitted",
        lambda h, s, a, t: h.withdraw(s["submitted"], actor=a, at=t, reason="changed plans"),
        Power.ACCEPT,
        applicant=True,
    ),
    Guarded(
        "assign",
        "reviewed",
        lambda h, s, a, t: h.assign(s["reviewed"], "council", ["rev1", "rev2"], actor=a, at=t),
        Power.COORDINATE,
    ),
    Guarded(
        "add_signer",
        "council",
        lambda h, s, a, t: h.add_signer(
            s["council"], "council", reviewer(h, t, besides=council_signers(h, s)), actor=a, at=t
        ),
        Power.COORDINATE,
    ),
    Guarded(
        "transfer",
        "council",
        lambda h, s, a, t: h.transfer(
            s["council"], "council", reviewer(h, t, besides=council_signers(h, s)), actor=a, at=t
        ),
        allowed=transfer_allowed,
    ),
    Guarded(
        "sign",
        "reviewing",
        lambda h, s, a, t: h.sign(s["reviewing"], "review", actor=a, at=t),
        Power.REVIEW,
    ),
    Guarded(
        "return_case",
        "council",
        lambda h, s, a, t: h.return_case(s["council"], "review", "scale wrong", actor=a, at=t),
        Power.REVIEW,
    ),
    Guarded(
        "suspend",
        "reviewing",
        lambda h, s, a, t: h.suspend(s["reviewing"], PauseReason.EXPERT_REVIEW, actor=a, at=t),
        Power.REVIEW,
    ),
    Guarded(
        "resume",
        "suspended",
        lambda h, s, a, t: h.resume(s["suspended"], actor=a, at=t),
        Power.REVIEW,
    ),
    Guarded(
        "extend",
        "reviewing",
        lambda h, s, a, t: h.extend(
            s["reviewing"], Limit.working_days(5), actor=a, at=t, reason="expert opinions"
        ),
        Power.DECIDE,
    ),
    Guarded(
        "give_opinion",
        "joint",
        lambda h, s, a, t: h.give_opinion(s["joint"], "Fire Brigade", True, actor=a, at=t),
        allowed=opinion_allowed,
    ),
    Guarded(
        "decide",
        "ready",
        lambda h, s, a, t: h.decide(s["ready"], True, actor=a, at=t, reasons="meets the plan"),
        Power.DECIDE,
    ),
    Guarded(
        "approve_on_pledge",
        "submitted",
        lambda h, s, a, t: h.approve_on_pledge(
            s["submitted"], t.date() + dt.timedelta(days=30), actor=a, at=t
        ),
        Power.DECIDE,
    ),
    Guarded(
        "verify_pledge",
        "pledged",
        lambda h, s, a, t: h.verify_pledge(s["pledged"], True, actor=a, at=t),
        Power.REVIEW,
    ),
    Guarded(
        "seal",
        "decided",
        lambda h, s, a, t: h.seal(s["decided"], "S-PLAN-1", actor=a, at=t),
        allowed=seal_allowed,
    ),
    Guarded(
        "deliver",
        "sealed",
        lambda h, s, a, t: h.deliver(s["sealed"], "in_person", actor=a, at=t),
        Power.ACCEPT,
    ),
    Guarded(
        "revoke",
        "closed",
        lambda h, s, a, t: h.revoke(s["closed"], "obtained by fraud", actor=a, at=t),
        Power.DECIDE,
    ),
]

ACTORS = [*staff_codes(build_hall()), *STRANGERS, *APPLICANTS]


def actors(hall: Hall, command: Guarded, when: dt.datetime, allowed: bool) -> list[str]:
    return [a for a in ACTORS if command.may(hall, a, when) is allowed]


def check_not_authorised(exc: NotAuthorisedError, actor: str, case_id: str | None) -> None:
    assert exc.actor == actor
    if case_id is not None:
        assert exc.case_id == case_id
    assert isinstance(exc.code, str) and re.fullmatch(r"[a-z][a-z0-9-]*", exc.code), exc.code


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command=st.sampled_from(GUARDED), day=st.sampled_from(list(DAYS)), data=st.data())
def test_an_actor_lacking_the_power_is_refused_and_nothing_is_recorded(
    command: Guarded, day: int, data: st.DataObject
) -> None:
    when = at(11, day, 11)
    hall = build_hall()
    lacking = actors(hall, command, when, False)
    allowed = actors(hall, command, when, True)
    if command.name == "seal" and day in LEAVE:  # nobody holds the seal while its holder is away
        when = at(11, 13, 11)
        lacking, allowed = actors(hall, command, when, False), actors(hall, command, when, True)
    actor = data.draw(st.sampled_from(lacking), label="actor")
    scene = build_scene(hall, PERSON, START)
    before = log_snapshot(hall.store)
    with pytest.raises(NotAuthorisedError) as refused:
        command.run(hall, scene, actor, when)
    check_not_authorised(refused.value, actor, scene[command.label] if command.label else None)
    assert log_snapshot(hall.store) == before
    # the control: someone the organisation allows runs the very same command
    result = command.run(hall, scene, data.draw(st.sampled_from(allowed), label="control"), when)
    assert isinstance(result, Case)


def test_the_oracle_draws_real_pairs() -> None:
    """Every command has actors on both sides on an ordinary day and a leave day."""
    hall = build_hall()
    for command in GUARDED:
        for when in (at(11, 13, 11), at(11, 17, 11)):
            if command.name == "seal" and when.day == 17:
                continue
            assert actors(hall, command, when, False), command.name
            assert actors(hall, command, when, True), command.name
    # staff on leave are among the lacking
    decide = next(c for c in GUARDED if c.name == "decide")
    assert "chief" in actors(hall, decide, at(11, 17, 11), False)
    assert "deputy" in actors(hall, decide, at(11, 17, 11), True)


# ---- submissions


def stored(hall: Hall) -> list[str]:
    return hall.store.case_ids()


@pytest.mark.parametrize("actor", ["ghost", "clerk", "chief", SOMEONE_ELSE, "supervision"])
def test_an_online_submission_is_made_by_the_applicant_themself(actor: str) -> None:
    hall = build_hall()
    with pytest.raises(NotAuthorisedError) as refused:
        hall.submit(
            "plan-01", PERSON, "c1", materials=["form"], actor=actor, at=at(11, 2), channel="online"
        )
    check_not_authorised(refused.value, actor, None)
    assert stored(hall) == []


@pytest.mark.parametrize("actor", ["applicant", OWN])
def test_the_applicant_submits_online(actor: str) -> None:
    hall = build_hall()
    case = hall.submit(
        "plan-01", PERSON, "c1", materials=["form"], actor=actor, at=at(11, 2), channel="online"
    )
    assert case.state is CaseState.SUBMITTED
    assert stored(hall) == [case.case_id]


@pytest.mark.parametrize(
    ("actor", "day"),
    [("rev1", 2), ("fire", 2), ("deputy", 2), ("ghost", 2), ("chief", 17)],
    ids=["reviewer", "co-department", "b-post-while-a-present", "stranger", "chief-on-leave"],
)
def test_a_window_submission_needs_the_accept_power_at_that_window(actor: str, day: int) -> None:
    hall = build_hall()
    with pytest.raises(NotAuthorisedError) as refused:
        hall.submit("plan-01", PERSON, "c1", materials=["form"], actor=actor, at=at(11, day))
    check_not_authorised(refused.value, actor, None)
    if actor == "chief":
        assert refused.value.code == "on-leave"
    assert stored(hall) == []
    # the B post acts while the chief is away
    assert hall.submit("plan-01", PERSON, "c1", materials=["form"], actor="deputy", at=at(11, 17))


# ---- the applicant's own commands


APPLICANT_COMMANDS = [c for c in GUARDED if c.applicant]


@pytest.mark.parametrize("command", APPLICANT_COMMANDS, ids=repr)
def test_an_applicant_acts_only_on_their_own_case(command: Guarded) -> None:
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    before = log_snapshot(hall.store)
    with pytest.raises(NotAuthorisedError) as refused:
        command.run(hall, scene, SOMEONE_ELSE, at(11, 13, 11))
    check_not_authorised(refused.value, SOMEONE_ELSE, scene[command.label])
    assert refused.value.code == "not-the-applicant"
    assert log_snapshot(hall.store) == before


@pytest.mark.parametrize("actor", ["applicant", OWN])
@pytest.mark.parametrize("command", APPLICANT_COMMANDS, ids=repr)
def test_the_applicant_runs_their_own_commands(command: Guarded, actor: str) -> None:
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    result = command.run(hall, scene, actor, at(11, 13, 11))
    assert isinstance(result, Case) and result.history[-1].actor == actor


@pytest.mark.parametrize("actor", ["applicant", OWN, SOMEONE_ELSE])
def test_an_applicant_runs_no_staff_command(actor: str) -> None:
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    before = log_snapshot(hall.store)
    for command in GUARDED:
        if command.applicant or command.name == "submit":
            continue
        with pytest.raises(NotAuthorisedError):
            command.run(hall, scene, actor, at(11, 13, 11))
    assert log_snapshot(hall.store) == before


# ---- review steps: transfer, signers, opinions


@pytest.mark.parametrize("actor", ["clerk", "fire", "land", "deputy"])
def test_a_transfer_by_a_non_signer_without_the_coordinate_power_is_refused(actor: str) -> None:
    """转办 hands over one's own part of a step: the council's signers are rev1 and rev2."""
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    before = log_snapshot(hall.store)
    with pytest.raises(NotAuthorisedError) as refused:
        hall.transfer(scene["council"], "council", "chief", actor=actor, at=at(11, 13, 11))
    check_not_authorised(refused.value, actor, scene["council"])
    assert log_snapshot(hall.store) == before


@pytest.mark.parametrize(
    "to",
    ["ghost", "clerk", "chief"],
    ids=["not-staff", "lacks-the-review-power", "on-leave"],
)
def test_a_transfer_goes_only_to_staff_holding_the_steps_power(to: str) -> None:
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    before = log_snapshot(hall.store)
    with pytest.raises(CaseCommandError):
        hall.transfer(scene["council"], "council", to, actor="rev2", at=at(11, 17, 11))
    assert log_snapshot(hall.store) == before
    moved = hall.transfer(scene["council"], "council", "deputy", actor="rev2", at=at(11, 17, 11))
    assert moved.steps[1].signers == ("rev1", "deputy")


@pytest.mark.parametrize(
    "call",
    [
        lambda h, s: h.assign(
            s["reviewed"], "council", ["rev1", "ghost"], actor="chief", at=at(11, 13, 11)
        ),
        lambda h, s: h.assign(
            s["reviewed"], "council", ["ghost"], actor="chief", at=at(11, 13, 11)
        ),
        lambda h, s: h.add_signer(
            s["council"], "council", "ghost", actor="chief", at=at(11, 13, 11)
        ),
        lambda h, s: h.add_signer(
            s["council"], "council", "nobody", actor="chief", at=at(11, 13, 11)
        ),
    ],
    ids=["assign-one-stranger", "assign-only-a-stranger", "add-stranger", "add-nobody"],
)
def test_signers_must_be_staff(call: Callable[[Hall, Scene], Any]) -> None:
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    before = log_snapshot(hall.store)
    with pytest.raises((CaseCommandError, CommandInputError)):
        call(hall, scene)
    assert log_snapshot(hall.store) == before


@pytest.mark.parametrize("actor", ["land", "rev1", "chief", "ghost"])
def test_a_department_gives_only_its_own_opinion(actor: str) -> None:
    """联办件: the Fire Brigade's opinion is the Fire Brigade's to give."""
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    before = log_snapshot(hall.store)
    with pytest.raises(NotAuthorisedError) as refused:
        hall.give_opinion(scene["joint"], "Fire Brigade", True, actor=actor, at=at(11, 13, 11))
    check_not_authorised(refused.value, actor, scene["joint"])
    assert log_snapshot(hall.store) == before
    given = hall.give_opinion(scene["joint"], "Fire Brigade", True, actor="fire", at=at(11, 13, 11))
    assert given.opinions[0].consent is True


def test_staff_on_leave_may_not_act_and_their_b_post_may() -> None:
    """AB角: the chief is on leave 16–20 November; the deputy acts for them then only."""
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    before = log_snapshot(hall.store)
    with pytest.raises(NotAuthorisedError) as refused:
        hall.decide(scene["ready"], True, actor="chief", at=at(11, 17, 11))
    assert refused.value.code == "on-leave"
    with pytest.raises(NotAuthorisedError):
        hall.decide(scene["ready"], True, actor="deputy", at=at(11, 13, 11))
    assert log_snapshot(hall.store) == before
    assert hall.decide(scene["ready"], True, actor="deputy", at=at(11, 17, 11)).decision


def test_an_unknown_actor_is_refused_not_crashed() -> None:
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    with pytest.raises(NotAuthorisedError):
        loose(hall).accept(scene["submitted"], actor="nobody-at-all", at=at(11, 13, 11))
