"""No order that can grow a position is signed after a stop began (issues 13/16).

The manager checks its kill switch before it hands an order to the venue; the venue may then
wait (rate-limit pacing, the clock offset, a -1021 re-measure) before it signs. Each attack
here holds placements in that wait, over real sockets on the local exchange, trips the
emergency stop, and lets them go: the gate at signing must stop every one of them (nothing
reaches the exchange's order entry, which records what arrived and its signed timestamp), and
each must end as the manager's own check refusing it would (abandoned, journaled so, nothing
to resolve). Spot and USDⓈ-M, REST and the WebSocket API, a batch, a -1021 re-sign; and the
stop's own closing orders, cancels and queries still pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.futures_algo_batch_helpers import stop_sell
from tests.adversarial.futures_exactly_once_helpers import futures, manager
from tests.adversarial.neutral_venue_helpers import manager_on
from tests.adversarial.stop_gate_helpers import Arrivals, assert_stopped_unsent, hold_orders, placing, until
from tests.execution.fake_venue import FakeVenue, LosingVenue
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.net.gate import placing as gated
from tradeexec.binance.net.ratelimit import RateLimiter
from tradeexec.binance.venue import SpotVenue
from tradeexec.errors import OutcomeUnknown, StoppedBeforeSigning
from tradeexec.execution.emergency import EmergencyReport, SellSettings, emergency_stop
from tradeexec.execution.journal.records import OutcomeKind, RequestKind
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.risk import RiskLimitExceeded, RiskManager
from tradeexec.sim import LocalExchange
from tradeexec.sim.params import ApiError
from tradeexec.venue.protocol import TradingVenue
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(60)]

D = Decimal
SYMBOL = "BTCUSDT"
FAST = SellSettings(pass_delay_s=0.02)
WAITING = 3  # placements held in the pacing when the stop trips


@dataclass
class Desk:
    ex: LocalExchange
    client: BinanceClient
    venue: TradingVenue
    om: OrderManager
    arrivals: Arrivals
    limiter: RateLimiter


def _buy(price: str, qty: str = "0.01") -> OrderIntent:
    return OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=D(qty), price=D(price),
                       time_in_force=TimeInForce.GTC)  # fmt: skip


@contextlib.asynccontextmanager
async def _spot(tmp_path: Path, *, ws: bool) -> AsyncIterator[Desk]:
    async with contextlib.AsyncExitStack() as stack:
        ex = await stack.enter_async_context(LocalExchange(market=False))
        ex.set_price(SYMBOL, "60000")
        ex.add_liquidity(SYMBOL, "SELL", "60000", "5")
        client = await stack.enter_async_context(
            BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=3.0)
        )
        orders = await stack.enter_async_context(client.ws_api()) if ws else None
        venue = SpotVenue(client, orders=orders)
        om = await stack.enter_async_context(manager(venue, tmp_path / "j.sqlite"))
        yield Desk(ex, client, venue, om, Arrivals(ex), client.transport.limiter("api"))


@contextlib.asynccontextmanager
async def _futures(tmp_path: Path) -> AsyncIterator[Desk]:
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        yield Desk(f.ex, f.client, f.venue, om, Arrivals(f.ex), f.client.transport.limiter("fapi"))


async def _warm(desk: Desk) -> None:
    """One order placed before anything is held: the mark, the average price and the clock
    offset are known, so the held placements wait in the pacing and nowhere else."""
    rested = await desk.om.submit(_buy("58000"))
    assert rested.state is OrderState.NEW


async def _stop_while_held(desk: Desk, send: Callable[[], list[Awaitable[Any]]]) -> tuple[
    list[ManagedOrder], list[Any], EmergencyReport, int
]:
    """Hold placements in the client's pacing, start ``send``'s, trip the emergency stop once
    ``WAITING`` wait there, then let the pacing go. Returns the held orders, what each send
    ended with, the stop's report and the signing clock when the switch tripped."""
    await _warm(desk)
    hold_orders(desk.limiter)
    sends = [asyncio.ensure_future(s) for s in send()]
    await until(f"{WAITING} placements held in the pacing", lambda: len(placing(desk.om)) == WAITING)
    held = placing(desk.om)
    assert desk.arrivals.carrying(o.client_order_id for o in held) == [], "the pacing let one through"
    stop = asyncio.ensure_future(
        emergency_stop(desk.venue, flatten_assets=[], risk=desk.om.risk, selling=FAST)
    )
    await until("the stop to trip the switch", lambda: desk.om.risk.tripped)
    stop_ms = desk.venue.timestamp_ms()
    results = await asyncio.gather(*sends, return_exceptions=True)
    report = await stop
    return held, results, report, stop_ms


