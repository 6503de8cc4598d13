"""Failures on demand: each injected fault does what Binance's failure does, and is logged."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.sim.conftest import Api
from tests.sim.order_params import LIMIT_BUY
from tradeexec.sim import LocalExchange
from tradeexec.sim.faults import FaultKind

ORDER = {**LIMIT_BUY, "newClientOrderId": "fault-1"}


async def _lookup(api: Api) -> dict[str, object]:
    r = await api.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "fault-1"})
    assert r.status == 200, r.body
    return dict(r.body)


async def test_1007_executes_the_order(api: Api, exchange: LocalExchange) -> None:
    exchange.inject(FaultKind.ERROR_1007, "/api/v3/order", count=1)
    r = await api.signed("POST", "/api/v3/order", ORDER)
    assert r.status == 408
    assert r.body == {
        "code": -1007,
        "msg": "Timeout waiting for response from backend server. "
        "Send status unknown; execution status unknown.",
    }
    assert (await _lookup(api))["status"] == "NEW"
    assert [f.kind for f in exchange.fault_log] == [FaultKind.ERROR_1007]
    assert (await api.signed("GET", "/api/v3/openOrders")).status == 200  # GET is not affected


async def test_lost_response_executes_the_order(api: Api, exchange: LocalExchange) -> None:
    exchange.inject(FaultKind.LOST_RESPONSE, "/api/v3/order", count=1)
    with pytest.raises((aiohttp.ClientError, asyncio.TimeoutError)):
        await api.signed("POST", "/api/v3/order", ORDER)
    assert (await _lookup(api))["status"] == "NEW"
    assert exchange.fault_log[-1].kind is FaultKind.LOST_RESPONSE


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_5xx_does_not_execute(api: Api, exchange: LocalExchange, status: int) -> None:
    exchange.inject(FaultKind.HTTP_5XX, "/api/v3/order", count=1, status=status)
    r = await api.signed("POST", "/api/v3/order", ORDER)
    assert r.status == status
    missing = await api.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "fault-1"})
    assert missing.body["code"] == -2013
    assert (await api.signed("POST", "/api/v3/order", ORDER)).status == 200  # count used up


async def test_1001_and_1003(api: Api, exchange: LocalExchange) -> None:
    exchange.inject(FaultKind.ERROR_1001, "/api/v3/depth", count=1)
    exchange.inject(FaultKind.ERROR_1003, "/api/v3/depth", count=1)
    first = await api.public("GET", "/api/v3/depth", {"symbol": "BTCUSDT"})
    second = await api.public("GET", "/api/v3/depth", {"symbol": "BTCUSDT"})
    assert first.body["code"] == -1001
    assert (second.status, second.body["code"]) == (429, -1003) and "Retry-After" in second.headers
    assert (await api.public("GET", "/api/v3/depth", {"symbol": "BTCUSDT"})).status == 200


async def test_latency(api: Api, exchange: LocalExchange) -> None:
    exchange.inject(FaultKind.LATENCY, "/api/v3/time", latency_ms=300, count=1)
    t0 = time.monotonic()
    assert (await api.public("GET", "/api/v3/time")).status == 200
    assert time.monotonic() - t0 >= 0.3
    t0 = time.monotonic()
    await api.public("GET", "/api/v3/time")
    assert time.monotonic() - t0 < 0.3


async def test_maintenance_and_clock_skew_via_admin_api(api: Api, exchange: LocalExchange) -> None:
    await api.admin("POST", "/_sim/faults", {"kind": "maintenance"})
    assert (await api.public("GET", "/sapi/v1/system/status")).body == {
        "status": 1,
        "msg": "system_maintenance",
    }
    assert (await api.public("GET", "/api/v3/ping")).status == 503
    await api.admin("DELETE", "/_sim/faults", {"kind": "maintenance"})
    assert (await api.public("GET", "/api/v3/ping")).status == 200

    await api.admin("POST", "/_sim/faults", {"kind": "clock_skew", "skew_ms": -10_000})
    r = await api.signed("GET", "/api/v3/openOrders")
    assert r.body["code"] == -1021  # the client's clock now looks 10 s ahead
    await api.admin("DELETE", "/_sim/faults", {})
    assert (await api.signed("GET", "/api/v3/openOrders")).status == 200
    kinds = [e["kind"] for e in await api.admin("GET", "/_sim/faults/log")]
    assert kinds == ["maintenance", "clock_skew"]


async def test_ip_ban_via_admin_api_answers_418_until_it_lapses(api: Api, exchange: LocalExchange) -> None:
    with pytest.raises(ValueError, match="duration_ms"):  # a 418 always says when the ban ends
        exchange.inject(FaultKind.IP_BAN)
    await api.admin("POST", "/_sim/faults", {"kind": "ip_ban", "target": "10.0.0.*", "duration_ms": 60_000})
    assert (await api.public("GET", "/api/v3/ping")).status == 200  # another IP is banned

    await api.admin("POST", "/_sim/faults", {"kind": "ip_ban", "target": "127.0.0.1", "duration_ms": 60_000})
    ping = await api.public("GET", "/api/v3/ping")
    assert (ping.status, ping.body["code"]) == (418, -1003) and int(ping.headers["Retry-After"]) > 0
    assert "banned until" in ping.body["msg"]
    assert (await api.signed("POST", "/api/v3/order", ORDER)).status == 418
    await api.admin("POST", "/_sim/clock", {"advance_ms": 60_000})
    assert (await api.public("GET", "/api/v3/ping")).status == 200  # lapsed, nobody cleared it
    assert exchange.state.engine.open_orders(exchange.account) == []  # the banned placement never ran
    kinds = [e["kind"] for e in await api.admin("GET", "/_sim/faults/log")]
    assert kinds == ["ip_ban", "ip_ban"]


def test_probability_is_seeded() -> None:
    def run() -> list[bool]:
        ex = LocalExchange(market=False)
        ex.inject(FaultKind.WS_DROP, "*", probability=0.5)
        return [ex.faults.should(FaultKind.WS_DROP, "btcusdt@trade") for _ in range(40)]

    first = run()
    assert first == run() and 5 < sum(first) < 35
