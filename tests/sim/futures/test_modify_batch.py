"""Modify order (``PUT /fapi/v1/order``) and batches (``POST/PUT/DELETE /fapi/v1/batchOrders``)
over the real server, with the rules of Binance's "Modify Order", "Place Multiple Orders",
"Modify Multiple Orders" and "Cancel Multiple Orders" pages and the texts of its error list."""

from __future__ import annotations

import json
from decimal import Decimal as D
from typing import Any

from tests.sim.conftest import Api
from tests.sim.futures.futures_helpers import futures_exchange, order, position

LIMIT = {"symbol": "BTCUSDT", "type": "LIMIT", "timeInForce": "GTC"}


async def _limit(api: Api, side: str, price: str, qty: str, **extra: Any) -> dict[str, Any]:
    reply = await api.signed(
        "POST", "/fapi/v1/order", {**LIMIT, "side": side, "price": price, "quantity": qty, **extra}
    )
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.body
    return body


def _modify(order_id: int, side: str, price: str, qty: str) -> dict[str, object]:
    return {"symbol": "BTCUSDT", "orderId": order_id, "side": side, "price": price, "quantity": qty}


async def test_modify_changes_price_and_quantity_keeps_ids_and_moves_the_order_in_the_book() -> None:
    async with futures_exchange() as (_ex, api):
        placed = await _limit(api, "BUY", "50000", "0.010", newClientOrderId="mine-1")
        moved = await api.signed("PUT", "/fapi/v1/order", _modify(placed["orderId"], "BUY", "50100", "0.020"))
        depth = (await api.public("GET", "/fapi/v1/depth", {"symbol": "BTCUSDT"})).body
        got = (
            await api.signed("GET", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": placed["orderId"]})
        ).body
    assert moved.status == 200, moved.body
    assert (moved.body["orderId"], moved.body["clientOrderId"]) == (placed["orderId"], "mine-1")
    assert (D(moved.body["price"]), D(moved.body["origQty"]), moved.body["status"]) == (
        D("50100"),
        D("0.02"),
        "NEW",
    )
    assert (D(got["price"]), D(got["origQty"])) == (D("50100"), D("0.02"))
    assert [(D(p), D(q)) for p, q in depth["bids"]] == [(D("50100"), D("0.02"))]  # 50,000 left the book


async def test_modify_to_a_crossing_price_trades_at_once_under_the_same_id() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        placed = await _limit(api, "BUY", "59000", "0.010")
        moved = await api.signed("PUT", "/fapi/v1/order", _modify(placed["orderId"], "BUY", "60000", "0.010"))
        pos = await position(api, "BTCUSDT")
    assert (moved.body["orderId"], moved.body["status"]) == (placed["orderId"], "FILLED")
    assert D(pos["positionAmt"]) == D("0.01") and D(pos["entryPrice"]) == D("60000")


async def test_modify_refusals_leave_the_order_as_it_was() -> None:
    async with futures_exchange() as (_ex, api):
        placed = await _limit(api, "SELL", "70000", "0.010")
        oid = placed["orderId"]
        same = await api.signed("PUT", "/fapi/v1/order", _modify(oid, "SELL", "70000", "0.010"))
        tick = await api.signed("PUT", "/fapi/v1/order", _modify(oid, "SELL", "70000.05", "0.010"))
        side = await api.signed("PUT", "/fapi/v1/order", _modify(oid, "BUY", "70100", "0.010"))
        both = await api.signed(
            "PUT", "/fapi/v1/order", {**_modify(oid, "SELL", "70100", "0.010"), "priceMatch": "QUEUE"}
        )
        got = (await api.signed("GET", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": oid})).body
    assert (same.status, same.body) == (400, {"code": -5027, "msg": "No need to modify the order."})
    assert (tick.status, tick.body) == (400, {"code": -4014, "msg": "Price not increased by tick size."})
    assert (side.status, side.body) == (400, {"code": -1117, "msg": "Invalid side."})
    assert (both.status, both.body["code"]) == (400, -1106)
    assert (D(got["price"]), D(got["origQty"]), got["status"]) == (D("70000"), D("0.01"), "NEW")


async def test_modify_of_a_filled_or_canceled_order_answers_order_does_not_exist() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        filled = await _limit(api, "BUY", "60000", "0.010", newOrderRespType="RESULT")
        canceled = await _limit(api, "BUY", "50000", "0.010")
        await api.signed("DELETE", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": canceled["orderId"]})
        answers = [
            await api.signed("PUT", "/fapi/v1/order", _modify(o["orderId"], "BUY", "50500", "0.010"))
            for o in (filled, canceled)
        ]
        unknown = await api.signed("PUT", "/fapi/v1/order", _modify(999_999, "BUY", "50500", "0.010"))
    assert filled["status"] == "FILLED"
    for reply in (*answers, unknown):
        assert (reply.status, reply.body) == (400, {"code": -2013, "msg": "Order does not exist."})


async def test_modify_to_a_quantity_at_or_below_what_executed_cancels_the_order() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "0.004")
        placed = await _limit(api, "BUY", "60000", "0.010")  # 0.004 fills, 0.006 rests
        moved = await api.signed("PUT", "/fapi/v1/order", _modify(placed["orderId"], "BUY", "59000", "0.004"))
        opened = (await api.signed("GET", "/fapi/v1/openOrders", {"symbol": "BTCUSDT"})).body
    assert moved.status == 200, moved.body
    assert (moved.body["status"], D(moved.body["executedQty"])) == ("CANCELED", D("0.004"))
    assert opened == []


async def test_modify_of_a_post_only_order_to_a_taking_price_cancels_it() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        placed = await _limit(api, "BUY", "59000", "0.010", timeInForce="GTX")
        moved = await api.signed("PUT", "/fapi/v1/order", _modify(placed["orderId"], "BUY", "60000", "0.010"))
        pos = await position(api, "BTCUSDT")
    assert (moved.body["orderId"], moved.body["status"]) == (placed["orderId"], "CANCELED")
    assert not pos or D(pos["positionAmt"]) == 0


async def test_batch_with_one_bad_order_places_the_others_and_answers_the_error_in_its_place() -> None:
    async with futures_exchange() as (ex, api):
        ex.state.clock.freeze()
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        batch = [
            {**LIMIT, "side": "BUY", "price": "50000", "quantity": "0.010", "newClientOrderId": "b-1"},
            {**LIMIT, "side": "BUY", "price": "50000.05", "quantity": "0.010"},  # off the 0.10 tick
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "MARKET",
                "quantity": "0.020",
                "newOrderRespType": "RESULT",
            },
        ]
        # In the body: aiohttp would unquote the query's "," and ":" after it was signed.
        reply = await api.signed(
            "POST", "/fapi/v1/batchOrders", {"batchOrders": json.dumps(batch)}, in_body=True
        )
        opened = (await api.signed("GET", "/fapi/v1/openOrders", {"symbol": "BTCUSDT"})).body
        pos = await position(api, "BTCUSDT")
    assert reply.status == 200, reply.body
    first, bad, market = reply.body
    assert (first["clientOrderId"], first["status"]) == ("b-1", "NEW")
    assert bad == {"code": -4014, "msg": "Price not increased by tick size."}
    assert (market["status"], D(market["executedQty"])) == ("FILLED", D("0.02"))
    assert [o["clientOrderId"] for o in opened] == ["b-1"]
    assert D(pos["positionAmt"]) == D("0.02")
    # One batch counts 5 on the 10-second order window and 1 on the minute one.
    assert (reply.headers["X-MBX-ORDER-COUNT-10S"], reply.headers["X-MBX-ORDER-COUNT-1M"]) == ("5", "1")


async def test_batch_takes_one_to_five_orders_of_valid_json() -> None:
    async with futures_exchange() as (_ex, api):
        one = {**LIMIT, "side": "BUY", "price": "50000", "quantity": "0.001"}
        six = await api.signed(
            "POST", "/fapi/v1/batchOrders", {"batchOrders": json.dumps([one] * 6)}, in_body=True
        )
        broken = await api.signed("POST", "/fapi/v1/batchOrders", {"batchOrders": "[{"}, in_body=True)
        opened = (await api.signed("GET", "/fapi/v1/openOrders", {"symbol": "BTCUSDT"})).body
    invalid = {"code": -1130, "msg": "Data sent for parameter 'batchOrders' is not valid."}
    assert (six.status, six.body) == (400, invalid)
    assert (broken.status, broken.body) == (400, invalid)
    assert opened == []


async def test_batch_modify_and_batch_cancel_answer_each_order_in_its_place() -> None:
    async with futures_exchange() as (_ex, api):
        a = await _limit(api, "BUY", "50000", "0.010")
        b = await _limit(api, "BUY", "50100", "0.010")
        mods = [
            {
                "symbol": "BTCUSDT",
                "orderId": str(a["orderId"]),
                "side": "BUY",
                "price": "50200",
                "quantity": "0.010",
            },
            {
                "symbol": "BTCUSDT",
                "orderId": str(b["orderId"]),
                "side": "BUY",
                "price": "50100",
                "quantity": "0.010",
            },
        ]
        modified = await api.signed(
            "PUT", "/fapi/v1/batchOrders", {"batchOrders": json.dumps(mods)}, in_body=True
        )
        ids = json.dumps([a["orderId"], 424242, b["orderId"]], separators=(",", ":"))
        canceled = await api.signed(
            "DELETE", "/fapi/v1/batchOrders", {"symbol": "BTCUSDT", "orderIdList": ids}, in_body=True
        )
        opened = (await api.signed("GET", "/fapi/v1/openOrders", {"symbol": "BTCUSDT"})).body
    assert modified.status == 200, modified.body
    assert (modified.body[0]["orderId"], D(modified.body[0]["price"])) == (a["orderId"], D("50200"))
    assert modified.body[1] == {"code": -5027, "msg": "No need to modify the order."}
    assert canceled.status == 200, canceled.body
    assert [c.get("status") for c in canceled.body] == ["CANCELED", None, "CANCELED"]
    assert canceled.body[1] == {"code": -2011, "msg": "Unknown order sent."}
    assert opened == []


async def test_modify_counts_one_order_on_both_windows() -> None:
    async with futures_exchange() as (ex, api):
        ex.state.clock.freeze()
        placed = await _limit(api, "BUY", "50000", "0.010")
        moved = await api.signed("PUT", "/fapi/v1/order", _modify(placed["orderId"], "BUY", "50100", "0.010"))
    assert (moved.headers["X-MBX-ORDER-COUNT-10S"], moved.headers["X-MBX-ORDER-COUNT-1M"]) == ("2", "2")


async def test_a_modified_order_loses_its_place_in_the_queue() -> None:
    """Two resting bids at one price; the first is modified (quantity only): a seller now
    meets the second first."""
    async with futures_exchange(wallet=D("100000")) as (ex, api):
        first = await _limit(api, "BUY", "50000", "0.010", newClientOrderId="first")
        await _limit(api, "BUY", "50000", "0.010", newClientOrderId="second")
        await api.signed("PUT", "/fapi/v1/order", _modify(first["orderId"], "BUY", "50000", "0.020"))
        ex.state.futures.add_liquidity("BTCUSDT", _sell(), D("50000"), D("0.010"), ex.state.now_ms())
        opened = (await api.signed("GET", "/fapi/v1/openOrders", {"symbol": "BTCUSDT"})).body
    assert {o["clientOrderId"]: o["status"] for o in opened} == {"first": "NEW"}


def _sell() -> Any:
    from tradeexec.binance.enums import Side

    return Side.SELL


async def test_market_order_helper_still_places() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        assert (await order(api, "BTCUSDT", "BUY", "0.001"))["status"] == "NEW"


async def test_price_match_takes_the_books_price_and_refuses_what_it_cannot_match() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "BUY", "49000", "1")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "48000", "1")
        placed = await _limit(api, "BUY", "40000", "0.010")
        queue_2 = {"symbol": "BTCUSDT", "orderId": placed["orderId"], "side": "BUY", "quantity": "0.010"}
        moved = await api.signed("PUT", "/fapi/v1/order", {**queue_2, "priceMatch": "QUEUE"})
        second = await api.signed("PUT", "/fapi/v1/order", {**queue_2, "priceMatch": "QUEUE_2"})
        bad = await api.signed("PUT", "/fapi/v1/order", {**queue_2, "priceMatch": "BEST"})
        empty = await api.signed("PUT", "/fapi/v1/order", {**queue_2, "priceMatch": "OPPONENT"})
    assert D(moved.body["price"]) == D("49000")  # QUEUE: the best bid
    assert second.body == {"code": -5037, "msg": "Invalid price match"}  # 5, 10 or 20 levels only
    assert bad.body == {"code": -5037, "msg": "Invalid price match"}
    assert empty.body == {"code": -5041, "msg": "No depth matches this BBO order"}
