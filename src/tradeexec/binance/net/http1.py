"""HTTP/1.1 keep-alive client for the REST API: one request at a time per connection, nothing
else.

Why not aiohttp's ``ClientSession`` for REST: measured on the signed order path (issue 7,
``bench/RESULTS.md``) it spent about 100 µs of client CPU per request on machinery a Binance
REST call never uses (cookie jars, redirects, tracing signals, streaming readers, multipart,
per-request object graphs), twice what the rest of the order path costs. Binance's REST API
needs little of HTTP: a GET/POST/PUT/DELETE with everything in the query string, no request
body, a JSON answer framed by Content-Length or chunked. This module does exactly that, and
the answer is parsed as it is read, so the waiting request resumes in the same event-loop
iteration the bytes arrive. Reads land in a buffer each connection owns
(``asyncio.BufferedProtocol``): a plain ``Protocol`` gets a fresh 256 KiB bytes object per
read, which glibc may serve with mmap/munmap, three system calls per answer. aiohttp remains
the local exchange's server.

What a caller can rely on, because the order path's exactly-once rule is built on it:

* ``ConnectFailed``: no connection was made, so nothing was sent; any request may be retried.
* ``ConnectionDropped``: the request was written and the connection broke before a whole answer
  came back; the server may have acted on it. ``nothing_received`` tells a keep-alive
  connection the server had already closed (no byte of an answer) from one cut mid-answer.
* ``TimeoutError``: no whole answer within the timeout; the server may have acted.
* ``ProtocolError``: the answer was not HTTP/1.x; the server may have acted.

A connection goes back to the pool only after a complete answer that does not close it; a
cancelled or failed request closes its connection, so a late answer can never be read as the
next request's.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Final, NamedTuple
from urllib.parse import urlsplit

from tradeexec.errors import ConfigError

__all__ = [
    "ConnectFailed",
    "ConnectionDropped",
    "Headers",
    "HttpClient",
    "HttpError",
    "Origin",
    "ProtocolError",
    "Response",
]

# A head larger than this is not an API answer (Binance's carry a dozen short headers).
MAX_HEAD_BYTES: Final = 64 * 1024
# The largest answers are full exchangeInfo and long trade histories: tens of MB.
MAX_BODY_BYTES: Final = 512 * 1024 * 1024
_CRLF: Final = b"\r\n"
# Per connection; an answer larger than this arrives over several reads.
_READ_SIZE: Final = 64 * 1024


class HttpError(Exception):
    """Nothing usable came back. Messages name the host, never the request's query."""


class ConnectFailed(HttpError):
    """The connection could not be opened (refused, DNS, TLS): nothing was sent."""


class ConnectionDropped(HttpError):
    """The connection closed after the request was written and before a whole answer."""

    def __init__(self, message: str, *, nothing_received: bool) -> None:
        super().__init__(message)
        self.nothing_received = nothing_received


class ProtocolError(HttpError):
    """The answer broke HTTP/1.1 framing."""


class Headers(Mapping[str, str]):
    """A response's headers. The parser lower-cases each name once; lookups fold the case of
    the name asked for. ``lower`` is the underlying dict, for callers that already hold
    lower-case names (the rate limiter reads it on every answer)."""

    __slots__ = ("lower",)

    def __init__(self, lower: dict[str, str]) -> None:
        self.lower = lower

    def __getitem__(self, name: str) -> str:
        return self.lower[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self.lower)

    def __len__(self) -> int:
        return len(self.lower)

    def __repr__(self) -> str:
        return f"Headers({self.lower!r})"


class Response(NamedTuple):
    status: int
    headers: Headers
    body: bytes


class Origin:
    """One scheme://host:port: its idle connections and how many requests it carries. Built
    once per host by the caller, so the hot path does no URL parsing."""

    __slots__ = ("active", "host", "host_header", "idle", "port", "tls", "waiters")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"REST base URL must be http:// or https:// with a host: {url!r}")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        default = 443 if self.tls else 80
        self.port = parts.port or default
        name = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = name if self.port == default else f"{name}:{self.port}"
        self.idle: deque[_Connection] = deque()
        self.active = 0
        self.waiters: deque[asyncio.Future[None]] = deque()

    def __repr__(self) -> str:
        return f"Origin({'https' if self.tls else 'http'}://{self.host_header})"


