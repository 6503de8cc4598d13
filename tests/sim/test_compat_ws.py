"""Unmodified third-party Binance clients on the WebSocket side of the local exchange:
binance-connector's stream and WebSocket API clients (threaded, so driven from threads with
bounded waits) and python-binance's socket manager, including its user data stream, which
python-binance now opens through ``userDataStream.subscribe.signature``."""

from __future__ import annotations

import asyncio
import json
import queue
from typing import Any

import pytest

from tests.sim.ws_helpers import WAIT, WsExchange

pytest_plugins = ("tests.sim.conftest_ws",)
pytestmark = pytest.mark.compat


def _collector() -> tuple[queue.Queue[dict[str, Any]], Any]:
    inbox: queue.Queue[dict[str, Any]] = queue.Queue()

    def on_message(_: object, message: str) -> None:
        inbox.put(json.loads(message))

    return inbox, on_message


async def _next(inbox: queue.Queue[dict[str, Any]], pred: Any = lambda _: True) -> dict[str, Any]:
    """The next message from a client thread satisfying ``pred`` (bounded wait)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    for _ in range(1000):
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:
            message = await asyncio.to_thread(inbox.get, True, remaining)
        except queue.Empty:
            break
        if pred(message):
            return message
    raise AssertionError("the client received no matching message")


async def test_connector_stream_client_receives_trades(wsx: WsExchange) -> None:
    from binance.websocket.spot.websocket_stream import SpotWebsocketStreamClient

    inbox, on_message = _collector()
    client = await asyncio.to_thread(SpotWebsocketStreamClient, stream_url=wsx.url, on_message=on_message)
    try:
        await asyncio.to_thread(client.trade, symbol="btcusdt", id=7)
        assert await _next(inbox) == {"result": None, "id": 7}
        wsx.liquidity("BTCUSDT", "SELL", "60000", "1")
        filled = wsx.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.02")
        trade = await _next(inbox, lambda m: m.get("e") == "trade")
        assert trade["t"] == filled["fills"][0]["tradeId"] and trade["q"] == "0.02000000"
    finally:
        await asyncio.to_thread(client.stop)


async def test_connector_websocket_api_places_and_cancels(wsx: WsExchange) -> None:
    from binance.websocket.spot.websocket_api import SpotWebsocketAPIClient

    inbox, on_message = _collector()
    client = await asyncio.to_thread(
        SpotWebsocketAPIClient,
        stream_url=f"{wsx.url}/ws-api/v3",
        api_key=wsx.ex.api_key,
        api_secret=wsx.ex.api_secret,
        on_message=on_message,
    )
    try:
        await asyncio.to_thread(
            client.new_order,
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            price="50000",
            quantity="0.01",
            newClientOrderId="connector-1",
        )
        placed = await _next(inbox)
        assert placed["status"] == 200, placed
        assert placed["result"]["clientOrderId"] == "connector-1"
        await asyncio.to_thread(client.get_order, symbol="BTCUSDT", orderId=placed["result"]["orderId"])
        status = await _next(inbox)
        assert status["result"]["status"] == "NEW"
        await asyncio.to_thread(client.cancel_order, symbol="BTCUSDT", origClientOrderId="connector-1")
        canceled = await _next(inbox)
        assert canceled["result"]["status"] == "CANCELED"
        await asyncio.to_thread(client.user_data_start)  # removed at Binance in 2026
        removed = await _next(inbox)
        assert removed["status"] == 400 and removed["error"]["code"] == -1020
    finally:
        await asyncio.to_thread(client.stop)


async def test_python_binance_trade_socket_and_user_socket(wsx: WsExchange) -> None:
    from binance.async_client import AsyncClient
    from binance.ws.streams import BinanceSocketManager
    from binance.ws.websocket_api import WebsocketAPI

    client = AsyncClient(wsx.ex.api_key, wsx.ex.api_secret)
    client.ws_api = WebsocketAPI(url=f"{wsx.url}/ws-api/v3")
    manager = BinanceSocketManager(client)
    manager.STREAM_URL = f"{wsx.url}/"
    try:
        async with manager.trade_socket("BTCUSDT") as socket:
            wsx.liquidity("BTCUSDT", "SELL", "60000", "1")
            wsx.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
            trade = await asyncio.wait_for(socket.recv(), WAIT)
            assert trade["e"] == "trade" and trade["s"] == "BTCUSDT"
        async with manager.user_socket() as user:
            placed = wsx.order(
                symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", price="50000", quantity="0.01"
            )
            report = await asyncio.wait_for(user.recv(), WAIT)
            position = await asyncio.wait_for(user.recv(), WAIT)
            assert report["e"] == "executionReport" and report["i"] == placed["orderId"]
            assert position["e"] == "outboundAccountPosition"
    finally:
        await client.close_connection()
