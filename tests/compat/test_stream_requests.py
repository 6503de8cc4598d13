"""Market stream control messages and connection paths as Binance's WebSocket Streams document
them: the request ``id`` may be a 64-bit signed integer, a string of up to 36 characters (a UUID)
or null, and is echoed back; a connection opens whatever ``/ws/<path>`` names (ccxt connects to
``/ws/<n>`` and subscribes afterwards) and carries what it subscribes to."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.sim.ws_helpers import WsExchange, recv_json, recv_until
from tradeexec.sim.binance.ws_conn import valid_request_id

pytestmark = pytest.mark.compat
pytest_plugins = ("tests.sim.conftest_ws",)

UUID = "4885f793-e5ad-4c3b-8f6c-55d891472b71"
GOOD_IDS: list[Any] = [UUID, "a" * 36, "Z9_-", 0, -1, 2**63 - 1, -(2**63), None, 7]
BAD_IDS: list[Any] = [2**63, -(2**63) - 1, "a" * 37, "", "has space", "ü", 1.5, True, [1], {"id": 1}]
INVALID_ID = {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"}


@pytest.mark.parametrize("request_id", GOOD_IDS, ids=repr)
async def test_documented_request_ids_are_accepted_and_echoed(wsx: WsExchange, request_id: Any) -> None:
    async with wsx.http.ws_connect(f"{wsx.url}/ws") as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": request_id})
        assert await recv_json(ws) == {"result": None, "id": request_id}
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": request_id})
        assert await recv_json(ws) == {"result": ["btcusdt@trade"], "id": request_id}
        await ws.send_json({"method": "GET_PROPERTY", "params": ["combined"], "id": request_id})
        assert await recv_json(ws) == {"result": False, "id": request_id}


@pytest.mark.parametrize("request_id", BAD_IDS, ids=repr)
async def test_other_request_ids_get_binance_error(wsx: WsExchange, request_id: Any) -> None:
    assert not valid_request_id(request_id)
    async with wsx.http.ws_connect(f"{wsx.url}/ws") as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": request_id})
        answer = await recv_json(ws)
        assert answer["error"] == INVALID_ID
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 1})
        assert await recv_json(ws) == {"result": [], "id": 1}  # nothing was subscribed


async def _first_trade(ws: aiohttp.ClientWebSocketResponse, x: WsExchange, symbol: str) -> dict[str, Any]:
    x.liquidity(symbol, "SELL", "60000" if symbol == "BTCUSDT" else "0.15", "100")
    x.order(symbol=symbol, side="BUY", type="MARKET", quantity="0.01" if symbol == "BTCUSDT" else "50")
    message: dict[str, Any] = await recv_until(ws, lambda m: m.get("e") == "trade")
    return message


@pytest.mark.parametrize("path", ["/ws/0", "/ws/1", "/ws/not-a-stream"])
async def test_a_connection_to_any_ws_path_subscribes_afterwards(wsx: WsExchange, path: str) -> None:
    async with wsx.http.ws_connect(f"{wsx.url}{path}") as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": UUID})
        assert await recv_json(ws) == {"result": None, "id": UUID}
        trade = await _first_trade(ws, wsx, "BTCUSDT")
        assert trade["s"] == "BTCUSDT" and trade["p"] == "60000.00000000"
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": None})
        assert await recv_json(ws) == {"result": ["btcusdt@trade"], "id": None}


async def test_a_unicode_symbol_streams_by_url_and_by_subscription(wsx: WsExchange) -> None:
    """Binance's streams take URL-encoded names since 2025-12: the path names the symbol in
    lower case, percent-encoded; SUBSCRIBE names it in plain UTF-8."""
    async with wsx.http.ws_connect(f"{wsx.url}/ws/%E5%B8%81%E5%AE%89%E4%BA%BA%E7%94%9Fusdt@trade") as ws:
        trade = await _first_trade(ws, wsx, "币安人生USDT")
        assert trade["s"] == "币安人生USDT"
    async with wsx.http.ws_connect(f"{wsx.url}/stream") as ws:
        await ws.send_json({"method": "SUBSCRIBE", "params": ["币安人生usdt@trade"], "id": 1})
        assert await recv_json(ws) == {"result": None, "id": 1}
        wsx.order(symbol="币安人生USDT", side="BUY", type="MARKET", quantity="50")
        wrapped = await recv_until(ws, lambda m: m.get("stream") == "币安人生usdt@trade")
        assert wrapped["data"]["s"] == "币安人生USDT"


async def test_a_stream_shaped_name_the_exchange_does_not_serve_is_refused_at_once(wsx: WsExchange) -> None:
    async with wsx.http.get(f"{wsx.url}/ws/btcusdt@nonsense") as r:
        assert r.status == 400 and (await r.json())["msg"] == "Invalid stream name: btcusdt@nonsense"
