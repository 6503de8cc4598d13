"""USDT-M futures have their own budget, enforced as advertised: exchangeInfo's rateLimits are
what the exchange counts (2,400 weight a minute, 300 orders per 10 s, 1,200 a minute), with
Binance's headers and -1015, and spot requests and orders never count against it."""

from __future__ import annotations

from decimal import Decimal

from tests.sim.futures.futures_helpers import futures_exchange
from tradeexec.sim.clock import SimClock
from tradeexec.sim.config import RateLimitConfig
from tradeexec.sim.limits import RateLimitEnforcer, futures_limits
from tradeexec.sim.params import ApiError

ORDER = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001"}


async def test_futures_orders_are_counted_on_their_own_budget_with_binances_headers() -> None:
    async with futures_exchange(wallet=Decimal("100000")) as (ex, api):
        ex.state.clock.freeze()  # every order inside one 10 s window
        info = (await api.request("GET", "/fapi/v1/exchangeInfo")).body
        advertised = {
            (r["rateLimitType"], r["interval"], r["intervalNum"]): r["limit"] for r in info["rateLimits"]
        }
        assert advertised == {
            ("REQUEST_WEIGHT", "MINUTE", 1): 2400,
            ("ORDERS", "SECOND", 10): 300,
            ("ORDERS", "MINUTE", 1): 1200,
        }
        # Signed at the frozen clock's time: 300 orders may take more than the 1 s a request
        # may be ahead of the server on a loaded machine (-1021 was seen).
        now = ex.state.now_ms()
        for i in range(300):
            order = {**ORDER, "price": str(30000 + i)}
            reply = await api.signed("POST", "/fapi/v1/order", order, timestamp=now)
            assert reply.status == 200, reply.body
        assert (reply.headers["X-MBX-ORDER-COUNT-10S"], reply.headers["X-MBX-ORDER-COUNT-1M"]) == (
            "300",
            "300",
        )
        refused = await api.signed("POST", "/fapi/v1/order", {**ORDER, "price": "29000"}, timestamp=now)
        assert (refused.status, refused.body) == (
            429,
            {"code": -1015, "msg": "Too many new orders; current limit is 300 orders per 10 SECOND."},
        )
        # Spot's own windows saw none of it.
        spot = await api.signed("GET", "/api/v3/rateLimit/order", timestamp=now)
        assert [row["count"] for row in spot.body] == [0, 0]
        assert int(spot.headers["X-MBX-USED-WEIGHT-1M"]) < 50


def test_the_minute_window_holds_1200_orders() -> None:
    clock = SimClock()
    clock.freeze()
    limiter = RateLimitEnforcer(futures_limits(RateLimitConfig()), clock)
    for window in range(4):  # 4 x 300 in four 10 s windows of one minute
        clock.freeze(60_000 * 1000 + window * 10_000)
        for _ in range(300):
            limiter.charge_order("a")
    clock.freeze(60_000 * 1000 + 40_000)
    try:
        limiter.charge_order("a")
    except ApiError as exc:
        assert (exc.code, exc.msg) == (-1015, "Too many new orders; current limit is 1200 orders per MINUTE.")
    else:
        raise AssertionError("the 1201st order of the minute was taken")
    assert limiter.headers("ip", "a")["X-MBX-ORDER-COUNT-1M"] == "1200"
    clock.freeze(60_000 * 1001)  # the next minute
    limiter.charge_order("a")


def test_a_futures_weight_burst_earns_429_at_2400() -> None:
    clock = SimClock()
    clock.freeze(60_000 * 1000)
    limiter = RateLimitEnforcer(futures_limits(RateLimitConfig()), clock)
    limiter.charge_request("ip", 2400)
    try:
        limiter.charge_request("ip", 1)
    except ApiError as exc:
        assert (exc.code, exc.http_status) == (-1003, 429)
        assert "current limit is 2400 request weight per 1 MINUTE" in exc.msg
    else:
        raise AssertionError("weight above 2400 was taken")


def test_limits_lifted_by_the_operator_are_advertised_for_futures_too() -> None:
    """With limits off (the benchmarks' exchange) futures advertised Binance's 1,200 orders a
    minute, and our client paced itself to it while the peers, which do not pace, ran free."""
    operator = RateLimitConfig(enabled=False, request_weight_per_minute=10**8, orders_per_10s=10**8)
    lifted = futures_limits(operator)
    assert (lifted.request_weight_per_minute, lifted.orders_per_10s) == (10**8, 10**8)
    assert lifted.orders_long_window == "MINUTE"
    assert futures_limits(RateLimitConfig()).request_weight_per_minute == 2400
