"""Helpers for the tests of the venue interface's account side (balances, prices, the book,
the user stream) on a venue that is not Binance: the fake venue's own record of what the
emergency stop's orders did, a venue whose reads fail, and a manager on the fake venue."""

from __future__ import annotations

import contextlib
import errno
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.execution.fake_venue import FakeVenue
from tradeexec.execution.emergency import EmergencyReport
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import RiskLimits, RiskManager

D = Decimal
SYMBOL = "BTCUSDT"


@dataclass(frozen=True)
class Record:
    quantity: Decimal
    proceeds: Decimal
    fees: dict[str, Decimal]
    orders: int


def stop_record(venue: FakeVenue) -> Record:
    """What the venue says the stop's orders (client order IDs ``emer...``) executed."""
    ids = {o.order_id for o in venue.orders.values() if o.client_order_id.startswith("emer")}
    trades = [t for t in venue.trades if t.order_id in ids]
    fees: dict[str, Decimal] = {}
    for t in trades:
        fees[t.commission_asset] = fees.get(t.commission_asset, D(0)) + t.commission
    quantity, proceeds = sum((t.qty for t in trades), D(0)), sum((t.quote_qty for t in trades), D(0))
    return Record(quantity, proceeds, fees, len(ids))


def assert_report_is_the_venues_record(report: EmergencyReport, venue: FakeVenue) -> None:
    record = stop_record(venue)
    sale = report.sold["BTC"]
    assert (sale.quantity, sale.proceeds, sale.fees, sale.orders) == (
        record.quantity, record.proceeds, record.fees, record.orders,
    ), report.lines()  # fmt: skip


class FailingReads:
    """``inner`` whose reads fail: each named method raises ``error`` (a dropped connection by
    default) on its first ``failures`` calls, then answers."""

    READS = ("open_orders", "balances", "book_top", "last_prices", "rules", "lookup", "recent_trades")

    def __init__(self, inner: FakeVenue, failures: int, error: type[OSError] | None = None) -> None:
        self.inner = inner
        self.error = error or ConnectionResetError
        self.failures = dict.fromkeys(self.READS, failures)
        self.failed: list[str] = []

    def __getattr__(self, name: str) -> Any:
        call = getattr(self.inner, name)
        if name not in self.READS:
            return call

        async def failing(*args: Any, **kwargs: Any) -> Any:
            if self.failures[name] > 0:
                self.failures[name] -= 1
                self.failed.append(name)
                raise self.error(errno.EHOSTUNREACH, f"network failure while reading {name}")
            return await call(*args, **kwargs)

        return failing


@contextlib.asynccontextmanager
async def manager_on(venue: FakeVenue, path: Path) -> AsyncIterator[OrderManager]:
    """An order manager on ``venue`` with its poller out of the way: only the feed moves it."""
    om = OrderManager(
        venue,
        Journal(path / "j.sqlite"),
        strategy="neutral",
        risk=RiskManager(RiskLimits(require_ip_restriction=False)),
        positions=PositionTracker(),
        poll_interval_s=3600,
        stale_after_s=3600,
    )
    await om.start()
    try:
        yield om
    finally:
        await om.close()
        om.journal.close()
