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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, Literal

from tradeexec.errors import InvalidParameter, OrderNotFound, OrderRejectedLocally, TradeexecError
from tradeexec.execution.emergency_report import AssetSale, EmergencyReport, plain_qty
from tradeexec.execution.orders.ids import make_client_order_id
from tradeexec.execution.policy import Action, ErrorPolicy
from tradeexec.venue.protocol import TradingVenue
from tradeexec.venue.records import OrderSnapshot
from tradeexec.venue.rules import Rounding, SymbolRuleSet
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

__all__ = [
    "DEFAULT_MAX_SLIPPAGE_BPS",
    "DEFAULT_PASSES",
    "AssetSeller",
    "SellSettings",
    "limit_sell_price",
]

ZERO = Decimal(0)
BPS = Decimal(10_000)
# 50 bps (0.5 %) below the best bid: a common desk limit for an unattended liquidation of a
# major pair, wide enough to take the top levels of a normal book, narrow enough that a
# hole in the book costs at most half a percent per pass.
DEFAULT_MAX_SLIPPAGE_BPS = Decimal(50)
DEFAULT_PASSES = 5
# The exchange's default window (Binance: 5000 ms): a sell delayed longer is refused unsent.
RECV_WINDOW_MS = 5000

Attempt = Callable[[str, Callable[[], Awaitable[Any]]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class SellSettings:
    """``max_slippage_bps``: how far below the best bid (in basis points, 1 bp = 0.01 %) each
    pass's LIMIT IOC is priced, default 50; ``passes``: how many sells per asset at most,
    default 5; ``pass_delay_s``: the pause after a pass that left something unsold."""

    max_slippage_bps: Decimal = DEFAULT_MAX_SLIPPAGE_BPS
    passes: int = DEFAULT_PASSES
    pass_delay_s: float = 0.2

    def __post_init__(self) -> None:
        if not (self.max_slippage_bps.is_finite() and 0 < self.max_slippage_bps < BPS):
            raise InvalidParameter(
                "max_slippage_bps", "must be above 0 and below 10000", f"got {self.max_slippage_bps}"
            )
        if not 1 <= self.passes <= 100:
            raise InvalidParameter("passes", "must be between 1 and 100", f"got {self.passes}")


@dataclass(frozen=True, slots=True)
class _Sell:
    """One pass's LIMIT IOC sell, as a ``PlacementRequest``."""

    client_order_id: str
    symbol: str
    quantity: Decimal
    price: Decimal
    side: Side = Side.SELL
    type: OrderType = OrderType.LIMIT
    time_in_force: TimeInForce = TimeInForce.IOC
    quote_quantity: None = None
    stop_price: None = None
    recv_window_ms: int = RECV_WINDOW_MS
    reduce_only: bool = False
    position_leg: None = None


def limit_sell_price(
    rules: SymbolRuleSet, best_bid: Decimal, max_slippage_bps: Decimal, reference: Decimal
) -> Decimal:
    """``best_bid`` less ``max_slippage_bps``, rounded up to the tick (so never further from the
    bid than allowed), and raised to the lowest price the venue accepts for a sell around
    ``reference`` (the last price)."""
    target = best_bid * (1 - max_slippage_bps / BPS)
    return rules.round_price(max(target, rules.lowest_sell_price(reference)), Rounding.UP)


class AssetSeller:
    """Sells one asset for the quote asset in bounded passes; ``run`` returns None when what
    is left is dust, else why it gave up. Every figure it reports comes from the exchange."""

    def __init__(
        self,
        venue: TradingVenue,
        attempt: Attempt,
        policy: ErrorPolicy,
        report: EmergencyReport,
        *,
        settings: SellSettings,
        rules: SymbolRuleSet,
        asset: str,
        quote_asset: str,
    ) -> None:
        self.venue = venue
        self.attempt = attempt
        self.policy = policy
        self.report = report
        self.settings = settings
        self.rules = rules
        self.asset = asset
        self.symbol = rules.symbol
        self.quote_asset = quote_asset
        self.lost: list[str] = []  # client order ids whose answer was lost

    @property
    def step(self) -> Decimal | None:
        return self.rules.qty_step

    @property
    def sale(self) -> AssetSale:
        sale = self.report.sold.get(self.asset)
        if sale is None:
            sale = self.report.sold[self.asset] = AssetSale(
                self.asset, self.symbol, self.quote_asset, self.step
            )
        return sale

    def amount(self, qty: Decimal) -> str:
        """A quantity to the symbol's step (plain, whatever its size)."""
        return plain_qty(qty, self.step)

    @property
    def bps(self) -> str:
        return f"{self.settings.max_slippage_bps.normalize():f} bps"

    def shown(self, price: Decimal) -> str:
        """A price to the symbol's tick, as the exchange shows it."""
        return plain_qty(price, self.rules.price_tick)

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
        send again (not after a local refusal, nor when the policy halts)."""
        cid = make_client_order_id("emergency", self.symbol)
        try:
            answer = await self.venue.place(_Sell(cid, self.symbol, qty, price))
        except OrderRejectedLocally as exc:
            return f"sell {self.amount(qty)} at {price} refused locally: {exc}", False
        except (TradeexecError, OSError, TimeoutError) as exc:
            self.report.errors.append(f"sell {self.amount(qty)} {self.symbol} at {price}: {exc}")
            decision = self.policy.decide(exc, write=True, what=f"emergency: sell {qty} {self.symbol}")
            if decision.action is Action.RESOLVE:
                # The order may have executed: confirm() reads back what it did.
                self.lost.append(cid)
            elif decision.action in (Action.HALT, Action.FAIL):
                return f"stopped selling: {decision.reason}", False
            await asyncio.sleep(min(decision.delay_s, self.policy.max_delay_s))
            return f"the last sell failed: {decision.reason}", True
        self.sale.add_order(answer.executed_qty, answer.cumulative_quote, answer.fills)
        if answer.executed_qty == 0:
            return f"no bid within {self.bps} of {self.shown(bid)}", True
        taken = f"{self.amount(answer.executed_qty)} of {self.amount(qty)}"
        return f"the book took only {taken} within {self.bps} of {self.shown(bid)}", True

    async def confirm(self) -> None:
        """Read back each order whose answer was lost and count what it executed from the
        exchange's order and its trades. One that cannot be read back after the retries is
        listed as unconfirmed: the report must not present figures it does not have."""
        for cid in self.lost:
            order = await self.attempt(f"read back order {cid}", partial(self._lookup, cid))
            if order is False:
                continue  # no such order: it never reached the matching engine, so it did nothing
            if order is None:
                self.report.unconfirmed.append(
                    f"{self.symbol} order {cid}: could not read back what it executed (not counted above)"
                )
                continue
            trades = await self.attempt(
                f"trades of {cid}", partial(self.venue.recent_trades, self.symbol, order_id=order.order_id)
            )
            self.sale.add_order(order.executed_qty, order.cumulative_quote, trades or ())
            if trades is None and order.executed_qty:
                self.report.unconfirmed.append(
                    f"{self.symbol} order {cid}: its quantity is counted above, its fees could not be read"
                )
        self.lost.clear()

    async def _lookup(self, cid: str) -> OrderSnapshot | Literal[False]:
        """The order, or False if the exchange says it does not exist."""
        try:
            return await self.venue.lookup(self.symbol, cid)
        except OrderNotFound:
            return False
