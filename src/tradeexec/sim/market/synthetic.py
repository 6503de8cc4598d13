"""The local exchange's synthetic market: a seeded, deterministic market that looks like one.

Two internal accounts per run: a maker that keeps a deep ladder on both sides of a mid price
(``book_shape`` says where and how much, ``quoter`` changes only the levels that must), and a
taker that sends market orders at random times. Both go through the engine like any user, so
books, trades, tickers and klines move, every stream sees the activity, and a user's resting
order fills when the market reaches it.

The mid follows a random walk whose variance clusters (GARCH(1,1): quiet spells and busy
spells, as in real markets) with rare jumps. Time is market time (the sim clock), so a sped-up
clock runs a minute of market in a few seconds and a seed gives the same market every time.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal
from typing import Protocol

from tradeexec.binance.enums import OrderType
from tradeexec.sim.engine import EngineReject, OrderRequest
from tradeexec.sim.market.book_shape import ShapeParams, TickGrid, top_of_book
from tradeexec.sim.market.flow import poisson, taker_order
from tradeexec.sim.market.quoter import Quoter
from tradeexec.sim.state import SimState

MAKER = "__sim_maker__"
TAKER = "__sim_taker__"
_FUNDS = Decimal("1000000000000")
_USD = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD")


class PriceWalk:
    """A log-price random walk whose variance clusters, GARCH(1,1):
    ``var' = omega + alpha * shock**2 + beta * var`` with ``omega`` set so that the long-run
    variance per step is ``step_var``; plus a jump of ``N(0, jump_size)`` with probability
    ``jump_prob`` per step (news: the rare large move a pure diffusion never makes)."""

    def __init__(
        self,
        rng: random.Random,
        price: float,
        *,
        step_var: float,
        alpha: float,
        beta: float,
        jump_prob: float,
        jump_size: float,
    ) -> None:
        if alpha < 0 or beta < 0 or alpha + beta >= 1:
            raise ValueError("GARCH needs alpha >= 0, beta >= 0 and alpha + beta < 1")
        self.rng = rng
        self.log_price = math.log(price)
        self.variance = step_var
        self.omega = step_var * (1.0 - alpha - beta)
        self.alpha, self.beta = alpha, beta
        self.jump_prob, self.jump_size = jump_prob, jump_size
        self._shock_sq = 0.0

    def next(self, steps: float = 1.0) -> float:
        """The price ``steps`` steps later (a fraction or a few: the variance and the jump
        chance scale with the time that passed)."""
        self.variance = self.omega + self.alpha * self._shock_sq + self.beta * self.variance
        z = self.rng.gauss(0.0, 1.0)
        # The variance recursion is fed the shock of *one* step: fed the whole move of a
        # late loop round (several steps), alpha * steps + beta passes 1 and the variance
        # grows without bound (an OverflowError in a long soak whose loop fell behind).
        self._shock_sq = self.variance * z * z
        move = math.sqrt(self.variance * steps) * z
        if self.rng.random() < self.jump_prob * steps:
            move += self.rng.gauss(0.0, self.jump_size)
        self.log_price += move
        return math.exp(self.log_price)


def ensure_accounts(state: SimState, names: tuple[str, ...]) -> None:
    """Internal accounts funded far beyond anything a test trades, holding every asset."""
    assets = sorted({a for i in state.symbol_info.values() for a in (i["baseAsset"], i["quoteAsset"])})
    for name in names:
        if name not in state.accounts:
            state.add_account(name, dict.fromkeys(assets, _FUNDS))


def grid_of(state: SimState, symbol: str) -> TickGrid:
    rules = state.rules[symbol]
    pf, lot = rules.price_filter, rules.lot_size
    return TickGrid(
        pf.tick_size if pf and pf.tick_size > 0 else Decimal("0.00000001"),
        lot.step_size if lot and lot.step_size > 0 else Decimal("0.00000001"),
    )


def quote_scale(state: SimState, symbol: str) -> Decimal:
    """How many units of ``symbol``'s quote asset one USDT is worth (config amounts are USDT)."""
    quote = state.symbol_info[symbol]["quoteAsset"]
    if quote in _USD:
        return Decimal(1)
    price = state.config.market.start_prices.get(f"{quote}USDT")
    return 1 / price if price else Decimal(1)


