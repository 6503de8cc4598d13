"""Unmodified third-party Binance clients trade against the local exchange.

The synchronous clients use ``requests``; they run in a thread so the exchange keeps serving
on the test's event loop.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from tradeexec.sim import LocalExchange

pytestmark = pytest.mark.compat


def _liquidity(ex: LocalExchange) -> None:
    ex.add_liquidity("BTCUSDT", "SELL", "60000", "1")
    ex.add_liquidity("BTCUSDT", "BUY", "59000", "1")


async def test_python_binance(exchange: LocalExchange) -> None:
    from binance.client import Client

    _liquidity(exchange)

    def run() -> dict[str, Any]:
        client = Client(exchange.api_key, exchange.api_secret, ping=False)
        client.API_URL = f"{exchange.rest_url}/api"
        out: dict[str, Any] = {"info": client.get_symbol_info("BTCUSDT")}
        placed = client.create_order(
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="50000"
        )
        out["query"] = client.get_order(symbol="BTCUSDT", orderId=placed["orderId"])
        out["cancel"] = client.cancel_order(symbol="BTCUSDT", orderId=placed["orderId"])
        out["market"] = client.order_market_buy(symbol="BTCUSDT", quantity="0.01")
        out["balance"] = client.get_asset_balance(asset="BTC")
        out["depth"] = client.get_order_book(symbol="BTCUSDT", limit=5)
        return out

    out = await asyncio.to_thread(run)
    assert out["info"]["symbol"] == "BTCUSDT"
    assert out["query"]["status"] == "NEW" and out["cancel"]["status"] == "CANCELED"
    assert out["market"]["status"] == "FILLED"
    assert Decimal(out["balance"]["free"]) > Decimal(1)
    assert out["depth"]["asks"][0][0] == "60000.00000000"


async def test_binance_connector(exchange: LocalExchange) -> None:
    from binance.spot import Spot

    _liquidity(exchange)

    def run() -> dict[str, Any]:
        client = Spot(exchange.api_key, exchange.api_secret, base_url=exchange.rest_url)
        out: dict[str, Any] = {"info": client.exchange_info(symbol="BTCUSDT")}
        placed = client.new_order(
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="50000"
        )
        out["query"] = client.get_order("BTCUSDT", orderId=placed["orderId"])
        out["cancel"] = client.cancel_order("BTCUSDT", orderId=placed["orderId"])
        out["market"] = client.new_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.01")
        out["account"] = client.account()
        out["depth"] = client.depth("BTCUSDT", limit=5)
        return out

    out = await asyncio.to_thread(run)
    assert out["info"]["symbols"][0]["symbol"] == "BTCUSDT"
    assert out["query"]["status"] == "NEW" and out["cancel"]["status"] == "CANCELED"
    assert out["market"]["status"] == "FILLED" and out["market"]["fills"][0]["price"] == "59000.00000000"
    btc = next(b for b in out["account"]["balances"] if b["asset"] == "BTC")
    assert Decimal(btc["free"]) == Decimal("0.99")
    assert out["depth"]["bids"][0][0] == "59000.00000000"


async def test_ccxt(exchange: LocalExchange) -> None:
    import ccxt.async_support as ccxt_async

    _liquidity(exchange)
    base = exchange.rest_url
    client = ccxt_async.binance(
        {
            "apiKey": exchange.api_key,
            "secret": exchange.api_secret,
            "enableRateLimit": False,
            "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
        }
    )
    api = client.urls["api"]
    api["public"] = f"{base}/api/v3"
    api["private"] = f"{base}/api/v3"
    api["sapi"] = f"{base}/sapi/v1"
    try:
        await client.load_markets()
        placed = await client.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
        fetched = await client.fetch_order(placed["id"], "BTC/USDT")
        canceled = await client.cancel_order(placed["id"], "BTC/USDT")
        market = await client.create_order("BTC/USDT", "market", "buy", 0.01)
        balance = await client.fetch_balance()
        book = await client.fetch_order_book("BTC/USDT", 5)
    finally:
        await client.close()
    assert fetched["status"] == "open" and canceled["status"] == "canceled"
    assert market["status"] == "closed" and market["filled"] == 0.01
    assert balance["BTC"]["free"] > 1
    assert book["asks"][0][0] == 60000
