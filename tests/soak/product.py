"""What differs between the soak's spot run and its futures leg (issue 16), so that the one
harness drives both: the venue the core trades through, the symbols and their book streams,
the paths the chaos monkey strikes, the exchange's order entry and rate limiter the taps wrap,
the engine the invariants read, and the user data stream.

Everything else -- the random strategy, the chaos, the outside attacks, the mid-run stop, the
invariants that hold on both products -- is shared. The futures leg trades USDT-M perpetuals
(``/fapi``) in one-way mode, or hedge mode, at a leverage and margin type set at the start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.adversarial.stream_proxy import StreamProxy
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.futures_venue import FuturesVenue
from tradeexec.binance.futures_venue_stream import FuturesVenueStream
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.binance.venue import SpotVenue
from tradeexec.binance.venue_stream import SpotUserStream
from tradeexec.binance.ws.futures_userdata import FuturesUserData
from tradeexec.binance.ws.userdata import ListenKeyUserData, WsApiUserData
from tradeexec.binance.ws.wsapi import WsApiClient
from tradeexec.config import ApiFamily
from tradeexec.execution.feed import OrderFeed
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.sim.exchange import LocalExchange
from tradeexec.venue.positions import MarginMode

# The futures leg's setup: both listed contracts, each at its own leverage and margin type.
FUTURES_SETUP = {"BTCUSDT": (10, MarginMode.CROSSED), "ETHUSDT": (5, MarginMode.ISOLATED)}


@dataclass(frozen=True, slots=True)
class Product:
    name: str
    symbols: tuple[str, ...]
    market_path: str  # where the depth streams are served (``/stream`` under it)
    rest_targets: tuple[str, ...]  # paths for the REST faults (one-shot)
    write_targets: tuple[str, ...]  # paths where a write executes and its answer is lost
    stream_paths: tuple[str, ...]  # market streams, then the user data stream
    new_order: str  # the exchange service's order entry the order tap wraps
    limiter: str  # the exchange state's rate limiter for this product
    family: ApiFamily  # the host family its orders are signed for (each has its clock offset)

    @property
    def futures(self) -> bool:
        return self.name == "futures"

    def venue(self, client: BinanceClient) -> Any:
        return FuturesVenue(client) if self.futures else SpotVenue(client)

    def engine(self, ex: LocalExchange) -> Any:
        """The matching engine holding this product's orders and trades."""
        return ex.state.futures.engine if self.futures else ex.state.engine

    async def snapshot(self, client: BinanceClient, symbol: str) -> object:
        if self.futures:
            return await client.futures_depth(symbol, limit=100)
        return await client.depth(symbol, limit=100)


SPOT = Product(
    "spot", ("BTCUSDT", "ETHUSDT", "BNBUSDT", "ETHBTC"), "",
    rest_targets=("/api/v3/order", "/api/v3/*", "*"),
    write_targets=("/api/v3/order", "/api/v3/order", "/api/v3/openOrders"),
    stream_paths=("/stream*",), new_order="new_order", limiter="limiter", family=ApiFamily.SPOT,
)  # fmt: skip
FUTURES = Product(
    "futures", tuple(FUTURES_SETUP), "/public",
    rest_targets=("/fapi/v1/order", "/fapi/*", "*"),
    write_targets=("/fapi/v1/order", "/fapi/v1/order", "/fapi/v1/allOpenOrders"),
    stream_paths=("/public/stream*", "/private/*"), new_order="f_new_order", limiter="futures_limiter",
    family=ApiFamily.USDM,
)  # fmt: skip


async def set_up_futures(venue: FuturesVenue, *, hedge: bool) -> None:
    """Position mode, leverage and margin type, set before the first order (as a strategy
    would at start); the client's own calls, so faults can strike them too."""
    if hedge:
        await venue.client.futures_change_position_mode(True)
    for symbol, (leverage, mode) in FUTURES_SETUP.items():
        await venue.set_margin_mode(symbol, mode)
        await venue.set_leverage(symbol, leverage)


def feed_for(product: Product, manager: OrderManager, client: BinanceClient, ex: LocalExchange, *,
             legacy: bool, proxy: StreamProxy | None) -> OrderFeed:
    """The product's feed. Spot: the legacy stream is built by hand only to detect silence in
    seconds rather than the default two minutes, and the WebSocket API session by hand only
    to run it through the reordering proxy. Futures: the listenKey stream on ``/private``,
    through the proxy when one is given."""
    venue = manager.venue
    if product.futures:
        if proxy is None:
            return OrderFeed(venue.user_stream(backoff_base_s=0.05), manager, account=venue)
        inner = FuturesUserData(client, proxy.url, backoff_base_s=0.05)
        stream = FuturesVenueStream(inner, venue._leverage, venue._margin_modes)
        return OrderFeed(stream, manager, account=venue)
    if legacy:
        listen = ListenKeyUserData(client, ex.ws_url, keepalive_s=5.0, silence_timeout_s=3.0,
                                   backoff_base_s=0.05)
        return OrderFeed(SpotUserStream(listen), manager, account=venue)
    if proxy is None:
        return OrderFeed(venue.user_stream(backoff_base_s=0.05), manager, account=venue)
    api = WsApiClient(f"{proxy.url}/ws-api/v3", ex.api_key, HmacSigner(ex.api_secret), backoff_base_s=0.05,
                      silence_timeout_s=6.0)
    return OrderFeed(SpotUserStream(WsApiUserData(api, client), (api,)), manager, account=venue)

