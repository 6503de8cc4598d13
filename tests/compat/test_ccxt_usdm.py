"""ccxt's ``binanceusdm``, unmodified, against the local exchange's USDT-M futures: only its
URLs are moved to the local server (``point_urls_at``) and the socket layer refuses anything
off this machine (``loopback_only``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.compat.loopback import is_loopback, loopback_only, point_urls_at, url_host, urls_in
from tests.sim.futures.futures_helpers import futures_exchange

pytestmark = pytest.mark.compat


async def test_ccxt_binanceusdm_leverage_margin_mode_open_read_and_close() -> None:
    import ccxt.async_support as ccxt_async

    async with futures_exchange() as (ex, _):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "2")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "59900", "2")
        with loopback_only():
            client = ccxt_async.binanceusdm({"apiKey": ex.api_key, "secret": ex.api_secret})
            client.urls = point_urls_at(client.urls, ex.rest_url, ex.ws_url)
            assert all(is_loopback(url_host(u)) for u in urls_in(client.urls))
            try:
                markets = await client.load_markets()
                leverage = await client.set_leverage(5, "BTC/USDT:USDT")
                mode = await client.set_margin_mode("isolated", "BTC/USDT:USDT")
                opened = await client.create_order("BTC/USDT:USDT", "market", "buy", 0.05)
                positions = await client.fetch_positions(["BTC/USDT:USDT"])
                closed = await client.create_order(
                    "BTC/USDT:USDT", "market", "sell", 0.05, params={"reduceOnly": True}
                )
                after = await client.fetch_positions(["BTC/USDT:USDT"])
                balance = await client.fetch_balance()
            finally:
                await client.close()
    assert markets["BTC/USDT:USDT"]["swap"] and markets["BTC/USDT:USDT"]["linear"]
    assert leverage["leverage"] == 5
    assert mode["code"] == 200
    assert opened["status"] == "closed" and opened["filled"] == 0.05
    (pos,) = positions
    assert pos["side"] == "long" and pos["contracts"] == 0.05 and pos["marginMode"] == "isolated"
    assert pos["entryPrice"] == 60000  # v3 positionRisk carries no leverage: ccxt reads None there
    # The mark follows the book's mid, (60,000 + 59,900) / 2 = 59,950: 0.05 * 59,950 / 5
    assert Decimal(str(pos["initialMargin"])) == Decimal("599.5")
    assert closed["status"] == "closed" and closed.get("reduceOnly") is True
    assert after == []
    # Bought at 60,000, sold at 59,900: -5 realized, fees 1.5 + 1.4975.
    assert Decimal(str(balance["USDT"]["total"])) == Decimal("10000") - Decimal("5") - Decimal("2.9975")


async def test_ccxt_binanceusdm_places_and_cancels_a_stop_through_the_algo_service() -> None:
    import ccxt.async_support as ccxt_async

    async with futures_exchange() as (ex, _):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "2")
        with loopback_only():
            client = ccxt_async.binanceusdm({"apiKey": ex.api_key, "secret": ex.api_secret})
            client.urls = point_urls_at(client.urls, ex.rest_url, ex.ws_url)
            try:
                await client.load_markets()
                await client.create_order("BTC/USDT:USDT", "market", "buy", 0.05)
                stop = await client.create_order(
                    "BTC/USDT:USDT",
                    "market",
                    "sell",
                    0.05,
                    params={"stopLossPrice": 55000, "reduceOnly": True},
                )
                open_stops = await client.fetch_open_orders("BTC/USDT:USDT", params={"trigger": True})
                held = ex.state.futures.algos.open(ex.account, "BTCUSDT")  # the Algo Service holds it
                canceled = await client.cancel_order(stop["id"], "BTC/USDT:USDT", params={"trigger": True})
                after = await client.fetch_open_orders("BTC/USDT:USDT", params={"trigger": True})
            finally:
                await client.close()
    assert stop["status"] == "open" and stop["triggerPrice"] == 55000
    assert [o["id"] for o in open_stops] == [stop["id"]]
    assert canceled["id"] == stop["id"]
    assert after == []
    (algo,) = held
    assert str(algo.algo_id) == stop["id"] and algo.trigger_price == Decimal("55000")
    assert ex.state.futures.algos.open(ex.account, "BTCUSDT") == []  # the cancel reached it
    assert not ex.state.futures.engine.open_orders(ex.account, "BTCUSDT")  # no plain order instead
