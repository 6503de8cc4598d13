"""The emergency stop's careful sells: bounded passes of LIMIT IOC orders near the best bid.

A MARKET order into a thin book sweeps it: on the local exchange ten back-to-back MARKET
sells of one asset filled one and expired nine with nothing done, and on a real venue the
one that fills may fill far below where the market was. Each pass here instead re-reads the
balance and the order book, and sells what is held with a LIMIT IOC priced
``max_slippage_bps`` below the best bid: it takes every bid down to that price and nothing
below, and it never rests. The distance is measured from the best bid of the first pass
(or the current one, if the market has risen since): a book with a hole in it is not walked
down pass after pass. If the book cannot take it all, the next pass (after a short pause,
so the book can refill) looks again, and sends only if some bid is within the distance;
after ``passes`` passes the stop gives up on the asset and says how much is left and why.

Price 0 never means dust. An asset is valued at the best bid, or the last price when the
book has no bid; with neither it is "not closed: no price", because the stop cannot know
that what is held is worth less than the minimum notional.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tradeexec.execution.emergency_passes import (
    BPS,
    DEFAULT_MAX_SLIPPAGE_BPS,
    DEFAULT_PASSES,
    PassOrders,
    SellSettings,
    StopContext,
)
from tradeexec.execution.emergency_report import AssetSale
from tradeexec.execution.policy import Action
from tradeexec.venue.rules import Rounding, SymbolRuleSet
from tradeexec.venue.vocab import Side

__all__ = [
    "DEFAULT_MAX_SLIPPAGE_BPS",
    "DEFAULT_PASSES",
    "AssetSeller",
    "SellSettings",
    "limit_sell_price",
]

ZERO = Decimal(0)


def limit_sell_price(
    rules: SymbolRuleSet, best_bid: Decimal, max_slippage_bps: Decimal, reference: Decimal
) -> Decimal:
    """``best_bid`` less ``max_slippage_bps``, rounded up to the tick (so never further from the
    bid than allowed), and raised to the lowest price the venue accepts for a sell around
    ``reference`` (the last price)."""
    target = best_bid * (1 - max_slippage_bps / BPS)
    return rules.round_price(max(target, rules.lowest_sell_price(reference)), Rounding.UP)


class AssetSeller(PassOrders):
    """Sells one asset for the quote asset in bounded passes; ``run`` returns None when what
    is left is dust, else why it gave up. Every figure it reports comes from the exchange."""

    def __init__(
        self, stop: StopContext, *, settings: SellSettings, rules: SymbolRuleSet, asset: str, quote_asset: str
    ) -> None:
        super().__init__(stop, settings=settings, rules=rules)
        self.asset = asset
        self.quote_asset = quote_asset

    def tally(self) -> AssetSale:
        sale = self.report.sold.get(self.asset)
        if sale is None:
            sale = self.report.sold[self.asset] = AssetSale(
                asset=self.asset, symbol=self.symbol, quote_asset=self.quote_asset, step=self.rules.qty_step
            )
        return sale

    async def prices(self) -> tuple[Decimal, Decimal]:
        """(best bid, last price), each 0 when unknown (an empty book, a symbol that has not
        traded, a failed read): neither alone may decide that a holding is worthless."""
        symbol = self.symbol
        book = await self.attempt(f"order book of {symbol}", lambda: self.venue.book_top(symbol, 5))
        bid = book.bids[0][0] if book is not None and book.bids else ZERO
        last = await self.attempt(f"price of {symbol}", lambda: self.venue.last_prices([symbol]))
        return bid, (last.get(symbol, ZERO) if last is not None else ZERO)

    async def run(self) -> str | None:
        why = await self.passes()
        # Orders whose answer was lost are counted from the exchange's record, even when the
        # balance says they sold everything.
        await self.confirm()
        return why

    async def passes(self) -> str | None:
        why = "nothing was tried"
        anchor = ZERO  # the best bid the first pass saw
        for n in range(1, self.settings.passes + 1):
            if n > 1:
                await asyncio.sleep(self.settings.pass_delay_s)
            account = await self.attempt("read balances", self.venue.balances)
            if account is None:
                why = "could not read the balance"
                continue
            held = next((b.free for b in account.balances if b.asset == self.asset), ZERO)
            bid, last = await self.prices()
            value = bid or last
            if held == 0 or (value > 0 and self.rules.largest_sale(held, value) == 0):
                return None
            if value <= 0:
                why = "no price (no bid in the book and no last price)"
                continue
            if bid <= 0:
                why = f"no bid in the book (last price {self.shown(last)})"
                continue
            anchor = anchor or bid
            price = limit_sell_price(
                self.rules, max(anchor, bid), self.settings.max_slippage_bps, last or bid
            )
            if bid < price:
                why = f"no bid within {self.bps} of {self.shown(anchor)}"
                continue
            qty = self.rules.largest_sale(held, price)
            if qty == 0:
                why = f"below the minimum order at {self.shown(price)}, the lowest price allowed"
                continue
            why, go_on = await self.sell(qty, price, max(anchor, bid))
            if not go_on:
                return why
        passes = self.settings.passes
        return f"{why} after {passes} pass{'es' if passes != 1 else ''}"

    async def sell(self, qty: Decimal, price: Decimal, bid: Decimal) -> tuple[str, bool]:
        """Send one LIMIT IOC; why something is left after it, and whether another pass may
        send again (not after a refusal, nor when the policy halts)."""
        answer, why, action = await self.send(Side.SELL, qty, price)
        if answer is None:
            return (f"stopped selling: {why}", False) if action in (Action.HALT, Action.FAIL) else (why, True)
        self.tally().add_order(answer.executed_qty, answer.cumulative_quote, answer.fills)
        if answer.executed_qty == 0:
            return f"no bid within {self.bps} of {self.shown(bid)}", True
        taken = f"{self.amount(answer.executed_qty)} of {self.amount(qty)}"
        return f"the book took only {taken} within {self.bps} of {self.shown(bid)}", True
