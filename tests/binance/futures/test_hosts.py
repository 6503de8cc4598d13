"""Futures venues name today's hosts, and each stream kind goes to its routed path: a stream
on the wrong path connects but never delivers, so the route must come from the stream name."""

from __future__ import annotations

import pytest

from tradeexec.binance.ws.futures_routes import futures_market_url, futures_user_url, route_of
from tradeexec.config import Venue, venue_urls
from tradeexec.errors import InvalidParameter

LIVE = venue_urls(Venue.USDM_FUTURES).stream


def test_futures_venues_use_the_documented_hosts() -> None:
    live, testnet, demo = (venue_urls(v) for v in (Venue.USDM_FUTURES, Venue.FUTURES_TESTNET, "futures-demo"))
    assert (live.base_for("/fapi/v1/order"), live.stream) == (
        "https://fapi.binance.com",
        "wss://fstream.binance.com",
    )
    assert testnet.base_for("/fapi/v1/order") == "https://testnet.binancefuture.com"
    assert testnet.stream == "wss://stream.binancefuture.com"
    assert (demo.base_for("/fapi/v1/algoOrder"), demo.stream) == (
        "https://demo-fapi.binance.com",
        "wss://demo-fstream.binance.com",
    )


@pytest.mark.parametrize(
    ("stream", "url"),
    [
        ("btcusdt@depth", "wss://fstream.binance.com/public/ws/btcusdt@depth"),
        ("btcusdt@depth20@100ms", "wss://fstream.binance.com/public/ws/btcusdt@depth20@100ms"),
        ("btcusdt@bookTicker", "wss://fstream.binance.com/public/ws/btcusdt@bookTicker"),
        ("!bookTicker", "wss://fstream.binance.com/public/ws/!bookTicker"),
        ("btcusdt@aggTrade", "wss://fstream.binance.com/market/ws/btcusdt@aggTrade"),
        ("btcusdt@markPrice@1s", "wss://fstream.binance.com/market/ws/btcusdt@markPrice@1s"),
        ("btcusdt@kline_1m", "wss://fstream.binance.com/market/ws/btcusdt@kline_1m"),
        ("!ticker@arr", "wss://fstream.binance.com/market/ws/!ticker@arr"),
    ],
)
def test_each_stream_kind_goes_to_its_route(stream: str, url: str) -> None:
    assert futures_market_url(LIVE, [stream]) == url


def test_combined_streams_share_one_route_or_are_refused() -> None:
    assert futures_market_url(LIVE, ["btcusdt@aggTrade", "ethusdt@markPrice"]) == (
        "wss://fstream.binance.com/market/stream?streams=btcusdt@aggTrade/ethusdt@markPrice"
    )
    with pytest.raises(InvalidParameter, match="streams: one connection serves one route") as err:
        futures_market_url(LIVE, ["btcusdt@depth", "btcusdt@aggTrade"])
    assert "btcusdt@depth" in err.value.detail
    with pytest.raises(InvalidParameter, match="stream"):
        route_of("btcusdt@depth/btcusdt@aggTrade")


def test_the_user_stream_goes_to_private_never_to_the_retired_ws_path() -> None:
    demo = venue_urls(Venue.FUTURES_DEMO).stream
    assert futures_user_url(LIVE, "abc123") == "wss://fstream.binance.com/private/ws/abc123"
    assert futures_user_url(demo, "k") == "wss://demo-fstream.binance.com/private/ws/k"
    with pytest.raises(InvalidParameter, match="listenKey"):
        futures_user_url(LIVE, "")
