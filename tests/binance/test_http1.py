"""The REST transport's HTTP/1.1 client against a scripted server on real sockets: framing
(Content-Length, chunked, until-EOF, interim answers, gzip), connection reuse, and how each
failure is classified, since the order path decides "unknown outcome" from that class."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import ipaddress
import itertools
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeexec.binance.net.http1 import (
    ConnectFailed,
    ConnectionDropped,
    Headers,
    HttpClient,
    Origin,
    ProtocolError,
    Response,
    _Connection,
)

SECRET_QUERY = "symbol=BTCUSDT&signature=0123456789abcdef-secret"

# A handler gets the request head and the writer, and answers (or not) as the test needs.
Handler = Callable[[bytes, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Scripted:
    """An HTTP server that answers each request with the next handler (the last repeats)
    and counts connections."""

    handlers: list[Handler]
    connections: int = 0
    open_now: int = 0
    most_open: int = 0
    heads: list[bytes] = field(default_factory=list)
    url: str = ""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            for _ in range(1000):
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                self.heads.append(head)
                handler = self.handlers.pop(0) if len(self.handlers) > 1 else self.handlers[0]
                await handler(head, writer)
                if writer.is_closing():
                    return
        finally:
            self.open_now -= 1
            writer.close()


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[..., Awaitable[Scripted]]]:
    servers: list[asyncio.Server] = []

    async def start(*handlers: Handler) -> Scripted:
        script = Scripted(list(handlers))
        server = await asyncio.start_server(script.serve, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        script.url = f"http://127.0.0.1:{port}"
        return script

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def answer(body: bytes = b'{"ok":1}', *, status: str = "200 OK", headers: str = "") -> Handler:
    async def handler(_: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()

    return handler


def raw(data: bytes, *, close: bool = False, trickle: bool = False) -> Handler:
    async def handler(_: bytes, writer: asyncio.StreamWriter) -> None:
        for piece in [data[i : i + 1] for i in range(len(data))] if trickle else [data]:
            writer.write(piece)
            await writer.drain()
        if close:
            writer.close()

    return handler


async def hang(_: bytes, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(5)


def request(target: str = "/api/v3/ping", method: str = "GET") -> bytes:
    return f"{method} {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode()


_ORIGINS: dict[str, Origin] = {}


async def call(client: HttpClient, url: str) -> Response:
    """A GET through the one ``Origin`` (and so the one pool) of ``url``."""
    origin = _ORIGINS.setdefault(url, Origin(url))
    return await client.request(origin, request())


async def test_answers_are_read_and_the_connection_reused(
    scripted: Callable[..., Awaitable[Scripted]],
) -> None:
    server = await scripted(answer(b'{"a":1}', headers="X-MBX-USED-WEIGHT-1M: 7\r\n"))
    client = HttpClient(timeout=5)
    origin = Origin(server.url)
    try:
        for _ in range(3):
            response = await client.request(origin, request())
            assert response.status == 200
            assert response.body == b'{"a":1}'
            assert response.headers["x-mbx-used-weight-1m"] == "7"
            assert response.headers.get("X-Mbx-Used-Weight-1M") == "7"
    finally:
        await client.close()
    assert server.connections == 1


async def test_trickled_chunked_answer_with_extensions_and_trailers(
    scripted: Callable[..., Awaitable[Scripted]],
) -> None:
    wire = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;ext=1\r\n{"a"\r\n3\r\n:12\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n'
    )
    server = await scripted(raw(wire, trickle=True))
    client = HttpClient(timeout=5)
    try:
        assert (await call(client, server.url)).body == b'{"a":12}'
        assert (await call(client, server.url)).body == b'{"a":12}'
    finally:
        await client.close()
    assert server.connections == 1


async def test_interim_answer_then_gzip_body(scripted: Callable[..., Awaitable[Scripted]]) -> None:
    body = gzip.compress(b'{"zipped":true}')
    wire = (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    server = await scripted(raw(wire))
    client = HttpClient(timeout=5)
    try:
        assert (await call(client, server.url)).body == b'{"zipped":true}'
    finally:
        await client.close()


async def test_connection_close_and_eof_framed_answers_are_not_reused(
    scripted: Callable[..., Awaitable[Scripted]],
) -> None:
    server = await scripted(
        answer(b"1", headers="Connection: close\r\n"),
        raw(b"HTTP/1.1 200 OK\r\n\r\nuntil-eof", close=True),
        answer(b"3"),
    )
    client = HttpClient(timeout=5)
    try:
        bodies = [(await call(client, server.url)).body for _ in range(3)]
    finally:
        await client.close()
    assert bodies == [b"1", b"until-eof", b"3"]
    assert server.connections == 3


async def test_server_closing_an_idle_connection_is_not_a_failure(
    scripted: Callable[..., Awaitable[Scripted]],
) -> None:
    closed = asyncio.Event()

    async def answer_then_close(head: bytes, writer: asyncio.StreamWriter) -> None:
        await answer(b"first")(head, writer)
        writer.close()
        closed.set()

    server = await scripted(answer_then_close, answer(b"second"))
    client = HttpClient(timeout=5)
    origin = Origin(server.url)
    try:
        assert (await client.request(origin, request())).body == b"first"
        await asyncio.wait_for(closed.wait(), 5)
        for _ in range(200):
            if origin.idle[0].closed:
                break
            await asyncio.sleep(0.01)
        assert origin.idle[0].closed
        assert (await client.request(origin, request())).body == b"second"
    finally:
        await client.close()
    assert server.connections == 2


@pytest.mark.parametrize(
    ("handler", "nothing_received"),
    [
        (raw(b"", close=True), True),
        (raw(b'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"half', close=True), False),
    ],
)
async def test_a_cut_connection_is_disconnected_and_says_whether_anything_came(
    scripted: Callable[..., Awaitable[Scripted]], handler: Handler, nothing_received: bool
) -> None:
    server = await scripted(handler)
    client = HttpClient(timeout=5)
    try:
        with pytest.raises(ConnectionDropped) as info:
            await client.request(Origin(server.url), request(f"/api/v3/order?{SECRET_QUERY}", "POST"))
    finally:
        await client.close()
    assert info.value.nothing_received is nothing_received
    assert "secret" not in str(info.value)


async def test_timeout_drops_the_connection_so_a_late_answer_is_never_read(
    scripted: Callable[..., Awaitable[Scripted]],
) -> None:
    async def late(head: bytes, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.4)
        await answer(b"late")(head, writer)

    server = await scripted(late, answer(b"fresh"))
    client = HttpClient(timeout=0.2)
    try:
        with pytest.raises(TimeoutError) as info:
            await client.request(Origin(server.url), request(f"/api/v3/order?{SECRET_QUERY}", "POST"))
        assert "secret" not in str(info.value)
        assert (await call(client, server.url)).body == b"fresh"
    finally:
        await client.close()
    assert server.connections == 2


async def test_cancelled_request_drops_its_connection(scripted: Callable[..., Awaitable[Scripted]]) -> None:
    server = await scripted(hang, answer(b"next"))
    client = HttpClient(timeout=5)
    try:
        task = asyncio.create_task(call(client, server.url))
        for _ in range(200):
            if server.heads:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (await call(client, server.url)).body == b"next"
    finally:
        await client.close()
    assert server.connections == 2


async def test_connection_refused_is_connect_failed() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    client = HttpClient(timeout=2)
    try:
        with pytest.raises(ConnectFailed):
            await call(client, f"http://127.0.0.1:{port}")
    finally:
        await client.close()


@pytest.mark.parametrize(
    "wire",
    [
        b"SPDY/3 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nbroken header\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}extra",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\n{}",
    ],
)
async def test_broken_answers_are_protocol_errors(
    scripted: Callable[..., Awaitable[Scripted]], wire: bytes
) -> None:
    server = await scripted(raw(wire))
    client = HttpClient(timeout=2)
    try:
        with pytest.raises(ProtocolError):
            await call(client, server.url)
    finally:
        await client.close()


async def test_requests_beyond_the_per_host_limit_wait_their_turn(
    scripted: Callable[..., Awaitable[Scripted]],
) -> None:
    async def slow(head: bytes, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.02)
        await answer(b"ok")(head, writer)

    server = await scripted(slow)
    client = HttpClient(timeout=5, limit_per_host=2)
    origin = Origin(server.url)
    try:
        responses = await asyncio.gather(*(client.request(origin, request()) for _ in range(7)))
    finally:
        await client.close()
    assert [r.body for r in responses] == [b"ok"] * 7
    assert server.most_open == 2


def test_origin_parses_hosts_and_refuses_other_schemes() -> None:
    assert Origin("https://api.binance.com").host_header == "api.binance.com"
    assert Origin("http://127.0.0.1:8080").host_header == "127.0.0.1:8080"
    assert Origin("https://[::1]:9443").host_header == "[::1]:9443"
    with pytest.raises(Exception, match="http:// or https://"):
        Origin("ftp://example")


class _Sink(asyncio.Transport):
    """Stands in for the socket when the parser is fed pieces directly."""

    def write(self, data: bytes) -> None:
        pass

    def abort(self) -> None:
        pass


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=300),
    chunked=st.booleans(),
    chunk=st.integers(1, 50),
    cuts=st.lists(st.integers(0, 2000), max_size=12),
)
def test_any_split_of_an_answer_parses_to_the_same_body(
    body: bytes, chunked: bool, chunk: int, cuts: list[int]
) -> None:
    if chunked:
        pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
        wire = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n" + payload
    else:
        wire = b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    loop = asyncio.new_event_loop()
    try:
        conn = _Connection(Origin("http://127.0.0.1:1"))
        conn.connection_made(_Sink())
        waiter: asyncio.Future[Response] = loop.create_future()
        conn.send(b"GET / HTTP/1.1\r\n\r\n", waiter)
        edges = sorted({c % (len(wire) + 1) for c in cuts} | {0, len(wire)})
        for start, end in itertools.pairwise(edges):
            conn.data_received(wire[start:end])
        assert waiter.done()
        response = waiter.result()
    finally:
        loop.close()
    assert (response.status, response.body) == (201, body)
    assert conn.reusable


def test_headers_fold_case_and_join_repeats() -> None:
    headers = Headers({"x-a": "1, 2"})
    assert headers["X-A"] == headers.get("x-a") == "1, 2"
    assert "X-a" in headers and len(headers) == 1 and list(headers) == ["x-a"]


IP = "127.0.0.1"


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(Encoding.PEM))
    key_path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return cert_path, key_path


async def test_https_verifies_the_server_and_reuses_the_tls_connection(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    script = Scripted([answer(b'{"tls":1}')])
    server = await asyncio.start_server(script.serve, "127.0.0.1", 0, ssl=server_ctx)
    url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    trusting = HttpClient(timeout=5, ssl_context=ssl.create_default_context(cafile=str(cert)))
    untrusting = HttpClient(timeout=5)
    try:
        origin = Origin(url)
        for _ in range(2):
            assert (await trusting.request(origin, request())).body == b'{"tls":1}'
        # An unknown certificate is a failure to connect: nothing was sent.
        with pytest.raises(ConnectFailed):
            await untrusting.request(Origin(url), request())
    finally:
        await trusting.close()
        await untrusting.close()
        for _ in range(200):
            if not script.open_now:
                break
            await asyncio.sleep(0.01)
        server.close()
        await server.wait_closed()
    # One TLS connection carried both requests; the refused handshake never reached the handler.
    assert script.connections == 1


async def test_answers_larger_than_a_read_arrive_whole(scripted: Callable[..., Awaitable[Scripted]]) -> None:
    """exchangeInfo is megabytes: many reads into the connection's buffer, in either framing."""
    body = bytes(range(256)) * 12_000  # 3 MB
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:1_000_000], body[1_000_000:]))
    server = await scripted(
        answer(body), raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
    )
    client = HttpClient(timeout=10)
    try:
        assert (await call(client, server.url)).body == body
        assert (await call(client, server.url)).body == body
    finally:
        await client.close()
    assert server.connections == 1
