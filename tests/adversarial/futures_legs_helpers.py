"""Helpers of the futures legs tests: waiting on a condition with a deadline, the income
history summed per (symbol, income type), and an order manager with its feed on a venue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.execution.feed import OrderFeed
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import RiskLimits, RiskManager

WAIT = 15.0


class IncomeRow(Protocol):
    @property
    def symbol(self) -> str: ...
    @property
    def income_type(self) -> str: ...
    @property
    def income(self) -> Decimal: ...


async def until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Wait (bounded) until ``condition`` holds; fails naming ``what``."""
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not reached within {timeout}s: {what}") from None


def income_by_type(rows: Iterable[IncomeRow]) -> dict[tuple[str, str], Decimal]:
    out: dict[tuple[str, str], Decimal] = {}
    for r in rows:
        key = (r.symbol, r.income_type)
        out[key] = out.get(key, Decimal(0)) + r.income
    return out


@asynccontextmanager
async def managed(
    venue: FuturesVenue, journal: Path, strategy: str
) -> AsyncIterator[tuple[OrderManager, OrderFeed]]:
    """An order manager (fast polls and mark refreshes) and its user stream feed on ``venue``,
    started; closed (the journal too) on the way out."""
    om = OrderManager(
        venue, Journal(journal), strategy=strategy,
        risk=RiskManager(RiskLimits(require_ip_restriction=False, max_orders_per_second=None)),
        positions=PositionTracker(), poll_interval_s=0.2, mark_refresh_s=0.2,
    )  # fmt: skip
    await om.start()
    feed = OrderFeed(venue.user_stream(backoff_base_s=0.05), om, account=venue, resync_backoff_s=0.05)
    try:
        await feed.start()
        yield om, feed
    finally:
        await feed.close()
        await om.close()
        om.journal.close()


def ex_wallet(ex: object) -> Decimal:
    """The account's wallet as the exchange holds it (read directly: no request)."""
    futures = ex.state.futures  # type: ignore[attr-defined]
    return sum((a.wallet for name, a in futures.accounts.items() if not a.exempt), Decimal(0))
