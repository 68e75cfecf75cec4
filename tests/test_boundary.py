"""The command boundary: bad input never escapes as a plain Python error, never records.

A table of arguments of the wrong type or shape, unknown codes and impossible instants, one
per row, each given to a Hall holding cases in every state (built through valid lifecycles).
Every row must be refused with a :class:`~hallflow.errors.HallflowError` — a
:class:`~hallflow.errors.CommandInputError` naming the argument where the value has the wrong
type or shape — and the store must hold exactly what it held before: every event and row
(MemoryStore and SQLiteStore), and for SQLite the bytes of the database's SQL dump
(ARCHITECTURE.md: "Bad input never corrupts stored state").
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from hallflow.cases import CaseState, Hall, fold
from hallflow.errors import (
    CaseCommandError,
    CommandInputError,
    HallflowError,
)
from hallflow.model import applicant_key
from hallflow.store import MemoryStore, SQLiteStore
from hallflow.timeline import Limit, PauseReason
from tests.hall_fixtures import APPLICANT as PERSON
from tests.hall_fixtures import SH, at, build_hall
from tests.strategies import Scene, build_scene, log_snapshot, loose, sqlite_dump

START = at(11, 2, 9)
LATER = at(11, 3, 10)
"""The instant of every row's command: after every event of the scene."""

Call = Callable[[Any, Scene], object]


@attrs.define(frozen=True)
class Bad:
    """One row: a call, the error it must raise and the argument the error must name."""

    name: str
    call: Call
    error: type[Exception] | tuple[type[Exception], ...] = CommandInputError
    field: str | None = None

    def param(self) -> Any:
        return pytest.param(self, id=self.name)


def submit(**changes: Any) -> Call:
    """A submission of plan-01 at window c1 by the clerk, with some arguments changed."""
    kwargs: dict[str, Any] = {
        "matter": "plan-01",
        "applicant": PERSON,
        "window": "c1",
        "materials": ["form", "site"],
        "actor": "clerk",
        "at": LATER,
    }
    kwargs.update(changes)
    positional = [kwargs.pop(name) for name in ("matter", "applicant", "window")]
    return lambda h, s: h.submit(*positional, **kwargs)


def wrong(name: str, field: str, call: Call) -> Any:
    """A row whose value has the wrong type or shape: CommandInputError naming ``field``."""
    return Bad(name, call, CommandInputError, field).param()


def refused(name: str, call: Call, error: Any = HallflowError) -> Any:
    """A row refused for what the value means (an unknown code, an impossible instant)."""
    return Bad(name, call, error).param()


NAIVE = LATER.replace(tzinfo=None)
YEAR_9999 = dt.datetime(9999, 12, 31, 23, 59, tzinfo=SH)
MAX = dt.datetime.max.replace(tzinfo=dt.UTC)
BAD_IDS: list[tuple[str, Any]] = [
    ("list", ["scene-submitted"]),
    ("int", 1),
    ("none", None),
    ("empty", ""),
    ("lone-surrogate", "scene-\ud800"),
]


def on(case_id: Any, call: Callable[[Any, Any], object]) -> Call:
    """A call on a given (bad) case id."""
    return lambda h, s: call(h, case_id)


def decide(approve: Any, **kw: Any) -> Call:
    kw = {"actor": "chief", "at": LATER, "reasons": "see the file", **kw}
    return lambda h, s: h.decide(s["ready"], approve, **kw)


