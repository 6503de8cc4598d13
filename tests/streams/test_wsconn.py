"""WsConnection, the WebSocket API's own RFC 6455 client: against the local exchange (its
pings, its answers) and against small aiohttp and raw TCP servers that produce the protocol's
edge cases on purpose (fragments, large frames, pings with payloads, close frames, oversized
messages, refused or forged upgrades, silence)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import msgspec
import pytest
from aiohttp import WSMsgType, web

from tests.sim.ws_helpers import WAIT
from tests.streams import local_exchange, serve_app
from tradeexec.binance.net.wsconn import WsClosed, WsConnection, WsHandshakeError, connect

pytestmark = pytest.mark.timeout(30)

Handler = Callable[[web.WebSocketResponse, web.Request], Awaitable[None]]
SEEN = web.RequestKey("seen", list[object])  # what the client sent, as the server saw it


class Inbox:
    """Messages a connection delivered, and a way to wait for the n-th."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.closed: list[str] = []
        self._arrived = asyncio.Event()

    def __call__(self, message: bytes) -> None:
        self.messages.append(message)
        self._arrived.set()

    async def wait(self, count: int) -> list[bytes]:
        async with asyncio.timeout(WAIT):
            while len(self.messages) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.messages


@asynccontextmanager
async def ws_server(handler: Handler, max_msg_size: int = 1 << 20) -> AsyncIterator[tuple[str, list[object]]]:
    """An aiohttp WebSocket server on 127.0.0.1 running ``handler`` per connection; yields
    its URL and what the handler recorded (client messages as they arrived)."""
    seen: list[object] = []

    async def endpoint(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False, max_msg_size=max_msg_size)
        await ws.prepare(request)
        request[SEEN] = seen
        await handler(ws, request)
        return ws

    app = web.Application()
    app.router.add_get("/ws", endpoint)
    async with serve_app(app) as port:
        yield f"ws://127.0.0.1:{port}/ws", seen


async def record_until_closed(ws: web.WebSocketResponse, request: web.Request) -> None:
    """Keep every client frame (type, data) until the client closes."""
    seen = request[SEEN]
    async with asyncio.timeout(WAIT):
        async for msg in ws:
            seen.append((msg.type, msg.data))
    seen.append(("close", ws.close_code))


async def open_conn(
    url: str, inbox: Inbox, *, heartbeat_s: float | None = None, max_msg_size: int = 1 << 20
) -> WsConnection:
    return await connect(
        url, inbox, on_closed=inbox.closed.append, heartbeat_s=heartbeat_s, max_msg_size=max_msg_size
    )


def raw_frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    """An unmasked server frame, with the shortest length encoding RFC 6455 allows."""
    first = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        return bytes((first, n)) + payload
    if n < 65_536:
        return bytes((first, 126)) + n.to_bytes(2, "big") + payload
    return bytes((first, 127)) + n.to_bytes(8, "big") + payload


# ---- the local exchange ------------------------------------------------------------------------


async def test_requests_answered_and_server_pings_ponged_by_the_local_exchange() -> None:
    """The exchange pings every 50 ms and drops a peer silent on pongs for 300 ms: the
    connection outlives many such periods, and answers arrive whole."""
    async with local_exchange(ping_interval_s=0.05, pong_timeout_s=0.3) as ex:
        inbox = Inbox()
        conn = await open_conn(f"{ex.ws_url}/ws-api/v3", inbox)
        conn.send_text(b'{"id":1,"method":"time"}')
        answer = msgspec.json.decode((await inbox.wait(1))[0])
        assert answer["id"] == 1 and answer["status"] == 200 and answer["result"]["serverTime"] > 0
        first_seen = conn.last_seen
        async with asyncio.timeout(WAIT):
            while conn.last_seen - first_seen < 1.0:  # pings keep arriving for 20 periods
                await asyncio.sleep(0.05)
        assert not conn.closed and inbox.closed == []
        conn.send_text(b'{"id":2,"method":"ping"}')
        assert msgspec.json.decode((await inbox.wait(2))[1])["id"] == 2
        await conn.close()
        assert await conn.wait_closed() == "closed by client"
        assert inbox.closed == ["closed by client"]
        with pytest.raises(WsClosed):
            conn.send_text(b"{}")


# ---- protocol edge cases -------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 125, 126, 65_535, 65_536, 300_000])
async def test_masked_frames_of_every_length_encoding_are_echoed_intact(size: int) -> None:
    """7-, 16- and 64-bit lengths both ways: the server unmasks what we masked, and our
    reader takes its unmasked frames back, split across reads however TCP splits them."""

    async def echo(ws: web.WebSocketResponse, _: web.Request) -> None:
        msg = await ws.receive()
        await ws.send_bytes(msg.data.encode() if msg.type is WSMsgType.TEXT else b"?")
        await record_until_closed(ws, _)

    payload = bytes(ord("a") + i % 26 for i in range(size))
    async with ws_server(echo) as (url, _seen):
        inbox = Inbox()
        conn = await open_conn(url, inbox)
        conn.send_text(payload)
        assert (await inbox.wait(1))[0] == payload
        await conn.close()


