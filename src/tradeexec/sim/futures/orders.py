"""What the futures side keeps beside the shared engine's order records: a new-order request
in futures words, each order's futures attributes, and each fill with its realized PnL and
commission (the engine knows neither positions nor futures fees)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeexec.binance.enums import Side
from tradeexec.sim.engine import OrderRecord

CONDITIONAL_TYPES = frozenset(
    {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}
)
PLAIN_TYPES = frozenset({"LIMIT", "MARKET"})
FUTURES_TIF = frozenset({"GTC", "IOC", "FOK", "GTX"})
POSITION_SIDES = frozenset({"BOTH", "LONG", "SHORT"})


@dataclass(frozen=True, slots=True)
class FuturesOrderRequest:
    """A parsed ``POST /fapi/v1/order``: values are typed, not yet checked against the rules."""

    symbol: str
    side: Side
    type: str
    quantity: Decimal
    price: Decimal | None = None
    time_in_force: str | None = None
    position_side: str = "BOTH"
    reduce_only: bool = False
    client_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class OrderMeta:
    """The futures attributes of one engine order."""

    position_side: str
    reduce_only: bool
    order_type: str
    time_in_force: str
    # A liquidation order's remainder the insurance fund took at its price: the book's
    # record stops at its IOC's part (``liquidator.py``), queries add this.
    fund_qty: Decimal = Decimal(0)
    # A smart liquidation's first order (``liquidator.py``): no fund takes its IOC's rest,
    # which expires and is stated so.
    smart: bool = False


@dataclass(frozen=True, slots=True)
class FuturesFill:
    trade_id: int
    order_id: int
    symbol: str
    side: Side
    position_side: str
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    realized_pnl: Decimal
    maker: bool
    time: int


@dataclass(frozen=True, slots=True)
class Placed:
    """A placement's outcome: the order as the book holds it, its futures terms, its fills."""

    order: OrderRecord
    meta: OrderMeta
    fills: list[FuturesFill]
