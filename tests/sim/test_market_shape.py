"""The default synthetic market, measured the way a client sees it, so that it cannot quietly
regress into a market no real one looks like: a side that empties at every requote, a book
a normal order sweeps, diffs that rewrite the whole book, a price that never clusters."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from decimal import Decimal

import aiohttp
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sim.market_shape_helpers import check_default_market, median, percentile, wait_market_time
from tradeexec.binance.enums import OrderType, Side
from tradeexec.sim import LocalExchange, SimConfig
from tradeexec.sim.config import MarketConfig
from tradeexec.sim.engine import OrderRequest
from tradeexec.sim.market import MAKER, TAKER, PriceWalk, SyntheticMarket

MARKET_MS = 60_000
SPEED = 15.0  # 60 s of market in about 4 s of wall time


async def test_default_market_over_a_minute_never_empty_deep_and_incremental() -> None:
    """60 s of market time, sped up; ``tests/soak/test_market_soak.py`` runs it at 1x."""
    await check_default_market(MARKET_MS, SPEED, wall_timeout_s=60)


async def test_diff_depth_stream_carries_small_updates() -> None:
    """What a @depth@100ms subscriber receives at normal speed: each diff is a small part of
    the book (the levels that changed), and the updates chain without gaps."""
    async with LocalExchange(SimConfig.default()) as ex, aiohttp.ClientSession() as session:
        async with asyncio.timeout(10):  # subscribe once the book is built, as a client joins a market
            while len(ex.state.engine.depth("BTCUSDT", 100).asks) < 50:
                await asyncio.sleep(0.02)
        async with session.ws_connect(f"{ex.ws_url}/ws/btcusdt@depth@100ms") as ws:
            sizes: list[int] = []
            last_u: int | None = None
            async with asyncio.timeout(20):
                while len(sizes) < 15:
                    msg = await ws.receive_json()
                    if last_u is not None:
                        assert msg["U"] == last_u + 1
                    last_u = msg["u"]
                    sizes.append(len(msg["b"]) + len(msg["a"]))
        snap = ex.state.engine.depth("BTCUSDT", 5000)
    book_levels = len(snap.bids) + len(snap.asks)
    assert book_levels >= 100
    assert median(sizes) <= 0.25 * book_levels, (median(sizes), book_levels)
    assert percentile(sizes, 0.9) <= 0.5 * book_levels, (sorted(sizes), book_levels)  # jumps rewrite more


def test_market_is_deterministic_for_a_seed() -> None:
    def run(seed: int) -> list[object]:
        cfg = SimConfig.default()
        cfg.market.enabled = False
        ex = LocalExchange(cfg, market=False)
        ex.state.clock.freeze(1_700_000_000_000)
        m = SyntheticMarket(ex.state, seed=seed)
        out: list[object] = []
        for _ in range(40):
            m.step()
            ex.state.clock.advance(200)
            out.append(ex.state.engine.depth("BTCUSDT", 5000))
            out.append([t.price for t in ex.state.engine.recent_trades("BTCUSDT", 5)])
        m.close()
        return out

    first = run(7)
    assert first == run(7)
    assert first != run(8)


DEFAULT = MarketConfig()  # the default market's walk, as SyntheticMarket builds it


def _returns(jump_prob: float, alpha: float = DEFAULT.garch_alpha, beta: float = DEFAULT.garch_beta,
             ) -> list[float]:  # fmt: skip
    walk = PriceWalk(random.Random(3), 60000.0, step_var=1e-8, alpha=alpha, beta=beta, jump_prob=jump_prob,
                     jump_size=DEFAULT.jump_size)  # fmt: skip
    prices = [walk.next() for _ in range(20_000)]
    return [math.log(b / a) for a, b in itertools.pairwise(prices)]


def _clustering(returns: list[float]) -> float:
    """Lag-1 autocorrelation of squared returns."""
    sq = [r * r for r in returns]
    mean = sum(sq) / len(sq)
    var = sum((x - mean) ** 2 for x in sq) / len(sq)
    return sum((a - mean) * (b - mean) for a, b in itertools.pairwise(sq)) / len(sq) / var


def _kurtosis(returns: list[float]) -> float:
    m2 = sum(r * r for r in returns) / len(returns)
    return sum(r**4 for r in returns) / len(returns) / m2**2


def test_walk_clusters_volatility_and_jumps() -> None:
    """With the default market's parameters, squared returns are autocorrelated (calm and
    busy spells) and jumps fatten the tails; a plain Gaussian walk (alpha = beta = 0, no
    jumps) has neither."""
    garch = _returns(0.0)
    plain = _returns(0.0, alpha=0.0, beta=0.0)
    assert _clustering(garch) > 0.1 > abs(_clustering(plain))
    assert _kurtosis(_returns(DEFAULT.jump_prob)) > 10 > 4 > _kurtosis(plain)
    # the long-run variance is what was configured
    assert 0.7e-8 < sum(r * r for r in garch) / len(garch) < 1.4e-8


async def test_user_trades_against_the_market_keep_every_balance_whole() -> None:
    """The maker and taker are ordinary accounts: whatever a client does against them, each
    asset's total over all accounts plus the fees collected stays what it was."""
    cfg = SimConfig.default()
    cfg.clock_speed = SPEED
    async with LocalExchange(cfg) as ex:
        await wait_market_time(ex.state, 2_000, wall_timeout_s=20)
        engine = ex.state.engine

        def totals() -> dict[str, Decimal]:
            out: dict[str, Decimal] = dict(engine.fees_collected())
            for account in ex.state.accounts:
                for asset, bal in engine.balances(account).items():
                    out[asset] = out.get(asset, Decimal(0)) + bal.free + bal.locked
            return out

        before = totals()
        for side, qty in ((Side.SELL, "1"), (Side.BUY, "0.5"), (Side.SELL, "0.4")):
            req = OrderRequest("BTCUSDT", side, OrderType.MARKET, quantity=Decimal(qty))
            r = engine.place(ex.account, req, ex.state.now_ms())
            ex.state.publish(r.events)
            assert r.order.status == "FILLED"
        await wait_market_time(ex.state, 2_000, wall_timeout_s=20)
        assert totals() == before
        assert MAKER in ex.state.accounts and TAKER in ex.state.accounts


@given(steps=st.floats(min_value=1.0, max_value=5.0))
@settings(max_examples=25, deadline=None)
def test_late_rounds_keep_the_variance_stationary(steps: float) -> None:
    """A market loop that falls behind walks up to five steps a round. Seen in a long soak:
    the variance recursion fed each round's whole move had alpha * 5 + beta = 1.3 > 1 and
    grew until the price overflowed. Per step it must stay about ``step_var``."""
    walk = PriceWalk(random.Random(5), 60000.0, step_var=1e-8, alpha=0.08, beta=0.9, jump_prob=0.0,
                     jump_size=0.0)  # fmt: skip
    variances = []
    for _ in range(5_000):
        walk.next(steps)
        variances.append(walk.variance)
    assert sum(variances[-1000:]) / 1000 < 10 * 1e-8
