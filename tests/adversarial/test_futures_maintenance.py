"""Scheduled maintenance on USDT-M futures: the local exchange's system status announces a
window while its API still serves; the ``OrderManager`` (reading the status every 50 ms)
applies ``on_maintenance`` once, then pauses new orders until the window ends.

* ``cancel``: every managed order, plain and conditional, ends canceled on the exchange;
* ``flatten``: orders canceled and the position closed, by the exchange's own record;
* ``protect``: one reduce-only stop-market per position leg, on the Algo Service;
* ``pause``: nothing is touched;
* in every case no new order goes out during the window, and trading resumes after it;
* an unknown setting is refused at construction, naming it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.futures_algo_batch_helpers import QTY, exchange_algos, maintenance_manager, stop_sell
from tests.adversarial.futures_exactly_once_helpers import SYMBOL, exchange_orders, futures, position
from tests.adversarial.resend_helpers import wait_for
from tradeexec.errors import InvalidParameter
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.policy import TradingHalted
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(60)]

WAIT = 10.0


def _bid(price: str = "59000") -> OrderIntent:
    return OrderIntent(
        SYMBOL, Side.BUY, OrderType.LIMIT, quantity=QTY, price=Decimal(price), time_in_force=TimeInForce.GTC
    )


def _market_buy() -> OrderIntent:
    return OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=QTY)


def _open_exchange_orders(ex: object) -> list[object]:
    return [o for o in exchange_orders(ex) if str(o.status) in ("NEW", "PARTIALLY_FILLED")]  # type: ignore[arg-type]


async def _window_pauses_then_resumes(ex: object, om: OrderManager) -> None:
    """During the window nothing new is sent; once the status is normal, orders go again."""
    with pytest.raises(TradingHalted):
        await om.submit(_bid("58000"))
    ex.state.maintenance = False  # type: ignore[attr-defined]
    await wait_for("the window's end", lambda: not om.policy.in_maintenance, WAIT)
    after = await om.submit(_bid("58000"))
    assert after.state is OrderState.NEW


async def test_cancel_cancels_every_managed_order_then_pauses(tmp_path: Path) -> None:
    async with futures(tmp_path) as f, maintenance_manager(f.venue, tmp_path / "j.sqlite", "cancel") as om:
        orders = [await om.submit(_bid()), await om.submit(_bid("58500")), await om.submit(stop_sell())]
        assert all(o.state is OrderState.NEW for o in orders)
        f.ex.state.maintenance = True
        await wait_for(
            "every order canceled", lambda: all(o.state is OrderState.CANCELED for o in orders), WAIT
        )
        assert _open_exchange_orders(f.ex) == []
        assert [a.status for a in exchange_algos(f.ex)] == ["CANCELED"]
        await _window_pauses_then_resumes(f.ex, om)


async def test_flatten_closes_the_position(tmp_path: Path) -> None:
    async with futures(tmp_path) as f, maintenance_manager(f.venue, tmp_path / "j.sqlite", "flatten") as om:
        await om.submit(_market_buy())
        resting = await om.submit(_bid())
        await wait_for("the long", lambda: position(f.ex) == QTY, WAIT)
        f.ex.state.maintenance = True
        await wait_for("flat", lambda: position(f.ex) == 0 and om.policy.in_maintenance, WAIT)
        await wait_for("the bid canceled", lambda: resting.state is OrderState.CANCELED, WAIT)
        assert _open_exchange_orders(f.ex) == []
        await _window_pauses_then_resumes(f.ex, om)


async def test_protect_places_one_reduce_only_stop_per_leg(tmp_path: Path) -> None:
    async with futures(tmp_path) as f, maintenance_manager(f.venue, tmp_path / "j.sqlite", "protect") as om:
        await om.submit(_market_buy())
        await wait_for("the long", lambda: position(f.ex) == QTY, WAIT)
        f.ex.state.maintenance = True
        # The pause comes first (nothing new slips in), then the stop goes out through it.
        await wait_for("the stop", lambda: om.policy.in_maintenance and exchange_algos(f.ex) != [], WAIT)
        (stop,) = exchange_algos(f.ex)
        assert stop.status == "NEW" and stop.order_type == "STOP_MARKET" and str(stop.side) == "SELL"
        assert stop.reduce_only and stop.quantity == QTY
        assert Decimal("50000") < stop.trigger_price < Decimal("59990")
        assert position(f.ex) == QTY
        await _window_pauses_then_resumes(f.ex, om)


async def test_pause_touches_nothing(tmp_path: Path) -> None:
    async with futures(tmp_path) as f, maintenance_manager(f.venue, tmp_path / "j.sqlite", "pause") as om:
        bid = await om.submit(_bid())
        f.ex.state.maintenance = True
        await wait_for("the pause", lambda: om.policy.in_maintenance, WAIT)
        assert bid.state is OrderState.NEW and len(_open_exchange_orders(f.ex)) == 1
        await _window_pauses_then_resumes(f.ex, om)


async def test_an_unknown_setting_is_refused_naming_it(tmp_path: Path) -> None:
    async with futures(tmp_path) as f:
        with (
            Journal(tmp_path / "j.sqlite") as journal,
            pytest.raises(InvalidParameter, match="on_maintenance"),
        ):
            OrderManager(f.venue, journal, on_maintenance="sell_everything")  # type: ignore[arg-type]
