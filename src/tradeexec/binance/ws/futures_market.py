"""USDⓈ-M futures market streams on today's routed endpoints, with spot's ``MarketStream``
machinery (combined streams, reconnects, handover, SUBSCRIBE pacing) and futures decoders.

One ``FuturesMarketStream`` serves one route: ``/public`` (depth, bookTicker) or ``/market``
(aggTrade, kline, markPrice, forceOrder ...), chosen by ``futures_routes.route_of``. A stream
of the other route would be accepted by Binance and never deliver, so it is refused here,
at construction and at ``subscribe``, with the field and the rule named."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from tradeexec.binance.models.futures_market_events import FUTURES_MARKET_DECODER, FuturesBookTickerEvent
from tradeexec.binance.models.market_events import DEPTH_UPDATE_DECODER, PayloadDecoder
from tradeexec.binance.ws.futures_routes import FuturesRoute, route_of
from tradeexec.binance.ws.streams import MarketStream
from tradeexec.errors import InvalidParameter

__all__ = ["FuturesMarketStream", "futures_market_decoder"]

_BOOK_TICKER_DECODER = msgspec.json.Decoder(FuturesBookTickerEvent)


def futures_market_decoder(stream: str) -> PayloadDecoder:
    """Diff and partial depth are both ``depthUpdate`` events on futures (``pu`` included);
    the book ticker is tagged; everything else decodes by its ``e``."""
    kind = stream.split("@")[1] if "@" in stream else ""
    if kind.startswith("depth"):
        return DEPTH_UPDATE_DECODER
    if kind == "bookTicker":
        return _BOOK_TICKER_DECODER
    return FUTURES_MARKET_DECODER


class FuturesMarketStream(MarketStream):
    """``FuturesMarketStream(stream_host, ["btcusdt@depth@100ms"])`` connects to
    ``<stream_host>/public/stream?streams=...``; give ``route`` when starting with no stream."""

    def __init__(
        self,
        stream_host: str,
        streams: Iterable[str] = (),
        *,
        route: FuturesRoute | None = None,
        **options: Any,
    ) -> None:
        names = list(streams)
        routes = {route_of(s) for s in names} | ({route} if route is not None else set())
        if len(routes) != 1:
            raise InvalidParameter(
                "streams",
                "one route per connection: /public streams (depth, bookTicker) apart from /market "
                "streams; with no stream, name the route",
                f"routes {sorted(routes)}",
            )
        (self.route,) = routes
        if self.route == "private":
            raise InvalidParameter("route", "public or market (user data is FuturesUserData)", "private")
        super().__init__(
            f"{stream_host.rstrip('/')}/{self.route}", names, decoder_for=futures_market_decoder, **options
        )

    async def subscribe(self, streams: Iterable[str]) -> None:
        names = list(streams)
        wrong = [s for s in names if route_of(s) != self.route]
        if wrong:
            raise InvalidParameter(
                "streams", f"streams of the /{self.route} route on this connection", f"{wrong}"
            )
        await super().subscribe(names)
