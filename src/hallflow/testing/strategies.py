"""Hypothesis strategies for plugin authors: limits, matters, catalogues, clock states, facts.

Every strategy here builds values through hallflow's public constructors, so what it draws
is valid by construction (a matter that the :class:`~hallflow.model.Matter` checks accept,
a :class:`~hallflow.timeline.ClockStatus` whose level agrees with its numbers). Use them in
a locality package's own property tests::

    from hypothesis import given
    from hallflow.testing.strategies import clock_statuses, matters

    @given(matters(), clock_statuses())
    def test_my_ladder_is_quiet_before_the_reminder(matter, status): ...

The conformance kit (:func:`hallflow.testing.check_plugin`) draws from the same strategies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from hallflow.model import (
    IMMEDIATE,
    JOINT,
    PROMISED,
    PROXY_VARIANT,
    URGENT,
    CaseKind,
    Catalogue,
    CoDepartment,
    GapPolicy,
    JointHandling,
    Material,
    Matter,
    NaturalPerson,
    Power,
    Procedure,
    SilencePolicy,
    Step,
    StepKind,
    Variant,
    check_digit_resident,
)
from hallflow.model.catalogue import EXCLUDABLE_PERIODS
from hallflow.plugins.policy import FeeRule
from hallflow.timeline import ClockState, ClockStatus, Limit, Outcome, PauseReason, Unit
from hallflow.timeline.clock import WarningLevel

__all__ = [
    "CLOCK_NAMES",
    "VARIANTS",
    "catalogues",
    "clock_statuses",
    "commands",
    "declared_amounts",
    "facts_for",
    "fee_rules",
    "instants",
    "limits",
    "matters",
    "natural_persons",
    "resident_ids",
]

CLOCK_NAMES = ("promised", "legal")
"""The names of the two limit clocks every case has (the names escalation hooks receive)."""

VARIANTS = (PROXY_VARIANT, Variant("second", "this is a second application"))
"""The variants every generated matter declares (materials may be needed under either)."""

_ZONES = ("Asia/Shanghai", "Asia/Urumqi", "UTC")
_NAME_CHARS = "abcdefgh 事项窗口中心部门张王李"
_TEXT = st.characters(codec="utf-8")


def _names(max_size: int = 12) -> st.SearchStrategy[str]:
    """Non-blank names, some with Chinese characters."""
    return st.text(alphabet=_NAME_CHARS, max_size=max_size).map(lambda s: "n" + s)


def _codes(prefix: str) -> st.SearchStrategy[str]:
    return st.integers(0, 999).map(lambda n: f"{prefix}{n:03d}")


# ---------------------------------------------------------------------- limits and instants


def limits(*, same_day: bool = True, max_amount: int = 60) -> st.SearchStrategy[Limit]:
    """Any valid limit: working days, calendar days, working hours, and (optionally) same day.

    Args:
        same_day: include :meth:`Limit.same_day`.
        max_amount: the largest amount drawn.
    """
    parts = [
        st.integers(1, max_amount).map(Limit.working_days),
        st.integers(1, max_amount).map(Limit.calendar_days),
        st.integers(1, max_amount).map(Limit.working_hours),
    ]
    if same_day:
        parts.append(st.just(Limit.same_day()))
    return st.one_of(parts)


_any_limits = limits


def instants(
    first: dt.date = dt.date(2020, 1, 1), last: dt.date = dt.date(2029, 12, 31)
) -> st.SearchStrategy[dt.datetime]:
    """Aware whole-minute instants between two days, in a Chinese zone or in UTC.

    Instants on the quarter hour (where shifts start and end) are favoured.
    """
    minutes = st.one_of(st.integers(0, 24 * 60 - 1), st.integers(0, 95).map(lambda q: q * 15))

    def build(args: tuple[dt.date, int, str]) -> dt.datetime:
        day, minute, zone = args
        wall = dt.time(minute // 60, minute % 60)
        return dt.datetime.combine(day, wall, tzinfo=ZoneInfo(zone))

    return st.tuples(st.dates(first, last), minutes, st.sampled_from(_ZONES)).map(build)


# ---------------------------------------------------------------------- people


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    """A valid GB 11643 resident ID number (lower-case x never appears)."""
    region = f"{draw(st.integers(1, 9))}{draw(st.integers(0, 99999)):05d}"
    born = draw(st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)))
    body = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + check_digit_resident(body)


def natural_persons() -> st.SearchStrategy[NaturalPerson]:
    """Citizens with valid resident ID numbers."""
    return st.builds(NaturalPerson, _names(), resident_ids())


# ---------------------------------------------------------------------- matters


@st.composite
def _materials(draw: st.DrawFn) -> tuple[Material, ...]:
    out = []
    for i in range(draw(st.integers(0, 6))):
        original = draw(st.booleans())
        out.append(
            Material(
                f"m{i}",
                draw(_names()),
                required=draw(st.booleans()),
                original=original,
                copies=draw(st.integers(0 if original else 1, 3)),
                deferrable=draw(st.booleans()),
                when=draw(st.sampled_from([None, None, "proxy", "second"])),
            )
        )
    return tuple(out)


@st.composite
def _joint(draw: st.DrawFn, lead: str) -> JointHandling:
    names = [f"co{i}" for i in range(draw(st.integers(1, 4)))]
    cos = []
    for i, name in enumerate(names):
        after = draw(st.lists(st.sampled_from(names[:i]), unique=True)) if i else []
        cos.append(CoDepartment(name, Limit.working_days(draw(st.integers(1, 5))), tuple(after)))
    order = draw(st.permutations(cos))
    return JointHandling(lead, tuple(order), draw(st.sampled_from(list(SilencePolicy))))


_KINDS = (IMMEDIATE, PROMISED, JOINT, URGENT, CaseKind("returned", "Returned"))


@st.composite
def matters(
    draw: st.DrawFn,
    code: str | None = None,
    kinds: Iterable[CaseKind] = _KINDS,
    department: str | None = None,
) -> Matter:
    """Valid matters of every built-in kind and a locality kind.

    Matters have variants, gaps and excluded periods; joint ones have acyclic joint handling
    that fits the promised limit.

    Promised limits are in working days, 1–30 (same day or one day for an immediate
    matter); legal limits are the promised limit plus 0–30.

    Args:
        draw: supplied by hypothesis.
        code: the matter's code (drawn as ``M000``–``M999`` when None).
        kinds: the kinds to choose from.
        department: the department (drawn when None).
    """
    kind = draw(st.sampled_from(tuple(kinds)))
    dept = department or draw(st.sampled_from(["dept-a", "dept-b", "住建局"]))
    materials = draw(_materials())
    joint = draw(_joint(dept)) if kind == JOINT else None
    if kind == IMMEDIATE:
        legal = Limit.working_days(draw(st.integers(1, 20)))
        promised = draw(st.sampled_from([Limit.same_day(), Limit.working_days(1)]))
        procedure = draw(st.sampled_from([Procedure.on_the_spot(), Procedure.review_and_approve()]))
    else:
        floor = max(1, joint.longest_chain(Unit.WORKING_DAYS)) if joint else 1
        promised = Limit.working_days(draw(st.integers(floor, floor + 20)))
        legal = Limit.working_days(promised.amount + draw(st.integers(0, 30)))
        steps = [
            Step(
                f"s{i}",
                draw(_names()),
                kind=draw(st.sampled_from(list(StepKind))),
                power=draw(st.sampled_from(list(Power))),
                limit=draw(st.none() | st.just(Limit.working_days(1))),
            )
            for i in range(draw(st.integers(1, min(3, promised.amount))))
        ]
        procedure = Procedure(tuple(steps))
    deferrable = [m.code for m in materials if m.deferrable and m.required]
    gaps = None
    use_gaps = draw(st.booleans())
    if deferrable and use_gaps:
        chosen = draw(st.lists(st.sampled_from(deferrable), min_size=1, unique=True))
        gaps = GapPolicy(tuple(chosen), Limit.working_days(draw(st.integers(1, 10))))
    return Matter(
        code if code is not None else draw(_codes("M")),
        draw(_names()),
        dept,
        kind,
        tuple(draw(st.lists(_names(), min_size=1, max_size=3))),
        tuple(draw(st.lists(_names(), max_size=3))),
        materials,
        legal,
        promised,
        procedure=procedure,
        excludable=draw(st.frozensets(st.sampled_from(sorted(EXCLUDABLE_PERIODS)))),
        pledge_allowed=draw(st.booleans()),
        gaps=gaps,
        joint=joint,
        seal_required=draw(st.booleans()),
        fee_basis=draw(st.sampled_from(["", "Price Bureau notice No. 12"])),
        fee_standard=draw(st.sampled_from(["", "10 yuan per certificate"])),
        summary=draw(st.sampled_from(["", "概述"])),
        variants=VARIANTS,
    )


@st.composite
def catalogues(
    draw: st.DrawFn, max_matters: int = 3, kinds: Iterable[CaseKind] = _KINDS
) -> Catalogue:
    """Catalogues of valid matters with unique codes.

    Args:
        draw: supplied by hypothesis.
        max_matters: the most matters drawn.
        kinds: the kinds the matters may have.
    """
    codes = draw(st.lists(_codes("M"), unique=True, max_size=max_matters))
    chosen = tuple(kinds)
    return Catalogue(tuple(draw(matters(code, chosen)) for code in codes))


# ---------------------------------------------------------------------- clock states


def _remaining_time(limit: Limit, remaining: float) -> dt.timedelta:
    if limit.unit is Unit.WORKING_HOURS:
        return dt.timedelta(hours=remaining)
    return dt.timedelta(days=remaining)


@st.composite
def clock_statuses(
    draw: st.DrawFn,
    limits: st.SearchStrategy[Limit] | None = None,
    names: Iterable[str] = CLOCK_NAMES,
) -> ClockStatus:
    """Clock statuses as a clock reports them, built directly.

    Every state, warning level and unit, with numbers that agree with each other.

    A stopped clock is :attr:`WarningLevel.CLOSED` with an outcome whose margin has the
    right sign; a running or paused clock is overdue when it has less than nothing left, at
    a reminder within a 0–5 unit window, else normal; a paused clock has a pause reason.

    Args:
        draw: supplied by hypothesis.
        limits: the limits to draw from (any, see :func:`limits`, when None).
        names: the clock names to draw from.
    """
    limit = draw(limits if limits is not None else _any_limits())
    name = draw(st.sampled_from(tuple(names)))
    state = draw(st.sampled_from(list(ClockState)))
    at = draw(instants())
    started = at - dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 120)))
    total = limit.amount if limit.amount else 1
    elapsed = float(draw(st.integers(0, 2 * total + 2)))
    remaining = float(total) - elapsed
    fraction = elapsed / total
    outcome: Outcome | None = None
    margin = 0.0
    pause_reason: PauseReason | None = None
    if state is ClockState.STOPPED:
        level = WarningLevel.CLOSED
        margin = float(draw(st.integers(-total, total)))
        outcome = Outcome.EARLY if margin > 0 else Outcome.ON_TIME if margin == 0 else Outcome.LATE
        stopped_left = _remaining_time(limit, margin)
        remaining_time = stopped_left
        overdue_by = -stopped_left if margin < 0 else dt.timedelta(0)
    else:
        window = draw(st.integers(0, 5))
        if remaining < 0:
            level = WarningLevel.OVERDUE
        elif remaining <= window:
            level = WarningLevel.REMINDER
        else:
            level = WarningLevel.NORMAL
        remaining_time = _remaining_time(limit, remaining)
        overdue_by = -remaining_time if remaining < 0 else dt.timedelta(0)
        if state is ClockState.PAUSED:
            pause_reason = draw(st.sampled_from(list(PauseReason)))
    return ClockStatus(
        name=name,
        at=at,
        state=state,
        limit=limit,
        started=started,
        counting_from=started.date(),
        due=at + remaining_time,
        elapsed=elapsed,
        remaining=remaining,
        fraction_used=fraction,
        remaining_time=remaining_time,
        overdue_by=overdue_by,
        outcome=outcome,
        margin=margin,
        level=level,
        pause_reason=pause_reason,
        provisional=draw(st.booleans()),
    )


# ---------------------------------------------------------------------- fees and facts


def _fen(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


@st.composite
def fee_rules(draw: st.DrawFn, name: str | None = None) -> FeeRule:
    """Valid fee rules: a fixed amount or a range with a fact, amounts exact to the fen.

    Args:
        draw: supplied by hypothesis.
        name: the fee's name (drawn when None).
    """
    fee = name or draw(st.sampled_from(["licence", "survey", "certificate", "测绘费"]))
    low = Decimal(draw(st.integers(0, 100_000))) / 100
    if draw(st.booleans()):
        return FeeRule(fee, "Price Bureau notice No. 12", f"{low} yuan", _fen(low))
    high = low + Decimal(draw(st.integers(0, 100_000))) / 100
    fact = draw(st.sampled_from(["amount", "survey", "area_fee"]))
    return FeeRule(fee, "Fee rules, Art. 3", f"{low}–{high} yuan", _fen(low), _fen(high), fact=fact)


@st.composite
def declared_amounts(draw: st.DrawFn, rule: FeeRule) -> Any:
    """What an applicant might declare for a range fee.

    Amounts inside the range, on its bounds, just and far outside it, as decimal text, an
    int or a float (facts are stored as JSON, so never a Decimal); now and then something
    that is no amount at all (blank text, a fraction of a fen, None, a boolean).

    Args:
        draw: supplied by hypothesis.
        rule: the fee rule (its ``low`` and ``high`` bound the range).
    """
    low = rule.low
    high = rule.high if rule.high is not None else rule.low
    fen = Decimal("0.01")
    span = int((high - low) / fen)
    inside = low + fen * draw(st.integers(0, span))
    choice = draw(
        st.sampled_from(
            ["inside", "low", "high", "below", "above", "far", "negative", "garbage", "inside"]
        )
    )
    amount: Decimal
    if choice == "inside":
        amount = inside
    elif choice == "low":
        amount = low
    elif choice == "high":
        amount = high
    elif choice == "below":
        amount = low - fen
    elif choice == "above":
        amount = high + fen
    elif choice == "far":
        amount = high + Decimal(draw(st.integers(1, 10**9)))
    elif choice == "negative":
        amount = -Decimal(draw(st.integers(1, 10**6))) / 100
    else:
        return draw(st.sampled_from(["", "abc", "1.005", "十元", None, True, "NaN"]))
    form = draw(st.sampled_from(["str", "str", "int", "float"]))
    if form == "int" and amount == amount.to_integral_value():
        return int(amount)
    if form == "float":
        return float(amount)
    return str(_fen(amount))


def _other_facts() -> st.SearchStrategy[dict[str, Any]]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**6), 10**6),
        st.text(_TEXT, max_size=8),
        st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    )
    keys = st.sampled_from(["amount", "balance", "area", "disaster", "count", "地址"])
    return st.dictionaries(keys | st.text(_TEXT, min_size=1, max_size=6), scalars, max_size=5)


@st.composite
def facts_for(
    draw: st.DrawFn, rules: Iterable[FeeRule] = (), keys: Iterable[str] = ()
) -> dict[str, Any]:
    """An application's declared facts, as ``Hall.submit(..., facts=...)`` takes them.

    Random facts under common and random keys, and for each range fee in ``rules`` its
    fact (usually present: see :func:`declared_amounts`; sometimes missing). Keys in
    ``keys`` are present with random scalar values.

    Args:
        draw: supplied by hypothesis.
        rules: the fee rules whose declared facts to include.
        keys: further fact names a plugin reads (its acceptance checks, say).
    """
    facts = draw(_other_facts())
    scalar = st.one_of(
        st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.text(_TEXT, max_size=8)
    )
    for key in keys:
        facts[key] = draw(scalar)
    for rule in rules:
        if rule.high is None or not rule.fact:
            continue
        if draw(st.integers(0, 9)) == 0:
            facts.pop(rule.fact, None)
        else:
            facts[rule.fact] = draw(declared_amounts(rule))
    return facts


# ---------------------------------------------------------------------- commands


def _command_codes() -> st.SearchStrategy[str]:
    return st.text(alphabet="abcdefgh-_0123456789事项窗", min_size=1, max_size=12).filter(
        lambda s: bool(s.strip())
    )


def _reasons() -> st.SearchStrategy[str]:
    return st.text(_TEXT, min_size=1, max_size=40).filter(lambda s: bool(s.strip()))


def _json_facts() -> st.SearchStrategy[dict[str, Any]]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**53), 2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(_TEXT, max_size=10),
    )
    return st.dictionaries(st.text(_TEXT, max_size=8), scalars, max_size=4)


@st.composite
def commands(draw: st.DrawFn, kind: type[Any] | None = None) -> Any:
    """A valid command value of any kind (or of ``kind``) from :mod:`hallflow.cases.commands`.

    Codes, reasons, instants, limits and applicants are drawn at random.

    The command is valid as data — whether a hall would run it (state, authority, time
    order) is another matter, which is what the pipeline's tests explore.
    """
    from hallflow.cases import commands as c

    cls = kind if kind is not None else draw(st.sampled_from(sorted(c.COMMANDS.values(), key=str)))
    at = draw(instants())
    base: dict[str, Any] = {"actor": draw(_command_codes()), "at": at}
    if cls is not c.Submit:
        base["case_id"] = draw(_command_codes())
    codes = st.lists(_command_codes(), max_size=4)
    fields: dict[type[Any], dict[str, st.SearchStrategy[Any]]] = {
        c.Submit: {
            "matter": _command_codes(),
            "applicant": natural_persons(),
            "window": _command_codes(),
            "materials": codes,
            "conditions": codes,
            "facts": _json_facts(),
            "channel": st.sampled_from(list(c.Channel)),
            "case_id": st.none() | _command_codes(),
        },
        c.RequestCorrection: {
            "items": st.dictionaries(_command_codes(), _reasons(), min_size=1, max_size=3)
        },
        c.Supply: {"materials": codes},
        c.SupplyDeferred: {"materials": codes},
        c.AcceptWithGaps: {
            "deferred": codes,
            "pledge_date": st.dates(dt.date(2020, 1, 1), dt.date(2999, 1, 1)),
        },
        c.NotAccept: {"reason": _reasons(), "redirect_window": st.none() | _command_codes()},
        c.AssignSigners: {"step": _command_codes(), "signers": codes},
        c.AddSigner: {"step": _command_codes(), "signer": _command_codes()},
        c.Transfer: {"step": _command_codes(), "to": _command_codes()},
        c.Sign: {"step": _command_codes()},
        c.ReturnCase: {"to": _command_codes(), "reason": _reasons()},
        c.Suspend: {"reason": st.sampled_from(list(PauseReason)), "length": st.none() | limits()},
        c.Extend: {"extra": limits(), "reason": _reasons(), "clock": _command_codes()},
        c.GiveOpinion: {
            "department": _command_codes(),
            "consent": st.booleans(),
            "reasons": st.text(_TEXT, max_size=20),
        },
        c.Decide: {"approve": st.booleans(), "reasons": st.text(_TEXT, max_size=20)},
        c.ApproveOnPledge: {"verify_by": st.dates(dt.date(2020, 1, 1), dt.date(2999, 1, 1))},
        c.VerifyPledge: {"kept": st.booleans()},
        c.Seal: {"seal_code": _command_codes()},
        c.Deliver: {"method": st.sampled_from(list(c.DeliveryMethod))},
        c.Withdraw: {"reason": st.text(_TEXT, max_size=20)},
        c.Revoke: {"reason": _reasons()},
    }
    for name, strategy in fields.get(cls, {}).items():
        base[name] = draw(strategy)
    return cls(**base)
