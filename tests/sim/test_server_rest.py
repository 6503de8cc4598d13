"""The local exchange's REST API over real sockets: market data, the order lifecycle,
balances, cancel-replace, order lists, and Binance's answer shapes."""

from __future__ import annotations

from decimal import Decimal

from tests.sim.conftest import Api
from tests.sim.order_params import LIMIT_BUY
from tradeexec.sim import LocalExchange


async def test_ping_time_and_exchange_info(api: Api, exchange: LocalExchange) -> None:
    assert (await api.public("GET", "/api/v3/ping")).body == {}
    t = await api.public("GET", "/api/v3/time")
    assert abs(t.body["serverTime"] - exchange.state.now_ms()) < 5_000
    info = await api.public("GET", "/api/v3/exchangeInfo")
    assert info.status == 200
    listed = {s["symbol"] for s in info.body["symbols"]}
    assert listed == {"BTCUSDT", "ETHUSDT", "BNBUSDT", "ETHBTC", "币安人生USDT"}
    kinds = {(r["rateLimitType"], r["interval"], r["limit"]) for r in info.body["rateLimits"]}
    assert ("REQUEST_WEIGHT", "MINUTE", 6000) in kinds and ("ORDERS", "SECOND", 100) in kinds
    one = await api.public("GET", "/api/v3/exchangeInfo", {"symbols": ["ETHBTC", "BTCUSDT"]})
    assert [s["symbol"] for s in one.body["symbols"]] == ["ETHBTC", "BTCUSDT"]
    assert "X-MBX-USED-WEIGHT-1M" in info.headers


async def test_depth_reflects_liquidity(api: Api, exchange: LocalExchange) -> None:
    exchange.add_liquidity("BTCUSDT", "SELL", "60010", "0.5")
    exchange.add_liquidity("BTCUSDT", "BUY", "59990", "0.25")
    d = await api.public("GET", "/api/v3/depth", {"symbol": "BTCUSDT", "limit": 5})
    assert d.status == 200
    assert d.body["asks"] == [["60010.00000000", "0.50000000"]]
    assert d.body["bids"] == [["59990.00000000", "0.25000000"]]
    assert d.body["lastUpdateId"] == exchange.state.engine.last_update_id("BTCUSDT")


async def test_limit_order_place_query_cancel(api: Api, exchange: LocalExchange) -> None:
    placed = await api.signed(
        "POST",
        "/api/v3/order",
        {**LIMIT_BUY, "newClientOrderId": "t1"},
        in_body=True,
    )
    assert placed.status == 200, placed.body
    body = placed.body
    assert list(body)[:5] == ["symbol", "orderId", "orderListId", "clientOrderId", "transactTime"]
    assert body["status"] == "NEW" and body["price"] == "50000.00000000" and body["fills"] == []
    assert exchange.balances()["USDT"] == (Decimal("99500"), Decimal("500"))
    assert placed.headers["X-MBX-ORDER-COUNT-10S"] == "1"

    q = await api.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "t1"})
    assert q.status == 200 and q.body["orderId"] == body["orderId"] and q.body["isWorking"] is True
    opened = await api.signed("GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"})
    assert [o["clientOrderId"] for o in opened.body] == ["t1"]

    c = await api.signed("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": body["orderId"]})
    assert c.status == 200, c.body
    assert c.body["status"] == "CANCELED" and c.body["origClientOrderId"] == "t1"
    assert exchange.balances()["USDT"] == (Decimal("100000"), Decimal("0"))
    again = await api.signed("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": body["orderId"]})
    assert again.status == 400 and again.body["code"] == -2011
    missing = await api.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 999999})
    assert missing.body == {"code": -2013, "msg": "Order does not exist."}


async def test_market_order_fills_against_liquidity(api: Api, exchange: LocalExchange) -> None:
    exchange.add_liquidity("BTCUSDT", "SELL", "60000", "0.1")
    exchange.add_liquidity("BTCUSDT", "SELL", "60100", "0.1")
    r = await api.signed(
        "POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.15"}
    )
    assert r.status == 200, r.body
    assert r.body["status"] == "FILLED" and r.body["executedQty"] == "0.15000000"
    assert [(f["price"], f["qty"]) for f in r.body["fills"]] == [
        ("60000.00000000", "0.10000000"),
        ("60100.00000000", "0.05000000"),
    ]
    assert r.body["cummulativeQuoteQty"] == "9005.00000000"
    acct = await api.signed("GET", "/api/v3/account")
    balances = {b["asset"]: b for b in acct.body["balances"]}
    assert Decimal(balances["USDT"]["free"]) == Decimal("100000") - Decimal("9005")
    assert Decimal(balances["BTC"]["free"]) == Decimal("1") + Decimal("0.15") * Decimal("0.999")
    trades = await api.signed("GET", "/api/v3/myTrades", {"symbol": "BTCUSDT"})
    assert len(trades.body) == 2 and trades.body[0]["isBuyer"] is True and trades.body[0]["isMaker"] is False
    by_quote = await api.signed(
        "POST",
        "/api/v3/order",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quoteOrderQty": "601",
            "newOrderRespType": "RESULT",
        },
    )
    assert by_quote.status == 200, by_quote.body
    assert by_quote.body["cummulativeQuoteQty"] == "601.00000000" and "fills" not in by_quote.body
    pub = await api.public("GET", "/api/v3/trades", {"symbol": "BTCUSDT"})
    assert len(pub.body) == 3
    price = await api.public("GET", "/api/v3/ticker/price", {"symbol": "BTCUSDT"})
    assert price.body == {"symbol": "BTCUSDT", "price": "60100.00000000"}
    kl = await api.public("GET", "/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m"})
    assert len(kl.body) >= 1 and sum(k[8] for k in kl.body) == 3
    assert len(kl.body[-1]) == 12
    t24 = await api.public("GET", "/api/v3/ticker/24hr", {"symbol": "BTCUSDT"})
    assert t24.body["count"] == 3 and t24.body["lastPrice"] == "60100.00000000"


