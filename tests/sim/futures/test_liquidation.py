"""Liquidation happens at the liquidation price of the hand computation (``test_margin_cases``)
and not a tick before; the liquidation order goes through the book up to the bankruptcy
price, the insurance fund takes the rest there, and the account ends as described in
``sim/futures/liquidation.py`` (hand-computed, over the wire). A property over marks,
funding and books: no wallet goes negative, no position survives a margin ratio of 100 %,
and every wallet moves by exactly its income."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sim.futures.futures_helpers import WALLET, futures_exchange, order, position
from tradeexec.binance.enums import Side
from tradeexec.sim.futures import FuturesEngine, FuturesOrderRequest
from tradeexec.sim.futures.engine import HOUSE


async def test_isolated_short_is_closed_through_the_book_up_to_its_bankruptcy_price() -> None:
    async with futures_exchange(others=["bob"]) as (ex, api):
        fe = ex.state.futures
        ex.futures_add_liquidity("ETHUSDT", "BUY", "3000", "10")
        await api.signed("POST", "/fapi/v1/marginType", {"symbol": "ETHUSDT", "marginType": "ISOLATED"})
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": 20})
        await order(api, "ETHUSDT", "SELL", "2")  # short 2 at 3,000: isolated wallet 300
        resting = {"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
        await api.signed("POST", "/fapi/v1/order", {**resting, "quantity": "0.5", "price": "2900"})
        # Asks between the mark and the bankruptcy price (3,000 + 300 / 2 = 3,150) fill; the
        # house's at 3,160 is past it and must not.
        fe.place("bob", FuturesOrderRequest("ETHUSDT", Side.SELL, "LIMIT", D(1), D(3140), "GTC"), 1)
        ex.futures_add_liquidity("ETHUSDT", "SELL", "3160", "5")
        ex.futures_set_mark_price("ETHUSDT", "3134.32")  # LP 3,134.3283...: still open
        assert D((await position(api, "ETHUSDT"))["positionAmt"]) == D("-2")
        ex.futures_set_mark_price("ETHUSDT", "3134.33")
        assert await position(api, "ETHUSDT") == {}
        account = (await api.signed("GET", "/fapi/v3/account")).body
        income = (await api.signed("GET", "/fapi/v1/income", {"symbol": "ETHUSDT"})).body
        trades = (await api.signed("GET", "/fapi/v1/userTrades", {"symbol": "ETHUSDT"})).body
        still_open = (await api.signed("GET", "/fapi/v1/openOrders", {"symbol": "ETHUSDT"})).body
        closer = {"symbol": "ETHUSDT", "orderId": trades[-1]["orderId"]}
        queried = (await api.signed("GET", "/fapi/v1/order", closer)).body
        public = (await api.public("GET", "/fapi/v1/trades", {"symbol": "ETHUSDT"})).body
        book = (await api.public("GET", "/fapi/v1/depth", {"symbol": "ETHUSDT"})).body
    # The account loses the opening fee (3) and exactly its isolated wallet (300).
    assert D(account["totalWalletBalance"]) == WALLET - D("3") - D("300")
    rows = [(r["incomeType"], D(r["income"])) for r in income]
    assert rows == [
        ("COMMISSION", D("-3")),
        ("REALIZED_PNL", D("-140")),  # 1 bought from bob at 3,140
        ("REALIZED_PNL", D("-150")),  # 1 taken by the insurance fund at 3,150
        ("INSURANCE_CLEAR", D("-10")),  # what was left of the 300
    ]
    closing = trades[1:]
    assert [(D(t["price"]), D(t["qty"]), D(t["commission"])) for t in closing] == [
        (D(3140), D(1), D(0)),
        (D(3150), D(1), D(0)),
    ]
    assert closing[0]["orderId"] == closing[1]["orderId"]  # one liquidation order
    assert queried["clientOrderId"].startswith("autoclose-") and queried["type"] == "LIQUIDATION"
    assert (queried["status"], D(queried["executedQty"]), D(queried["avgPrice"])) == ("FILLED", 2, 3145)
    assert (queried["timeInForce"], D(queried["price"]), queried["reduceOnly"]) == ("IOC", 3150, True)
    assert still_open == []  # the account's own order was cancelled first
    # Bob's resting order filled like any maker's; the public saw that trade, not the fund's.
    bob = fe.accounts["bob"].position("ETHUSDT", "BOTH")
    assert (bob.amt, bob.entry) == (D(-1), D(3140))
    assert fe.fills["bob"][-1].commission == D("0.628")  # 3,140 * 0.0002 maker
    assert [(D(t["price"]), D(t["qty"])) for t in public[-1:]] == [(D(3140), D(1))]
    assert [D(p) for p, _ in book["asks"]] == [D(3160)]
    (force,) = fe.history.force_orders
    assert (force.side, force.qty, force.price, force.average) == ("BUY", D(2), D(3150), D(3145))


async def test_cross_long_is_closed_through_the_book_and_the_fund_at_its_bankruptcy_price() -> None:
    async with futures_exchange(others=["bob"]) as (ex, api):
        fe = ex.state.futures
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "5")
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 10})
        await order(api, "BTCUSDT", "BUY", "1")  # long 1 at 60,000, wallet 9,970 after the fee
        ex.futures_add_liquidity("BTCUSDT", "BUY", "50100", "0.4")
        fe.place("bob", FuturesOrderRequest("BTCUSDT", Side.BUY, "LIMIT", D("0.3"), D(50050), "GTC"), 1)
        ex.futures_add_liquidity("BTCUSDT", "BUY", "50000", "1")  # under bankruptcy: untouched
        ex.futures_set_mark_price("BTCUSDT", "50231.16")  # LP 50,231.1557...: still open
        assert D((await position(api, "BTCUSDT"))["positionAmt"]) == D("1")
        ex.futures_set_mark_price("BTCUSDT", "50231.15")
        assert await position(api, "BTCUSDT") == {}
        account = (await api.signed("GET", "/fapi/v3/account")).body
        income = (await api.signed("GET", "/fapi/v1/income", {"symbol": "BTCUSDT"})).body
        book = (await api.public("GET", "/fapi/v1/depth", {"symbol": "BTCUSDT"})).body
    # Margin balance 9,970 - 9,768.85 = 201.15 behind the long: bankruptcy at 50,030. The
    # long is above BTCUSDT's first tier: the smart first order sells 0.005 (keeping 0.995,
    # under the tier's 50,000 floor) at 50,100 (-49.5); with its fee (0.005 * 50,100 * 0.4 %
    # = 1.002) the balance 9,919.498 - 9,719.96575 = 199.53225 stays under the maintenance
    # margin 199.919977: not compliant, so the fee is not charged and the rest is closed whole.
    # Balance 200.53425 behind 0.995: bankruptcy 50,029.608..., 50,029.7 on the tick.
    rows = [(r["incomeType"], D(r["income"])) for r in income]
    assert rows == [
        ("COMMISSION", D("-30")),
        ("REALIZED_PNL", D("-49.5")),  # the first order: 0.005 at 50,100
        ("REALIZED_PNL", D("-3910.5")),  # 0.395 at 50,100
        ("REALIZED_PNL", D("-2985")),  # 0.3 to bob at 50,050
        ("REALIZED_PNL", D("-2991.09")),  # 0.3 to the insurance fund at 50,029.7
        ("INSURANCE_CLEAR", D("-33.91")),  # the 33.91 left, under the maintenance margin: all of it
    ]
    assert D(account["totalWalletBalance"]) == D("0")
    assert fe.accounts["bob"].position("BTCUSDT", "BOTH").amt == D("0.3")
    assert [(D(p), D(q)) for p, q in book["bids"]] == [(D(50000), D(1))]
    first, close = fe.history.force_orders
    assert (first.side, first.qty, first.price, first.average) == ("SELL", D("0.005"), D(50030), D(50100))
    assert (close.side, close.qty, close.price) == ("SELL", D("0.995"), D("50029.7"))


EIGHT_HOURS = 8 * 3_600_000
steps = st.lists(
    st.tuples(
        st.integers(min_value=-800, max_value=800).map(D),  # the mark from alice's liquidation price
        st.sampled_from([D("-0.003"), D(0), D("0.0001"), D("0.002")]),  # the funding rate due
        st.integers(min_value=0, max_value=40).map(lambda n: D(n) / 100),  # bob's quotes
        st.integers(min_value=-800, max_value=800).map(D),  # the book's middle from it
    ),
    min_size=1,
    max_size=10,
)


def _quote(fe: FuturesEngine, middle: D, qty: D, now: int) -> None:
    """Fresh books around ``middle`` (the mark need not be there): bob's quotes 5 from it,
    the house's 500 further out."""
    for name in ("bob", HOUSE):
        fe.cancel_all(name, "BTCUSDT", now)
    if qty:
        for side, price in ((Side.BUY, middle - 5), (Side.SELL, middle + 5)):
            fe.place("bob", FuturesOrderRequest("BTCUSDT", side, "LIMIT", qty, price, "GTC"), now)
    fe.add_liquidity("BTCUSDT", Side.BUY, middle - 505, D(1), now)
    fe.add_liquidity("BTCUSDT", Side.SELL, middle + 505, D(1), now)


