"""The soak's random strategy on USDT-M futures (issue 16): the spot kinds mapped to what a
futures account does -- LIMIT GTC/IOC/FOK, post-only (GTX, the core's LIMIT_MAKER), MARKET,
cancels and replaces (shared with spot), targets per leg, reduce-only closes of a leg and
flips through zero. In hedge mode each order names its leg (LONG or SHORT), so a SELL on the
LONG leg closes rather than opens; in one-way mode every order works on BOTH.

Orders go to ``OrderManager.submit`` (an ``OrderSignal`` has no leg or reduce-only flag);
targets go through the ``Executor``, which splits a flip into its close and its open."""

from __future__ import annotations

import random
from decimal import Decimal

from tests.soak.strategy import IntentRecord, RandomStrategy
from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.execution import OrderIntent, TargetPosition
from tradeexec.venue.positions import PositionLeg

FUTURES_KINDS = (
    ("limit_gtc", 14),
    ("limit_ioc", 6),
    ("limit_fok", 5),
    ("market_qty", 8),
    ("limit_gtx", 6),
    ("cancel", 16),
    ("replace", 10),
    ("target", 8),
    ("close", 4),
    ("flip", 3),
)
# A few times each contract's minimum notional (BTCUSDT 100, ETHUSDT 20 USDT): thousands of
# orders neither run the wallet's margin dry nor pile up one-sided legs.
FUTURES_NOTIONAL = (Decimal(110), Decimal(400))
_TIF = {"limit_gtc": TimeInForce.GTC, "limit_ioc": TimeInForce.IOC, "limit_fok": TimeInForce.FOK}


class FuturesStrategy(RandomStrategy):
    symbols = ("BTCUSDT", "ETHUSDT")
    kinds = FUTURES_KINDS

    def _notional(self, rng: random.Random, symbol: str) -> Decimal:
        low, high = FUTURES_NOTIONAL
        return low + (high - low) * Decimal(rng.randrange(10_000)) / 10_000

    def _leg(self, rng: random.Random) -> PositionLeg:
        return rng.choice((PositionLeg.LONG, PositionLeg.SHORT)) if self.hedge else PositionLeg.BOTH

    def _held(self, symbol: str, leg: PositionLeg) -> Decimal:
        tracked = self.manager.positions.legs.get(symbol, leg)
        return tracked.quantity if tracked is not None else Decimal(0)

    async def _order(self, rng: random.Random, record: IntentRecord, mark: Decimal, side: Side,
                     qty: Decimal) -> None:
        kind, symbol = record.kind, record.symbol
        leg = self._leg(rng)
        named = None if leg is PositionLeg.BOTH else leg
        held = self._held(symbol, leg)
        if kind in ("target", "flip"):
            if kind == "flip":
                wanted = -held if held else (qty if leg is not PositionLeg.SHORT else -qty)
            else:
                step = qty if rng.random() < 0.5 else -qty
                wanted = held + step
            # A hedge-mode leg holds one sign only: LONG >= 0, SHORT <= 0.
            if leg is PositionLeg.LONG:
                wanted = abs(wanted)
            elif leg is PositionLeg.SHORT:
                wanted = -abs(wanted)
            limit = self._price(rng, mark, Side.BUY if wanted > held else Side.SELL)
            price = limit if rng.random() < 0.4 else None
            orders = await self.executor.submit(
                TargetPosition(symbol, target_quantity=wanted, price=price, position_leg=named)
            )
            if not orders:
                record.outcome, record.reason = "nothing", "already at target"
                return
            self._done(record, orders)
            return
        reduce_only = False
        if kind == "close":
            if not held:
                record.outcome, record.reason = "nothing", f"no {leg} position on {symbol}"
                return
            # Reduce-only, a part or all of the leg, at the market or resting behind the touch.
            side = Side.SELL if held > 0 else Side.BUY
            qty = abs(held) if rng.random() < 0.5 else min(abs(held), qty)
            kind, reduce_only = rng.choice(("market_qty", "limit_gtc")), not named
        elif named is not None and rng.random() < 0.5:
            side = Side.BUY if leg is PositionLeg.LONG else Side.SELL  # mostly opening the leg
        intent = self._intent(rng, kind, symbol, side, qty, mark)
        order = await self.manager.submit(
            OrderIntent(intent.symbol, intent.side, intent.type, quantity=intent.quantity, price=intent.price,
                        time_in_force=intent.time_in_force, reduce_only=reduce_only, position_leg=named)
        )  # fmt: skip
        self._done(record, [order])

    def _intent(self, rng: random.Random, kind: str, symbol: str, side: Side, qty: Decimal,
                mark: Decimal) -> OrderIntent:
        if kind == "market_qty":
            return OrderIntent(symbol, side, OrderType.MARKET, quantity=qty)
        price = self._price(rng, mark, side)
        if kind == "limit_gtx":
            # Mostly behind the touch (rests), sometimes through it (expired: would take).
            return OrderIntent(symbol, side, OrderType.LIMIT_MAKER, quantity=qty, price=price)
        return OrderIntent(symbol, side, OrderType.LIMIT, quantity=qty, price=price, time_in_force=_TIF[kind])
