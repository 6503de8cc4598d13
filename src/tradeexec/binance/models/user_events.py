"""User-data stream events (order updates, balances, order lists, stream ends), tagged on
``e`` like market events, and their decoders for the legacy listenKey stream and the WebSocket
API subscription."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeAlias

import msgspec

from tradeexec.binance.enums import (
    ContingencyType,
    ExecutionType,
    ListOrderStatus,
    ListStatusType,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from tradeexec.binance.models.base import _Event, _SymbolEvent


class ExecutionReport(_SymbolEvent, tag="executionReport", frozen=True, kw_only=True):
    """An order update. Fields after ``quote_order_qty`` appear only for some orders or on
    newer servers. Average fill price is ``cumulative_quote_qty / cumulative_filled_qty``."""

    client_order_id: str = msgspec.field(name="c")
    side: Side = msgspec.field(name="S")
    order_type: OrderType = msgspec.field(name="o")
    time_in_force: TimeInForce = msgspec.field(name="f")
    quantity: Decimal = msgspec.field(name="q")
    price: Decimal = msgspec.field(name="p")
    stop_price: Decimal = msgspec.field(name="P")
    trailing_delta: int | None = msgspec.field(name="d", default=None)
    trailing_time: int | None = msgspec.field(name="D", default=None)
    iceberg_qty: Decimal = msgspec.field(name="F")
    order_list_id: int = msgspec.field(name="g")
    orig_client_order_id: str = msgspec.field(name="C")
    execution_type: ExecutionType = msgspec.field(name="x")
    order_status: OrderStatus = msgspec.field(name="X")
    reject_reason: str = msgspec.field(name="r")
    order_id: int = msgspec.field(name="i")
    last_executed_qty: Decimal = msgspec.field(name="l")
    cumulative_filled_qty: Decimal = msgspec.field(name="z")
    last_executed_price: Decimal = msgspec.field(name="L")
    commission: Decimal = msgspec.field(name="n")
    commission_asset: str | None = msgspec.field(name="N")
    transaction_time: int = msgspec.field(name="T")
    trade_id: int = msgspec.field(name="t")
    execution_id: int | None = msgspec.field(name="I", default=None)
    is_working: bool = msgspec.field(name="w")
    is_maker: bool = msgspec.field(name="m")
    ignore: bool | None = msgspec.field(name="M", default=None)  # documented "Ignore"
    order_creation_time: int = msgspec.field(name="O")
    cumulative_quote_qty: Decimal = msgspec.field(name="Z")
    last_quote_qty: Decimal = msgspec.field(name="Y")
    quote_order_qty: Decimal = msgspec.field(name="Q")
    working_time: int | None = msgspec.field(name="W", default=None)
    self_trade_prevention_mode: str | None = msgspec.field(name="V", default=None)
    strategy_id: int | None = msgspec.field(name="j", default=None)
    strategy_type: int | None = msgspec.field(name="J", default=None)
    prevented_match_id: int | None = msgspec.field(name="v", default=None)
    prevented_quantity: Decimal | None = msgspec.field(name="A", default=None)
    last_prevented_quantity: Decimal | None = msgspec.field(name="B", default=None)
    trade_group_id: int | None = msgspec.field(name="u", default=None)
    counter_order_id: int | None = msgspec.field(name="U", default=None)
    counter_symbol: str | None = msgspec.field(name="Cs", default=None)
    match_type: str | None = msgspec.field(name="b", default=None)
    alloc_id: int | None = msgspec.field(name="a", default=None)
    working_floor: str | None = msgspec.field(name="k", default=None)
    used_sor: bool | None = msgspec.field(name="uS", default=None)
    expiry_reason: str | None = msgspec.field(name="eR", default=None)


class EventBalance(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    asset: str = msgspec.field(name="a")
    free: Decimal = msgspec.field(name="f")
    locked: Decimal = msgspec.field(name="l")


class OutboundAccountPosition(_Event, tag="outboundAccountPosition", frozen=True, kw_only=True):
    last_update_time: int = msgspec.field(name="u")
    balances: list[EventBalance] = msgspec.field(name="B")


class BalanceUpdate(_Event, tag="balanceUpdate", frozen=True, kw_only=True):
    asset: str = msgspec.field(name="a")
    delta: Decimal = msgspec.field(name="d")
    clear_time: int = msgspec.field(name="T")


class ListStatusOrder(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    symbol: str = msgspec.field(name="s")
    order_id: int = msgspec.field(name="i")
    client_order_id: str = msgspec.field(name="c")


class ListStatus(_SymbolEvent, tag="listStatus", frozen=True, kw_only=True):
    order_list_id: int = msgspec.field(name="g")
    contingency_type: ContingencyType = msgspec.field(name="c")
    list_status_type: ListStatusType = msgspec.field(name="l")
    list_order_status: ListOrderStatus = msgspec.field(name="L")
    list_reject_reason: str = msgspec.field(name="r")
    list_client_order_id: str = msgspec.field(name="C")
    transaction_time: int = msgspec.field(name="T")
    orders: list[ListStatusOrder] = msgspec.field(name="O")


class ListenKeyExpired(_Event, tag="listenKeyExpired", frozen=True, kw_only=True):
    listen_key: str | None = msgspec.field(name="listenKey", default=None)


class EventStreamTerminated(_Event, tag="eventStreamTerminated", frozen=True, kw_only=True):
    """WebSocket API: the user data subscription ended (logout, key change)."""


class ServerShutdown(_Event, tag="serverShutdown", frozen=True, kw_only=True):
    """A connection event (WebSocket API and spot market streams), not a user event: the
    server is about to go away; open a new connection (``binance/ws/wsapi_link.py``)."""


class ExternalLockUpdate(_Event, tag="externalLockUpdate", frozen=True, kw_only=True):
    """WebSocket API: part of a balance was locked or released by another product."""

    asset: str = msgspec.field(name="a")
    delta: Decimal = msgspec.field(name="d")
    transaction_time: int = msgspec.field(name="T")


class UserDataSubscription(msgspec.Struct, frozen=True, rename="camel"):
    """The WebSocket API's answer to ``userDataStream.subscribe`` (and each entry of
    ``session.subscriptions``): the id its events will carry."""

    subscription_id: int


class SessionStatus(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """The WebSocket API's answer to ``session.logon``, ``session.status`` and
    ``session.logout``: who is logged on (``api_key`` None: nobody) and since when."""

    api_key: str | None
    authorized_since: int | None
    connected_since: int
    return_rate_limits: bool
    server_time: int
    user_data_stream: bool | None = None


UserEvent: TypeAlias = (
    ExecutionReport
    | OutboundAccountPosition
    | BalanceUpdate
    | ListStatus
    | ListenKeyExpired
    | EventStreamTerminated
    | ExternalLockUpdate
)


class UserEventMessage(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A user data event as the WebSocket API delivers it, wrapped with its subscription."""

    subscription_id: int | None = msgspec.field(name="subscriptionId", default=None)
    event: UserEvent


USER_EVENT_DECODER: msgspec.json.Decoder[UserEvent] = msgspec.json.Decoder(UserEvent)
USER_EVENT_MESSAGE_DECODER = msgspec.json.Decoder(UserEventMessage)
