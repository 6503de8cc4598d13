"""The WebSocket API's wire format: the request and answer envelopes, the REST endpoint each
method mirrors (whose weight and order count it carries), and parameters as the WebSocket API
wants them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import msgspec

from tradeexec.binance.rest.params import ORDER_ID_MAX, check_client_id, check_int, check_symbol
from tradeexec.errors import InvalidParameter

# The REST endpoint each WebSocket API method mirrors: its weight and order count are the
# method's (Binance documents them as equal). Methods with no REST twin weigh OWN_WEIGHT.
REST_TWIN: dict[str, tuple[str, str]] = {
    "ping": ("GET", "/api/v3/ping"),
    "time": ("GET", "/api/v3/time"),
    "exchangeInfo": ("GET", "/api/v3/exchangeInfo"),
    "depth": ("GET", "/api/v3/depth"),
    "trades.recent": ("GET", "/api/v3/trades"),
    "trades.historical": ("GET", "/api/v3/historicalTrades"),
    "trades.aggregate": ("GET", "/api/v3/aggTrades"),
    "klines": ("GET", "/api/v3/klines"),
    "uiKlines": ("GET", "/api/v3/uiKlines"),
    "avgPrice": ("GET", "/api/v3/avgPrice"),
    "ticker.24hr": ("GET", "/api/v3/ticker/24hr"),
    "ticker.price": ("GET", "/api/v3/ticker/price"),
    "ticker.book": ("GET", "/api/v3/ticker/bookTicker"),
    "ticker": ("GET", "/api/v3/ticker"),
    "order.place": ("POST", "/api/v3/order"),
    "order.test": ("POST", "/api/v3/order/test"),
    "order.status": ("GET", "/api/v3/order"),
    "order.cancel": ("DELETE", "/api/v3/order"),
    "order.cancelReplace": ("POST", "/api/v3/order/cancelReplace"),
    "openOrders.status": ("GET", "/api/v3/openOrders"),
    "openOrders.cancelAll": ("DELETE", "/api/v3/openOrders"),
    "orderList.place": ("POST", "/api/v3/order/oco"),
    "orderList.status": ("GET", "/api/v3/orderList"),
    "orderList.cancel": ("DELETE", "/api/v3/orderList"),
    "openOrderLists.status": ("GET", "/api/v3/openOrderList"),
    "allOrders": ("GET", "/api/v3/allOrders"),
    "allOrderLists": ("GET", "/api/v3/allOrderList"),
    "myTrades": ("GET", "/api/v3/myTrades"),
    "account.status": ("GET", "/api/v3/account"),
    "account.rateLimits.orders": ("GET", "/api/v3/rateLimit/order"),
}
OWN_WEIGHT = 2  # session.* and userDataStream.*


class WsApiErrorBody(msgspec.Struct, frozen=True):
    code: int
    msg: str = ""
    data: dict[str, Any] | None = None  # on 429/418: ``retryAfter`` (epoch ms), ``serverTime``


class WsApiEnvelope(msgspec.Struct, frozen=True, rename="camel"):
    """Every frame of the WebSocket API: an answer (``id``) or a user data event (``event``)."""

    id: int | str | None = None
    status: int = 200
    result: msgspec.Raw = msgspec.Raw(b"null")
    error: WsApiErrorBody | None = None
    rate_limits: list[dict[str, Any]] | None = None
    subscription_id: int | None = None
    event: msgspec.Raw = msgspec.Raw(b"")  # empty: not an event (msgspec has no ``Raw | None``)


ENVELOPE_DECODER = msgspec.json.Decoder(WsApiEnvelope)


class WsApiRequest(msgspec.Struct):
    id: int
    method: str
    params: dict[str, object]


ENCODE = msgspec.json.Encoder().encode


def one_order_params(
    symbol: str, order_id: int | None, orig_client_order_id: str | None
) -> dict[str, object]:
    return {"symbol": check_symbol(symbol), **order_id_params(order_id, orig_client_order_id)}


def order_id_params(
    order_id: int | None,
    orig_client_order_id: str | None,
    id_field: str = "orderId",
    cid_field: str = "origClientOrderId",
) -> dict[str, object]:
    if order_id is None and orig_client_order_id is None:
        raise InvalidParameter(id_field, f"give {id_field} or {cid_field}", "both missing")
    return {
        id_field: None if order_id is None else check_int(id_field, order_id, 0, ORDER_ID_MAX),
        cid_field: None if orig_client_order_id is None else check_client_id(cid_field, orig_client_order_id),
    }


def wire_params(params: Mapping[str, object]) -> dict[str, object]:
    """Parameters as the WebSocket API wants them: ``None`` left out, Decimals as exact
    fixed-point strings (``str`` could give ``1E-8``), enums as their text."""
    return {
        k: format(v, "f") if type(v) is Decimal else (str(v) if isinstance(v, str) else v)
        for k, v in params.items()
        if v is not None
    }
