"""USDⓈ-M futures exchangeInfo as the same ``ExchangeRules`` / ``SymbolRules`` spot uses.

Futures publish a smaller filter set, some under the spot names but with other fields:
PRICE_FILTER, LOT_SIZE and MARKET_LOT_SIZE are spot's shapes and are read as they are;
MIN_NOTIONAL carries one ``notional`` (the floor of price x quantity, market orders judged at
the mark) and becomes spot's ``MinNotional`` applied to market orders at the last price;
PERCENT_PRICE carries ``multiplierUp``/``multiplierDown`` around the mark and becomes spot's
``PercentPrice`` with no average window (judged at the figure the core passes: the mark or
last price); MAX_NUM_ORDERS carries ``limit``. MAX_NUM_ALGO_ORDERS counts Algo Service orders,
which the core never places, so it is left out. The one spot machinery then rounds and checks
futures orders: no second copy of the grid or notional arithmetic.

The core places LIMIT and MARKET only (conditional types belong to the Algo Service); a
post-only LIMIT (``timeInForce=GTX``) is the neutral ``LIMIT_MAKER``. Futures take no
quote-sized orders. A reduce-only order is exempt from MIN_NOTIONAL (Binance's -4164 says
so: "unless you choose reduce only"): closing a small leftover must never be refused, nor
counted as dust, for being small (``FuturesSymbolRules``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.rules.filters import (
    LotSize,
    MarketLotSize,
    MaxNumOrders,
    MinNotional,
    PercentPrice,
    PriceFilter,
    SymbolFilter,
)
from tradeexec.binance.rules.order_check import FilterFailure
from tradeexec.binance.rules.symbol_rules import SymbolRules
from tradeexec.venue.rules import MarketFigures, OrderTerms
from tradeexec.venue.vocab import OrderType

__all__ = ["FuturesSymbolRules", "futures_exchange_rules", "futures_symbol_rules"]

# exchangeInfo's order types as the vocabulary's: the conditional ones (placed through the
# Algo Service) under the names of the spot types that act the same once triggered.
_PLAIN_TYPES = {
    "LIMIT": OrderType.LIMIT,
    "MARKET": OrderType.MARKET,
    "STOP_MARKET": OrderType.STOP_LOSS,
    "STOP": OrderType.STOP_LOSS_LIMIT,
    "TAKE_PROFIT_MARKET": OrderType.TAKE_PROFIT,
    "TAKE_PROFIT": OrderType.TAKE_PROFIT_LIMIT,
    "TRAILING_STOP_MARKET": OrderType.TRAILING_STOP_MARKET,
}


def _filter(entry: Mapping[str, Any]) -> SymbolFilter | None:
    """One futures filter entry as the spot filter of the same meaning, or None when it has
    none the core uses (or is malformed: one bad entry must not hide a symbol)."""
    d = Decimal
    try:
        match entry.get("filterType"):
            case "PRICE_FILTER":
                return PriceFilter(
                    d(str(entry["minPrice"])), d(str(entry["maxPrice"])), d(str(entry["tickSize"]))
                )
            case "LOT_SIZE":
                return LotSize(d(str(entry["minQty"])), d(str(entry["maxQty"])), d(str(entry["stepSize"])))
            case "MARKET_LOT_SIZE":
                return MarketLotSize(
                    d(str(entry["minQty"])), d(str(entry["maxQty"])), d(str(entry["stepSize"]))
                )
            case "MIN_NOTIONAL":
                return MinNotional(d(str(entry["notional"])), apply_to_market=True, avg_price_mins=0)
            case "PERCENT_PRICE":
                up, down = d(str(entry["multiplierUp"])), d(str(entry["multiplierDown"]))
                return PercentPrice(up, down, avg_price_mins=0)
            case "MAX_NUM_ORDERS":
                return MaxNumOrders(int(entry["limit"]))
    except (KeyError, ValueError, ArithmeticError, TypeError):
        return None
    return None


@dataclass(frozen=True, slots=True)
class FuturesSymbolRules(SymbolRules):
    """A futures symbol's rules: spot's, but a reduce-only order (``reduce_only`` True on the
    order, as the core's intents carry it) is judged without MIN_NOTIONAL."""

    _closing: SymbolRules | None = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        SymbolRules.__post_init__(self)  # zero-argument super() fails in a slotted dataclass
        args = {f.name: getattr(self, f.name) for f in fields(SymbolRules) if f.init}
        args["filters"] = tuple(f for f in self.filters if not isinstance(f, MinNotional))
        object.__setattr__(self, "_closing", SymbolRules(**args))

    def _for(self, order: OrderTerms) -> SymbolRules:
        closing = self._closing
        return closing if closing is not None and getattr(order, "reduce_only", False) is True else self

    def validate_order(self, order: OrderTerms, market: MarketFigures) -> None:
        rules = self._for(order)
        if rules is self:
            SymbolRules.validate_order(self, order, market)
        else:
            rules.validate_order(order, market)

    def below_minimum(self, order: OrderTerms, market: MarketFigures) -> FilterFailure | None:
        rules = self._for(order)
        if rules is self:
            return SymbolRules.below_minimum(self, order, market)
        return rules.below_minimum(order, market)


def futures_symbol_rules(info: Mapping[str, Any]) -> FuturesSymbolRules:
    """One ``symbols`` entry of ``GET /fapi/v1/exchangeInfo`` as ``SymbolRules``."""
    filters = tuple(f for raw in info.get("filters") or () if (f := _filter(raw)) is not None)
    types = {_PLAIN_TYPES[t] for t in info.get("orderTypes") or () if t in _PLAIN_TYPES}
    if OrderType.LIMIT in types and "GTX" in (info.get("timeInForce") or ()):
        types.add(OrderType.LIMIT_MAKER)
    return FuturesSymbolRules(
        symbol=str(info["symbol"]),
        status=str(info.get("status", "")),
        base_asset=str(info.get("baseAsset", "")),
        quote_asset=str(info.get("quoteAsset", "")),
        base_asset_precision=int(info.get("baseAssetPrecision", 8)),
        quote_precision=int(info.get("quotePrecision", 8)),
        quote_asset_precision=int(info.get("quotePrecision", 8)),
        order_types=frozenset(types),
        iceberg_allowed=False,
        oco_allowed=False,
        oto_allowed=False,
        opo_allowed=False,
        quote_order_qty_market_allowed=False,
        allow_trailing_stop=False,
        cancel_replace_allowed=False,
        amend_allowed=False,
        peg_instructions_allowed=False,
        is_spot_trading_allowed=False,
        filters=filters,
    )


def futures_exchange_rules(info: Mapping[str, Any]) -> ExchangeRules:
    """Every symbol of a decoded ``GET /fapi/v1/exchangeInfo`` answer (perpetuals and
    deliveries alike: the contract type does not change how an order is checked)."""
    symbols = (futures_symbol_rules(s) for s in info.get("symbols") or ())
    return ExchangeRules(
        symbols={s.symbol: s for s in symbols},
        rate_limits=tuple(info.get("rateLimits") or ()),
        timezone=str(info.get("timezone", "UTC")),
    )
