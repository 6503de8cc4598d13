"""Exactly once for USDT-M batch placement (``OrderManager.submit_batch`` over
``POST /fapi/v1/batchOrders``) against the local exchange over real sockets:

* the batch's answer lost (-1007, a dropped answer) after it executed: each order is UNKNOWN
  and resolved on its own by its client order ID, never resent: one exchange order per
  intent, each manager state equal to the exchange's;
* a batch that never executed (-1001): each order resent alone, once, with its own ID;
* an error in one place (a reduce-only order with nothing to reduce) rejects that order only;
* one order refused before sending refuses the batch: nothing is sent, the orders already
  journaled are abandoned."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.futures_exactly_once_helpers import SYMBOL, exchange_orders, futures, manager
from tests.adversarial.resend_helpers import resolution_over, wait_for
from tradeexec.errors import OrderRejectedLocally
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.sim import LocalExchange
from tradeexec.sim.faults import FaultKind
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(60)]

D = Decimal
WAIT = 10.0
QTY = D("0.1")
BATCH_PATH = "/fapi/v1/batchOrders"


def _limit(side: Side, price: str, **kw: object) -> OrderIntent:
    return OrderIntent(
        SYMBOL, side, OrderType.LIMIT, quantity=QTY, price=D(price), time_in_force=TimeInForce.GTC,
        recv_window_ms=500, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _batch() -> list[OrderIntent]:
    """Two resting orders and one that fills at once."""
    market = OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=QTY, recv_window_ms=500)
    return [_limit(Side.BUY, "59000"), _limit(Side.SELL, "61000"), market]


def _matches_exchange(ex: LocalExchange, orders: list[ManagedOrder]) -> None:
    """One exchange order per intent, and each managed state the exchange's own status."""
    assert len(exchange_orders(ex)) == len(orders)
    for o in orders:
        (only,) = exchange_orders(ex, o.client_order_id)
        assert str(only.status) == str(o.state) and only.executed_qty == o.executed_qty


@pytest.mark.parametrize("fault", [FaultKind.ERROR_1007, FaultKind.LOST_RESPONSE])
async def test_a_lost_batch_answer_ends_with_exactly_one_order_per_intent(
    tmp_path: Path, fault: FaultKind
) -> None:
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        f.ex.faults.inject(fault, BATCH_PATH, count=1)
        orders = await om.submit_batch(_batch())
        for o in orders:
            await resolution_over(o, WAIT)
        want = [OrderState.NEW, OrderState.NEW, OrderState.FILLED]
        await wait_for(f"{want}", lambda: [o.state for o in orders] == want, WAIT)
        await wait_for("the fill", lambda: orders[2].filled_qty == QTY, WAIT)
        assert [o.place_attempts for o in orders] == [1, 1, 1]  # executed: found, never resent
        _matches_exchange(f.ex, orders)


async def test_a_batch_that_never_executed_is_resent_order_by_order(tmp_path: Path) -> None:
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        f.ex.faults.inject(FaultKind.ERROR_1001, BATCH_PATH, count=1)
        orders = await om.submit_batch(_batch())
        want = [OrderState.NEW, OrderState.NEW, OrderState.FILLED]
        await wait_for(f"{want}", lambda: [o.state for o in orders] == want, WAIT)
        await wait_for("the fill", lambda: orders[2].filled_qty == QTY, WAIT)
        assert [o.place_attempts for o in orders] == [2, 2, 2]
        _matches_exchange(f.ex, orders)


async def test_an_error_in_place_rejects_that_order_only(tmp_path: Path) -> None:
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        nothing_to_reduce = _limit(Side.SELL, "59500", reduce_only=True)
        orders = await om.submit_batch(
            [_limit(Side.BUY, "59000"), nothing_to_reduce, _limit(Side.SELL, "61000")]
        )
        assert [o.state for o in orders] == [OrderState.NEW, OrderState.REJECTED, OrderState.NEW]
        assert orders[1].reason
        assert exchange_orders(f.ex, orders[1].client_order_id) == []
        _matches_exchange(f.ex, [orders[0], orders[2]])


async def test_one_order_refused_here_sends_nothing(tmp_path: Path) -> None:
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        too_far = _limit(Side.BUY, "50000")  # PERCENT_PRICE: below 0.95 of the price
        with pytest.raises(OrderRejectedLocally, match="PERCENT_PRICE"):
            await om.submit_batch([_limit(Side.BUY, "59000"), too_far])
        assert exchange_orders(f.ex) == []
        (first,) = om.open_orders() or list(om._orders.values())
        assert first.state is OrderState.CANCELED and "batch" in (first.reason or "")
