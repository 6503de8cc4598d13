"""Server-side rate limits, enforced as Binance enforces them.

Fixed windows on the simulated clock: REQUEST_WEIGHT per minute and RAW_REQUESTS per five
minutes per IP, ORDERS per ten seconds and per day per account (spot); USDT-M futures have
their own enforcer (``futures_limits``): 2,400 weight per minute, 300 orders per ten seconds
and 1,200 per minute, no RAW_REQUESTS. Requests that keep coming
after a 429 earn a 418 ban whose length doubles with every ban of that IP, from two minutes up
to three days (both configurable, so tests can watch the escalation in milliseconds).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from tradeexec.binance.enums import RateLimitInterval, RateLimitType
from tradeexec.binance.models import RateLimitOrderCount
from tradeexec.binance.net.ratelimit import RateLimitRule
from tradeexec.sim.clock import SimClock
from tradeexec.sim.config import RateLimitConfig
from tradeexec.sim.faults import FaultInjector, FaultKind
from tradeexec.sim.params import ApiError

MINUTE_MS = 60_000
RAW_WINDOW_MS = 5 * MINUTE_MS
DAY_MS = 86_400_000
_LONG_WINDOWS = {
    "DAY": (RateLimitInterval.DAY, DAY_MS, "1D"),
    "MINUTE": (RateLimitInterval.MINUTE, MINUTE_MS, "1M"),
}
_WEIGHT, _ORDERS = RateLimitType.REQUEST_WEIGHT, RateLimitType.ORDERS
_MINUTE, _SECOND = RateLimitInterval.MINUTE, RateLimitInterval.SECOND


@dataclass(slots=True)
class _Counter:
    window_ms: int
    index: int = -1
    used: int = 0

    def current(self, now_ms: int) -> int:
        return self.used if now_ms // self.window_ms == self.index else 0

    def add(self, now_ms: int, amount: int) -> int:
        idx = now_ms // self.window_ms
        if idx != self.index:
            self.index, self.used = idx, 0
        self.used += amount
        return self.used

    def resets_in_ms(self, now_ms: int) -> int:
        return (now_ms // self.window_ms + 1) * self.window_ms - now_ms


@dataclass(slots=True)
class _IpState:
    weight: _Counter
    raw: _Counter
    violations: int = 0
    bans: int = 0
    banned_until: int = 0


class RateLimitEnforcer:
    def __init__(self, config: RateLimitConfig, clock: SimClock, faults: FaultInjector | None = None) -> None:
        self.config = config
        self.clock = clock
        self.faults = faults  # injected IP bans (FaultKind.IP_BAN) strike here, like earned ones
        self._ips: dict[str, _IpState] = {}
        self._orders: dict[str, tuple[_Counter, _Counter]] = {}

    def rate_limits(self) -> list[RateLimitRule]:
        """The ``rateLimits`` array of exchangeInfo."""
        c = self.config
        rules = [
            RateLimitRule(_WEIGHT, _MINUTE, 1, c.request_weight_per_minute),
            RateLimitRule(_ORDERS, _SECOND, c.orders_window_s, c.orders_per_10s),
            RateLimitRule(_ORDERS, self._long[0], 1, c.orders_per_day),
        ]
        if c.raw_requests_per_5m is not None:
            rules.append(RateLimitRule(RateLimitType.RAW_REQUESTS, _MINUTE, 5, c.raw_requests_per_5m))
        return rules

    @property
    def _long(self) -> tuple[RateLimitInterval, int, str]:
        """The long order window: its interval, length and header suffix."""
        return _LONG_WINDOWS[self.config.orders_long_window]

    def _ip(self, ip: str) -> _IpState:
        st = self._ips.get(ip)
        if st is None:
            st = self._ips[ip] = _IpState(_Counter(MINUTE_MS), _Counter(RAW_WINDOW_MS))
        return st

    def _retry_after(self, sim_ms: int) -> str:
        return str(max(1, math.ceil(self.clock.sim_to_real_seconds(sim_ms))))

    def charge_request(self, ip: str, weight: int) -> None:
        """Count one request of ``weight`` from ``ip``; raise the 429/418 it earns (or an
        injected ban imposes)."""
        now = self.clock.now_ms()
        injected = self.faults.take(FaultKind.IP_BAN, ip) if self.faults is not None else None
        if injected is not None and injected.until_ms is not None:
            raise self._ban_error(injected.until_ms, now)
        if not self.config.enabled:
            return
        st = self._ip(ip)
        if st.banned_until > now:
            raise self._ban_error(st.banned_until, now)
        used = st.weight.add(now, weight)
        raw = st.raw.add(now, 1)
        if used > self.config.request_weight_per_minute:
            self._violate(ip, st, now)
            raise ApiError(
                -1003,
                f"Too much request weight used; current limit is {self.config.request_weight_per_minute} "
                "request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid "
                "polling the API.",
                429,
                headers={"Retry-After": self._retry_after(st.weight.resets_in_ms(now))},
            )
        if self.config.raw_requests_per_5m is not None and raw > self.config.raw_requests_per_5m:
            self._violate(ip, st, now)
            raise ApiError(
                -1003,
                f"Too many requests; current limit is {self.config.raw_requests_per_5m} requests per "
                "5 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
                429,
                headers={"Retry-After": self._retry_after(st.raw.resets_in_ms(now))},
            )
        st.violations = 0

    def _violate(self, ip: str, st: _IpState, now: int) -> None:
        st.violations += 1
        if st.violations > self.config.violations_before_ban:
            length = min(self.config.first_ban_ms * 2**st.bans, self.config.max_ban_ms)
            st.bans += 1
            st.violations = 0
            st.banned_until = now + length
            raise self._ban_error(st.banned_until, now)

    def _ban_error(self, until_ms: int, now: int) -> ApiError:
        return ApiError(
            -1003,
            f"Way too much request weight used; IP banned until {until_ms}. "
            "Please use WebSocket Streams for live updates to avoid bans.",
            418,
            headers={"Retry-After": self._retry_after(until_ms - now)},
        )

    def charge_order(self, account: str, short_units: int = 1, long_units: int = 1) -> None:
        """Count one new order of ``account`` (a futures batch counts 5 on the short window
        and 1 on the long one); -1015 (429, no Retry-After) when over a limit. The refused
        call is not counted, as Binance does not count rejected orders."""
        if not self.config.enabled:
            return
        now = self.clock.now_ms()
        short, day = self._order_counters(account)
        if short.current(now) + short_units > self.config.orders_per_10s:
            raise ApiError(
                -1015,
                f"Too many new orders; current limit is {self.config.orders_per_10s} orders per "
                f"{self.config.orders_window_s} SECOND.",
                429,
            )
        if day.current(now) + long_units > self.config.orders_per_day:
            raise ApiError(
                -1015,
                f"Too many new orders; current limit is {self.config.orders_per_day} orders per "
                f"{self.config.orders_long_window}.",
                429,
            )
        short.add(now, short_units)
        day.add(now, long_units)

    def _order_counters(self, account: str) -> tuple[_Counter, _Counter]:
        counters = self._orders.get(account)
        if counters is None:
            short = _Counter(self.config.orders_window_s * 1000)
            counters = self._orders[account] = (short, _Counter(self._long[1]))
        return counters

    def used_weight(self, ip: str) -> int:
        return self._ip(ip).weight.current(self.clock.now_ms())

    def order_counts(self, account: str) -> tuple[int, int]:
        now = self.clock.now_ms()
        short, day = self._order_counters(account)
        return short.current(now), day.current(now)

    def headers(self, ip: str, account: str | None) -> dict[str, str]:
        """The usage headers every REST response carries."""
        out = {"X-MBX-USED-WEIGHT-1M": str(self.used_weight(ip))}
        if account is not None:
            short, day = self.order_counts(account)
            out[f"X-MBX-ORDER-COUNT-{self.config.orders_window_s}S"] = str(short)
            out[f"X-MBX-ORDER-COUNT-{self._long[2]}"] = str(day)
        return out

    def order_usage(self, account: str) -> list[RateLimitOrderCount]:
        """GET /api/v3/rateLimit/order, and the order part of the WebSocket API's
        ``rateLimits``: each order window with the account's count in it."""
        short, day = self.order_counts(account)
        c = self.config
        return [
            RateLimitOrderCount(_ORDERS, _SECOND, c.orders_window_s, c.orders_per_10s, short),
            RateLimitOrderCount(_ORDERS, self._long[0], 1, c.orders_per_day, day),
        ]

    def weight_usage(self, ip: str) -> RateLimitOrderCount:
        """The request-weight part of the WebSocket API's ``rateLimits`` for ``ip``."""
        limit = self.config.request_weight_per_minute
        return RateLimitOrderCount(_WEIGHT, _MINUTE, 1, limit, self.used_weight(ip))

    def reset(self) -> None:
        self._ips.clear()
        self._orders.clear()


def weight_for(method: str, path: str, params: Mapping[str, str], default: int) -> int:
    """The request weight from the shared endpoint registry; ``default`` for endpoints it
    does not list (the wallet endpoints the local exchange adds)."""
    from tradeexec.binance.net import endpoints

    try:
        spec = endpoints.lookup(method, path)
    except KeyError:
        return default
    return int(spec.weight_for(params))


def futures_limits(spot: RateLimitConfig) -> RateLimitConfig:
    """USDT-M futures' own budget (their docs' "Limits", as their exchangeInfo states it), with
    the spot configuration's switch and ban escalation (so a test that turns limits off or
    shortens bans does so for both). With limits off (``enabled = false``) the spot figures
    are advertised for futures too: an operator who lifted them (the benchmarks) does not
    want clients pacing themselves to Binance's futures budget."""
    if not spot.enabled:
        return replace(spot, orders_window_s=10, orders_long_window="MINUTE", raw_requests_per_5m=None)
    return replace(
        spot,
        request_weight_per_minute=2400,
        orders_per_10s=300,
        orders_window_s=10,
        orders_per_day=1200,
        orders_long_window="MINUTE",
        raw_requests_per_5m=None,
    )
