"""The stream firehose: a fixed count of market-stream messages, sent as fast as the socket
takes them, so a benchmark measures the client and not the exchange's matching or timers.

Clients are pointed at it unmodified, through the base URL they already accept:
``ws://host:port/_sim/firehose/<count>`` followed by the usual ``/ws/<stream>``,
``/ws`` + SUBSCRIBE, or ``/stream?streams=a/b``. Every client gets the same payloads:
realistic ``depthUpdate`` events (10-20 levels, consecutive ``U``/``u``) for depth streams and
``trade`` events for trade streams, ``count`` messages in all (round-robin over the
connection's streams), then a close frame (1000) once the client has closed or the linger
(``LINGER_S`` by default) has passed. The linger lets a client stop at the count it expects
before the close arrives: python-binance abandons the frames it has buffered when a close
comes in, which would be a loss at the end of a benchmark rather than under load.

Why it writes frames itself: sending one frame per ``send_bytes`` costs the server more than
a fast client spends on a message, which would measure the server. Payloads are formatted from
a pre-encoded pool, framed by hand (server frames are unmasked), joined into ~64 KiB writes
and followed by ``drain()``, so the server waits for the client instead of buffering without
bound: nothing is dropped on the way out.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import struct
from collections.abc import Callable
from decimal import Decimal

import msgspec
from aiohttp import WSMsgType, web

from tradeexec.binance.ws.stream_frames import ControlAnswer
from tradeexec.sim.binance import formats
from tradeexec.sim.binance.stream_names import StreamSpec, parse_stream

__all__ = [
    "FIREHOSE_PATH",
    "LINGER_S",
    "MAX_COUNT",
    "add_firehose_routes",
    "firehose_payloads",
    "firehose_url",
]

FIREHOSE_PATH = "/_sim/firehose"
MAX_COUNT = 10_000_000
LINGER_S = 5.0
_LINGER_KEY = web.AppKey("firehose_linger_s", float)
_POOL = 512  # distinct level sets / trades, cycled; ids and times still differ per message
_BATCH_BYTES = 64 * 1024
_EVENT_TIME = 1_700_000_000_000
_FIRST_UPDATE_ID = 1_000_000
_FIRST_TRADE_ID = 5_000_000
_TEXT_FIN = 0x81


def firehose_url(ws_base: str, count: int) -> str:
    """The base URL to give a client (in place of ``wss://stream.binance.com:9443``)."""
    return f"{ws_base.rstrip('/')}{FIREHOSE_PATH}/{count}"


def _frame_header(length: int) -> bytes:
    if length < 126:
        return bytes((_TEXT_FIN, length))
    if length < 1 << 16:
        return struct.pack("!BBH", _TEXT_FIN, 126, length)
    return struct.pack("!BBQ", _TEXT_FIN, 127, length)


def _num(value: Decimal) -> bytes:
    return f'"{value:.8f}"'.encode()


def _levels(rng: random.Random, mid: int, sign: int) -> bytes:
    count = rng.randint(5, 10)
    levels = (
        b"["
        + _num(Decimal(mid + sign * rng.randint(0, 2000)) / 100)
        + b","
        + _num(Decimal(rng.randint(0, 500_000)) / 100_000)
        + b"]"
        for _ in range(count)
    )
    return b"[" + b",".join(levels) + b"]"


class _Depth:
    """``depthUpdate`` payloads whose ``U`` is always the previous ``u`` + 1."""

    __slots__ = ("i", "next_id", "pool", "template")

    def __init__(self, symbol: str, rng: random.Random, wrap: tuple[bytes, bytes]) -> None:
        event = b'{"e":"depthUpdate","E":%d,"s":"' + symbol.encode() + b'","U":%d,"u":%d,%s}'
        self.template = wrap[0] + event + wrap[1]
        pool = []
        for _ in range(_POOL):
            bids, asks = _levels(rng, 6_000_000, -1), _levels(rng, 6_000_100, 1)
            pool.append((b'"b":' + bids + b',"a":' + asks, bids.count(b"],[") + asks.count(b"],[") + 2))
        self.pool = pool
        self.i = 0
        self.next_id = _FIRST_UPDATE_ID

    def __call__(self) -> bytes:
        i = self.i
        body, updates = self.pool[i % _POOL]
        first = self.next_id
        self.next_id = first + updates
        self.i = i + 1
        return self.template % (_EVENT_TIME + i, first, first + updates - 1, body)


class _Trade:
    __slots__ = ("i", "pool", "template")

    def __init__(self, symbol: str, rng: random.Random, wrap: tuple[bytes, bytes]) -> None:
        event = b'{"e":"trade","E":%d,"s":"' + symbol.encode() + b'","t":%d,%s,"T":%d,%s,"M":true}'
        self.template = wrap[0] + event + wrap[1]
        self.pool = [
            (
                b'"p":'
                + _num(Decimal(rng.randint(5_999_000, 6_001_000)) / 100)
                + b',"q":'
                + _num(Decimal(rng.randint(1, 200_000)) / 100_000),
                b'"m":true' if rng.random() < 0.5 else b'"m":false',
            )
            for _ in range(_POOL)
        ]
        self.i = 0

    def __call__(self) -> bytes:
        i = self.i
        price_qty, maker = self.pool[i % _POOL]
        self.i = i + 1
        time_ms = _EVENT_TIME + i
        return self.template % (time_ms, _FIRST_TRADE_ID + i, price_qty, time_ms, maker)


def _source(spec: StreamSpec, combined: bool) -> Callable[[], bytes]:
    # Seeded by stream name: every client, every run, gets the same bytes.
    rng = random.Random(spec.name)
    # The combined wrapper is part of the template: one formatting per message either way.
    name = msgspec.json.encode(spec.name).replace(b"%", b"%%")
    wrap = (b'{"stream":' + name + b',"data":', b"}") if combined else (b"", b"")
    return _Depth(spec.symbol, rng, wrap) if spec.kind == "depth" else _Trade(spec.symbol, rng, wrap)


def _parse(raw: str) -> StreamSpec | None:
    spec = parse_stream(raw, lambda _: None)
    return spec if spec is not None and spec.kind in ("depth", "trade") else None


def firehose_payloads(stream: str, count: int, *, combined: bool = False) -> list[bytes]:
    """The first ``count`` payloads the firehose sends on ``stream`` (for tests and for
    checking a client's output against what was sent)."""
    spec = _parse(stream)
    if spec is None:
        raise ValueError(f"the firehose sends depth and trade streams, not {stream!r}")
    make = _source(spec, combined)
    return [make() for _ in range(count)]


class _Session:
    """One firehose connection: waits for at least one stream, then pumps ``count`` frames."""

    def __init__(self, request: web.Request, count: int, combined: bool) -> None:
        self.request = request
        self.linger_s = request.app[_LINGER_KEY]
        self.count = count
        self.combined = combined
        self.ws = web.WebSocketResponse(compress=False, autoping=True, timeout=2.0, max_msg_size=1 << 16)
        self.streams: dict[str, StreamSpec] = {}
        self.started = asyncio.Event()
        self.client_gone = asyncio.Event()

    async def run(self) -> web.WebSocketResponse:
        await self.ws.prepare(self.request)
        pump = asyncio.get_running_loop().create_task(self._pump())
        async for msg in self.ws:
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                await self.ws.send_str(msgspec.json.encode(self._control(msg.data)).decode())
        # The client closed or went away (or the pump's close has begun): the pump finishes
        # its close handshake, or stops writing.
        self.client_gone.set()
        if not self.started.is_set():
            pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await pump
        return self.ws

    def add(self, specs: list[StreamSpec]) -> None:
        for spec in specs:
            self.streams.setdefault(spec.name, spec)
        if self.streams:
            self.started.set()

    def _control(self, data: str | bytes) -> ControlAnswer:
        """SUBSCRIBE (how binance-connector and ``/ws`` clients name their streams) and
        LIST_SUBSCRIPTIONS; nothing else is needed to be fed."""
        try:
            request = msgspec.json.decode(data)
            method, request_id = request["method"], request["id"]
            params = request.get("params", [])
        except (msgspec.DecodeError, KeyError, TypeError, AttributeError):
            return formats.control_error(2, "Invalid request", None)
        if method == "LIST_SUBSCRIPTIONS":
            return formats.control_result(list(self.streams), request_id)
        if method != "SUBSCRIBE":
            return formats.control_error(2, f"the firehose does not do {method}", request_id)
        specs = [_parse(p) if isinstance(p, str) else None for p in params]
        valid = [s for s in specs if s is not None]
        if len(valid) != len(specs):
            return formats.control_error(2, "Invalid request: depth and trade streams only", request_id)
        self.add(valid)
        return formats.control_result(None, request_id)

    async def _pump(self) -> None:
        await self.started.wait()
        transport = self.request.transport
        writer = self.request.writer
        sources = [_source(spec, self.combined) for spec in self.streams.values()]
        width = len(sources)
        header = _frame_header
        sent = 0
        while sent < self.count:
            parts: list[bytes] = []
            size = 0
            while size < _BATCH_BYTES and sent < self.count:
                payload = sources[sent % width]()
                parts.append(header(len(payload)))
                parts.append(payload)
                size += len(payload)
                sent += 1
            if transport is None or transport.is_closing() or self.client_gone.is_set():
                return
            transport.write(b"".join(parts))
            await writer.drain()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.client_gone.wait(), self.linger_s)
        await self.ws.close(message=b"firehose done")


