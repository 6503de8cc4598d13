"""A USDⓈ-M futures order's parameters, named and checked once for every call that places
one: REST's ``futures_new_order``, each order of ``futures_batch_orders`` and the WebSocket
API's ``futures_place_order`` (``**options: Unpack[FuturesOrderOptions]``)."""

from __future__ import annotations

from typing import Literal, TypedDict, Unpack

from tradeexec.binance.enums import Side
from tradeexec.binance.rest.futures_algo import CONDITIONAL_TYPES
from tradeexec.binance.rest.params import Number, check_decimal, check_enum, check_int, check_symbol
from tradeexec.errors import InvalidParameter

__all__ = ["PRICE_MATCHES", "FuturesOrderOptions", "check_price_match", "new_order_params"]

# Conditional types are refused on /fapi/v1/order since 2025-12-09: they go to the Algo
# Service (``FuturesAlgoApi.futures_new_algo_order``).
_FUTURES_TYPES = frozenset({"LIMIT", "MARKET"})
_FUTURES_TIF = frozenset({"GTC", "IOC", "FOK", "GTX", "GTD"})
PRICE_MATCHES = frozenset(
    {"OPPONENT", "OPPONENT_5", "OPPONENT_10", "OPPONENT_20", "QUEUE", "QUEUE_5", "QUEUE_10", "QUEUE_20"}
)


class FuturesOrderOptions(TypedDict, total=False):
    """A new futures order's optional parameters (Binance's "New Order" page)."""

    quantity: Number | None
    price: Number | None
    time_in_force: str | None
    position_side: Literal["BOTH", "LONG", "SHORT"] | None
    reduce_only: bool | None
    new_client_order_id: str | None
    new_order_resp_type: Literal["ACK", "RESULT"] | None
    price_match: str | None
    self_trade_prevention_mode: str | None
    good_till_date: int | None


def _choice(field: str, value: str | None, allowed: frozenset[str]) -> str | None:
    if value is not None and value not in allowed:
        raise InvalidParameter(field, f"must be one of {', '.join(sorted(allowed))}", repr(value))
    return value


def check_price_match(value: str | None) -> str | None:
    """``priceMatch``: the book price an order takes instead of a price of its own."""
    return _choice("priceMatch", value, PRICE_MATCHES)


def _number(field: str, value: Number | None) -> object:
    return None if value is None else check_decimal(field, value)


def new_order_params(
    symbol: str, side: Side | str, type: str, **options: Unpack[FuturesOrderOptions]
) -> dict[str, object]:
    """A futures order's parameters, checked before anything is sent: a LIMIT order needs a
    quantity, a timeInForce and a price or a ``priceMatch`` (not both)."""
    quantity, price = options.get("quantity"), options.get("price")
    price_match = check_price_match(options.get("price_match"))
    good_till_date = options.get("good_till_date")
    if type in CONDITIONAL_TYPES:
        raise InvalidParameter(
            "type",
            "conditional orders go to the Algo Service since 2025-12-09: "
            "call futures_new_algo_order (POST /fapi/v1/algoOrder)",
            repr(type),
        )
    kind = _choice("type", type, _FUTURES_TYPES)
    if kind == "LIMIT" and (options.get("time_in_force") is None or quantity is None):
        raise InvalidParameter("timeInForce", "LIMIT orders need quantity and timeInForce", "missing")
    if kind == "LIMIT" and (price is None) == (price_match is None):
        raise InvalidParameter("price", "LIMIT orders need a price or a priceMatch, not both", "")
    if kind == "MARKET" and quantity is None:
        raise InvalidParameter("quantity", "mandatory for MARKET orders", "missing")
    params = {
        "symbol": check_symbol(symbol),
        "side": check_enum("side", side, Side),
        "positionSide": options.get("position_side"),
        "type": kind,
        "timeInForce": _choice("timeInForce", options.get("time_in_force"), _FUTURES_TIF),
        "quantity": _number("quantity", quantity),
        "reduceOnly": options.get("reduce_only"),
        "price": _number("price", price),
        "newClientOrderId": options.get("new_client_order_id"),
        "newOrderRespType": options.get("new_order_resp_type"),
        "priceMatch": price_match,
        "selfTradePreventionMode": options.get("self_trade_prevention_mode"),
        "goodTillDate": None if good_till_date is None else check_int("goodTillDate", good_till_date, 0),
    }
    return params
