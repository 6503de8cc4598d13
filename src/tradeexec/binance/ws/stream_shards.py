"""The parts of one market-stream connection slot (``StreamShard``): the control-message pacer,
the handover route that buffers or tracks events while two connections overlap, and the silence
watchdog that replaces a connection no frame arrived on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

import aiohttp

from tradeexec.binance.ws.stream_frames import StreamEvent, dedupe_key, is_tagged_stream

WATCHDOG_CHECKS = 4  # per silence timeout: a dead connection is noticed within 1.25 timeouts


class SendPacer:
    """At most ``rate`` sends per second on one connection."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
            self._next = max(now, self._next) + self._interval


class HandoverRoute:
    """Where one connection's events go while a handover overlaps two connections: the new
    one buffers, the old one records the last id it delivered per stream."""

    __slots__ = ("buffer", "first", "track")

    def __init__(self, buffer: list[tuple[str, StreamEvent]] | None = None) -> None:
        self.buffer = buffer
        self.track: dict[str, int] | None = None
        self.first = asyncio.Event()

    def divert(self, name: str, event: StreamEvent) -> bool:
        """True when the event was kept back (buffered)."""
        if self.buffer is not None:
            self.buffer.append((name, event))
            self.first.set()
            return True
        if self.track is not None:
            key = dedupe_key(event)
            if key is not None:
                self.track[name] = key
        return False


class SilenceWatchdog:
    """Cancels a connection's reader when no frame arrived for ``timeout`` seconds. The reader
    only bumps ``frames``; the check runs ``WATCHDOG_CHECKS`` times per timeout."""

    __slots__ = ("_handle", "_loop", "_seen", "_since", "_step", "_task", "_timeout", "frames", "silent")

    def __init__(self, timeout: float, task: asyncio.Task[Any]) -> None:
        self._loop = asyncio.get_running_loop()
        self._timeout = timeout
        self._step = timeout / WATCHDOG_CHECKS
        self._task = task
        self.frames = 0
        self.silent = False
        self._seen = 0
        self._since = self._loop.time()
        self._handle = self._loop.call_later(self._step, self._check)

    def _check(self) -> None:
        now = self._loop.time()
        if self.frames != self._seen:
            self._seen = self.frames
            self._since = now
        elif now - self._since >= self._timeout:
            self.silent = True
            self._task.cancel()
            return
        self._handle = self._loop.call_later(self._step, self._check)

    def stop(self) -> None:
        self._handle.cancel()


class StreamShard:
    """One logical connection slot: its streams survive its physical connections."""

    def __init__(self, index: int, streams: Iterable[str], raw: bool = False) -> None:
        self.index = index
        self.raw = raw
        self.streams: dict[str, None] = dict.fromkeys(streams)
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.task: asyncio.Task[None] | None = None
        self.pacer: SendPacer | None = None
        self.ready = asyncio.Event()
        self.shutdown = asyncio.Event()  # the server announced serverShutdown on this connection
        self.tagged: bool
        self.streams_changed()

    def streams_changed(self) -> None:
        """Whether the one-pass decoder fits every stream; a frame it does not fit still
        decodes (by the general path), so this only decides which path is tried first."""
        self.tagged = not self.raw and all(is_tagged_stream(name) for name in self.streams)
