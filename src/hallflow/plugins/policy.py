"""The value types hooks exchange: limit policies, acceptance problems, fees, escalations, sinks."""

from __future__ import annotations

import decimal
import enum
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol, runtime_checkable

import attrs

from hallflow.errors import FeeError
from hallflow.store.base import StoredEvent

__all__ = [
    "RANGE_RULES",
    "AcceptanceProblem",
    "Escalation",
    "EscalationAction",
    "EventSink",
    "Exemption",
    "FeeLine",
    "FeeRule",
    "LimitPolicy",
    "Quote",
    "declared_amount",
    "price",
    "yuan",
]

FEN = Decimal("0.01")


def yuan(value: Decimal | str | int) -> Decimal:
    """An amount in yuan, exact to the fen (refuses floats and fractions of a fen).

    Raises:
        FeeError: not an exact amount to the fen.
    """
    if isinstance(value, float):
        raise FeeError("amount", "money is never a float; give a Decimal or a string", value)
    amount = Decimal(value)
    if amount != amount.quantize(FEN):
        raise FeeError("amount", "must be exact to the fen (0.01 yuan)", value)
    return amount.quantize(FEN)


def _optional_yuan(value: Decimal | str | int | None) -> Decimal | None:
    return None if value is None else yuan(value)


@attrs.define(frozen=True, slots=True)
class LimitPolicy:
    """A locality's rule for promised limits (承诺时限).

    Attributes:
        min_reduction: how much shorter than the legal limit a promised limit must be, as a
            fraction (Sichuan 0.3: at most 70% of the legal limit; Jilin City 0.5).
        green_channel: the factor applied to the promised limit of an urgent (green
            channel) case, e.g. 1/2 in Zhenlai; 1 when there is none.
        source: where the rule comes from (seed and section).
    """

    min_reduction: Fraction = attrs.field(converter=Fraction)
    green_channel: Fraction = attrs.field(default=Fraction(1), converter=Fraction)
    source: str = ""


@attrs.define(frozen=True, slots=True)
class AcceptanceProblem:
    """Why a plugin's acceptance check refuses an application.

    Attributes:
        field: the fact or material at fault.
        rule: the rule broken.
        value: the value given.
    """

    field: str
    rule: str
    value: object = None

    def __str__(self) -> str:
        return f"{self.field}={self.value!r}: {self.rule}"


@attrs.define(frozen=True, slots=True)
class FeeRule:
    """A fee (收费) charged for a matter, with its legal basis and standard.

    Attributes:
        name: what is charged.
        basis: the legal basis (收费依据) — required: no fee without a basis.
        standard: the standard (收费标准) as published.
        low: the amount, or the lower bound of a range, in yuan.
        high: the upper bound of a range (None for a fixed amount).
        fact: for a range charged "as declared", the case fact holding the amount.
    """

    name: str
    basis: str
    standard: str
    low: Decimal = attrs.field(converter=yuan)
    high: Decimal | None = attrs.field(default=None, converter=_optional_yuan)
    fact: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.basis.strip():
            raise FeeError("basis", "a fee needs a legal basis", self.basis)
        if self.low < 0:
            raise FeeError("low", "must not be negative", self.low)
        if self.high is not None and self.high < self.low:
            raise FeeError("high", f"must not be below low={self.low}", self.high)


@attrs.define(frozen=True, slots=True)
class Exemption:
    """A listed exemption that waives fees (免收).

    Attributes:
        fee: the fee's name it waives, or ``"*"`` for every fee.
        reason: why (the listed ground).
        basis: the document that lists it.
    """

    fee: str
    reason: str
    basis: str


@attrs.define(frozen=True, slots=True)
class FeeLine:
    """One line of a quote.

    Attributes:
        name: the fee.
        basis: its legal basis.
        standard: its standard.
        amount: what is charged, in yuan (0.00 when exempt).
        exemption: the exemption applied, if any.
    """

    name: str
    basis: str
    standard: str
    amount: Decimal
    exemption: Exemption | None = None


