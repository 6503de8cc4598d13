"""Whether an order is too small for Binance to take: below a minimum quantity or notional
(``SymbolRules.below_minimum``, what the core's dust rule asks).

Only the *minimums* count. A maximum, a price band or any other failure is not "too small":
the order goes on to the full check, which refuses it with the rule named. The minimums are
judged by the exchange's own filter checks (``filter_checks.py``), given copies of the filters
with everything but the minimum off, so that "too small" here is exactly what the exchange
would refuse as too small.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import msgspec

from tradeexec.binance.rules.filter_checks import static_checks
from tradeexec.binance.rules.filters import LotSize, MarketLotSize, MinNotional, Notional, SymbolFilter
from tradeexec.binance.rules.order_check import FilterFailure, MarketContext, OrderCheck

__all__ = ["below_minimum"]

_OFF = Decimal(0)


def _minimums_only(filters: Sequence[SymbolFilter]) -> list[SymbolFilter]:
    """The quantity and notional filters with their maxima and steps switched off (0 is off)."""
    out: list[SymbolFilter] = []
    for f in filters:
        if isinstance(f, LotSize | MarketLotSize):
            out.append(msgspec.structs.replace(f, max_qty=_OFF, step_size=_OFF))
        elif isinstance(f, Notional):
            out.append(msgspec.structs.replace(f, max_notional=_OFF))
        elif isinstance(f, MinNotional):
            out.append(f)
    return out


def below_minimum(
    filters: Sequence[SymbolFilter], order: OrderCheck, ctx: MarketContext
) -> FilterFailure | None:
    """The first minimum (LOT_SIZE / MARKET_LOT_SIZE minQty, NOTIONAL / MIN_NOTIONAL
    minNotional, with their apply-to-market flags) ``order`` falls short of at the prices in
    ``ctx``, or None. Not on the per-order path: target mode asks once per tick."""
    for check, f in static_checks(_minimums_only(filters)):
        failure = check(f, order, ctx)
        if failure is not None:
            return failure
    return None
