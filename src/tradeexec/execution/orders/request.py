"""The order request: what a strategy asks for (``OrderIntent``), how its values are checked
before anything else happens (``checked``), and how it is rounded to a symbol's rules into the
journaled ``Intent`` (``rounded``), which is what goes on the wire.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from decimal import Decimal

from tradeexec.binance.rest.order_args import order_args
from tradeexec.binance.rest.params import check_enum, check_int
from tradeexec.binance.rules.grid import Rounding
from tradeexec.binance.rules.symbol_rules import SymbolRules
from tradeexec.errors import InvalidParameter
from tradeexec.execution.journal.records import Intent
from tradeexec.execution.orders.ids import make_client_order_id
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

__all__ = ["OrderIntent", "checked", "rounded"]


@dataclass(slots=True, frozen=True)
class OrderIntent:
    """What a strategy asks for, before rounding. ``strategy`` defaults to the manager's."""

    symbol: str
    side: Side
    type: OrderType = OrderType.LIMIT
    quantity: Decimal | None = None
    quote_quantity: Decimal | None = None
    price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    stop_price: Decimal | None = None
    strategy: str | None = None
    recv_window_ms: int = 5000

def checked(request: OrderIntent) -> OrderIntent:
    """The intent with its values checked (and enums parsed) as the client checks an order, so
    a bad value is refused naming its field before it is rounded, journaled or sent."""
    kind = check_enum("type", request.type, OrderType)
    tif = request.time_in_force
    if tif is None and kind in (OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT):
        tif = TimeInForce.GTC
    check = order_args(
        request.symbol, request.side, kind, quantity=request.quantity, quote_order_qty=request.quote_quantity,
        price=request.price, time_in_force=tif, stop_price=request.stop_price,
    ).check  # fmt: skip
    if request.strategy is not None and not isinstance(request.strategy, str):
        raise InvalidParameter("strategy", "must be a str", type(request.strategy).__name__)
    recv_window_ms = check_int("recvWindow", request.recv_window_ms, 1, 60_000)
    checked = (
        check.side, kind, check.quantity, check.quote_order_qty, check.price, check.time_in_force,
        check.stop_price,
    )  # fmt: skip
    given = (
        request.side, request.type, request.quantity, request.quote_quantity, request.price,
        request.time_in_force, request.stop_price,
    )  # fmt: skip
    # The checks hand back the very objects they accepted, so an intent built with enums and
    # Decimals (the usual case) is already what they make of it and need not be copied.
    if recv_window_ms is request.recv_window_ms and all(map(operator.is_, checked, given)):
        return request
    return OrderIntent(
        request.symbol, check.side, kind, quantity=check.quantity, quote_quantity=check.quote_order_qty,
        price=check.price, time_in_force=check.time_in_force, stop_price=check.stop_price,
        strategy=request.strategy, recv_window_ms=recv_window_ms,
    )  # fmt: skip

def rounded(request: OrderIntent, rules: SymbolRules, strategy: str, created_ms: int) -> Intent:
    """The checked request rounded to the symbol's rules, with its client order ID: the
    journaled intent. ``strategy`` is the manager's, for a request that names none."""
    is_market = request.type is OrderType.MARKET
    qty = None if request.quantity is None else rules.round_qty(request.quantity, market=is_market)
    # A buy is rounded to the cheaper tick, a sell to the dearer: rounding never makes a
    # price worse for the trader.
    price_mode = Rounding.DOWN if request.side is Side.BUY else Rounding.UP
    price = None if request.price is None else rules.round_price(request.price, price_mode)
    stop = None if request.stop_price is None else rules.round_price(request.stop_price, Rounding.NEAREST)
    quote = request.quote_quantity
    if quote is not None:
        quote = quote.quantize(Decimal(1).scaleb(-rules.quote_asset_precision), rounding="ROUND_DOWN")
    tif = request.time_in_force
    if tif is None and request.type in (
        OrderType.LIMIT,
        OrderType.STOP_LOSS_LIMIT,
        OrderType.TAKE_PROFIT_LIMIT,
    ):
        tif = TimeInForce.GTC
    return Intent(
        client_order_id=make_client_order_id(request.strategy or strategy, request.symbol),
        strategy=request.strategy or strategy,
        symbol=request.symbol,
        side=request.side,
        type=request.type,
        quantity=qty,
        quote_quantity=quote,
        price=price,
        time_in_force=tif,
        stop_price=stop,
        created_ms=created_ms,
        recv_window_ms=request.recv_window_ms,
    )
