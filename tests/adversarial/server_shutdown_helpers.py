"""Shared by the serverShutdown attacks: sessions on the local exchange's WebSocket APIs that
record their connection events, and the exchange's own count of orders per client order ID."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.binance.futures.futures_client_helpers import futures_client
from tests.streams import ED25519_API_KEY, ed25519_config, local_exchange
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState
from tradeexec.binance.ws.wsapi import WsApiClient
from tradeexec.sim import LocalExchange
from tradeexec.sim.binance.ws_routes import WS_KEY
from tradeexec.sim.faults import FaultKind

SYMBOL = "BTCUSDT"
ALL = 10**9


class States(list[ConnectionEvent]):
    """A session's connection events, in order."""

    def __call__(self, event: ConnectionEvent) -> None:
        self.append(event)

    def moved(self) -> bool:
        """Whether the session has moved to a new connection after a serverShutdown."""
        reasons = [(e.state, e.reason) for e in self]
        shut = [
            i
            for i, (s, r) in enumerate(reasons)
            if s is ConnectionState.DISCONNECTED and "serverShutdown" in r
        ]
        return bool(shut) and any(s is ConnectionState.RECONNECTED for s, _ in reasons[shut[0] :])


@contextlib.asynccontextmanager
async def spot_session(*, ed25519: bool = False) -> AsyncIterator[tuple[LocalExchange, WsApiClient, States]]:
    states = States()
    config, signer = ed25519_config() if ed25519 else (None, None)
    async with local_exchange(config) as ex:
        key, sign = (
            (ED25519_API_KEY, signer) if signer is not None else (ex.api_key, HmacSigner(ex.api_secret))
        )
        async with WsApiClient(f"{ex.ws_url}/ws-api/v3", key, sign, on_state=states) as api:
            yield ex, api, states


@contextlib.asynccontextmanager
async def futures_session(tmp_path: Path) -> AsyncIterator[tuple[LocalExchange, Any, States]]:
    states = States()
    async with futures_client(tmp_path) as (ex, client), client.futures_ws_api(on_state=states) as api:
        yield ex, api, states


def spot_count(ex: LocalExchange, cid: str) -> int:
    """How many orders the exchange's own engine holds under ``cid``."""
    return sum(o.client_order_id == cid for o in ex.state.engine.all_orders(ex.account, SYMBOL, limit=ALL))


def futures_count(ex: LocalExchange, cid: str) -> int:
    orders = ex.state.futures.engine.all_orders(ex.account, SYMBOL, limit=ALL)
    return sum(o.client_order_id == cid for o in orders)


def ws_api_connections(ex: LocalExchange, path: str) -> int:
    """Open WebSocket API connections on the exchange's side."""
    return len(ex.app[WS_KEY].connections.connections(path))


def read_after_shutdown(ex: LocalExchange) -> set[str]:
    """Client order IDs the exchange read on a connection after telling it serverShutdown
    (sent before the client heard it, or sent there since)."""
    after = [r.detail for r in ex.fault_log if r.kind is FaultKind.SERVER_SHUTDOWN]
    return {d.rpartition(" ")[2] for d in after if d.startswith("after serverShutdown")}
