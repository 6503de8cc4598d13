"""The process the crash-restart test kills: an OrderManager with a file journal working
through a fixed list of steps against a local exchange the test runs.

``python -m tests.soak.crash_child <rest_url> <journal>``; the API key and secret come in
``TRADEEXEC_CRASH_KEY`` / ``TRADEEXEC_CRASH_SECRET`` (never argv: process lists are public).
``TRADEEXEC_CRASH_AT=<point>:<n>`` kills the process with SIGKILL at the n-th time this run
reaches ``point``:

* ``intent``  before the intent is written to the journal
* ``send``    after the journal commit, before the order request leaves
* ``ack``     after the exchange answered the order request, before the answer is used
* ``fill``    before a fill is written to the journal (others of the order may be written)
* ``cancel``  after the exchange answered a cancel, before the answer is used

``TRADEEXEC_CRASH_ROUNDS`` repeats the list of steps (default once).

The crash points live here only, as wrappers around the real client and journal: production
code has no hooks for them. Each step is idempotent across restarts: an order step whose
intent is in the journal (recognised by its strategy tag ``c<step>``) is not submitted again,
the manager's start-up reconciliation settles it. After the last step the run waits until
every order is settled and prints one JSON line: the tracker's balances.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.venue import SpotVenue
from tradeexec.execution.journal.records import ExchangeEvent, Intent
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.risk import RiskLimits, RiskManager

SYMBOL = "BTCUSDT"
RECV_WINDOW_MS = 400
SETTLE_TIMEOUT_S = 15.0
RUN_TIMEOUT_S = 25.0  # the test gives a child 30 s
D = Decimal


@dataclass(frozen=True)
class Step:
    """Place order ``tag`` (``side``/``type``/``qty``/``price``), or cancel the order of an
    earlier step (``cancel`` = that step's index)."""

    side: Side | None = None
    type: OrderType = OrderType.LIMIT
    qty: str = "0"
    price: str | None = None
    cancel: int | None = None


# The book the test sets up: asks 60000 x 0.05, 60010 x 0.05, 60020 x 0.1; bids 59990 x 0.05.
STEPS: tuple[Step, ...] = (
    Step(Side.BUY, OrderType.MARKET, "0.01"),  # 0: one fill at 60000
    Step(Side.BUY, OrderType.LIMIT, "0.02", "59000"),  # 1: rests
    Step(cancel=1),  # 2
    Step(Side.BUY, OrderType.MARKET, "0.06"),  # 3: two fills, 60000 and 60010
    Step(Side.SELL, OrderType.LIMIT, "0.01", "61000"),  # 4: rests to the end
    Step(Side.BUY, OrderType.LIMIT, "0.01", "59500"),  # 5: rests
    Step(cancel=5),  # 6
    Step(Side.SELL, OrderType.MARKET, "0.01"),  # 7: hits the 59990 bid
    Step(Side.BUY, OrderType.LIMIT, "0.01", "60020"),  # 8: crosses, fills at 60010
    Step(Side.BUY, OrderType.LIMIT, "0.01", "58000"),  # 9: rests
    Step(cancel=9),  # 10
    Step(Side.SELL, OrderType.LIMIT, "0.02", "59990"),  # 11: crosses the bid
)


def plan(rounds: int) -> list[Step]:
    """``STEPS`` ``rounds`` times over (the book the test sets up scales with it)."""
    out: list[Step] = []
    for r in range(rounds):
        base = r * len(STEPS)
        out += [s if s.cancel is None else Step(cancel=base + s.cancel) for s in STEPS]
    return out


def tag(step: int) -> str:
    return f"c{step}"


class CrashPoints:
    """Counts the points this run reaches and kills the process at the chosen one."""

    def __init__(self, spec: str) -> None:
        point, _, nth = spec.partition(":")
        self.point = point or None
        self.nth = int(nth or 1)
        self.seen: Counter[str] = Counter()

    def reach(self, point: str) -> None:
        self.seen[point] += 1
        if point == self.point and self.seen[point] == self.nth:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)


class CrashingJournal(Journal):
    crash: CrashPoints

    def record_intent(self, intent: Intent) -> Intent:
        self.crash.reach("intent")
        return super().record_intent(intent)

    def record_event(self, intent_id: int, event: ExchangeEvent) -> bool:
        if event.trade_id is not None:
            self.crash.reach("fill")
        return super().record_event(intent_id, event)


