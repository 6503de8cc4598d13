"""tradeexec: exactly-once execution for Binance, with a Binance-compatible local exchange."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = ["BinanceClient", "SyncClient", "__version__"]

if TYPE_CHECKING:
    from tradeexec.binance.client import BinanceClient
    from tradeexec.sync import SyncClient


def __getattr__(name: str) -> object:
    # Lazy, so `import tradeexec` does not pull in aiohttp and the whole client.
    if name == "BinanceClient":
        from tradeexec.binance.client import BinanceClient

        return BinanceClient
    if name == "SyncClient":
        from tradeexec.sync import SyncClient

        return SyncClient
    raise AttributeError(f"module 'tradeexec' has no attribute {name!r}")
