"""Property tests of binance/rules/symbol_rules.py: rounding lands on the grid and where it should,
LOT_SIZE agrees with rounding, check() never raises, exchangeInfo entries round-trip."""

from __future__ import annotations

from decimal import Decimal as D
from decimal import localcontext
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.rules.defaults import DEFAULT_SYMBOL_INFO
from tradeexec.binance.rules.filters import parse_exchange_filters
from tradeexec.binance.rules.grid import Rounding
from tradeexec.binance.rules.order_check import FilterFailure, MarketContext, OrderCheck
from tradeexec.binance.rules.symbol_rules import SymbolRules

SETTINGS = settings(max_examples=200, deadline=None)


def dec(mantissa: int, places: int) -> D:
    return D(mantissa).scaleb(-places)


# A step or tick as Binance writes them: 1, 5, 25 or 5 times a power of ten, 8 decimals at most.
steps = st.builds(
    lambda m, places: dec(m, places).quantize(D("1E-8")) if places <= 8 else dec(m, places),
    st.sampled_from([1, 5, 25]),
    st.integers(min_value=0, max_value=8),
).filter(lambda s: s > 0)
values = st.builds(
    dec, st.integers(min_value=-(10**15), max_value=10**15), st.integers(min_value=0, max_value=12)
)


@st.composite
def grids(draw: st.DrawFn) -> tuple[D, D]:
    """(origin, step): the origin is 0, the step itself, or some point off the step grid."""
    step = draw(steps)
    origin = draw(st.sampled_from(["zero", "step", "multiple", "offset"]))
    if origin == "zero":
        return D(0), step
    if origin == "step":
        return step, step
    if origin == "multiple":
        return step * draw(st.integers(min_value=2, max_value=1000)), step
    return step * draw(st.integers(min_value=1, max_value=1000)) + step / 2, step


def on_grid(value: D, origin: D, step: D) -> bool:
    with localcontext() as ctx:
        ctx.prec = 200
        return ((value - origin) / step) % 1 == 0


def price_rules(origin: D, step: D) -> SymbolRules:
    f = {"filterType": "PRICE_FILTER", "minPrice": str(origin), "maxPrice": "0", "tickSize": str(step)}
    return SymbolRules.from_symbol_info({"symbol": "T", "filters": [f]})


def lot_rules(low: D, high: D, step: D) -> SymbolRules:
    f = {"filterType": "LOT_SIZE", "minQty": str(low), "maxQty": str(high), "stepSize": str(step)}
    return SymbolRules.from_symbol_info({"symbol": "T", "baseAssetPrecision": 30, "filters": [f]})


@SETTINGS
@given(grids(), values, st.sampled_from(list(Rounding)))
def test_round_price_lands_on_the_grid_where_the_mode_says(
    grid: tuple[D, D], value: D, mode: Rounding
) -> None:
    origin, step = grid
    rules = price_rules(origin, step)
    rounded = rules.round_price(value, mode)
    assert on_grid(rounded, origin, step)
    assert abs(rounded - value) < step
    if mode is Rounding.DOWN:
        assert rounded <= value
    elif mode is Rounding.UP:
        assert rounded >= value
    else:
        assert abs(rounded - value) * 2 <= step
    assert rules.round_price(rounded, mode) == rounded
    for other in Rounding:
        assert rules.round_price(rounded, other) == rounded


@SETTINGS
@given(grids(), values, st.sampled_from(list(Rounding)))
def test_round_qty_lands_on_the_grid_where_the_mode_says(grid: tuple[D, D], value: D, mode: Rounding) -> None:
    origin, step = grid
    rules = lot_rules(origin, D(0), step)
    rounded = rules.round_qty(value, mode)
    assert on_grid(rounded, origin, step)
    assert abs(rounded - value) < step
    assert (rounded <= value) if mode is Rounding.DOWN else True
    assert (rounded >= value) if mode is Rounding.UP else True
    assert rules.round_qty(rounded, mode) == rounded


@st.composite
def lots(draw: st.DrawFn) -> tuple[D, D, D]:
    step = draw(steps)
    low = step * draw(st.integers(min_value=1, max_value=10_000))
    high = low + step * draw(st.integers(min_value=0, max_value=10**9))
    return low, high, step


def lot_failure(rules: SymbolRules, qty: D) -> FilterFailure | None:
    return rules.check(OrderCheck("T", Side.BUY, OrderType.MARKET, quantity=qty))