def shape_params(state: SimState, symbol: str) -> ShapeParams:
    cfg = state.config.market
    return ShapeParams(
        levels=cfg.levels,
        span=cfg.span,
        top_qty_quote=cfg.level_qty_quote * quote_scale(state, symbol),
        growth=cfg.depth_growth,
        qty_noise=cfg.qty_noise,
    )


class Follower(Protocol):
    """A market stepped after the synthetic market's own step, over the same market time."""

    def step(self, steps: float) -> None: ...

    def close(self) -> None: ...


class SyntheticMarket:
    def __init__(self, state: SimState, seed: int | None = None) -> None:
        self.state = state
        self.cfg = state.config.market
        self.seed = state.config.seed if seed is None else seed
        self.rng = random.Random(self.seed)
        self.steps = 0
        self._last_ms: int | None = None
        self.mid: dict[str, Decimal] = {}
        self.quoter = Quoter(state, MAKER, self.rng, refresh=self.cfg.refresh_levels)
        self._grids = {s: grid_of(state, s) for s in state.symbol_info}
        self._params = {s: shape_params(state, s) for s in state.symbol_info}
        self._walks: dict[str, PriceWalk] = {}
        for symbol in state.symbol_info:
            start = state.engine.last_price(symbol) or self.cfg.start_prices.get(symbol, Decimal(100))
            self.mid[symbol] = start
            self._walks[symbol] = PriceWalk(
                self.rng,
                float(start),
                step_var=self.cfg.volatility**2 * self.cfg.interval_s,
                alpha=self.cfg.garch_alpha,
                beta=self.cfg.garch_beta,
                jump_prob=self.cfg.jump_prob,
                jump_size=self.cfg.jump_size,
            )

        # Markets that follow this one's prices (the futures books, ``futures_market.py``),
        # stepped right after it each round.
        self.followers: list[Follower] = []

    def close(self) -> None:
        self.quoter.close()
        for follower in self.followers:
            follower.close()

    async def run(self) -> None:
        """Step forever every ``interval_s`` of market time (cancel the task to stop)."""
        try:
            while True:
                self.step()
                await self.state.clock.sleep(self.cfg.interval_s * 1000)
        finally:
            self.close()

    def step(self) -> None:
        """One round: move each mid, move the ladder to it, then let the takers trade. A round
        covers the market time since the last one (``interval_s`` at least, five at most), so
        a loop that falls behind a sped-up clock keeps the configured volatility and trade rate
        per second of market time."""
        ensure_accounts(self.state, (MAKER, TAKER))
        self.steps += 1
        now = self.state.now_ms()
        interval_ms = self.cfg.interval_s * 1000
        elapsed = now - self._last_ms if self._last_ms is not None else interval_ms
        self._last_ms = now
        steps = min(max(elapsed / interval_ms, 1.0), 5.0)
        for symbol in self.state.symbol_info:
            before = self.mid[symbol]
            self.mid[symbol] = self._walk(symbol, steps)
            grid = self._grids[symbol]
            top = top_of_book(self.mid[symbol], grid, self.cfg.spread_ticks)
            self.quoter.requote(symbol, top, self._params[symbol], grid, rising=self.mid[symbol] > before)
            for _ in range(poisson(self.rng, self.cfg.trades_per_s * self.cfg.interval_s * steps)):
                self._take(symbol)
        for follower in self.followers:
            follower.step(steps)

    def _walk(self, symbol: str, steps: float) -> Decimal:
        grid = self._grids[symbol]
        return max(grid.floor_price(Decimal(repr(self._walks[symbol].next(steps)))), grid.tick)

    def _take(self, symbol: str) -> None:
        notional = self.cfg.taker_qty_quote * quote_scale(self.state, symbol)
        side, qty = taker_order(
            self.rng, notional, self.cfg.taker_qty_noise, self.mid[symbol], self._grids[symbol]
        )
        try:
            result = self.state.engine.place(
                TAKER, OrderRequest(symbol, side, OrderType.MARKET, quantity=qty), self.state.now_ms()
            )
        except EngineReject:
            return  # an empty opposite side (only if a user swept it): the next step tries again
        self.state.publish(result.events)
