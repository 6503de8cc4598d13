"""Trailing stops (``OrderType.TRAILING_STOP_MARKET``) through the core, against the local
exchange over real sockets:

* the local exchange's Algo Service trails as Binance documents it: nothing before the
  activation price is reached, then it follows the best price (on the chosen workingType)
  and fires once the price came back ``callbackRate`` percent from it; an activation price
  already met and a callback rate out of Binance's range are refused;
* placed through ``OrderManager`` (and followed through the user stream with the poller
  slowed down) it follows the price, fires once, fills once, and the leg moves once;
* its answer lost, it is found by its ``clientAlgoId``, never placed twice, and a restart
  reads its terms back from the journal;
* its terms are checked before anything is sent or journaled, naming the field and the rule;
* a schema-3 journal opens (migrated to 4) and keeps its rows."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.futures_algo_batch_helpers import exchange_algos
from tests.adversarial.futures_algo_stream_helpers import streamed
from tests.adversarial.futures_exactly_once_helpers import SYMBOL, futures, manager, position
from tests.adversarial.futures_trailing_helpers import V3_STOP_ID, build_v3, trailing_sell
from tests.adversarial.journal_helpers import intent
from tests.adversarial.resend_helpers import resolution_over, wait_for
from tradeexec.binance.venue import SpotVenue
from tradeexec.errors import BinanceAPIError, InvalidParameter
from tradeexec.execution.journal.schema import SCHEMA_VERSION
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.sim.faults import FaultKind
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.vocab import OrderType, Side

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(60)]

D = Decimal
WAIT = 10.0
ALGO_PATH = "/fapi/v1/algoOrder"


async def test_the_local_algo_service_trails_the_mark_price(tmp_path: Path) -> None:
    async with futures(tmp_path) as f:
        f.ex.futures_set_mark_price(SYMBOL, "60000")

        async def trailing(side: str, activation: str, cid: str) -> None:
            await f.client.futures_new_algo_order(
                SYMBOL, side, "TRAILING_STOP_MARKET", quantity=D("0.1"), callback_rate=D("1"),
                activate_price=D(activation), working_type="MARK_PRICE", client_algo_id=cid,
            )  # fmt: skip

        def status(cid: str) -> str:
            return exchange_algos(f.ex, cid)[0].status

        await trailing("SELL", "60500", "trail-sell")
        f.ex.futures_set_mark_price(SYMBOL, "59000")  # 1.7% down, but not active yet
        assert status("trail-sell") == "NEW"
        for mark in ("60600", "61000", "60400"):  # active at 60600, best 61000, 60390 is 1% back
            f.ex.futures_set_mark_price(SYMBOL, mark)
            assert status("trail-sell") == "NEW", mark
        f.ex.futures_set_mark_price(SYMBOL, "60390")
        assert status("trail-sell") == "FINISHED"
        assert position(f.ex) == D("-0.1")  # one market sell at the bid, once

        await trailing("BUY", "60000", "trail-buy")  # the mirror: lowest price, then 1% up
        for mark in ("59900", "59000", "59580"):
            f.ex.futures_set_mark_price(SYMBOL, mark)
            assert status("trail-buy") == "NEW", mark
        f.ex.futures_set_mark_price(SYMBOL, "59590")
        assert status("trail-buy") == "FINISHED"
        assert position(f.ex) == 0

        with pytest.raises(BinanceAPIError) as met:  # a SELL's activation below the market
            await trailing("SELL", "59000", "trail-met")
        assert met.value.code == -2021
        with pytest.raises(BinanceAPIError) as rate:
            await f.client.request(
                "POST", ALGO_PATH,
                {"algoType": "CONDITIONAL", "symbol": SYMBOL, "side": "SELL", "type": "TRAILING_STOP_MARKET",
                 "quantity": "0.1", "callbackRate": "20.5"},
            )  # fmt: skip
        assert rate.value.code == -1102 and "callbackRate" in rate.value.msg


async def test_a_trailing_stop_through_the_manager_follows_fires_and_fills_once(tmp_path: Path) -> None:
    async with futures(tmp_path) as f:
        f.ex.futures_cancel_all_liquidity(SYMBOL)
        for side, price, qty in (
            ("SELL", "60000", "0.3"),
            ("SELL", "60500", "0.1"),
            ("SELL", "61000", "0.1"),
        ):
            f.ex.futures_add_liquidity(SYMBOL, side, price, qty)
        f.ex.futures_add_liquidity(SYMBOL, "BUY", "59990", "1")
        async with streamed(f, tmp_path / "j.sqlite") as s:
            om, leg = s.om, s.om.positions.legs.leg(SYMBOL, PositionLeg.BOTH)

            async def market(side: Side, qty: str) -> None:
                order = await om.submit(OrderIntent(SYMBOL, side, OrderType.MARKET, quantity=D(qty)))
                await wait_for(f"{side} {qty}", lambda: order.filled_qty == D(qty), WAIT)

            await market(Side.BUY, "0.3")  # long 0.3 at 60000
            stop = await om.submit(trailing_sell("1", activation="60400"))
            assert stop.state is OrderState.NEW
            await market(Side.BUY, "0.1")  # 60500: active
            await market(Side.BUY, "0.1")  # 61000: the best; it fires at 60390 or lower
            (algo,) = exchange_algos(f.ex)
            assert algo.status == "NEW" and algo.best == D(61000)
            await market(Side.SELL, "0.1")  # 59990: 1.7% back from 61000 (not from 60500: 59895)
            await wait_for("the stop's fill", lambda: stop.state is OrderState.FILLED, WAIT)
            (algo,) = exchange_algos(f.ex)
            assert algo.status == "FINISHED" and stop.order_id == algo.actual_order_id
            assert [(x.last_qty, x.last_price) for x in stop.fills] == [(D("0.1"), D(59990))]
            await wait_for("the leg", lambda: leg.quantity == D("0.3"), WAIT)
            assert position(f.ex) == D("0.3")
            stored = om.journal.intent(stop.client_order_id)
            assert stored is not None and (stored.callback_rate, stored.activation_price) == (D(1), D(60400))


async def test_a_lost_trailing_stop_answer_is_resolved_by_its_client_algo_id(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    async with futures(tmp_path) as f:
        f.ex.futures_add_liquidity(SYMBOL, "SELL", "60000", "1")
        async with manager(f.venue, path) as first:
            opening = await first.submit(OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=D("0.2")))
            await wait_for("the long", lambda: opening.filled_qty == D("0.2"), WAIT)
            f.ex.faults.inject(FaultKind.LOST_RESPONSE, ALGO_PATH, count=1)
            stop = await first.submit(trailing_sell("2.5", activation="60100"))
            await resolution_over(stop, WAIT)
            assert stop.state is OrderState.NEW and stop.place_attempts == 1
            (only,) = exchange_algos(f.ex, stop.client_order_id)
            assert (only.callback_rate, only.activation_price) == (D("2.5"), D(60100))
            assert stop.order_id == only.algo_id and len(exchange_algos(f.ex)) == 1
        f.ex.faults.inject(FaultKind.LOST_RESPONSE, ALGO_PATH, count=1)
        async with manager(f.venue, path) as again:  # the restart reads the terms back
            found = again.order(stop.client_order_id)
            assert found is not None and found.state is OrderState.NEW
            assert (found.intent.callback_rate, found.intent.activation_price) == (D("2.5"), D(60100))
            assert len(exchange_algos(f.ex)) == 1


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"callback_rate": D("0.05")}, "callback_rate", "0.1 to 20 percent"),
        ({"callback_rate": D("20.1")}, "callback_rate", "0.1 to 20 percent"),
        ({"callback_rate": 1.5}, "callbackRate", "floats are refused"),
        ({"callback_rate": None}, "callback_rate", "needs one"),
        ({"activation_price": D("-1")}, "activationPrice", "positive"),
        ({"type": OrderType.MARKET}, "callback_rate", "only a TRAILING_STOP_MARKET order trails"),
        ({"type": OrderType.MARKET, "callback_rate": None}, "activation_price", "only a TRAILING"),
    ],
)
async def test_trailing_terms_are_checked_before_anything_is_sent(
    tmp_path: Path, change: dict[str, object], field: str, rule: str
) -> None:
    bad = replace(trailing_sell("1", activation="60500"), **change)  # type: ignore[arg-type]
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        with pytest.raises(InvalidParameter) as refused:
            await om.submit(bad)
        assert refused.value.field == field and rule in str(refused.value)
        assert om.journal.intents() == [] and exchange_algos(f.ex) == []


def test_spot_refuses_a_trailing_stop_market_naming_what_spot_has() -> None:
    venue = SpotVenue.__new__(SpotVenue)
    order = OrderIntent(
        SYMBOL, Side.SELL, OrderType.TRAILING_STOP_MARKET, quantity=D("0.1"), callback_rate=D(1)
    )
    with pytest.raises(InvalidParameter) as refused:
        venue.check_order(order)
    assert refused.value.field == "type" and "trailingDelta" in refused.value.rule


def test_a_schema_3_journal_opens_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    build_v3(path)
    with Journal(path) as journal:
        spot, stop = journal.intents()
        assert journal.state(spot.client_order_id).state is OrderState.FILLED  # type: ignore[union-attr]
        assert len(journal.fills(spot.client_order_id)) == 1
        assert stop.client_order_id == V3_STOP_ID and stop.stop_price == D(58000)
        assert (stop.reduce_only, stop.position_leg) == (True, PositionLeg.BOTH)
        assert (stop.callback_rate, stop.activation_price) == (None, None)
        assert journal.derive(stop).state is OrderState.UNKNOWN  # sent, never answered: looked up
        trail = journal.record_intent(
            replace(
                intent(3), type=OrderType.TRAILING_STOP_MARKET, callback_rate=D("0.3"), activation_price=D(1)
            )
        )
    with Journal(path) as journal:
        assert journal.intents()[2] == trail
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    finally:
        conn.close()
