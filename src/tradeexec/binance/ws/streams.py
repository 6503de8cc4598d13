"""Market streams that survive: combined-stream connections, live subscriptions, sharding,
reconnects and a gapless handover before Binance's 24-hour cut-off.

Design choices:

* Every connection is a combined stream (``/stream?streams=...``), so each frame names its
  stream. While a connection carries only events tagged by ``e`` (trades, klines, tickers),
  wrapper and event are decoded in one pass into the typed struct; other streams
  (bookTicker, partial depth, ``@arr``, and depth diffs, whose level Decimals a memo makes
  cheaper than that one pass) decode the wrapper with ``data`` left raw, then ``data`` by
  the decoder cached for that stream name. Nothing else happens per frame
  unless two connections overlap during a handover, when events are deduplicated.
* The socket reader never waits for the consumer: events go to a callback, or to a bounded
  queue whose overflow either drops the oldest event (counted in ``dropped``) or fails the
  stream loudly (``StreamOverflow`` raised from the iterator).
* Silence longer than ``silence_timeout_s`` (no data and no server ping) means the connection
  is dead even if TCP has not noticed; it is replaced. A watchdog checks a frame counter a
  few times per timeout instead of a receive timeout per frame, which cost as much as
  decoding the frame.
* Reconnects after unplanned drops back off exponentially with jitter; consecutive failures
  keep growing the delay until a connection stays up for ``healthy_after_s``.
* Every connect, disconnect, reconnect and handover is reported as a ``ConnectionEvent`` --
  to ``on_state`` and in the iterator -- never swallowed.
* A ``serverShutdown`` event (``!serverShutdown`` on a combined stream: the server is about
  to go away, at a time it does not say) starts the same gapless handover at once.
* Control messages (SUBSCRIBE ...) are paced per connection below Binance's 5 inbound
  messages per second, leaving room for pongs, which the server counts too."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Literal

import aiohttp
import msgspec

from tradeexec.binance.models import (
    PayloadDecoder,
    market_decoder,
)
from tradeexec.binance.ws.connection import (
    ConnectionEvent,
    ConnectionState,
    StreamOverflow,
    StreamRequestError,
    describe_failure,
)
from tradeexec.binance.ws.stream_frames import (
    COMBINED_DECODER,
    CONTROL_ANSWER_DECODER,
    PASSTHROUGH,
    TAGGED_FRAME_DECODER,
    ControlAnswer,
    StreamEvent,
    TaggedFrame,
    UntaggedFrame,
    dedupe_key,
)
from tradeexec.binance.ws.stream_shards import HandoverRoute, SendPacer, SilenceWatchdog, StreamShard
from tradeexec.lifecycle import AsyncService

log = logging.getLogger(__name__)
_SERVER_SHUTDOWN = "!serverShutdown"  # the combined stream's name for the connection event
# The reader lets an iterating consumer run once this many events wait, rather than decode
# a whole socket read (hundreds of frames) first: events that pile up survive into the
# garbage collector's older generations, which then cost more than the decoding.
_HAND_OVER_AT = 32
_ENCODE = msgspec.json.Encoder().encode
_DEFAULT_LIFETIME_S = 23.5 * 3600


class MarketStream(AsyncService):
    """Typed Binance market streams over one or more combined-stream connections.

    ``async with MarketStream(ws_url, ["btcusdt@trade"]) as stream: async for ev in stream``
    yields market events and ``ConnectionEvent``s. With ``on_event`` the events go to the
    callback instead (synchronously, on the reader: keep it short), and the iterator carries
    only connection events. With ``raw`` each event is the payload exactly as the server
    sent it (``msgspec.Raw``: a JSON object, or an array for ``!...@arr``), undecoded, for
    consumers that pass the wire on; raw events are not deduplicated during a handover.
    """

    def __init__(
        self,
        url_base: str,
        streams: Iterable[str] = (),
        *,
        on_event: Callable[[StreamEvent], None] | None = None,
        on_state: Callable[[ConnectionEvent], None] | None = None,
        queue_size: int = 10_000,
        overflow: Literal["drop_oldest", "fail"] = "drop_oldest",
        silence_timeout_s: float = 60.0,
        max_streams_per_connection: int = 1024,
        max_lifetime_s: float = _DEFAULT_LIFETIME_S,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        healthy_after_s: float = 60.0,
        control_rate_per_s: float = 4.0,
        request_timeout_s: float = 10.0,
        session: aiohttp.ClientSession | None = None,
        raw: bool = False,
        decoder_for: Callable[[str], PayloadDecoder] = market_decoder,
    ) -> None:
        """``decoder_for``: a stream name's payload decoder (the futures streams have their
        own, ``ws/futures_market.py``)."""
        if overflow not in ("drop_oldest", "fail"):
            raise ValueError("overflow must be 'drop_oldest' or 'fail'")
        self.url_base = url_base.rstrip("/")
        self.on_event = on_event
        self.on_state = on_state
        self.queue_size = queue_size
        self.overflow = overflow
        self.silence_timeout_s = silence_timeout_s
        self.max_streams = max_streams_per_connection
        self.max_lifetime_s = max_lifetime_s
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.healthy_after_s = healthy_after_s
        self.control_rate_per_s = control_rate_per_s
        self.request_timeout_s = request_timeout_s
        self.dropped = 0
        self.callback_errors = 0  # on_event raised; logged with its traceback
        self.duplicates = 0
        self._session = session
        self._own_session = session is None
        self._shards: list[StreamShard] = []
        self._queue: deque[StreamEvent | ConnectionEvent] = deque()
        self._wake = asyncio.Event()
        self._failure: BaseException | None = None
        self._closed = False
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[ControlAnswer]] = {}
        self._decoders: dict[str, PayloadDecoder] = {}
        self._decoder_for = decoder_for
        self._initial = list(dict.fromkeys(streams))
        self.raw = raw

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the connections for the initial streams and wait until each is up (at most
        ``request_timeout_s``)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        for i in range(0, max(len(self._initial), 1), self.max_streams):
            self._add_shard(self._initial[i : i + self.max_streams])
        ready = asyncio.gather(*(s.ready.wait() for s in self._shards))
        await asyncio.wait_for(ready, self.request_timeout_s)

    async def close(self) -> None:
        self._closed = True
        tasks = [s.task for s in self._shards if s.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for shard in self._shards:
            if shard.ws is not None:
                await shard.ws.close()
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(StreamRequestError("stream closed"))
        self._wake.set()
        if self._own_session and self._session is not None:
            await self._session.close()

    def _add_shard(self, streams: Iterable[str]) -> StreamShard:
        shard = StreamShard(len(self._shards), streams, self.raw)
        self._shards.append(shard)
        loop = asyncio.get_running_loop()
        shard.task = loop.create_task(self._run(shard), name=f"market-stream-{shard.index}")
        return shard

    # ---- consuming -------------------------------------------------------------------------

    def __aiter__(self) -> MarketStream:
        return self

    async def __anext__(self) -> StreamEvent | ConnectionEvent:
        queue = self._queue
        while not queue:
            if self._failure is not None:
                raise self._failure
            if self._closed:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()
        return queue.popleft()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> int:
        return len(self._queue)

    def _push(self, item: StreamEvent | ConnectionEvent) -> None:
        queue = self._queue
        if len(queue) >= self.queue_size:
            if self.overflow == "fail":
                if self._failure is None:
                    self._failure = StreamOverflow(f"consumer fell {self.queue_size} events behind")
                    log.error("market stream overflow: %d events queued", len(queue))
                self.dropped += 1
                self._wake.set()
                return
            queue.popleft()
            self.dropped += 1
        queue.append(item)
        self._wake.set()

    def _report(self, event: ConnectionEvent) -> None:
        log.info("market stream shard %d %s %s", event.shard, event.state.value, event.reason)
        self._push(event)
        if self.on_state is not None:
            self.on_state(event)

    # ---- subscriptions ---------------------------------------------------------------------

    def list_subscriptions(self) -> list[str]:
        """Streams this client holds (the server's view: ``server_subscriptions``)."""
        return [name for shard in self._shards for name in shard.streams]

    async def server_subscriptions(self) -> list[str]:
        names: list[str] = []
        for shard in self._shards:
            result = await self._request(shard, "LIST_SUBSCRIPTIONS", None)
            names.extend(result or [])
        return names

    async def subscribe(self, streams: Iterable[str]) -> None:
        """Subscribe live, opening more connections when the current ones are full."""
        held = set(self.list_subscriptions())
        new = [s for s in dict.fromkeys(streams) if s not in held]
        for shard in self._shards:
            room = self.max_streams - len(shard.streams)
            if room <= 0 or not new:
                continue
            batch, new = new[:room], new[room:]
            shard.streams.update(dict.fromkeys(batch))
            shard.streams_changed()
            await shard.ready.wait()
            await self._request(shard, "SUBSCRIBE", batch)
        while new:
            batch, new = new[: self.max_streams], new[self.max_streams :]
            shard = self._add_shard(batch)
            await asyncio.wait_for(shard.ready.wait(), self.request_timeout_s)

    async def unsubscribe(self, streams: Iterable[str]) -> None:
        names = set(streams)
        for shard in self._shards:
            batch = [s for s in shard.streams if s in names]
            if batch:
                for name in batch:
                    del shard.streams[name]
                shard.streams_changed()
                await self._request(shard, "UNSUBSCRIBE", batch)

    async def _request(self, shard: StreamShard, method: str, params: list[str] | None) -> Any:
        await shard.ready.wait()
        ws, pacer = shard.ws, shard.pacer
        if ws is None or pacer is None:
            raise StreamRequestError(f"{method}: shard {shard.index} has no connection")
        return await self._send_request(ws, pacer, method, params)

    async def _send_request(
        self, ws: aiohttp.ClientWebSocketResponse, pacer: SendPacer, method: str, params: list[str] | None
    ) -> Any:
        await pacer.wait()
        request_id = next(self._ids)
        fut: asyncio.Future[ControlAnswer] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = fut
        body: dict[str, Any] = {"method": method, "id": request_id}
        if params is not None:
            body["params"] = params
        try:
            await ws.send_bytes(_ENCODE(body))
            answer = await asyncio.wait_for(fut, self.request_timeout_s)
        except (TimeoutError, ConnectionError, aiohttp.ClientError) as exc:
            raise StreamRequestError(f"{method} {params}: no answer ({type(exc).__name__})") from None
        finally:
            self._pending.pop(request_id, None)
        if answer.error is not None:
            raise StreamRequestError(f"{method} {params}: error {answer.error.code}: {answer.error.msg}")
        if answer.code is not None:
            raise StreamRequestError(f"{method} {params}: error {answer.code}: {answer.msg}")
        return answer.result

    # ---- connections -----------------------------------------------------------------------

    def _url(self, streams: Iterable[str]) -> str:
        return f"{self.url_base}/stream?streams={'/'.join(streams)}"

    async def _connect(self, shard: StreamShard) -> aiohttp.ClientWebSocketResponse:
        assert self._session is not None
        return await self._session.ws_connect(
            self._url(shard.streams),
            # Server pings come back from receive() so that they count as signs of life.
            autoping=False,
            max_msg_size=0,
            timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
        )

    async def _run(self, shard: StreamShard) -> None:
        """Keep one shard connected until ``close``: reconnect with backoff and jitter, hand
        over to a fresh connection before the lifetime cut-off."""
        failures = 0  # consecutive; forgiven once a connection stays up ``healthy_after_s``
        first = True
        carried: tuple[aiohttp.ClientWebSocketResponse, asyncio.Task[str], HandoverRoute] | None = None
        loop = asyncio.get_running_loop()
        up_since = loop.time()
        while not self._closed:
            if carried is not None:
                # A handover continues the shard's uptime: it is not a recovery.
                ws, reader, route = carried
                carried = None
            else:
                try:
                    ws = await self._connect(shard)
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    failures += 1
                    status = exc.status if isinstance(exc, aiohttp.WSServerHandshakeError) else None
                    self._report(ConnectionEvent(
                        ConnectionState.DISCONNECTED, shard.index, f"connect failed: {describe_failure(exc)}",
                        failures, status,
                    ))  # fmt: skip
                    await asyncio.sleep(self._backoff(failures))
                    continue
                state = ConnectionState.CONNECTED if first else ConnectionState.RECONNECTED
                self._report(ConnectionEvent(state, shard.index, attempt=failures))
                route = HandoverRoute()
                reader = loop.create_task(self._read(ws, route, shard))
                up_since = loop.time()
            first = False
            shard.ws = ws
            shard.pacer = SendPacer(self.control_rate_per_s)
            shard.ready.set()
            announced = loop.create_task(shard.shutdown.wait())
            try:
                done, _ = await asyncio.wait(
                    {reader, announced}, timeout=self.max_lifetime_s, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                announced.cancel()
            if reader not in done:
                why = "serverShutdown" if shard.shutdown.is_set() else "planned, before lifetime"
                shard.shutdown.clear()
                carried = await self._handover(shard, ws, reader, route, why)
                if carried is not None:
                    continue
                await asyncio.wait({reader})
            shard.ready.clear()
            reason = reader.result()
            await ws.close()
            if self.closed:
                return
            if loop.time() - up_since >= self.healthy_after_s:
                failures = 0
            failures += 1
            self._report(ConnectionEvent(ConnectionState.DISCONNECTED, shard.index, reason, failures))
            await asyncio.sleep(self._backoff(failures))

    def _backoff(self, attempt: int) -> float:
        """Exponential, capped, with full jitter over its upper half so that many clients cut
        off together do not come back together."""
        delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
        return float(delay * random.uniform(0.5, 1.0))

    async def _handover(
        self,
        shard: StreamShard,
        old: aiohttp.ClientWebSocketResponse,
        old_reader: asyncio.Task[str],
        old_route: HandoverRoute,
        why: str,
    ) -> tuple[aiohttp.ClientWebSocketResponse, asyncio.Task[str], HandoverRoute] | None:
        """Open the replacement and buffer its events; drain the old connection by
        unsubscribing it (the answer comes after every event it still had to send); then
        replay the buffer without what the old connection already delivered. None if the
        replacement could not be opened: the old connection keeps going."""
        try:
            new = await self._connect(shard)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("handover for shard %d failed: %s", shard.index, describe_failure(exc))
            return None
        old_route.track = {}
        route = HandoverRoute(buffer=[])
        reader = asyncio.get_running_loop().create_task(self._read(new, route, shard))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(route.first.wait(), self.silence_timeout_s)
        if not old_reader.done() and shard.pacer is not None:
            try:
                await self._send_request(old, shard.pacer, "UNSUBSCRIBE", list(shard.streams))
            except StreamRequestError as exc:
                log.warning("draining shard %d before handover failed: %s", shard.index, exc)
        old_reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await old_reader
        await old.close()
        self._flush(route, old_route.track)
        self._report(ConnectionEvent(ConnectionState.HANDOVER, shard.index, why))
        return new, reader, route

    def _flush(self, route: HandoverRoute, delivered: dict[str, int]) -> None:
        buffered, route.buffer = route.buffer or [], None
        for name, event in buffered:
            key = dedupe_key(event)
            last = delivered.get(name)
            if key is not None and last is not None and key <= last:
                self.duplicates += 1
                continue
            self._deliver(event)

    def _deliver(self, event: StreamEvent) -> None:
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                self._callback_failed(event)
        else:
            self._push(event)

    def _callback_failed(self, event: StreamEvent) -> None:
        """A raising callback is the user's bug, but ending the reader for it would silently
        stop the market data of every stream on the connection: log it with its traceback,
        count it, and keep delivering."""
        self.callback_errors += 1
        log.exception("market stream: on_event raised on a %s event", type(event).__name__)

    async def _read(
        self, ws: aiohttp.ClientWebSocketResponse, route: HandoverRoute, shard: StreamShard
    ) -> str:
        """Deliver frames until the connection ends; return why it ended."""
        task = asyncio.current_task()
        assert task is not None
        watchdog = SilenceWatchdog(self.silence_timeout_s, task)
        try:
            return await self._deliver_frames(ws, route, shard, watchdog)
        except asyncio.CancelledError:
            if not watchdog.silent:
                raise
            task.uncancel()
            return f"silent for {self.silence_timeout_s:.1f}s"
        finally:
            watchdog.stop()

    async def _deliver_frames(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        route: HandoverRoute,
        shard: StreamShard,
        watchdog: SilenceWatchdog,
    ) -> str:
        """The hot loop: one receive, one decode (two off the tagged path), one call."""
        on_event = self.on_event
        push = self._push
        queue = self._queue
        one_pass = TAGGED_FRAME_DECODER.decode
        decode = self._decode
        text, binary = aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY
        message: TaggedFrame | UntaggedFrame | None
        while True:
            msg = await ws.receive()
            watchdog.frames += 1
            kind = msg.type
            if kind is text or kind is binary:
                if shard.tagged:
                    try:
                        message = one_pass(msg.data)
                    except msgspec.DecodeError:
                        message = decode(msg.data, shard)
                else:
                    message = decode(msg.data, shard)
                if message is None:
                    continue
                event = message.data
                diverting = route.buffer is not None or route.track is not None
                if diverting and route.divert(message.stream, event):
                    continue
                if on_event is not None:
                    try:
                        on_event(event)
                    except Exception:
                        self._callback_failed(event)
                else:
                    push(event)
                    if len(queue) >= _HAND_OVER_AT:
                        await asyncio.sleep(0)
            elif kind is aiohttp.WSMsgType.PING:
                await ws.pong(msg.data)
            elif kind is aiohttp.WSMsgType.CLOSE or kind is aiohttp.WSMsgType.CLOSING:
                return f"closed by server: {ws.close_code} {msg.extra or ''}".strip()
            elif kind is aiohttp.WSMsgType.CLOSED:
                return f"connection closed ({ws.close_code})"
            elif kind is aiohttp.WSMsgType.ERROR:
                error = ws.exception()
                return f"connection error: {describe_failure(error) if error else 'unknown'}"

    def _decode(self, data: str | bytes, shard: StreamShard) -> UntaggedFrame | None:
        """Off the tagged path: the wrapper with ``data`` raw, then the decoder for that
        stream. None for answers to requests (resolved here), for ``serverShutdown`` (which
        starts the handover) and for frames that cannot be read (logged)."""
        try:
            wrapper = COMBINED_DECODER.decode(data)
        except msgspec.DecodeError:
            self._answer(data)
            return None
        name = wrapper.stream
        if name == _SERVER_SHUTDOWN:
            log.warning("market stream shard %d: serverShutdown, handing over", shard.index)
            shard.shutdown.set()
            return None
        decoder = self._decoders.get(name)
        if decoder is None:
            decoder = self._decoders[name] = PASSTHROUGH if self.raw else self._decoder_for(name)
        try:
            return UntaggedFrame(name, decoder.decode(wrapper.data))
        except msgspec.DecodeError as exc:
            log.warning("undecodable event on %s (%s): %.200r", name, exc, bytes(wrapper.data))
            return None

    def _answer(self, data: str | bytes) -> None:
        try:
            answer = CONTROL_ANSWER_DECODER.decode(data)
        except msgspec.DecodeError:
            log.warning("unreadable frame on market stream: %.200r", data)
            return
        fut = self._pending.get(answer.id) if isinstance(answer.id, int) else None
        if fut is not None and not fut.done():
            fut.set_result(answer)
        else:
            log.warning("market stream answer matches no request: %r", answer)
