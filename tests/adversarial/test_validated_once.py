"""An order is checked once on its way from the order manager to the wire, over REST and over
the WebSocket API alike: its parameters and shape once (before rounding and the journal), the
symbol's filters once (with the live figures), and the venue sends the journaled request as it
is. Before: the client rebuilt and re-checked every order (``order_args`` again, two shape
checks per order). Real parts: the local exchange over real sockets, the real client, the
real WebSocket API session, a real journal; what the local exchange checks of what it receives
is not counted (it is the other side of the wire)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.validated_once_helpers import Counter
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.binance.venue import SpotVenue
from tradeexec.binance.ws.wsapi import WsApiClient
from tradeexec.errors import InvalidParameter
from tradeexec.execution.journal.records import Intent
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.risk import RiskLimits, RiskManager
from tradeexec.sim.exchange import LocalExchange
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

pytestmark = pytest.mark.adversarial

D = Decimal
SYMBOL = "BTCUSDT"


def _orders() -> list[OrderIntent]:
    """A resting limit, a limit without its time in force (GTC by default), a market buy."""
    return [
        OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=D("0.001"), price=D("59000")),
        OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=D("0.002"), price=D("58500.004")),
        OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=D("0.001")),
    ]


@contextlib.asynccontextmanager
async def _venue(transport: str, tmp_path: Path) -> AsyncIterator[OrderManager]:
    async with contextlib.AsyncExitStack() as stack:
        ex = await stack.enter_async_context(LocalExchange(market=False))
        ex.set_price(SYMBOL, "60000")
        ex.add_liquidity(SYMBOL, "SELL", "60000", "1")
        client = BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0)
        await stack.enter_async_context(client)
        venue = SpotVenue(client)
        if transport == "wsapi":
            # With the rules, the session's own ``place_order`` would filter-check too.
            url, signer = f"{ex.ws_url}/ws-api/v3", HmacSigner(ex.api_secret)
            api = WsApiClient(url, ex.api_key, signer, rules=await client.rules())
            venue = SpotVenue(client, orders=await stack.enter_async_context(api))
        risk = RiskManager(RiskLimits(require_ip_restriction=False))
        journal = stack.enter_context(Journal(tmp_path / "j.sqlite"))
        om = OrderManager(venue, journal, strategy="once", risk=risk)
        stack.push_async_callback(om.close)  # before the journal closes (callbacks run last first)
        await om.start()
        yield om


@pytest.mark.parametrize("transport", ["rest", "wsapi"])
async def test_each_order_is_checked_once_on_its_way_to_the_wire(transport: str, tmp_path: Path) -> None:
    counter = Counter()
    async with _venue(transport, tmp_path) as om:
        assert om.rules is not None
        # The average price fetched first: an order that must wait for it is pre-checked
        # against the rules that need no live figure (a request saved when it fails).
        await om.average_prices.get(om.rules[SYMBOL])
        with counter.installed():
            placed = [await om.submit(intent) for intent in _orders()]
        assert [o.state for o in placed] == [OrderState.NEW, OrderState.NEW, OrderState.FILLED]
        # What reached the exchange is what was journaled: rounded, with its time in force.
        on_exchange = {o.client_order_id: o for o in await om.venue.open_orders(SYMBOL)}
        assert on_exchange[placed[1].client_order_id].price == D("58500")
    n = len(placed)
    assert counter.calls == {"order shape": n, "filters": n, "wire build": 0}, counter.calls


async def test_the_public_call_still_checks_its_order_once(tmp_path: Path) -> None:
    """``new_order`` (the README's call) builds and checks the order once, then sends it."""
    counter = Counter()
    async with LocalExchange(market=False) as ex:
        ex.set_price(SYMBOL, "60000")
        async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0) as client:
            await client.rules()
            with counter.installed():
                limit = {"quantity": "0.001", "price": "50000"}
                await client.new_order(SYMBOL, "BUY", "LIMIT", time_in_force="GTC", **limit)
                with pytest.raises(InvalidParameter, match="timeInForce"):
                    await client.new_order(SYMBOL, "BUY", "LIMIT", **limit)
    assert counter.calls == {"order shape": 2, "filters": 1, "wire build": 2}, counter.calls


async def test_spot_refuses_a_reduce_only_or_legged_placement_before_sending(tmp_path: Path) -> None:
    """Spot has no positions: a placement carrying futures terms is refused, never sent
    without them (which would buy or sell for real)."""
    async with LocalExchange(market=False) as ex:
        ex.set_price(SYMBOL, "60000")
        client = BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0)
        async with client:
            venue = SpotVenue(client)
            base = Intent(
                "refuse_1", "s", SYMBOL, Side.SELL, OrderType.LIMIT, D("0.001"), None, D("61000"),
                TimeInForce.GTC, None, client.timestamp_ms(), 5000,
            )  # fmt: skip
            for request, field in (
                (replace(base, reduce_only=True), "reduce_only"),
                (replace(base, position_leg=PositionLeg.SHORT), "position_leg"),
            ):
                with pytest.raises(InvalidParameter) as refused:
                    await venue.place(request)
                assert refused.value.field == field and "spot has no positions" in str(refused.value)
            assert await client.open_orders(SYMBOL) == []
