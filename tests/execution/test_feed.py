"""The order feed against the real LocalExchange over real sockets: fills through the user data
stream with polling out of the picture, a stream outage in the middle of a fill, an order the
stream missed settled from the recovery's snapshot alone, and one trade reported by both the
stream and the poller counted once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.streams import collect, local_exchange
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import ExecutionType, OrderStatus, OrderType, Side
from tradeexec.binance.models import ExecutionReport, OutboundAccountPosition
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.binance.venue import SpotVenue
from tradeexec.binance.venue_stream import SpotUserStream, neutral_item
from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState
from tradeexec.binance.ws.userdata import ListenKeyUserData, MissedOrderUpdate, WsApiUserData
from tradeexec.binance.ws.wsapi import WsApiClient
from tradeexec.execution.feed import OrderFeed
from tradeexec.execution.journal.records import RequestKind
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.sim.exchange import LocalExchange

pytestmark = pytest.mark.timeout(30)

D = Decimal
SYMBOL = "BTCUSDT"
PRICE = D("60000")
WAIT = 10.0
NEVER = 3600.0  # poll interval / staleness that keeps the poller out of a test


@dataclass
class Venue:
    ex: LocalExchange
    client: BinanceClient
    om: OrderManager


@pytest.fixture
async def venue(tmp_path: Path) -> AsyncIterator[Venue]:
    async with (
        local_exchange() as ex,
        BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0) as client,
    ):
        ex.set_price(SYMBOL, PRICE)
        om = OrderManager(
            SpotVenue(client),
            Journal(tmp_path / "j.sqlite"),
            strategy="feed",
            poll_interval_s=NEVER,
            stale_after_s=NEVER,
        )
        await om.start()
        try:
            yield Venue(ex, client, om)
        finally:
            await om.close()
            om.journal.close()


async def _until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Bounded wait for a state the test cannot await directly (a counter in another task)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
    assert condition(), what


async def _resting_buy(om: OrderManager, qty: str) -> ManagedOrder:
    order = await om.submit(OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=D(qty), price=PRICE))
    assert order.state is OrderState.NEW
    return order


def _assert_true_to_exchange(v: Venue) -> None:
    """Every balance the tracker holds, and the BTCUSDT position, equal the engine's own."""
    exchange = v.ex.balances()
    for asset, (free, locked) in exchange.items():
        assert v.om.positions.balance(asset).total == free + locked, asset
    position = v.om.positions.position(SYMBOL)
    assert position is not None
    assert position.quantity == sum(exchange["BTC"])


def _feed(v: Venue, *, legacy: bool = False) -> OrderFeed:
    spot = SpotVenue(v.client)
    return OrderFeed(spot.user_stream(legacy=legacy, backoff_base_s=0.05), v.om, account=spot)


def _hand(feed: OrderFeed, item: Any) -> None:
    """Hand ``feed`` one Binance stream item as the venue's stream would (if it passes it on)."""
    neutral = neutral_item(item)
    if neutral is not None:
        feed.handle(neutral)


@pytest.mark.parametrize("legacy", [False, True], ids=["ws-api", "listen-key"])
async def test_fills_arrive_through_the_stream_without_polling(venue: Venue, legacy: bool) -> None:
    v = venue
    v.ex.state.config.streams.legacy_listen_key = legacy  # Binance's spot default is off
    async with _feed(v, legacy=legacy) as feed:
        assert isinstance(feed.stream, SpotUserStream)
        assert isinstance(feed.stream.stream, ListenKeyUserData if legacy else WsApiUserData)
        assert feed.stream_live and v.om.stream_live
        order = await _resting_buy(v.om, "0.02")
        v.ex.add_liquidity(SYMBOL, "SELL", PRICE, "0.01")
        await _until(lambda: order.state is OrderState.PARTIALLY_FILLED, "partial fill seen")
        v.ex.add_liquidity(SYMBOL, "SELL", PRICE, "0.01")
        assert await order.wait_final(WAIT) is OrderState.FILLED
        await _until(lambda: feed.stats.balance_events >= 3, "balance events after each change")
        assert order.executed_qty == D("0.02") and len(order.fills) == 2
        assert {f.source for f in v.om.journal.fills(order.client_order_id)} == {"stream"}
        # Nothing was looked up: the stream alone carried the order to FILLED.
        kinds = {r.kind for r in v.om.journal.requests(order.intent.id)}
        assert kinds == {RequestKind.PLACE}
        _assert_true_to_exchange(v)
        assert feed.stats.alarms == 0 and feed.stats.disconnects == 0
    assert not v.om.stream_live  # closed: polling is the only source again


