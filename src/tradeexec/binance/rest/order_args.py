"""A new order's arguments checked and shaped for the wire, and the same order as the symbol
rules see it: one request type (``OrderArgs``) and one list of order options
(``OrderOptions``), shared by REST spot and margin orders and the WebSocket API, so every path
refuses the same malformed order with the same words before anything is sent, and a checked
order (the execution core's) is sent by any of them without a second check."""

from __future__ import annotations

from typing import TypedDict, Unpack

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


class OrderOptions(TypedDict, total=False):
    """A new order's optional parameters, named once for every call that places one (REST spot
    and margin, the WebSocket API, ``order_args``): ``**options: Unpack[OrderOptions]``."""

    quantity: Number | None
    quote_order_qty: Number | None
    price: Number | None
    time_in_force: TimeInForce | str | None
    stop_price: Number | None
    trailing_delta: int | None
    iceberg_qty: Number | None
    new_client_order_id: str | None
    new_order_resp_type: OrderResponseType | str | None
    self_trade_prevention_mode: SelfTradePreventionMode | str | None


class OrderArgs(msgspec.Struct, frozen=True):
    """One new order, checked, as every transport sends it: the order as the rules see it
    (``check``) and what only the wire carries. Enums stay enums until ``params``, the wire's
    parameters. Built checked by ``order_args``, or directly from an order the caller has
    already checked (the execution core's journaled intent), which is then sent unchecked."""

    check: OrderCheck
    new_client_order_id: str | None = None
    new_order_resp_type: OrderResponseType | None = None
    self_trade_prevention_mode: SelfTradePreventionMode | None = None

    @property
    def params(self) -> dict[str, object]:
        """The wire parameters, only those given (an absent field costs one comparison)."""
        c = self.check
        params: dict[str, object] = {"symbol": c.symbol, "side": c.side, "type": c.type}
        # Every order passes here: plain tests, not a loop over pairs (a third of the cost).
        if c.time_in_force is not None:
            params["timeInForce"] = c.time_in_force
        if c.quantity is not None:
            params["quantity"] = c.quantity
        if c.quote_order_qty is not None:
            params["quoteOrderQty"] = c.quote_order_qty
        if c.price is not None:
            params["price"] = c.price
        if self.new_client_order_id is not None:
            params["newClientOrderId"] = self.new_client_order_id
        if c.stop_price is not None:
            params["stopPrice"] = c.stop_price
        if c.trailing_delta is not None:
            params["trailingDelta"] = c.trailing_delta
        if c.iceberg_qty is not None:
            params["icebergQty"] = c.iceberg_qty
        if self.new_order_resp_type is not None:
            params["newOrderRespType"] = self.new_order_resp_type
        if self.self_trade_prevention_mode is not None:
            params["selfTradePreventionMode"] = self.self_trade_prevention_mode
        return params


def order_args(
    symbol: str, side: Side | str, type: OrderType | str, **options: Unpack[OrderOptions]
) -> OrderArgs:
    """Check a new order's arguments, in the order the wire lists them: each number positive
    and exact, each enum a member, each mandatory parameter of the order type present, none it
    refuses given."""
    o = options
    v: object
    symbol = check_symbol(symbol)
    side = check_enum("side", side, Side)
    kind = check_enum("type", type, OrderType)
    # Every order passes here: an absent option costs one lookup, no call.
    tif = None if (v := o.get("time_in_force")) is None else check_enum("timeInForce", v, TimeInForce)
    qty = None if (v := o.get("quantity")) is None else check_decimal("quantity", v)
    quote_qty = None if (v := o.get("quote_order_qty")) is None else check_decimal("quoteOrderQty", v)
    px = None if (v := o.get("price")) is None else check_decimal("price", v)
    cid = None if (v := o.get("new_client_order_id")) is None else check_client_id("newClientOrderId", v)
    stop = None if (v := o.get("stop_price")) is None else check_decimal("stopPrice", v)
    delta = None if (v := o.get("trailing_delta")) is None else check_int("trailingDelta", v, 1)
    iceberg = None if (v := o.get("iceberg_qty")) is None else check_decimal("icebergQty", v)
    resp = o.get("new_order_resp_type")
    resp = None if resp is None else check_enum("newOrderRespType", resp, OrderResponseType)
    stp = o.get("self_trade_prevention_mode")
    stp = None if stp is None else check_enum("selfTradePreventionMode", stp, SelfTradePreventionMode)
    check = OrderCheck(
        symbol, side, kind, quantity=qty, quote_order_qty=quote_qty, price=px, stop_price=stop,
        iceberg_qty=iceberg, trailing_delta=delta, time_in_force=tif,
    )  # fmt: skip
    check_shape(check)
    return OrderArgs(check, cid, resp, stp)


def check_shape(order: OrderCheck) -> None:
    """Each mandatory parameter of the order type present, none it refuses sent: raises
    ``InvalidParameter`` naming the field (``SpotVenue.check_order`` asks it alone)."""
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
