"""Maintenance windows announced ahead (issue 16): the trader copies a window from the
exchange's notice; the ``OrderManager`` acts ``maintenance_lead_s`` before its start, once,
pauses new orders until the window has ended *and* the status reads normal, then resumes.
The local exchange's USDT-M futures over real sockets; the wall clock is the test's.

* nothing happens before the act time; at it, ``on_maintenance`` runs once;
* an order submitted in the pause is refused before anything is sent, naming the window;
* the pause outlives the window while the status still says maintenance;
* a window found in progress at start pauses at once;
* an order racing the act time is either refused or canceled: none is left open;
* settings typed wrong are refused at construction, naming the field and the rule."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.futures_algo_batch_helpers import QTY, exchange_algos
from tests.adversarial.futures_exactly_once_helpers import SYMBOL, exchange_orders, futures, position
from tests.adversarial.maintenance_windows_helpers import LEAD_S, START, WINDOW, Clock, window_manager
from tests.adversarial.resend_helpers import wait_for
from tradeexec.errors import InvalidParameter
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.maintenance_windows import MaintenanceWindow, parse_window
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


def _open_on_exchange(ex: object) -> list[object]:
    return [o for o in exchange_orders(ex) if str(o.status) in ("NEW", "PARTIALLY_FILLED")]  # type: ignore[arg-type]


async def test_acts_lead_s_before_the_start_then_resumes_after_the_end(tmp_path: Path) -> None:
    clock = Clock(START - timedelta(hours=1))
    async with futures(tmp_path) as f, window_manager(f.venue, tmp_path / "j.sqlite", clock, "cancel") as om:
        bid = await om.submit(_bid())
        clock.set(START, offset_s=-LEAD_S - 1)  # one second before the act time: nothing yet
        await clock.rounds(5)
        assert bid.state is OrderState.NEW and not om.policy.in_maintenance
        clock.set(START, offset_s=-LEAD_S)
        await wait_for("the bid canceled", lambda: bid.state is OrderState.CANCELED, WAIT)
        assert om.policy.in_maintenance and _open_on_exchange(f.ex) == []
        sent = len(exchange_orders(f.ex))
        clock.set(START, offset_s=1800)  # inside the window, the status reads normal: still paused
        await clock.rounds(5)
        with pytest.raises(TradingHalted, match=str(WINDOW).replace("+", r"\+")):
            await om.submit(_bid("58000"))
        assert len(exchange_orders(f.ex)) == sent  # refused before anything was sent
        clock.set(WINDOW.end)
        await wait_for("the pause lifted", lambda: not om.policy.in_maintenance, WAIT)
        after = await om.submit(_bid("58000"))
        assert after.state is OrderState.NEW


async def test_the_pause_outlives_the_window_while_the_status_says_maintenance(tmp_path: Path) -> None:
    clock = Clock(START - timedelta(hours=1))
    async with futures(tmp_path) as f, window_manager(
        f.venue, tmp_path / "j.sqlite", clock, "protect", status_every_s=0.05
    ) as om:
        await om.submit(OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=QTY))
        await wait_for("the long", lambda: position(f.ex) == QTY, WAIT)
        clock.set(START, offset_s=-LEAD_S)
        await wait_for("the protective stop", lambda: len(exchange_algos(f.ex)) == 1, WAIT)
        # The exchange's status turns to maintenance while the window's pause holds: the
        # setting is not applied a second time.
        f.ex.state.maintenance = True
        clock.set(WINDOW.end, offset_s=60)
        await clock.rounds(10)
        assert om.policy.in_maintenance and len(exchange_algos(f.ex)) == 1
        with pytest.raises(TradingHalted, match="scheduled window"):
            await om.submit(_bid())
        f.ex.state.maintenance = False
        await wait_for("the pause lifted", lambda: not om.policy.in_maintenance, WAIT)
        assert (await om.submit(_bid())).state is OrderState.NEW
        assert len(exchange_algos(f.ex)) == 1


async def test_a_window_in_progress_at_start_pauses_at_once(tmp_path: Path) -> None:
    clock = Clock(START + timedelta(minutes=30))
    async with futures(tmp_path) as f, window_manager(f.venue, tmp_path / "j.sqlite", clock, "pause") as om:
        assert om.policy.in_maintenance  # before the first poller round
        with pytest.raises(TradingHalted, match="scheduled window"):
            await om.submit(_bid())
        assert exchange_orders(f.ex) == []


async def test_an_order_racing_the_act_time_is_refused_or_canceled(tmp_path: Path) -> None:
    """A strategy submitting without pause while the act time comes: every order it got
    through is canceled, and none goes out once the pause is on."""
    clock = Clock(START - timedelta(hours=1))
    async with futures(tmp_path) as f, window_manager(f.venue, tmp_path / "j.sqlite", clock, "cancel") as om:
        refused = 0

        async def keep_bidding() -> None:
            nonlocal refused
            price = 57000
            while True:
                price += 1
                try:
                    await om.submit(_bid(str(price)))
                except TradingHalted:
                    refused += 1
                    await asyncio.sleep(0)

        bidder = asyncio.create_task(keep_bidding())
        await wait_for("a few bids", lambda: len(exchange_orders(f.ex)) >= 3, WAIT)
        clock.set(START, offset_s=-LEAD_S)
        await wait_for("orders refused in the pause", lambda: refused >= 20, WAIT)
        bidder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bidder
        await wait_for("nothing open", lambda: _open_on_exchange(f.ex) == [], WAIT)
        managed = [om.order(o.client_order_id) for o in exchange_orders(f.ex)]
        assert managed and all(o is not None and o.state is OrderState.CANCELED for o in managed)


def test_settings_typed_wrong_are_refused_naming_the_field(tmp_path: Path) -> None:
    naive = datetime(2026, 12, 3, 14, 0)  # naive: the mistake under test
    with pytest.raises(InvalidParameter, match=r"maintenance_windows\.start: must be timezone-aware"):
        MaintenanceWindow(naive, START)
    with pytest.raises(InvalidParameter, match="maintenance_windows: end must be after start"):
        MaintenanceWindow(START, START)
    with pytest.raises(InvalidParameter, match="expected START/END"):
        parse_window("2026-12-03T14:00Z")
    with pytest.raises(InvalidParameter, match=r"maintenance_windows\.end: not an ISO 8601 time"):
        parse_window("2026-12-03T14:00Z/tomorrow")
    later = datetime(2026, 12, 3, 17, 0, tzinfo=timezone(timedelta(hours=2)))  # 15:00 UTC: inside
    assert parse_window("2026-12-03T14:00Z/2026-12-03T18:00+02:00") == WINDOW
    with Journal(tmp_path / "j.sqlite") as journal:
        for options, match in (
            ({"maintenance_lead_s": -1}, "maintenance_lead_s: must be a number of seconds >= 0"),
            ({"maintenance_windows": [WINDOW, MaintenanceWindow(later, later + timedelta(hours=1))]},
             "maintenance_windows: windows overlap"),
            ({"maintenance_windows": [("2026-12-03", "2026-12-04")]}, "each must be a MaintenanceWindow"),
        ):  # fmt: skip
            with pytest.raises(InvalidParameter, match=match):
                OrderManager(object(), journal, **options)  # type: ignore[arg-type]
