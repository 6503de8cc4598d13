"""The exchange's own record of a demo run: its orders and its trades, read back at the end.

The report's figures are computed from this record, not from what the order manager
believed (see ``tradeexec.demo_figures``): ``allOrders`` says when each order was accepted
and what became of it, ``myTrades`` gives each fill with its commission and maker flag. The
emergency stop's market orders, which no order manager placed, are found here too, by
their client order id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from tradeexec.binance.models import MyTrade, Order
from tradeexec.demo_figures import is_emergency

__all__ = ["ExchangeRecord", "fetch_exchange_record"]

_PAGE = 1000  # the most allOrders and myTrades answer at once
_MAX_PAGES = 20  # a demo places tens of orders; this bounds a runaway loop, not a real run
_SKEW_MS = 60_000  # look this far before the start, for a clock ahead of the exchange's

T = TypeVar("T")


class RecordClient(Protocol):
    async def all_orders(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        limit: int | None = None,
    ) -> list[Order]: ...

    async def my_trades(
        self,
        symbol: str,
        *,
        from_id: int | None = None,
        start_time: int | None = None,
        limit: int | None = None,
    ) -> list[MyTrade]: ...


@dataclass
class ExchangeRecord:
    """The run's orders (the demo's own and the emergency stop's) and their trades."""

    orders: list[Order] = field(default_factory=list)
    trades: list[MyTrade] = field(default_factory=list)


async def _pages(
    first: Callable[[], Awaitable[list[T]]], after: Callable[[T], Awaitable[list[T]]]
) -> list[T]:
    """Every row from ``first()`` on, a page at a time, at most ``_MAX_PAGES`` pages."""
    rows: list[T] = []
    page = await first()
    for _ in range(_MAX_PAGES):
        rows += page
        if len(page) < _PAGE:
            break
        page = await after(page[-1])
    return rows


async def _symbol_record(
    client: RecordClient, symbol: str, ours: Collection[str], since: int
) -> tuple[list[Order], list[MyTrade]]:
    orders = await _pages(
        lambda: client.all_orders(symbol, start_time=since, limit=_PAGE),
        lambda last: client.all_orders(symbol, order_id=last.order_id + 1, limit=_PAGE),
    )
    mine = [
        o for o in orders
        if o.client_order_id in ours or (is_emergency(o.client_order_id, symbol) and o.time >= since)
    ]  # fmt: skip
    ids = {o.order_id for o in mine}
    trades = await _pages(
        lambda: client.my_trades(symbol, start_time=since, limit=_PAGE),
        lambda last: client.my_trades(symbol, from_id=last.id + 1, limit=_PAGE),
    )
    return sorted(mine, key=lambda o: (o.time, o.order_id)), [t for t in trades if t.order_id in ids]


async def fetch_exchange_record(
    client: RecordClient, symbols: Sequence[str], ours: Collection[str], started_ms: int
) -> ExchangeRecord:
    """The orders since ``started_ms`` whose client order id is in ``ours`` or is the
    emergency stop's, and the trades of those orders, in the exchange's order."""
    record = ExchangeRecord()
    for symbol in symbols:
        orders, trades = await _symbol_record(client, symbol, ours, started_ms - _SKEW_MS)
        record.orders += orders
        record.trades += trades
    return record
