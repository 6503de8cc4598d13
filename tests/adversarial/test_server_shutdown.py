"""Binance's ``serverShutdown`` on the WebSocket API (spot "Connection events"; the futures
WebSocket API inherits the handling): the client opens a new connection at once and sends new
requests on it while the old one delivers the answers of the requests already on it. Over
real sockets to the local exchange, which sends the event and closes the connection after a
grace period.

* orders in flight across the event are each answered once, on the old connection;
* orders sent after it go on the new connection (the exchange sees no request on the old one);
* the old connection is closed by the client once its answers are in, before the grace ends;
* when the old connection ends before answering, those orders are unknown outcomes, never
  resent: the exchange holds at most one order per client order ID;
* the same over the USDⓈ-M futures WebSocket API, and with an Ed25519 logged-on session;
* the user data subscription moves with the session, no event delivered twice;
* a spot market stream hands over to a new connection with no gap."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.resend_helpers import wait_for
from tests.adversarial.server_shutdown_helpers import (
    SYMBOL,
    futures_count,
    futures_session,
    read_after_shutdown,
    spot_count,
    spot_session,
    ws_api_connections,
)
from tests.streams import collect, keep_trading, local_exchange
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderStatus
from tradeexec.binance.models import DepthUpdateEvent, ExecutionReport, OrderAck, OrderFull
from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState
from tradeexec.binance.ws.streams import MarketStream
from tradeexec.binance.ws.userdata import WsApiUserData
from tradeexec.binance.ws.wsapi import WsApiClient
from tradeexec.errors import OrderStatusUnknown
from tradeexec.sim.faults import FaultKind

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(60)]

WAIT = 10.0
GRACE_S = 5.0
SPOT_PATH = "/ws-api/v3"


async def _spot_place(api: WsApiClient, cid: str) -> OrderAck | OrderFull:
    return await api.place_order(
        SYMBOL, "BUY", "LIMIT", quantity=Decimal("0.01"), price=Decimal("50000"), time_in_force="GTC",
        new_client_order_id=cid,
    )  # fmt: skip


@pytest.mark.parametrize("ed25519", [False, True], ids=["hmac", "ed25519-logon"])
async def test_spot_orders_in_flight_are_answered_once_and_new_ones_use_the_new_connection(
    ed25519: bool,
) -> None:
    async with spot_session(ed25519=ed25519) as (ex, api, states):
        ex.inject(FaultKind.LATENCY, "order.place", latency_ms=150)
        before = [f"sd-old-{i}" for i in range(4)]
        in_flight = [asyncio.create_task(_spot_place(api, c)) for c in before]
        await wait_for("the first order at the exchange", lambda: len(ex.fault_log) >= 1, WAIT)
        assert ex.server_shutdown(grace_s=GRACE_S) == 1
        await wait_for("the session on a new connection", states.moved, WAIT)
        ex.clear_faults(FaultKind.LATENCY)
        after = [f"sd-new-{i}" for i in range(3)]
        answered_after = [await _spot_place(api, c) for c in after]
        answered_before = await asyncio.gather(*in_flight)
        assert [a.client_order_id for a in answered_before] == before
        assert [a.client_order_id for a in answered_after] == after
        assert all(spot_count(ex, c) == 1 for c in before + after)
        assert read_after_shutdown(ex).isdisjoint(after)  # none sent on the old one
        # The client closed the old connection itself once its answers were in.
        await wait_for(
            "the old connection closed", lambda: ws_api_connections(ex, SPOT_PATH) == 1, GRACE_S - 1
        )
        assert api.connected


async def test_answers_lost_with_the_old_connection_are_unknown_and_never_resent() -> None:
    async with spot_session() as (ex, api, states):
        ex.inject(FaultKind.LATENCY, "order.place", latency_ms=400)
        cids = [f"sd-lost-{i}" for i in range(3)]
        tasks = [asyncio.create_task(_spot_place(api, c)) for c in cids]
        await wait_for("the first order at the exchange", lambda: len(ex.fault_log) >= 1, WAIT)
        ex.server_shutdown(grace_s=0.1)  # closes before the first answer is out
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(o, OrderStatusUnknown) for o in outcomes), outcomes
        await wait_for("the session on a new connection", states.moved, WAIT)
        ex.clear_faults(FaultKind.LATENCY)
        await wait_for("the executing order booked", lambda: spot_count(ex, cids[0]) == 1, WAIT)
        assert all(spot_count(ex, c) <= 1 for c in cids)  # never resent
        later = await _spot_place(api, "sd-lost-after")
        assert spot_count(ex, later.client_order_id) == 1


async def test_futures_orders_in_flight_are_answered_once_and_new_ones_use_the_new_connection(
    tmp_path: Path,
) -> None:
    async with futures_session(tmp_path) as (ex, api, states):
        ex.inject(FaultKind.LATENCY, "order.place", latency_ms=150)

        def place(cid: str) -> asyncio.Task[object]:
            return asyncio.create_task(
                api.futures_place_order(
                    SYMBOL, "BUY", "LIMIT", price="50000", quantity="0.010", time_in_force="GTC",
                    new_client_order_id=cid,
                )
            )  # fmt: skip

        before = [f"fsd-old-{i}" for i in range(4)]
        in_flight = [place(c) for c in before]
        await wait_for("the first order at the exchange", lambda: len(ex.fault_log) >= 1, WAIT)
        assert ex.server_shutdown(grace_s=GRACE_S) == 1
        await wait_for("the session on a new connection", states.moved, WAIT)
        ex.clear_faults(FaultKind.LATENCY)
        after = [f"fsd-new-{i}" for i in range(3)]
        for cid in after:
            await place(cid)
        await asyncio.gather(*in_flight)
        assert all(futures_count(ex, c) == 1 for c in before + after)
        assert read_after_shutdown(ex).isdisjoint(after)  # none sent on the old one
        await wait_for(
            "the old connection closed", lambda: ws_api_connections(ex, "/ws-fapi/v1") == 1, GRACE_S - 1
        )


async def test_user_data_moves_with_the_session_and_no_event_comes_twice() -> None:
    """The old connection still carries a request when an order is canceled: its
    subscription would deliver the cancel too, but events come from the current connection
    only (the new subscription's)."""
    async with (
        spot_session() as (ex, api, _),
        BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url) as rest,
        WsApiUserData(api, rest) as users,
    ):
        resting = await rest.new_order(
            SYMBOL, "BUY", "LIMIT", quantity="0.01", price="50000", time_in_force="GTC"
        )
        ex.inject(FaultKind.LATENCY, "order.status", latency_ms=1500)
        slow = asyncio.create_task(api.order_status(SYMBOL, order_id=resting.order_id))
        await wait_for("the slow request at the exchange", lambda: len(ex.fault_log) >= 1, WAIT)
        ex.server_shutdown(grace_s=GRACE_S)
        seen = await collect(users, _has_state(ConnectionState.RECONNECTED), WAIT)
        await rest.cancel_order(SYMBOL, order_id=resting.order_id)
        assert (await slow).order_id == resting.order_id  # answered on the old connection
        ex.clear_faults(FaultKind.LATENCY)
        marker = await _spot_place(api, "sd-marker")
        seen += await collect(users, lambda s: any(_report_of(i, marker.order_id) for i in s), WAIT)
        canceled = [
            i for i in seen if _report_of(i, resting.order_id) and i.order_status is OrderStatus.CANCELED
        ]
        assert len(canceled) == 1


