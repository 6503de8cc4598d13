"""Helpers for the emergency stop's tests: a quiet local exchange the test fills with bids,
and the exchange's own record of what the stop's orders did, to hold the report against."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.venue import SpotVenue
from tradeexec.errors import OrderStatusUnknown
from tradeexec.execution.emergency import EmergencyReport, SellSettings
from tradeexec.sim import LocalExchange, SimConfig
from tradeexec.venue.protocol import StopGate
from tradeexec.venue.records import PlaceAnswer, PlacementRequest

# Short pauses between passes: the tests' books do not refill by themselves.
FAST = SellSettings(pass_delay_s=0.02)


@asynccontextmanager
async def venue(
    config: SimConfig | None = None, *, retry_base_delay: float = 0.02
) -> AsyncIterator[tuple[LocalExchange, SpotVenue]]:
    """A local exchange with no synthetic market (the book holds only what a test puts in it)
    and the default account (1 BTC, 10 ETH, 100 BNB, 100000 USDT), with the spot venue over a
    real client whose own retries (3 of them) back off from ``retry_base_delay``."""
    async with (
        LocalExchange(config, market=False) as ex,
        BinanceClient(
            ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=3.0, retry_base_delay=retry_base_delay
        ) as client,
    ):
        yield ex, SpotVenue(client)


def stop_orders(ex: LocalExchange, symbol: str) -> list[Any]:
    """The emergency stop's orders on ``symbol``, from the exchange's record."""
    orders = ex.state.engine.all_orders(ex.account, symbol, limit=1000)
    return [o for o in orders if o.client_order_id.startswith("emer")]


def stop_fills(ex: LocalExchange, symbol: str) -> list[Any]:
    ids = {o.order_id for o in stop_orders(ex, symbol)}
    return [f for f in ex.state.engine.my_trades(ex.account, symbol, limit=1000) if f.order_id in ids]


@dataclass(frozen=True)
class Executed:
    quantity: Decimal
    proceeds: Decimal
    fees: dict[str, Decimal]
    orders: int


def executed(ex: LocalExchange, symbol: str) -> Executed:
    """What the exchange says the stop's sells on ``symbol`` did, summed."""
    fills = stop_fills(ex, symbol)
    fees: dict[str, Decimal] = {}
    for f in fills:
        if f.commission:
            fees[f.commission_asset] = fees.get(f.commission_asset, Decimal(0)) + f.commission
    return Executed(
        sum((f.qty for f in fills), Decimal(0)),
        sum((f.quote_qty for f in fills), Decimal(0)),
        fees,
        len(stop_orders(ex, symbol)),
    )


def assert_report_is_the_record(report: EmergencyReport, ex: LocalExchange, asset: str, symbol: str) -> None:
    """The report's figures for ``asset`` equal the exchange's to the last unit."""
    record = executed(ex, symbol)
    sale = report.sold[asset]
    assert (sale.quantity, sale.proceeds, sale.fees, sale.orders) == (
        record.quantity,
        record.proceeds,
        record.fees,
        record.orders,
    ), report.lines()
    assert sale.average_price == record.proceeds / record.quantity


class LookupsFailAfterLostAnswer:
    """The real venue, except that when a sell's outcome is lost, the exchange is told to
    answer the next ``failures`` requests on /api/v3/order (the read-backs) with HTTP 503.
    The fault is the local exchange's own, injected at the moment it can only hit the
    lookups: injected earlier it would refuse the sell itself."""

    def __init__(self, venue: SpotVenue, ex: LocalExchange, failures: int) -> None:
        self._venue = venue
        self._ex = ex
        self._failures = failures

    def __getattr__(self, name: str) -> Any:
        return getattr(self._venue, name)

    async def place(self, request: PlacementRequest, *, gate: StopGate | None = None) -> PlaceAnswer:
        try:
            return await self._venue.place(request, gate=gate)
        except OrderStatusUnknown:
            self._ex.inject("http_5xx", "/api/v3/order", count=self._failures, status=503)
            raise
