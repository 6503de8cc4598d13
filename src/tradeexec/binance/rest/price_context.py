"""The live prices an order's price-band and notional filters are judged against.

Binance checks PERCENT_PRICE, PERCENT_PRICE_BY_SIDE, and MIN_NOTIONAL / NOTIONAL for MARKET
orders, against the average price over ``avgPriceMins`` (``GET /api/v3/avgPrice``), or the
last price when ``avgPriceMins`` is 0. Without these figures local validation has to skip
those filters and the order goes out to be refused by the exchange; a caller that sends one
order at a time (the CLI) fetches them here first, for the price of one or two requests.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from tradeexec.binance.models import AvgPrice, TickerPrice
from tradeexec.binance.rules.filters import MinNotional, Notional, PercentPrice, PercentPriceBySide
from tradeexec.binance.rules.order_check import MarketContext
from tradeexec.binance.rules.symbol_rules import SymbolRules

__all__ = ["PriceSource", "price_context"]

_PRICED = (PercentPrice, PercentPriceBySide, MinNotional, Notional)


class PriceSource(Protocol):
    async def avg_price(self, symbol: str) -> AvgPrice: ...
    async def ticker_price(self, symbol: str) -> TickerPrice: ...


def _known(price: Decimal | None) -> Decimal | None:
    """A price of 0 is what an exchange reports for a symbol that never traded: no figure."""
    return price if price is not None and price.is_finite() and price > 0 else None


async def price_context(client: PriceSource, rules: SymbolRules) -> MarketContext | None:
    """The average (and, when a filter uses it or no average is known, the last) price of
    the symbol, or None when none of its filters needs a price."""
    minutes = {f.avg_price_mins for f in rules.filters if isinstance(f, _PRICED)}
    if not minutes:
        return None
    average = _known((await client.avg_price(rules.symbol)).price)
    last = None
    if 0 in minutes or average is None:
        last = _known((await client.ticker_price(rules.symbol)).price)
    return MarketContext(last_price=last, weighted_avg_price=average)
