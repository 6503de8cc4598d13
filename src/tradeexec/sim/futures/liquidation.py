"""Which positions a margin ratio of 100 % condemns, and the two prices and the fee of their
liquidation (Binance FAQ "Liquidation Protocols", "Insurance Fund"; the liquidation price
formula in ``margin.py`` is the mark price where the condition is first met).

* An isolated position is condemned alone when its maintenance margin reaches its isolated
  wallet plus its unrealized PnL; cross positions together, when the cross maintenance margin
  reaches the cross wallet plus the cross unrealized PnL.
* The **bankruptcy price** is where the margin balance behind the position would be zero
  if only its price moved: ``mark - balance / amount``. The liquidation order is an IOC
  LIMIT at that price, rounded to the tick in the holder's favour (``liquidator.py`` sends it
  through the book): every fill is at or better than bankruptcy, what the book cannot take
  there goes to the insurance fund at that same price, so the account's balance never ends
  below zero by the close (the fund carries a gap past bankruptcy).
* The **clearance fee** (INSURANCE_CLEAR) takes what the close left: an isolated position's
  account loses exactly its isolated wallet; the cross account pays what is left of its
  cross wallet up to the maintenance margin, and a negative wallet (rounding) is made zero.

Simplified against Binance (written down so that nobody mistakes it): the whole position
is closed at once (no partial "smart" liquidation of large positions), and there is no
auto-deleveraging: the fund takes any amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from tradeexec.sim.futures.accounts import UNIT, FuturesWallet, OpenPosition
from tradeexec.sim.futures.figures import Figures

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Condemned:
    """Positions to liquidate together: one isolated position, or every cross one.
    ``wallet`` is an isolated position's wallet, ``maint`` the group's maintenance margin,
    both as they were when condemned."""

    positions: tuple[OpenPosition, ...]
    isolated: bool
    wallet: Decimal
    maint: Decimal


def condemned(figures: Figures, acct: FuturesWallet) -> list[Condemned]:
    out: list[Condemned] = []
    figs = figures.positions(acct)
    for f in figs:
        if f.isolated and f.maint_margin >= f.isolated_margin:
            out.append(Condemned((f.position,), True, f.position.isolated_wallet, f.maint_margin))
    cross = [f for f in figs if not f.isolated]
    if not cross:
        return out
    maint = sum((f.maint_margin for f in cross), ZERO)
    if maint >= cross_balance(figures, acct):
        out.append(Condemned(tuple(f.position for f in cross), False, ZERO, maint))
    return out


def cross_balance(figures: Figures, acct: FuturesWallet) -> Decimal:
    """The cross margin balance: the cross wallet plus every cross position's unrealized PnL."""
    unrealized = sum((f.unrealized for f in figures.positions(acct) if not f.isolated), ZERO)
    return acct.cross_wallet() + unrealized


def margin_behind(figures: Figures, acct: FuturesWallet, pos: OpenPosition, isolated: bool) -> Decimal:
    """The margin balance that stands behind ``pos``: its own for an isolated position, the
    cross margin balance for a cross one."""
    if isolated:
        return figures.position(acct, pos).isolated_margin
    return cross_balance(figures, acct)


def bankruptcy_price(amount: Decimal, mark: Decimal, balance: Decimal, tick: Decimal) -> Decimal:
    """Where ``balance`` reaches zero as the position's price moves from ``mark``, on the
    tick in the holder's favour (up for a long's sell, down for a short's buy), never below
    one tick."""
    raw = mark - balance / amount
    rounding = ROUND_CEILING if amount > 0 else ROUND_FLOOR
    return max((raw / tick).to_integral_value(rounding) * tick, tick)


def clearance(group: Condemned, acct: FuturesWallet, realized: Decimal) -> Decimal:
    """The INSURANCE_CLEAR amount the account receives (negative: the fee) once ``group``
    was closed with ``realized`` PnL."""
    if group.isolated:
        return -(group.wallet + realized)
    left = acct.cross_wallet()
    return -min(left, group.maint.quantize(UNIT)) if left > 0 else -left
