"""The order manager's core guarantees, run against three venues through one interface
(``TradingVenue``): ``FakeVenue`` (neutral records and errors only, no Binance word),
``SpotVenue`` and ``FuturesVenue`` over a real ``BinanceClient`` talking to the real local
exchange. If the core
leaned on anything Binance-shaped beyond the interface, the fake's runs would fail."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.binance.rules.symbol_rules import SymbolRules
from tradeexec.binance.venue import SpotVenue
from tradeexec.errors import DuplicateOrderId, InvalidParameter, StoppedBeforeSigning
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import RiskLimits, RiskManager
from tradeexec.sim import SimConfig
from tradeexec.sim.config import AccountConfig
from tradeexec.sim.exchange import LocalExchange
from tradeexec.sim.futures import FuturesOrderRequest
from tradeexec.venue.protocol import BatchPlacement, TradingVenue
from tradeexec.venue.records import PlacementRequest
from tradeexec.venue.vocab import OrderType, Side

from .fake_venue import FakeVenue, LosingVenue

D = Decimal
SYMBOL = "BTCUSDT"
QTY = D("0.01")
CLIENT_CODE = "tradeexec.binance.rest"  # BinanceClient's calls (its new_order validates)


@pytest.fixture(params=["fake", "local", "futures"])
async def venue(request: pytest.FixtureRequest) -> AsyncIterator[TradingVenue]:
    if request.param == "fake":
        yield FakeVenue(D("60000"))
        return
    if request.param == "futures":
        async with _futures_venue() as futures:
            yield futures
        return
    async with LocalExchange(market=False) as ex:
        ex.set_price(SYMBOL, "60000")
        ex.add_liquidity(SYMBOL, "SELL", "60000", "1")
        async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0) as client:
            yield SpotVenue(client)


@contextlib.asynccontextmanager
async def _futures_venue() -> AsyncIterator[FuturesVenue]:
    """USDT-M futures on the local exchange: asks at 60000, and one trade there by another
    account, so that the contract's last price is the same as on spot."""
    cfg = SimConfig.default()
    cfg.market.enabled = False
    cfg.accounts[0].balances["USDT"] = D("100000")
    cfg.accounts.append(AccountConfig("other", {"USDT": D("100000")}))
    async with LocalExchange(cfg, market=False) as ex:
        ex.futures_add_liquidity(SYMBOL, "SELL", "60000", "1")
        trade = FuturesOrderRequest(SYMBOL, Side.BUY, "MARKET", D("0.001"), None, None)
        ex.state.futures.place("other", trade, ex.state.now_ms())
        async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0) as client:
            venue = FuturesVenue(client)
            await venue.hedge_mode()
            yield venue


@contextlib.asynccontextmanager
async def _manager(venue: TradingVenue, path: Path) -> AsyncIterator[OrderManager]:
    om = OrderManager(
        venue,
        Journal(path),
        strategy="vc",
        risk=RiskManager(RiskLimits(require_ip_restriction=False)),
        positions=PositionTracker(),
        poll_interval_s=3600,
        stale_after_s=3600,
        resend_margin_ms=50,
    )
    await om.start()
    try:
        yield om
    finally:
        await om.close()
        om.journal.close()


async def _resolved(order: ManagedOrder) -> OrderState:
    async with asyncio.timeout(10):
        while order.state in (OrderState.UNKNOWN, OrderState.PENDING_NEW):
            if order._resolver is not None:
                await order._resolver
            else:
                await asyncio.sleep(0.01)
    return order.state


async def _copies(venue: TradingVenue, cid: str) -> int:
    found = await venue.recent_orders(SYMBOL, since_ms=0, limit=1000)
    return sum(1 for o in found if o.client_order_id == cid)


def _base_held(om: OrderManager) -> Decimal:
    pos = om.positions.position(SYMBOL)
    return D(0) if pos is None else pos.quantity


def _market() -> OrderIntent:
    return OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=QTY, recv_window_ms=100)


