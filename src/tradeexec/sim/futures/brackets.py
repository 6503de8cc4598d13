"""Leverage brackets: the notional tiers that fix a position's maximum leverage, maintenance
margin rate and maintenance amount (``GET /fapi/v1/leverageBracket``).

The maintenance amount (``cum``) is not configured but derived, with Binance's published rule
(FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts", section "Maintenance
Amount formula"): ``cum[n] = floor[n] * (mmr[n] - mmr[n-1]) + cum[n-1]``, ``cum[1] = 0``. Deriving
it keeps the maintenance margin continuous across a tier boundary, which is what the formula is
for; a hand-typed table could silently break that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Bracket:
    bracket: int
    initial_leverage: int
    notional_floor: Decimal
    notional_cap: Decimal
    maint_margin_ratio: Decimal
    cum: Decimal


def build_brackets(tiers: Sequence[tuple[int, str, str]]) -> tuple[Bracket, ...]:
    """``tiers``: (max leverage, notional cap, maintenance margin rate) from the lowest tier up;
    each tier's floor is the cap below it and its ``cum`` follows the FAQ's rule."""
    out: list[Bracket] = []
    floor = _ZERO
    prev_mmr = _ZERO
    cum = _ZERO
    for i, (leverage, cap, mmr) in enumerate(tiers, start=1):
        rate = Decimal(mmr)
        cum = floor * (rate - prev_mmr) + cum if i > 1 else _ZERO
        out.append(Bracket(i, leverage, floor, Decimal(cap), rate, cum))
        floor, prev_mmr = Decimal(cap), rate
    return tuple(out)


def bracket_for(brackets: Sequence[Bracket], notional: Decimal) -> Bracket:
    """The tier whose [floor, cap) holds ``abs(notional)``; beyond the last cap, the last tier."""
    size = abs(notional)
    for b in brackets:
        if size < b.notional_cap:
            return b
    return brackets[-1]


def max_leverage(brackets: Sequence[Bracket], notional: Decimal) -> int:
    return bracket_for(brackets, notional).initial_leverage


# Tier shapes of Binance's BTCUSDT and ETHUSDT perpetual tables as published on the "Leverage &
# Margin" page (one reading; Binance revises them): the cap in USDT, max leverage, MMR.
BTC_TIERS: tuple[tuple[int, str, str], ...] = (
    (125, "50000", "0.004"),
    (100, "600000", "0.005"),
    (75, "3000000", "0.0065"),
    (50, "12000000", "0.01"),
    (25, "70000000", "0.02"),
    (20, "100000000", "0.025"),
    (10, "230000000", "0.05"),
    (5, "480000000", "0.1"),
    (4, "600000000", "0.125"),
    (3, "800000000", "0.15"),
    (2, "1200000000", "0.25"),
    (1, "1800000000", "0.5"),
)
ALT_TIERS: tuple[tuple[int, str, str], ...] = (
    (100, "10000", "0.005"),
    (75, "100000", "0.0065"),
    (50, "500000", "0.01"),
    (25, "1000000", "0.02"),
    (10, "5000000", "0.05"),
    (5, "10000000", "0.1"),
    (4, "20000000", "0.125"),
    (3, "30000000", "0.15"),
    (2, "50000000", "0.25"),
    (1, "100000000", "0.5"),
)
