"""MARGIN_CALL warnings: a position (an isolated one alone, the cross positions together)
whose margin ratio (maintenance margin over margin balance, ``margin.margin_ratio``) rises to
``MARGIN_CALL_RATIO`` is reported once; it is reported again only after the ratio fell back
below the threshold and rose to it anew. Liquidation itself is at 100 % (``liquidation.py``).

Binance's event page gives no number ("when the user's position risk ratio is too high");
80 % is this exchange's choice, a module constant so that it is stated in one place."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tradeexec.sim.futures.accounts import FuturesWallet
from tradeexec.sim.futures.events import MarginWarning, PositionState
from tradeexec.sim.futures.figures import Figures, PositionFigures
from tradeexec.sim.futures.margin import margin_ratio

MARGIN_CALL_RATIO = Decimal("0.8")
ZERO = Decimal(0)

StateOf = Callable[[PositionFigures], PositionState]


class MarginCalls:
    def __init__(self) -> None:
        self._called: set[tuple[str, str, str]] = set()  # (account, symbol or "", side)

    def check(
        self, figures: Figures, acct: FuturesWallet, state_of: StateOf, now_ms: int
    ) -> MarginWarning | None:
        figs = figures.positions(acct)
        due: list[PositionFigures] = []
        cross = [f for f in figs if not f.isolated]
        cross_due = False
        if cross:
            maint = sum((f.maint_margin for f in cross), ZERO)
            balance = acct.cross_wallet() + sum((f.unrealized for f in cross), ZERO)
            if self._rose(acct.name, ("", ""), margin_ratio(maint, balance)):
                due.extend(cross)
                cross_due = True
        for f in figs:
            key = (f.position.symbol, f.position.position_side)
            if f.isolated and self._rose(acct.name, key, margin_ratio(f.maint_margin, f.isolated_margin)):
                due.append(f)
        if not due:
            return None
        positions = tuple((state_of(f), f.mark, f.maint_margin) for f in due)
        return MarginWarning(acct.name, acct.cross_wallet() if cross_due else None, positions, now_ms)

    def _rose(self, name: str, key: tuple[str, str], ratio: Decimal) -> bool:
        """True once when ``ratio`` reaches the threshold; forgets the call below it."""
        flag = (name, *key)
        if ratio < MARGIN_CALL_RATIO:
            self._called.discard(flag)
            return False
        if flag in self._called:
            return False
        self._called.add(flag)
        return True
