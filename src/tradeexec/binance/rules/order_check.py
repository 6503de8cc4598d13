"""What a filter check takes and gives: the order as it would be sent (``OrderCheck``), the
live market figures some filters need (``MarketContext``), and why Binance would refuse it
(``FilterFailure``, with Binance's code and message)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.venue.rules import OrderTerms

# Binance's codes for filter failures: -1013 when the API refuses the order, -2010 when the
# matching engine does (the filters that need the account's open orders or position).
INVALID_MESSAGE = -1013
NEW_ORDER_REJECTED = -2010


@dataclass(frozen=True, slots=True)
class FilterFailure:
    """Why Binance would refuse an order. ``filter`` is the filter's name for filter failures
    and a rule name otherwise (``BAD_PRECISION``, ``ILLEGAL_CHARS``, ...); ``msg`` is set only
    for the latter, whose text is not "Filter failure: X"."""

    filter: str
    field: str
    detail: str
    code: int = INVALID_MESSAGE
    msg: str = ""

    @property
    def message(self) -> str:
        """Binance's text, exactly as its error JSON carries it."""
        return self.msg or f"Filter failure: {self.filter}"

    @property
    def is_filter(self) -> bool:
        return not self.msg


@dataclass(frozen=True, slots=True)
class OrderCheck:
    """What validation needs to know of an order, as it would be sent."""

    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal | None = None
    quote_order_qty: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    iceberg_qty: Decimal | None = None
    trailing_delta: int | None = None
    time_in_force: TimeInForce | None = None


def order_check_of(order: OrderTerms) -> OrderCheck:
    """A venue-neutral order (the execution core's journaled intent) as Binance's checks and
    wire read it: the same values, Binance's field names."""
    return OrderCheck(
        order.symbol, order.side, order.type, quantity=order.quantity, quote_order_qty=order.quote_quantity,
        price=order.price, stop_price=order.stop_price, time_in_force=order.time_in_force,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class MarketContext:
    """Live figures some filters need. ``weighted_avg_price`` is the average over the filter's
    ``avgPriceMins`` (GET /api/v3/avgPrice), ``last_price`` the last trade; a filter with
    ``avgPriceMins`` 0 uses the last price, and either stands in for the other when only one
    is known. Order counts are of open orders before this one; ``base_position`` is free plus
    locked base asset plus the quantity of open BUY orders."""

    last_price: Decimal | None = None
    weighted_avg_price: Decimal | None = None
    open_orders: int | None = None
    open_algo_orders: int | None = None
    open_iceberg_orders: int | None = None
    account_open_orders: int | None = None
    account_open_algo_orders: int | None = None
    account_open_iceberg_orders: int | None = None
    base_position: Decimal | None = None


# No live figures: the context of an order checked without ``market``. Checks compare against
# this one object by identity to skip at once every filter that has nothing to check without them.
NO_MARKET: Final = MarketContext()
