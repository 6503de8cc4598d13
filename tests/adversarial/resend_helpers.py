"""Shared parts of the stop and clock-step attacks: the local exchange, a client whose wall
clock can be stepped, a manager on both, and ways to wait on conditions with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.venue import SpotVenue
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.sim.exchange import LocalExchange

D = Decimal
SYMBOL = "BTCUSDT"
QTY = D("0.01")


class SteppedClock:
    """The local wall clock plus ``step_s``: an NTP step is ``step_s += 7``."""

    def __init__(self) -> None:
        self.step_s = 0.0

    def time(self) -> float:
        return time.time() + self.step_s

    def ms(self) -> int:
        return int(self.time() * 1000)


@dataclass
class Venue:
    ex: LocalExchange
    client: BinanceClient
    clock: SteppedClock


@contextlib.asynccontextmanager
async def venue(*, timeout: float = 2.0) -> AsyncIterator[Venue]:
    """The local exchange with asks to buy from, and a client on a steppable clock."""
    async with LocalExchange(market=False) as ex:
        ex.set_price(SYMBOL, "60000")
        ex.add_liquidity(SYMBOL, "SELL", "60000", "5")
        clock = SteppedClock()
        async with BinanceClient(
            ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=timeout, clock=clock.time
        ) as client:
            yield Venue(ex, client, clock)


@contextlib.asynccontextmanager
async def manager(v: Venue, path: Path, **kw: Any) -> AsyncIterator[OrderManager]:
    """A started manager on ``v``'s client whose own wall clock steps with the client's."""
    with Journal(path) as journal:
        async with OrderManager(
            SpotVenue(v.client),
            journal,
            strategy="adv",
            poll_interval_s=0.05,
            stale_after_s=0.05,
            resend_margin_ms=300,
            clock_ms=v.clock.ms,
            **kw,
        ) as om:
            yield om


def market_buy(recv_window_ms: int) -> OrderIntent:
    return OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=QTY, recv_window_ms=recv_window_ms)


async def wait_for(what: str, cond: Callable[[], bool], timeout_s: float) -> None:
    """Poll ``cond`` until it holds; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.01)


async def resolution_over(order: ManagedOrder, timeout_s: float) -> None:
    """Until the order left UNKNOWN and its resolver task ended."""
    await wait_for(
        f"{order.client_order_id} to be resolved",
        lambda: (
            order.state not in (OrderState.UNKNOWN, OrderState.PENDING_NEW)
            and (order._resolver is None or order._resolver.done())
        ),
        timeout_s,
    )


async def orders_with_id(client: BinanceClient, cid: str) -> list[str]:
    """The statuses of every exchange order carrying ``cid``."""
    return [str(o.status) for o in await client.all_orders(SYMBOL) if o.client_order_id == cid]


async def btc_held(client: BinanceClient) -> Decimal:
    bal = next((b for b in (await client.account()).balances if b.asset == "BTC"), None)
    return D(0) if bal is None else bal.free + bal.locked
