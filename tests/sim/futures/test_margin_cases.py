"""Positions, PnL, margin and liquidation price over the real server, against hand
computations from Binance's published formulas (see ``sim/futures/margin.py`` for the
sources). Every expected figure below is worked out in the comment beside it; none is read
back from the code under test.

BTCUSDT tiers: up to 50,000 USDT MMR 0.4 % cum 0; up to 600,000 MMR 0.5 %, cum = 50,000 *
(0.5 % - 0.4 %) = 50. ETHUSDT first tier: up to 10,000 USDT MMR 0.5 % cum 0. Taker fee 0.05 %.
"""

from __future__ import annotations

from decimal import Decimal as D

from tests.sim.futures.futures_helpers import WALLET, futures_exchange, order, position


async def test_case_a_cross_10x_long_pnl_margin_and_liquidation_price() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "5")
        assert (
            await api.signed("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 10})
        ).status == 200
        placed = await order(api, "BTCUSDT", "BUY", "1", newOrderRespType="RESULT")
        assert placed["status"] == "FILLED" and placed["avgPrice"] == "60000.00000000"
        ex.futures_set_mark_price("BTCUSDT", "61000")
        pos = await position(api, "BTCUSDT")
        account = (await api.signed("GET", "/fapi/v3/account")).body
    # fee 60,000 * 0.0005 = 30 -> wallet 9,970
    assert D(account["totalWalletBalance"]) == WALLET - D("30")
    assert D(pos["positionAmt"]) == D("1") and D(pos["entryPrice"]) == D("60000")
    assert D(pos["unRealizedProfit"]) == D("1000")  # 1 * (61,000 - 60,000)
    assert D(pos["positionInitialMargin"]) == D("6100")  # 61,000 / 10
    assert D(pos["maintMargin"]) == D("255")  # 61,000 * 0.005 - 50
    # LP = (9,970 + 50 - 1 * 60,000) / (1 * 0.005 - 1) = -49,980 / -0.995 = 50,231.15577889...
    assert D(pos["liquidationPrice"]) == D("50231.15577889")
    # available = cross wallet + cross uPnL - initial margin = 9,970 + 1,000 - 6,100
    assert D(account["availableBalance"]) == D("4870")


async def test_case_b_isolated_20x_short_pnl_margin_and_liquidation_price() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("ETHUSDT", "BUY", "3000", "10")
        isolated = {"symbol": "ETHUSDT", "marginType": "ISOLATED"}
        assert (await api.signed("POST", "/fapi/v1/marginType", isolated)).body == {
            "code": 200,
            "msg": "success",
        }
        again = await api.signed("POST", "/fapi/v1/marginType", isolated)
        assert (again.status, again.body["code"]) == (400, -4046)
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": 20})
        await order(api, "ETHUSDT", "SELL", "2")
        ex.futures_set_mark_price("ETHUSDT", "2900")
        pos = await position(api, "ETHUSDT")
        balance = (await api.signed("GET", "/fapi/v3/balance")).body[0]
    assert D(pos["positionAmt"]) == D("-2")
    assert D(pos["isolatedWallet"]) == D("300")  # 2 * 3,000 / 20
    assert D(pos["unRealizedProfit"]) == D("200")  # -2 * (2,900 - 3,000)
    assert D(pos["isolatedMargin"]) == D("500")  # isolated wallet + uPnL
    assert D(pos["maintMargin"]) == D("29")  # 5,800 * 0.005 - 0
    # LP = (WB + cum - side*size*EP) / (size*MMR - side*size), side = -1:
    #    = (300 + 0 + 2 * 3,000) / (2 * 0.005 + 2) = 6,300 / 2.01 = 3,134.32835820...
    assert D(pos["liquidationPrice"]) == D("3134.32835821")
    assert D(balance["balance"]) == WALLET - D("3")  # fee 6,000 * 0.0005
    assert D(balance["crossWalletBalance"]) == WALLET - D("3") - D("300")


async def test_case_c_cross_50x_partial_close_realizes_pnl() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 50})
        await order(api, "BTCUSDT", "BUY", "0.5")
        ex.futures_cancel_all_liquidity("BTCUSDT")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "62000", "1")
        await order(api, "BTCUSDT", "SELL", "0.2", reduceOnly="true")
        ex.futures_set_mark_price("BTCUSDT", "62000")
        pos = await position(api, "BTCUSDT")
        trades = (await api.signed("GET", "/fapi/v1/userTrades", {"symbol": "BTCUSDT"})).body
        account = (await api.signed("GET", "/fapi/v3/account")).body
    assert [D(t["realizedPnl"]) for t in trades] == [D("0"), D("400")]  # 0.2 * (62,000 - 60,000)
    # fees: 30,000 * 0.0005 = 15 and 12,400 * 0.0005 = 6.2; wallet = 10,000 - 15 - 6.2 + 400
    assert D(account["totalWalletBalance"]) == D("10378.8")
    assert D(pos["positionAmt"]) == D("0.3") and D(pos["entryPrice"]) == D("60000")
    assert D(pos["unRealizedProfit"]) == D("600")  # 0.3 * 2,000
    assert D(pos["positionInitialMargin"]) == D("372")  # 18,600 / 50
    assert D(pos["maintMargin"]) == D("74.4")  # 18,600 * 0.004
    # LP = (10,378.8 - 0.3 * 60,000) / (0.3 * 0.004 - 0.3) = -7,621.2 / -0.2988 = 25,506.02409638...
    assert D(pos["liquidationPrice"]) == D("25506.02409639")
