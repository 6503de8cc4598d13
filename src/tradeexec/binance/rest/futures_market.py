"""Typed calls of the USDⓈ-M futures market data (``/fapi``, public): depth, aggregate
trades, mark and index price klines, premium index, funding rate history and funding info,
24-hour ticker, open interest. Each answer is decoded by the struct the local exchange
encodes it with (``models/futures_market_data.py``, ``models/futures_market.py``); the
parameters are checked before anything is sent, with the field named."""

from __future__ import annotations

from tradeexec.binance.enums import KlineInterval
from tradeexec.binance.models import Kline, OrderBook
from tradeexec.binance.models.futures_market import PremiumIndex
from tradeexec.binance.models.futures_market_data import (
    FundingInfo,
    FundingRateRecord,
    FuturesAggTrade,
    FuturesTicker24hr,
    OpenInterest,
)
from tradeexec.binance.rest.api import RestApi
from tradeexec.binance.rest.params import agg_trade_params, check_enum, check_symbol, opt_limit, opt_time
from tradeexec.errors import InvalidParameter

__all__ = ["FuturesMarketApi"]

_GET = "GET"


def _window(
    interval: KlineInterval | str, start_time: int | None, end_time: int | None, limit: int | None
) -> dict[str, object]:
    """The candle parameters the price klines share (futures take up to 1500 candles)."""
    return {
        "interval": check_enum("interval", interval, KlineInterval),
        "startTime": opt_time("startTime", start_time),
        "endTime": opt_time("endTime", end_time),
        "limit": opt_limit(limit, 1500),
    }


class FuturesMarketApi(RestApi):
    async def futures_depth(self, symbol: str, limit: int | None = None) -> OrderBook:
        """The order book snapshot a ``FuturesOrderBook`` starts from."""
        params = {"symbol": check_symbol(symbol), "limit": opt_limit(limit, 1000)}
        return await self.request(_GET, "/fapi/v1/depth", params, model=OrderBook)

    async def futures_agg_trades(
        self,
        symbol: str,
        *,
        from_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
    ) -> list[FuturesAggTrade]:
        """By ``from_id`` or by a time window, never both (Binance may time out on both)."""
        if from_id is not None and (start_time is not None or end_time is not None):
            raise InvalidParameter("fromId", "either fromId or startTime/endTime, not both", "both")
        params = agg_trade_params(symbol, from_id, start_time, end_time, limit)
        return await self.request(_GET, "/fapi/v1/aggTrades", params, model=list[FuturesAggTrade])

    async def futures_mark_price_klines(
        self,
        symbol: str,
        interval: KlineInterval | str,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
    ) -> list[Kline]:
        """Candles of the mark price (volumes are 0; the count is of price samples)."""
        params = {"symbol": check_symbol(symbol), **_window(interval, start_time, end_time, limit)}
        return await self.request(_GET, "/fapi/v1/markPriceKlines", params, model=list[Kline])

    async def futures_index_price_klines(
        self,
        pair: str,
        interval: KlineInterval | str,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
    ) -> list[Kline]:
        params = {"pair": check_symbol(pair, field="pair"), **_window(interval, start_time, end_time, limit)}
        return await self.request(_GET, "/fapi/v1/indexPriceKlines", params, model=list[Kline])

    async def futures_premium_index(self, symbol: str) -> PremiumIndex:
        params = {"symbol": check_symbol(symbol)}
        return await self.request(_GET, "/fapi/v1/premiumIndex", params, model=PremiumIndex)

    async def futures_funding_rate(
        self,
        symbol: str | None = None,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
    ) -> list[FundingRateRecord]:
        """Funding rate history, ascending: each funding time as it was charged, with its mark."""
        params = {
            "symbol": None if symbol is None else check_symbol(symbol),
            "startTime": opt_time("startTime", start_time),
            "endTime": opt_time("endTime", end_time),
            "limit": opt_limit(limit, 1000),
        }
        return await self.request(_GET, "/fapi/v1/fundingRate", params, model=list[FundingRateRecord])

    async def futures_funding_info(self) -> list[FundingInfo]:
        return await self.request(_GET, "/fapi/v1/fundingInfo", model=list[FundingInfo])

    async def futures_ticker_24hr(self, symbol: str) -> FuturesTicker24hr:
        params = {"symbol": check_symbol(symbol)}
        return await self.request(_GET, "/fapi/v1/ticker/24hr", params, model=FuturesTicker24hr)

    async def futures_tickers_24hr(self) -> list[FuturesTicker24hr]:
        """Every contract (weight 40)."""
        return await self.request(_GET, "/fapi/v1/ticker/24hr", model=list[FuturesTicker24hr])

    async def futures_open_interest(self, symbol: str) -> OpenInterest:
        params = {"symbol": check_symbol(symbol)}
        return await self.request(_GET, "/fapi/v1/openInterest", params, model=OpenInterest)