def _nothing_signed_after(desk: Desk, held: list[ManagedOrder], stop_ms: int) -> None:
    assert desk.arrivals.carrying(o.client_order_id for o in held) == []
    late = [a for a in desk.arrivals.placed if a.signed_ms > stop_ms and not a.ids[0].startswith("emer")]
    assert late == [], late


@pytest.mark.parametrize("channel", ["rest", "ws_api"])
async def test_spot_placements_waiting_in_the_pacing_are_not_sent_after_the_stop(
    tmp_path: Path, channel: str
) -> None:
    async with _spot(tmp_path, ws=channel == "ws_api") as desk:
        held, results, report, stop_ms = await _stop_while_held(
            desk, lambda: [desk.om.submit(_buy(str(59000 + i))) for i in range(WAITING)]
        )
        _nothing_signed_after(desk, held, stop_ms)
        assert all(isinstance(r, RiskLimitExceeded) and r.rule == "kill_switch" for r in results), results
        assert_stopped_unsent(desk.om, held)
        assert report.ok, report.lines()
        assert await desk.client.open_orders(SYMBOL) == []  # the warm-up order: the stop's cancel passed


@pytest.mark.parametrize("kind", ["plain", "conditional"])
async def test_futures_placements_waiting_in_the_pacing_are_not_sent_after_the_stop(
    tmp_path: Path, kind: str
) -> None:
    """Plain orders (``/fapi/v1/order``) and conditional ones (the Algo Service's
    ``/fapi/v1/algoOrder``, a SELL stop that could open a short)."""
    async with _futures(tmp_path) as desk:
        def make(i: int) -> OrderIntent:
            return _buy(str(59000 + i)) if kind == "plain" else stop_sell(trigger=str(58000 - i))

        held, results, report, stop_ms = await _stop_while_held(
            desk, lambda: [desk.om.submit(make(i)) for i in range(WAITING)]
        )
        _nothing_signed_after(desk, held, stop_ms)
        assert all(isinstance(r, RiskLimitExceeded) for r in results), results
        assert_stopped_unsent(desk.om, held)
        assert report.ok, report.lines()


async def test_a_futures_batch_waiting_in_the_pacing_is_not_sent_after_the_stop(tmp_path: Path) -> None:
    async with _futures(tmp_path) as desk:
        batch = [_buy(str(59000 + i)) for i in range(WAITING)]
        held, results, report, stop_ms = await _stop_while_held(desk, lambda: [desk.om.submit_batch(batch)])
        _nothing_signed_after(desk, held, stop_ms)
        assert [a.op for a in desk.arrivals.placed if a.op == "f_batch_orders"] == []
        (orders,) = results
        assert sorted(o.client_order_id for o in orders) == sorted(o.client_order_id for o in held)
        assert_stopped_unsent(desk.om, held)
        assert report.ok, report.lines()


async def test_a_closing_order_held_in_the_pacing_still_goes_out_after_the_stop(tmp_path: Path) -> None:
    """The gate holds back only what could grow a position: a reduce-only close waiting in
    the pacing when the stop trips is sent (and the stop, which waits for it, closes the
    rest)."""
    async with _futures(tmp_path) as desk:
        opened = await desk.om.submit(OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=D("0.1")))
        await until("the buy to fill", lambda: opened.state is OrderState.FILLED)
        hold_orders(desk.limiter)
        close = asyncio.ensure_future(desk.om.submit(OrderIntent(
            SYMBOL, Side.SELL, OrderType.LIMIT, quantity=D("0.05"), price=D("61000"),
            time_in_force=TimeInForce.GTC, reduce_only=True,
        )))  # fmt: skip
        await until("the close held in the pacing", lambda: len(placing(desk.om)) == 1)
        report = await emergency_stop(desk.venue, flatten_assets=[], risk=desk.om.risk, selling=FAST)
        order = await close
        cid = order.client_order_id
        assert [a.ids for a in desk.arrivals.carrying([cid])] == [(cid,)], "the close was held back"
        assert order.order_id is not None and (order.reason is None or "kill switch" not in order.reason)
        assert report.ok, report.lines()


