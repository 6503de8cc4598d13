"""The order manager, kill switch and emergency stop against the real BinanceClient and the
real LocalExchange, with faults injected by the exchange."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.venue import SpotVenue
from tradeexec.execution.emergency import emergency_stop
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.risk import RiskLimitExceeded, RiskManager
from tradeexec.sim.exchange import LocalExchange
from tradeexec.venue.protocol import TradingVenue

D = Decimal
SYMBOL = "BTCUSDT"


def _typed(client: BinanceClient) -> TradingVenue:
    # mypy checks here that the spot venue satisfies the protocol.
    return SpotVenue(client)


@pytest.fixture
async def venue() -> AsyncIterator[tuple[LocalExchange, BinanceClient]]:
    async with LocalExchange(market=False) as ex:
        ex.set_price(SYMBOL, "60000")
        async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0) as client:
            yield ex, client


@contextlib.asynccontextmanager
async def _manager(client: BinanceClient, path: Path, **kw: object) -> AsyncIterator[OrderManager]:
    om = OrderManager(
        SpotVenue(client),
        Journal(path),
        strategy="it",
        poll_interval_s=0.05,
        stale_after_s=0.05,
        resend_margin_ms=300,
        **kw,  # type: ignore[arg-type]
    )
    await om.start()
    try:
        yield om
    finally:
        await om.close()
        om.journal.close()


async def _settled(order: ManagedOrder) -> None:
    async with asyncio.timeout(10):
        while order.state in (OrderState.UNKNOWN, OrderState.PENDING_NEW):
            if order._resolver is not None:
                await order._resolver
            else:
                await asyncio.sleep(0.01)


async def _count_on_exchange(client: BinanceClient, cid: str) -> int:
    return sum(1 for o in await client.all_orders(SYMBOL) if o.client_order_id == cid)


def _limit(recv_window_ms: int = 500) -> OrderIntent:
    return OrderIntent(
        SYMBOL,
        Side.BUY,
        OrderType.LIMIT,
        quantity=D("0.001"),
        price=D("59000"),
        recv_window_ms=recv_window_ms,
    )


@pytest.mark.parametrize("fault", ["error_1007", "lost_response"])
async def test_unknown_placement_ends_with_exactly_one_order(
    venue: tuple[LocalExchange, BinanceClient], tmp_path: Path, fault: str
) -> None:
    ex, client = venue
    async with _manager(client, tmp_path / "j.sqlite") as om:
        ex.inject(fault, "/api/v3/order", count=1)
        order = await om.submit(_limit())
        assert order.state is OrderState.UNKNOWN
        await _settled(order)
        assert order.state is OrderState.NEW
        assert await _count_on_exchange(client, order.client_order_id) == 1
        assert any(r.kind.value == fault for r in ex.fault_log)


async def test_placement_that_never_executed_is_resent_once_after_recv_window(
    venue: tuple[LocalExchange, BinanceClient], tmp_path: Path
) -> None:
    ex, client = venue
    async with _manager(client, tmp_path / "j.sqlite") as om:
        ex.inject("http_5xx", "/api/v3/order", count=1, status=503)
        order = await om.submit(_limit(recv_window_ms=300))
        assert order.state is OrderState.UNKNOWN
        await _settled(order)
        assert order.state is OrderState.NEW and order.place_attempts == 2
        assert await _count_on_exchange(client, order.client_order_id) == 1


async def test_kill_switch_and_emergency_stop_leave_nothing_open(
    venue: tuple[LocalExchange, BinanceClient], tmp_path: Path
) -> None:
    ex, client = venue
    ex.add_liquidity(SYMBOL, "BUY", "59990", "5")
    stopped: list[str] = []

    async def on_kill(reason: str) -> None:
        report = await emergency_stop(SpotVenue(client), flatten_assets=["BTC"])
        stopped.extend(report.lines())
        assert report.ok, report.lines()

    risk = RiskManager(on_kill=on_kill)
    async with _manager(client, tmp_path / "j.sqlite", risk=risk) as om:
        for price in ("59000", "58500"):
            await om.submit(
                OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=D("0.01"), price=D(price))
            )
        assert len(await client.open_orders(SYMBOL)) == 2
        risk.trip("test")
        with pytest.raises(RiskLimitExceeded, match="kill_switch"):
            await om.submit(_limit())
        await risk.wait_kill_callbacks()
        assert stopped[-1] == "EMERGENCY STOP COMPLETE"
        assert await client.open_orders() == []
        btc = next(b for b in (await client.account()).balances if b.asset == "BTC")
        assert btc.free + btc.locked < D("0.00001")  # below LOT_SIZE minQty: dust
        again = await emergency_stop(SpotVenue(client), flatten_assets=["BTC"])  # idempotent
        assert again.ok and again.sold == {}
