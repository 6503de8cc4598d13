"""What every stream client (market streams, the WebSocket API, the user-data stream) reports
about its connection -- ``ConnectionEvent`` and its ``ConnectionState`` -- the words for a failed
connection, and the stream errors a consumer can catch."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum

import aiohttp

from tradeexec.errors import TradeexecError


class StreamOverflow(TradeexecError):
    """The consumer fell ``queue_size`` events behind with ``overflow="fail"``."""


class StreamRequestError(TradeexecError):
    """The server refused a SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS, or did not answer."""


class ConnectionState(StrEnum):
    CONNECTED = "connected"  # first connection of a shard
    DISCONNECTED = "disconnected"  # a connection ended unplanned; a reconnect follows
    RECONNECTED = "reconnected"  # back up, subscriptions restored
    HANDOVER = "handover"  # planned replacement before the lifetime cut-off, no gap


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """``reason`` is a sentence for people; ``status`` the HTTP status of a refused
    handshake (a 4xx other than 418/429 means the request itself is wrong: retrying the same
    names cannot succeed)."""

    state: ConnectionState
    shard: int
    reason: str = ""
    attempt: int = 0
    status: int | None = None


def describe_failure(exc: BaseException) -> str:
    """Why a connection failed, in words (not an object's repr): what a person reads on a
    status line."""
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return f"handshake refused: HTTP {exc.status} {exc.message}".rstrip()
    if isinstance(exc, aiohttp.ClientConnectorError):
        error = exc.os_error
        why = os.strerror(error.errno) if error.errno else str(error) or type(error).__name__
        return f"cannot connect to {exc.host}:{exc.port}: {why}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
