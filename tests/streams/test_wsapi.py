"""WsApiClient against the local exchange's ``/ws-api/v3``: HMAC per-request signatures,
Ed25519 logon, typed results and errors, rate limits, lost answers and reconnects."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.streams import ED25519_API_KEY, ed25519_config, local_exchange
from tradeexec.binance.enums import OrderStatus, RateLimitType
from tradeexec.binance.models import OrderFull
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState
from tradeexec.binance.ws.wsapi import WsApiClient
from tradeexec.errors import BinanceAPIError, OrderStatusUnknown

pytestmark = pytest.mark.timeout(30)


def _limit(price: str = "50000") -> dict[str, object]:
    return {"quantity": Decimal("0.01"), "price": Decimal(price), "time_in_force": "GTC"}


async def test_hmac_orders_status_cancel_and_rate_limits() -> None:
    async with local_exchange() as ex, WsApiClient(
        f"{ex.ws_url}/ws-api/v3", ex.api_key, HmacSigner(ex.api_secret)
    ) as api:
        assert not api.logged_on
        placed = await api.place_order("BTCUSDT", "BUY", "LIMIT", new_client_order_id="ws_test_1", **_limit())
        assert isinstance(placed, OrderFull) and placed.status is OrderStatus.NEW
        assert placed.client_order_id == "ws_test_1" and placed.price == Decimal("50000")
        status = await api.order_status("BTCUSDT", orig_client_order_id="ws_test_1")
        assert status.order_id == placed.order_id and status.is_working
        assert [o.order_id for o in await api.open_orders("BTCUSDT")] == [placed.order_id]
        canceled = await api.cancel_order("BTCUSDT", order_id=placed.order_id)
        assert canceled.status is OrderStatus.CANCELED
        assert await api.open_orders("BTCUSDT") == []
        weight = [u for u in api.limiter.usage() if u.rate_limit_type is RateLimitType.REQUEST_WEIGHT]
        orders = [u for u in api.limiter.usage() if u.rate_limit_type is RateLimitType.ORDERS]
        assert weight and weight[0].used >= 5  # the server's counts, adopted from rateLimits
        assert any(u.used >= 1 for u in orders)
        with pytest.raises(BinanceAPIError) as err:
            await api.cancel_order("BTCUSDT", order_id=placed.order_id)
        assert err.value.code == -2011


async def test_cancel_replace_and_cancel_all() -> None:
    async with local_exchange() as ex, WsApiClient(
        f"{ex.ws_url}/ws-api/v3", ex.api_key, HmacSigner(ex.api_secret)
    ) as api:
        first = await api.place_order("BTCUSDT", "BUY", "LIMIT", **_limit())
        replaced = await api.cancel_replace(
            "BTCUSDT", "BUY", "LIMIT", cancel_order_id=first.order_id, **_limit("49000")
        )
        assert replaced.cancel_response.order_id == first.order_id
        assert replaced.new_order_response.price == Decimal("49000")
        await api.place_order("BTCUSDT", "SELL", "LIMIT", **_limit("70000"))
        canceled = await api.cancel_all("BTCUSDT")
        assert len(canceled) == 2
        assert await api.open_orders() == []


async def test_ed25519_logon_then_unsigned_requests() -> None:
    config, signer = ed25519_config()
    async with local_exchange(config) as ex, WsApiClient(
        f"{ex.ws_url}/ws-api/v3", ED25519_API_KEY, signer
    ) as api:
        assert api.logged_on
        placed = await api.place_order("BTCUSDT", "BUY", "LIMIT", **_limit())
        assert (await api.order_status("BTCUSDT", order_id=placed.order_id)).status is OrderStatus.NEW
        assert "redacted" in repr(api) and ex.api_secret not in repr(api)


async def test_lost_answer_raises_unknown_and_is_not_resent() -> None:
    async with local_exchange() as ex, WsApiClient(
        f"{ex.ws_url}/ws-api/v3", ex.api_key, HmacSigner(ex.api_secret), request_timeout_s=0.5
    ) as api:
        ex.inject("lost_response", "order.place", count=1)
        with pytest.raises(OrderStatusUnknown) as err:
            await api.place_order("BTCUSDT", "BUY", "LIMIT", new_client_order_id="lost_1", **_limit())
        assert err.value.client_order_id == "lost_1"
        found = await api.order_status("BTCUSDT", orig_client_order_id="lost_1")
        assert found.status is OrderStatus.NEW
        assert len(await api.open_orders("BTCUSDT")) == 1  # executed once, never resent


@pytest.mark.parametrize("fault", ["ws_drop", "ws_silent"])
async def test_lost_session_is_replaced_and_logs_on_again(fault: str) -> None:
    """A dropped session, and one that goes silent with TCP up (noticed by the heartbeat
    within ``silence_timeout_s``, long before the request timeout), are both replaced."""
    config, signer = ed25519_config()
    states: list[ConnectionEvent] = []
    async with local_exchange(config) as ex, WsApiClient(
        f"{ex.ws_url}/ws-api/v3", ED25519_API_KEY, signer, backoff_base_s=0.05, silence_timeout_s=0.6,
        on_state=states.append,
    ) as api:
        ex.inject(fault, "/ws-api/v3", count=1)
        with pytest.raises(OrderStatusUnknown):
            await api.place_order("BTCUSDT", "BUY", "LIMIT", new_client_order_id="lost_1", **_limit())
        async with asyncio.timeout(5):
            while ConnectionState.RECONNECTED not in [s.state for s in states]:
                await asyncio.sleep(0.02)
        assert api.logged_on
        assert [s.state for s in states][-2:] == [ConnectionState.DISCONNECTED, ConnectionState.RECONNECTED]
        # The fault hit the request before the exchange executed it: the lookup says so, and
        # the client did not resend it behind our back.
        with pytest.raises(BinanceAPIError) as err:
            await api.order_status("BTCUSDT", orig_client_order_id="lost_1")
        assert err.value.code == -2013
        assert await api.open_orders("BTCUSDT") == []
