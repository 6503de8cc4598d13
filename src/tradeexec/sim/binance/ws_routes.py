"""Wires the WebSocket side of the local exchange into its aiohttp application.

One call adds the market streams, the WebSocket API, the user data stream (and the legacy
listenKey REST endpoints), their event-bus listeners and their timers, started and stopped with
the application. The pieces are reachable through ``app[WS_KEY]`` so tests and the admin
handle can expire listenKeys or drop connections on demand.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from tradeexec.sim.binance.futures_streams import FuturesMarketStreams
from tradeexec.sim.binance.futures_userdata import FuturesUserStream
from tradeexec.sim.binance.service import WireState
from tradeexec.sim.binance.userdata import ListenKeyRoutes, UserDataHub
from tradeexec.sim.binance.ws_api import WsApi
from tradeexec.sim.binance.ws_conn import ConnectionRegistry
from tradeexec.sim.binance.ws_firehose import add_firehose_routes
from tradeexec.sim.binance.ws_products import futures_product
from tradeexec.sim.binance.ws_streams import StreamHub


@dataclass(slots=True, frozen=True)
class WsServices:
    users: UserDataHub
    streams: StreamHub
    api: WsApi
    connections: ConnectionRegistry


WS_KEY: web.AppKey[WsServices] = web.AppKey("sim_ws", WsServices)


def setup_ws_routes(app: web.Application, state: WireState) -> WsServices:
    """Register ``/ws``, ``/ws/<streams>``, ``/stream``, ``/ws-api/v3``, ``/ws-fapi/v1`` and
    ``POST/PUT/DELETE /api/v3/userDataStream`` and its ``/sapi/v1`` twin, which answer only
    while ``streams.legacy_listen_key`` is on. Intervals and queue bounds come from
    ``state.config.streams``."""
    registry = ConnectionRegistry()
    users = UserDataHub(state)
    streams = StreamHub(state, users, registry)
    api = WsApi(state, users, registry)
    futures_api = WsApi(state, users, registry, futures_product(state.service.by_route))
    services = WsServices(users, streams, api, registry)
    app[WS_KEY] = services

    router = app.router
    router.add_get("/ws", streams.handle_ws)
    router.add_get("/ws/{streams:.+}", streams.handle_ws)
    router.add_get("/stream", streams.handle_stream)
    router.add_get("/ws-api/v3", api.handle)
    router.add_get("/ws-fapi/v1", futures_api.handle)
    add_firehose_routes(app)
    ListenKeyRoutes(state, api.legacy).install(app)
    futures_users = FuturesUserStream(state)
    futures_users.install(app)
    futures_market = FuturesMarketStreams.install(app, state, users, registry)

    async def start(_: web.Application) -> None:
        users.start()
        streams.start()
        futures_users.start()
        futures_market.start()

    async def shutdown(_: web.Application) -> None:
        futures_users.close_all()
        await registry.close_all()

    async def cleanup(_: web.Application) -> None:
        await streams.stop()
        await futures_market.stop()
        await users.stop()
        await futures_users.stop()

    app.on_startup.append(start)
    app.on_shutdown.append(shutdown)
    app.on_cleanup.append(cleanup)
    return services
