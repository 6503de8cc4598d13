"""One chaos soak, wired end to end: the local exchange with its synthetic market, the real
client, the execution core (Executor, OrderManager, RiskManager, PositionTracker) fed by the
user data stream and by local order books from the depth streams, the random strategy, and
the chaos monkey -- then everything settled, checked and closed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.soak.chaos import ChaosMonkey, SimTaps
from tests.soak.invariants import Findings, check
from tests.soak.strategy import SYMBOLS, Ledger, RandomStrategy
from tests.soak.watch import Watch
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.ws.streams import MarketStream
from tradeexec.binance.ws.userdata import ListenKeyUserData
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

    @property
    def journal_path(self) -> Path:
        return self.workdir / "journal.sqlite"

    @property
    def log_path(self) -> Path:
        return self.workdir / "soak.log"

    def problems(self) -> list[str]:
        out = self.findings.problems()
        out += [f"client-paced rate limit: {x}" for x in self.client_429[:10]]
        out += [f"unhandled: {x}" for x in (self.failures + self.ledger.unexpected)[:10]]
        if self.kill_switch is not None:
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
            f"{'listenKey' if self.settings.legacy_stream else 'WebSocket API'} user data)",
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
            f"client-paced 429/418     {len(self.client_429)}",
            f"unhandled exceptions     {len(self.failures) + len(self.ledger.unexpected)}",
            f"kill switch              {self.kill_switch or 'not tripped'}",
            f"replace timeouts         {self.ledger.core_timeouts} (TimeoutError from the core)",
            f"log lines captured       {self.log_lines}",
            f"wall time                {self.wall_s:.1f} s",
            "refusals by reason:",
            *(f"  {n:6d}  {why}" for why, n in self.ledger.refusals().most_common(12)),
            "faults survived (fired / armed):",
            *(f"  {kind:18s} {self.faults_fired[kind]:6d} / {self.faults_armed[kind]}"
              for kind in sorted(set(self.faults_armed) | set(self.faults_fired))),
        ]
        return out


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


def _client(ex: LocalExchange, pem: str | None) -> BinanceClient:
    common = {"base_url": ex.rest_url, "timeout": 1.0, "retry_base_delay": 0.05, "max_rate_limit_wait_s": 5.0}
    if pem is None:
        return BinanceClient(ex.api_key, ex.api_secret, **common)  # type: ignore[arg-type]
    return BinanceClient(ED25519_KEY, private_key=pem, **common)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def _market(client: BinanceClient, ex: LocalExchange) -> AsyncIterator[BookManager]:
    async def snapshot(symbol: str) -> object:
        return await client.depth(symbol, limit=100)

    books = BookManager(snapshot, retry_delay_s=0.1)  # type: ignore[arg-type]
    streams = [f"{s.lower()}@depth@100ms" for s in SYMBOLS]
    stream = MarketStream(ex.ws_url, streams, on_event=books.on_diff,  # type: ignore[arg-type]
                          silence_timeout_s=2.0, backoff_base_s=0.05, backoff_max_s=1.0)
    await stream.start()
    try:
        async with asyncio.timeout(10):
            for s in SYMBOLS:
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
    async with LocalExchange(config) as ex:
        taps = SimTaps(ex)
        run.secrets = [ex.api_secret] + ([pem] if pem else [])
        with Watch(run.log_path) as watch:
            started = time.monotonic()
            await _soak(run, ex, pem)
            run.wall_s = time.monotonic() - started
        run.failures += watch.failures
        run.log_lines = watch.lines
        run.signatures = taps.signatures
        run.client_429 = taps.client_429
    return run


async def _soak(run: SoakRun, ex: LocalExchange, pem: str | None) -> None:
    settings = run.settings
    monkey = ChaosMonkey(ex, seed=settings.seed, rate=settings.fault_rate,
                         legacy_stream=settings.legacy_stream)
    async with _client(ex, pem) as client, _market(client, ex) as books:
        positions = PositionTracker(prices=lambda s: _mid(books, s))
        risk = RiskManager(RiskLimits(require_ip_restriction=False, max_orders_per_second=None,
                                      max_open_orders=150))
        journal = Journal(run.journal_path)
        policy = ErrorPolicy(base_delay_s=0.02, max_delay_s=0.5, cooldown_s=0.3)
        manager = OrderManager(client, journal, strategy="soak", risk=risk, positions=positions,
                               policy=policy, prices=lambda s: _mid(books, s), poll_interval_s=0.25,
                               stale_after_s=1.0, resend_margin_ms=500)
        async with contextlib.AsyncExitStack() as stack:
            await manager.start()
            stack.push_async_callback(_close_journal, manager, journal)
            opening = await client.account()  # nothing traded yet: the baseline fills replay onto
            feed = _feed(manager, client, ex, legacy=settings.legacy_stream)
            await feed.start()  # the tracker adopts the account, then the stream drives both
            stack.push_async_callback(feed.close)
            executor = Executor(client, manager, positions, risk, strategy="soak")

            async def on_halted() -> None:
                if policy.in_maintenance:
                    with contextlib.suppress(TradeexecError, OSError):
                        status = await client.system_status()
                        policy.note_system_status(status.status, status.msg)
                await asyncio.sleep(0.1)

            strategy = RandomStrategy(executor, manager, run.ledger, total=settings.intents,
                                      seed=settings.seed, on_halted=on_halted, after_each=monkey.tick)
            await _drive(strategy, monkey, settings)
            policy.note_system_status(0)
            await _settle(manager, journal)
            run.findings = check(ex, journal, manager, positions, run.ledger, opening)
            run.kill_switch = risk.trip_reason
            run.emergency = await emergency_stop(client, flatten_assets=[])
            if ex.state.engine.open_orders(ex.account):
                run.failures.append("open orders left after the emergency stop")
            run.faults_fired, run.faults_armed = monkey.fired(), monkey.armed
            run.reprs = [repr(x) for x in (client, client.transport, client.settings, manager, journal,
                                           positions, risk, policy, feed, executor, run.emergency)]
            run.reprs += [repr(manager.order(i.client_order_id)) for i in journal.intents()]


def _feed(manager: OrderManager, client: BinanceClient, ex: LocalExchange, *, legacy: bool) -> OrderFeed:
    """The product's feed; the legacy stream is built by hand only to detect silence in
    seconds rather than the default two minutes."""
    if not legacy:
        return OrderFeed.for_client(manager, client, backoff_base_s=0.05)
    stream = ListenKeyUserData(client, ex.ws_url, keepalive_s=5.0, silence_timeout_s=3.0, backoff_base_s=0.05)
    return OrderFeed(stream, manager)


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
