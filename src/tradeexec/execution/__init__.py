"""The execution core: signals to orders, exactly once, with positions, risk and an
emergency stop. It trades through a ``tradeexec.venue.protocol.TradingVenue`` (Binance spot:
``tradeexec.binance.venue.SpotVenue``).

Where things are: ``orders/`` (``state``: the order state machine; ``resend_rule``: when an
unanswered order may be sent again; ``request``, ``ids``, ``managed``, and the manager in
layers ``tracking`` <- ``resolve`` <- ``reconcile`` <- ``manager``), ``journal/`` (the
durable record), ``signals`` (the Executor), ``risk``, ``positions``, ``balances``,
``valuation``, ``avg_prices``, ``dust``, ``policy`` (error handling), ``emergency``, ``feed``
(the user data stream).
"""

from __future__ import annotations

from tradeexec.execution.emergency import AssetSale, EmergencyReport, LegClose, SellSettings, emergency_stop
from tradeexec.execution.journal.records import ExchangeEvent, Intent
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.maintenance_windows import MaintenanceWindow
from tradeexec.execution.orders.ids import make_client_order_id
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.reconcile import ReconcileReport
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import DerivedState, OrderState
from tradeexec.execution.policy import Action, BreakerState, Decision, ErrorPolicy, TradingHalted
from tradeexec.execution.positions import Balance, BalanceDiff, Position, PositionSide, PositionTracker
from tradeexec.execution.risk import (
    Exposure,
    OrderRisk,
    RiskLimitExceeded,
    RiskLimits,
    RiskManager,
    UnsafeApiKey,
)
from tradeexec.execution.signals import Executor, ExecutorStats, OrderSignal, Signal, TargetPosition
from tradeexec.execution.valuation import Marks, MarkSource, NoPriceSource, Valuation

__all__ = [
    "Action",
    "AssetSale",
    "Balance",
    "BalanceDiff",
    "BreakerState",
    "Decision",
    "DerivedState",
    "EmergencyReport",
    "ErrorPolicy",
    "ExchangeEvent",
    "Executor",
    "ExecutorStats",
    "Exposure",
    "Intent",
    "Journal",
    "LegClose",
    "MaintenanceWindow",
    "ManagedOrder",
    "MarkSource",
    "Marks",
    "NoPriceSource",
    "OrderIntent",
    "OrderManager",
    "OrderRisk",
    "OrderSignal",
    "OrderState",
    "Position",
    "PositionSide",
    "PositionTracker",
    "ReconcileReport",
    "RiskLimitExceeded",
    "RiskLimits",
    "RiskManager",
    "SellSettings",
    "Signal",
    "TargetPosition",
    "TradingHalted",
    "UnsafeApiKey",
    "Valuation",
    "emergency_stop",
    "make_client_order_id",
]
