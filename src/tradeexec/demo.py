"""``tradeexec demo``: the whole product on one screen, with no keys and no network.

A moving-average cross on BTCUSDT and ETHUSDT, fed by the market stream (diff depth into a
local order book, trades for the last price), produces target positions; the Executor, risk
manager and order manager turn them into orders on the embedded local exchange while the
exchange loses an order response, drops the market stream and answers another order with
-1007; the order manager resolves both orders by client order ID, the stream reconnects and
the books resync; the emergency stop flattens everything; and the summary is checked against
the exchange's own record (one exchange order per intent, no duplicates).

Everything the run sees goes into a ``DemoRecord``, which the terminal view
(``tradeexec.demo_view``) and the HTML report (``tradeexec.demo_report``) only read: the
demo neither draws nor formats, so it runs the same in a terminal, a pipe or a test. The
record lives in ``tradeexec.demo_record``, the fault plan and its tracking in
``tradeexec.demo_faults``, the strategy in ``tradeexec.demo_strategy``; this module runs them.

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
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.models import DepthUpdateEvent, TradeEvent
from tradeexec.binance.streams import ConnectionEvent, ConnectionState, MarketStream
from tradeexec.book import BookManager
from tradeexec.config import Venue
from tradeexec.demo_exchange import fetch_exchange_record
from tradeexec.demo_faults import FaultTracker
from tradeexec.demo_figures import symbol_grids
from tradeexec.demo_record import QUOTE, START_QUOTE, SYMBOLS, ZERO, DemoRecord, DemoSummary, FillMark
from tradeexec.demo_strategy import SLOW, TARGET_NOTIONAL, MovingAverageCross
from tradeexec.errors import BinanceAPIError, OrderRejectedLocally
from tradeexec.execution.emergency import emergency_stop
from tradeexec.execution.feed import OrderFeed
from tradeexec.execution.journal import Journal, OrderState, OutcomeKind
from tradeexec.execution.orders import ManagedOrder, OrderManager
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import RiskLimits, RiskManager
from tradeexec.execution.signals import Executor, TargetPosition
from tradeexec.sim.config import AccountConfig, SimConfig
from tradeexec.sim.exchange import LocalExchange

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


def _config() -> SimConfig:
    cfg = SimConfig(accounts=[AccountConfig(name="demo", balances={QUOTE: START_QUOTE})])
    cfg.ensure_default_account()
    return cfg


@contextlib.asynccontextmanager
async def _venue_client(
    venue: Venue | None, base_url: str | None, record: DemoRecord
) -> AsyncIterator[tuple[BinanceClient, LocalExchange | None, str]]:
    """The client, the embedded exchange (None on a real venue or a given URL) and the
    stream base URL. A real venue's keys come from the environment (``load_settings``)."""
    if base_url is None and venue in (None, Venue.LOCAL):
        async with LocalExchange(_config()) as ex:
            record.exchange_url = ex.rest_url
            record.log(f"local exchange on {ex.rest_url} with a synthetic market")
            async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=3.0) as client:
                yield client, ex, ex.ws_url
        return
    async with BinanceClient(venue=venue, base_url=base_url) as client:
        record.exchange_url = client.settings.urls.rest
        record.venue = client.settings.venue.value
        record.log(f"trading on {client.settings.venue.value} at {client.settings.urls.rest}")
        yield client, None, client.settings.urls.stream


