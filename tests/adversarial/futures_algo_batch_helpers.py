"""Shared by the conditional-order and maintenance attacks: the exchange's own record of the
account's algo orders (its engine's Algo Service, not what any client believes), a
conditional intent, a manager that watches the system status."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.adversarial.futures_exactly_once_helpers import SYMBOL, manager
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.sim import LocalExchange
from tradeexec.sim.futures.algo import AlgoOrder
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

QTY = Decimal("0.1")


def exchange_algos(ex: LocalExchange, cid: str | None = None) -> list[AlgoOrder]:
    """Every algo order the exchange holds for the account, of one ``clientAlgoId`` when given."""
    orders = ex.state.futures.algos.orders.values()
    return [o for o in orders if o.account == ex.account and (cid is None or o.client_algo_id == cid)]


def stop_sell(kind: OrderType = OrderType.STOP_LOSS, trigger: str = "58000") -> OrderIntent:
    """A conditional SELL far below the book, so it waits for its trigger for the whole test;
    the limit kinds carry a price and a time in force."""
    limit = kind in (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
    return OrderIntent(
        SYMBOL,
        Side.SELL,
        kind,
        quantity=QTY,
        price=Decimal(trigger) if limit else None,
        time_in_force=TimeInForce.GTC if limit else None,
        stop_price=Decimal(trigger),
        recv_window_ms=500,
    )


@contextlib.asynccontextmanager
async def maintenance_manager(venue: Any, path: Path, on_maintenance: str) -> AsyncIterator[OrderManager]:
    """A started manager on ``venue`` that reads the system status every 50 ms and applies
    ``on_maintenance`` when a window is announced."""
    async with manager(venue, path, on_maintenance=on_maintenance, status_every_s=0.05) as om:
        yield om
