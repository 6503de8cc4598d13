"""What the futures market data endpoints and streams read that matching does not keep: the
funding rate of every funding time as it was charged, the mark price over time (for the mark
and index price klines) and the liquidations (for ``<symbol>@forceOrder``).

Funding rows are written by the same step that charges the accounts
(``FuturesEngine._settle_funding``), with the very rate and mark used there, so the history
can never disagree with the FUNDING_FEE income. Mark and index samples are taken whenever the futures
side is brought up to the clock (every /fapi request and every stream tick) and kept on a
``TradeTape`` as zero-quantity prints: the candles are then built by the one candle builder
the trade klines use, and a candle's count is its number of samples ("number of basic data").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from tradeexec.sim.engine import TradePrint
from tradeexec.sim.tape import TradeTape

ZERO = Decimal(0)
MAX_FUNDING_ROWS = 10_000
MAX_FORCE_ORDERS = 10_000


@dataclass(frozen=True, slots=True)
class FundingRecord:
    symbol: str
    rate: Decimal
    time: int
    mark: Decimal


@dataclass(frozen=True, slots=True)
class ForceRecord:
    """One liquidation order as the public sees it: the side of the closing order (SELL
    closes a long), its quantity, its price (the bankruptcy price) and the average price of
    its fills (the book's and the insurance fund's)."""

    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    time: int
    average: Decimal


class MarketHistory:
    def __init__(self, symbols: Iterable[str]) -> None:
        names = list(symbols)
        self.marks = TradeTape(names)
        self.indexes = TradeTape(names)
        self.funding: deque[FundingRecord] = deque(maxlen=MAX_FUNDING_ROWS)
        self.force_orders: deque[ForceRecord] = deque(maxlen=MAX_FORCE_ORDERS)
        self._last: dict[tuple[str, str], tuple[int, Decimal]] = {}
        self._seq = 0
        self.force_total = 0  # liquidations ever recorded (the deque forgets the oldest)

    def sample_prices(
        self,
        symbols: Iterable[str],
        mark_of: Callable[[str], Decimal],
        index_of: Callable[[str], Decimal],
        now_ms: int,
    ) -> None:
        """One sample of each symbol's mark and index per second, or sooner when it moved."""
        for symbol in symbols:
            self._sample(self.marks, "mark", symbol, mark_of(symbol), now_ms)
            self._sample(self.indexes, "index", symbol, index_of(symbol), now_ms)

    def _sample(self, tape: TradeTape, kind: str, symbol: str, price: Decimal, now_ms: int) -> None:
        last = self._last.get((kind, symbol))
        if last is not None and last[0] // 1000 == now_ms // 1000 and last[1] == price:
            return
        if last is not None and now_ms < last[0]:
            return  # the tape is kept in time order
        self._last[kind, symbol] = (now_ms, price)
        self._seq += 1
        tape.add(TradePrint(self._seq, symbol, price, ZERO, ZERO, now_ms, 0, 0, False))

    def funded(self, symbol: str, rate: Decimal, time: int, mark: Decimal) -> None:
        self.funding.append(FundingRecord(symbol, rate, time, mark))

    def funding_rows(
        self, symbol: str | None, start: int | None, end: int | None, limit: int
    ) -> list[FundingRecord]:
        """Ascending; with no time bounds the most recent ``limit``, else the first ``limit``
        from ``start`` (Binance: "return as startTime + limit")."""
        rows = [
            r
            for r in self.funding
            if (symbol is None or r.symbol == symbol)
            and (start is None or r.time >= start)
            and (end is None or r.time <= end)
        ]
        if start is None and end is None:
            return rows[-limit:]
        return rows[:limit]

    def liquidated(self, order: ForceRecord) -> None:
        self.force_orders.append(order)
        self.force_total += 1
