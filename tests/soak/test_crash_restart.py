"""Crash-restart: the order manager in a child process (tests/soak/crash_child.py), killed with
SIGKILL before the journal write, between journal and send, between send and acknowledgement,
in the middle of a fill, in the middle of a cancel and at random moments, restarted each time
on the same journal. After a last clean run the exchange's own record (its engine, not what
the client believes) must show every intent placed at most once, no intent lost, and the
journal's final states, fills and balances equal to the exchange's.

The bounded run (a few kill points) is part of ``make test``; ``TRADEEXEC_SOAK=full`` runs
many random kills (``make soak``)."""

from __future__ import annotations

import asyncio
import json
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

from tests.soak.crash_child import STEPS, SYMBOL, plan, tag
from tradeexec.binance.enums import Side
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.state import OrderState
from tradeexec.sim.engine import OrderRecord
from tradeexec.sim.exchange import LocalExchange

REPO = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT_S = 30.0
ALL = 10**9  # the engine's history queries take a limit
# Each point is reached at least that often in the run it is given to (see crash_child.STEPS):
# the 2nd intent; the 1st send; the 2nd fill (the second of a two-fill market order's answer);
# the 2nd acknowledgement; the 1st cancel.
KILL_POINTS = ("intent:2", "send:1", "fill:2", "ack:2", "cancel:1")
# Here the 2nd fill is met while the restarted manager recovers the fills of that market order,
# whose answer the previous run never processed (killed at "ack:2").
KILL_POINTS_RECOVERY_FILL = ("intent:2", "send:1", "ack:2", "fill:2")
FULL = os.environ.get("TRADEEXEC_SOAK") == "full"

# What each order step ends as (crash_child.STEPS): the cancel targets are canceled,
# step 4 rests, the others fill.
EXPECTED = {1: OrderState.CANCELED, 5: OrderState.CANCELED, 9: OrderState.CANCELED, 4: OrderState.NEW}


@dataclass
class ChildRun:
    crash_at: str | None
    returncode: int
    stdout: str
    stderr: str
    hung: bool = False


@dataclass
class Runs:
    ex: LocalExchange
    journal: Path
    start_balances: dict[str, Decimal]
    rounds: int
    history: list[ChildRun] = field(default_factory=list)

    async def child(self, crash_at: str | None = None, kill_after_s: float | None = None) -> ChildRun:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join((str(REPO / "src"), str(REPO))),
            "TRADEEXEC_CRASH_KEY": self.ex.api_key,
            "TRADEEXEC_CRASH_SECRET": self.ex.api_secret,
            "TRADEEXEC_CRASH_AT": crash_at or "",
            "TRADEEXEC_CRASH_ROUNDS": str(self.rounds),
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.soak.crash_child", self.ex.rest_url, str(self.journal),
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
        out, err = await output
        assert proc.returncode is not None
        run = ChildRun(crash_at, proc.returncode, out.decode(), err.decode(), hung=not done)
        assert not run.hung, f"the child hung:\n{_describe([*self.history, run])}"
        self.history.append(run)
        return run


@pytest.fixture
async def runs(tmp_path: Path) -> AsyncIterator[Runs]:
    rounds = 40 if FULL else 1
    async with LocalExchange(market=False) as ex:
        ex.set_price(SYMBOL, "60000")
        for side, price, qty in (
            ("SELL", "60000", "0.05"),
            ("SELL", "60010", "0.05"),
            ("SELL", "60020", "0.1"),
            ("BUY", "59990", "0.05"),
        ):
            ex.add_liquidity(SYMBOL, side, price, Decimal(qty) * rounds)
        ex.deposit("USDT", Decimal(5000) * rounds)  # each round buys ~0.05 BTC more than it sells
        start = {a: free + locked for a, (free, locked) in ex.balances().items()}
        yield Runs(ex, tmp_path / "journal.sqlite", start, rounds)


def _describe(history: list[ChildRun]) -> str:
    return "\n".join(f"{r.crash_at}: rc={r.returncode} {r.stderr[-1500:]}" for r in history)


async def _crash_then_finish(runs: Runs, points: tuple[str, ...], random_kills: int, seed: int) -> None:
    """Kill at each point in turn (each must be reached), then ``random_kills`` times at random
    moments interleaved with the points again, then run to the end and check."""
    for point in points:
        run = await runs.child(point)
        assert run.returncode == -signal.SIGKILL, f"{point} never reached:\n{_describe(runs.history)}"
    rng = random.Random(seed)
    for _ in range(random_kills):
        if rng.random() < 0.5:
            await runs.child(kill_after_s=rng.uniform(0.3, 3.0))  # may end before the kill: fine
        else:
            await runs.child(f"{rng.choice(points)}")  # later runs may no longer reach it: fine
    final = await runs.child()
    assert final.returncode == 0, _describe(runs.history)
    tracked = json.loads(final.stdout.strip().splitlines()[-1])["balances"]
    _check_invariants(runs, {a: Decimal(v) for a, v in tracked.items()})


