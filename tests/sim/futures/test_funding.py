"""Funding at each funding time on the settable clock: ``amount * mark * rate`` paid by longs
to shorts when the rate is positive, booked as FUNDING_FEE income, into the cross wallet or
the isolated position's wallet, and pushed as one ACCOUNT_UPDATE with reason FUNDING_FEE per
payment (a cross one with the balance only, an isolated one with its position)."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import msgspec
import pytest

from tests.sim.futures.futures_helpers import WALLET, futures_exchange, order
from tradeexec.binance.models.futures_events import FuturesAccountUpdate, FuturesUserEvent
from tradeexec.sim.futures.engine import FuturesEngine

EIGHT_HOURS = 8 * 3_600_000
WAIT = 10.0


async def test_funding_times_passed_are_each_settled() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        ex.futures_add_liquidity("ETHUSDT", "BUY", "3000", "5")
        await api.signed("POST", "/fapi/v1/marginType", {"symbol": "ETHUSDT", "marginType": "ISOLATED"})
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": 10})
        await order(api, "BTCUSDT", "BUY", "1")  # fee 30
        await order(api, "ETHUSDT", "SELL", "2")  # fee 3, isolated wallet 600
        ex.futures_set_mark_price("BTCUSDT", "60000")
        ex.futures_set_mark_price("ETHUSDT", "3000")
        ex.futures_set_funding_rate("ETHUSDT", "0.0005")
        key = (await api.request("POST", "/fapi/v1/listenKey", headers={"X-MBX-APIKEY": ex.api_key})).body
        async with api.session.ws_connect(f"{ex.ws_url}/private/ws/{key['listenKey']}") as ws:
            await api.signed("GET", "/fapi/v3/account")  # the first funding time is now fixed
            ex.state.clock.advance(2 * EIGHT_HOURS)  # two funding times pass
            account = (await api.signed("GET", "/fapi/v3/account", timestamp=ex.state.now_ms())).body
            events = [
                msgspec.json.decode(await asyncio.wait_for(ws.receive_str(), WAIT), type=FuturesUserEvent)
                for _ in range(4)
            ]
        now = ex.state.now_ms()  # the server's clock is 16 hours ahead of this machine's now
        income = (
            await api.signed("GET", "/fapi/v1/income", {"incomeType": "FUNDING_FEE"}, timestamp=now)
        ).body
        rows = (await api.signed("GET", "/fapi/v3/positionRisk", {"symbol": "ETHUSDT"}, timestamp=now)).body
    # Each time: BTC long pays 1 * 60,000 * 0.0001 = 6; ETH short receives 2 * 3,000 * 0.0005 = 3.
    assert [(r["symbol"], D(r["income"])) for r in income] == [
        ("BTCUSDT", D("-6")),
        ("ETHUSDT", D("3")),
        ("BTCUSDT", D("-6")),
        ("ETHUSDT", D("3")),
    ]
    assert D(account["totalWalletBalance"]) == WALLET - D("33") - D("12") + D("6")
    (eth,) = rows
    assert D(eth["isolatedWallet"]) == D("600") + D("6")  # 2 * 3,000 / 10, plus two payments
    # One ACCOUNT_UPDATE per payment (Binance's docs): the cross position's states the
    # balance only, the isolated position's the balance and that position alone.
    stated = []
    for ev in events:
        assert isinstance(ev, FuturesAccountUpdate) and ev.account.reason == "FUNDING_FEE"
        (usdt,) = ev.account.balances
        stated.append(([p.symbol for p in ev.account.positions], usdt.balance_change, usdt.wallet_balance))
    after_fees = WALLET - D("33")
    assert stated == [
        ([], D(-6), after_fees - 6),
        (["ETHUSDT"], D(3), after_fees - 3),
        ([], D(-6), after_fees - 9),
        (["ETHUSDT"], D(3), after_fees - 6),
    ]


async def test_a_four_hour_symbol_is_charged_twice_in_eight_hours() -> None:
    """ETHUSDT on a 4-hour interval, BTCUSDT on 8: over 8 hours ETH settles twice, BTC once,
    in time order; premiumIndex tells each symbol's own next funding time and fundingInfo
    lists the adjusted symbol only."""
    async with futures_exchange() as (ex, api):
        ex.futures_set_funding_interval("ETHUSDT", 4, cap="0.02")
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        ex.futures_add_liquidity("ETHUSDT", "SELL", "3000", "5")
        await order(api, "BTCUSDT", "BUY", "1")
        await order(api, "ETHUSDT", "BUY", "2")
        ex.futures_set_mark_price("BTCUSDT", "60000")
        ex.futures_set_mark_price("ETHUSDT", "3000")
        premium = {r["symbol"]: r for r in (await api.public("GET", "/fapi/v1/premiumIndex")).body}
        info = (await api.public("GET", "/fapi/v1/fundingInfo")).body
        start = ex.state.now_ms()
        ex.state.clock.advance(EIGHT_HOURS)
        now = ex.state.now_ms()
        income = (
            await api.signed("GET", "/fapi/v1/income", {"incomeType": "FUNDING_FEE"}, timestamp=now)
        ).body
        after = (await api.public("GET", "/fapi/v1/premiumIndex", {"symbol": "ETHUSDT"})).body
    four, eight = 4 * 3_600_000, EIGHT_HOURS
    assert premium["ETHUSDT"]["nextFundingTime"] == (start // four + 1) * four
    assert premium["BTCUSDT"]["nextFundingTime"] == (start // eight + 1) * eight
    # The flat-premium rate is the interest rate's share of the interval: 0.005 % per 4 hours.
    assert D(premium["ETHUSDT"]["lastFundingRate"]) == D("0.00005")
    assert D(premium["BTCUSDT"]["lastFundingRate"]) == D("0.0001")
    assert [(r["symbol"], r["fundingIntervalHours"], D(r["adjustedFundingRateCap"])) for r in info] == [
        ("ETHUSDT", 4, D("0.02"))
    ]
    # BTC long pays 60,000 * 0.0001 = 6 once; ETH long pays 2 * 3,000 * 0.00005 = 0.3 twice.
    eth = [r for r in income if r["symbol"] == "ETHUSDT"]
    btc = [r for r in income if r["symbol"] == "BTCUSDT"]
    assert [D(r["income"]) for r in eth] == [D("-0.3"), D("-0.3")]
    assert [D(r["income"]) for r in btc] == [D("-6")]
    assert eth[1]["time"] - eth[0]["time"] == four
    assert [r["time"] for r in income] == sorted(r["time"] for r in income)
    assert after["nextFundingTime"] == (now // four + 1) * four


def test_the_rate_formula_takes_each_symbols_interval_and_adjusted_cap() -> None:
    """With Binance's pricing on and no premium sampled, the rate is the interest rate's share
    of the interval (N = 4: half of 0.01 %); an adjusted cap clamps it; 3 hours is refused."""
    fe = FuturesEngine([("alice", D("1000"))])
    fe.funding.adjust("ETHUSDT", 4, None, 0)
    fe.use_index(lambda symbol: fe.contract(symbol).start_price)
    assert fe.funding_rate("ETHUSDT") == D("0.00005")
    assert fe.funding_rate("BTCUSDT") == D("0.0001")
    fe.funding.adjust("BTCUSDT", 8, D("0.00003"), 0)
    assert fe.funding_rate("BTCUSDT") == D("0.00003")
    with pytest.raises(ValueError, match="funding interval 3 h: Binance uses 1, 4 or 8 hours"):
        fe.funding.adjust("BTCUSDT", 3, None, 0)
