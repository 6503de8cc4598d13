"""Shared helpers for the stream tests: a local exchange with its WebSocket side, and market
activity generated through its admin API."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tradeexec.binance.net.auth import Ed25519Signer
from tradeexec.sim import LocalExchange
from tradeexec.sim.config import KeyConfig, SimConfig

ED25519_API_KEY = "ed25519testkey" + "x" * 50


@asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[int]:
    """Serve ``app`` on 127.0.0.1 at a free port, yielded, until the block ends."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


def ed25519_config() -> tuple[SimConfig, Ed25519Signer]:
    """The default account with an extra Ed25519 key, and the signer for it."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    config = SimConfig.default()
    config.accounts[0].keys.append(KeyConfig(ED25519_API_KEY, "ED25519", public_key=public.decode()))
    return config, Ed25519Signer.from_key(key)


@asynccontextmanager
async def local_exchange(config: SimConfig | None = None, **streams: float) -> AsyncIterator[LocalExchange]:
    """A started exchange without synthetic market; ``streams`` overrides its stream config
    (ping interval, lifetime ...) for every connection opened afterwards."""
    ex = LocalExchange(config, market=False)
    for name, value in streams.items():
        setattr(ex.state.config.streams, name, value)
    async with ex:
        yield ex


def random_orders(ex: LocalExchange, rng: random.Random, count: int, symbol: str = "BTCUSDT") -> None:
    """Resting orders on both sides around 60000, some crossing (trades, level removals)."""
    for _ in range(count):
        side = rng.choice(("BUY", "SELL"))
        offset = rng.randint(-20, 20)
        price = Decimal(60_000 + (offset if side == "SELL" else -offset))
        ex.add_liquidity(symbol, side, price, Decimal(rng.randint(1, 50)) / 100)


async def keep_trading(
    ex: LocalExchange, stop: asyncio.Event, seed: int = 1, per_tick: int = 3, max_ticks: int = 3000
) -> None:
    """Generate activity until ``stop`` is set, for at most ``max_ticks`` rounds (~30 s)."""
    rng = random.Random(seed)
    for _ in range(max_ticks):
        if stop.is_set():
            return
        random_orders(ex, rng, per_tick)
        await asyncio.sleep(0.01)


async def collect(stream: Any, until: Callable[[list[Any]], bool], timeout: float = 5.0) -> list[Any]:
    """Items from ``stream`` (async iterable) until ``until(items)`` holds, within ``timeout``."""
    seen: list[Any] = []

    async def run() -> None:
        async for item in stream:
            seen.append(item)
            if until(seen):
                return

    await asyncio.wait_for(run(), timeout)
    return seen
