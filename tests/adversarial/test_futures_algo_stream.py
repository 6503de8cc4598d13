"""Conditional orders followed by their own events (ALGO_UPDATE as ``ConditionalUpdate``),
against the local exchange over real sockets, with the manager's poller slowed right down so
that only the stream (or its recovery after a reconnect) can move an order:

* a stop triggered and filled is followed through the stream alone: FILLED, its fill once,
  the leg moved once, and no lookup made;
* ALGO_UPDATEs lost while the stream is cut are recovered after the reconnect from the Algo
  Service's lookups;
* through a proxy that reorders and repeats frames, and with stale and repeated updates
  applied again by hand, nothing changes twice;
* a fired order's reports are never applied to a conditional order whose own id (in the
  Algo Service's id space) happens to equal the fired order's id."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.futures_algo_batch_helpers import QTY, exchange_algos, stop_sell
from tests.adversarial.futures_algo_stream_helpers import SLOW_POLL_S, is_algo_update, streamed
from tests.adversarial.futures_exactly_once_helpers import SYMBOL, futures, position
from tests.adversarial.resend_helpers import wait_for
from tradeexec.binance.futures_venue_stream import FuturesExecution
from tradeexec.execution.journal.records import RequestKind
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.records import OrderSnapshot
from tradeexec.venue.stream import ConditionalStatus, ConditionalUpdate
from tradeexec.venue.vocab import ExecutionType, OrderType, Side, TimeInForce
from tradeexec.venue.vocab import OrderStatus as VenueStatus

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(60)]

WAIT = 10.0
TRIGGER = "59992"  # between the bid (59990) and the ask: a market sell of ours crosses it


def leg_qty(om: OrderManager) -> Decimal:
    return om.positions.legs.leg(SYMBOL, PositionLeg.BOTH).quantity


def filled(order: ManagedOrder) -> bool:
    return order.state is OrderState.FILLED and order.filled_qty == QTY


def lookups(om: OrderManager, order: ManagedOrder) -> int:
    return sum(r.kind is RequestKind.QUERY for r in om.journal.requests(order.intent.id))


async def fire(om: OrderManager) -> ManagedOrder:
    """Our own market sell trades at the bid: the last price crosses the stop's trigger."""
    push = await om.submit(OrderIntent(SYMBOL, Side.SELL, OrderType.MARKET, quantity=QTY))
    await wait_for("the push to fill", lambda: filled(push), WAIT)
    return push


@pytest.mark.parametrize("poll_s", [SLOW_POLL_S, 0.02], ids=["stream-alone", "stream-and-poller"])
async def test_a_triggered_stop_is_followed_through_the_stream(tmp_path: Path, poll_s: float) -> None:
    """With the poller slowed down the stream alone follows it; with the poller looking at it
    every 20 ms as well, the two sources still fill it once and move the leg once."""
    async with futures(tmp_path) as f, streamed(f, tmp_path / "j.sqlite", poll_s=poll_s) as s:
        stop = await s.om.submit(stop_sell(OrderType.STOP_LOSS, TRIGGER))
        assert stop.state is OrderState.NEW
        await fire(s.om)
        await wait_for("the stop's fill", lambda: filled(stop), WAIT)
        (algo,) = exchange_algos(f.ex)
        assert algo.status == "FINISHED" and stop.order_id == algo.actual_order_id
        # NEW, TRIGGERING, FINISHED at least, all applied (whoever came first): one fill.
        await wait_for("the ALGO_UPDATEs", lambda: s.feed.stats.conditional_updates >= 3, WAIT)
        assert [fill.last_qty for fill in stop.fills] == [QTY]
        if poll_s == SLOW_POLL_S:
            assert lookups(s.om, stop) == 0  # the stream's word alone
        await wait_for("the leg", lambda: leg_qty(s.om) == -2 * QTY, WAIT)
        assert position(f.ex) == -2 * QTY


