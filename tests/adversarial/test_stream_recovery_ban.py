"""Found by the chaos soak with issue 13's clock steps: the legacy listenKey user data stream
dies for good when its reconnect recovery meets a rate-limit ban the client will not wait out.

``ListenKeyUserData._run`` catches ``BinanceAPIError`` and ``TransportError`` around
``recover()``, but the client's limiter refuses with ``RateLimitBanActive`` (a plain
``TradeexecError``) when a known 418 ban lasts longer than ``max_rate_limit_wait_s``. The
exception ends the stream's task: no more execution reports, and ``close()`` re-raises it.
In the soak a ban of under a second became one of several seconds because the limiter times
bans on the (stepped) wall clock; on Binance a 418 lasts minutes to days, so any real ban met
at a reconnect does it. The WebSocket API stream has the same hole (``WsApiUserData._on_connect``
runs ``recover()`` as a session-setup hook; the full soak saw ``WsApiClient._run`` end with
RateLimitBanActive after a 429 block). Both now outlive any failure of the recovery."""

from __future__ import annotations

import asyncio
import time

import pytest

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.ws.userdata import ListenKeyUserData
from tradeexec.sim.exchange import LocalExchange

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(60)]

BAN_S = 4.0
OBSERVE_S = 1.5


async def _until(cond: object, what: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.01)


async def test_a_ban_met_during_recovery_does_not_end_the_listen_key_stream() -> None:
    async with LocalExchange(market=False) as ex:
        ex.state.config.streams.legacy_listen_key = True  # legacy (gone on spot since 2026-02-20)
        async with BinanceClient(
            ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0, max_rate_limit_wait_s=0.5
        ) as client:
            stream = ListenKeyUserData(client, ex.ws_url, backoff_base_s=0.05)
            new_key = stream._new_key

            async def key_then_ban() -> str:
                key = await new_key()
                if stream.keys_created > 1:  # the reconnect: a 418 answer just told of a ban
                    for limiter in client.transport.limiters.values():
                        limiter.on_418(BAN_S)
                return key

            stream._new_key = key_then_ban  # type: ignore[method-assign]
            await stream.start()
            try:
                await _until(lambda: stream.keys_created == 1, "the first connection", 10)
                ex.inject("ws_drop", "/ws/*", count=1)
                ex.deposit("USDT", "1")  # a balance event for the drop to strike
                await _until(lambda: stream.recoveries >= 1, "the reconnect's recovery", 15)
                runner = stream._runner
                assert runner is not None
                # A bounded look: the task must still be running (it waits, or retries later).
                deadline = time.monotonic() + OBSERVE_S
                while not runner.done() and time.monotonic() < deadline:
                    await asyncio.sleep(0.02)
                assert not runner.done(), runner.exception()
            finally:
                await stream.close()
