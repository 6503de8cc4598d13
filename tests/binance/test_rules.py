"""Unit tests of binance/rules/symbol_rules.py against the examples and messages of Binance's docs
(filters.md and errors.md of binance-spot-api-docs)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from decimal import Decimal as D
from typing import Any

import pytest

from tradeexec.binance.enums import OrderType, Side, SymbolStatus
from tradeexec.binance.rules.defaults import DEFAULT_SYMBOL_INFO
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.rules.filters import (
    ExchangeMaxNumAlgoOrders,
    ExchangeMaxNumIcebergOrders,
    ExchangeMaxNumOrders,
    LotSize,
    MaxNumOrderAmends,
    Notional,
    PriceFilter,
    filter_to_json,
    parse_exchange_filters,
    parse_filters,
)
from tradeexec.binance.rules.grid import Rounding
from tradeexec.binance.rules.order_check import FilterFailure, MarketContext, OrderCheck
from tradeexec.binance.rules.order_numbers import RuleViolation
from tradeexec.binance.rules.symbol_rules import SymbolRules
from tradeexec.errors import InvalidParameter, OrderRejectedLocally

BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET = OrderType.LIMIT, OrderType.MARKET

# The /exchangeInfo examples of filters.md, verbatim.
DOC_PRICE_FILTER = {
    "filterType": "PRICE_FILTER",
    "minPrice": "0.00000100",
    "maxPrice": "100000.00000000",
    "tickSize": "0.00000100",
}
DOC_PERCENT_PRICE = {
    "filterType": "PERCENT_PRICE",
    "multiplierUp": "1.3000",
    "multiplierDown": "0.7000",
    "avgPriceMins": 5,
}
DOC_PERCENT_PRICE_BY_SIDE = {
    "filterType": "PERCENT_PRICE_BY_SIDE",
    "bidMultiplierUp": "1.2",
    "bidMultiplierDown": "0.2",
    "askMultiplierUp": "5",
    "askMultiplierDown": "0.8",
    "avgPriceMins": 1,
}
DOC_LOT_SIZE = {
    "filterType": "LOT_SIZE",
    "minQty": "0.00100000",
    "maxQty": "100000.00000000",
    "stepSize": "0.00100000",
}
DOC_MIN_NOTIONAL = {
    "filterType": "MIN_NOTIONAL",
    "minNotional": "0.00100000",
    "applyToMarket": True,
    "avgPriceMins": 5,
}
DOC_NOTIONAL = {
    "filterType": "NOTIONAL",
    "minNotional": "10.00000000",
    "applyMinToMarket": False,
    "maxNotional": "10000.00000000",
    "applyMaxToMarket": False,
    "avgPriceMins": 5,
}
DOC_ICEBERG_PARTS = {"filterType": "ICEBERG_PARTS", "limit": 10}
DOC_MARKET_LOT_SIZE = {
    "filterType": "MARKET_LOT_SIZE",
    "minQty": "0.00100000",
    "maxQty": "100000.00000000",
    "stepSize": "0.00100000",
}
DOC_MAX_NUM_ORDERS = {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 25}
DOC_MAX_NUM_ALGO_ORDERS = {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5}
DOC_MAX_NUM_ICEBERG_ORDERS = {"filterType": "MAX_NUM_ICEBERG_ORDERS", "maxNumIcebergOrders": 5}
DOC_MAX_POSITION = {"filterType": "MAX_POSITION", "maxPosition": "10.00000000"}
DOC_TRAILING_DELTA = {
    "filterType": "TRAILING_DELTA",
    "minTrailingAboveDelta": 10,
    "maxTrailingAboveDelta": 2000,
    "minTrailingBelowDelta": 10,
    "maxTrailingBelowDelta": 2000,
}
DOC_EXCHANGE_MAX_NUM_ORDERS = {"filterType": "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders": 1000}
DOC_EXCHANGE_MAX_NUM_ALGO_ORDERS = {"filterType": "EXCHANGE_MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 200}
DOC_EXCHANGE_MAX_NUM_ICEBERG_ORDERS = {
    "filterType": "EXCHANGE_MAX_NUM_ICEBERG_ORDERS",
    "maxNumIcebergOrders": 10000,
}


def rules_with(*filters: dict[str, Any], **fields: Any) -> SymbolRules:
    info: dict[str, Any] = {
        "symbol": "TESTUSDT",
        "baseAsset": "TEST",
        "quoteAsset": "USDT",
        "filters": list(filters),
    }
    info.update(fields)
    return SymbolRules.from_symbol_info(info)


def order(side: Side = BUY, type: OrderType = LIMIT, **kw: Any) -> OrderCheck:
    values: dict[str, Any] = {k: D(v) if isinstance(v, str) else v for k, v in kw.items()}
    return OrderCheck("TESTUSDT", side, type, **values)


def assert_fails(failure: FilterFailure | None, name: str, field: str, code: int = -1013) -> FilterFailure:
    assert failure is not None, f"expected {name} to fail"
    assert (failure.filter, failure.field, failure.code) == (name, field, code), failure
    assert failure.message == f"Filter failure: {name}"
    assert failure.is_filter
    return failure


BTC = SymbolRules.from_symbol_info(DEFAULT_SYMBOL_INFO["BTCUSDT"])


# --- wire shapes -----------------------------------------------------------------------------


@pytest.mark.parametrize("symbol", sorted(DEFAULT_SYMBOL_INFO))
def test_default_symbols_round_trip_exactly(symbol: str) -> None:
    info = DEFAULT_SYMBOL_INFO[symbol]
    rules = SymbolRules.from_symbol_info(info)
    again = rules.to_symbol_info()
    assert again == info
    assert list(again) == list(info)
    assert [f["filterType"] for f in again["filters"]] == [f["filterType"] for f in info["filters"]]
    assert rules.unknown_filters == ()


def test_default_symbols_carry_the_required_filters() -> None:
    required = {
        "PRICE_FILTER",
        "LOT_SIZE",
        "ICEBERG_PARTS",
        "MARKET_LOT_SIZE",
        "TRAILING_DELTA",
        "PERCENT_PRICE_BY_SIDE",
        "NOTIONAL",
        "MAX_NUM_ORDERS",
        "MAX_NUM_ALGO_ORDERS",
    }
    for info in DEFAULT_SYMBOL_INFO.values():
        assert required <= {f["filterType"] for f in info["filters"]}
        assert info["status"] == "TRADING" and info["orderTypes"] and info["permissionSets"]


def test_default_values_are_binances() -> None:
    btc = BTC
    assert btc.price_filter == PriceFilter(D("0.01"), D("1000000"), D("0.01"))
    assert btc.lot_size == LotSize(D("0.00001"), D("9000"), D("0.00001"))
    assert btc.notional is not None and btc.notional.min_notional == D(5)
    eth = SymbolRules.from_symbol_info(DEFAULT_SYMBOL_INFO["ETHUSDT"])
    assert eth.lot_size is not None and eth.lot_size.step_size == D("0.0001")
    bnb = SymbolRules.from_symbol_info(DEFAULT_SYMBOL_INFO["BNBUSDT"])
    assert bnb.lot_size is not None and bnb.lot_size.step_size == D("0.001")
    ethbtc = SymbolRules.from_symbol_info(DEFAULT_SYMBOL_INFO["ETHBTC"])
    assert ethbtc.price_filter is not None and ethbtc.price_filter.tick_size == D("0.00001")
    assert ethbtc.notional is not None and ethbtc.notional.min_notional == D("0.0001")
    assert (ethbtc.base_asset, ethbtc.quote_asset) == ("ETH", "BTC")


def test_filter_to_json_writes_binance_numbers() -> None:
    zero_step = parse_filters([{**DOC_MARKET_LOT_SIZE, "minQty": "0.00000000", "stepSize": "0.00000000"}])[0]
    wire = filter_to_json(zero_step)
    assert wire == {
        "filterType": "MARKET_LOT_SIZE",
        "minQty": "0.00000000",
        "maxQty": "100000.00000000",
        "stepSize": "0.00000000",
    }
    assert next(iter(wire)) == "filterType"
    by_side = parse_filters([DOC_PERCENT_PRICE_BY_SIDE])[0]
    assert filter_to_json(by_side) == DOC_PERCENT_PRICE_BY_SIDE  # "5" stays "5", "1.2" stays "1.2"


def test_every_documented_filter_parses_and_round_trips() -> None:
    docs: list[dict[str, Any]] = [
        DOC_PRICE_FILTER,
        DOC_PERCENT_PRICE,
        DOC_PERCENT_PRICE_BY_SIDE,
        DOC_LOT_SIZE,
        DOC_MIN_NOTIONAL,
        DOC_NOTIONAL,
        DOC_ICEBERG_PARTS,
        DOC_MARKET_LOT_SIZE,
        DOC_MAX_NUM_ORDERS,
        DOC_MAX_NUM_ALGO_ORDERS,
        DOC_MAX_NUM_ICEBERG_ORDERS,
        DOC_MAX_POSITION,
        DOC_TRAILING_DELTA,
    ]
    parsed = parse_filters(docs)
    assert [filter_to_json(f) for f in parsed] == docs
    exchange = [
        DOC_EXCHANGE_MAX_NUM_ORDERS,
        DOC_EXCHANGE_MAX_NUM_ALGO_ORDERS,
        DOC_EXCHANGE_MAX_NUM_ICEBERG_ORDERS,
    ]
    parsed_exchange = parse_exchange_filters(exchange)
    assert [filter_to_json(f) for f in parsed_exchange] == exchange
    assert parsed_exchange[0] == ExchangeMaxNumOrders(1000)


def test_unknown_and_malformed_filters_do_not_break_decoding() -> None:
    unknown = {"filterType": "SOMETHING_NEW", "limit": 3}
    malformed = {"filterType": "LOT_SIZE", "minQty": "abc", "maxQty": "1", "stepSize": "1"}
    negative = {"filterType": "PRICE_FILTER", "minPrice": "-1", "maxPrice": "1", "tickSize": "1"}
    assert parse_filters([unknown, DOC_LOT_SIZE, malformed, negative]) == [
        LotSize(D("0.001"), D("100000"), D("0.001"))
    ]
    rules = rules_with(DOC_LOT_SIZE, unknown, malformed)
    assert rules.unknown_filters == (unknown, malformed)
    assert rules.to_symbol_info()["filters"] == [DOC_LOT_SIZE, unknown, malformed]
    assert SymbolRules.from_symbol_info(rules.to_symbol_info()) == rules


def test_newer_filters_are_known() -> None:
    rules = SymbolRules.from_symbol_info(DEFAULT_SYMBOL_INFO["BTCUSDT"])
    assert rules.max_num_order_amends == MaxNumOrderAmends(10)
    assert rules.max_num_order_lists is not None and rules.max_num_order_lists.max_num_order_lists == 20


def test_unknown_top_level_keys_survive_and_absent_keys_default() -> None:
    rules = SymbolRules.from_symbol_info({"symbol": "XUSDT", "newFlag": [1, 2]})
    assert rules.extra == {"newFlag": [1, 2]}
    assert rules.to_symbol_info()["newFlag"] == [1, 2]
    assert rules.status == SymbolStatus.TRADING
    assert OrderType.MARKET in rules.order_types
    assert rules.quote_asset_precision == 8
    assert rules.check(OrderCheck("XUSDT", BUY, MARKET, quantity=D("1.5"))) is None


def test_unknown_status_is_kept_as_text() -> None:
    rules = rules_with(status="PENDING_TRADING")
    assert rules.status == "PENDING_TRADING"
    assert rules.to_symbol_info()["status"] == "PENDING_TRADING"


# --- PRICE_FILTER ----------------------------------------------------------------------------


def test_price_filter_docs_example() -> None:
    rules = rules_with(DOC_PRICE_FILTER)
    assert rules.check(order(price="0.000001", quantity="1")) is None
    assert rules.check(order(price="100000", quantity="1")) is None
    assert rules.check(order(price="1.234567", quantity="1")) is None
    f = assert_fails(rules.check(order(price="0.0000009", quantity="1")), "PRICE_FILTER", "price")
    assert f.detail == "0.0000009 is below minPrice 0.000001"
    f = assert_fails(rules.check(order(price="100000.000001", quantity="1")), "PRICE_FILTER", "price")
    assert f.detail == "100000.000001 is above maxPrice 100000"
    f = assert_fails(rules.check(order(price="1.2345675", quantity="1")), "PRICE_FILTER", "price")
    assert f.detail == "1.2345675 is not 0.000001 plus a multiple of tickSize 0.000001"


def test_price_filter_checks_stop_price_too() -> None:
    rules = rules_with(DOC_PRICE_FILTER)
    stop = order(type=OrderType.STOP_LOSS_LIMIT, price="1", stop_price="1.0000001", quantity="1")
    assert_fails(rules.check(stop), "PRICE_FILTER", "stopPrice")
    assert rules.check(order(type=OrderType.STOP_LOSS, stop_price="1.000001", quantity="1")) is None


def test_price_filter_zero_disables_each_part() -> None:
    rules = rules_with({"filterType": "PRICE_FILTER", "minPrice": "0", "maxPrice": "0", "tickSize": "0"})
    assert rules.check(order(price="123456789.123", quantity="1")) is None
    only_tick = rules_with(
        {"filterType": "PRICE_FILTER", "minPrice": "0", "maxPrice": "0", "tickSize": "0.5"}
    )
    assert only_tick.check(order(price="0.5", quantity="1")) is None
    assert_fails(only_tick.check(order(price="0.7", quantity="1")), "PRICE_FILTER", "price")


def test_tick_is_counted_from_min_price() -> None:
    rules = rules_with(
        {"filterType": "PRICE_FILTER", "minPrice": "0.005", "maxPrice": "0", "tickSize": "0.01"}
    )
    assert rules.check(order(price="0.015", quantity="1")) is None
    assert_fails(rules.check(order(price="0.02", quantity="1")), "PRICE_FILTER", "price")
    assert rules.round_price(D("0.0249")) == D("0.015")
    assert rules.round_price(D("0.0151"), Rounding.UP) == D("0.025")


# --- PERCENT_PRICE and PERCENT_PRICE_BY_SIDE --------------------------------------------------


def test_percent_price_docs_example() -> None:
    rules = rules_with(DOC_PERCENT_PRICE)
    ctx = MarketContext(weighted_avg_price=D("100"))
    assert rules.check(order(price="130", quantity="1"), ctx) is None
    assert rules.check(order(price="70", quantity="1"), ctx) is None
    f = assert_fails(rules.check(order(price="130.01", quantity="1"), ctx), "PERCENT_PRICE", "price")
    assert f.detail == "130.01 is above average price 100 * multiplierUp 1.3 = 130"
    f = assert_fails(rules.check(order(price="69.99", quantity="1"), ctx), "PERCENT_PRICE", "price")
    assert f.detail == "69.99 is below average price 100 * multiplierDown 0.7 = 70"


def test_percent_price_is_skipped_without_a_price_figure() -> None:
    rules = rules_with(DOC_PERCENT_PRICE)
    assert rules.check(order(price="1000000", quantity="1")) is None


def test_avg_price_mins_zero_uses_the_last_price() -> None:
    rules = rules_with({**DOC_PERCENT_PRICE, "avgPriceMins": 0})
    ctx = MarketContext(last_price=D("100"), weighted_avg_price=D("1000"))
    assert rules.check(order(price="129", quantity="1"), ctx) is None
    assert_fails(rules.check(order(price="500", quantity="1"), ctx), "PERCENT_PRICE", "price")
    # the average stands in for the last price when only it is known
    assert rules.check(order(price="1200", quantity="1"), MarketContext(weighted_avg_price=D("1000"))) is None


def test_percent_price_by_side_docs_example() -> None:
    rules = rules_with(DOC_PERCENT_PRICE_BY_SIDE)
    ctx = MarketContext(weighted_avg_price=D("100"))
    assert rules.check(order(BUY, price="120", quantity="1"), ctx) is None
    assert rules.check(order(BUY, price="20", quantity="1"), ctx) is None
    f = assert_fails(
        rules.check(order(BUY, price="121", quantity="1"), ctx), "PERCENT_PRICE_BY_SIDE", "price"
    )
    assert f.detail == "121 is above average price 100 * bidMultiplierUp 1.2 = 120"
    assert_fails(rules.check(order(BUY, price="19", quantity="1"), ctx), "PERCENT_PRICE_BY_SIDE", "price")
    assert rules.check(order(SELL, price="121", quantity="1"), ctx) is None
    assert rules.check(order(SELL, price="500", quantity="1"), ctx) is None
    f = assert_fails(
        rules.check(order(SELL, price="79", quantity="1"), ctx), "PERCENT_PRICE_BY_SIDE", "price"
    )
    assert f.detail == "79 is below average price 100 * askMultiplierDown 0.8 = 80"


# --- LOT_SIZE and MARKET_LOT_SIZE ------------------------------------------------------------


def test_lot_size_docs_example() -> None:
    rules = rules_with(DOC_LOT_SIZE)
    assert rules.check(order(price="1", quantity="0.001")) is None
    assert rules.check(order(price="1", quantity="100000")) is None
    f = assert_fails(rules.check(order(price="1", quantity="0.0009")), "LOT_SIZE", "quantity")
    assert f.detail == "0.0009 is below minQty 0.001"
    f = assert_fails(rules.check(order(price="1", quantity="100000.001")), "LOT_SIZE", "quantity")
    assert f.detail == "100000.001 is above maxQty 100000"
    f = assert_fails(rules.check(order(price="1", quantity="1.0005")), "LOT_SIZE", "quantity")
    assert f.detail == "1.0005 is not 0.001 plus a multiple of stepSize 0.001"


def test_lot_size_applies_to_iceberg_qty() -> None:
    rules = rules_with(DOC_LOT_SIZE)
    assert_fails(rules.check(order(price="1", quantity="1", iceberg_qty="0.0005")), "LOT_SIZE", "icebergQty")
    assert rules.check(order(price="1", quantity="1", iceberg_qty="0.5")) is None


def test_lot_size_applies_to_market_orders_as_well() -> None:
    rules = rules_with(DOC_LOT_SIZE)
    assert_fails(rules.check(order(type=MARKET, quantity="0.0001")), "LOT_SIZE", "quantity")


def test_market_lot_size_only_for_market_orders() -> None:
    rules = rules_with({**DOC_MARKET_LOT_SIZE, "maxQty": "5.00000000"})
    assert rules.check(order(price="1", quantity="6")) is None
    f = assert_fails(rules.check(order(type=MARKET, quantity="6")), "MARKET_LOT_SIZE", "quantity")
    assert f.detail == "6 is above maxQty 5"
    assert_fails(rules.check(order(type=MARKET, quantity="1.0001")), "MARKET_LOT_SIZE", "quantity")
    assert rules.check(order(type=MARKET, quantity="1.001")) is None


def test_market_lot_size_with_zero_step_and_min_like_binance_symbols() -> None:
    # BTCUSDT's MARKET_LOT_SIZE has minQty 0 and stepSize 0: only maxQty applies
    ctx = MarketContext(weighted_avg_price=D("60000"))
    assert BTC.check(OrderCheck("BTCUSDT", BUY, MARKET, quantity=D("0.001")), ctx) is None
    f = BTC.check(OrderCheck("BTCUSDT", BUY, MARKET, quantity=D("105")), ctx)
    assert_fails(f, "MARKET_LOT_SIZE", "quantity")


# --- MIN_NOTIONAL and NOTIONAL ---------------------------------------------------------------


def test_min_notional_docs_example() -> None:
    rules = rules_with(DOC_MIN_NOTIONAL)
    assert rules.check(order(price="0.01", quantity="0.1")) is None
    f = assert_fails(rules.check(order(price="0.01", quantity="0.09")), "MIN_NOTIONAL", "quantity")
    assert f.detail == "price 0.01 * quantity 0.09 = 0.0009 is below minNotional 0.001"


def test_min_notional_market_orders_use_the_average_price() -> None:
    rules = rules_with(DOC_MIN_NOTIONAL)
    ctx = MarketContext(weighted_avg_price=D("0.01"))
    assert_fails(rules.check(order(type=MARKET, quantity="0.05"), ctx), "MIN_NOTIONAL", "quantity")
    assert rules.check(order(type=MARKET, quantity="0.1"), ctx) is None
    assert rules.check(order(type=MARKET, quantity="0.05")) is None  # no price figure: skipped
    not_market = rules_with({**DOC_MIN_NOTIONAL, "applyToMarket": False})
    assert not_market.check(order(type=MARKET, quantity="0.05"), ctx) is None


def test_min_notional_algo_and_iceberg_parts() -> None:
    rules = rules_with(DOC_MIN_NOTIONAL)
    algo = order(SELL, OrderType.STOP_LOSS_LIMIT, price="1", stop_price="0.005", quantity="0.1")
    assert_fails(rules.check(algo), "MIN_NOTIONAL", "stopPrice")
    iceberg = order(price="0.01", quantity="1", iceberg_qty="0.05")
    assert_fails(rules.check(iceberg), "MIN_NOTIONAL", "icebergQty")


def test_notional_docs_example() -> None:
    rules = rules_with(DOC_NOTIONAL)
    assert rules.check(order(price="10", quantity="1")) is None
    assert rules.check(order(price="10", quantity="1000")) is None
    f = assert_fails(rules.check(order(price="9.99", quantity="1")), "NOTIONAL", "quantity")
    assert f.detail == "price 9.99 * quantity 1 = 9.99 is below minNotional 10"
    f = assert_fails(rules.check(order(price="10", quantity="1000.1")), "NOTIONAL", "quantity")
    assert f.detail == "price 10 * quantity 1000.1 = 10001 is above maxNotional 10000"


def test_notional_market_flags() -> None:
    ctx = MarketContext(weighted_avg_price=D("10"))
    rules = rules_with(DOC_NOTIONAL)  # neither applies to MARKET
    assert rules.check(order(type=MARKET, quantity="0.1"), ctx) is None
    assert rules.check(order(type=MARKET, quantity="100000"), ctx) is None
    both = rules_with({**DOC_NOTIONAL, "applyMinToMarket": True, "applyMaxToMarket": True})
    assert_fails(both.check(order(type=MARKET, quantity="0.1"), ctx), "NOTIONAL", "quantity")
    assert_fails(both.check(order(type=MARKET, quantity="100000"), ctx), "NOTIONAL", "quantity")
    assert both.check(order(type=MARKET, quantity="5"), ctx) is None


def test_quote_order_qty_is_the_notional_of_a_market_order() -> None:
    ctx = MarketContext(weighted_avg_price=D("60000"))
    f = BTC.check(OrderCheck("BTCUSDT", BUY, MARKET, quote_order_qty=D("4.99")), ctx)
    f = assert_fails(f, "NOTIONAL", "quoteOrderQty")
    assert f.detail == "quoteOrderQty 4.99 is below minNotional 5"
    assert BTC.check(OrderCheck("BTCUSDT", BUY, MARKET, quote_order_qty=D("5")), ctx) is None
    # no price figure is needed for it
    assert BTC.check(OrderCheck("BTCUSDT", BUY, MARKET, quote_order_qty=D("4.99"))) is not None


def test_limit_maker_uses_price_times_quantity() -> None:
    f = BTC.check(
        OrderCheck("BTCUSDT", SELL, OrderType.LIMIT_MAKER, quantity=D("0.0001"), price=D("49999.99"))
    )
    assert_fails(f, "NOTIONAL", "quantity")
    ok = OrderCheck("BTCUSDT", SELL, OrderType.LIMIT_MAKER, quantity=D("0.0001"), price=D("50000"))
    assert BTC.check(ok) is None


# --- ICEBERG_PARTS ---------------------------------------------------------------------------


def test_iceberg_parts_is_ceil_of_qty_over_iceberg_qty() -> None:
    rules = rules_with(DOC_ICEBERG_PARTS)
    assert rules.check(order(price="1", quantity="1", iceberg_qty="0.1")) is None  # exactly 10 parts
    f = assert_fails(
        rules.check(order(price="1", quantity="1", iceberg_qty="0.099")), "ICEBERG_PARTS", "icebergQty"
    )
    assert f.detail == "quantity 1 / icebergQty 0.099 = 11 parts, above limit 10"
    assert rules.check(order(price="1", quantity="1")) is None


# --- TRAILING_DELTA --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "side", "kind"),
    [
        (OrderType.STOP_LOSS, BUY, "Above"),
        (OrderType.STOP_LOSS_LIMIT, BUY, "Above"),
        (OrderType.TAKE_PROFIT, SELL, "Above"),
        (OrderType.TAKE_PROFIT_LIMIT, SELL, "Above"),
        (OrderType.STOP_LOSS, SELL, "Below"),
        (OrderType.STOP_LOSS_LIMIT, SELL, "Below"),
        (OrderType.TAKE_PROFIT, BUY, "Below"),
        (OrderType.TAKE_PROFIT_LIMIT, BUY, "Below"),
    ],
)
def test_trailing_delta_by_type_and_side(type_: OrderType, side: Side, kind: str) -> None:
    above_min = 50 if kind == "Above" else 10
    below_min = 10 if kind == "Above" else 50
    rules = rules_with(
        {**DOC_TRAILING_DELTA, "minTrailingAboveDelta": above_min, "minTrailingBelowDelta": below_min}
    )
    price = "1" if type_ in (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT) else None
    kw: dict[str, Any] = {"quantity": "1", "price": price} if price else {"quantity": "1"}
    assert rules.check(order(side, type_, trailing_delta=50, **kw)) is None
    f = assert_fails(
        rules.check(order(side, type_, trailing_delta=49, **kw)), "TRAILING_DELTA", "trailingDelta"
    )
    assert f.detail == f"49 is below minTrailing{kind}Delta 50 for {type_} {side}"
    f = assert_fails(
        rules.check(order(side, type_, trailing_delta=2001, **kw)), "TRAILING_DELTA", "trailingDelta"
    )
    assert f.detail == f"2001 is above maxTrailing{kind}Delta 2000 for {type_} {side}"


# --- order counts and position (-2010) -------------------------------------------------------


def test_max_num_orders() -> None:
    rules = rules_with(DOC_MAX_NUM_ORDERS)
    assert rules.check(order(price="1", quantity="1"), MarketContext(open_orders=24)) is None
    f = rules.check(order(price="1", quantity="1"), MarketContext(open_orders=25))
    f = assert_fails(f, "MAX_NUM_ORDERS", "symbol", code=-2010)
    assert f.detail == "25 open orders on the symbol already, limit 25"
    assert rules.check(order(price="1", quantity="1")) is None  # count unknown: skipped


def test_max_num_algo_orders_counts_only_algo_orders() -> None:
    rules = rules_with(DOC_MAX_NUM_ALGO_ORDERS)
    ctx = MarketContext(open_algo_orders=5)
    assert rules.check(order(price="1", quantity="1"), ctx) is None
    algo = order(SELL, OrderType.STOP_LOSS, stop_price="1", quantity="1")
    assert_fails(rules.check(algo, ctx), "MAX_NUM_ALGO_ORDERS", "symbol", code=-2010)
    assert rules.check(algo, MarketContext(open_algo_orders=4)) is None


def test_max_num_iceberg_orders_counts_only_iceberg_orders() -> None:
    rules = rules_with(DOC_MAX_NUM_ICEBERG_ORDERS)
    ctx = MarketContext(open_iceberg_orders=5)
    assert rules.check(order(price="1", quantity="1"), ctx) is None
    assert rules.check(order(price="1", quantity="1", iceberg_qty="0"), ctx) is None
    iceberg = order(price="1", quantity="1", iceberg_qty="0.5")
    assert_fails(rules.check(iceberg, ctx), "MAX_NUM_ICEBERG_ORDERS", "symbol", code=-2010)


def test_max_position_docs_example() -> None:
    rules = rules_with(DOC_MAX_POSITION)
    ctx = MarketContext(base_position=D("9"))
    assert rules.check(order(BUY, price="1", quantity="1"), ctx) is None
    f = assert_fails(
        rules.check(order(BUY, price="1", quantity="1.1"), ctx), "MAX_POSITION", "quantity", -2010
    )
    assert f.detail == "position 9 + quantity 1.1 exceeds maxPosition 10"
    assert rules.check(order(SELL, price="1", quantity="5"), MarketContext(base_position=D("11"))) is None
    over = MarketContext(base_position=D("10.5"))
    assert_fails(
        rules.check(order(BUY, type=MARKET, quote_order_qty="1"), over), "MAX_POSITION", "quantity", -2010
    )


def test_exchange_filters() -> None:
    rules = rules_with()
    exchange = parse_exchange_filters(
        [DOC_EXCHANGE_MAX_NUM_ORDERS, DOC_EXCHANGE_MAX_NUM_ALGO_ORDERS, DOC_EXCHANGE_MAX_NUM_ICEBERG_ORDERS]
    )
    plain = order(price="1", quantity="1")
    assert rules.check(plain, MarketContext(account_open_orders=999), exchange) is None
    f = rules.check(plain, MarketContext(account_open_orders=1000), exchange)
    assert_fails(f, "EXCHANGE_MAX_NUM_ORDERS", "symbol", code=-2010)
    algo = order(SELL, OrderType.TAKE_PROFIT, stop_price="2", quantity="1")
    f = rules.check(algo, MarketContext(account_open_algo_orders=200), exchange)
    assert_fails(f, "EXCHANGE_MAX_NUM_ALGO_ORDERS", "symbol", code=-2010)
    iceberg = order(price="1", quantity="1", iceberg_qty="0.5")
    f = rules.check(iceberg, MarketContext(account_open_iceberg_orders=10000), exchange)
    assert_fails(f, "EXCHANGE_MAX_NUM_ICEBERG_ORDERS", "symbol", code=-2010)
    assert exchange[1] == ExchangeMaxNumAlgoOrders(200)
    assert exchange[2] == ExchangeMaxNumIcebergOrders(10000)


# --- checks before and beside the filters ----------------------------------------------------


def test_too_much_precision_is_1111() -> None:
    f = BTC.check(OrderCheck("BTCUSDT", BUY, LIMIT, quantity=D("0.123456789"), price=D("60000")))
    assert f is not None
    assert (f.code, f.field, f.filter) == (-1111, "quantity", "BAD_PRECISION")
    assert f.message == "Parameter 'quantity' has too much precision."
    assert not f.is_filter
    f = BTC.check(OrderCheck("BTCUSDT", BUY, LIMIT, quantity=D("1"), price=D("60000.000000001")))
    assert f is not None and f.message == "Parameter 'price' has too much precision."
    # trailing zeros are not precision
    assert BTC.check(OrderCheck("BTCUSDT", BUY, LIMIT, quantity=D("0.00100000000"), price=D("60000"))) is None


def test_illegal_characters_is_1100() -> None:
    f = BTC.check(OrderCheck("BTCUSDT", BUY, LIMIT, quantity=D("-1"), price=D("60000")))
    assert f is not None and f.code == -1100
    assert f.message == (
        "Illegal characters found in parameter 'quantity'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'."
    )
    for bad in (D("NaN"), D("Infinity"), D("1E+25"), D("-0")):
        f = BTC.check(OrderCheck("BTCUSDT", BUY, LIMIT, quantity=D(1), price=bad))
        assert f is not None and (f.code, f.field) == (-1100, "price"), bad


def test_zero_quantity_and_zero_notional() -> None:
    f = BTC.check(OrderCheck("BTCUSDT", BUY, LIMIT, quantity=D(0), price=D("60000")))
    assert f is not None and (f.code, f.message, f.field) == (-1013, "Invalid quantity.", "quantity")
    no_min = rules_with({"filterType": "PRICE_FILTER", "minPrice": "0", "maxPrice": "0", "tickSize": "0"})
    f = no_min.check(order(price="0", quantity="1"))
    assert f is not None and (f.code, f.message) == (-1013, "Price * QTY is zero or less.")
    f = rules_with().check(order(type=MARKET, quote_order_qty="0"))
    assert f is not None and f.message == "Price * QTY is zero or less."


def test_what_the_symbol_supports() -> None:
    halted = rules_with(status="HALT")
    f = halted.check(order(price="1", quantity="1"))
    assert f is not None and (f.code, f.message) == (-2010, "Market is closed.")

    no_market = rules_with(orderTypes=["LIMIT", "LIMIT_MAKER"])
    f = no_market.check(order(type=MARKET, quantity="1"))
    assert f is not None and (f.code, f.message) == (
        -2010,
        "Market orders are not supported for this symbol.",
    )
    f = no_market.check(order(SELL, OrderType.STOP_LOSS_LIMIT, price="1", stop_price="1", quantity="1"))
    assert f is not None and f.message == "Stop loss limit orders are not supported for this symbol."
    f = rules_with(orderTypes=["MARKET"]).check(order(price="1", quantity="1"))
    assert f is not None and (f.code, f.message) == (-1014, "Unsupported order combination.")

    f = rules_with(icebergAllowed=False).check(order(price="1", quantity="1", iceberg_qty="0.5"))
    assert f is not None and f.message == "Iceberg orders are not supported for this symbol."
    f = rules_with().check(order(price="1", quantity="1", iceberg_qty="2"))
    assert f is not None and (f.code, f.message) == (-2010, "IcebergQty exceeds QTY.")
    f = rules_with(quoteOrderQtyMarketAllowed=False).check(order(type=MARKET, quote_order_qty="10"))
    assert f is not None and f.message == "Quote order qty market orders are not support for this symbol."
    trailing = order(SELL, OrderType.STOP_LOSS, quantity="1", trailing_delta=100)
    f = rules_with(allowTrailingStop=False).check(trailing)
    assert f is not None and f.message == "Trailing stop orders are not supported for this symbol."


def test_check_order_precision_then_filters_then_engine() -> None:
    rules = rules_with(DOC_LOT_SIZE, DOC_PRICE_FILTER, DOC_MAX_NUM_ORDERS, status="BREAK")
    full = MarketContext(open_orders=25)
    bad_everything = order(price="0.00000001", quantity="0.0000000001")
    f = rules.check(bad_everything, full)
    assert f is not None and f.code == -1111
    f = rules.check(order(price="0.0000001", quantity="0.0001"), full)
    assert f is not None and f.filter == "LOT_SIZE"  # listed before PRICE_FILTER on this symbol
    f = rules.check(order(price="0.0000001", quantity="1"), full)
    assert f is not None and f.filter == "PRICE_FILTER"
    f = rules.check(order(price="1", quantity="1"), full)
    assert f is not None and f.message == "Market is closed."
    f = rules_with(DOC_MAX_NUM_ORDERS).check(order(price="1", quantity="1"), full)
    assert f is not None and f.filter == "MAX_NUM_ORDERS"


# --- validate and the exception --------------------------------------------------------------


def test_validate_raises_order_rejected_locally_naming_field_and_limit() -> None:
    rules = rules_with({**DOC_LOT_SIZE, "minQty": "0.00010000", "stepSize": "0.00001000"})
    with pytest.raises(OrderRejectedLocally) as info:
        rules.validate(order(price="1", quantity="0.00001"))
    err = info.value
    assert isinstance(err, RuleViolation) and isinstance(err, InvalidParameter)
    assert (err.rule, err.field, err.detail) == ("LOT_SIZE", "quantity", "0.00001 is below minQty 0.0001")
    assert str(err) == "Filter failure: LOT_SIZE (quantity: 0.00001 is below minQty 0.0001)"
    assert err.failure.code == -1013
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.failure == err.failure
    rules.validate(order(price="1", quantity="0.00011"))  # passes: no exception


def test_validate_non_filter_text() -> None:
    with pytest.raises(RuleViolation) as info:
        BTC.validate(OrderCheck("BTCUSDT", BUY, LIMIT, quantity=D("0.123456789"), price=D("1")))
    assert str(info.value).startswith("Parameter 'quantity' has too much precision. (quantity: 0.123456789")


# --- rounding --------------------------------------------------------------------------------


def test_round_price_modes() -> None:
    assert BTC.round_price(D("60000.129")) == D("60000.12")
    assert BTC.round_price(D("60000.121"), Rounding.UP) == D("60000.13")
    assert BTC.round_price(D("60000.125"), Rounding.NEAREST) == D("60000.12")
    assert BTC.round_price(D("60000.135"), Rounding.NEAREST) == D("60000.14")
    assert BTC.round_price(D("60000.1251"), Rounding.NEAREST) == D("60000.13")
    assert BTC.round_price(D("60000.12")) == D("60000.12")
    assert str(BTC.round_price(D("60000.129"))) == "60000.12"


def test_round_qty_uses_lot_size_or_market_lot_size() -> None:
    assert BTC.round_qty(D("0.123456")) == D("0.12345")
    assert BTC.round_qty(D("0.123451"), Rounding.UP) == D("0.12346")
    assert BTC.round_qty(D("0.123456"), market=True) == D("0.12345")  # MARKET step 0: LOT_SIZE's
    rules = rules_with(DOC_LOT_SIZE, {**DOC_MARKET_LOT_SIZE, "minQty": "0", "stepSize": "0.1"})
    assert rules.round_qty(D("1.2345"), market=True) == D("1.2")
    assert rules.round_qty(D("1.2345")) == D("1.234")
    assert rules_with().round_qty(D("1.23456789")) == D("1.23456789")  # no LOT_SIZE: unchanged


def test_rounding_and_checks_are_exact_beyond_the_default_precision() -> None:
    # Up to 36 significant digits: the default context (28) would round every one of these.
    rules = rules_with(
        {"filterType": "LOT_SIZE", "minQty": "0", "maxQty": "0", "stepSize": "0.000000000000001"},
        {**DOC_NOTIONAL, "maxNotional": "0", "minNotional": "1234567890123456789"},
        baseAssetPrecision=20,
        quoteAssetPrecision=20,
    )
    qty = D("1234567890123456789.12345678901234567")
    assert str(rules.round_qty(qty)) == "1234567890123456789.123456789012345"
    assert str(rules.round_qty(qty, Rounding.UP)) == "1234567890123456789.123456789012346"
    on_grid = "1234567890123456789.123456789012345"
    assert rules.check(order(price="1", quantity=on_grid)) is None
    off_grid = on_grid + "01"
    assert_fails(rules.check(order(price="1", quantity=off_grid)), "LOT_SIZE", "quantity")
    # price * quantity falls short of minNotional by about 1E-20 (rounded, it would reach it).
    short = order(price="0.99999999999999999999", quantity="1234567890123456789")
    assert_fails(rules.check(short), "NOTIONAL", "quantity")


def test_rules_follow_filters_given_to_replace() -> None:
    no_lot = dataclasses.replace(BTC, filters=tuple(f for f in BTC.filters if not isinstance(f, LotSize)))
    assert no_lot.lot_size is None and BTC.lot_size is not None
    assert no_lot.round_qty(D("0.123456")) == D("0.123456")
    assert no_lot.check(order(price="30000", quantity="0.00123456")) is None
    assert_fails(BTC.check(order(price="30000", quantity="0.00123456")), "LOT_SIZE", "quantity")


def test_rounding_refuses_non_finite_numbers() -> None:
    with pytest.raises(InvalidParameter):
        BTC.round_price(D("NaN"))
    with pytest.raises(InvalidParameter):
        BTC.round_qty(D("Infinity"))


# --- ExchangeRules ---------------------------------------------------------------------------


def exchange_info() -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": 1,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000}
        ],
        "exchangeFilters": [DOC_EXCHANGE_MAX_NUM_ORDERS, {"filterType": "EXCHANGE_SOMETHING", "x": 1}],
        "symbols": [copy.deepcopy(info) for info in DEFAULT_SYMBOL_INFO.values()],
    }


def test_exchange_rules_lookup_and_round_trip() -> None:
    info = exchange_info()
    ex = ExchangeRules.from_exchange_info(info)
    assert set(ex.symbols) == set(DEFAULT_SYMBOL_INFO)
    assert ex["ETHBTC"].quote_asset == "BTC"
    assert "BTCUSDT" in ex and ex.get("NOPE") is None
    with pytest.raises(InvalidParameter) as err:
        ex["NOPE"]
    assert err.value.field == "symbol"
    assert ex.exchange_filters == (ExchangeMaxNumOrders(1000),)
    assert ex.to_exchange_info(server_time=1) == info


def test_exchange_rules_check_uses_exchange_filters_and_knows_symbols() -> None:
    ex = ExchangeRules.from_exchange_info(exchange_info())
    ok = OrderCheck("BTCUSDT", BUY, LIMIT, quantity=D("0.001"), price=D("60000"))
    assert ex.check(ok) is None
    f = ex.check(ok, MarketContext(account_open_orders=1000))
    assert f is not None and f.filter == "EXCHANGE_MAX_NUM_ORDERS"
    with pytest.raises(RuleViolation):
        ex.validate(ok, MarketContext(account_open_orders=1000))
    f = ex.check(OrderCheck("NOPE", BUY, LIMIT, quantity=D(1), price=D(1)))
    assert f is not None and (f.code, f.message, f.field) == (-1121, "Invalid symbol.", "symbol")


def test_exchange_rules_from_a_minimal_answer() -> None:
    ex = ExchangeRules.from_exchange_info({"exchangeFilters": [], "symbols": []})
    assert ex.symbols == {} and ex.exchange_filters == () and ex.rate_limits == ()


def test_notional_struct_matches_binance_field_names() -> None:
    n = parse_filters([DOC_NOTIONAL])[0]
    assert isinstance(n, Notional)
    assert (
        n.min_notional,
        n.apply_min_to_market,
        n.max_notional,
        n.apply_max_to_market,
        n.avg_price_mins,
    ) == (
        D(10),
        False,
        D(10000),
        False,
        5,
    )
