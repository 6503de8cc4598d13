"""User data streams against the local exchange: WebSocket API subscription (HMAC signature and
Ed25519 logon), the legacy listenKey flow, and recovery of events lost while disconnected."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tests.streams import ED25519_API_KEY, collect, ed25519_config, local_exchange
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import ExecutionType, OrderStatus
from tradeexec.binance.models import ExecutionReport, ListenKeyExpired, OutboundAccountPosition
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState
from tradeexec.binance.ws.userdata import ListenKeyUserData, MissedBalances, MissedOrderUpdate, WsApiUserData
from tradeexec.binance.ws.wsapi import WsApiClient
from tradeexec.sim.binance.ws_routes import WS_KEY

pytestmark = pytest.mark.timeout(30)
LIMIT: dict[str, Any] = {"quantity": Decimal("0.01"), "price": Decimal("50000"), "time_in_force": "GTC"}



def _reconnected(items: list[Any]) -> bool:
    return any(isinstance(i, ConnectionEvent) and i.state is ConnectionState.RECONNECTED for i in items)


def _has(kind: type) -> Callable[[list[Any]], bool]:
    return lambda items: any(isinstance(i, kind) for i in items)


async def test_ws_api_signature_subscription_delivers_typed_events() -> None:
    async with local_exchange() as ex, WsApiClient(
        f"{ex.ws_url}/ws-api/v3", ex.api_key, HmacSigner(ex.api_secret)
    ) as api, WsApiUserData(api) as users:
        assert users.subscription_id is not None
        placed = await api.place_order("BTCUSDT", "BUY", "LIMIT", **LIMIT)
        items = await collect(users, lambda s: _has(ExecutionReport)(s) and _has(OutboundAccountPosition)(s))
        report = next(i for i in items if isinstance(i, ExecutionReport))
        assert report.order_id == placed.order_id and report.execution_type is ExecutionType.NEW
        position = next(i for i in items if isinstance(i, OutboundAccountPosition))
        assert any(b.asset == "USDT" and b.locked == Decimal("500") for b in position.balances)


async def test_ws_api_reconnect_recovers_missed_order_and_balances() -> None:
    config, signer = ed25519_config()
    async with local_exchange(config) as ex, BinanceClient(
        ex.api_key, ex.api_secret, base_url=ex.rest_url
    ) as rest, WsApiClient(
        f"{ex.ws_url}/ws-api/v3", ED25519_API_KEY, signer, backoff_base_s=0.05
    ) as api, WsApiUserData(api, rest) as users:
        assert api.logged_on
        # The push of this order's events is what the fault cuts: the stream never sees it.
        ex.inject("ws_drop", "/ws-api/v3", count=1)
        placed = await rest.new_order("BTCUSDT", "BUY", "LIMIT", **LIMIT)
        items = await collect(users, lambda s: _has(MissedOrderUpdate)(s) and _has(MissedBalances)(s))
        states = [i.state for i in items if isinstance(i, ConnectionEvent)]
        assert ConnectionState.RECONNECTED in states
        assert not any(isinstance(i, ExecutionReport) for i in items)
        missed = next(i for i in items if isinstance(i, MissedOrderUpdate))
        assert missed.order.order_id == placed.order_id and missed.known_filled is None
        assert missed.order.status is OrderStatus.NEW
        balances = next(i for i in items if isinstance(i, MissedBalances)).balances
        assert balances["USDT"][1] == Decimal("500")
        # the stream is subscribed again: the cancel arrives as a live event
        await api.cancel_order("BTCUSDT", order_id=placed.order_id)
        items = await collect(users, _has(ExecutionReport))
        assert next(i for i in items if isinstance(i, ExecutionReport)).order_status is OrderStatus.CANCELED


async def test_listen_key_flow_survives_expiry() -> None:
    async with local_exchange(legacy_listen_key=True) as ex, BinanceClient(
        ex.api_key, ex.api_secret, base_url=ex.rest_url
    ) as rest, ListenKeyUserData(rest, ex.ws_url, backoff_base_s=0.05) as users:
        first_key = users.listen_key
        assert first_key is not None
        await rest.new_order("BTCUSDT", "BUY", "LIMIT", **LIMIT)
        await collect(users, _has(ExecutionReport))
        assert ex.app[WS_KEY].users.expire_listen_key(first_key)
        items = await collect(users, _reconnected)
        assert any(isinstance(i, ListenKeyExpired) for i in items)
        assert users.keys_created == 2 and users.listen_key != first_key
        await rest.cancel_all_orders("BTCUSDT")
        items = await collect(users, _has(ExecutionReport))
        assert next(i for i in items if isinstance(i, ExecutionReport)).order_status is OrderStatus.CANCELED
    assert ex.app[WS_KEY].users.listen_keys() == []  # closed on exit


async def test_listen_key_failed_keepalive_starts_over() -> None:
    async with local_exchange(legacy_listen_key=True) as ex, BinanceClient(
        ex.api_key, ex.api_secret, base_url=ex.rest_url
    ) as rest, ListenKeyUserData(rest, ex.ws_url, keepalive_s=0.2, backoff_base_s=0.05) as users:
        key = users.listen_key
        assert key is not None
        ex.app[WS_KEY].users.close_listen_key(key)  # the server forgets it: keepalive answers -1125
        items = await collect(users, _reconnected)
        reasons = [i.reason for i in items if isinstance(i, ConnectionEvent)]
        assert any("keepalive failed" in r or "closed" in r for r in reasons)
        assert users.listen_key != key
