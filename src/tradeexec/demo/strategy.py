"""The demo's strategy: a moving-average cross that produces target positions."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from tradeexec.demo.record import SYMBOLS, ZERO
from tradeexec.execution.signals import TargetPosition
from tradeexec.venue.positions import PositionLeg

BOTH = PositionLeg.BOTH

TARGET_NOTIONAL = Decimal("2000")
FAST, SLOW = 4, 12


class MovingAverageCross:
    """Long while the fast average is above the slow one, back to ``base`` otherwise. Emits a
    target only when the side changes, so a quiet market sends nothing. ``base`` is what the
    account held at the start (zero on the local exchange), so a real account's holdings are
    never traded away. Targets carry the mid as a limit price: the orders rest in the book
    until the market comes to them, and a flip before that cancels them.

    With ``short`` (futures, where a leg can go below zero) the other side is short the same
    notional instead of back to ``base``: each flip then closes the leg and opens the other
    way."""

    def __init__(
        self,
        notional: Decimal = TARGET_NOTIONAL,
        base: dict[str, Decimal] | None = None,
        *,
        short: bool = False,
    ) -> None:
        self.notional = notional
        self.base = base or {}
        self.short = short
        self.prices: dict[str, deque[Decimal]] = {s: deque(maxlen=SLOW) for s in SYMBOLS}
        self.long: dict[str, bool | None] = dict.fromkeys(SYMBOLS)

    def update(self, symbol: str, price: Decimal) -> TargetPosition | None:
        window = self.prices[symbol]
        window.append(price)
        if len(window) < SLOW:
            return None
        fast = sum(list(window)[-FAST:], ZERO) / FAST
        slow = sum(window, ZERO) / SLOW
        long = fast > slow
        if long == self.long[symbol]:
            return None
        self.long[symbol] = long
        base = self.base.get(symbol, ZERO)
        if self.short:
            notional = self.notional if long else -self.notional
            return TargetPosition(symbol, target_notional=notional, price=price, position_leg=BOTH)
        if not base:
            return TargetPosition(symbol, target_notional=self.notional if long else ZERO, price=price)
        wanted = base + (self.notional / price if long else ZERO)
        return TargetPosition(symbol, target_quantity=wanted, price=price)
