"""Helpers for the stop-gate attacks: the exchange's own record of every order-placing request
that reached it (the operation, the client order IDs it carried, the timestamp it was signed
with), a hook run as each request reaches it, and the client's order budget spent so that the
manager's placements wait in its pacing."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tradeexec.binance.net.ratelimit import RateLimiter
from tradeexec.execution.journal.records import OutcomeKind, RequestKind
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.state import OrderState
from tradeexec.sim import LocalExchange

# The exchange operations that create an order (spot and USDⓈ-M; REST and WebSocket API
# reach the same operations).
PLACING = frozenset({
    "new_order", "cancel_replace", "new_oco", "new_order_list_oco",
    "f_new_order", "f_batch_orders", "f_new_algo", "f_batch_modify",
})  # fmt: skip
# How long the exchange's -1015 (order count) holds the client's placements back: long
# enough to trip a stop while they wait, short enough for a bounded test.
HOLD_S = 1.5


@dataclass(frozen=True, slots=True)
class Arrival:
    op: str
    ids: tuple[str, ...]  # the client order IDs it carried (a batch: each of its orders')
    signed_ms: int  # its ``timestamp``: the client's signing clock
    at: float  # time.monotonic() as it reached the exchange's order entry


class Arrivals:
    """Wraps the exchange's operation entry (past authentication, the timestamp check and the
    injected faults): every order-placing request is recorded, then ``hook`` (when set) is
    called with the operation's name; it may raise the exchange's ``ApiError``."""

    def __init__(self, ex: LocalExchange) -> None:
        self.placed: list[Arrival] = []
        self.hook: Callable[[str], None] | None = None
        service = ex.state.service
        self._call = service.call
        service.call = self._tap  # type: ignore[method-assign]

    def _tap(self, op: Any, params: Any, account: Any) -> Any:
        if op.handler in PLACING:
            signed_ms = int(params.raw("timestamp") or 0)
            self.placed.append(Arrival(op.handler, _ids(op.handler, params), signed_ms, time.monotonic()))
        if self.hook is not None:
            self.hook(op.handler)
        return self._call(op, params, account)

    def carrying(self, ids: Iterable[str]) -> list[Arrival]:
        wanted = set(ids)
        return [a for a in self.placed if wanted.intersection(a.ids)]


def _ids(op: str, params: Any) -> tuple[str, ...]:
    if op in ("f_batch_orders", "f_batch_modify"):
        batch = json.loads(params.raw("batchOrders") or "[]")
        return tuple(str(o.get("newClientOrderId", "")) for o in batch)
    if op == "f_new_algo":
        return (params.raw("clientAlgoId") or "",)
    return (params.raw("newClientOrderId") or params.raw("listClientOrderId") or "",)


def hold_orders(limiter: RateLimiter) -> None:
    """The exchange's -1015 (too many orders), Retry-After ``HOLD_S``, as the client's limiter
    takes it: placements wait in its pacing until then (requests queue behind them)."""
    limiter.on_429(HOLD_S, order_count=True)


async def until(what: str, cond: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.005)


def placing(om: OrderManager) -> list[ManagedOrder]:
    """The manager's placements past its own kill-switch gate, not yet answered."""
    return [o for o in om.open_orders() if o.placing]


def assert_stopped_unsent(om: OrderManager, orders: Iterable[ManagedOrder]) -> None:
    """Each order ended as ``_may_send`` refusing it does: CANCELED, its reason the kill
    switch, its one placement journaled ABANDONED (never UNKNOWN), and the journal's replay
    agreeing; nothing left to resolve."""
    for o in orders:
        assert o.state is OrderState.CANCELED, (o.client_order_id, o.state)
        assert o.reason is not None and o.reason.startswith("not sent: kill switch tripped"), o.reason
        assert o.order_id is None and o.executed_qty == 0
        requests = om.journal.requests(o.intent.id)
        places = [r for r in requests if r.kind is RequestKind.PLACE]
        assert [r.outcome for r in places] == [OutcomeKind.ABANDONED], requests
        assert all(r.outcome is not OutcomeKind.UNKNOWN for r in requests), requests
        derived = om.journal.state(o.client_order_id)
        assert derived is not None and derived.state is OrderState.CANCELED, derived
        assert o._resolver is None
