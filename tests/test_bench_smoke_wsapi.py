"""Case 1 over the WebSocket API with a tiny N, so it cannot rot: the rows land beside the
REST rows of case 1 (same case names) and every order placed is canceled again."""

from __future__ import annotations

import asyncio

import pytest
from bench import case_rest_orders, case_wsapi_orders
from bench.common import ServerInfo, exchange_process

pytestmark = pytest.mark.timeout(60)


def test_wsapi_orders_case() -> None:
    with exchange_process() as server:
        results = case_wsapi_orders.run(server, n=3, rounds=1)
        assert server.admin("/_sim/state")["openOrders"] == []
    assert {(r.case, r.impl, r.metric) for r in results} == {
        (case, case_wsapi_orders.IMPL, metric)
        for case in (case_rest_orders.CASE_SEQ, case_rest_orders.CASE_PAR)
        for metric in ("client CPU/request", "requests/s")
    }
    assert all(r.kind == "tradeexec" and r.values and min(r.values) > 0 for r in results)


async def _futures_open_orders(server: ServerInfo) -> list[object]:
    from tradeexec.binance import BinanceClient

    async with BinanceClient(server.api_key, server.api_secret, base_url=server.rest_url) as c:
        return list(await c.futures_open_orders())


def test_futures_wsapi_orders_case() -> None:
    """Case 8's WebSocket API rows: beside the futures REST rows, and every futures order
    placed is canceled again (the exchange lists none open afterwards)."""
    from bench import case_futures_orders, case_futures_wsapi

    with exchange_process() as server:
        results = case_futures_wsapi.run(server, n=3, rounds=1)
        assert asyncio.run(_futures_open_orders(server)) == []
    assert {(r.case, r.impl, r.metric) for r in results} == {
        (case, case_wsapi_orders.IMPL, metric)
        for case in (case_futures_orders.CASE_SEQ, case_futures_orders.CASE_PAR)
        for metric in ("client CPU/request", "requests/s")
    }
    assert all(r.kind == "tradeexec" and r.values and min(r.values) > 0 for r in results)
