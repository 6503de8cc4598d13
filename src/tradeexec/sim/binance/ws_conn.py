"""One server-side WebSocket connection with Binance's connection rules.

Market streams, listenKey streams and the WebSocket API differ in what they say but not in how
a connection lives: the server pings on a timer and drops a peer that stops answering, a
connection ends after its maximum lifetime, a peer that sends too much is cut off, and a slow
reader is dropped rather than allowed to stall the exchange. Those rules, and the fault hooks
that break them on purpose, live here once.

Sending never blocks the caller: ``send`` appends already encoded bytes to a bounded
per-connection buffer that a writer task drains, so the event bus can fan one payload out to
thousands of connections synchronously.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import WSCloseCode, WSMsgType, web

from tradeexec.sim.faults import FaultInjector, FaultKind

log = logging.getLogger(__name__)

DEFAULT_SEND_QUEUE = 65_536
_CLOSE_TIMEOUT_S = 2.0
_ID_TEXT = re.compile(r"[a-zA-Z0-9_-]{1,36}")
_INT64 = range(-(1 << 63), 1 << 63)


def valid_request_id(value: object) -> bool:
    """Binance's rule for the ``id`` of a request on the WebSocket API and on the market streams
    alike: a 64-bit signed integer, a string of up to 36 letters, digits, '-' or '_' (a UUID
    fits), or null. The answer echoes it back unchanged."""
    if value is None:
        return True
    if isinstance(value, str):
        return _ID_TEXT.fullmatch(value) is not None
    return isinstance(value, int) and not isinstance(value, bool) and value in _INT64


@dataclass(slots=True, frozen=True)
class ConnLimits:
    """Real-time (not simulated) seconds: these rules protect the server's sockets."""

    ping_interval_s: float = 20.0
    pong_timeout_s: float = 60.0
    max_lifetime_s: float = 86_400.0
    inbound_per_s: int | None = 5  # None: no inbound message limit (the WebSocket API)
    send_queue: int = DEFAULT_SEND_QUEUE


TextHandler = Callable[[bytes], Awaitable[None]]


