"""Shared by the futures market stream tests: reading frames with a deadline, a client book
fed from the routed diff stream, and the REST snapshot it resyncs from."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec

from tests.sim.conftest import Api
from tradeexec.binance.models import DepthUpdateEvent, OrderBook
from tradeexec.binance.models.futures_market_events import FUTURES_MARKET_DECODER, FuturesMarketEvent
from tradeexec.book import BookManager, FuturesOrderBook

WAIT = 10.0


async def next_event(ws: aiohttp.ClientWebSocketResponse, timeout: float = WAIT) -> FuturesMarketEvent:
    """The next frame, decoded with the client's futures union (unwrapping ``/stream``)."""
    msg = await asyncio.wait_for(ws.receive(), timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    raw = msg.data.encode()
    if raw.startswith(b'{"stream"'):
        raw = msgspec.json.encode(msgspec.json.decode(raw)["data"])
    return FUTURES_MARKET_DECODER.decode(raw)


async def events_until(
    ws: aiohttp.ClientWebSocketResponse,
    done: Callable[[list[FuturesMarketEvent]], bool],
    timeout: float = WAIT,
) -> list[FuturesMarketEvent]:
    got: list[FuturesMarketEvent] = []
    deadline = time.monotonic() + timeout
    while not done(got):
        left = deadline - time.monotonic()
        assert left > 0, f"condition not met in {timeout}s; got {got[-3:]}"
        got.append(await next_event(ws, left))
    return got


def snapshot_fetcher(api: Api) -> Callable[[str], Any]:
    async def fetch(symbol: str) -> OrderBook:
        body = (await api.public("GET", "/fapi/v1/depth", {"symbol": symbol, "limit": 1000})).body
        return msgspec.convert(body, OrderBook)

    return fetch


def futures_books(api: Api) -> BookManager:
    return BookManager(snapshot_fetcher(api), book_type=FuturesOrderBook, retry_delay_s=0.05)


async def pump_until_synced(
    ws: aiohttp.ClientWebSocketResponse, books: BookManager, symbol: str, target: int, timeout: float = WAIT
) -> FuturesOrderBook:
    """Feed the diff stream to ``books`` until ``symbol``'s book is in sync at ``target`` or
    later; frames are read in short slices so that a snapshot arriving while the stream is
    quiet is noticed."""
    book = books.book(symbol)
    deadline = time.monotonic() + timeout
    while not (book.in_sync and book.last_update_id >= target):
        left = deadline - time.monotonic()
        assert left > 0, f"book at {book.last_update_id} ({book.state}), engine at {target}"
        try:
            event = await next_event(ws, min(left, 0.05))
        except TimeoutError:
            continue
        assert isinstance(event, DepthUpdateEvent) and event.prev_final_update_id is not None
        books.on_diff(event)
    assert isinstance(book, FuturesOrderBook)
    return book


def levels(side: list[tuple[Any, Any]]) -> dict[Any, Any]:
    return {price: qty for price, qty in side}