ROWS = [
    # decide: approve must be a real bool — "no" is not an approval
    wrong("decide-approve-no", "approve", decide("no")),
    wrong("decide-approve-1", "approve", decide(1)),
    wrong("decide-approve-none", "approve", decide(None)),
    wrong("decide-at-none", "at", decide(True, at=None)),
    wrong("decide-at-naive", "at", decide(True, at=NAIVE)),
    wrong("decide-at-text", "at", decide(True, at=LATER.isoformat())),
    wrong("decide-at-date", "at", decide(True, at=LATER.date())),
    wrong("decide-reasons-none", "reasons", decide(False, reasons=None)),
    wrong("decide-actor-none", "actor", decide(True, actor=None)),
    wrong("decide-actor-empty", "actor", decide(True, actor="")),
    wrong("decide-actor-int", "actor", decide(True, actor=7)),
    wrong("decide-actor-lone-surrogate", "actor", decide(True, actor="chief\udc00")),
    # reasons must be text
    wrong(
        "not-accept-reason-none",
        "reason",
        lambda h, s: h.not_accept(s["submitted"], None, actor="clerk", at=LATER),
    ),
    wrong(
        "not-accept-redirect-int",
        "redirect_window",
        lambda h, s: h.not_accept(
            s["submitted"], "outside remit", actor="clerk", at=LATER, redirect_window=5
        ),
    ),
    wrong(
        "withdraw-reason-none",
        "reason",
        lambda h, s: h.withdraw(s["submitted"], actor="applicant", at=LATER, reason=None),
    ),
    wrong(
        "revoke-reason-none",
        "reason",
        lambda h, s: h.revoke(s["closed"], None, actor="chief", at=LATER),
    ),
    # a correction notice is a mapping material → problem text
    wrong(
        "correction-items-list",
        "items",
        lambda h, s: h.request_correction(s["incomplete"], ["site"], actor="clerk", at=LATER),
    ),
    wrong(
        "correction-items-text",
        "items",
        lambda h, s: h.request_correction(s["incomplete"], "site", actor="clerk", at=LATER),
    ),
    wrong(
        "correction-problem-none",
        "items",
        lambda h, s: h.request_correction(s["incomplete"], {"site": None}, actor="clerk", at=LATER),
    ),
    # queries
    wrong("find-state-bogus", "state", lambda h, s: h.find(state="bogus")),
    wrong("find-state-int", "state", lambda h, s: h.find(state=3)),
    wrong("find-matter-int", "matter", lambda h, s: h.find(matter=5)),
    wrong("find-due-naive", "due_from", lambda h, s: h.find(due_from=NAIVE)),
    wrong("find-due-text", "due_to", lambda h, s: h.find(due_to="2026-12-01")),
    wrong("broken-pledges-none", "applicant", lambda h, s: h.broken_pledges(None)),
    wrong("clocks-of-an-id", "case", lambda h, s: h.clocks(s["reviewing"])),
    wrong("decision-document-of-an-id", "case", lambda h, s: h.decision_document(s["decided"])),
    wrong(
        "opinion-clock-none",
        "opinion",
        lambda h, s: h.opinion_clock(h.case(s["joint"]), None),
    ),
    refused(
        "decision-document-undecided",
        lambda h, s: h.decision_document(h.case(s["reviewing"])),
        CaseCommandError,
    ),
    # limits, reasons of a suspension
    wrong(
        "extend-int",
        "extra",
        lambda h, s: h.extend(s["reviewing"], 5, actor="chief", at=LATER, reason="complex"),
    ),
    wrong(
        "extend-float",
        "extra",
        lambda h, s: h.extend(s["reviewing"], 2.5, actor="chief", at=LATER, reason="complex"),
    ),
    wrong(
        "extend-timedelta",
        "extra",
        lambda h, s: h.extend(
            s["reviewing"], dt.timedelta(days=5), actor="chief", at=LATER, reason="complex"
        ),
    ),
    wrong(
        "extend-clock-none",
        "clock",
        lambda h, s: h.extend(
            s["reviewing"],
            Limit.working_days(5),
            clock=None,
            actor="chief",
            at=LATER,
            reason="complex",
        ),
    ),
    wrong(
        "extend-reason-none",
        "reason",
        lambda h, s: h.extend(
            s["reviewing"], Limit.working_days(5), actor="chief", at=LATER, reason=None
        ),
    ),
    wrong(
        "suspend-bogus-reason",
        "reason",
        lambda h, s: h.suspend(s["reviewing"], "bogus", actor="chief", at=LATER),
    ),
    wrong(
        "suspend-length-int",
        "length",
        lambda h, s: h.suspend(
            s["reviewing"], PauseReason.HEARING, actor="chief", at=LATER, length=5
        ),
    ),
    # dates
    wrong(
        "gaps-pledge-date-float",
        "pledge_date",
        lambda h, s: h.accept_with_gaps(s["incomplete"], ["site"], 1.5, actor="clerk", at=LATER),
    ),
    wrong(
        "gaps-pledge-date-text",
        "pledge_date",
        lambda h, s: h.accept_with_gaps(
            s["incomplete"], ["site"], "2026-11-04", actor="clerk", at=LATER
        ),
    ),
    wrong(
        "gaps-deferred-text",
        "deferred",
        lambda h, s: h.accept_with_gaps(
            s["incomplete"], "site", dt.date(2026, 11, 4), actor="clerk", at=LATER
        ),
    ),
    wrong(
        "pledge-verify-by-text",
        "verify_by",
        lambda h, s: h.approve_on_pledge(s["submitted"], "2026-12-31", actor="chief", at=LATER),
    ),
    wrong(
        "verify-pledge-kept-text",
        "kept",
        lambda h, s: h.verify_pledge(s["pledged"], "no", actor="chief", at=LATER),
    ),
    wrong(
        "opinion-consent-text",
        "consent",
        lambda h, s: h.give_opinion(s["joint"], "Fire Brigade", "yes", actor="fire", at=LATER),
    ),
    # case ids
    *[
        wrong(
            f"accept-case-id-{n}",
            "case_id",
            on(v, lambda h, v: h.accept(v, actor="clerk", at=LATER)),
        )
        for n, v in BAD_IDS
    ],
    *[wrong(f"case-id-{n}", "case_id", on(v, lambda h, v: h.case(v))) for n, v in BAD_IDS],
    *[
        wrong(
            f"decide-case-id-{n}",
            "case_id",
            on(v, lambda h, v: h.decide(v, True, actor="chief", at=LATER)),
        )
        for n, v in BAD_IDS
    ],
    wrong("quote-case-id-list", "case_id", lambda h, s: h.quote([s["reviewing"]])),
    refused("accept-unknown-case", lambda h, s: h.accept("case-9999", actor="clerk", at=LATER)),
    # signers are a sequence of staff codes, never a str spelled out letter by letter
    wrong(
        "assign-signers-str",
        "signers",
        lambda h, s: h.assign(s["reviewed"], "council", "rev1", actor="chief", at=LATER),
    ),
    wrong(
        "assign-signers-int",
        "signers",
        lambda h, s: h.assign(s["reviewed"], "council", 5, actor="chief", at=LATER),
    ),
    wrong(
        "assign-signers-none-inside",
        "signers",
        lambda h, s: h.assign(s["reviewed"], "council", ["rev1", None], actor="chief", at=LATER),
    ),
    refused(
        "assign-signers-not-staff",
        lambda h, s: h.assign(s["reviewed"], "council", ["rev1", "ghost"], actor="chief", at=LATER),
        (CaseCommandError, CommandInputError),
    ),
    wrong(
        "add-signer-none",
        "signer",
        lambda h, s: h.add_signer(s["council"], "council", None, actor="chief", at=LATER),
    ),
    refused(
        "add-signer-not-staff",
        lambda h, s: h.add_signer(s["council"], "council", "ghost", actor="chief", at=LATER),
        (CaseCommandError, CommandInputError),
    ),
    wrong(
        "transfer-to-none",
        "to",
        lambda h, s: h.transfer(s["council"], "council", None, actor="rev2", at=LATER),
    ),
    wrong(
        "return-to-none",
        "to",
        lambda h, s: h.return_case(s["council"], None, "redo", actor="chief", at=LATER),
    ),
    wrong(
        "return-reason-none",
        "reason",
        lambda h, s: h.return_case(s["council"], "review", None, actor="chief", at=LATER),
    ),
    wrong(
        "sign-step-none",
        "step",
        lambda h, s: h.sign(s["reviewing"], None, actor="rev1", at=LATER),
    ),
    # materials are lists of codes
    wrong(
        "supply-materials-text",
        "materials",
        lambda h, s: h.supply(s["correction"], "site", actor="applicant", at=LATER),
    ),
    wrong(
        "supply-deferred-materials-text",
        "materials",
        lambda h, s: h.supply_deferred(s["gaps"], "site", actor="applicant", at=LATER),
    ),
    # submissions
    wrong("submit-channel-anything", "channel", submit(channel="anything")),
    wrong("submit-materials-text", "materials", submit(materials="form")),
    wrong("submit-materials-ints", "materials", submit(materials=[1, 2])),
    wrong("submit-conditions-text", "conditions", submit(conditions="proxy")),
    wrong("submit-facts-list", "facts", submit(facts=["area"])),
    wrong("submit-facts-nan", "facts", submit(facts={"area": math.nan})),
    wrong("submit-facts-int-key", "facts", submit(facts={1: "area"})),
    wrong("submit-facts-date", "facts", submit(facts={"day": dt.date(2026, 11, 2)})),
    wrong("submit-facts-set", "facts", submit(facts={"rooms": {1, 2}})),
    wrong("submit-applicant-text", "applicant", submit(applicant=applicant_key(PERSON))),
    wrong("submit-case-id-int", "case_id", submit(case_id=5)),
    wrong("submit-case-id-lone-surrogate", "case_id", submit(case_id="new-\ud800")),
    wrong("submit-actor-none", "actor", submit(actor=None)),
    wrong("submit-at-naive", "at", submit(at=NAIVE)),
    refused("submit-unknown-matter", submit(matter="nope")),
    refused("submit-unknown-window", submit(window="nope")),
    refused("submit-unknown-material", submit(materials=["form", "nope"])),
    # closing
    wrong(
        "deliver-by-drone",
        "method",
        lambda h, s: h.deliver(s["sealed"], "drone", actor="clerk", at=LATER),
    ),
    wrong(
        "deliver-method-none",
        "method",
        lambda h, s: h.deliver(s["sealed"], None, actor="clerk", at=LATER),
    ),
    wrong(
        "seal-code-none",
        "seal_code",
        lambda h, s: h.seal(s["decided"], None, actor="chief", at=LATER),
    ),
    refused(
        "seal-unknown-code",
        lambda h, s: h.seal(s["decided"], "S-NOPE", actor="chief", at=LATER),
    ),
    refused(
        "sign-unknown-step",
        lambda h, s: h.sign(s["reviewing"], "nope", actor="rev1", at=LATER),
    ),
    # idempotency keys are non-empty text
    wrong(
        "key-int",
        "idempotency_key",
        lambda h, s: h.accept(s["submitted"], actor="clerk", at=LATER, idempotency_key=1),
    ),
    wrong(
        "key-empty",
        "idempotency_key",
        lambda h, s: h.accept(s["submitted"], actor="clerk", at=LATER, idempotency_key=""),
    ),
    wrong(
        "key-lone-surrogate",
        "idempotency_key",
        lambda h, s: h.accept(s["submitted"], actor="clerk", at=LATER, idempotency_key="k-\ud800"),
    ),
    # instants: none, naive, huge
    wrong("sweep-at-none", "at", lambda h, s: h.sweep(None)),
    wrong("sweep-at-naive", "at", lambda h, s: h.sweep(NAIVE)),
    wrong("deem-at-naive", "at", lambda h, s: h.deem_approved(s["reviewing"], at=NAIVE)),
    wrong("sweep-opinions-at-none", "at", lambda h, s: h.sweep_opinions(s["joint"], at=None)),
    refused(
        "sign-in-year-9999",
        lambda h, s: h.sign(s["council"], "council", actor="rev1", at=YEAR_9999),
    ),
    refused("accept-at-datetime-max", lambda h, s: h.accept(s["submitted"], actor="clerk", at=MAX)),
    refused(
        "deliver-in-year-9999",
        lambda h, s: h.deliver(s["sealed"], "post", actor="clerk", at=YEAR_9999),
    ),
    refused(
        "submit-at-datetime-max",
        submit(at=MAX),
    ),
    refused("sweep-at-datetime-max", lambda h, s: h.sweep(MAX)),
]

