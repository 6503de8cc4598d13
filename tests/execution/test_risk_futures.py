"""Derivatives limits of the risk manager (``risk.py`` with ``risk_futures.py``): leverage,
position notional at the mark, distance to the estimated liquidation price, the margin-ratio
kill switch, and only orders that shrink a leg once the switch has tripped. Legs count at the
mark in gross exposure and equity (``valuation.py``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.neutral_venue_helpers import manager_on
from tradeexec.errors import InvalidParameter
from tradeexec.execution.legs import LegBook
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import Exposure, OrderRisk, RiskLimitExceeded, RiskLimits, RiskManager
from tradeexec.execution.risk_futures import LegExposure, estimated_liquidation, only_reduces
from tradeexec.execution.valuation import Marks, NoPriceSource, Valuation
from tradeexec.sim.futures.brackets import Bracket
from tradeexec.sim.futures.margin import Leg, liquidation_price
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.vocab import OrderType, Side

from .fake_derivatives import FakeDerivatives

D = Decimal
BOTH = PositionLeg.BOTH
SYMBOL = "BTCUSDT"
MARK = D(60_000)


def order(side: Side, qty: str, *, reduce_only: bool = False, leg: PositionLeg = BOTH) -> OrderRisk:
    closes = only_reduces(side, leg, reduce_only)
    return OrderRisk(SYMBOL, side, D(qty), MARK, MARK, False, reduce_only, closes)


def exposure(quantity: str = "0", *, leverage: str | None = "10", liq: str = "0", collateral: str = "10000",
             leg: PositionLeg = BOTH) -> Exposure:  # fmt: skip
    lev = None if leverage is None else D(leverage)
    legs = LegExposure(leg, D(quantity), MARK if D(quantity) else D(0), lev, D(liq), D(collateral))
    return Exposure(position=D(quantity), leg=legs)


def refused(risk: RiskManager, o: OrderRisk, e: Exposure) -> str:
    with pytest.raises(RiskLimitExceeded) as info:
        risk.check_order(o, e)
    return info.value.limit


def manager(**limits: object) -> RiskManager:
    return RiskManager(RiskLimits(max_orders_per_second=None, max_price_deviation_pct=None, **limits))  # type: ignore[arg-type]


def test_leverage_above_the_symbols_limit_refuses_growing_not_shrinking() -> None:
    risk = manager(max_leverage={SYMBOL: D(20)})
    assert refused(risk, order(Side.BUY, "0.1"), exposure("0.5", leverage="25")) == "max_leverage"
    assert refused(risk, order(Side.BUY, "0.1"), exposure("0", leverage=None)) == "max_leverage"
    risk.check_order(order(Side.SELL, "0.1", reduce_only=True), exposure("0.5", leverage="25"))
    risk.check_order(order(Side.BUY, "0.1"), exposure("0.5", leverage="20"))


def test_position_notional_counts_the_leg_after_the_order_at_the_mark() -> None:
    risk = manager(max_position_notional={SYMBOL: D(50_000)})
    risk.check_order(order(Side.BUY, "0.3"), exposure("0.5"))  # 0.8 * 60000 = 48000
    with pytest.raises(RiskLimitExceeded, match="notional at mark 60000 would be 54000"):
        risk.check_order(order(Side.BUY, "0.4"), exposure("0.5"))
    # a short grows by selling
    assert refused(risk, order(Side.SELL, "0.9"), exposure("-0.1")) == "max_position_notional"


def test_the_liquidation_estimate_is_binances_formula_on_the_safe_side() -> None:
    """Held against the local exchange's formula (Binance's, with brackets): the estimate is
    never farther from the mark than the venue's price, and within 1 % of it."""
    brackets = [Bracket(1, D(0), D(50_000), 125, D("0.004"), D(0)),
                Bracket(2, D(50_000), D(500_000), 100, D("0.005"), D(50))]  # fmt: skip
    for qty, wallet in (
        (D("1"), D(10_000)),
        (D("-1"), D(10_000)),
        (D("0.5"), D(3_000)),
        (D("-2"), D(30_000)),
    ):
        venue = liquidation_price(wallet, [Leg(qty, MARK)], brackets, MARK)
        ours = estimated_liquidation(LegExposure(BOTH, collateral=wallet), qty, MARK, D("0.005"))
        assert abs(MARK - ours) <= abs(MARK - venue), (qty, wallet, ours, venue)
        assert abs(ours - venue) / venue < D("0.01")
        # solved back from the venue's price, it gives the venue's price for the same leg
        same = estimated_liquidation(LegExposure(BOTH, qty, MARK, None, venue), qty, MARK, D("0.005"))
        assert abs(same - venue) < D("1e-20")


def test_an_order_bringing_liquidation_nearer_than_the_limit_is_refused_naming_it() -> None:
    risk = manager(min_liquidation_distance=D("0.2"))
    # 1 BTC long on 10000 collateral: liquidated near 50251, 16 % below the mark
    with pytest.raises(
        RiskLimitExceeded, match=r"min_liquidation_distance.*16\.25% from mark 60000; limit 20"
    ):
        risk.check_order(order(Side.BUY, "1"), exposure("0"))
    risk.check_order(order(Side.BUY, "0.5"), exposure("0"))  # 33 % away
    # The venue's own liquidation price of the leg stands for the account's other positions.
    assert refused(risk, order(Side.BUY, "0.1"), exposure("0.5", liq="49000")) == "min_liquidation_distance"
    risk.check_order(order(Side.SELL, "0.1", reduce_only=True), exposure("0.5", liq="55000"))


