"""What the futures side reports to the user data stream, in the order Binance sends it:
one ``OrderUpdate`` per order change (-> ORDER_TRADE_UPDATE), then one ``AccountUpdate`` per
account whose wallet or positions a fill moved (-> ACCOUNT_UPDATE, reason ORDER)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeexec.sim.engine import OrderRecord
from tradeexec.sim.futures.orders import FuturesFill, OrderMeta


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    account: str
    order: OrderRecord  # a snapshot taken when the change happened
    meta: OrderMeta
    execution_type: str
    fill: FuturesFill | None
    time: int


@dataclass(frozen=True, slots=True)
class PositionState:
    symbol: str
    position_side: str
    amt: Decimal
    entry: Decimal
    realized: Decimal  # accumulated realized PnL of the position
    unrealized: Decimal
    margin_type: str  # "cross" / "isolated", as the event writes it
    isolated_wallet: Decimal


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    account: str
    reason: str
    wallet: Decimal
    cross_wallet: Decimal
    balance_change: Decimal  # Binance's "bc": the change except PnL and commission (funding)
    positions: tuple[PositionState, ...]
    time: int


FuturesEvent = OrderUpdate | AccountUpdate
