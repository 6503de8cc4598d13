"""The encode side of the models: the local exchange writes its answers and events with the
very structs the client decodes, so the two sides share one declaration of Binance's wire
format (names, types, field order) and cannot drift apart.

Two things Binance does that a plain ``msgspec`` encode of a decode-side struct would not:

- It writes prices, quantities and balances with eight decimals (``"0.10000000"``, never
  ``"1E-7"`` or ``"0.1"``). A value passed through ``fixed8`` is written that way by
  ``wire_encode``; any other ``Decimal`` keeps its own text (``"0"`` for an execution report's
  commission).
- It leaves out the fields an answer does not carry (``stopPrice`` of a LIMIT order's result,
  ``trailingDelta`` of a non-trailing order) rather than sending ``null``. The decode-side
  structs give such fields a ``None`` default; ``wire_shape`` derives from a struct the same
  struct that omits fields left at their default, except those Binance always sends even at
  the value the client defaults them to (``orderListId`` -1, an empty ``fills``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, cast

import msgspec

from tradeexec.binance.models.account import Account, MyTrade
from tradeexec.binance.models.market import AggTrade, OrderBook, RollingTicker, Ticker24hr, Trade
from tradeexec.binance.models.market_events import (
    AggTradeEvent,
    BookTickerEvent,
    DepthUpdateEvent,
    KlineData,
    KlineEvent,
    RollingWindowTicker1dEvent,
    RollingWindowTicker1hEvent,
    RollingWindowTicker4hEvent,
    TickerEvent,
    TradeEvent,
)
from tradeexec.binance.models.orders import (
    CancelReplaceResponse,
    Order,
    OrderAck,
    OrderFill,
    OrderFull,
    OrderList,
    OrderReport,
    OrderResult,
)
from tradeexec.binance.models.user_events import (
    BalanceUpdate,
    ExecutionReport,
    ListenKeyExpired,
    ListStatus,
    OutboundAccountPosition,
)
from tradeexec.binance.models.wallet import ApiRestrictions, ApiTradingStatusDetail

_S = TypeVar("_S", bound=msgspec.Struct)


class Fixed8(Decimal):
    """A ``Decimal`` that ``wire_encode`` writes as Binance writes money: eight decimals.
    Build it with ``fixed8``, which needs it only where ``str`` would not give that text."""

    __slots__ = ()


_EIGHT = Decimal("1e-8")
_ZERO = Fixed8(0)  # the most common value of all (no stop price, nothing filled yet)


def fixed8(value: Decimal) -> Decimal:
    """``value`` written with eight decimals by ``wire_encode``. Quantized, it is a plain
    ``Decimal`` whose own text is already that (msgspec writes it natively, the fast path);
    zero and values under 1e-6 (which ``str`` writes ``0E-8``, ``1.0E-7``) and values too
    long to quantize are wrapped in ``Fixed8`` for the encoder's hook instead."""
    if not value:
        return _ZERO
    try:
        quantized = value.quantize(_EIGHT)
    except InvalidOperation:
        return Fixed8(value)
    return quantized if quantized.adjusted() >= -6 else Fixed8(quantized)


def _enc_hook(obj: Any) -> Any:
    # msgspec writes an exact Decimal itself and hands subclasses (Fixed8) to this hook.
    if obj is _ZERO:
        return "0.00000000"
    if isinstance(obj, Decimal):
        return format(obj, ".8f")
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


_ENCODER = msgspec.json.Encoder(enc_hook=_enc_hook)
wire_encode = _ENCODER.encode
"""JSON bytes of a wire struct (or of lists and dicts of them), ``Fixed8`` as eight decimals."""


def wire_builtins(obj: Any) -> Any:
    """Dicts, lists and strings of a wire struct, as ``wire_encode`` would write them."""
    return msgspec.to_builtins(obj, enc_hook=_enc_hook)


def fixed8_levels(levels: Iterable[tuple[Decimal, Decimal]]) -> list[tuple[Decimal, Decimal]]:
    """Book levels with their prices and quantities written with eight decimals."""
    return [(fixed8(p), fixed8(q)) for p, q in levels]


def wire_shape(model: type[_S], *, always: tuple[str, ...] = (), order: tuple[str, ...] = ()) -> type[_S]:
    """``model`` as Binance sends it: the same fields with the same names, types and defaults,
    a field left at its default omitted, but those named in ``always`` (which become required,
    so that they are always written). Fields come in ``order`` first, then in the model's own
    order: Binance orders one order's fields differently in each answer, and one declaration
    per field cannot follow every answer's order by inheritance. The result is built from the
    model, not a subclass of it; it is typed as the model so that building it is checked
    against the model's fields."""
    fields = {f.name: f for f in msgspec.structs.fields(model)}
    unknown = [name for name in (*always, *order) if name not in fields]
    if unknown:
        raise TypeError(f"{model.__name__} has no field {unknown}")
    names = [*order, *(name for name in fields if name not in order)]
    spec: list[tuple[str, Any, Any]] = []
    for name in names:
        f = fields[name]
        if name in always or f.required:
            spec.append((name, f.type, msgspec.field(name=f.encode_name)))
        elif f.default_factory is not msgspec.NODEFAULT:
            spec.append((name, f.type, msgspec.field(name=f.encode_name, default_factory=f.default_factory)))
        else:
            spec.append((name, f.type, msgspec.field(name=f.encode_name, default=f.default)))
    config = model.__struct_config__
    shape = msgspec.defstruct(
        f"Wire{model.__name__}",
        spec,
        module=__name__,
        omit_defaults=True,
        frozen=True,
        kw_only=True,
        tag=config.tag,
        tag_field=config.tag_field,
    )
    return cast(type[_S], shape)


