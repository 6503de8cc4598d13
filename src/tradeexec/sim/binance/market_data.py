"""Market data endpoints: ping, time, exchangeInfo, depth, trades, klines, avgPrice, tickers."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import msgspec

from tradeexec.binance.enums import KlineInterval
from tradeexec.binance.models import (
    AggTrade,
    AvgPrice,
    BookTicker,
    EmptyResponse,
    Kline,
    OrderBook,
    ServerTime,
    TickerMini,
    TickerPrice,
    Trade,
)
from tradeexec.binance.models.wire import (
    WireOrderBook,
    WireRollingTicker,
    WireTicker24hr,
    fixed8,
    fixed8_levels,
)
from tradeexec.sim.binance import views
from tradeexec.sim.binance.dispatch import ServiceBase, read_limit
from tradeexec.sim.engine import TradePrint
from tradeexec.sim.params import ApiError, Params, illegal
from tradeexec.sim.state import ApiAccount
from tradeexec.sim.tape import TradeTape

_ZERO = Decimal(0)
_NO_LEVEL = (_ZERO, _ZERO)
_PERCENT = Decimal("0.001")  # Binance's priceChangePercent has three decimals
_ROLLING_UNITS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000}


class MarketDataOps(ServiceBase):
    """The public market data endpoints, read from the engine and the trade tape."""

    def ping(self, p: Params, _: ApiAccount | None) -> EmptyResponse:
        p.ensure_all_read()
        return EmptyResponse()

    def time(self, p: Params, _: ApiAccount | None) -> ServerTime:
        p.ensure_all_read()
        return ServerTime(server_time=self._now())

    def exchange_info(self, p: Params, _: ApiAccount | None) -> dict[str, Any]:
        symbols = self._symbols(p)
        permissions = p.get("permissions")
        p.mark_read("showPermissionSets", "symbolStatus")
        p.ensure_all_read()
        infos = [self.state.symbol_info[s] for s in (symbols or self.state.symbol_info)]
        if permissions:
            wanted = set(json.loads(permissions)) if permissions.startswith("[") else {permissions}
            infos = [i for i in infos if wanted & set(_permissions_of(i))]
        return {
            "timezone": "UTC",
            "serverTime": self._now(),
            "rateLimits": self.state.limiter.rate_limits(),
            "exchangeFilters": [],
            "symbols": infos,
        }

    def depth(self, p: Params, _: ApiAccount | None) -> OrderBook:
        symbol = self._symbol(p)
        limit = self._limit(p, 100, 5000)
        p.ensure_all_read()
        snap = self.state.engine.depth(symbol, limit)
        return WireOrderBook(
            last_update_id=snap.last_update_id, bids=fixed8_levels(snap.bids), asks=fixed8_levels(snap.asks)
        )

    def trades(self, p: Params, _: ApiAccount | None) -> list[Trade]:
        symbol = self._symbol(p)
        limit = self._limit(p, 500, 1000)
        p.ensure_all_read()
        return [views.public_trade(t) for t in self.state.engine.recent_trades(symbol, limit)]

    def historical_trades(self, p: Params, _: ApiAccount | None) -> list[Trade]:
        symbol = self._symbol(p)
        limit = self._limit(p, 500, 1000)
        from_id = p.integer("fromId")
        p.ensure_all_read()
        return [views.public_trade(t) for t in self.state.engine.recent_trades(symbol, limit, from_id)]

    def agg_trades(self, p: Params, _: ApiAccount | None) -> list[AggTrade]:
        return [views.agg_trade(t) for t in agg_trade_prints(self.state.tape, self._symbol(p), p)]

    def klines(self, p: Params, _: ApiAccount | None) -> list[Kline]:
        return kline_rows(self.state.tape, self._symbol(p), p, self._now())

    ui_klines = klines  # the same candles: Binance tunes uiKlines for charts, not the shape

    def avg_price(self, p: Params, _: ApiAccount | None) -> AvgPrice:
        symbol = self._symbol(p)
        p.ensure_all_read()
        now = self._now()
        price = self.state.tape.average_price(symbol, now, 5) or Decimal(0)
        last = self.state.tape.last_trade(symbol)
        return AvgPrice(mins=5, price=fixed8(price), close_time=last.time if last else now)

    def _ticker(self, symbol: str, start: int, end: int, full: bool) -> TickerMini:
        """The statistics of ``[start, end]``: the MINI shape, or with ``full`` the rolling
        FULL shape (and, over the last 24 hours, what ``_ticker_24h`` adds to it)."""
        return window_ticker(self.state.tape, symbol, start, end, full)

    def _ticker_24h(self, symbol: str, full: bool) -> TickerMini:
        now = self._now()
        base = self._ticker(symbol, now - 86_400_000, now, full)
        if not full:
            return base
        stats = self.state.tape.window(symbol, now - 86_400_000, now)
        book = self._book(symbol)
        return WireTicker24hr(
            prev_close_price=base.open_price,
            last_qty=fixed8(stats.last.qty if stats.last else _ZERO),
            bid_price=book.bid_price,
            bid_qty=book.bid_qty,
            ask_price=book.ask_price,
            ask_qty=book.ask_qty,
            **msgspec.structs.asdict(base),
        )

    def _ticker_type(self, p: Params) -> bool:
        kind = p.get("type") or "FULL"
        if kind not in ("FULL", "MINI"):
            raise ApiError(
                -1100, "Illegal characters found in parameter 'type'; legal range is 'FULL, MINI'."
            )
        return kind == "FULL"

    def ticker_24hr(self, p: Params, _: ApiAccount | None) -> Any:
        symbols = self._symbols(p)
        full = self._ticker_type(p)
        p.ensure_all_read()
        rows = [self._ticker_24h(s, full) for s in (symbols or self.state.symbol_info)]
        return rows[0] if p.get("symbol") else rows

    def rolling_ticker(self, p: Params, _: ApiAccount | None) -> Any:
        symbols = self._symbols(p)
        if symbols is None:
            raise ApiError(-1102, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!")
        window = p.get("windowSize") or "1d"
        full = self._ticker_type(p)
        p.ensure_all_read()
        m = re.fullmatch(r"([0-9]{1,3})([mhd])", window)
        size = int(m.group(1)) * _ROLLING_UNITS[m.group(2)] if m else 0
        if not m or not 60_000 <= size <= 7 * 86_400_000:
            raise illegal("windowSize", "^[0-9]{1,3}[mhd]$")
        now = self._now()
        rows = [self._ticker(s, now - size, now, full) for s in symbols]
        return rows[0] if p.get("symbol") else rows

    def ticker_price(self, p: Params, _: ApiAccount | None) -> Any:
        symbols = self._symbols(p)
        p.ensure_all_read()
        rows = []
        for s in symbols or self.state.symbol_info:
            last = self.state.tape.last_trade(s)
            rows.append(TickerPrice(symbol=s, price=fixed8(last.price if last else _ZERO)))
        return rows[0] if p.get("symbol") else rows

    def _book(self, symbol: str) -> BookTicker:
        snap = self.state.engine.depth(symbol, 1)
        bid = snap.bids[0] if snap.bids else _NO_LEVEL
        ask = snap.asks[0] if snap.asks else _NO_LEVEL
        return BookTicker(
            symbol=symbol,
            bid_price=fixed8(bid[0]),
            bid_qty=fixed8(bid[1]),
            ask_price=fixed8(ask[0]),
            ask_qty=fixed8(ask[1]),
        )

    def book_ticker(self, p: Params, _: ApiAccount | None) -> Any:
        symbols = self._symbols(p)
        p.ensure_all_read()
        rows = [self._book(s) for s in symbols or self.state.symbol_info]
        return rows[0] if p.get("symbol") else rows


def _permissions_of(info: dict[str, Any]) -> list[str]:
    perms = info.get("permissions") or []
    for group in info.get("permissionSets") or []:
        perms = [*perms, *group]
    return [str(x) for x in perms]


def agg_trade_prints(tape: TradeTape, symbol: str, p: Params) -> list[TradePrint]:
    """The trades an aggTrades request selects (spot's tape or the futures engine's): by
    ``fromId``, by ``startTime``/``endTime``, or the most recent; never both ways at once."""
    from_id = p.integer("fromId")
    start, end = p.integer("startTime"), p.integer("endTime")
    limit = read_limit(p, 500, 1000)
    p.ensure_all_read()
    if from_id is not None and (start is not None or end is not None):
        raise ApiError(-1128, "Combination of optional parameters invalid.")
    if start is not None or end is not None:
        return tape.trades(symbol, start, end)[:limit]
    if from_id is not None:
        return [t for t in tape.trades(symbol) if t.trade_id >= from_id][:limit]
    return tape.trades(symbol)[-limit:]


def window_ticker(tape: TradeTape, symbol: str, start: int, end: int, full: bool) -> TickerMini:
    """The statistics of ``[start, end]`` on a trade tape (spot's, or the futures engine's):
    the MINI shape, or with ``full`` the rolling FULL shape."""
    stats = tape.window(symbol, start, end)
    last = stats.last.price if stats.last else _ZERO
    open_ = stats.open_price if stats.open_price is not None else _ZERO
    mini = TickerMini(
        symbol=symbol,
        open_price=fixed8(open_),
        high_price=fixed8(stats.high or _ZERO),
        low_price=fixed8(stats.low or _ZERO),
        last_price=fixed8(last),
        volume=fixed8(stats.volume),
        quote_volume=fixed8(stats.quote_volume),
        open_time=start,
        close_time=end,
        first_id=stats.first_id,
        last_id=stats.last_id,
        count=stats.count,
    )
    if not full:
        return mini
    change = last - open_
    pct = (change / open_ * 100) if open_ else _ZERO
    wavg = stats.quote_volume / stats.volume if stats.volume else _ZERO
    return WireRollingTicker(
        price_change=fixed8(change),
        price_change_percent=pct.quantize(_PERCENT),
        weighted_avg_price=fixed8(wavg),
        **msgspec.structs.asdict(mini),
    )


def kline_rows(
    tape: TradeTape, symbol: str, p: Params, now_ms: int, *, max_limit: int = 1000
) -> list[Kline]:
    """The klines answer from a trade tape (spot's, the futures engine's, or its mark price
    samples: one shape). ``max_limit``: spot takes 1000 candles, futures 1500."""
    raw_interval = p.require("interval")
    try:
        interval = KlineInterval(raw_interval)
    except ValueError:
        raise ApiError(-1120, "Invalid interval.") from None
    start, end = p.integer("startTime"), p.integer("endTime")
    p.mark_read("timeZone")
    limit = read_limit(p, 500, max_limit)
    p.ensure_all_read()
    if start is not None and end is not None and start > end:
        raise ApiError(-1128, "Combination of optional parameters invalid.")
    rows = tape.klines(symbol, interval.milliseconds, start=start, end=end, limit=limit, now_ms=now_ms)
    return [
        Kline(
            open_time=k.open_time,
            open=fixed8(k.open),
            high=fixed8(k.high),
            low=fixed8(k.low),
            close=fixed8(k.close),
            volume=fixed8(k.volume),
            close_time=k.close_time,
            quote_volume=fixed8(k.quote_volume),
            trades=k.count,
            taker_buy_base=fixed8(k.taker_buy_volume),
            taker_buy_quote=fixed8(k.taker_buy_quote_volume),
            ignore="0",
        )
        for k in rows
    ]
