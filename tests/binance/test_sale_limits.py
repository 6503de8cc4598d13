"""The emergency stop's sell limits under Binance's filters (``binance/rules/sale_limits.py``):
a sale the exchange's own filters accept, or 0 for dust, never more than is held."""

from __future__ import annotations

import copy
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.binance.rules.defaults import DEFAULT_SYMBOL_INFO
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.rules.order_check import MarketContext, OrderCheck

D = Decimal
INFO = copy.deepcopy(DEFAULT_SYMBOL_INFO["BTCUSDT"])
for f in INFO["filters"]:
    if f["filterType"] == "NOTIONAL":
        f["maxNotional"] = "100000.00000000"  # so the notional cap is reached too
RULES = ExchangeRules.from_exchange_info({"symbols": [INFO]})["BTCUSDT"]

held_qty = st.decimals(D("0"), D("50"), places=9)
prices = st.decimals(D("100"), D("200000"), places=2)


@given(held_qty, prices)
def test_largest_sale_passes_every_filter_or_is_zero(held: Decimal, price: Decimal) -> None:
    qty = RULES.largest_sale(held, price)
    assert 0 <= qty <= held
    if qty == 0:
        return
    order = OrderCheck(
        "BTCUSDT", Side.SELL, OrderType.LIMIT, quantity=qty, price=price, time_in_force=TimeInForce.IOC
    )
    RULES.validate(order, MarketContext(price, price, 0))  # raises on any filter's refusal


@given(held_qty, prices)
def test_only_dust_is_left_unsold(held: Decimal, price: Decimal) -> None:
    """0 only when what is held is below the minimum quantity or value at ``price``."""
    if RULES.largest_sale(held, price) == 0:
        step = RULES.qty_step
        assert step is not None
        whole = (held / step).to_integral_value(rounding="ROUND_FLOOR") * step
        assert whole < D("0.00001") or whole * price < D("5")


@given(prices)
def test_the_lowest_sell_price_is_the_band_around_the_reference(reference: Decimal) -> None:
    # PRICE_FILTER minPrice 0.01 and PERCENT_PRICE_BY_SIDE askMultiplierDown 0.2
    assert RULES.lowest_sell_price(reference) == max(D("0.01"), reference * D("0.2"))
