"""The futures user data stream against the local exchange over real sockets: an order's
ORDER_TRADE_UPDATE and ACCOUNT_UPDATE arrive typed on the routed /private endpoint; when the
listenKey expires the stream takes a new key, reconnects, and recovers what it missed from
/fapi -- never from /api/v3."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.binance.futures.futures_client_helpers import futures_client
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.models import FuturesAccountUpdate, OrderTradeUpdate
from tradeexec.binance.venue_stream import user_data_stream
from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState
from tradeexec.binance.ws.futures_userdata import FuturesUserData
from tradeexec.binance.ws.userdata import MissedFuturesAccount, MissedFuturesOrder, UserDataItem
from tradeexec.config import Venue
from tradeexec.errors import ConfigError

WAIT = 15.0


async def _next(stream: FuturesUserData, want: Callable[[UserDataItem], bool]) -> UserDataItem:
    """The next item ``want`` accepts, skipping others, within WAIT seconds."""

    async def find() -> UserDataItem:
        async for item in stream:
            if want(item):
                return item
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(find(), WAIT)


class GatedStream(FuturesUserData):
    """Holds the next listenKey request until ``gate`` is set, so that the test can trade
    while no connection is up."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.gate = asyncio.Event()
        self.gate.set()
        self.waiting = asyncio.Event()

    async def _new_key(self) -> str:
        if not self.gate.is_set():
            self.waiting.set()
            await self.gate.wait()
        return await super()._new_key()


async def test_an_order_arrives_typed_on_the_private_route(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (ex, client):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        stream = FuturesUserData(client, client.settings.urls.stream)
        await stream.start()
        try:
            placed = await client.futures_new_order("BTCUSDT", "BUY", "MARKET", quantity="0.1")
            fill = await _next(
                stream, lambda i: isinstance(i, OrderTradeUpdate) and i.order.execution_type == "TRADE"
            )
            account = await _next(stream, lambda i: isinstance(i, FuturesAccountUpdate))
        finally:
            await stream.close()
    assert isinstance(fill, OrderTradeUpdate) and fill.order.order_id == placed.order_id
    assert (fill.order.order_status, fill.order.last_filled_qty, fill.order.last_filled_price) == (
        "FILLED",
        D("0.1"),
        D("60000"),
    )
    assert isinstance(account, FuturesAccountUpdate) and account.account.reason == "ORDER"
    (pos,) = account.account.positions
    assert (pos.symbol, pos.position_amt) == ("BTCUSDT", D("0.1"))
    assert all(not path.startswith("/api/") for _method, path in client.paths)


async def test_an_expired_key_is_renewed_and_what_was_missed_is_recovered_from_fapi(tmp_path: Path) -> None:
    async with futures_client(tmp_path) as (ex, client):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        stream = GatedStream(client, client.settings.urls.stream, backoff_base_s=0.05)
        await stream.start()
        try:
            first_key = stream.listen_key
            stream.gate.clear()
            # The key lapses (60 minutes without a keepalive): the exchange says
            # listenKeyExpired and closes the connection.
            ex.state.clock.advance(61 * 60 * 1000)
            await _next(
                stream, lambda i: isinstance(i, ConnectionEvent) and i.state is ConnectionState.DISCONNECTED
            )
            await asyncio.wait_for(stream.waiting.wait(), WAIT)
            # Meanwhile, with no connection up: a fill and a resting order.
            await client.futures_new_order("BTCUSDT", "BUY", "MARKET", quantity="0.2")
            resting = await client.futures_new_order(
                "BTCUSDT", "BUY", "LIMIT", quantity="0.1", price="50000", time_in_force="GTC"
            )
            client.paths.clear()
            stream.gate.set()
            await _next(
                stream, lambda i: isinstance(i, ConnectionEvent) and i.state is ConnectionState.RECONNECTED
            )
            missed = await _next(stream, lambda i: isinstance(i, MissedFuturesOrder))
            account = await _next(stream, lambda i: isinstance(i, MissedFuturesAccount))
            assert stream.listen_key != first_key and stream.keys_created == 2
        finally:
            await stream.close()
    assert isinstance(missed, MissedFuturesOrder)
    assert (missed.order.order_id, missed.order.status, missed.known_filled) == (
        resting.order_id,
        "NEW",
        None,
    )
    assert isinstance(account, MissedFuturesAccount)
    assert account.positions[("BTCUSDT", "BOTH")] == (D("0.2"), D("60000"))
    assert "USDT" in account.balances
    recovery = {path for _method, path in client.paths}
    assert {"/fapi/v1/openOrders", "/fapi/v2/balance", "/fapi/v2/positionRisk"} <= recovery
    assert not any(path.startswith("/api/") for path in recovery)


def test_the_core_stream_refuses_futures_venues_instead_of_dropping_their_events(tmp_path: Path) -> None:
    (tmp_path / "empty.toml").touch()
    for venue in (Venue.USDM_FUTURES, Venue.FUTURES_TESTNET, Venue.FUTURES_DEMO):
        client = BinanceClient("k" * 64, "s" * 64, venue=venue, config_path=tmp_path / "empty.toml")
        with pytest.raises(ConfigError, match="FuturesUserData"):
            user_data_stream(client)


async def _until(check: Callable[[], bool]) -> None:
    """Wait for ``check`` to hold, polling, within WAIT seconds."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_the_key_is_kept_alive_and_a_refused_keepalive_starts_over_with_a_new_key(
    tmp_path: Path,
) -> None:
    async with futures_client(tmp_path) as (_ex, client):
        stream = FuturesUserData(client, client.settings.urls.stream, keepalive_s=0.1, backoff_base_s=0.05)
        await stream.start()
        try:
            await _until(lambda: client.paths.count(("PUT", "/fapi/v1/listenKey")) >= 3)
            assert stream.keys_created == 1  # kept alive: the same key, no reconnect
            # The key is closed behind the stream's back: the next keepalive answers -1125.
            await client.futures_close_listen_key()
            await _next(
                stream, lambda i: isinstance(i, ConnectionEvent) and i.state is ConnectionState.RECONNECTED
            )
            assert stream.keys_created == 2
        finally:
            await stream.close()