class _Demo:
    """The run's bookkeeping between ticks: market events into the books, fills and marks
    into the record, faults followed by the tracker."""

    def __init__(
        self,
        record: DemoRecord,
        summary: DemoSummary,
        client: BinanceClient,
        ex: LocalExchange | None,
        duration_s: float,
    ) -> None:
        self.record = record
        self.summary = summary
        self.client = client
        self.faults = FaultTracker(record, ex, duration_s, WARMUP_S)
        self.seen_trades: set[tuple[str, int]] = set()
        self.resyncs: dict[str, int] = {}

    # ---- market data ----------------------------------------------------------------------

    def on_market(self, event: object) -> None:
        if isinstance(event, DepthUpdateEvent):
            assert self.record.books is not None
            self.record.books.on_diff(event)
        elif isinstance(event, TradeEvent):
            self.record.last_trade[event.symbol] = event.price

    def on_stream_state(self, event: ConnectionEvent) -> None:
        record = self.record
        if event.state is ConnectionState.DISCONNECTED:
            record.stream_state = "disconnected"
            record.log(f"market stream disconnected: {event.reason or 'no reason given'}")
            return
        record.stream_state = "connected"
        if event.state is ConnectionState.RECONNECTED:
            record.reconnects += 1
            record.log("market stream reconnected, subscriptions restored")
            self.faults.stream_recovered()

    def check_books(self) -> None:
        record = self.record
        if record.books is not None:
            for symbol, book in record.books.books.items():
                if book.resyncs > self.resyncs.get(symbol, 0) and book.in_sync:
                    self.resyncs[symbol] = book.resyncs
                    record.log(f"book {symbol} back in sync from a fresh snapshot (resync {book.resyncs})")

    # ---- sampling -------------------------------------------------------------------------

    def sample(self) -> None:
        self.faults.scan_between_orders()
        record = self.record
        t = record.elapsed()
        for symbol in record.symbols:
            mark = record.mark(symbol)
            if mark is not None:
                record.prices.setdefault(symbol, []).append((t, mark))
        equity = record.equity_now()
        if equity is not None:
            record.equity.append((t, equity))
        for order in record.orders:
            self.record_fills(order)
        # The spot API's budgets ("api"): the only ones the demo spends.
        record.rate_limits = self.client.rate_limit_usage().get("api", [])
        self.faults.check_orders()
        self.check_books()

    def record_fills(self, order: ManagedOrder) -> None:
        record = self.record
        for fill in order.fills:
            key = (order.symbol, fill.trade_id or 0)
            if fill.trade_id is None or key in self.seen_trades or fill.last_price is None:
                continue
            self.seen_trades.add(key)
            record.fills.append(
                FillMark(
                    max(0.0, fill.update_ms / 1000 - record.started),
                    order.symbol,
                    str(order.side),
                    fill.last_price,
                    fill.last_qty or ZERO,
                    order.client_order_id,
                )
            )
            grid = record.grid(order.symbol)
            qty, price = grid.qty(fill.last_qty), grid.price(fill.last_price)
            record.log(f"fill {order.symbol} {order.side} {qty} @ {price}")


def user_data_feed(manager: OrderManager, client: BinanceClient) -> OrderFeed:
    """The user data stream feeding the order manager (execution reports within
    milliseconds); the manager's REST poller stays as the fallback while it is down."""
    return OrderFeed.for_client(manager, client, backoff_base_s=0.2)


