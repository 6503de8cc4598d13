"""Pre-trade risk limits, the kill switch, and the API key permission check.

Every order passes here after rounding and before the journal: a refusal costs nothing and
explains itself (which limit, which values), while an order that slips through costs money.
The checks are pure arithmetic on values the caller passes in, so they take microseconds and
can be tested without an exchange.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from tradeexec.errors import ConfigError, InvalidParameter, OrderRejectedLocally
from tradeexec.execution.journal.records import Intent
from tradeexec.execution.leg_fills import move
from tradeexec.execution.risk_futures import LegExposure, estimated_liquidation, only_reduces, shrinks
from tradeexec.venue.protocol import KeyPermissions
from tradeexec.venue.vocab import Side

__all__ = [
    "Exposure",
    "KeyPermissions",
    "OrderRisk",
    "RiskLimitExceeded",
    "RiskLimits",
    "RiskManager",
    "UnsafeApiKey",
]

log = logging.getLogger(__name__)

_DAY_MS = 86_400_000


class RiskLimitExceeded(OrderRejectedLocally):
    """A pre-trade limit refused the order; nothing was sent. ``limit`` names the limit."""

    def __init__(self, limit: str, detail: str) -> None:
        self.limit = limit
        super().__init__(limit, "risk", detail)

    def __str__(self) -> str:
        return f"risk limit {self.limit}: {self.detail}"


class UnsafeApiKey(ConfigError):
    """The API key has permissions a trading bot must not hold (or lacks an IP restriction)."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("refusing to trade with this API key: " + "; ".join(reasons))


@dataclass(slots=True, frozen=True)
class RiskLimits:
    """``None`` disables a limit. Notional and exposure are in the quote asset.
    ``max_position`` maps symbols to the largest absolute base quantity held, with
    ``default_max_position`` for the others."""

    max_order_notional: Decimal | None = None
    max_position: Mapping[str, Decimal] = field(default_factory=dict)
    default_max_position: Decimal | None = None
    max_gross_exposure: Decimal | None = None
    max_open_orders: int | None = 50
    # Binance counts 100 orders per 10 s per account by default; stay well below.
    max_orders_per_second: float | None = 5.0
    order_burst: int = 10
    max_price_deviation_pct: Decimal | None = Decimal(5)
    max_daily_loss: Decimal | None = None
    # A key without an IP whitelist must never trade: a leaked one trades from anywhere.
    # None (the default): required, except on the local exchange (``Settings.local_exchange``),
    # whose keys have no IP list. False relaxes it everywhere -- an explicit choice, warned
    # about at every check; True requires it on the local exchange too.
    require_ip_restriction: bool | None = None
    # A key that can withdraw or transfer is refused unless this says it was meant.
    allow_fund_moving_key: bool = False
    # Derivatives (``risk_futures.py``), checked on orders that grow a leg: the symbol's
    # leverage setting, the leg's notional at the mark after the order (quote), and how near
    # the order brings the estimated liquidation price, as a fraction of the mark (0.1: never
    # within 10 %). ``max_margin_ratio`` (maintenance margin / margin balance; the venue
    # liquidates at 1) trips the kill switch; ``maintenance_rate`` is the rate the estimates
    # assume (above the venue's lowest tier: they err towards liquidation).
    max_leverage: Mapping[str, Decimal] = field(default_factory=dict)
    default_max_leverage: Decimal | None = None
    max_position_notional: Mapping[str, Decimal] = field(default_factory=dict)
    default_max_position_notional: Decimal | None = None
    min_liquidation_distance: Decimal | None = None
    max_margin_ratio: Decimal | None = None
    maintenance_rate: Decimal = Decimal("0.005")

    def __post_init__(self) -> None:
        # A number where a per-symbol map belongs would fail at the first order, deep in a
        # check (``'Decimal' object has no attribute 'get'``): refuse it here, naming the fix.
        for name in ("max_position", "max_leverage", "max_position_notional"):
            value = getattr(self, name)
            if not isinstance(value, Mapping):
                raise InvalidParameter(
                    name,
                    "must map symbols to limits",
                    f"got {value!r}; for every symbol alike use default_{name}={value!r}",
                )


