"""Which orders take a derivatives leg from where it is to a target (``Executor`` target mode).

The difference is split so that the part that closes is always sent reduce-only: the venue
then refuses to let it open anything, whatever else filled meanwhile (a close resent after a
lost answer, a liquidation, a second strategy). So:

* a difference that only shrinks the leg is one reduce-only order;
* one that goes through zero (one-way mode: a long target for a short leg, or the other way)
  is a reduce-only close of the whole leg and an opening order for the rest;
* one that grows the leg (or opens a flat one) is one plain order.

In hedge mode a LONG leg holds no short and a SHORT leg no long: a target of the wrong sign
is refused naming the field, never turned into an order on the other leg.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeexec.errors import InvalidParameter
from tradeexec.params import check_decimal
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.vocab import Side

__all__ = ["LegOrder", "check_leg_target", "leg_orders", "signed_decimal"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LegOrder:
    """One order of the way to a target: ``quantity`` unrounded, always positive."""

    side: Side
    quantity: Decimal
    reduce_only: bool


def signed_decimal(field: str, value: object) -> Decimal:
    """A finite decimal of either sign (a short target is negative), checked as ``check_decimal``
    checks a positive one."""
    if isinstance(value, str) and value.startswith("-"):
        return -check_decimal(field, value[1:], allow_zero=True)
    if isinstance(value, Decimal | int) and not isinstance(value, bool) and value < 0:
        return -check_decimal(field, -value, allow_zero=True)
    return check_decimal(field, value, allow_zero=True)


def check_leg_target(field: str, wanted: Decimal, leg: PositionLeg) -> Decimal:
    if leg is PositionLeg.LONG and wanted < 0:
        raise InvalidParameter(field, "a LONG leg's target is 0 or more", str(wanted))
    if leg is PositionLeg.SHORT and wanted > 0:
        raise InvalidParameter(field, "a SHORT leg's target is 0 or less (short is negative)", str(wanted))
    return wanted


def leg_orders(current: Decimal, wanted: Decimal) -> list[LegOrder]:
    """The orders from a leg of signed ``current`` to ``wanted`` (module doc)."""
    delta = wanted - current
    if not delta:
        return []
    side = Side.BUY if delta > 0 else Side.SELL
    if not current or (delta > 0) == (current > 0):
        return [LegOrder(side, abs(delta), reduce_only=False)]
    if abs(delta) <= abs(current):
        return [LegOrder(side, abs(delta), reduce_only=True)]
    return [LegOrder(side, abs(current), reduce_only=True), LegOrder(side, abs(delta) - abs(current), False)]
