"""Shared by the ALGO_UPDATE attacks: a user stream proxy that can lose frames and cut the
connection, and an order feed on ``FuturesVenue``'s user stream through it, beside a manager
whose poller is slowed right down (so what the stream says, or its recovery, is what moves
an order)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tests.adversarial.futures_exactly_once_helpers import Futures
from tests.adversarial.stream_proxy import StreamProxy, _Held
from tradeexec.binance.futures_venue_stream import FuturesVenueStream
from tradeexec.binance.ws.futures_userdata import FuturesUserData
from tradeexec.execution.feed import OrderFeed
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.risk import RiskLimits, RiskManager

SLOW_POLL_S = 60.0  # the poller never runs a round within a test


class LossyProxy(StreamProxy):
    """A ``StreamProxy`` that also loses every frame ``lose`` says to (counted in ``lost``)
    and can cut its clients' connections (``cut``): what a stream outage does."""

    def __init__(self, upstream: str, **options: float | int) -> None:
        super().__init__(upstream, **options)  # type: ignore[arg-type]
        self.lose: Callable[[str | bytes], bool] = lambda _frame: False
        self.lost = 0
        self._downs: set[web.WebSocketResponse] = set()

    async def _forward(self, down: web.WebSocketResponse, data: str | bytes, held: list[_Held]) -> None:
        self._downs.add(down)
        if self.lose(data):
            self.lost += 1
            return
        await super()._forward(down, data, held)

    async def cut(self) -> None:
        """Close every client connection: the stream reconnects and recovers."""
        for down in list(self._downs):
            await down.close()
        self._downs.clear()


def is_algo_update(frame: str | bytes) -> bool:
    return (b"ALGO_UPDATE" if isinstance(frame, bytes) else "ALGO_UPDATE") in frame


@dataclass
class Streamed:
    om: OrderManager
    feed: OrderFeed
    proxy: LossyProxy


@contextlib.asynccontextmanager
async def streamed(
    f: Futures, path: Path, *, poll_s: float = SLOW_POLL_S, **proxy: float | int
) -> AsyncIterator[Streamed]:
    """A manager with its poller slowed right down (unless ``poll_s`` says otherwise) and an
    order feed on the futures user stream through a ``LossyProxy`` (no reordering unless
    ``proxy`` asks for it)."""
    options: dict[str, float | int] = {"hold": 0.0, "duplicate": 0.0, **proxy}
    risk = RiskManager(RiskLimits(require_ip_restriction=False, max_orders_per_second=None))
    with Journal(path) as journal:
        async with (
            LossyProxy(f.client.settings.urls.stream, **options) as lossy,
            OrderManager(
                f.venue, journal, strategy="fx1", risk=risk, poll_interval_s=poll_s,
                stale_after_s=poll_s, live_poll_factor=1.0, resend_margin_ms=100,
            ) as om,
        ):  # fmt: skip
            inner = FuturesUserData(f.client, lossy.url, backoff_base_s=0.05)
            feed = OrderFeed(FuturesVenueStream(inner), om, account=f.venue, resync_backoff_s=0.05)
            async with feed:
                await feed.wait_synced(10.0)
                yield Streamed(om, feed, lossy)
