"""Case 3: market stream throughput. The local exchange's firehose sends a fixed count of
depth-diff (10-20 levels) or trade messages as fast as the socket takes them, the same bytes
for every client; each client delivers them, decoded the way it decodes by default, to a
callback that counts. Per round: messages/s from connect to the last message, client CPU per
message over the same span (teardown and reconnect attempts after it are not counted), and
messages lost (sent but never delivered).

The raw baseline is the practical limit for a typed client: one aiohttp connection, each
frame decoded by msgspec into a struct with the same field types tradeexec delivers (Decimal
prices and quantities), then the callback.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import aiohttp
import msgspec

from bench.clients import installed
from bench.common import SYMBOL, Result, Sample, ServerInfo
from tradeexec.sim.binance.ws_firehose import firehose_url

if TYPE_CHECKING:
    from tradeexec.binance.ws.connection import ConnectionEvent
    from tradeexec.binance.ws.streams import MarketStream

CASE_DEPTH = "3a depth-diff stream"
CASE_TRADE = "3b trade stream"
DEPTH_STREAM = f"{SYMBOL.lower()}@depth@100ms"
TRADE_STREAM = f"{SYMBOL.lower()}@trade"
# Per round; a client that stops delivering is given up on after this long.
ROUND_TIMEOUT_S = 120.0


class Counter:
    """The user callback every client feeds: counts and wakes the waiter at the last one."""

    __slots__ = ("count", "done", "expected")

    def __init__(self, expected: int, done: Callable[[], None]) -> None:
        self.expected = expected
        self.count = 0
        self.done = done

    def __call__(self, event: Any) -> None:
        self.count += 1
        if self.count == self.expected:
            self.done()


@dataclass(slots=True, frozen=True)
class Round:
    sample: Sample
    delivered: int


class Clock:
    """Wall and CPU since creation, read when the last message is in (a client's teardown
    is not its throughput)."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def round(self, delivered: int) -> Round:
        return Round(Sample(time.perf_counter() - self.wall, time.process_time() - self.cpu), delivered)


# A client: (firehose base URL, stream name, count) -> one round.
Runner = Callable[[str, str, int], Awaitable[Round]]


# ---- tradeexec -------------------------------------------------------------------------------


def until_disconnected(done: asyncio.Event) -> Callable[[ConnectionEvent], None]:
    """An ``on_state`` that ends a callback round when the connection drops: the firehose
    closes it after its last message, so a round with lost messages ends too."""
    from tradeexec.binance.ws.connection import ConnectionState

    def on_state(event: ConnectionEvent) -> None:
        if event.state is ConnectionState.DISCONNECTED:
            done.set()

    return on_state


async def drain(stream: MarketStream, sink: Callable[[Any], None], finished: Callable[[], bool]) -> None:
    """An ``async for`` round: market events to ``sink`` until ``finished()`` or the
    connection drops."""
    from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState

    async for item in stream:
        if type(item) is ConnectionEvent:
            if item.state is ConnectionState.DISCONNECTED:
                return
            continue
        sink(item)
        if finished():
            return


async def tradeexec_callback(base: str, stream: str, count: int) -> Round:
    from tradeexec.binance.ws.streams import MarketStream

    done = asyncio.Event()
    counter = Counter(count, done.set)
    clock = Clock()
    async with MarketStream(base, [stream], on_event=counter, on_state=until_disconnected(done)):
        await asyncio.wait_for(done.wait(), ROUND_TIMEOUT_S)
        return clock.round(counter.count)


async def tradeexec_iterator(base: str, stream: str, count: int) -> Round:
    from tradeexec.binance.ws.streams import MarketStream

    counter = Counter(count, lambda: None)
    clock = Clock()
    async with MarketStream(base, [stream]) as ms:
        await asyncio.wait_for(drain(ms, counter, lambda: counter.count == count), ROUND_TIMEOUT_S)
        return clock.round(counter.count)


# ---- raw baseline --------------------------------------------------------------------------


class _Depth(msgspec.Struct, frozen=True, gc=False):
    e: str
    E: int
    s: str
    U: int
    u: int
    b: list[tuple[Decimal, Decimal]]
    a: list[tuple[Decimal, Decimal]]


class _Trade(msgspec.Struct, frozen=True, gc=False):
    e: str
    E: int
    s: str
    t: int
    p: Decimal
    q: Decimal
    T: int
    m: bool
    M: bool


