"""Funding at each funding time on the settable clock: ``amount * mark * rate`` paid by longs
to shorts when the rate is positive, booked as FUNDING_FEE income, into the cross wallet or
the isolated position's wallet, and pushed as ACCOUNT_UPDATE with reason FUNDING_FEE."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import msgspec

from tests.sim.futures.futures_helpers import WALLET, futures_exchange, order
from tradeexec.binance.models.futures_events import FuturesAccountUpdate, FuturesUserEvent

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
            ]
            events.append(
                msgspec.json.decode(await asyncio.wait_for(ws.receive_str(), WAIT), type=FuturesUserEvent)
            )
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
    for ev in events:
        assert isinstance(ev, FuturesAccountUpdate) and ev.account.reason == "FUNDING_FEE"
        assert [p.symbol for p in ev.account.positions] == ["ETHUSDT"]  # the isolated one only
        assert ev.account.balances[0].balance_change == D("-3")
