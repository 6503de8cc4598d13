"""USDⓈ-M futures market data answers under ``/fapi`` that spot has no twin for, or whose
shape differs from spot's: aggregate trades (no ``M``), the 24-hour ticker (no book fields),
funding rate history and funding info, open interest. One wire contract: the local exchange
encodes these structs, the client decodes them (``rest/futures_market.py``).

Field names and order follow Binance's USDⓈ-M "Market Data" REST pages (Compressed/Aggregate
Trades List, 24hr Ticker Price Change Statistics, Get Funding Rate History, Get Funding Rate
Info, Open Interest)."""

from __future__ import annotations

from decimal import Decimal

from tradeexec.binance.models.base import Model
from tradeexec.binance.models.market import AggTradeRow, RollingTicker


class FuturesAggTrade(AggTradeRow, frozen=True, kw_only=True):
    """``GET /fapi/v1/aggTrades`` row: spot's without the "best match" flag."""


class FuturesTicker24hr(RollingTicker, frozen=True, kw_only=True):
    """``GET /fapi/v1/ticker/24hr``: the rolling statistics plus the last quantity; unlike
    spot it carries no book prices and no previous close."""

    last_qty: Decimal


class FundingRateRecord(Model, frozen=True, kw_only=True):
    """``GET /fapi/v1/fundingRate`` row: one funding time as it was charged, with the mark
    price the charge was computed at."""

    symbol: str
    funding_rate: Decimal
    funding_time: int
    mark_price: Decimal


class FundingInfo(Model, frozen=True, kw_only=True):
    """``GET /fapi/v1/fundingInfo`` row (Binance lists only symbols whose cap, floor or
    interval was adjusted; ``disclaimer`` is documented "ignore")."""

    symbol: str
    adjusted_funding_rate_cap: Decimal
    adjusted_funding_rate_floor: Decimal
    funding_interval_hours: int
    disclaimer: bool = False


class OpenInterest(Model, frozen=True, kw_only=True):
    """``GET /fapi/v1/openInterest``: the open contracts of one symbol, counted once."""

    open_interest: Decimal
    symbol: str
    time: int
