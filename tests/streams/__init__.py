"""Shared helpers for the stream tests: a local exchange with its WebSocket side, and market
activity generated through its admin API."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tradeexec.binance.auth import Ed25519Signer
from tradeexec.sim import LocalExchange
from tradeexec.sim.config import KeyConfig, SimConfig
from tradeexec.sim.ws_routes import WS_KEY, setup_ws_routes

ED25519_API_KEY = "ed25519testkey" + "x" * 50


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
    if WS_KEY not in ex.app:
        setup_ws_routes(ex.app, ex.state)
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


async def keep_trading(ex: LocalExchange, stop: asyncio.Event, seed: int = 1, per_tick: int = 3) -> None:
    """Generate activity until ``stop`` is set (bounded by the caller's timeouts)."""
    rng = random.Random(seed)
    while not stop.is_set():
        random_orders(ex, rng, per_tick)
        await asyncio.sleep(0.01)
