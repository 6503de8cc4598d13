"""The process the futures crash-restart test kills: an ``OrderManager`` on ``FuturesVenue``
with a file journal working through a fixed list of futures steps (opens, rests, cancels,
reduce-only closes) against a local exchange the test runs.

``python -m tests.adversarial.futures_crash_child <rest_url> <journal>``; the key and secret
come in ``TRADEEXEC_CRASH_KEY`` / ``TRADEEXEC_CRASH_SECRET`` (never argv), the kill point in
``TRADEEXEC_CRASH_AT=<point>:<n>`` with the points of the spot child
(``tests/soak/crash_child.py``: intent, send, ack, fill, cancel), reached here on the futures
order path: ``send``/``ack`` around ``POST /fapi/v1/order``, ``cancel`` after
``DELETE /fapi/v1/order`` answered, ``fill`` before a fill read from ``/fapi/v1/userTrades``
is journaled. Each step is idempotent across restarts (its intent is recognised by its
strategy tag). After the last step the run waits until every order is settled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.soak.crash_child import CrashingClient, CrashingJournal, CrashPoints, _settle
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.risk import RiskLimits, RiskManager
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.vocab import OrderType, Side

SYMBOL = "BTCUSDT"
RECV_WINDOW_MS = 400
SETTLE_TIMEOUT_S = 15.0
RUN_TIMEOUT_S = 25.0  # the test gives a child 30 s
D = Decimal


@dataclass(frozen=True)
class Step:
    """Place order ``tag`` or cancel the order of an earlier step (``cancel``: its index)."""

    side: Side | None = None
    type: OrderType = OrderType.LIMIT
    qty: str = "0"
    price: str | None = None
    reduce_only: bool = False
    cancel: int | None = None


# The book the test sets up: asks 60000 x 0.05, 60010 x 0.05, 60020 x 0.1; bids 59990 x 0.05.
STEPS: tuple[Step, ...] = (
    Step(Side.BUY, OrderType.MARKET, "0.01"),  # 0: opens long at 60000
    Step(Side.BUY, OrderType.LIMIT, "0.02", "59000"),  # 1: rests
    Step(cancel=1),  # 2
    Step(Side.BUY, OrderType.MARKET, "0.06"),  # 3: two fills, 60000 and 60010
    Step(Side.SELL, OrderType.LIMIT, "0.01", "61000"),  # 4: rests to the end
    Step(Side.BUY, OrderType.LIMIT, "0.01", "59500"),  # 5: rests
    Step(cancel=5),  # 6
    Step(Side.SELL, OrderType.MARKET, "0.01", reduce_only=True),  # 7: closes 0.01 at 59990
    Step(Side.BUY, OrderType.LIMIT, "0.01", "60020"),  # 8: crosses, fills at 60010
    Step(Side.SELL, OrderType.LIMIT, "0.02", "59990", reduce_only=True),  # 9: closes at the bid
)
# What each step ends as: the cancelled ones canceled, step 4 resting, the others filled.
EXPECTED = {1: OrderState.CANCELED, 5: OrderState.CANCELED, 4: OrderState.NEW}


def tag(step: int) -> str:
    return f"f{step}"


class CrashingFuturesClient(CrashingClient):
    """The real client, with the futures order calls wrapped too."""

    async def futures_new_order(self, *args: Any, **kwargs: Any) -> Any:
        """``FuturesVenue.place`` sends the journaled order here."""
        self._crash.reach("send")
        answer = await self._client.futures_new_order(*args, **kwargs)
        self._crash.reach("ack")
        return answer

    async def futures_cancel_order(self, *args: Any, **kwargs: Any) -> Any:
        answer = await self._client.futures_cancel_order(*args, **kwargs)
        self._crash.reach("cancel")
        return answer


@contextlib.asynccontextmanager
async def crashing_manager(
    rest_url: str,
    journal_path: str,
    *,
    journal_type: type[CrashingJournal] = CrashingJournal,
    client_type: type[CrashingFuturesClient] = CrashingFuturesClient,
) -> AsyncIterator[OrderManager]:
    """A started manager on ``FuturesVenue`` over the crashing client and journal, the kill
    point read from ``TRADEEXEC_CRASH_AT``; closed (with its journal) on the way out."""
    crash = CrashPoints(os.environ.get("TRADEEXEC_CRASH_AT", ""))
    journal = journal_type(journal_path, durability="full")
    journal.crash = crash
    risk = RiskManager(RiskLimits(require_ip_restriction=False, max_orders_per_second=None))
    async with BinanceClient(
        os.environ["TRADEEXEC_CRASH_KEY"],
        os.environ["TRADEEXEC_CRASH_SECRET"],
        base_url=rest_url,
        timeout=2.0,
    ) as rest:
        venue = FuturesVenue(client_type(rest, crash))  # type: ignore[arg-type]
        await venue.hedge_mode()
        om = OrderManager(
            venue, journal, risk=risk, poll_interval_s=0.05, stale_after_s=0.1, resend_margin_ms=100
        )
        await om.start()
        try:
            yield om
        finally:
            await om.close()
            journal.close()


async def run(rest_url: str, journal_path: str) -> None:
    async with crashing_manager(rest_url, journal_path) as om:
        await _steps(om)
        await _settle(om)


async def _steps(om: OrderManager) -> None:
    by_tag = {i.strategy: i.client_order_id for i in om.journal.intents()}
    for index, step in enumerate(STEPS):
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
                reduce_only=step.reduce_only,
                position_leg=PositionLeg.BOTH,
            )
        )
        by_tag[tag(index)] = order.client_order_id


def run_child(run: Callable[[str, str], Awaitable[None]]) -> None:
    """``run(rest_url, journal)`` from argv, bounded by ``RUN_TIMEOUT_S``; "done" when over."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    try:
        asyncio.run(asyncio.wait_for(run(sys.argv[1], sys.argv[2]), RUN_TIMEOUT_S))
    except TimeoutError:
        print("the run hung", file=sys.stderr)
        raise
    print("done", flush=True)


def main() -> None:
    run_child(run)


if __name__ == "__main__":
    main()