_LIST_ID = ("order_list_id",)
_IDS = ("symbol", "order_id", "order_list_id", "client_order_id")
# Binance's order of a new order's fields (RESULT, FULL, and an order list's reports); the
# conditional ones (iceberg, stop, trailing) sit between ``side`` and ``working_time``.
_RESULT_ORDER = (
    *_IDS,
    "transact_time",
    "price",
    "orig_qty",
    "executed_qty",
    "orig_quote_order_qty",
    "cummulative_quote_qty",
    "status",
    "time_in_force",
    "type",
    "side",
    "iceberg_qty",
    "stop_price",
    "trailing_delta",
    "trailing_time",
    "working_time",
    "self_trade_prevention_mode",
)
_QUERY_ORDER = (
    *_IDS,
    "price",
    "orig_qty",
    "executed_qty",
    "cummulative_quote_qty",
    "status",
    "time_in_force",
    "type",
    "side",
    "stop_price",
    "iceberg_qty",
    "time",
    "update_time",
    "is_working",
    "working_time",
    "orig_quote_order_qty",
    "self_trade_prevention_mode",
)
_CANCEL_ORDER = ("symbol", "orig_client_order_id", *_IDS[1:], *_RESULT_ORDER[4:])

# REST and WebSocket API answers.
WireOrderAck = wire_shape(OrderAck, always=_LIST_ID, order=(*_IDS, "transact_time"))
WireOrderResult = wire_shape(OrderResult, always=_LIST_ID, order=_RESULT_ORDER)
WireOrderFull = wire_shape(OrderFull, always=(*_LIST_ID, "fills"), order=_RESULT_ORDER)
WireOrder = wire_shape(Order, always=_LIST_ID, order=_QUERY_ORDER)
WireOrderReport = wire_shape(OrderReport, always=_LIST_ID, order=_CANCEL_ORDER)
WireOrderFill = wire_shape(OrderFill)
WireOrderList = wire_shape(OrderList)
WireCancelReplace = wire_shape(CancelReplaceResponse)
WireMyTrade = wire_shape(MyTrade, always=_LIST_ID)
WireTrade = wire_shape(Trade)
WireAggTrade = wire_shape(AggTrade)
WireOrderBook = wire_shape(OrderBook)
_STATS = ("price_change", "price_change_percent", "weighted_avg_price")
WireRollingTicker = wire_shape(RollingTicker, order=("symbol", *_STATS))
WireTicker24hr = wire_shape(
    Ticker24hr,
    order=(
        "symbol",
        *_STATS,
        "prev_close_price",
        "last_price",
        "last_qty",
        "bid_price",
        "bid_qty",
        "ask_price",
        "ask_qty",
    ),
)
_ACCOUNT_FLAGS = ("brokered", "require_self_trade_prevention", "prevent_sor")
WireAccount = wire_shape(
    Account,
    always=(*_ACCOUNT_FLAGS, "permissions"),
    order=(
        "maker_commission",
        "taker_commission",
        "buyer_commission",
        "seller_commission",
        "commission_rates",
        "can_trade",
        "can_withdraw",
        "can_deposit",
        *_ACCOUNT_FLAGS,
    ),
)
WireApiTradingStatusDetail = wire_shape(ApiTradingStatusDetail)
_KEY_FLAGS = (
    "ip_restrict",
    "create_time",
    "enable_reading",
    "enable_spot_and_margin_trading",
    "enable_withdrawals",
    "enable_internal_transfer",
    "enable_margin",
    "enable_futures",
    "permits_universal_transfer",
    "enable_vanilla_options",
    "enable_fix_api_trade",
    "enable_fix_read_only",
    "enable_portfolio_margin_trading",
)
WireApiRestrictions = wire_shape(ApiRestrictions, always=_KEY_FLAGS, order=_KEY_FLAGS)

# User data events.
WireExecutionReport = wire_shape(ExecutionReport)
WireAccountPosition = wire_shape(OutboundAccountPosition)
WireBalanceUpdate = wire_shape(BalanceUpdate)
WireListStatus = wire_shape(ListStatus)
WireListenKeyExpired = wire_shape(ListenKeyExpired)

# Market stream events.
WireTradeEvent = wire_shape(TradeEvent)
WireAggTradeEvent = wire_shape(AggTradeEvent)
WireDepthUpdate = wire_shape(DepthUpdateEvent)
WireBookTicker = wire_shape(BookTickerEvent)
WireKlineEvent = wire_shape(KlineEvent)
WireKlineData = wire_shape(KlineData)
_EVENT_STATS = ("event_time", "symbol", "price_change", "price_change_percent")
_EVENT_TAIL = (
    "volume",
    "quote_volume",
    "open_time",
    "close_time",
    "first_trade_id",
    "last_trade_id",
    "trades",
)
WireTickerEvent = wire_shape(
    TickerEvent,
    order=(
        *_EVENT_STATS,
        "weighted_avg_price",
        "prev_close_price",
        "close",
        "last_qty",
        "bid_price",
        "bid_qty",
        "ask_price",
        "ask_qty",
        "open",
        "high",
        "low",
        *_EVENT_TAIL,
    ),
)
_ROLLING_ORDER = (*_EVENT_STATS, "open", "high", "low", "close", "weighted_avg_price", *_EVENT_TAIL)
WIRE_ROLLING_TICKER_EVENTS = {
    event.window: wire_shape(event, order=_ROLLING_ORDER)
    for event in (RollingWindowTicker1hEvent, RollingWindowTicker4hEvent, RollingWindowTicker1dEvent)
}
"""The rolling-window ticker event of each window Binance streams (``1h``, ``4h``, ``1d``)."""