# Parser states.
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _TRAILER, _UNTIL_EOF, _DONE = range(7)


class _Connection(asyncio.BufferedProtocol):
    """One keep-alive connection. ``send`` writes a whole request; the answer is parsed as it
    arrives and resolves the waiter given to ``send``. Unparsed bytes wait in ``_buf``, a
    bytearray: appending and dropping a consumed prefix are both cheap there, so an answer of
    many reads costs linear time."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reusable = False
        self.idle_since = 0.0
        self._waiter: asyncio.Future[Response] | None = None
        self._buf = bytearray()
        self._inbox = memoryview(bytearray(_READ_SIZE))
        self._state = _DONE
        self._status = 0
        self._headers: dict[str, str] = {}
        self._need = 0
        self._chunks: list[bytes] = []
        self._have = 0
        self._received = False

    # ---------------------------------------------------------------- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._inbox

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self._inbox[:nbytes])

    def data_received(self, data: bytes | memoryview) -> None:
        if self._waiter is None:
            # Bytes nobody asked for: the stream can no longer be trusted to frame answers.
            self.abort()
            return
        self._received = True
        self._buf += data
        try:
            self._parse()
        except ProtocolError as exc:
            self._fail(exc)

    def eof_received(self) -> bool:
        if self._state == _UNTIL_EOF:
            self._finish(self._take(len(self._buf)))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable = False
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            if self._state == _UNTIL_EOF:
                self._finish(self._take(len(self._buf)))
                return
            received = self._received
            where = "in the middle of the answer" if received else "before answering"
            waiter.set_exception(
                ConnectionDropped(
                    f"{self.origin!r} closed the connection {where}", nothing_received=not received
                )
            )
            self._waiter = None

    # ---------------------------------------------------------------- requests

    def send(self, request: bytes, waiter: asyncio.Future[Response]) -> None:
        assert self.transport is not None
        self._waiter = waiter
        self._state = _HEAD
        self._buf.clear()
        self._received = False
        self.reusable = False
        self.transport.write(request)

    def abort(self) -> None:
        self.closed = True
        self.reusable = False
        if self.transport is not None:
            self.transport.abort()

    def time_out(self) -> None:
        """The timer of the request in flight: fail it and drop the connection, whose next
        bytes would belong to the abandoned answer."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(TimeoutError(f"no answer from {self.origin!r} in time"))
        self._waiter = None
        self.abort()

    def _fail(self, exc: HttpError) -> None:
        waiter = self._waiter
        self._waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        self.abort()

    def _finish(self, body: bytes) -> None:
        waiter = self._waiter
        self._waiter = None
        self._state = _DONE
        headers = self._headers
        encoding = headers.get("content-encoding")
        if encoding is not None and encoding != "identity":
            try:
                body = _decompress(body, encoding)
            except ProtocolError as exc:
                self.reusable = False
                if waiter is not None and not waiter.done():
                    waiter.set_exception(exc)
                return
        if waiter is not None and not waiter.done():
            waiter.set_result(Response(self._status, Headers(headers), body))

    # ---------------------------------------------------------------- parsing

    def _take(self, n: int) -> bytes:
        """The first ``n`` buffered bytes, consumed."""
        buf = self._buf
        out = bytes(buf[:n])
        del buf[:n]
        return out

    def _parse(self) -> None:
        """Consume ``_buf`` as far as it goes; each state returns when it needs more bytes."""
        buf = self._buf
        while True:
            state = self._state
            if state == _HEAD:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD_BYTES:
                        raise ProtocolError(f"{self.origin!r}: response head too large")
                    return
                head = buf[:end].decode("latin-1")
                del buf[: end + 4]
                self._head(head)
            elif state == _LENGTH:
                need = self._need
                if len(buf) < need:
                    return
                if len(buf) > need:
                    raise ProtocolError(f"{self.origin!r}: bytes after the answer")
                self._finish(self._take(need))
                return
            elif state == _CHUNK_SIZE:
                end = buf.find(_CRLF)
                if end < 0:
                    if len(buf) > 1024:
                        raise ProtocolError(f"{self.origin!r}: bad chunk size line")
                    return
                size = _chunk_size(bytes(buf[:end]), self.origin)
                del buf[: end + 2]
                if size == 0:
                    self._state = _TRAILER
                else:
                    self._need = size
                    self._state = _CHUNK_DATA
            elif state == _CHUNK_DATA:
                need = self._need
                if len(buf) < need + 2:
                    return
                if buf[need : need + 2] != _CRLF:
                    raise ProtocolError(f"{self.origin!r}: chunk not followed by CRLF")
                self._chunks.append(self._take(need))
                del buf[:2]
                self._have += need
                if self._have > MAX_BODY_BYTES:
                    raise ProtocolError(f"{self.origin!r}: body too large")
                self._state = _CHUNK_SIZE
            elif state == _TRAILER:
                end = buf.find(_CRLF)
                if end < 0:
                    if len(buf) > MAX_HEAD_BYTES:
                        raise ProtocolError(f"{self.origin!r}: trailer too large")
                    return
                del buf[: end + 2]
                if end == 0:
                    if buf:
                        raise ProtocolError(f"{self.origin!r}: bytes after the answer")
                    body = b"".join(self._chunks)
                    self._chunks = []
                    self._finish(body)
                    return
            elif state == _UNTIL_EOF:
                if len(buf) > MAX_BODY_BYTES:
                    raise ProtocolError(f"{self.origin!r}: body too large")
                return
            else:
                raise ProtocolError(f"{self.origin!r}: bytes after the answer")

    def _head(self, head: str) -> None:
        lines = head.split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code = rest[:3]
        if version not in ("HTTP/1.1", "HTTP/1.0") or len(code) != 3 or not code.isdigit():
            raise ProtocolError(f"{self.origin!r}: not an HTTP/1.x status line")
        status = int(code)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise ProtocolError(f"{self.origin!r}: malformed header line")
            key = name.lower()
            value = value.strip()
            previous = headers.get(key)
            headers[key] = value if previous is None else f"{previous}, {value}"
        if 100 <= status < 200:
            # An interim answer (100 Continue, 103 Early Hints): the real one follows.
            return
        self._status = status
        self._headers = headers
        tokens = headers.get("connection", "").lower()
        self.reusable = version == "HTTP/1.1" and "close" not in tokens
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._chunks = []
            self._have = 0
            self._state = _CHUNK_SIZE
            return
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit() or int(length) > MAX_BODY_BYTES:
                raise ProtocolError(f"{self.origin!r}: bad Content-Length")
            self._need = int(length)
            self._state = _LENGTH
            return
        if status in (204, 304):
            self._need = 0
            self._state = _LENGTH
            return
        # Framed by the end of the connection (HTTP/1.0 style): never reused.
        self.reusable = False
        self._state = _UNTIL_EOF


