"""Client-side budgets for Binance's request-weight, order-count and raw-request limits.

Binance counts usage in fixed windows aligned to its clock and answers an exhausted budget
with 429, then bans the IP (418) if the client keeps going. The only safe client is one that
charges every request *before* sending it, stays under a safety margin of each limit, and
re-syncs from the counts the server reports (which include other processes on the same IP or
account). This module is that budget keeper; it does no I/O besides sleeping, and, when its
counts are shared with other processes of the account (a ``BudgetStore``), charging them.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import msgspec

from tradeexec.binance.enums import INTERVAL_LETTER, RateLimitInterval, RateLimitType
from tradeexec.binance.net.budget import BudgetStore, Charge
from tradeexec.binance.net.http1 import Headers
from tradeexec.errors import InvalidParameter, RateLimitBanActive

__all__ = [
    "DEFAULT_SPOT_LIMITS",
    "BudgetUsage",
    "RateLimitRule",
    "RateLimiter",
]

# A 418 without Retry-After still means a ban; Binance's shortest ban is two minutes.
_DEFAULT_BAN_S = 120.0
# Sleeping exactly to a window boundary can wake a hair early (float rounding, timer
# granularity) and spin; a millisecond past the boundary is always in the new window.
_WAKE_SLACK_S = 0.001


class RateLimitRule(msgspec.Struct, rename="camel", frozen=True):
    """One entry of exchangeInfo ``rateLimits`` (extra keys such as the WebSocket API's
    ``count`` are ignored when decoding)."""

    rate_limit_type: RateLimitType
    interval: RateLimitInterval
    interval_num: int
    limit: int


class BudgetUsage(msgspec.Struct, frozen=True):
    """A snapshot of one budget for dashboards; ``allowed`` is what the client lets itself
    use (limit times the safety margin)."""

    rate_limit_type: RateLimitType
    interval: str
    used: int
    limit: int
    allowed: int
    resets_at: float


DEFAULT_SPOT_LIMITS: tuple[RateLimitRule, ...] = (
    RateLimitRule(RateLimitType.REQUEST_WEIGHT, RateLimitInterval.MINUTE, 1, 6000),
    RateLimitRule(RateLimitType.ORDERS, RateLimitInterval.SECOND, 10, 100),
    RateLimitRule(RateLimitType.ORDERS, RateLimitInterval.DAY, 1, 200000),
    RateLimitRule(RateLimitType.RAW_REQUESTS, RateLimitInterval.MINUTE, 5, 61000),
)

_HEADER_PREFIX = {
    RateLimitType.REQUEST_WEIGHT: "x-mbx-used-weight-",
    RateLimitType.ORDERS: "x-mbx-order-count-",
}

_RuleKey = tuple[RateLimitType, RateLimitInterval, int]
# A rule as the WebSocket API's ``rateLimits`` entries spell it: raw strings, no enums.
_WsKey = tuple[str, str, int]


class _Window:
    """Usage of one rule in the current fixed window; ``index`` is which window (time
    divided by the window length) ``used`` belongs to, so a stale count resets lazily."""

    __slots__ = ("allowed", "index", "key", "label", "length", "rule", "used")

    def __init__(self, rule: RateLimitRule, margin: float, namespace: str) -> None:
        self.rule = rule
        self.length = rule.interval.milliseconds * rule.interval_num / 1000.0
        # The epsilon keeps 0.29 * 100 from flooring to 28; at least 1 so a tiny limit
        # still lets requests through one at a time.
        self.allowed = max(1, math.floor(rule.limit * margin + 1e-9))
        self.label = f"{rule.interval_num}{INTERVAL_LETTER[rule.interval]}"
        self.key = f"{namespace}:{rule.rate_limit_type.value}:{self.label}"  # in a shared store
        self.used = 0
        self.index = -1

    def used_at(self, now: float) -> int:
        return self.used if int(now // self.length) == self.index else 0

    def roll(self, now: float) -> None:
        index = int(now // self.length)
        if index != self.index:
            self.index = index
            self.used = 0

    def adopt(self, count: int, now: float, sent_at: float | None) -> bool:
        """Take the server's ``count`` for this window if it is higher than ours, unless the
        request was charged (``sent_at``) in an earlier window than ``now``'s; True if taken."""
        index = int(now // self.length)
        if sent_at is not None and int(sent_at // self.length) != index:
            return False
        if index != self.index:
            self.index = index
            self.used = 0
        if count <= self.used:
            return False
        self.used = count
        return True

    def end(self, now: float) -> float:
        return (int(now // self.length) + 1) * self.length

    def describe(self, used: int) -> str:
        pct = round(self.allowed * 100 / self.rule.limit)
        return (
            f"{self.rule.rate_limit_type.value} {self.label} at {used}/{self.allowed} "
            f"({pct}% of {self.rule.limit})"
        )


def _rule_key(rule: RateLimitRule) -> _RuleKey:
    return (rule.rate_limit_type, rule.interval, rule.interval_num)


class RateLimiter:
    """Charges requests against every configured budget before they are sent and makes
    callers wait, first come first served, when a budget would go past its allowance.

    Only the caller at the head of the queue ever sleeps, and it sleeps until the window
    that blocks it resets; everyone else waits behind it in arrival order. A burst therefore
    cannot starve a large request or overshoot a window, and the uncontended path is a
    handful of comparisons.

    With a ``store`` the counts live there, shared with every limiter of the account's other
    processes (``namespace`` tells the API bases apart in it): each charge is one atomic
    check-and-charge in the store, and the exchange's reported counts lift the shared ones.
    The store's clock is every process's own, so the machines' clocks should agree (NTP).
    """

    def __init__(
        self,
        rate_limits: Sequence[RateLimitRule] = DEFAULT_SPOT_LIMITS,
        *,
        safety_margin: float = 0.8,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        store: BudgetStore | None = None,
        namespace: str = "api",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0.0 < safety_margin <= 1.0:
            raise InvalidParameter("safety_margin", "must be in (0, 1]", repr(safety_margin))
        self._store = store
        self._namespace = namespace
        self._margin = safety_margin
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._queued = 0
        # Monotonic deadlines (0.0: none) until which IP-wide requests / order placements are
        # held back. A 429/418 block is a duration the server gave: timed on the wall clock,
        # a step of that clock would stretch it (refusing for nothing) or cut it short
        # (sending while banned, which lengthens a ban).
        self._ip_block_mono = 0.0
        self._ip_block_reason = ""
        self._orders_block_mono = 0.0
        self._orders_block_reason = ""
        self._windows: dict[_RuleKey, _Window] = {}
        self._weight: list[_Window] = []
        self._raw: list[_Window] = []
        self._orders: list[_Window] = []
        self._by_header: dict[str, _Window] = {}
        self._by_ws: dict[_WsKey, _Window] = {}
        self.configure(rate_limits)

    @property
    def clock(self) -> Callable[[], float]:
        """The clock windows are aligned to; the transport reads it to stamp ``sent_at``."""
        return self._clock

    def configure(self, rate_limits: Sequence[RateLimitRule]) -> None:
        """Replace the rules (normally with exchangeInfo's), carrying over the usage of
        rules that survive so a reload never forgets what was already spent."""
        windows: dict[_RuleKey, _Window] = {}
        for rule in rate_limits:
            key = _rule_key(rule)
            if key in windows and windows[key].rule.limit <= rule.limit:
                continue  # duplicate rule: the stricter one wins
            window = _Window(rule, self._margin, self._namespace)
            old = self._windows.get(key)
            if old is not None:
                window.used, window.index = old.used, old.index
            windows[key] = window
        self._windows = windows
        by_type: dict[RateLimitType, list[_Window]] = {t: [] for t in RateLimitType}
        for window in windows.values():
            by_type[window.rule.rate_limit_type].append(window)
        self._weight = by_type[RateLimitType.REQUEST_WEIGHT]
        self._raw = by_type[RateLimitType.RAW_REQUESTS]
        self._orders = by_type[RateLimitType.ORDERS]
        # What a shared charge touches, with the cost kind: 0 weight, 1 one request, 2 orders.
        self._shared_requests = [(w, 0) for w in self._weight] + [(w, 1) for w in self._raw]
        self._shared_orders = self._shared_requests + [(w, 2) for w in self._orders]
        self._by_header = {
            _HEADER_PREFIX[w.rule.rate_limit_type] + w.label.lower(): w
            for w in windows.values()
            if w.rule.rate_limit_type in _HEADER_PREFIX
        }
        self._by_ws = {
            (w.rule.rate_limit_type.value, w.rule.interval.value, w.rule.interval_num): w
            for w in windows.values()
        }

    def try_acquire(self, weight: int, *, orders: int = 0) -> float | None:
        """Charge one request now if every budget has room and nobody is queued, and return
        the clock reading it was charged at; None (nothing charged) if it would have to wait.
        The transport's fast path: no coroutine for the common, uncontended case."""
        now = self._clock()
        if self._queued == 0 and weight >= 0 and orders >= 0:
            if self._store is not None:
                return now if self._charge_shared(weight, orders, now) else None
            if self._fits(weight, orders, now):
                self._add(weight, orders)
                return now
        return None

    async def acquire(
        self, weight: int, *, orders: int = 0, wait: bool = True, max_wait_s: float | None = None
    ) -> float:
        """Charge one request of ``weight`` (placing ``orders`` orders), waiting for room,
        and return the clock reading it was charged at.

        Raises ``InvalidParameter`` at once for a cost no window could ever hold, and
        ``RateLimitBanActive`` when the caller would have to wait but said not to, or
        longer than ``max_wait_s``. Time spent queued behind other callers counts against
        ``max_wait_s`` only when this caller reaches the head of the queue.
        """
        now = self.try_acquire(weight, orders=orders)
        if now is not None:
            return now
        now = self._clock()
        self._check_possible(weight, orders)
        until, reason = self._blocked(weight, orders, now)
        if self._queued and not until:
            until, reason = now, f"{self._queued} request(s) queued ahead"
        if not wait:
            raise RateLimitBanActive(int(until * 1000), reason)
        deadline = None if max_wait_s is None else now + max_wait_s
        if deadline is not None and until > deadline:
            raise RateLimitBanActive(int(until * 1000), f"{reason}; wait exceeds {max_wait_s}s")
        self._queued += 1
        try:
            async with self._lock:
                while True:
                    now = self._clock()
                    if self._store is not None:
                        self._pull(now)
                    until, reason = self._blocked(weight, orders, now)
                    if not until:
                        if self._store is None:
                            self._charge(weight, orders, now)
                            return now
                        if self._charge_shared(weight, orders, now):
                            return now
                        continue  # a peer took the room meanwhile: look again
                    if deadline is not None and until > deadline:
                        raise RateLimitBanActive(int(until * 1000), f"{reason}; wait exceeds {max_wait_s}s")
                    await self._sleep(until - now + _WAKE_SLACK_S)
        finally:
            self._queued -= 1

    def _fits(self, weight: int, orders: int, now: float) -> bool:
        # Rolls as it checks (rolling to `now` changes nothing a window reports), so that
        # the fast path can add the cost straight after.
        if (self._ip_block_mono or self._orders_block_mono) and self._held(orders):
            return False
        for w in self._weight:
            w.roll(now)
            if w.used + weight > w.allowed:
                return False
        for w in self._raw:
            w.roll(now)
            if w.used >= w.allowed:
                return False
        if orders:
            for w in self._orders:
                w.roll(now)
                if w.used + orders > w.allowed:
                    return False
        return True

    def _charge(self, weight: int, orders: int, now: float) -> None:
        for w in self._windows.values():
            w.roll(now)
        self._add(weight, orders)

    def _add(self, weight: int, orders: int) -> None:
        """Add a request's cost to windows ``_fits`` has just rolled to the current time."""
        for w in self._weight:
            w.used += weight
        for w in self._raw:
            w.used += 1
        if orders:
            for w in self._orders:
                w.used += orders

    def _charge_shared(self, weight: int, orders: int, now: float) -> bool:
        """Charge the store, all windows or none; the windows mirror its new counts."""
        if (self._ip_block_mono or self._orders_block_mono) and self._held(orders):
            return False
        costs = (weight, 1, orders)
        windows = self._shared_orders if orders else self._shared_requests
        charges: list[Charge] = [(w.key, int(now // w.length), costs[kind], w.allowed) for w, kind in windows]
        assert self._store is not None
        counts = self._store.try_charge(charges)
        if counts is None:
            return False
        for (w, _kind), charge, count in zip(windows, charges, counts, strict=True):
            w.index, w.used = charge[1], count
        return True

    def _pull(self, now: float) -> None:
        """Mirror the store's counts into the windows (before judging a wait on them)."""
        assert self._store is not None
        windows = list(self._windows.values())
        indexes = [int(now // w.length) for w in windows]
        counts = self._store.counts([(w.key, i) for w, i in zip(windows, indexes, strict=True)])
        for w, index, count in zip(windows, indexes, counts, strict=True):
            w.index, w.used = index, count

    def _push(self, window: _Window) -> None:
        if self._store is not None:
            self._store.raise_to(window.key, window.index, window.used)

    def _check_possible(self, weight: int, orders: int) -> None:
        if weight < 0 or orders < 0:
            raise InvalidParameter("weight", "must not be negative", f"weight={weight} orders={orders}")
        for cost, windows, name in ((weight, self._weight, "weight"), (orders, self._orders, "orders")):
            for w in windows:
                if cost > w.allowed:
                    raise InvalidParameter(name, "exceeds the whole allowance", f"{cost} > {w.describe(0)}")

    def _held(self, orders: int) -> bool:
        """Whether a 429/418 block holds the request back; clears the blocks that ended."""
        mono = self._monotonic()
        if self._ip_block_mono and mono >= self._ip_block_mono:
            self._ip_block_mono = 0.0
        if self._orders_block_mono and mono >= self._orders_block_mono:
            self._orders_block_mono = 0.0
        return bool(self._ip_block_mono or (orders and self._orders_block_mono))

    def _block_end(self, deadline: float, now: float) -> float:
        """A monotonic block deadline as a reading of ``clock`` (0.0: no block left)."""
        left = deadline - self._monotonic() if deadline else 0.0
        return now + left if left > 0 else 0.0

    def _blocked(self, weight: int, orders: int, now: float) -> tuple[float, str]:
        """When the request could go at the earliest (0.0: now) and what holds it back."""
        until, reason = 0.0, ""
        ip_until = self._block_end(self._ip_block_mono, now)
        if ip_until:
            until, reason = ip_until, self._ip_block_reason
        orders_until = self._block_end(self._orders_block_mono, now) if orders else 0.0
        if orders_until > until:
            until, reason = orders_until, self._orders_block_reason
        checks = [(w, weight) for w in self._weight] + [(w, 1) for w in self._raw]
        if orders:
            checks += [(w, orders) for w in self._orders]
        for w, cost in checks:
            used = w.used_at(now)
            if used + cost > w.allowed and w.end(now) > until:
                until, reason = w.end(now), w.describe(used)
        return until, reason

    def update_from_headers(self, headers: Mapping[str, str], *, sent_at: float | None = None) -> None:
        """Adopt the server's counts from ``X-MBX-USED-WEIGHT-*`` / ``X-MBX-ORDER-COUNT-*``
        when they are higher than ours (other processes share the IP and the account).

        ``sent_at`` (on this limiter's clock) is when the request was charged: a count for
        a request sent in an earlier window describes that window, not the current one, and
        is skipped so a boundary-crossing response cannot fill a fresh window.
        """
        now = self._clock()
        if isinstance(headers, Headers):
            # Names already lower-cased by the parser: ask for the few headers the rules
            # name instead of folding every header of every response.
            get = headers.lower.get
            for header, rule_window in self._by_header.items():
                value = get(header)
                if value is not None:
                    try:
                        count = int(value)
                    except ValueError:
                        continue
                    if rule_window.adopt(count, now, sent_at):
                        self._push(rule_window)
            return
        for name, value in headers.items():
            window = self._by_header.get(name.lower())
            if window is not None:
                self._sync(window, value, now, sent_at)

    def update_from_ws(
        self, rate_limits: Sequence[Mapping[str, Any]], *, sent_at: float | None = None
    ) -> None:
        """Adopt the counts a WebSocket API response reports in its ``rateLimits`` array."""
        now = self._clock()
        by_ws = self._by_ws
        for entry in rate_limits:
            # Looked up by the strings as sent: no enum is built for the entries of every answer.
            try:
                window = by_ws.get((entry["rateLimitType"], entry["interval"], entry["intervalNum"]))
                count = entry["count"]
            except (KeyError, TypeError):
                continue
            if window is not None:
                if type(count) is int:
                    if window.adopt(count, now, sent_at):
                        self._push(window)
                else:
                    self._sync(window, count, now, sent_at)

    def _sync(self, window: _Window, value: object, now: float, sent_at: float | None) -> None:
        try:
            count = int(str(value))
        except ValueError:
            return
        if window.adopt(count, now, sent_at):
            self._push(window)

    def on_429(self, retry_after_s: float | None, *, order_count: bool = False) -> None:
        """Hold back the budget the server said is exhausted.

        Without ``Retry-After`` (normal for an order-count -1015) the block lasts until the
        window that caused it ends: a window we already see as full, else the shortest one,
        because the server would have told us of a longer wait.
        """
        now = self._clock()
        windows = self._orders if order_count else self._weight + self._raw
        if retry_after_s is not None:
            until = now + retry_after_s
        elif windows:
            full = [w.end(now) for w in windows if w.used_at(now) >= w.allowed]
            until = max(full) if full else min(w.end(now) for w in windows)
        else:
            until = now + 1.0
        deadline = self._monotonic() + (until - now)
        if order_count:
            if deadline > self._orders_block_mono:
                self._orders_block_mono = deadline
                self._orders_block_reason = "ORDERS blocked after HTTP 429 (-1015 too many orders)"
        elif deadline > self._ip_block_mono:
            self._ip_block_mono = deadline
            self._ip_block_reason = "REQUEST_WEIGHT blocked after HTTP 429 (too many requests)"

    def on_418(self, retry_after_s: float | None) -> None:
        """Hold back every request until the IP ban ends."""
        deadline = self._monotonic() + (_DEFAULT_BAN_S if retry_after_s is None else retry_after_s)
        if deadline > self._ip_block_mono:
            self._ip_block_mono = deadline
            self._ip_block_reason = "IP banned by Binance (HTTP 418)"

    def blocked_until(self) -> float | None:
        """Epoch seconds (on ``clock``) when the longest active 429/418 block ends, or None."""
        now = self._clock()
        until = self._block_end(max(self._ip_block_mono, self._orders_block_mono), now)
        return until or None

    def usage(self) -> list[BudgetUsage]:
        now = self._clock()
        if self._store is not None:
            self._pull(now)
        return [
            BudgetUsage(
                rate_limit_type=w.rule.rate_limit_type,
                interval=w.label,
                used=w.used_at(now),
                limit=w.rule.limit,
                allowed=w.allowed,
                resets_at=w.end(now),
            )
            for w in self._windows.values()
        ]
