"""The wire format, retries, clock resync and rate limiting, over real sockets."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.errors import (
    BadSymbol,
    CancelReplacePartialSuccess,
    ExchangeServerError,
    IPBanned,
    OrderRejected,
    RateLimited,
    WAFRejected,
)
from tradeexec.binance.net.auth import extract_signature, verify_hmac
from tradeexec.errors import (
    InvalidParameter,
    OrderStatusUnknown,
    RateLimitBanActive,
    TransportError,
)

from .conftest import API_KEY, API_SECRET, NON_ASCII_SYMBOL, FakeBinance

ORDER_BODY: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "orderId": 28,
    "orderListId": -1,
    "clientOrderId": "x",
    "transactTime": 1507725176595,
    "price": "30000.10",
    "origQty": "0.00100",
    "executedQty": "0.00000000",
    "cummulativeQuoteQty": "0.00000000",
    "status": "NEW",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
    "fills": [],
}
ACCOUNT_BODY: dict[str, Any] = {
    "makerCommission": 15,
    "takerCommission": 15,
    "buyerCommission": 0,
    "sellerCommission": 0,
    "canTrade": True,
    "canWithdraw": True,
    "canDeposit": True,
    "updateTime": 123456789,
    "accountType": "SPOT",
    "balances": [{"asset": "BTC", "free": "4723846.89208129", "locked": "0.00000000"}],
    "permissions": ["SPOT"],
}
LIMIT_BUY: dict[str, Any] = {
    "quantity": Decimal("0.00100"),
    "price": Decimal("30000.10"),
    "time_in_force": "GTC",
    "validate": False,
}


def _signed_ok(query: str) -> bool:
    payload, signature = extract_signature(query)
    return signature is not None and verify_hmac(API_SECRET, payload, signature)


async def test_none_security_sends_no_key_and_no_signature(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    async with BinanceClient(**client_kwargs) as client:
        await client.ping()
    (ping,) = fake.requests_to("GET", "/api/v3/ping")
    assert "X-MBX-APIKEY" not in ping.headers
    assert ping.query == ""


async def test_market_data_and_user_stream_send_key_only(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    fake.reply("GET", "/api/v3/historicalTrades", (200, [], {}))
    fake.reply("POST", "/fapi/v1/listenKey", (200, {"listenKey": "abc"}, {}))
    async with BinanceClient(**client_kwargs) as client:
        assert await client.historical_trades("BTCUSDT", limit=5) == []
        assert await client.futures_listen_key() == "abc"
    (trades,) = fake.requests_to("GET", "/api/v3/historicalTrades")
    assert trades.headers["X-MBX-APIKEY"] == API_KEY
    assert trades.query == "symbol=BTCUSDT&limit=5"
    (listen,) = fake.requests_to("POST", "/fapi/v1/listenKey")
    assert listen.headers["X-MBX-APIKEY"] == API_KEY
    assert listen.query == ""


async def test_signed_call_carries_timestamp_window_and_valid_signature(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    fake.reply("GET", "/api/v3/account", (200, ACCOUNT_BODY, {}))
    async with BinanceClient(**client_kwargs) as client:
        account = await client.account()
    assert account.balances[0].free == Decimal("4723846.89208129")
    (seen,) = fake.requests_to("GET", "/api/v3/account")
    assert seen.headers["X-MBX-APIKEY"] == API_KEY
    names = [part.split("=")[0] for part in seen.query.split("&")]
    assert names == ["recvWindow", "timestamp", "signature"]
    assert seen.params["recvWindow"] == "5000"
    assert abs(int(seen.params["timestamp"]) - time.time() * 1000) < 5000
    assert _signed_ok(seen.query)


async def test_caller_given_stamps_are_replaced_and_recv_window_can_change(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    fake.reply("GET", "/api/v3/account", (200, ACCOUNT_BODY, {}))
    async with BinanceClient(**client_kwargs) as client:
        stamps = {"timestamp": 1, "recvWindow": 60000, "omitZeroBalances": True}
        await client.call("GET", "/api/v3/account", stamps)
        client.transport.recv_window = Decimal("2500.5")
        await client.account()
        with pytest.raises(InvalidParameter):
            client.transport.recv_window = 60001
    first, second = fake.requests_to("GET", "/api/v3/account")
    names = [part.split("=")[0] for part in first.query.split("&")]
    assert names == ["omitZeroBalances", "recvWindow", "timestamp", "signature"]
    assert first.params["recvWindow"] == "5000" and first.params["timestamp"] != "1"
    assert second.params["recvWindow"] == "2500.5"
    assert _signed_ok(first.query) and _signed_ok(second.query)


async def test_non_ascii_symbol_is_percent_encoded_and_signs(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    fake.reply(
        "GET",
        "/api/v3/order",
        (200, {**ORDER_BODY, "symbol": NON_ASCII_SYMBOL, "time": 1, "updateTime": 1, "isWorking": True}, {}),
    )
    async with BinanceClient(**client_kwargs) as client:
        order = await client.get_order(NON_ASCII_SYMBOL, order_id=28)
    assert order.symbol == NON_ASCII_SYMBOL
    (seen,) = fake.requests_to("GET", "/api/v3/order")
    assert seen.query.startswith(f"symbol={quote(NON_ASCII_SYMBOL, safe='')}&orderId=28&")
    assert seen.query.isascii()
    assert _signed_ok(seen.query)


async def test_decimals_go_on_the_wire_exactly(fake: FakeBinance, client_kwargs: dict[str, Any]) -> None:
    fake.reply("POST", "/api/v3/order", (200, ORDER_BODY, {}))
    async with BinanceClient(**client_kwargs) as client:
        result = await client.new_order(
            "BTCUSDT",
            "BUY",
            "LIMIT",
            new_client_order_id="my-id-1",
            recv_window=Decimal("1500.5"),
            **LIMIT_BUY,
        )
    assert result.price == Decimal("30000.10")
    (seen,) = fake.requests_to("POST", "/api/v3/order")
    params = seen.params
    assert (params["quantity"], params["price"], params["recvWindow"]) == ("0.00100", "30000.10", "1500.5")
    assert params["newClientOrderId"] == "my-id-1"
    assert _signed_ok(seen.query)


async def test_order_without_client_id_gets_one(fake: FakeBinance, client_kwargs: dict[str, Any]) -> None:
    fake.reply("POST", "/api/v3/order", (200, ORDER_BODY, {}))
    async with BinanceClient(**client_kwargs) as client:
        await client.request(
            "POST",
            "/api/v3/order",
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": Decimal("1")},
        )
    (seen,) = fake.requests_to("POST", "/api/v3/order")
    cid = seen.params["newClientOrderId"]
    assert 1 <= len(cid) <= 36 and cid.replace("_", "").isalnum()


@pytest.mark.parametrize("window", [0, -1, 60001, Decimal("NaN"), Decimal("1.0001"), "abc", 5000.0])
async def test_recv_window_out_of_range_is_refused_before_sending(
    fake: FakeBinance, client_kwargs: dict[str, Any], window: Any
) -> None:
    async with BinanceClient(**client_kwargs) as client:
        before = len(fake.seen)
        with pytest.raises(InvalidParameter) as info:
            await client.account(recv_window=window)
        assert info.value.field == "recvWindow"
        assert len(fake.seen) == before


async def test_get_is_retried_on_503_then_succeeds(fake: FakeBinance, client_kwargs: dict[str, Any]) -> None:
    busy = (
        503,
        {"code": -1001, "msg": "Internal error; unable to process your request. Please try again."},
        {},
    )
    fake.reply("GET", "/api/v3/ping", busy, busy, (200, {}, {}))
    async with BinanceClient(**client_kwargs) as client:
        await client.ping()
    assert len(fake.requests_to("GET", "/api/v3/ping")) == 3


async def test_get_gives_up_after_three_retries(fake: FakeBinance, client_kwargs: dict[str, Any]) -> None:
    fake.reply("GET", "/api/v3/ping", (503, {"code": -1001, "msg": "Internal error"}, {}))
    async with BinanceClient(**client_kwargs) as client:
        with pytest.raises(ExchangeServerError) as info:
            await client.ping()
    assert len(fake.requests_to("GET", "/api/v3/ping")) == 4
    assert info.value.path == "/api/v3/ping"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, {"code": -1001, "msg": "Internal error"}),
        (500, "<html>oops</html>"),
        (400, {"code": -1007, "msg": "Timeout waiting for response from backend server."}),
        (400, {"code": -1001, "msg": "Internal error; unable to process your request."}),
    ],
)
async def test_order_is_never_retried_and_reports_unknown_status(
    fake: FakeBinance, client_kwargs: dict[str, Any], status: int, body: Any
) -> None:
    fake.reply("POST", "/api/v3/order", (status, body, {}))
    async with BinanceClient(**client_kwargs) as client:
        with pytest.raises(OrderStatusUnknown) as info:
            await client.new_order("BTCUSDT", "BUY", "LIMIT", **LIMIT_BUY)
    (seen,) = fake.requests_to("POST", "/api/v3/order")
    assert info.value.client_order_id == seen.params["newClientOrderId"]
    assert info.value.symbol == "BTCUSDT"


async def test_order_timeout_reports_unknown_status(fake: FakeBinance, client_kwargs: dict[str, Any]) -> None:
    fake.hang.add(("POST", "/api/v3/order"))
    async with BinanceClient(**client_kwargs, timeout=0.3) as client:
        with pytest.raises(OrderStatusUnknown) as info:
            await client.new_order("BTCUSDT", "BUY", "LIMIT", new_client_order_id="cid-timeout", **LIMIT_BUY)
    assert info.value.client_order_id == "cid-timeout"
    assert len(fake.requests_to("POST", "/api/v3/order")) == 1


async def test_cancel_dropped_connection_reports_unknown_status(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    fake.drop.add(("DELETE", "/api/v3/order"))
    async with BinanceClient(**client_kwargs) as client:
        with pytest.raises(OrderStatusUnknown) as info:
            await client.cancel_order("BTCUSDT", orig_client_order_id="cid-cancel")
    assert info.value.client_order_id == "cid-cancel"
    assert len(fake.requests_to("DELETE", "/api/v3/order")) == 1


async def test_get_timeout_is_retried_then_raises_transport_error(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    fake.hang.add(("GET", "/api/v3/ping"))
    async with BinanceClient(**client_kwargs, timeout=0.2) as client:
        with pytest.raises(TransportError):
            await client.ping()
    assert len(fake.requests_to("GET", "/api/v3/ping")) == 4


async def test_connection_refused_for_order_is_a_transport_error(client_kwargs: dict[str, Any]) -> None:
    # Nothing reached a server, so the outcome is known: not placed.
    client = BinanceClient(**{**client_kwargs, "base_url": "http://127.0.0.1:9", "api_secret": None})
    async with client:
        with pytest.raises(TransportError):
            await client.ping()


async def test_invalid_timestamp_resyncs_clock_and_retries_once(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    fake.reply("POST", "/api/v3/order", (200, ORDER_BODY, {}))
    async with BinanceClient(**client_kwargs) as client:
        assert len(fake.requests_to("GET", "/api/v3/time")) == 1  # measured at start
        fake.skew_ms = 30_000  # the server's clock jumps ahead: our timestamps are now stale
        await client.new_order("BTCUSDT", "BUY", "LIMIT", new_client_order_id="cid-1021", **LIMIT_BUY)
        offset = client.transport.time_offset_ms()
    orders = fake.requests_to("POST", "/api/v3/order")
    assert len(orders) == 2
    assert {o.params["newClientOrderId"] for o in orders} == {"cid-1021"}
    assert orders[0].params["timestamp"] != orders[1].params["timestamp"]
    assert len(fake.requests_to("GET", "/api/v3/time")) == 2
    assert offset is not None and 25_000 < offset < 35_000


async def test_invalid_timestamp_twice_raises(fake: FakeBinance, client_kwargs: dict[str, Any]) -> None:
    body = {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}
    fake.reply("GET", "/api/v3/account", (400, body, {}))
    async with BinanceClient(**client_kwargs) as client:
        with pytest.raises(Exception) as info:
            await client.account()
    assert getattr(info.value, "code", None) == -1021
    assert len(fake.requests_to("GET", "/api/v3/account")) == 2


async def test_429_blocks_the_budget_until_retry_after(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    body = {"code": -1003, "msg": "Too many requests."}
    fake.reply("POST", "/api/v3/order", (429, body, {"Retry-After": "30"}))
    async with BinanceClient(**client_kwargs, wait_on_rate_limit=False) as client:
        with pytest.raises(RateLimited) as info:
            await client.new_order("BTCUSDT", "BUY", "LIMIT", **LIMIT_BUY)
        assert info.value.retry_after_s == 30
        sent = len(fake.seen)
        with pytest.raises(RateLimitBanActive) as ban:
            await client.ping()
        assert ban.value.until_ms > time.time() * 1000 + 25_000
        assert len(fake.seen) == sent  # nothing was sent


async def test_429_makes_the_next_call_wait(fake: FakeBinance, client_kwargs: dict[str, Any]) -> None:
    fake.reply(
        "GET",
        "/api/v3/ping",
        (429, {"code": -1003, "msg": "Too many requests."}, {"Retry-After": "0.4"}),
        (200, {}, {}),
    )
    async with BinanceClient(**client_kwargs) as client:
        started = time.monotonic()
        await client.ping()  # 429, then the retry waits out Retry-After
        assert time.monotonic() - started >= 0.35
    assert len(fake.requests_to("GET", "/api/v3/ping")) == 2


async def test_418_bans_everything(fake: FakeBinance, client_kwargs: dict[str, Any]) -> None:
    fake.reply(
        "GET",
        "/api/v3/ping",
        (418, {"code": -1003, "msg": "Way too many requests; IP banned."}, {"Retry-After": "120"}),
    )
    async with BinanceClient(**client_kwargs, wait_on_rate_limit=False) as client:
        with pytest.raises(IPBanned):
            await client.ping()
        assert len(fake.requests_to("GET", "/api/v3/ping")) == 1  # a ban is not retried
        with pytest.raises(RateLimitBanActive) as ban:
            await client.account()
        assert "418" in ban.value.reason
    assert fake.requests_to("GET", "/api/v3/account") == []


@pytest.mark.timeout(60)
async def test_burst_of_ten_times_the_limit_never_gets_429(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    fake.rate_limits = [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "SECOND", "intervalNum": 1, "limit": 30}
    ]
    fake.weight_limit_1s = 30
    async with BinanceClient(**client_kwargs) as client:
        await client.exchange_info()  # adopts the 30/s limit
        await asyncio.gather(*(client.ping() for _ in range(300)))
    assert len(fake.requests_to("GET", "/api/v3/ping")) == 300
    assert fake.got_429 == 0
    # The client spends at most 80% (24) of each second it sends in; the
    # server counts by the second a request arrives in, so on a loaded machine
    # a few requests sent late in one second land in the next. That is what the
    # 20% margin is for: arrivals stay under the limit itself, never over it.
    assert max(fake.weight_used.values()) <= 30
    assert sum(fake.weight_used.values()) >= 300


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"code": -1121, "msg": "Invalid symbol."}, BadSymbol),
        (
            400,
            {"code": -2010, "msg": "Account has insufficient balance for requested action."},
            OrderRejected,
        ),
        (403, "<html>forbidden</html>", WAFRejected),
        (409, {"code": -2021, "msg": "Order cancel-replace partially failed."}, CancelReplacePartialSuccess),
        (429, {"code": -1003, "msg": "Too many requests."}, RateLimited),
        (418, {"code": -1003, "msg": "IP banned."}, IPBanned),
    ],
)
async def test_errors_are_typed(
    fake: FakeBinance, client_kwargs: dict[str, Any], status: int, body: Any, expected: type[Exception]
) -> None:
    fake.reply("POST", "/api/v3/order", (status, body, {}))
    async with BinanceClient(**client_kwargs) as client:
        with pytest.raises(expected) as info:
            await client.new_order("BTCUSDT", "BUY", "LIMIT", **LIMIT_BUY)
    error: Any = info.value
    assert error.http_status == status
    assert error.path == "/api/v3/order"
    assert "?" not in str(error) and "signature" not in str(error)
    if isinstance(body, dict):
        assert error.code == body["code"]
