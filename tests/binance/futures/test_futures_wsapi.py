"""USDⓈ-M futures' WebSocket API (``/ws-fapi/v1``) against the local exchange over a real
socket: the typed calls decode into the REST structs; order.place draws on the futures
budget REST draws on, on the exchange (one count for both) and in the client (one limiter:
a burst over both waits for room instead of drawing 429s); a lost answer to an order is an
unknown outcome, never a resend."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.binance.futures.futures_client_helpers import futures_client
from tradeexec.errors import BinanceAPIError, OrderStatusUnknown
from tradeexec.sim.faults import FaultKind

LIMIT = {"quantity": "0.010", "time_in_force": "GTC"}
DEADLINE_S = 10.0


async def test_orders_and_account_calls_over_the_futures_websocket_api(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (ex, client), client.futures_ws_api() as api:
        placed = await api.futures_place_order("BTCUSDT", "BUY", "LIMIT", price="50000", **LIMIT)
        moved = await api.futures_modify_order(
            "BTCUSDT", "BUY", "0.020", price="50100", order_id=placed.order_id
        )
        status = await api.futures_order_status("BTCUSDT", orig_client_order_id=placed.client_order_id)
        canceled = await api.futures_cancel_order("BTCUSDT", order_id=placed.order_id)
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        await api.futures_place_order("BTCUSDT", "BUY", "MARKET", quantity="0.001")
        account = await api.futures_account()
        balances = await api.futures_balance()
        positions = await api.futures_positions()
        with pytest.raises(BinanceAPIError) as spot_only:
            await api.open_orders()  # a spot method: the futures WebSocket API has no such thing
    assert placed.client_order_id  # set by the client, so an unknown outcome can be looked up
    assert (moved.order_id, moved.price, moved.orig_qty) == (placed.order_id, D("50100"), D("0.02"))
    assert (status.price, status.status) == (D("50100"), "NEW")
    assert canceled.status == "CANCELED"
    assert [p.position_amt for p in positions] == [D("0.001")]
    assert balances[0].asset == "USDT" and account.total_wallet_balance == balances[0].balance
    assert spot_only.value.code == -1020
    assert ("POST", "/fapi/v1/order") not in client.paths  # every order went over the socket


async def test_websocket_orders_count_on_the_futures_order_windows_rest_reports(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (ex, client), client.futures_ws_api() as api:
        ex.state.clock.freeze()
        for price in ("50000", "50100", "50200"):
            await api.futures_place_order("BTCUSDT", "BUY", "LIMIT", price=price, **LIMIT)
        await client.futures_new_order("BTCUSDT", "BUY", "LIMIT", price="50300", **LIMIT)
        counts = ex.state.futures_limiter.order_counts(ex.account)
        spot = ex.state.limiter.order_counts(ex.account)
        weights = (
            ex.state.futures_limiter.used_weight("127.0.0.1"),
            ex.state.limiter.used_weight("127.0.0.1"),
        )
        for _ in range(3):
            await api.futures_balance()  # weight 5 each, as GET /fapi/v3/balance
        after = (ex.state.futures_limiter.used_weight("127.0.0.1"), ex.state.limiter.used_weight("127.0.0.1"))
    assert counts == (4, 4)  # three over the socket and one over REST, in one budget
    assert spot == (0, 0)
    assert (after[0] - weights[0], after[1] - weights[1]) == (15, 0)  # futures weight, not spot's


async def test_a_burst_over_rest_and_the_socket_waits_for_room_instead_of_429(tmp_path: Path) -> None:
    """Futures allow 10 orders per 10 s here; the client sends at most 80 % of that. Twelve
    orders at once, six over REST and six over the socket: eight go, four wait, none is
    refused. With a limiter of its own the socket would believe it had the whole budget and
    the exchange would answer 429 to the eleventh."""
    async with futures_client(tmp_path) as (ex, client):
        limiter = ex.state.futures_limiter
        limiter.config = replace(limiter.config, orders_per_10s=10)
        await client.futures_exchange_info()  # the client adopts the advertised limits
        async with client.futures_ws_api() as api:
            rest = [
                asyncio.create_task(
                    client.futures_new_order("BTCUSDT", "BUY", "LIMIT", price=str(40000 + i), **LIMIT)
                )
                for i in range(6)
            ]
            ws = [
                asyncio.create_task(
                    api.futures_place_order("BTCUSDT", "BUY", "LIMIT", price=str(41000 + i), **LIMIT)
                )
                for i in range(6)
            ]
            tasks = rest + ws
            began = time.monotonic()
            end = began + DEADLINE_S
            while sum(t.done() for t in tasks) < 8:
                assert time.monotonic() < end, "eight orders did not complete"
                await asyncio.wait(tasks, timeout=0.05, return_when=asyncio.FIRST_COMPLETED)
            await asyncio.wait(tasks, timeout=0.3)  # a ninth would have had time to be sent
            done = [t for t in tasks if t.done()]
            counted = limiter.order_counts(ex.account)[0]
            # On a machine so loaded that the eight took most of the window, the next window
            # may have opened: then only "no refusal, never over the budget" can be judged.
            window_turned = time.monotonic() - began > 9.0
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    errors = [t.exception() for t in done if t.exception() is not None]
    assert errors == []  # no 429, no -1015
    if window_turned:
        assert counted <= 8
    else:
        assert len(done) == 8 and counted == 8  # the other four waited for room, unsent


async def test_a_lost_answer_to_a_websocket_order_is_an_unknown_outcome(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (ex, client), client.futures_ws_api(request_timeout_s=1.0) as api:
        ex.inject(FaultKind.LOST_RESPONSE, "order.place", count=1)
        with pytest.raises(OrderStatusUnknown) as lost:
            await api.futures_place_order(
                "BTCUSDT", "BUY", "LIMIT", price="50000", new_client_order_id="ws-lost", **LIMIT
            )
        found = await client.futures_get_order("BTCUSDT", orig_client_order_id="ws-lost")
    assert lost.value.client_order_id == "ws-lost" and found.status == "NEW"
