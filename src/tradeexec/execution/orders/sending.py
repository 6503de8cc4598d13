"""The two kill-switch gates every placement passes, and the marks around its send.

* ``_may_send``: the manager's own check, right before it hands the order to the venue. An
  order refused there is abandoned (journaled so, never sent: nothing to resolve).
* The gate at signing: the venue may still await before it signs (rate-limit pacing, the
  clock offset, a -1021 re-sign), so an order that could grow a position is handed over with
  the risk manager as its ``StopGate`` (``_gate_for``), which the venue reads again with no
  await between that read and the signature. A placement stopped there raises
  ``StoppedBeforeSigning``: it was never sent, so ``_not_signed`` undoes the send mark and
  abandons it exactly as ``_may_send`` would have.

Orders that cannot grow a position (``only_reduces``) pass both, as the emergency stop's own
closing orders do (they never come through here).
"""

from __future__ import annotations

import time

from tradeexec.errors import StoppedBeforeSigning
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.resend_rule import SendMark
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.orders.tracking import OrderTracking
from tradeexec.execution.risk_futures import only_reduces
from tradeexec.venue.protocol import StopGate

__all__ = ["Sending"]


class Sending(OrderTracking):
    """The gates and send marks of ``OrderManager`` (single orders and batches)."""

    def _may_send(self, order: ManagedOrder) -> bool:
        """The kill switch, checked right before the wire. Every placement and resend passes
        it (single or batch), so no path (resolver, reconcile, replace, the Executor) sends
        after a stop; the emergency stop's own sells do not come through here."""
        stop = self.risk.trip_reason
        if stop is not None and self._gate_for(order) is not None:
            # Once tripped, only an order the venue will not let grow a position goes out.
            self._stopped(order, stop)
            return False
        return True

    def _gate_for(self, order: ManagedOrder) -> StopGate | None:
        """What the venue reads at signing: the kill switch, for an order that could grow a
        position; None for one the venue will never let grow one (it passes a stop)."""
        intent = order.intent
        return None if only_reduces(intent.side, intent.position_leg, intent.reduce_only) else self.risk

    def _stopped(self, order: ManagedOrder, stop: str) -> None:
        self._abandon(order, f"not sent: kill switch tripped ({stop})")

    def _mark_sent(self, order: ManagedOrder) -> SendMark | None:
        """Mark the order as on its way; returns its previous send mark (for ``_not_signed``)."""
        before = order.sent
        if order.state is OrderState.PENDING_NEW:
            order.state = OrderState.UNKNOWN  # sent: until answered, only the exchange knows
        # Marked before the await: the resend rule's clocks count from this send, never from
        # an earlier one or the manager's start, whoever looks at the order meanwhile.
        order.sent = SendMark(self.venue.timestamp_ms(), time.monotonic())
        order.sent_sync = self.positions.syncs
        self.risk.placement_started()
        order.placing = True
        return before

    def _sent_done(self, order: ManagedOrder) -> None:
        order.placing = False
        self.risk.placement_ended()
        assert order.sent is not None
        # The latest timestamp it can have been signed with (a -1021 re-signs it).
        order.sent = SendMark(max(order.sent.signed_ms, self.venue.timestamp_ms()), order.sent.sent_mono)

    def _not_signed(self, order: ManagedOrder, before: SendMark | None, exc: StoppedBeforeSigning) -> None:
        """The venue's gate at signing stopped the placement: nothing was sent, so the send
        mark is taken back (a first placement is PENDING_NEW again, a resend keeps its
        earlier send) and the order is abandoned as ``_may_send`` refusing it would."""
        if before is None and order.state is OrderState.UNKNOWN:
            order.state = OrderState.PENDING_NEW
        order.sent = before
        self._stopped(order, exc.reason)
