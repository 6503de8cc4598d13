"""What the futures side reports to the user data stream, in the order Binance sends it:
one ``OrderUpdate`` per order change (-> ORDER_TRADE_UPDATE, and TRADE_LITE before it for a
fill), then one ``AccountUpdate`` per account whose wallet or positions a fill moved
(-> ACCOUNT_UPDATE, reason ORDER; INSURANCE_CLEAR for a liquidation's clearance fee);
``AlgoChange`` for each conditional order's transition (-> ALGO_UPDATE), ``LeverageChange``
and ``AssetModeChange`` (-> ACCOUNT_CONFIG_UPDATE), ``MarginWarning`` (-> MARGIN_CALL). A
liquidation's ``autoclose-`` order is an ``OrderUpdate`` like any (``liquidator.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeexec.sim.engine import OrderRecord
from tradeexec.sim.futures.algo import AlgoOrder
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


@dataclass(frozen=True, slots=True)
class AlgoChange:
    """A conditional order entered a new status; ``actual`` is the order its trigger sent to
    the book (None before it fired)."""

    account: str
    order: AlgoOrder  # a copy taken when the change happened
    actual: OrderRecord | None
    time: int


@dataclass(frozen=True, slots=True)
class LeverageChange:
    account: str
    symbol: str
    leverage: int
    time: int


@dataclass(frozen=True, slots=True)
class AssetModeChange:
    """Multi-Assets mode switched on or off (-> ACCOUNT_CONFIG_UPDATE with ``ai``)."""

    account: str
    multi_assets: bool
    time: int


@dataclass(frozen=True, slots=True)
class MarginWarning:
    """Positions whose margin ratio crossed the warning threshold; ``cross_wallet`` is set
    when cross positions are among them (Binance sends ``cw`` only then)."""

    account: str
    cross_wallet: Decimal | None
    positions: tuple[tuple[PositionState, Decimal, Decimal], ...]  # state, mark, maint margin
    time: int


FuturesEvent = (
    OrderUpdate
    | AccountUpdate
    | AlgoChange
    | LeverageChange
    | AssetModeChange
    | MarginWarning
)
