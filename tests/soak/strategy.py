"""The soak's strategy: a seeded stream of random intents of every kind the execution core
takes, and a ledger of what became of each one.

Each intent is drawn from its own ``Random(seed, index)``, so the same index always asks for
the same thing whichever worker runs it; what the exchange makes of it depends on timing and
faults, which is the point. The ledger is the strategy's own record: an intent ends with the
orders it produced, a refusal with its reason, or nothing to do (and why) -- never silence.
"""

from __future__ import annotations

import asyncio
import random
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.errors import JournalUnavailable, RateLimitBanActive, TradeexecError
from tradeexec.execution import Executor, ManagedOrder, OrderIntent, OrderManager, OrderSignal, TargetPosition

SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT", "ETHBTC")
# Order sizes, in each symbol's quote asset: a few times the minimum notional, so thousands of
# orders neither run the account dry nor pile up one-sided positions.
NOTIONAL = {"USDT": (Decimal(8), Decimal(60)), "BTC": (Decimal("0.0002"), Decimal("0.001"))}
KINDS = (
    ("limit_gtc", 14),
    ("limit_ioc", 6),
    ("limit_fok", 5),
    ("market_qty", 6),
    ("market_quote", 5),
    ("limit_maker", 6),
    ("stop_limit", 5),
    ("cancel", 16),
    ("replace", 10),
    ("target", 8),
)
INTENT_TIMEOUT_S = 45.0
BAN_PAUSE_S = 1.0


@dataclass(slots=True)
class IntentRecord:
    index: int
    kind: str
    symbol: str
    outcome: str = "pending"  # orders | refused | nothing | pending
    orders: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass(slots=True)
class Ledger:
    records: list[IntentRecord] = field(default_factory=list)
    # Exceptions no caller should see (bugs), with their tracebacks.
    unexpected: list[str] = field(default_factory=list)
    core_timeouts: int = 0  # TimeoutError raised by the core itself (OrderManager.replace)
    exception_reprs: list[str] = field(default_factory=list)  # for the secrets scan

    def outcomes(self) -> Counter[str]:
        return Counter(r.outcome for r in self.records)

    def refusals(self) -> Counter[str]:
        """Refusal reasons by family (the text up to the first colon or digit run)."""
        return Counter(_family(r.reason) for r in self.records if r.outcome == "refused")


def _family(reason: str) -> str:
    head = reason.split(":", 1)[0]
    return head[:60]


def _d(value: float, places: str) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(places))


