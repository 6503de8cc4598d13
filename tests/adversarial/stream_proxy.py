"""A WebSocket proxy on 127.0.0.1 that reorders and duplicates what a server pushes.

Put it between a client and any WebSocket endpoint of the local exchange (a listenKey user
data stream, a market stream): the client connects to ``proxy.url + path`` and the proxy opens
``upstream + path`` for it. Frames from the client go up unchanged; frames from the server
come down with, decided by a seeded random generator,

* a frame held back and released only after the next 1..``max_hold`` frames (so it arrives
  after newer ones), with at most ``max_held`` frames held at once;
* a frame delivered and then delivered again later, after newer frames;
* whatever is held released, newest first, once the server has been quiet ``flush_s``.

Nothing is lost: every frame arrives at least once. With ``heartbeat_s`` the proxy pings the
server and drops the client's connection when the server stops answering (the proxy answers
the client's pings itself, so a silent server would otherwise go unnoticed behind it).
``settle`` waits until nothing is held and nothing was forwarded for a while, which is when a
consumer has seen everything.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from types import TracebackType

import aiohttp
from aiohttp import web

__all__ = ["ProxyStats", "StreamProxy"]


@dataclass
class ProxyStats:
    frames: int = 0  # frames the server pushed
    sent: int = 0  # frames the client was sent (duplicates included)
    held: int = 0  # frames delivered after newer ones
    duplicated: int = 0
    connections: int = 0


@dataclass
class _Held:
    data: str | bytes
    countdown: int


class StreamProxy:
    """``async with StreamProxy(ex.ws_url, seed=1) as proxy:`` then connect to ``proxy.url``."""

    def __init__(
        self,
        upstream: str,
        *,
        seed: int = 0,
        hold: float = 0.35,
        duplicate: float = 0.25,
        max_hold: int = 3,
        max_held: int = 4,
        flush_s: float = 0.05,
        heartbeat_s: float | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.hold = hold
        self.duplicate = duplicate
        self.max_hold = max_hold
        self.max_held = max_held
        self.flush_s = flush_s
        self.heartbeat_s = heartbeat_s
        self.stats = ProxyStats()
        self.url = ""
        self._rng = random.Random(seed)
        self._held_now = 0
        self._last_sent = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> StreamProxy:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._session = aiohttp.ClientSession()
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        port = server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def settle(self, quiet_s: float = 0.3, timeout: float = 10.0) -> None:
        """Until nothing is held and nothing was forwarded for ``quiet_s``."""
        async with asyncio.timeout(timeout):
            while self._held_now or time.monotonic() - self._last_sent < quiet_s:
                await asyncio.sleep(0.02)

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        down = web.WebSocketResponse()
        await down.prepare(request)
        assert self._session is not None
        self.stats.connections += 1
        upstream = self.upstream + request.path_qs
        async with self._session.ws_connect(upstream, heartbeat=self.heartbeat_s) as up:
            pump_up = asyncio.get_running_loop().create_task(self._client_to_server(down, up))
            try:
                await self._server_to_client(up, down)
            finally:
                pump_up.cancel()
                await asyncio.gather(pump_up, return_exceptions=True)
        await down.close()
        return down

    @staticmethod
    async def _client_to_server(down: web.WebSocketResponse, up: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in down:
            if msg.type is aiohttp.WSMsgType.TEXT:
                await up.send_str(msg.data)
            elif msg.type is aiohttp.WSMsgType.BINARY:
                await up.send_bytes(msg.data)
        await up.close()

    async def _server_to_client(
        self, up: aiohttp.ClientWebSocketResponse, down: web.WebSocketResponse
    ) -> None:
        held: list[_Held] = []
        try:
            while not down.closed:
                try:
                    msg = await up.receive(timeout=self.flush_s if held else None)
                except TimeoutError:
                    for frame in reversed(held):  # quiet: the held frames, newest first
                        await self._send(down, frame.data)
                    held.clear()
                    continue
                finally:
                    self._held_now = len(held)
                if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    break
                self.stats.frames += 1
                await self._forward(down, msg.data, held)
                self._held_now = len(held)
        finally:
            for frame in held:
                if not down.closed:
                    await self._send(down, frame.data)
            self._held_now = 0

    async def _forward(self, down: web.WebSocketResponse, data: str | bytes, held: list[_Held]) -> None:
        rng = self._rng
        if len(held) < self.max_held and rng.random() < self.hold:
            held.append(_Held(data, rng.randint(1, self.max_hold)))
            self.stats.held += 1
        else:
            await self._send(down, data)
            if len(held) < self.max_held and rng.random() < self.duplicate:
                held.append(_Held(data, rng.randint(1, self.max_hold)))
                self.stats.duplicated += 1
        due = [h for h in held if h.countdown <= 0]
        for h in held:
            h.countdown -= 1
        for h in due:
            held.remove(h)
            await self._send(down, h.data)

    async def _send(self, down: web.WebSocketResponse, data: str | bytes) -> None:
        if isinstance(data, str):
            await down.send_str(data)
        else:
            await down.send_bytes(data)
        self.stats.sent += 1
        self._last_sent = time.monotonic()
