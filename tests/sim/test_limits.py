"""Rate limits enforced as Binance does: headers on every answer, 429s, escalating 418 bans."""

from __future__ import annotations

import aiohttp

from tests.sim.conftest import Api, quiet_config
from tests.sim.order_params import LIMIT_BUY
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.sim import LocalExchange


async def test_weight_429_then_418_ban() -> None:
    cfg = quiet_config()
    cfg.rate_limits.request_weight_per_minute = 50
    cfg.rate_limits.violations_before_ban = 2
    cfg.rate_limits.first_ban_ms = 1_000
    async with LocalExchange(cfg, market=False) as ex, aiohttp.ClientSession() as session:
        api = Api(session, ex.rest_url, ex.api_key, HmacSigner(ex.api_secret))
        ex.state.clock.freeze()
        statuses = []
        for _ in range(60):
            r = await api.public("GET", "/api/v3/ping")
            statuses.append(r.status)
            if r.status == 418:
                break
        assert statuses[:50] == [200] * 50
        assert statuses[50:52] == [429, 429]
        assert statuses[-1] == 418 and r.body["code"] == -1003 and "banned until" in r.body["msg"]
        assert "Retry-After" in r.headers
        assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) > 50
        ex.state.clock.advance(61_000)  # next window, ban over
        assert (await api.public("GET", "/api/v3/ping")).status == 200


async def test_order_count_429_without_retry_after() -> None:
    cfg = quiet_config()
    cfg.rate_limits.orders_per_10s = 3
    async with LocalExchange(cfg, market=False) as ex, aiohttp.ClientSession() as session:
        api = Api(session, ex.rest_url, ex.api_key, HmacSigner(ex.api_secret))
        order = LIMIT_BUY
        for i in range(3):
            r = await api.signed("POST", "/api/v3/order", order)
            assert r.status == 200 and r.headers["X-MBX-ORDER-COUNT-10S"] == str(i + 1)
        r = await api.signed("POST", "/api/v3/order", order)
        assert (r.status, r.body) == (
            429,
            {"code": -1015, "msg": "Too many new orders; current limit is 3 orders per 10 SECOND."},
        )
        assert "Retry-After" not in r.headers
        assert len(ex.state.engine.open_orders(ex.account)) == 3


async def test_depth_weight_follows_limit(api: Api) -> None:
    r1 = await api.public("GET", "/api/v3/depth", {"symbol": "BTCUSDT", "limit": 5})
    r2 = await api.public("GET", "/api/v3/depth", {"symbol": "BTCUSDT", "limit": 5000})
    spent = int(r2.headers["X-MBX-USED-WEIGHT-1M"]) - int(r1.headers["X-MBX-USED-WEIGHT-1M"])
    assert spent >= 5
