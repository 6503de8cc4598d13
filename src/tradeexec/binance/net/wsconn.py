"""A WebSocket client connection (RFC 6455) for request/answer traffic, where every event-loop
hop is paid on every order.

aiohttp hands each incoming message through its parser, a queue and the reader task that
awaits it, and only then to the code that resolves the waiting request: one more event-loop
iteration per answer, on top of its per-message bookkeeping. Here a complete message goes from
the socket read straight to ``on_message``, so the request waiting for it resumes in the next
iteration. Only what Binance's WebSocket API needs is implemented: no extensions (no
compression is offered, so none can be agreed), no subprotocols, no proxies.

The server's pings are answered at once (Binance drops a peer that does not pong), and a
silent server is noticed by our own ping: ``heartbeat_s`` without a byte from the server sends
one, and another ``heartbeat_s / 2`` without a byte ends the connection.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import logging
import os
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

__all__ = ["WsClosed", "WsConnection", "WsHandshakeError", "connect"]

log = logging.getLogger(__name__)

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_CONTINUATION, _TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_MAX_HEADER = 65_536  # bytes of handshake response headers
_CLOSE_WAIT_S = 2.0  # how long ``close`` waits for the server's close frame
_PROTOCOL_ERROR, _TOO_BIG = 1002, 1009
_READ_SIZE = 65_536
_KEY_POOL = 4096  # bytes of mask keys drawn from the OS at once: one getrandom per 1024 frames


class WsClosed(ConnectionError):
    """Sent on a connection that has ended (or is closing)."""


class WsHandshakeError(ConnectionError):
    """The server did not accept the WebSocket upgrade as RFC 6455 requires."""


async def connect(
    url: str,
    on_message: Callable[[bytes], None],
    *,
    on_closed: Callable[[str], None] | None = None,
    heartbeat_s: float | None = None,
    max_msg_size: int = 1 << 26,
    timeout_s: float = 10.0,
) -> WsConnection:
    """Open ``ws://`` or ``wss://`` ``url``: TCP (and TLS), then the opening handshake, all
    within ``timeout_s``. ``on_message`` gets every text or binary message; ``on_closed`` gets
    the reason once the connection has ended, however it ended."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"not a WebSocket URL: {url!r}")
    secure = parts.scheme == "wss"
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.netloc.rpartition("@")[2]
    loop = asyncio.get_running_loop()
    conn = WsConnection(on_message, on_closed, heartbeat_s, max_msg_size)
    try:
        async with asyncio.timeout(timeout_s):
            await loop.create_connection(
                lambda: conn,
                parts.hostname,
                port,
                ssl=_tls_context() if secure else None,
                server_hostname=parts.hostname if secure else None,
            )
            await conn._handshake(target, host)
    except BaseException:
        conn.abort("handshake failed")
        raise
    return conn


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One default context (system CAs, hostname checks) for every reconnect: loading the CA
    store per connection costs milliseconds."""
    return ssl.create_default_context()


class WsConnection(asyncio.BufferedProtocol):
    """One client connection; built by :func:`connect`.

    A buffered protocol: the socket is read into one buffer owned by the connection. A plain
    ``Protocol`` gets a fresh ``recv(256 KiB)`` per read, which glibc serves with
    mmap/mremap/munmap whenever its heap has no such hole: three system calls per answer."""

    def __init__(
        self,
        on_message: Callable[[bytes], None],
        on_closed: Callable[[str], None] | None,
        heartbeat_s: float | None,
        max_msg_size: int,
    ) -> None:
        self._on_message = on_message
        self._on_closed = on_closed
        self._heartbeat_s = heartbeat_s
        self._max = max_msg_size
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._done: asyncio.Future[str] = self._loop.create_future()
        self._upgraded: asyncio.Future[None] | None = self._loop.create_future()
        self._expect_accept = b""
        self._read = memoryview(bytearray(_READ_SIZE))
        self._buf = bytearray()
        self._keys = b""
        self._key_at = _KEY_POOL
        self._need = 0  # bytes the buffered frame needs before it can be parsed
        self._parts: list[bytes] = []  # a fragmented message so far
        self._parts_size = 0
        self._reason = ""  # why we are ending the connection, if we are
        self._dead = False  # nothing more is read: a protocol error, or the server's close
        self._close_sent = False
        self.close_code: int | None = None  # from the server's close frame
        self.last_seen = self._loop.time()  # when the server last sent anything
        self._pinged_at: float | None = None
        self._beat: asyncio.TimerHandle | None = None

    @property
    def closed(self) -> bool:
        """No more sending: the connection has ended, or its close has begun."""
        return self._transport is None or self._close_sent or self._done.done()

    async def wait_closed(self) -> str:
        """Wait for the end of the connection; the reason it ended."""
        return await asyncio.shield(self._done)

    # ---- sending ---------------------------------------------------------------------------

    def send_text(self, payload: bytes) -> None:
        """One text message (UTF-8 ``payload``), written now; no wait for buffer room, as the
        WebSocket API's requests are small."""
        if self.closed:
            raise WsClosed(f"WebSocket closed: {self._reason or 'closing'}")
        self._write(0x80 | _TEXT, payload)

    def _write(self, first: int, payload: bytes) -> None:
        assert self._transport is not None
        n = len(payload)
        if n < 126:
            head = bytes((first, 0x80 | n))
        elif n < 65_536:
            head = bytes((first, 0x80 | 126)) + n.to_bytes(2, "big")
        else:
            head = bytes((first, 0x80 | 127)) + n.to_bytes(8, "big")
        # A fresh, unpredictable mask per frame, as RFC 6455 5.3 requires.
        at = self._key_at
        if at >= _KEY_POOL:
            self._keys = os.urandom(_KEY_POOL)
            at = 0
        key = self._keys[at : at + 4]
        self._key_at = at + 4
        mask = int.from_bytes((key * ((n >> 2) + 1))[:n], "little")
        masked = (int.from_bytes(payload, "little") ^ mask).to_bytes(n, "little")
        self._transport.write(head + key + masked)

    async def close(self, code: int = 1000) -> None:
        """The close handshake: send a close frame, wait (briefly) for the server's, end."""
        if self._transport is None or self._done.done():
            return
        if not self._close_sent:
            self._reason = self._reason or "closed by client"
            self._send_close(code)
        try:
            async with asyncio.timeout(_CLOSE_WAIT_S):
                await asyncio.shield(self._done)
        except TimeoutError:
            self.abort("no close frame from the server")

    def abort(self, reason: str) -> None:
        """End the connection now, without a close handshake."""
        self._reason = self._reason or reason
        if self._transport is not None:
            self._transport.abort()

    def _send_close(self, code: int, why: bytes = b"") -> None:
        self._close_sent = True
        self._write(0x80 | _CLOSE, code.to_bytes(2, "big") + why)

    def _fail(self, code: int, reason: str) -> None:
        """Protocol violation by the server: say why in a close frame and drop the connection."""
        log.warning("WebSocket protocol error: %s", reason)
        self._dead = True
        self._reason = self._reason or reason
        if not self._close_sent and self._transport is not None:
            self._send_close(code)
        self.abort(reason)

    # ---- the opening handshake -------------------------------------------------------------

    async def _handshake(self, target: str, host: str) -> None:
        assert self._transport is not None and self._upgraded is not None
        key = base64.b64encode(os.urandom(16))
        self._expect_accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
        self._transport.write(
            f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        await self._upgraded
        self._arm_heartbeat(self.last_seen)

    def _upgrade(self, data: bytes | memoryview) -> bytes | None:
        """Collect the handshake response; the bytes after it (frames), or None until it is
        complete. A refused upgrade fails ``_upgraded``."""
        assert self._upgraded is not None
        self._buf += data
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > _MAX_HEADER:
                self._refuse("handshake response headers too long")
            return None
        head, rest = bytes(self._buf[:end]), bytes(self._buf[end + 4 :])
        self._buf.clear()
        lines = head.decode("latin-1").split("\r\n")
        status = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        problem = None
        if len(status) < 2 or status[1] != "101":
            problem = f"status {' '.join(status[1:])!r}, not 101"
        elif headers.get("upgrade", "").lower() != "websocket":
            problem = "no Upgrade: websocket"
        elif "upgrade" not in [t.strip().lower() for t in headers.get("connection", "").split(",")]:
            problem = "no Connection: upgrade"
        elif headers.get("sec-websocket-accept", "").encode() != self._expect_accept:
            problem = "wrong Sec-WebSocket-Accept"
        elif "sec-websocket-extensions" in headers or "sec-websocket-protocol" in headers:
            problem = "an extension or subprotocol that was not offered"
        if problem is not None:
            self._refuse(problem)
            return None
        self._upgraded.set_result(None)
        self._upgraded = None
        return rest

    def _refuse(self, problem: str) -> None:
        assert self._upgraded is not None
        self._dead = True
        if not self._upgraded.done():
            self._upgraded.set_exception(WsHandshakeError(f"WebSocket upgrade refused: {problem}"))
        self.abort(problem)

    # ---- receiving -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._read

    def buffer_updated(self, nbytes: int) -> None:
        self._feed(self._read[:nbytes])

    def _feed(self, data: bytes | memoryview) -> None:
        """Parse what arrived: frames straight from the read buffer, and only a frame split
        across reads is copied aside until it is whole."""
        if self._dead:
            return
        self.last_seen = self._loop.time()
        if self._upgraded is not None:
            rest = self._upgrade(data)
            if not rest:
                return
            data = rest
        buf = self._buf
        if buf:
            buf += data
            if len(buf) < self._need:
                return
            data = bytes(buf)
            buf.clear()
        n = len(data)
        pos = 0
        while n - pos >= 2 and not self._dead:
            first = data[pos]
            length = data[pos + 1]
            if length & 0x80 or first & 0x70:
                self._fail(_PROTOCOL_ERROR, "masked frame or reserved bits from the server")
                return
            head = 2
            if length == 126:
                head = 4
                length = int.from_bytes(data[pos + 2 : pos + 4], "big") if n - pos >= 4 else -1
            elif length == 127:
                head = 10
                length = int.from_bytes(data[pos + 2 : pos + 10], "big") if n - pos >= 10 else -1
            if length > self._max:
                self._fail(_TOO_BIG, f"message over {self._max} bytes")
                return
            end = pos + head + length
            if length < 0 or end > n:
                self._need = max(head, end - pos)
                buf += data[pos:] if pos else data
                return
            self._frame(first, bytes(data[pos + head : end]))  # a bytes slice is not copied twice
            pos = end
        if pos < n and not self._dead:
            self._need = 2
            buf += data[pos:]

    def _frame(self, first: int, payload: bytes) -> None:
        opcode = first & 0x0F
        fin = first & 0x80
        if opcode in (_TEXT, _BINARY):
            if self._parts:
                self._fail(_PROTOCOL_ERROR, "new message inside a fragmented one")
            elif fin:
                self._deliver(payload)
            else:
                self._parts.append(payload)
                self._parts_size = len(payload)
        elif opcode == _CONTINUATION:
            if not self._parts:
                self._fail(_PROTOCOL_ERROR, "continuation without a message")
                return
            self._parts.append(payload)
            self._parts_size += len(payload)
            if self._parts_size > self._max:
                self._fail(_TOO_BIG, f"message over {self._max} bytes")
            elif fin:
                message = b"".join(self._parts)
                self._parts.clear()
                self._deliver(message)
        elif opcode >= 8 and (not fin or len(payload) > 125):
            self._fail(_PROTOCOL_ERROR, "fragmented or oversized control frame")
        elif opcode == _PING:
            if not self.closed:
                self._write(0x80 | _PONG, payload)
        elif opcode == _CLOSE:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self._dead = True
            self.close_code = code
            self._reason = self._reason or f"closed by server ({code})"
            if not self._close_sent:
                self._send_close(1000 if code == 1005 else code)
            assert self._transport is not None
            self._transport.close()
        elif opcode != _PONG:
            self._fail(_PROTOCOL_ERROR, f"unknown opcode {opcode}")

    def _deliver(self, message: bytes) -> None:
        try:
            self._on_message(message)
        except Exception:
            log.exception("WebSocket message handler failed")

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._beat is not None:
            self._beat.cancel()
        reason = self._reason or (f"connection lost: {exc!r}" if exc else "connection closed by server")
        if self._upgraded is not None and not self._upgraded.done():
            self._upgraded.set_exception(WsHandshakeError(f"WebSocket upgrade failed: {reason}"))
        if not self._done.done():
            self._done.set_result(reason)
            if self._on_closed is not None:
                self._on_closed(reason)

    # ---- heartbeat -------------------------------------------------------------------------

    def _arm_heartbeat(self, at: float) -> None:
        if self._heartbeat_s is not None and self._transport is not None:
            self._beat = self._loop.call_at(at + self._heartbeat_s, self._heartbeat)

    def _heartbeat(self) -> None:
        """A timer per heartbeat period, not per message: received bytes only move
        ``last_seen``, and the timer, when it fires, sleeps on if anything came since."""
        assert self._heartbeat_s is not None
        now = self._loop.time()
        pinged = self._pinged_at
        if pinged is not None and self.last_seen < pinged:
            if now >= pinged + self._heartbeat_s / 2:
                self.abort(f"no answer to a ping within {self._heartbeat_s / 2:.3g}s")
            else:
                self._beat = self._loop.call_at(pinged + self._heartbeat_s / 2, self._heartbeat)
            return
        self._pinged_at = None
        if now - self.last_seen < self._heartbeat_s:
            self._arm_heartbeat(self.last_seen)
        elif not self.closed:
            self._pinged_at = now
            self._write(0x80 | _PING, b"")
            self._beat = self._loop.call_at(now + self._heartbeat_s / 2, self._heartbeat)
