"""The endpoint registry against the reference's endpoint list, and the weight rules."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tradeexec.binance.enums import SecurityType
from tradeexec.binance.net.endpoints import (
    REGISTRY,
    RETIRED_ON_BINANCE,
    Endpoint,
    lookup,
)

ENDPOINT_LIST = Path("/work/shared/seeds/spot-api-endpoints.txt")


def _listed() -> list[tuple[str, str]]:
    pairs = []
    for line in ENDPOINT_LIST.read_text(encoding="utf-8").splitlines():
        if line.strip():
            method, path = line.split()
            pairs.append((method, path))
    return pairs


def test_every_endpoint_of_the_reference_is_registered() -> None:
    listed = _listed()
    assert len(listed) == 238
    missing = [pair for pair in listed if pair not in REGISTRY]
    assert not missing


def test_entries_are_well_formed() -> None:
    for (method, path), ep in REGISTRY.items():
        assert (ep.method, ep.path) == (method, path)
        assert method in {"GET", "POST", "PUT", "DELETE"}
        assert ep.base == path.split("/")[1]
        assert ep.weight_kind in {"IP", "UID"}
        assert ep.weight_for({}) >= 0
        assert ep.orders >= 0
        if ep.orders:  # new orders; futures' modify (PUT) counts on the order windows too
            assert method in {"POST", "PUT"} and ep.security is SecurityType.TRADE


def test_lookup_normalises_and_explains_misses() -> None:
    assert lookup("get", "/api/v3/ping?x=1") is REGISTRY[("GET", "/api/v3/ping")]
    with pytest.raises(KeyError, match="no Binance endpoint GET /api/v3/nope"):
        lookup("GET", "/api/v3/nope")


def test_endpoint_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        lookup("GET", "/api/v3/ping").weight = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("method", "path", "security"),
    [
        ("POST", "/api/v3/order", SecurityType.TRADE),
        ("DELETE", "/api/v3/order", SecurityType.TRADE),
        ("GET", "/api/v3/order", SecurityType.USER_DATA),
        ("GET", "/api/v3/account", SecurityType.USER_DATA),
        ("POST", "/api/v3/userDataStream", SecurityType.USER_STREAM),
        ("PUT", "/sapi/v1/userDataStream/isolated", SecurityType.USER_STREAM),
        ("GET", "/api/v3/historicalTrades", SecurityType.MARKET_DATA),
        ("GET", "/api/v3/ping", SecurityType.NONE),
        ("GET", "/api/v3/klines", SecurityType.NONE),
        ("GET", "/sapi/v1/system/status", SecurityType.NONE),
        # The 2022 reference marks margin transfers and loans MARGIN, margin orders TRADE.
        ("POST", "/sapi/v1/margin/transfer", SecurityType.MARGIN),
        ("POST", "/sapi/v1/margin/loan", SecurityType.MARGIN),
        ("POST", "/sapi/v1/margin/order", SecurityType.TRADE),
        ("GET", "/sapi/v1/margin/allPairs", SecurityType.MARKET_DATA),
        ("POST", "/sapi/v1/asset/convert-transfer", SecurityType.USER_DATA),
        ("POST", "/fapi/v1/order", SecurityType.TRADE),
        ("GET", "/fapi/v2/account", SecurityType.USER_DATA),
        ("POST", "/fapi/v1/listenKey", SecurityType.USER_STREAM),
    ],
)
def test_security_types(method: str, path: str, security: SecurityType) -> None:
    assert lookup(method, path).security is security


@pytest.mark.parametrize(
    ("limit", "weight"),
    [(None, 5), (1, 5), (100, 5), (101, 25), (500, 25), (501, 50), (1000, 50), (1001, 250), (5000, 250)],
)
def test_depth_weight_by_limit(limit: int | None, weight: int) -> None:
    ep = lookup("GET", "/api/v3/depth")
    assert ep.weight_for({"symbol": "BTCUSDT", "limit": limit}) == weight
    if limit is not None:
        assert ep.weight_for({"limit": str(limit)}) == weight  # as the server receives it


def test_ticker_weights() -> None:
    t24 = lookup("GET", "/api/v3/ticker/24hr")
    assert t24.weight_for({"symbol": "BTCUSDT"}) == 2
    assert t24.weight_for({}) == 80
    assert t24.weight_for({"symbols": ["A"] * 20}) == 2
    assert t24.weight_for({"symbols": ["A"] * 21}) == 40
    assert t24.weight_for({"symbols": '["A","B"]'}) == 2
    assert t24.weight_for({"symbols": ["A"] * 101}) == 80
    for path in ("/api/v3/ticker/price", "/api/v3/ticker/bookTicker"):
        ep = lookup("GET", path)
        assert ep.weight_for({"symbol": "BTCUSDT"}) == 2
        assert ep.weight_for({}) == 4
        assert ep.weight_for({"symbols": ["A", "B"]}) == 4
    rolling = lookup("GET", "/api/v3/ticker")
    assert rolling.weight_for({"symbol": "BTCUSDT"}) == 4
    assert rolling.weight_for({"symbols": ["A"] * 10}) == 40
    assert rolling.weight_for({"symbols": ["A"] * 51}) == 200
    assert rolling.weight_for({"symbols": ["A"] * 100}) == 200


def test_account_and_order_weights() -> None:
    open_orders = lookup("GET", "/api/v3/openOrders")
    assert open_orders.weight_for({"symbol": "BTCUSDT"}) == 6
    assert open_orders.weight_for({}) == 80
    assert lookup("GET", "/api/v3/myTrades").weight_for({"symbol": "X"}) == 20
    assert lookup("GET", "/api/v3/myTrades").weight_for({"symbol": "X", "orderId": 1}) == 5
    assert lookup("POST", "/api/v3/order/test").weight_for({}) == 1
    assert lookup("POST", "/api/v3/order/test").weight_for({"computeCommissionRates": "true"}) == 20
    fixed = {
        ("GET", "/api/v3/exchangeInfo"): 20,
        ("POST", "/api/v3/order"): 1,
        ("GET", "/api/v3/account"): 20,
        ("GET", "/api/v3/allOrders"): 20,
        ("GET", "/api/v3/historicalTrades"): 25,
        ("GET", "/api/v3/trades"): 25,
        ("GET", "/api/v3/klines"): 2,
        ("GET", "/api/v3/aggTrades"): 2,
        ("GET", "/api/v3/avgPrice"): 2,
        ("GET", "/sapi/v1/accountSnapshot"): 2400,
    }
    for (method, path), weight in fixed.items():
        assert lookup(method, path).weight_for({}) == weight, path


def test_sapi_weights_follow_the_reference() -> None:
    margin_order = lookup("POST", "/sapi/v1/margin/order")
    assert (margin_order.weight_for({}), margin_order.weight_kind) == (6, "UID")
    assert lookup("GET", "/sapi/v1/margin/isolatedMarginData").weight_for({"symbol": "BTCUSDT"}) == 1
    assert lookup("GET", "/sapi/v1/margin/isolatedMarginData").weight_for({}) == 10
    assert lookup("GET", "/sapi/v1/margin/crossMarginData").weight_for({}) == 5


def test_order_units() -> None:
    assert lookup("POST", "/api/v3/order").orders == 1
    assert lookup("POST", "/api/v3/order/oco").orders == 2
    assert lookup("POST", "/api/v3/order/cancelReplace").orders == 1
    assert lookup("DELETE", "/api/v3/order").orders == 0
    assert lookup("POST", "/api/v3/order/test").orders == 0
    assert lookup("POST", "/fapi/v1/order").orders == 1


def test_futures_endpoints_and_weights() -> None:
    for path in ("/fapi/v1/leverage", "/fapi/v1/marginType", "/fapi/v1/order"):
        assert lookup("POST", path).base == "fapi"
    for path in ("/fapi/v2/positionRisk", "/fapi/v3/positionRisk", "/fapi/v3/account"):
        assert lookup("GET", path).security is SecurityType.USER_DATA
    depth = lookup("GET", "/fapi/v1/depth")
    assert [depth.weight_for({"limit": n}) for n in (5, 50, 100, 500, 1000)] == [2, 2, 5, 10, 20]
    assert depth.weight_for({}) == 10
    klines = lookup("GET", "/fapi/v1/klines")
    assert [klines.weight_for({"limit": n}) for n in (99, 100, 499, 500, 1000, 1500)] == [1, 2, 2, 5, 5, 10]
    assert lookup("GET", "/fapi/v1/openOrders").weight_for({}) == 40
    assert lookup("POST", "/fapi/v1/order").weight_for({}) == 0


def test_retired_endpoints_are_still_registered() -> None:
    assert RETIRED_ON_BINANCE
    for key in RETIRED_ON_BINANCE:
        assert isinstance(REGISTRY[key], Endpoint)