@dataclass(slots=True, frozen=True)
class OrderRisk:
    """The order as risk sees it: base quantity (estimated from the quote amount and the mark
    for quote-quantity market orders) and the price it may trade at."""

    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    mark_price: Decimal | None
    is_limit: bool
    reduce_only: bool = False
    closes: bool = False  # the venue will not let it grow its leg (``only_reduces``)


ZERO = Decimal(0)


def order_risk(intent: Intent, mark: Decimal | None) -> OrderRisk:
    """The journaled intent as risk sees it: a quote-sized order's base quantity is estimated
    at its price, else the mark."""
    price = intent.price or mark or ZERO
    qty = intent.quantity
    if qty is None:
        qty = (intent.quote_quantity or ZERO) / price if price else ZERO
    closes = only_reduces(intent.side, intent.position_leg, intent.reduce_only)
    is_limit = intent.price is not None
    return OrderRisk(intent.symbol, intent.side, qty, price, mark, is_limit, intent.reduce_only, closes)


@dataclass(slots=True, frozen=True)
class Exposure:
    """The account as it stands before the order: base position in the symbol, the signed
    quantity its open orders could still add, gross exposure over all symbols (quote) and
    the number of open orders."""

    position: Decimal = Decimal(0)
    pending: Decimal = Decimal(0)
    gross_exposure: Decimal = Decimal(0)
    open_orders: int = 0
    leg: LegExposure | None = None  # the leg a derivatives order works on


KillCallback = Callable[[str], Awaitable[object] | object]


