"""Signals in: orders or target positions, from Python, an async iterator, or JSON lines.

A strategy says *what* it wants; the Executor works out *which orders* get there and hands
them to the order manager, which owns exactly-once submission. JSON lines let strategies in
any language drive it through a pipe: one bad line is reported and skipped, never fatal.

Line format (Decimals as strings or numbers)::

    {"kind": "order", "symbol": "BTCUSDT", "side": "BUY", "quantity": "0.01",
     "type": "LIMIT", "price": "60000", "time_in_force": "GTC"}
    {"kind": "target", "symbol": "BTCUSDT", "target_quantity": "0.05"}
    {"kind": "target", "symbol": "ETHUSDT", "target_notional": "1000"}
    {"kind": "target", "symbol": "BTCUSDT", "target_quantity": "-0.05", "position_leg": "BOTH"}

On a derivatives venue a target is a leg's signed quantity (negative: short) or signed
notional at the mark; ``position_leg`` names the leg (BOTH when not given, LONG or SHORT in
hedge mode), and the difference goes out as ``leg_targets.leg_orders`` splits it: what
closes is reduce-only, a flip is a reduce-only close and an opening order.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec

from tradeexec.errors import TradeexecError
from tradeexec.execution.dust import dust_reason
from tradeexec.execution.leg_targets import check_leg_target, leg_orders, signed_decimal
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.positions import AccountSnapshot, PositionTracker
from tradeexec.execution.risk import RiskManager
from tradeexec.params import check_decimal, check_enum, check_symbol
from tradeexec.plain_numbers import RULE, is_plain_decimal
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.rules import MarketFigures, Rounding, SymbolRuleSet
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

__all__ = [
    "Executor",
    "ExecutorStats",
    "OrderSignal",
    "Residual",
    "Signal",
    "TargetPosition",
    "decode_lines",
    "decode_signal",
]

log = logging.getLogger(__name__)
ZERO = Decimal(0)


class OrderSignal(msgspec.Struct, frozen=True, tag_field="kind", tag="order", forbid_unknown_fields=True):
    """One order: ``quantity`` (base) or ``quote_quantity`` (MARKET only). ``type`` defaults
    to LIMIT when a price is given, MARKET otherwise."""

    symbol: str
    side: Side
    quantity: Decimal | None = None
    quote_quantity: Decimal | None = None
    type: OrderType | None = None
    price: Decimal | None = None
    time_in_force: TimeInForce | None = None

    def __post_init__(self) -> None:
        if (self.quantity is None) == (self.quote_quantity is None):
            raise ValueError("give exactly one of quantity and quote_quantity")
        if self.quote_quantity is not None and self.order_type is not OrderType.MARKET:
            raise ValueError("quote_quantity is for MARKET orders only")
        if self.order_type is not OrderType.MARKET and self.price is None:
            raise ValueError(f"{self.order_type} needs a price")

    @property
    def order_type(self) -> OrderType:
        if self.type is not None:
            return self.type
        return OrderType.MARKET if self.price is None else OrderType.LIMIT


class TargetPosition(msgspec.Struct, frozen=True, tag_field="kind", tag="target", forbid_unknown_fields=True):
    """Hold ``target_quantity`` base (or ``target_notional`` quote at the mark) of ``symbol``.
    Reached with a MARKET order, or a LIMIT order at ``price`` when one is given. On a
    derivatives venue both are signed (short: negative) and ``position_leg`` names the leg."""

    symbol: str
    target_quantity: Decimal | None = None
    target_notional: Decimal | None = None
    price: Decimal | None = None
    position_leg: PositionLeg | None = None

    def __post_init__(self) -> None:
        if (self.target_quantity is None) == (self.target_notional is None):
            raise ValueError("give exactly one of target_quantity and target_notional")


Signal = OrderSignal | TargetPosition
_DECODER: msgspec.json.Decoder[Signal] = msgspec.json.Decoder(Signal)
_RAW_FIELDS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_DECIMAL_FIELDS = frozenset(("quantity", "quote_quantity", "price", "target_quantity", "target_notional"))
_SIGNED_FIELDS = frozenset(("target_quantity", "target_notional"))  # a short target is negative


def decode_signal(line: str | bytes) -> Signal:
    """Parse one JSON line; raises msgspec.DecodeError/ValidationError with the reason.

    Decimal parsing reads any script's digits ("１２" is 12): a line whose text is not plain
    ASCII (or hides it behind \\u escapes) has its values checked, so a quantity nobody typed
    in 0-9 is refused rather than traded."""
    signal = _DECODER.decode(line)
    raw = line.encode() if isinstance(line, str) else line
    if not raw.isascii() or b"\\u" in raw:
        for key, value in msgspec.json.decode(raw).items():
            if isinstance(value, str) and not value.isascii():
                raise msgspec.ValidationError(f"Non-ASCII characters in {value!r} - at `$.{key}`")
    # Decimal reads "0.0_5" as 0.05 and takes exponents: each number is checked as written.
    for key, value in _RAW_FIELDS.decode(raw).items():
        if key in _DECIMAL_FIELDS:
            text = bytes(value)
            number = text.strip(b'"')
            if key in _SIGNED_FIELDS:
                number = number.removeprefix(b"-")
            if text != b"null" and not is_plain_decimal(number):
                shown = text.decode(errors="replace")
                raise msgspec.ValidationError(f"{shown} is not a plain decimal: {RULE} - at `$.{key}`")
    return signal


@dataclass(frozen=True, slots=True)
class Residual:
    """What target mode left between a position and its target because no order the
    exchange takes can close it (below minQty or minNotional: fee dust, typically).
    ``quantity`` is signed like the order it would need: positive short of the target (a
    buy), negative past it (a sell). ``reason`` names the filter and the figures."""

    symbol: str
    quantity: Decimal
    reason: str


@dataclass(slots=True)
class ExecutorStats:
    """A run's count of signals, the orders they sent, the refused signals, and the
    residual left per symbol when the run ended (``Executor.residuals``)."""

    signals: int = 0
    orders: list[ManagedOrder] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    residuals: dict[str, Residual] = field(default_factory=dict)


class Executor:
    def __init__(
        self,
        client: Any,
        order_manager: OrderManager,
        positions: PositionTracker,
        risk: RiskManager,
        *,
        strategy: str = "executor",
    ) -> None:
        self.client = client
        self.orders = order_manager
        self.positions = positions
        self.risk = risk
        self.strategy = strategy
        self._balances_loaded = False
        # Per symbol, the dust the last target left (none once a target is met or an order sent).
        self.residuals: dict[str, Residual] = {}

    async def submit(self, signal: Signal) -> list[ManagedOrder]:
        """Turn one signal into orders; returns the orders submitted (maybe none)."""
        if isinstance(signal, OrderSignal):
            order = await self.orders.submit(
                OrderIntent(
                    symbol=signal.symbol,
                    side=signal.side,
                    type=signal.order_type,
                    quantity=signal.quantity,
                    quote_quantity=signal.quote_quantity,
                    price=signal.price,
                    time_in_force=signal.time_in_force,
                    strategy=self.strategy,
                )
            )
            return [order]
        return await self._reach_target(signal)

    async def _position(self, symbol: str) -> Decimal:
        # Load once, and never over balances the tracker already keeps: fills arriving while
        # the snapshot is in flight would be counted twice (or lost) by the overwrite.
        if not self._balances_loaded:
            self._balances_loaded = True
            if not self.positions.balances:
                account: AccountSnapshot = await self.client.account()
                self.positions.load_account(account)
        rules = self.orders._symbol_rules(symbol)
        pos = self.positions.register_symbol(symbol, rules.base_asset, rules.quote_asset)
        return pos.quantity

    async def _reach_target(self, target: TargetPosition) -> list[ManagedOrder]:
        symbol = check_symbol(target.symbol)
        leg = target.position_leg
        if leg is None and callable(getattr(self.orders.venue, "positions", None)):
            leg = PositionLeg.BOTH  # a derivatives venue: one-way mode's leg
        if leg is not None:
            return await self._reach_leg_target(target, symbol, check_enum("position_leg", leg, PositionLeg))
        rules = self.orders._symbol_rules(symbol)
        # A spot position cannot go below zero: a negative target is refused, not sold into.
        wanted, mark, _ = await self._wanted(target, symbol, signed=False)
        delta = wanted - await self._position(symbol)
        pending = await self._keep_pending(symbol, delta, None)
        delta = wanted - await self._position(symbol) - pending
        side = Side.BUY if delta > 0 else Side.SELL
        market = target.price is None
        qty = rules.round_qty(abs(delta), Rounding.DOWN, market=market)
        reason = await self._dust(rules, side, qty, target.price, mark) if delta else None
        self._note_residual(symbol, delta, reason)
        if not delta or reason is not None:
            return []
        order = await self.orders.submit(
            OrderIntent(
                symbol=symbol,
                side=side,
                type=OrderType.MARKET if market else OrderType.LIMIT,
                quantity=qty,
                price=target.price,
                strategy=self.strategy,
            )
        )
        return [order]

    async def _wanted(
        self, target: TargetPosition, symbol: str, *, signed: bool
    ) -> tuple[Decimal, Decimal | None, str]:
        """The target's quantity (a notional turned into one at the mark), the mark, and the
        field it came from; each value checked naming its field (``signed``: a short target
        is negative)."""
        quantity, notional = (
            None if value is None else signed_decimal(name, value) if signed
            else check_decimal(name, value, allow_zero=True)
            for name, value in (("target_quantity", target.target_quantity),
                                ("target_notional", target.target_notional))
        )  # fmt: skip
        if target.price is not None:
            check_decimal("price", target.price)
        mark = await self.orders.mark_price(symbol)
        if quantity is not None:
            return quantity, mark, "target_quantity"
        if mark:
            return (notional or ZERO) / mark, mark, "target_notional"
        raise TradeexecError(f"no price for {symbol} to turn a notional target into a quantity")

    async def _keep_pending(self, symbol: str, delta: Decimal, leg: PositionLeg | None) -> Decimal:
        """Cancel the open orders on the position (``leg``: None for spot) that pull the other
        way or more than ``delta`` the same way; returns what the kept ones still add."""
        pending = ZERO
        for o in self.orders.open_orders(symbol):
            if o.intent.position_leg is not leg:
                continue
            signed = o.remaining_qty if o.side is Side.BUY else -o.remaining_qty
            if (signed > 0) != (delta > 0) or abs(pending + signed) > abs(delta):
                await self.orders.cancel(o.client_order_id)
            else:
                pending += signed
        return pending

    async def _reach_leg_target(
        self, target: TargetPosition, symbol: str, leg: PositionLeg
    ) -> list[ManagedOrder]:
        """A derivatives leg to its target: the orders ``leg_orders`` splits the difference
        into, each rounded down to the step; a part below the venue's minimum is residual."""
        rules = self.orders._symbol_rules(symbol)
        wanted, mark, field = await self._wanted(target, symbol, signed=True)
        check_leg_target(field, wanted, leg)
        pending = await self._keep_pending(symbol, wanted - self._leg_quantity(symbol, leg), leg)
        current = self._leg_quantity(symbol, leg)
        market = target.price is None
        left, why = ZERO, None
        sent: list[ManagedOrder] = []
        for part in leg_orders(current + pending, wanted):
            qty = rules.round_qty(part.quantity, Rounding.DOWN, market=market)
            reason = await self._dust(rules, part.side, qty, target.price, mark, reduce_only=part.reduce_only)
            if reason is not None:
                left += part.quantity if part.side is Side.BUY else -part.quantity
                why = why or reason
                continue
            intent = OrderIntent(
                symbol, part.side, OrderType.MARKET if market else OrderType.LIMIT, quantity=qty,
                price=target.price, strategy=self.strategy, reduce_only=part.reduce_only, position_leg=leg,
            )  # fmt: skip
            sent.append(await self.orders.submit(intent))
        self._note_residual(symbol if leg is PositionLeg.BOTH else f"{symbol} {leg}", left, why)
        return sent

    def _leg_quantity(self, symbol: str, leg: PositionLeg) -> Decimal:
        found = self.positions.legs.get(symbol, leg)
        return found.quantity if found is not None else ZERO

    async def _dust(
        self,
        rules: SymbolRuleSet,
        side: Side,
        qty: Decimal,
        price: Decimal | None,
        mark: Decimal | None,
        *,
        reduce_only: bool = False,
    ) -> str | None:
        """Why the order would be refused as too small, judged at the prices the venue uses
        (its average price for a MARKET order, where it has one), or None."""
        market = MarketFigures(last_price=mark, average_price=await self.orders.average_prices.get(rules))
        return dust_reason(rules, side, qty, price, market, reduce_only=reduce_only)

    def _note_residual(self, symbol: str, delta: Decimal, reason: str | None) -> None:
        """Keep the residual the target leaves, logged at INFO when one appears: not every
        tick (a notional target's residual moves with the mark, and would log each time)."""
        if reason is None:
            self.residuals.pop(symbol, None)
            return
        if symbol not in self.residuals:
            log.info("%s: residual %s left, not sent (%s)", symbol, delta, reason)
        self.residuals[symbol] = Residual(symbol, delta, reason)

    async def run(self, signals: AsyncIterable[Signal]) -> ExecutorStats:
        """Submit every signal; a refused or failed signal is logged and counted, and the
        run goes on."""
        stats = ExecutorStats()
        async for signal in signals:
            await self._one(signal, stats, where=f"signal {stats.signals + 1}")
        stats.residuals = dict(self.residuals)
        return stats

    async def run_jsonl(self, stream: AsyncIterable[str | bytes] | Iterable[str | bytes]) -> ExecutorStats:
        """Read signals as JSON lines (a file, stdin, an asyncio StreamReader); blank lines
        are skipped, bad lines are reported with their number and skipped."""
        stats = ExecutorStats()

        def skipped(lineno: int, exc: Exception) -> None:
            stats.errors.append(f"line {lineno}: {exc}")
            log.error("signal line %d skipped: %s", lineno, exc)

        async for lineno, signal in decode_lines(stream, skipped):
            await self._one(signal, stats, where=f"line {lineno}")
        stats.residuals = dict(self.residuals)
        return stats

    async def _one(self, signal: Signal, stats: ExecutorStats, *, where: str) -> None:
        stats.signals += 1
        try:
            stats.orders += await self.submit(signal)
        except (TradeexecError, ValueError) as exc:
            stats.errors.append(f"{where}: {exc}")
            log.error("%s refused: %s", where, exc)


async def decode_lines(
    stream: AsyncIterable[str | bytes] | Iterable[str | bytes], on_error: Callable[[int, Exception], None]
) -> AsyncIterator[tuple[int, Signal]]:
    """``(line number, signal)`` of every line that decodes; blank lines are skipped, and a
    bad line goes to ``on_error`` with its number and the reason, never ending the stream."""
    lineno = 0
    async for raw in _lines(stream):
        lineno += 1
        if not raw.strip():
            continue
        try:
            signal = decode_signal(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            on_error(lineno, exc)
            continue
        yield lineno, signal


async def _lines(stream: AsyncIterable[str | bytes] | Iterable[str | bytes]) -> AsyncIterable[str | bytes]:
    if isinstance(stream, AsyncIterable):
        async for line in stream:
            yield line
    else:
        for line in stream:
            yield line