@SETTINGS
@given(lots(), st.integers(min_value=0, max_value=10**6))
def test_a_rounded_quantity_in_range_passes_lot_size(lot: tuple[D, D, D], millionths: int) -> None:
    low, high, step = lot
    rules = lot_rules(low, high, step)
    with localcontext() as ctx:
        ctx.prec = 100
        qty = (low + (high - low) * millionths / 10**6).quantize(D("1E-14"))
    assume(low <= qty <= high)
    for mode in Rounding:
        rounded = rules.round_qty(qty, mode)
        assert low <= rounded <= high  # low and high are on the grid
        assert lot_failure(rules, rounded) is None, (qty, rounded, mode)


@SETTINGS
@given(lots(), st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=99))
def test_a_quantity_off_the_step_fails_lot_size(lot: tuple[D, D, D], k: int, percent: int) -> None:
    low, _, step = lot
    rules = lot_rules(low, D(0), step)
    qty = low + step * k + step * percent / 100
    failure = lot_failure(rules, qty)
    assert failure is not None
    assert (failure.filter, failure.field, failure.code) == ("LOT_SIZE", "quantity", -1013)
    assert "multiple of stepSize" in failure.detail


@SETTINGS
@given(lots(), values)
def test_lot_size_agrees_with_rounding(lot: tuple[D, D, D], qty: D) -> None:
    low, high, step = lot
    rules = lot_rules(low, high, step)
    assume(qty > 0)
    failure = lot_failure(rules, qty)
    should_pass = low <= qty <= high and rules.round_qty(qty) == qty
    assert (failure is None) == should_pass, (qty, failure)


# --- check() never raises ---------------------------------------------------------------------

