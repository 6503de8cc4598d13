"""ccxt.pro's ``binanceusdm``, unmodified, on the local exchange's USDⓈ-M market data: its
URLs moved to loopback (``point_urls_at``; ccxt itself rewrites the linear ``/ws`` URL to the
routed ``/public/ws`` and ``/market/ws``), nothing leaves this machine (``loopback_only``).
The book it builds from the diff stream (with ``pu``) equals the exchange's; trades, ticker,
funding rate and open interest read what the exchange holds."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.compat.loopback import loopback_only, point_urls_at
from tests.sim.futures.futures_helpers import futures_exchange, order

pytestmark = pytest.mark.compat

SYMBOL = "BTC/USDT:USDT"
WAIT = 10.0


def levels(side: list[list[float]]) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(str(p)), Decimal(str(q))) for p, q in side]


async def test_ccxt_pro_binanceusdm_market_data() -> None:
    import ccxt.pro as ccxt_pro

    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "2")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "59900", "2")
        ex.futures_set_funding_rate("BTCUSDT", "0.0002")
        with loopback_only():
            client = ccxt_pro.binanceusdm({"apiKey": ex.api_key, "secret": ex.api_secret})
            client.urls = point_urls_at(client.urls, ex.rest_url, ex.ws_url)
            try:
                await client.load_markets()
                book = await asyncio.wait_for(client.watch_order_book(SYMBOL), WAIT)
                ex.futures_add_liquidity("BTCUSDT", "BUY", "59950", "1.5")
                ex.futures_add_liquidity("BTCUSDT", "SELL", "60100", "3")
                engine = ex.state.futures.engine
                target = engine.last_update_id("BTCUSDT")
                async with asyncio.timeout(WAIT):
                    while book["nonce"] < target:
                        book = await client.watch_order_book(SYMBOL)
                snap = engine.depth("BTCUSDT", 100)
                seen = (levels(book["bids"]), levels(book["asks"]), book["nonce"])  # it updates in place
                bought = Decimal(0)
                by_agg = {"name": "aggTrade"}
                trades_task = asyncio.ensure_future(client.watch_trades(SYMBOL, params=by_agg))
                ticker_task = asyncio.ensure_future(client.watch_ticker(SYMBOL))
                await asyncio.sleep(0)
                async with asyncio.timeout(WAIT):
                    while not trades_task.done():
                        await order(api, "BTCUSDT", "BUY", "0.25")  # until the subscription sees one
                        bought += Decimal("0.25")
                        await asyncio.wait([trades_task], timeout=0.2)
                trades = trades_task.result()
                ticker = await asyncio.wait_for(ticker_task, WAIT)
                funding = await client.fetch_funding_rate(SYMBOL)
                interest = await client.fetch_open_interest(SYMBOL)
            finally:
                await client.close()
    assert seen == (snap.bids, snap.asks, snap.last_update_id)
    assert snap.bids[0] == (Decimal("59950"), Decimal("1.5"))
    assert trades and trades[-1]["price"] == 60000 and trades[-1]["side"] == "buy"
    assert ticker["symbol"] == SYMBOL and ticker["last"] == 60000
    assert funding["fundingRate"] == 0.0002
    assert Decimal(str(interest["openInterestAmount"])) == bought