def _limit(price: str = "59000") -> OrderIntent:
    """A buy below the market: it rests."""
    return OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=QTY, price=D(price), recv_window_ms=100)


async def test_a_market_order_fills_and_moves_the_position(venue: TradingVenue, tmp_path: Path) -> None:
    if isinstance(venue, FuturesVenue):
        pytest.skip("a futures fill moves a leg, not a holding (the leg tests: tests/execution legs)")
    async with _manager(venue, tmp_path / "j.sqlite") as om:
        held = _base_held(om)  # what the account held at the start (valuation loads it)
        order = await om.submit(_market())
        assert await order.wait_final(5) is OrderState.FILLED
        assert order.filled_qty == QTY and order.avg_price == D("60000")
        fees = sum((f.commission or D(0) for f in order.fills if f.commission_asset == "BTC"), D(0))
        assert _base_held(om) == held + QTY - fees  # a fee in BTC is BTC paid
        assert om.journal.state(order.client_order_id).state is OrderState.FILLED  # type: ignore[union-attr]


async def test_a_resting_order_is_canceled(venue: TradingVenue, tmp_path: Path) -> None:
    async with _manager(venue, tmp_path / "j.sqlite") as om:
        order = await om.submit(_limit())
        assert order.state is OrderState.NEW
        assert [o.client_order_id for o in await venue.open_orders(SYMBOL)] == [order.client_order_id]
        assert (await om.cancel(order.client_order_id)).state is OrderState.CANCELED
        assert await venue.open_orders(SYMBOL) == []


@pytest.mark.parametrize(("fault", "placements"), [("unanswered", 1), ("lost", 2)])
async def test_a_lost_answer_ends_with_exactly_one_order(
    venue: TradingVenue, tmp_path: Path, fault: str, placements: int
) -> None:
    """Placed but unanswered: looked up, found, never resent. Never arrived: the lookup's
    "no such order" is the venue's neutral ``OrderNotFound``, which the resolver must take as
    an answer (resend once the recvWindow is over, same ID), not as a failure to retry."""
    losing = LosingVenue(venue)
    async with _manager(losing, tmp_path / "j.sqlite") as om:  # type: ignore[arg-type]
        losing.faults.append(fault)
        order = await om.submit(_limit())
        assert await _resolved(order) is OrderState.NEW
        assert order.place_attempts == placements
        assert await _copies(venue, order.client_order_id) == 1


async def test_a_second_placement_of_an_open_id_is_a_duplicate(venue: TradingVenue, tmp_path: Path) -> None:
    async with _manager(venue, tmp_path / "j.sqlite") as om:
        order = await om.submit(_limit())
        intent: PlacementRequest = order.intent
        with pytest.raises(DuplicateOrderId):
            await venue.place(intent)
        assert await _copies(venue, order.client_order_id) == 1


class _Gate:
    """A ``StopGate``: the kill switch as the venue reads it at signing."""

    def __init__(self, reason: str | None) -> None:
        self.trip_reason = reason


async def test_a_placement_under_a_tripped_gate_is_never_sent(venue: TradingVenue, tmp_path: Path) -> None:
    """The venue reads the gate at signing: tripped, nothing reaches the exchange (and
    ``StoppedBeforeSigning`` names the order); open, or no gate (a closing order, the
    emergency stop's own), the order goes; a cancel is never gated."""
    async with _manager(venue, tmp_path / "j.sqlite") as om:
        order = await om.submit(_limit())
        stopped = dataclasses.replace(order.intent, client_order_id=order.client_order_id + "s")
        with pytest.raises(StoppedBeforeSigning, match=stopped.client_order_id):
            await venue.place(stopped, gate=_Gate("contract: stopped"))
        assert await _copies(venue, stopped.client_order_id) == 0
        if isinstance(venue, BatchPlacement):
            with pytest.raises(StoppedBeforeSigning):
                await venue.place_batch([stopped], gate=_Gate("contract: stopped"))
            assert await _copies(venue, stopped.client_order_id) == 0
        await venue.place(stopped, gate=_Gate(None))
        assert await _copies(venue, stopped.client_order_id) == 1
        await venue.cancel(SYMBOL, stopped.client_order_id)
        assert [o.client_order_id for o in await venue.open_orders(SYMBOL)] == [order.client_order_id]


