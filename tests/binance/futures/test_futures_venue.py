"""``FuturesVenue`` against the local exchange over real sockets: the rules read from futures
exchangeInfo, the order shapes refused before anything is sent, orders placed, looked up,
cancelled and listed through ``/fapi`` only, the wallet, positions from positionRisk v3, the
position mode, leverage and margin type, algo orders cancelled, and the duplicate client
order ID as the neutral ``DuplicateOrderId``."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.binance.futures.futures_venue_helpers import futures_venue, intent
from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.errors import DuplicateOrderId, InvalidParameter, OrderNotFound, OrderRejectedLocally
from tradeexec.venue.positions import MarginMode, PositionLeg
from tradeexec.venue.protocol import DerivativesVenue
from tradeexec.venue.rules import MarketFigures
from tradeexec.venue.vocab import OrderStatus, OrderType, Side


def test_it_is_a_derivatives_venue() -> None:
    venue: DerivativesVenue = FuturesVenue.__new__(FuturesVenue)  # mypy checks the protocol here
    extra = ("positions", "cancel_conditional", "open_conditional")
    assert all(callable(getattr(venue, name)) for name in extra)


async def test_rules_come_from_futures_exchange_info(tmp_path: Path) -> None:
    async with futures_venue(tmp_path) as (_ex, client, venue):
        rules = (await venue.rules())["BTCUSDT"]
    assert rules.price_tick == D("0.10") and rules.qty_step == D("0.001")
    assert rules.round_price(D("60000.17")) == D("60000.1")
    assert rules.needs_average_price is False
    at = MarketFigures(last_price=D("60000"))
    # MIN_NOTIONAL's ``notional`` (100 USDT on the local BTCUSDT): 0.001 x 60000 = 60 is short.
    with pytest.raises(OrderRejectedLocally) as info:
        rules.validate_order(intent(Side.BUY, "0.001", "60000"), at)
    assert "NOTIONAL" in str(info.value)
    rules.validate_order(intent(Side.BUY, "0.002", "60000"), at)
    # A reduce-only close is exempt from MIN_NOTIONAL (-4164: "unless you choose reduce only"):
    # never refused, nor counted as dust, for being small.
    small_close = intent(Side.SELL, "0.001", "60000", reduce_only=True)
    rules.validate_order(small_close, at)
    assert rules.below_minimum(small_close, at) is None
    assert rules.below_minimum(intent(Side.SELL, "0.001", "60000"), at) is not None
    with pytest.raises(OrderRejectedLocally, match="LOT_SIZE"):  # the other rules still hold
        rules.validate_order(intent(Side.SELL, "0.0001", "60000", reduce_only=True), at)
    # PERCENT_PRICE (x1.05 of the reference price).
    with pytest.raises(OrderRejectedLocally, match="PERCENT_PRICE"):
        rules.validate_order(intent(Side.SELL, "0.01", "64000"), at)
    assert all(path.startswith("/fapi/") for _m, path in client.paths)


@pytest.mark.parametrize(
    ("order", "field"),
    [
        # Conditional types go to the Algo Service, in their shapes: a time in force for the
        # limit ones, a stop price (the trigger) for all.
        (intent(Side.BUY, "0.01", "60000", kind=OrderType.STOP_LOSS_LIMIT), "timeInForce"),
        (intent(Side.BUY, "0.01", kind=OrderType.TAKE_PROFIT), "stopPrice"),
        (intent(Side.BUY, "0.01", kind=OrderType.LIMIT), "price"),
        (intent(Side.BUY, "0.01", "60000", kind=OrderType.MARKET), "price"),
        (intent(Side.BUY, "0.01", "60000", leg="LONG"), "position_leg"),  # type: ignore[arg-type]
    ],
)
async def test_shapes_futures_refuse_are_refused_naming_the_field(order: object, field: str) -> None:
    venue = FuturesVenue.__new__(FuturesVenue)
    venue._hedge = None
    with pytest.raises(InvalidParameter) as info:
        venue.check_order(order)  # type: ignore[arg-type]
    assert info.value.field == field
    if field == "type":
        assert "Algo Service" in str(info.value)


async def test_legs_are_held_to_the_position_mode_before_sending(tmp_path: Path) -> None:
    async with futures_venue(tmp_path) as (_ex, client, venue):
        await venue.rules()  # reads the mode too: the core reads the rules before any order
        with pytest.raises(InvalidParameter, match="one-way"):
            venue.check_order(intent(Side.BUY, "0.01", "60000", leg=PositionLeg.SHORT))
        assert await venue.hedge_mode() is False
        venue.check_order(intent(Side.BUY, "0.01", "60000", leg=PositionLeg.BOTH))
        venue.check_order(intent(Side.BUY, "0.01", "60000"))
        with pytest.raises(InvalidParameter, match="one-way") as info:
            venue.check_order(intent(Side.BUY, "0.01", "60000", leg=PositionLeg.LONG))
        assert info.value.field == "position_leg"
        await client.request("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "true"})
        assert await venue.hedge_mode() is True
        with pytest.raises(InvalidParameter, match="hedge mode"):
            venue.check_order(intent(Side.BUY, "0.01", "60000"))
        venue.check_order(intent(Side.SELL, "0.01", "60000", leg=PositionLeg.LONG, reduce_only=True))
        with pytest.raises(InvalidParameter) as opens:
            venue.check_order(intent(Side.BUY, "0.01", "60000", leg=PositionLeg.LONG, reduce_only=True))
        assert opens.value.field == "reduce_only"


async def test_an_order_lives_through_the_venue(tmp_path: Path) -> None:
    async with futures_venue(tmp_path) as (_ex, client, venue):
        order = intent(Side.BUY, "0.01", "59000")
        answer = await venue.place(order)
        assert answer.status is OrderStatus.NEW and answer.fills == ()
        seen = await venue.lookup("BTCUSDT", order.client_order_id)
        assert (seen.order_id, seen.status, seen.quantity, seen.price) == (
            answer.order_id,
            OrderStatus.NEW,
            D("0.01"),
            D("59000"),
        )
        assert [o.client_order_id for o in await venue.open_orders("BTCUSDT")] == [order.client_order_id]
        with pytest.raises(DuplicateOrderId):
            await venue.place(intent(Side.BUY, "0.01", "59000", cid=order.client_order_id))
        cancelled = await venue.cancel("BTCUSDT", order.client_order_id)
        assert cancelled.status is OrderStatus.CANCELED and cancelled.order_id == answer.order_id
        with pytest.raises(OrderNotFound):
            await venue.lookup("BTCUSDT", "fv-never-sent")
        listed = await venue.recent_orders("BTCUSDT", limit=10)
        assert [o.client_order_id for o in listed] == [order.client_order_id]
        assert listed[0].status is OrderStatus.CANCELED
    assert all(path.startswith(("/fapi/", "/sapi/")) for _m, path in client.paths)


async def test_post_only_is_sent_as_gtx(tmp_path: Path) -> None:
    async with futures_venue(tmp_path) as (ex, _client, venue):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        # It would take the ask: Binance refuses a post-only (GTX) order that would.
        with pytest.raises(Exception, match="Post Only"):
            await venue.place(intent(Side.BUY, "0.01", "60000", kind=OrderType.LIMIT_MAKER))
        maker = intent(Side.BUY, "0.01", "59000", kind=OrderType.LIMIT_MAKER)
        assert (await venue.place(maker)).status is OrderStatus.NEW
        assert (await venue.lookup("BTCUSDT", maker.client_order_id)).type is OrderType.LIMIT_MAKER


async def test_a_fill_moves_the_position_and_the_trades(tmp_path: Path) -> None:
    async with futures_venue(tmp_path) as (ex, _client, venue):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        assert await venue.set_leverage("BTCUSDT", 5) > 0
        order = intent(Side.BUY, "0.1")
        answer = await venue.place(order)
        assert (answer.status, answer.executed_qty, answer.cumulative_quote) == (
            OrderStatus.FILLED,
            D("0.1"),
            D("6000"),
        )
        trades = await venue.recent_trades("BTCUSDT", order_id=answer.order_id)
        assert [(t.price, t.qty, t.order_id) for t in trades] == [(D("60000"), D("0.1"), answer.order_id)]
        assert trades[0].commission > 0 and trades[0].commission_asset == "USDT"
        assert trades[0].realized_pnl == 0  # an opening fill realizes nothing
        (leg,) = [p for p in await venue.positions("BTCUSDT") if p.quantity]
        assert (leg.symbol, leg.leg, leg.quantity, leg.entry_price, leg.leverage) == (
            "BTCUSDT",
            PositionLeg.BOTH,
            D("0.1"),
            D("60000"),
            D(5),
        )
        assert leg.margin_mode is MarginMode.CROSSED and leg.margin_asset == "USDT"
        wallet = {b.asset: b for b in (await venue.balances()).balances}["USDT"]
        # free is what new margin may use: the wallet less the position's margin (6000 / 5).
        assert wallet.free < D("10000") - D("1000") and wallet.locked >= D("1200") - D(1)
        marks = await venue.mark_prices(["BTCUSDT", "ETHUSDT"])
        assert marks["BTCUSDT"] > 0 and set(marks) <= {"BTCUSDT", "ETHUSDT"}
        assert (await venue.last_prices(["BTCUSDT"])) == {"BTCUSDT": D("60000")}
        assert await venue.average_price("BTCUSDT") is None


async def test_a_reduce_only_close_never_opens_the_other_way(tmp_path: Path) -> None:
    async with futures_venue(tmp_path) as (ex, _client, venue):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "59990", "1")
        await venue.place(intent(Side.BUY, "0.1"))
        # Selling more than held, reduce-only: the exchange refuses it (the flag went out).
        with pytest.raises(Exception, match="ReduceOnly"):
            await venue.place(intent(Side.SELL, "0.2", reduce_only=True))
        close = await venue.place(intent(Side.SELL, "0.1", reduce_only=True))
        assert [p for p in await venue.positions("BTCUSDT") if p.quantity] == []
        (trade,) = await venue.recent_trades("BTCUSDT", order_id=close.order_id)
        assert trade.realized_pnl == D("-1")  # 0.1 x (59990 - 60000)


async def test_hedge_mode_closes_a_leg_without_the_refused_flag(tmp_path: Path) -> None:
    async with futures_venue(tmp_path) as (ex, client, venue):
        await client.request("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "true"})
        await venue.hedge_mode()
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "59990", "1")
        await venue.place(intent(Side.BUY, "0.1", leg=PositionLeg.LONG))
        await venue.place(intent(Side.SELL, "0.1", leg=PositionLeg.SHORT))
        legs = {p.leg: p.quantity for p in await venue.positions("BTCUSDT")}
        assert legs == {PositionLeg.LONG: D("0.1"), PositionLeg.SHORT: D("-0.1")}
        await venue.place(intent(Side.SELL, "0.1", leg=PositionLeg.LONG, reduce_only=True))
        legs = {p.leg: p.quantity for p in await venue.positions("BTCUSDT") if p.quantity}
        assert legs == {PositionLeg.SHORT: D("-0.1")}


async def test_cancel_all_reports_each_order_and_conditional_orders_go_too(tmp_path: Path) -> None:
    async with futures_venue(tmp_path) as (_ex, client, venue):
        a, b = intent(Side.BUY, "0.01", "59000"), intent(Side.BUY, "0.01", "58000")
        for order in (a, b):
            await venue.place(order)
        answers = await venue.cancel_all("BTCUSDT")
        assert {(x.client_order_id, x.status) for x in answers} == {
            (a.client_order_id, OrderStatus.CANCELED),
            (b.client_order_id, OrderStatus.CANCELED),
        }
        assert await venue.open_orders("BTCUSDT") == []
        assert await venue.cancel_all("BTCUSDT") == []
        await client.futures_new_algo_order(
            "BTCUSDT", "SELL", "STOP_MARKET", quantity="0.01", trigger_price="50000"
        )
        (stop,) = await venue.open_conditional()
        assert (stop.symbol, stop.type, stop.stop_price, stop.status) == (
            "BTCUSDT",
            OrderType.STOP_LOSS,
            D("50000"),
            OrderStatus.NEW,
        )
        assert await venue.cancel_conditional("BTCUSDT") == 1
        assert await venue.open_conditional("BTCUSDT") == []
        assert await client.futures_open_algo_orders("BTCUSDT") == []
        assert await venue.cancel_conditional("BTCUSDT") == 0


async def test_margin_mode_and_clock(tmp_path: Path) -> None:
    async with futures_venue(tmp_path) as (ex, _client, venue):
        await venue.set_margin_mode("BTCUSDT", MarginMode.ISOLATED)
        await venue.set_margin_mode("BTCUSDT", MarginMode.ISOLATED)  # already: no error
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        await venue.place(intent(Side.BUY, "0.01"))
        (leg,) = await venue.positions("BTCUSDT")
        assert leg.margin_mode is MarginMode.ISOLATED and leg.isolated_margin > 0
        assert abs(await venue.server_time_ms() - venue.timestamp_ms()) < 60_000
        assert (await venue.status()).maintenance is False
