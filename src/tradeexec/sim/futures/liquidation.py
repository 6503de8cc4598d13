"""Liquidation at a margin ratio of 100 %: maintenance margin >= margin balance (Binance FAQ
"What is Margin Ratio"; the liquidation price formula in ``margin.py`` is the mark price where
that happens).

* An isolated position is liquidated alone when its maintenance margin reaches its isolated
  wallet plus its unrealized PnL. It is closed at the mark price; what is left of its margin
  (about the maintenance margin) goes to the insurance fund as the liquidation clearance fee,
  and a shortfall past zero is the fund's, so the account loses exactly the isolated wallet.
* Cross positions are liquidated together when the cross maintenance margin reaches the cross
  wallet plus the cross unrealized PnL. They are closed at the mark price; the clearance fee
  takes what is left up to their maintenance margin, and the fund covers a negative wallet.

Simplified against Binance (written down so that nobody mistakes it): the close is booked at
the mark price against the insurance fund, not through the book; the stream reports it as an
``autoclose-`` order (NEW, then CALCULATED at the mark price, ``engine._liquidation_order``)
before the ACCOUNT_UPDATE. There is no auto-deleveraging (``adl_autoclose``) here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeexec.sim.futures.accounts import UNIT, FuturesWallet, OpenPosition
from tradeexec.sim.futures.figures import Figures

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Liquidated:
    account: str
    positions: tuple[OpenPosition, ...]  # as they were before the close
    realized: Decimal
    clearance: Decimal  # signed, what the account received (negative: the fee)
    time: int


def _close(acct: FuturesWallet, pos: OpenPosition, mark: Decimal, now_ms: int) -> Decimal:
    realized = (pos.amt * (mark - pos.entry)).quantize(UNIT)
    acct.wallet += realized
    pos.realized += realized
    pos.amt = ZERO
    pos.entry = ZERO
    pos.isolated_wallet = ZERO
    pos.update_time = now_ms
    return realized


def liquidate_due(figures: Figures, acct: FuturesWallet, now_ms: int) -> list[Liquidated]:
    out: list[Liquidated] = []
    figs = figures.positions(acct)
    for f in figs:
        if not f.isolated or f.maint_margin < f.isolated_margin:
            continue
        pos = f.position
        before = OpenPosition(pos.symbol, pos.position_side, pos.amt, pos.entry, pos.isolated_wallet)
        wallet = pos.isolated_wallet
        realized = _close(acct, pos, f.mark, now_ms)
        clearance = -(wallet + realized)
        acct.wallet += clearance
        out.append(Liquidated(acct.name, (before,), realized, clearance, now_ms))
    cross = [f for f in figs if not f.isolated and f.position.amt]
    if not cross:
        return out
    maint = sum((f.maint_margin for f in cross), ZERO)
    balance = acct.cross_wallet() + sum((f.unrealized for f in cross), ZERO)
    if maint < balance:
        return out
    before_all = tuple(
        OpenPosition(f.position.symbol, f.position.position_side, f.position.amt, f.position.entry)
        for f in cross
    )
    realized = sum((_close(acct, f.position, f.mark, now_ms) for f in cross), ZERO)
    left = acct.cross_wallet()
    clearance = -min(left, maint.quantize(UNIT)) if left > 0 else -left
    acct.wallet += clearance
    out.append(Liquidated(acct.name, before_all, realized, clearance, now_ms))
    return out
