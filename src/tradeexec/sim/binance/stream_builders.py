"""What interval streams accumulate between two timer ticks: the depth diff of one symbol
(engine update ids kept, so diffs stay continuous with the REST snapshot) and the open
candle of one kline stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tradeexec.sim.binance import formats
from tradeexec.sim.engine import DepthEvent, TradePrint
from tradeexec.sim.tape import Candle


@dataclass(slots=True)
class DepthAccumulator:
    """Engine depth events merged over one interval: the last quantity per level wins."""

    first_id: int = -1
    last_id: int = -1
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)

    def add(self, ev: DepthEvent) -> None:
        if self.first_id < 0:
            self.first_id = ev.first_update_id
        self.last_id = ev.last_update_id
        for price, qty in ev.bids:
            self.bids[price] = qty
        for price, qty in ev.asks:
            self.asks[price] = qty

    def flush(self, symbol: str, event_time: int) -> bytes | None:
        if self.first_id < 0:
            return None
        payload = formats.depth_update(
            symbol,
            first_id=self.first_id,
            last_id=self.last_id,
            bids=sorted(self.bids.items(), reverse=True),
            asks=sorted(self.asks.items()),
            event_time=event_time,
        )
        self.first_id = self.last_id = -1
        self.bids.clear()
        self.asks.clear()
        return payload


@dataclass(slots=True)
class KlineBuilder:
    """The open candle of one symbol and interval, kept up to date from the trade tape."""

    symbol: str
    interval: str
    interval_ms: int
    open_time: int
    kline: Candle | None = None
    first_id: int = -1
    last_id: int = -1
    last_price: Decimal | None = None

    def add(self, t: TradePrint) -> None:
        if self.kline is None:
            self.kline = Candle.opened_by(t, self.open_time, self.close_time)
            self.first_id = t.trade_id
        else:
            self.kline.add(t)
        self.last_id = t.trade_id
        self.last_price = t.price

    @property
    def close_time(self) -> int:
        return self.open_time + self.interval_ms - 1

    def payload(self, closed: bool, event_time: int) -> bytes:
        return formats.kline(
            self.symbol,
            self.interval,
            open_time=self.open_time,
            close_time=self.close_time,
            k=self.kline,
            first_id=self.first_id,
            last_id=self.last_id,
            closed=closed,
            event_time=event_time,
            last_price=self.last_price,
        )

    def roll(self, now_ms: int) -> None:
        self.open_time = now_ms // self.interval_ms * self.interval_ms
        self.kline = None
        self.first_id = self.last_id = -1
