"""Properties of futures accounting over any sequence of orders (hypothesis), in-process on
``FuturesEngine`` (the rules are arithmetic; the server adds nothing to them):

* the wallet moves by exactly the realized PnL minus the commission of the account's fills;
* the position equals the signed sum of its fills;
* an accepted reduce-only order never opens, increases or flips a position;
* an isolated position's wallet is never negative.
"""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from tradeexec.binance.enums import Side
from tradeexec.sim.engine import EngineReject
from tradeexec.sim.futures import FuturesEngine, FuturesOrderRequest

PRICES = [D("59000"), D("59500"), D("60000"), D("60500"), D("61000")]

steps = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=1, max_value=40).map(lambda n: D(n) / 100),
        st.booleans(),  # reduce-only
        st.sampled_from(PRICES),  # where the house quotes before this order
    ),
    min_size=1,
    max_size=25,
)


def _engine(margin_type: str, leverage: int) -> FuturesEngine:
    fe = FuturesEngine([("alice", D("100000"))])
    fe.set_leverage("alice", "BTCUSDT", leverage)
    if margin_type == "ISOLATED":
        fe.set_margin_type("alice", "BTCUSDT", "ISOLATED")
    return fe


@settings(max_examples=60, deadline=None)
@given(steps, st.sampled_from(["CROSSED", "ISOLATED"]), st.sampled_from([1, 5, 20, 50]))
def test_wallet_moves_by_realized_pnl_minus_commission(steps: list, margin_type: str, leverage: int) -> None:
    fe = _engine(margin_type, leverage)
    acct = fe.accounts["alice"]
    start = acct.wallet
    now = 1
    for side, qty, reduce_only, price in steps:
        now += 1
        fe.cancel_all("futures-house", "BTCUSDT", now)
        fe.add_liquidity("BTCUSDT", Side.SELL, price, D("100"), now)
        fe.add_liquidity("BTCUSDT", Side.BUY, price - D("10"), D("100"), now)
        pos = acct.position("BTCUSDT", "BOTH")
        before = pos.amt
        req = FuturesOrderRequest("BTCUSDT", side, "MARKET", qty, reduce_only=reduce_only)
        try:
            fe.place("alice", req, now)
        except EngineReject as exc:
            assert exc.code in (-2022, -2019, -2027), exc
            assert pos.amt == before
            continue
        if reduce_only:
            assert abs(pos.amt) < abs(before) and (pos.amt == 0 or (pos.amt > 0) == (before > 0))
        assert pos.isolated_wallet >= 0
    fills = fe.fills.get("alice", [])
    realized = sum((f.realized_pnl for f in fills), D(0))
    commission = sum((f.commission for f in fills), D(0))
    assert acct.wallet - start == realized - commission
    signed = sum((f.qty if f.side is Side.BUY else -f.qty for f in fills), D(0))
    assert acct.position("BTCUSDT", "BOTH").amt == signed
