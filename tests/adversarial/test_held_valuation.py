"""Coins held before tradeexec started count in PnL and in every risk limit (issue 18).

Each test runs the real order manager over the real client against a local exchange whose
account opens with 10 ETH (worth 30,000 USDT) and 10,000 USDT. Before the fix, held coins
were booked at entry price 0: PnL read their whole value as profit, gross exposure read 0,
and the daily-loss switch never saw a fall in their price.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.held_helpers import exchange_value, held_manager, held_venue, until
from tradeexec.binance.enums import OrderType, Side
from tradeexec.errors import ConfigError
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.risk import RiskLimitExceeded, RiskLimits, RiskManager
from tradeexec.strategy.api import StrategyContext
from tradeexec.strategy.runner import PythonStrategy, RunPlan, run_strategy

pytestmark = pytest.mark.adversarial

D = Decimal
ETH = "ETHUSDT"


def _market(side: Side, qty: str, symbol: str = ETH) -> OrderIntent:
    return OrderIntent(symbol, side, OrderType.MARKET, quantity=D(qty))


async def test_pnl_of_a_fee_losing_round_trip_is_what_the_exchange_says(tmp_path: Path) -> None:
    """Buy and sell back 0.5 ETH: the PnL risk counts is the exchange's account value now
    minus at the start, to the last unit: a few USDT lost, not 30,000 won."""
    async with held_venue() as (ex, client):
        ex.add_liquidity(ETH, "BUY", "2999", "5")
        ex.add_liquidity(ETH, "SELL", "3001", "5")
        start_value = exchange_value(ex, {"ETH": D(3000)})
        async with held_manager(client, tmp_path / "j.sqlite") as om:
            for side in (Side.BUY, Side.SELL):
                order = await om.submit(_market(side, "0.5"))
                await order.wait_final(timeout=5)
                assert await until(lambda o=order: o.filled_qty == o.executed_qty, 5)  # type: ignore[misc]
            ex.set_price(ETH, "3000")  # the ticker back where it started
            expected = exchange_value(ex, {"ETH": D(3000)}) - start_value
            assert D(-5) < expected < 0  # 1 USDT of spread per ETH plus 0.1% fees each way
            # The manager values with the ticker it polls: wait for it to see the 3000 trade.
            await until(lambda: om.risk.daily_pnl == expected, 5)
            assert om.risk.daily_pnl == expected
            assert om.valuation.pnl() == expected


async def test_exposure_limit_counts_coins_held_at_start(tmp_path: Path) -> None:
    """10 ETH held (30,000 USDT) against max_gross_exposure 1,000: any buy is refused
    locally, naming the limit, and the exchange receives nothing."""
    async with held_venue(prices={ETH: "3000", "BTCUSDT": "60000"}) as (_ex, client):
        risk = RiskManager(RiskLimits(max_gross_exposure=D(1000)))
        async with held_manager(client, tmp_path / "j.sqlite", risk=risk) as om:
            for intent in (_market(Side.BUY, "0.01"), _market(Side.BUY, "0.0002", "BTCUSDT")):
                with pytest.raises(RiskLimitExceeded) as info:
                    await om.submit(intent)
                assert info.value.limit == "max_gross_exposure"
                assert "30000" in str(info.value)
            # Selling held ETH lowers exposure: allowed.
            sold = await om.submit(_market(Side.SELL, "0.01"))
            await sold.wait_final(timeout=5)
        placed = [o.client_order_id for s in (ETH, "BTCUSDT") for o in await client.all_orders(s)]
        assert placed == [sold.client_order_id]


async def test_daily_loss_switch_fires_on_a_fall_in_held_coins(tmp_path: Path) -> None:
    """No trade of ours at all: ETH falls from 3000 to 2900, the 10 held lose 1,000 USDT,
    max_daily_loss 500 trips the kill switch, and the next order is refused unsent."""
    async with held_venue() as (ex, client):
        risk = RiskManager(RiskLimits(max_daily_loss=D(500)))
        async with held_manager(client, tmp_path / "j.sqlite", risk=risk) as om:
            assert not risk.tripped
            ex.set_price(ETH, "2900")
            assert await until(lambda: risk.tripped, 10), f"daily pnl {risk.daily_pnl}"
            assert "daily loss" in (risk.trip_reason or "")
            with pytest.raises(RiskLimitExceeded) as info:
                await om.submit(_market(Side.SELL, "0.01"))
            assert info.value.limit == "kill_switch"
        assert await client.all_orders(ETH) == []


async def test_a_fall_within_the_limit_does_not_trip(tmp_path: Path) -> None:
    """The same account, a fall of 10 USDT per ETH (100 in all) under a 500 limit: the PnL
    is seen (-100) and the switch stays armed."""
    async with held_venue() as (ex, client):
        risk = RiskManager(RiskLimits(max_daily_loss=D(500)))
        async with held_manager(client, tmp_path / "j.sqlite", risk=risk) as om:
            ex.set_price(ETH, "2990")
            assert await until(lambda: risk.daily_pnl == D(-100), 10), f"daily pnl {risk.daily_pnl}"
            assert not risk.tripped
            assert om.valuation.pnl() == D(-100)


async def test_no_price_source_refuses_to_start(tmp_path: Path) -> None:
    """Neither ``prices`` nor the ticker poll: the manager cannot value the 10 ETH and
    refuses to start, saying what is missing, instead of counting them as worth 0."""
    async with held_venue() as (_ex, client):
        with pytest.raises(ConfigError, match=r"no price source.*prices=.*mark_refresh_s"):
            async with held_manager(client, tmp_path / "j.sqlite", mark_refresh_s=None):
                pass


async def test_held_coin_without_a_price_refuses_to_start_when_a_limit_needs_it(tmp_path: Path) -> None:
    """ETHUSDT never traded (the ticker says 0): with an exposure limit set, the start is
    refused naming the symbol; nothing is valued at 0."""
    async with held_venue(prices={}) as (_ex, client):
        risk = RiskManager(RiskLimits(max_gross_exposure=D(1000)))
        with pytest.raises(ConfigError, match="no mark for ETHUSDT"):
            async with held_manager(client, tmp_path / "j.sqlite", risk=risk):
                pass


async def test_run_summary_pnl_counts_from_the_start_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's own case: ``tradeexec run`` of a strategy that round-trips 0.5 ETH on an
    account already holding 10 ETH. Its summary's PnL is the exchange's account value at the
    end minus at the start (marks 3000 at both ends): a few USDT lost, not the value held."""
    async with held_venue() as (ex, _client):
        ex.add_liquidity(ETH, "BUY", "2999", "5")
        ex.add_liquidity(ETH, "SELL", "3001", "5")
        monkeypatch.setenv("BINANCE_API_KEY", ex.api_key)
        monkeypatch.setenv("BINANCE_API_SECRET", ex.api_secret)
        start_value = exchange_value(ex, {"ETH": D(3000)})

        async def strategy(ctx: StrategyContext) -> None:
            for side in ("BUY", "SELL"):
                order = await ctx.order(ETH, side, D("0.5"))
                assert order is not None
                await order.wait_final(timeout=5)
            # A last trade at the mid, so the end is valued at 3000 whichever mark the session
            # reads then (the book closes first, and the last trade is its fallback).
            ex.set_price(ETH, "3000")
            assert await until(lambda: ctx._record.last_trade.get(ETH) == D(3000), 5)

        plan = RunPlan(
            PythonStrategy("feeloss", strategy, (ETH,)), 10.0, tmp_path, (ETH,), base_url=ex.rest_url
        )
        summary = await run_strategy(plan, say=lambda _line: None)
        expected = exchange_value(ex, {"ETH": D(3000)}) - start_value
    assert D(-5) < expected < 0
    assert summary.pnl == expected.quantize(D("1e-8"))
