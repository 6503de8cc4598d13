"""Attacks on the resend rule: an emergency stop while an order's outcome is unknown, and a
clock step (the exchange's back, the client's forward) while an order is on the wire.

Each runs the real order manager and client against the local exchange over 127.0.0.1; the
placement is kept in flight by the exchange's own fault injection (a 503 that never executed,
or an answer delayed past the client's timeout)."""

from __future__ import annotations

import asyncio
import os
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.resend_helpers import (
    QTY,
    SYMBOL,
    Venue,
    btc_held,
    manager,
    market_buy,
    orders_with_id,
    resolution_over,
    venue,
    wait_for,
)
from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.venue import SpotVenue
from tradeexec.execution.emergency import EmergencyReport, emergency_stop
from tradeexec.execution.journal.records import Intent, OutcomeKind, RequestKind
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.risk import RiskManager

pytestmark = pytest.mark.adversarial


@pytest.mark.parametrize("how", ["kill_switch", "emergency_stop"])
async def test_no_resend_after_a_stop(tmp_path: Path, how: str) -> None:
    """A market buy whose placement never executed (503) is UNKNOWN when the stop begins.
    Its resolver later finds it missing past its recvWindow: before the fix it resent it
    and re-opened the position the stop had just closed (here: the stop cancels everything
    and the BTC held must not change)."""
    reports: list[EmergencyReport] = []
    async with venue() as v:

        async def on_kill(reason: str) -> None:
            reports.append(await emergency_stop(SpotVenue(v.client), flatten_assets=[]))

        risk = RiskManager(on_kill=on_kill)
        async with manager(v, tmp_path / "j.sqlite", risk=risk) as om:
            held = await btc_held(v.client)
            v.ex.inject("http_5xx", "/api/v3/order", count=1, status=503)
            order = await om.submit(market_buy(recv_window_ms=500))
            assert order.state is OrderState.UNKNOWN
            if how == "kill_switch":
                risk.trip("attack: stop while an outcome is unknown")
                await wait_for("the kill callback", lambda: bool(reports), 30)
            else:  # the stop itself, told of the manager's risk manager, trips the switch
                reports.append(await emergency_stop(SpotVenue(v.client), flatten_assets=[], risk=risk))
            assert reports[0].ok, reports[0].lines()
            await resolution_over(order, 15)

            assert await orders_with_id(v.client, order.client_order_id) == []
            assert order.state is OrderState.CANCELED
            places = [r for r in om.journal.requests(order.intent.id) if r.kind is RequestKind.PLACE]
            assert all(r.outcome is OutcomeKind.ABANDONED for r in places[1:])  # held at the wire
            assert order.reason is not None and "kill switch" in order.reason
            derived = om.journal.state(order.client_order_id)
            assert derived is not None and derived.state is OrderState.CANCELED
            assert derived.reason is not None and "kill switch" in derived.reason
            assert await btc_held(v.client) == held  # no position re-opened behind the stop


# ``make soak`` (TRADEEXEC_SOAK=full) also steps the client's clock by a minute and an hour.
_FORWARD_STEPS_S = [7] + ([60, 3600] if os.environ.get("TRADEEXEC_SOAK") == "full" else [])


@pytest.mark.parametrize("step", ["exchange_back", *(f"client_forward_{s}" for s in _FORWARD_STEPS_S)])
async def test_clock_step_while_on_the_wire_does_not_double_the_order(tmp_path: Path, step: str) -> None:
    """The placement's answer is delayed past the client's timeout; meanwhile a clock steps.
    Exchange back 3 s: the original is still accepted 2.5 s after it was signed with a
    1.5 s recvWindow. Client forward 7 s: the local clock says the window passed at once.
    A resend judged on the local wall clock fills next to the original: two FILLED orders
    with one client order ID."""
    latency_ms = 2500 if step == "exchange_back" else 1000
    async with venue(timeout=0.3) as v, manager(v, tmp_path / "j.sqlite") as om:
        held = await btc_held(v.client)
        v.ex.inject("latency", "/api/v3/order", latency_ms=latency_ms, count=1)
        sent = time.monotonic()
        order = await om.submit(market_buy(recv_window_ms=1500))
        assert order.state is OrderState.UNKNOWN  # the original is still on its way
        if step == "exchange_back":
            v.ex.inject("clock_skew", skew_ms=-3000)
        else:
            v.clock.step_s += int(step.rsplit("_", 1)[1])
        await resolution_over(order, 20)
        await _filled_once(v, om, order, held, sent + latency_ms / 1000 + 1.0)


