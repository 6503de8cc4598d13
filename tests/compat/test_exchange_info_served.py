"""exchangeInfo advertises nothing the local exchange does not serve: a client that reads the
symbol's flags and lists and uses what they offer must not be refused for it.

Seen on main: ``allowedSelfTradePreventionModes`` listed ``DECREMENT`` and ``TRANSFER``, which the
exchange refused with -1100 (its matching knows the three EXPIRE modes only). Every advertised
order type, STP mode and flag is used here, on every default symbol, through
``POST /api/v3/order/test`` (the full checks, nothing placed) or the endpoint the flag names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from tests.sim.conftest import Api, Reply
from tradeexec.sim import LocalExchange, SimConfig

pytestmark = pytest.mark.compat
pytest_plugins = ("tests.compat.rest_api",)


@pytest.fixture
async def ex() -> AsyncIterator[LocalExchange]:
    cfg = SimConfig.default()
    cfg.market.enabled = False
    async with LocalExchange(cfg, market=False) as exchange:
        yield exchange


def _filter(info: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(f for f in info["filters"] if f["filterType"] == kind)


async def _with_a_market(ex: LocalExchange, api: Api, info: dict[str, Any]) -> Decimal:
    """A last trade and a book on the symbol (stop orders are judged against the last price,
    PERCENT_PRICE_BY_SIDE against the average); returns the price."""
    symbol = info["symbol"]
    tick = Decimal(_filter(info, "PRICE_FILTER")["tickSize"])
    step = Decimal(_filter(info, "LOT_SIZE")["stepSize"])
    floor = Decimal(_filter(info, "NOTIONAL")["minNotional"])
    price = tick * 10_000
    qty = max(step, (floor * 3 / price).quantize(step))
    ex.add_liquidity(symbol, "SELL", str(price), str(qty * 100))
    ex.add_liquidity(symbol, "BUY", str(price - tick * 100), str(qty * 100))
    trade = await api.signed("POST", "/api/v3/order", {"symbol": symbol, "side": "BUY", "type": "MARKET",
                                                         "quantity": str(qty)})  # fmt: skip
    assert trade.status == 200, trade.body
    return price


def _order_of_type(order_type: str, price: Decimal, qty: Decimal, tick: Decimal) -> dict[str, object]:
    """A valid BUY of ``order_type`` resting away from ``price`` (stops above it, limits below)."""
    below, above = price - tick * 500, price + tick * 500
    shapes: dict[str, dict[str, object]] = {
        "LIMIT": {"price": below, "timeInForce": "GTC"},
        "LIMIT_MAKER": {"price": below},
        "MARKET": {},
        "STOP_LOSS": {"stopPrice": above},
        "STOP_LOSS_LIMIT": {"stopPrice": above, "price": above, "timeInForce": "GTC"},
        "TAKE_PROFIT": {"stopPrice": below},
        "TAKE_PROFIT_LIMIT": {"stopPrice": below, "price": below, "timeInForce": "GTC"},
    }
    return {"side": "BUY", "type": order_type, "quantity": qty, **shapes[order_type]}


async def _test_order(api: Api, symbol: str, params: dict[str, object]) -> Reply:
    return await api.signed("POST", "/api/v3/order/test", {"symbol": symbol, **params})


async def test_every_advertised_type_mode_and_flag_is_served(api: Api, ex: LocalExchange) -> None:
    info_all = (await api.public("GET", "/api/v3/exchangeInfo")).body
    refused: list[tuple[str, str, object]] = []
    for info in info_all["symbols"]:
        symbol = info["symbol"]
        price = await _with_a_market(ex, api, info)
        tick = Decimal(_filter(info, "PRICE_FILTER")["tickSize"])
        step = Decimal(_filter(info, "LOT_SIZE")["stepSize"])
        qty = max(step, (Decimal(_filter(info, "NOTIONAL")["minNotional"]) * 2 / price).quantize(step))
        limit = _order_of_type("LIMIT", price, qty, tick)
        uses: dict[str, dict[str, object]] = {
            f"type {t}": _order_of_type(t, price, qty, tick) for t in info["orderTypes"]
        }
        for mode in info["allowedSelfTradePreventionModes"]:
            uses[f"stp {mode}"] = {**limit, "selfTradePreventionMode": mode}
        if info["icebergAllowed"]:
            # twice the notional floor in each visible slice
            uses["icebergAllowed"] = {**limit, "quantity": qty * 4, "icebergQty": qty * 2}
        if info["quoteOrderQtyMarketAllowed"]:
            market = {"side": "BUY", "type": "MARKET"}
            uses["quoteOrderQtyMarketAllowed"] = {**market, "quoteOrderQty": price * qty}
        if info["allowTrailingStop"]:
            trailing = {"side": "BUY", "type": "STOP_LOSS", "quantity": qty, "trailingDelta": 100}
            uses["allowTrailingStop"] = trailing
        for use, params in uses.items():
            reply = await _test_order(api, symbol, params)
            if reply.status != 200:
                refused.append((symbol, use, reply.body))
        if info["ocoAllowed"]:
            oco = {"symbol": symbol, "side": "SELL", "quantity": str(qty), "aboveType": "LIMIT_MAKER",
                   "abovePrice": str(price + tick * 500), "belowType": "STOP_LOSS",
                   "belowStopPrice": str(price - tick * 500)}  # fmt: skip
            reply = await api.signed("POST", "/api/v3/orderList/oco", oco)
            if reply.status != 200 and reply.body.get("code") in (-1020, -1014, -2010):
                refused.append((symbol, "ocoAllowed", reply.body))
        if info["cancelReplaceAllowed"]:
            placed = await api.signed("POST", "/api/v3/order", {"symbol": symbol, **limit})
            again = {"symbol": symbol, "cancelReplaceMode": "STOP_ON_FAILURE", **limit}
            again["cancelOrderId"] = placed.body["orderId"]
            reply = await api.signed("POST", "/api/v3/order/cancelReplace", again)
            if reply.status != 200:
                refused.append((symbol, "cancelReplaceAllowed", reply.body))
    assert refused == [], "\n".join(map(str, refused))


async def test_rate_limits_advertised_are_the_ones_enforced(api: Api, ex: LocalExchange) -> None:
    info = (await api.public("GET", "/api/v3/exchangeInfo")).body
    rows = info["rateLimits"]
    advertised = {(r["rateLimitType"], r["interval"], r["intervalNum"], r["limit"]) for r in rows}
    limits = ex.state.config.rate_limits
    assert advertised == {
        ("REQUEST_WEIGHT", "MINUTE", 1, limits.request_weight_per_minute),
        ("ORDERS", "SECOND", limits.orders_window_s, limits.orders_per_10s),
        ("ORDERS", "DAY", 1, limits.orders_per_day),
        ("RAW_REQUESTS", "MINUTE", 5, limits.raw_requests_per_5m),
    }
    # and the headers count the advertised weight window
    reply = await api.public("GET", "/api/v3/ping")
    assert "X-MBX-USED-WEIGHT-1M" in reply.headers