def _has_state(state: ConnectionState) -> Callable[[list[object]], bool]:
    return lambda items: any(isinstance(i, ConnectionEvent) and i.state is state for i in items)


def _report_of(item: object, order_id: int) -> bool:
    return isinstance(item, ExecutionReport) and item.order_id == order_id


async def test_a_market_stream_hands_over_on_server_shutdown_without_a_gap() -> None:
    """Spot's market streams define the event too (``!serverShutdown`` on a combined
    stream): the stream moves to a new connection at once, before the server closes the old
    one, and the depth diffs continue with no gap and no disconnection."""
    depth: list[DepthUpdateEvent] = []
    states: list[ConnectionEvent] = []
    async with local_exchange() as ex:
        stop = asyncio.Event()
        trader = asyncio.create_task(keep_trading(ex, stop, seed=16))
        try:
            async with MarketStream(
                ex.ws_url, ["btcusdt@depth@100ms"], on_state=states.append,
                on_event=lambda e: depth.append(e) if isinstance(e, DepthUpdateEvent) else None,
            ):  # fmt: skip
                await wait_for("depth diffs", lambda: len(depth) >= 3, WAIT)
                assert ex.server_shutdown(grace_s=GRACE_S, paths=("/stream",)) == 1
                handed = lambda: any(s.state is ConnectionState.HANDOVER for s in states)  # noqa: E731
                await wait_for("the handover", handed, WAIT)
                n = len(depth)
                await wait_for("diffs on the new connection", lambda: len(depth) > n + 2, WAIT)
                closed = lambda: ws_api_connections(ex, "/stream") == 1  # noqa: E731
                await wait_for("the old connection closed", closed, GRACE_S - 1)
        finally:
            stop.set()
            await trader
    assert [s.reason for s in states if s.state is ConnectionState.HANDOVER] == ["serverShutdown"]
    assert ConnectionState.DISCONNECTED not in [s.state for s in states]
    for prev, ev in itertools.pairwise(depth):
        assert ev.first_update_id == prev.final_update_id + 1, (prev, ev)


async def test_the_fault_switch_announces_with_an_order_in_flight() -> None:
    """``FaultKind.SERVER_SHUTDOWN`` aimed at ``order.place``: the event comes on the
    connection while that order is being executed, its answer after it on the same
    connection; the order is answered once and the next one goes on the new connection."""
    async with spot_session() as (ex, api, states):
        ex.inject(FaultKind.SERVER_SHUTDOWN, "order.place", count=1, latency_ms=int(GRACE_S * 1000))
        first = await _spot_place(api, "sd-fault-1")
        await wait_for("the session on a new connection", states.moved, WAIT)
        second = await _spot_place(api, "sd-fault-2")
        assert (spot_count(ex, first.client_order_id), spot_count(ex, second.client_order_id)) == (1, 1)
        assert read_after_shutdown(ex) == set()  # the second went on the new connection
        closed = lambda: ws_api_connections(ex, SPOT_PATH) == 1  # noqa: E731
        await wait_for("the old connection closed", closed, GRACE_S - 1)
