"""Smart liquidation (``sim/futures/liquidation.py``): a position above its first bracket tier
first gets one IOC order that brings it under its tier's floor; when that leaves the account
margin compliant after the order's loss and its liquidation fee, the rest stays open.
Hand-computed, over the wire; the case where the first order does not save the account is
``test_liquidation.py``'s cross long."""

from __future__ import annotations

from decimal import Decimal as D

from tests.sim.futures.futures_helpers import WALLET, futures_exchange, order, position
from tradeexec.binance.enums import Side
from tradeexec.sim.futures import FuturesOrderRequest
from tradeexec.sim.futures.events import AccountUpdate, FuturesEvent, OrderUpdate


async def test_cross_long_above_its_first_tier_is_reduced_not_closed() -> None:
    async with futures_exchange(others=["bob"]) as (ex, api):
        fe = ex.state.futures
        seen: list[FuturesEvent] = []
        fe.listeners.append(seen.extend)
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "5")
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 10})
        await order(api, "BTCUSDT", "BUY", "1")  # long 1 at 60,000, wallet 9,970 after the fee
        fe.place("bob", FuturesOrderRequest("BTCUSDT", Side.BUY, "LIMIT", D("0.003"), D(50200), "GTC"), 1)
        ex.futures_add_liquidity("BTCUSDT", "BUY", "50000", "1")  # under bankruptcy: untouched
        ex.futures_set_mark_price("BTCUSDT", "50231.16")  # still open
        assert D((await position(api, "BTCUSDT"))["positionAmt"]) == D("1")
        ex.futures_set_mark_price("BTCUSDT", "50231.15")
        left = await position(api, "BTCUSDT")
        account = (await api.signed("GET", "/fapi/v3/account")).body
        income = (await api.signed("GET", "/fapi/v1/income", {"symbol": "BTCUSDT"})).body
        trades = (await api.signed("GET", "/fapi/v1/userTrades", {"symbol": "BTCUSDT"})).body
        closer = {"symbol": "BTCUSDT", "orderId": trades[-1]["orderId"]}
        queried = (await api.signed("GET", "/fapi/v1/order", closer)).body
        book = (await api.public("GET", "/fapi/v1/depth", {"symbol": "BTCUSDT"})).body
    # At 50,231.15 the margin balance is 9,970 - 9,768.85 = 201.15 and the maintenance margin
    # (tier 2: 0.5 %, cum 50) 201.15575: condemned; bankruptcy at 50,231.15 - 201.15 = 50,030.
    # The first order keeps 0.995 (49,979.99 < the tier's 50,000 floor) and sells 0.005; bob
    # takes 0.003 at 50,200, the rest is not fillable above 50,030 and expires.
    # Realized 0.003 * (50,200 - 60,000) = -29.4; fee 0.003 * 50,200 * 0.4 % = 0.6024.
    # Left: wallet 9,939.9976, unrealized 0.997 * -9,768.85 = -9,739.54345, balance 200.45415
    # over the maintenance margin 0.997 * 50,231.15 * 0.5 % - 50 = 200.40228...: compliant.
    assert (D(left["positionAmt"]), D(left["entryPrice"])) == (D("0.997"), D(60000))
    rows = [(r["incomeType"], D(r["income"])) for r in income]
    assert rows == [("COMMISSION", D("-30")), ("REALIZED_PNL", D("-29.4")), ("INSURANCE_CLEAR", D("-0.6024"))]
    assert D(account["totalWalletBalance"]) == WALLET - D("30") - D("29.4") - D("0.6024")
    assert queried["clientOrderId"].startswith("autoclose-") and queried["type"] == "LIQUIDATION"
    assert (queried["status"], D(queried["executedQty"]), D(queried["origQty"])) == (
        "EXPIRED",
        D("0.003"),
        D("0.005"),
    )
    assert (D(queried["price"]), D(queried["avgPrice"])) == (D(50030), D(50200))
    assert [(D(p), D(q)) for p, q in book["bids"]] == [(D(50000), D(1))]
    (force,) = fe.history.force_orders
    assert (force.side, force.qty, force.price, force.average) == ("SELL", D("0.003"), D(50030), D(50200))
    mine = [e for e in seen if e.account != "bob"]
    stated = [
        e.execution_type for e in mine if isinstance(e, OrderUpdate) and e.meta.order_type == "LIQUIDATION"
    ]
    assert stated == ["NEW", "CALCULATED", "EXPIRED"]
    last = [e for e in mine if isinstance(e, AccountUpdate)][-1]
    assert (last.reason, last.balance_change) == ("INSURANCE_CLEAR", D("-0.6024"))
    assert [(p.amt, p.entry) for p in last.positions] == [(D("0.997"), D(60000))]


async def test_isolated_short_above_its_first_tier_is_reduced_from_its_own_wallet() -> None:
    async with futures_exchange(others=["bob"]) as (ex, api):
        fe = ex.state.futures
        ex.futures_add_liquidity("ETHUSDT", "BUY", "3000", "10")
        await api.signed("POST", "/fapi/v1/marginType", {"symbol": "ETHUSDT", "marginType": "ISOLATED"})
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": 20})
        await order(api, "ETHUSDT", "SELL", "5")  # short 5 at 3,000: fee 7.5, isolated wallet 750
        fe.place("bob", FuturesOrderRequest("ETHUSDT", Side.SELL, "LIMIT", D(1), D(3135), "GTC"), 1)
        ex.futures_add_liquidity("ETHUSDT", "SELL", "3160", "5")  # past bankruptcy: untouched
        ex.futures_set_mark_price("ETHUSDT", "3132.63")  # margin 86.85 > maintenance 86.810475
        assert D((await position(api, "ETHUSDT"))["positionAmt"]) == D(-5)
        ex.futures_set_mark_price("ETHUSDT", "3132.64")
        left = await position(api, "ETHUSDT")
        account = (await api.signed("GET", "/fapi/v3/account")).body
        income = (await api.signed("GET", "/fapi/v1/income", {"symbol": "ETHUSDT"})).body
    # At 3,132.64 the isolated margin is 750 - 663.2 = 86.8, the maintenance margin (tier 2:
    # 0.65 %, cum 15) 86.8108: condemned; bankruptcy 3,132.64 + 86.8 / 5 = 3,150. The first
    # order keeps 3.192 (9,999.39... under the 10,000 floor) and buys 1.808: bob's 1 at 3,135
    # (-135), the rest expires. Fee 3,135 * 0.5 % = 15.675, from the isolated wallet:
    # 750 - 135 - 15.675 = 599.325; its margin 599.325 - 4 * 132.64 = 68.765 over the
    # maintenance margin 4 * 3,132.64 * 0.65 % - 15 = 66.44864: compliant. The cross wallet
    # (9,242.5) is untouched.
    assert (D(left["positionAmt"]), D(left["entryPrice"])) == (D(-4), D(3000))
    rows = [(r["incomeType"], D(r["income"])) for r in income]
    assert rows == [("COMMISSION", D("-7.5")), ("REALIZED_PNL", D(-135)), ("INSURANCE_CLEAR", D("-15.675"))]
    assert D(account["totalWalletBalance"]) == WALLET - D("7.5") - D(135) - D("15.675")
    alice = fe.accounts[ex.config.accounts[0].name]
    (short,) = alice.open_positions()
    assert short.isolated_wallet == D("599.325")
    assert alice.cross_wallet() == WALLET - D("7.5") - D(750)
    (force,) = fe.history.force_orders
    assert (force.side, force.qty, force.price, force.average) == ("BUY", D(1), D(3150), D(3135))
