"""Reading the futures user data stream in tests: connect with a fresh listenKey, then collect
decoded events until a condition holds (bounded by a deadline, never a fixed sleep)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp

from tests.sim.conftest import Api
from tradeexec.binance.models.futures_events import FUTURES_USER_EVENT_DECODER, FuturesUserEvent
from tradeexec.sim import LocalExchange

DEADLINE_S = 10.0


class StreamReader:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[FuturesUserEvent] = []

    async def until(self, done: Callable[[list[FuturesUserEvent]], bool]) -> list[FuturesUserEvent]:
        """Every event read so far once ``done`` holds for them; fails at the deadline."""
        end = time.monotonic() + DEADLINE_S
        while not done(self.events):
            left = end - time.monotonic()
            assert left > 0, f"condition not met; got {[type(e).__name__ for e in self.events]}"
            msg = await asyncio.wait_for(self.ws.receive_str(), left)
            self.events.append(FUTURES_USER_EVENT_DECODER.decode(msg))
        return self.events

    def of(self, kind: type[FuturesUserEvent]) -> list[FuturesUserEvent]:
        return [e for e in self.events if isinstance(e, kind)]


@asynccontextmanager
async def user_stream(ex: LocalExchange, api: Api) -> AsyncIterator[StreamReader]:
    reply = await api.request("POST", "/fapi/v1/listenKey", headers={"X-MBX-APIKEY": ex.api_key})
    key = reply.body["listenKey"]
    async with api.session.ws_connect(f"{ex.ws_url}/private/ws/{key}") as ws:
        yield StreamReader(ws)
