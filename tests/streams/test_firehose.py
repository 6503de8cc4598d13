"""The local exchange's stream firehose: what it sends, how clients name their streams, and
that a reader slower than the server loses nothing."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import msgspec
import pytest
from aiohttp import web

from tests.sim.ws_helpers import WAIT, recv_json
from tests.streams import local_exchange, serve_app
from tradeexec.binance.models import DepthUpdateEvent, TradeEvent
from tradeexec.binance.ws.connection import ConnectionEvent
from tradeexec.binance.ws.streams import MarketStream
from tradeexec.sim.binance.ws_firehose import add_firehose_routes, firehose_payloads, firehose_url

pytestmark = pytest.mark.timeout(30)

DEPTH = "btcusdt@depth@100ms"
TRADE = "btcusdt@trade"
_depth = msgspec.json.Decoder(DepthUpdateEvent).decode
_trade = msgspec.json.Decoder(TradeEvent).decode


@asynccontextmanager
async def firehose(linger_s: float = 0.05) -> AsyncIterator[str]:
    """Only the firehose routes, with a short linger so the final close comes quickly."""
    app = web.Application()
    add_firehose_routes(app, linger_s=linger_s)
    async with serve_app(app) as port:
        yield f"ws://127.0.0.1:{port}"


async def _frames(ws: aiohttp.ClientWebSocketResponse, limit: int) -> list[bytes]:
    """Every text frame until the server closes (at most ``limit``)."""
    out: list[bytes] = []
    for _ in range(limit + 1):
        msg = await ws.receive(timeout=WAIT)
        if msg.type is not aiohttp.WSMsgType.TEXT:
            assert msg.type is aiohttp.WSMsgType.CLOSE, msg
            return out
        out.append(msg.data.encode())
    raise AssertionError("more frames than sent")


def test_depth_payloads_are_realistic_and_continuous() -> None:
    events = [_depth(p) for p in firehose_payloads(DEPTH, 600)]
    for prev, ev in itertools.pairwise(events):
        assert ev.first_update_id == prev.final_update_id + 1
    assert all(10 <= len(e.bids) + len(e.asks) <= 20 for e in events)
    assert all(e.symbol == "BTCUSDT" and e.bids[0][0] < e.asks[0][0] for e in events)
    # Same bytes for every client and every run.
    assert firehose_payloads(DEPTH, 600) == firehose_payloads(DEPTH, 600)
    with pytest.raises(ValueError, match="depth and trade"):
        firehose_payloads("btcusdt@bookTicker", 1)


def test_trade_payloads_have_consecutive_ids() -> None:
    trades = [_trade(p) for p in firehose_payloads(TRADE, 600)]
    assert [t.trade_id for t in trades] == list(range(trades[0].trade_id, trades[0].trade_id + 600))
    assert {t.is_buyer_maker for t in trades} == {True, False}
    assert all(t.price > 0 and t.quantity > 0 for t in trades)


async def test_raw_stream_sends_count_then_closes() -> None:
    async with firehose() as base, aiohttp.ClientSession() as http, http.ws_connect(
        firehose_url(base, 500) + f"/ws/{TRADE}"
    ) as ws:
        assert await _frames(ws, 500) == firehose_payloads(TRADE, 500)
        assert ws.close_code == 1000


async def test_subscribe_on_bare_ws_starts_the_firehose() -> None:
    """binance-connector's way: connect to ``/ws``, then SUBSCRIBE."""
    async with firehose() as base, aiohttp.ClientSession() as http, http.ws_connect(
        firehose_url(base, 50) + "/ws"
    ) as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@kline_1m"], "id": 1})
        assert (await recv_json(ws))["error"]["code"] == 2
        await ws.send_json({"method": "SUBSCRIBE", "params": [DEPTH], "id": 2})
        assert await recv_json(ws) == {"result": None, "id": 2}
        assert await _frames(ws, 50) == firehose_payloads(DEPTH, 50)


async def test_combined_stream_alternates_and_wraps() -> None:
    async with firehose() as base, aiohttp.ClientSession() as http, http.ws_connect(
        firehose_url(base, 100) + f"/stream?streams={DEPTH}/{TRADE}"
    ) as ws:
        frames = [msgspec.json.decode(f) for f in await _frames(ws, 100)]
    assert [f["stream"] for f in frames[:4]] == [DEPTH, TRADE, DEPTH, TRADE]
    depth = [f["data"]["u"] for f in frames if f["stream"] == DEPTH]
    assert len(depth) == 50 and depth == sorted(depth)


async def test_slow_reader_loses_nothing() -> None:
    """About 12 MB: far more than the socket buffers hold, so the server has to wait."""
    n = 20_000
    async with firehose() as base, aiohttp.ClientSession() as http, http.ws_connect(
        firehose_url(base, n) + f"/ws/{DEPTH}", max_msg_size=0
    ) as ws:
        events = [_depth(f) for f in await _frames(ws, n)]
    assert len(events) == n
    assert all(b.first_update_id == a.final_update_id + 1 for a, b in itertools.pairwise(events))


async def test_bad_requests_are_refused() -> None:
    async with firehose() as base, aiohttp.ClientSession() as http:
        for path in ("/_sim/firehose/0/ws/btcusdt@trade", "/_sim/firehose/x/ws/btcusdt@trade",
                     "/_sim/firehose/10/ws/btcusdt@bookTicker"):
            async with http.get(base.replace("ws://", "http://") + path) as resp:
                assert resp.status == 400, path


async def test_market_stream_gets_every_message_from_the_local_exchange() -> None:
    """Through the route the local exchange registers, with its default linger: the client
    stops at the count, the server does not have to close first."""
    n = 3000
    got: list[object] = []
    all_in = asyncio.Event()

    def on_event(event: object) -> None:
        got.append(event)
        if len(got) == n:
            all_in.set()

    async with local_exchange() as ex, MarketStream(
        firehose_url(ex.ws_url, n), [DEPTH, TRADE], on_event=on_event
    ) as stream:
        await asyncio.wait_for(all_in.wait(), WAIT)
        assert stream.dropped == 0
    depth = [e for e in got if isinstance(e, DepthUpdateEvent)]
    trades = [e for e in got if isinstance(e, TradeEvent)]
    assert len(depth) == len(trades) == n // 2
    assert all(b.first_update_id == a.final_update_id + 1 for a, b in itertools.pairwise(depth))
    assert [t.trade_id for t in trades] == [_trade(p).trade_id for p in firehose_payloads(TRADE, n // 2)]
    assert not any(isinstance(e, ConnectionEvent) for e in got)
