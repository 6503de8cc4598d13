"""Issue 18: a MARKET order's notional is judged locally as the exchange judges it, at the
exchange's average price (GET /api/v3/avgPrice over avgPriceMins), not at the book mid.

Each case moves the real local exchange's book away from its trades, so that the mid and the
average price disagree about the same order, and counts what the real client sends."""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.dust_helpers import (
    SYMBOL,
    FakeClock,
    Venue,
    book_mid,
    print_trades,
    split_prices,
    venue,
    wait_for,
)
from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.rules.order_numbers import RuleViolation
from tradeexec.execution.avg_prices import AveragePrices
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.risk import RiskLimits

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(60)]
D = Decimal
ROUNDS = 40 if os.environ.get("TRADEEXEC_SOAK") == "full" else 5


def _market_buy(qty: str) -> OrderIntent:
    return OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=D(qty))


async def test_passes_at_the_mid_fails_at_the_average_price_refused_locally(tmp_path: Path) -> None:
    async with venue(tmp_path) as v:
        # Average 40000, mid 60000: 0.0001 BTC is 6 USDT at the mid, 4 at the average price,
        # and NOTIONAL's minNotional is 5 (applyMinToMarket, avgPriceMins 5).
        split_prices(v.ex, average="40000", mid="60000")
        assert book_mid(v.ex, SYMBOL) == D(60000)
        await v.manager.start()
        with pytest.raises(RuleViolation) as info:
            await v.manager.submit(_market_buy("0.0001"))
        assert info.value.failure.filter == "NOTIONAL"
        assert "average price 40000" in str(info.value) and "minNotional 5" in str(info.value)
        assert v.client.placed == []  # nothing sent
        assert await v.client.all_orders(SYMBOL) == []


async def test_fails_at_the_mid_passes_at_the_average_price_accepted(tmp_path: Path) -> None:
    async with venue(tmp_path) as v:
        # The reverse: 4 USDT at the mid 40000, 6 at the average price 60000. The exchange
        # takes it, so the client must not refuse it.
        split_prices(v.ex, average="60000", mid="40000")
        await v.manager.start()
        order = await v.manager.submit(_market_buy("0.0001"))
        assert order.state is OrderState.FILLED
        assert len(v.client.placed) == 1
        (on_exchange,) = await v.client.all_orders(SYMBOL)
        assert on_exchange.client_order_id == order.client_order_id


async def test_average_price_is_fetched_once_before_the_first_order_then_cached(tmp_path: Path) -> None:
    """No average known yet: one request before the first order of the symbol, then none per
    order while the cached figure is fresh (the full run's 40 orders go faster than the default
    order-rate limit, which is not what this test is about)."""
    unpaced = RiskLimits(require_ip_restriction=False, max_orders_per_second=None)
    async with venue(tmp_path, limits=unpaced) as v:
        split_prices(v.ex, average="60000", mid="60000", depth="5")
        await v.manager.start()
        assert v.client.avg_calls == 0
        for i in range(ROUNDS):
            side = Side.BUY if i % 2 == 0 else Side.SELL
            await v.manager.submit(OrderIntent(SYMBOL, side, OrderType.MARKET, quantity=D("0.001")))
        assert len(v.client.placed) == ROUNDS
        assert v.client.avg_calls == 1


async def test_percent_price_band_uses_the_average_price(tmp_path: Path) -> None:
    """PERCENT_PRICE_BY_SIDE (bidMultiplierUp 5, avgPriceMins 5): a bid at 5.9x the average
    price is inside the band around the mid but outside the exchange's: refused locally."""
    async with venue(tmp_path) as v:
        split_prices(v.ex, average="10000", mid="60000")
        await v.manager.start()
        bid = OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=D("0.001"), price=D("59000"))
        with pytest.raises(RuleViolation) as info:
            await v.manager.submit(bid)
        assert info.value.failure.filter == "PERCENT_PRICE_BY_SIDE"
        assert v.client.placed == []


