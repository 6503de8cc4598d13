"""The USDⓈ-M futures market data endpoints spot has no twin for, or whose answer differs:
aggTrades, markPriceKlines, indexPriceKlines, fundingRate, fundingInfo, ticker/24hr and
openInterest. Read from the futures engine's trade tape and its ``MarketHistory``; the
selection rules (fromId or a time window, kline limits) are spot's functions, called with
the futures tape. Weights live in ``binance/net/endpoints.py``, shared with the client."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tradeexec.binance.enums import SecurityType
from tradeexec.binance.models import Kline
from tradeexec.binance.models.futures_market_data import (
    FundingInfo,
    FundingRateRecord,
    FuturesAggTrade,
    FuturesTicker24hr,
    OpenInterest,
)
from tradeexec.binance.models.wire import fixed8
from tradeexec.sim.binance.dispatch import read_limit
from tradeexec.sim.binance.futures_public import FuturesBase
from tradeexec.sim.binance.market_data import agg_trade_prints, kline_rows, window_ticker
from tradeexec.sim.binance.operation import Operation
from tradeexec.sim.futures.funding_schedule import adjusted
from tradeexec.sim.futures.pricing import rate_cap
from tradeexec.sim.params import ApiError, Params
from tradeexec.sim.state import ApiAccount

_DAY_MS = 86_400_000
_FUNDING_DEFAULT_LIMIT = 100
_FUNDING_RECENT = 200  # "If startTime and endTime are not sent, the most recent 200 records"


def futures_market_operations() -> tuple[Operation, ...]:
    """The market data endpoints added to ``futures_public.futures_operations()``."""
    n = SecurityType.NONE
    return (
        Operation("f_agg_trades", "GET", "/fapi/v1/aggTrades", n, 20),
        Operation("f_mark_klines", "GET", "/fapi/v1/markPriceKlines", n, 5),
        Operation("f_index_klines", "GET", "/fapi/v1/indexPriceKlines", n, 5),
        Operation("f_funding_rate", "GET", "/fapi/v1/fundingRate", n, 1),
        Operation("f_funding_info", "GET", "/fapi/v1/fundingInfo", n, 0),
        Operation("f_ticker_24hr", "GET", "/fapi/v1/ticker/24hr", n, 1),
        Operation("f_open_interest", "GET", "/fapi/v1/openInterest", n, 1),
    )


class FuturesMarketOps(FuturesBase):
    def f_agg_trades(self, p: Params, _: ApiAccount | None) -> Any:
        symbol = self._fsymbol(p)
        return [
            FuturesAggTrade(
                agg_trade_id=t.trade_id,
                price=fixed8(t.price),
                qty=fixed8(t.qty),
                first_trade_id=t.trade_id,
                last_trade_id=t.trade_id,
                time=t.time,
                is_buyer_maker=t.is_buyer_maker,
            )
            for t in agg_trade_prints(self.futures.tape, symbol, p)
        ]

    def f_mark_klines(self, p: Params, _: ApiAccount | None) -> list[Kline]:
        """Candles of the mark price samples: volumes 0, the count the number of samples."""
        symbol = self._fsymbol(p)
        return kline_rows(self.futures.history.marks, symbol, p, self._now(), max_limit=1500)

    def f_index_klines(self, p: Params, _: ApiAccount | None) -> list[Kline]:
        """Candles of the index samples (the spot price: ``FuturesEngine.index_price``), keyed by pair."""
        pair = p.require("pair")
        if pair not in self.futures.contracts:
            raise ApiError(-1121, "Invalid symbol.")
        return kline_rows(self.futures.history.indexes, pair, p, self._now(), max_limit=1500)

    def f_funding_rate(self, p: Params, _: ApiAccount | None) -> Any:
        symbol = self._opt_fsymbol(p)
        start, end = p.integer("startTime"), p.integer("endTime")
        recent = start is None and end is None and p.get("limit") is None
        limit = _FUNDING_RECENT if recent else read_limit(p, _FUNDING_DEFAULT_LIMIT, 1000)
        p.ensure_all_read()
        rows = self.futures.history.funding_rows(symbol, start, end, limit)
        return [
            FundingRateRecord(
                symbol=r.symbol, funding_rate=fixed8(r.rate), funding_time=r.time, mark_price=fixed8(r.mark)
            )
            for r in rows
        ]

    def f_funding_info(self, p: Params, _: ApiAccount | None) -> Any:
        p.ensure_all_read()
        return [
            FundingInfo(
                symbol=s,
                adjusted_funding_rate_cap=fixed8(rate_cap(contract)),
                adjusted_funding_rate_floor=fixed8(-rate_cap(contract)),
                funding_interval_hours=contract.funding_interval_hours,
            )
            for s, contract in self.futures.contracts.items()
            if adjusted(contract)
        ]

    def f_ticker_24hr(self, p: Params, _: ApiAccount | None) -> Any:
        symbol = self._opt_fsymbol(p)
        p.ensure_all_read()
        if symbol is not None:
            return self.futures_ticker(symbol)
        return [self.futures_ticker(s) for s in self.futures.contracts]

    def futures_ticker(self, symbol: str) -> FuturesTicker24hr:
        """The 24-hour statistics: the REST answer and the ``@ticker`` stream's source."""
        now = self._now()
        rolling = window_ticker(self.futures.tape, symbol, now - _DAY_MS, now, True)
        last = self.futures.tape.window(symbol, now - _DAY_MS, now).last
        return FuturesTicker24hr(
            last_qty=fixed8(last.qty if last else Decimal(0)), **msgspec.structs.asdict(rolling)
        )

    def f_open_interest(self, p: Params, _: ApiAccount | None) -> Any:
        """Every long position of every account (shorts are the same contracts seen from the
        other side, so they are not counted again)."""
        symbol = self._fsymbol(p)
        p.ensure_all_read()
        longs = [o.amt for a in self.futures.accounts.values() for o in a.open_positions(symbol) if o.amt > 0]
        total = sum(longs, Decimal(0))
        return OpenInterest(open_interest=fixed8(total), symbol=symbol, time=self._now())
