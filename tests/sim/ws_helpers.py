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
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tradeexec.binance.models.wire import wire_builtins
from tradeexec.binance.net.auth import Ed25519Signer, HmacSigner, Signer, encode_params
from tradeexec.sim import LocalExchange, SimConfig
from tradeexec.sim.binance.ws_routes import WS_KEY, WsServices
from tradeexec.sim.config import KeyConfig
from tradeexec.sim.params import Params
from tradeexec.sim.state import ApiAccount

WAIT = 5.0  # upper bound of every wait; tests finish as soon as the awaited thing happens
# Short stream intervals so tests see 100 ms / 1000 ms updates quickly.
FAST = {"fast_interval_s": 0.02, "slow_interval_s": 0.1}


def ws_config(**streams: Any) -> SimConfig:
    cfg = SimConfig.default()
    cfg.market.enabled = False
    for name, value in {**FAST, **streams}.items():
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
        result: dict[str, Any] = wire_builtins(self.ex.state.service.new_order(p, self.account))
        return result

    def cancel(self, symbol: str, order_id: int) -> dict[str, Any]:
        p = Params({"symbol": symbol, "orderId": str(order_id)})
        result: dict[str, Any] = wire_builtins(self.ex.state.service.cancel_order(p, self.account))
        return result

    def liquidity(self, symbol: str, side: str, price: str, qty: str) -> None:
        self.ex.add_liquidity(symbol, side, Decimal(price), Decimal(qty))

    def signed_query(self, params: dict[str, object], signer: Signer | None = None) -> str:
        full = {**params, "timestamp": int(time.time() * 1000)}
        payload = encode_params(full)
        sig = (signer or HmacSigner(self.ex.api_secret)).sign(payload.encode())
        return f"{payload}&{encode_params({'signature': sig})}"


@asynccontextmanager
async def ws_exchange(cfg: SimConfig | None = None, **streams: Any) -> AsyncIterator[WsExchange]:
    """A started exchange, with fast stream intervals and ``streams`` config overrides."""
    if cfg is None:
        cfg = ws_config(**streams)
    else:
        for name, value in streams.items():
            setattr(cfg.streams, name, value)
    ex = LocalExchange(cfg, market=False)
    services = ex.app[WS_KEY]
    async with ex, aiohttp.ClientSession() as http:
        yield WsExchange(ex, services, http)


async def recv_json(ws: aiohttp.ClientWebSocketResponse, timeout: float = WAIT) -> Any:
    async with asyncio.timeout(timeout):
        msg = await ws.receive()
    assert msg.type is aiohttp.WSMsgType.TEXT, f"expected a text frame, got {msg.type} {msg.data!r}"
    return msgspec.json.decode(msg.data)


async def recv_until(
    ws: aiohttp.ClientWebSocketResponse,
    pred: Callable[[Any], bool],
    timeout: float = WAIT,
    limit: int = 10_000,
) -> Any:
    """The first JSON frame satisfying ``pred`` (frames before it are skipped)."""
    async with asyncio.timeout(timeout):
        for _ in range(limit):
            data = await recv_json(ws, timeout)
            if pred(data):
                return data
    raise AssertionError("awaited frame did not arrive")


async def recv_closed(ws: aiohttp.ClientWebSocketResponse, timeout: float = WAIT) -> aiohttp.WSMessage:
    """Read until the server ends the connection; the final message (CLOSE/CLOSED/ERROR)."""
    async with asyncio.timeout(timeout):
        for _ in range(100_000):
            msg = await ws.receive()
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                return msg
    raise AssertionError("connection stayed open")


# ---- WebSocket API ---------------------------------------------------------------------------

ED_API_KEY = "edKeyForWebSocketApiTests0123456789abcdefABCDEF"


def ed25519_config(**streams: Any) -> tuple[SimConfig, Ed25519Signer]:
    """The default config plus an Ed25519 key on the default account (for session.logon)."""
    private = Ed25519PrivateKey.generate()
    pem = private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    cfg = ws_config(**streams)
    cfg.accounts[0].keys.append(KeyConfig(api_key=ED_API_KEY, key_type="ED25519", public_key=pem))
    return cfg, Ed25519Signer.from_key(private)


def ws_signed(params: dict[str, object], api_key: str, signer: Signer) -> dict[str, object]:
    """WebSocket API params with apiKey, timestamp and the signature over all of them, sorted."""
    full: dict[str, object] = {**params, "apiKey": api_key, "timestamp": int(time.time() * 1000)}
    payload = encode_params(sorted(full.items()))
    return {**full, "signature": signer.sign(payload.encode())}


class WsApiClient:
    """Request/response by id over one ``/ws-api/v3`` connection; events are kept aside."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[Any] = []
        self._next = 0

    async def call(self, method: str, params: dict[str, object] | None = None) -> Any:
        self._next += 1
        request_id = f"req-{self._next}"
        message: dict[str, object] = {"id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        await self.ws.send_str(msgspec.json.encode(message).decode())
        answer = await recv_until(self.ws, lambda m: self._is_answer(m, request_id))
        return answer

    def _is_answer(self, message: Any, request_id: str) -> bool:
        if "subscriptionId" in message:
            self.events.append(message)
            return False
        return bool(message.get("id") == request_id)

    async def event(self, pred: Callable[[Any], bool] = lambda _: True) -> Any:
        """The first (kept or new) event satisfying ``pred``."""
        for i, ev in enumerate(self.events):
            if pred(ev):
                return self.events.pop(i)
        return await recv_until(self.ws, lambda m: "subscriptionId" in m and pred(m))
