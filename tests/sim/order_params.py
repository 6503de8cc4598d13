"""The plain order most REST tests place: a small BTCUSDT LIMIT buy well below the market,
so it rests and locks 500 USDT. Read-only, so no test can change it for another."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

LIMIT_BUY: Mapping[str, object] = MappingProxyType(
    {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.01",
        "price": "50000",
    }
)
