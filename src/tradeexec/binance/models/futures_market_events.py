"""USDⓈ-M futures market stream events (Binance's "Websocket Market Streams" pages for
USDⓈ-M futures). Depth diffs and partial depth are spot's ``DepthUpdateEvent`` (with ``pu``,
the previous event's final update id, and ``T``), aggregate trades spot's ``AggTradeEvent``
without ``M``, klines spot's ``KlineEvent``; what only futures sends is declared here: the
tagged book ticker, the mark price and the liquidation snapshot. The local exchange encodes
these structs, the client decodes them."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeAlias

import msgspec

from tradeexec.binance.models.base import _Event, _SymbolEvent
from tradeexec.binance.models.market_events import (
    AggTradeEvent,
    DepthUpdateEvent,
    KlineEvent,
    MiniTickerEvent,
    _TickerStats,
)


class FuturesBookTickerEvent(_SymbolEvent, tag="bookTicker", frozen=True, kw_only=True):
    """``<symbol>@bookTicker``: unlike spot's, tagged and timed."""

    update_id: int = msgspec.field(name="u")
    transaction_time: int = msgspec.field(name="T")
    bid_price: Decimal = msgspec.field(name="b")
    bid_qty: Decimal = msgspec.field(name="B")
    ask_price: Decimal = msgspec.field(name="a")
    ask_qty: Decimal = msgspec.field(name="A")


class FuturesTickerEvent(_TickerStats, tag="24hrTicker", frozen=True, kw_only=True):
    """``<symbol>@ticker``: spot's statistics and last quantity, no book prices."""

    last_qty: Decimal = msgspec.field(name="Q")


class MarkPriceEvent(_SymbolEvent, tag="markPriceUpdate", frozen=True, kw_only=True):
    """``<symbol>@markPrice`` (every 3 s) and ``<symbol>@markPrice@1s``."""

    mark_price: Decimal = msgspec.field(name="p")
    index_price: Decimal = msgspec.field(name="i")
    estimated_settle_price: Decimal = msgspec.field(name="P")
    funding_rate: Decimal = msgspec.field(name="r")
    next_funding_time: int = msgspec.field(name="T")


class ForceOrder(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The liquidation order inside a ``forceOrder`` event."""

    symbol: str = msgspec.field(name="s")
    side: str = msgspec.field(name="S")
    order_type: str = msgspec.field(name="o")
    time_in_force: str = msgspec.field(name="f")
    quantity: Decimal = msgspec.field(name="q")
    price: Decimal = msgspec.field(name="p")
    average_price: Decimal = msgspec.field(name="ap")
    status: str = msgspec.field(name="X")
    last_filled_qty: Decimal = msgspec.field(name="l")
    filled_qty: Decimal = msgspec.field(name="z")
    trade_time: int = msgspec.field(name="T")


class ForceOrderEvent(_Event, tag="forceOrder", frozen=True, kw_only=True):
    """``<symbol>@forceOrder``: at most the latest liquidation of each second."""

    order: ForceOrder = msgspec.field(name="o")


FuturesMarketEvent: TypeAlias = (
    AggTradeEvent
    | KlineEvent
    | DepthUpdateEvent
    | FuturesBookTickerEvent
    | FuturesTickerEvent
    | MiniTickerEvent
    | MarkPriceEvent
    | ForceOrderEvent
)
FUTURES_MARKET_DECODER: msgspec.json.Decoder[FuturesMarketEvent] = msgspec.json.Decoder(FuturesMarketEvent)
# The all-market array streams: ``!markPrice@arr[@1s]``, ``!ticker@arr``, ``!miniTicker@arr``
# (``!bookTicker`` and ``!forceOrder@arr`` send single events, decoded by the union above).
FuturesArrayItem: TypeAlias = MarkPriceEvent | FuturesTickerEvent | MiniTickerEvent
FUTURES_ARRAY_DECODER: msgspec.json.Decoder[list[FuturesArrayItem]] = msgspec.json.Decoder(
    list[FuturesArrayItem]
)
