"""The order request: what a strategy asks for (``OrderIntent``), how its values are checked
before anything else happens (``checked``), and how it is rounded to a symbol's rules into the
journaled ``Intent`` (``rounded``), which is what goes on the wire.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from decimal import Decimal

from tradeexec.errors import InvalidParameter
from tradeexec.execution.journal.records import Intent
from tradeexec.execution.orders.ids import make_client_order_id
from tradeexec.params import check_decimal, check_enum, check_int, check_symbol
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.protocol import TradingVenue
from tradeexec.venue.rules import Rounding, SymbolRuleSet
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

__all__ = ["OrderIntent", "checked", "rounded"]

# The order types that rest on the book at a price: without a time in force they are GTC.
_GTC_BY_DEFAULT = frozenset({OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT})


@dataclass(slots=True, frozen=True)
class OrderIntent:
    """What a strategy asks for, before rounding. ``strategy`` defaults to the manager's.

    On a derivatives venue ``reduce_only`` makes the order only ever shrink a position (a
    close resent after a lost answer is still one), and ``position_leg`` names the leg it
    works on: BOTH in one-way mode (the default there), LONG or SHORT in hedge mode. A spot
    venue refuses both.

    A trailing stop (``OrderType.TRAILING_STOP_MARKET``, a derivatives venue's) gives
    ``callback_rate``: how far, in percent (1 is 1%), the price may come back from its best
    before the stop fires a market order; and optionally ``activation_price``, the price at
    which it starts to follow (None: at once). No other type takes them."""

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
    reduce_only: bool = False
    position_leg: PositionLeg | None = None
    callback_rate: Decimal | None = None
    activation_price: Decimal | None = None


def _holds_positions(venue: TradingVenue) -> bool:
    """A derivatives venue (``DerivativesVenue``): one whose account holds positions."""
    return callable(getattr(venue, "positions", None))


def checked(request: OrderIntent, venue: TradingVenue) -> OrderIntent:
    """The intent with its values checked (and enums parsed) and its shape checked by the
    venue (``check_order``), so a bad value is refused naming its field before it is rounded,
    journaled or sent. The one check of the order's parameters: the venue sends the journaled
    request without another. A LIMIT-type order given no time in force is GTC; on a venue
    holding positions an order naming no leg works on BOTH (one-way mode's only leg: the
    venue refuses it in hedge mode), so the journal always says which leg a fill moves."""
    symbol = check_symbol(request.symbol)
    side = check_enum("side", request.side, Side)
    kind = check_enum("type", request.type, OrderType)
    tif = request.time_in_force
    if tif is not None:
        tif = check_enum("timeInForce", tif, TimeInForce)
    elif kind in _GTC_BY_DEFAULT:
        tif = TimeInForce.GTC
    qty = None if request.quantity is None else check_decimal("quantity", request.quantity)
    quote = None if request.quote_quantity is None else check_decimal("quoteOrderQty", request.quote_quantity)
    price = None if request.price is None else check_decimal("price", request.price)
    stop = None if request.stop_price is None else check_decimal("stopPrice", request.stop_price)
    callback, activation = _trail(kind, request.callback_rate, request.activation_price)
    if request.strategy is not None and not isinstance(request.strategy, str):
        raise InvalidParameter("strategy", "must be a str", type(request.strategy).__name__)
    recv_window_ms = check_int("recvWindow", request.recv_window_ms, 1, 60_000)
    reduce_only = request.reduce_only
    if not isinstance(reduce_only, bool):  # "false" would be truthy: a close sent as an open
        raise InvalidParameter("reduce_only", "must be True or False", repr(reduce_only))
    leg = request.position_leg
    if leg is not None:
        leg = check_enum("position_leg", leg, PositionLeg)
    elif _holds_positions(venue):
        leg = PositionLeg.BOTH
    now = (symbol, side, kind, qty, quote, price, tif, stop, recv_window_ms, leg, callback, activation)
    given = (
        request.symbol, request.side, request.type, request.quantity, request.quote_quantity, request.price,
        request.time_in_force, request.stop_price, request.recv_window_ms, request.position_leg,
        request.callback_rate, request.activation_price,
    )  # fmt: skip
    # The checks hand back the very objects they accepted, so an intent built with enums and
    # Decimals (the usual case) is already what they make of it and need not be copied.
    if not all(map(operator.is_, now, given)):
        request = OrderIntent(
            symbol, side, kind, quantity=qty, quote_quantity=quote, price=price, time_in_force=tif,
            stop_price=stop, strategy=request.strategy, recv_window_ms=recv_window_ms,
            reduce_only=reduce_only, position_leg=leg, callback_rate=callback, activation_price=activation,
        )  # fmt: skip
    venue.check_order(request)
    return request


def _trail(
    kind: OrderType, callback: Decimal | None, activation: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """A trailing stop's terms checked as values (their range is the venue's rule): given
    for a trailing stop, a callback rate required; given for any other type, refused, since
    no other order trails and dropping them would send a different order than asked for."""
    trailing = kind is OrderType.TRAILING_STOP_MARKET
    if callback is not None:
        if not trailing:
            raise InvalidParameter("callback_rate", "only a TRAILING_STOP_MARKET order trails", str(kind))
        callback = check_decimal("callbackRate", callback)
    elif trailing:
        raise InvalidParameter("callback_rate", "a TRAILING_STOP_MARKET order needs one (percent)", "missing")
    if activation is not None:
        if not trailing:
            raise InvalidParameter("activation_price", "only a TRAILING_STOP_MARKET order trails", str(kind))
        activation = check_decimal("activationPrice", activation)
    return callback, activation


def rounded(request: OrderIntent, rules: SymbolRuleSet, strategy: str, created_ms: int) -> Intent:
    """The checked request rounded to the symbol's rules, with its client order ID: the
    journaled intent. ``strategy`` is the manager's, for a request that names none."""
    is_market = request.type is OrderType.MARKET
    qty = None if request.quantity is None else rules.round_qty(request.quantity, market=is_market)
    # A buy is rounded to the cheaper tick, a sell to the dearer: rounding never makes a
    # price worse for the trader.
    price_mode = Rounding.DOWN if request.side is Side.BUY else Rounding.UP
    price = None if request.price is None else rules.round_price(request.price, price_mode)
    stop = None if request.stop_price is None else rules.round_price(request.stop_price, Rounding.NEAREST)
    activation = request.activation_price
    if activation is not None:  # a trigger like the stop price: to the nearest tick
        activation = rules.round_price(activation, Rounding.NEAREST)
    quote = request.quote_quantity
    if quote is not None:
        quote = quote.quantize(Decimal(1).scaleb(-rules.quote_asset_precision), rounding="ROUND_DOWN")
    return Intent(
        client_order_id=make_client_order_id(request.strategy or strategy, request.symbol),
        strategy=request.strategy or strategy,
        symbol=request.symbol,
        side=request.side,
        type=request.type,
        quantity=qty,
        quote_quantity=quote,
        price=price,
        time_in_force=request.time_in_force,
        stop_price=stop,
        created_ms=created_ms,
        recv_window_ms=request.recv_window_ms,
        reduce_only=request.reduce_only,
        position_leg=request.position_leg,
        callback_rate=request.callback_rate,
        activation_price=activation,
    )
