"""``tradeexec demo``: the whole product on one screen, with no keys and no network.

A moving-average cross on BTCUSDT and ETHUSDT, fed by the market stream (diff depth into a
local order book, trades for the last price), produces target positions; the Executor, risk
manager and order manager turn them into orders on the embedded local exchange while the
exchange loses an order response, drops the market stream and answers another order with
-1007; the order manager resolves both orders by client order ID, the stream reconnects and
the books resync; the emergency stop flattens everything; and the summary is checked against
the exchange's own record (one exchange order per intent, no duplicates).

Everything the run sees goes into a ``DemoRecord``, which the terminal view
(``tradeexec.demo.view``) and the HTML report (``tradeexec.demo.report``) only read: the
demo neither draws nor formats, so it runs the same in a terminal, a pipe or a test. The
record lives in ``tradeexec.demo.record``, the fault plan and its tracking in
``tradeexec.demo.faults``, the strategy in ``tradeexec.demo.strategy``; this module runs them.

On ``testnet``/``live`` the same strategy trades through ``BinanceClient(venue=...)`` with
no faults; it trades *around* what the account already holds (targets are offsets from the
starting quantities) and, instead of the account-wide emergency stop, cancels only its own
orders and returns each symbol to its starting quantity.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from tradeexec.binance.client import BinanceClient
from tradeexec.config import Venue
from tradeexec.demo.faults import FaultTracker
from tradeexec.demo.futures import FuturesLegs
from tradeexec.demo.record import QUOTE, SYMBOLS, ZERO, DemoRecord, DemoSummary
from tradeexec.demo.strategy import SLOW, TARGET_NOTIONAL, MovingAverageCross
from tradeexec.errors import BinanceAPIError, OrderRejectedLocally
from tradeexec.execution.emergency import emergency_stop
from tradeexec.execution.journal.records import OutcomeKind
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.signals import Executor, TargetPosition
from tradeexec.sim.exchange import LocalExchange
from tradeexec.strategy.session import SessionPlan, TradingSession, settle

__all__ = ["QUOTE", "DemoRecord", "DemoSummary", "run_demo"]

TICK_S = 0.25
WARMUP_S = SLOW * TICK_S


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


class _Demo(TradingSession):
    """The session plus the demo's faults: armed as the run goes, followed to recovery, and
    on the local exchange the account-wide emergency stop at the end."""

    def __init__(
        self,
        record: DemoRecord,
        summary: DemoSummary,
        client: BinanceClient,
        ex: LocalExchange | None,
        duration_s: float,
        *,
        product: str = "spot",
    ) -> None:
        super().__init__(record, summary, client, ex)
        self.faults = FaultTracker(record, ex, duration_s, WARMUP_S, product)
        self.legs = FuturesLegs(record, ex, duration_s) if product == "usdm" else None

    async def before_start(self) -> None:
        if self.legs is not None:
            await self.legs.prepare(self.venue)

    async def tick(self) -> None:
        """Once per tick, before the sample: the futures run reads its legs."""
        if self.legs is not None:
            await self.legs.tick(self.venue)

    def on_reconnected(self) -> None:
        self.faults.stream_recovered()

    def before_sample(self) -> None:
        self.faults.scan_between_orders()

    def after_sample(self) -> None:
        self.faults.check_orders()

    async def after_trading(self) -> None:
        if self.ex is None:
            return
        self.record.log("EMERGENCY STOP: cancel everything, flatten to " + QUOTE)
        self.record.stop_arrivals = {s: self.record.arrival(s) for s in SYMBOLS}
        # Spot sells the coins back to the quote asset; futures close every leg (the assets
        # do not apply there: ``emergency_stop`` picks the futures path for the venue).
        assets = None if self.legs is not None else [s.removesuffix(QUOTE) for s in SYMBOLS]
        report = await emergency_stop(self.manager.venue, flatten_assets=assets, quote_asset=QUOTE)
        self.summary.emergency = report.lines()
        for line in self.summary.emergency:
            self.record.log("  " + line)
        if self.legs is not None:
            self.summary.flat = await self.legs.check_flat(self.venue)


async def run_demo(
    duration_s: float = 60.0,
    *,
    journal_dir: Path | None = None,
    say: Callable[[str], None] = print,
    record: DemoRecord | None = None,
    venue: Venue | None = None,
    base_url: str | None = None,
    notional: Decimal = TARGET_NOTIONAL,
    product: str = "spot",
) -> DemoSummary:
    """Run the demo for ``duration_s`` seconds of trading; ``record`` (made here if not given)
    is filled as the run goes, for a view to draw while it runs. Without ``venue`` and
    ``base_url`` it trades on an embedded local exchange, with faults. ``product`` "usdm"
    trades USDⓈ-M futures with leverage, long and short (``tradeexec.demo.futures``)."""
    journal_dir = journal_dir or Path(tempfile.mkdtemp(prefix="tradeexec-demo-"))
    record = record or DemoRecord()
    record.say = say
    record.venue = (venue or Venue.LOCAL).value
    record.started = time.time()
    record.journal_path = journal_dir / "journal.sqlite"
    summary = DemoSummary(journal_path=record.journal_path)
    plan = SessionPlan("demo", venue, base_url, product=product)
    if product == "usdm":
        record.title = "tradeexec demo (USDⓈ-M futures)"
    async with _Demo.open(record, summary, plan, duration_s=duration_s, product=product) as demo:
        held = demo.held
        on_account = demo.ex is None and product == "spot"  # trades around what a real account holds
        base = {s: held.get(s.removesuffix(QUOTE), ZERO) for s in SYMBOLS} if on_account else {}
        strategy = MovingAverageCross(notional, base, short=product == "usdm")
        await _trade(demo, demo.executor, strategy, duration_s)
        record.phase = "settling"
        demo.faults.disarm()
        await settle(record, demo.manager)
        demo.sample()
        summary.unknown_resolved = _resolved_unknowns(demo.journal, record.orders)
        record.phase = "stopping"
        if demo.ex is None:
            await _return_to_start(record, demo.manager, demo.executor, base)
    return summary


async def _trade(demo: _Demo, executor: Executor, strategy: MovingAverageCross, duration_s: float) -> None:
    record = demo.record
    # "duration_s seconds of trading" count from here, not from before the exchange and the
    # streams were up: on a slow machine the start-up would otherwise eat the window. (The
    # faults' plan keeps counting from the start, so each is armed early enough to fire.)
    deadline = time.time() + duration_s
    while time.time() < deadline:
        demo.faults.arm()
        await demo.tick()
        demo.sample()
        for symbol in SYMBOLS:
            price = record.mark(symbol)
            target = strategy.update(symbol, price) if price is not None else None
            if target is None:
                continue
            demo.summary.signals += 1
            want = target.target_notional if target.target_quantity is None else target.target_quantity
            record.log(f"signal {symbol} target {want} at {record.grid(symbol).price(price)}")
            arrival = record.arrival(symbol, price)
            try:
                orders = await executor.submit(target)
            except (OrderRejectedLocally, BinanceAPIError) as exc:
                # A refusal is one signal's business (a remainder below the minimum notional,
                # a risk limit): the strategy goes on, as the Executor's own run loop does.
                record.log(f"  refused: {exc}")
                continue
            for order in orders:
                record.add_order(order, arrival)
                demo.faults.attach(order)
                record.log(
                    f"  order {order.client_order_id} {order.side} {order.intent.quantity} -> {order.state}"
                )
        await asyncio.sleep(TICK_S)


async def _return_to_start(
    record: DemoRecord, manager: OrderManager, executor: Executor, base: dict[str, Decimal]
) -> None:
    """On a real account: cancel the demo's own orders and bring each symbol back to what
    was held at the start; nothing else on the account is touched."""
    record.log("STOP: return to the starting holdings")
    for symbol, qty in base.items():
        arrival = record.arrival(symbol)
        try:
            orders = await executor.submit(TargetPosition(symbol, target_quantity=qty))
        except (OrderRejectedLocally, BinanceAPIError) as exc:
            record.log(f"  {symbol} left as it is: {exc}")
            continue
        residual = executor.residuals.get(symbol)
        if residual is not None:  # the difference is below the exchange's minimum: not sent
            record.log(f"  {symbol} {residual.quantity} from the start left as it is: {residual.reason}")
        for order in orders:
            record.add_order(order, arrival)
            with contextlib.suppress(TimeoutError):
                await order.wait_final(timeout=10)
