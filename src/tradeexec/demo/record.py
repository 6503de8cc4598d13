"""What a demo run saw (``DemoRecord``) and what it concluded (``DemoSummary``).

The demo writes these; the terminal view (``tradeexec.demo.view``) and the HTML report
(``tradeexec.demo.report``) only read them, so neither depends on how the run trades.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from tradeexec.binance.net.ratelimit import BudgetUsage
from tradeexec.book import BookManager
from tradeexec.config import Venue
from tradeexec.demo.exchange import ExchangeRecord
from tradeexec.demo.figures import Arrival, Grid, RunFigures, money, run_figures
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.valuation import Valuation
from tradeexec.venue.positions import PositionSnapshot

SYMBOLS = ("BTCUSDT", "ETHUSDT")
QUOTE = "USDT"
START_QUOTE = Decimal("50000")
ZERO = Decimal(0)
_FLAT = {True: "yes: no order, no algo order, no position", False: "NO: see the events"}


@dataclass
class FaultEntry:
    """One injected fault: when it was armed, when it hit, when and how the run recovered."""

    kind: str
    armed_s: float
    fired_s: float | None = None
    recovered_s: float | None = None
    recovery: str = ""
    order: ManagedOrder | None = None

    @property
    def status(self) -> str:
        if self.recovered_s is not None:
            return "recovered"
        return "waiting to fire" if self.fired_s is None else "recovering"


@dataclass(frozen=True, slots=True)
class FillMark:
    t: float  # seconds since the start of the run
    symbol: str
    side: str
    price: Decimal
    qty: Decimal
    client_order_id: str


@dataclass
class DemoRecord:
    """What the run saw, as it saw it; read by the terminal view and the HTML report."""

    venue: str = Venue.LOCAL.value
    title: str = "tradeexec demo"
    # The demo injects faults and ends with the emergency stop; a user's run does neither,
    # and its view and report leave those panels out.
    with_faults: bool = True
    symbols: tuple[str, ...] = SYMBOLS
    started: float = field(default_factory=time.time)
    exchange_url: str = ""
    phase: str = "starting"
    stream_state: str = "connecting"
    reconnects: int = 0
    last_trade: dict[str, Decimal] = field(default_factory=dict)
    prices: dict[str, list[tuple[float, Decimal]]] = field(default_factory=dict)
    equity: list[tuple[float, Decimal]] = field(default_factory=list)
    fills: list[FillMark] = field(default_factory=list)
    faults: list[FaultEntry] = field(default_factory=list)
    orders: list[ManagedOrder] = field(default_factory=list)
    events: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=200))
    rate_limits: list[BudgetUsage] = field(default_factory=list)
    books: BookManager | None = None
    positions: PositionTracker | None = None
    valuation: Valuation | None = None
    journal_path: Path | None = None
    say: Callable[[str], None] = field(default=print, repr=False)
    # Each symbol's tick and step, for showing its numbers; the signal time and arrival mid
    # of each order (by client order id) and of the emergency stop (by symbol); and, once
    # the run is over, the exchange's own orders and trades, from which the figures come.
    grids: dict[str, Grid] = field(default_factory=dict)
    arrivals: dict[str, Arrival] = field(default_factory=dict)
    stop_arrivals: dict[str, Arrival] = field(default_factory=dict)
    exchange: ExchangeRecord | None = None
    # A futures run's legs as the venue last stated them, by (symbol, leg); None on spot.
    leg_reads: dict[tuple[str, str], PositionSnapshot] | None = None
    funding: dict[str, Decimal] = field(default_factory=dict)  # received (+) per symbol, by the venue

    def elapsed(self) -> float:
        return time.time() - self.started

    def log(self, msg: str) -> None:
        t = self.elapsed()
        self.events.append((t, msg))
        self.say(f"[{t:6.1f}s] {msg}")

    def top(self, symbol: str) -> tuple[Decimal, Decimal] | None:
        """Best bid and ask of the local book, when it is in sync."""
        book = self.books.books.get(symbol) if self.books is not None else None
        if book is None or not book.in_sync:
            return None
        bid, ask = book.best_bid(), book.best_ask()
        return (bid[0], ask[0]) if bid is not None and ask is not None else None

    def mark(self, symbol: str) -> Decimal | None:
        """The book's mid when in sync, else the last trade: what the strategy and the
        valuation use, so both see the same price."""
        top = self.top(symbol)
        return (top[0] + top[1]) / 2 if top is not None else self.last_trade.get(symbol)

    def equity_now(self) -> Decimal | None:
        """Everything the account holds at the marks, in the quote asset (the order manager's
        valuation: coins held before the run count at the market, never at 0); None until
        the manager is up or while a held coin has no mark."""
        return self.valuation.equity() if self.valuation is not None else None

    def open_orders(self) -> list[ManagedOrder]:
        return [o for o in self.orders if not o.is_final]

    def grid(self, symbol: str) -> Grid:
        return self.grids.get(symbol) or Grid()

    def arrival(self, symbol: str, mid: Decimal | None = None) -> Arrival:
        """Now, and the mid the decision was made on (the current mark unless given)."""
        return Arrival(int(time.time() * 1000), self.mark(symbol) if mid is None else mid)

    def add_order(self, order: ManagedOrder, arrival: Arrival) -> None:
        self.orders.append(order)
        self.arrivals[order.client_order_id] = arrival

    def figures(self) -> RunFigures | None:
        """The run's figures from the exchange's record; None until it has been read."""
        if self.exchange is None:
            return None
        return run_figures(
            self.exchange.orders,
            self.exchange.trades,
            self.arrivals,
            quote=QUOTE,
            equity=[v for _, v in self.equity],
            stop_arrivals=self.stop_arrivals,
        )


@dataclass
class DemoSummary:
    journal_path: Path
    title: str = "demo summary"
    signals: int = 0
    orders: int = 0
    exchange_orders: int = 0
    duplicates: int = 0
    faults: list[str] = field(default_factory=list)
    unknown_resolved: int = 0
    start_quote: Decimal = START_QUOTE
    end_balances: dict[str, Decimal] = field(default_factory=dict)
    emergency: list[str] = field(default_factory=list)
    fills: int = 0
    reconnects: int = 0
    report_path: Path | None = None
    # Equity at the marks at the start (what was held then, at the market) and at the end,
    # for a run that may end holding positions (``tradeexec run``); the demo ends flat, so
    # its quote balance is its PnL.
    equity: tuple[Decimal, Decimal] | None = None
    # A futures run: True when, after the stop, the exchange lists no order, no algo order
    # and no position; None where the check does not apply (spot).
    flat: bool | None = None

    @property
    def pnl(self) -> Decimal:
        if self.equity is not None:  # valued at marks: to the satoshi, not the mid's 1e-16
            return (self.equity[1] - self.equity[0]).quantize(Decimal("1e-8"))
        return self.end_balances.get(QUOTE, ZERO) - self.start_quote

    def rows(self) -> list[tuple[str, str]]:
        # As the exchange holds them, in plain digits (str() would write dust as 1.1E-7).
        balances = ", ".join(f"{a} {v:f}" for a, v in sorted(self.end_balances.items()))
        rows = [
            ("signals", str(self.signals)),
            ("orders submitted", str(self.orders)),
            ("orders on exchange", str(self.exchange_orders)),
            ("duplicate orders", str(self.duplicates)),
            ("strategy fills", str(self.fills)),
            ("faults injected", f"{len(self.faults)} ({', '.join(self.faults) or 'none'})"),
            ("unknown outcomes", f"{self.unknown_resolved} resolved by client order id"),
            ("stream reconnects", str(self.reconnects)),
            ("final balances", balances),
            *([("ends flat", _FLAT[self.flat])] if self.flat is not None else []),
            (f"PnL ({QUOTE})", money(self.pnl)),
            ("journal", str(self.journal_path)),
        ]
        if self.report_path is not None:
            rows.append(("HTML report", str(self.report_path)))
        return rows

    def lines(self) -> list[str]:
        return [f"{name:<20} {value}" for name, value in self.rows()]

    def to_json(self) -> dict[str, object]:
        return {
            "signals": self.signals,
            "orders": self.orders,
            "exchange_orders": self.exchange_orders,
            "duplicates": self.duplicates,
            "fills": self.fills,
            "faults": self.faults,
            "unknown_resolved": self.unknown_resolved,
            "reconnects": self.reconnects,
            "end_balances": self.end_balances,
            "pnl": self.pnl,
            "journal": str(self.journal_path),
            "report": str(self.report_path) if self.report_path is not None else None,
            "emergency": self.emergency,
            "flat": self.flat,
        }
