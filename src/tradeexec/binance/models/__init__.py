"""msgspec structs for Binance Spot REST responses and stream events.

Every price, quantity, amount and commission is a ``Decimal`` decoded straight from the wire
text, so no value ever passes through a float. Fields Binance added after 2022 or sends only
in some cases have defaults, and unknown fields are ignored, so a new server release does not
break decoding.

Enums: fields our logic branches on and whose value sets are stable on Spot (side, order
type, time in force, order status, execution type, order-list states) use the enums of
``tradeexec.binance.enums``; a value outside them fails the decode loudly. Sets Binance
extends often or that differ per product (symbol status, permissions, account type,
self-trade-prevention modes, order types listed in exchangeInfo, reject reasons) stay
``str``, so that one new value cannot make exchangeInfo or an account snapshot unreadable.

New-order responses come in the three shapes Binance documents, one struct each, chosen by
the ``newOrderRespType`` the caller sent: ``OrderAck``, ``OrderResult``, ``OrderFull``
(``OrderFull`` also decodes a RESULT body, its ``fills`` being empty).

Stream events are tagged unions on the ``e`` field, so ``MARKET_EVENT_DECODER`` and
``USER_EVENT_DECODER`` dispatch to the right struct in one pass. Book tickers and partial
depth snapshots carry no ``e``; ``market_decoder(stream)`` picks their decoder by stream name,
and gives diff depth streams ``decode_depth_update``, which memoises the level Decimals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Final, Generic, Protocol, TypeAlias, TypeVar

import msgspec

from tradeexec.binance.enums import (
    ContingencyType,
    ExecutionType,
    KlineInterval,
    ListOrderStatus,
    ListStatusType,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from tradeexec.binance.net.ratelimit import RateLimitRule

PriceLevel: TypeAlias = tuple[Decimal, Decimal]
"""One order book level: (price, quantity)."""


class Model(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    """Base of every REST response: camelCase on the wire, immutable, keyword-constructed
    (keyword-only lets subclasses add required fields after inherited optional ones).
    Subclasses repeat ``frozen=True, kw_only=True`` because type checkers do not inherit
    class keywords, though msgspec does."""


# --------------------------------------------------------------------------- general


class EmptyResponse(Model, frozen=True, kw_only=True):
    """``{}``: ping, listenKey keepalive and close."""


class ServerTime(Model, frozen=True, kw_only=True):
    server_time: int


class SymbolInfo(Model, frozen=True, kw_only=True):
    """One exchangeInfo symbol. ``filters`` stay raw: ``rules.py`` owns their meaning."""

    symbol: str
    status: str
    base_asset: str
    base_asset_precision: int
    quote_asset: str
    quote_precision: int
    quote_asset_precision: int
    base_commission_precision: int | None = None
    quote_commission_precision: int | None = None
    order_types: list[str] = []
    iceberg_allowed: bool = False
    oco_allowed: bool = False
    oto_allowed: bool = False
    quote_order_qty_market_allowed: bool = False
    allow_trailing_stop: bool = False
    cancel_replace_allowed: bool = False
    amend_allowed: bool = False
    peg_instructions_allowed: bool = False
    is_spot_trading_allowed: bool = False
    is_margin_trading_allowed: bool = False
    filters: list[dict[str, Any]] = []
    permissions: list[str] = []
    permission_sets: list[list[str]] = []
    default_self_trade_prevention_mode: str | None = None
    allowed_self_trade_prevention_modes: list[str] = []


class ExchangeInfo(Model, frozen=True, kw_only=True):
    timezone: str
    server_time: int
    rate_limits: list[RateLimitRule] = []
    exchange_filters: list[dict[str, Any]] = []
    symbols: list[SymbolInfo] = []


# --------------------------------------------------------------------------- market data


class OrderBook(Model, frozen=True, kw_only=True):
    last_update_id: int
    bids: list[PriceLevel]
    asks: list[PriceLevel]


PartialDepthEvent: TypeAlias = OrderBook
"""``<symbol>@depth<5|10|20>`` pushes exactly the REST order book shape."""


class Trade(Model, frozen=True, kw_only=True):
    """A public trade from ``/api/v3/trades`` or ``/api/v3/historicalTrades``."""

    id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    time: int
    is_buyer_maker: bool
    is_best_match: bool


class AggTrade(msgspec.Struct, frozen=True, kw_only=True):
    agg_trade_id: int = msgspec.field(name="a")
    price: Decimal = msgspec.field(name="p")
    qty: Decimal = msgspec.field(name="q")
    first_trade_id: int = msgspec.field(name="f")
    last_trade_id: int = msgspec.field(name="l")
    time: int = msgspec.field(name="T")
    is_buyer_maker: bool = msgspec.field(name="m")
    is_best_match: bool = msgspec.field(name="M")


class Kline(msgspec.Struct, array_like=True, frozen=True):
    """One row of ``/api/v3/klines``; the trailing unused element is ignored."""

    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    close_time: int
    quote_volume: Decimal
    trades: int
    taker_buy_base: Decimal
    taker_buy_quote: Decimal


class AvgPrice(Model, frozen=True, kw_only=True):
    mins: int
    price: Decimal
    close_time: int | None = None


class TickerMini(Model, frozen=True, kw_only=True):
    """The MINI shape of ``/api/v3/ticker/24hr`` and ``/api/v3/ticker``, and the part every
    ticker statistic shares."""

    symbol: str
    open_price: Decimal
    high_price: Decimal
    low_price: Decimal
    last_price: Decimal
    volume: Decimal
    quote_volume: Decimal
    open_time: int
    close_time: int
    first_id: int
    last_id: int
    count: int


class RollingTicker(TickerMini, frozen=True, kw_only=True):
    """FULL shape of the rolling-window ``/api/v3/ticker``."""

    price_change: Decimal
    price_change_percent: Decimal
    weighted_avg_price: Decimal


class Ticker24hr(RollingTicker, frozen=True, kw_only=True):
    """FULL shape of ``/api/v3/ticker/24hr``."""

    prev_close_price: Decimal
    last_qty: Decimal
    bid_price: Decimal
    bid_qty: Decimal
    ask_price: Decimal
    ask_qty: Decimal


class TickerPrice(Model, frozen=True, kw_only=True):
    symbol: str
    price: Decimal


class BookTicker(Model, frozen=True, kw_only=True):
    symbol: str
    bid_price: Decimal
    bid_qty: Decimal
    ask_price: Decimal
    ask_qty: Decimal


# --------------------------------------------------------------------------- orders


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

    fills: list[OrderFill] = []


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
    order_reports: list[OrderReport] = []


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


# --------------------------------------------------------------------------- account


class AssetBalance(Model, frozen=True, kw_only=True):
    asset: str
    free: Decimal
    locked: Decimal


class CommissionRates(Model, frozen=True, kw_only=True):
    maker: Decimal
    taker: Decimal
    buyer: Decimal
    seller: Decimal


class Account(Model, frozen=True, kw_only=True):
    maker_commission: int
    taker_commission: int
    buyer_commission: int
    seller_commission: int
    can_trade: bool
    can_withdraw: bool
    can_deposit: bool
    update_time: int
    account_type: str
    balances: list[AssetBalance]
    permissions: list[str] = []
    commission_rates: CommissionRates | None = None
    brokered: bool = False
    require_self_trade_prevention: bool = False
    prevent_sor: bool = False
    uid: int | None = None


class MyTrade(Model, frozen=True, kw_only=True):
    symbol: str
    id: int
    order_id: int
    order_list_id: int = -1
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool
    is_best_match: bool


class ListenKey(Model, frozen=True, kw_only=True):
    listen_key: str


# --------------------------------------------------------------------------- stream events


class _Event(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag_field="e"):
    """Base of events tagged by ``e``; the tag itself is not an attribute."""

    event_time: int = msgspec.field(name="E")


class _SymbolEvent(_Event, frozen=True, kw_only=True):
    symbol: str = msgspec.field(name="s")


class AggTradeEvent(_SymbolEvent, tag="aggTrade", frozen=True, kw_only=True):
    agg_trade_id: int = msgspec.field(name="a")
    price: Decimal = msgspec.field(name="p")
    quantity: Decimal = msgspec.field(name="q")
    first_trade_id: int = msgspec.field(name="f")
    last_trade_id: int = msgspec.field(name="l")
    trade_time: int = msgspec.field(name="T")
    is_buyer_maker: bool = msgspec.field(name="m")


class TradeEvent(_SymbolEvent, tag="trade", frozen=True, kw_only=True):
    trade_id: int = msgspec.field(name="t")
    price: Decimal = msgspec.field(name="p")
    quantity: Decimal = msgspec.field(name="q")
    trade_time: int = msgspec.field(name="T")
    is_buyer_maker: bool = msgspec.field(name="m")
    # Binance stopped sending the order IDs in late 2023; old servers still do.
    buyer_order_id: int | None = msgspec.field(name="b", default=None)
    seller_order_id: int | None = msgspec.field(name="a", default=None)


class KlineData(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    start_time: int = msgspec.field(name="t")
    close_time: int = msgspec.field(name="T")
    symbol: str = msgspec.field(name="s")
    interval: KlineInterval = msgspec.field(name="i")
    first_trade_id: int = msgspec.field(name="f")
    last_trade_id: int = msgspec.field(name="L")
    open: Decimal = msgspec.field(name="o")
    close: Decimal = msgspec.field(name="c")
    high: Decimal = msgspec.field(name="h")
    low: Decimal = msgspec.field(name="l")
    volume: Decimal = msgspec.field(name="v")
    trades: int = msgspec.field(name="n")
    is_closed: bool = msgspec.field(name="x")
    quote_volume: Decimal = msgspec.field(name="q")
    taker_buy_base: Decimal = msgspec.field(name="V")
    taker_buy_quote: Decimal = msgspec.field(name="Q")


class KlineEvent(_SymbolEvent, tag="kline", frozen=True, kw_only=True):
    kline: KlineData = msgspec.field(name="k")


class _TickerPrices(_SymbolEvent, frozen=True, kw_only=True):
    close: Decimal = msgspec.field(name="c")
    open: Decimal = msgspec.field(name="o")
    high: Decimal = msgspec.field(name="h")
    low: Decimal = msgspec.field(name="l")
    volume: Decimal = msgspec.field(name="v")
    quote_volume: Decimal = msgspec.field(name="q")


class MiniTickerEvent(_TickerPrices, tag="24hrMiniTicker", frozen=True, kw_only=True):
    pass


class _TickerStats(_TickerPrices, frozen=True, kw_only=True):
    price_change: Decimal = msgspec.field(name="p")
    price_change_percent: Decimal = msgspec.field(name="P")
    weighted_avg_price: Decimal = msgspec.field(name="w")
    open_time: int = msgspec.field(name="O")
    close_time: int = msgspec.field(name="C")
    first_trade_id: int = msgspec.field(name="F")
    last_trade_id: int = msgspec.field(name="L")
    trades: int = msgspec.field(name="n")


class TickerEvent(_TickerStats, tag="24hrTicker", frozen=True, kw_only=True):
    prev_close_price: Decimal = msgspec.field(name="x")
    last_qty: Decimal = msgspec.field(name="Q")
    bid_price: Decimal = msgspec.field(name="b")
    bid_qty: Decimal = msgspec.field(name="B")
    ask_price: Decimal = msgspec.field(name="a")
    ask_qty: Decimal = msgspec.field(name="A")


class RollingWindowTickerEvent(_TickerStats, frozen=True, kw_only=True):
    """``<symbol>@ticker_<1h|4h|1d>``. Binance tags each window size differently
    (``1hTicker`` ...), so each size is a subclass; test with ``isinstance`` against this
    class and read ``window``."""

    window: ClassVar[str]


class RollingWindowTicker1hEvent(RollingWindowTickerEvent, tag="1hTicker", frozen=True, kw_only=True):
    window: ClassVar[str] = "1h"


class RollingWindowTicker4hEvent(RollingWindowTickerEvent, tag="4hTicker", frozen=True, kw_only=True):
    window: ClassVar[str] = "4h"


class RollingWindowTicker1dEvent(RollingWindowTickerEvent, tag="1dTicker", frozen=True, kw_only=True):
    window: ClassVar[str] = "1d"


_Number = TypeVar("_Number", Decimal, str)


class _DepthDiff(_SymbolEvent, Generic[_Number], frozen=True, kw_only=True):
    """A diff depth event's fields, its levels typed by ``_Number``: ``Decimal`` for the
    event delivered, ``str`` for the wire text ``decode_depth_update`` reads first."""

    first_update_id: int = msgspec.field(name="U")
    final_update_id: int = msgspec.field(name="u")
    bids: list[tuple[_Number, _Number]] = msgspec.field(name="b")
    asks: list[tuple[_Number, _Number]] = msgspec.field(name="a")
    # USDT-M futures only: the previous event's final update ID.
    prev_final_update_id: int | None = msgspec.field(name="pu", default=None)


class DepthUpdateEvent(_DepthDiff[Decimal], tag="depthUpdate", frozen=True, kw_only=True):
    """``<symbol>@depth``: decode it with ``decode_depth_update`` (``market_decoder`` does)."""


class _DepthUpdateText(_DepthDiff[str], tag="depthUpdate", frozen=True, kw_only=True):
    """A diff depth event as sent, its levels left as the wire text."""


class BookTickerEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """``<symbol>@bookTicker``: Spot sends no event type or time."""

    update_id: int = msgspec.field(name="u")
    symbol: str = msgspec.field(name="s")
    bid_price: Decimal = msgspec.field(name="b")
    bid_qty: Decimal = msgspec.field(name="B")
    ask_price: Decimal = msgspec.field(name="a")
    ask_qty: Decimal = msgspec.field(name="A")


MarketEvent: TypeAlias = (
    AggTradeEvent
    | TradeEvent
    | KlineEvent
    | MiniTickerEvent
    | TickerEvent
    | RollingWindowTicker1hEvent
    | RollingWindowTicker4hEvent
    | RollingWindowTicker1dEvent
    | DepthUpdateEvent
)


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
    order_creation_time: int = msgspec.field(name="O")
    cumulative_quote_qty: Decimal = msgspec.field(name="Z")
    last_quote_qty: Decimal = msgspec.field(name="Y")
    quote_order_qty: Decimal = msgspec.field(name="Q")
    working_time: int | None = msgspec.field(name="W", default=None)
    self_trade_prevention_mode: str | None = msgspec.field(name="V", default=None)
    trailing_delta: int | None = msgspec.field(name="d", default=None)
    trailing_time: int | None = msgspec.field(name="D", default=None)
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


class ExternalLockUpdate(_Event, tag="externalLockUpdate", frozen=True, kw_only=True):
    """WebSocket API: part of a balance was locked or released by another product."""

    asset: str = msgspec.field(name="a")
    delta: Decimal = msgspec.field(name="d")
    transaction_time: int = msgspec.field(name="T")


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


class CombinedStreamMessage(msgspec.Struct, frozen=True, gc=False):
    """``/stream?streams=...`` wrapper; ``data`` stays raw until ``market_decoder(stream)``
    decodes it, so the payload is parsed once, by the right type."""

    stream: str
    data: msgspec.Raw


class StreamResponse(msgspec.Struct, frozen=True):
    """Answer to SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY,
    or an error (``code``, ``msg``) for a bad request."""

    id: int | str | None = None
    result: Any = None
    code: int | None = None
    msg: str | None = None


MARKET_EVENT_DECODER: msgspec.json.Decoder[MarketEvent] = msgspec.json.Decoder(MarketEvent)
MARKET_EVENT_LIST_DECODER: msgspec.json.Decoder[list[MarketEvent]] = msgspec.json.Decoder(list[MarketEvent])
BOOK_TICKER_DECODER = msgspec.json.Decoder(BookTickerEvent)
PARTIAL_DEPTH_DECODER = msgspec.json.Decoder(OrderBook)
USER_EVENT_DECODER: msgspec.json.Decoder[UserEvent] = msgspec.json.Decoder(UserEvent)
USER_EVENT_MESSAGE_DECODER = msgspec.json.Decoder(UserEventMessage)
COMBINED_STREAM_DECODER = msgspec.json.Decoder(CombinedStreamMessage)

_PARTIAL_DEPTHS = frozenset({"depth5", "depth10", "depth20"})
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


class _BookText(msgspec.Struct, rename="camel"):
    """An order book as sent, its levels left as the wire text."""

    last_update_id: int
    bids: list[tuple[str, str]]
    asks: list[tuple[str, str]]


class _DecimalMemo(dict[str, Decimal]):
    """Decimals by their wire text: building a Decimal costs several dict lookups, and the
    same prices and quantities come back snapshot after snapshot and diff after diff.
    Sharing is safe because a Decimal is immutable (and the key is the exact text, so
    ``"1.0"`` and ``"1.00"`` keep their own exponents): one instance can serve every book
    and every event. Bounded: it starts over when full, so at most ``_MEMO_SIZE`` entries
    (a few MB) live, whatever the stream sends."""

    def __missing__(self, text: str) -> Decimal:
        value = msgspec.convert(text, Decimal)  # exactly what the typed decoder accepts
        if len(self) >= _MEMO_SIZE:
            self.clear()
        self[text] = value
        return value


class _LevelMemo(dict[tuple[str, str], PriceLevel]):
    """Whole levels by their wire text: below the top of a book most levels are unchanged
    from one snapshot to the next. Bounded like ``_DecimalMemo``."""

    def __missing__(self, level: tuple[str, str]) -> PriceLevel:
        value = (_DECIMALS[level[0]], _DECIMALS[level[1]])
        if len(self) >= _MEMO_SIZE:
            self.clear()
        self[level] = value
        return value


_MEMO_SIZE: Final = 32768
_DECIMALS = _DecimalMemo()
_LEVELS = _LevelMemo()
_BOOK_TEXT_DECODER = msgspec.json.Decoder(_BookText)


def decode_order_book(data: bytes) -> OrderBook:
    """A REST depth snapshot, the same ``OrderBook`` the typed decoder gives, about twice as
    fast: a snapshot is up to 10,000 Decimals, and most of them are met again in the next."""
    try:
        book = _BOOK_TEXT_DECODER.decode(data)
        level = _LEVELS.__getitem__
        return OrderBook(
            last_update_id=book.last_update_id,
            bids=list(map(level, book.bids)),
            asks=list(map(level, book.asks)),
        )
    except msgspec.ValidationError:
        # Numbers not sent as strings, or not numbers: the typed decoder accepts the first
        # and names the faulty field of the second.
        return PARTIAL_DEPTH_DECODER.decode(data)


_DEPTH_TEXT_DECODER = msgspec.json.Decoder(_DepthUpdateText)
_DEPTH_UPDATE_DECODER = msgspec.json.Decoder(DepthUpdateEvent)


def decode_depth_update(data: bytes | msgspec.Raw) -> DepthUpdateEvent:
    """A diff depth event, the same ``DepthUpdateEvent`` the typed decoder gives, about three
    times as fast into a book: levels near the top come back diff after diff, so their
    Decimals are memo hits, and a memoised Decimal keeps its hash cached, which the book's
    dict would otherwise compute afresh for every level (Decimal hashing is slow)."""
    try:
        diff = _DEPTH_TEXT_DECODER.decode(data)
        dec = _DECIMALS
        return DepthUpdateEvent(
            event_time=diff.event_time,
            symbol=diff.symbol,
            first_update_id=diff.first_update_id,
            final_update_id=diff.final_update_id,
            bids=[(dec[price], dec[qty]) for price, qty in diff.bids],
            asks=[(dec[price], dec[qty]) for price, qty in diff.asks],
            prev_final_update_id=diff.prev_final_update_id,
        )
    except msgspec.ValidationError:
        # As for snapshots: the typed decoder takes numbers sent unquoted and names the
        # faulty field of anything else.
        return _DEPTH_UPDATE_DECODER.decode(data)


class DepthUpdateDecoder:
    """``decode_depth_update`` behind the ``decode`` method of a msgspec decoder, so a
    stream's payload decoder can be chosen by name like the others."""

    __slots__ = ()

    def decode(self, data: bytes | msgspec.Raw, /) -> DepthUpdateEvent:
        return decode_depth_update(data)


class PayloadDecoder(Protocol):
    """What ``market_decoder`` gives: a msgspec decoder or ``DepthUpdateDecoder``."""

    def decode(self, data: bytes | msgspec.Raw, /) -> Any: ...


DEPTH_UPDATE_DECODER: Final = DepthUpdateDecoder()


def market_decoder(stream: str) -> PayloadDecoder:
    """The decoder for a market stream's payloads, by stream name (``btcusdt@depth5@100ms``,
    ``!ticker@arr``, ``btcusdt@bookTicker`` ...)."""
    parts = stream.split("@")
    kind = parts[1] if len(parts) > 1 else ""
    if parts[-1] == "arr":
        return MARKET_EVENT_LIST_DECODER
    if kind == "bookTicker" or stream == "!bookTicker":
        return BOOK_TICKER_DECODER
    if kind in _PARTIAL_DEPTHS:
        return PARTIAL_DEPTH_DECODER
    if kind == "depth":
        return DEPTH_UPDATE_DECODER
    return MARKET_EVENT_DECODER
