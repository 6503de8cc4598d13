"""Legs through the order manager and the feed, on a derivatives venue that is not Binance
(``fake_derivatives.py``): a fill of an order with a position leg moves that leg and no spot
position; position statements, funding, alarms and reconnects reach the legs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.neutral_venue_helpers import manager_on
from tradeexec.execution.feed import OrderFeed
from tradeexec.execution.journal.records import Intent
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.venue.positions import (
    AlarmKind,
    FundingSettled,
    PositionLeg,
    PositionsChanged,
    RecoveredPositions,
    VenueAlarm,
)
from tradeexec.venue.stream import LinkState, StreamLink
from tradeexec.venue.vocab import ExecutionType, OrderStatus, OrderType, Side, TimeInForce

from .fake_derivatives import FakeDerivatives
from .fake_venue import FakeExecution

D = Decimal
SYMBOL = "BTCUSDT"
BOTH = PositionLeg.BOTH
WAIT = 5.0


async def _until(condition: Callable[[], bool], what: str) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.005)
    assert condition(), what


def futures_order(
    om: OrderManager, venue: FakeDerivatives, side: Side, qty: str, leg: PositionLeg
) -> ManagedOrder:
    """A resting LIMIT order on ``leg``, journaled and tracked as the manager does it, and
    placed on the venue (the manager's own submit is exercised once OrderIntent carries a
    leg: wt-fvenue)."""
    now = venue.timestamp_ms()
    intent = Intent(f"t{len(venue.orders)}x{now}", "neutral", SYMBOL, side, OrderType.LIMIT, D(qty),
                    None, venue.price, TimeInForce.GTC, None, now, 5000, position_leg=leg)  # fmt: skip
    order = ManagedOrder(om.journal.record_intent(intent))
    om._track(order)
    return order


def report_of_last_trade(venue: FakeDerivatives, cid: str) -> FakeExecution:
    done = venue.orders[cid]
    trade = venue.trades[-1]
    return FakeExecution(
        SYMBOL, cid, done.order_id, ExecutionType.TRADE, done.status, done.executed_qty,
        done.cumulative_quote, trade.time_ms, trade_id=trade.id, last_executed_price=trade.price,
        last_executed_qty=trade.qty, commission=trade.commission, commission_asset=trade.commission_asset,
        last_quote_qty=trade.quote_qty,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class VenueCloseExecution(FakeExecution):
    """A trade of the venue's own closing order, saying its side and leg as FuturesVenue's do."""

    side: Side = Side.BUY
    leg: PositionLeg = BOTH


@pytest.fixture
async def om(tmp_path: Path) -> AsyncIterator[tuple[OrderManager, FakeDerivatives]]:
    venue = FakeDerivatives()
    async with manager_on(venue, tmp_path) as manager:
        yield manager, venue


async def _place_and_fill(om: OrderManager, venue: FakeDerivatives, side: Side, qty: str,
                          leg: PositionLeg = BOTH) -> FakeExecution:  # fmt: skip
    order = futures_order(om, venue, side, qty, leg)
    await venue.place(order.intent)
    venue.fill_resting(order.client_order_id)
    return report_of_last_trade(venue, order.client_order_id)


async def test_a_fill_of_an_order_with_a_leg_moves_the_leg_not_a_spot_position(
    om: tuple[OrderManager, FakeDerivatives],
) -> None:
    manager, venue = om
    report = await _place_and_fill(manager, venue, Side.BUY, "0.02")
    assert manager.on_execution_report(report)
    assert not manager.on_execution_report(report)  # the same trade again
    leg = manager.positions.legs.leg(SYMBOL, BOTH)
    assert (leg.quantity, leg.entry_price) == (D("0.02"), venue.price)
    assert leg.commission == report.commission
    assert manager.positions.position(SYMBOL) is None or manager.positions.position(SYMBOL).quantity == 0  # type: ignore[union-attr]
    assert manager.positions.balance("BTC").total == 0  # a futures fill buys no coin
    assert await venue.positions() and manager.positions.legs.reconcile(await venue.positions()) == []


async def test_the_feed_applies_statements_funding_and_alarms(
    om: tuple[OrderManager, FakeDerivatives], caplog: pytest.LogCaptureFixture
) -> None:
    manager, venue = om
    alarms: list[VenueAlarm] = []
    stream = venue.user_stream()
    async with OrderFeed(stream, manager, account=venue, on_alarm=alarms.append) as feed:
        report = await _place_and_fill(manager, venue, Side.SELL, "0.05")
        t = report.transaction_time
        # Binance states the position before the trade's order update: once, not twice.
        stream.push(PositionsChanged([(SYMBOL, BOTH, D("-0.05"), venue.price)], "ORDER", t), report)
        stream.push(PositionsChanged([(SYMBOL, BOTH, D(0), D(0))], "ORDER", t - 1))  # stale
        stream.push(FundingSettled(SYMBOL, "USDT", D("0.3"), t + 1))
        stream.push(FundingSettled(SYMBOL, "USDT", D("0.3"), t + 1))  # the same payment again
        await _until(lambda: feed.stats.funding_events == 2, "items read")
        leg = manager.positions.legs.leg(SYMBOL, BOTH)
        assert leg.quantity == D("-0.05") and feed.stats.stale_position_events == 1
        assert leg.funding == D("0.3")
        with caplog.at_level(logging.ERROR):
            stream.push(VenueAlarm(AlarmKind.LIQUIDATION, SYMBOL, "autoclose-123", t + 2))
            stream.push(PositionsChanged([(SYMBOL, BOTH, D("-0.02"), venue.price)], "ORDER", t + 3))
            stream.push(VenueAlarm(AlarmKind.MARGIN_CALL, "", "margin ratio 85%", t + 4))
            await _until(lambda: len(alarms) == 2, "alarms handed on")
        assert [a.kind for a in alarms] == [AlarmKind.LIQUIDATION, AlarmKind.MARGIN_CALL]
        assert any("LIQUIDATION" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
        close = VenueCloseExecution(
            SYMBOL, "autoclose-1", 99, ExecutionType.TRADE, OrderStatus.FILLED, D("0.03"), D("1830"), t + 3,
            trade_id=77, last_executed_price=D(61_000), last_executed_qty=D("0.03"),
        )  # fmt: skip
        stream.push(close, close)  # told twice: applied once
        await _until(lambda: feed.stats.reports == 3, "the venue's close read")
        [liq] = manager.positions.legs.liquidations
        assert liq.price == D(61_000) and liq.realized_pnl == D("0.03") * (venue.price - D(61_000))
        assert (liq.quantity_before, liq.quantity_after, liq.reason) == (
            D("-0.05"),
            D("-0.02"),
            "liquidation",
        )
        assert manager.risk.tripped and "margin call" in (manager.risk.trip_reason or "")


async def test_a_reconnect_reconciles_the_legs_with_the_venue(
    om: tuple[OrderManager, FakeDerivatives],
) -> None:
    manager, venue = om
    venue.move_leg(SYMBOL, BOTH, D("0.1"), D(50_000), D(0))  # held before the start
    stream = venue.user_stream()
    async with OrderFeed(stream, manager, account=venue, resync_backoff_s=0.01) as feed:
        assert manager.positions.legs.leg(SYMBOL, BOTH).quantity == D("0.1")  # the baseline
        assert feed.last_leg_diffs == []
        stream.push(StreamLink(LinkState.DISCONNECTED, "test"))
        venue.move_leg(SYMBOL, BOTH, D("-0.04"), D(51_000), D(0))  # missed while down
        stream.push(StreamLink(LinkState.RECONNECTED))
        await feed.wait_synced(WAIT)
        await _until(lambda: feed.stats.position_alarms == 1, "reconciled")
        assert [(d.what, d.tracked, d.venue) for d in feed.last_leg_diffs] == [
            ("quantity", D("0.1"), D("0.06"))
        ]
        assert manager.positions.legs.leg(SYMBOL, BOTH).quantity == D("0.06")
        # On demand, between reconnects.
        venue.move_leg(SYMBOL, BOTH, D("0.01"), D(51_000), D(0))
        [diff] = await feed.reconcile_positions()
        assert (diff.tracked, diff.venue) == (D("0.06"), D("0.07")) and feed.stats.position_alarms == 2
        venue.move_leg(SYMBOL, BOTH, D("-0.01"), D(51_000), D(0))
        assert await feed.reconcile_positions() != []
        # The stream's own recovery read is compared too.
        venue.move_leg(SYMBOL, BOTH, D("-0.06"), D(52_000), D(0))
        stream.push(RecoveredPositions(await venue.positions()))
        await _until(lambda: feed.stats.position_alarms == 4, "recovered read compared")
        assert manager.positions.legs.leg(SYMBOL, BOTH).quantity == 0


async def test_a_statement_the_legs_cannot_order_is_settled_by_a_position_read(
    om: tuple[OrderManager, FakeDerivatives],
) -> None:
    """The venue's clock stepped back: a statement timed before the leg's last figure, stating
    what the leg never held. The feed reads the positions (once, on the balance check's
    schedule) and the leg takes the venue's figure, with no alarm: nothing was lost, only a
    clock doubted."""
    manager, venue = om
    stream = venue.user_stream()
    async with OrderFeed(stream, manager, account=venue, balance_check_s=0.02) as feed:
        report = await _place_and_fill(manager, venue, Side.BUY, "0.05")
        t = report.transaction_time
        stream.push(report, PositionsChanged([(SYMBOL, BOTH, D("0.05"), venue.price)], "ORDER", t + 8000))
        venue.move_leg(SYMBOL, BOTH, D("0.02"), venue.price, D(0))  # a trade the venue states late
        stream.push(PositionsChanged([(SYMBOL, BOTH, D("0.07"), venue.price)], "ORDER", t + 10))
        await _until(lambda: feed.stats.position_checks == 1 and feed.balances_settled, "the position check")
        assert manager.positions.legs.leg(SYMBOL, BOTH).quantity == D("0.07")
        assert feed.stats.position_alarms == 0 and feed.stats.stale_position_events == 1
