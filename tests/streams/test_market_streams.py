"""MarketStream against the local exchange over real sockets, with faults injected."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable
from typing import Any

import pytest

from tests.streams import collect, keep_trading, local_exchange, random_orders
from tradeexec.binance.models import BookTickerEvent, DepthUpdateEvent, TradeEvent
from tradeexec.binance.ws.connection import (
    ConnectionEvent,
    ConnectionState,
    StreamOverflow,
    StreamRequestError,
)
from tradeexec.binance.ws.streams import MarketStream

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


async def test_backoff_grows_over_consecutive_drops_and_resets_once_healthy() -> None:
    """Each reconnect is cut again at its first frame: the delays grow; a connection that then
    stays up for ``healthy_after_s`` clears the count, so the next drop starts over."""
    base = 0.05
    loop = asyncio.get_running_loop()
    seen: list[tuple[float, ConnectionEvent]] = []
    async with local_exchange() as ex:
        stop = asyncio.Event()
        trader = asyncio.create_task(keep_trading(ex, stop, seed=11))
        try:
            async with MarketStream(
                ex.ws_url, ["btcusdt@trade"], backoff_base_s=base, healthy_after_s=0.3,
                on_state=lambda e: seen.append((loop.time(), e)),
            ):
                ex.inject("ws_drop", "/stream", count=3)

                def states() -> list[ConnectionState]:
                    return [e.state for _, e in seen]

                await asyncio.wait_for(_until(lambda: states().count(ConnectionState.RECONNECTED) == 3), 10)
                healthy_from = seen[-1][0]
                await asyncio.wait_for(_until(lambda: loop.time() - healthy_from > 0.35), 5)
                ex.inject("ws_drop", "/stream", count=1)
                await asyncio.wait_for(_until(lambda: states().count(ConnectionState.RECONNECTED) == 4), 10)
        finally:
            stop.set()
            await trader
    drops = [(t, e) for t, e in seen if e.state is ConnectionState.DISCONNECTED]
    assert [e.attempt for _, e in drops] == [1, 2, 3, 1]
    reconnects = [(t, e) for t, e in seen if e.state is ConnectionState.RECONNECTED]
    assert [e.attempt for _, e in reconnects] == [1, 2, 3, 1]
    for (dropped_at, drop), (back_at, _) in zip(drops, reconnects, strict=True):
        # Full jitter over the upper half: never less than half the exponential delay.
        assert back_at - dropped_at >= base * 2 ** (drop.attempt - 1) * 0.5


def test_backoff_is_exponential_capped_and_jittered() -> None:
    stream = MarketStream("ws://unused", backoff_base_s=0.5, backoff_max_s=4.0)
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)):
        delays = {stream._backoff(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempt, delays)
        assert len(delays) > 40  # jittered, not a fixed schedule


async def test_book_ticker_beside_tagged_streams_decodes_by_the_general_path() -> None:
    """bookTicker carries no ``e`` tag: a connection holding it decodes by stream name, also
    when it is subscribed live onto a connection that held only tagged streams."""
    async with local_exchange() as ex, MarketStream(ex.ws_url, ["btcusdt@trade"]) as stream:
        await stream.subscribe(["btcusdt@bookTicker"])
        random_orders(ex, random.Random(12), 60)
        items = await collect(stream, lambda s: {TradeEvent, BookTickerEvent} <= {type(i) for i in s})
        ticker = next(i for i in items if isinstance(i, BookTickerEvent))
        assert ticker.symbol == "BTCUSDT" and ticker.bid_price < ticker.ask_price


async def test_server_pings_count_as_life_and_are_answered() -> None:
    """A quiet market: only the server's pings arrive (4 a second, under its inbound limit of
    5 that the pongs count against). They keep the silence watchdog (0.5 s) calm and the pongs
    keep the server (0.6 s pong timeout) from dropping the client."""
    loop = asyncio.get_running_loop()
    states: list[ConnectionEvent] = []
    async with local_exchange(ping_interval_s=0.25, pong_timeout_s=0.6) as ex, MarketStream(
        ex.ws_url, ["btcusdt@trade"], silence_timeout_s=0.5, on_state=states.append
    ):
        until = loop.time() + 1.5
        await asyncio.wait_for(_until(lambda: loop.time() > until), 5)
    assert [(s.state, s.reason) for s in states] == [(ConnectionState.CONNECTED, "")]


async def test_raising_callback_is_logged_and_the_stream_keeps_delivering(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[TradeEvent] = []

    def on_event(event: Any) -> None:
        if isinstance(event, TradeEvent):
            seen.append(event)
            if len(seen) == 1:
                raise RuntimeError("bug in the user's callback")

    async with local_exchange() as ex, MarketStream(
        ex.ws_url, ["btcusdt@trade"], on_event=on_event
    ) as stream:
        random_orders(ex, random.Random(8), 60)

        async def wait() -> None:
            while len(seen) < 3:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(wait(), 5)
        assert stream.callback_errors == 1
        assert not stream.closed
    failures = [r for r in caplog.records if "on_event raised" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None
