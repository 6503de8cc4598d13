"""OrderManager.start()'s preflight (key permissions, system status) and the poller's pace
as the user data stream comes and goes, against the in-process fake client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tradeexec.binance.models import Order
from tradeexec.binance.models.wallet import ApiRestrictions, SystemStatus
from tradeexec.binance.venue import SpotVenue
from tradeexec.errors import BinanceAPIError, ConfigError
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.policy import TradingHalted
from tradeexec.execution.risk import RiskLimits, RiskManager, UnsafeApiKey

from .fakes import FakeOrderClient
from .test_orders import limit

WAIT = 5.0


@contextlib.asynccontextmanager
async def _started(client: FakeOrderClient, path: Path, **kw: Any) -> AsyncIterator[OrderManager]:
    om = OrderManager(SpotVenue(client), Journal(path), strategy="pf", resend_margin_ms=0, **kw)
    try:
        await om.start()
        yield om
    finally:
        await om.close()
        om.journal.close()


def _withdrawing() -> ApiRestrictions:
    return ApiRestrictions(ip_restrict=True, create_time=0, enable_withdrawals=True)


async def test_a_key_that_can_withdraw_is_refused_unless_allowed(tmp_path: Path) -> None:
    client = FakeOrderClient()
    client.restrictions = _withdrawing()
    with pytest.raises(UnsafeApiKey, match="enableWithdrawals") as info:
        async with _started(client, tmp_path / "a.sqlite"):
            pass
    assert isinstance(info.value, ConfigError)
    assert client.place_calls == []
    allowed = RiskManager(RiskLimits(allow_fund_moving_key=True))
    async with _started(client, tmp_path / "b.sqlite", risk=allowed) as om:
        assert (await om.submit(limit())).state is OrderState.NEW
    async with _started(client, tmp_path / "c.sqlite", preflight=False) as om:
        assert (await om.submit(limit())).state is OrderState.NEW


async def test_maintenance_pauses_trading_until_the_status_is_normal(tmp_path: Path) -> None:
    client = FakeOrderClient()
    client.system_status_code = SystemStatus.MAINTENANCE
    async with _started(client, tmp_path / "j.sqlite", poll_interval_s=0.01) as om:
        with pytest.raises(TradingHalted, match="maintenance"):
            await om.submit(limit())
        assert client.place_calls == []
        client.system_status_code = SystemStatus.NORMAL  # the poller asks again while paused
        async with asyncio.timeout(WAIT):
            while om.policy.in_maintenance:
                await asyncio.sleep(0.01)
        assert (await om.submit(limit())).state is OrderState.NEW


async def test_a_venue_without_the_endpoints_is_logged_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = FakeOrderClient()

    async def missing() -> Any:
        raise BinanceAPIError(0, "Not Found", 404, "/sapi/v1/system/status")

    monkeypatch.setattr(client, "system_status", missing)
    monkeypatch.setattr(client, "api_restrictions", missing)
    with caplog.at_level(logging.WARNING):
        async with _started(client, tmp_path / "j.sqlite") as om:
            assert (await om.submit(limit())).state is OrderState.NEW
    assert sum("preflight" in r.getMessage() for r in caplog.records) == 2


class _CountingClient(FakeOrderClient):
    """Signals each order lookup the poller makes."""

    def __init__(self) -> None:
        super().__init__()
        self.looked_up = asyncio.Event()

    async def get_order(
        self, symbol: str, *, order_id: int | None = None, orig_client_order_id: str | None = None
    ) -> Order:
        self.looked_up.set()
        return await super().get_order(symbol, order_id=order_id, orig_client_order_id=orig_client_order_id)


async def test_the_poller_slows_while_the_stream_is_live_and_wakes_when_it_drops(tmp_path: Path) -> None:
    client = _CountingClient()
    kw: dict[str, Any] = {"poll_interval_s": 0.02, "stale_after_s": 0, "live_poll_factor": 10_000}
    async with _started(client, tmp_path / "j.sqlite", **kw) as om:
        assert not om.stream_live  # no feed: polling is the only source of updates
        await om.submit(limit())
        async with asyncio.timeout(WAIT):
            await client.looked_up.wait()  # polled at poll_interval_s
        om.stream_live = True
        await asyncio.sleep(0)  # let a round under way finish
        client.looked_up.clear()
        # Live: the next round is 200 s away.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.looked_up.wait(), 0.3)
        om.stream_live = False  # the feed lost the stream: the poller must not sleep on
        async with asyncio.timeout(WAIT):
            await client.looked_up.wait()
