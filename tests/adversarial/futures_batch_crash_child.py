"""The process the futures batch crash-restart test kills: an ``OrderManager`` on
``FuturesVenue`` with a file journal placing fixed batches through ``submit_batch``
(``POST /fapi/v1/batchOrders``) against a local exchange the test runs.

``python -m tests.adversarial.futures_batch_crash_child <rest_url> <journal>``; the key and
secret come in ``TRADEEXEC_CRASH_KEY`` / ``TRADEEXEC_CRASH_SECRET`` (never argv), the kill
point in ``TRADEEXEC_CRASH_AT=<point>:<n>``: ``intent`` (``tests/soak/crash_child.py``: before
an intent is journaled, so a batch can die half admitted) and the batch's own points:

* ``bsend``    every order of the batch journaled, the batch not sent;
* ``inflight`` the batch on the wire, its answer not yet come (the test delays the exchange:
  it executes the batch after this process is dead);
* ``back``     the exchange executed the batch and answered, the answer not used;
* ``answer``   before the n-th order's answer of a batch is journaled (``answer:2``: the first
  order's answer journaled, the rest not).

Each batch is idempotent across restarts: the orders of a batch already journaled (by their
strategy tag ``b<batch>o<order>``) are the reconciliation's, the others are sent as a batch.
After the last batch the run waits until every order is settled.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any, cast

from tests.adversarial.futures_crash_child import CrashingFuturesClient, crashing_manager, run_child
from tests.soak.crash_child import CrashingJournal, _settle
from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.execution.journal.records import OutcomeKind
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

SYMBOL = "BTCUSDT"
RECV_WINDOW_MS = 400
INFLIGHT_S = 0.1  # ``inflight`` kills this long after the batch left (the exchange waits longer)
SETTLE_S = 12.0  # a batch's orders leave doubt within this
D = Decimal

# (side, price, qty, reduce_only) per order. The book the test sets up: asks 60000 x 0.05,
# 60010 x 0.05, 60020 x 0.1; bids 59990 x 0.05, 59980 x 0.05.
Order = tuple[Side, str, str, bool]
B, S = Side.BUY, Side.SELL
BATCHES: tuple[tuple[Order, ...], ...] = (
    ((B, "60000", "0.01", False), (B, "59000", "0.02", False), (S, "61000", "0.01", False)),
    ((B, "60010", "0.02", False), (S, "59990", "0.01", True), (B, "59500", "0.01", False)),
    ((S, "59990", "0.01", True), (B, "58000", "0.01", False)),
    ((B, "60020", "0.02", False), (S, "59980", "0.01", True), (S, "62000", "0.01", False)),
    ((S, "59980", "0.01", True), (B, "57000", "0.01", False)),
)
# The orders priced away from the book rest; every other one fills.
RESTING = frozenset({"b0o1", "b0o2", "b1o2", "b2o1", "b3o2", "b4o1"})


def tag(batch: int, order: int) -> str:
    return f"b{batch}o{order}"


class CrashingBatchClient(CrashingFuturesClient):
    """The futures client with the batch's kill points (``journal.answering`` marks the
    stretch in which a batch's answers are journaled)."""

    journal: BatchCrashJournal

    async def futures_batch_orders(self, *args: Any, **kwargs: Any) -> Any:
        self._crash.reach("bsend")
        sending = asyncio.ensure_future(self._client.futures_batch_orders(*args, **kwargs))
        if self._crash.point == "inflight":
            await asyncio.wait({sending}, timeout=INFLIGHT_S)
            self._crash.reach("inflight")
        answer = await sending
        self._crash.reach("back")
        self.journal.answering = True
        return answer


class BatchCrashJournal(CrashingJournal):
    answering = False

    def record_outcome(self, request_id: int, result: OutcomeKind, **kw: Any) -> None:
        if self.answering and result is OutcomeKind.ACK:
            self.crash.reach("answer")
        super().record_outcome(request_id, result, **kw)


async def run(rest_url: str, journal_path: str) -> None:
    async with crashing_manager(
        rest_url, journal_path, journal_type=BatchCrashJournal, client_type=CrashingBatchClient
    ) as om:
        journal = cast(BatchCrashJournal, om.journal)
        cast(FuturesVenue, om.venue).client.journal = journal  # type: ignore[attr-defined]
        for index, batch in enumerate(BATCHES):
            await _batch(om, journal, index, batch)
        await _settle(om)


async def _batch(om: OrderManager, journal: BatchCrashJournal, index: int, batch: tuple[Order, ...]) -> None:
    journaled = {i.strategy for i in om.journal.intents()}
    intents = [
        OrderIntent(
            SYMBOL, side, OrderType.LIMIT, quantity=D(qty), price=D(price), time_in_force=TimeInForce.GTC,
            strategy=tag(index, n), recv_window_ms=RECV_WINDOW_MS, reduce_only=reduce_only,
            position_leg=PositionLeg.BOTH,
        )
        for n, (side, price, qty, reduce_only) in enumerate(batch)
        if tag(index, n) not in journaled  # an earlier run's: the reconciliation settled it
    ]  # fmt: skip
    if not intents:
        return
    orders = await om.submit_batch(intents)
    journal.answering = False
    # The next batch trades against what this one left: wait until it is settled.
    async with asyncio.timeout(SETTLE_S):
        while any(o.state in (OrderState.UNKNOWN, OrderState.PENDING_NEW) for o in orders):
            await asyncio.sleep(0.02)


def main() -> None:
    run_child(run)


if __name__ == "__main__":
    main()