SQLITE_ROWS = {
    "decide-approve-no",
    "decide-at-naive",
    "withdraw-reason-none",
    "correction-items-list",
    "find-state-bogus",
    "extend-int",
    "suspend-bogus-reason",
    "gaps-pledge-date-float",
    "accept-case-id-lone-surrogate",
    "assign-signers-str",
    "submit-channel-anything",
    "submit-materials-text",
    "submit-facts-nan",
    "deliver-by-drone",
    "seal-unknown-code",
    "key-lone-surrogate",
    "sign-in-year-9999",
    "submit-at-datetime-max",
}


def names(field: str, argument: str) -> bool:
    """Whether ``field`` (``"Decide.approve"``, ``"decide.at"``...) names ``argument``."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(argument)}(?![A-Za-z0-9_])", field) is not None


def check_refused(hall: Hall, scene: Scene, row: Bad, dump: Callable[[], bytes] | None) -> None:
    before = log_snapshot(hall.store)
    dumped = dump() if dump is not None else b""
    with pytest.raises(HallflowError) as caught:
        row.call(loose(hall), scene)
    assert isinstance(caught.value, row.error), (
        f"{row.name}: expected {row.error}, got {type(caught.value).__name__}: {caught.value}"
    )
    if row.field is not None:
        field = getattr(caught.value, "field", "")
        assert names(str(field), row.field), f"{row.name}: field {field!r} names not {row.field}"
    assert log_snapshot(hall.store) == before, f"{row.name} changed the log"
    if dump is not None:
        assert dump() == dumped, f"{row.name} changed the database"
    for case_id in hall.case_ids():  # and the hall still serves what is stored
        assert hall.case(case_id) == fold(hall.store.load(case_id))


def test_the_table_has_rows_for_every_argument_kind() -> None:
    """Guard the guard: the table is not silently cut down."""
    assert len(ROWS) >= 90
    assert {p.id for p in ROWS} >= SQLITE_ROWS


@pytest.mark.parametrize("row", ROWS)
def test_bad_input_is_refused_and_records_nothing(row: Bad) -> None:
    hall = build_hall(MemoryStore())
    scene = build_scene(hall, PERSON, START)
    check_refused(hall, scene, row, None)


@pytest.mark.parametrize("row", [p for p in ROWS if p.id in SQLITE_ROWS])
def test_bad_input_leaves_the_sqlite_file_byte_identical(row: Bad, tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with SQLiteStore(path) as store:
        hall = build_hall(store)
        scene = build_scene(hall, PERSON, START)
        check_refused(hall, scene, row, lambda: sqlite_dump(path))


def test_find_takes_a_state_by_its_name() -> None:
    """A str naming a state is as good as the CaseState."""
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    by_name = hall.find(state=loose("closed"))
    assert by_name == hall.find(state=CaseState.CLOSED)
    assert [r.case_id for r in by_name] == [scene["closed"]]
    assert [r.case_id for r in hall.find(state=loose("reviewing"))] == [
        scene[label]
        for label in sorted(["reviewing", "reviewed", "council", "gaps", "ready", "joint"])
    ]


def test_signers_given_as_a_str_are_not_stored_as_letters() -> None:
    """``assign(case, "council", "rev1")`` once recorded signers r, e, v, 1."""
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    with pytest.raises(CommandInputError):
        loose(hall).assign(scene["reviewed"], "council", "rev1", actor="chief", at=LATER)
    step = hall.case(scene["reviewed"]).steps[1]
    assert (step.step, step.signers) == ("council", ())
    done = hall.assign(scene["reviewed"], "council", ["rev1"], actor="chief", at=LATER)
    assert done.steps[1].signers == ("rev1",)


def test_a_refused_approval_text_does_not_approve() -> None:
    """``decide(case, "no")`` must not be read as truthy: the case stays undecided."""
    hall = build_hall()
    scene = build_scene(hall, PERSON, START)
    with pytest.raises(CommandInputError):
        loose(hall).decide(scene["ready"], "no", actor="chief", at=LATER, reasons="x")
    case = hall.case(scene["ready"])
    assert (case.state, case.decision) == (CaseState.REVIEWING, None)