def _chunk_size(line: bytes, origin: Origin) -> int:
    text = line.split(b";", 1)[0].strip()
    try:
        size = int(text, 16)
    except ValueError:
        raise ProtocolError(f"{origin!r}: bad chunk size") from None
    if size < 0 or size > MAX_BODY_BYTES:
        raise ProtocolError(f"{origin!r}: bad chunk size")
    return size


def _decompress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        wbits = 16 + zlib.MAX_WBITS
    elif encoding == "deflate":
        wbits = zlib.MAX_WBITS
    else:
        raise ProtocolError(f"unsupported Content-Encoding {encoding!r}")
    try:
        inflater = zlib.decompressobj(wbits)
        out = inflater.decompress(body, MAX_BODY_BYTES)
    except zlib.error:
        raise ProtocolError(f"corrupt {encoding} body") from None
    if inflater.unconsumed_tail:
        raise ProtocolError("body too large once decompressed")
    return out


class HttpClient:
    """Keep-alive connections per ``Origin``, at most ``limit_per_host`` requests in flight
    to each (the rest wait for a connection, inside their timeout)."""

    def __init__(
        self,
        *,
        timeout: float,
        limit_per_host: int = 32,
        keepalive_s: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout = timeout
        self.limit_per_host = limit_per_host
        self.keepalive_s = keepalive_s
        self._ssl = ssl_context
        self._origins: list[Origin] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"HttpClient(origins={self._origins!r}, closed={self._closed})"

    async def request(self, origin: Origin, request: bytes) -> Response:
        """Send ``request`` (a whole HTTP/1.1 request, head and nothing else) to ``origin``."""
        if self._closed:
            raise HttpError("the HTTP client is closed")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        if origin.active >= self.limit_per_host or origin.waiters:
            await self._wait_turn(origin, deadline, loop)
        origin.active += 1
        conn: _Connection | None = None
        try:
            conn = self._idle(origin, loop.time())
            if conn is None:
                conn = await self._connect(origin, deadline, loop)
            waiter: asyncio.Future[Response] = loop.create_future()
            conn.send(request, waiter)
            timer = loop.call_at(deadline, conn.time_out)
            try:
                response = await waiter
            finally:
                timer.cancel()
        except BaseException:
            if conn is not None:
                # Cancelled or failed mid-request: a late answer must not meet the next one.
                conn.abort()
            raise
        finally:
            origin.active -= 1
            if origin.waiters:
                _wake(origin)
        if conn.reusable and not self._closed:
            conn.idle_since = loop.time()
            origin.idle.append(conn)
        else:
            conn.abort()
        return response

    def _idle(self, origin: Origin, now: float) -> _Connection | None:
        idle = origin.idle
        while idle:
            conn = idle.pop()
            if not conn.closed and now - conn.idle_since < self.keepalive_s:
                return conn
            conn.abort()
        return None

    async def _wait_turn(self, origin: Origin, deadline: float, loop: asyncio.AbstractEventLoop) -> None:
        fut: asyncio.Future[None] = loop.create_future()
        origin.waiters.append(fut)
        timer = loop.call_at(deadline, _expire_wait, fut)
        try:
            await fut
        except BaseException:
            if fut in origin.waiters:
                origin.waiters.remove(fut)
            elif fut.done() and not fut.cancelled() and fut.exception() is None:
                # Woken and cancelled in the same breath: pass the turn on.
                _wake(origin)
            raise
        finally:
            timer.cancel()

    async def _connect(self, origin: Origin, deadline: float, loop: asyncio.AbstractEventLoop) -> _Connection:
        if origin not in self._origins:
            self._origins.append(origin)
        tls: ssl.SSLContext | None = None
        if origin.tls:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            tls = self._ssl
        try:
            async with asyncio.timeout_at(deadline):
                _, conn = await loop.create_connection(
                    lambda: _Connection(origin),
                    origin.host,
                    origin.port,
                    ssl=tls,
                    server_hostname=origin.host if tls else None,
                )
        except TimeoutError:
            raise ConnectFailed(f"connecting to {origin!r} timed out") from None
        except (OSError, ssl.SSLError) as exc:
            raise ConnectFailed(f"cannot connect to {origin!r}: {type(exc).__name__}: {exc}") from None
        return conn

    async def close(self) -> None:
        self._closed = True
        for origin in self._origins:
            while origin.idle:
                origin.idle.pop().abort()
            while origin.waiters:
                fut = origin.waiters.popleft()
                if not fut.done():
                    fut.set_exception(HttpError("the HTTP client is closed"))


def _wake(origin: Origin) -> None:
    while origin.waiters:
        fut = origin.waiters.popleft()
        if not fut.done():
            fut.set_result(None)
            return


def _expire_wait(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        # Nothing was sent yet, so this is a failure to connect, not an unknown outcome.
        fut.set_exception(ConnectFailed("no connection free in time"))
