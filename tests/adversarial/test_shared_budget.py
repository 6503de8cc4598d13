"""Two processes of one account share one rate budget on one machine.

Two real subprocesses (``shared_budget_worker``) trade on one account of the local exchange,
whose order limit is set low (per one-second window, so the test takes seconds): each alone
keeps within it, waiting for the next window when its own count is spent, and the two
together pass it. With the shared budget (a file in a
directory both are given) neither earns a single -1015 or HTTP 429 and every order is placed;
without it (``off``) the exchange refuses some, which shows the test can fail.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli import base_env
from tradeexec.sim.config import RateLimitConfig, SimConfig
from tradeexec.sim.exchange import LocalExchange

SOAK = os.environ.get("TRADEEXEC_SOAK") == "full"
pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(180 if SOAK else 60)]

ROOT = Path(__file__).resolve().parents[2]
SYMBOLS = "BTCUSDT,ETHUSDT,BNBUSDT"
LIMIT = 12  # orders per one-second window; the client allows itself 80%: 9
PER_PROCESS = 60 if SOAK else 20  # about two windows each; the two together pass 12 a window


async def _run_two(ex: LocalExchange, budget: str) -> list[dict[str, Any]]:
    env = base_env(BINANCE_API_KEY=ex.api_key, BINANCE_API_SECRET=ex.api_secret)
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT), env["PYTHONPATH"]))
    argv = ("-m", "tests.adversarial.shared_budget_worker", ex.rest_url, str(PER_PROCESS), SYMBOLS, budget)
    pipe = asyncio.subprocess.PIPE
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, *argv, stdin=pipe, stdout=pipe, stderr=pipe, env=env, cwd=ROOT
        )
        for _ in range(2)
    ]
    results = []
    async with asyncio.timeout(120 if SOAK else 45):
        for proc in procs:
            assert proc.stdout is not None and proc.stderr is not None
            line = await proc.stdout.readline()
            assert line.strip() == b"ready", (await proc.stderr.read()).decode()[-2000:]
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
        for proc in procs:
            out, err = await proc.communicate()
            assert proc.returncode == 0, err.decode()[-2000:]
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
    return results


def _exchange(orders_per_window: int) -> LocalExchange:
    config = SimConfig.default()
    config.rate_limits = RateLimitConfig(orders_per_10s=orders_per_window, orders_window_s=1)
    return LocalExchange(config, market=False)


async def test_two_processes_sharing_the_budget_earn_no_refusals(tmp_path: Path) -> None:
    async with _exchange(LIMIT) as ex:
        results = await _run_two(ex, str(tmp_path / "budget"))
        assert [r["refused"] for r in results] == [[], []]
        assert [r["placed"] for r in results] == [PER_PROCESS, PER_PROCESS]
        open_orders = sum(len(ex.state.engine.open_orders(ex.account, s)) for s in SYMBOLS.split(","))
        assert open_orders == 2 * PER_PROCESS
        # One file, named without the key.
        (path,) = (tmp_path / "budget").iterdir()
        assert ex.api_key not in path.name and oct(path.stat().st_mode & 0o777) == "0o600"


async def test_without_the_shared_budget_the_same_two_processes_are_refused(tmp_path: Path) -> None:
    async with _exchange(LIMIT) as ex:
        results = await _run_two(ex, "off")
        assert sum(len(r["refused"]) for r in results) > 0
