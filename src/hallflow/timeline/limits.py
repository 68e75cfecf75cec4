"""Time limits: an amount and the unit it is counted in."""

from __future__ import annotations

import enum

import attrs

from hallflow.errors import LimitError

__all__ = ["Limit", "Unit"]


class Unit(enum.StrEnum):
    """The unit a limit is counted in."""

    WORKING_DAYS = "working_days"
    """Working days of the hall's calendar — the law's default (Administrative Licensing
    Law Art. 82)."""
    CALENDAR_DAYS = "calendar_days"
    """Calendar days (a limit written as plain "days"); a period whose last day is a rest
    day ends on the next working day (Civil Code Art. 203)."""
    WORKING_HOURS = "working_hours"
    """Hours of working time on the hall hours."""
    SAME_DAY = "same_day"
    """Decided the day the clock starts (an immediate matter)."""


def _amount(instance: Limit, _attribute: object, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LimitError(f"Limit.amount={value!r} must be a whole number")
    if value < 0:
        raise LimitError(f"Limit.amount={value} must not be negative")
    if instance.unit is Unit.SAME_DAY and value != 0:
        raise LimitError(f"Limit.amount={value}: a same-day limit has no amount (use 0)")
    if instance.unit is not Unit.SAME_DAY and value == 0:
        raise LimitError(
            f"Limit.amount=0 in {instance.unit.value}: use Limit.same_day() for a limit "
            f"that ends the day it starts"
        )


@attrs.define(frozen=True, slots=True)
class Limit:
    """A time limit (时限): how much time a step may take, and in which unit.

    Attributes:
        amount: how many units (0 for a same-day limit).
        unit: the unit; working days unless said otherwise.
    """

    amount: int = attrs.field(validator=_amount)
    unit: Unit = attrs.field(default=Unit.WORKING_DAYS, converter=Unit)

    @classmethod
    def working_days(cls, amount: int) -> Limit:
        """``amount`` working days."""
        return cls(amount, Unit.WORKING_DAYS)

    @classmethod
    def calendar_days(cls, amount: int) -> Limit:
        """``amount`` calendar days."""
        return cls(amount, Unit.CALENDAR_DAYS)

    @classmethod
    def working_hours(cls, amount: int) -> Limit:
        """``amount`` hours of working time."""
        return cls(amount, Unit.WORKING_HOURS)

    @classmethod
    def same_day(cls) -> Limit:
        """Decided on the day the clock starts (当天)."""
        return cls(0, Unit.SAME_DAY)

    @property
    def is_days(self) -> bool:
        """Whether the limit is counted in whole days (working or calendar)."""
        return self.unit in (Unit.WORKING_DAYS, Unit.CALENDAR_DAYS)

    def __str__(self) -> str:
        if self.unit is Unit.SAME_DAY:
            return "same day"
        return f"{self.amount} {self.unit.value.replace('_', ' ')}"
