"""What every emergency stop's passes share, spot sells and futures closes alike.

A pass sends one LIMIT IOC (``IocOrder``) priced at most ``max_slippage_bps`` through the
touch, and never rests. Sending it (``PassOrders.send``) keeps going when the call fails: an
answer that was lost leaves the order's client id to be read back afterwards
(``PassOrders.confirm``), so the report counts what the exchange executed, never what was
asked for; a refusal or an outage is noted and the next pass reads the account afresh. The
retry of every read (``Attempts``) and the settings (``SellSettings``) are shared too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, Literal

from tradeexec.errors import InvalidParameter, OrderNotFound, OrderRejectedLocally, TradeexecError
from tradeexec.execution.emergency_report import EmergencyReport, ExecutedOrders, plain_qty
from tradeexec.execution.orders.ids import make_client_order_id
from tradeexec.execution.policy import Action, ErrorPolicy
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.protocol import TradingVenue
from tradeexec.venue.records import OrderSnapshot, PlaceAnswer
from tradeexec.venue.rules import SymbolRuleSet
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

__all__ = [
    "BPS",
    "DEFAULT_MAX_SLIPPAGE_BPS",
    "DEFAULT_PASSES",
    "Attempt",
    "Attempts",
    "IocOrder",
    "PassOrders",
    "SellSettings",
    "StopContext",
]

ZERO = Decimal(0)
BPS = Decimal(10_000)
# 50 bps (0.5 %) through the touch: a common desk limit for an unattended liquidation of a
# major pair, wide enough to take the top levels of a normal book, narrow enough that a
# hole in the book costs at most half a percent per pass.
DEFAULT_MAX_SLIPPAGE_BPS = Decimal(50)
DEFAULT_PASSES = 5
# The exchange's default window (Binance: 5000 ms): an order delayed longer is refused unsent.
RECV_WINDOW_MS = 5000

Attempt = Callable[[str, Callable[[], Awaitable[Any]]], Awaitable[Any]]


# How long one stop waits out rate limits and IP bans in all (module doc of ``Attempts``);
# a longer ban leaves the stop to report what it could not do.
BAN_WAIT_S = 300.0
MIN_WAIT_S = 0.05


@dataclass(frozen=True, slots=True)
class SellSettings:
    """``max_slippage_bps``: how far through the touch (below the best bid for a sell, above
    the best ask for a buy; in basis points, 1 bp = 0.01 %) each pass's LIMIT IOC is priced,
    default 50; ``passes``: how many orders per asset or position leg at most, default 5;
    ``pass_delay_s``: the pause after a pass that left something."""

    max_slippage_bps: Decimal = DEFAULT_MAX_SLIPPAGE_BPS
    passes: int = DEFAULT_PASSES
    pass_delay_s: float = 0.2

    def __post_init__(self) -> None:
        if not (self.max_slippage_bps.is_finite() and 0 < self.max_slippage_bps < BPS):
            raise InvalidParameter(
                "max_slippage_bps", "must be above 0 and below 10000", f"got {self.max_slippage_bps}"
            )
        if not 1 <= self.passes <= 100:
            raise InvalidParameter("passes", "must be between 1 and 100", f"got {self.passes}")


@dataclass(frozen=True, slots=True)
class IocOrder:
    """One pass's LIMIT IOC, as a ``PlacementRequest``: a spot sell, or a futures close
    (``reduce_only`` in one-way mode; in hedge mode the leg alone makes it a close)."""

    client_order_id: str
    symbol: str
    quantity: Decimal
    price: Decimal
    side: Side
    reduce_only: bool = False
    position_leg: PositionLeg | None = None
    type: OrderType = OrderType.LIMIT
    time_in_force: TimeInForce = TimeInForce.IOC
    quote_quantity: None = None
    stop_price: None = None
    recv_window_ms: int = RECV_WINDOW_MS


class Attempts:
    """Every read the stop makes, retried a bounded number of times as the policy says; a
    call that keeps failing gives None and is noted in the report, never raised.

    A rate limit or an IP ban (the policy's WAIT, with the venue's Retry-After or the ban's
    end) is not a failed try: asking again before it lifts is refused too, and on Binance
    lengthens the ban. So the stop waits it out in full, up to ``wait_budget_s`` over the
    whole stop (``BAN_WAIT_S``), then counts tries as for any other failure."""

    def __init__(
        self, policy: ErrorPolicy, attempts: int, report: EmergencyReport, wait_budget_s: float = BAN_WAIT_S
    ) -> None:
        self.policy = policy
        self.attempts = attempts
        self.report = report
        self.wait_budget_s = wait_budget_s

    async def attempt(self, what: str, call: Any) -> Any:
        """Run ``call()`` up to ``attempts`` times, waiting as the policy says; None if all fail."""
        attempt = 1
        while True:
            try:
                return await call()
            except (TradeexecError, OSError, TimeoutError) as exc:
                decision = self.policy.decide(exc, write=False, attempt=attempt, what=f"emergency: {what}")
                self.report.errors.append(f"{what}: {exc}")
                if decision.action in (Action.FAIL, Action.HALT):
                    return None
                # At least a tick per wait, so that the budget bounds the number of waits too.
                wait = max(decision.delay_s, MIN_WAIT_S)
                if decision.action is Action.WAIT and wait <= self.wait_budget_s:
                    self.wait_budget_s -= wait
                    await asyncio.sleep(wait)
                    continue
                if attempt >= self.attempts:
                    return None
                attempt += 1
                await asyncio.sleep(min(decision.delay_s, self.policy.max_delay_s))


class StopContext(Attempts):
    """A stop's venue, its retried reads and its report: what each of its passes works with."""

    def __init__(self, venue: TradingVenue, policy: ErrorPolicy, attempts: int) -> None:
        super().__init__(policy, attempts, EmergencyReport())
        self.venue = venue


