"""REST answers about orders: the three new-order shapes Binance documents, one struct each,
chosen by the ``newOrderRespType`` the caller sent (``OrderAck``, ``OrderResult``, ``OrderFull``;
``OrderFull`` also decodes a RESULT body, its ``fills`` being empty), order queries, cancels,
order lists and cancel-replace, and the mixed answer of cancel-all-open-orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeAlias

import msgspec

from tradeexec.binance.enums import (
    ContingencyType,
    ListOrderStatus,
    ListStatusType,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from tradeexec.binance.models.base import Model
from tradeexec.binance.net.ratelimit import RateLimitRule


class _OrderIds(Model, frozen=True, kw_only=True):
    symbol: str
    order_id: int
    order_list_id: int = -1
    client_order_id: str


class _OrderFields(_OrderIds, frozen=True, kw_only=True):
    """The order state every non-ACK order shape carries, written once."""

    price: Decimal
    orig_qty: Decimal
    executed_qty: Decimal
    cummulative_quote_qty: Decimal  # Binance's spelling
    status: OrderStatus
    time_in_force: TimeInForce
    type: OrderType
    side: Side
    stop_price: Decimal | None = None
    iceberg_qty: Decimal | None = None
    orig_quote_order_qty: Decimal | None = None
    working_time: int | None = None
    self_trade_prevention_mode: str | None = None
    trailing_delta: int | None = None
    trailing_time: int | None = None
    strategy_id: int | None = None
    strategy_type: int | None = None
    prevented_match_id: int | None = None
    prevented_quantity: Decimal | None = None
    used_sor: bool | None = None
    working_floor: str | None = None


class OrderFill(Model, frozen=True, kw_only=True):
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    trade_id: int | None = None  # margin fills omit it
    match_type: str | None = None
    alloc_id: int | None = None


class OrderAck(_OrderIds, frozen=True, kw_only=True):
    """``newOrderRespType=ACK``."""

    transact_time: int


class OrderResult(_OrderFields, frozen=True, kw_only=True):
    """``newOrderRespType=RESULT``."""

    transact_time: int


class OrderFull(OrderResult, frozen=True, kw_only=True):
    """``newOrderRespType=FULL`` (also decodes RESULT: ``fills`` is then empty)."""

    fills: list[OrderFill] = msgspec.field(default_factory=list)


class Order(_OrderFields, frozen=True, kw_only=True):
    """An order from ``GET /api/v3/order``, ``openOrders`` or ``allOrders``."""

    time: int
    update_time: int
    is_working: bool


class OrderReport(_OrderFields, frozen=True, kw_only=True):
    """An order inside a cancel or order-list response; ``DELETE /api/v3/order`` answers with
    exactly this shape (see ``CancelResponse``)."""

    orig_client_order_id: str | None = None
    transact_time: int | None = None


CancelResponse: TypeAlias = OrderReport


class OrderListMember(Model, frozen=True, kw_only=True):
    symbol: str
    order_id: int
    client_order_id: str


class OrderList(Model, frozen=True, kw_only=True):
    """An order list (OCO, OTO, OTOCO) from placement, cancel or query endpoints; queries
    carry no ``order_reports``."""

    order_list_id: int
    contingency_type: ContingencyType
    list_status_type: ListStatusType
    list_order_status: ListOrderStatus
    list_client_order_id: str
    transaction_time: int
    symbol: str
    orders: list[OrderListMember]
    order_reports: list[OrderReport] = msgspec.field(default_factory=list)


OcoResponse: TypeAlias = OrderList


class CancelReplaceResponse(Model, frozen=True, kw_only=True):
    """Success body of ``POST /api/v3/order/cancelReplace``. Send it with
    ``newOrderRespType`` RESULT or FULL so ``new_order_response`` decodes."""

    cancel_result: str
    new_order_result: str
    cancel_response: OrderReport
    new_order_response: OrderFull


class CancelReplaceErrorData(Model, frozen=True, kw_only=True):
    """``data`` of a -2021/-2022 cancelReplace error: each side is either an order or an
    ``{"code", "msg"}`` error, hence raw dicts for the error handler to inspect."""

    cancel_result: str
    new_order_result: str
    cancel_response: dict[str, Any] | None = None
    new_order_response: dict[str, Any] | None = None


class TestOrderResponse(Model, frozen=True, kw_only=True):
    """``{}``, or the commission preview when ``computeCommissionRates=true`` was sent."""

    standard_commission_for_order: dict[str, Decimal] | None = None
    tax_commission_for_order: dict[str, Decimal] | None = None
    discount: dict[str, Any] | None = None


class RateLimitOrderCount(RateLimitRule, frozen=True):
    """``GET /api/v3/rateLimit/order`` entry, also the WebSocket API ``rateLimits`` shape."""

    count: int


_ORDER_LIST_KEY = b'"contingencyType"'
_RAW_LIST_DECODER = msgspec.json.Decoder(list[msgspec.Raw])
_ORDER_REPORT_DECODER = msgspec.json.Decoder(OrderReport)
_ORDER_LIST_DECODER = msgspec.json.Decoder(OrderList)


def decode_cancel_open_orders(data: bytes) -> list[OrderReport | OrderList]:
    """``DELETE /api/v3/openOrders`` answers with plain orders and order lists mixed in one
    array, with no tag to tell them apart; an order list is the element with a
    ``contingencyType`` key (a quoted key cannot occur inside a client order ID)."""
    return [
        _ORDER_LIST_DECODER.decode(raw)
        if _ORDER_LIST_KEY in bytes(raw)
        else _ORDER_REPORT_DECODER.decode(raw)
        for raw in _RAW_LIST_DECODER.decode(data)
    ]
