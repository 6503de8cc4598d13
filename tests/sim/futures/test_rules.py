"""Position-side and reduce-only rules over the real server, with Binance's futures codes
and texts: hedge mode keeps LONG and SHORT apart; a reduce-only order never opens or
increases a position; conditional types are refused on /fapi/v1/order (Algo Service)."""

from __future__ import annotations

from decimal import Decimal as D

import aiohttp

from tests.sim.conftest import Api
from tests.sim.futures.futures_helpers import futures_exchange, order, position
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.sim import LocalExchange


async def test_hedge_mode_keeps_long_and_short_apart() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "5")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "59900", "5")
        mode = await api.signed("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "true"})
        assert mode.body == {"code": 200, "msg": "success"}
        assert (await api.signed("GET", "/fapi/v1/positionSide/dual")).body == {"dualSidePosition": True}
        both = await order(api, "BTCUSDT", "BUY", "0.1")
        assert both == {"code": -4061, "msg": "Order's position side does not match user's setting."}
        reduce = await order(api, "BTCUSDT", "SELL", "0.1", positionSide="LONG", reduceOnly="true")
        assert reduce["code"] == -1106
        await order(api, "BTCUSDT", "BUY", "0.3", positionSide="LONG")
        await order(api, "BTCUSDT", "SELL", "0.2", positionSide="SHORT")
        long, short = await position(api, "BTCUSDT", "LONG"), await position(api, "BTCUSDT", "SHORT")
        assert (D(long["positionAmt"]), D(long["entryPrice"])) == (D("0.3"), D("60000"))
        assert (D(short["positionAmt"]), D(short["entryPrice"])) == (D("-0.2"), D("59900"))
        # Closing LONG never touches SHORT; closing more than LONG holds is refused.
        too_much = await order(api, "BTCUSDT", "SELL", "0.4", positionSide="LONG")
        assert too_much == {"code": -2022, "msg": "ReduceOnly Order is rejected."}
        await order(api, "BTCUSDT", "SELL", "0.3", positionSide="LONG")
        assert await position(api, "BTCUSDT", "LONG") == {}
        assert D((await position(api, "BTCUSDT", "SHORT"))["positionAmt"]) == D("-0.2")
        # The mode cannot change while a position is open.
        back = await api.signed("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "false"})
        assert back.body["code"] == -4068


async def test_one_way_mode_refuses_long_and_short_sides() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "5")
        reply = await order(api, "BTCUSDT", "BUY", "0.1", positionSide="LONG")
        assert reply["code"] == -4061


async def test_reduce_only_never_opens_or_increases_a_position() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "5")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "59900", "5")
        rejected = {"code": -2022, "msg": "ReduceOnly Order is rejected."}
        assert await order(api, "BTCUSDT", "SELL", "0.1", reduceOnly="true") == rejected  # flat
        await order(api, "BTCUSDT", "BUY", "0.1")
        assert await order(api, "BTCUSDT", "BUY", "0.1", reduceOnly="true") == rejected  # same side
        assert await order(api, "BTCUSDT", "SELL", "0.2", reduceOnly="true") == rejected  # through zero
        # Two resting reduce-only orders may not together close more than the position.
        limit = {"type": "LIMIT", "price": "61000", "timeInForce": "GTC", "reduceOnly": "true"}
        first = await api.signed(
            "POST", "/fapi/v1/order", {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.1", **limit}
        )
        assert first.status == 200 and first.body["reduceOnly"] is True
        second = await api.signed(
            "POST", "/fapi/v1/order", {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.1", **limit}
        )
        assert second.body == rejected
        assert D((await position(api, "BTCUSDT"))["positionAmt"]) == D("0.1")
        # The resting one claims the whole position: a market close waits for its cancel.
        assert await order(api, "BTCUSDT", "SELL", "0.1", reduceOnly="true") == rejected
        ref = {"symbol": "BTCUSDT", "orderId": first.body["orderId"]}
        assert (await api.signed("DELETE", "/fapi/v1/order", ref)).body["status"] == "CANCELED"
        closed = await order(api, "BTCUSDT", "SELL", "0.1", reduceOnly="true", newOrderRespType="RESULT")
        assert closed["status"] == "FILLED"
        assert await position(api, "BTCUSDT") == {}


async def test_conditional_orders_belong_to_the_algo_service() -> None:
    async with futures_exchange() as (_, api):
        for kind in ("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"):
            reply = await api.signed(
                "POST",
                "/fapi/v1/order",
                {"symbol": "BTCUSDT", "side": "SELL", "type": kind, "quantity": "0.1", "stopPrice": "50000"},
            )
            assert (reply.status, reply.body) == (
                400,
                {
                    "code": -4120,
                    "msg": "Order type not supported for this endpoint. "
                    "Please use the Algo Order API endpoints instead.",
                },
            ), kind


async def test_margin_insufficient_and_post_only() -> None:
    async with futures_exchange(D("1000")) as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "5")
        # 1 BTC at 20x needs 3,000 USDT of initial margin; the wallet holds 1,000.
        assert await order(api, "BTCUSDT", "BUY", "1") == {"code": -2019, "msg": "Margin is insufficient."}
        gtx = await api.signed(
            "POST",
            "/fapi/v1/order",
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "quantity": "0.01",
                "price": "60000",
                "timeInForce": "GTX",
            },
        )
        assert gtx.body["code"] == -5022
        account = (await api.signed("GET", "/fapi/v3/account")).body
        assert D(account["totalWalletBalance"]) == D("1000") and account["positions"] == []


