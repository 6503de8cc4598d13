"""The client's USDⓈ-M market data against the local exchange over real sockets: the typed
REST calls (decoded by the structs the exchange encodes with), and a futures book kept by
``BookManager(book_type=FuturesOrderBook)`` from a ``FuturesMarketStream`` on the routed
``/public`` endpoint, equal to the exchange's book after a burst."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.binance.futures.futures_client_helpers import futures_client
from tradeexec.binance.models import DepthUpdateEvent
from tradeexec.binance.models.futures_market_events import MarkPriceEvent
from tradeexec.binance.ws.futures_market import FuturesMarketStream
from tradeexec.book import BookManager, FuturesOrderBook
from tradeexec.errors import InvalidParameter

WAIT = 10.0


async def test_typed_market_calls(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (ex, client):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        await client.futures_new_order("BTCUSDT", "BUY", "MARKET", quantity="0.4")
        ex.futures_set_mark_price("BTCUSDT", "60100")
        trades = await client.futures_agg_trades("BTCUSDT", limit=10)
        ticker = await client.futures_ticker_24hr("BTCUSDT")
        interest = await client.futures_open_interest("BTCUSDT")
        premium = await client.futures_premium_index("BTCUSDT")
        marks = await client.futures_mark_price_klines("BTCUSDT", "1m")
        index = await client.futures_index_price_klines("BTCUSDT", "1m")
        ex.futures_set_funding_interval("ETHUSDT", 1)
        info = await client.futures_funding_info()
        depth = await client.futures_depth("BTCUSDT", 5)
        assert await client.futures_funding_rate("BTCUSDT") == []  # no funding time passed yet
        with pytest.raises(InvalidParameter, match="fromId"):
            await client.futures_agg_trades("BTCUSDT", from_id=1, start_time=1)
    assert [(t.price, t.qty) for t in trades] == [(D("60000"), D("0.4"))]
    assert (ticker.count, ticker.last_qty) == (1, D("0.4"))
    assert interest.open_interest == D("0.4")
    assert premium.mark_price == marks[-1].close == index[-1].close == D("60100")
    assert [(i.symbol, i.funding_interval_hours) for i in info] == [("ETHUSDT", 1)]
    assert depth.asks == [(D("60000"), D("0.6"))]


async def test_a_futures_book_from_the_routed_stream_equals_the_exchange(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (ex, client):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60050", "2")
        books = BookManager(lambda s: client.futures_depth(s, 1000), book_type=FuturesOrderBook)
        seen: list[DepthUpdateEvent] = []

        def on_event(event: object) -> None:
            assert isinstance(event, DepthUpdateEvent)
            seen.append(event)
            books.on_diff(event)

        async with FuturesMarketStream(ex.ws_url, ["btcusdt@depth@100ms"], on_event=on_event) as stream:
            assert stream.route == "public"
            for i in range(12):
                side = "BUY" if i % 2 else "SELL"
                ex.futures_add_liquidity("BTCUSDT", side, str(60000 + (i - 6) * 10), "0.5")
                if i % 4 == 3:
                    await asyncio.sleep(0.11)  # pacing: several 100 ms diffs
            target = ex.state.futures.engine.last_update_id("BTCUSDT")
            book = books.book("BTCUSDT")
            deadline = time.monotonic() + WAIT
            while not (book.in_sync and book.last_update_id >= target):
                assert time.monotonic() < deadline, (book.state, book.last_update_id, target)
                await asyncio.sleep(0.02)
            await books.close()
        snap = ex.state.futures.engine.depth("BTCUSDT", 1000)
    assert book.bids.as_dict() == dict(snap.bids) and book.asks.as_dict() == dict(snap.asks)
    assert all(e.prev_final_update_id is not None for e in seen)


async def test_mark_price_on_the_market_route_and_wrong_routes_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="one route per connection"):
        FuturesMarketStream("ws://127.0.0.1:1", ["btcusdt@depth", "btcusdt@markPrice"])
    async with futures_client(tmp_path) as (ex, _client):
        ex.futures_set_mark_price("BTCUSDT", "60001.5")
        async with FuturesMarketStream(ex.ws_url, route="market") as stream:
            with pytest.raises(InvalidParameter, match="/market route"):
                await stream.subscribe(["btcusdt@bookTicker"])
            await stream.subscribe(["btcusdt@markPrice@1s"])
            async with asyncio.timeout(WAIT):
                async for event in stream:
                    if isinstance(event, MarkPriceEvent):
                        break
    assert event.mark_price == D("60001.5")
