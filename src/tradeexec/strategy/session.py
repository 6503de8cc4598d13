"""A trading session: what ``tradeexec demo`` and ``tradeexec run`` both stand on.

A session opens the venue (an embedded local exchange, or a real venue with keys from the
settings), keeps a local order book per symbol from the diff-depth stream, follows the
account's positions, wires the journal, the risk manager, the order manager and its user
data feed, and writes everything it sees into a ``DemoRecord`` that the terminal view and
the HTML report read. The caller only trades inside ``TradingSession.open``; on the way out the
session closes the order manager, checks the exchange's own record (one exchange order per
intent, no duplicates) and reloads the final balances, so every run ends with the same
proof whatever strategy it ran.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.models import DepthUpdateEvent, TradeEvent
from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState
from tradeexec.book import BookManager
from tradeexec.config import Venue
from tradeexec.demo.exchange import fetch_exchange_record
from tradeexec.demo.figures import symbol_grids
from tradeexec.demo.record import QUOTE, START_QUOTE, ZERO, DemoRecord, DemoSummary, FillMark
from tradeexec.execution.feed import OrderFeed
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.maintenance_windows import MaintenanceSettings
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import RiskLimits, RiskManager
from tradeexec.execution.signals import Executor
from tradeexec.sim.config import AccountConfig, SimConfig
from tradeexec.sim.exchange import LocalExchange
from tradeexec.strategy.products import SessionVenue, SpotProduct, product_of

__all__ = ["SessionPlan", "TradingSession", "check_exchange", "settle"]


@dataclass(frozen=True, slots=True)
class SessionPlan:
    """Where and how a session trades: ``venue`` None (and no ``base_url``) is the embedded
    local exchange; ``strategy`` names the client order IDs and the journal's intents."""

    strategy: str
    venue: Venue | None = None
    base_url: str | None = None
    risk: RiskLimits | None = None
    product: str = "spot"  # or "usdm": USDⓈ-M futures (``tradeexec.strategy.products``)
    maintenance: MaintenanceSettings | None = None  # on_maintenance, announced windows


def _local_config(product: SpotProduct) -> SimConfig:
    cfg = SimConfig(accounts=[AccountConfig(name="demo", balances={QUOTE: START_QUOTE})])
    cfg.ensure_default_account()
    product.configure(cfg)
    return cfg


@contextlib.asynccontextmanager
async def _venue_client(
    plan: SessionPlan, record: DemoRecord
) -> AsyncIterator[tuple[BinanceClient, LocalExchange | None, str]]:
    """The client, the embedded exchange (None on a real venue or a given URL) and the
    stream base URL. A real venue's keys come from the environment (``load_settings``)."""
    venue, base_url = plan.venue, plan.base_url
    if base_url is None and venue in (None, Venue.LOCAL):
        async with LocalExchange(_local_config(product_of(plan.product))) as ex:
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


