"""How much of a holding one LIMIT sell may carry and how low its price may go under Binance's
filters: the emergency stop's sell pricing (``execution.emergency_sell``) asks the symbol's
rules (``SymbolRules.largest_sale``, ``lowest_sell_price``), so the core reads no filter."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tradeexec.venue.rules import Rounding

if TYPE_CHECKING:
    from tradeexec.binance.rules.symbol_rules import SymbolRules

__all__ = ["largest_sale", "lowest_sell_price"]

ZERO = Decimal(0)


def lowest_sell_price(rules: SymbolRules, reference: Decimal) -> Decimal:
    """The lowest price the symbol's bands accept for a sell: PRICE_FILTER's minPrice,
    PERCENT_PRICE's and PERCENT_PRICE_BY_SIDE's floor around ``reference`` (the last price,
    standing in for the average the exchange uses); 0 when no filter sets one."""
    floor = ZERO
    if (pf := rules.price_filter) is not None:
        floor = pf.min_price
    if (pp := rules.percent_price) is not None:
        floor = max(floor, reference * pp.multiplier_down)
    if (pps := rules.percent_price_by_side) is not None:
        floor = max(floor, reference * pps.ask_multiplier_down)
    return floor


def largest_sale(rules: SymbolRules, held: Decimal, price: Decimal) -> Decimal:
    """The largest quantity of ``held`` one LIMIT sell at ``price`` may carry under LOT_SIZE
    and the notional filters, or 0 if what is held is dust there (below minQty or below the
    minimum notional)."""
    lot = rules.lot_size
    if held <= 0 or price <= 0 or (lot is not None and held < lot.min_qty):
        return ZERO
    qty = rules.round_qty(held, Rounding.DOWN)
    if lot is not None and lot.max_qty > 0 and qty > lot.max_qty:
        qty = rules.round_qty(lot.max_qty, Rounding.DOWN)
    notional = rules.notional
    if notional is not None and notional.max_notional > 0 and qty * price > notional.max_notional:
        qty = rules.round_qty(notional.max_notional / price, Rounding.DOWN)
    floor = max(
        notional.min_notional if notional is not None else ZERO,
        rules.min_notional.min_notional if rules.min_notional is not None else ZERO,
    )
    if qty <= 0 or (lot is not None and qty < lot.min_qty) or qty * price < floor:
        return ZERO
    return qty