async def test_market_data_follows_the_futures_book() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60010", "1")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "59990", "1")
        premium = (await api.public("GET", "/fapi/v1/premiumIndex", {"symbol": "BTCUSDT"})).body
        assert D(premium["markPrice"]) == D("60000")  # the mid of 59,990 and 60,010
        assert premium["nextFundingTime"] % (8 * 3_600_000) == 0
        ack = await order(api, "BTCUSDT", "BUY", "0.5")  # newOrderRespType defaults to ACK
        assert (ack["status"], ack["executedQty"]) == ("NEW", "0")
        result = await api.signed("GET", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": ack["orderId"]})
        assert (result.body["status"], result.body["executedQty"]) == ("FILLED", "0.5")
        book = (await api.public("GET", "/fapi/v1/ticker/bookTicker", {"symbol": "BTCUSDT"})).body
        assert (D(book["bidPrice"]), D(book["askPrice"]), D(book["askQty"])) == (
            D("59990"),
            D("60010"),
            D("0.5"),
        )
        candles = (await api.public("GET", "/fapi/v1/klines", {"symbol": "BTCUSDT", "interval": "1m"})).body
        assert [(D(c[1]), D(c[5])) for c in candles] == [(D("60010"), D("0.5"))]
        depth = (await api.public("GET", "/fapi/v1/depth", {"symbol": "BTCUSDT", "limit": 5})).body
        assert depth["asks"] == [["60010.00000000", "0.50000000"]]
        spot = (await api.public("GET", "/api/v3/ticker/bookTicker", {"symbol": "BTCUSDT"})).body
        assert D(spot["askPrice"]) != D("60010")  # the spot book is another book


async def test_an_exchange_without_futures_lists_none_and_serves_none() -> None:
    async with LocalExchange(market=False, products=("spot",)) as ex, aiohttp.ClientSession() as session:
        api = Api(session, ex.rest_url, ex.api_key, HmacSigner(ex.api_secret))
        info = await api.public("GET", "/fapi/v1/exchangeInfo")
        assert info.status == 200 and info.body["symbols"] == []
        refused = await api.signed(
            "POST", "/fapi/v1/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"}
        )
        assert (refused.status, refused.body["code"]) == (404, -1020)
        assert (await api.public("GET", "/api/v3/ping")).status == 200
