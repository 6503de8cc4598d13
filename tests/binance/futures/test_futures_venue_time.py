"""The futures venue's clock is the futures host's: the order manager's resend rule reads
``venue.timestamp_ms()`` as the latest timestamp an order can carry, so on Binance (spot and
USDT-M on different hosts, each with its own measured offset) a spot reading would date a
futures order wrongly -- early enough to call it dead while it can still execute, and resend."""

from __future__ import annotations

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.config import ApiFamily


async def test_the_futures_venue_dates_orders_by_the_futures_hosts_offset() -> None:
    frozen = 1_800_000_000.0
    # Binance's hosts, one per family; nothing is sent (the offsets are set, not measured).
    client = BinanceClient("k" * 64, "s" * 64, venue="usdm-futures", clock=lambda: frozen)
    try:
        urls = client.settings.urls
        assert urls.base_for("/api/v3/time") != urls.base_for("/fapi/v1/time")
        offsets = client._transport._offsets_ms
        offsets[urls.base_for("/api/v3/time")] = 0.0
        offsets[urls.base_for("/fapi/v1/time")] = 4_000.0  # the futures host runs 4 s ahead
        assert client.timestamp_ms(ApiFamily.USDM) == client.timestamp_ms() + 4_000
        assert FuturesVenue(client).timestamp_ms() == client.timestamp_ms(ApiFamily.USDM)
    finally:
        await client.close()
