"""Liquidation happens at the liquidation price of the hand computation (``test_margin_cases``)
and not a tick before, and leaves the account as described in ``sim/futures/liquidation.py``;
a property: whatever the mark does, no wallet goes negative and no position survives a
margin ratio of 100 %."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sim.futures.futures_helpers import WALLET, futures_exchange, order, position
from tradeexec.binance.enums import Side
from tradeexec.sim.futures import FuturesEngine, FuturesOrderRequest


async def test_isolated_short_is_liquidated_at_its_liquidation_price() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("ETHUSDT", "BUY", "3000", "10")
        await api.signed("POST", "/fapi/v1/marginType", {"symbol": "ETHUSDT", "marginType": "ISOLATED"})
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": 20})
        await order(api, "ETHUSDT", "SELL", "2")
        ex.futures_set_mark_price("ETHUSDT", "3134.32")  # LP 3,134.3283...: still open
        assert D((await position(api, "ETHUSDT"))["positionAmt"]) == D("-2")
        ex.futures_set_mark_price("ETHUSDT", "3134.33")
        assert await position(api, "ETHUSDT") == {}
        account = (await api.signed("GET", "/fapi/v3/account")).body
        income = (await api.signed("GET", "/fapi/v1/income", {"symbol": "ETHUSDT"})).body
    # The account loses the fee (3) and exactly its isolated wallet (300).
    assert D(account["totalWalletBalance"]) == WALLET - D("3") - D("300")
    kinds = {r["incomeType"]: D(r["income"]) for r in income}
    assert kinds["REALIZED_PNL"] == D("-268.66")  # -2 * (3,134.33 - 3,000)
    assert kinds["INSURANCE_CLEAR"] == D("-31.34")  # what was left: 300 - 268.66


async def test_cross_long_is_liquidated_at_its_liquidation_price() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "5")
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 10})
        await order(api, "BTCUSDT", "BUY", "1")
        ex.futures_set_mark_price("BTCUSDT", "50231.16")  # LP 50,231.1557...: still open
        assert D((await position(api, "BTCUSDT"))["positionAmt"]) == D("1")
        ex.futures_set_mark_price("BTCUSDT", "50231.15")
        assert await position(api, "BTCUSDT") == {}
        account = (await api.signed("GET", "/fapi/v3/account")).body
    # 9,970 - 9,768.85 realized leaves 201.15, under the 201.15575 maintenance margin: all of
    # it is the clearance fee.
    assert D(account["totalWalletBalance"]) == D("0")


marks = st.lists(st.integers(min_value=30_000, max_value=90_000).map(D), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(marks, st.sampled_from(["CROSSED", "ISOLATED"]), st.sampled_from([5, 20, 50, 75]), st.booleans())
def test_no_wallet_goes_negative_and_no_position_outlives_100_percent(
    path: list[D], margin_type: str, leverage: int, long: bool
) -> None:
    fe = FuturesEngine([("alice", D("5000"))])
    fe.set_leverage("alice", "BTCUSDT", leverage)
    if margin_type == "ISOLATED":
        fe.set_margin_type("alice", "BTCUSDT", "ISOLATED")
    fe.add_liquidity("BTCUSDT", Side.SELL if long else Side.BUY, D("60000"), D("10"), 1)
    qty = (D("4000") * leverage / D("60000")).quantize(D("0.001"))
    fe.place("alice", FuturesOrderRequest("BTCUSDT", Side.BUY if long else Side.SELL, "MARKET", qty), 1)
    acct = fe.accounts["alice"]
    for now, mark in enumerate(path, start=2):
        fe.set_mark("BTCUSDT", mark)
        fe.catch_up(now)
        assert acct.wallet >= 0
        for f in fe.figures.positions(acct):
            balance = f.isolated_margin if f.isolated else fe.figures.account(acct).margin_balance
            assert f.maint_margin < balance
