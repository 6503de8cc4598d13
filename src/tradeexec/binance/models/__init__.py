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

The package, by family: :mod:`.base`, :mod:`.market`, :mod:`.orders`, :mod:`.account`,
:mod:`.market_events`, :mod:`.user_events`, :mod:`.wallet`, :mod:`.margin`, :mod:`.futures`.
Every public struct is re-exported here, so ``from tradeexec.binance.models import X`` names any
of them.
"""

from __future__ import annotations

from tradeexec.binance.models.account import Account, AssetBalance, CommissionRates, ListenKey, MyTrade
from tradeexec.binance.models.base import EmptyResponse, Model, PriceLevel, ServerTime
from tradeexec.binance.models.futures import (
    FuturesAccount,
    FuturesAccountAsset,
    FuturesAccountPosition,
    FuturesBalance,
    FuturesOrder,
    FuturesPosition,
    LeverageResponse,
    MarginTypeResponse,
)
from tradeexec.binance.models.margin import (
    MarginAccount,
    MarginAsset,
    MarginLoanResponse,
    MarginOrder,
    MarginOrderResponse,
    MarginRepayResponse,
    MarginTransferResponse,
    TranIdResponse,
)
from tradeexec.binance.models.market import (
    AggTrade,
    AvgPrice,
    BookTicker,
    ExchangeInfo,
    Kline,
    OrderBook,
    PartialDepthEvent,
    RollingTicker,
    SymbolInfo,
    Ticker24hr,
    TickerMini,
    TickerPrice,
    Trade,
)
from tradeexec.binance.models.market_events import (
    BOOK_TICKER_DECODER,
    COMBINED_STREAM_DECODER,
    DEPTH_UPDATE_DECODER,
    MARKET_EVENT_DECODER,
    MARKET_EVENT_LIST_DECODER,
    PARTIAL_DEPTH_DECODER,
    AggTradeEvent,
    BookTickerEvent,
    CombinedStreamMessage,
    DepthUpdateDecoder,
    DepthUpdateEvent,
    KlineData,
    KlineEvent,
    MarketEvent,
    MiniTickerEvent,
    PayloadDecoder,
    RollingWindowTicker1dEvent,
    RollingWindowTicker1hEvent,
    RollingWindowTicker4hEvent,
    RollingWindowTickerEvent,
    StreamResponse,
    TickerEvent,
    TradeEvent,
    decode_depth_update,
    decode_order_book,
    market_decoder,
)
from tradeexec.binance.models.orders import (
    CancelReplaceErrorData,
    CancelReplaceResponse,
    CancelResponse,
    OcoResponse,
    Order,
    OrderAck,
    OrderFill,
    OrderFull,
    OrderList,
    OrderListMember,
    OrderReport,
    OrderResult,
    RateLimitOrderCount,
    TestOrderResponse,
    decode_cancel_open_orders,
)
from tradeexec.binance.models.user_events import (
    USER_EVENT_DECODER,
    USER_EVENT_MESSAGE_DECODER,
    BalanceUpdate,
    EventBalance,
    EventStreamTerminated,
    ExecutionReport,
    ExternalLockUpdate,
    ListenKeyExpired,
    ListStatus,
    ListStatusOrder,
    OutboundAccountPosition,
    UserEvent,
    UserEventMessage,
)
from tradeexec.binance.models.wallet import (
    AccountStatus,
    ApiRestrictions,
    ApiTradingStatus,
    ApiTradingStatusDetail,
    SystemStatus,
)

__all__ = [
    "BOOK_TICKER_DECODER",
    "COMBINED_STREAM_DECODER",
    "DEPTH_UPDATE_DECODER",
    "MARKET_EVENT_DECODER",
    "MARKET_EVENT_LIST_DECODER",
    "PARTIAL_DEPTH_DECODER",
    "USER_EVENT_DECODER",
    "USER_EVENT_MESSAGE_DECODER",
    "Account",
    "AccountStatus",
    "AggTrade",
    "AggTradeEvent",
    "ApiRestrictions",
    "ApiTradingStatus",
    "ApiTradingStatusDetail",
    "AssetBalance",
    "AvgPrice",
    "BalanceUpdate",
    "BookTicker",
    "BookTickerEvent",
    "CancelReplaceErrorData",
    "CancelReplaceResponse",
    "CancelResponse",
    "CombinedStreamMessage",
    "CommissionRates",
    "DepthUpdateDecoder",
    "DepthUpdateEvent",
    "EmptyResponse",
    "EventBalance",
    "EventStreamTerminated",
    "ExchangeInfo",
    "ExecutionReport",
    "ExternalLockUpdate",
    "FuturesAccount",
    "FuturesAccountAsset",
    "FuturesAccountPosition",
    "FuturesBalance",
    "FuturesOrder",
    "FuturesPosition",
    "Kline",
    "KlineData",
    "KlineEvent",
    "LeverageResponse",
    "ListStatus",
    "ListStatusOrder",
    "ListenKey",
    "ListenKeyExpired",
    "MarginAccount",
    "MarginAsset",
    "MarginLoanResponse",
    "MarginOrder",
    "MarginOrderResponse",
    "MarginRepayResponse",
    "MarginTransferResponse",
    "MarginTypeResponse",
    "MarketEvent",
    "MiniTickerEvent",
    "Model",
    "MyTrade",
    "OcoResponse",
    "Order",
    "OrderAck",
    "OrderBook",
    "OrderFill",
    "OrderFull",
    "OrderList",
    "OrderListMember",
    "OrderReport",
    "OrderResult",
    "OutboundAccountPosition",
    "PartialDepthEvent",
    "PayloadDecoder",
    "PriceLevel",
    "RateLimitOrderCount",
    "RollingTicker",
    "RollingWindowTicker1dEvent",
    "RollingWindowTicker1hEvent",
    "RollingWindowTicker4hEvent",
    "RollingWindowTickerEvent",
    "ServerTime",
    "StreamResponse",
    "SymbolInfo",
    "SystemStatus",
    "TestOrderResponse",
    "Ticker24hr",
    "TickerEvent",
    "TickerMini",
    "TickerPrice",
    "Trade",
    "TradeEvent",
    "TranIdResponse",
    "UserEvent",
    "UserEventMessage",
    "decode_cancel_open_orders",
    "decode_depth_update",
    "decode_order_book",
    "market_decoder",
]
