"""The URL of a USDⓈ-M futures stream on today's routed endpoints.

Since 2026-04-23 Binance serves futures streams by path on the stream host: ``/public`` for
the high-frequency book streams (depth, bookTicker), ``/market`` for every other market
stream (aggTrade, markPrice, kline, ticker, ...) and ``/private`` for the user data stream
(listenKey). A connection on the wrong path is not refused: it simply never delivers, which
is why the route is chosen here from the stream name, and a combined connection that mixes
routes is refused before anything connects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from tradeexec.config import Venue, VenueUrls
from tradeexec.errors import ConfigError, InvalidParameter

__all__ = ["FuturesRoute", "futures_market_url", "futures_user_url", "futures_ws_api_url", "route_of"]

LIVE_WS_API = "wss://ws-fapi.binance.com/ws-fapi/v1"  # the WebSocket API's "General Info" page

FuturesRoute = Literal["public", "market", "private"]

# Stream-name parts carried by /public; everything else on the market side goes to /market.
_PUBLIC_PARTS = ("@depth", "@bookticker")
_PUBLIC_ALL = frozenset({"!bookticker"})


def route_of(stream: str) -> FuturesRoute:
    """``public`` for depth and bookTicker streams, ``market`` for the other market streams."""
    name = stream.strip().lower()
    if not name or "/" in name or "?" in name:
        raise InvalidParameter("stream", "a stream name such as btcusdt@depth", repr(stream))
    if name in _PUBLIC_ALL or any(part in name for part in _PUBLIC_PARTS):
        return "public"
    return "market"


def futures_market_url(stream_host: str, streams: Sequence[str]) -> str:
    """``<host>/<route>/ws/<stream>`` for one stream, ``<host>/<route>/stream?streams=a/b``
    (frames wrapped as ``{"stream", "data"}``) for several; all must share one route."""
    if not streams:
        raise InvalidParameter("streams", "at least one stream", "empty")
    routes = {route_of(s) for s in streams}
    if len(routes) > 1:
        public = sorted(s for s in streams if route_of(s) == "public")
        raise InvalidParameter(
            "streams",
            "one connection serves one route: open /public streams (depth, bookTicker) "
            "apart from /market streams",
            f"public {public} mixed with market streams",
        )
    (route,) = routes
    base = f"{stream_host.rstrip('/')}/{route}"
    if len(streams) == 1:
        return f"{base}/ws/{streams[0]}"
    return f"{base}/stream?streams={'/'.join(streams)}"


def futures_user_url(stream_host: str, listen_key: str) -> str:
    """``<host>/private/ws/<listenKey>``: the user data stream of a futures listenKey."""
    if not listen_key or "/" in listen_key or "?" in listen_key:
        raise InvalidParameter("listenKey", "the key returned by POST /fapi/v1/listenKey", "malformed")
    return f"{stream_host.rstrip('/')}/private/ws/{listen_key}"


def futures_ws_api_url(urls: VenueUrls) -> str:
    """The futures WebSocket API of a venue: Binance's ``ws-fapi`` host live, ``/ws-fapi/v1``
    on the local exchange's host; other venues are refused rather than guessed."""
    if urls.venue is Venue.USDM_FUTURES:
        return LIVE_WS_API
    if urls.venue is Venue.LOCAL:
        return f"{urls.stream.rstrip('/')}/ws-fapi/v1"
    raise ConfigError(f"venue {urls.venue.value}: no futures WebSocket API address is known for it")
