"""hallflow-xiangyang: every rating pushed to the province through an event sink (Art. 13)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hallflow_xiangyang import plugin
from hallflow_xiangyang.plugin import comprehensive_window
from hallflow_xiangyang.province import NAME, JsonLinesFile, ProvincePush, RatingPush

from hallflow import hookimpl
from hallflow.cases.hall import Hall, HallSettings
from hallflow.errors import SinkError
from hallflow.model import (
    PROMISED,
    Authority,
    Material,
    Matter,
    NaturalPerson,
    Organisation,
    Power,
    Role,
    Staff,
)
from hallflow.plugins import assemble_hall, plugin_manager
from hallflow.seals import SealRegistry, SoftwareSealProvider
from hallflow.sinks import Dispatcher, MemoryCursors
from hallflow.store import MemoryStore
from hallflow.supervision.evaluation import Supervision
from hallflow.testing import assert_conforms
from hallflow.timeline import Limit

SH = ZoneInfo("Asia/Shanghai")
DEPT = "Market Supervision Bureau"


def at(m: int, d: int, hh: int = 10) -> dt.datetime:
    return dt.datetime(2026, m, d, hh, tzinfo=SH)


LICENCE = Matter(
    "xy-push-01",
    "A test licence (the seed lists no matters)",
    DEPT,
    PROMISED,
    legal_basis=("Administrative Licensing Law, Art. 42",),
    conditions=("none",),
    materials=(Material("form", "Application form", original=True, copies=0),),
    legal_limit=Limit.working_days(20),
    promised_limit=Limit.working_days(5),
)


class _Matters:
    @hookimpl
    def hallflow_matters(self) -> tuple[Matter, ...]:
        return (LICENCE,)


ORG = Organisation(
    windows=(comprehensive_window("zh1"),),
    staff=(
        Staff("clerk", "Wang", DEPT, {Role.CLERK}),
        Staff("head", "Li", DEPT, {Role.WINDOW_HEAD}),
        Staff("sup", "Wu", "Centre", {Role.SUPERVISOR}),
    ),
    authorities=(
        Authority(
            "clerk",
            frozenset({Power.ACCEPT}),
            None,
            None,
            valid_from=dt.date(2026, 1, 1),
            valid_to=dt.date(2027, 12, 31),
            issued_by="Xiangyang administrative approval bureau",
            document="X-1",
        ),
    ),
)


def build(target: Any) -> Hall:
    counter = itertools.count(1)
    return assemble_hall(
        plugin_manager([_Matters(), plugin, ProvincePush(target)]),
        organisation=ORG,
        store=MemoryStore(),
        seals=SealRegistry(),
        seal_provider=SoftwareSealProvider(),
        settings=HallSettings(new_id=lambda: f"case-{next(counter):04d}", now=lambda: at(12, 1)),
    )


def scene(hall: Hall) -> tuple[Supervision, list[str]]:
    """A case, a good rating, a bad rating taken through its flow, and a complaint."""
    ids = (f"{n:032x}" for n in itertools.count(1))
    sup = Supervision(hall, new_id=lambda: next(ids))
    case = hall.submit(
        LICENCE.code,
        NaturalPerson("Zhang San", "11010519491231002X"),
        "zh1",
        materials=["form"],
        actor="clerk",
        at=at(3, 2),
    )
    good = sup.rate(5, "keypad", at=at(3, 2, 11), case_id=case.case_id)
    bad = sup.rate(1, "qr", at=at(3, 3), window="zh1", staff="clerk")
    sup.verify(bad.rating_id, valid=True, finding="f", actor="sup", at=at(3, 4))
    sup.rectify(bad.rating_id, measures="m", actor="head", at=at(3, 5))
    sup.revisit(bad.rating_id, satisfied=True, note="n", actor="sup", at=at(3, 6))
    sup.receive_complaint("attitude", "centre", "x", at=at(3, 6), window="zh1")
    return sup, [good.rating_id, bad.rating_id]


def test_every_rating_event_and_nothing_else_reaches_the_province() -> None:
    pushed: list[dict[str, Any]] = []
    hall = build(pushed.append)
    assert [s.name for s in hall.sinks] == [NAME]
    sup, (good, bad) = scene(hall)
    report = Dispatcher(hall.store, hall.sinks, MemoryCursors()).drain(at(3, 7))
    assert report.failures == ()
    assert [(r["rating_id"], r["seq"], r["kind"]) for r in pushed] == [
        (good, 1, "rated"),
        (bad, 1, "rated"),
        (bad, 2, "rating_verified"),
        (bad, 3, "rating_rectified"),
        (bad, 4, "rating_revisited"),
    ]
    stored = hall.store.load(sup.rating(bad).stream)
    assert [r["digest"] for r in pushed[1:]] == [e.digest for e in stored]
    assert pushed[1]["payload"] == dict(stored[0].payload)
    assert pushed[1]["at"] == at(3, 3).isoformat()
    # the same dispatcher pushes nothing twice; memory cursors lost on a restart push
    # everything again (at least once)
    dispatcher = Dispatcher(hall.store, hall.sinks, MemoryCursors())
    dispatcher.drain(at(3, 8))
    assert len(pushed) == 10
    dispatcher.drain(at(3, 9))
    assert len(pushed) == 10


def test_a_failing_province_is_retried_in_order() -> None:
    pushed: list[dict[str, Any]] = []
    failures = iter([True, False, False, False, False, False, False])

    def flaky(record: dict[str, Any]) -> None:
        if next(failures, False):
            raise ConnectionError("province unreachable")
        pushed.append(record)

    hall = build(flaky)
    _, (good, bad) = scene(hall)
    dispatcher = Dispatcher(hall.store, hall.sinks, MemoryCursors())
    first = dispatcher.drain(at(3, 7))
    assert len(first.failures) == 1 and "province unreachable" in first.failures[0].error
    assert first.next_retry is not None
    dispatcher.drain(first.next_retry)
    assert sorted((r["rating_id"], r["seq"]) for r in pushed) == [
        (good, 1),
        (bad, 1),
        (bad, 2),
        (bad, 3),
        (bad, 4),
    ]
    assert dispatcher.backlog() == {NAME: 0}


def test_json_lines_file(tmp_path: Path) -> None:
    path = tmp_path / "province.jsonl"
    hall = build(JsonLinesFile(path))
    scene(hall)
    Dispatcher(hall.store, hall.sinks, MemoryCursors()).drain(at(3, 7))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [x["kind"] for x in lines].count("rated") == 2 and len(lines) == 5


def test_bad_configuration() -> None:
    with pytest.raises(SinkError):
        RatingPush("http://province")  # type: ignore[arg-type]
    with pytest.raises(SinkError):
        RatingPush(print, name=" ")


def test_the_push_plugin_conforms() -> None:
    assert assert_conforms(ProvincePush(print), examples=10).ok