async def raw_aiohttp(base: str, stream: str, count: int) -> Round:
    decode = msgspec.json.Decoder(_Depth if "@depth" in stream else _Trade).decode
    counter = Counter(count, lambda: None)
    text, binary = aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY
    clock = Clock()
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{base}/ws/{stream}", max_msg_size=0) as ws,
    ):
        async for msg in ws:
            if msg.type is text or msg.type is binary:
                counter(decode(msg.data))
                if counter.count == count:
                    break
        return clock.round(counter.count)


# ---- peers -----------------------------------------------------------------------------------


async def python_binance(base: str, stream: str, count: int) -> Round:
    """``BinanceSocketManager`` as its docs use it: ``await socket.recv()`` in a loop. Its read
    loop gives up when its queue (100 messages by default) overflows; what it had not
    delivered by then is lost."""
    from binance.async_client import AsyncClient
    from binance.ws.streams import BinanceSocketManager

    client = AsyncClient()
    manager = BinanceSocketManager(client)
    manager.STREAM_URL = base + "/"
    depth = "@depth" in stream
    socket = manager.depth_socket(SYMBOL, interval=100) if depth else manager.trade_socket(SYMBOL)
    counter = Counter(count, lambda: None)

    async def consume() -> None:
        while counter.count < count:
            msg = await socket.recv()
            if msg.get("e") == "error":
                return
            counter(msg)

    try:
        clock = Clock()
        async with socket:
            await asyncio.wait_for(consume(), ROUND_TIMEOUT_S)
            result = clock.round(counter.count)
    finally:
        await client.close_connection()
    return result


async def binance_connector(base: str, stream: str, count: int) -> Round:
    """``SpotWebsocketStreamClient`` with a handler that parses each message with
    ``json.loads``, as its examples do; it reads on its own thread."""
    from binance.websocket.spot.websocket_stream import SpotWebsocketStreamClient

    finished = threading.Event()
    counter = Counter(count, finished.set)

    def on_message(_: object, message: str) -> None:
        event = json.loads(message)
        if "e" in event:
            counter(event)

    clock = Clock()
    client = SpotWebsocketStreamClient(
        stream_url=base,
        on_message=on_message,
        on_close=lambda _: finished.set(),
        on_error=lambda _, exc: finished.set(),
    )
    if "@depth" in stream:
        client.diff_book_depth(SYMBOL, speed=100)
    else:
        client.trade(SYMBOL)
    await asyncio.to_thread(finished.wait, ROUND_TIMEOUT_S)
    result = clock.round(counter.count)
    client.stop()
    return result


def runners(peers: bool = True) -> list[tuple[str, str, Runner]]:
    out: list[tuple[str, str, Runner]] = [
        ("tradeexec (callback)", "tradeexec", tradeexec_callback),
        ("tradeexec (async for)", "tradeexec", tradeexec_iterator),
        ("raw aiohttp + msgspec", "baseline", raw_aiohttp),
    ]
    if peers and installed("binance.ws.streams"):
        out.append(("python-binance (async)", "peer", python_binance))
    if peers and installed("binance.websocket"):
        out.append(("binance-connector", "peer", binance_connector))
    return out


def _results(case: str, impl: str, kind: Any, rounds: list[Round], count: int) -> list[Result]:
    lost = [float(count - r.delivered) for r in rounds]
    return [
        Result(case, impl, kind, "messages/s", "1/s", True, [r.delivered / r.sample.wall_s for r in rounds]),
        Result(
            case,
            impl,
            kind,
            "client CPU/message",
            "µs",
            False,
            [r.sample.cpu_s / max(r.delivered, 1) * 1e6 for r in rounds],
        ),
        Result(case, impl, kind, "messages lost", "msgs", False, lost),
    ]


def run(server: ServerInfo, n: int, rounds: int, *, peers: bool = True) -> list[Result]:
    base = firehose_url(server.ws_url, n)
    results: list[Result] = []
    for case, stream in ((CASE_DEPTH, DEPTH_STREAM), (CASE_TRADE, TRADE_STREAM)):
        for impl, kind, runner in runners(peers):
            out = [asyncio.run(runner(base, stream, n)) for _ in range(rounds)]
            results += _results(case, impl, kind, out, n)
    return results
