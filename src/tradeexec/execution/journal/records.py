"""What the journal records about an order: its intent, each request and outcome, and each
thing the exchange said. Plain values, no storage (``store``) and no life-cycle rules (the
state an order's record implies is ``orders.state``), so both can import them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

__all__ = ["ExchangeEvent", "Intent", "OutcomeKind", "RequestKind", "RequestRecord"]


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
    """What the strategy asked for, after rounding to the symbol's rules: the one order
    request, journaled before it is sent and handed as it is to the venue (it is a
    ``tradeexec.venue.records.PlacementRequest``)."""

    client_order_id: str
    strategy: str
    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal | None
    quote_quantity: Decimal | None
    price: Decimal | None
    time_in_force: TimeInForce | None
    stop_price: Decimal | None
    created_ms: int
    recv_window_ms: int
    reduce_only: bool = False
    position_leg: PositionLeg | None = None  # None: the venue has no legs (spot)
    # A trailing stop's terms (``OrderType.TRAILING_STOP_MARKET``): how far the price may
    # come back from its best, in percent, and the price at which it starts to trail.
    callback_rate: Decimal | None = None
    activation_price: Decimal | None = None
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