def test_once_tripped_only_orders_that_shrink_a_leg_pass() -> None:
    risk = manager()
    risk.trip("test", emergency=False)
    assert refused(risk, order(Side.BUY, "0.1"), exposure("0.5")) == "kill_switch"
    assert refused(risk, order(Side.SELL, "0.1"), exposure("0.5")) == "kill_switch"  # not reduce-only
    risk.check_order(order(Side.SELL, "0.5", reduce_only=True), exposure("0.5"))
    # reduce-only through zero would open a short: refused by the arithmetic too
    assert refused(risk, order(Side.SELL, "0.6", reduce_only=True), exposure("0.5")) == "kill_switch"
    assert refused(risk, order(Side.SELL, "0.1", reduce_only=True), exposure("0")) == "kill_switch"
    # hedge mode: a SELL on the LONG leg closes, a BUY on it opens
    long = exposure("0.5", leg=PositionLeg.LONG)
    risk.check_order(order(Side.SELL, "0.2", leg=PositionLeg.LONG), long)
    assert refused(risk, order(Side.BUY, "0.2", leg=PositionLeg.LONG), long) == "kill_switch"


def test_the_margin_ratio_trips_the_kill_switch() -> None:
    risk = manager(max_margin_ratio=D("0.8"))
    risk.observe_margin_ratio(D("0.79"))
    assert not risk.tripped
    risk.observe_margin_ratio(D("0.8"))
    assert risk.tripped and "margin ratio" in (risk.trip_reason or "")


async def test_legs_count_at_the_mark_in_exposure_equity_and_margin_ratio() -> None:
    venue = FakeDerivatives(wallet=D(1000))
    tracker = PositionTracker()
    marks = {SYMBOL: D(60_000)}
    valuation = Valuation(tracker, Marks(marks.get, venue, None))
    tracker.adopt_balances(await venue.balances())
    legs: LegBook = tracker.legs
    legs.apply_fill(SYMBOL, BOTH, Side.SELL, D("0.1"), D(61_000), trade_id=1, time_ms=1)
    assert tracker.gross_exposure() == D(6000)
    assert valuation.equity() == D(1000) + D("0.1") * D(1000)  # wallet + the short's gain
    ratio = valuation.margin_ratio(D("0.005"))
    assert ratio == D(30) / D(1100)
    risk = manager(max_margin_ratio=D("0.3"))
    valuation.observe(risk)
    assert not risk.tripped
    marks[SYMBOL] = D(70_000)  # the short loses 900: ratio 35 / 100
    valuation.observe(risk)
    assert risk.tripped


async def test_a_manager_with_legs_and_no_mark_refuses_to_start(tmp_path: Path) -> None:
    venue = FakeDerivatives()
    venue.move_leg(SYMBOL, BOTH, D("0.1"), D(60_000), D(0))
    venue.marks[SYMBOL] = D(0)  # the venue has no mark for it
    with pytest.raises(NoPriceSource, match=f"no mark for {SYMBOL}"):
        async with manager_on(venue, tmp_path):
            pass


async def test_after_a_trip_the_manager_sends_only_orders_that_shrink_a_leg(tmp_path: Path) -> None:
    venue = FakeDerivatives()
    async with manager_on(venue, tmp_path) as om:
        await om.submit(OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=D("0.1")))
        leg = om.positions.legs.leg(SYMBOL, BOTH)
        assert leg.quantity == D("0.1")
        om.risk.trip("test", emergency=False)
        sent = len(venue.requests)
        with pytest.raises(RiskLimitExceeded, match="kill_switch"):
            await om.submit(OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=D("0.1")))
        with pytest.raises(RiskLimitExceeded, match="kill_switch"):  # reduce-only past zero
            await om.submit(
                OrderIntent(SYMBOL, Side.SELL, OrderType.MARKET, quantity=D("0.2"), reduce_only=True)
            )
        assert len(venue.requests) == sent
        await om.submit(
            OrderIntent(SYMBOL, Side.SELL, OrderType.MARKET, quantity=D("0.04"), reduce_only=True)
        )
        assert venue.requests[-1].reduce_only and leg.quantity == D("0.06")
        assert om.positions.legs.reconcile(await venue.positions()) == []


@pytest.mark.parametrize("name", ["max_position", "max_leverage", "max_position_notional"])
def test_a_number_where_a_per_symbol_map_belongs_is_refused_naming_the_fix(name: str) -> None:
    """Seen as ``AttributeError: 'Decimal' object has no attribute 'get'`` at the first order."""
    with pytest.raises(InvalidParameter) as refused:
        RiskLimits(**{name: Decimal(10)})  # type: ignore[arg-type]
    assert refused.value.field == name and f"default_{name}=Decimal('10')" in str(refused.value)
