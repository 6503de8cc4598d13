"""Conditional orders through the Algo Service (``/fapi/v1/algoOrder``): held until the trigger
price is reached on the chosen price (mark or last trade), then sent to the book."""

from __future__ import annotations

from decimal import Decimal as D

from tests.sim.futures.futures_helpers import futures_exchange, order, position


async def test_a_stop_market_on_the_mark_price_closes_the_position_when_reached() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        await order(api, "BTCUSDT", "BUY", "0.2")
        ex.futures_cancel_all_liquidity("BTCUSDT")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "58900", "1")
        ex.futures_set_mark_price("BTCUSDT", "59500")
        stop = {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "algoType": "CONDITIONAL",
            "type": "STOP_MARKET",
            "quantity": "0.2",
            "triggerPrice": "59000",
            "workingType": "MARK_PRICE",
            "reduceOnly": "true",
        }
        placed = (await api.signed("POST", "/fapi/v1/algoOrder", stop)).body
        assert (placed["algoStatus"], placed["orderType"], placed["triggerPrice"]) == (
            "NEW",
            "STOP_MARKET",
            "59000",
        )
        assert [o["algoId"] for o in (await api.signed("GET", "/fapi/v1/openAlgoOrders")).body] == [
            placed["algoId"]
        ]
        ex.futures_set_mark_price("BTCUSDT", "59000.1")  # not yet
        assert D((await position(api, "BTCUSDT"))["positionAmt"]) == D("0.2")
        ex.futures_set_mark_price("BTCUSDT", "59000")
        assert await position(api, "BTCUSDT") == {}
        done = (await api.signed("GET", "/fapi/v1/algoOrder", {"algoId": placed["algoId"]})).body
        trades = (await api.signed("GET", "/fapi/v1/userTrades", {"symbol": "BTCUSDT"})).body
    assert done["algoStatus"] == "FINISHED" and done["triggerTime"] > 0
    assert D(trades[-1]["price"]) == D("58900") and D(trades[-1]["realizedPnl"]) == D("-220")  # 0.2 * -1,100


async def test_a_trigger_already_passed_is_refused_and_a_cancel_ends_the_order() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_set_mark_price("BTCUSDT", "60000")
        base = {"symbol": "BTCUSDT", "side": "BUY", "algoType": "CONDITIONAL", "quantity": "0.1"}
        now = {**base, "type": "TAKE_PROFIT_MARKET", "triggerPrice": "61000", "workingType": "MARK_PRICE"}
        refused = await api.signed("POST", "/fapi/v1/algoOrder", now)
        assert refused.body == {"code": -2021, "msg": "Order would immediately trigger."}
        wait = {**base, "type": "STOP_MARKET", "triggerPrice": "61000", "workingType": "MARK_PRICE"}
        placed = (await api.signed("POST", "/fapi/v1/algoOrder", wait)).body
        ref = {"symbol": "BTCUSDT", "algoId": placed["algoId"]}
        canceled = (await api.signed("DELETE", "/fapi/v1/algoOrder", ref)).body
        assert canceled == {
            "algoId": placed["algoId"],
            "clientAlgoId": placed["clientAlgoId"],
            "code": "200",
            "msg": "success",
        }
        again = await api.signed("DELETE", "/fapi/v1/algoOrder", ref)
        assert again.body["code"] == -2011
        ex.futures_set_mark_price("BTCUSDT", "62000")  # a canceled stop never fires
        assert await position(api, "BTCUSDT") == {}