class CrashingClient:
    """The real client, with the order calls wrapped."""

    def __init__(self, client: BinanceClient, crash: CrashPoints) -> None:
        self._client = client
        self._crash = crash

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def place(self, *args: Any, **kwargs: Any) -> Any:
        """The manager's placements reach the wire here (``SpotVenue`` sends checked orders)."""
        self._crash.reach("send")
        answer = await self._client.place(*args, **kwargs)
        self._crash.reach("ack")
        return answer

    async def cancel_order(self, *args: Any, **kwargs: Any) -> Any:
        answer = await self._client.cancel_order(*args, **kwargs)
        self._crash.reach("cancel")
        return answer


async def run(rest_url: str, journal_path: str) -> dict[str, str]:
    crash = CrashPoints(os.environ.get("TRADEEXEC_CRASH_AT", ""))
    journal = CrashingJournal(journal_path, durability="full")
    journal.crash = crash
    # Keys of the local exchange have no IP restriction; everything else stays at defaults.
    risk = RiskManager(RiskLimits(require_ip_restriction=False, max_orders_per_second=None))
    async with BinanceClient(
        os.environ["TRADEEXEC_CRASH_KEY"],
        os.environ["TRADEEXEC_CRASH_SECRET"],
        base_url=rest_url,
        timeout=2.0,
    ) as rest:
        om = OrderManager(
            SpotVenue(CrashingClient(rest, crash)),
            journal,
            risk=risk,
            poll_interval_s=0.05,
            stale_after_s=0.1,
            resend_margin_ms=100,
        )
        await om.start()
        # After the reconciliation: the fills it recovers are in this snapshot already.
        om.positions.load_account(await rest.account())
        try:
            await _steps(om, plan(int(os.environ.get("TRADEEXEC_CRASH_ROUNDS", "1"))))
            await _settle(om)
        finally:
            await om.close()
            journal.close()
        return {a: str(b.total) for a, b in sorted(om.positions.balances.items())}


async def _steps(om: OrderManager, steps: list[Step]) -> None:
    by_tag = {i.strategy: i.client_order_id for i in om.journal.intents()}
    for index, step in enumerate(steps):
        if step.cancel is not None:
            cid = by_tag.get(tag(step.cancel))
            order = om.order(cid) if cid is not None else None
            if order is not None and not order.is_final:
                await om.cancel(order.client_order_id)
            continue
        if tag(index) in by_tag:
            continue  # journaled by an earlier run; its reconciliation settled it
        assert step.side is not None
        order = await om.submit(
            OrderIntent(
                SYMBOL,
                step.side,
                step.type,
                quantity=D(step.qty),
                price=None if step.price is None else D(step.price),
                strategy=tag(index),
                recv_window_ms=RECV_WINDOW_MS,
            )
        )
        by_tag[tag(index)] = order.client_order_id


async def _settle(om: OrderManager) -> None:
    """Until no order is in doubt and every order's fills are known (orders final before
    this run are not loaded, and settled by definition)."""
    async with asyncio.timeout(SETTLE_TIMEOUT_S):
        while _unsettled(om):
            await asyncio.sleep(0.05)


def _unsettled(om: OrderManager) -> list[str]:
    out = []
    for intent in om.journal.intents():
        order = om.order(intent.client_order_id)
        if order is not None and (
            order.state in (OrderState.UNKNOWN, OrderState.PENDING_NEW)
            or order.filled_qty < order.executed_qty
        ):
            out.append(intent.client_order_id)
    return out


async def _bounded(rest_url: str, journal_path: str) -> dict[str, str]:
    """The run, or on a hang every task's stack on stderr and a TimeoutError."""
    try:
        async with asyncio.timeout(RUN_TIMEOUT_S):
            return await run(rest_url, journal_path)
    except TimeoutError:
        for task in asyncio.all_tasks():
            task.print_stack(file=sys.stderr)
        raise


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    rest_url, journal_path = sys.argv[1], sys.argv[2]
    balances = asyncio.run(_bounded(rest_url, journal_path))
    print(json.dumps({"balances": balances}), flush=True)


if __name__ == "__main__":
    main()
