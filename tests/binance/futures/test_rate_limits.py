"""The /fapi request budget takes its limits from the futures exchangeInfo, apart from the
spot budget: a burst ten times the limit is paced, never answered 429 (a server over real
sockets counting the registry's weights per second, as Binance does per minute)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.binance.conftest import FakeBinance
from tradeexec.binance.client import BinanceClient

LIMIT_1S = 30
FUTURES_INFO = {
    "timezone": "UTC",
    "serverTime": 0,
    "rateLimits": [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "SECOND", "intervalNum": 1, "limit": LIMIT_1S},
        {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
    ],
    "assets": [],
    "symbols": [],
}


@pytest.mark.timeout(60)
async def test_a_futures_burst_paced_by_the_futures_exchange_info_never_gets_429(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    fake.reply("GET", "/fapi/v1/exchangeInfo", (200, FUTURES_INFO, {}))
    fake.weight_limit_1s = LIMIT_1S
    async with BinanceClient(**client_kwargs) as client:
        await client.futures_exchange_info()  # adopts 30 per second for /fapi only
        await asyncio.gather(*(client.call("GET", "/fapi/v1/ping") for _ in range(300)))
    assert len(fake.requests_to("GET", "/fapi/v1/ping")) == 300
    assert fake.got_429 == 0
    assert max(fake.weight_used.values()) <= LIMIT_1S
