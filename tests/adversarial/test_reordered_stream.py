"""Balances stay true to the exchange when the user data stream is reordered and duplicated.

A real proxy on 127.0.0.1 (``stream_proxy``) sits between the order feed and the local
exchange's listenKey stream: execution reports arrive after the balance event that already
includes their fill, old balance events after newer ones, and any of them twice. The orders
fill through the stream (resting orders hit by liquidity added afterwards, some in two parts)
and through the placement answer (orders that cross at once). Once everything is delivered,
the tracked balances must equal the exchange's account endpoint to the last unit, free and
locked, and the positions the exchange's holdings; the journal's fills the exchange's trades.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.stream_proxy import StreamProxy
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.binance.venue import SpotVenue
from tradeexec.binance.venue_stream import SpotUserStream
from tradeexec.binance.ws.userdata import ListenKeyUserData, WsApiUserData
from tradeexec.binance.ws.wsapi import WsApiClient
from tradeexec.execution.feed import OrderFeed
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.risk import RiskLimits, RiskManager
from tradeexec.sim.exchange import LocalExchange

SOAK = os.environ.get("TRADEEXEC_SOAK") == "full"
pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(300 if SOAK else 60)]

D = Decimal
NEVER = 3600.0  # keeps the poller out: the stream alone carries the fills
WAIT = 10.0
ROUNDS = 80 if SOAK else 16
SEEDS = tuple(range(1, 13)) if SOAK else (1, 2, 3, 4)
MARKETS = {"BTCUSDT": (D("60000"), D("0.001"), "BTC"), "ETHUSDT": (D("3000"), D("0.01"), "ETH")}


async def _until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for: {what}") from None


async def _trade(ex: LocalExchange, om: OrderManager, rng: random.Random) -> ManagedOrder:
    symbol = rng.choice(sorted(MARKETS))
    price, unit, _base = MARKETS[symbol]
    side = rng.choice((Side.BUY, Side.SELL))
    qty = unit * rng.randint(2, 6)
    counter = "SELL" if side is Side.BUY else "BUY"
    intent = OrderIntent(symbol, side, OrderType.LIMIT, quantity=qty, price=price)
    if rng.random() < 0.3:  # crosses at once: the placement answer carries the fill
        ex.add_liquidity(symbol, counter, price, qty)
        return await om.submit(intent)
    order = await om.submit(intent)
    if rng.random() < 0.5:  # two fills, two balance events
        ex.add_liquidity(symbol, counter, price, unit)
        ex.add_liquidity(symbol, counter, price, qty - unit)
    else:
        ex.add_liquidity(symbol, counter, price, qty)
    return order


def _feed(
    transport: str, ex: LocalExchange, client: BinanceClient, om: OrderManager, proxy: StreamProxy
) -> OrderFeed:
    """The listenKey stream, or the WebSocket API session (whose answers the proxy reorders
    and repeats too) carrying the user data subscription, both through the proxy."""
    if transport == "listen-key":
        listen = ListenKeyUserData(client, proxy.url, backoff_base_s=0.05)
        return OrderFeed(SpotUserStream(listen), om, account=SpotVenue(client), balance_check_s=0.2)
    api = WsApiClient(f"{proxy.url}/ws-api/v3", ex.api_key, HmacSigner(ex.api_secret), backoff_base_s=0.05)
    stream = SpotUserStream(WsApiUserData(api, client), (api,))
    return OrderFeed(stream, om, account=SpotVenue(client), balance_check_s=0.2)


@pytest.mark.parametrize("transport", ["listen-key", "ws-api"])
@pytest.mark.parametrize("seed", SEEDS)
async def test_balances_equal_the_exchanges_through_a_reordering_duplicating_stream(
    tmp_path: Path, seed: int, transport: str
) -> None:
    rng = random.Random(seed)
    async with (
        LocalExchange(market=False) as ex,
        BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0) as client,
        StreamProxy(ex.ws_url, seed=seed) as proxy,
    ):
        # The listenKey stream is legacy (gone on Binance since 2026-02-20): switched on here.
        ex.state.config.streams.legacy_listen_key = transport == "listen-key"
        for symbol, (price, _unit, _base) in MARKETS.items():
            ex.set_price(symbol, price)
        ex.deposit("ETH", "5")
        om = OrderManager(
            SpotVenue(client), Journal(tmp_path / "j.sqlite"), strategy="reorder",
            risk=RiskManager(RiskLimits(max_orders_per_second=None)),
            poll_interval_s=NEVER, stale_after_s=NEVER,
        )  # fmt: skip
        await om.start()
        try:
            async with _feed(transport, ex, client, om, proxy) as feed:
                orders = [await _trade(ex, om, rng) for _ in range(ROUNDS)]
                for order in orders:
                    assert await order.wait_final(WAIT) is OrderState.FILLED
                await proxy.settle()
                await _until(lambda: feed.balances_settled, "the balance check a doubt asked for")
                account = await client.account()
                exchange = {b.asset: (b.free, b.locked) for b in account.balances}
                tracked = {a: (b.free, b.locked) for a, b in om.positions.balances.items()}
                assert {a: v for a, v in tracked.items() if v != (0, 0)} == {
                    a: v for a, v in exchange.items() if v != (0, 0)
                }
                for symbol, (_price, _unit, base) in MARKETS.items():
                    position = om.positions.position(symbol)
                    assert position is not None and position.quantity == sum(exchange[base]), symbol
                booked = sum(len(ex.state.engine.my_trades(ex.account, s, limit=1000)) for s in MARKETS)
                journaled = sum(len(om.journal.fills(o.client_order_id)) for o in orders)
                assert journaled == booked
                assert feed.stats.alarms == 0
            # The attack took place: frames came late and twice.
            assert proxy.stats.held > 0 and proxy.stats.duplicated > 0
        finally:
            await om.close()
            om.journal.close()
