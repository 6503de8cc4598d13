"""A local exchange serving futures, with a ``BinanceClient`` pointed at it that records the
path of every REST call it makes (to prove which API family a recovery used)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradeexec.binance.client import BinanceClient
from tradeexec.sim import LocalExchange, SimConfig

WALLET = Decimal("10000")


class RecordingClient(BinanceClient):
    """Records ``(method, path)`` of each REST call before it is sent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.paths: list[tuple[str, str]] = []

    def _call(self, method: str, path: str, *rest: Any) -> Any:
        self.paths.append((method, path))
        return super()._call(method, path, *rest)


@asynccontextmanager
async def futures_client(tmp_path: Path) -> AsyncIterator[tuple[LocalExchange, RecordingClient]]:
    cfg = SimConfig.default()
    cfg.market.enabled = False
    cfg.accounts[0].balances["USDT"] = WALLET
    (tmp_path / "empty.toml").touch()
    async with LocalExchange(cfg, market=False) as ex:
        client = RecordingClient(
            ex.api_key, ex.api_secret, base_url=ex.rest_url, config_path=tmp_path / "empty.toml"
        )
        async with client:
            yield ex, client
