"""Measuring the local exchange's market as a client would see it: after every engine call
(the event bus, which every stream is fed from) and on the books' snapshots."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from tradeexec.sim.engine import DepthEvent, Event, TradePrintEvent
from tradeexec.sim.state import SimState


@dataclass
class Watch:
    """Counts what a market-data client would have seen. ``empty_sides`` lists every moment
    (engine call) at which a symbol's book had no bid or no ask once it had had both;
    ``windows`` the number of distinct levels each diff window of ``window_ms`` touched."""

    state: SimState
    window_ms: int = 100
    empty_sides: list[tuple[str, int]] = field(default_factory=list)
    crossed: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)
    windows: dict[str, list[int]] = field(default_factory=dict)
    trades: dict[str, int] = field(default_factory=dict)
    _open: dict[str, tuple[int, set[tuple[bool, Decimal]]]] = field(default_factory=dict)
    _seen_both: set[str] = field(default_factory=set)

    def __call__(self, events: Sequence[Event]) -> None:
        engine = self.state.engine
        symbols = set()
        for ev in events:
            if isinstance(ev, DepthEvent):
                symbols.add(ev.symbol)
                self._diff(ev)
            elif isinstance(ev, TradePrintEvent):
                self.trades[ev.trade.symbol] = self.trades.get(ev.trade.symbol, 0) + 1
        for symbol in symbols:
            bid, _, ask, _ = engine.book_ticker(symbol)
            if bid > 0 and ask > 0:
                self._seen_both.add(symbol)
                if bid >= ask:
                    self.crossed.append((symbol, bid, ask))
            elif symbol in self._seen_both:
                self.empty_sides.append((symbol, self.state.now_ms()))

    def _diff(self, ev: DepthEvent) -> None:
        bucket = ev.event_time // self.window_ms
        start, levels = self._open.get(ev.symbol, (bucket, set()))
        if bucket != start:
            self.windows.setdefault(ev.symbol, []).append(len(levels))
            start, levels = bucket, set()
        levels.update((True, p) for p, _ in ev.bids)
        levels.update((False, p) for p, _ in ev.asks)
        self._open[ev.symbol] = (start, levels)


def quote_depth_within(state: SimState, symbol: str, fraction: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(mid, bid-side and ask-side quote value) of the levels within ``fraction`` of the mid."""
    snap = state.engine.depth(symbol, 5000)
    mid = (snap.bids[0][0] + snap.asks[0][0]) / 2
    bids = sum((p * q for p, q in snap.bids if p >= mid * (1 - fraction)), Decimal(0))
    asks = sum((p * q for p, q in snap.asks if p <= mid * (1 + fraction)), Decimal(0))
    return mid, bids, asks


async def wait_market_time(state: SimState, ms: int, *, wall_timeout_s: float) -> None:
    """Wait until the sim clock has moved ``ms`` forward (bounded in wall time)."""
    target = state.now_ms() + ms
    async with asyncio.timeout(wall_timeout_s):
        while state.now_ms() < target:
            await asyncio.sleep(0.02)


def percentile(values: Sequence[int], q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))]) if ordered else 0.0


def median(values: Sequence[int]) -> float:
    return float(statistics.median(values)) if values else 0.0
