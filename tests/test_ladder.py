"""Escalation ladders as data: the rungs, the scalar reference, the bulk twin, packed clocks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import attrs
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hallflow.calendar import china
from hallflow.errors import BulkInputError, HallflowError, LadderError
from hallflow.timeline import (
    Clock,
    ClockArrays,
    ClockStatus,
    Limit,
    PauseReason,
    evaluate,
)
from hallflow.timeline.clock import WarningLevel
from hallflow.timeline.compiled import NONE
from hallflow.timeline.ladder import Ladder, Rung, combine
from hallflow.timeline.packed import (
    BASELINE,
    clock_words,
    pack,
    pack_swept,
    unpack,
    unpack_swept,
    with_last,
)
from hallflow.timeline.words import clock_words as in_words
from tests.strategies import LADDER_CLOCK_NAMES, BulkCase, bulk_clock_cases, ladders
from tests.test_timeline_bulk import _statuses

SH = ZoneInfo("Asia/Shanghai")
CAL = china()


def at(m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, m, d, hh, mm, tzinfo=SH)


def rung(threshold: int, code: str = "r", clocks: frozenset[str] = frozenset({"promised"})) -> Rung:
    return Rung(code, "reminder", "window", "due {due}", clocks, threshold)


# ---------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("field", "build"),
    [
        ("code", lambda: Rung("", "reminder", "w", "", {"promised"}, 0)),
        ("action", lambda: Rung("c", "shout", "w", "", {"promised"}, 0)),
        ("to", lambda: Rung("c", "reminder", " ", "", {"promised"}, 0)),
        ("note", lambda: Rung("c", "reminder", "w", "{nope}", {"promised"}, 0)),
        ("note", lambda: Rung("c", "reminder", "w", "{due", {"promised"}, 0)),
        ("clocks", lambda: Rung("c", "reminder", "w", "", set(), 0)),
        ("clocks", lambda: Rung("c", "reminder", "w", "", "promised", 0)),
        ("threshold", lambda: Rung("c", "reminder", "w", "", {"promised"}, 1.5)),  # type: ignore[arg-type]
        ("threshold", lambda: Rung("c", "reminder", "w", "", {"promised"}, True)),
        ("rungs", lambda: Ladder("l", ())),
        ("rungs", lambda: Ladder("l", (rung(1), rung(2)))),
        ("rungs", lambda: Ladder("l", tuple(rung(0, f"c{i}") for i in range(32)))),
        ("rungs", lambda: Ladder("l", ("not a rung",))),
        ("name", lambda: Ladder("", (rung(1),))),
    ],
)
def test_malformed_ladders_are_refused_naming_the_field(field: str, build: object) -> None:
    with pytest.raises(LadderError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field
    assert isinstance(caught.value, HallflowError)


def test_combine_joins_ladders_and_refuses_shared_codes() -> None:
    a = Ladder("a", (rung(3, "x"),))
    b = Ladder("b", (rung(0, "y"),))
    assert combine([]) is None
    assert combine([a]) is a
    both = combine([a, b])
    assert both is not None and [r.code for r in both.rungs] == ["x", "y"]
    with pytest.raises(LadderError):
        combine([a, a])


# ---------------------------------------------------------------------- the reference by hand


def test_day_thresholds_by_hand() -> None:
    # 20 working days from Mon 2 Nov 2026 11:00: due Mon 30 Nov 17:30
    clock = Clock.start("promised", Limit.working_days(20), CAL, at(11, 2, 11))
    ladder = Ladder("l", (rung(3, "before"), rung(0, "at"), rung(-3, "after")))

    def codes(when: dt.datetime) -> list[str]:
        return [r.code for r in ladder.reached(clock.status(when))]

    assert codes(at(11, 25)) == []  # 4 working days left
    assert codes(at(11, 26)) == ["before"]  # 3 left once Wed 25 has closed
    assert codes(at(11, 30, 17, 30)) == ["before", "at"]
    assert codes(at(12, 3)) == ["before", "at"]  # 2 working days past
    assert codes(at(12, 4)) == ["before", "at", "after"]
    other = attrs.evolve(clock.status(at(12, 4)), name="legal")
    assert ladder.reached(other) == ()  # the rungs watch the promised clock only
    paused = clock.pause(at(11, 3), PauseReason.EXPERT_REVIEW)
    assert ladder.reached(paused.status(at(12, 31))) == ()
    assert ladder.reached(clock.stop(at(12, 30)).status(at(12, 31))) == ()


def test_wall_time_rule_for_working_hours_and_same_day() -> None:
    ladder = Ladder("l", (rung(2, "before"), rung(0, "at"), rung(-1, "after")))
    hours = Clock.start("promised", Limit.working_hours(4), CAL, at(11, 2, 9))
    early = hours.status(at(11, 2, 9, 30))  # 3.5 working hours left: not yet reminded
    assert early.level is WarningLevel.NORMAL and ladder.reached(early) == ()
    due = hours.status(at(11, 2, 10)).due
    assert due == at(11, 2, 14, 30)  # 9:00-12:00, then 13:30-14:30
    # in the reminder window (the policy's 3 units): the rung before the limit
    assert hours.status(at(11, 2, 11)).level is WarningLevel.REMINDER
    assert [r.code for r in ladder.reached(hours.status(at(11, 2, 11)))] == ["before"]
    assert [r.code for r in ladder.reached(hours.status(due + dt.timedelta(minutes=1)))] == [
        "before",
        "at",
    ]
    late = due + dt.timedelta(days=1)
    assert [r.code for r in ladder.reached(hours.status(late))] == ["before", "at", "after"]
    same = Clock.start("promised", Limit.same_day(), CAL, at(11, 2, 9))
    assert ladder.reached(same.status(at(11, 2, 12))) == ()  # no reminder window
    closing = same.status(at(11, 2, 12)).due
    assert [r.code for r in ladder.reached(same.status(closing + dt.timedelta(seconds=1)))] == [
        "before",
        "at",
    ]


def test_notes_are_filled_from_the_status() -> None:
    r = Rung("c", "warning", "dept", "{clock}: {remaining} {days} left, due {due}", {"legal"}, 5)
    status = Clock.start("legal", Limit.working_days(20), CAL, at(11, 2, 11)).status(at(11, 26))
    assert r.text(status) == "legal: 3 working days left, due 2026-11-30 17:30"


def test_notes_put_the_clock_in_words_in_both_languages() -> None:
    r = Rung("c", "warning", "dept", "{left} / {left_zh}", {"legal"}, 5)
    clock = Clock.start("legal", Limit.working_days(20), CAL, at(11, 2, 11))
    status = clock.status(at(11, 26))
    assert r.text(status) == f"{in_words(status, 'en')} / {in_words(status, 'zh')}"
    assert r.text(status) == "3 working days left / 还剩 3 个工作日"
    # due Monday 30 November 17:30; on Wednesday at 9:00, 1 December has been counted past
    # the limit, and 1 day 15.5 hours have passed (the two largest units are told)
    late = clock.status(at(12, 2, 9))
    assert (
        r.text(late)
        == "overdue by 1 working day (1 day 15 hours) / 逾期 1 个工作日（1 天 15 小时）"
    )
    with pytest.raises(LadderError, match="note"):
        Rung("c", "warning", "dept", "{left_fr}", {"legal"}, 5)


# ---------------------------------------------------------------------- bulk = reference


@given(bulk_clock_cases(), ladders(), st.data())
def test_bulk_ladder_equals_the_scalar_reference(
    case: BulkCase, ladder: Ladder, data: st.DataObject
) -> None:
    pairs = _statuses(case.clocks, case.at)
    assume(pairs)
    arrays = ClockArrays.from_clocks([c for c, _ in pairs], case.at)
    status = evaluate(case.clocks[0].calendar, arrays, case.at)
    names = data.draw(
        st.lists(st.integers(0, 2), min_size=len(pairs), max_size=len(pairs)), label="names"
    )
    code = np.array(names, dtype=np.int64)
    got = ladder.bulk(status, arrays.unit, code, LADDER_CLOCK_NAMES)
    for i, (_, one) in enumerate(pairs):
        named: ClockStatus = attrs.evolve(one, name=LADDER_CLOCK_NAMES[names[i]])
        assert int(got[i]) == ladder.mask(named)
        expected = [r for k, r in enumerate(ladder.rungs) if int(got[i]) >> k & 1]
        assert list(ladder.reached(named)) == expected


def test_bulk_refuses_arrays_of_other_lengths() -> None:
    clock = Clock.start("promised", Limit.working_days(5), CAL, at(11, 2))
    arrays = ClockArrays.from_clocks([clock], at(11, 3))
    status = evaluate(CAL, arrays, at(11, 3))
    with pytest.raises(LadderError):
        Ladder("l", (rung(1),)).bulk(status, arrays.unit, np.zeros(2, dtype=np.int64), ["x"])


# ---------------------------------------------------------------------- packed clocks


@given(bulk_clock_cases(), st.data())
def test_packed_clocks_unpack_to_the_arrays_of_from_clocks(
    case: BulkCase, data: st.DataObject
) -> None:
    built = max(c.events[-1].at for c in case.clocks)
    pairs = _statuses(case.clocks, built)
    assume(pairs)
    clocks = [c for c, _ in pairs]
    # cut the clocks into cases of 1..3 clocks, each clock with a code
    cases: list[list[int]] = []
    i = 0
    while i < len(clocks):
        size = data.draw(st.integers(1, 3), label="size")
        cases.append(list(range(i, min(i + size, len(clocks)))))
        i += size
    last = data.draw(st.integers(0, 2**40), label="last")
    blobs = [
        pack(last + n, [clock_words(j % 8, clocks[j], built) for j in members])
        for n, members in enumerate(cases)
    ]
    order = data.draw(st.permutations(range(len(blobs))), label="order")
    got = unpack([blobs[k] for k in order])
    want = ClockArrays.from_clocks(clocks, built)
    expected_rows = [j for k in order for j in cases[k]]
    assert got.owner.tolist() == [pos for pos, k in enumerate(order) for _ in cases[k]]
    assert got.code.tolist() == [j % 8 for j in expected_rows]
    assert got.last.tolist() == [last + k for k in order]
    w = want.take(np.array(expected_rows, dtype=np.intp))
    for name in ("start", "total", "unit", "stop", "remind_before", "restart_total"):
        assert getattr(got.arrays, name).tolist() == getattr(w, name).tolist(), name
    width = got.arrays.pause_start.shape[1]
    for name in ("pause_start", "pause_end"):
        mine = getattr(got.arrays, name)
        theirs = getattr(w, name)
        padded = np.full((theirs.shape[0], width), NONE, dtype=np.int64)
        padded[:, : theirs.shape[1]] = theirs
        assert mine.tolist() == padded.tolist(), name


def test_a_started_clock_packs_as_compiled() -> None:
    """The shortcut for a clock that only started gives what compile_clock gives."""
    for limit in (Limit.working_days(3), Limit.same_day(), Limit.working_hours(5)):
        clock = Clock.start("promised", limit, CAL, at(11, 2, 9, 7))
        fast = clock_words(1, clock, at(11, 5))
        extended = clock.extend(at(11, 2, 10), limit, "boss") if limit.amount else clock
        assert fast[:3] == [1, fast[1], limit.amount]
        arrays = ClockArrays.from_clocks([clock], at(11, 5))
        assert fast[1:7] == [
            int(arrays.start[0]),
            int(arrays.total[0]),
            int(arrays.unit[0]),
            int(arrays.stop[0]),
            int(arrays.remind_before[0]),
            int(arrays.restart_total[0]),
        ]
        assert len(clock_words(0, extended, at(11, 5))) == 7


def test_with_last_and_malformed_blobs() -> None:
    clock = Clock.start("promised", Limit.working_days(3), CAL, at(11, 2, 9))
    blob = pack(5, [clock_words(0, clock, at(11, 3))])
    assert unpack([with_last(blob, 99)]).last.tolist() == [99]
    with pytest.raises(BulkInputError):
        unpack([blob[:-1]])
    with pytest.raises(BulkInputError):
        unpack([blob + blob[-56:]])


def test_swept_state_round_trip() -> None:
    levels, masks = unpack_swept([None, pack_swept({1: (3, 5), 7: (2, 1)})])
    assert levels[0].tolist() == [BASELINE] * 8
    assert masks[0].tolist() == [0] * 8
    assert levels[1, 1] == 3 and masks[1, 1] == 5 and levels[1, 7] == 2 and masks[1, 7] == 1
    assert levels[1, 0] == BASELINE
    with pytest.raises(BulkInputError):
        unpack_swept([b"\x00" * 3])
