"""What a venue answers, in the execution core's words: plain frozen records an adapter builds
from its own wire models (``tradeexec.binance.venue`` for Binance spot), so the core reads
one shape whatever the venue. Money is ``Decimal``; times are epoch milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.rules import OrderTerms
from tradeexec.venue.vocab import ExecutionType, OrderStatus, OrderType, Side, TimeInForce

__all__ = [
    "AccountBalances",
    "AssetHolding",
    "BalanceLine",
    "BookTop",
    "CancelAnswer",
    "ExecutionUpdate",
    "OrderSnapshot",
    "PlaceAnswer",
    "PlacementFill",
    "PlacementRequest",
    "PriceLevel",
    "TradeRecord",
    "VenueStatus",
    "trail_terms",
]


class PlacementRequest(OrderTerms, Protocol):
    """One order as it goes on the wire: checked, rounded to the symbol's rules and journaled
    (``execution.journal.records.Intent`` is the one the core sends). A trailing stop
    (``OrderType.TRAILING_STOP_MARKET``) also carries ``callback_rate`` and
    ``activation_price`` (``trail_terms`` reads them; other requests need not have them)."""

    @property
    def client_order_id(self) -> str: ...
    @property
    def recv_window_ms(self) -> int: ...
    @property
    def reduce_only(self) -> bool:
        """Only ever shrink the position (a derivatives venue; a spot venue refuses True)."""
        ...

    @property
    def position_leg(self) -> PositionLeg | None:
        """The leg the order works on (a derivatives venue); None on a venue without legs."""
        ...


def trail_terms(order: OrderTerms) -> tuple[Decimal | None, Decimal | None]:
    """A trailing stop's callback rate (percent) and activation price; (None, None) for an
    order that carries neither (every other type, and requests built without them)."""
    return getattr(order, "callback_rate", None), getattr(order, "activation_price", None)


@dataclass(slots=True, frozen=True)
class PlacementFill:
    """One trade of an order, as a placement's answer reports it. ``trade_id`` is None when
    the venue gives none (the core then waits for the order's trades)."""

    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    trade_id: int | None = None


@dataclass(slots=True, frozen=True)
class PlaceAnswer:
    """The venue's answer to a placement. ``status`` None: accepted, nothing more known yet
    (an acknowledgement); then the quantities are zero and ``fills`` empty."""

    order_id: int
    status: OrderStatus | None
    executed_qty: Decimal
    cumulative_quote: Decimal
    transact_ms: int | None
    fills: Sequence[PlacementFill] = ()


@dataclass(slots=True, frozen=True)
class CancelAnswer:
    """The venue's answer about one canceled order (alone, or one of a cancel-all)."""

    client_order_id: str
    order_id: int
    status: OrderStatus
    executed_qty: Decimal
    cumulative_quote: Decimal
    transact_ms: int | None


@dataclass(slots=True, frozen=True)
class OrderSnapshot:
    """An order as the venue reports it now (a lookup, open orders, recent orders)."""

    symbol: str
    order_id: int
    client_order_id: str
    side: Side
    type: OrderType
    status: OrderStatus
    time_in_force: TimeInForce
    quantity: Decimal
    quote_quantity: Decimal | None
    price: Decimal | None
    stop_price: Decimal | None
    executed_qty: Decimal
    cumulative_quote: Decimal
    created_ms: int
    updated_ms: int


@dataclass(slots=True, frozen=True)
class TradeRecord:
    """One of the account's trades (``TradingVenue.recent_trades``); ``quote_qty`` is the quote the
    trade moved as the venue booked it, which price times quantity need not equal.
    ``realized_pnl`` is the profit or loss the trade realized on a position, as the venue booked
    it (a derivatives venue: Binance's ``realizedPnl``); None on a venue without positions."""

    id: int
    order_id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time_ms: int
    realized_pnl: Decimal | None = None


class ExecutionUpdate(Protocol):
    """An order update from the venue's user stream: what the core reads of one. Binance's
    ``ExecutionReport`` is one as it is decoded, so the stream's hot path copies nothing."""

    @property
    def symbol(self) -> str: ...
    @property
    def client_order_id(self) -> str: ...
    @property
    def orig_client_order_id(self) -> str | None: ...
    @property
    def order_id(self) -> int: ...
    @property
    def execution_type(self) -> ExecutionType: ...
    @property
    def order_status(self) -> OrderStatus: ...
    @property
    def cumulative_filled_qty(self) -> Decimal: ...
    @property
    def cumulative_quote_qty(self) -> Decimal: ...
    @property
    def transaction_time(self) -> int: ...
    @property
    def order_creation_time(self) -> int | None: ...
    @property
    def trade_id(self) -> int | None: ...
    @property
    def last_executed_price(self) -> Decimal: ...
    @property
    def last_executed_qty(self) -> Decimal: ...
    @property
    def commission(self) -> Decimal: ...
    @property
    def commission_asset(self) -> str | None: ...
    @property
    def last_quote_qty(self) -> Decimal | None: ...


@dataclass(slots=True, frozen=True)
class VenueStatus:
    """Whether the venue trades now: ``maintenance`` pauses new orders (``ErrorPolicy``)."""

    maintenance: bool
    msg: str = ""


class BalanceLine(Protocol):
    """One asset's balance: ``free`` to trade, ``locked`` in open orders. Binance's balance
    structs (account and stream) are ones as decoded; ``AssetHolding`` is one to build."""

    @property
    def asset(self) -> str: ...
    @property
    def free(self) -> Decimal: ...
    @property
    def locked(self) -> Decimal: ...


@dataclass(slots=True, frozen=True)
class AssetHolding:
    """A ``BalanceLine`` for a venue whose wire shape is not one already."""

    asset: str
    free: Decimal
    locked: Decimal = Decimal(0)


@dataclass(slots=True, frozen=True)
class AccountBalances:
    """Every balance of the account (an asset not listed holds nothing), as of ``update_time``:
    the venue's own time of the figures (ms), which orders them against the stream's balance
    events; None when the venue gives none. A derivatives venue reports its positions beside
    this, per symbol and side (a ``PositionSnapshot`` record next to this one), never folded
    into the balances: a balance is per asset, a position is not."""

    balances: Sequence[BalanceLine]
    update_time: int | None


PriceLevel = tuple[Decimal, Decimal]
"""(price, quantity) of one level of an order book."""


@dataclass(slots=True, frozen=True)
class BookTop:
    """The best levels of a symbol's order book: ``bids`` highest first, ``asks`` lowest first."""

    bids: Sequence[PriceLevel]
    asks: Sequence[PriceLevel]
