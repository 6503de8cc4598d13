"""``ManagedOrder``: the order manager's live view of one order (its journaled intent, state,
fills and the bookkeeping the resolver and poller need). Only the manager changes it."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from tradeexec.execution.journal.records import ExchangeEvent, Intent
from tradeexec.execution.orders.resend_rule import SendMark
from tradeexec.execution.orders.state import OrderState

__all__ = ["ManagedOrder"]

ZERO = Decimal(0)


class ManagedOrder:
    """The manager's live view of one order. Read it; only the manager changes it."""

    def __init__(self, intent: Intent) -> None:
        self.intent = intent
        self.side = intent.side
        self.state = OrderState.PENDING_NEW
        self.order_id: int | None = None
        self.order_time_ms: int | None = None
        self.executed_qty = ZERO
        self.cumulative_quote = ZERO
        self.fills: list[ExchangeEvent] = []
        self.reason: str | None = None
        self.updated_at = time.monotonic()
        self.place_attempts = 0
        self.last_place_ms = 0
        self.cancel_requested = False
        self.sent: SendMark | None = None  # the last placement, for the resend rule
        # ``PositionTracker.syncs`` at the last placement: a position set from the account
        # after it may already hold this order's fills (0: sent before this process synced).
        self.sent_sync = 0
        # This process is awaiting the answer to its own placement: only that await may
        # decide the outcome, so no resolver starts meanwhile (the original may still land).
        self.placing = False
        self._final = asyncio.Event()
        self._trade_ids: set[int] = set()
        self._resolver: asyncio.Task[None] | None = None

    @property
    def client_order_id(self) -> str:
        return self.intent.client_order_id

    @property
    def symbol(self) -> str:
        return self.intent.symbol

    @property
    def is_final(self) -> bool:
        return self.state.is_final

    @property
    def filled_qty(self) -> Decimal:
        return sum((f.last_qty or ZERO for f in self.fills), ZERO)

    @property
    def remaining_qty(self) -> Decimal:
        return max(ZERO, (self.intent.quantity or ZERO) - self.executed_qty)

    @property
    def avg_price(self) -> Decimal | None:
        return self.cumulative_quote / self.executed_qty if self.executed_qty else None

    async def wait_final(self, timeout: float | None = None) -> OrderState:  # noqa: ASYNC109
        """Wait until the order reached a final state (and its fills are known); raises
        TimeoutError after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            await self._final.wait()
        return self.state

    def __repr__(self) -> str:
        return (
            f"ManagedOrder({self.client_order_id!r}, {self.symbol} {self.intent.side} {self.intent.type}, "
            f"{self.state}, executed={self.executed_qty}, order_id={self.order_id})"
        )
