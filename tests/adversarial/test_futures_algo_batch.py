"""Exactly once for USDT-M conditional orders placed through the ``OrderManager``: they live in
the Algo Service's own id space (``/fapi/v1/algoOrder``, ``clientAlgoId``), so a lost answer
must be looked up there. Looked up on the plain side it would be "not found", and the resend
rule would place a second stop.

* -1007 and a lost answer on the placement (executed, answer gone): found by ``clientAlgoId``,
  never resent: one algo order per intent, by the exchange's own record;
* an answer that never came because the request never executed (-1001): resent once, same ID;
* a lost cancel answer: the order ends CANCELED, still one algo order;
* once triggered, the intent follows the order the Algo Service sent to the book (its own
  order id) to its end and its fills, counted once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adversarial.futures_algo_batch_helpers import QTY, exchange_algos, stop_sell
from tests.adversarial.futures_exactly_once_helpers import SYMBOL, exchange_orders, futures, manager, position
from tests.adversarial.resend_helpers import resolution_over, wait_for
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.sim.faults import FaultKind
from tradeexec.venue.vocab import OrderType, Side

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(60)]

WAIT = 10.0
ALGO_PATH = "/fapi/v1/algoOrder"


@pytest.mark.parametrize("fault", [FaultKind.ERROR_1007, FaultKind.LOST_RESPONSE])
@pytest.mark.parametrize("kind", [OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT])
async def test_a_lost_conditional_answer_ends_with_exactly_one_algo_order(
    tmp_path: Path, fault: FaultKind, kind: OrderType
) -> None:
    trigger = "62000" if kind is OrderType.TAKE_PROFIT else "58000"
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        f.ex.faults.inject(fault, ALGO_PATH, count=1)
        order = await om.submit(stop_sell(kind, trigger))
        await resolution_over(order, WAIT)
        await wait_for("NEW", lambda: order.state is OrderState.NEW, WAIT)
        assert order.place_attempts == 1  # it executed: found, never resent
        (only,) = exchange_algos(f.ex, order.client_order_id)
        assert only.status == "NEW" and order.order_id == only.algo_id
        assert len(exchange_algos(f.ex)) == 1
        assert exchange_orders(f.ex) == []  # nothing on the plain side


async def test_a_conditional_that_never_executed_is_resent_once_with_its_id(tmp_path: Path) -> None:
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        f.ex.faults.inject(FaultKind.ERROR_1001, ALGO_PATH, count=1)
        order = await om.submit(stop_sell())
        await resolution_over(order, WAIT)
        await wait_for("NEW", lambda: order.state is OrderState.NEW, WAIT)
        assert order.place_attempts == 2
        assert len(exchange_algos(f.ex, order.client_order_id)) == 1
        assert len(exchange_algos(f.ex)) == 1


@pytest.mark.parametrize("fault", [FaultKind.ERROR_1007, FaultKind.LOST_RESPONSE])
async def test_a_lost_conditional_cancel_answer_ends_canceled(tmp_path: Path, fault: FaultKind) -> None:
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        order = await om.submit(stop_sell())
        assert order.state is OrderState.NEW
        f.ex.faults.inject(fault, ALGO_PATH, count=1)
        await om.cancel(order.client_order_id)
        await wait_for("the cancel to be settled", lambda: order.state is OrderState.CANCELED, WAIT)
        (only,) = exchange_algos(f.ex, order.client_order_id)
        assert only.status == "CANCELED" and len(exchange_algos(f.ex)) == 1


async def test_a_triggered_conditional_is_followed_to_its_fill_once(tmp_path: Path) -> None:
    """Lost answer, found NEW; then a trade at the trigger fires it: the intent follows the
    order it sent to the book to FILLED, with its fill, and the position counts it once."""
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        f.ex.faults.inject(FaultKind.LOST_RESPONSE, ALGO_PATH, count=1)
        stop = await om.submit(stop_sell(OrderType.STOP_LOSS, "59992"))
        await resolution_over(stop, WAIT)
        await wait_for("NEW", lambda: stop.state is OrderState.NEW, WAIT)
        # Our own market sell trades at the bid (59990): the last price crosses the trigger.
        push = await om.submit(OrderIntent(SYMBOL, Side.SELL, OrderType.MARKET, quantity=QTY))
        await wait_for("the push to fill", lambda: push.state is OrderState.FILLED, WAIT)
        await wait_for(
            "the stop's fill", lambda: stop.state is OrderState.FILLED and stop.filled_qty == QTY, WAIT
        )
        (algo,) = exchange_algos(f.ex)
        assert algo.status == "FINISHED" and stop.order_id == algo.actual_order_id
        assert len(exchange_orders(f.ex)) == 2  # the push and the one the stop sent
        assert position(f.ex) == -2 * QTY
        assert [fill.last_qty for fill in stop.fills] == [QTY]


async def test_a_restart_with_a_conditional_in_doubt_finds_it_never_doubles_it(tmp_path: Path) -> None:
    """The answer is lost and the process ends before resolving it: the next one, from the
    journal, looks it up in the Algo Service's id space and finds it."""
    path = tmp_path / "j.sqlite"
    async with futures(tmp_path) as f:
        f.ex.faults.inject(FaultKind.LOST_RESPONSE, ALGO_PATH, count=1)
        async with manager(f.venue, path) as first:
            cid = (await first.submit(stop_sell())).client_order_id
            assert first.order(cid).state is OrderState.UNKNOWN  # type: ignore[union-attr]
        async with manager(f.venue, path) as om:
            order = om.order(cid)
            assert order is not None
            await resolution_over(order, WAIT)
            await wait_for("NEW", lambda: order.state is OrderState.NEW, WAIT)
            assert order.place_attempts == 1
            (only,) = exchange_algos(f.ex, cid)
            assert only.status == "NEW" and len(exchange_algos(f.ex)) == 1