async def test_filters_are_enforced(api: Api, exchange: LocalExchange) -> None:
    base = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
    lot = await api.signed("POST", "/api/v3/order", {**base, "quantity": "0.000001", "price": "50000"})
    assert lot.status == 400 and lot.body["code"] == -1013
    assert lot.body["msg"].startswith("Filter failure: ")
    tick = await api.signed("POST", "/api/v3/order", {**base, "quantity": "0.01", "price": "50000.001"})
    assert tick.body["code"] in (-1013, -1111)
    poor = await api.signed("POST", "/api/v3/order", {**base, "quantity": "5", "price": "50000"})
    assert poor.body == {"code": -2010, "msg": "Account has insufficient balance for requested action."}
    assert exchange.balances()["USDT"] == (Decimal("100000"), Decimal("0"))


async def test_cancel_replace_partial_failure_is_409(api: Api, exchange: LocalExchange) -> None:
    r = await api.signed(
        "POST",
        "/api/v3/order/cancelReplace",
        {**LIMIT_BUY, "cancelReplaceMode": "ALLOW_FAILURE", "cancelOrderId": 424242},
    )
    assert r.status == 409, r.body
    assert r.body["code"] == -2021
    assert r.body["data"]["cancelResult"] == "FAILURE" and r.body["data"]["newOrderResult"] == "SUCCESS"
    stop = await api.signed(
        "POST",
        "/api/v3/order/cancelReplace",
        {**LIMIT_BUY, "cancelReplaceMode": "STOP_ON_FAILURE", "cancelOrderId": 424242},
    )
    assert stop.status == 400 and stop.body["code"] == -2022
    assert stop.body["data"]["newOrderResult"] == "NOT_ATTEMPTED"
    existing = r.body["data"]["newOrderResponse"]["orderId"]
    ok = await api.signed(
        "POST",
        "/api/v3/order/cancelReplace",
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.02",
            "price": "51000",
            "cancelReplaceMode": "STOP_ON_FAILURE",
            "cancelOrderId": existing,
        },
    )
    assert ok.status == 200, ok.body
    assert (
        ok.body["cancelResponse"]["status"] == "CANCELED" and ok.body["newOrderResponse"]["status"] == "NEW"
    )


async def test_oco_place_query_cancel(api: Api, exchange: LocalExchange) -> None:
    exchange.set_price("BTCUSDT", "60000")
    r = await api.signed(
        "POST",
        "/api/v3/order/oco",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "quantity": "0.1",
            "price": "65000",
            "stopPrice": "55000",
            "stopLimitPrice": "54900",
            "stopLimitTimeInForce": "GTC",
        },
    )
    assert r.status == 200, r.body
    assert r.body["contingencyType"] == "OCO" and len(r.body["orderReports"]) == 2
    lst = await api.signed("GET", "/api/v3/orderList", {"orderListId": r.body["orderListId"]})
    assert lst.status == 200 and lst.body["listOrderStatus"] == "EXECUTING"
    opened = await api.signed("GET", "/api/v3/openOrderList")
    assert len(opened.body) == 1
    c = await api.signed(
        "DELETE", "/api/v3/orderList", {"symbol": "BTCUSDT", "orderListId": r.body["orderListId"]}
    )
    assert c.status == 200, c.body
    assert all(o["status"] == "CANCELED" for o in c.body["orderReports"])
    assert exchange.balances()["BTC"] == (Decimal("1"), Decimal("0"))


async def test_wallet_endpoints(api: Api, exchange: LocalExchange) -> None:
    assert (await api.public("GET", "/sapi/v1/system/status")).body == {"status": 0, "msg": "normal"}
    r = await api.signed("GET", "/sapi/v1/account/apiRestrictions")
    assert r.body["enableSpotAndMarginTrading"] is True and r.body["enableWithdrawals"] is False
    assert (await api.signed("GET", "/sapi/v1/account/status")).body == {"data": "Normal"}
    assert (await api.signed("GET", "/sapi/v1/account/apiTradingStatus")).body["data"]["isLocked"] is False
    rl = await api.signed("GET", "/api/v3/rateLimit/order")
    assert rl.body[0]["rateLimitType"] == "ORDERS"


async def test_unknown_path_is_404_with_headers(api: Api) -> None:
    r = await api.public("GET", "/api/v3/nope")
    assert r.status == 404 and "X-MBX-USED-WEIGHT-1M" in r.headers


async def test_admin_api(api: Api, exchange: LocalExchange) -> None:
    await api.admin("POST", "/_sim/deposit", {"asset": "USDT", "amount": "5"})
    await api.admin(
        "POST", "/_sim/liquidity", {"symbol": "ETHUSDT", "side": "BUY", "price": "2000", "quantity": "1"}
    )
    await api.admin("POST", "/_sim/price", {"symbol": "ETHUSDT", "price": "3000"})
    state = await api.admin("GET", "/_sim/state")
    assert state["balances"]["USDT"]["free"] == "100005.00000000"
    assert exchange.state.engine.last_price("ETHUSDT") == Decimal("3000")
    await api.admin("POST", "/_sim/reset")
    assert exchange.balances()["USDT"][0] == Decimal("100000")
