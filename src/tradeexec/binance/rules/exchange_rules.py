"""The whole of exchangeInfo as rules: every symbol's ``SymbolRules``, the exchange filters
and rate limits; the entry point the client and the local exchange check orders through."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tradeexec.binance.rules.filters import (
    ExchangeFilter,
    filter_to_json,
    split_exchange_filters,
)
from tradeexec.binance.rules.order_check import (
    NO_MARKET,
    FilterFailure,
    MarketContext,
    OrderCheck,
)
from tradeexec.binance.rules.order_numbers import BAD_SYMBOL, RuleViolation, rejection
from tradeexec.binance.rules.symbol_rules import SymbolRules
from tradeexec.errors import InvalidParameter


@dataclass(frozen=True, slots=True)
class ExchangeRules:
    """The whole of exchangeInfo: every symbol's rules, the exchange filters, the rate limits."""

    symbols: Mapping[str, SymbolRules] = field(default_factory=dict, hash=False)
    exchange_filters: tuple[ExchangeFilter, ...] = ()
    rate_limits: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)
    timezone: str = "UTC"
    unknown_exchange_filters: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)

    @classmethod
    def from_exchange_info(cls, info: Mapping[str, Any]) -> ExchangeRules:
        """From a decoded GET /api/v3/exchangeInfo answer; absent lists count as empty."""
        known, unknown = split_exchange_filters(list(info.get("exchangeFilters") or []))
        symbols = (SymbolRules.from_symbol_info(s) for s in info.get("symbols") or [])
        return cls(
            symbols={s.symbol: s for s in symbols},
            exchange_filters=tuple(known),
            rate_limits=tuple(info.get("rateLimits") or ()),
            timezone=str(info.get("timezone", "UTC")),
            unknown_exchange_filters=tuple(unknown),
        )

    def to_exchange_info(self, server_time: int) -> dict[str, Any]:
        """The exchangeInfo answer the local exchange serves."""
        return {
            "timezone": self.timezone,
            "serverTime": server_time,
            "rateLimits": [dict(r) for r in self.rate_limits],
            "exchangeFilters": [filter_to_json(f) for f in self.exchange_filters]
            + [dict(u) for u in self.unknown_exchange_filters],
            "symbols": [s.to_symbol_info() for s in self.symbols.values()],
        }

    def __getitem__(self, symbol: str) -> SymbolRules:
        rules = self.symbols.get(symbol)
        if rules is None:
            raise InvalidParameter("symbol", "unknown symbol", f"{symbol!r} is not in exchangeInfo")
        return rules

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.symbols

    def get(self, symbol: str) -> SymbolRules | None:
        return self.symbols.get(symbol)

    def check(self, order: OrderCheck, ctx: MarketContext = NO_MARKET) -> FilterFailure | None:
        """``SymbolRules.check`` with this exchange's filters; -1121 for an unknown symbol."""
        rules = self.symbols.get(order.symbol)
        if rules is None:
            return rejection(
                "BAD_SYMBOL",
                "symbol",
                f"{order.symbol!r} is not in exchangeInfo",
                "Invalid symbol.",
                BAD_SYMBOL,
            )
        return rules.check(order, ctx, self.exchange_filters)

    def validate(self, order: OrderCheck, ctx: MarketContext = NO_MARKET) -> None:
        failure = self.check(order, ctx)
        if failure:
            raise RuleViolation(failure)
