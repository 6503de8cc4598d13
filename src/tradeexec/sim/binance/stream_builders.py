"""What interval streams accumulate between two timer ticks: the depth diff of one symbol
(engine update ids kept, so diffs stay continuous with the REST snapshot) and the open
candle of one kline stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from tradeexec.sim.binance import formats
from tradeexec.sim.engine import DepthEvent, TradePrint
from tradeexec.sim.tape import Candle


class DepthDiff(NamedTuple):
    """One interval's merged diff: engine ids ``first_id``..``last_id``, ``prev_id`` the last id
    of the interval before (the ``pu`` futures diffs carry), levels sorted best first."""

    first_id: int
    last_id: int
    prev_id: int
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]


@dataclass(slots=True)
class DepthAccumulator:
    """Engine depth events merged over one interval: the last quantity per level wins."""

    first_id: int = -1
    last_id: int = -1
    prev_id: int = -1
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

    def take(self) -> DepthDiff | None:
        """The interval's diff, or None when nothing changed; starts the next interval. The
        engine's ids are continuous, so the first interval's predecessor ends at U - 1."""
        if self.first_id < 0:
            return None
        prev = self.prev_id if self.prev_id >= 0 else self.first_id - 1
        diff = DepthDiff(
            self.first_id,
            self.last_id,
            prev,
            sorted(self.bids.items(), reverse=True),
            sorted(self.asks.items()),
        )
        self.prev_id = self.last_id
        self.first_id = self.last_id = -1
        self.bids.clear()
        self.asks.clear()
        return diff

    def flush(self, symbol: str, event_time: int) -> bytes | None:
        """Spot's ``depthUpdate`` of the interval."""
        diff = self.take()
        if diff is None:
            return None
        return formats.depth_update(
            symbol,
            first_id=diff.first_id,
            last_id=diff.last_id,
            bids=diff.bids,
            asks=diff.asks,
            event_time=event_time,
        )


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