class WsServerConnection:
    """Owns one ``WebSocketResponse``: call ``await run(on_text)`` from the request handler."""

    def __init__(
        self,
        request: web.Request,
        limits: ConnLimits,
        faults: FaultInjector,
        target: str,
        registry: ConnectionRegistry,
    ) -> None:
        self.request = request
        self.limits = limits
        self.target = target
        self.ws = web.WebSocketResponse(autoping=False, timeout=_CLOSE_TIMEOUT_S, max_msg_size=1 << 20)
        self.silent = False
        self.closed = False
        self.shutdown_at_ms: int | None = None  # when this connection announced serverShutdown
        self._faults = faults
        self._registry = registry
        self._out: deque[bytes] = deque()
        self._wake = asyncio.Event()
        self._inbound: deque[float] = deque()
        self._last_pong = time.monotonic()
        self._close_task: asyncio.Task[None] | None = None
        self._on_close: list[Callable[[], None]] = []

    @property
    def peer(self) -> str:
        return self.request.remote or "?"

    def on_close(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once when the connection ends, however it ends."""
        self._on_close.append(fn)

    # ---- sending ---------------------------------------------------------------------------

    def send(self, payload: bytes) -> None:
        """Queue one text frame; a reader that falls ``send_queue`` frames behind is dropped."""
        if self.closed or self.silent:
            return
        if self._faults.rules and self._check_faults():
            return
        if len(self._out) >= self.limits.send_queue:
            log.warning(
                "dropping slow WebSocket client %s on %s: %d frames unsent",
                self.peer,
                self.target,
                len(self._out),
            )
            self._out.clear()
            self.close_soon(WSCloseCode.POLICY_VIOLATION, "Slow consumer")
            return
        self._out.append(payload)
        self._wake.set()

    async def _writer(self) -> None:
        out = self._out
        ws = self.ws
        while not self.closed:
            await self._wake.wait()
            self._wake.clear()
            while out and not self.closed:
                if self.silent:
                    out.clear()
                    break
                await ws.send_frame(out.popleft(), WSMsgType.TEXT)

    # ---- faults and closing ----------------------------------------------------------------

    def _check_faults(self) -> bool:
        """Fire WS_DROP / WS_SILENT rules aimed at this connection; True if it stopped talking."""
        if self._faults.should(FaultKind.WS_DROP, self.target, f"peer={self.peer}"):
            self.abort()
            return True
        if self._faults.should(FaultKind.WS_SILENT, self.target, f"peer={self.peer}"):
            self.silent = True
            return True
        return False

    def abort(self) -> None:
        """Cut the TCP connection without a close frame (a dropped connection)."""
        if self.closed:
            return
        self._mark_closed()
        self._out.clear()
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    def close_soon(self, code: int = WSCloseCode.OK, reason: str = "") -> None:
        """Close with a close frame, from synchronous code (bus listeners, timers); nothing
        more is sent from this moment."""
        if self.closed:
            return
        self._mark_closed()
        self._close_task = asyncio.get_running_loop().create_task(self._send_close(code, reason))

    async def close(self, code: int = WSCloseCode.OK, reason: str = "") -> None:
        if self.closed:
            return
        self._mark_closed()
        await self._send_close(code, reason)

    async def _send_close(self, code: int, reason: str) -> None:
        """Frames queued before the decision to close still go out (a listenKeyExpired event,
        the answers to the requests that came before the one over the limit)."""
        with contextlib.suppress(Exception):
            while self._out and not self.silent:
                await self.ws.send_frame(self._out.popleft(), WSMsgType.TEXT)
            await self.ws.close(code=code, message=reason.encode())

    def _mark_closed(self) -> None:
        self.closed = True
        self._wake.set()
        callbacks, self._on_close = self._on_close, []
        for fn in callbacks:
            try:
                fn()
            except Exception:
                log.exception("WebSocket close callback failed")

    # ---- the connection's life -------------------------------------------------------------

    async def run(self, on_text: TextHandler) -> web.WebSocketResponse:
        await self.ws.prepare(self.request)
        self._registry.add(self)
        tasks = [
            asyncio.create_task(self._writer()),
            asyncio.create_task(self._watchdog()),
        ]
        try:
            await self._reader(on_text)
        finally:
            if not self.closed:
                self._mark_closed()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, ConnectionError, RuntimeError):
                    await task
            if self._close_task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._close_task
            self._registry.discard(self)
        return self.ws

    async def _reader(self, on_text: TextHandler) -> None:
        ws = self.ws
        while not self.closed:
            msg = await ws.receive()
            kind = msg.type
            if kind in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return
            if self.silent or (self._faults.rules and self._check_faults()):
                continue
            if self._over_inbound_limit():
                log.info("closing WebSocket %s on %s: too many inbound messages", self.peer, self.target)
                await self.close(WSCloseCode.POLICY_VIOLATION, "Too many requests")
                return
            if kind is WSMsgType.PING:
                await ws.pong(msg.data)
            elif kind is WSMsgType.PONG:
                self._last_pong = time.monotonic()
            elif kind is WSMsgType.TEXT:
                await on_text(msg.data.encode("utf-8"))
            elif kind is WSMsgType.BINARY:
                await on_text(msg.data)

    def _over_inbound_limit(self) -> bool:
        limit = self.limits.inbound_per_s
        if limit is None:
            return False
        now = time.monotonic()
        window = self._inbound
        window.append(now)
        while window and now - window[0] > 1.0:
            window.popleft()
        return len(window) > limit

    async def _watchdog(self) -> None:
        """Ping on a timer, end the connection at its lifetime, drop peers that stop ponging."""
        limits = self.limits
        started = time.monotonic()
        next_ping = started + limits.ping_interval_s
        end_of_life = started + limits.max_lifetime_s
        while not self.closed:
            now = time.monotonic()
            pong_deadline = self._last_pong + limits.pong_timeout_s
            wake = min(next_ping, end_of_life, pong_deadline)
            if wake > now:
                await asyncio.sleep(wake - now)
                continue
            if not self.silent and self._faults.rules and self._check_faults():
                continue
            if self.silent:
                # A silenced server neither pings nor judges its peer; it just hangs.
                next_ping = now + limits.ping_interval_s
                self._last_pong = now
                continue
            if now >= end_of_life:
                await self.close(WSCloseCode.GOING_AWAY, "Connection lifetime exceeded")
                return
            if now >= pong_deadline:
                log.info(
                    "closing WebSocket %s on %s: no pong within %.1fs",
                    self.peer,
                    self.target,
                    limits.pong_timeout_s,
                )
                await self.close(WSCloseCode.POLICY_VIOLATION, "Pong timeout")
                return
            if now >= next_ping:
                next_ping = now + limits.ping_interval_s
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self.ws.ping(str(int(time.time() * 1000)).encode())


class ConnectionRegistry:
    """Every open connection, so shutdown and fault handles can reach them all."""

    def __init__(self) -> None:
        self._conns: set[WsServerConnection] = set()

    def add(self, conn: WsServerConnection) -> None:
        self._conns.add(conn)

    def discard(self, conn: WsServerConnection) -> None:
        self._conns.discard(conn)

    def __len__(self) -> int:
        return len(self._conns)

    def connections(self, target_prefix: str = "") -> list[WsServerConnection]:
        return [c for c in self._conns if c.target.startswith(target_prefix)]

    def drop(self, target_prefix: str = "") -> int:
        """Abort every connection whose target starts with ``target_prefix``; how many."""
        conns = self.connections(target_prefix)
        for conn in conns:
            conn.abort()
        return len(conns)

    async def close_all(self) -> None:
        conns = list(self._conns)
        await asyncio.gather(
            *(c.close(WSCloseCode.GOING_AWAY, "Server shutdown") for c in conns), return_exceptions=True
        )
