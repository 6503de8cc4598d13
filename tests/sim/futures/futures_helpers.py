"""Shared by the futures tests: a local exchange whose first account starts with a small
USDT wallet (so that liquidation prices are positive and checkable), and a signing client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import aiohttp

from tests.sim.conftest import Api
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.sim import LocalExchange, SimConfig
from tradeexec.sim.config import AccountConfig

WALLET = Decimal("10000")


@asynccontextmanager
async def futures_exchange(
    wallet: Decimal = WALLET, others: Sequence[str] = ()
) -> AsyncIterator[tuple[LocalExchange, Api]]:
    """``others``: more accounts (100,000 USDT each), to trade through the engine."""
    cfg = SimConfig.default()
    cfg.market.enabled = False
    cfg.accounts[0].balances["USDT"] = wallet
    cfg.accounts += [AccountConfig(name, {"USDT": Decimal(100_000)}) for name in others]
    async with LocalExchange(cfg, market=False) as ex, aiohttp.ClientSession() as session:
        yield ex, Api(session, ex.rest_url, ex.api_key, HmacSigner(ex.api_secret))


async def order(api: Api, symbol: str, side: str, qty: str, **extra: Any) -> Any:
    params = {"symbol": symbol, "side": side, "type": "MARKET", "quantity": qty, **extra}
    reply = await api.signed("POST", "/fapi/v1/order", params)
    return reply.body


async def position(api: Api, symbol: str, side: str = "BOTH") -> dict[str, Any]:
    rows = (await api.signed("GET", "/fapi/v3/positionRisk", {"symbol": symbol})).body
    found = [r for r in rows if r["positionSide"] == side]
    return found[0] if found else {}