async def test_restart_on_a_clock_stepped_forward_does_not_double_the_order(tmp_path: Path) -> None:
    """The process ends with the placement on the wire and restarts at once on a wall clock
    stepped 7 s forward: by the journaled send time the recvWindow is long over, but the
    original is still on its way. Reconciliation must find it, not resend next to it."""
    path = tmp_path / "j.sqlite"
    async with venue(timeout=0.3) as v:
        held = await btc_held(v.client)
        v.ex.inject("latency", "/api/v3/order", latency_ms=1000, count=1)
        sent = time.monotonic()
        async with manager(v, path) as first:
            cid = (await first.submit(market_buy(recv_window_ms=1500))).client_order_id
            assert first.order(cid).state is OrderState.UNKNOWN  # type: ignore[union-attr]
        v.clock.step_s += 7
        async with manager(v, path) as om:
            order = om.order(cid)
            assert order is not None
            await resolution_over(order, 20)
            await _filled_once(v, om, order, held, sent + 2.0)


async def _filled_once(v: Venue, om: OrderManager, order: ManagedOrder, held: Decimal, until: float) -> None:
    """One FILLED order with the client order ID, counted once, and a journal that says what
    the resend rule compared. The original has landed by ``until`` (monotonic), and so has
    any duplicate."""
    cid = order.client_order_id
    statuses = await orders_with_id(v.client, cid)
    while time.monotonic() < until and len(statuses) < 2:
        await asyncio.sleep(0.05)  # poll interval of a deadline-bounded wait
        statuses = await orders_with_id(v.client, cid)
    statuses = await orders_with_id(v.client, cid)

    assert statuses == ["FILLED"], statuses
    assert order.state is OrderState.FILLED and order.place_attempts == 1
    position = om.positions.position(SYMBOL)
    bought = await btc_held(v.client) - held
    # The position is the BTC held: what the account had at the start plus what was bought.
    assert position is not None and position.quantity == held + bought and QTY / 2 < bought <= QTY
    queries = [r for r in om.journal.requests(order.intent.id) if r.kind is RequestKind.QUERY]
    not_found = [r.msg or "" for r in queries if r.outcome is OutcomeKind.NOT_FOUND]
    assert all("signed timestamp" in m and "server time" in m for m in not_found), not_found
    assert not any("can no longer execute" in m for m in not_found)


@pytest.mark.parametrize("placed", [False, True])
async def test_reconcile_after_a_stop_sends_no_journaled_intent(tmp_path: Path, placed: bool) -> None:
    """A process journaled an intent (and, with ``placed``, its placement request) and died:
    the order is PENDING_NEW (never sent) or UNKNOWN (maybe sent). The next process starts
    with its kill switch tripped: reconcile must neither send the first nor resend the
    second once found missing, but journal each abandoned, with the reason."""
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        intent = journal.record_intent(
            Intent("adv_BTCUSDT_20260101000000_0badcafe", "adv", SYMBOL, "BUY", "MARKET", QTY, None, None,
                   None, None, int(time.time() * 1000), 500)
        )  # fmt: skip
        if placed:
            journal.record_request(intent.id, RequestKind.PLACE, attempt=1)
    async with venue() as v:
        risk = RiskManager()
        risk.trip("attack: stopped before the restart", emergency=False)
        async with manager(v, path, risk=risk) as om:
            order = om.order(intent.client_order_id)
            assert order is not None and order.state is OrderState.CANCELED
            assert order.reason is not None and "kill switch" in order.reason
            assert await orders_with_id(v.client, intent.client_order_id) == []
            derived = om.journal.state(intent.client_order_id)
            assert derived is not None and derived.state is OrderState.CANCELED
            assert derived.reason is not None and "kill switch" in derived.reason


async def test_an_order_landing_after_the_stop_is_canceled(tmp_path: Path) -> None:
    """A limit buy is on the wire (its answer late) when the stop cancels every open order;
    it lands afterwards and rests on the book. Resolution finds it: it must cancel it, not
    leave an order the stop reported gone."""
    reports: list[EmergencyReport] = []
    async with venue(timeout=0.3) as v:

        async def on_kill(reason: str) -> None:
            reports.append(await emergency_stop(SpotVenue(v.client), flatten_assets=[]))

        risk = RiskManager(on_kill=on_kill)
        async with manager(v, tmp_path / "j.sqlite", risk=risk) as om:
            v.ex.inject("latency", "/api/v3/order", latency_ms=1000, count=1)
            order = await om.submit(
                OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=QTY, price=Decimal(59000),
                            recv_window_ms=1500)
            )  # fmt: skip
            assert order.state is OrderState.UNKNOWN
            risk.trip("attack: stop while a limit order is on the wire")
            await wait_for("the kill callback", lambda: bool(reports), 30)
            assert reports[0].ok and reports[0].canceled_symbols == [], reports[0].lines()
            await resolution_over(order, 15)
            assert order.state is OrderState.CANCELED and order.place_attempts == 1
            assert await orders_with_id(v.client, order.client_order_id) == ["CANCELED"]
            assert await v.client.open_orders(SYMBOL) == []
