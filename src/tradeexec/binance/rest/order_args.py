"""A new order's arguments checked and shaped for the wire, and the same order as the symbol
rules see it. Shared by REST spot and margin orders and the WebSocket API, so every path
refuses the same malformed order with the same words before anything is sent."""

from __future__ import annotations

import msgspec

from tradeexec.binance.enums import (
    OrderResponseType,
    OrderType,
    SelfTradePreventionMode,
    Side,
    TimeInForce,
)
from tradeexec.binance.rest.params import (
    Number,
    check_client_id,
    check_decimal,
    check_enum,
    check_int,
    check_symbol,
)
from tradeexec.binance.rules.order_check import OrderCheck
from tradeexec.binance.rules.order_shapes import NEEDS_PRICE as _NEEDS_PRICE
from tradeexec.binance.rules.order_shapes import NEEDS_STOP as _NEEDS_STOP
from tradeexec.binance.rules.order_shapes import NEEDS_TIF as _NEEDS_TIF
from tradeexec.errors import InvalidParameter


class OrderArgs(msgspec.Struct, frozen=True):
    """An order's checked wire parameters and the same order as the rules see it."""

    params: dict[str, object]
    check: OrderCheck


def order_args(
    symbol: str,
    side: Side | str,
    type: OrderType | str,
    *,
    quantity: Number | None = None,
    quote_order_qty: Number | None = None,
    price: Number | None = None,
    time_in_force: TimeInForce | str | None = None,
    stop_price: Number | None = None,
    trailing_delta: int | None = None,
    iceberg_qty: Number | None = None,
    new_client_order_id: str | None = None,
    new_order_resp_type: OrderResponseType | str | None = None,
    self_trade_prevention_mode: SelfTradePreventionMode | str | None = None,
) -> OrderArgs:
    """Check a new order's arguments and build its parameters: each number positive and
    exact, each mandatory parameter of the order type present, none it refuses sent.

    Every order passes here, so the parameters hold only what was given (an absent field
    costs one comparison) and each value is checked once."""
    symbol = check_symbol(symbol)
    side = check_enum("side", side, Side)
    kind = check_enum("type", type, OrderType)
    params: dict[str, object] = {"symbol": symbol, "side": side, "type": kind}
    tif = qty = quote_qty = px = stop = iceberg = delta = None
    if time_in_force is not None:
        tif = params["timeInForce"] = check_enum("timeInForce", time_in_force, TimeInForce)
    if quantity is not None:
        qty = params["quantity"] = check_decimal("quantity", quantity)
    if quote_order_qty is not None:
        quote_qty = params["quoteOrderQty"] = check_decimal("quoteOrderQty", quote_order_qty)
    if price is not None:
        px = params["price"] = check_decimal("price", price)
    if new_client_order_id is not None:
        params["newClientOrderId"] = check_client_id("newClientOrderId", new_client_order_id)
    if stop_price is not None:
        stop = params["stopPrice"] = check_decimal("stopPrice", stop_price)
    if trailing_delta is not None:
        delta = params["trailingDelta"] = check_int("trailingDelta", trailing_delta, 1)
    if iceberg_qty is not None:
        iceberg = params["icebergQty"] = check_decimal("icebergQty", iceberg_qty)
    if new_order_resp_type is not None:
        params["newOrderRespType"] = check_enum("newOrderRespType", new_order_resp_type, OrderResponseType)
    if self_trade_prevention_mode is not None:
        params["selfTradePreventionMode"] = check_enum(
            "selfTradePreventionMode", self_trade_prevention_mode, SelfTradePreventionMode
        )
    check = OrderCheck(
        symbol, side, kind, quantity=qty, quote_order_qty=quote_qty, price=px, stop_price=stop,
        iceberg_qty=iceberg, trailing_delta=delta, time_in_force=tif,
    )  # fmt: skip
    _check_shape(check)
    return OrderArgs(params, check)


def _check_shape(order: OrderCheck) -> None:
    """Each mandatory parameter of the order type present, none it refuses sent."""
    kind, qty, tif, px = order.type, order.quantity, order.time_in_force, order.price
    if kind is OrderType.MARKET:
        if (qty is None) == (order.quote_order_qty is None):
            raise InvalidParameter(
                "quantity", "MARKET orders need exactly one of quantity or quoteOrderQty", ""
            )
    elif qty is None:
        raise _missing("quantity", kind)
    elif order.quote_order_qty is not None:
        raise _refused("quoteOrderQty", kind)
    if (tif is None) is (kind in _NEEDS_TIF):
        raise _missing("timeInForce", kind) if tif is None else _refused("timeInForce", kind)
    if (px is None) is (kind in _NEEDS_PRICE):
        raise _missing("price", kind) if px is None else _refused("price", kind)
    if kind in _NEEDS_STOP:
        if order.stop_price is None and order.trailing_delta is None:
            raise InvalidParameter(
                "stopPrice", f"{kind.value} orders need stopPrice or trailingDelta", "missing"
            )
    elif order.stop_price is not None:
        raise _refused("stopPrice", kind)
    elif order.trailing_delta is not None:
        raise _refused("trailingDelta", kind)


def _missing(field: str, kind: OrderType) -> InvalidParameter:
    return InvalidParameter(field, f"mandatory for {kind.value} orders", "missing")


def _refused(field: str, kind: OrderType) -> InvalidParameter:
    return InvalidParameter(field, f"not accepted for {kind.value} orders", "sent when not required")
