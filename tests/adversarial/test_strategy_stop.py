"""``tradeexec run`` stopped in every way but the clean one: the strategy raises, refuses
to stop and trades on, or the user presses Ctrl-C with an order resting. In each, nothing is
sent after the stop and the run's resting orders are cancelled before the process exits.
Each test was seen failing before its fix. ``TRADEEXEC_SOAK=full`` repeats the Ctrl-C at
random moments."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.adversarial.strategy_run_helpers import config_env, journal_intents, run_source, wait_for_line

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(600)]

FULL = os.environ.get("TRADEEXEC_SOAK") == "full"


def test_a_failing_strategy_exits_1_naming_its_line_and_leaves_no_resting_order(tmp_path: Path) -> None:
    run, strategy, journal_dir = run_source(
        tmp_path, "broken",
        "from decimal import Decimal\n"
        "async def strategy(ctx):\n"
        "    async for _ in ctx.ticks(0.2):\n"
        "        mid = ctx.mid('BTCUSDT')\n"
        "        if mid is not None:\n"
        "            price = (mid * Decimal('0.97')).quantize(1)\n"
        "            await ctx.order('BTCUSDT', 'buy', Decimal('0.001'), price=price)\n"
        "            raise RuntimeError('my bug')\n",
        "--duration", "20",
    )  # fmt: skip
    assert run.code == 1, run
    assert "strategy broken raised RuntimeError: my bug" in run.err and f"{strategy}:8" in run.err, run.err
    intents = journal_intents(journal_dir)
    assert len(intents) == 1 and intents[0][1], intents  # the resting order was cancelled: final
    assert "cancel " in run.out and "(still resting)" in run.out


def test_nothing_is_sent_after_the_run_is_over(tmp_path: Path) -> None:
    run, _, journal_dir = run_source(
        tmp_path, "late",
        "import asyncio\n"
        "from decimal import Decimal\n"
        "async def strategy(ctx):\n"
        "    while True:\n"
        "        try:\n"
        "            await asyncio.sleep(60)\n"
        "        except asyncio.CancelledError:  # refuses to stop, and trades instead\n"
        "            got = await ctx.order('BTCUSDT', 'BUY', quote_quantity=Decimal('100'))\n"
        "            ctx.log(f'late order: {got}')\n"
        "            return\n",
        "--duration", "2",
    )  # fmt: skip
    assert run.code == 0, run
    assert "not sent, the run is over" in run.out and "late order: None" in run.out, run.out
    assert journal_intents(journal_dir) == []


_RESTING = (
    "from decimal import Decimal\n"
    "async def strategy(ctx):\n"
    "    async for _ in ctx.ticks(0.1):\n"
    "        mid = ctx.mid('BTCUSDT')\n"
    "        if mid is not None and not ctx.open_orders():\n"
    "            price = (mid * Decimal('0.97')).quantize(1)\n"
    "            order = await ctx.order('BTCUSDT', 'buy', Decimal('0.001'), price=price)\n"
    "            ctx.log(f'RESTING {order.state}')\n"
)


@pytest.mark.parametrize("attempt", range(5 if FULL else 1))
def test_ctrl_c_cancels_the_runs_resting_orders_before_it_exits(tmp_path: Path, attempt: int) -> None:
    strategy = tmp_path / "resting.py"
    strategy.write_text(_RESTING, encoding="utf-8")
    journal_dir = tmp_path / "journal"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tradeexec.cli", "run", str(strategy), "--duration", "120",
         "--journal-dir", str(journal_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=config_env(tmp_path),
    )  # fmt: skip
    try:
        assert wait_for_line(proc, "strategy: RESTING NEW", timeout=60), "the strategy never placed its order"
        # The first attempt right after the order; the soak's later ones at random moments.
        deadline = time.monotonic() + (random.uniform(0, 1.5) if attempt else 0)
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 1 and "interrupted" in err, (out, err)
    assert "Traceback" not in err
    intents = journal_intents(journal_dir)
    assert intents and all(final for _, final, _ in intents), intents  # canceled on the way out