class RandomStrategy:
    """``run_worker`` takes intent indexes from a shared counter until ``total`` are done.
    Subclasses (the futures leg's) change the symbols, the kinds and how an order is made."""

    symbols: tuple[str, ...] = SYMBOLS
    kinds: tuple[tuple[str, int], ...] = KINDS
    hedge = False  # futures only: orders name their leg (hedge mode)

    def __init__(
        self,
        executor: Executor,
        manager: OrderManager,
        ledger: Ledger,
        *,
        total: int,
        seed: int,
        on_halted: Callable[[], object] | None = None,
        after_each: Callable[[], None] | None = None,
    ) -> None:
        self.executor = executor
        self.manager = manager
        self.ledger = ledger
        self.total = total
        self.seed = seed
        self.on_halted = on_halted
        self.after_each = after_each
        self._next = 0
        self._names = [k for k, _ in self.kinds]
        self._weights = [w for _, w in self.kinds]

    async def run_worker(self) -> None:
        while self._next < self.total:
            index = self._next
            self._next += 1
            await self.one(index)
            if self.after_each is not None:
                self.after_each()

    async def one(self, index: int) -> IntentRecord:
        rng = random.Random(self.seed * 1_000_003 + index)
        kind = rng.choices(self._names, self._weights)[0]
        record = IntentRecord(index, kind, rng.choice(self.symbols))
        self.ledger.records.append(record)
        deadline = asyncio.timeout(INTENT_TIMEOUT_S)
        try:
            async with deadline:
                await self._act(rng, record)
        except (TradeexecError, ValueError) as exc:
            # A refusal (local rules, risk, halted trading, the exchange said no): its reason
            # is the record. The journal holds the exchange's refusals too.
            record.outcome, record.reason = "refused", f"{type(exc).__name__}: {exc}"
            self.ledger.exception_reprs.append(repr(exc))
            if "halted" in str(exc) and self.on_halted is not None:
                await _maybe_await(self.on_halted())
            elif isinstance(exc, (RateLimitBanActive, JournalUnavailable)):
                # Held back by a ban longer than the client would wait, or by a journal that
                # cannot be written: a strategy waits a moment rather than spending its next
                # intents on the same refusal (the bounded run would spend half of them).
                await asyncio.sleep(BAN_PAUSE_S)
        except TimeoutError:
            if deadline.expired():
                record.outcome, record.reason = "refused", "hung"
                self.ledger.unexpected.append(f"intent {index} ({kind}) ran over {INTENT_TIMEOUT_S}s")
            else:
                # replace() waits a bounded time for the old order's fate and raises this
                # when it is still unknown: a refusal with its reason, from the core.
                record.outcome, record.reason = "refused", "TimeoutError: old order still unresolved"
                self.ledger.core_timeouts += 1
        except Exception:
            record.outcome, record.reason = "refused", "unexpected exception"
            self.ledger.unexpected.append(f"intent {index} ({kind}):\n{traceback.format_exc()}")
        return record

    async def _act(self, rng: random.Random, record: IntentRecord) -> None:
        kind, symbol = record.kind, record.symbol
        if kind == "cancel":
            target = self._pick_open(rng, symbol)
            if target is None:
                record.outcome, record.reason = "nothing", f"no open order on {symbol}"
                return
            await self.manager.cancel(target.client_order_id)
            self._done(record, [target])
            return
        if kind == "replace":
            target = self._pick_open(rng, symbol, limit_only=True)
            if target is None:
                record.outcome, record.reason = "nothing", f"no open limit order on {symbol}"
                return
            mark = await self._mark(symbol)
            price = self._price(rng, mark, target.side)
            new = await self.manager.replace(target.client_order_id, price=price)
            self._done(record, [target] + ([new] if new is not None else []))
            return
        mark = await self._mark(symbol)
        side = rng.choice((Side.BUY, Side.SELL))
        qty = self._notional(rng, symbol) / mark
        await self._order(rng, record, mark, side, qty)

    async def _order(self, rng: random.Random, record: IntentRecord, mark: Decimal, side: Side,
                     qty: Decimal) -> None:
        """One intent that makes orders (every kind but cancel and replace)."""
        kind, symbol = record.kind, record.symbol
        if kind == "target":
            held = self.manager.positions.position(symbol)
            now = held.quantity if held is not None else Decimal(0)
            step = qty if rng.random() < 0.5 else -qty
            limit = self._price(rng, mark, Side.BUY if step > 0 else Side.SELL)
            use_limit = rng.random() < 0.4
            wanted = TargetPosition(symbol, target_quantity=now + step, price=limit if use_limit else None)
            orders = await self.executor.submit(wanted)
            if not orders:
                record.outcome, record.reason = "nothing", "already at target"
                return
            self._done(record, orders)
            return
        if kind == "stop_limit":
            # A stop above the market for a buy (below for a sell): it rests untriggered until
            # the market walks there, then becomes a limit order.
            sign = 1 if side is Side.BUY else -1
            stop = mark * (1 + sign * _d(rng.uniform(0.0005, 0.003), "0.000001"))
            order = await self.manager.submit(
                OrderIntent(
                    symbol, side, OrderType.STOP_LOSS_LIMIT, quantity=qty, stop_price=stop,
                    price=stop * (1 + sign * Decimal("0.001")), time_in_force=TimeInForce.GTC,
                )
            )
            self._done(record, [order])
            return
        signal = self._signal(rng, kind, symbol, side, qty, mark)
        self._done(record, await self.executor.submit(signal))

    def _signal(
        self, rng: random.Random, kind: str, symbol: str, side: Side, qty: Decimal, mark: Decimal
    ) -> OrderSignal:
        if kind == "market_qty":
            return OrderSignal(symbol, side, quantity=qty, type=OrderType.MARKET)
        if kind == "market_quote":
            return OrderSignal(symbol, side, quote_quantity=qty * mark, type=OrderType.MARKET)
        price = self._price(rng, mark, side)
        if kind == "limit_maker":
            # Mostly behind the touch (rests), sometimes through it (refused: would take).
            return OrderSignal(symbol, side, quantity=qty, type=OrderType.LIMIT_MAKER, price=price)
        tif = {"limit_gtc": TimeInForce.GTC, "limit_ioc": TimeInForce.IOC, "limit_fok": TimeInForce.FOK}[kind]
        return OrderSignal(symbol, side, quantity=qty, type=OrderType.LIMIT, price=price, time_in_force=tif)

    @staticmethod
    def _price(rng: random.Random, mark: Decimal, side: Side) -> Decimal:
        """Around the mark, mostly on the passive side, a third of the time through it."""
        away = _d(rng.uniform(-0.0015, 0.004), "0.000001")
        return mark * (1 - away) if side is Side.BUY else mark * (1 + away)

    def _notional(self, rng: random.Random, symbol: str) -> Decimal:
        low, high = NOTIONAL["BTC" if symbol.endswith("BTC") else "USDT"]
        return low + (high - low) * _d(rng.random(), "0.0001")

    async def _mark(self, symbol: str) -> Decimal:
        mark = await self.manager.mark_price(symbol)
        if not mark:
            raise TradeexecError(f"no price for {symbol}")
        return mark

    def _pick_open(self, rng: random.Random, symbol: str, *, limit_only: bool = False) -> ManagedOrder | None:
        live = [
            o for o in self.manager.open_orders(symbol)
            if not limit_only or o.intent.type == OrderType.LIMIT.value
        ]
        return rng.choice(live) if live else None

    @staticmethod
    def _done(record: IntentRecord, orders: list[ManagedOrder]) -> None:
        record.outcome = "orders"
        record.orders = [o.client_order_id for o in orders]


async def _maybe_await(value: object) -> None:
    if asyncio.iscoroutine(value):
        await value
