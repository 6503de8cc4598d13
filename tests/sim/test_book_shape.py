"""Properties of the synthetic book's shape and of the quoter's incremental plan, for any
grid, mid and parameters: never crossed, prices and sizes on the grid, depth that grows away
from the mid, and a plan that is stable (nothing to change when nothing moved)."""

from __future__ import annotations

import contextlib
import itertools
import random
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.sim.config import SimConfig
from tradeexec.sim.engine import DepthEvent, EngineReject, Event, OrderRequest
from tradeexec.sim.market.book_shape import ShapeParams, TickGrid, book, offsets, top_of_book
from tradeexec.sim.market.quoter import Quoter, plan
from tradeexec.sim.state import SimState

ticks = st.sampled_from([Decimal(x) for x in ("0.01", "0.00001", "0.1", "1", "0.00000001")])
steps = st.sampled_from([Decimal("0.00001"), Decimal("0.001"), Decimal("1"), Decimal("0.00000001")])
params = st.builds(
    ShapeParams,
    levels=st.integers(1, 80),
    span=st.floats(0.0001, 0.2),
    top_qty_quote=st.decimals(Decimal("0.001"), Decimal("1000000"), places=3),
    growth=st.floats(0.0, 1.0),
    qty_noise=st.floats(0.0, 1.0),
)


@settings(max_examples=300, deadline=None)
@given(
    p=params,
    tick=ticks,
    step=steps,
    mid_ticks=st.integers(1, 10**9),
    spread=st.integers(1, 20),
    seed=st.integers(0, 2**32),
)
def test_book_is_never_crossed_on_grid_and_deepens_away_from_the_mid(
    p: ShapeParams, tick: Decimal, step: Decimal, mid_ticks: int, spread: int, seed: int
) -> None:
    grid = TickGrid(tick, step)
    mid = mid_ticks * tick + tick / 3  # off the grid on purpose
    bids, asks = book(p, mid, grid, random.Random(seed), spread_ticks=spread)
    assert len(asks) == p.levels and 1 <= len(bids) <= p.levels
    assert bids[0][0] < asks[0][0]  # not crossed
    for side, sign in ((bids, -1), (asks, 1)):
        prices = [price for price, _ in side]
        assert all(sign * (b - a) > 0 for a, b in itertools.pairwise(prices))  # strictly outwards
        for price, qty in side:
            assert price > 0 and price % tick == 0
            assert qty >= step and qty % step == 0
        cumulative = Decimal(0)
        for _, qty in side:
            assert cumulative + qty > cumulative  # monotone cumulative depth
            cumulative += qty


@settings(max_examples=200, deadline=None)
@given(p=params, tick=ticks, mid_ticks=st.integers(100, 10**9))
def test_sizes_grow_away_from_the_mid_without_noise(p: ShapeParams, tick: Decimal, mid_ticks: int) -> None:
    """Noise off: each level's quote value is at least the one before it (one lot of rounding
    aside), so a bigger order always finds more behind the best."""
    step = Decimal("0.00000001")
    quiet = ShapeParams(p.levels, p.span, p.top_qty_quote, p.growth, 0.0)
    bids, asks = book(quiet, mid_ticks * tick, TickGrid(tick, step), random.Random(0))
    for side in (bids, asks):
        values = [price * qty for price, qty in side]
        for (a, b), (price, _) in zip(itertools.pairwise(values), side[1:], strict=False):
            assert b >= a * Decimal("0.999") - price * step


@settings(max_examples=200, deadline=None)
@given(p=params, tick=ticks, mid_ticks=st.integers(1, 10**9))
def test_offsets_start_at_the_best_and_reach_the_span(p: ShapeParams, tick: Decimal, mid_ticks: int) -> None:
    ref = mid_ticks * tick
    offs = offsets(p, ref, tick)
    assert offs[0] == 0 and all(b > a for a, b in itertools.pairwise(offs))
    span_ticks = max(float(ref) * p.span / float(tick), p.levels)
    assert offs[-1] <= span_ticks + p.levels


@given(mid=st.integers(1, 10**6), spread=st.integers(0, 9), tick=ticks)
def test_top_of_book_is_spread_apart(mid: int, spread: int, tick: Decimal) -> None:
    bid, ask = top_of_book(mid * tick + tick / 2, TickGrid(tick, tick), spread)
    assert 0 < bid < ask and ask - bid == max(spread, 1) * tick


