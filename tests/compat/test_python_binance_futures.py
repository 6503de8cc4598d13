"""python-binance's ``futures_*`` methods, unmodified, on the local USDT-M futures: only its
futures base URL is moved (``FUTURES_URL``), and the socket layer refuses anything off this
machine. The synchronous client runs in a thread so that the exchange keeps serving."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from tests.compat.loopback import loopback_only
from tests.sim.futures.futures_helpers import futures_exchange

pytestmark = pytest.mark.compat


async def test_python_binance_futures_leverage_order_position_and_close() -> None:
    from binance.client import Client

    async with futures_exchange() as (ex, _):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "59900", "1")

        def run() -> dict[str, Any]:
            client = Client(ex.api_key, ex.api_secret, ping=False)
            client.FUTURES_URL = f"{ex.rest_url}/fapi"
            out: dict[str, Any] = {"info": client.futures_exchange_info()}
            out["leverage"] = client.futures_change_leverage(symbol="BTCUSDT", leverage=10)
            out["margin"] = client.futures_change_margin_type(symbol="BTCUSDT", marginType="ISOLATED")
            out["open"] = client.futures_create_order(
                symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.1", newOrderRespType="RESULT"
            )
            out["position"] = client.futures_position_information(symbol="BTCUSDT")
            out["close"] = client.futures_create_order(
                symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.1", reduceOnly="true"
            )
            out["balance"] = client.futures_account_balance()
            out["trades"] = client.futures_account_trades(symbol="BTCUSDT")
            return out

        with loopback_only():
            out = await asyncio.to_thread(run)
    assert {s["symbol"] for s in out["info"]["symbols"]} == {"BTCUSDT", "ETHUSDT"}
    assert out["leverage"]["leverage"] == 10 and out["margin"]["code"] == 200
    assert out["open"]["status"] == "FILLED"
    (pos,) = out["position"]
    assert Decimal(pos["positionAmt"]) == Decimal("0.1") and Decimal(pos["isolatedWallet"]) == Decimal("600")
    assert out["close"]["reduceOnly"] is True
    # 0.1 bought at 60,000 and sold at 59,900: -10 realized, fees 3 + 2.995.
    (usdt,) = out["balance"]
    assert Decimal(usdt["balance"]) == Decimal("10000") - Decimal("10") - Decimal("5.995")
    assert [Decimal(t["realizedPnl"]) for t in out["trades"]] == [Decimal("0"), Decimal("-10")]


async def test_python_binance_futures_depth_and_multiplex_sockets_on_the_routed_endpoints() -> None:
    """``futures_depth_socket`` goes to ``/public``, ``futures_multiplex_socket`` to
    ``/market`` (python-binance routes by category itself): only ``FSTREAM_URL`` is moved."""
    from binance.async_client import AsyncClient
    from binance.ws.streams import BinanceSocketManager

    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "59900", "2")
        ex.futures_set_mark_price("BTCUSDT", "59950.5")
        with loopback_only():
            client = AsyncClient(ex.api_key, ex.api_secret)
            manager = BinanceSocketManager(client)
            manager.FSTREAM_URL = f"{ex.ws_url}/"
            try:
                async with manager.futures_depth_socket("BTCUSDT", depth="5") as depth:
                    top = await asyncio.wait_for(depth.recv(), 10.0)
                streams = ["btcusdt@markPrice@1s", "btcusdt@aggTrade"]
                async with manager.futures_multiplex_socket(streams) as multiplex:
                    got: dict[str, Any] = {}
                    async with asyncio.timeout(10.0):
                        while len(got) < 2:
                            if "btcusdt@aggTrade" not in got:
                                await api.signed(
                                    "POST",
                                    "/fapi/v1/order",
                                    {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.1"},
                                )
                            msg = await multiplex.recv()
                            got[msg["stream"]] = msg["data"]
            finally:
                await client.close_connection()
    data = top["data"]
    assert data["e"] == "depthUpdate" and data["b"][0] == ["59900.00000000", "2.00000000"]
    assert Decimal(got["btcusdt@markPrice@1s"]["p"]) == Decimal("59950.5")
    assert got["btcusdt@aggTrade"]["p"] == "60000.00000000"


async def test_python_binance_futures_user_socket_receives_its_orders_events() -> None:
    """``futures_user_socket`` takes a listenKey through python-binance's own REST call and
    connects to ``/private/ws?listenKey=``; an order placed through python-binance then shows
    there as ORDER_TRADE_UPDATE (NEW, then TRADE) and ACCOUNT_UPDATE (reason ORDER)."""
    from binance.async_client import AsyncClient
    from binance.ws.streams import BinanceSocketManager

    async with futures_exchange() as (ex, _):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        with loopback_only():
            client = AsyncClient(ex.api_key, ex.api_secret)
            client.FUTURES_URL = f"{ex.rest_url}/fapi"
            manager = BinanceSocketManager(client)
            manager.FSTREAM_URL = f"{ex.ws_url}/"
            got: list[dict[str, Any]] = []
            try:
                async with manager.futures_user_socket() as user:
                    placed = await client.futures_create_order(
                        symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.2", newClientOrderId="pb-1"
                    )
                    async with asyncio.timeout(10.0):
                        while not any(m["e"] == "ACCOUNT_UPDATE" for m in got) or not any(
                            m["e"] == "ORDER_TRADE_UPDATE" and m["o"]["X"] == "FILLED" for m in got
                        ):
                            got.append(await user.recv())
            finally:
                await client.close_connection()
    orders = [m["o"] for m in got if m["e"] == "ORDER_TRADE_UPDATE"]
    assert {o["i"] for o in orders} == {placed["orderId"]} and {o["c"] for o in orders} == {"pb-1"}
    assert [o["x"] for o in orders] == ["NEW", "TRADE"]
    assert Decimal(orders[-1]["z"]) == Decimal("0.2") and Decimal(orders[-1]["ap"]) == Decimal("60000")
    (account,) = [m["a"] for m in got if m["e"] == "ACCOUNT_UPDATE"]
    assert account["m"] == "ORDER"
    (pos,) = [p for p in account["P"] if p["s"] == "BTCUSDT"]
    assert Decimal(pos["pa"]) == Decimal("0.2") and Decimal(pos["ep"]) == Decimal("60000")
