"""``tradeexec demo``: the whole product on one screen, with no keys and no network.

A moving-average cross on BTCUSDT and ETHUSDT produces target positions; the Executor, risk
manager and order manager turn them into orders on the embedded local exchange while the
exchange loses an order response and answers another with -1007; the order manager resolves
both by client order ID; the emergency stop flattens everything; and the summary is checked
against the exchange's own record (one exchange order per intent, no duplicates).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from tradeexec.binance.client import BinanceClient
from tradeexec.execution.emergency import emergency_stop
from tradeexec.execution.journal import Journal, OrderState, OutcomeKind
from tradeexec.execution.orders import ManagedOrder, OrderManager
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import RiskLimits, RiskManager
from tradeexec.execution.signals import Executor, TargetPosition
from tradeexec.sim.config import AccountConfig, SimConfig
from tradeexec.sim.exchange import LocalExchange

SYMBOLS = ("BTCUSDT", "ETHUSDT")
QUOTE = "USDT"
START_QUOTE = Decimal("50000")
TARGET_NOTIONAL = Decimal("2000")
FAST, SLOW = 4, 12
TICK_S = 0.25


@dataclass
class DemoSummary:
    journal_path: Path
    signals: int = 0
    orders: int = 0
    exchange_orders: int = 0
    duplicates: int = 0
    faults: list[str] = field(default_factory=list)
    unknown_resolved: int = 0
    start_quote: Decimal = START_QUOTE
    end_balances: dict[str, Decimal] = field(default_factory=dict)
    emergency: list[str] = field(default_factory=list)

    @property
    def pnl(self) -> Decimal:
        return self.end_balances.get(QUOTE, Decimal(0)) - self.start_quote

    def lines(self) -> list[str]:
        return [
            f"signals              {self.signals}",
            f"orders submitted     {self.orders}",
            f"orders on exchange   {self.exchange_orders}",
            f"duplicate orders     {self.duplicates}",
            f"faults injected      {len(self.faults)} ({', '.join(self.faults) or 'none'})",
            f"unknown outcomes     {self.unknown_resolved} resolved by client order id",
            f"final balances       {', '.join(f'{a} {v}' for a, v in sorted(self.end_balances.items()))}",
            f"PnL ({QUOTE})          {self.pnl}",
            f"journal              {self.journal_path}",
        ]


class MovingAverageCross:
    """Long ``TARGET_NOTIONAL`` while the fast average is above the slow one, flat otherwise.
    Emits a target only when the side changes, so a quiet market sends nothing."""

    def __init__(self) -> None:
        self.prices: dict[str, deque[Decimal]] = {s: deque(maxlen=SLOW) for s in SYMBOLS}
        self.long: dict[str, bool | None] = dict.fromkeys(SYMBOLS)

    def update(self, symbol: str, price: Decimal) -> TargetPosition | None:
        window = self.prices[symbol]
        window.append(price)
        if len(window) < SLOW:
            return None
        fast = sum(list(window)[-FAST:], Decimal(0)) / FAST
        slow = sum(window, Decimal(0)) / SLOW
        long = fast > slow
        if long == self.long[symbol]:
            return None
        self.long[symbol] = long
        return TargetPosition(symbol, target_notional=TARGET_NOTIONAL if long else Decimal(0))


def _resolved_unknowns(journal: Journal, orders: list[ManagedOrder]) -> int:
    """Orders whose placement answer was lost (journaled as unknown) and that now have a
    state the exchange confirmed."""
    count = 0
    for order in orders:
        intent = journal.intent(order.client_order_id)
        if intent is None:
            continue
        lost = any(r.outcome is OutcomeKind.UNKNOWN for r in journal.requests(intent.id))
        if lost and order.state is not OrderState.UNKNOWN:
            count += 1
    return count


def _config() -> SimConfig:
    cfg = SimConfig(accounts=[AccountConfig(name="demo", balances={QUOTE: START_QUOTE})])
    cfg.ensure_default_account()
    return cfg


async def run_demo(duration_s: float = 60.0, *, journal_dir: Path | None = None,
                   say: Callable[[str], None] = print) -> DemoSummary:
    journal_dir = journal_dir or Path(tempfile.mkdtemp(prefix="tradeexec-demo-"))
    summary = DemoSummary(journal_path=journal_dir / "journal.sqlite")
    started = time.monotonic()

    def log(msg: str) -> None:
        say(f"[{time.monotonic() - started:6.1f}s] {msg}")

    async with LocalExchange(_config()) as ex:
        log(f"local exchange on {ex.rest_url} with a synthetic market")
        async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=3.0) as client:
            positions = PositionTracker()
            risk = RiskManager(RiskLimits(require_ip_restriction=False))
            journal = Journal(summary.journal_path)
            manager = OrderManager(client, journal, strategy="demo", risk=risk, positions=positions,
                                   poll_interval_s=0.2, stale_after_s=0.5)
            await manager.start()
            executor = Executor(client, manager, positions, risk, strategy="demo")
            strategy = MovingAverageCross()
            faults = {duration_s / 3: "lost_response", 2 * duration_s / 3: "error_1007"}
            submitted: list[ManagedOrder] = []
            try:
                deadline = started + duration_s
                while time.monotonic() < deadline:
                    elapsed = time.monotonic() - started
                    for at, kind in list(faults.items()):
                        if elapsed >= at:
                            ex.inject(kind, "/api/v3/order", count=1)
                            log(f"FAULT armed: next order gets {kind}")
                            del faults[at]
                    for symbol in SYMBOLS:
                        ticker = await client.ticker_price(symbol)
                        target = strategy.update(symbol, ticker.price)
                        if target is None:
                            continue
                        summary.signals += 1
                        log(f"signal {symbol} target {target.target_notional} {QUOTE} at {ticker.price}")
                        for order in await executor.submit(target):
                            submitted.append(order)
                            log(f"  order {order.client_order_id} {order.side} {order.intent.quantity}"
                                f" -> {order.state}")
                    await asyncio.sleep(TICK_S)
                for order in submitted:
                    await order.wait_final(timeout=10)
                summary.unknown_resolved = _resolved_unknowns(journal, submitted)
            finally:
                await manager.close()
                journal.close()
            log("EMERGENCY STOP: cancel everything, flatten to " + QUOTE)
            report = await emergency_stop(client, flatten_assets=[s.removesuffix(QUOTE) for s in SYMBOLS],
                                          quote_asset=QUOTE)
            summary.emergency = report.lines()
            for line in summary.emergency:
                log("  " + line)
            summary.orders = len(submitted)
            summary.faults = [str(r.kind) for r in ex.fault_log]
            ours = {o.client_order_id for o in submitted}
            seen: dict[str, int] = {}
            for symbol in SYMBOLS:
                for o in await client.all_orders(symbol):
                    if o.client_order_id in ours:
                        seen[o.client_order_id] = seen.get(o.client_order_id, 0) + 1
            summary.exchange_orders = sum(seen.values())
            summary.duplicates = sum(n - 1 for n in seen.values())
            account = await client.account()
            summary.end_balances = {b.asset: b.free + b.locked for b in account.balances
                                    if b.free or b.locked}
    return summary