async def test_stream_outage_mid_fill_ends_with_the_right_order_and_position(venue: Venue) -> None:
    v = venue
    async with _feed(v) as feed:
        order = await _resting_buy(v.om, "0.03")
        v.ex.add_liquidity(SYMBOL, "SELL", PRICE, "0.01")
        await _until(lambda: order.state is OrderState.PARTIALLY_FILLED, "first fill by stream")
        # Every WebSocket API connection is cut at its next frame until the fault is cleared:
        # the push of the second fill ends the session, and reconnects fail meanwhile.
        v.ex.inject("ws_drop", "/ws-api/v3")
        v.ex.add_liquidity(SYMBOL, "SELL", PRICE, "0.01")
        await _until(lambda: feed.stats.disconnects >= 1, "the feed saw the drop")
        assert not feed.stream_live and not v.om.stream_live  # the poller's turn
        v.ex.add_liquidity(SYMBOL, "SELL", PRICE, "0.01")  # fills the rest, unseen by the stream
        v.ex.clear_faults()
        await _until(lambda: feed.stats.reconnects >= 1, "reconnected")
        await feed.wait_synced(WAIT)
        assert await order.wait_final(WAIT) is OrderState.FILLED
        assert order.executed_qty == D("0.03") and len(order.fills) == 3
        assert order.filled_qty == D("0.03")
        assert feed.stats.resyncs >= 1 and feed.stats.missed_orders >= 1
        assert feed.last_diffs == [] and feed.stats.alarms == 0
        assert feed.stream_live and v.om.stream_live
        _assert_true_to_exchange(v)
        # the stream is subscribed again: the next order's events arrive live
        later = await _resting_buy(v.om, "0.01")
        v.ex.add_liquidity(SYMBOL, "SELL", PRICE, "0.01")
        assert await later.wait_final(WAIT) is OrderState.FILLED
        assert {f.source for f in v.om.journal.fills(later.client_order_id)} == {"stream"}


async def test_an_order_missed_by_the_stream_is_settled_from_the_recovery_snapshot(venue: Venue) -> None:
    """The order fills while the stream is down; the stream's recovery reports it as a
    MissedOrderUpdate. Handed that item alone (no resync, no poller, nothing looked up by the
    manager), the feed settles the order through ``on_order_update``: the state at once, the
    fills by the manager's own task."""
    v = venue
    async with v.client.ws_api(backoff_base_s=0.05) as api:
        stream = WsApiUserData(api, v.client)
        # Not started: only the item under test reaches it.
        feed = OrderFeed(SpotUserStream(stream), v.om, account=None)
        v.om.positions.load_account(await v.client.account())  # the baseline start() takes
        order = await _resting_buy(v.om, "0.02")
        await stream.start()  # its baseline: the order open, nothing filled
        try:
            v.ex.inject("ws_drop", "/ws-api/v3")  # the first fill's push cuts the session
            v.ex.add_liquidity(SYMBOL, "SELL", PRICE, "0.01")
            v.ex.add_liquidity(SYMBOL, "SELL", PRICE, "0.01")
            down = await collect(stream, lambda s: _state(s[-1]) is ConnectionState.DISCONNECTED, WAIT)
            assert not any(isinstance(i, ExecutionReport) and i.trade_id for i in down), "stream saw a fill"
            v.ex.clear_faults()
            items = await collect(stream, lambda s: isinstance(s[-1], MissedOrderUpdate), WAIT)
        finally:
            await stream.close()
        missed = items[-1]
        assert missed.order.client_order_id == order.client_order_id
        assert missed.order.status is OrderStatus.FILLED and missed.known_filled == 0
        assert order.state is OrderState.NEW  # nothing else told the manager
        _hand(feed, missed)
        assert order.state is OrderState.FILLED and order.executed_qty == D("0.02")  # at once
        assert await order.wait_final(WAIT) is OrderState.FILLED  # every fill known
        assert len(order.fills) == 2 and order.filled_qty == D("0.02")
        _hand(feed, missed)  # a repeat moves nothing
        assert (feed.stats.missed_orders, feed.stats.missed_orders_applied, feed.stats.resyncs) == (2, 1, 0)
        assert {f.source for f in v.om.journal.fills(order.client_order_id)} == {"trades"}
        assert {r.kind for r in v.om.journal.requests(order.intent.id)} == {RequestKind.PLACE}
        _assert_true_to_exchange(v)


def _state(item: object) -> ConnectionState | None:
    return item.state if isinstance(item, ConnectionEvent) else None


async def test_a_trade_reported_by_poller_and_stream_counts_once(venue: Venue) -> None:
    v = venue
    v.om.stale_after_s = 0.0  # every poll looks every live order up
    async with WsApiClient(f"{v.ex.ws_url}/ws-api/v3", v.ex.api_key, HmacSigner(v.ex.api_secret)) as api:
        stream = WsApiUserData(api, v.client)
        feed = OrderFeed(SpotUserStream(stream), v.om, account=None)  # not started: items handed in
        v.om.positions.load_account(await v.client.account())  # the baseline start() takes
        await stream.start()
        try:
            order = await _resting_buy(v.om, "0.01")
            v.ex.add_liquidity(SYMBOL, "SELL", PRICE, "0.01")
            items: list[Any] = await collect(stream, _trade_and_balances, WAIT)
            # The poller learns the fill first (order lookup, then its trades) ...
            await v.om.poll_once()
            assert order.state is OrderState.FILLED and len(order.fills) == 1
            assert v.om.journal.fills(order.client_order_id)[0].source == "trades"
            # ... then the stream's report of the same trade arrives, twice for good measure.
            for item in items + items:
                _hand(feed, item)
        finally:
            await stream.close()
    trade = next(
        i for i in items if isinstance(i, ExecutionReport) and i.execution_type is ExecutionType.TRADE
    )
    assert v.om.on_execution_report(trade) is False
    assert len(order.fills) == 1 and len(v.om.journal.fills(order.client_order_id)) == 1
    assert feed.stats.duplicate_reports >= 3  # the trade twice, the NEW report's replay
    _assert_true_to_exchange(v)


def _trade_and_balances(items: list[Any]) -> bool:
    trades = [i for i in items if isinstance(i, ExecutionReport) and i.execution_type is ExecutionType.TRADE]
    return bool(trades) and isinstance(items[-1], OutboundAccountPosition)
