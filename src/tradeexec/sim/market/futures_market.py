"""The futures side of the synthetic market: every USDⓈ-M contract whose spot symbol the
exchange lists gets a book quoted around a futures price that follows that spot price, and
market orders that trade against it.

The futures price is the spot price times (1 + basis); the basis is mean-reverting (an
Ornstein-Uhlenbeck process: it drifts back to ``basis_mean`` with a time constant of
``basis_reversion_s`` and is shaken by ``basis_vol`` per square-root second), as a perpetual's
premium is held near the funding basis by arbitrage. The spot price is also the index the
futures engine computes the mark price and the funding rate from (``sim/futures/pricing.py``,
installed here with ``FuturesEngine.use_index``).

The ladder is the spot market's (``book_shape`` and ``Quoter``, with the same settings), placed
post-only (GTX) by an internal futures account exempt from margin like the house account of
``futures_add_liquidity``, so a quote never trades on arrival; another exempt account sends the
market orders. After each step the futures side is brought up to the clock (``catch_up``:
premium samples, mark, funding, liquidations), so a market move liquidates without waiting for
a request.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from decimal import Decimal

from tradeexec.sim.engine import Engine, EngineReject, OrderRecord, OrderRequest
from tradeexec.sim.futures import FuturesEngine, FuturesOrderRequest
from tradeexec.sim.market.book_shape import TickGrid, top_of_book
from tradeexec.sim.market.flow import poisson, taker_order
from tradeexec.sim.market.quoter import Listener, Quoter
from tradeexec.sim.market.synthetic import SyntheticMarket, shape_params
from tradeexec.sim.state import SimState

MAKER = "__sim_futures_maker__"
TAKER = "__sim_futures_taker__"
_FUNDS = Decimal("1000000000000")  # exempt accounts: never checked, never short


class FuturesQuotes:
    """The ``QuoteBook`` of the futures books: quotes are post-only LIMIT orders placed through
    the futures engine (so fills against users' orders move their positions)."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    @property
    def engine(self) -> Engine:
        return self.state.futures.engine

    def now_ms(self) -> int:
        return self.state.now_ms()

    def place(self, account: str, req: OrderRequest) -> OrderRecord:
        assert req.quantity is not None  # a quote is a LIMIT order with its size
        futures_req = FuturesOrderRequest(req.symbol, req.side, "LIMIT", req.quantity, req.price, "GTX")
        return self.state.futures.place(account, futures_req, self.state.now_ms()).order

    def cancel(self, account: str, symbol: str, order_id: int) -> None:
        self.state.futures.cancel(account, symbol, order_id, None, self.state.now_ms())

    def subscribe(self, fn: Listener) -> Callable[[], None]:
        listeners = self.state.futures.market_listeners
        listeners.append(fn)
        return lambda: listeners.remove(fn) if fn in listeners else None


class FuturesMarket:
    def __init__(self, state: SimState, seed: int) -> None:
        self.state = state
        self.cfg = state.config.market
        self.rng = random.Random(f"{seed}/futures")
        self.quoter = Quoter(
            state, MAKER, self.rng, refresh=self.cfg.refresh_levels, book=FuturesQuotes(state)
        )
        self.basis: dict[str, float] = {}
        self.mid: dict[str, Decimal] = {}
        self._engine: FuturesEngine | None = None

    def close(self) -> None:
        self.quoter.close()

    def index(self, symbol: str) -> Decimal | None:
        """The spot price of the contract's symbol: the spot book's mid, else its last trade."""
        if symbol not in self.state.symbol_info:
            return None
        bid, _, ask, _ = self.state.engine.book_ticker(symbol)
        if bid and ask:
            return (bid + ask) / 2
        return self.state.engine.last_price(symbol)

    def step(self, steps: float) -> None:
        """Move each basis, the ladder to index * (1 + basis), let the takers trade, then bring
        the futures side up to the clock. ``steps``: market intervals this round covers."""
        futures = self._attach()
        dt = self.cfg.interval_s * steps
        for symbol, contract in futures.contracts.items():
            index = self.index(symbol)
            if index is None:
                continue  # no spot twin, or an empty spot market: nothing to follow
            before = self.mid.get(symbol)
            grid = TickGrid(contract.tick, contract.step)
            mid = self.mid[symbol] = max(
                grid.floor_price(index * Decimal(repr(1.0 + self._move_basis(symbol, dt)))), grid.tick
            )
            top = top_of_book(mid, grid, self.cfg.spread_ticks)
            params = shape_params(self.state, symbol)  # the spot twin's: a USDT quote like ours
            self.quoter.requote(symbol, top, params, grid, rising=before is not None and mid > before)
            for _ in range(poisson(self.rng, self.cfg.trades_per_s * dt)):
                self._take(futures, symbol, mid, grid)
        futures.catch_up(self.state.now_ms())

    def _attach(self) -> FuturesEngine:
        """The current futures engine (a reset builds a new one) with our accounts and the
        spot index installed."""
        futures = self.state.futures
        if futures is not self._engine:
            futures.open_account(MAKER, _FUNDS, exempt=True)
            futures.open_account(TAKER, _FUNDS, exempt=True)
            futures.use_index(self.index)
            self._engine = futures
        return futures

    def _move_basis(self, symbol: str, dt: float) -> float:
        """One exact Ornstein-Uhlenbeck step of ``dt`` seconds."""
        cfg = self.cfg
        mean = cfg.basis_mean
        decay = math.exp(-dt / cfg.basis_reversion_s)
        spread = cfg.basis_vol * math.sqrt(cfg.basis_reversion_s / 2 * (1 - decay * decay))
        basis = self.basis.get(symbol, mean)
        basis = mean + (basis - mean) * decay + spread * self.rng.gauss(0.0, 1.0)
        self.basis[symbol] = basis
        return basis

    def _take(self, futures: FuturesEngine, symbol: str, mid: Decimal, grid: TickGrid) -> None:
        side, qty = taker_order(self.rng, self.cfg.taker_qty_quote, self.cfg.taker_qty_noise, mid, grid)
        try:
            futures.place(TAKER, FuturesOrderRequest(symbol, side, "MARKET", qty), self.state.now_ms())
        except EngineReject:
            return  # an empty opposite side (a user swept it): the next step tries again


def synthetic_market(state: SimState, seed: int | None = None) -> SyntheticMarket:
    """The synthetic market of a running exchange: spot, and the futures books following it
    when futures are served and ``market.futures`` is on (the default)."""
    market = SyntheticMarket(state, seed)
    if state.config.market.futures and "futures" in state.config.products:
        market.followers.append(FuturesMarket(state, market.seed))
    return market
