"""Issue 18: target mode after fees taken in the base asset. A buy of 0.01 BTC leaves 0.00999
held (0.1% taker fee in BTC); the 0.00001 BTC short of the target is under the exchange's
minimum notional and must be left alone and reported, never sent and never raised."""

from __future__ import annotations

import logging
import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.dust_helpers import SYMBOL, split_prices, venue
from tradeexec.execution.signals import Executor, Residual, TargetPosition

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(60)]
D = Decimal
TICKS = 30 if os.environ.get("TRADEEXEC_SOAK") == "full" else 4


async def test_target_mode_leaves_fee_dust_and_reports_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with venue(tmp_path) as v:
        split_prices(v.ex, average="60000", mid="60000", depth="5")
        await v.manager.start()
        executor = Executor(v.client, v.manager, v.manager.positions, v.manager.risk, strategy="dust")
        held = v.ex.balances()["BTC"][0]
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
    async with venue(tmp_path) as v:
        split_prices(v.ex, average="60000", mid="60000", depth="5")
        await v.manager.start()
        executor = Executor(v.client, v.manager, v.manager.positions, v.manager.risk, strategy="dust")
        held = v.ex.balances()["BTC"][0]
        stats = await executor.run(_ticks(TargetPosition(SYMBOL, target_quantity=held), 2))
        assert stats.errors == [] and stats.orders == [] and v.client.placed == []
        assert stats.residuals == {} and executor.residuals == {}


async def test_a_delta_above_the_minimums_is_still_sent(tmp_path: Path) -> None:
    """The dust rule must not swallow a real order: 0.0001 BTC at 60000 is 6 USDT, above
    minNotional 5, and goes out."""
    async with venue(tmp_path) as v:
        split_prices(v.ex, average="60000", mid="60000", depth="5")
        await v.manager.start()
        executor = Executor(v.client, v.manager, v.manager.positions, v.manager.risk, strategy="dust")
        held = v.ex.balances()["BTC"][0]
        (order,) = await executor.submit(TargetPosition(SYMBOL, target_quantity=held - D("0.0001")))
        assert order.intent.side == "SELL" and order.intent.quantity == D("0.0001")
        assert len(v.client.placed) == 1 and executor.residuals == {}


async def _ticks(signal: TargetPosition, n: int):  # type: ignore[no-untyped-def]
    for _ in range(n):
        yield signal
