"""Which fields each spot order type needs and refuses (Spot reference, "Other info" of
``POST /api/v3/order``). Stated once: the client refuses a malformed order with these tables
before sending it (``rest/order_args.py``), and the local exchange answers the same order with
Binance's error from the same tables (``sim/binance/trading.py``), so the two cannot disagree
on what an order type is."""

from __future__ import annotations

from typing import Final

from tradeexec.binance.enums import OrderType

NEEDS_TIF: Final = frozenset({OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT})
"""Types that need ``timeInForce`` (and refuse it otherwise)."""

NEEDS_PRICE: Final = NEEDS_TIF | {OrderType.LIMIT_MAKER}
"""Types that need ``price`` (and refuse it otherwise); only these may carry ``icebergQty``."""

NEEDS_STOP: Final = frozenset(
    {OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT}
)
"""Types that need ``stopPrice`` or ``trailingDelta`` (and refuse both otherwise)."""
