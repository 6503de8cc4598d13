"""Market streams of the local exchange over real sockets: subscriptions, payloads, depth
continuity with the REST snapshot, connection rules and fault hooks."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.sim.ws_helpers import WAIT, WsExchange, recv_closed, recv_json, recv_until, ws_config, ws_exchange
from tradeexec.sim.faults import FaultKind

pytest_plugins = ("tests.sim.conftest_ws",)


def _book(x: WsExchange) -> None:
    """A small two-sided BTCUSDT book from the admin account."""
    for i in range(3):
        x.liquidity("BTCUSDT", "SELL", str(60010 + 10 * i), "0.5")
        x.liquidity("BTCUSDT", "BUY", str(59990 - 10 * i), "0.5")


# ---- control messages ------------------------------------------------------------------------


async def test_subscribe_list_unsubscribe_with_ids(wsx: WsExchange) -> None:
    async with wsx.http.ws_connect(f"{wsx.url}/ws") as ws:
        await ws.send_json(
            {"method": "SUBSCRIBE", "params": ["btcusdt@trade", "ethusdt@depth@100ms"], "id": 1}
        )
        assert await recv_json(ws) == {"result": None, "id": 1}
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 2})
        assert await recv_json(ws) == {"result": ["btcusdt@trade", "ethusdt@depth@100ms"], "id": 2}
        await ws.send_json({"method": "UNSUBSCRIBE", "params": ["btcusdt@trade"], "id": 3})
        assert await recv_json(ws) == {"result": None, "id": 3}
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 4})
        assert await recv_json(ws) == {"result": ["ethusdt@depth@100ms"], "id": 4}
        await ws.send_json({"method": "GET_PROPERTY", "params": ["combined"], "id": 5})
        assert await recv_json(ws) == {"result": False, "id": 5}


@pytest.mark.parametrize(
    ("raw", "code", "msg_start"),
    [
        ('{"method": "SUBSCRIBE", ', 3, "Invalid JSON: "),
        ('{"params": [], "id": 1}', 2, "Invalid request: missing field `method`"),
        ('{"method": "FOO", "params": [], "id": 1}', 2, "Invalid request: unknown variant `FOO`"),
        (
            '{"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": "not an id!"}',
            2,
            "Invalid request: request ID must be an unsigned integer",
        ),
        (
            '{"method": "SUBSCRIBE", "params": ["btcusdt@nonsense"], "id": 7}',
            2,
            "Invalid request: invalid stream",
        ),
        ('{"method": "SET_PROPERTY", "params": ["colour", true], "id": 8}', 0, "Unknown property"),
        (
            '{"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 9}',
            1,
            "Invalid value type: expected Boolean",
        ),
        (
            '{"method": "GET_PROPERTY", "params": [5], "id": 10}',
            2,
            "Invalid request: property name must be a string",
        ),
        (
            '{"method": "LIST_SUBSCRIPTIONS", "params": ["x"], "id": 11}',
            2,
            "Invalid request: too many parameters",
        ),
    ],
)
async def test_bad_requests_get_binance_errors(wsx: WsExchange, raw: str, code: int, msg_start: str) -> None:
    async with wsx.http.ws_connect(f"{wsx.url}/ws") as ws:
        await ws.send_str(raw)
        reply = await recv_json(ws)
        assert reply["error"]["code"] == code
        assert reply["error"]["msg"].startswith(msg_start), reply
        assert "id" in reply
        # The connection survives a bad request.
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 99})
        assert await recv_json(ws) == {"result": [], "id": 99}


async def test_streams_per_connection_limit() -> None:
    async with (
        ws_exchange(ws_config(max_streams_per_connection=3)) as x,
        x.http.ws_connect(f"{x.url}/ws") as ws,
    ):
        await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@trade", "btcusdt@aggTrade"], "id": 1})
        assert await recv_json(ws) == {"result": None, "id": 1}
        await ws.send_json({"method": "SUBSCRIBE", "params": ["ethusdt@trade", "bnbusdt@trade"], "id": 2})
        assert await recv_json(ws) == {"error": {"code": 4, "msg": "Too many subscriptions"}, "id": 2}
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 3})
        assert (await recv_json(ws))["result"] == ["btcusdt@trade", "btcusdt@aggTrade"]


# ---- payloads --------------------------------------------------------------------------------


async def test_trade_and_agg_trade_on_raw_combined_path(wsx: WsExchange) -> None:
    async with wsx.http.ws_connect(f"{wsx.url}/ws/btcusdt@trade/btcusdt@aggTrade") as ws:
        wsx.liquidity("BTCUSDT", "SELL", "60000", "1")
        filled = wsx.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
        trade = await recv_json(ws)
        agg = await recv_json(ws)
    trade_id = filled["fills"][0]["tradeId"]
    assert list(trade) == ["e", "E", "s", "t", "p", "q", "b", "a", "T", "m", "M"]
    assert trade["e"] == "trade" and trade["s"] == "BTCUSDT" and trade["t"] == trade_id
    assert Decimal(trade["p"]) == Decimal("60000") and Decimal(trade["q"]) == Decimal("0.01")
    assert trade["b"] == filled["orderId"] and trade["m"] is False
    assert agg["e"] == "aggTrade" and agg["a"] == trade_id and agg["f"] == agg["l"] == trade_id


async def test_combined_stream_wrapper_and_set_property(wsx: WsExchange) -> None:
    async with (
        wsx.http.ws_connect(f"{wsx.url}/stream?streams=btcusdt@trade") as combined,
        wsx.http.ws_connect(f"{wsx.url}/ws") as raw,
    ):
        await raw.send_json({"method": "SET_PROPERTY", "params": ["combined", True], "id": 1})
        assert await recv_json(raw) == {"result": None, "id": 1}
        await raw.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 2})
        assert await recv_json(raw) == {"result": None, "id": 2}
        await combined.send_json({"method": "GET_PROPERTY", "params": ["combined"], "id": 3})
        assert await recv_json(combined) == {"result": True, "id": 3}
        wsx.liquidity("BTCUSDT", "SELL", "60000", "1")
        wsx.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
        for ws in (combined, raw):
            msg = await recv_json(ws)
            assert list(msg) == ["stream", "data"]
            assert msg["stream"] == "btcusdt@trade" and msg["data"]["e"] == "trade"


def _apply(book: dict[str, dict[Decimal, Decimal]], event: dict[str, Any]) -> None:
    for side, key in (("bids", "b"), ("asks", "a")):
        for price, qty in event[key]:
            if Decimal(qty) == 0:
                book[side].pop(Decimal(price), None)
            else:
                book[side][Decimal(price)] = Decimal(qty)


async def _rest_depth(x: WsExchange) -> dict[str, Any]:
    async with x.http.get(
        f"{x.ex.rest_url}/api/v3/depth", params={"symbol": "BTCUSDT", "limit": "1000"}
    ) as r:
        assert r.status == 200
        body: dict[str, Any] = await r.json()
        return body


def _as_book(snapshot: dict[str, Any]) -> dict[str, dict[Decimal, Decimal]]:
    return {side: {Decimal(p): Decimal(q) for p, q in snapshot[side]} for side in ("bids", "asks")}


@pytest.mark.parametrize("stream", ["btcusdt@depth@100ms", "btcusdt@depth"])
async def test_depth_diffs_rebuild_the_rest_book(wsx: WsExchange, stream: str) -> None:
    """Binance's procedure: buffer, snapshot, drop u <= lastUpdateId, first event straddles
    lastUpdateId+1, then U == previous u + 1; the rebuilt book equals a later snapshot."""
    _book(wsx)
    async with wsx.http.ws_connect(f"{wsx.url}/ws/{stream}") as ws:
        wsx.liquidity("BTCUSDT", "BUY", "59000", "0.3")  # an update before the snapshot
        await asyncio.sleep(0)
        snapshot = await _rest_depth(wsx)
        book = _as_book(snapshot)
        last = snapshot["lastUpdateId"]
        # Activity after the snapshot: new levels, a partial take, a cancel.
        resting = wsx.order(
            symbol="BTCUSDT", side="SELL", type="LIMIT", timeInForce="GTC", price="60100", quantity="0.2"
        )
        wsx.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.7")
        wsx.cancel("BTCUSDT", resting["orderId"])
        wsx.liquidity("BTCUSDT", "BUY", "59995", "0.1")
        final = await _rest_depth(wsx)
        target = final["lastUpdateId"]
        previous_u: int | None = None
        for _ in range(1000):
            event = await recv_json(ws)
            assert event["e"] == "depthUpdate" and event["s"] == "BTCUSDT"
            if event["u"] <= last:
                continue
            if previous_u is None:
                assert event["U"] <= last + 1 <= event["u"]
            else:
                assert event["U"] == previous_u + 1
            previous_u = event["u"]
            _apply(book, event)
            if event["u"] >= target:
                break
    assert previous_u == target
    assert book == _as_book(final)


async def test_partial_depth_and_book_ticker(wsx: WsExchange) -> None:
    _book(wsx)
    async with wsx.http.ws_connect(f"{wsx.url}/stream?streams=btcusdt@depth5@100ms/btcusdt@bookTicker") as ws:
        wsx.liquidity("BTCUSDT", "BUY", "59999", "0.25")  # a new best bid
        ticker = await recv_until(ws, lambda m: m["stream"] == "btcusdt@bookTicker")
        partial = await recv_until(ws, lambda m: m["stream"] == "btcusdt@depth5@100ms")
    assert list(ticker["data"]) == ["u", "s", "b", "B", "a", "A"]
    assert Decimal(ticker["data"]["b"]) == Decimal("59999") and Decimal(ticker["data"]["B"]) == Decimal(
        "0.25"
    )
    assert Decimal(ticker["data"]["a"]) == Decimal("60010")
    depth = partial["data"]
    assert list(depth) == ["lastUpdateId", "bids", "asks"]
    assert [Decimal(p) for p, _ in depth["bids"]] == [
        Decimal(p) for p in ("59999", "59990", "59980", "59970")
    ]
    assert len(depth["asks"]) == 3 and depth["lastUpdateId"] == wsx.state.engine.last_update_id("BTCUSDT")


async def test_kline_and_tickers(wsx: WsExchange) -> None:
    minute = wsx.state.now_ms() // 60_000 * 60_000
    wsx.state.clock.freeze(minute + 1000)  # every trade lands in one candle, whenever the test runs
    wsx.liquidity("BTCUSDT", "SELL", "60000", "1")
    wsx.liquidity("BTCUSDT", "SELL", "60100", "1")
    wsx.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")  # before subscribing
    streams = (
        "btcusdt@kline_1m/btcusdt@ticker/btcusdt@miniTicker/btcusdt@ticker_1h/!ticker@arr/!miniTicker@arr"
    )
    async with wsx.http.ws_connect(f"{wsx.url}/stream?streams={streams}") as ws:
        wsx.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="1.5")  # takes both levels
        seen: dict[str, Any] = {}

        def wanted(m: dict[str, Any]) -> bool:
            data = m["data"]
            if m["stream"] == "btcusdt@kline_1m" and data["k"]["n"] < 3:
                return False
            seen[m["stream"]] = data
            return len(seen) == 6

        await recv_until(ws, wanted)
    k = seen["btcusdt@kline_1m"]["k"]
    assert k["i"] == "1m" and k["x"] is False and k["n"] == 3
    assert (Decimal(k["o"]), Decimal(k["h"]), Decimal(k["c"])) == (
        Decimal(60000),
        Decimal(60100),
        Decimal(60100),
    )
    assert Decimal(k["v"]) == Decimal("1.51") and k["T"] - k["t"] == 59_999 and k["L"] - k["f"] == 2
    ticker = seen["btcusdt@ticker"]
    assert ticker["e"] == "24hrTicker" and Decimal(ticker["c"]) == Decimal(60100) and ticker["n"] == 3
    assert seen["btcusdt@miniTicker"]["e"] == "24hrMiniTicker"
    assert seen["btcusdt@ticker_1h"]["e"] == "1hTicker"
    assert [t["s"] for t in seen["!ticker@arr"]] == ["BTCUSDT"]
    assert seen["!miniTicker@arr"][0]["e"] == "24hrMiniTicker"


# ---- connection rules --------------------------------------------------------------------------


async def test_server_pings_and_closes_a_silent_client() -> None:
    # Pongs count against the inbound limit (as at Binance): raise it for a 50 ms ping interval.
    cfg = ws_config(ping_interval_s=0.05, pong_timeout_s=0.3, inbound_messages_per_s=100)
    async with ws_exchange(cfg) as x:
        async with x.http.ws_connect(f"{x.url}/ws/btcusdt@trade", autoping=False) as ws:
            ping = await ws.receive(timeout=WAIT)
            assert ping.type is aiohttp.WSMsgType.PING and ping.data  # a payload, echoed by good clients
            end = await recv_closed(ws)
            assert ws.close_code == aiohttp.WSCloseCode.POLICY_VIOLATION, end
        # A client that answers pings (aiohttp does, inside receive) outlives the pong timeout.
        async with x.http.ws_connect(f"{x.url}/ws/btcusdt@trade") as ws:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.receive(), 0.8)
            assert not ws.closed


async def test_inbound_message_limit_disconnects() -> None:
    async with ws_exchange(ws_config(inbound_messages_per_s=5)) as x, x.http.ws_connect(f"{x.url}/ws") as ws:
        for i in range(8):
            await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": i})
        replies = []
        for _ in range(10):
            msg = await ws.receive(timeout=WAIT)
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
            replies.append(msg.data)
        assert len(replies) == 5
        assert ws.close_code == aiohttp.WSCloseCode.POLICY_VIOLATION


async def test_connection_lifetime() -> None:
    async with ws_exchange(ws_config(max_lifetime_s=0.3)) as x, x.http.ws_connect(f"{x.url}/ws") as ws:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await recv_closed(ws)
        assert loop.time() - start >= 0.25
        assert ws.close_code == aiohttp.WSCloseCode.GOING_AWAY


async def test_slow_consumer_is_dropped_not_buffered() -> None:
    async with ws_exchange(send_queue=5) as x, x.http.ws_connect(f"{x.url}/ws/btcusdt@trade") as ws:
        x.liquidity("BTCUSDT", "SELL", "60000", "1")
        for _ in range(20):  # 20 frames queued in one go: more than the 5 allowed
            x.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
        await recv_closed(ws)
        assert ws.close_code == aiohttp.WSCloseCode.POLICY_VIOLATION
        for _ in range(200):  # the server forgets the connection once its handler has returned
            if not len(x.ws.connections):
                break
            await asyncio.sleep(0.01)
        assert len(x.ws.connections) == 0


# ---- faults ------------------------------------------------------------------------------------


async def test_fault_drop_closes_abruptly(wsx: WsExchange) -> None:
    async with wsx.http.ws_connect(f"{wsx.url}/ws/btcusdt@trade") as ws:
        wsx.ex.inject(FaultKind.WS_DROP, "/ws/btcusdt@*", count=1)
        wsx.liquidity("BTCUSDT", "SELL", "60000", "1")
        wsx.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
        await recv_closed(ws)
        assert ws.close_code != aiohttp.WSCloseCode.OK  # no close handshake: the socket just died
    assert [r.kind for r in wsx.ex.fault_log] == [FaultKind.WS_DROP]


async def test_fault_silence_stops_frames_and_pongs(wsx: WsExchange) -> None:
    async with wsx.http.ws_connect(f"{wsx.url}/ws/btcusdt@trade", autoping=False) as ws:
        await ws.ping(b"before")
        pong = await ws.receive(timeout=WAIT)
        assert pong.type is aiohttp.WSMsgType.PONG and pong.data == b"before"
        wsx.ex.inject(FaultKind.WS_SILENT, "/ws/*", count=1)
        wsx.liquidity("BTCUSDT", "SELL", "60000", "1")
        wsx.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
        await ws.ping(b"after")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ws.receive(), 0.3)
        assert not ws.closed
    assert [r.kind for r in wsx.ex.fault_log] == [FaultKind.WS_SILENT]


async def test_fault_depth_gap_breaks_continuity(wsx: WsExchange) -> None:
    _book(wsx)
    async with wsx.http.ws_connect(f"{wsx.url}/ws/btcusdt@depth@100ms") as ws:
        wsx.liquidity("BTCUSDT", "BUY", "59000", "0.1")
        first = await recv_json(ws)
        wsx.ex.inject(FaultKind.DEPTH_GAP, "btcusdt@depth*", count=1)
        wsx.liquidity("BTCUSDT", "BUY", "59001", "0.1")  # this interval's event is dropped
        for _ in range(100):  # until the interval with the gap has been flushed
            if wsx.ex.fault_log:
                break
            await asyncio.sleep(0.02)
        wsx.liquidity("BTCUSDT", "BUY", "59002", "0.1")
        after = await recv_json(ws)
    assert after["U"] > first["u"] + 1
    assert [r.kind for r in wsx.ex.fault_log] == [FaultKind.DEPTH_GAP]


async def test_registry_drop_handle(wsx: WsExchange) -> None:
    async with wsx.http.ws_connect(f"{wsx.url}/ws") as ws, wsx.http.ws_connect(f"{wsx.url}/ws-api/v3") as api:
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 1})
        await recv_json(ws)
        assert wsx.ws.connections.drop("/ws/") == 0
        assert wsx.ws.connections.drop("/ws") == 2  # "/ws" and "/ws-api/v3"
        await recv_closed(ws)
        await recv_closed(api)