async def test_fragmented_message_with_a_ping_between_fragments() -> None:
    """A message in three fragments with a ping between them: one message is delivered,
    and the ping is answered at once with a pong carrying the same payload."""

    async def fragments(ws: web.WebSocketResponse, request: web.Request) -> None:
        assert request.transport is not None
        request.transport.write(
            raw_frame(0x1, b'{"part":', fin=False)
            + raw_frame(0x9, b"ping-payload")
            + raw_frame(0x0, b'"one', fin=False)
            + raw_frame(0x0, b'-two"}')
        )
        await record_until_closed(ws, request)

    async with ws_server(fragments) as (url, seen):
        inbox = Inbox()
        conn = await open_conn(url, inbox)
        assert await inbox.wait(1) == [b'{"part":"one-two"}']
        await conn.close()
    assert seen[0] == (WSMsgType.PONG, b"ping-payload")
    assert seen[-1] == ("close", 1000)


async def test_close_frame_from_the_server_is_answered_and_reported() -> None:
    async def closer(ws: web.WebSocketResponse, _: web.Request) -> None:
        await ws.close(code=4001, message=b"bye")

    async with ws_server(closer) as (url, _seen):
        inbox = Inbox()
        conn = await open_conn(url, inbox)
        async with asyncio.timeout(WAIT):
            reason = await conn.wait_closed()
    assert reason == "closed by server (4001)" and conn.close_code == 4001
    assert inbox.closed == [reason] and conn.closed


async def test_oversized_message_is_refused_with_1009() -> None:
    async def big(ws: web.WebSocketResponse, request: web.Request) -> None:
        await ws.send_bytes(b"x" * 100)
        await ws.send_bytes(b"x" * 5000)
        await record_until_closed(ws, request)

    async with ws_server(big) as (url, seen):
        inbox = Inbox()
        conn = await open_conn(url, inbox, max_msg_size=1000)
        async with asyncio.timeout(WAIT):
            reason = await conn.wait_closed()
        assert inbox.messages == [b"x" * 100]
        assert "over 1000 bytes" in reason
        async with asyncio.timeout(WAIT):
            while not seen or seen[-1][0] != "close":  # type: ignore[index]
                await asyncio.sleep(0.01)
    assert seen[-1] == ("close", 1009)


async def test_oversized_fragmented_message_is_refused() -> None:
    async def fragments(ws: web.WebSocketResponse, request: web.Request) -> None:
        assert request.transport is not None
        request.transport.write(raw_frame(0x1, b"y" * 600, fin=False) + raw_frame(0x0, b"y" * 600))
        await record_until_closed(ws, request)

    async with ws_server(fragments) as (url, _seen):
        inbox = Inbox()
        conn = await open_conn(url, inbox, max_msg_size=1000)
        async with asyncio.timeout(WAIT):
            assert "over 1000 bytes" in await conn.wait_closed()
        assert inbox.messages == []


async def test_silent_server_is_noticed_by_the_heartbeat() -> None:
    """The server reads but never answers, pongs included: after ``heartbeat_s`` of silence
    a ping goes out, and ``heartbeat_s / 2`` later the connection is given up."""

    async def silent(ws: web.WebSocketResponse, request: web.Request) -> None:
        await record_until_closed(ws, request)

    async with ws_server(silent) as (url, seen):
        inbox = Inbox()
        conn = await open_conn(url, inbox, heartbeat_s=0.2)
        async with asyncio.timeout(WAIT):
            reason = await conn.wait_closed()
    assert reason == "no answer to a ping within 0.1s"
    assert seen[0] == (WSMsgType.PING, b"")


async def test_refused_upgrade_is_an_error() -> None:
    async with ws_server(record_until_closed) as (url, _seen):
        with pytest.raises(WsHandshakeError, match="status '404"):
            await connect(url.replace("/ws", "/nowhere"), Inbox())


@pytest.mark.parametrize(
    ("accept", "problem"),
    [
        ("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "wrong Sec-WebSocket-Accept"),
        ("X-Nothing: here", "wrong Sec-WebSocket-Accept"),
    ],
)
async def test_forged_accept_key_is_refused(accept: str, problem: str) -> None:
    """A server that answers 101 without proving it read our key is not a WebSocket peer."""

    async def forged(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + accept.encode()
            + b"\r\n\r\n"
        )
        await writer.drain()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(forged, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        with pytest.raises(WsHandshakeError, match=problem):
            await connect(f"ws://127.0.0.1:{port}/ws", Inbox())


async def test_connect_timeout_when_the_server_never_answers_the_upgrade() -> None:
    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(mute, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        with pytest.raises(TimeoutError):
            await connect(f"ws://127.0.0.1:{port}/ws", Inbox(), timeout_s=0.2)


async def test_not_a_websocket_url() -> None:
    with pytest.raises(ValueError, match="not a WebSocket URL"):
        await connect("http://127.0.0.1/ws", Inbox())
