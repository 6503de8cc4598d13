"""MarketStream against the local exchange over real sockets, with faults injected."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable
from typing import Any

import pytest

from tests.streams import collect, keep_trading, local_exchange, random_orders
from tradeexec.binance.models import DepthUpdateEvent, TradeEvent
from tradeexec.binance.streams import (
    ConnectionEvent,
    ConnectionState,
    MarketStream,
    StreamOverflow,
    StreamRequestError,
)

pytestmark = pytest.mark.timeout(30)



def _states(items: list[Any]) -> list[ConnectionState]:
    return [i.state for i in items if isinstance(i, ConnectionEvent)]


async def test_typed_events_and_live_subscriptions() -> None:
    async with local_exchange() as ex, MarketStream(ex.ws_url, ["btcusdt@trade"]) as stream:
        assert await stream.server_subscriptions() == ["btcusdt@trade"]
        await stream.subscribe(["btcusdt@depth@100ms"])
        assert sorted(await stream.server_subscriptions()) == ["btcusdt@depth@100ms", "btcusdt@trade"]
        random_orders(ex, random.Random(3), 60)
        items = await collect(
            stream,
            lambda s: {TradeEvent, DepthUpdateEvent} <= {type(i) for i in s},
        )
        assert isinstance(items[0], ConnectionEvent) and items[0].state is ConnectionState.CONNECTED
        trade = next(i for i in items if isinstance(i, TradeEvent))
        assert trade.symbol == "BTCUSDT" and trade.quantity > 0
        await stream.unsubscribe(["btcusdt@trade"])
        assert await stream.server_subscriptions() == ["btcusdt@depth@100ms"]
        with pytest.raises(StreamRequestError, match="invalid stream name"):
            await stream.subscribe(["not a stream"])


async def test_callback_consumer_and_sharding() -> None:
    got: list[Any] = []
    async with local_exchange() as ex, MarketStream(
        ex.ws_url, ["btcusdt@trade", "btcusdt@aggTrade", "ethusdt@trade"], on_event=got.append,
        max_streams_per_connection=2,
    ) as stream:
        await stream.subscribe(["btcusdt@depth@100ms", "ethusdt@aggTrade"])
        assert len(stream._shards) == 3
        assert sorted(await stream.server_subscriptions()) == sorted(stream.list_subscriptions())
        assert len(stream.list_subscriptions()) == 5
        random_orders(ex, random.Random(4), 60)

        async def wait() -> None:
            while not ({type(e) for e in got} >= {TradeEvent, DepthUpdateEvent}):
                await asyncio.sleep(0.01)

        await asyncio.wait_for(wait(), 5)
        assert stream.pending == 3  # the iterator only holds the three CONNECTED events


async def test_dropped_connection_reconnects_and_restores_subscriptions() -> None:
    states: list[ConnectionEvent] = []
    async with local_exchange() as ex, MarketStream(
        ex.ws_url, ["btcusdt@trade"], on_state=states.append, backoff_base_s=0.05
    ) as stream:
        await stream.subscribe(["btcusdt@depth@100ms"])
        ex.inject("ws_drop", "/stream", count=1)
        random_orders(ex, random.Random(5), 20)
        items = await collect(stream, lambda s: ConnectionState.RECONNECTED in _states(s))
        assert _states(items)[-2:] == [ConnectionState.DISCONNECTED, ConnectionState.RECONNECTED]
        assert [s.state for s in states][-2:] == _states(items)[-2:]
        assert sorted(await stream.server_subscriptions()) == ["btcusdt@depth@100ms", "btcusdt@trade"]
        random_orders(ex, random.Random(6), 40)
        await collect(stream, lambda s: any(isinstance(i, TradeEvent) for i in s))


async def test_silent_connection_is_replaced() -> None:
    async with local_exchange() as ex, MarketStream(
        ex.ws_url, ["btcusdt@trade"], silence_timeout_s=0.5, backoff_base_s=0.05
    ) as stream:
        ex.inject("ws_silent", "/stream", count=1)
        random_orders(ex, random.Random(7), 20)
        items = await collect(stream, lambda s: ConnectionState.RECONNECTED in _states(s))
        dropped = [
            i for i in items if isinstance(i, ConnectionEvent) and i.state is ConnectionState.DISCONNECTED
        ]
        assert dropped and "silent" in dropped[0].reason


async def test_server_lifetime_close_is_reported_and_survived() -> None:
    async with local_exchange(max_lifetime_s=0.5) as ex, MarketStream(
        ex.ws_url, ["btcusdt@trade"], backoff_base_s=0.05
    ) as stream:
        items = await collect(stream, lambda s: ConnectionState.RECONNECTED in _states(s))
        reason = next(i.reason for i in items if isinstance(i, ConnectionEvent)
                      and i.state is ConnectionState.DISCONNECTED)
        assert "closed by server" in reason


async def test_planned_handover_before_lifetime_has_no_gap() -> None:
    depth: list[DepthUpdateEvent] = []
    states: list[ConnectionEvent] = []
    async with local_exchange(max_lifetime_s=30.0) as ex:
        stop = asyncio.Event()
        trader = asyncio.create_task(keep_trading(ex, stop, seed=8))
        try:
            async with MarketStream(
                ex.ws_url, ["btcusdt@depth@100ms"], max_lifetime_s=0.6, on_state=states.append,
                on_event=lambda e: depth.append(e) if isinstance(e, DepthUpdateEvent) else None,
            ):

                async def two_handovers() -> None:
                    while sum(s.state is ConnectionState.HANDOVER for s in states) < 2:
                        await asyncio.sleep(0.02)

                await asyncio.wait_for(two_handovers(), 10)
                n = len(depth)
                await asyncio.wait_for(_until(lambda: len(depth) > n + 2), 5)
        finally:
            stop.set()
            await trader
    assert ConnectionState.DISCONNECTED not in [s.state for s in states]
    for prev, ev in itertools.pairwise(depth):
        assert ev.first_update_id == prev.final_update_id + 1, (prev, ev)
    assert len(depth) > 5


async def _until(cond: Callable[[], bool], limit: int = 1000) -> None:
    for _ in range(limit):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


async def test_overflow_drop_oldest_counts_and_fail_raises() -> None:
    async with local_exchange() as ex:
        async with MarketStream(ex.ws_url, ["btcusdt@trade"], queue_size=5) as stream:
            random_orders(ex, random.Random(9), 200)
            await asyncio.wait_for(_until(lambda: stream.dropped > 0), 5)
            assert stream.pending == 5
        async with MarketStream(ex.ws_url, ["btcusdt@trade"], queue_size=5, overflow="fail") as stream:
            random_orders(ex, random.Random(10), 200)
            with pytest.raises(StreamOverflow):
                await collect(stream, lambda s: False, timeout=5)
