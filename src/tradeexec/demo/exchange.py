"""The exchange's own record of a demo run: its orders and its trades, read back at the end.

The report's figures are computed from this record, not from what the order manager
believed (see ``tradeexec.demo.figures``): ``allOrders`` says when each order was accepted
and what became of it, ``myTrades`` gives each fill with its commission and maker flag. The
emergency stop's sell orders, which no order manager placed, are found here too, by
their client order id.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.models import MyTrade, Order
from tradeexec.demo.figures import is_emergency
from tradeexec.errors import TradeexecError
from tradeexec.execution.orders.managed import ManagedOrder

__all__ = ["ExchangeRecord", "fetch_exchange_record"]

log = logging.getLogger(__name__)

_PAGE = 1000  # the most allOrders and myTrades answer at once
_MAX_PAGES = 20  # a demo places tens of orders; this bounds a runaway loop
_SKEW_MS = 60_000  # look this far before the start, for a clock ahead of the exchange's


@dataclass
class ExchangeRecord:
    """The run's orders (the demo's own and the emergency stop's) and their trades."""

    orders: list[Order] = field(default_factory=list)
    trades: list[MyTrade] = field(default_factory=list)

    def client_order_id(self, trade: MyTrade) -> str:
        """The client order id of a trade's order (order ids are unique per symbol only)."""
        for o in self.orders:
            if (o.symbol, o.order_id) == (trade.symbol, trade.order_id):
                return o.client_order_id
        return str(trade.order_id)


async def _orders_from(client: BinanceClient, symbol: str, first_id: int | None, since: int) -> list[Order]:
    """``allOrders`` from ``first_id`` on, a page at a time (at most ``_MAX_PAGES``); from
    ``since`` when no order id is known (the exchange then answers the most recent page)."""
    if first_id is None:
        return await client.all_orders(symbol, start_time=since, limit=_PAGE)
    rows: list[Order] = []
    for _ in range(_MAX_PAGES):
        page = await client.all_orders(symbol, order_id=first_id, limit=_PAGE)
        rows += page
        if len(page) < _PAGE:
            break
        first_id = page[-1].order_id + 1
    return rows


async def fetch_exchange_record(
    client: BinanceClient,
    symbols: Sequence[str],
    placed: Sequence[ManagedOrder],
    started_ms: int,
    *,
    stop_ran: bool,
) -> ExchangeRecord | None:
    """The orders the run ``placed`` and, if ``stop_ran``, the emergency stop's since
    ``started_ms`` (never on an account where the demo ran no stop, so another program's
    orders are not taken for its), found from the first order id the run knows of on each
    symbol, and each one's trades
    (``myTrades`` by order id), in the exchange's order; None (and a warning) when the
    exchange cannot be read, so the report says so instead of the run failing after it
    has traded."""
    record = ExchangeRecord()
    since = started_ms - _SKEW_MS
    ours = {o.client_order_id for o in placed}
    try:
        for symbol in symbols:
            known = [o.order_id for o in placed if o.symbol == symbol and o.order_id is not None]
            orders = await _orders_from(client, symbol, min(known, default=None), since)
            stop = [
                o for o in orders if stop_ran and is_emergency(o.client_order_id, symbol) and o.time >= since
            ]
            mine = sorted([o for o in orders if o.client_order_id in ours] + stop, key=lambda o: o.order_id)
            record.orders += mine
            for o in mine:
                if o.executed_qty > 0:
                    record.trades += await client.my_trades(symbol, order_id=o.order_id, limit=_PAGE)
    except (TradeexecError, OSError, TimeoutError) as exc:
        log.warning("could not read the exchange's record of the run: %s", exc)
        return None
    return record
