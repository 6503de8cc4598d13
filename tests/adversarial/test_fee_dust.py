"""Issue 18: target mode after fees taken in the base asset. A buy of 0.01 BTC leaves 0.00999
held (0.1% taker fee in BTC); the 0.00001 BTC short of the target is under the exchange's
minimum notional and must be left alone and reported, never sent and never raised."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.dust_helpers import SYMBOL, Venue, split_prices, venue
from tradeexec.execution.signals import Executor, Residual, TargetPosition

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(60)]
D = Decimal
TICKS = 30 if os.environ.get("TRADEEXEC_SOAK") == "full" else 4


async def test_target_mode_leaves_fee_dust_and_reports_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with _trading(tmp_path) as (v, executor, held):
        target = held + D("0.01")
        caplog.set_level(logging.INFO, logger="tradeexec.execution")
        stats = await executor.run(_ticks(TargetPosition(SYMBOL, target_quantity=target), TICKS))
        assert stats.errors == []
        assert len(v.client.placed) == 1  # the one buy; nothing for the dust, however many ticks
        (order,) = stats.orders
        assert order.intent.quantity == D("0.01")
        free, locked = v.ex.balances()["BTC"]
        assert free + locked == target - D("0.00001")  # the fee, taken in BTC
        residual = stats.residuals[SYMBOL]
        assert isinstance(residual, Residual)
        assert residual.quantity == D("0.00001") and "NOTIONAL" in residual.reason
        assert executor.residuals[SYMBOL] == residual
        notes = [r for r in caplog.records if "residual" in r.getMessage()]
        assert len(notes) == 1 and notes[0].levelno == logging.INFO  # once, not per tick


async def test_target_reached_exactly_reports_no_residual(tmp_path: Path) -> None:
    async with _trading(tmp_path) as (v, executor, held):
        stats = await executor.run(_ticks(TargetPosition(SYMBOL, target_quantity=held), 2))
        assert stats.errors == [] and stats.orders == [] and v.client.placed == []
        assert stats.residuals == {} and executor.residuals == {}


async def test_a_delta_above_the_minimums_is_still_sent(tmp_path: Path) -> None:
    """The dust rule must not swallow a real order: 0.0001 BTC at 60000 is 6 USDT, above
    minNotional 5, and goes out."""
    async with _trading(tmp_path) as (v, executor, held):
        (order,) = await executor.submit(TargetPosition(SYMBOL, target_quantity=held - D("0.0001")))
        assert order.intent.side == "SELL" and order.intent.quantity == D("0.0001")
        assert len(v.client.placed) == 1 and executor.residuals == {}


@contextlib.asynccontextmanager
async def _trading(tmp_path: Path) -> AsyncIterator[tuple[Venue, Executor, Decimal]]:
    """A started manager on a book at 60000 (average price 60000 too), its Executor, and the
    BTC the account holds."""
    async with venue(tmp_path) as v:
        split_prices(v.ex, average="60000", mid="60000", depth="5")
        await v.manager.start()
        executor = Executor(v.client, v.manager, v.manager.positions, v.manager.risk, strategy="dust")
        yield v, executor, v.ex.balances()["BTC"][0]


async def _ticks(signal: TargetPosition, n: int):  # type: ignore[no-untyped-def]
    for _ in range(n):
        yield signal


@pytest.mark.parametrize(
    ("offset", "price", "rule"),
    [
        ("0.000004", None, "rounds to 0"),  # under one lot step
        ("-0.00002", None, "NOTIONAL"),  # past the target: a 1.2 USDT sell
        ("0.00005", "59000", "NOTIONAL"),  # a LIMIT target: price * quantity = 2.95
    ],
)
async def test_dust_either_way_and_for_limit_targets(
    tmp_path: Path, offset: str, price: str | None, rule: str
) -> None:
    async with _trading(tmp_path) as (v, executor, held):
        limit = None if price is None else D(price)
        signal = TargetPosition(SYMBOL, target_quantity=held + D(offset), price=limit)
        assert await executor.submit(signal) == []
        assert v.client.placed == []
        residual = executor.residuals[SYMBOL]
        assert residual.quantity == D(offset) and rule in residual.reason


async def test_too_big_is_an_error_not_a_residual(tmp_path: Path) -> None:
    """Only minimums make dust: a delta above LOT_SIZE maxQty is refused with the rule named."""
    async with _trading(tmp_path) as (v, executor, _held):
        huge = TargetPosition(SYMBOL, target_quantity=D("9500"), price=D("60000"))
        stats = await executor.run(_ticks(huge, 1))
        assert len(stats.errors) == 1 and "LOT_SIZE" in stats.errors[0] and "maxQty" in stats.errors[0]
        assert stats.residuals == {} and v.client.placed == []


async def test_a_notional_targets_moving_residual_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A notional target's residual changes with the mark every tick: kept current, logged
    once (when it appears), not once per tick."""
    async with _trading(tmp_path) as (v, executor, held):
        caplog.set_level(logging.INFO, logger="tradeexec.execution")
        signal = TargetPosition(SYMBOL, target_notional=(held + D("0.00002")) * 60000)
        seen = []
        for bid in ("59995", "59998", "60000"):
            v.ex.add_liquidity(SYMBOL, "BUY", bid, "1")  # the mid moves up each tick
            assert await executor.submit(signal) == []
            seen.append(executor.residuals[SYMBOL].quantity)
        assert len(set(seen)) == 3 and v.client.placed == []
        assert len([r for r in caplog.records if "residual" in r.getMessage()]) == 1
