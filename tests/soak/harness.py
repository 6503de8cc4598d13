"""One chaos soak, wired end to end: the local exchange with its synthetic market, the real
client, the execution core (Executor, OrderManager, RiskManager, PositionTracker) fed by the
user data stream and by local order books from the depth streams, the random strategy, and
the chaos monkey -- then everything settled, checked and closed. On spot or on USDT-M futures
(``SoakSettings.product``; what differs between the two is in ``product.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.adversarial.resend_helpers import SteppedClock
from tests.adversarial.stream_proxy import StreamProxy
from tests.soak.chaos import ChaosMonkey, SimTaps
from tests.soak.futures_strategy import FuturesStrategy
from tests.soak.invariants import Findings, check, outside_problems
from tests.soak.outside import KINDS, Arrival, OrderTap, OutsideChaos
from tests.soak.product import SPOT, Product, feed_for, set_up_futures
from tests.soak.strategy import Ledger, RandomStrategy
from tests.soak.watch import Watch
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.ws.streams import MarketStream
from tradeexec.book import BookManager
from tradeexec.errors import TradeexecError
from tradeexec.execution import (
    EmergencyReport,
    ErrorPolicy,
    Executor,
    Journal,
    OrderManager,
    PositionTracker,
    RiskLimits,
    RiskManager,
    emergency_stop,
)
from tradeexec.execution.feed import OrderFeed
from tradeexec.sim.config import KeyConfig, SimConfig
from tradeexec.sim.exchange import LocalExchange

ED25519_KEY = "soaked25519" + "k" * 53
SETTLE_S = 90.0


@dataclass(slots=True)
class SoakSettings:
    intents: int
    seed: int = 8
    workers: int = 3
    fault_rate: float = 0.5  # faults armed per intent
    key_type: Literal["HMAC", "ED25519"] = "HMAC"
    # The user data stream: the spot default (a WebSocket API subscription), or the legacy
    # listenKey stream, which is what the listenKey-expiry fault strikes.
    legacy_stream: bool = False
    # Issue 13's outside faults (see outside.py), armed per intent at this rate.
    outside_kinds: tuple[str, ...] = KINDS
    outside_rate: float = 0.15
    # The user data stream through a proxy reordering and repeating its frames (HMAC, WS API).
    stream_proxy: bool = False
    # The emergency stop fires at a random intent, the workers still submitting.
    stop_mid_run: bool = False
    # Spot, or the futures leg (issue 16: USDT-M perpetuals; hedge mode when ``hedge``).
    product: Product = SPOT
    hedge: bool = False


@dataclass(slots=True)
class SoakRun:
    settings: SoakSettings
    workdir: Path
    ledger: Ledger = field(default_factory=Ledger)
    findings: Findings = field(default_factory=Findings)
    faults_fired: Counter[str] = field(default_factory=Counter)
    faults_armed: Counter[str] = field(default_factory=Counter)
    client_429: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # unhandled exceptions, tracebacks
    kill_switch: str | None = None
    emergency: EmergencyReport | None = None
    signatures: set[str] = field(default_factory=set)
    secrets: list[str] = field(default_factory=list)
    reprs: list[str] = field(default_factory=list)
    log_lines: int = 0
    wall_s: float = 0.0
    arrivals: list[Arrival] = field(default_factory=list)  # the exchange's order entry
    stop_orders: list[str] = field(default_factory=list)  # placed by the emergency stop itself
    outside_log: list[str] = field(default_factory=list)
    outside_problems: list[str] = field(default_factory=list)
    writer_refusals: list[str] = field(default_factory=list)
    degraded_windows: int = 0  # journal lock windows that raised the manager's alarm
    stop_at: int | None = None  # the intent index the mid-run stop fired after
    stop_began: float | None = None  # time.monotonic(), and the client's signing clock, then
    stop_signed_ms: int | None = None
    # Futures: reconciliations of the legs that found a difference (each an alarm), and the
    # position reads made to settle a statement or read the legs could not order.
    leg_alarms: int = 0
    position_checks: int = 0

    @property
    def journal_path(self) -> Path:
        return self.workdir / "journal.sqlite"

    @property
    def log_path(self) -> Path:
        return self.workdir / "soak.log"

    def problems(self) -> list[str]:
        out = self.findings.problems() + self.outside_problems[:20]
        out += [f"client-paced rate limit: {x}" for x in self.client_429[:10]]
        out += [f"unhandled: {x}" for x in (self.failures + self.ledger.unexpected)[:10]]
        if self.kill_switch != ("emergency stop" if self.settings.stop_mid_run else None):
            out.append(f"kill switch tripped: {self.kill_switch}")
        if self.emergency is None or not self.emergency.ok:
            out.append(f"emergency stop: {self.emergency.lines() if self.emergency else 'did not run'}")
        return out

    def lines(self) -> list[str]:
        f = self.findings
        outcomes = self.ledger.outcomes()
        out = [
            f"intents                  {len(self.ledger.records)} (seed {self.settings.seed}, "
            f"{self.settings.workers} workers, {self.settings.key_type} key, "
            f"{self.stream_name()} user data)",
            f"  with orders            {outcomes['orders']}",
            f"  refused with reason    {outcomes['refused']}",
            f"  nothing to do          {outcomes['nothing']}",
            f"orders journaled         {f.journal_intents}",
            f"orders on the exchange   {f.exchange_orders} ({f.fills} fills)",
            f"  rejected by exchange   {f.rejected_by_exchange} (journaled with reason)",
            f"  abandoned unsent       {f.abandoned} (journaled with reason)",
            f"duplicates               {len(f.duplicates)}",
            f"lost                     {len(f.lost)}",
            f"orders not journaled     {len(f.unjournaled)}",
            f"state mismatches         {len(f.state_mismatches)}",
            f"fill mismatches          {len(f.fill_mismatches)}",
            f"balance mismatches       {len(f.balance_mismatches)}",
            *([f"leg alarms               {self.leg_alarms} ({self.position_checks} position reads "
               "settled a doubt)"] if self.settings.product.futures else []),
            f"client-paced 429/418     {len(self.client_429)}",
            f"unhandled exceptions     {len(self.failures) + len(self.ledger.unexpected)}",
            f"kill switch              {self.kill_switch or 'not tripped'}",
            f"replace timeouts         {self.ledger.core_timeouts} (TimeoutError from the core)",
            f"orders after the stop    {self.after_stop()} (signed after it began; "
            f"{self.in_flight_at_stop()} were on the wire; {self.after_stop(closing=True)} closing)",
            f"journaled before sent    {sum(a.journaled_first for a in self.arrivals)} of "
            f"{len(self.arrivals)} orders reaching the exchange",
            f"the stop's own orders    {len(self.stop_orders)} (closing legs, placed by the stop)",
            f"journal alarm raised     in {self.degraded_windows} of {self.faults_fired['journal_locked']} "
            f"lock windows",
            f"second writers refused   {len(self.writer_refusals)}",
            f"log lines captured       {self.log_lines}",
            f"wall time                {self.wall_s:.1f} s",
            "refusals by reason:",
            *(f"  {n:6d}  {why}" for why, n in self.ledger.refusals().most_common(12)),
            "faults survived (fired / armed):",
            *(f"  {kind:18s} {self.faults_fired[kind]:6d} / {self.faults_armed[kind]}"
              for kind in sorted(set(self.faults_armed) | set(self.faults_fired))),
        ]
        return out

    def stream_name(self) -> str:
        if self.settings.product.futures:
            return f"futures {'hedge' if self.settings.hedge else 'one-way'} mode, listenKey"
        return "listenKey" if self.settings.legacy_stream else "WebSocket API"

    def after_stop(self, *, closing: bool = False) -> int:
        """Orders that reached the exchange signed after the stop began: must be none but
        closing ones (``closing``: count those), which the kill switch lets through by design
        on futures, since they cannot grow a position. The stop reads the signing clock and
        trips the kill switch with no await between, so an order signed in that same
        millisecond was signed before it: strictly later only. An order that reached the
        exchange before the stop began was signed before it, whatever its timestamp says:
        the signing clock is the local one plus the measured offset, and after the exchange's
        clock jumps back (the monkey's clock skew) a re-measured offset makes the stop's
        reading lower than that of an order signed seconds earlier (seed 5: arrived 2.3 s
        before the stop, its timestamp 161 ms above the stop's)."""
        if self.stop_signed_ms is None:
            return 0
        return sum(1 for a in self.arrivals if self._signed_after_stop(a) and a.closing is closing)

    def _signed_after_stop(self, a: Arrival) -> bool:
        assert self.stop_signed_ms is not None and self.stop_began is not None
        return a.signed_ms > self.stop_signed_ms and a.at >= self.stop_began

    def in_flight_at_stop(self) -> int:
        """Signed before the stop, arrived after it (the stop must find and cancel them)."""
        if self.stop_began is None or self.stop_signed_ms is None:
            return 0
        return sum(1 for a in self.arrivals if a.at >= self.stop_began and a.signed_ms <= self.stop_signed_ms)


def _config(settings: SoakSettings) -> tuple[SimConfig, str | None]:
    config = SimConfig.default()
    config.seed = settings.seed
    config.streams.legacy_listen_key = settings.legacy_stream
    # Room for a fast soak; the client still learns these limits from exchangeInfo and paces
    # itself by them, which is what the client-paced 429 count checks.
    config.rate_limits.request_weight_per_minute = 30_000
    config.rate_limits.orders_per_10s = 400
    config.market.interval_s = 0.1
    pem: str | None = None
    if settings.key_type == "ED25519":
        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        config.accounts[0].keys.append(KeyConfig(ED25519_KEY, "ED25519", public_key=public.decode()))
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    return config, pem


def _client(ex: LocalExchange, pem: str | None, clock: SteppedClock) -> BinanceClient:
    common = {"base_url": ex.rest_url, "timeout": 1.0, "retry_base_delay": 0.05, "max_rate_limit_wait_s": 5.0,
              "clock": clock.time}
    if pem is None:
        return BinanceClient(ex.api_key, ex.api_secret, **common)  # type: ignore[arg-type]
    return BinanceClient(ED25519_KEY, private_key=pem, **common)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def _market(client: BinanceClient, ex: LocalExchange, product: Product) -> AsyncIterator[BookManager]:
    async def snapshot(symbol: str) -> object:
        return await product.snapshot(client, symbol)

    books = BookManager(snapshot, retry_delay_s=0.1)  # type: ignore[arg-type]
    streams = [f"{s.lower()}@depth@100ms" for s in product.symbols]
    stream = MarketStream(ex.ws_url + product.market_path, streams, on_event=books.on_diff,  # type: ignore[arg-type]
                          silence_timeout_s=2.0, backoff_base_s=0.05, backoff_max_s=1.0)
    await stream.start()
    try:
        async with asyncio.timeout(10):
            for s in product.symbols:
                await books.wait_in_sync(s)
        yield books
    finally:
        await stream.close()
        await books.close()


def _mid(books: BookManager, symbol: str) -> Decimal | None:
    book = books.books.get(symbol)
    if book is None or not book.in_sync:
        return None
    bid, ask = book.best_bid(), book.best_ask()
    if bid is None or ask is None:
        return None
    return (bid[0] + ask[0]) / 2


async def run_soak(settings: SoakSettings, workdir: Path) -> SoakRun:
    run = SoakRun(settings, workdir)
    config, pem = _config(settings)
    try:
        await _on_exchange(run, config, pem)
    except Exception:  # e.g. the exchange failing as it stops: judged with the rest, not lost
        run.failures.append(f"soak ended by an exception:\n{traceback.format_exc()}")
    return run


async def _on_exchange(run: SoakRun, config: SimConfig, pem: str | None) -> None:
    async with LocalExchange(config) as ex:
        taps = SimTaps(ex, run.settings.product.limiter)
        orders = OrderTap(ex, run.settings.product.new_order)
        run.secrets = [ex.api_secret] + ([pem] if pem else [])
        with Watch(run.log_path) as watch:
            started = time.monotonic()
            await _soak(run, ex, pem, orders)
            run.wall_s = time.monotonic() - started
        run.failures += watch.failures
        run.log_lines = watch.lines
        run.signatures = taps.signatures
        run.client_429 = taps.client_429


async def _soak(run: SoakRun, ex: LocalExchange, pem: str | None, orders: OrderTap) -> None:
    settings = run.settings
    product = settings.product
    monkey = ChaosMonkey(ex, seed=settings.seed, rate=settings.fault_rate,
                         legacy_stream=settings.legacy_stream or product.futures, product=product)
    clock = SteppedClock()
    async with (
        _client(ex, pem, clock) as client,
        _market(client, ex, product) as books,
        StreamProxy(ex.ws_url, seed=settings.seed, heartbeat_s=2.0) as proxy,
    ):
        positions = PositionTracker(prices=lambda s: _mid(books, s))
        risk = RiskManager(RiskLimits(require_ip_restriction=False, max_orders_per_second=None,
                                      max_open_orders=150))
        # A short busy timeout: a journal locked by another process fails a write in 0.2 s
        # rather than holding the event loop for the default 2 s.
        journal = Journal(run.journal_path, busy_timeout_s=0.2)
        orders.journal = journal
        run.arrivals = orders.arrivals  # the same list: judged at the end, as it is then
        run.stop_orders = orders.stop_orders
        policy = ErrorPolicy(base_delay_s=0.02, max_delay_s=0.5, cooldown_s=0.3)
        venue = product.venue(client)
        manager = OrderManager(venue, journal, strategy="soak", risk=risk, positions=positions,
                               policy=policy, prices=lambda s: _mid(books, s), poll_interval_s=0.25,
                               stale_after_s=1.0, resend_margin_ms=500, clock_ms=clock.ms)
        outside = OutsideChaos(ex, run.journal_path, clock, lambda: manager.journal_problem,
                               seed=settings.seed, rate=settings.outside_rate, kinds=settings.outside_kinds)
        async with contextlib.AsyncExitStack() as stack:
            if product.futures:  # before the manager starts: it reads the position mode then
                await set_up_futures(venue, hedge=settings.hedge)
            await manager.start()
            stack.push_async_callback(_close_journal, manager, journal)
            # Nothing traded yet: the baseline spot fills replay onto (futures: the wallet).
            opening = None if product.futures else await client.account()
            feed = feed_for(product, manager, client, ex, legacy=settings.legacy_stream,
                            proxy=proxy if settings.stream_proxy else None)
            await feed.start()  # the tracker adopts the account, then the stream drives both
            stack.push_async_callback(_close_feed, run, feed)
            reader = venue if product.futures else client  # what the Executor reads the account from
            executor = Executor(reader, manager, positions, risk, strategy="soak")

            async def on_halted() -> None:
                if policy.in_maintenance:
                    with contextlib.suppress(TradeexecError, OSError):
                        status = await client.system_status()
                        policy.note_system_status(status.status, status.msg)
                await asyncio.sleep(0.1)

            quarter = settings.intents // 4
            stop = _MidRunStop(run, client, venue, risk,
                               quarter + monkey.rng.randrange(quarter) if settings.stop_mid_run else None)

            def after_each() -> None:
                monkey.tick()
                outside.tick()
                stop.tick()

            kind = FuturesStrategy if product.futures else RandomStrategy
            strategy = kind(executor, manager, run.ledger, total=settings.intents,
                            seed=settings.seed, on_halted=on_halted, after_each=after_each)
            strategy.hedge = settings.hedge
            try:
                await _drive(strategy, monkey, settings)
            finally:
                await outside.clear()
                await stop.done()
            policy.note_system_status(0)
            await _settle(manager, journal)
            await proxy.settle(timeout=20)
            await _settle_feed(feed)
            run.leg_alarms, run.position_checks = feed.stats.position_alarms, feed.stats.position_checks
            run.findings = check(ex, journal, manager, positions, run.ledger, opening, product)
            run.kill_switch = risk.trip_reason
            run.emergency = await emergency_stop(venue, flatten_assets=[])
            if product.engine(ex).open_orders(ex.account):
                run.failures.append("open orders left after the emergency stop")
            run.faults_fired, run.faults_armed = monkey.fired(), monkey.armed
            run.faults_fired += outside.fired
            run.faults_armed += outside.armed
            if settings.stream_proxy:
                run.faults_fired["stream_reorder"] = proxy.stats.held
                run.faults_fired["stream_duplicate"] = proxy.stats.duplicated
            run.outside_log, run.writer_refusals = outside.log, outside.refusals
            run.degraded_windows = outside.degraded_seen
            run.outside_problems = outside.problems + outside_problems(run.arrivals, manager.journal_problem)
            run.outside_problems += _late_orders(run, journal)
            run.reprs = [repr(x) for x in (client, client.transport, client.settings, manager, journal,
                                           positions, risk, policy, feed, executor, run.emergency)]
            run.reprs += [repr(manager.order(i.client_order_id)) for i in journal.intents()]


def _late_orders(run: SoakRun, journal: Journal) -> list[str]:
    """Each order signed after the stop began that reached the exchange, with what the
    journal says of its placements (ms from the stop's start), to tell how it got through."""
    if run.stop_signed_ms is None:
        return []
    out = []
    for a in run.arrivals:
        if not run._signed_after_stop(a) or a.closing:
            continue
        intent = journal.intent(a.client_order_id)
        sends = [] if intent is None else [
            f"{r.kind} #{r.attempt} at {r.sent_ms - run.stop_signed_ms:+d} ms: {r.outcome} {r.msg or ''}"
            for r in journal.requests(intent.id)
        ]
        out.append(f"{a.client_order_id} signed {a.signed_ms - run.stop_signed_ms:+d} ms after the stop "
                   f"began reached the exchange; journal: {sends}")
    return out


class _MidRunStop:
    """The emergency stop, fired once ``at`` intents have been handed out (None: never),
    beside the workers, which go on submitting: each is refused from then on."""

    def __init__(self, run: SoakRun, client: BinanceClient, venue: Any, risk: RiskManager,
                 at: int | None) -> None:
        self.run, self.client, self.venue, self.risk, self.at = run, client, venue, risk, at
        self.count = 0
        self._task: asyncio.Task[None] | None = None

    def tick(self) -> None:
        self.count += 1
        if self.count == self.at:
            self._task = asyncio.get_running_loop().create_task(self._stop(), name="mid-run stop")

    async def _stop(self) -> None:
        self.run.stop_at = self.count
        self.run.stop_began = time.monotonic()
        # The clock its orders are signed with: spot and futures hosts each have their offset.
        self.run.stop_signed_ms = self.client.timestamp_ms(self.run.settings.product.family)
        report = await emergency_stop(self.venue, flatten_assets=[], risk=self.risk)
        if not report.ok:
            self.run.failures.append("mid-run emergency stop: " + "; ".join(report.lines()))

    async def done(self) -> None:
        if self._task is not None:
            await self._task


async def _close_feed(run: SoakRun, feed: OrderFeed) -> None:
    """A stream whose task died re-raises at close: an unhandled exception of the run."""
    try:
        await feed.close()
    except Exception:
        run.failures.append(f"user data stream died:\n{traceback.format_exc()}")


async def _close_journal(manager: OrderManager, journal: Journal) -> None:
    await manager.close()
    journal.close()


async def _drive(strategy: RandomStrategy, monkey: ChaosMonkey, settings: SoakSettings) -> None:
    """The workers run the intents while the monkey breaks things; then calm returns."""
    try:
        async with asyncio.timeout(min(settings.intents * 2.0 + 60, 5400)):
            await asyncio.gather(*(strategy.run_worker() for _ in range(settings.workers)))
    finally:
        await monkey.clear()


async def _settle_feed(feed: OrderFeed) -> None:
    """Give the feed a bounded moment to settle what it doubted (the stream live and
    reconciled, no balance doubt waiting for its account read) before the figures are
    compared; a feed that has not settled by then is compared as it is."""
    deadline = time.monotonic() + 10.0
    with contextlib.suppress(TimeoutError):
        await feed.wait_synced(10.0)
    while not feed.balances_settled and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def _settle(manager: OrderManager, journal: Journal) -> None:
    """Cancel what rests, let every unknown outcome resolve and every fill arrive."""
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        pending = [o for o in (manager.order(i.client_order_id) for i in journal.intents())
                   if o is not None and not (o.is_final and o.filled_qty >= o.executed_qty)]
        if not pending:
            return
        for order in pending:
            if not order.is_final:
                with contextlib.suppress(TradeexecError, OSError, TimeoutError):
                    await manager.cancel(order.client_order_id)
        with contextlib.suppress(TradeexecError, OSError, TimeoutError):
            await manager.poll_once()
        await asyncio.sleep(0.2)
