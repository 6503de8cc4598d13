"""Crash-restart of futures batches: ``OrderManager.submit_batch`` on ``FuturesVenue`` in a
child process (``futures_batch_crash_child.py``) killed with SIGKILL at each step of a batch
and restarted on the same journal each time:

* half admitted (the first order journaled, the second not);
* every order journaled, the batch not sent;
* the batch on the wire, its answer not come (the exchange executes it after the kill);
* the exchange answered, the answer not journaled;
* some of the batch's answers journaled, the rest not.

After a last clean run the exchange's own record (its engine, not what a client believes)
shows every order of every batch exactly once (none twice, none lost), the journal's states
and fills equal to the exchange's, and the leg the journal's fills add up to equal to
positionRisk. The bounded run is part of ``make test``; ``TRADEEXEC_SOAK=full`` adds random
kills."""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.futures_batch_crash_child import BATCHES, RESTING, SYMBOL, tag
from tests.adversarial.futures_exactly_once_helpers import Futures, exchange_orders, futures
from tests.adversarial.test_futures_crash_restart import Runs, lay_book
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.state import OrderState
from tradeexec.sim.faults import FaultKind
from tradeexec.venue.vocab import Side

pytestmark = pytest.mark.adversarial

CHILD = "tests.adversarial.futures_batch_crash_child"
# Each reached in the run it is given to, in this order: batch 0 half admitted; the rest of
# batch 0 journaled, unsent; batch 1 executed, its answer unused; batch 2 answered, its second
# order's answer not journaled; batch 3 killed in flight, executed after the kill.
KILL_POINTS = ("intent:2", "bsend:1", "back:1", "answer:2", "inflight:1")
EXCHANGE_DELAY_MS = 300  # the in-flight batch reaches the engine this late (< its recvWindow)
FULL = os.environ.get("TRADEEXEC_SOAK") == "full"


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[Futures, Runs]]:
    async with futures(tmp_path) as f:
        lay_book(f, ("SELL", "60000", "0.05"), ("SELL", "60010", "0.05"), ("SELL", "60020", "0.1"),
                 ("BUY", "59990", "0.05"), ("BUY", "59980", "0.05"))  # fmt: skip
        runs = Runs(f.ex.rest_url, f.ex.api_key, f.ex.api_secret, tmp_path / "journal.sqlite", module=CHILD)
        yield f, runs


async def _check_invariants(f: Futures, runs: Runs) -> None:
    placed = exchange_orders(f.ex)
    twice = [cid for cid, k in Counter(o.client_order_id for o in placed).items() if k > 1]
    assert twice == [], f"placed twice: {twice}"
    on_exchange = {o.client_order_id: o for o in placed}
    tags = [(b, n) for b, batch in enumerate(BATCHES) for n in range(len(batch))]
    with Journal(runs.journal) as journal:
        intents = journal.intents()
        assert [t for t, k in Counter(i.strategy for i in intents).items() if k > 1] == [], "journaled twice"
        by_tag = {i.strategy: i for i in intents}
        # Every exchange order is a journaled intent's: none placed twice (an ID is one
        # order: a resend with the same ID is refused while the first is open), none unknown.
        assert set(on_exchange) <= {i.client_order_id for i in intents}, "an order the journal lacks"
        held = Decimal(0)
        for b, n in tags:
            side = BATCHES[b][n][0]
            intent = by_tag.get(tag(b, n))
            assert intent is not None, f"{tag(b, n)} lost: never journaled"
            order = on_exchange.get(intent.client_order_id)
            assert order is not None, f"{tag(b, n)} lost: {journal.derive(intent)}"
            derived = journal.derive(intent)
            assert (derived.state, derived.executed_qty) == (
                OrderState.from_exchange(order.status.value),
                order.executed_qty,
            ), f"{tag(b, n)}: journal {derived} vs exchange {order}"
            want = OrderState.NEW if tag(b, n) in RESTING else OrderState.FILLED
            assert derived.state is want, f"{tag(b, n)}: {derived.state}"
            theirs = {
                t.trade_id: (t.qty, t.price)
                for t in f.ex.state.futures.fills.get(f.ex.account, [])
                if t.order_id == order.order_id
            }
            fills = journal.fills(intent.client_order_id)
            assert {x.trade_id: (x.last_qty, x.last_price) for x in fills} == theirs, f"{tag(b, n)} fills"
            sign = 1 if side is Side.BUY else -1
            held += sum((sign * (x.last_qty or 0) for x in fills), Decimal(0))
    assert len(on_exchange) == len(tags)  # exactly once each
    rows = await f.client.futures_position_risk_v3(SYMBOL)
    assert [(r.position_side, r.position_amt) for r in rows if r.position_amt] == [("BOTH", held)]
    assert held == Decimal("0.01")


async def _crash_then_finish(f: Futures, runs: Runs, random_kills: int) -> None:
    for point in KILL_POINTS:
        if point.startswith("inflight"):
            f.ex.faults.inject(
                FaultKind.LATENCY, "/fapi/v1/batchOrders", count=1, latency_ms=EXCHANGE_DELAY_MS
            )
        run = await runs.child(point)
        assert run.returncode == -signal.SIGKILL, f"{point} never reached:\n{runs.describe()}"
    for k in range(random_kills):
        await runs.child(kill_after_s=0.3 + (k % 10) * 0.3)  # may end before the kill: fine
    final = await runs.child()
    assert final.returncode == 0, runs.describe()
    await _check_invariants(f, runs)


@pytest.mark.timeout(240)
async def test_a_batch_killed_at_each_step_restarts_with_every_order_once(
    setup: tuple[Futures, Runs],
) -> None:
    f, runs = setup
    await _crash_then_finish(f, runs, random_kills=0)
    assert [r.returncode for r in runs.history[: len(KILL_POINTS)]] == [-signal.SIGKILL] * len(KILL_POINTS)


@pytest.mark.soak
@pytest.mark.timeout(1800)
@pytest.mark.skipif(not FULL, reason="the long crash-restart runs with TRADEEXEC_SOAK=full (make soak)")
async def test_many_random_kills_on_futures_batches(setup: tuple[Futures, Runs]) -> None:
    f, runs = setup
    await _crash_then_finish(f, runs, random_kills=30)
