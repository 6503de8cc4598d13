"""A non-ASCII symbol end to end: the local exchange lists one (``币安人生USDT``, as Binance
does since December 2025) and accepts it over REST wherever the parameter travels (query,
body, both), on the WebSocket API and on the streams; our client, python-binance and ccxt
(see ``test_ccxt``) sign and trade it unmodified."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from tests.sim.conftest import Api
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.sim import LocalExchange

pytestmark = pytest.mark.compat
pytest_plugins = ("tests.compat.rest_api",)

SYMBOL = "币安人生USDT"
BUY = {
    "symbol": SYMBOL,
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "100",
    "price": "0.1",
}


@pytest.fixture
async def ex() -> AsyncIterator[LocalExchange]:
    async with LocalExchange(market=False) as exchange:
        exchange.add_liquidity(SYMBOL, "SELL", "0.15", "10000")
        yield exchange


async def test_exchange_info_lists_the_symbol(api: Api) -> None:
    info = await api.public("GET", "/api/v3/exchangeInfo", {"symbols": [SYMBOL, "BTCUSDT"]})
    assert [s["symbol"] for s in info.body["symbols"]] == [SYMBOL, "BTCUSDT"]
    assert info.body["symbols"][0]["baseAsset"] == "币安人生"


@pytest.mark.parametrize("where", ["query", "body", "both"])
async def test_rest_order_with_the_symbol_in_query_body_or_both(
    api: Api, ex: LocalExchange, where: str
) -> None:
    if where == "both":  # the symbol in the query, the rest and the signature in the body
        query = api.sign({}, timestamp=None).split("&signature=")[0]
        query = f"symbol=%E5%B8%81%E5%AE%89%E4%BA%BA%E7%94%9FUSDT&{query}"
        body = "&".join(f"{k}={v}" for k, v in BUY.items() if k != "symbol")
        signature = HmacSigner(ex.api_secret).sign((query + body).encode())
        reply = await api.request(
            "POST", "/api/v3/order", query=query, body=f"{body}&signature={signature}",
            headers={"X-MBX-APIKEY": ex.api_key},
        )  # fmt: skip
    else:
        reply = await api.signed("POST", "/api/v3/order", BUY, in_body=where == "body")
    assert reply.status == 200, reply.body
    assert reply.body["symbol"] == SYMBOL and reply.body["status"] == "NEW"


async def test_our_client_trades_it_over_rest_and_the_websocket_api(ex: LocalExchange) -> None:
    async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=5.0) as client:
        bought = await client.new_order(SYMBOL, "BUY", "MARKET", quantity=Decimal(100))
        queried = await client.get_order(SYMBOL, order_id=bought.order_id)
        async with client.ws_api() as ws:
            placed = await ws.place_order(
                SYMBOL, "BUY", "LIMIT", quantity=Decimal(100), price=Decimal("0.1"), time_in_force="GTC"
            )
            status = await ws.order_status(SYMBOL, order_id=placed.order_id)
            await ws.cancel_order(SYMBOL, order_id=placed.order_id)
    assert bought.status == "FILLED" and queried.symbol == SYMBOL
    assert status.symbol == SYMBOL and status.status == "NEW"
    assert ex.balances()["币安人生"][0] == Decimal("99.9")


async def test_python_binance_trades_it(ex: LocalExchange) -> None:
    from binance.client import Client

    def run() -> dict[str, Any]:
        client = Client(ex.api_key, ex.api_secret, ping=False)
        client.API_URL = f"{ex.rest_url}/api"
        market = client.create_order(symbol=SYMBOL, side="BUY", type="MARKET", quantity="100")
        return {
            "market": market,
            "query": client.get_order(symbol=SYMBOL, orderId=market["orderId"]),
            "balance": client.get_asset_balance(asset="币安人生"),
        }

    out = await asyncio.to_thread(run)
    assert out["market"]["status"] == "FILLED" and out["query"]["symbol"] == SYMBOL
    assert Decimal(out["balance"]["free"]) == Decimal("99.9")
