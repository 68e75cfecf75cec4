"""Stateful property test of the Hall: random command sequences, then the invariants.

Hypothesis drives a hall with random commands — valid and invalid, by authorised and
unauthorised staff, mixing countersign, added signers (加签), transfers (转办) and returns
(驳回) — while time moves forward. After every step:

* a refused command changed nothing (same version, same case);
* every case rebuilt from the store equals the case the last command returned;
* the query projection agrees with the case;
* a sealed or closed case has a decision and a seal; a closed, withdrawn or not-accepted
  case has no clock running; a completed countersign step was signed by all its signers.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from hallflow.cases.case import Case, fold
from hallflow.cases.hall import APPLICANT
from hallflow.cases.lifecycle import CaseState
from hallflow.errors import HallflowError
from hallflow.model import StepKind
from hallflow.timeline import ClockState, Limit, PauseReason
from tests.hall_fixtures import APPLICANT as PERSON
from tests.hall_fixtures import CATALOGUE, at, build_hall

STAFF = ["clerk", "rev1", "rev2", "chief", "deputy", "fire", "land"]
staff = st.sampled_from(STAFF)


class HallMachine(RuleBasedStateMachine):
    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        self.hall = build_hall()
        self.now = at(11, 2, 9)
        self.live: dict[str, Case] = {}
        self.refused = 0

    def attempt(self, case_id: str, command: str, *args: object, **kw: object) -> None:
        before = self.hall.case(case_id)
        try:
            result = getattr(self.hall, command)(case_id, *args, at=self.now, **kw)
        except HallflowError:
            self.refused += 1
            assert self.hall.case(case_id) == before, f"refused {command} changed the case"
            return
        self.live[case_id] = result

    @rule(minutes=st.integers(1, 3 * 24 * 60))
    def tick(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)

    @rule(
        target=cases,
        matter=st.sampled_from(["plan-01", "plan-joint"]),
        complete=st.booleans(),
        actor=st.one_of(st.just("clerk"), staff),
    )
    def submit(self, matter: str, complete: bool, actor: str) -> str:
        materials = ["form", "site"] if complete and matter == "plan-01" else ["form"]
        try:
            case = self.hall.submit(
                matter, PERSON, "c1", materials=materials, actor=actor, at=self.now
            )
        except HallflowError:
            self.refused += 1
            return "none"
        self.live[case.case_id] = case
        return case.case_id

    def _case(self, case_id: str) -> bool:
        return case_id in self.live

    @rule(case_id=cases, actor=staff)
    def accept(self, case_id: str, actor: str) -> None:
        if self._case(case_id):
            self.attempt(case_id, "accept", actor=actor)

    @rule(case_id=cases, actor=staff, items=st.sets(st.sampled_from(["form", "site"]), min_size=1))
    def request_correction(self, case_id: str, actor: str, items: set[str]) -> None:
        if self._case(case_id):
            self.attempt(
                case_id, "request_correction", {i: "defective" for i in items}, actor=actor
            )

    @rule(case_id=cases, by_applicant=st.booleans())
    def supply(self, case_id: str, by_applicant: bool) -> None:
        if self._case(case_id):
            actor = APPLICANT if by_applicant else "clerk"
            self.attempt(case_id, "supply", ["form", "site"], actor=actor)

    @rule(case_id=cases, actor=staff, days=st.integers(0, 8))
    def accept_with_gaps(self, case_id: str, actor: str, days: int) -> None:
        if self._case(case_id):
            pledge = self.now.date() + dt.timedelta(days=days)
            self.attempt(case_id, "accept_with_gaps", ["site"], pledge, actor=actor)

    @rule(case_id=cases)
    def supply_deferred(self, case_id: str) -> None:
        if self._case(case_id):
            self.attempt(case_id, "supply_deferred", ["site"], actor=APPLICANT)

    @rule(case_id=cases, actor=staff)
    def sign_current(self, case_id: str, actor: str) -> None:
        if self._case(case_id):
            step = self.live[case_id].current_step
            self.attempt(case_id, "sign", step.step if step else "review", actor=actor)

    @rule(case_id=cases, actor=staff, signers=st.lists(staff, min_size=1, max_size=3))
    def assign_council(self, case_id: str, actor: str, signers: list[str]) -> None:
        if self._case(case_id):
            self.attempt(case_id, "assign", "council", signers, actor=actor)

    @rule(case_id=cases, actor=staff, signer=staff)
    def add_signer(self, case_id: str, actor: str, signer: str) -> None:
        if self._case(case_id):
            step = self.live[case_id].current_step
            self.attempt(
                case_id, "add_signer", step.step if step else "council", signer, actor=actor
            )

    @rule(case_id=cases, actor=staff, to=staff)
    def transfer(self, case_id: str, actor: str, to: str) -> None:
        if self._case(case_id):
            step = self.live[case_id].current_step
            self.attempt(case_id, "transfer", step.step if step else "council", to, actor=actor)

    @rule(case_id=cases, actor=staff, to=st.sampled_from(["review", "council", "window"]))
    def return_case(self, case_id: str, actor: str, to: str) -> None:
        if self._case(case_id):
            self.attempt(case_id, "return_case", to, "needs another look", actor=actor)

    @rule(
        case_id=cases,
        actor=staff,
        reason=st.sampled_from(
            [PauseReason.HEARING, PauseReason.EXPERT_REVIEW, PauseReason.TESTING]
        ),
        length=st.none() | st.integers(1, 10).map(Limit.working_days),
    )
    def suspend(self, case_id: str, actor: str, reason: PauseReason, length: Limit | None) -> None:
        if self._case(case_id):
            self.attempt(case_id, "suspend", reason, actor=actor, length=length)

    @rule(case_id=cases, actor=staff)
    def resume(self, case_id: str, actor: str) -> None:
        if self._case(case_id):
            self.attempt(case_id, "resume", actor=actor)

    @rule(
        case_id=cases,
        actor=staff,
        days=st.integers(1, 15),
        clock=st.sampled_from(["legal", "promised"]),
    )
    def extend(self, case_id: str, actor: str, days: int, clock: str) -> None:
        if self._case(case_id):
            self.attempt(
                case_id,
                "extend",
                Limit.working_days(days),
                clock=clock,
                actor=actor,
                reason="complex case",
            )

    @rule(
        case_id=cases,
        department=st.sampled_from(["Fire Brigade", "Land Bureau"]),
        actor=staff,
        consent=st.booleans(),
    )
    def give_opinion(self, case_id: str, department: str, actor: str, consent: bool) -> None:
        if self._case(case_id):
            self.attempt(
                case_id, "give_opinion", department, consent, actor=actor, reasons="see file"
            )

    @rule(case_id=cases)
    def sweep(self, case_id: str) -> None:
        if self._case(case_id):
            self.attempt(case_id, "sweep_opinions")

    @rule(case_id=cases, actor=staff, approve=st.booleans())
    def decide(self, case_id: str, actor: str, approve: bool) -> None:
        if self._case(case_id):
            self.attempt(case_id, "decide", approve, actor=actor, reasons="per the review")

    @rule(case_id=cases)
    def deem(self, case_id: str) -> None:
        if self._case(case_id):
            self.attempt(case_id, "deem_approved")

    @rule(case_id=cases, actor=staff)
    def approve_on_pledge(self, case_id: str, actor: str) -> None:
        if self._case(case_id):
            verify_by = self.now.date() + dt.timedelta(days=30)
            self.attempt(case_id, "approve_on_pledge", verify_by, actor=actor)

    @rule(case_id=cases, actor=staff, kept=st.booleans())
    def verify_pledge(self, case_id: str, actor: str, kept: bool) -> None:
        if self._case(case_id):
            self.attempt(case_id, "verify_pledge", kept, actor=actor)

    @rule(case_id=cases, actor=staff)
    def seal(self, case_id: str, actor: str) -> None:
        if self._case(case_id):
            self.attempt(case_id, "seal", "S-PLAN-1", actor=actor)

    @rule(case_id=cases, actor=staff, method=st.sampled_from(["in_person", "post", "drone"]))
    def deliver(self, case_id: str, actor: str, method: str) -> None:
        if self._case(case_id):
            self.attempt(case_id, "deliver", method, actor=actor)

    @rule(case_id=cases, by_applicant=st.booleans())
    def withdraw(self, case_id: str, by_applicant: bool) -> None:
        if self._case(case_id):
            self.attempt(case_id, "withdraw", actor=APPLICANT if by_applicant else "clerk")

    @rule(case_id=cases, actor=staff)
    def revoke(self, case_id: str, actor: str) -> None:
        if self._case(case_id):
            self.attempt(case_id, "revoke", "obtained by fraud", actor=actor)

    @rule(case_id=cases, steps=st.integers(1, 10))
    def advance(self, case_id: str, steps: int) -> None:
        """Take the natural next steps with the right actors, so deep states are reached."""
        for _ in range(steps):
            if not self._case(case_id):
                return
            case = self.live[case_id]
            event(f"advance from {case.state.value}")
            self.now += dt.timedelta(hours=2)
            state = case.state
            if state is CaseState.SUBMITTED:
                if "site" in case.materials or case.matter == "plan-joint":
                    self.attempt(case_id, "accept", actor="clerk")
                else:
                    self.attempt(case_id, "request_correction", {"site": "missing"}, actor="clerk")
            elif state is CaseState.CORRECTION:
                self.attempt(case_id, "supply", ["site"], actor=APPLICANT)
            elif state is CaseState.SUSPENDED:
                self.attempt(case_id, "resume", actor="chief")
            elif state is CaseState.DECIDED:
                self.attempt(case_id, "seal", "S-PLAN-1", actor="chief")
            elif state is CaseState.SEALED:
                self.attempt(case_id, "deliver", "post", actor="clerk")
            elif state is CaseState.REVIEWING:
                self._advance_review(case)
            else:
                return

    def _advance_review(self, case: Case) -> None:
        step = case.current_step
        if step is None:
            pending = [o for o in case.opinions if o.consent is None]
            if pending:
                who = {"Fire Brigade": "fire", "Land Bureau": "land"}[pending[0].department]
                self.attempt(case.case_id, "give_opinion", pending[0].department, True, actor=who)
            elif case.deferred[0]:
                self.attempt(case.case_id, "supply_deferred", ["site"], actor=APPLICANT)
            else:
                self.attempt(case.case_id, "decide", True, actor="chief")
        elif step.step == "council" and not step.signers:
            self.attempt(case.case_id, "assign", "council", ["rev1", "rev2"], actor="chief")
        elif step.step == "council":
            left = [s for s in step.signers if s not in step.signed]
            self.attempt(case.case_id, "sign", "council", actor=left[0] if left else "rev1")
        else:
            signer = {"review": "rev1", "approve": "chief"}[step.step]
            self.attempt(case.case_id, "sign", step.step, actor=signer)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def replay_equals_live(self) -> None:
        for case_id, case in self.live.items():
            replayed = fold(self.hall.store.load(case_id))
            assert replayed == case
            row = self.hall.store.row(case_id)
            assert (row.state, row.version, row.applicant) == (
                case.state.value,
                case.version,
                case.applicant,
            )

    @invariant()
    def lifecycle_invariants(self) -> None:
        for case in self.live.values():
            if case.state in (CaseState.SEALED, CaseState.CLOSED, CaseState.REVOKED):
                assert case.decision is not None
                assert case.seal is not None and case.sealed_at is not None
            if case.state in (CaseState.DECIDED,):
                assert case.decision is not None
            if case.closed:
                for clock in self.hall.clocks(case).values():
                    assert clock.state(max(self.now, clock.events[-1].at)) is ClockState.STOPPED
            matter = CATALOGUE.get(case.matter)
            for progress, spec in zip(case.steps, matter.procedure.steps, strict=True):
                if progress.done and spec.kind is StepKind.PARALLEL_COUNTERSIGN:
                    assert set(progress.signed) >= set(progress.signers)
                    assert progress.signers


TestHall = HallMachine.TestCase
TestHall.settings = settings(
    max_examples=100,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
