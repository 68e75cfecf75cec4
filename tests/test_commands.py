"""Commands as data: validation at construction, the JSON form, the digest."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallflow.cases import commands as c
from hallflow.errors import CommandInputError
from hallflow.testing.strategies import commands
from hallflow.timeline import Limit
from tests.hall_fixtures import APPLICANT, at

SLOW = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(commands())
def test_the_json_form_round_trips(command: Any) -> None:
    form = c.unstructure(command)
    text = json.dumps(form, ensure_ascii=False)  # plain JSON, nothing else
    again = c.structure(json.loads(text))
    assert again == command
    assert c.digest(again) == c.digest(command)
    assert form["command"] == command.NAME


@SLOW
@given(commands(), commands())
def test_digests_tell_commands_apart(one: Any, two: Any) -> None:
    assert (c.digest(one) == c.digest(two)) == (c.unstructure(one) == c.unstructure(two))


def test_a_digest_covers_actor_instant_and_every_argument() -> None:
    base = c.Decide(case_id="k", actor="chief", at=at(11, 2), approve=True)
    variants = [
        c.Decide(case_id="k", actor="deputy", at=at(11, 2), approve=True),
        c.Decide(case_id="k", actor="chief", at=at(11, 3), approve=True),
        c.Decide(case_id="k", actor="chief", at=at(11, 2), approve=False, reasons="r"),
        c.Decide(case_id="k2", actor="chief", at=at(11, 2), approve=True),
        c.Accept(case_id="k", actor="chief", at=at(11, 2)),
    ]
    assert len({c.digest(v) for v in [base, *variants]}) == 6


BAD: list[tuple[type[Any], dict[str, Any], str]] = [
    (c.Decide, {"approve": "no"}, "approve"),
    (c.Decide, {"approve": 1}, "approve"),
    (c.Decide, {"approve": None}, "approve"),
    (c.Decide, {"approve": True, "at": None}, "at"),
    (c.Decide, {"approve": True, "at": dt.datetime(2026, 11, 2)}, "at"),
    (c.Decide, {"approve": True, "at": dt.datetime.max.replace(tzinfo=dt.UTC)}, "at"),
    (c.Decide, {"approve": True, "case_id": ["x"]}, "case_id"),
    (c.Decide, {"approve": True, "case_id": ""}, "case_id"),
    (c.Decide, {"approve": True, "case_id": "a\ud800"}, "case_id"),
    (c.Decide, {"approve": True, "case_id": "hallflow:seals"}, "case_id"),
    (c.Decide, {"approve": True, "actor": 7}, "actor"),
    (c.NotAccept, {"reason": None}, "reason"),
    (c.NotAccept, {"reason": "   "}, "reason"),
    (c.RequestCorrection, {"items": ["form"]}, "items"),
    (c.RequestCorrection, {"items": {}}, "items"),
    (c.RequestCorrection, {"items": {"form": ""}}, "items"),
    (c.Extend, {"extra": 5, "reason": "r"}, "extra"),
    (c.Extend, {"extra": Limit.working_days(10**6), "reason": "r"}, "extra"),
    (c.Suspend, {"reason": "bogus"}, "reason"),
    (c.AcceptWithGaps, {"deferred": ["site"], "pledge_date": 1.5}, "pledge_date"),
    (c.AcceptWithGaps, {"deferred": "site", "pledge_date": dt.date(2026, 11, 5)}, "deferred"),
    (c.AssignSigners, {"step": "council", "signers": "rev1"}, "signers"),
    (c.AssignSigners, {"step": "council", "signers": ["rev1", 2]}, "signers"),
    (c.Deliver, {"method": "drone"}, "method"),
    (c.GiveOpinion, {"department": "Fire", "consent": "yes"}, "consent"),
    (c.VerifyPledge, {"kept": 0}, "kept"),
]


@pytest.mark.parametrize(("cls", "fields", "field"), BAD)
def test_bad_values_are_refused_at_construction(
    cls: type[Any], fields: dict[str, Any], field: str
) -> None:
    """Each refusal names the field, the rule and the value, as a CommandInputError."""
    given_fields = {"case_id": "k", "actor": "chief", "at": at(11, 2), **fields}
    with pytest.raises(CommandInputError) as caught:
        cls(**given_fields)
    assert field in caught.value.field
    assert caught.value.rule


def test_submit_refuses_a_str_of_materials_and_non_json_facts() -> None:
    base: dict[str, Any] = {
        "matter": "plan-01",
        "applicant": APPLICANT,
        "window": "c1",
        "actor": "clerk",
        "at": at(11, 2),
    }
    with pytest.raises(CommandInputError, match="materials"):
        c.Submit(materials="form", **base)
    with pytest.raises(CommandInputError, match="facts"):
        c.Submit(materials=["form"], facts={"when": dt.date(2026, 1, 1)}, **base)
    with pytest.raises(CommandInputError, match="facts"):
        c.Submit(materials=["form"], facts={"x": float("nan")}, **base)
    with pytest.raises(CommandInputError, match="channel"):
        c.Submit(materials=["form"], channel="anything", **base)
    with pytest.raises(CommandInputError, match="applicant"):
        c.Submit(materials=["form"], **{**base, "applicant": "Zhang San"})


def test_commands_are_immutable_values() -> None:
    command = c.RequestCorrection(case_id="k", actor="clerk", at=at(11, 2), items={"a": "b"})
    with pytest.raises(CommandInputError):
        command.items["a"] = "c"  # type: ignore[index]
    assert hash(command) == hash(
        c.RequestCorrection(case_id="k", actor="clerk", at=at(11, 2), items={"a": "b"})
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from(sorted(c.COMMANDS)) | st.text(max_size=10) | st.none(),
    st.dictionaries(
        st.sampled_from(
            [
                "case_id",
                "actor",
                "at",
                "approve",
                "reasons",
                "items",
                "materials",
                "extra",
                "reason",
                "step",
                "signers",
                "method",
                "matter",
                "applicant",
                "window",
                "facts",
                "pledge_date",
                "deferred",
                "verify_by",
                "kept",
                "consent",
                "department",
                "to",
                "seal_code",
                "length",
                "clock",
                "channel",
                "bogus",
            ]
        ),
        json_values | st.sampled_from(["2026-11-02T10:00:00+08:00", "2026-11-02", "k"]),
        max_size=8,
    ),
)
def test_structure_refuses_any_json_with_a_command_input_error(name: Any, fields: Any) -> None:
    data = {"command": name, **fields}
    try:
        command = c.structure(data)
    except CommandInputError:
        return
    assert c.structure(c.unstructure(command)) == command