class PassOrders:
    """Sends one symbol's IOC orders and counts what they executed into ``tally()``."""

    def __init__(self, stop: StopContext, *, settings: SellSettings, rules: SymbolRuleSet) -> None:
        self.venue = stop.venue
        self.attempt: Attempt = stop.attempt
        self.policy = stop.policy
        self.report = stop.report
        self.settings = settings
        self.rules = rules
        self.symbol = rules.symbol
        self.lost: list[str] = []  # client order ids whose answer was lost

    def tally(self) -> ExecutedOrders:
        """Where this run's executions are counted (one entry of the report)."""
        raise NotImplementedError

    def amount(self, qty: Decimal) -> str:
        """A quantity to the symbol's step (plain, whatever its size)."""
        return plain_qty(qty, self.rules.qty_step)

    @property
    def bps(self) -> str:
        return f"{self.settings.max_slippage_bps.normalize():f} bps"

    def shown(self, price: Decimal) -> str:
        """A price to the symbol's tick, as the exchange shows it."""
        return plain_qty(price, self.rules.price_tick)

    async def send(
        self, side: Side, qty: Decimal, price: Decimal, **leg: Any
    ) -> tuple[PlaceAnswer | None, str, Action | None]:
        """Send one LIMIT IOC: (the answer or None, why when there is none, the policy's
        action on the failure or None). A lost answer's client id is kept for ``confirm``."""
        cid = make_client_order_id("emergency", self.symbol)
        what = f"{side.value.lower()} {self.amount(qty)} {self.symbol} at {self.shown(price)}"
        try:
            return await self.venue.place(IocOrder(cid, self.symbol, qty, price, side, **leg)), "", None
        except OrderRejectedLocally as exc:
            return None, f"{what} refused locally: {exc}", Action.FAIL
        except (TradeexecError, OSError, TimeoutError) as exc:
            self.report.errors.append(f"{what}: {exc}")
            decision = self.policy.decide(exc, write=True, what=f"emergency: {what}")
            if decision.action is Action.RESOLVE:
                # The order may have executed: confirm() reads back what it did.
                self.lost.append(cid)
            elif decision.action not in (Action.HALT, Action.FAIL):
                await asyncio.sleep(min(decision.delay_s, self.policy.max_delay_s))
            return None, f"the last order failed: {decision.reason}", decision.action

    async def count(self, order_id: int, executed_qty: Decimal, quote_qty: Decimal, label: str) -> None:
        """Count one order from its figures and its trades (their fees and, on a derivatives
        venue, realized PnL); trades that cannot be read are said so, never guessed."""
        if executed_qty == 0:  # nothing traded: no fees, no trades to read
            self.tally().add_order(executed_qty, quote_qty, ())
            return
        trades = await self.attempt(
            f"trades of {label}", partial(self.venue.recent_trades, self.symbol, order_id=order_id)
        )
        self.tally().add_order(executed_qty, quote_qty, trades or ())
        if trades is None:
            self.report.unconfirmed.append(
                f"{self.symbol} order {label}: its quantity is counted above, its fees could not be read"
            )

    async def confirm(self) -> None:
        """Read back each order whose answer was lost and count what it executed from the
        exchange's order and its trades. One that cannot be read back after the retries is
        listed as unconfirmed: the report must not present figures it does not have."""
        for cid in self.lost:
            order = await self.attempt(f"read back order {cid}", partial(self._lookup, cid))
            if order is False:
                continue  # no such order: it never reached the matching engine, so it did nothing
            if order is None:
                self.report.unconfirmed.append(
                    f"{self.symbol} order {cid}: could not read back what it executed (not counted above)"
                )
                continue
            await self.count(order.order_id, order.executed_qty, order.cumulative_quote, cid)
        self.lost.clear()

    async def _lookup(self, cid: str) -> OrderSnapshot | Literal[False]:
        """The order, or False if the exchange says it does not exist."""
        try:
            return await self.venue.lookup(self.symbol, cid)
        except OrderNotFound:
            return False