@attrs.define(frozen=True, slots=True)
class Quote:
    """What a case costs: every line with its basis, and the total.

    Attributes:
        lines: the fee lines.
        total: their sum, in yuan.
    """

    lines: tuple[FeeLine, ...]

    @property
    def total(self) -> Decimal:
        """The sum of the lines."""
        return sum((line.amount for line in self.lines), Decimal("0.00"))


class EscalationAction(enum.StrEnum):
    """What an escalation does."""

    REMINDER = "reminder"
    WARNING = "warning"
    REFERRAL = "referral"
    DEEMED_APPROVAL = "deemed_approval"


@attrs.define(frozen=True, slots=True)
class Escalation:
    """A step of a locality's escalation ladder that applies to a clock now.

    Attributes:
        code: a stable code; an escalation is recorded once per case, clock and code.
        action: what happens.
        to: who is told (the window, a county leader, the supervision office).
        note: the text of the notice (close within 3 days...).
    """

    code: str
    action: EscalationAction = attrs.field(converter=EscalationAction)
    to: str
    note: str = ""


@runtime_checkable
class EventSink(Protocol):
    """An external system every event is pushed to.

    ``name`` identifies the sink in the outbox (keep it stable across restarts).
    ``deliver`` raises to signal failure; the outbox retries later, in order per case.
    """

    name: str

    def deliver(self, event: StoredEvent) -> None:
        """Push one event; raise on failure."""
        ...


RANGE_RULES = ("lower", "declared")
"""The answers ``hallflow_fee_range_rule`` may give (None leaves the default, ``lower``)."""


# ---------------------------------------------------------------------- pricing


def declared_amount(rule: FeeRule, facts: Mapping[str, Any]) -> Decimal:
    """The amount the facts declare for a range fee, checked against the range.

    Raises:
        FeeError: missing, not an amount to the fen, or outside the range.
    """
    field = f"facts[{rule.fact!r}]"
    if rule.fact not in facts:
        raise FeeError(field, "the declared amount is missing", None)
    value = facts[rule.fact]
    if isinstance(value, bool) or value is None:
        raise FeeError(field, "must be an amount in yuan", value)
    try:
        amount = yuan(str(value))
    except (decimal.InvalidOperation, ValueError):
        raise FeeError(field, "must be an amount in yuan", value) from None
    if not amount.is_finite():
        raise FeeError(field, "must be an amount in yuan", value)
    assert rule.high is not None
    if not rule.low <= amount <= rule.high:
        raise FeeError(field, f"must lie in {rule.low}..{rule.high}", amount)
    return amount


def price(
    rules: Iterable[FeeRule],
    exemptions: Iterable[Exemption],
    range_rule: str | None,
    facts: Mapping[str, Any],
) -> Quote:
    """Price an application the way ``Hall.quote`` does: one line per rule, exemptions applied.

    A fixed fee is charged as it stands. A range is charged at its lower bound under the
    ``"lower"`` rule (the default, also for None) and at the amount ``facts`` declare under
    ``"declared"``. The first exemption naming the fee (or ``"*"``) waives it; a waived range
    is still checked, so a bad declaration is refused even when nothing is charged.

    Args:
        rules: the fee rules (``hallflow_fee_rules``, every plugin's, in call order).
        exemptions: the exemptions that apply (``hallflow_fee_exemptions``).
        range_rule: ``"lower"``, ``"declared"`` or None (``hallflow_fee_range_rule``).
        facts: the application's declared facts.

    Returns:
        The quote.

    Raises:
        FeeError: an unknown range rule, or (under ``"declared"``) a declared amount that is
            missing, not an amount in yuan to the fen, or outside its range.
    """
    rule_name = range_rule or "lower"
    if rule_name not in RANGE_RULES:
        raise FeeError("range_rule", f"must be one of {list(RANGE_RULES)}", range_rule)
    waivers = tuple(exemptions)
    lines = []
    for rule in rules:
        amount = rule.low
        if rule.high is not None and rule_name == "declared":
            amount = declared_amount(rule, facts)
        waiver = next((e for e in waivers if e.fee in (rule.name, "*")), None)
        charged = yuan("0") if waiver is not None else amount
        lines.append(FeeLine(rule.name, rule.basis, rule.standard, charged, waiver))
    return Quote(tuple(lines))
