"""The execution core: signals to orders, exactly once, with positions, risk and an
emergency stop."""

from __future__ import annotations

from tradeexec.execution.emergency import AssetSale, EmergencyReport, SellSettings, emergency_stop
from tradeexec.execution.journal import DerivedState, ExchangeEvent, Intent, Journal, OrderState
from tradeexec.execution.orders import (
    ManagedOrder,
    OrderIntent,
    OrderManager,
    ReconcileReport,
    make_client_order_id,
)
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