class RiskManager:
    def __init__(
        self,
        limits: RiskLimits | None = None,
        *,
        on_kill: KillCallback | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits or RiskLimits()
        self._on_kill = on_kill
        self._clock = clock
        self._tokens = float(self.limits.order_burst)
        self._refilled_at = clock()
        self._killed: str | None = None
        self._key_problem: str | None = None
        self._day: int | None = None
        self._day_start_pnl = Decimal(0)
        self.daily_pnl = Decimal(0)
        self._kill_tasks: set[asyncio.Task[object]] = set()
        # Placements past the kill-switch gate and not yet answered: a trip cannot recall
        # them (the transport may still be pacing or signing one), so a stop waits them out.
        self._placing = 0
        self._none_placing = asyncio.Event()
        self._none_placing.set()

    # ---- placements on their way ------------------------------------------------------------

    def placement_started(self) -> None:
        self._placing += 1
        self._none_placing.clear()

    def placement_ended(self) -> None:
        self._placing -= 1
        if self._placing <= 0:
            self._placing = 0
            self._none_placing.set()

    async def placements_settled(self, timeout_s: float) -> int:
        """Wait (at most ``timeout_s``) until no placement that passed the kill-switch gate
        is still on its way; returns how many were when called. The emergency stop calls it
        after the trip, so its cancels and sales come after the last order the manager sent."""
        waiting = self._placing
        if waiting:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    await self._none_placing.wait()
        return waiting

    # ---- kill switch --------------------------------------------------------------------

    @property
    def tripped(self) -> bool:
        return self._killed is not None

    @property
    def trip_reason(self) -> str | None:
        return self._killed

    def trip(self, reason: str, *, emergency: bool = True) -> None:
        """Stop new orders at once; with ``emergency`` also run the kill callback (usually the
        emergency stop). Only the first trip runs it."""
        if self._killed is not None:
            return
        self._killed = reason
        log.error("KILL SWITCH tripped: %s; no new orders will be sent", reason)
        if emergency and self._on_kill is not None:
            result = self._on_kill(reason)
            if inspect.isawaitable(result):
                task: asyncio.Task[object] = asyncio.ensure_future(result)
                self._kill_tasks.add(task)
                task.add_done_callback(self._kill_tasks.discard)

    async def wait_kill_callbacks(self) -> None:
        """Await the emergency callbacks a trip started (for shutdown and tests)."""
        if self._kill_tasks:
            await asyncio.gather(*self._kill_tasks)

    def reset(self) -> None:
        """Re-arm after a human looked at why it tripped."""
        log.warning("kill switch reset (was: %s)", self._killed)
        self._killed = None

    def ensure_can_trade(self, *, closing: bool = False) -> None:
        """Raise when nothing may be sent; once the switch has tripped, an order the venue
        will not let grow a position (``closing``) still passes: getting out stays possible."""
        if self._killed is not None and not closing:
            raise RiskLimitExceeded("kill_switch", f"trading stopped: {self._killed}")
        if self._key_problem is not None:
            raise RiskLimitExceeded("api_key_permissions", self._key_problem)

    # ---- API key ------------------------------------------------------------------------

    def check_key_permissions(self, restrictions: KeyPermissions, *, local_exchange: bool = False) -> None:
        """Refuse to trade with a key that could move funds out, or that works from any IP
        (unless ``local_exchange`` or ``RiskLimits.require_ip_restriction`` relax that): a
        leaked key must not be able to drain the account."""
        moves_funds = []
        if restrictions.enable_withdrawals:
            moves_funds.append("the key can withdraw funds (enableWithdrawals)")
        if restrictions.enable_internal_transfer:
            moves_funds.append("the key can transfer between accounts (enableInternalTransfer)")
        if restrictions.permits_universal_transfer:
            moves_funds.append("the key can make universal transfers (permitsUniversalTransfer)")
        reasons = [] if self.limits.allow_fund_moving_key else moves_funds
        if moves_funds and not reasons:
            log.warning("trading with a key that can move funds, as allowed: %s", "; ".join(moves_funds))
        required = self.limits.require_ip_restriction
        if not restrictions.ip_restrict:
            if required or (required is None and not local_exchange):
                reasons.append("the key has no IP restriction (ipRestrict=false)")
            elif required is False:
                log.warning("the API key has no IP restriction: anyone holding it can trade")
        if reasons:
            self._key_problem = "; ".join(reasons)
            log.error("refusing to trade: %s", self._key_problem)
            raise UnsafeApiKey(reasons)
        self._key_problem = None

    # ---- daily loss ---------------------------------------------------------------------

    def observe_pnl(self, total_pnl: Decimal, now_ms: int | None = None) -> None:
        """Feed the account's total PnL (realized + unrealized); the first value seen in each
        UTC day is that day's baseline. A loss beyond ``max_daily_loss`` trips the switch."""
        now = time.time_ns() // 1_000_000 if now_ms is None else now_ms
        day = now // _DAY_MS
        if day != self._day:
            self._day = day
            self._day_start_pnl = total_pnl
        self.daily_pnl = total_pnl - self._day_start_pnl
        limit = self.limits.max_daily_loss
        if limit is not None and -self.daily_pnl >= limit:
            self.trip(f"daily loss {-self.daily_pnl} reached the limit {limit}")

    # ---- pre-trade check ----------------------------------------------------------------

    def check_order(self, order: OrderRisk, exposure: Exposure) -> None:
        """Raise RiskLimitExceeded naming the first limit the order breaks; on success one
        order token is spent."""
        self.ensure_can_trade(closing=order.closes)
        if exposure.leg is not None:
            self._check_leg(order, exposure.leg)
        lim = self.limits
        notional = order.quantity * order.price
        if lim.max_order_notional is not None and notional > lim.max_order_notional:
            raise RiskLimitExceeded(
                "max_order_notional",
                f"{order.symbol} notional {notional} > limit {lim.max_order_notional}",
            )
        self._check_price_band(order)
        signed = order.quantity if order.side is Side.BUY else -order.quantity
        # Worst case: every open order in the same direction fills too.
        after = (
            exposure.position + signed + (exposure.pending if (exposure.pending > 0) == (signed > 0) else 0)
        )
        max_pos = lim.max_position.get(order.symbol, lim.default_max_position)
        if max_pos is not None and abs(after) > max_pos and abs(after) > abs(exposure.position):
            raise RiskLimitExceeded(
                "max_position",
                f"{order.symbol} position would be {after} (now {exposure.position}), limit {max_pos}",
            )
        if lim.max_gross_exposure is not None:
            mark = order.mark_price or order.price
            gross_after = exposure.gross_exposure - abs(exposure.position) * mark + abs(after) * mark
            if gross_after > lim.max_gross_exposure and gross_after > exposure.gross_exposure:
                raise RiskLimitExceeded(
                    "max_gross_exposure",
                    f"gross exposure would be {gross_after} (now {exposure.gross_exposure}), "
                    f"limit {lim.max_gross_exposure}",
                )
        if lim.max_open_orders is not None and exposure.open_orders >= lim.max_open_orders:
            raise RiskLimitExceeded(
                "max_open_orders", f"{exposure.open_orders} open orders, limit {lim.max_open_orders}"
            )
        if lim.max_daily_loss is not None and -self.daily_pnl >= lim.max_daily_loss:
            self.trip(f"daily loss {-self.daily_pnl} reached the limit {lim.max_daily_loss}")
            self.ensure_can_trade()
        self._take_token()

    def _check_leg(self, order: OrderRisk, leg: LegExposure) -> None:
        """The derivatives limits (module ``risk_futures``) for an order on ``leg``; an order
        that only shrinks the leg passes them, and after a trip only such an order passes."""
        signed = order.quantity if order.side is Side.BUY else -order.quantity
        if shrinks(signed, leg.quantity):
            return
        if self._killed is not None:
            raise RiskLimitExceeded(
                "kill_switch",
                f"trading stopped ({self._killed}): {order.symbol} {leg.leg} order of {signed} would not "
                f"only reduce the position of {leg.quantity}",
            )
        lim = self.limits
        symbol = order.symbol
        max_lev = lim.max_leverage.get(symbol, lim.default_max_leverage)
        if max_lev is not None and (leg.leverage is None or leg.leverage > max_lev):
            raise RiskLimitExceeded(
                "max_leverage",
                f"{symbol} leverage is {leg.leverage if leg.leverage is not None else 'unknown'}, "
                f"limit {max_lev}: set it (DerivativesVenue.set_leverage) before growing the position",
            )
        quantity, entry, _ = move(leg.quantity, leg.entry_price, signed, order.price)
        mark = order.mark_price or order.price
        max_notional = lim.max_position_notional.get(symbol, lim.default_max_position_notional)
        if max_notional is not None and abs(quantity) * mark > max_notional:
            raise RiskLimitExceeded(
                "max_position_notional",
                f"{symbol} {leg.leg} notional at mark {mark} would be {abs(quantity) * mark} "
                f"(position {quantity}), limit {max_notional}",
            )
        distance = lim.min_liquidation_distance
        if distance is None:
            return
        liq = estimated_liquidation(leg, quantity, entry, lim.maintenance_rate)
        if liq and abs(mark - liq) < distance * mark:
            pct = (abs(mark - liq) / mark * 100).quantize(Decimal("0.01"))
            raise RiskLimitExceeded(
                "min_liquidation_distance",
                f"{symbol} {leg.leg} position {quantity} would be liquidated near "
                f"{liq.quantize(Decimal('0.01'))}, {pct}% from mark {mark}; limit {distance * 100}%",
            )

    def observe_margin_ratio(self, ratio: Decimal | None) -> None:
        """Feed the account's margin ratio; at or above ``max_margin_ratio`` the kill switch
        trips (with the emergency callback: the venue liquidates at 1)."""
        limit = self.limits.max_margin_ratio
        if limit is not None and ratio is not None and ratio >= limit:
            self.trip(f"margin ratio {ratio.quantize(Decimal('0.0001'))} reached the limit {limit}")

    def _check_price_band(self, order: OrderRisk) -> None:
        pct = self.limits.max_price_deviation_pct
        if pct is None or not order.is_limit or not order.mark_price:
            return
        deviation = abs(order.price - order.mark_price) / order.mark_price * 100
        if deviation > pct:
            raise RiskLimitExceeded(
                "max_price_deviation_pct",
                f"{order.symbol} price {order.price} is {deviation.quantize(Decimal('0.01'))}% from "
                f"mark {order.mark_price}, limit {pct}%",
            )

    def _take_token(self) -> None:
        rate = self.limits.max_orders_per_second
        if rate is None:
            return
        now = self._clock()
        self._tokens = min(float(self.limits.order_burst), self._tokens + (now - self._refilled_at) * rate)
        self._refilled_at = now
        if self._tokens < 1.0:
            raise RiskLimitExceeded(
                "max_orders_per_second",
                f"order rate above {rate}/s (burst {self.limits.order_burst}); retry in "
                f"{(1.0 - self._tokens) / rate:.3f}s",
            )
        self._tokens -= 1.0

    def refund_token(self) -> None:
        """Give back the token of an order that passed the checks but was never sent (its
        journal write failed): only orders that went out count against the rate."""
        if self.limits.max_orders_per_second is not None:
            self._tokens = min(float(self.limits.order_burst), self._tokens + 1.0)