async def test_a_restart_settles_what_filled_while_down(venue: TradingVenue, tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    losing = LosingVenue(venue)
    async with _manager(losing, path) as om:  # type: ignore[arg-type]
        losing.faults.append("unanswered")
        order = await om.submit(_market())
        cid = order.client_order_id
        if order._resolver is not None:  # killed before it could look the order up
            order._resolver.cancel()
    async with _manager(venue, path) as om2:
        again = om2.order(cid)
        assert again is not None and again.state is OrderState.FILLED
        assert again.filled_qty == QTY
        assert len(om2.journal.fills(cid)) == 1
        assert await _copies(venue, cid) == 1


async def test_an_order_is_filter_validated_once_on_its_way_to_the_wire(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The core validates with the live figures; the adapter must not have the client
    validate the same order again (it did: one more filter pass per order on the hot path).
    The local exchange's own check of what it receives is not the client's."""
    calls: list[str] = []
    real = SymbolRules.check

    def counting(self: SymbolRules, *args: Any, **kwargs: Any) -> Any:
        frame = sys._getframe(1)
        while frame is not None and not frame.f_globals.get("__name__", "").startswith(CLIENT_CODE):
            frame = frame.f_back  # type: ignore[assignment]
        if frame is not None:  # the client checking what the core already checked
            calls.append(self.symbol)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SymbolRules, "check", counting)  # every validation goes through it
    async with LocalExchange(market=False) as ex:
        ex.set_price(SYMBOL, "60000")
        client = BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0)
        async with client, _manager(SpotVenue(client), tmp_path / "j.sqlite") as om:
            order = await om.submit(_limit())
            assert order.state is OrderState.NEW
    assert calls == []


async def test_the_account_reads_speak_the_venues_neutral_words(venue: TradingVenue) -> None:
    """Balances, last prices and the book, as the emergency stop and valuation read them: the
    same shapes and rules from both venues (a symbol with no trade has no price, never 0)."""
    account = await venue.balances()
    assert account.update_time is None or isinstance(account.update_time, int)
    assert all(isinstance(b.free, Decimal) and isinstance(b.locked, Decimal) for b in account.balances)
    assert len({b.asset for b in account.balances}) == len(account.balances)
    prices = await venue.last_prices([SYMBOL, "ETHUSDT"])
    assert prices[SYMBOL] == D("60000")
    if not isinstance(venue, FuturesVenue):  # the local futures quote a contract's start price
        assert prices == {SYMBOL: D("60000")}  # ETHUSDT never traded on either
        assert await venue.last_prices(["ETHUSDT"]) == {}
    book = await venue.book_top(SYMBOL, 5)
    for side, better in ((book.bids, max), (book.asks, min)):
        assert len(side) <= 5 and all(isinstance(p, Decimal) and q > 0 for p, q in side)
        assert not side or side[0][0] == better(p for p, _ in side)


async def test_an_order_of_the_wrong_shape_is_refused_by_the_venue_before_the_journal(
    venue: TradingVenue, tmp_path: Path
) -> None:
    """Which fields an order type needs is the venue's to say (``check_order``), asked once
    before rounding: a LIMIT order without a price, or a MARKET order with one, is refused
    naming the field, and nothing is journaled or sent."""
    async with _manager(venue, tmp_path / "j.sqlite") as om:
        no_price = OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=QTY)
        priced_market = OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=QTY, price=D("60000"))
        for wrong in (no_price, priced_market):
            with pytest.raises(InvalidParameter) as info:
                await om.submit(wrong)
            assert info.value.field == "price"
        assert om.journal.intents() == [] and await venue.recent_orders(SYMBOL, since_ms=0, limit=10) == []
