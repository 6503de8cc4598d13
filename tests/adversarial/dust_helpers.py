"""Shared parts of the fee-dust and exchange-notional tests: a real local exchange whose book
mid and average price are set apart, and a real client that counts what it sends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.models import AvgPrice, OrderAck, OrderFull
from tradeexec.binance.rest.order_args import OrderArgs
from tradeexec.binance.venue import SpotVenue
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.risk import RiskLimits, RiskManager
from tradeexec.sim.exchange import LocalExchange

SYMBOL = "BTCUSDT"


class CountingClient(BinanceClient):
    """The real client, counting placements and average-price requests: "nothing sent" and
    "no REST call per order" are then counts, not assumptions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.placed: list[dict[str, Any]] = []
        self.avg_calls = 0

    async def place(self, args: OrderArgs, *, recv_window: int | None = None) -> OrderAck | OrderFull:
        """Every order reaches the wire here (``new_order`` too)."""
        self.placed.append(args.params)
        return await super().place(args, recv_window=recv_window)

    async def avg_price(self, symbol: str) -> AvgPrice:
        self.avg_calls += 1
        return await super().avg_price(symbol)


class FakeClock:
    """Monotonic seconds moved by hand: cache ages without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Until ``condition()`` holds, or fail after ``timeout_s``."""
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.005)


def book_mid(ex: LocalExchange, symbol: str) -> Decimal | None:
    """The local exchange's own book mid: what a session's mark is."""
    bid, _bq, ask, _aq = ex.state.engine.book_ticker(symbol)
    return (bid + ask) / 2 if bid and ask else None


def print_trades(ex: LocalExchange, price: str, n: int) -> None:
    """``n`` minimum-size trades at ``price``: the average price moves toward it (a resting
    bid above ``price`` would take the trades instead: see ``split_prices(bids=False)``)."""
    for _ in range(n):
        ex.set_price(SYMBOL, price)


def split_prices(ex: LocalExchange, *, average: str, mid: str, depth: str = "1", bids: bool = True) -> None:
    """Trades print at ``average`` (the only trade, so the exchange's average price), then
    the book is moved so that its mid is ``mid``: the two references disagree."""
    ex.set_price(SYMBOL, average)
    spread = Decimal("10")
    ex.add_liquidity(SYMBOL, "SELL", Decimal(mid) + spread, depth)
    if bids:
        ex.add_liquidity(SYMBOL, "BUY", Decimal(mid) - spread, depth)


@dataclass
class Venue:
    ex: LocalExchange
    client: CountingClient
    manager: OrderManager


@contextlib.asynccontextmanager
async def venue(
    tmp_path: Path, max_retries: int = 3, limits: RiskLimits | None = None, **manager_kw: Any
) -> AsyncIterator[Venue]:
    """A market-less local exchange, a counting client and an order manager (not started)
    whose mark is the book mid (as in a session)."""
    async with contextlib.AsyncExitStack() as stack:
        ex = await stack.enter_async_context(LocalExchange(market=False))
        client = await stack.enter_async_context(
            CountingClient(
                ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0, max_retries=max_retries
            )
        )
        manager = OrderManager(
            SpotVenue(client),
            Journal(tmp_path / "j.sqlite"),
            strategy="dust",
            risk=RiskManager(limits or RiskLimits(require_ip_restriction=False)),
            prices=lambda s: book_mid(ex, s),
            poll_interval_s=3600,
            **manager_kw,
        )
        try:
            yield Venue(ex, client, manager)
        finally:
            await manager.close()
            manager.journal.close()