def _books_balance(fe: FuturesEngine, name: str, start: D) -> None:
    """The account's wallet moved by exactly its income (realized PnL, commission, funding,
    clearance), and its fills state the realized PnL, the commission and the position."""
    acct = fe.accounts[name]
    income = fe.incomes.get(name, [])
    assert acct.wallet - start == sum((i.income for i in income), D(0))
    fills = fe.fills.get(name, [])
    by_type: dict[str, D] = {}
    for i in income:
        by_type[i.income_type] = by_type.get(i.income_type, D(0)) + i.income
    assert by_type.get("REALIZED_PNL", D(0)) == sum((f.realized_pnl for f in fills), D(0))
    assert by_type.get("COMMISSION", D(0)) == -sum((f.commission for f in fills), D(0))
    signed = sum((f.qty if f.side is Side.BUY else -f.qty for f in fills), D(0))
    assert acct.position("BTCUSDT", "BOTH").amt == signed


@settings(max_examples=40, deadline=None)
@given(steps, st.sampled_from(["CROSSED", "ISOLATED"]), st.sampled_from([5, 20, 50, 75]), st.booleans())
def test_liquidations_through_the_book_keep_every_wallet_whole_and_equal_to_its_income(
    path: list[tuple[D, D, D, D]], margin_type: str, leverage: int, long: bool
) -> None:
    """Whatever the mark, the funding and the book do: no wallet goes negative, no position
    outlives a margin ratio of 100 %, and every account's wallet change (the liquidated
    one's and the counterparty's) is its realized PnL - commission + funding (+ clearance)."""
    fe = FuturesEngine([("alice", D("5000")), ("bob", D("100000"))])
    fe.set_leverage("alice", "BTCUSDT", leverage)
    if margin_type == "ISOLATED":
        fe.set_margin_type("alice", "BTCUSDT", "ISOLATED")
    fe.add_liquidity("BTCUSDT", Side.SELL if long else Side.BUY, D("60000"), D("10"), 1)
    qty = (D("4000") * leverage / D("60000")).quantize(D("0.001"))
    fe.place("alice", FuturesOrderRequest("BTCUSDT", Side.BUY if long else Side.SELL, "MARKET", qty), 1)
    alice = fe.accounts["alice"]
    for step, (offset, rate, bob_qty, shift) in enumerate(path, start=1):
        now = step * EIGHT_HOURS + 1  # one funding time passes each step
        # Near alice's liquidation price (the book as well): a close runs through the book.
        near = [f.liquidation_price.quantize(D(1)) for f in fe.figures.positions(alice)] or [D(60_000)]
        mark = near[0] + offset
        _quote(fe, near[0] + shift, bob_qty, now)
        fe.funding_rates["BTCUSDT"] = rate
        fe.set_mark("BTCUSDT", mark)
        fe.catch_up(now)
        assert alice.wallet >= 0
        for f in fe.figures.positions(alice):
            balance = f.isolated_margin if f.isolated else fe.figures.account(alice).margin_balance
            assert f.maint_margin < balance
        _books_balance(fe, "alice", D("5000"))
        _books_balance(fe, "bob", D("100000"))
