"""The USDⓈ-M market data endpoints over real sockets, each answer decoded by the client's
own struct with unknown fields forbidden (a key the model lacks fails): aggTrades,
markPriceKlines, indexPriceKlines, fundingRate, fundingInfo, ticker/24hr, openInterest.

The guarantee that matters most: the funding rate history is what the accounts were
actually charged, row by row (the income of every FUNDING_FEE equals position * the
history's mark price * the history's rate)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import msgspec

from tests.sim.futures.futures_helpers import futures_exchange, order
from tradeexec.binance.models import Kline
from tradeexec.binance.models.futures_market_data import (
    FundingInfo,
    FundingRateRecord,
    FuturesAggTrade,
    FuturesTicker24hr,
    OpenInterest,
)
from tradeexec.binance.net.endpoints import lookup

EIGHT_HOURS = 8 * 3_600_000


def keys_match(model: type[msgspec.Struct], row: dict[str, Any]) -> None:
    wire_names = {f.encode_name for f in msgspec.structs.fields(model)}
    assert set(row) <= wire_names, f"{model.__name__} lacks {set(row) - wire_names}"


async def test_funding_history_is_what_the_accounts_were_charged() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        ex.futures_add_liquidity("ETHUSDT", "BUY", "3000", "5")
        await order(api, "BTCUSDT", "BUY", "0.5")
        await order(api, "ETHUSDT", "SELL", "2")
        ex.futures_set_funding_rate("ETHUSDT", "0.0005")
        ex.futures_set_funding_rate("BTCUSDT", "-0.00025")
        await api.signed("GET", "/fapi/v3/account")  # fixes the first funding time
        ex.futures_set_mark_price("BTCUSDT", "61234.5")
        ex.state.clock.advance(EIGHT_HOURS)
        await api.signed("GET", "/fapi/v3/account", timestamp=ex.state.now_ms())
        ex.futures_set_mark_price("BTCUSDT", "59000.25")
        ex.futures_set_funding_rate("ETHUSDT", "-0.0001")
        ex.state.clock.advance(EIGHT_HOURS)
        now = ex.state.now_ms()
        fees = {"incomeType": "FUNDING_FEE"}
        income = (await api.signed("GET", "/fapi/v1/income", fees, timestamp=now)).body
        history = (await api.public("GET", "/fapi/v1/fundingRate")).body
        eth_only = (await api.public("GET", "/fapi/v1/fundingRate", {"symbol": "ETHUSDT", "limit": 1})).body
    for row in history:
        keys_match(FundingRateRecord, row)
    rows = msgspec.convert(history, list[FundingRateRecord])
    assert len(rows) == 2 * 2  # two funding times, two contracts
    by_key = {(r.symbol, r.funding_time): r for r in rows}
    positions = {"BTCUSDT": D("0.5"), "ETHUSDT": D("-2")}
    assert len(income) == 4
    for inc in income:
        r = by_key[(inc["symbol"], inc["time"])]
        charged = -positions[r.symbol] * r.mark_price * r.funding_rate
        assert D(inc["income"]) == charged.quantize(D("0.00000001"))
    assert [r.funding_rate for r in rows if r.symbol == "ETHUSDT"] == [D("0.0005"), D("-0.0001")]
    assert [r.mark_price for r in rows if r.symbol == "BTCUSDT"] == [D("61234.5"), D("59000.25")]
    assert [r["fundingRate"] for r in eth_only] == ["-0.00010000"]  # the most recent, 8 decimals


async def test_market_answers_decode_with_the_clients_structs() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60010", "1")
        await order(api, "BTCUSDT", "BUY", "0.3")
        await order(api, "BTCUSDT", "BUY", "0.9")
        ex.futures_set_mark_price("BTCUSDT", "60005")
        agg = await api.public("GET", "/fapi/v1/aggTrades", {"symbol": "BTCUSDT"})
        ticker = (await api.public("GET", "/fapi/v1/ticker/24hr", {"symbol": "BTCUSDT"})).body
        every = (await api.public("GET", "/fapi/v1/ticker/24hr")).body
        interest = (await api.public("GET", "/fapi/v1/openInterest", {"symbol": "BTCUSDT"})).body
        ex.futures_set_funding_interval("ETHUSDT", 4)
        info = (await api.public("GET", "/fapi/v1/fundingInfo")).body
        one_minute = {"symbol": "BTCUSDT", "interval": "1m"}
        marks = (await api.public("GET", "/fapi/v1/markPriceKlines", one_minute)).body
        by_pair = {"pair": "BTCUSDT", "interval": "1m"}
        index = (await api.public("GET", "/fapi/v1/indexPriceKlines", by_pair)).body
        bad = await api.public("GET", "/fapi/v1/openInterest", {"symbol": "NOPEUSDT"})
    for row in agg.body:
        keys_match(FuturesAggTrade, row)
    trades = msgspec.convert(agg.body, list[FuturesAggTrade])
    fills = [(D("60000"), D("0.3")), (D("60000"), D("0.7")), (D("60010"), D("0.2"))]
    assert [(t.price, t.qty) for t in trades] == fills
    assert agg.headers["X-MBX-USED-WEIGHT-1M"] == "20"
    keys_match(FuturesTicker24hr, ticker)
    t = msgspec.convert(ticker, FuturesTicker24hr)
    assert (t.count, t.last_price, t.last_qty, t.volume) == (3, D("60010"), D("0.2"), D("1.2"))
    assert [r["symbol"] for r in every] == list(ex.state.futures.contracts)
    keys_match(OpenInterest, interest)
    assert msgspec.convert(interest, OpenInterest).open_interest == D("1.2")
    for row in info:
        keys_match(FundingInfo, row)
    # Only the adjusted symbol is listed (Binance: those with an adjusted interval or cap).
    assert [(r.symbol, r.funding_interval_hours) for r in msgspec.convert(info, list[FundingInfo])] == [
        ("ETHUSDT", 4)
    ]
    (candle,) = msgspec.convert(marks, list[Kline])
    assert candle.close == D("60005") and candle.volume == 0 and candle.trades >= 1
    assert msgspec.convert(index, list[Kline]) == [candle]
    assert (bad.status, bad.body["code"]) == (400, -1121)


def test_weights_are_the_documented_ones() -> None:
    assert lookup("GET", "/fapi/v1/aggTrades").weight_for({}) == 20
    assert lookup("GET", "/fapi/v1/markPriceKlines").weight_for({"limit": 99}) == 1
    assert lookup("GET", "/fapi/v1/markPriceKlines").weight_for({"limit": 1500}) == 10
    assert lookup("GET", "/fapi/v1/fundingInfo").weight_for({}) == 0
    assert lookup("GET", "/fapi/v1/ticker/24hr").weight_for({}) == 40
    assert lookup("GET", "/fapi/v1/openInterest").weight_for({"symbol": "BTCUSDT"}) == 1
