"""ccxt and ccxt.pro, unmodified and with their default options, against the local exchange.

Only the URLs change: every URL in ccxt's tree is moved to the local exchange, checked, and
the socket layer refuses anything off this machine (``loopback_only``). With default options
ccxt's ``load_markets`` reads coin configuration, the margin pair lists and the futures
exchangeInfo as well as spot; the local exchange answers each as Binance would (margin lists
empty, the USDT-M contracts it serves), so a ccxt recipe needs no special options.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from tests.compat.loopback import is_loopback, loopback_only, point_urls_at, url_host, urls_in
from tradeexec.sim import LocalExchange

pytestmark = pytest.mark.compat

UNICODE = "币安人生USDT"
WAIT = 15.0


def _local(client: Any, ex: LocalExchange) -> Any:
    client.urls = point_urls_at(client.urls, ex.rest_url, ex.ws_url)
    hosts = {url_host(u) for u in urls_in(client.urls)}
    assert hosts and all(is_loopback(h) for h in hosts), hosts
    return client


@pytest.fixture
async def market_exchange() -> AsyncIterator[LocalExchange]:
    """The synthetic market on, so that public streams carry data without a script. Spot only:
    ccxt.pro tells a spot stream from a futures one by "stream" in its URL's host
    (``is_spot_url``), which a URL moved to 127.0.0.1 loses, so with the USDT-M markets
    loaded it would read spot BTCUSDT trades as the BTC/USDT:USDT swap's."""
    async with LocalExchange(products=("spot",)) as ex:
        yield ex


def test_the_guard_refuses_connections_off_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    reached: list[object] = []

    def real_connect(self: socket.socket, address: object) -> None:
        reached.append(address)  # stands in for the system call: nothing may leave the machine
        raise AssertionError("the guard let a non-loopback connect through")

    monkeypatch.setattr(socket.socket, "connect", real_connect)
    with pytest.raises(AssertionError, match=r"192\.0\.2\.1"), loopback_only():
        sock = socket.socket()
        try:
            with pytest.raises(ConnectionRefusedError):
                sock.connect(("192.0.2.1", 443))  # TEST-NET-1
        finally:
            sock.close()
    assert reached == []


async def test_ccxt_default_options_load_markets_trade_and_read_balances() -> None:
    import ccxt.async_support as ccxt_async

    async with LocalExchange(market=False) as ex:
        ex.add_liquidity(UNICODE, "SELL", "0.15", "1000")
        with loopback_only():
            client = _local(ccxt_async.binance({"apiKey": ex.api_key, "secret": ex.api_secret}), ex)
            try:
                markets = await client.load_markets()
                fees = await client.fetch_trading_fees()
                order = await client.create_order("币安人生/USDT", "market", "buy", 100)
                balance = await client.fetch_balance()
            finally:
                await client.close()
    assert {"BTC/USDT", "币安人生/USDT"} <= set(markets)
    spot = [m for m in markets.values() if m["spot"]]
    assert spot and not any(m["margin"] for m in spot)
    # USDT-M futures are served too: ccxt lists them as linear swaps beside spot.
    assert {m["symbol"] for m in markets.values() if m["swap"]} == {"BTC/USDT:USDT", "ETH/USDT:USDT"}
    assert fees["BTC/USDT"]["maker"] == 0.001 and fees["BTC/USDT"]["taker"] == 0.001
    assert order["status"] == "closed" and order["filled"] == 100
    assert balance["币安人生"]["free"] == 99.9  # the 0.1% taker fee is paid in the asset bought
    assert Decimal(str(balance["USDT"]["free"])) == Decimal("100000") - Decimal("15")


async def _until_returns(watch: Callable[[], Awaitable[Any]], poke: Callable[[], Awaitable[Any]]) -> Any:
    """Await a ccxt.pro watch, poking the exchange until it delivers (its subscription may not
    be live when the first poke lands), within WAIT seconds."""
    task = asyncio.ensure_future(watch())
    try:
        async with asyncio.timeout(WAIT):
            while not task.done():
                await poke()
                await asyncio.wait({task}, timeout=0.5)
        return task.result()
    finally:
        task.cancel()


async def test_ccxt_pro_public_watches(market_exchange: LocalExchange) -> None:
    import ccxt.pro as ccxtpro

    ex = market_exchange
    with loopback_only():
        client = _local(ccxtpro.binance({"apiKey": ex.api_key, "secret": ex.api_secret}), ex)
        try:
            async with asyncio.timeout(WAIT):
                book = await client.watch_order_book("BTC/USDT")
                trades = await client.watch_trades("BTC/USDT")
                ticker = await client.watch_ticker("BTC/USDT")
                candles = await client.watch_ohlcv("BTC/USDT", "1m")
                unicode_trades = await client.watch_trades("币安人生/USDT")
        finally:
            await client.close()
    assert book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0]
    assert trades and trades[0]["symbol"] == "BTC/USDT" and trades[0]["price"] > 0
    assert ticker["symbol"] == "BTC/USDT" and ticker["last"] > 0
    assert candles and len(candles[-1]) == 6
    assert unicode_trades[0]["symbol"] == "币安人生/USDT"


async def test_ccxt_pro_user_data_watches() -> None:
    import ccxt.pro as ccxtpro

    async with LocalExchange(market=False) as ex:
        ex.add_liquidity("BTCUSDT", "SELL", "60000", "10")
        with loopback_only():
            client = _local(ccxtpro.binance({"apiKey": ex.api_key, "secret": ex.api_secret}), ex)

            async def buy() -> None:
                await client.create_order("BTC/USDT", "market", "buy", 0.001)

            try:
                await client.load_markets()
                orders = await _until_returns(lambda: client.watch_orders("BTC/USDT"), buy)
                fills = await _until_returns(lambda: client.watch_my_trades("BTC/USDT"), buy)
                balance = await _until_returns(client.watch_balance, buy)
            finally:
                await client.close()
    assert orders[-1]["symbol"] == "BTC/USDT" and orders[-1]["status"] == "closed"
    assert fills[-1]["price"] == 60000 and fills[-1]["amount"] == 0.001
    assert balance["BTC"]["free"] > 1
