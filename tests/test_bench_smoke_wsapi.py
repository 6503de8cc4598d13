"""Case 1 over the WebSocket API with a tiny N, so it cannot rot: the rows land beside the
REST rows of case 1 (same case names) and every order placed is canceled again."""

from __future__ import annotations

import pytest
from bench import case_rest_orders, case_wsapi_orders
from bench.common import exchange_process

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
