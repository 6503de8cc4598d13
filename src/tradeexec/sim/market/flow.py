"""The takers' order flow of the synthetic markets (spot and futures alike): how many market
orders arrive in a step (Poisson) and each one's side and size (log-normal around a notional),
so that both markets trade the same way from the same settings."""

from __future__ import annotations

import math
import random
from decimal import Decimal

from tradeexec.binance.enums import Side
from tradeexec.sim.market.book_shape import TickGrid


def poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method: small rates only (a few arrivals per step)."""
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit and k < 1000:
        k += 1
        p *= rng.random()
    return k


def taker_order(
    rng: random.Random, notional: Decimal, noise: float, price: Decimal, grid: TickGrid
) -> tuple[Side, Decimal]:
    """A market order's side (even odds) and quantity: about ``notional`` of quote asset."""
    side = Side.BUY if rng.random() < 0.5 else Side.SELL
    size = notional * Decimal(repr(round(math.exp(rng.gauss(0.0, noise)), 6)))
    return side, grid.qty(size / price)
