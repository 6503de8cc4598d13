"""The WebSocket API of the local exchange over real sockets: envelope, signatures (per request
and by Ed25519 session logon), orders, rate limits, bad input and injected faults."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

import pytest

from tests.sim.ws_helpers import (
    ED_API_KEY,
    WsApiClient,
    WsExchange,
    ed25519_config,
    recv_json,
    ws_exchange,
    ws_signed,
)
from tradeexec.binance.net.auth import Ed25519Signer, HmacSigner
from tradeexec.sim.faults import FaultKind

pytest_plugins = ("tests.sim.conftest_ws",)


@pytest.fixture
async def edx() -> AsyncIterator[tuple[WsExchange, Ed25519Signer]]:
    cfg, signer = ed25519_config()
    async with ws_exchange(cfg) as x:
        yield x, signer


def _hmac(x: WsExchange, params: Mapping[str, object]) -> dict[str, object]:
    return ws_signed(dict(params), x.ex.api_key, HmacSigner(x.ex.api_secret))


LIMIT_BUY = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "price": "50000",
    "quantity": "0.01",
}


async def test_public_methods_and_rate_limits(wsx: WsExchange) -> None:
    async with wsx.http.ws_connect(f"{wsx.url}/ws-api/v3") as ws:
        api = WsApiClient(ws)
        ping = await api.call("ping")
        assert ping["status"] == 200 and ping["result"] == {} and ping["id"] == "req-1"
        first = ping["rateLimits"][-1]
        assert first["rateLimitType"] == "REQUEST_WEIGHT" and first["interval"] == "MINUTE"
        time_ = await api.call("time")
        assert abs(time_["result"]["serverTime"] - wsx.state.now_ms()) < 5000
        assert time_["rateLimits"][-1]["count"] > first["count"]  # counts move with every request
        info = await api.call("exchangeInfo", {"symbol": "BTCUSDT"})
        assert [s["symbol"] for s in info["result"]["symbols"]] == ["BTCUSDT"]
        wsx.liquidity("BTCUSDT", "BUY", "59990", "0.5")
        depth = await api.call("depth", {"symbol": "BTCUSDT", "limit": 5})
        assert depth["result"]["bids"] == [["59990.00000000", "0.50000000"]]
        assert depth["result"]["lastUpdateId"] == wsx.state.engine.last_update_id("BTCUSDT")
        book = await api.call("ticker.book", {"symbol": "BTCUSDT"})
        assert book["result"]["bidPrice"] == "59990.00000000"
        price = await api.call("ticker.price", {"symbols": ["BTCUSDT", "ETHUSDT"]})
        assert [r["symbol"] for r in price["result"]] == ["BTCUSDT", "ETHUSDT"]
        rolling = await api.call("ticker", {"symbol": "BTCUSDT", "windowSize": "1h"})
        assert rolling["status"] == 200 and rolling["result"]["symbol"] == "BTCUSDT"
        quiet = await api.call("ping", {"returnRateLimits": False})
        assert "rateLimits" not in quiet


async def test_order_lifecycle_with_hmac_request_signatures(wsx: WsExchange) -> None:
    async with wsx.http.ws_connect(f"{wsx.url}/ws-api/v3") as ws:
        api = WsApiClient(ws)
        placed = await api.call("order.place", _hmac(wsx, {**LIMIT_BUY, "newClientOrderId": "ws-1"}))
        assert placed["status"] == 200, placed
        order = placed["result"]
        assert order["clientOrderId"] == "ws-1" and order["status"] == "NEW"
        kinds = [(r["rateLimitType"], r["interval"]) for r in placed["rateLimits"]]
        assert kinds == [("ORDERS", "SECOND"), ("ORDERS", "DAY"), ("REQUEST_WEIGHT", "MINUTE")]
        assert placed["rateLimits"][0]["count"] == 1

        status = await api.call(
            "order.status", _hmac(wsx, {"symbol": "BTCUSDT", "orderId": order["orderId"]})
        )
        assert status["result"]["status"] == "NEW" and status["result"]["price"] == "50000.00000000"
        open_ = await api.call("openOrders.status", _hmac(wsx, {"symbol": "BTCUSDT"}))
        assert [o["orderId"] for o in open_["result"]] == [order["orderId"]]

        replaced = await api.call(
            "order.cancelReplace",
            _hmac(
                wsx,
                {
                    **LIMIT_BUY,
                    "price": "49000",
                    "cancelReplaceMode": "STOP_ON_FAILURE",
                    "cancelOrigClientOrderId": "ws-1",
                },
            ),
        )
        assert replaced["result"]["cancelResult"] == "SUCCESS", replaced
        new_id = replaced["result"]["newOrderResponse"]["orderId"]

        canceled = await api.call("order.cancel", _hmac(wsx, {"symbol": "BTCUSDT", "orderId": new_id}))
        assert canceled["result"]["status"] == "CANCELED"
        none_left = await api.call("openOrders.cancelAll", _hmac(wsx, {"symbol": "BTCUSDT"}))
        assert none_left["status"] == 400 and none_left["error"]["code"] == -2011

        test = await api.call("order.test", _hmac(wsx, LIMIT_BUY))
        assert test["status"] == 200 and test["result"] == {}
        account = await api.call("account.status", _hmac(wsx, {}))
        usdt = next(b for b in account["result"]["balances"] if b["asset"] == "USDT")
        assert Decimal(usdt["locked"]) == 0
    assert wsx.ex.state.engine.open_orders(wsx.ex.account) == []


async def test_signature_and_key_errors_match_rest(wsx: WsExchange) -> None:
    async with wsx.http.ws_connect(f"{wsx.url}/ws-api/v3") as ws:
        api = WsApiClient(ws)
        signed = _hmac(wsx, LIMIT_BUY)
        bad_sig = await api.call("order.place", {**signed, "quantity": "0.02"})  # changed after signing
        assert bad_sig["status"] == 400
        assert bad_sig["error"] == {"code": -1022, "msg": "Signature for this request is not valid."}
        no_key = await api.call("order.place", dict(LIMIT_BUY))
        assert no_key["status"] == 401 and no_key["error"]["code"] == -2014
        unknown = await api.call("order.place", {**signed, "apiKey": "nope"})
        assert unknown["error"]["code"] == -2015
        stale = dict(signed)
        stale["timestamp"] = 1_000_000
        assert (await api.call("order.place", stale))["error"][
            "code"
        ] == -1021  # checked before the signature
        filt = await api.call("order.place", _hmac(wsx, {**LIMIT_BUY, "price": "50000.001"}))
        assert filt["error"]["code"] == -1013 or filt["error"]["code"] == -1111, filt
        extra = await api.call("order.status", _hmac(wsx, {"symbol": "BTCUSDT", "orderId": 1, "bogus": "1"}))
        assert extra["error"]["code"] == -1104


async def test_session_logon_with_ed25519(edx: tuple[WsExchange, Ed25519Signer]) -> None:
    x, signer = edx
    async with x.http.ws_connect(f"{x.url}/ws-api/v3") as ws:
        api = WsApiClient(ws)
        status = await api.call("session.status")
        assert status["result"]["apiKey"] is None and status["result"]["userDataStream"] is False
        logon = await api.call("session.logon", ws_signed({}, ED_API_KEY, signer))
        assert logon["status"] == 200, logon
        assert logon["result"]["apiKey"] == ED_API_KEY and logon["result"]["authorizedSince"] is not None
        # Authenticated: no apiKey, no signature, but still a timestamp.
        placed = await api.call("order.place", {**LIMIT_BUY, "timestamp": x.state.now_ms()})
        assert placed["status"] == 200 and placed["result"]["status"] == "NEW"
        missing_ts = await api.call(
            "order.status", {"symbol": "BTCUSDT", "orderId": placed["result"]["orderId"]}
        )
        assert missing_ts["error"]["code"] == -1102
        logout = await api.call("session.logout")
        assert logout["result"]["apiKey"] is None
        after = await api.call("order.place", {**LIMIT_BUY, "timestamp": x.state.now_ms()})
        assert after["error"]["code"] == -2014


async def test_session_logon_refuses_hmac_keys(wsx: WsExchange) -> None:
    async with wsx.http.ws_connect(f"{wsx.url}/ws-api/v3") as ws:
        answer = await WsApiClient(ws).call("session.logon", _hmac(wsx, {}))
        assert answer["status"] == 400
        assert answer["error"] == {"code": -4056, "msg": "HMAC_SHA256 API key is not supported."}


@pytest.mark.parametrize(
    ("raw", "code", "msg"),
    [
        ("{not json", -1135, "Invalid JSON Request"),
        (
            '{"id": {"a": 1}, "method": "ping"}',
            -1135,
            "Invalid 'id' in JSON request; expected an integer, a string matching "
            "'^[a-zA-Z0-9-_]{1,36}$', or null.",
        ),
        (
            '{"id": 3, "method": "ping", "params": [1]}',
            -1135,
            "Invalid 'params' in JSON request; expected an object.",
        ),
        ('{"id": 4, "method": "no.such.method"}', -1020, "This operation is not supported."),
        (
            '{"id": 5, "method": "userDataStream.start", "params": {"apiKey": "k"}}',
            -1020,
            "This operation is not supported.",
        ),
        ('{"id": 6, "method": "depth", "params": {"symbol": "NOPE"}}', -1121, "Invalid symbol."),
        (
            '{"id": 7, "method": "depth", "params": {"symbol": {"x": 1}}}',
            -1135,
            "JSON sent for parameter 'symbol' is not valid",
        ),
    ],
)
async def test_bad_input_answers_binance_errors(wsx: WsExchange, raw: str, code: int, msg: str) -> None:
    async with wsx.http.ws_connect(f"{wsx.url}/ws-api/v3") as ws:
        await ws.send_str(raw)
        answer = await recv_json(ws)
        assert answer["status"] == 400 and answer["error"] == {"code": code, "msg": msg}
        assert "rateLimits" in answer
        before = wsx.ex.balances()
        ok = await WsApiClient(ws).call("ping")  # the session survives garbage
        assert ok["status"] == 200 and wsx.ex.balances() == before


async def test_fault_1007_executes_but_answers_unknown(wsx: WsExchange) -> None:
    wsx.ex.inject(FaultKind.ERROR_1007, "order.place", count=1)
    async with wsx.http.ws_connect(f"{wsx.url}/ws-api/v3") as ws:
        api = WsApiClient(ws)
        answer = await api.call("order.place", _hmac(wsx, {**LIMIT_BUY, "newClientOrderId": "unknown-fate"}))
        assert answer["status"] == 408 and answer["error"]["code"] == -1007
        found = await api.call(
            "order.status", _hmac(wsx, {"symbol": "BTCUSDT", "origClientOrderId": "unknown-fate"})
        )
        assert found["result"]["status"] == "NEW"  # it WAS placed
    assert [r.kind for r in wsx.ex.fault_log] == [FaultKind.ERROR_1007]


async def test_fault_drop_on_ws_api(wsx: WsExchange) -> None:
    wsx.ex.inject(FaultKind.WS_DROP, "/ws-api/*", count=1)
    async with wsx.http.ws_connect(f"{wsx.url}/ws-api/v3") as ws:
        await ws.send_str('{"id": 1, "method": "ping"}')
        msg: Any = await ws.receive(timeout=5)
        assert msg.type.name in ("CLOSE", "CLOSED", "ERROR")
