"""Exact decimal arithmetic on price and quantity grids: rounding onto ``base + k * step``,
grid membership, and printing numbers the way the exchange does. ``Rounding`` (the modes) is
the venue-neutral one of ``tradeexec.venue.rules``."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal

from tradeexec.venue.rules import Rounding

__all__ = ["Rounding", "decimal_places", "exact_mul", "floor_div", "on_grid", "plain", "to_grid"]

# ---------------------------------------------------------------------------------------------
# Exact decimal arithmetic. Comparisons of Decimals are exact, but products and remainders
# round to the current context's precision (28 digits by default; Binance's numbers have up to
# 40), so they are computed in a context that cannot round: exact for every finite operand, and
# cheaper than rebuilding the numbers' digits as integers.

_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def _significant_exponent(value: Decimal) -> int:
    """The exponent of ``value`` without its trailing zeros (``0.01000000`` -> -2)."""
    if not value:
        return 0
    exp = _EXACT.normalize(value).as_tuple().exponent
    assert isinstance(exp, int), "only finite values reach here"
    return exp


def exact_mul(a: Decimal, b: Decimal) -> Decimal:
    """``a * b`` without rounding (the default context keeps only 28 digits)."""
    return _EXACT.multiply(a, b)


def on_grid(value: Decimal, base: Decimal, step: Decimal) -> bool:
    return not _EXACT.remainder(_EXACT.subtract(value, base), step)


def floor_div(value: Decimal, step: Decimal) -> tuple[int, Decimal]:
    """``value // step`` floored (Decimal's divmod truncates toward zero) and the remainder,
    which is then in ``[0, step)``; ``step`` is positive."""
    k, rest = _EXACT.divmod(value, step)
    if rest < 0:
        return int(k) - 1, _EXACT.add(rest, step)
    return int(k), rest


@dataclass(frozen=True, slots=True)
class _Grid:
    """The points ``base + k * step`` (``step`` positive), with what rounding onto them needs
    worked out once: a symbol's grids are the same for every order."""

    base: Decimal
    step: Decimal
    quantum: Decimal  # 1 at the grid's exponent, so results print like the exchange's numbers
    origin_odd: bool  # whether ``base`` lies an odd (floored) count of steps from zero

    @classmethod
    def of(cls, base: Decimal, step: Decimal) -> _Grid:
        grid_exp = min(_significant_exponent(base), _significant_exponent(step))
        return cls(base, step, Decimal((0, (1,), grid_exp)), floor_div(base, step)[0] % 2 == 1)

    def round(self, value: Decimal, mode: Rounding) -> Decimal:
        k, rest = floor_div(_EXACT.subtract(value, self.base), self.step)
        if rest and (mode is Rounding.UP or (mode is Rounding.NEAREST and self._past_half(k, rest))):
            k += 1
        return _EXACT.fma(self.step, k, self.base).quantize(self.quantum, context=_EXACT)

    def _past_half(self, k: int, rest: Decimal) -> bool:
        # A tie goes to the grid point with an even count of steps from zero (from the grid's
        # origin below zero when minPrice/minQty is not itself on the step grid).
        twice = _EXACT.add(rest, rest)
        return twice > self.step or (twice == self.step and (k % 2 == 1) != self.origin_odd)


@functools.lru_cache(maxsize=256)
def _grid(base: Decimal, step: Decimal) -> _Grid:
    return _Grid.of(base, step)


def to_grid(value: Decimal, base: Decimal, step: Decimal, mode: Rounding) -> Decimal:
    """The point ``base + k * step`` chosen by ``mode``, written with the grid's exponent so
    that it prints like the exchange's own numbers (``0.01`` steps give ``123.45``)."""
    return _grid(base, step).round(value, mode)


def plain(value: Decimal) -> str:
    """A number for a human: no exponent, no trailing zeros (``0.00010000`` -> ``0.0001``)."""
    if not value.is_finite():
        return str(value)
    if not value:
        return "0"
    sign, digits, exp = value.as_tuple()
    assert isinstance(exp, int)
    trimmed = list(digits)
    while exp < 0 and len(trimmed) > 1 and trimmed[-1] == 0:
        trimmed.pop()
        exp += 1
    return format(Decimal((sign, tuple(trimmed), exp)), "f")


def decimal_places(value: Decimal) -> int:
    """Significant decimal places (trailing zeros do not count)."""
    return max(0, -_significant_exponent(value))
