"""Market activity for the local exchange: a seeded synthetic market, and replay of
Binance's public-data CSV files.

The synthetic market is two internal accounts per run: a maker that re-quotes a few levels on
both sides of a random-walk mid price, and a taker that trades against it now and then. They
go through the engine like any user, so prices move, books change, every stream sees the
activity and a user's resting order fills when the walk reaches it.
"""

from __future__ import annotations

import asyncio
import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.sim.admin import SimAdmin
from tradeexec.sim.engine import EngineReject, OrderRequest
from tradeexec.sim.state import SimState

MAKER = "__sim_maker__"
TAKER = "__sim_taker__"
_FUNDS = Decimal("1000000000000")


@dataclass(slots=True)
class _Grid:
    tick: Decimal
    step: Decimal

    def price(self, value: Decimal) -> Decimal:
        return max(self.tick, (value / self.tick).to_integral_value(ROUND_DOWN) * self.tick)

    def qty(self, value: Decimal) -> Decimal:
        return max(self.step, (value / self.step).to_integral_value(ROUND_DOWN) * self.step)


class SyntheticMarket:
    def __init__(self, state: SimState, seed: int | None = None) -> None:
        self.state = state
        self.cfg = state.config.market
        self.rng = random.Random(state.config.seed if seed is None else seed)
        self.mid: dict[str, Decimal] = {}
        self.steps = 0
        self._grids: dict[str, _Grid] = {}
        for symbol, rules in state.rules.items():
            pf, lot = rules.price_filter, rules.lot_size
            self._grids[symbol] = _Grid(
                pf.tick_size if pf and pf.tick_size > 0 else Decimal("0.00000001"),
                lot.step_size if lot and lot.step_size > 0 else Decimal("0.00000001"),
            )
            last = state.engine.last_price(symbol)
            self.mid[symbol] = last or self.cfg.start_prices.get(symbol, Decimal(100))

    def _ensure_accounts(self) -> None:
        st = self.state
        assets = sorted({a for i in st.symbol_info.values() for a in (i["baseAsset"], i["quoteAsset"])})
        for name in (MAKER, TAKER):
            if name not in st.accounts:
                st.add_account(name, dict.fromkeys(assets, _FUNDS))

    async def run(self) -> None:
        """Step forever at the configured rate (cancel the task to stop)."""
        while True:
            self.step()
            await asyncio.sleep(self.cfg.interval_s)

    def step(self) -> None:
        """One round: move each mid, re-quote the book, and every few rounds take liquidity."""
        self._ensure_accounts()
        self.steps += 1
        for symbol in self.state.symbol_info:
            self._walk(symbol)
            self._quote(symbol)
            if self.steps % max(1, self.cfg.taker_every) == 0:
                self._take(symbol)

    def _walk(self, symbol: str) -> None:
        move = Decimal(str(round(self.rng.uniform(-1.0, 1.0), 6))) * self.cfg.volatility
        self.mid[symbol] = self._grids[symbol].price(self.mid[symbol] * (1 + move))

    def _quote(self, symbol: str) -> None:
        st = self.state
        now = st.now_ms()
        if st.engine.open_order_count(MAKER, symbol):
            _, events = st.engine.cancel_all(MAKER, symbol, now)
            st.publish(events)
        grid = self._grids[symbol]
        mid = self.mid[symbol]
        for level in range(self.cfg.levels):
            offset = grid.tick * (self.cfg.spread_ticks + level * self.cfg.level_gap_ticks)
            for side, price in ((Side.BUY, mid - offset), (Side.SELL, mid + offset)):
                if price <= 0:
                    continue
                qty = grid.qty(
                    self.cfg.level_qty_quote / price * Decimal(str(round(self.rng.uniform(0.5, 1.5), 3)))
                )
                self._place(symbol, side, OrderType.LIMIT, price=grid.price(price), quantity=qty)

    def _take(self, symbol: str) -> None:
        side = Side.BUY if self.rng.random() < 0.5 else Side.SELL
        qty = self._grids[symbol].qty(self.cfg.taker_qty_quote / self.mid[symbol])
        self._place(symbol, side, OrderType.MARKET, quantity=qty, account=TAKER)

    def _place(
        self,
        symbol: str,
        side: Side,
        otype: OrderType,
        *,
        quantity: Decimal,
        price: Decimal | None = None,
        account: str = MAKER,
    ) -> None:
        tif = TimeInForce.GTC if otype is OrderType.LIMIT else None
        req = OrderRequest(symbol, side, otype, quantity=quantity, price=price, time_in_force=tif)
        try:
            result = self.state.engine.place(account, req, self.state.now_ms())
        except EngineReject:
            return  # e.g. a MARKET order meeting an empty side; the next round tries again
        self.state.publish(result.events)


# ---------------------------------------------------------------------------- replay


@dataclass(slots=True, frozen=True)
class ReplayPoint:
    time_ms: int
    price: Decimal


def read_trades_csv(path: str | Path) -> Iterator[ReplayPoint]:
    """Binance public-data trades: ``id,price,qty,quote_qty,time,is_buyer_maker,is_best_match``
    (a header row, if present, is skipped)."""
    with open(path, newline="") as fh:
        for row in csv.reader(fh):
            if not row or not row[0].strip().isdigit():
                continue
            yield ReplayPoint(_ms(int(row[4])), Decimal(row[1]))


def read_klines_csv(path: str | Path) -> Iterator[ReplayPoint]:
    """Binance public-data klines (12 columns): each candle replays as open, high, low, close
    spread over its duration."""
    with open(path, newline="") as fh:
        for row in csv.reader(fh):
            if not row or not row[0].strip().isdigit():
                continue
            open_t, close_t = _ms(int(row[0])), _ms(int(row[6]))
            quarter = (close_t - open_t) // 4
            for i, col in enumerate((1, 2, 3, 4)):
                yield ReplayPoint(open_t + i * quarter, Decimal(row[col]))


def _ms(t: int) -> int:
    """Public data switched to microseconds in 2025; both are accepted."""
    return t // 1000 if t > 10**14 else t


async def replay(state: SimState, symbol: str, points: Iterator[ReplayPoint], *, speed: float = 1.0) -> int:
    """Print each point as a trade, waiting the recorded gaps divided by ``speed`` (0: no
    waiting). Returns how many points were replayed."""
    admin = SimAdmin(state)
    previous: int | None = None
    count = 0
    for point in points:
        if previous is not None and speed > 0 and point.time_ms > previous:
            await asyncio.sleep((point.time_ms - previous) / 1000 / speed)
        previous = point.time_ms
        admin.set_price(symbol, point.price)
        count += 1
    return count
