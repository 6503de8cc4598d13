"""Pre-trade limits of a derivatives account: what a leveraged position adds to ``risk.py``.

A position can lose more than the order's notional and the venue closes it by itself at the
liquidation price, so beside the spot limits an order on a leg is checked for: the symbol's
leverage (``max_leverage``), the leg's notional at the mark after the order
(``max_position_notional``) and how close the order brings the liquidation price to the mark
(``min_liquidation_distance``, a fraction of the mark). Only an order that grows its leg is
checked: one that only shrinks it lowers every figure, and refusing it would keep a trader
from getting out. Once the kill switch has tripped, only such orders pass.

The liquidation price after the order is an estimate, cross or isolated alike, by Binance's
formula for one position (Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures
Contracts", https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93; the
local exchange's ``sim/futures/margin.py`` computes it whole):

    long:  LP = (size * entry - WB) / (size * (1 - MMR))
    short: LP = (size * entry + WB) / (size * (1 + MMR))

where WB is the margin behind the position; the maintenance amount (``cum``) is left out,
which moves the estimate towards the mark (the safe side). The venue's own liquidation price of the leg
before the order gives WB (the same formula solved for it), so the estimate carries the
venue's view of the account's other positions; with no such figure (a flat leg, or the venue
saying no price liquidates it) WB is the collateral the caller passes (the wallet). MMR is
``RiskLimits.maintenance_rate`` (the venue's lowest tier is lower: the estimate errs closer).

The margin ratio is the venue's: maintenance margin over margin balance (wallet plus
unrealized PnL); ``margin_ratio`` estimates it at ``maintenance_rate``. The venue liquidates
at 100 %; ``RiskLimits.max_margin_ratio`` trips the kill switch well before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.vocab import Side

__all__ = ["LegExposure", "estimated_liquidation", "margin_ratio", "only_reduces", "shrinks"]

ZERO = Decimal(0)
ONE = Decimal(1)


@dataclass(slots=True, frozen=True)
class LegExposure:
    """The leg an order works on, as the tracker holds it before the order: signed quantity,
    entry price, the venue's leverage setting and liquidation price (0: none), and the
    collateral behind it when the venue gave no liquidation price."""

    leg: PositionLeg
    quantity: Decimal = ZERO
    entry_price: Decimal = ZERO
    leverage: Decimal | None = None
    liquidation_price: Decimal = ZERO
    collateral: Decimal = ZERO


def only_reduces(side: Side, leg: PositionLeg | None, reduce_only: bool) -> bool:
    """Whether the venue itself will never let the order grow its leg: a reduce-only order,
    or in hedge mode a SELL on the LONG leg and a BUY on the SHORT one."""
    if leg is PositionLeg.LONG:
        return side is Side.SELL
    if leg is PositionLeg.SHORT:
        return side is Side.BUY
    return reduce_only and leg is not None


def shrinks(signed: Decimal, quantity: Decimal) -> bool:
    """Whether a fill of ``signed`` against a leg of ``quantity`` only shrinks it (never past
    zero): the arithmetic check behind ``only_reduces``."""
    return bool(quantity) and (signed > 0) != (quantity > 0) and abs(signed) <= abs(quantity)


def _wallet_behind(leg: LegExposure, mmr: Decimal) -> Decimal:
    """WB of the formula, from the venue's liquidation price of the leg when it has one."""
    q, lp = leg.quantity, leg.liquidation_price
    if not q or lp <= 0:
        return leg.collateral
    size = abs(q)
    if q > 0:
        return size * leg.entry_price - lp * size * (ONE - mmr)
    return lp * size * (ONE + mmr) - size * leg.entry_price


def estimated_liquidation(leg: LegExposure, quantity: Decimal, entry: Decimal, mmr: Decimal) -> Decimal:
    """The liquidation price of the leg once it holds ``quantity`` at ``entry``; 0 when no
    price liquidates it (Binance shows 0 then too)."""
    if not quantity:
        return ZERO
    wb = _wallet_behind(leg, mmr)
    size = abs(quantity)
    if quantity > 0:
        price = (size * entry - wb) / (size * (ONE - mmr))
    else:
        price = (size * entry + wb) / (size * (ONE + mmr))
    return price if price > 0 else ZERO


def margin_ratio(
    wallet: Decimal, legs: Mapping[str, tuple[Decimal, Decimal, Decimal]], mmr: Decimal
) -> Decimal | None:
    """Maintenance margin over margin balance for legs given as name -> (signed quantity,
    entry, mark); None with no position. A balance at or below zero is past any limit."""
    maint = ZERO
    balance = wallet
    for quantity, entry, mark in legs.values():
        maint += abs(quantity) * mark * mmr
        balance += quantity * (mark - entry)
    if not maint:
        return None
    return maint / balance if balance > 0 else Decimal("Infinity")
