"""The Binance adapter: signing, transport, rate limits, endpoints, typed calls, streams."""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["BinanceClient"]

if TYPE_CHECKING:
    from tradeexec.binance.client import BinanceClient


def __getattr__(name: str) -> object:
    # Lazy, so importing a light submodule (enums, auth) does not load the whole client.
    if name == "BinanceClient":
        from tradeexec.binance.client import BinanceClient

        return BinanceClient
    raise AttributeError(f"module 'tradeexec.binance' has no attribute {name!r}")
