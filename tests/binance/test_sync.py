"""The blocking facade: generated from the async class, one loop thread, clean close."""

from __future__ import annotations

import inspect
import threading
from typing import Any

import pytest

import tradeexec
from tradeexec.binance.client import BinanceClient
from tradeexec.errors import InvalidParameter
from tradeexec.sync import SyncClient

from .conftest import FakeBinance


def test_every_public_coroutine_has_a_blocking_twin_with_its_docstring() -> None:
    names = {
        n for n, m in inspect.getmembers(BinanceClient, inspect.iscoroutinefunction) if not n.startswith("_")
    }
    assert {"new_order", "cancel_order", "account", "futures_new_order", "request", "call"} <= names
    for name in names:
        twin = getattr(SyncClient, name)
        assert not inspect.iscoroutinefunction(twin)
        assert twin.__doc__ == getattr(BinanceClient, name).__doc__


def test_lazy_exports() -> None:
    assert tradeexec.SyncClient is SyncClient
    assert tradeexec.BinanceClient is BinanceClient
    with pytest.raises(AttributeError):
        _ = tradeexec.NoSuchThing  # type: ignore[attr-defined]


async def test_sync_client_calls_through_its_own_loop(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    # The fake server runs on this test's loop; the SyncClient blocks, so it runs in a thread.
    import asyncio

    def script() -> tuple[int, int]:
        with SyncClient(**client_kwargs) as client:
            client.ping()
            server_time = client.server_time().server_time
            with pytest.raises(InvalidParameter):
                client.depth("BTCUSDT", limit=0)
            return server_time, threading.active_count()

    server_time, _ = await asyncio.to_thread(script)
    assert server_time > 0
    assert len(fake.requests_to("GET", "/api/v3/ping")) == 1
    assert not any(t.name == "tradeexec-sync" and t.is_alive() for t in threading.enumerate())


def test_closed_client_refuses_calls(client_kwargs: dict[str, Any]) -> None:
    client = SyncClient(**{**client_kwargs, "api_secret": None})
    client.close()
    client.close()  # idempotent
    with pytest.raises(RuntimeError):
        client.ping()