@pytest.mark.parametrize("channel", ["rest", "ws_api"])
async def test_a_minus_1021_re_sign_after_the_trip_is_not_sent(tmp_path: Path, channel: str) -> None:
    """The exchange answers the first placement -1021; while the client re-measures the
    server time (the exchange's time endpoint), the kill switch trips. The re-signed request
    must not go: one arrival only, signed before the trip."""
    async with _spot(tmp_path, ws=channel == "ws_api") as desk:
        await _warm(desk)
        tripped_ms: list[int] = []
        answered: list[str] = []

        def hook(op: str) -> None:
            if op == "new_order" and not answered:
                answered.append(op)
                raise ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")
            if op == "time" and answered and not tripped_ms:
                tripped_ms.append(desk.venue.timestamp_ms())
                desk.om.risk.trip("attack: stop during a -1021 re-measure", emergency=False)

        desk.arrivals.hook = hook
        before = len(desk.arrivals.placed)
        with pytest.raises(RiskLimitExceeded):
            await desk.om.submit(_buy("59000"))
        (order,) = [o for o in desk.om._orders.values() if o.intent.price == D("59000")]
        arrived = desk.arrivals.placed[before:]
        assert tripped_ms, "the time was never re-measured"
        assert [a.ids for a in arrived] == [(order.client_order_id,)], arrived
        assert arrived[0].signed_ms <= tripped_ms[0]
        assert_stopped_unsent(desk.om, [order])


async def test_futures_ws_api_placement_is_stopped_at_signing(tmp_path: Path) -> None:
    """The USDⓈ-M WebSocket API signs through the same gate: a placement held in the pacing
    under a gate that trips meanwhile raises ``StoppedBeforeSigning`` and sends nothing,
    while a cancel under the same tripped gate goes out."""
    async with futures(tmp_path) as f, f.client.futures_ws_api() as ws:
        arrivals = Arrivals(f.ex)
        rests = await ws.futures_place_order(SYMBOL, "BUY", "LIMIT", quantity=D("0.01"), price=D("58000"),
                                             time_in_force="GTC")  # fmt: skip
        risk = RiskManager()
        limiter = f.client.transport.limiter("fapi")
        hold_orders(limiter)
        with gated(risk):
            placed = asyncio.ensure_future(ws.futures_place_order(
                SYMBOL, "BUY", "LIMIT", quantity=D("0.01"), price=D("59000"), time_in_force="GTC",
                new_client_order_id="gate_ws_1",
            ))  # fmt: skip
        await until("the placement held in the pacing", lambda: limiter._queued == 1)
        risk.trip("attack: stop while the WebSocket API paces", emergency=False)
        stopped_at = time.monotonic()
        with pytest.raises(StoppedBeforeSigning, match="gate_ws_1"):
            await placed
        assert time.monotonic() - stopped_at < 5.0
        assert arrivals.carrying(["gate_ws_1"]) == []
        with gated(risk):
            canceled = await ws.futures_cancel_order(SYMBOL, orig_client_order_id=rests.client_order_id)
        assert str(canceled.status) == "CANCELED"


class _PacingFake(LosingVenue):
    """The fake venue behind a pacing that holds each placement until released, then signs
    it (the fake reads the gate as it records the order)."""

    def __init__(self, inner: FakeVenue) -> None:
        super().__init__(inner)
        self.release = asyncio.Event()

    async def place(self, request: Any, *, gate: Any = None) -> Any:
        await self.release.wait()
        return await self.inner.place(request, gate=gate)


async def test_a_venue_that_is_not_binance_honours_the_gate_too(tmp_path: Path) -> None:
    """The gate is the venue contract's, not Binance's: on the fake venue a placement held
    before signing when the stop trips is never recorded and ends abandoned."""
    inner = FakeVenue(D("60000"))
    inner.holdings = {"BTC": D("0"), "USDT": D("100000")}
    venue = _PacingFake(inner)
    async with manager_on(venue, tmp_path) as om:  # type: ignore[arg-type]
        submit = asyncio.ensure_future(om.submit(_buy("59000")))
        await until("the order held before signing", lambda: len(placing(om)) == 1)
        (held,) = placing(om)
        stop = asyncio.ensure_future(emergency_stop(venue, flatten_assets=[], risk=om.risk, selling=FAST))  # type: ignore[arg-type]
        await until("the stop to trip the switch", lambda: om.risk.tripped)
        venue.release.set()
        with pytest.raises(RiskLimitExceeded, match="kill_switch"):
            await submit
        report = await stop
        assert held.client_order_id not in inner.placed
        assert_stopped_unsent(om, [held])
        assert report.ok, report.lines()


