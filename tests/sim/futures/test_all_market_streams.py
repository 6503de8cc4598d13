"""USDⓈ-M all-market streams over real sockets, each on the route Binance serves it on
(``!bookTicker`` on ``/public``, the rest on ``/market``), each decoded by the client.

* ``!markPrice@arr`` and ``@1s`` carry every contract's mark price, as ``premiumIndex`` says.
* ``!ticker@arr`` and ``!miniTicker@arr`` carry the contracts that traded.
* ``!bookTicker`` carries each contract's top of book; ``!forceOrder@arr`` a liquidation.
* On the wrong route each is accepted and never delivers.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D

import aiohttp
import msgspec

from tests.sim.futures.futures_helpers import futures_exchange, order
from tests.sim.futures.market_stream_helpers import WAIT, events_until
from tradeexec.binance.models import MiniTickerEvent
from tradeexec.binance.models.futures_market_events import (
    FUTURES_ARRAY_DECODER,
    ForceOrderEvent,
    FuturesArrayItem,
    FuturesBookTickerEvent,
    FuturesTickerEvent,
    MarkPriceEvent,
)


async def _next_array(ws: aiohttp.ClientWebSocketResponse, timeout: float = WAIT) -> list[FuturesArrayItem]:
    msg = await asyncio.wait_for(ws.receive(), timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return FUTURES_ARRAY_DECODER.decode(msg.data)


async def test_all_mark_prices_list_every_contract_as_premium_index_does() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_set_mark_price("BTCUSDT", "61234.5")
        ex.futures_set_mark_price("ETHUSDT", "3012.25")
        contracts = sorted(ex.state.futures.contracts)
        for stream in ("!markPrice@arr@1s", "!markPrice@arr"):
            async with api.session.ws_connect(f"{ex.ws_url}/market/ws/{stream}") as ws:
                got = await _next_array(ws, 5)
            assert all(isinstance(e, MarkPriceEvent) for e in got)
            assert [e.symbol for e in got] == contracts, stream
        rest = {r["symbol"]: r for r in (await api.public("GET", "/fapi/v1/premiumIndex", {})).body}
    marks = {e.symbol: e for e in got if isinstance(e, MarkPriceEvent)}
    assert marks["BTCUSDT"].mark_price == D("61234.5") and marks["ETHUSDT"].mark_price == D("3012.25")
    for symbol, ev in marks.items():
        assert ev.mark_price == D(rest[symbol]["markPrice"])
        assert ev.funding_rate == D(rest[symbol]["lastFundingRate"])


async def test_all_tickers_carry_the_contract_that_traded() -> None:
    async with futures_exchange() as (ex, api):
        url = f"{ex.ws_url}/market/stream?streams=!ticker@arr/!miniTicker@arr"
        async with api.session.ws_connect(url) as ws:
            ex.futures_add_liquidity("ETHUSDT", "SELL", "3000", "5")
            await order(api, "ETHUSDT", "BUY", "2")
            seen: dict[str, list[FuturesArrayItem]] = {}
            deadline = time.monotonic() + WAIT
            while len(seen) < 2:
                assert time.monotonic() < deadline, seen.keys()
                msg = await asyncio.wait_for(ws.receive(), deadline - time.monotonic())
                frame = msgspec.json.decode(msg.data)
                seen[frame["stream"]] = FUTURES_ARRAY_DECODER.decode(msgspec.json.encode(frame["data"]))
            rest = (await api.public("GET", "/fapi/v1/ticker/24hr", {"symbol": "ETHUSDT"})).body
    (full,) = seen["!ticker@arr"]
    (mini,) = seen["!miniTicker@arr"]
    assert isinstance(full, FuturesTickerEvent) and isinstance(mini, MiniTickerEvent)
    assert full.symbol == mini.symbol == "ETHUSDT"
    assert full.close == mini.close == D(rest["lastPrice"]) == D("3000")
    assert full.last_qty == D("2")


async def test_all_book_tickers_on_public_and_liquidations_on_market() -> None:
    async with futures_exchange() as (ex, api):
        await api.signed("POST", "/fapi/v1/marginType", {"symbol": "ETHUSDT", "marginType": "ISOLATED"})
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": 20})
        books = await api.session.ws_connect(f"{ex.ws_url}/public/ws/!bookTicker")
        force = await api.session.ws_connect(f"{ex.ws_url}/market/ws/!forceOrder@arr")
        try:
            ex.futures_add_liquidity("BTCUSDT", "BUY", "59000", "1")
            ex.futures_add_liquidity("ETHUSDT", "BUY", "3000", "10")
            tops = await events_until(books, lambda got: {e.symbol for e in got} >= {"BTCUSDT", "ETHUSDT"})
            await order(api, "ETHUSDT", "SELL", "2")
            ex.futures_set_mark_price("ETHUSDT", "3134.33")  # liquidates the isolated short
            (liq,) = await events_until(force, lambda got: len(got) >= 1)
        finally:
            await books.close()
            await force.close()
    assert all(isinstance(e, FuturesBookTickerEvent) for e in tops)
    btc = next(e for e in tops if isinstance(e, FuturesBookTickerEvent) and e.symbol == "BTCUSDT")
    assert (btc.bid_price, btc.bid_qty) == (D("59000"), D("1"))
    assert isinstance(liq, ForceOrderEvent)
    assert (liq.order.symbol, liq.order.side, liq.order.quantity) == ("ETHUSDT", "BUY", D("2"))


async def test_an_all_market_stream_on_the_wrong_route_never_delivers() -> None:
    async with futures_exchange() as (ex, api):
        wrong = await api.session.ws_connect(f"{ex.ws_url}/public/ws/!markPrice@arr@1s")
        right = await api.session.ws_connect(f"{ex.ws_url}/market/ws/!markPrice@arr@1s")
        try:
            await _next_array(right)
            await _next_array(right)  # two ticks have passed
            await wrong.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 1})
            reply = await asyncio.wait_for(wrong.receive_json(), WAIT)  # the next frame
        finally:
            await wrong.close()
            await right.close()
    assert reply == {"result": ["!markPrice@arr@1s"], "id": 1}
