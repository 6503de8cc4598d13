"""What the engine reports: one event per change, in the order Binance would send it (the
user-data stream's executionReport / balance / list status, the public trade and depth
streams), and the results of ``place`` and ``cancel_replace`` that carry them.

Those built on every order or fill are ``NamedTuple``s (see ``records``: immutable, read by
attribute, built in one step); the rarer ones stay frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from tradeexec.binance.enums import ExecutionType
from tradeexec.sim.engine.accounts import Holding
from tradeexec.sim.engine.records import (
    EngineReject,
    Fill,
    OrderListRecord,
    OrderRecord,
    TradePrint,
    tuple_constructor,
)


class ExecutionEvent(NamedTuple):
    """-> executionReport. ``order`` is a snapshot (copy) taken when the event happened."""

    account: str
    order: OrderRecord
    execution_type: ExecutionType
    reject_reason: str = "NONE"
    last_fill: Fill | None = None
    orig_client_order_id: str = ""  # set on CANCELED: the order's own client id
    cancel_client_order_id: str = ""  # the client id the cancel request carried
    event_time: int = 0


class BalanceEvent(NamedTuple):
    """-> outboundAccountPosition: the new free/locked of every asset the change touched."""

    account: str
    balances: dict[str, Holding]
    event_time: int


@dataclass(slots=True, frozen=True)
class BalanceUpdateEvent:
    """-> balanceUpdate (deposits, withdrawals, transfers)."""

    account: str
    asset: str
    delta: Decimal
    event_time: int


@dataclass(slots=True, frozen=True)
class ListStatusEvent:
    """-> listStatus (OCO order lists)."""

    account: str
    order_list: OrderListRecord
    event_time: int


class TradePrintEvent(NamedTuple):
    """-> public trade / aggTrade streams."""

    trade: TradePrint


class DepthEvent(NamedTuple):
    """-> depth diff stream. ``bids``/``asks`` carry absolute quantities at each changed price
    level (0 removes the level). Update IDs are continuous: ``first_update_id`` is the previous
    event's ``last_update_id + 1``."""

    symbol: str
    first_update_id: int
    last_update_id: int
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]
    event_time: int


Event = ExecutionEvent | BalanceEvent | BalanceUpdateEvent | ListStatusEvent | TradePrintEvent | DepthEvent


class PlaceResult(NamedTuple):
    order: OrderRecord  # snapshot after matching
    fills: list[Fill]  # the taker's fills, for newOrderRespType=FULL
    events: list[Event]


new_execution_event = tuple_constructor(ExecutionEvent)
new_balance_event = tuple_constructor(BalanceEvent)
new_trade_print_event = tuple_constructor(TradePrintEvent)
new_depth_event = tuple_constructor(DepthEvent)
new_place_result = tuple_constructor(PlaceResult)


@dataclass(slots=True, frozen=True)
class CancelReplaceResult:
    """Both halves of a cancel-replace. A half that failed carries its ``EngineReject``; a new
    order that was not attempted (STOP_ON_FAILURE after a failed cancel) has neither result
    nor error. The server answers 200 when ``ok``, else Binance's 409 with both halves."""

    cancel_order: OrderRecord | None
    cancel_error: EngineReject | None
    new_result: PlaceResult | None
    new_error: EngineReject | None
    events: list[Event]

    @property
    def ok(self) -> bool:
        return self.cancel_error is None and self.new_error is None and self.new_result is not None

    @property
    def new_attempted(self) -> bool:
        return self.new_result is not None or self.new_error is not None
