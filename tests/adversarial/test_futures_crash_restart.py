"""Crash-restart on the futures order path: ``OrderManager`` on ``FuturesVenue`` in a child
process (``futures_crash_child.py``) killed with SIGKILL before the journal write, between
journal and send, between send and answer, before a fill is journaled and after a cancel
was answered, restarted each time on the same journal. After a last clean run the exchange's
own record (its engine, not what a client believes) shows every step placed at most once, no
step lost, the journal's states and fills equal to the exchange's, and the position the
journal's fills add up to equal to positionRisk.

The bounded run is part of ``make test``; ``TRADEEXEC_SOAK=full`` adds many random kills."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.futures_crash_child import EXPECTED, STEPS, SYMBOL, tag
from tests.adversarial.futures_exactly_once_helpers import Futures, exchange_orders, futures
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.state import OrderState
from tradeexec.venue.vocab import Side

pytestmark = pytest.mark.adversarial

REPO = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT_S = 30.0
# In this order each is reached in the run it is given to (the steps of futures_crash_child):
# the 2nd intent; the 1st send; the 2nd fill (the second of the two-fill market order); the
# 2nd answer; the 1st cancel; then the reduce-only close killed before it is sent, and its
# resend killed once the exchange executed it, before the answer is used.
KILL_POINTS = ("intent:2", "send:1", "fill:2", "ack:2", "cancel:1", "send:1", "ack:1")
FULL = os.environ.get("TRADEEXEC_SOAK") == "full"


@dataclass
class ChildRun:
    crash_at: str | None
    returncode: int
    stderr: str


@dataclass
class Runs:
    rest_url: str
    key: str
    secret: str
    journal: Path
    history: list[ChildRun] = field(default_factory=list)
    module: str = "tests.adversarial.futures_crash_child"  # the child to run

    async def child(self, crash_at: str | None = None, kill_after_s: float | None = None) -> ChildRun:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join((str(REPO / "src"), str(REPO))),
            "TRADEEXEC_CRASH_KEY": self.key,
            "TRADEEXEC_CRASH_SECRET": self.secret,
            "TRADEEXEC_CRASH_AT": crash_at or "",
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self.module, self.rest_url, str(self.journal),
            cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        output = asyncio.ensure_future(proc.communicate())
        if kill_after_s is not None:
            done, _ = await asyncio.wait({output}, timeout=kill_after_s)
            if not done:
                proc.send_signal(signal.SIGKILL)
        done, _ = await asyncio.wait({output}, timeout=CHILD_TIMEOUT_S)
        if not done:
            proc.kill()
        _out, err = await output
        assert proc.returncode is not None
        run = ChildRun(crash_at, proc.returncode, err.decode())
        self.history.append(run)
        assert done, f"the child hung:\n{self.describe()}"
        return run

    def describe(self) -> str:
        return "\n".join(f"{r.crash_at}: rc={r.returncode} {r.stderr[-1500:]}" for r in self.history)


def lay_book(f: Futures, *levels: tuple[str, str, str]) -> None:
    """The house's book on ``SYMBOL`` as ``levels`` say, (side, price, quantity) each, and
    nothing else."""
    f.ex.futures_cancel_all_liquidity(SYMBOL)
    for side, price, qty in levels:
        f.ex.futures_add_liquidity(SYMBOL, side, price, qty)


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[object, Runs]]:
    async with futures(tmp_path) as f:
        lay_book(f, ("SELL", "60000", "0.05"), ("SELL", "60010", "0.05"), ("SELL", "60020", "0.1"),
                 ("BUY", "59990", "0.05"))  # fmt: skip
        yield f, Runs(f.ex.rest_url, f.ex.api_key, f.ex.api_secret, tmp_path / "journal.sqlite")


async def _crash_then_finish(
    f: object, runs: Runs, points: tuple[str, ...], random_kills: int, seed: int
) -> None:
    for point in points:
        run = await runs.child(point)
        assert run.returncode == -signal.SIGKILL, f"{point} never reached:\n{runs.describe()}"
    rng = random.Random(seed)
    for _ in range(random_kills):
        if rng.random() < 0.5:
            await runs.child(kill_after_s=rng.uniform(0.3, 3.0))  # may end before the kill: fine
        else:
            await runs.child(rng.choice(points))  # later runs may no longer reach it: fine
    final = await runs.child()
    assert final.returncode == 0, runs.describe()
    await _check_invariants(f, runs)


async def _check_invariants(f: object, runs: Runs) -> None:
    ex, client = f.ex, f.client  # type: ignore[attr-defined]
    on_exchange = {o.client_order_id: o for o in exchange_orders(ex)}
    # No step placed twice: one exchange order per step tag at most, whatever its client id.
    assert [t for t, n in Counter(cid.split("_", 1)[0] for cid in on_exchange).items() if n > 1] == []
    with Journal(runs.journal) as journal:
        intents = journal.intents()
        assert [t for t, n in Counter(i.strategy for i in intents).items() if n > 1] == [], "journaled twice"
        assert set(on_exchange) <= {i.client_order_id for i in intents}, "an order the journal lacks"
        by_tag = {i.strategy: i for i in intents}
        held = Decimal(0)
        for index, step in enumerate(STEPS):
            if step.cancel is not None:
                continue
            intent = by_tag.get(tag(index))
            assert intent is not None, f"step {index} lost: never journaled"
            assert intent.reduce_only is step.reduce_only
            derived = journal.derive(intent)
            order = on_exchange.get(intent.client_order_id)
            if order is None:  # only acceptable as a recorded refusal or abandonment
                assert derived.state.is_final and derived.reason, f"step {index} lost: {derived}"
                assert journal.fills(intent.client_order_id) == []
                continue
            assert (derived.state, derived.executed_qty) == (
                OrderState.from_exchange(order.status.value),
                order.executed_qty,
            ), f"step {index}: journal {derived} vs exchange {order}"
            assert derived.state is EXPECTED.get(index, OrderState.FILLED), f"step {index}: {derived.state}"
            theirs = {
                t.trade_id: (t.qty, t.price)
                for t in ex.state.futures.fills.get(ex.account, [])
                if t.order_id == order.order_id
            }
            fills = journal.fills(intent.client_order_id)
            assert {x.trade_id: (x.last_qty, x.last_price) for x in fills} == theirs, f"step {index} fills"
            sign = 1 if step.side is Side.BUY else -1
            held += sum((sign * (x.last_qty or 0) for x in fills), Decimal(0))
    # The position the journal's fills add up to is the exchange's, read as positionRisk.
    rows = await client.futures_position_risk_v3(SYMBOL)
    assert [(r.position_side, r.position_amt) for r in rows if r.position_amt] == (
        [("BOTH", held)] if held else []
    )


@pytest.mark.timeout(240)
async def test_killed_at_each_point_of_the_futures_path_restarts_without_duplicates_or_losses(
    setup: tuple[object, Runs],
) -> None:
    f, runs = setup
    await _crash_then_finish(f, runs, KILL_POINTS, random_kills=1, seed=1)
    assert [r.returncode for r in runs.history[: len(KILL_POINTS)]] == [-signal.SIGKILL] * len(KILL_POINTS)


@pytest.mark.soak
@pytest.mark.timeout(1800)
@pytest.mark.skipif(not FULL, reason="the long crash-restart runs with TRADEEXEC_SOAK=full (make soak)")
async def test_many_random_kills_on_the_futures_path(setup: tuple[object, Runs]) -> None:
    f, runs = setup
    await _crash_then_finish(f, runs, KILL_POINTS, random_kills=40, seed=8)
