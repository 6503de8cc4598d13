"""Whether a target's difference is too small for the venue to take: dust.

Target mode works out a delta every tick. After a fill whose fee was taken in the base asset
the position falls short of the target by the fee, often a few steps of the lot grid worth
less than the minimum notional: an order for it is refused (``RuleViolation: NOTIONAL``) tick
after tick. Such a delta is dust: left alone and reported, not sent and not raised.

Only the venue's *minimums* make a delta dust (``SymbolRuleSet.below_minimum``: on Binance
LOT_SIZE / MARKET_LOT_SIZE minQty and NOTIONAL / MIN_NOTIONAL minNotional, judged by its own
filter checks). A maximum, a price band or any other failure still goes to the order manager,
which refuses it with the rule named: too big is an error, too small is a residual.
"""

from __future__ import annotations

from decimal import Decimal

from tradeexec.execution.orders.request import OrderIntent
from tradeexec.venue.rules import MarketFigures, Rounding, SymbolRuleSet
from tradeexec.venue.vocab import OrderType, Side

__all__ = ["dust_reason"]


def dust_reason(
    rules: SymbolRuleSet,
    side: Side,
    qty: Decimal,
    price: Decimal | None,
    market: MarketFigures,
    *,
    reduce_only: bool = False,
) -> str | None:
    """Why an order for ``qty`` (already on the quantity step) at ``price`` (None: a MARKET
    order) would be refused as too small at the prices in ``market``, or None. Not on the
    per-order path: target mode asks once per tick. ``reduce_only``: a derivatives close
    (a venue may exempt it from a minimum; its rules say)."""
    if qty <= 0:
        return "rounds to 0 on the LOT_SIZE step"
    if price is not None:
        price = rules.round_price(price, Rounding.DOWN if side is Side.BUY else Rounding.UP)
    kind = OrderType.MARKET if price is None else OrderType.LIMIT
    order = OrderIntent(rules.symbol, side, kind, quantity=qty, price=price, reduce_only=reduce_only)
    failure = rules.below_minimum(order, market)
    return None if failure is None else f"{failure.filter}: {failure.detail}"
