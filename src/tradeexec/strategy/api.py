"""What a user's strategy sees: ``StrategyContext``, the one argument of ``strategy(ctx)``.

A strategy module defines ``async def strategy(ctx)`` (and optionally ``SYMBOLS``, the
symbols whose books it reads, and ``PARAMS``, its parameter defaults). It reads the market
(``ctx.mid``, ``ctx.book``), the account (``ctx.position``, ``ctx.balance``) and says what it
wants (``await ctx.target(...)`` for a position, ``await ctx.order(...)`` for one order).
Everything it asks for goes through the same Executor, risk limits, journal and
exactly-once order manager as the demo; a refusal (a risk limit, a symbol filter, the
exchange saying no) is logged and returns no order, so a 20-line strategy does not need a
try block to survive one bad signal. ``async for _ in ctx.ticks(s)`` is its clock: it ends
when the run's ``--duration`` is over, and the runner cancels the strategy if it keeps going.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.demo.record import ZERO, DemoRecord, DemoSummary
from tradeexec.errors import BinanceAPIError, OrderRejectedLocally
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.policy import TradingHalted
from tradeexec.execution.signals import Executor, OrderSignal, Signal, TargetPosition

__all__ = ["StrategyContext"]


class StrategyContext:
    """The strategy's view of the run; see the module docstring."""

    def __init__(
        self,
        record: DemoRecord,
        summary: DemoSummary,
        executor: Executor,
        *,
        params: Mapping[str, Any],
        deadline: float,
    ) -> None:
        self._record = record
        self._summary = summary
        self._executor = executor
        self.params: Mapping[str, Any] = params
        self.symbols: tuple[str, ...] = record.symbols
        self._deadline = deadline
        self._closed = False

    # ---- time -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True until the run's duration is over (or the run was stopped)."""
        return not self._closed and time.time() < self._deadline

    def close(self) -> None:
        """The run is over: from now on nothing the strategy asks for is sent."""
        self._closed = True

    async def ticks(self, every_s: float = 1.0) -> AsyncIterator[float]:
        """Yield the seconds since the start every ``every_s`` seconds until the run ends."""
        if every_s <= 0:
            raise ValueError(f"ticks: every_s must be positive, got {every_s!r}")
        while self.running:
            yield self._record.elapsed()
            await asyncio.sleep(min(every_s, max(0.0, self._deadline - time.time())))

    def log(self, message: str) -> None:
        """A line in the run's event log (terminal view, HTML report, or one line in a pipe)."""
        self._record.log(f"strategy: {message}")

    # ---- market and account ---------------------------------------------------------------

    def _known(self, symbol: str) -> str:
        symbol = symbol.upper()
        if symbol not in self.symbols:
            raise KeyError(
                f"{symbol} is not one of the run's symbols {list(self.symbols)}: "
                "add it to SYMBOLS in the strategy, [strategy] symbols in the config or --symbols"
            )
        return symbol

    def book(self, symbol: str) -> tuple[Decimal, Decimal] | None:
        """Best bid and best ask of the local order book, or None while it is not in sync."""
        return self._record.top(self._known(symbol))

    def mid(self, symbol: str) -> Decimal | None:
        """The book's mid (the last trade while the book resyncs); None before any data."""
        return self._record.mark(self._known(symbol))

    def position(self, symbol: str) -> Decimal:
        """Base quantity held in ``symbol`` (free plus locked), as the fills left it."""
        positions = self._record.positions
        pos = positions.position(self._known(symbol)) if positions is not None else None
        return pos.quantity if pos is not None else ZERO

    def balance(self, asset: str) -> Decimal:
        """Free plus locked balance of ``asset``."""
        positions = self._record.positions
        asset = asset.upper()
        if positions is None or asset not in positions.balances:
            return ZERO
        return positions.balance(asset).total

    def open_orders(self, symbol: str | None = None) -> list[ManagedOrder]:
        """This run's orders still working on the exchange."""
        return [o for o in self._record.open_orders() if symbol is None or o.symbol == symbol.upper()]

    # ---- trading --------------------------------------------------------------------------

    async def target(
        self,
        symbol: str,
        *,
        quantity: Decimal | None = None,
        notional: Decimal | None = None,
        price: Decimal | None = None,
    ) -> list[ManagedOrder]:
        """Hold ``quantity`` base (or ``notional`` quote at the mark) of ``symbol``: a MARKET
        order, or a LIMIT at ``price``; orders of this run pulling the other way are cancelled."""
        signal = TargetPosition(
            self._known(symbol), target_quantity=quantity, target_notional=notional, price=price
        )
        return await self.submit(signal)

    async def order(
        self,
        symbol: str,
        side: str,
        quantity: Decimal | None = None,
        *,
        price: Decimal | None = None,
        quote_quantity: Decimal | None = None,
        order_type: str | None = None,
        time_in_force: str | None = None,
    ) -> ManagedOrder | None:
        """One order: LIMIT when ``price`` is given, MARKET otherwise (``quote_quantity``
        spends that much quote at market). Sides and types in any case. None when refused."""
        signal = OrderSignal(
            self._known(symbol),
            Side(side.upper()),
            quantity=quantity,
            quote_quantity=quote_quantity,
            type=OrderType(order_type.upper()) if order_type else None,
            price=price,
            time_in_force=TimeInForce(time_in_force.upper()) if time_in_force else None,
        )
        orders = await self.submit(signal)
        return orders[0] if orders else None

    async def submit(self, signal: Signal) -> list[ManagedOrder]:
        """Any signal (also what the JSON-lines reader decodes); refusals are logged."""
        record = self._record
        if not self.running:
            # A strategy that outlives its run (it caught the cancel, or a program line came
            # late) must not trade after the stop.
            record.log(f"  not sent, the run is over: {signal}")
            return []
        self._summary.signals += 1
        arrival = record.arrival(signal.symbol)  # the mid the decision was made on
        try:
            orders = await self._executor.submit(signal)
        except (OrderRejectedLocally, BinanceAPIError, TradingHalted) as exc:
            # TradingHalted: a pause (maintenance, the breaker); the strategy may try again later.
            record.log(f"  refused: {exc}")
            return []
        for order in orders:
            record.add_order(order, arrival)
            record.log(f"  order {order.client_order_id} {order.side} {order.intent.quantity}: {order.state}")
        return orders
