"""Whether an order is too small for the exchange to take: below a minimum quantity or notional.

Target mode works out a delta every tick. After a fill whose fee was taken in the base asset
the position falls short of the target by the fee, often a few steps of the lot grid worth
less than the minimum notional: an order for it is refused (``RuleViolation: NOTIONAL``) tick
after tick. Such a delta is dust: left alone and reported, not sent and not raised.

Only the *minimums* make a delta dust. A maximum, a price band or any other failure still
goes to the order manager, which refuses it with the rule named: too big is an error, too
small is a residual. The minimums are judged by the exchange's own filter checks
(``binance/rules/filters.py``), given copies of the filters with everything but the minimum off, so
that "too small" here is exactly what the exchange would refuse as too small.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import msgspec

from tradeexec.binance.rules.filter_checks import static_checks
from tradeexec.binance.rules.filters import LotSize, MarketLotSize, MinNotional, Notional, SymbolFilter
from tradeexec.binance.rules.order_check import FilterFailure, MarketContext, OrderCheck
from tradeexec.binance.rules.symbol_rules import SymbolRules

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


def below_minimum(rules: SymbolRules, order: OrderCheck, ctx: MarketContext) -> FilterFailure | None:
    """The first minimum (LOT_SIZE / MARKET_LOT_SIZE minQty, NOTIONAL / MIN_NOTIONAL
    minNotional, with their apply-to-market flags) ``order`` falls short of at the prices in
    ``ctx``, or None. Not on the per-order path: target mode calls it once per tick."""
    for check, f in static_checks(_minimums_only(rules.filters)):
        failure = check(f, order, ctx)
        if failure is not None:
            return failure
    return None
