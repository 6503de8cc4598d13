"""WsApiClient against the local exchange: every request charged to the shared RateLimiter
before it is sent (a burst waits instead of earning 429s), and -1021 recovered by re-measuring
the server time and re-stamping the request once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import pytest

from tests.streams import ED25519_API_KEY, ed25519_config, local_exchange
from tradeexec.binance.enums import OrderStatus, RateLimitInterval, RateLimitType
from tradeexec.binance.net.auth import HmacSigner, Signer
from tradeexec.binance.net.ratelimit import RateLimiter, RateLimitRule
from tradeexec.binance.ws.wsapi import WsApiClient
from tradeexec.errors import BinanceAPIError
from tradeexec.sim import LocalExchange
from tradeexec.sim.config import SimConfig

pytestmark = pytest.mark.timeout(30)

SERVER_LIMIT = 100  # request weight per minute on the exchange
BURST = 40  # depth(limit=100) weighs 5: 200 weight, two windows' worth and more


def _ignore(_: bytes) -> None:
    return None


def _tight_exchange() -> LocalExchange:
    config = SimConfig.default()
    config.rate_limits.request_weight_per_minute = SERVER_LIMIT
    return LocalExchange(config, market=False)


async def _burst(api: WsApiClient) -> list[BaseException | None]:
    params = {"symbol": "BTCUSDT", "limit": 100}
    calls = [api.call("depth", params, _ignore, signed=False) for _ in range(BURST)]
    return list(await asyncio.gather(*calls, return_exceptions=True))


async def test_burst_is_held_back_before_sending_and_never_earns_a_429() -> None:
    """The exchange's clock is frozen and moves only when the client's limiter sleeps for a
    new window: each window the exchange saw holds exactly what the client charged, which
    stayed inside the allowance (80% of the limit) because it was charged before sending."""
    async with _tight_exchange() as ex:
        clock = ex.state.clock
        clock.freeze((clock.now_ms() // 60_000 + 1) * 60_000)  # the start of a minute
        seen_by_server: list[int] = []

        def client_used() -> int:
            return sum(u.used for u in limiter.usage() if u.rate_limit_type is RateLimitType.REQUEST_WEIGHT)

        async def next_window(seconds: float) -> None:
            # What the client charged in this window reaches the exchange before its clock
            # moves on, as it would in real time; then the exchange's count is the client's.
            async with asyncio.timeout(5):
                while ex.state.limiter.used_weight("127.0.0.1") < client_used():
                    await asyncio.sleep(0.001)
            seen_by_server.append(ex.state.limiter.used_weight("127.0.0.1"))
            clock.advance(int(seconds * 1000) + 1)

        limiter = RateLimiter(
            [RateLimitRule(RateLimitType.REQUEST_WEIGHT, RateLimitInterval.MINUTE, 1, SERVER_LIMIT)],
            clock=lambda: clock.now_ms() / 1000,
            sleep=next_window,
        )
        async with WsApiClient(
            f"{ex.ws_url}/ws-api/v3", ex.api_key, HmacSigner(ex.api_secret), limiter=limiter
        ) as api:
            results = await _burst(api)
    assert results == [None] * BURST  # no 429, no -1003, nothing lost
    allowed = int(SERVER_LIMIT * 0.8)
    assert len(seen_by_server) >= 2  # 200 weight cannot pass in under three windows
    assert all(allowed - 5 < used <= allowed for used in seen_by_server), seen_by_server


async def test_burst_without_budget_earns_429_so_the_test_above_can_fail() -> None:
    async with _tight_exchange() as ex:
        unlimited = RateLimiter(
            [RateLimitRule(RateLimitType.REQUEST_WEIGHT, RateLimitInterval.MINUTE, 1, 10**9)]
        )
        async with WsApiClient(
            f"{ex.ws_url}/ws-api/v3", ex.api_key, HmacSigner(ex.api_secret), limiter=unlimited
        ) as api:
            results = await _burst(api)
            rejected = [r for r in results if isinstance(r, BinanceAPIError)]
            assert rejected and {r.http_status for r in rejected} <= {429, 418}
            # The 429 reached the shared limiter: it now holds requests back by itself.
            assert api.limiter.blocked_until() is not None


@asynccontextmanager
async def _exchange_and_key(key_type: str) -> AsyncIterator[tuple[LocalExchange, str, Signer]]:
    if key_type == "ed25519":
        config, ed_signer = ed25519_config()
        async with local_exchange(config) as ex:
            yield ex, ED25519_API_KEY, ed_signer
    else:
        async with local_exchange() as ex:
            yield ex, ex.api_key, HmacSigner(ex.api_secret)


@pytest.mark.parametrize("key_type", ["hmac", "ed25519"])
async def test_timestamp_rejection_remeasures_time_and_retries_once(key_type: str) -> None:
    """-1021 for an order and for 8 reads in flight: each succeeds after one re-measure."""
    async with _exchange_and_key(key_type) as (ex, api_key, signer), WsApiClient(
        f"{ex.ws_url}/ws-api/v3", api_key, signer
    ) as api:
        assert api.logged_on is (key_type == "ed25519")
        before = api.time_offset_ms
        ex.inject("clock_skew", skew_ms=8_000)  # the exchange's clock jumps 8 s ahead
        placed = await api.place_order(
            "BTCUSDT", "BUY", "LIMIT", quantity=Decimal("0.01"), price=Decimal("50000"),
            time_in_force="GTC", new_client_order_id=f"skew_{key_type}",
        )
        assert placed.status is OrderStatus.NEW
        assert 7_000 < api.time_offset_ms - before < 9_000
        # One order on the book: the rejected attempt never reached the engine.
        assert [o.client_order_id for o in await api.open_orders("BTCUSDT")] == [f"skew_{key_type}"]
        ex.inject("clock_skew", skew_ms=-8_000)  # now 8 s behind: requests look early
        statuses = await asyncio.gather(
            *(api.order_status("BTCUSDT", order_id=placed.order_id) for _ in range(8))
        )
        assert {s.status for s in statuses} == {OrderStatus.NEW}
        assert -9_000 < api.time_offset_ms - before < -7_000
