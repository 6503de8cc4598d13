"""What a trading session does differently per product: spot or USDⓈ-M futures.

The session (``tradeexec.strategy.session``) is the same machine for both: a market stream
into local books, the journal, the order manager on a venue with its user data feed, the
exchange's record checked at the end. Only these parts differ, so they live here, one class
per product, and the session asks the one its plan names: the venue adapter, the market
streams and book procedure, the rate-limit budget it spends, and how the exchange lists the
run's orders and the account's final holdings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.binance.venue import SpotVenue
from tradeexec.binance.ws.futures_market import FuturesMarketStream
from tradeexec.binance.ws.streams import MarketStream
from tradeexec.book import FuturesOrderBook, LocalOrderBook, SnapshotFetcher
from tradeexec.errors import InvalidParameter
from tradeexec.sim.config import SimConfig

__all__ = ["PRODUCTS", "FuturesProduct", "SessionVenue", "SpotProduct", "product_of"]

SessionVenue = SpotVenue | FuturesVenue


class SpotProduct:
    """Spot: depth and trades on one connection, the ``api`` budgets, the account's assets."""

    name = "spot"
    book_type: type[LocalOrderBook] = LocalOrderBook
    budget = "api"

    def configure(self, cfg: SimConfig) -> None:
        cfg.market.futures = False  # the machine's time goes to the spot market

    def venue(self, client: BinanceClient) -> SessionVenue:
        return SpotVenue(client)

    def depth(self, client: BinanceClient) -> SnapshotFetcher:
        return lambda s: client.depth(s, limit=100)

    def market_stream(self, url: str, symbols: Iterable[str], **options: Any) -> MarketStream:
        streams = [f"{s.lower()}@{kind}" for s in symbols for kind in ("depth@100ms", "trade")]
        return MarketStream(url, streams, **options)

    async def client_order_ids(self, client: BinanceClient, symbol: str) -> list[str]:
        return [o.client_order_id for o in await client.all_orders(symbol)]

    async def holdings(self, client: BinanceClient, assets: Sequence[str]) -> dict[str, Decimal]:
        """What the account holds of ``assets`` (futures: the wallet), as the venue states it."""
        account = await self.venue(client).balances()
        lines = account.balances
        return {b.asset: b.free + b.locked for b in lines if (b.free or b.locked) and b.asset in assets}


class FuturesProduct(SpotProduct):
    """USDⓈ-M futures: the /fapi venue, futures books (``pu`` chaining) from the routed
    ``/public`` depth stream (trades are on another route: the book's mid is the mark), the
    ``fapi`` budgets, and the wallet's balance as the holdings."""

    name = "usdm"
    book_type = FuturesOrderBook
    budget = "fapi"

    def configure(self, cfg: SimConfig) -> None:
        cfg.market.futures = True

    def venue(self, client: BinanceClient) -> SessionVenue:
        return FuturesVenue(client)

    def depth(self, client: BinanceClient) -> SnapshotFetcher:
        return lambda s: client.futures_depth(s, limit=100)

    def market_stream(self, url: str, symbols: Iterable[str], **options: Any) -> MarketStream:
        return FuturesMarketStream(url, [f"{s.lower()}@depth@100ms" for s in symbols], **options)

    async def client_order_ids(self, client: BinanceClient, symbol: str) -> list[str]:
        return [o.client_order_id for o in await client.futures_all_orders(symbol)]


PRODUCTS = {"spot": SpotProduct(), "usdm": FuturesProduct()}


def product_of(name: str) -> SpotProduct:
    """The product a session trades, by its CLI name."""
    product = PRODUCTS.get(name)
    if product is None:
        raise InvalidParameter("product", f"one of {', '.join(PRODUCTS)}", name)
    return product