any_decimal = st.one_of(
    st.none(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [D(0), D("-0"), D("-1"), D("1E+30"), D("1E-30"), D("0.00000001"), D("123456789.123456789")]
    ),
    values,
)
any_int = st.one_of(st.none(), st.integers(min_value=-(10**12), max_value=10**12))
EXCHANGE_FILTERS = parse_exchange_filters(
    [
        {"filterType": "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders": 1000},
        {"filterType": "EXCHANGE_MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 200},
        {"filterType": "EXCHANGE_MAX_NUM_ICEBERG_ORDERS", "maxNumIcebergOrders": 10000},
    ]
)
ALL_FILTERS_INFO: dict[str, Any] = {
    **DEFAULT_SYMBOL_INFO["BTCUSDT"],
    "filters": [
        *DEFAULT_SYMBOL_INFO["BTCUSDT"]["filters"],
        {"filterType": "PERCENT_PRICE", "multiplierUp": "5", "multiplierDown": "0.2", "avgPriceMins": 0},
        {"filterType": "MIN_NOTIONAL", "minNotional": "10", "applyToMarket": True, "avgPriceMins": 5},
        {"filterType": "MAX_NUM_ICEBERG_ORDERS", "maxNumIcebergOrders": 5},
        {"filterType": "MAX_POSITION", "maxPosition": "10"},
    ],
}
RULES = [SymbolRules.from_symbol_info(ALL_FILTERS_INFO)] + [
    SymbolRules.from_symbol_info(info) for info in DEFAULT_SYMBOL_INFO.values()
]

orders = st.builds(
    OrderCheck,
    symbol=st.just("BTCUSDT"),
    side=st.sampled_from(list(Side)),
    type=st.sampled_from(list(OrderType)),
    quantity=any_decimal,
    quote_order_qty=any_decimal,
    price=any_decimal,
    stop_price=any_decimal,
    iceberg_qty=any_decimal,
    trailing_delta=any_int,
)
contexts = st.builds(
    MarketContext,
    last_price=any_decimal,
    weighted_avg_price=any_decimal,
    open_orders=any_int,
    open_algo_orders=any_int,
    open_iceberg_orders=any_int,
    account_open_orders=any_int,
    account_open_algo_orders=any_int,
    account_open_iceberg_orders=any_int,
    base_position=any_decimal,
)


@SETTINGS
@given(st.sampled_from(RULES), orders, contexts)
def test_check_never_raises(rules: SymbolRules, order: OrderCheck, ctx: MarketContext) -> None:
    result = rules.check(order, ctx, EXCHANGE_FILTERS)
    assert result is None or isinstance(result, FilterFailure)
    if result is not None:
        assert result.message and result.field and result.code in (-1013, -1014, -1100, -1111, -2010)


@SETTINGS
@given(st.sampled_from(RULES), orders, st.decimals(allow_nan=False, allow_infinity=False, max_value=0))
def test_a_non_positive_quantity_always_fails(rules: SymbolRules, order: OrderCheck, qty: D) -> None:
    bad = OrderCheck(order.symbol, order.side, order.type, quantity=qty, price=order.price)
    failure = rules.check(bad)
    assert failure is not None
    assert failure.field in ("quantity", "price")


# --- round trip -------------------------------------------------------------------------------

wire_decimals = st.builds(
    lambda m, places: format(dec(m, places), "f"),
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=8),
)
small_ints = st.integers(min_value=0, max_value=10**6)
wire_filters = st.one_of(
    st.fixed_dictionaries(
        {
            "filterType": st.just("PRICE_FILTER"),
            "minPrice": wire_decimals,
            "maxPrice": wire_decimals,
            "tickSize": wire_decimals,
        }
    ),
    st.fixed_dictionaries(
        {
            "filterType": st.just("LOT_SIZE"),
            "minQty": wire_decimals,
            "maxQty": wire_decimals,
            "stepSize": wire_decimals,
        }
    ),
    st.fixed_dictionaries(
        {
            "filterType": st.just("NOTIONAL"),
            "minNotional": wire_decimals,
            "applyMinToMarket": st.booleans(),
            "maxNotional": wire_decimals,
            "applyMaxToMarket": st.booleans(),
            "avgPriceMins": small_ints,
        }
    ),
    st.fixed_dictionaries(
        {
            "filterType": st.just("PERCENT_PRICE_BY_SIDE"),
            "bidMultiplierUp": wire_decimals,
            "bidMultiplierDown": wire_decimals,
            "askMultiplierUp": wire_decimals,
            "askMultiplierDown": wire_decimals,
            "avgPriceMins": small_ints,
        }
    ),
    st.fixed_dictionaries({"filterType": st.just("ICEBERG_PARTS"), "limit": small_ints}),
    st.fixed_dictionaries({"filterType": st.just("MAX_NUM_ORDERS"), "maxNumOrders": small_ints}),
    st.fixed_dictionaries({"filterType": st.just("MAX_POSITION"), "maxPosition": wire_decimals}),
    st.fixed_dictionaries(
        {
            "filterType": st.just("TRAILING_DELTA"),
            "minTrailingAboveDelta": small_ints,
            "maxTrailingAboveDelta": small_ints,
            "minTrailingBelowDelta": small_ints,
            "maxTrailingBelowDelta": small_ints,
        }
    ),
    st.fixed_dictionaries(
        {"filterType": st.sampled_from(["NEW_FILTER", "OTHER"]), "value": st.text(max_size=5)}
    ),
)
symbol_infos = st.fixed_dictionaries(
    {
        "symbol": st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=12),
        "status": st.sampled_from(["TRADING", "HALT", "BREAK", "END_OF_DAY"]),
        "baseAsset": st.sampled_from(["BTC", "ETH", "BNB"]),
        "baseAssetPrecision": st.integers(min_value=0, max_value=8),
        "quoteAsset": st.sampled_from(["USDT", "BTC"]),
        "quotePrecision": st.integers(min_value=0, max_value=8),
        "quoteAssetPrecision": st.integers(min_value=0, max_value=8),
        "orderTypes": st.lists(st.sampled_from([str(t) for t in OrderType]), unique=True),
        "icebergAllowed": st.booleans(),
        "ocoAllowed": st.booleans(),
        "quoteOrderQtyMarketAllowed": st.booleans(),
        "allowTrailingStop": st.booleans(),
        "isSpotTradingAllowed": st.booleans(),
        "isMarginTradingAllowed": st.booleans(),
        "filters": st.lists(wire_filters, max_size=8),
        "permissionSets": st.lists(st.lists(st.sampled_from(["SPOT", "MARGIN", "TRD_GRP_004"]))),
    },
    optional={"someFutureField": st.integers()},
)


@SETTINGS
@given(symbol_infos)
def test_symbol_info_round_trips(info: dict[str, Any]) -> None:
    rules = SymbolRules.from_symbol_info(info)
    wire = rules.to_symbol_info()
    assert SymbolRules.from_symbol_info(wire) == rules
    assert SymbolRules.from_symbol_info(wire).to_symbol_info() == wire
    assert wire["filters"] == [
        *(f for f in info["filters"] if f["filterType"] not in ("NEW_FILTER", "OTHER")),
        *(f for f in info["filters"] if f["filterType"] in ("NEW_FILTER", "OTHER")),
    ]
    if "someFutureField" in info:
        assert wire["someFutureField"] == info["someFutureField"]
