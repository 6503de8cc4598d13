"""Helpers for the WebSocket tests of the local exchange: a started exchange with the WebSocket
routes (fast stream intervals, synthetic market off) and frame readers with bounded waits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec

from tradeexec.binance.auth import HmacSigner, Signer, encode_params
from tradeexec.sim import LocalExchange, SimConfig
from tradeexec.sim.params import Params
from tradeexec.sim.state import ApiAccount
from tradeexec.sim.ws_routes import WS_KEY, WsServices, setup_ws_routes
from tradeexec.sim.ws_streams import Timings

WAIT = 5.0  # upper bound of every wait; tests finish as soon as the awaited thing happens
FAST = Timings(fast_s=0.02, slow_s=0.1)


def ws_config(**streams: Any) -> SimConfig:
    cfg = SimConfig.default()
    cfg.market.enabled = False
    for name, value in streams.items():
        setattr(cfg.streams, name, value)
    return cfg


@dataclass
class WsExchange:
    ex: LocalExchange
    ws: WsServices
    http: aiohttp.ClientSession

    @property
    def state(self) -> Any:
        return self.ex.state

    @property
    def url(self) -> str:
        return self.ex.ws_url

    @property
    def account(self) -> ApiAccount:
        acct = self.ex.state.keys.get(self.ex.api_key)
        assert acct is not None
        return acct

    def order(self, **params: object) -> dict[str, Any]:
        """Place an order for the default account through the shared service (as REST would)."""
        p = Params({k: str(v) for k, v in params.items()})
        result: dict[str, Any] = self.ex.state.service.new_order(p, self.account)
        return result

    def cancel(self, symbol: str, order_id: int) -> dict[str, Any]:
        p = Params({"symbol": symbol, "orderId": str(order_id)})
        result: dict[str, Any] = self.ex.state.service.cancel_order(p, self.account)
        return result

    def liquidity(self, symbol: str, side: str, price: str, qty: str) -> None:
        self.ex.add_liquidity(symbol, side, Decimal(price), Decimal(qty))

    def signed_query(self, params: dict[str, object], signer: Signer | None = None) -> str:
        full = {**params, "timestamp": int(time.time() * 1000)}
        payload = encode_params(full)
        sig = (signer or HmacSigner(self.ex.api_secret)).sign(payload.encode())
        return f"{payload}&{encode_params({'signature': sig})}"


@asynccontextmanager
async def ws_exchange(
    cfg: SimConfig | None = None, timings: Timings = FAST, **kwargs: Any
) -> AsyncIterator[WsExchange]:
    """A started exchange with the WebSocket routes (added here until LocalExchange adds them)."""
    ex = LocalExchange(cfg or ws_config(), market=False)
    if WS_KEY in ex.app:
        services = ex.app[WS_KEY]
    else:
        services = setup_ws_routes(ex.app, ex.state, timings=timings, **kwargs)
    async with ex, aiohttp.ClientSession() as http:
        yield WsExchange(ex, services, http)


async def recv_json(ws: aiohttp.ClientWebSocketResponse, timeout: float = WAIT) -> Any:
    msg = await ws.receive(timeout=timeout)
    assert msg.type is aiohttp.WSMsgType.TEXT, f"expected a text frame, got {msg.type} {msg.data!r}"
    return msgspec.json.decode(msg.data)


async def recv_until(
    ws: aiohttp.ClientWebSocketResponse, pred: Callable[[Any], bool], timeout: float = WAIT, limit: int = 10_000
) -> Any:
    """The first JSON frame satisfying ``pred`` (frames before it are skipped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for _ in range(limit):
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        data = await recv_json(ws, remaining)
        if pred(data):
            return data
    raise AssertionError("awaited frame did not arrive")


async def recv_closed(ws: aiohttp.ClientWebSocketResponse, timeout: float = WAIT) -> aiohttp.WSMessage:
    """Read until the server ends the connection; the final message (CLOSE/CLOSED/ERROR)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for _ in range(100_000):
        msg = await ws.receive(timeout=max(0.0, deadline - loop.time()))
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            return msg
    raise AssertionError("connection stayed open")
