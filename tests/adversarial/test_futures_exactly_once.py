"""Exactly once on USDT-M futures: an ``OrderManager`` on ``FuturesVenue`` against the local
exchange over real sockets, with the faults Binance has injected on ``/fapi/v1/order``.

* -1007 and a lost answer on a placement (executed, answer gone): looked up, never resent:
  one exchange order per intent, by the exchange's own record;
* the same on a cancel: the order ends canceled, still one order;
* an answer that never came because the request never executed (-1001): resent once, with
  the same ID;
* a reduce-only close whose answer was lost is resent reduce-only: when the position was
  closed meanwhile the resend is refused by the exchange and never opens the other way.

The SIGKILL attack on the futures order path is in ``test_futures_crash_restart.py``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.futures_exactly_once_helpers import SYMBOL, exchange_orders, futures, manager, position
from tests.adversarial.resend_helpers import resolution_over, wait_for
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.sim.faults import FaultKind
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.vocab import OrderType, Side

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(60)]

D = Decimal
WAIT = 10.0
QTY = D("0.1")


def _buy(kind: OrderType = OrderType.MARKET, price: str | None = None, **kw: object) -> OrderIntent:
    return OrderIntent(
        SYMBOL, Side.BUY, kind, quantity=QTY, price=None if price is None else D(price),
        recv_window_ms=500, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.mark.parametrize("fault", [FaultKind.ERROR_1007, FaultKind.LOST_RESPONSE])
@pytest.mark.parametrize("kind", [OrderType.MARKET, OrderType.LIMIT])
async def test_a_lost_placement_answer_ends_with_exactly_one_order(
    tmp_path: Path, fault: FaultKind, kind: OrderType
) -> None:
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        f.ex.faults.inject(fault, "/fapi/v1/order", count=1)
        order = await om.submit(_buy(kind, "59000" if kind is OrderType.LIMIT else None))
        await resolution_over(order, WAIT)
        want = OrderState.FILLED if kind is OrderType.MARKET else OrderState.NEW
        await wait_for(f"{want}", lambda: order.state is want, WAIT)
        assert order.place_attempts == 1  # it executed: found, never resent
        assert len(exchange_orders(f.ex, order.client_order_id)) == 1
        assert len(exchange_orders(f.ex)) == 1
        assert position(f.ex) == (QTY if kind is OrderType.MARKET else 0)


@pytest.mark.parametrize("fault", [FaultKind.ERROR_1007, FaultKind.LOST_RESPONSE])
async def test_a_lost_cancel_answer_ends_canceled_with_one_order(tmp_path: Path, fault: FaultKind) -> None:
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        order = await om.submit(_buy(OrderType.LIMIT, "59000"))
        assert order.state is OrderState.NEW
        f.ex.faults.inject(fault, "/fapi/v1/order", count=1)
        await om.cancel(order.client_order_id)
        await wait_for("the cancel to be settled", lambda: order.state is OrderState.CANCELED, WAIT)
        (only,) = exchange_orders(f.ex, order.client_order_id)
        assert str(only.status) == "CANCELED" and len(exchange_orders(f.ex)) == 1


async def test_a_placement_that_never_executed_is_resent_once_with_its_id(tmp_path: Path) -> None:
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        f.ex.faults.inject(FaultKind.ERROR_1001, "/fapi/v1/order", count=1)
        order = await om.submit(_buy())
        await resolution_over(order, WAIT)
        await wait_for("the resent order to fill", lambda: order.state is OrderState.FILLED, WAIT)
        assert order.place_attempts == 2
        assert len(exchange_orders(f.ex, order.client_order_id)) == 1 and len(exchange_orders(f.ex)) == 1
        assert position(f.ex) == QTY


@pytest.mark.parametrize("hedge", [False, True], ids=["one-way", "hedge"])
async def test_a_resent_close_is_still_reduce_only_and_never_opens_the_other_way(
    tmp_path: Path, hedge: bool
) -> None:
    """Long 0.1; a reduce-only SELL 0.1 is lost before it executed (-1001); meanwhile the
    position is closed by another order. The resend must still be a close: the exchange
    refuses it (-2022) and the account stays flat; sent as an open it would sell 0.1 into a
    fresh short. One-way mode: the BOTH leg and reduceOnly=true. Hedge mode: the LONG leg, no
    flag (Binance refuses it there): a SELL on LONG can only close."""
    leg = PositionLeg.LONG if hedge else PositionLeg.BOTH
    async with futures(tmp_path, hedge=hedge) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        opened = await om.submit(_buy(position_leg=leg))
        await wait_for("the open to fill", lambda: opened.state is OrderState.FILLED, WAIT)
        assert position(f.ex, leg) == QTY
        f.ex.faults.inject(FaultKind.ERROR_1001, "/fapi/v1/order", count=1)
        closing = OrderIntent(
            SYMBOL, Side.SELL, OrderType.MARKET, quantity=QTY, recv_window_ms=1000,
            reduce_only=True, position_leg=leg,
        )  # fmt: skip
        close = await om.submit(closing)
        assert close.state is OrderState.UNKNOWN and close.intent.reduce_only
        # Closed meanwhile, by an order the manager does not know of.
        await f.client.futures_new_order(SYMBOL, "SELL", "MARKET", quantity=QTY, position_side=leg.value)
        assert position(f.ex, leg) == 0
        await wait_for("the resend", lambda: close.place_attempts == 2, WAIT)
        await resolution_over(close, WAIT)
        assert close.state is OrderState.REJECTED, close.state
        legs = {side: position(f.ex, side) for side in ("BOTH", "LONG", "SHORT")}
        assert legs == {"BOTH": 0, "LONG": 0, "SHORT": 0}, f"the resent close opened a position: {legs}"
        assert exchange_orders(f.ex, close.client_order_id) == []  # refused, never on the book