async def test_order_lists_and_cancel_replace_are_gated_but_cancels_and_queries_are_not(
    tmp_path: Path,
) -> None:
    """Every order-placing request signed under a tripped gate is held back at signing (an
    OCO list, a cancel-replace's new order); cancels and queries under the same gate go."""
    async with LocalExchange(market=False) as ex:
        ex.set_price(SYMBOL, "60000")
        ex.add_liquidity(SYMBOL, "SELL", "60000", "5")
        arrivals = Arrivals(ex)
        async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=3.0) as client:
            cid = "gate_rest"
            limit: dict[str, Any] = {"price": D("58000"), "time_in_force": "GTC"}
            rests = await client.new_order(
                SYMBOL, "BUY", "LIMIT", quantity=D("0.01"), new_client_order_id=cid, **limit
            )
            before = len(arrivals.placed)
            tripped = RiskManager()
            tripped.trip("attack: stopped", emergency=False)
            with gated(tripped):
                with pytest.raises(StoppedBeforeSigning):
                    await client.new_oco(
                        SYMBOL, "SELL", D("0.01"), D("62000"), D("58000"),
                        stop_limit_price=D("57900"), stop_limit_time_in_force="GTC",
                    )  # fmt: skip
                with pytest.raises(StoppedBeforeSigning):
                    await client.cancel_replace(SYMBOL, "BUY", "LIMIT", cancel_orig_client_order_id=cid,
                                                quantity=D("0.02"), **limit)  # fmt: skip
                assert arrivals.placed[before:] == []
                assert (await client.get_order(SYMBOL, orig_client_order_id=cid)).order_id == rests.order_id
                assert [o.client_order_id for o in await client.open_orders(SYMBOL)] == [cid]
                canceled = await client.cancel_order(SYMBOL, orig_client_order_id=cid)
            assert str(canceled.status) == "CANCELED"
            assert await client.open_orders(SYMBOL) == []


class _ResendHeld(LosingVenue):
    """The first placement lost before it was sent; the resend held before signing until
    released (then the fake signs it, reading the gate)."""

    def __init__(self, inner: FakeVenue) -> None:
        super().__init__(inner)
        self.release = asyncio.Event()
        self.calls = 0

    async def place(self, request: Any, *, gate: Any = None) -> Any:
        self.calls += 1
        if self.calls == 1:
            raise OutcomeUnknown(f"{request.client_order_id}: the connection dropped before it was sent")
        await self.release.wait()
        return await self.inner.place(request, gate=gate)


async def test_a_resend_held_before_signing_when_the_stop_trips_is_not_sent(tmp_path: Path) -> None:
    """The resolver's resend (same ID, once the lost original can no longer execute) passes
    the manager's check, then waits; the stop trips: it is never signed, and the order ends
    abandoned after its one unknown placement."""
    inner = FakeVenue(D("60000"))
    inner.holdings = {"BTC": D("0"), "USDT": D("100000")}
    venue = _ResendHeld(inner)
    async with manager_on(venue, tmp_path) as om:  # type: ignore[arg-type]
        order = await om.submit(dataclasses.replace(_buy("59000"), recv_window_ms=100))
        assert order.state is OrderState.UNKNOWN
        await until("the resend held before signing", lambda: venue.calls == 2 and order.placing, 15)
        om.risk.trip("attack: stop while a resend waits", emergency=False)
        venue.release.set()
        await until("the order to end", lambda: order.is_final and not order.placing)
        assert inner.placed == []
        assert order.state is OrderState.CANCELED
        assert order.reason is not None and order.reason.startswith("not sent: kill switch tripped")
        places = [r for r in om.journal.requests(order.intent.id) if r.kind is RequestKind.PLACE]
        assert [r.outcome for r in places] == [OutcomeKind.UNKNOWN, OutcomeKind.ABANDONED]
        derived = om.journal.state(order.client_order_id)
        assert derived is not None and derived.state is OrderState.CANCELED
