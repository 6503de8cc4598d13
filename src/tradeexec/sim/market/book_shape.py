"""The shape of the synthetic market's order book: where the levels are and how much each holds.

Pure functions of (mid, grid, parameters, random source) so that they can be property-tested
on their own: the quoter (``sim/quoter.py``) decides which of these levels actually change on
the exchange. The shape follows what real spot books look like: levels dense near the mid and
sparser away from it (offsets grow with the square of the level index), and sizes that grow
away from the mid with some noise, so that a normal order fills within a few basis points while
a sweep of the whole side has to move the price by about ``span``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

Level = tuple[Decimal, Decimal]  # (price, quantity)


@dataclass(slots=True, frozen=True)
class TickGrid:
    """A symbol's price tick and quantity step (PRICE_FILTER.tickSize, LOT_SIZE.stepSize)."""

    tick: Decimal
    step: Decimal

    def floor_price(self, value: Decimal) -> Decimal:
        return (value / self.tick).to_integral_value(ROUND_FLOOR) * self.tick

    def ceil_price(self, value: Decimal) -> Decimal:
        return (value / self.tick).to_integral_value(ROUND_CEILING) * self.tick

    def qty(self, value: Decimal) -> Decimal:
        """Down to the step, but never below one step (a level always holds something)."""
        return max(self.step, (value / self.step).to_integral_value(ROUND_FLOOR) * self.step)


@dataclass(slots=True, frozen=True)
class ShapeParams:
    """``levels`` per side, the last about ``span`` (relative) beyond the best; level ``i`` holds about
    ``top_qty_quote * (1 + growth * i)`` of quote asset, times a log-normal noise of
    ``qty_noise`` (sigma)."""

    levels: int = 60
    span: float = 0.008
    top_qty_quote: Decimal = Decimal("10000")
    growth: float = 0.1
    qty_noise: float = 0.35


def offsets(params: ShapeParams, ref_price: Decimal, tick: Decimal) -> list[int]:
    """Distance of each level from the side's best price in ticks: 0 first, strictly
    increasing, the last about ``span`` of ``ref_price`` away."""
    span_ticks = max(float(ref_price * Decimal(str(params.span)) / tick), float(params.levels))
    last = max(params.levels - 1, 1)
    out: list[int] = []
    for i in range(params.levels):
        off = math.floor(span_ticks * (i / last) ** 2)
        out.append(max(off, out[-1] + 1) if out else 0)
    return out


def top_of_book(mid: Decimal, grid: TickGrid, spread_ticks: int) -> tuple[Decimal, Decimal]:
    """Best bid and ask ``spread_ticks`` (at least one) apart around ``mid``."""
    spread = max(spread_ticks, 1) * grid.tick
    bid = max(grid.floor_price(mid - spread / 2), grid.tick)
    return bid, bid + spread


def level_qty(params: ShapeParams, index: int, price: Decimal, grid: TickGrid, rng: random.Random) -> Decimal:
    """The size of a new level ``index`` levels from the best, on the step grid."""
    noise = math.exp(rng.gauss(0.0, params.qty_noise)) if params.qty_noise > 0 else 1.0
    scale = Decimal(str(round((1.0 + params.growth * index) * noise, 6)))
    return grid.qty(params.top_qty_quote * scale / price)


def side_prices(params: ShapeParams, best: Decimal, grid: TickGrid, *, bid: bool) -> list[Decimal]:
    """The level prices of one side from its best price outwards, above zero."""
    out: list[Decimal] = []
    for off in offsets(params, best, grid.tick):
        price = best - off * grid.tick if bid else best + off * grid.tick
        if price <= 0:
            break
        out.append(price)
    return out


def book(
    params: ShapeParams, mid: Decimal, grid: TickGrid, rng: random.Random, *, spread_ticks: int = 1
) -> tuple[list[Level], list[Level]]:
    """A whole fresh book around ``mid``: (bids, asks), each best first."""
    best_bid, best_ask = top_of_book(mid, grid, spread_ticks)
    bids = [
        (p, level_qty(params, i, p, grid, rng))
        for i, p in enumerate(side_prices(params, best_bid, grid, bid=True))
    ]
    asks = [
        (p, level_qty(params, i, p, grid, rng))
        for i, p in enumerate(side_prices(params, best_ask, grid, bid=False))
    ]
    return bids, asks