async def run_demo(
    duration_s: float = 60.0,
    *,
    journal_dir: Path | None = None,
    say: Callable[[str], None] = print,
    record: DemoRecord | None = None,
    venue: Venue | None = None,
    base_url: str | None = None,
    notional: Decimal = TARGET_NOTIONAL,
) -> DemoSummary:
    """Run the demo for ``duration_s`` seconds of trading; ``record`` (made here if not given)
    is filled as the run goes, for a view to draw while it runs. Without ``venue`` and
    ``base_url`` it trades on an embedded local exchange, with faults."""
    journal_dir = journal_dir or Path(tempfile.mkdtemp(prefix="tradeexec-demo-"))
    record = record or DemoRecord()
    record.say = say
    record.venue = (venue or Venue.LOCAL).value
    record.started = time.time()
    record.journal_path = journal_dir / "journal.sqlite"
    summary = DemoSummary(journal_path=record.journal_path)
    async with _venue_client(venue, base_url, record) as (client, ex, stream_url):
        demo = _Demo(record, summary, client, ex, duration_s)
        record.books = BookManager(lambda s: client.depth(s, limit=100), max_levels=200)
        streams = [f"{s.lower()}@{kind}" for s in SYMBOLS for kind in ("depth@100ms", "trade")]
        positions = PositionTracker(prices=record.mark)
        record.positions = positions
        account = await client.account()
        positions.load_account(account)
        record.grids = symbol_grids(await client.rules(), SYMBOLS)
        held = {b.asset: b.free + b.locked for b in account.balances}
        summary.start_quote = held.get(QUOTE, ZERO)
        base = {} if ex is not None else {s: held.get(s.removesuffix(QUOTE), ZERO) for s in SYMBOLS}
        risk = RiskManager(RiskLimits(require_ip_restriction=False))
        journal = Journal(record.journal_path)
        manager = OrderManager(
            client,
            journal,
            strategy="demo",
            risk=risk,
            positions=positions,
            prices=record.mark,
            poll_interval_s=0.2,
            stale_after_s=0.5,
        )
        executor = Executor(client, manager, positions, risk, strategy="demo")
        strategy = MovingAverageCross(notional, base)
        async with MarketStream(
            stream_url,
            streams,
            on_event=demo.on_market,
            on_state=demo.on_stream_state,
            backoff_base_s=0.2,
            silence_timeout_s=10.0,
        ):
            await manager.start()
            try:
                async with user_data_feed(manager, client):
                    record.phase = "trading"
                    await _trade(demo, executor, strategy, duration_s)
                    record.phase = "settling"
                    demo.faults.disarm()
                    await _settle(record, manager)
                    demo.sample()
                    summary.unknown_resolved = _resolved_unknowns(journal, record.orders)
                    record.phase = "stopping"
                    if ex is None:
                        await _return_to_start(record, manager, executor, base)
            finally:
                await manager.close()
                journal.close()
            if ex is not None:
                record.log("EMERGENCY STOP: cancel everything, flatten to " + QUOTE)
                record.stop_arrivals = {s: record.arrival(s) for s in SYMBOLS}
                report = await emergency_stop(
                    client, flatten_assets=[s.removesuffix(QUOTE) for s in SYMBOLS], quote_asset=QUOTE
                )
                summary.emergency = report.lines()
                for line in summary.emergency:
                    record.log("  " + line)
            await record.books.close()
            await _check_exchange(client, record, summary)
            record.exchange = await fetch_exchange_record(
                client,
                SYMBOLS,
                record.orders,
                int(record.started * 1000),
                stop_ran=bool(record.stop_arrivals),
            )
            positions.load_account(await client.account())
            demo.sample()
            record.phase = "done"
    return summary


async def _trade(demo: _Demo, executor: Executor, strategy: MovingAverageCross, duration_s: float) -> None:
    record = demo.record
    deadline = record.started + duration_s
    while time.time() < deadline:
        demo.faults.arm()
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


async def _settle(record: DemoRecord, manager: OrderManager) -> None:
    """Let lost answers resolve, cancel what still rests (through the manager, so the
    journal sees it) and wait until every order has a final state and all its fills."""
    for _ in range(200):  # at most 10 s for the lookups of unknown outcomes
        if not any(o.state is OrderState.UNKNOWN for o in record.orders):
            break
        await asyncio.sleep(0.05)
    for order in record.open_orders():
        if order.state is not OrderState.UNKNOWN:
            record.log(f"cancel {order.client_order_id} (still resting)")
            await manager.cancel(order.client_order_id)
    for order in record.orders:
        with contextlib.suppress(TimeoutError):
            await order.wait_final(timeout=10)


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
            record.log(f"  {symbol} left as it is: {exc}")  # e.g. the difference is below the minimum
            continue
        for order in orders:
            record.add_order(order, arrival)
            with contextlib.suppress(TimeoutError):
                await order.wait_final(timeout=10)


async def _check_exchange(client: BinanceClient, record: DemoRecord, summary: DemoSummary) -> None:
    """The summary from the exchange's own record: each intent exactly once, final balances."""
    summary.orders = len(record.orders)
    summary.faults = [f.kind for f in record.faults if f.fired_s is not None]
    summary.reconnects = record.reconnects
    ours = {o.client_order_id for o in record.orders}
    seen: dict[str, int] = {}
    for symbol in SYMBOLS:
        for o in await client.all_orders(symbol):
            if o.client_order_id in ours:
                seen[o.client_order_id] = seen.get(o.client_order_id, 0) + 1
    summary.exchange_orders = sum(seen.values())
    summary.duplicates = sum(n - 1 for n in seen.values())
    summary.fills = sum(len(o.fills) for o in record.orders)
    account = await client.account()
    summary.end_balances = {
        b.asset: b.free + b.locked
        for b in account.balances
        if (b.free or b.locked) and b.asset in {QUOTE, *(s.removesuffix(QUOTE) for s in SYMBOLS)}
    }