class TradingSession:
    """The run's bookkeeping between ticks: market events into the books, fills and marks
    into the record. Subclasses add their own checks (the demo follows its faults) by
    overriding ``on_reconnected``, ``before_sample``, ``after_sample`` and ``after_trading``."""

    product: SpotProduct = product_of("spot")

    def __init__(
        self, record: DemoRecord, summary: DemoSummary, client: BinanceClient, ex: LocalExchange | None
    ) -> None:
        self.record = record
        self.summary = summary
        self.client = client
        self.ex = ex
        self.seen_trades: set[tuple[str, int]] = set()
        self.resyncs: dict[str, int] = {}
        # Set by open_session once the account is read and the manager is up.
        self.held: dict[str, Decimal] = {}
        self.manager: OrderManager
        self.venue: SessionVenue
        self.executor: Executor
        self.journal: Journal

    # ---- hooks ----------------------------------------------------------------------------

    def on_reconnected(self) -> None:
        """The market stream is back (after ``record`` was told)."""

    def before_sample(self) -> None:
        """Called first on every ``sample``."""

    def after_sample(self) -> None:
        """Called after every ``sample`` has taken the marks, equity and fills."""

    async def before_start(self) -> None:
        """The venue and the order manager are made, not started (a futures run sets its
        leverage here)."""

    async def after_trading(self) -> None:
        """After the order manager closed, before the exchange's record is checked."""

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
            self.on_reconnected()

    def check_books(self) -> None:
        record = self.record
        if record.books is not None:
            for symbol, book in record.books.books.items():
                if book.resyncs > self.resyncs.get(symbol, 0) and book.in_sync:
                    self.resyncs[symbol] = book.resyncs
                    record.log(f"book {symbol} back in sync from a fresh snapshot (resync {book.resyncs})")

    # ---- sampling -------------------------------------------------------------------------

    def sample(self) -> None:
        """Marks, equity and new fills into the record, for the view and the report."""
        self.before_sample()
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
        # The product's API budgets ("api" on spot, "fapi" on futures): the ones it spends.
        record.rate_limits = self.client.rate_limit_usage().get(self.product.budget, [])
        self.after_sample()
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

    @classmethod
    @contextlib.asynccontextmanager
    async def open(
        cls, record: DemoRecord, summary: DemoSummary, plan: SessionPlan, **extra: Any
    ) -> AsyncIterator[Self]:
        """Open the venue, the market stream and books of ``record.symbols``, the journal at
        ``record.journal_path`` and the order manager with its user data feed; the caller
        trades inside. On exit the exchange's record is checked into ``summary``. ``extra``
        goes to the subclass's constructor."""
        assert record.journal_path is not None
        product = product_of(plan.product)
        async with _venue_client(plan, record) as (client, ex, stream_url):
            session = cls(record, summary, client, ex, **extra)
            session.product = product
            record.books = BookManager(product.depth(client), max_levels=200, book_type=product.book_type)
            positions = PositionTracker(prices=record.mark)
            record.positions = positions
            venue = product.venue(client)
            account = await venue.balances()
            positions.load_account(account)
            record.grids = symbol_grids(await venue.rules(), record.symbols)
            session.held = {b.asset: b.free + b.locked for b in account.balances}
            summary.start_quote = session.held.get(QUOTE, ZERO)
            risk = RiskManager(plan.risk or RiskLimits())  # key audit by venue: IP whitelist on real venues
            session.journal = Journal(record.journal_path)
            session.venue = venue
            maintenance = plan.maintenance or MaintenanceSettings()
            session.manager = OrderManager(
                venue,
                session.journal,
                strategy=plan.strategy,
                risk=risk,
                positions=positions,
                prices=record.mark,
                poll_interval_s=0.2,
                stale_after_s=0.5,
                on_maintenance=maintenance.action,
                maintenance_windows=maintenance.windows,
                maintenance_lead_s=maintenance.lead_s,
            )
            await session.before_start()
            session.executor = Executor(client, session.manager, positions, risk, strategy=plan.strategy)
            async with product.market_stream(
                stream_url,
                record.symbols,
                on_event=session.on_market,
                on_state=session.on_stream_state,
                backoff_base_s=0.2,
                silence_timeout_s=10.0,
            ):
                await session.manager.start()
                # The run's PnL counts from here: all held at the marks the manager started on.
                record.valuation = session.manager.valuation
                start_equity = record.valuation.start_equity
                if start_equity is not None:
                    record.equity.append((record.elapsed(), start_equity))
                try:
                    # The user data stream feeds the manager execution reports within
                    # milliseconds; its REST poller stays as the fallback while it is down.
                    stream = venue.user_stream(backoff_base_s=0.2)
                    async with OrderFeed(stream, session.manager, account=venue):
                        record.phase = "trading"
                        yield session
                finally:
                    await session.manager.close()
                    session.journal.close()
                await session.after_trading()
                await record.books.close()
                await check_exchange(client, record, summary, product)
                if product.name == "spot":  # the report's figures read spot's allOrders and myTrades
                    record.exchange = await fetch_exchange_record(
                        client,
                        record.symbols,
                        record.orders,
                        int(record.started * 1000),
                        stop_ran=bool(record.stop_arrivals),
                    )
                positions.load_account(await venue.balances())
                session.sample()
                record.phase = "done"


async def settle(record: DemoRecord, manager: OrderManager) -> None:
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


async def check_exchange(
    client: BinanceClient, record: DemoRecord, summary: DemoSummary, product: SpotProduct
) -> None:
    """The summary from the exchange's own record: each intent exactly once, final balances."""
    summary.orders = len(record.orders)
    summary.faults = [f.kind for f in record.faults if f.fired_s is not None]
    summary.reconnects = record.reconnects
    ours = {o.client_order_id for o in record.orders}
    seen: dict[str, int] = {}
    for symbol in record.symbols:
        for cid in await product.client_order_ids(client, symbol):
            if cid in ours:
                seen[cid] = seen.get(cid, 0) + 1
    summary.exchange_orders = sum(seen.values())
    summary.duplicates = sum(n - 1 for n in seen.values())
    summary.fills = sum(len(o.fills) for o in record.orders)
    assets = [QUOTE, *(s.removesuffix(QUOTE) for s in record.symbols)]
    summary.end_balances = await product.holdings(client, assets)
