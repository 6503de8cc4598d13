"""REST answers about the market: exchange info (symbols and their raw filters), order books,
trades, klines, average price and tickers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeAlias

import msgspec

from tradeexec.binance.models.base import Model, PriceLevel
from tradeexec.binance.net.ratelimit import RateLimitRule


class SymbolInfo(Model, frozen=True, kw_only=True):
    """One exchangeInfo symbol. ``filters`` stay raw: ``binance/rules/`` owns their meaning."""

    symbol: str
    status: str
    base_asset: str
    base_asset_precision: int
    quote_asset: str
    quote_precision: int
    quote_asset_precision: int
    base_commission_precision: int | None = None
    quote_commission_precision: int | None = None
    order_types: list[str] = msgspec.field(default_factory=list)
    iceberg_allowed: bool = False
    oco_allowed: bool = False
    oto_allowed: bool = False
    opo_allowed: bool = False
    quote_order_qty_market_allowed: bool = False
    allow_trailing_stop: bool = False
    cancel_replace_allowed: bool = False
    amend_allowed: bool = False
    peg_instructions_allowed: bool = False
    is_spot_trading_allowed: bool = False
    is_margin_trading_allowed: bool = False
    filters: list[dict[str, Any]] = msgspec.field(default_factory=list)
    permissions: list[str] = msgspec.field(default_factory=list)
    permission_sets: list[list[str]] = msgspec.field(default_factory=list)
    default_self_trade_prevention_mode: str | None = None
    allowed_self_trade_prevention_modes: list[str] = msgspec.field(default_factory=list)


class ExchangeInfo(Model, frozen=True, kw_only=True):
    timezone: str
    server_time: int
    rate_limits: list[RateLimitRule] = msgspec.field(default_factory=list)
    exchange_filters: list[dict[str, Any]] = msgspec.field(default_factory=list)
    symbols: list[SymbolInfo] = msgspec.field(default_factory=list)


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


class AggTradeRow(msgspec.Struct, frozen=True, kw_only=True):
    """What an aggregate trade row says on spot and USDⓈ-M futures alike (futures'
    ``/fapi/v1/aggTrades`` row is exactly this)."""

    agg_trade_id: int = msgspec.field(name="a")
    price: Decimal = msgspec.field(name="p")
    qty: Decimal = msgspec.field(name="q")
    first_trade_id: int = msgspec.field(name="f")
    last_trade_id: int = msgspec.field(name="l")
    time: int = msgspec.field(name="T")
    is_buyer_maker: bool = msgspec.field(name="m")


class AggTrade(AggTradeRow, frozen=True, kw_only=True):
    """``/api/v3/aggTrades`` row: spot adds the "best match" flag."""

    is_best_match: bool = msgspec.field(name="M")


class Kline(msgspec.Struct, array_like=True, frozen=True):
    """One row of ``/api/v3/klines``; its last element is documented "Ignore"."""

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
    ignore: str | None = None


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
