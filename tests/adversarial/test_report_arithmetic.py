"""Property tests for the report's arithmetic (``tradeexec.demo.figures``), all in Decimal.

Each property is what an outsider would check the figures against: the drawdown against a
brute force over every pair of points, the turnover and the maker/taker split against the
trades they add up, the slippage against the average fill price, the shown numbers against
the grid they claim to be on. ``TRADEEXEC_SOAK=full`` runs many more examples.
"""

from __future__ import annotations

import os
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeexec.binance.models import MyTrade, Order
from tradeexec.demo.figures import (
    Arrival,
    Grid,
    fee_in_quote,
    max_drawdown,
    money,
    order_figures,
    run_figures,
    slippage,
    turnover,
)

pytestmark = pytest.mark.adversarial

EXAMPLES = 2000 if os.environ.get("TRADEEXEC_SOAK") == "full" else 150
bounded = settings(max_examples=EXAMPLES, deadline=None)

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
qtys = st.decimals(min_value=Decimal("0.00001"), max_value=Decimal("50"), places=5)
equity = st.lists(st.decimals(min_value=Decimal("1"), max_value=Decimal("1000000"), places=2), max_size=60)
sides = st.sampled_from(["BUY", "SELL"])


def _trade(i: int, price: Decimal, qty: Decimal, maker: bool, buyer: bool, order_id: int = 1) -> MyTrade:
    fee_asset = "BTC" if buyer else "USDT"
    commission = qty / 1000 if buyer else price * qty / 1000
    return MyTrade(
        symbol="BTCUSDT", id=i, order_id=order_id, price=price, qty=qty, quote_qty=price * qty,
        commission=commission, commission_asset=fee_asset, time=1_000 + i, is_buyer=buyer, is_maker=maker,
        is_best_match=True,
    )  # fmt: skip


fills = st.lists(st.tuples(prices, qtys, st.booleans()), min_size=1, max_size=12)


@bounded
@given(equity)
def test_drawdown_is_the_largest_fall_from_an_earlier_point(values: list[Decimal]) -> None:
    brute = max((values[i] - values[j] for i in range(len(values)) for j in range(i, len(values))), default=0)
    dd = max_drawdown(values)
    assert dd.amount == max(brute, Decimal(0))
    if dd.amount:  # the fraction is the fall over a peak that came before a point that low
        peaks = [values[i] for i in range(len(values)) if values[i] - dd.amount in values[i:]]
        assert any(dd.fraction == dd.amount / p for p in peaks)
        assert 0 < dd.fraction < 1
    else:
        assert dd.fraction == 0


@bounded
@given(equity, st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=2))
def test_drawdown_amount_ignores_a_level_shift_and_a_new_high(values: list[Decimal], shift: Decimal) -> None:
    dd = max_drawdown(values)
    assert max_drawdown([v + shift for v in values]).amount == dd.amount
    if values:
        assert max_drawdown([*values, max(values) + 1]).amount == dd.amount  # a new high is no fall
        assert max_drawdown(sorted(values)).amount == 0  # a curve that only rises never draws down


@bounded
@given(fills)
def test_turnover_and_the_maker_taker_split_add_up_to_the_trades(
    rows: list[tuple[Decimal, Decimal, bool]],
) -> None:
    trades = [_trade(i, p, q, maker, buyer=i % 2 == 0) for i, (p, q, maker) in enumerate(rows)]
    total = sum((p * q for p, q, _ in rows), Decimal(0))
    assert turnover(trades) == total == turnover(list(reversed(trades)))
    order = _order(trades, "BUY")
    figures = run_figures([order], trades, {}, quote="USDT", equity=[Decimal(50_000)])
    (makers, maker_quote), (takers, taker_quote) = figures.split(True), figures.split(False)
    assert makers + takers == len(trades) and maker_quote + taker_quote == total
    assert makers == sum(1 for _, _, m in rows if m)
    assert figures.turnover_ratio == total / 50_000


