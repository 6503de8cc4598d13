"""One WebSocket API connection and the requests sent on it, so that a ``serverShutdown``
can be handled as Binance asks: open a new connection at once, send new requests on it, and
let the old one deliver the answers of the requests already on it (make before break).

Binance's spot WebSocket API sends ``{"event": {"e": "serverShutdown", "E": ...}}`` (no
``subscriptionId``: a connection event, not a user data event) "when the server is about to
shut down", asking for a new connection as soon as possible; the documentation gives no time
before the disconnection (the 10 minutes it first gave were withdrawn). Requests in flight on
the old connection were received by it: sending them again on the new one could place an
order twice, so they stay where they are and are answered there, or, when the old connection
ends first, end as lost answers (``OrderStatusUnknown``: looked up, never resent)."""

from __future__ import annotations

import asyncio
import contextlib

import msgspec

from tradeexec.binance.models import ServerShutdown
from tradeexec.binance.net.wsconn import WsConnection
from tradeexec.binance.ws.wsapi_wire import WsApiEnvelope

__all__ = ["Link", "Pending", "is_server_shutdown", "retire"]

# Requests in flight on one connection: the future their answer resolves, and the loop time
# to give up on it.
Pending = dict[int, tuple[asyncio.Future[WsApiEnvelope], float]]


_SHUTDOWN = msgspec.json.Decoder(ServerShutdown)


def is_server_shutdown(event: bytes) -> bool:
    """Whether a subscription-less event is Binance's ``serverShutdown`` (another tag, or
    anything else, does not decode as one)."""
    try:
        _SHUTDOWN.decode(event)
    except msgspec.DecodeError:
        return False
    return True


class Link:
    """A connection, its requests in flight, and whether the server announced its shutdown."""

    __slots__ = ("pending", "shutdown", "ws")

    def __init__(self) -> None:
        self.ws: WsConnection | None = None
        self.pending: Pending = {}
        self.shutdown = asyncio.Event()

    def fail(self, error: BaseException) -> None:
        """Every request still waiting on this connection ends with ``error``."""
        waiting = list(self.pending.values())
        self.pending.clear()  # in place: the client sends into this very dict
        for fut, _ in waiting:
            if not fut.done():
                fut.set_exception(error)


async def retire(link: Link, lost: type[Exception]) -> None:
    """The connection replaced after ``serverShutdown``: its answers still arrive (or its
    end fails the rest as lost); it is closed once every request on it has been answered, or
    at their deadlines at the latest, the ones unanswered by then ending as timeouts."""
    try:
        waiting = list(link.pending.values())
        if waiting:
            loop = asyncio.get_running_loop()
            last = max(deadline for _, deadline in waiting)
            await asyncio.wait([fut for fut, _ in waiting], timeout=max(0.0, last - loop.time()))
            link.fail(TimeoutError())
    finally:
        link.fail(lost("connection retired"))
        if link.ws is not None:
            with contextlib.suppress(OSError, RuntimeError):
                await link.ws.close()
