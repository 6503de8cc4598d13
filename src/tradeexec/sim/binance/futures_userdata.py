"""The USDT-M futures user data stream: ``/private/ws/<listenKey>`` (Binance's routed
private endpoint since 2026-04; also ``/private/ws?listenKey=``), carrying the events the
futures engine reports (encoded by ``futures_formats``), and ``listenKeyExpired`` when a key
lapses (then the connection closes). Its once-a-second timer also settles funding times the
clock has passed, so that funding reaches the stream without a request.

Events are encoded once per change and queued per connection (bounded: a connection that
falls 1,000 messages behind is closed rather than let grow without end)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import msgspec
from aiohttp import web

from tradeexec.binance.models.user_events import ListenKeyExpired
from tradeexec.sim.binance.futures_formats import encode_event
from tradeexec.sim.faults import FaultKind
from tradeexec.sim.futures.events import FuturesEvent
from tradeexec.sim.state import SimState

log = logging.getLogger(__name__)
_encode = msgspec.json.Encoder().encode
QUEUE_LIMIT = 1000
SWEEP_S = 1.0
_CLOSE = b""


class FuturesUserStream:
    def __init__(self, state: SimState) -> None:
        self.state = state
        self._queues: dict[str, set[asyncio.Queue[bytes]]] = {}
        self._sweeper: asyncio.Task[None] | None = None

    def install(self, app: web.Application) -> None:
        app.router.add_get("/private/ws/{listen_key}", self.handle)
        app.router.add_get("/private/ws", self.handle)

    def start(self) -> None:
        self.state.futures_listeners.append(self.on_events)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.state.futures_listeners.remove(self.on_events)
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper

    def on_events(self, events: list[FuturesEvent]) -> None:
        keys = self.state.futures_keys
        for ev in events:
            targets = [q for k in keys.keys_of(ev.account) for q in self._queues.get(k, ())]
            if not targets:
                continue
            for payload in encode_event(ev):
                for queue in targets:
                    self._put(queue, payload)

    @staticmethod
    def _put(queue: asyncio.Queue[bytes], payload: bytes) -> None:
        try:
            queue.put_nowait(payload)
        except asyncio.QueueFull:
            log.warning("a futures user stream fell %d messages behind: closing it", QUEUE_LIMIT)
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
            queue.put_nowait(_CLOSE)

    def close_all(self) -> None:
        """Server shutdown: every connection closes (their handlers end at once)."""
        for queues in self._queues.values():
            for queue in queues:
                self._put(queue, _CLOSE)

    def _struck(self, key: str, account: str) -> bool:
        """An injected listenKey expiry, as spot's user data hub takes it."""
        return self.state.faults.should(FaultKind.LISTEN_KEY_EXPIRY, key, f"account={account}")

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_S)
            now = self.state.now_ms()
            self.state.futures.catch_up(now)
            struck = self._struck if self.state.faults.rules else None
            for key in self.state.futures_keys.take_expired(struck):
                payload = _encode(ListenKeyExpired(event_time=now, listen_key=key))
                for queue in self._queues.get(key, ()):
                    self._put(queue, payload)
                    self._put(queue, _CLOSE)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info.get("listen_key") or request.query.get("listenKey", "")
        if self.state.futures_keys.account_of(key) is None:
            return web.json_response({"code": -1125, "msg": "This listenKey does not exist."}, status=400)
        ws = web.WebSocketResponse(heartbeat=20.0)
        await ws.prepare(request)
        queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_LIMIT)
        self._queues.setdefault(key, set()).add(queue)
        reader = asyncio.ensure_future(self._drain(ws))
        try:
            while not ws.closed:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    break
                payload = getter.result()
                if payload == _CLOSE:
                    break
                await ws.send_str(payload.decode())
        finally:
            reader.cancel()
            self._queues.get(key, set()).discard(queue)
            await ws.close()
        return ws

    @staticmethod
    async def _drain(ws: web.WebSocketResponse) -> None:
        """Read (and ignore) what the client sends, so that pings, pongs and close work."""
        async for _ in ws:
            pass
