"""The order state machine, in one place: the states, the exchange statuses each maps to,
the one transition rule (an order only moves forward), and the replay of an order's journal
record into its state (``derive_state``), which a restart relies on.

``OrderManager`` applies the same rule live (``tracking.OrderTracking._set_state``); the
journal (``journal.store``) replays with ``derive_state``: both go through ``advances``, so
the live order and the replayed one cannot disagree on what an event does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tradeexec.execution.journal.records import ExchangeEvent, Intent, OutcomeKind, RequestKind, RequestRecord

__all__ = ["FINAL_STATES", "DerivedState", "OrderState", "advances", "derive_state"]


class OrderState(StrEnum):
    """The manager's view of an order: Binance's statuses plus the two it cannot see
    (PENDING_NEW: journaled, not yet acknowledged; UNKNOWN: the answer was lost)."""

    PENDING_NEW = "PENDING_NEW"
    UNKNOWN = "UNKNOWN"
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES

    @property
    def rank(self) -> int:
        """Position in the life cycle: an event may only move an order forward, so late or
        duplicated stream messages cannot resurrect a finished order."""
        return _RANK[self]

    @classmethod
    def from_exchange(cls, status: str) -> OrderState:
        """Map a Binance order status; PENDING_CANCEL is still live on the book (NEW), and
        EXPIRED_IN_MATCH (self-trade prevention) is an expiry."""
        state = _FROM_EXCHANGE.get(status)
        return cls(status) if state is None else state  # an unknown status raises ValueError


FINAL_STATES = frozenset({OrderState.FILLED, OrderState.CANCELED, OrderState.REJECTED, OrderState.EXPIRED})
# A dict lookup: an Enum call costs more than the rest of folding an event.
_FROM_EXCHANGE = {
    **{s.value: s for s in OrderState},
    "EXPIRED_IN_MATCH": OrderState.EXPIRED,
    "PENDING_CANCEL": OrderState.NEW,
}
_RANK = {
    OrderState.PENDING_NEW: 0,
    OrderState.UNKNOWN: 1,
    OrderState.NEW: 2,
    OrderState.PARTIALLY_FILLED: 3,
    OrderState.FILLED: 4,
    OrderState.CANCELED: 4,
    OrderState.REJECTED: 4,
    OrderState.EXPIRED: 4,
}


def advances(current: OrderState, new: OrderState) -> bool:
    """The transition rule: ``new`` replaces ``current`` only when it is further along the
    life cycle, so late, duplicated or out-of-order reports never undo what is known."""
    return _RANK[new] > _RANK[current]


@dataclass(slots=True, frozen=True)
class DerivedState:
    """An order's state as its record implies."""

    intent: Intent
    state: OrderState
    order_id: int | None
    executed_qty: Decimal
    cumulative_quote: Decimal
    last_request: RequestRecord | None
    reason: str | None
    filled_qty: Decimal = Decimal(0)  # the sum of the fills on record

    @property
    def settled(self) -> bool:
        """Final and every fill on record: nothing a restart still has to ask the exchange.
        A final order whose fills fall short of its executed quantity (killed between the
        status and its fills, or the fills' lookup failed) is not."""
        return self.state.is_final and self.filled_qty >= self.executed_qty


def derive_state(
    intent: Intent, requests: Iterable[RequestRecord], events: Iterable[ExchangeEvent]
) -> DerivedState:
    """Replay an order's record: exchange events win (they only move the order forward);
    without any, the last placement request and its outcome say what is known."""
    state = OrderState.PENDING_NEW
    order_id: int | None = None
    executed = Decimal(0)
    quote = Decimal(0)
    filled = Decimal(0)
    seen_event = False
    for ev in events:
        seen_event = True
        if ev.trade_id is not None and ev.last_qty is not None:
            filled += ev.last_qty
        order_id = ev.order_id if ev.order_id is not None else order_id
        executed = max(executed, ev.executed_qty)
        quote = max(quote, ev.cumulative_quote)
        new = OrderState.from_exchange(ev.status)
        if advances(state, new):
            state = new
    reqs = list(requests)
    places = [r for r in reqs if r.kind is RequestKind.PLACE]
    last_place = places[-1] if places else None
    reason: str | None = None
    if not seen_event and any(r.outcome is OutcomeKind.ABANDONED for r in reqs):
        state, reason = OrderState.CANCELED, next(r.msg for r in reqs if r.outcome is OutcomeKind.ABANDONED)
    elif not seen_event and last_place is not None:
        state, reason = _state_from_outcome(last_place)
    return DerivedState(intent, state, order_id, executed, quote, reqs[-1] if reqs else None, reason, filled)


def _state_from_outcome(req: RequestRecord) -> tuple[OrderState, str | None]:
    if req.outcome is OutcomeKind.ACK:
        return OrderState.NEW, None
    if req.outcome is OutcomeKind.REJECT:
        return OrderState.REJECTED, f"{req.code}: {req.msg}" if req.code is not None else req.msg
    # Sent with no answer, an unknown answer, or confirmed absent but not yet resent: only the
    # exchange can say, so the order stays UNKNOWN until resolved.
    return OrderState.UNKNOWN, req.msg
