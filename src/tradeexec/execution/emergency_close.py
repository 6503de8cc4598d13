"""The futures emergency stop's closes: bounded passes of LIMIT IOC orders that can only
shrink a position leg.

A long leg is closed with a SELL priced ``max_slippage_bps`` below the best bid, a short leg
with a BUY priced that far above the best ask: the same careful pass as the spot stop's sale
(``emergency_sell``), in either direction. The distance is measured from the touch the first
pass saw (or the current one, if the market has moved the close's way since), so a hole in
the book is not walked pass after pass. Each pass re-reads the leg (``positions``) and the
book, and sends only what the leg still holds: a liquidation, a fill of an order placed
before the stop, or a close whose answer was lost all shrink it, and the next pass sees it.

Every close is reduce-only. In one-way mode the order says so (``reduce_only``, leg BOTH);
in hedge mode Binance refuses the flag (-1106) and the leg itself makes it a close: a SELL
on LONG or a BUY on SHORT can only shrink that leg. A close therefore never opens or flips a
position, even if the leg was closed meanwhile by someone else: the exchange refuses it.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tradeexec.execution.emergency_passes import BPS, PassOrders, SellSettings, StopContext
from tradeexec.execution.emergency_report import LegClose
from tradeexec.execution.emergency_sell import limit_sell_price
from tradeexec.execution.policy import Action
from tradeexec.venue.positions import PositionLeg, PositionSnapshot
from tradeexec.venue.protocol import DerivativesVenue
from tradeexec.venue.rules import Rounding, SymbolRuleSet
from tradeexec.venue.vocab import Side

__all__ = ["LegCloser", "closing_side", "limit_buy_price"]

ZERO = Decimal(0)


def closing_side(quantity: Decimal) -> Side:
    """The side that shrinks a leg holding ``quantity`` (signed: negative is short)."""
    return Side.SELL if quantity > 0 else Side.BUY


def limit_buy_price(rules: SymbolRuleSet, best_ask: Decimal, max_slippage_bps: Decimal) -> Decimal:
    """``best_ask`` plus ``max_slippage_bps``, rounded down to the tick (so never further from
    the ask than allowed)."""
    return rules.round_price(best_ask * (1 + max_slippage_bps / BPS), Rounding.DOWN)


class LegCloser(PassOrders):
    """Closes one position leg in bounded passes; ``run`` returns None when the leg is flat
    (or was closed the other way round by someone else), else why it gave up."""

    venue: DerivativesVenue

    def __init__(
        self,
        stop: StopContext,
        venue: DerivativesVenue,
        *,
        settings: SellSettings,
        rules: SymbolRuleSet,
        leg: PositionSnapshot,
    ) -> None:
        super().__init__(stop, settings=settings, rules=rules)
        self.venue = venue  # the stop's own venue, as the derivatives venue it is
        self.leg = leg.leg
        self.side = closing_side(leg.quantity)
        self.margin_asset = leg.margin_asset
        self.key = f"{self.symbol} {self.leg.value}"

    def tally(self) -> LegClose:
        close = self.report.closed.get(self.key)
        if close is None:
            close = self.report.closed[self.key] = LegClose(
                symbol=self.symbol, leg=self.leg.value, side=self.side.value,
                margin_asset=self.margin_asset, step=self.rules.qty_step,
            )  # fmt: skip
        return close

    @property
    def touch_word(self) -> str:
        return "bid" if self.side is Side.SELL else "ask"

    async def held(self) -> Decimal | None:
        """What the leg still holds in the closing direction (0 when flat or turned the other
        way), or None when the positions cannot be read."""
        legs = await self.attempt(f"position of {self.key}", lambda: self.venue.positions(self.symbol))
        if legs is None:
            return None
        qty = sum((p.quantity for p in legs if p.leg is self.leg), ZERO)
        return abs(qty) if closing_side(qty) is self.side and qty != 0 else ZERO

    async def touch(self) -> Decimal:
        """The best bid (closing a long) or ask (closing a short); 0 when the book has none."""
        book = await self.attempt(f"order book of {self.symbol}", lambda: self.venue.book_top(self.symbol, 5))
        levels = (book.bids if self.side is Side.SELL else book.asks) if book is not None else ()
        return levels[0][0] if levels else ZERO

    def limit_price(self, anchor: Decimal, touch: Decimal) -> tuple[Decimal, bool]:
        """(the pass's limit, whether the book's touch is within it)."""
        bps = self.settings.max_slippage_bps
        if self.side is Side.SELL:
            price = limit_sell_price(self.rules, max(anchor, touch), bps, touch)
            return price, touch >= price
        price = limit_buy_price(self.rules, min(anchor, touch), bps)
        return price, touch <= price

    async def run(self) -> str | None:
        why = await self.passes()
        await self.confirm()  # what the orders whose answer was lost did
        return why

    async def passes(self) -> str | None:
        why = "nothing was tried"
        anchor = ZERO  # the touch the first pass saw
        for n in range(1, self.settings.passes + 1):
            if n > 1:
                await asyncio.sleep(self.settings.pass_delay_s)
            held = await self.held()
            if held is None:
                why = "could not read the position"
                continue
            if held == 0:
                return None
            touch = await self.touch()
            if touch <= 0:
                why = f"no {self.touch_word} in the book"
                continue
            anchor = anchor or touch
            price, within = self.limit_price(anchor, touch)
            if not within:
                why = f"no {self.touch_word} within {self.bps} of {self.shown(anchor)}"
                continue
            qty = self.rules.round_qty(held, Rounding.DOWN)
            if qty == 0:
                return f"{self.amount(held)} left is below the symbol's quantity step"
            why, go_on = await self.close(qty, price, anchor)
            if not go_on:
                return why
        passes = self.settings.passes
        return f"{why} after {passes} pass{'es' if passes != 1 else ''}"

    async def close(self, qty: Decimal, price: Decimal, anchor: Decimal) -> tuple[str, bool]:
        """Send one reduce-only LIMIT IOC; why something is left after it, and whether another
        pass may send again. A refusal is not the end: the next pass reads the leg afresh (a
        liquidation may have shrunk it); only the policy's halt stops the passes."""
        reduce_only = self.leg is PositionLeg.BOTH  # hedge mode: the leg makes it a close
        answer, why, action = await self.send(
            self.side, qty, price, reduce_only=reduce_only, position_leg=self.leg
        )
        if answer is None:
            return why, action is not Action.HALT
        # The answer carries no fills on a derivatives venue: the fees and the realized PnL
        # are read from the order's trades.
        await self.count(answer.order_id, answer.executed_qty, answer.cumulative_quote, str(answer.order_id))
        if answer.executed_qty == 0:
            return f"no {self.touch_word} within {self.bps} of {self.shown(anchor)}", True
        taken = f"{self.amount(answer.executed_qty)} of {self.amount(qty)}"
        return f"the book took only {taken} within {self.bps} of {self.shown(anchor)}", True
