"""The local exchange's injected faults aimed at USDT-M futures (a glob over ``/fapi`` paths,
the same settings as spot's): a futures order answered -1007 or never answered was executed,
and the typed client reports it as an unknown outcome to look up, never resends it; a delay
on ``/fapi`` leaves spot untouched."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.binance.futures.futures_client_helpers import futures_client
from tradeexec.binance.rest.futures_trade import batch_order
from tradeexec.errors import OrderStatusUnknown
from tradeexec.sim.faults import FaultKind

LIMIT = {"quantity": "0.010", "price": "50000", "time_in_force": "GTC"}


async def test_1007_on_a_futures_order_executes_it_and_the_client_reports_an_unknown_outcome(
    tmp_path: Path,
) -> None:
    async with futures_client(tmp_path) as (ex, client):
        ex.inject(FaultKind.ERROR_1007, "/fapi/*", count=1)
        with pytest.raises(OrderStatusUnknown) as caught:
            await client.futures_new_order("BTCUSDT", "BUY", "LIMIT", new_client_order_id="f-1007", **LIMIT)
        found = await client.futures_get_order("BTCUSDT", orig_client_order_id="f-1007")
        await client.ping()  # spot: the rule's glob does not reach it
    assert (caught.value.symbol, caught.value.client_order_id) == ("BTCUSDT", "f-1007")
    assert "-1007" in caught.value.cause
    assert found.status == "NEW"  # executed despite the answer
    assert [(f.kind, f.target) for f in ex.fault_log] == [(FaultKind.ERROR_1007, "/fapi/v1/order")]
    assert [p for p in client.paths if p == ("POST", "/fapi/v1/order")] == [("POST", "/fapi/v1/order")]


async def test_a_lost_answer_to_a_futures_order_or_modify_is_an_unknown_outcome_not_a_resend(
    tmp_path: Path,
) -> None:
    async with futures_client(tmp_path) as (ex, client):
        ex.inject(FaultKind.LOST_RESPONSE, "/fapi/v1/order", count=1)
        with pytest.raises(OrderStatusUnknown) as lost:
            await client.futures_new_order("BTCUSDT", "BUY", "LIMIT", new_client_order_id="f-lost", **LIMIT)
        placed = await client.futures_get_order("BTCUSDT", orig_client_order_id="f-lost")
        ex.inject(FaultKind.ERROR_1007, "/fapi/v1/order", count=1)
        with pytest.raises(OrderStatusUnknown) as modified:
            await client.futures_modify_order(
                "BTCUSDT", "BUY", "0.010", price="50100", orig_client_order_id="f-lost"
            )
        after = await client.futures_get_order("BTCUSDT", orig_client_order_id="f-lost")
    assert lost.value.client_order_id == "f-lost" and placed.status == "NEW"
    assert modified.value.client_order_id == "f-lost" and after.price == 50100  # the modify was applied
    sent = [p for p in client.paths if p[1] == "/fapi/v1/order" and p[0] != "GET"]
    assert sent == [("POST", "/fapi/v1/order"), ("PUT", "/fapi/v1/order")]  # each sent once
    assert [f.kind for f in ex.fault_log] == [FaultKind.LOST_RESPONSE, FaultKind.ERROR_1007]


async def test_a_delay_on_fapi_delays_futures_only(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (ex, client):
        ex.inject(FaultKind.LATENCY, "/fapi/*", latency_ms=400)
        start = time.monotonic()
        await client.futures_open_orders("BTCUSDT")
        futures_s = time.monotonic() - start
        await client.ping()
    assert futures_s >= 0.4
    assert {f.target for f in ex.fault_log} == {"/fapi/v1/openOrders"}  # the spot ping was not delayed


async def test_1007_on_a_batch_executes_it_and_is_an_unknown_outcome(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (ex, client):
        ex.inject(FaultKind.ERROR_1007, "/fapi/v1/batchOrders", count=1)
        orders = [
            batch_order(
                "BTCUSDT",
                "BUY",
                "LIMIT",
                quantity="0.010",
                price=p,
                time_in_force="GTC",
                new_client_order_id=c,
            )
            for p, c in (("50000", "b-1"), ("50100", "b-2"))
        ]
        with pytest.raises(OrderStatusUnknown):
            await client.futures_batch_orders(orders)
        opened = await client.futures_open_orders("BTCUSDT")
    assert sorted(o.client_order_id for o in opened) == ["b-1", "b-2"]
    assert [p for p in client.paths if p[1] == "/fapi/v1/batchOrders"] == [("POST", "/fapi/v1/batchOrders")]
