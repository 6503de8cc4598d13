"""A small Binance-shaped aiohttp server that records the exact wire format of every request.

It verifies HMAC signatures over the raw query string it received, checks timestamps
against its (skewable) clock like Binance does, can enforce a REQUEST_WEIGHT limit per
1-second window with the registry's weights, and serves canned answers per endpoint.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web

from tradeexec.binance.net.auth import extract_signature, verify_hmac
from tradeexec.binance.net.endpoints import lookup
from tradeexec.binance.rules.defaults import DEFAULT_SYMBOL_INFO

API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
API_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
NON_ASCII_SYMBOL = "币安人生USDT"

Reply = tuple[int, Any, dict[str, str]]


@dataclass
class Seen:
    method: str
    path: str
    query: str  # raw, exactly as received
    headers: dict[str, str]

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))


def _symbols() -> list[dict[str, Any]]:
    btc = copy.deepcopy(DEFAULT_SYMBOL_INFO["BTCUSDT"])
    other = copy.deepcopy(btc)
    other["symbol"] = NON_ASCII_SYMBOL
    other["baseAsset"] = "币安人生"
    return [btc, other]


@dataclass
class FakeBinance:
    seen: list[Seen] = field(default_factory=list)
    handlers: dict[tuple[str, str], Callable[[Seen], Reply]] = field(default_factory=dict)
    skew_ms: int = 0
    rate_limits: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        ]
    )
    weight_limit_1s: int | None = None
    weight_used: dict[int, int] = field(default_factory=dict)
    got_429: int = 0
    url: str = ""
    hang: set[tuple[str, str]] = field(default_factory=set)  # never answer
    drop: set[tuple[str, str]] = field(default_factory=set)  # close the connection unanswered
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def requests_to(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path == path]

    def reply(self, method: str, path: str, *replies: Reply) -> None:
        """Serve ``replies`` in turn (the last one repeats)."""
        queue = list(replies)

        def handler(_: Seen) -> Reply:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.handlers[(method, path)] = handler

    def exchange_info(self) -> dict[str, Any]:
        return {
            "timezone": "UTC",
            "serverTime": self.now_ms(),
            "rateLimits": self.rate_limits,
            "exchangeFilters": [],
            "symbols": _symbols(),
        }

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.skew_ms

    async def handle(self, request: web.Request) -> web.Response:
        seen = Seen(request.method, request.path, request.rel_url.raw_query_string, dict(request.headers))
        self.seen.append(seen)
        key = (seen.method, seen.path)
        if key in self.hang:
            await self.released.wait()
        if key in self.drop and request.transport is not None:
            request.transport.abort()
            return web.Response(status=200)
        headers: dict[str, str] = {}
        if self.weight_limit_1s is not None:
            window = int(time.time())
            weight = lookup(seen.method, seen.path).weight_for(seen.params)
            used = self.weight_used.get(window, 0) + weight
            self.weight_used[window] = used
            headers["X-MBX-USED-WEIGHT-1S"] = str(used)
            if used > self.weight_limit_1s:
                self.got_429 += 1
                return _json(429, {"code": -1003, "msg": "Too much request weight used."}, headers)
        if "signature=" in seen.query:
            refusal = self._check_signed(seen)
            if refusal is not None:
                return _json(400, refusal, headers)
        handler = self.handlers.get((seen.method, seen.path))
        if handler is not None:
            status, body, extra = handler(seen)
        elif seen.path == "/api/v3/time":
            status, body, extra = 200, {"serverTime": self.now_ms()}, {}
        elif seen.path == "/api/v3/exchangeInfo":
            status, body, extra = 200, self.exchange_info(), {}
        else:
            status, body, extra = 200, {}, {}
        return _json(status, body, {**headers, **extra})

    def _check_signed(self, seen: Seen) -> dict[str, Any] | None:
        if seen.headers.get("X-MBX-APIKEY") != API_KEY:
            return {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
        payload, signature = extract_signature(seen.query)
        if signature is None or not verify_hmac(API_SECRET, payload, signature):
            return {"code": -1022, "msg": "Signature for this request is not valid."}
        params = seen.params
        timestamp = int(params["timestamp"])
        window = float(params.get("recvWindow", "5000"))
        now = self.now_ms()
        if timestamp >= now + 1000 or now - timestamp > window:
            return {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}
        return None


def _json(status: int, body: Any, headers: dict[str, str]) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body).encode(), headers=headers, content_type="application/json"
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeBinance]:
    server = FakeBinance()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, access_log=None)  # the server side is not under test
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        server.released.set()
        await runner.cleanup()


@pytest.fixture
def client_kwargs(fake: FakeBinance, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    # Isolate from the developer's environment and config file.
    for name in ("BINANCE_API_KEY", "BINANCE_API_SECRET", "BINANCE_PRIVATE_KEY_PATH", "TRADEEXEC_VENUE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "empty.toml").touch()  # a named config file that is missing is an error
    monkeypatch.setenv("TRADEEXEC_CONFIG", str(tmp_path / "empty.toml"))
    return {"api_key": API_KEY, "api_secret": API_SECRET, "base_url": fake.url, "retry_base_delay": 0.01}
