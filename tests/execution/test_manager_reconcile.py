"""Restart reconciliation against the real LocalExchange: what happened while the process
was dead is read back from the exchange's orders and trades."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.venue import SpotVenue
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.positions import PositionTracker
from tradeexec.sim.exchange import LocalExchange

from .test_integration import SYMBOL, venue

__all__ = ["venue"]  # the fixture, shared with the integration tests

D = Decimal


def _manager(client: BinanceClient, path: Path, positions: PositionTracker | None = None) -> OrderManager:
    return OrderManager(
        SpotVenue(client), Journal(path), strategy="rc", positions=positions, poll_interval_s=3600,
        stale_after_s=3600,
    )


async def test_an_order_filled_while_dead_is_settled_with_its_fills(
    venue: tuple[LocalExchange, BinanceClient], tmp_path: Path
) -> None:
    ex, client = venue
    path = tmp_path / "j.sqlite"
    first = _manager(client, path)
    await first.start()
    order = await first.submit(
        OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=D("0.02"), price=D("59000"))
    )
    assert order.state is OrderState.NEW
    await first.close()
    first.journal.close()  # the process is gone; the journal says NEW

    ex.add_liquidity(SYMBOL, "SELL", "59000", "0.01")  # two fills while nobody listens
    ex.add_liquidity(SYMBOL, "SELL", "59000", "0.01")
    # The restart's lookup by client order ID fails, so only the scan of recent orders and
    # trades can settle the order.
    ex.inject("error_1001", "/api/v3/order", count=20)
    positions = PositionTracker()
    second = _manager(client, path, positions)
    try:
        report = await second.start()
        assert report is not None
        again = second.order(order.client_order_id)
        assert again is not None and again.state is OrderState.FILLED
        assert report.settled[order.client_order_id] == (OrderState.NEW, OrderState.FILLED)
        assert report.fills_added == 2
        assert again.executed_qty == D("0.02") and again.filled_qty == D("0.02")
        position = positions.position(SYMBOL)
        trades = await client.my_trades(SYMBOL)
        fees = sum((t.commission for t in trades if t.commission_asset == "BTC"), D(0))
        # The position is the BTC held: the default account's 1 BTC plus the fills, less their
        # fees (paid in BTC), as the exchange states it.
        held = sum(ex.balances()["BTC"])
        assert position is not None and position.quantity == held == 1 + D("0.02") - fees
        state = second.journal.state(order.client_order_id)
        assert state is not None and state.state is OrderState.FILLED
        assert len(second.journal.fills(order.client_order_id)) == 2
        assert any(r.kind.value == "error_1001" for r in ex.fault_log)  # the lookup did fail
    finally:
        ex.clear_faults()
        await second.close()
        second.journal.close()


async def test_a_final_order_journaled_without_its_fills_gets_them_at_restart(
    venue: tuple[LocalExchange, BinanceClient], tmp_path: Path
) -> None:
    """The poller learns an order FILLED but cannot read its trades, and the process dies: the
    journal holds a final status and no fill. Nothing in flight, yet the restart must fetch
    the fills, or the position stays short for good."""
    ex, client = venue
    path = tmp_path / "j.sqlite"
    first = _manager(client, path)
    first.stale_after_s = 0.0  # every poll looks the live orders up
    await first.start()
    order = await first.submit(
        OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=D("0.02"), price=D("59000"))
    )
    ex.add_liquidity(SYMBOL, "SELL", "59000", "0.01")
    ex.add_liquidity(SYMBOL, "SELL", "59000", "0.01")
    ex.inject("error_1001", "/api/v3/myTrades", count=20)
    await first.poll_once()
    assert order.state is OrderState.FILLED and order.fills == []
    assert any(r.kind.value == "error_1001" for r in ex.fault_log)  # the trades lookup did fail
    ex.clear_faults()
    await first.close()
    first.journal.close()  # dead before the poller's next round

    positions = PositionTracker()
    second = _manager(client, path, positions)
    assert second.journal.in_flight() == []  # the order is over: only its fills are missing
    try:
        report = await second.start()
        assert report is not None and report.fills_added == 2 and report.clean
        again = second.order(order.client_order_id)
        assert again is not None and again.state is OrderState.FILLED
        assert again.filled_qty == D("0.02") and again.is_final
        await again.wait_final(0)  # final with every fill: done
        assert [f.trade_id for f in second.journal.fills(order.client_order_id)] == [
            t.id for t in await client.my_trades(SYMBOL, order_id=again.order_id)
        ]
        position = positions.position(SYMBOL)
        assert position is not None and position.quantity > D("0.0199")  # less the BTC fees
        assert second.journal.unsettled() == []
    finally:
        await second.close()
        second.journal.close()
