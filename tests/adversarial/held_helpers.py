"""Helpers of tests/adversarial/test_held_valuation.py: a local exchange whose account
already holds coins before tradeexec starts, an order manager over it, and the account's
value computed from the exchange's own figures (not from anything tradeexec tracked)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.venue import SpotVenue
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.sim.config import AccountConfig, SimConfig
from tradeexec.sim.exchange import LocalExchange

D = Decimal
HELD = {"USDT": D("10000"), "ETH": D("10")}


@contextlib.asynccontextmanager
async def held_venue(
    balances: Mapping[str, Decimal] = HELD, prices: Mapping[str, str] | None = None
) -> AsyncIterator[tuple[LocalExchange, BinanceClient]]:
    """A quiet local exchange (no synthetic market) whose account opens with ``balances``;
    ``prices`` prints one trade per symbol (the ticker), ETHUSDT at 3000 by default."""
    cfg = SimConfig(accounts=[AccountConfig(name="held", balances=dict(balances))])
    cfg.ensure_default_account()
    async with LocalExchange(cfg, market=False) as ex:
        for symbol, price in (prices if prices is not None else {"ETHUSDT": "3000"}).items():
            ex.set_price(symbol, price)
        async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=3.0) as client:
            yield ex, client


@contextlib.asynccontextmanager
async def held_manager(client: BinanceClient, path: Path, **kw: Any) -> AsyncIterator[OrderManager]:
    with Journal(path) as journal:
        async with OrderManager(
            SpotVenue(client), journal, strategy="held", poll_interval_s=0.05, stale_after_s=0.2, **kw
        ) as om:
            yield om


def exchange_value(ex: LocalExchange, marks: Mapping[str, Decimal], quote: str = "USDT") -> Decimal:
    """The account's value by the exchange's balances: quote plus each asset at ``marks``
    (asset -> price in ``quote``)."""
    total = D(0)
    for asset, (free, locked) in ex.balances().items():
        held = free + locked
        total += held if asset == quote else held * marks[asset] if held else D(0)
    return total


async def until(cond: Callable[[], bool], timeout_s: float) -> bool:
    """Poll ``cond`` until true or the deadline: a condition, not a fixed sleep."""
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True
