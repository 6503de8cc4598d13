"""USDT-M futures market data and per-symbol settings (``/fapi``): mark price and funding
(``premiumIndex``), tickers, leverage brackets, commission rate. One wire contract: the local
exchange encodes these, a client decodes them.

Money fields are ``Decimal`` (written as strings). Binance writes the bracket figures
(``notionalCap``, ``maintMarginRatio``, ``cum``) as JSON numbers; msgspec decodes either form
into ``Decimal``, and the local exchange writes strings, which every client we test accepts.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradeexec.binance.models.base import Model


class PremiumIndex(Model, frozen=True, kw_only=True):
    """``GET /fapi/v1/premiumIndex``: mark and index price, funding rate, next funding time."""

    symbol: str
    mark_price: Decimal
    index_price: Decimal
    estimated_settle_price: Decimal
    last_funding_rate: Decimal
    interest_rate: Decimal
    next_funding_time: int
    time: int


class FuturesPriceTicker(Model, frozen=True, kw_only=True):
    """``GET /fapi/v1/ticker/price`` (v2 has the same fields)."""

    symbol: str
    price: Decimal
    time: int


class FuturesBookTicker(Model, frozen=True, kw_only=True):
    """``GET /fapi/v1/ticker/bookTicker``."""

    symbol: str
    bid_price: Decimal
    bid_qty: Decimal
    ask_price: Decimal
    ask_qty: Decimal
    time: int
    last_update_id: int = 0


class LeverageBracketTier(Model, frozen=True, kw_only=True):
    bracket: int
    initial_leverage: int
    notional_cap: Decimal
    notional_floor: Decimal
    maint_margin_ratio: Decimal
    cum: Decimal


class SymbolLeverageBrackets(Model, frozen=True, kw_only=True):
    """``GET /fapi/v1/leverageBracket`` entry."""

    symbol: str
    brackets: list[LeverageBracketTier] = msgspec.field(default_factory=list)


class FuturesCommissionRate(Model, frozen=True, kw_only=True):
    """``GET /fapi/v1/commissionRate``."""

    symbol: str
    maker_commission_rate: Decimal
    taker_commission_rate: Decimal


class PositionModeResponse(Model, frozen=True, kw_only=True):
    """``GET /fapi/v1/positionSide/dual``."""

    dual_side_position: bool