def _order(trades: list[MyTrade], side: str) -> Order:
    executed = sum((t.qty for t in trades), Decimal(0))
    return Order(
        symbol="BTCUSDT", order_id=1, client_order_id="demo_BTCUSDT_x", price=Decimal(0), orig_qty=executed,
        executed_qty=executed, cummulative_quote_qty=sum((t.quote_qty for t in trades), Decimal(0)),
        status="FILLED", time_in_force="GTC", type="MARKET", side=side, time=1_000, update_time=2_000,
        is_working=True,
    )  # fmt: skip


@bounded
@given(fills, sides, prices)
def test_slippage_is_the_average_price_against_the_arrival_mid(
    rows: list[tuple[Decimal, Decimal, bool]], side: str, mid: Decimal
) -> None:
    trades = [_trade(i, p, q, maker, buyer=side == "BUY") for i, (p, q, maker) in enumerate(rows)]
    figures = order_figures(_order(trades, side), trades, Arrival(0, mid))
    executed = sum((q for _, q, _ in rows), Decimal(0))
    notional = sum((p * q for p, q, _ in rows), Decimal(0))
    with localcontext() as ctx:
        ctx.prec = 60  # exact: the identity below must hold to the last digit
        expected = (notional - mid * executed) * (1 if side == "BUY" else -1)
        assert figures.slippage_quote == expected
    assert slippage("BUY", rows[0][0], mid) == -slippage("SELL", rows[0][0], mid)
    bps = figures.slippage_bps
    assert bps is not None
    assert abs(bps * executed * mid / 10_000 - expected) <= abs(expected) * Decimal("1e-20") + Decimal(
        "1e-20"
    )
    # A buy filled below the mid (or a sell above it) is a gain, never shown as a cost.
    better = all((p <= mid) if side == "BUY" else (p >= mid) for p, _, _ in rows)
    if better:
        assert expected <= 0
    assert figures.ack_to_fill_ms == max(t.time for t in trades) - 1_000


@bounded
@given(prices, qtys, st.booleans())
def test_fees_in_quote_price_the_base_commission_at_the_trade(
    price: Decimal, qty: Decimal, buyer: bool
) -> None:
    trade = _trade(1, price, qty, maker=False, buyer=buyer)
    assert fee_in_quote(trade, "USDT") == (qty / 1000 * price if buyer else price * qty / 1000)
    bnb = MyTrade(**{**{f: getattr(trade, f) for f in trade.__struct_fields__}, "commission_asset": "BNB"})
    assert fee_in_quote(bnb, "USDT") is None
    figures = run_figures([_order([bnb], "BUY")], [bnb], {}, quote="USDT", equity=[])
    assert figures.unpriced_fees == {"BNB": bnb.commission} and figures.fees == 0


@bounded
@given(
    st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=12),
    st.sampled_from(
        [Decimal("0.01"), Decimal("0.00001"), Decimal("0.10000000"), Decimal("1"), Decimal("1E+1")]
    ),
)
def test_shown_numbers_sit_on_their_grid_and_round_half_even(value: Decimal, unit: Decimal) -> None:
    shown = Grid(tick=unit, step=unit).price(value)
    places = max(0, -unit.normalize().as_tuple().exponent)  # type: ignore[operator]
    assert ("." in shown) is (places > 0) and (not places or len(shown.split(".")[1]) == places)
    assert abs(Decimal(shown) - value) <= Decimal(1).scaleb(-places) / 2
    assert not (shown.startswith("-") and Decimal(shown) == 0)  # never "-0.00"
    assert money(value) == Grid(tick=Decimal("0.01")).price(value)
    # A holding below one step is dust, never rounded up to a tradable step nor down to zero.
    held = Grid(step=unit).held(value)
    assert held == (f"<{Grid(step=unit).qty(unit)}" if 0 < abs(value) < unit else shown)