async def _handle(request: web.Request, names: list[str], combined: bool) -> web.StreamResponse:
    try:
        count = int(request.match_info["count"])
    except ValueError:
        count = -1
    if not 0 < count <= MAX_COUNT:
        return formats.refused(-1100, f"count must be 1..{MAX_COUNT}")
    specs = [_parse(n) for n in names]
    bad = [n for n, s in zip(names, specs, strict=True) if s is None]
    if bad:
        return formats.refused(-1121, f"Invalid stream name: {bad[0]}")
    session = _Session(request, count, combined)
    session.add([s for s in specs if s is not None])
    return await session.run()


async def _raw(request: web.Request) -> web.StreamResponse:
    return await _handle(request, [n for n in request.match_info.get("streams", "").split("/") if n], False)


async def _combined(request: web.Request) -> web.StreamResponse:
    return await _handle(request, [n for n in request.query.get("streams", "").split("/") if n], True)


def add_firehose_routes(app: web.Application, linger_s: float = LINGER_S) -> None:
    """``/_sim/firehose/<count>/ws[/<streams>]`` and ``/_sim/firehose/<count>/stream``;
    ``linger_s``: how long a connection stays open after its last message if the client
    does not close it."""
    app[_LINGER_KEY] = linger_s
    router = app.router
    router.add_get(FIREHOSE_PATH + "/{count}/ws", _raw)
    router.add_get(FIREHOSE_PATH + "/{count}/ws/{streams:.+}", _raw)
    router.add_get(FIREHOSE_PATH + "/{count}/stream", _combined)