def _check_invariants(runs: Runs, tracked: dict[str, Decimal]) -> None:
    ex = runs.ex
    on_exchange: dict[str, OrderRecord] = {
        o.client_order_id: o for o in ex.state.engine.all_orders(ex.account, SYMBOL, limit=ALL)
    }
    exchange_tags = Counter(cid.split("_", 1)[0] for cid in on_exchange)
    # No intent placed twice: one exchange order per step at most, whatever its client id.
    assert [t for t, n in exchange_tags.items() if n > 1] == []

    with Journal(runs.journal) as journal:
        intents = journal.intents()
        journal_tags = Counter(i.strategy for i in intents)
        assert [t for t, n in journal_tags.items() if n > 1] == [], "a step journaled twice"
        assert set(on_exchange) <= {i.client_order_id for i in intents}, "an order the journal lacks"
        by_tag = {i.strategy: i for i in intents}
        base_delta = quote_delta = Decimal(0)
        for index, step in enumerate(plan(runs.rounds)):
            if step.cancel is not None:
                continue
            intent = by_tag.get(tag(index))
            assert intent is not None, f"step {index} lost: never journaled"
            derived = journal.derive(intent)
            order = on_exchange.get(intent.client_order_id)
            if order is None:  # only acceptable as a recorded refusal or abandonment
                assert derived.state.is_final and derived.reason, f"step {index} lost: {derived}"
                continue
            assert (derived.state, derived.executed_qty, derived.cumulative_quote) == (
                OrderState.from_exchange(order.status.value),
                order.executed_qty,
                order.cummulative_quote_qty,
            ), f"step {index}: journal {derived} vs exchange {order}"
            expected = EXPECTED.get(index % len(STEPS), OrderState.FILLED)
            assert derived.state is expected, f"step {index}: {derived.state}"
            theirs = {
                f.trade_id: (f.qty, f.price)
                for f in ex.state.engine.my_trades(ex.account, SYMBOL, order_id=order.order_id, limit=ALL)
            }
            fills = journal.fills(intent.client_order_id)
            assert {f.trade_id: (f.last_qty, f.last_price) for f in fills} == theirs, f"step {index} fills"
            sign = 1 if step.side is Side.BUY else -1
            for f in fills:
                assert f.last_qty is not None and f.last_price is not None
                fee = f.commission or Decimal(0)
                base_delta += sign * f.last_qty - (fee if f.commission_asset == "BTC" else 0)
                quote_delta -= sign * f.last_qty * f.last_price + (fee if f.commission_asset == "USDT" else 0)

    # Balances: the journal's fills account for every unit that moved, and the tracker of the
    # last run agrees with the exchange.
    end = {a: free + locked for a, (free, locked) in ex.balances().items()}
    assert end["BTC"] - runs.start_balances["BTC"] == base_delta
    assert end["USDT"] - runs.start_balances["USDT"] == quote_delta
    assert {a: v for a, v in tracked.items() if v} == {a: v for a, v in end.items() if v}


@pytest.mark.timeout(120)
async def test_killed_at_each_point_restarts_without_duplicates_or_losses(runs: Runs) -> None:
    await _crash_then_finish(runs, KILL_POINTS, random_kills=1, seed=1)
    assert [r.returncode for r in runs.history[: len(KILL_POINTS)]] == [-signal.SIGKILL] * len(KILL_POINTS)


@pytest.mark.timeout(120)
async def test_killed_while_recovering_fills_restarts_with_every_fill(runs: Runs) -> None:
    await _crash_then_finish(runs, KILL_POINTS_RECOVERY_FILL, random_kills=0, seed=2)


@pytest.mark.soak
@pytest.mark.timeout(1800)
@pytest.mark.skipif(not FULL, reason="the long crash-restart runs with TRADEEXEC_SOAK=full (make soak)")
async def test_many_random_kills(runs: Runs) -> None:
    await _crash_then_finish(runs, KILL_POINTS, random_kills=60, seed=8)
    killed = sum(r.returncode == -signal.SIGKILL for r in runs.history)
    print(f"crash-restart: {len(runs.history)} runs, {killed} killed by SIGKILL, invariants hold")