def _cached(v: Venue, clock: FakeClock) -> None:
    v.manager.average_prices = AveragePrices(v.manager.venue, refresh_s=2.0, max_age_s=15.0, clock=clock)


async def test_a_stale_average_is_refreshed_in_the_background_then_used(tmp_path: Path) -> None:
    """Past refresh_s the order goes at once on the cached figure and a refresh runs beside
    it; the next order is judged at the new figure. Past max_age_s the order waits for it."""
    clock = FakeClock()
    async with venue(tmp_path) as v:
        _cached(v, clock)
        split_prices(v.ex, average="60000", mid="60000", depth="5", bids=False)
        await v.manager.start()
        await v.manager.submit(_market_buy("0.0001"))  # 6 USDT at 60000: taken
        assert v.client.avg_calls == 1
        print_trades(v.ex, "30000", 100)  # the exchange's average falls below 50000
        clock.now += 3
        await v.manager.submit(_market_buy("0.0002"))  # judged at the cached 60000: taken
        await wait_for(lambda: v.client.avg_calls == 2 and not v.manager.average_prices._inflight)
        with pytest.raises(RuleViolation, match="NOTIONAL") as info:
            await v.manager.submit(_market_buy("0.0001"))  # 6 at the old figure, under 5 now
        average = v.manager.average_prices._entries[SYMBOL].price
        assert average is not None and average < 50000 and f"average price {average}" in str(info.value)
        assert len(v.client.placed) == 2 and v.client.avg_calls == 2
        print_trades(v.ex, "60000", 400)  # back above 5 / 0.0001 = 50000
        clock.now += 20
        order = await v.manager.submit(_market_buy("0.0001"))  # waits for the fresh figure
        assert order.state is OrderState.FILLED and v.client.avg_calls == 3


async def test_concurrent_first_orders_share_one_request(tmp_path: Path) -> None:
    async with venue(tmp_path) as v:
        split_prices(v.ex, average="60000", mid="60000", depth="5")
        await v.manager.start()
        await asyncio.gather(*(v.manager.submit(_market_buy("0.001")) for _ in range(4)))
        assert v.client.avg_calls == 1 and len(v.client.placed) == 4


async def test_average_price_unavailable_falls_back_to_the_mark_and_retries_later(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The avgPrice endpoint failing must not stop trading or cost a request per order: the
    check uses the mark (the exchange stays the judge), says so, and retries after refresh_s."""
    clock = FakeClock()
    async with venue(tmp_path, max_retries=0) as v:
        _cached(v, clock)
        split_prices(v.ex, average="60000", mid="60000", depth="5")
        await v.manager.start()
        v.ex.inject("http_5xx", "/api/v3/avgPrice", status=503)
        for _ in range(3):
            await v.manager.submit(_market_buy("0.001"))
        assert v.client.avg_calls == 1 and len(v.client.placed) == 3
        assert any("average price of BTCUSDT not fetched" in r.getMessage() for r in caplog.records)
        v.ex.clear_faults()
        clock.now += 3
        await v.manager.submit(_market_buy("0.001"))
        await wait_for(lambda: v.client.avg_calls == 2 and not v.manager.average_prices._inflight)
        entry = v.manager.average_prices._entries[SYMBOL]
        assert entry.price is not None and entry.price > 50000 and not entry.failed


async def test_an_order_refused_for_another_rule_costs_no_request(tmp_path: Path) -> None:
    """A first order refused by a filter that needs no live price (here LOT_SIZE maxQty) is
    refused before the average price is asked for: a bad order sends nothing at all."""
    async with venue(tmp_path) as v:
        split_prices(v.ex, average="60000", mid="60000")
        await v.manager.start()
        with pytest.raises(RuleViolation, match="LOT_SIZE"):
            await v.manager.submit(_market_buy("9500"))
        assert v.client.avg_calls == 0 and v.client.placed == []
