"""The unknown-outcome resolver: an order whose placement went unanswered (UNKNOWN) is looked
up by its client order ID until the exchange says what became of it, and resent with the same
ID only when the resend rule (``resend_rule``) proves the original can no longer be accepted.
Never resent blindly; given up (journaled as abandoned) when a cancel was asked for meanwhile
or after ``max_resends``.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import time

from tradeexec.errors import BinanceAPIError, InvalidParameter, TradeexecError
from tradeexec.execution.journal.records import OutcomeKind
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.resend_rule import SendMark, Verdict, judge, monotonic_wait_s
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.orders.tracking import OrderTracking
from tradeexec.execution.policy import Action

__all__ = ["Resolving"]

log = logging.getLogger(__name__)


class Resolving(OrderTracking, abc.ABC):
    """``OrderTracking`` plus the resolver. Placing and canceling are the manager's."""

    resend_margin_ms: int
    max_resends: int
    max_resolve_attempts: int
    # Any placement a previous process made was sent before this moment.
    _born_mono: float

    @abc.abstractmethod
    async def _place(self, order: ManagedOrder) -> bool:
        """Journal and send (or resend) the placement; False when nothing was sent."""

    @abc.abstractmethod
    async def cancel(self, client_order_id: str, *, max_attempts: int = 5) -> ManagedOrder:
        """Cancel the order (see ``OrderManager.cancel``)."""

    def _outcome_unknown(self, order: ManagedOrder, request_id: int, cause: str) -> None:
        self._guard.outcome(order, request_id, OutcomeKind.UNKNOWN, msg=cause)
        order.reason = cause
        log.warning("order %s outcome unknown (%s); resolving by lookup", order.client_order_id, cause)
        self._start_resolver(order)

    def _start_resolver(self, order: ManagedOrder) -> None:
        """Resolve ``order`` in the background, unless this process is still awaiting its
        own placement's answer (the placement starts the resolver if the answer is lost)."""
        if order.placing:
            return
        if order._resolver is None or order._resolver.done():
            order._resolver = asyncio.create_task(
                self._resolve(order), name=f"resolve-{order.client_order_id}"
            )

    async def _resolve(self, order: ManagedOrder) -> None:
        """Settle an UNKNOWN order: adopt what the exchange has, or, once the original
        request can no longer be accepted, resend it with the same ID (or give it up if a
        cancel was asked for meanwhile)."""
        if order.sent is None:
            # Restored from the journal: sent by an earlier process, so before this one began
            # (the monotonic wait counts from then), signed at about the journaled time plus
            # today's offset (a wall clock stepped since is what the monotonic wait covers).
            offset = self.venue.timestamp_ms() - self._clock_ms()
            order.sent = SendMark(order.last_place_ms + offset, self._born_mono)
        for attempt in range(1, self.max_resolve_attempts + 1):
            if order.state is not OrderState.UNKNOWN:
                break
            verdict = await self._judge(order)  # the server time is read before the lookup
            try:
                found = await self._query(order, verdict.why)
            except Exception as exc:
                decision = self.policy.decide(
                    exc, write=False, attempt=attempt, what=f"resolve {order.client_order_id}"
                )
                if decision.action is Action.HALT:
                    self.risk.trip(f"resolving {order.client_order_id}: {decision.reason}", emergency=False)
                    return
                await asyncio.sleep(decision.delay_s or self.policy.backoff(attempt))
                continue
            if found is not None:
                await self._settle_found(order, found)
                # Found live after a stop: it landed after the stop canceled everything, so
                # the stop's work is finished here.
                if (order.cancel_requested or self.risk.tripped) and not order.is_final:
                    await self.cancel(order.client_order_id)
                return
            if not verdict.dead:
                # The original may still be accepted: ask again once it no longer can be.
                window_s = (order.intent.recv_window_ms + self.resend_margin_ms) / 1000
                wait_s = verdict.wait_s or self.policy.backoff(attempt)
                await asyncio.sleep(min(wait_s, window_s) + 0.001)
                continue
            if order.cancel_requested or order.place_attempts > self.max_resends:
                why = (
                    "canceled before it reached the exchange"
                    if order.cancel_requested
                    else "too many resends"
                )
                self._abandon(order, why)
                return
            log.warning(
                "order %s never reached the exchange; resending with the same ID", order.client_order_id
            )
            with contextlib.suppress(BinanceAPIError, InvalidParameter):  # journaled as REJECTED
                if not await self._place(order) and order.state is OrderState.UNKNOWN:
                    # The journal cannot record a resend, so none is sent; look again later.
                    await asyncio.sleep(self.policy.backoff(attempt))
        if not order.is_final and order.state is OrderState.UNKNOWN:
            log.error(
                "order %s still unknown after %d lookups; the poller keeps trying",
                order.client_order_id,
                self.max_resolve_attempts,
            )

    async def _judge(self, order: ManagedOrder) -> Verdict:
        """The resend rule (``resend_rule``) for the lookup about to be made: the server
        time is fetched only once the monotonic half holds, and its failure is doubt."""
        mark = order.sent
        assert mark is not None
        window, margin = order.intent.recv_window_ms, self.resend_margin_ms
        server_ms: int | None = None
        if monotonic_wait_s(mark, window, margin, time.monotonic()) <= 0:
            try:
                server_ms = await self.venue.server_time_ms()
            except (TradeexecError, OSError, TimeoutError) as exc:
                self.policy.decide(exc, write=False, what=f"server time to resolve {order.client_order_id}")
        return judge(mark, window, margin, server_ms=server_ms, now_mono=time.monotonic())
