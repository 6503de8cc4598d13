"""User data delivery: WebSocket API subscriptions (logon and per-request signature) and the
legacy listenKey flow with its expiry, over real sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tests.sim.ws_helpers import (
    ED_API_KEY,
    WsApiClient,
    WsExchange,
    ed25519_config,
    recv_closed,
    recv_json,
    ws_config,
    ws_exchange,
    ws_signed,
)
from tradeexec.binance.net.auth import Ed25519Signer, HmacSigner
from tradeexec.sim.faults import FaultKind

pytest_plugins = ("tests.sim.conftest_ws",)

BUY = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "price": "60000",
    "quantity": "0.01",
}


@pytest.fixture
async def edx() -> AsyncIterator[tuple[WsExchange, Ed25519Signer]]:
    cfg, signer = ed25519_config()
    async with ws_exchange(cfg) as x:
        yield x, signer


def _kinds(events: list[Any]) -> list[str]:
    return [e["event"]["e"] if "event" in e else e["e"] for e in events]


async def test_subscribe_after_logon_delivers_reports_in_binance_order(
    edx: tuple[WsExchange, Ed25519Signer],
) -> None:
    x, signer = edx
    async with x.http.ws_connect(f"{x.url}/ws-api/v3") as ws:
        api = WsApiClient(ws)
        refused = await api.call("userDataStream.subscribe")
        assert refused["status"] != 200  # not logged on
        await api.call("session.logon", ws_signed({}, ED_API_KEY, signer))
        sub = await api.call("userDataStream.subscribe")
        assert sub["status"] == 200 and sub["result"] == {"subscriptionId": 0}
        assert (await api.call("session.status"))["result"]["userDataStream"] is True
        again = await api.call("userDataStream.subscribe")
        assert again["status"] == 400  # one subscription per account and connection

        placed = x.order(**BUY)  # rests: NEW + balances (USDT locked)
        x.liquidity("BTCUSDT", "SELL", "60000", "0.01")  # fills it: TRADE + balances
        events = [await api.event() for _ in range(4)]
    assert {e["subscriptionId"] for e in events} == {0}
    assert _kinds(events) == ["executionReport", "outboundAccountPosition"] * 2
    new, _, trade, position = (e["event"] for e in events)
    assert list(new)[:10] == ["e", "E", "s", "c", "S", "o", "f", "q", "p", "P"]
    assert new["x"] == "NEW" and new["X"] == "NEW" and new["i"] == placed["orderId"] and new["w"] is True
    assert trade["x"] == "TRADE" and trade["X"] == "FILLED" and Decimal(trade["l"]) == Decimal("0.01")
    assert Decimal(trade["L"]) == Decimal(60000) and trade["m"] is True and trade["t"] > 0
    assert Decimal(trade["Z"]) == Decimal(600) and trade["N"] == "BTC"
    balances = {b["a"]: b for b in position["B"]}
    assert set(balances) == {"BTC", "USDT"} and Decimal(balances["USDT"]["l"]) == 0


async def test_subscribe_signature_hmac_and_unsubscribe(wsx: WsExchange) -> None:
    signer = HmacSigner(wsx.ex.api_secret)
    async with wsx.http.ws_connect(f"{wsx.url}/ws-api/v3") as ws:
        api = WsApiClient(ws)
        sub = await api.call(
            "userDataStream.subscribe.signature", ws_signed({"recvWindow": 5000}, wsx.ex.api_key, signer)
        )
        assert sub["status"] == 200, sub
        sub_id = sub["result"]["subscriptionId"]
        assert (await api.call("session.subscriptions"))["result"] == [{"subscriptionId": sub_id}]
        wsx.ex.deposit("USDT", "25")
        update = (await api.event())["event"]
        assert update["e"] == "balanceUpdate" and update["a"] == "USDT" and Decimal(update["d"]) == 25
        position = (await api.event())["event"]  # as at Binance, the new balance follows
        assert position["e"] == "outboundAccountPosition" and Decimal(position["B"][0]["f"]) == 100_025

        gone = await api.call("userDataStream.unsubscribe", {"subscriptionId": sub_id})
        assert gone["status"] == 200
        missing = await api.call("userDataStream.unsubscribe", {"subscriptionId": sub_id})
        assert missing["status"] == 400
        wsx.order(**BUY)  # its events would be sent before the next answer if still subscribed
        await api.call("ping")
        assert api.events == []


async def test_legacy_listen_key_stream(wsx: WsExchange) -> None:
    wsx.state.config.streams.legacy_listen_key = True
    headers = {"X-MBX-APIKEY": wsx.ex.api_key}
    base = f"{wsx.ex.rest_url}/api/v3/userDataStream"
    async with wsx.http.post(base, headers=headers) as r:
        assert r.status == 200 and "x-mbx-used-weight-1m" in {h.lower() for h in r.headers}
        key = (await r.json())["listenKey"]
    async with wsx.http.post(base, headers=headers) as r:
        assert (await r.json())["listenKey"] == key  # the active key is returned again
    async with wsx.http.ws_connect(f"{wsx.url}/ws/{key}") as ws:
        wsx.order(**BUY)
        report = await recv_json(ws)
        position = await recv_json(ws)
        assert report["e"] == "executionReport" and report["x"] == "NEW"
        assert position["e"] == "outboundAccountPosition"
    async with wsx.http.put(base, params={"listenKey": key}, headers=headers) as r:
        assert r.status == 200 and await r.json() == {}
    async with wsx.http.delete(base, params={"listenKey": key}, headers=headers) as r:
        assert r.status == 200 and await r.json() == {}
    async with wsx.http.put(base, params={"listenKey": key}, headers=headers) as r:
        assert r.status == 400 and await r.json() == {"code": -1125, "msg": "This listenKey does not exist."}
    async with wsx.http.post(base) as r:
        assert r.status == 401 and (await r.json())["code"] == -2014
    async with wsx.http.post(f"{wsx.ex.rest_url}/sapi/v1/userDataStream", headers=headers) as r:
        assert r.status == 200 and len((await r.json())["listenKey"]) == 60


async def test_listen_key_keepalive_and_expiry() -> None:
    async with ws_exchange(ws_config(listen_key_validity_ms=60_000, legacy_listen_key=True)) as x:
        users = x.ws.users
        key = users.create_listen_key(x.ex.account)
        async with (
            x.http.ws_connect(f"{x.url}/stream?streams={key}/btcusdt@trade") as combined,
            x.http.ws_connect(f"{x.url}/ws/{key}") as ws,
        ):
            x.state.clock.advance(50_000)
            async with x.http.put(
                f"{x.ex.rest_url}/api/v3/userDataStream",
                params={"listenKey": key},
                headers={"X-MBX-APIKEY": x.ex.api_key},
            ) as r:
                assert r.status == 200
            x.state.clock.advance(50_000)  # 100 s after creation, 50 s after the keepalive
            users.sweep()
            assert key in users.listen_keys()
            x.state.clock.advance(11_000)
            users.sweep()
            assert key not in users.listen_keys()
            expired = await recv_json(ws)
            assert expired["e"] == "listenKeyExpired" and expired["listenKey"] == key
            await recv_closed(ws)  # the key was the connection's path: it ends
            wrapped = await recv_json(combined)
            assert wrapped["stream"] == key and wrapped["data"]["e"] == "listenKeyExpired"
            await combined.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 1})
            assert await recv_json(combined) == {"result": ["btcusdt@trade"], "id": 1}


async def test_listen_key_expires_without_keepalive_in_real_time() -> None:
    async with ws_exchange(ws_config(listen_key_validity_ms=200)) as x:
        key = x.ws.users.create_listen_key(x.ex.account)
        async with x.http.ws_connect(f"{x.url}/ws/{key}") as ws:
            expired = await recv_json(ws)
            assert expired["e"] == "listenKeyExpired"
            await recv_closed(ws)


async def test_listen_key_expiry_fault(wsx: WsExchange) -> None:
    key = wsx.ws.users.create_listen_key(wsx.ex.account)
    async with wsx.http.ws_connect(f"{wsx.url}/ws/{key}") as ws:
        wsx.ex.inject(FaultKind.LISTEN_KEY_EXPIRY, key, count=1)
        expired = await recv_json(ws)
        assert expired == {"e": "listenKeyExpired", "E": expired["E"], "listenKey": key}
        end = await recv_closed(ws)
        assert end.type is aiohttp.WSMsgType.CLOSE
    assert [r.kind for r in wsx.ex.fault_log] == [FaultKind.LISTEN_KEY_EXPIRY]


async def test_legacy_listen_keys_are_one_switch_for_rest_and_the_websocket_api(wsx: WsExchange) -> None:
    """Binance removed both on 2026-02-20: by default both refuse; the switch opens both."""
    headers = {"X-MBX-APIKEY": wsx.ex.api_key}
    rest = f"{wsx.ex.rest_url}/api/v3/userDataStream"
    async with wsx.http.post(rest, headers=headers) as r:
        assert (r.status, await r.json()) == (410, {"code": -1020, "msg": "This operation is not supported."})
    async with wsx.http.ws_connect(f"{wsx.url}/ws-api/v3") as api:
        await api.send_json({"id": 1, "method": "userDataStream.start", "params": {"apiKey": wsx.ex.api_key}})
        answer = await recv_json(api)
        assert answer["status"] == 400
        assert answer["error"] == {"code": -1020, "msg": "This operation is not supported."}

        wsx.state.config.streams.legacy_listen_key = True
        await api.send_json({"id": 2, "method": "userDataStream.start", "params": {"apiKey": wsx.ex.api_key}})
        key = (await recv_json(api))["result"]["listenKey"]
        async with wsx.http.post(rest, headers=headers) as r:
            assert r.status == 200 and (await r.json())["listenKey"] == key  # one key per account
        async with wsx.http.ws_connect(f"{wsx.url}/ws/{key}") as ws:
            wsx.order(**BUY)
            assert (await recv_json(ws))["e"] == "executionReport"
        params = {"apiKey": wsx.ex.api_key, "listenKey": key}
        await api.send_json({"id": 3, "method": "userDataStream.ping", "params": params})
        assert (await recv_json(api))["result"] == {}
        await api.send_json({"id": 4, "method": "userDataStream.stop", "params": params})
        assert (await recv_json(api))["result"] == {}
        assert key not in wsx.ws.users.listen_keys()
