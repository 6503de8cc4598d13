"""What the journal records about an order, and the state its record implies.

Kept apart from the storage (``journal``) so the rules of the life cycle (an event only moves
an order forward; without events the last placement's outcome decides) read on their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "FINAL_STATES",
    "DerivedState",
    "ExchangeEvent",
    "Intent",
    "OrderState",
    "OutcomeKind",
    "RequestKind",
    "RequestRecord",
    "derive_state",
]


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


class RequestKind(StrEnum):
    PLACE = "place"
    CANCEL = "cancel"
    REPLACE = "replace"
    QUERY = "query"


class OutcomeKind(StrEnum):
    """ACK: the exchange accepted; REJECT: it refused (nothing happened); UNKNOWN: no answer;
    NOT_FOUND: a lookup confirmed the order does not exist; ABANDONED: an order confirmed
    never to have reached the exchange that is given up (too old to send late, or canceled
    before it existed), which ends it as CANCELED."""

    ACK = "ack"
    REJECT = "reject"
    UNKNOWN = "unknown"
    NOT_FOUND = "not_found"
    ABANDONED = "abandoned"


@dataclass(slots=True, frozen=True)
class Intent:
    """What the strategy asked for, after rounding to the symbol's rules."""

    client_order_id: str
    strategy: str
    symbol: str
    side: str
    type: str
    quantity: Decimal | None
    quote_quantity: Decimal | None
    price: Decimal | None
    time_in_force: str | None
    stop_price: Decimal | None
    created_ms: int
    recv_window_ms: int
    id: int = 0  # journal row id; 0 until recorded


@dataclass(slots=True, frozen=True)
class RequestRecord:
    id: int
    intent_id: int
    kind: RequestKind
    sent_ms: int
    attempt: int
    outcome: OutcomeKind | None
    code: int | None
    msg: str | None


@dataclass(slots=True, frozen=True)
class ExchangeEvent:
    """One thing the exchange said about an order: a stream update, a query answer or an
    acknowledgement. ``trade_id`` is set only for a fill (with its last price/qty and fee,
    and ``last_quote``: the quote the trade moved as the exchange rounded it, which price
    times quantity need not equal)."""

    status: str
    executed_qty: Decimal
    cumulative_quote: Decimal
    update_ms: int
    source: str = "stream"
    order_id: int | None = None
    execution_type: str | None = None
    order_time_ms: int | None = None
    trade_id: int | None = None
    last_price: Decimal | None = None
    last_qty: Decimal | None = None
    commission: Decimal | None = None
    commission_asset: str | None = None
    last_quote: Decimal | None = None

    @property
    def dedupe_key(self) -> str:
        """Fills are unique by trade id; other updates by what they say and when, so a
        stream message and a poll reporting the same thing are stored once."""
        if self.trade_id is not None:
            return f"T:{self.order_id}:{self.trade_id}"
        return f"U:{self.order_id}:{self.execution_type}:{self.status}:{self.executed_qty}:{self.update_ms}"


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
        if new.rank > state.rank:
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
