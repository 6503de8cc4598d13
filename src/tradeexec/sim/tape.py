"""The public trade history of every symbol, from which klines, 24-hour and rolling tickers
and the average price are computed.

Kept apart from the engine because the engine only has to remember what matching needs,
while market data needs every trade in time order; fed from the event bus so trades from any
source (user orders, the synthetic market, a replay) count the same.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from tradeexec.sim.engine import Event, TradePrint, TradePrintEvent

MAX_TRADES_PER_SYMBOL = 200_000


@dataclass(slots=True)
class Candle:
    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    count: int
    taker_buy_volume: Decimal
    taker_buy_quote_volume: Decimal

    @classmethod
    def opened_by(cls, t: TradePrint, open_time: int, close_time: int) -> Candle:
        """The candle whose first trade is ``t``. The one place a candle is built from trades,
        for both the REST klines and the kline streams, so the two can never disagree."""
        taker_buy = not t.is_buyer_maker
        zero = Decimal(0)
        return cls(
            open_time, close_time, t.price, t.price, t.price, t.price, t.qty, t.quote_qty, 1,
            t.qty if taker_buy else zero, t.quote_qty if taker_buy else zero,
        )  # fmt: skip

    def add(self, t: TradePrint) -> None:
        """Fold a later trade of the same interval into the candle."""
        self.high = max(self.high, t.price)
        self.low = min(self.low, t.price)
        self.close = t.price
        self.volume += t.qty
        self.quote_volume += t.quote_qty
        self.count += 1
        if not t.is_buyer_maker:
            self.taker_buy_volume += t.qty
            self.taker_buy_quote_volume += t.quote_qty


@dataclass(slots=True)
class WindowStats:
    """What a ticker reports over a time window; prices None when there was no trade."""

    open_price: Decimal | None
    high: Decimal | None
    low: Decimal | None
    last: TradePrint | None
    volume: Decimal
    quote_volume: Decimal
    first_id: int
    last_id: int
    count: int


class TradeTape:
    def __init__(self, symbols: Iterable[str]) -> None:
        self._trades: dict[str, deque[TradePrint]] = {s: deque(maxlen=MAX_TRADES_PER_SYMBOL) for s in symbols}
        self._times: dict[str, deque[int]] = {s: deque(maxlen=MAX_TRADES_PER_SYMBOL) for s in self._trades}

    def on_events(self, events: Sequence[Event]) -> None:
        for ev in events:
            if isinstance(ev, TradePrintEvent):
                self.add(ev.trade)

    def add(self, trade: TradePrint) -> None:
        trades = self._trades.get(trade.symbol)
        if trades is None:
            return
        trades.append(trade)
        self._times[trade.symbol].append(trade.time)

    def trades(self, symbol: str, start: int | None = None, end: int | None = None) -> list[TradePrint]:
        """Trades with ``start <= time <= end``, oldest first."""
        trades = self._trades.get(symbol)
        if not trades:
            return []
        times = self._times[symbol]
        lo = 0 if start is None else bisect.bisect_left(times, start)
        hi = len(times) if end is None else bisect.bisect_right(times, end)
        return [trades[i] for i in range(lo, hi)]

    def last_trade(self, symbol: str) -> TradePrint | None:
        trades = self._trades.get(symbol)
        return trades[-1] if trades else None

    def window(self, symbol: str, start: int, end: int) -> WindowStats:
        trades = self.trades(symbol, start, end)
        if not trades:
            return WindowStats(None, None, None, None, Decimal(0), Decimal(0), -1, -1, 0)
        prices = [t.price for t in trades]
        return WindowStats(
            open_price=trades[0].price,
            high=max(prices),
            low=min(prices),
            last=trades[-1],
            volume=sum((t.qty for t in trades), Decimal(0)),
            quote_volume=sum((t.quote_qty for t in trades), Decimal(0)),
            first_id=trades[0].trade_id,
            last_id=trades[-1].trade_id,
            count=len(trades),
        )

    def average_price(self, symbol: str, now_ms: int, minutes: int) -> Decimal | None:
        """Volume-weighted price of the last ``minutes``, or the last price if none traded."""
        stats = self.window(symbol, now_ms - minutes * 60_000, now_ms)
        if stats.volume > 0:
            return stats.quote_volume / stats.volume
        last = self.last_trade(symbol)
        return last.price if last else None

    def klines(
        self, symbol: str, interval_ms: int, *, start: int | None, end: int | None, limit: int, now_ms: int
    ) -> list[Candle]:
        """Buckets aligned to ``interval_ms`` from epoch, only those with trades, like Binance's
        klines for an idle symbol (it returns no candle where nothing traded)."""
        if start is None and end is None:
            end = now_ms
            start = (now_ms // interval_ms - limit + 1) * interval_ms
        trades = self.trades(symbol, start, end)
        buckets: dict[int, Candle] = {}
        for t in trades:
            open_time = t.time // interval_ms * interval_ms
            k = buckets.get(open_time)
            if k is None:
                buckets[open_time] = Candle.opened_by(t, open_time, open_time + interval_ms - 1)
            else:
                k.add(t)
        out = [buckets[k] for k in sorted(buckets)]
        return out[-limit:] if start is None else out[:limit]
