"""One Binance endpoint as the local exchange serves it: the handler it runs, its REST route,
security type, weight and WebSocket API method."""

from __future__ import annotations

from dataclasses import dataclass

from tradeexec.binance.enums import SecurityType


@dataclass(frozen=True, slots=True)
class Operation:
    """One endpoint: ``handler`` names the ``Service`` method; ``ws_method`` the WebSocket API
    method that maps to it (None when the WebSocket API has none); ``weight`` the fallback
    request weight when the shared endpoint registry does not know the endpoint."""

    handler: str
    method: str
    path: str
    security: SecurityType
    weight: int = 1
    ws_method: str | None = None
