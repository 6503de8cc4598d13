"""Typed calls of the Spot API's general and market data groups (ping, time, exchangeInfo,
depth, trades, klines, tickers), and the exchangeInfo cache that order validation reads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import msgspec

from tradeexec.binance.enums import (
    KlineInterval,
)
from tradeexec.binance.models import (
    AggTrade,
    AvgPrice,
    BookTicker,
    ExchangeInfo,
    Kline,
    OrderBook,
    RollingTicker,
    ServerTime,
    Ticker24hr,
    TickerPrice,
    Trade,
)
from tradeexec.binance.rest.api import RestApi
from tradeexec.binance.rest.params import (
    agg_trade_params,
    check_enum,
    check_symbol,
    check_symbols,
    opt_limit,
    opt_time,
)
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.errors import InvalidParameter

_GET = "GET"
_info_decoder = msgspec.json.Decoder(ExchangeInfo)
_raw_decoder = msgspec.json.Decoder(dict[str, Any])


class SpotMarketApi(RestApi):
    """Spot general and market data calls, and the exchangeInfo cache (here because both
    market data and order validation read it)."""

    exchange_info_ttl: float = 300.0
    _info_cache: tuple[float, ExchangeInfo, ExchangeRules] | None = None
    _info_lock: asyncio.Lock | None = None

    # ---------------------------------------------------------------- general

    async def ping(self) -> None:
        await self.request(_GET, "/api/v3/ping")

    async def server_time(self) -> ServerTime:
        return await self.request(_GET, "/api/v3/time", model=ServerTime)

    async def exchange_info(
        self,
        symbol: str | None = None,
        *,
        symbols: Sequence[str] | None = None,
        permissions: Sequence[str] | None = None,
        refresh: bool = False,
    ) -> ExchangeInfo:
        """The whole exchangeInfo is cached for ``exchange_info_ttl`` seconds and its rate
        limits adopted; a filtered answer (symbol, symbols, permissions) is never cached."""
        if symbol is not None or symbols is not None or permissions is not None:
            params = {
                "symbol": None if symbol is None else check_symbol(symbol),
                "symbols": None if symbols is None else check_symbols(symbols),
                "permissions": None if permissions is None else list(permissions),
            }
            return await self.request(_GET, "/api/v3/exchangeInfo", params, model=ExchangeInfo)
        return (await self._load_exchange_info(refresh))[0]

    async def rules(self, *, refresh: bool = False) -> ExchangeRules:
        """The exchange rules of the cached exchangeInfo, for validation and rounding."""
        return (await self._load_exchange_info(refresh))[1]

    def cached_rules(self) -> ExchangeRules | None:
        """The rules if exchangeInfo was loaded (even if stale), without any request."""
        return None if self._info_cache is None else self._info_cache[2]

    async def _load_exchange_info(self, refresh: bool) -> tuple[ExchangeInfo, ExchangeRules]:
        if self._info_lock is None:
            self._info_lock = asyncio.Lock()
        async with self._info_lock:
            cache = self._info_cache
            if cache is None or refresh or time.monotonic() - cache[0] > self.exchange_info_ttl:
                info, raw = await self._call(_GET, "/api/v3/exchangeInfo", None, _decode_info, None)
                cache = (time.monotonic(), info, ExchangeRules.from_exchange_info(raw))
                self._info_cache = cache
                if info.rate_limits:
                    self._use_rate_limits("api", info.rate_limits)
            return cache[1], cache[2]

    def _symbol(self, symbol: str) -> str:
        """A well-formed symbol, and a listed one when exchangeInfo is loaded."""
        check_symbol(symbol)
        rules = self.cached_rules()
        if rules is not None and symbol not in rules:
            raise InvalidParameter("symbol", "unknown symbol", f"{symbol!r} is not in exchangeInfo")
        return symbol

    # ---------------------------------------------------------------- market data

    async def depth(self, symbol: str, limit: int | None = None) -> OrderBook:
        params = {"symbol": self._symbol(symbol), "limit": opt_limit(limit, 5000)}
        return await self.request(_GET, "/api/v3/depth", params, model=OrderBook)

    async def recent_trades(self, symbol: str, limit: int | None = None) -> list[Trade]:
        params = {"symbol": self._symbol(symbol), "limit": opt_limit(limit, 1000)}
        return await self.request(_GET, "/api/v3/trades", params, model=list[Trade])

    async def historical_trades(
        self, symbol: str, limit: int | None = None, from_id: int | None = None
    ) -> list[Trade]:
        params = {
            "symbol": self._symbol(symbol),
            "limit": opt_limit(limit, 1000),
            "fromId": opt_time("fromId", from_id),
        }
        return await self.request(_GET, "/api/v3/historicalTrades", params, model=list[Trade])

    async def agg_trades(
        self,
        symbol: str,
        *,
        from_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
    ) -> list[AggTrade]:
        params = agg_trade_params(self._symbol(symbol), from_id, start_time, end_time, limit)
        return await self.request(_GET, "/api/v3/aggTrades", params, model=list[AggTrade])

    async def klines(
        self,
        symbol: str,
        interval: KlineInterval | str,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        time_zone: str | None = None,
    ) -> list[Kline]:
        return await self._klines(
            "/api/v3/klines",
            symbol=symbol,
            interval=interval,
            start_time=start_time,
            end_time=end_time,
            limit=limit,
            time_zone=time_zone,
        )

    async def ui_klines(
        self,
        symbol: str,
        interval: KlineInterval | str,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        time_zone: str | None = None,
    ) -> list[Kline]:
        """Klines modified for presentation of candlestick charts (``/api/v3/uiKlines``)."""
        return await self._klines(
            "/api/v3/uiKlines",
            symbol=symbol,
            interval=interval,
            start_time=start_time,
            end_time=end_time,
            limit=limit,
            time_zone=time_zone,
        )

    async def _klines(
        self,
        path: str,
        *,
        symbol: str,
        interval: KlineInterval | str,
        start_time: int | None,
        end_time: int | None,
        limit: int | None,
        time_zone: str | None,
    ) -> list[Kline]:
        params = {
            "symbol": self._symbol(symbol),
            "interval": check_enum("interval", interval, KlineInterval),
            "startTime": opt_time("startTime", start_time),
            "endTime": opt_time("endTime", end_time),
            "limit": opt_limit(limit, 1000),
            "timeZone": time_zone,
        }
        return await self.request(_GET, path, params, model=list[Kline])

    async def avg_price(self, symbol: str) -> AvgPrice:
        return await self.request(_GET, "/api/v3/avgPrice", {"symbol": self._symbol(symbol)}, model=AvgPrice)

    async def ticker_24hr(self, symbol: str) -> Ticker24hr:
        params = {"symbol": self._symbol(symbol)}
        return await self.request(_GET, "/api/v3/ticker/24hr", params, model=Ticker24hr)

    async def tickers_24hr(self, symbols: Sequence[str] | None = None) -> list[Ticker24hr]:
        """Several symbols, or all without ``symbols`` (weight grows with the count)."""
        params = {"symbols": None if symbols is None else check_symbols(symbols)}
        return await self.request(_GET, "/api/v3/ticker/24hr", params, model=list[Ticker24hr])

    async def ticker_price(self, symbol: str) -> TickerPrice:
        params = {"symbol": self._symbol(symbol)}
        return await self.request(_GET, "/api/v3/ticker/price", params, model=TickerPrice)

    async def ticker_prices(self, symbols: Sequence[str] | None = None) -> list[TickerPrice]:
        params = {"symbols": None if symbols is None else check_symbols(symbols)}
        return await self.request(_GET, "/api/v3/ticker/price", params, model=list[TickerPrice])

    async def book_ticker(self, symbol: str) -> BookTicker:
        params = {"symbol": self._symbol(symbol)}
        return await self.request(_GET, "/api/v3/ticker/bookTicker", params, model=BookTicker)

    async def book_tickers(self, symbols: Sequence[str] | None = None) -> list[BookTicker]:
        params = {"symbols": None if symbols is None else check_symbols(symbols)}
        return await self.request(_GET, "/api/v3/ticker/bookTicker", params, model=list[BookTicker])

    async def rolling_ticker(self, symbol: str, window_size: str | None = None) -> RollingTicker:
        """Rolling-window statistics (``/api/v3/ticker``), ``window_size`` like "1d" or "15m"."""
        params = {"symbol": self._symbol(symbol), "windowSize": window_size}
        return await self.request(_GET, "/api/v3/ticker", params, model=RollingTicker)

    async def rolling_tickers(
        self, symbols: Sequence[str], window_size: str | None = None
    ) -> list[RollingTicker]:
        params = {"symbols": check_symbols(symbols), "windowSize": window_size}
        return await self.request(_GET, "/api/v3/ticker", params, model=list[RollingTicker])


def _decode_info(body: bytes) -> tuple[ExchangeInfo, dict[str, Any]]:
    # The rules are built from the raw answer (they keep filters Binance adds later).
    return _info_decoder.decode(body), _raw_decoder.decode(body)
