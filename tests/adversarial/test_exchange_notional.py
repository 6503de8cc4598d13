"""Issue 18: a MARKET order's notional is judged locally as the exchange judges it, at the
exchange's average price (GET /api/v3/avgPrice over avgPriceMins), not at the book mid.

Each case moves the real local exchange's book away from its trades, so that the mid and the
average price disagree about the same order, and counts what the real client sends."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.dust_helpers import SYMBOL, book_mid, split_prices, venue
from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.rules import RuleViolation
from tradeexec.execution.journal import OrderState
from tradeexec.execution.orders import OrderIntent

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
    order while the cached figure is fresh."""
    async with venue(tmp_path) as v:
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
