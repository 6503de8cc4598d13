"""Fixtures for the local exchange's tests: a started exchange (synthetic market off, so the
book holds only what a test puts there) and a small signing HTTP client over real sockets."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tradeexec.binance.net.auth import HmacSigner, Signer, encode_params
from tradeexec.sim import LocalExchange, SimConfig


@dataclass
class Reply:
    status: int
    body: Any
    headers: Mapping[str, str]


class Api:
    """Sends Binance requests as a plain client would: signed over the exact bytes sent."""

    def __init__(self, session: aiohttp.ClientSession, base: str, api_key: str, signer: Signer) -> None:
        self.session = session
        self.base = base
        self.api_key = api_key
        self.signer = signer

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        body: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        url = f"{self.base}{path}" + (f"?{query}" if query else "")
        hdrs = dict(headers or {})
        if body:
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        async with self.session.request(method, url, data=body.encode() if body else None, headers=hdrs) as r:
            text = await r.text()
            try:
                parsed: Any = await r.json(content_type=None) if text else None
            except ValueError:
                parsed = text
            return Reply(r.status, parsed, r.headers)

    async def public(self, method: str, path: str, params: Mapping[str, object] | None = None) -> Reply:
        return await self.request(method, path, query=encode_params(params or {}))

    def sign(
        self, params: Mapping[str, object], *, timestamp: int | None = None, signer: Signer | None = None
    ) -> str:
        full = {**params, "timestamp": timestamp if timestamp is not None else int(time.time() * 1000)}
        payload = encode_params(full)
        signature = (signer or self.signer).sign(payload.encode())
        return f"{payload}&{encode_params({'signature': signature})}"

    async def signed(
        self,
        method: str,
        path: str,
        params: Mapping[str, object] | None = None,
        *,
        in_body: bool = False,
        api_key: str | None = None,
        signer: Signer | None = None,
        timestamp: int | None = None,
    ) -> Reply:
        signed = self.sign(params or {}, timestamp=timestamp, signer=signer)
        headers = {"X-MBX-APIKEY": api_key if api_key is not None else self.api_key}
        if in_body:
            return await self.request(method, path, body=signed, headers=headers)
        return await self.request(method, path, query=signed, headers=headers)

    async def admin(self, method: str, path: str, body: object = None) -> Any:
        async with self.session.request(method, f"{self.base}{path}", json=body) as r:
            assert r.status == 200, await r.text()
            return await r.json()


def quiet_config() -> SimConfig:
    cfg = SimConfig.default()
    cfg.market.enabled = False
    return cfg


@pytest.fixture
async def exchange() -> AsyncIterator[LocalExchange]:
    async with LocalExchange(quiet_config(), market=False) as ex:
        yield ex


@pytest.fixture
async def api(exchange: LocalExchange) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, exchange.rest_url, exchange.api_key, HmacSigner(exchange.api_secret))
