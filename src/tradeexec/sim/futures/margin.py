"""Margin arithmetic of USDⓈ-M futures, as Binance publishes it. Pure functions of Decimals.

Sources (Binance FAQ, USDⓈ-M futures):
* "How to Calculate Unrealized PnL": long ``(mark - entry) * size``, short
  ``(entry - mark) * size``; with the signed position amount both are ``amt * (mark - entry)``.
* "Leverage and Margin of USDⓈ-M Futures": initial margin ``notional / leverage``; maintenance
  margin ``notional * maintenance margin rate - maintenance amount`` on the position's tier.
* "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts" (cross margin):

      LP = (WB - TMM1 + UPNL1 + cum_B + cum_L + cum_S
            - Side_B * Pos_B * EP_B - Pos_L * EP_L + Pos_S * EP_S)
           / (Pos_B * MMR_B + Pos_L * MMR_L + Pos_S * MMR_S - Side_B * Pos_B - Pos_L + Pos_S)

  WB is the cross wallet balance, TMM1 and UPNL1 the maintenance margin and unrealized PnL of
  every other cross position; for an isolated position WB is its isolated wallet and
  TMM1 = UPNL1 = 0. When the tier at the liquidation price differs from the tier assumed, the
  FAQ says to substitute that tier's rate and amount and recompute; ``liquidation_price`` does.
* Margin ratio ``maintenance margin / margin balance``; liquidation at 100 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tradeexec.sim.futures.brackets import Bracket, bracket_for

ZERO = Decimal(0)


def unrealized_pnl(amt: Decimal, entry: Decimal, mark: Decimal) -> Decimal:
    return amt * (mark - entry)


def notional(amt: Decimal, mark: Decimal) -> Decimal:
    return abs(amt) * mark


def initial_margin(amt: Decimal, mark: Decimal, leverage: int) -> Decimal:
    return notional(amt, mark) / leverage


def maint_margin(amt: Decimal, mark: Decimal, brackets: Sequence[Bracket]) -> Decimal:
    value = notional(amt, mark)
    if not value:
        return ZERO
    tier = bracket_for(brackets, value)
    return value * tier.maint_margin_ratio - tier.cum


@dataclass(frozen=True, slots=True)
class Leg:
    """One position of the symbol in the formula: ``amt`` signed (long > 0), its entry price."""

    amt: Decimal
    entry: Decimal


def liquidation_price(
    wallet: Decimal,
    legs: Sequence[Leg],
    brackets: Sequence[Bracket],
    mark: Decimal,
    *,
    other_maint: Decimal = ZERO,
    other_upnl: Decimal = ZERO,
) -> Decimal:
    """The FAQ formula above; 0 when there is no position or the price would be <= 0 (Binance
    shows "0" then). Each leg's tier starts at its notional at ``mark`` and is replaced by the
    tier at the computed price until they agree (at most one pass per tier)."""
    live = [leg for leg in legs if leg.amt]
    if not live:
        return ZERO
    tiers = [bracket_for(brackets, notional(leg.amt, mark)) for leg in live]
    price = ZERO
    for _ in range(len(brackets) + 1):
        num = wallet - other_maint + other_upnl
        den = ZERO
        for leg, tier in zip(live, tiers, strict=True):
            size = abs(leg.amt)
            side = 1 if leg.amt > 0 else -1
            num += tier.cum - side * size * leg.entry
            den += size * tier.maint_margin_ratio - side * size
        if not den:
            return ZERO
        price = num / den
        if price <= 0:
            return ZERO
        again = [bracket_for(brackets, notional(leg.amt, price)) for leg in live]
        if again == tiers:
            break
        tiers = again
    return price


def margin_ratio(maint: Decimal, margin_balance: Decimal) -> Decimal:
    """Maintenance margin over margin balance; a balance at or below zero is past 100 %."""
    if margin_balance <= 0:
        return Decimal("Infinity") if maint > 0 or margin_balance < 0 else ZERO
    return maint / margin_balance