targets_st = st.builds(
    lambda p, ref: offsets(p, Decimal(ref), Decimal(1)),
    st.builds(ShapeParams, levels=st.integers(1, 60), span=st.floats(0.001, 0.05)),
    st.integers(100, 10**6),
)


@settings(max_examples=300, deadline=None)
@given(targets=targets_st, existing=st.sets(st.integers(-500, 60_000), max_size=150))
def test_plan_covers_every_target_and_is_stable(targets: list[int], existing: set[int]) -> None:
    keep, add = plan(sorted(existing), targets)
    assert set(keep) <= existing and keep == sorted(keep)
    assert all(0 <= k <= targets[-1] + targets[-1] for k in keep)
    after = sorted(set(keep) | {targets[i] for i in add})
    assert after[0] == 0  # the best price is always quoted exactly
    # every target has a level near it; the result is a ladder the next plan leaves alone
    again_keep, again_add = plan(after, targets)
    assert again_add == [] and again_keep == after
    assert len(after) <= 2 * len(targets) + 1


# ---------------------------------------------------------------------------- the quoter live


class _Book:
    """After every engine call: both sides present (once quoted) and never crossed."""

    def __init__(self, state: SimState, symbol: str) -> None:
        self.state, self.symbol = state, symbol
        self.quoted = False
        self.bad: list[str] = []

    def __call__(self, events: list[Event] | tuple[Event, ...]) -> None:
        if not any(isinstance(e, DepthEvent) and e.symbol == self.symbol for e in events):
            return
        bid, _, ask, _ = self.state.engine.book_ticker(self.symbol)
        if self.quoted and (bid == 0 or ask == 0):
            self.bad.append(f"empty side: bid {bid} ask {ask}")
        if bid and ask and bid >= ask:
            self.bad.append(f"crossed: bid {bid} ask {ask}")


moves = st.lists(
    st.tuples(st.integers(-3000, 3000), st.booleans(), st.integers(-20, 20), st.integers(1, 50)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moves=moves, seed=st.integers(0, 1000))
def test_quoter_keeps_both_sides_through_moves_and_user_orders(
    moves: list[tuple[int, bool, int, int]], seed: int
) -> None:
    """Any sequence of mid moves (jumps included), with a user placing limit orders around the
    book in between: after every single engine call both sides exist and do not cross, and the
    quoter's record of its quotes is exactly the maker's open orders (nothing leaks)."""
    cfg = SimConfig.default()
    state = SimState(cfg)
    symbol, maker = "BTCUSDT", "__maker__"
    state.add_account(maker, {"BTC": Decimal(10**9), "USDT": Decimal(10**12)})
    grid = TickGrid(Decimal("0.01"), Decimal("0.00001"))
    shape = ShapeParams(levels=30, span=0.004, top_qty_quote=Decimal(5000))
    watch = _Book(state, symbol)
    state.bus.add_listener(watch)
    quoter = Quoter(state, maker, random.Random(seed), refresh=2)
    mid = Decimal(60000)
    user = state.accounts[0]
    for move, user_buys, user_ticks, user_lots in moves:
        before, mid = mid, max(Decimal(100), mid + move * grid.tick * 10)
        quoter.requote(symbol, top_of_book(mid, grid, 1), shape, grid, rising=mid > before)
        watch.quoted = True
        side = Side.BUY if user_buys else Side.SELL
        bid, _, ask, _ = state.engine.book_ticker(symbol)
        price = (bid if user_buys else ask) + user_ticks * grid.tick
        req = OrderRequest(symbol, side, OrderType.LIMIT, quantity=user_lots * Decimal("0.001"), price=price,
                           time_in_force=TimeInForce.GTC)  # fmt: skip
        with contextlib.suppress(EngineReject):  # not enough balance for this one: fine
            state.publish(state.engine.place(user, req, state.now_ms()).events)
        own = len(quoter.levels(symbol, Side.BUY)) + len(quoter.levels(symbol, Side.SELL))
        assert own == state.engine.open_order_count(maker, symbol)
    assert watch.bad == []
    quoter.close()
