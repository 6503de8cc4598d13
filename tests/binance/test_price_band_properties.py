"""Property tests of the price band filters (PERCENT_PRICE, PERCENT_PRICE_BY_SIDE) against
Binance's definition, computed independently in exact fractions:

* BUY passes iff ``avg * bidMultiplierDown <= price <= avg * bidMultiplierUp``; SELL the same
  with the ask multipliers; PERCENT_PRICE with ``multiplierDown`` / ``multiplierUp``;
* ``avg`` is the average price when ``avgPriceMins`` > 0 and the last price when it is 0;
* a failure names the filter, the multiplier breached and the reference price.
"""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.rules.filters import parse_filters
from tradeexec.binance.rules.order_check import MarketContext, OrderCheck
from tradeexec.binance.rules.symbol_rules import SymbolRules

SETTINGS = settings(max_examples=300, deadline=None)


def dec(mantissa: int, places: int) -> D:
    return D(mantissa).scaleb(-places)


# Prices and multipliers as Binance writes them (up to 8 decimals); the symbol allows 20, so
# that the band's edges (products of up to 12 decimals) can be sent as prices.
prices = st.builds(dec, st.integers(1, 10**12), st.integers(0, 8))
multipliers = st.builds(dec, st.integers(1, 10**6), st.integers(0, 4))
minutes = st.sampled_from([0, 1, 5])


def rules(filter_json: dict[str, object]) -> SymbolRules:
    return SymbolRules(
        symbol="XUSDT", status="TRADING", base_asset="X", quote_asset="USDT", quote_asset_precision=20,
        filters=tuple(parse_filters([filter_json])),
    )  # fmt: skip


def limit(side: Side, price: D) -> OrderCheck:
    return OrderCheck("XUSDT", side, OrderType.LIMIT, quantity=D(1), price=price)


def within(price: D, ref: D, down: D, up: D) -> bool:
    p, r = Fraction(price), Fraction(ref)
    return r * Fraction(down) <= p <= r * Fraction(up)


@SETTINGS
@given(
    side=st.sampled_from([Side.BUY, Side.SELL]),
    price=prices, average=prices, last=prices,
    bid=st.tuples(multipliers, multipliers), ask=st.tuples(multipliers, multipliers), mins=minutes,
)  # fmt: skip
@example(side=Side.BUY, price=D("1500"), average=D("300"), last=D("1"),
         bid=(D("0.2"), D("5")), ask=(D("0.8"), D("1.2")), mins=5)  # fmt: skip
def test_by_side_band_matches_binance_definition(
    side: Side, price: D, average: D, last: D, bid: tuple[D, D], ask: tuple[D, D], mins: int
) -> None:
    (bid_down, bid_up), (ask_down, ask_up) = sorted(bid), sorted(ask)
    r = rules({
        "filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": str(bid_up),
        "bidMultiplierDown": str(bid_down), "askMultiplierUp": str(ask_up),
        "askMultiplierDown": str(ask_down), "avgPriceMins": mins,
    })  # fmt: skip
    ref = last if mins == 0 else average
    down, up = (bid_down, bid_up) if side is Side.BUY else (ask_down, ask_up)
    failure = r.check(limit(side, price), MarketContext(last_price=last, weighted_avg_price=average))
    assert (failure is None) == within(price, ref, down, up), (failure, ref, down, up)
    if failure is not None:
        prefix = "bid" if side is Side.BUY else "ask"
        assert failure.filter == "PERCENT_PRICE_BY_SIDE" and failure.field == "price"
        assert f"{prefix}Multiplier{'Up' if price > ref * up else 'Down'}" in failure.detail
        assert failure.message == "Filter failure: PERCENT_PRICE_BY_SIDE"


@SETTINGS
@given(ref=prices, down=multipliers, up=multipliers, side=st.sampled_from([Side.BUY, Side.SELL]))
def test_the_band_edges_pass_and_one_tick_past_them_fails(ref: D, down: D, up: D, side: Side) -> None:
    """Binance's bounds are inclusive: ``avg * multiplier`` itself passes, however many
    digits the product has (no rounding of the bound)."""
    down, up = min(down, up), max(down, up)
    r = rules({"filterType": "PERCENT_PRICE", "multiplierUp": str(up), "multiplierDown": str(down),
               "avgPriceMins": 5})  # fmt: skip
    ctx = MarketContext(weighted_avg_price=ref)
    high, low = ref * up, ref * down  # exact: 28 digits hold these products
    assert r.check(limit(side, high), ctx) is None
    assert r.check(limit(side, low), ctx) is None
    tiny = D(1).scaleb(high.as_tuple().exponent - 1)  # type: ignore[operator]
    assert r.check(limit(side, high + tiny), ctx) is not None
    if low - tiny > 0:
        assert r.check(limit(side, low - tiny), ctx) is not None


@SETTINGS
@given(price=prices, side=st.sampled_from([Side.BUY, Side.SELL]))
def test_no_reference_price_skips_the_band_and_market_orders_have_none(price: D, side: Side) -> None:
    """Without any live figure the band cannot be judged (the exchange will); a MARKET order
    has no price for the band to judge."""
    r = rules({"filterType": "PERCENT_PRICE", "multiplierUp": "1.1", "multiplierDown": "0.9",
               "avgPriceMins": 5})  # fmt: skip
    assert r.check(limit(side, price), MarketContext()) is None
    market = OrderCheck("XUSDT", side, OrderType.MARKET, quantity=D(1))
    assert r.check(market, MarketContext(weighted_avg_price=price * 100)) is None
