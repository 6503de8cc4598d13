"""Property tests of the valuation's arithmetic (issue 18): PnL is equity now minus equity at
the start, balances are the exchange's, so every fee (in the base, the quote or BNB) is
inside it once, and coins held at the start count only by how their price moved.

The identity checked, computed independently of the code under test:

    PnL = sum over fills of signed qty * (end mark - fill price)      (what trading earned)
          - base fees * end mark - quote fees - BNB fees * BNB end mark  (what it paid)
          + sum over held assets of start balance * (end mark - start mark)  (the market)

``TRADEEXEC_SOAK=full`` runs many more examples.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeexec.binance.enums import Side
from tradeexec.binance.models import TickerPrice
from tradeexec.binance.rules.defaults import DEFAULT_SYMBOL_INFO
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.valuation import Marks, Valuation

pytestmark = pytest.mark.adversarial

EXAMPLES = 2000 if os.environ.get("TRADEEXEC_SOAK") == "full" else 150
bounded = settings(max_examples=EXAMPLES, deadline=None)
D = Decimal
RULES = ExchangeRules.from_exchange_info(
    {"symbols": [DEFAULT_SYMBOL_INFO["ETHUSDT"], DEFAULT_SYMBOL_INFO["BNBUSDT"]]}
)

prices = st.decimals(min_value=D("0.01"), max_value=D(100_000), places=2)
quantities = st.decimals(min_value=D("0.00001"), max_value=D(5), places=5)
holdings = st.decimals(min_value=D(0), max_value=D(1000), places=8)
fills = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        quantities,
        prices,
        st.sampled_from(["ETH", "USDT", "BNB"]),  # the fee's asset
        st.decimals(min_value=D(0), max_value=D("0.01"), places=8),  # the fee
    ),
    max_size=12,
)


class _NoTicker:
    async def ticker_price(self, symbol: str) -> TickerPrice:
        raise AssertionError("the property tests value with given marks only")


class _Account:
    def __init__(self, held: dict[str, Decimal]) -> None:
        self.balances = [_Bal(a, q) for a, q in held.items()]


class _Bal:
    def __init__(self, asset: str, free: Decimal) -> None:
        self.asset, self.free, self.locked = asset, free, D(0)


@bounded
@given(
    # BNB pays fees only when some is held (1 covers 12 fees of at most 0.01).
    held=st.fixed_dictionaries({"USDT": holdings, "ETH": holdings, "BNB": holdings.map(lambda q: q + 1)}),
    start=st.tuples(prices, prices),
    end=st.tuples(prices, prices),
    trades=fills,
)
def test_pnl_is_trading_minus_fees_plus_the_market(
    held: dict[str, Decimal], start: tuple[Decimal, Decimal], end: tuple[Decimal, Decimal], trades: list[Any]
) -> None:
    marks = {"ETHUSDT": start[0], "BNBUSDT": start[1]}
    tracker = PositionTracker()
    tracker.load_account(_Account(held))
    valuation = Valuation(tracker, Marks(marks.get, _NoTicker(), None))
    valuation.cover(RULES)
    tracker.register_symbol("ETHUSDT", "ETH", "USDT")  # as the manager does at the first order
    assert valuation.pnl() == 0  # the start equity is taken at the first valuation
    expected = D(0)
    for trade_id, (side, qty, price, fee_asset, fee) in enumerate(trades):
        quote_qty = (qty * price).quantize(D("0.00000001"))
        tracker.apply_fill(
            "ETHUSDT", side, qty, price, commission=fee, commission_asset=fee_asset,
            quote_qty=quote_qty, trade_id=trade_id,
        )  # fmt: skip
        sign = 1 if side is Side.BUY else -1
        expected += sign * qty * end[0] - sign * quote_qty
        expected -= {"ETH": fee * end[0], "USDT": fee, "BNB": fee * end[1]}[fee_asset]
    expected += held["ETH"] * (end[0] - start[0]) + held["BNB"] * (end[1] - start[1])
    marks.update({"ETHUSDT": end[0], "BNBUSDT": end[1]})
    assert valuation.pnl() == expected


@bounded
@given(held=holdings.filter(bool), mark=prices)
def test_a_held_coin_without_a_mark_is_never_valued_at_zero(held: Decimal, mark: Decimal) -> None:
    """While ETH has no mark there is no equity and no PnL (None), never a figure that
    counts the ETH as worthless; once it has one, the ETH is in at that mark."""
    marks: dict[str, Decimal] = {}
    tracker = PositionTracker()
    tracker.load_account(_Account({"USDT": D(100), "ETH": held}))
    valuation = Valuation(tracker, Marks(marks.get, _NoTicker(), None))
    valuation.cover(RULES)
    assert valuation.equity() is None and valuation.pnl() is None
    assert valuation.missing() == ["ETHUSDT"]
    marks["ETHUSDT"] = mark
    assert valuation.equity() == D(100) + held * mark
    assert tracker.gross_exposure() == held * mark
