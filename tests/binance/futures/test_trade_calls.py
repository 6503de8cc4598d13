"""The typed futures trading calls against the local exchange over real sockets: each answer
decodes into the client's struct (the same structs the exchange encodes with), a batch
answers each order in its place, and checks made before sending refuse bad input."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.binance.futures.futures_client_helpers import futures_client
from tradeexec.binance.errors.body import ErrorBody
from tradeexec.binance.models import (
    CountdownCancelAll,
    FuturesOrder,
    MultiAssetsMode,
    PositionMarginChange,
    PositionMarginResult,
)
from tradeexec.binance.rest.futures_trade import batch_modify, batch_order
from tradeexec.errors import InvalidParameter


async def test_batch_places_the_good_orders_and_decodes_the_bad_ones_error_in_place(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (ex, client):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        limit = {"quantity": "0.010", "time_in_force": "GTC"}
        answers = await client.futures_batch_orders(
            [
                batch_order("BTCUSDT", "BUY", "LIMIT", price="50000", new_client_order_id="good-1", **limit),
                batch_order("BTCUSDT", "BUY", "LIMIT", price="50000.05", **limit),
                batch_order(
                    "BTCUSDT",
                    "BUY",
                    "MARKET",
                    quantity="0.002",
                    new_order_resp_type="RESULT",
                    reduce_only=False,
                ),
            ]
        )
        opened = await client.futures_open_orders("BTCUSDT")
    good, bad, market = answers
    assert isinstance(good, FuturesOrder) and good.client_order_id == "good-1"
    assert bad == ErrorBody(code=-4014, msg="Price not increased by tick size.")
    assert isinstance(market, FuturesOrder) and (market.status, market.executed_qty) == ("FILLED", D("0.002"))
    assert [o.client_order_id for o in opened] == ["good-1"]


async def test_modify_keeps_the_id_and_batch_modify_and_cancel_answer_in_place(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (_ex, client):
        a = await client.futures_new_order("BTCUSDT", "BUY", "LIMIT", quantity="0.010", price="50000",
                                           time_in_force="GTC")  # fmt: skip
        moved = await client.futures_modify_order(
            "BTCUSDT", "BUY", "0.020", price="50100", order_id=a.order_id
        )
        again = await client.futures_batch_modify(
            [
                batch_modify("BTCUSDT", "BUY", "0.020", price="50100", order_id=a.order_id),
                batch_modify("BTCUSDT", "BUY", "0.020", price_match="QUEUE", order_id=a.order_id),
            ]
        )
        canceled = await client.futures_batch_cancel("BTCUSDT", order_ids=[a.order_id, 77])
    assert (moved.order_id, moved.price, moved.orig_qty) == (a.order_id, D("50100"), D("0.02"))
    assert again[0] == ErrorBody(code=-5027, msg="No need to modify the order.")
    # QUEUE: the best price of the order's own side, its own 50,100: nothing changes either.
    assert again[1] == ErrorBody(code=-5027, msg="No need to modify the order.")
    first, unknown = canceled
    assert isinstance(first, FuturesOrder) and first.status == "CANCELED"
    assert unknown == ErrorBody(code=-2011, msg="Unknown order sent.")


async def test_countdown_and_isolated_margin_decode_into_the_clients_structs(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (ex, client):
        armed = await client.futures_countdown_cancel_all("BTCUSDT", 120_000)
        ex.futures_add_liquidity("ETHUSDT", "BUY", "3000", "10")
        await client.futures_change_margin_type("ETHUSDT", "ISOLATED")
        await client.futures_new_order("ETHUSDT", "SELL", "MARKET", quantity="1")
        added = await client.futures_position_margin("ETHUSDT", "12.5", 1)
        history = await client.futures_position_margin_history("ETHUSDT")
    assert (
        armed == CountdownCancelAll(symbol="BTCUSDT", countdown_time="120000")
        and armed.countdown_ms == 120_000
    )
    assert added == PositionMarginResult(
        amount=D("12.5"), code=200, msg="Successfully modify position margin.", type=1
    )
    assert len(history) == 1 and isinstance(history[0], PositionMarginChange)
    assert (history[0].amount, history[0].type, history[0].delta_type) == (D("12.5"), 1, "USER_ADJUST")


def test_bad_batches_are_refused_before_anything_is_sent() -> None:
    with pytest.raises(InvalidParameter, match="timeInForce"):
        batch_order("BTCUSDT", "BUY", "LIMIT", quantity="1", price="1")
    with pytest.raises(InvalidParameter, match="type"):
        batch_order("BTCUSDT", "BUY", "STOP_MARKET", quantity="1")
    with pytest.raises(InvalidParameter, match="priceMatch"):
        batch_modify("BTCUSDT", "BUY", "1", price_match="BEST", order_id=1)
    with pytest.raises(InvalidParameter, match="orderId"):
        batch_modify("BTCUSDT", "BUY", "1", price="1")
    with pytest.raises(InvalidParameter, match="floats"):
        batch_order("BTCUSDT", "BUY", "MARKET", quantity=0.1)  # type: ignore[arg-type]


async def test_a_batch_of_six_is_refused_before_sending(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (_ex, client):
        one = batch_order("BTCUSDT", "BUY", "MARKET", quantity="0.001")
        with pytest.raises(InvalidParameter, match="batchOrders"):
            await client.futures_batch_orders([one] * 6)
        assert not [p for p in client.paths if p[1] == "/fapi/v1/batchOrders"]


async def test_the_multi_assets_mode_calls(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (_ex, client):
        before = await client.futures_multi_assets_mode()
        switched = await client.futures_change_multi_assets_mode(True)
        after = await client.futures_multi_assets_mode()
    assert (before, after) == (
        MultiAssetsMode(multi_assets_margin=False),
        MultiAssetsMode(multi_assets_margin=True),
    )
    assert (switched.code, switched.msg) == (200, "success")