async def test_algo_updates_lost_in_an_outage_are_recovered_after_the_reconnect(tmp_path: Path) -> None:
    async with futures(tmp_path) as f, streamed(f, tmp_path / "j.sqlite") as s:
        stop = await s.om.submit(stop_sell(OrderType.STOP_LOSS, TRIGGER))
        await wait_for("NEW", lambda: stop.state is OrderState.NEW, WAIT)
        s.proxy.lose = is_algo_update
        await fire(s.om)
        fired = lambda: exchange_algos(f.ex)[0].status == "FINISHED"  # noqa: E731
        await wait_for("the exchange to fire the stop", fired, WAIT)
        await wait_for("the lost ALGO_UPDATEs", lambda: s.proxy.lost >= 2, WAIT)
        assert stop.state is OrderState.NEW  # nothing but the lost events could have said more
        s.proxy.lose = lambda _frame: False
        await s.proxy.cut()
        await wait_for("the stop's fill", lambda: filled(stop), WAIT)
        assert s.feed.stats.reconnects >= 1
        assert [fill.last_qty for fill in stop.fills] == [QTY]
        await wait_for("the leg", lambda: leg_qty(s.om) == -2 * QTY, WAIT)
        assert position(f.ex) == -2 * QTY


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_repeated_and_reordered_algo_updates_change_nothing(tmp_path: Path, seed: int) -> None:
    async with (
        futures(tmp_path) as f,
        streamed(f, tmp_path / "j.sqlite", seed=seed, hold=0.35, duplicate=0.35) as s,
    ):
        stop = await s.om.submit(stop_sell(OrderType.STOP_LOSS, TRIGGER))
        await fire(s.om)
        await wait_for("the stop's fill", lambda: filled(stop), WAIT)
        await s.proxy.settle()
        (algo,) = exchange_algos(f.ex)
        journaled = len(s.om.journal.events(stop.intent.id))
        again = [
            ConditionalUpdate(
                SYMBOL, stop.client_order_id, algo.algo_id, ConditionalStatus.NEW, algo.create_time
            ),
            ConditionalUpdate(
                SYMBOL, stop.client_order_id, algo.algo_id, ConditionalStatus.TRIGGERED, algo.trigger_time,
                algo.actual_order_id,
            ),
            ConditionalUpdate(
                SYMBOL, stop.client_order_id, algo.algo_id, ConditionalStatus.CANCELED, algo.update_time + 1
            ),
            # Another algo order that once carried the same client ID is not this one's.
            ConditionalUpdate(
                SYMBOL, stop.client_order_id, algo.algo_id + 1000, ConditionalStatus.FINISHED,
                algo.update_time + 2, algo.actual_order_id + 1000, QTY * 3, QTY * 3 * 60000,
            ),
        ]  # fmt: skip
        for update in again:
            s.om.on_conditional_update(update)
        assert stop.state is OrderState.FILLED and stop.executed_qty == QTY
        assert stop.order_id == algo.actual_order_id
        assert [fill.last_qty for fill in stop.fills] == [QTY]
        assert len(s.om.journal.events(stop.intent.id)) <= journaled + 3  # the new words, none a fill
        assert s.om.journal.fills(stop.client_order_id) == stop.fills
        await wait_for("the leg", lambda: leg_qty(s.om) == -2 * QTY, WAIT)
        assert position(f.ex) == -2 * QTY


async def test_a_book_orders_report_never_lands_on_a_conditional_of_the_same_id(tmp_path: Path) -> None:
    """The Algo Service's ids and the book's are separate counters: an order placed elsewhere
    (the web UI) whose book id equals our stop's algo id reports a fill; it is not the stop's."""
    async with futures(tmp_path) as f, streamed(f, tmp_path / "j.sqlite") as s:
        stop = await s.om.submit(stop_sell(OrderType.STOP_LOSS, "58000"))
        (algo,) = exchange_algos(f.ex)
        assert stop.order_id == algo.algo_id
        foreign = FuturesExecution(
            SYMBOL, "web_a1b2c3", algo.algo_id, Side.SELL, ExecutionType.TRADE, VenueStatus.FILLED,
            QTY, QTY * 59990, algo.create_time + 1, 777, Decimal(59990), QTY, Decimal(0), "USDT",
            PositionLeg.BOTH, Decimal(0), False, False,
        )  # fmt: skip
        assert not s.om.on_execution_report(foreign)
        snapshot = OrderSnapshot(
            SYMBOL, algo.algo_id, "web_a1b2c3", Side.SELL, OrderType.MARKET, VenueStatus.FILLED,
            TimeInForce.GTC, QTY, None, None, None, QTY, QTY * 59990, algo.create_time, algo.create_time + 1,
        )  # fmt: skip
        assert not s.om.on_order_update(snapshot)
        # An earlier algo order under the same client ID (its first word here): not this one,
        # whose id the placement's answer gave.
        older = ConditionalUpdate(
            SYMBOL, stop.client_order_id, algo.algo_id + 1000, ConditionalStatus.FINISHED,
            algo.create_time + 2, 424242, QTY, QTY * 59990,
        )  # fmt: skip
        assert not s.om.on_conditional_update(older)
        assert stop.state is OrderState.NEW and stop.executed_qty == 0 and stop.fills == []
        assert leg_qty(s.om) == 0


async def test_after_a_restart_a_fired_stop_in_the_book_is_followed_by_its_reports(tmp_path: Path) -> None:
    """The journal already names the order the stop fired (resting in the book); a new
    process knows it as the stop's from its lookup, so that order's execution reports (whose
    client ID is not the stop's) fill the stop, with no ALGO_UPDATE and no poller."""
    path = tmp_path / "j.sqlite"
    async with futures(tmp_path) as f:
        async with streamed(f, path) as s:
            stop = await s.om.submit(stop_sell(OrderType.STOP_LOSS_LIMIT, TRIGGER))  # rests at 59992
            await fire(s.om)
            (algo,) = exchange_algos(f.ex)
            await wait_for("the fired order", lambda: stop.order_id == algo.actual_order_id, WAIT)
            assert stop.state is OrderState.NEW
        async with streamed(f, path) as s:
            s.proxy.lose = is_algo_update
            again = s.om.order(stop.client_order_id)
            assert again is not None and again.order_id == algo.actual_order_id
            # Our own market buy takes the resting sell at 59992 (the best ask).
            take = await s.om.submit(OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=QTY))
            await wait_for("the stop's fill", lambda: filled(again) and filled(take), WAIT)
            assert [(x.last_qty, x.last_price) for x in again.fills] == [(QTY, Decimal(TRIGGER))]
            assert lookups(s.om, again) <= 1  # the restart's own, nothing after
            await wait_for("the leg", lambda: leg_qty(s.om) == -QTY, WAIT)
            assert position(f.ex) == -QTY
