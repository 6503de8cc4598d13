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

**Smart liquidation** (Binance FAQ "Liquidation Protocols", support/faq/360033525271: all
open orders are cancelled,
then one large IOC order tries to reduce the margin requirement without liquidating the
user fully; if the account is margin compliant after that order's realized loss and the
liquidation fee, liquidation stops; else the position is closed at the bankruptcy price and
the insurance fund takes it over; the fee is charged on the amount liquidated only, and
holders of small positions are almost always liquidated whole). Where the FAQ is silent the
local exchange chooses, simply and deterministically:

* only a position whose notional at the mark lies above its first bracket tier, and whose
  margin balance behind it is still positive, gets the first order (a first-tier position,
  or one already bankrupt, is closed whole at once, as before);
* the first order (``smart_quantity``) brings the position's notional at the mark just
  below its tier's floor, into the tier beneath: the largest step multiple kept whose
  notional is under that floor; it is an IOC LIMIT at the bankruptcy price like every
  liquidation order, and its unfilled rest expires (no fund takes it);
* the liquidation fee on it (``smart_fee``) is its filled notional (at the fill prices)
  times the contract's first-tier maintenance margin rate (the FAQ's older text named one
  fixed rate per contract, 0.3 % on BTCUSDT, "on the amount liquidated"), booked as
  INSURANCE_CLEAR; an isolated position's loss and fee come out of its own wallet. Why
  that rate: an order filled near the mark then saves a position past its tier's floor
  (the maintenance margin it releases exceeds the fee), which a fee at the position's own
  tier rate never could (it would take all the margin the order released);
* the account is compliant again when the group is no longer condemned and no wallet it
  touched is negative; if not, the fee is not charged and the rest is closed whole as
  above, the clearance fee then taking what the whole liquidation left, so the account
  never pays twice.

Still simplified against Binance: there is no auto-deleveraging: the fund takes any amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from tradeexec.sim.futures.accounts import UNIT, FuturesWallet, OpenPosition
from tradeexec.sim.futures.brackets import bracket_for
from tradeexec.sim.futures.figures import Figures
from tradeexec.sim.futures.symbols import Contract

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


def smart_quantity(contract: Contract, amount: Decimal, mark: Decimal) -> Decimal:
    """How much the first order of a smart liquidation closes of a position of ``amount``
    at ``mark``: down to just under its tier's floor; zero for a first-tier position (or one
    that would be closed whole anyway)."""
    size = abs(amount)
    tier = bracket_for(contract.brackets, size * mark)
    if tier.bracket == 1:
        return ZERO
    step = contract.step
    keep = (tier.notional_floor / mark / step).to_integral_value(ROUND_FLOOR) * step
    if keep * mark >= tier.notional_floor:
        keep -= step
    return size - keep if keep > 0 else ZERO


def smart_fee(contract: Contract, quote: Decimal) -> Decimal:
    """The liquidation fee on ``quote`` liquidated by a smart liquidation's first order."""
    return (quote * contract.brackets[0].maint_margin_ratio).quantize(UNIT)


def still_condemned(figures: Figures, acct: FuturesWallet, group: Condemned) -> bool:
    """Whether ``group``'s positions (all of them, or the isolated one) are condemned still,
    or the account's wallet, or the isolated one, went negative."""
    if acct.wallet < 0 or (group.isolated and group.positions[0].isolated_wallet < 0):
        return True
    for g in condemned(figures, acct):
        if g.isolated == group.isolated and (not g.isolated or g.positions[0] is group.positions[0]):
            return True
    return False
