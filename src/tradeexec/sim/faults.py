"""Failures on demand: rules that make the local exchange misbehave in the ways Binance does.

A rule names a fault kind, a target (a glob over REST paths like ``/api/v3/order`` or
WebSocket API methods like ``order.place``), and how often it fires (probability from a seeded
RNG, and optionally a count). Transports ask ``should(kind, target)`` or ``take(kind, target)``
at the point where the fault would happen; every fault that fires is logged so a test can
assert what the client actually lived through. A rule given ``duration_ms`` lapses after that
many simulated milliseconds (a maintenance window, an IP ban) without anyone clearing it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase

from tradeexec.sim.clock import SimClock


class FaultKind(StrEnum):
    LATENCY = "latency"  # delay the answer by latency_ms (real milliseconds)
    HTTP_5XX = "http_5xx"  # answer with `status` (502/503/504) without executing
    ERROR_1001 = "error_1001"  # -1001 DISCONNECTED without executing
    ERROR_1003 = "error_1003"  # -1003 as a 429 without executing
    ERROR_1007 = "error_1007"  # execute, then answer -1007 (execution status unknown)
    LOST_RESPONSE = "lost_response"  # execute, then never answer (close the connection)
    WS_DROP = "ws_drop"  # WebSocket transports close the connection
    WS_SILENT = "ws_silent"  # a WebSocket stops sending and stops answering pings
    DEPTH_GAP = "depth_gap"  # the depth stream skips an update (a U/u gap)
    LISTEN_KEY_EXPIRY = "listen_key_expiry"  # the user data stream's key expires now
    MAINTENANCE = "maintenance"  # system status 1 and 503 on every API path
    CLOCK_SKEW = "clock_skew"  # the server clock jumps by skew_ms
    IP_BAN = "ip_ban"  # requests from IPs matching the target get 418 for duration_ms
    # A WebSocket API request matching the target first draws ``serverShutdown`` on its
    # connection, which closes latency_ms later (the answer still comes on it before then).
    SERVER_SHUTDOWN = "server_shutdown"


@dataclass(slots=True)
class FaultRule:
    kind: FaultKind
    target: str = "*"
    probability: float = 1.0
    count: int | None = None  # remaining firings; None = unlimited
    latency_ms: int = 0
    status: int = 503
    skew_ms: int = 0
    rule_id: int = 0
    until_ms: int | None = None  # simulated time the rule lapses; None = until cleared


@dataclass(slots=True, frozen=True)
class FaultRecord:
    kind: FaultKind
    target: str
    time_ms: int
    detail: str = ""

    def to_json(self) -> dict[str, object]:
        return {"kind": str(self.kind), "target": self.target, "time": self.time_ms, "detail": self.detail}


@dataclass(slots=True)
class FaultInjector:
    clock: SimClock
    seed: int = 0
    rules: list[FaultRule] = field(default_factory=list)
    log: list[FaultRecord] = field(default_factory=list)
    _rng: random.Random = field(init=False)
    _next_id: int = 1

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def inject(
        self,
        kind: FaultKind | str,
        target: str = "*",
        *,
        probability: float = 1.0,
        count: int | None = None,
        latency_ms: int = 0,
        status: int = 503,
        skew_ms: int = 0,
        duration_ms: int | None = None,
    ) -> FaultRule:
        """Add a rule. CLOCK_SKEW applies at once (and is logged); MAINTENANCE holds until
        cleared, until its count is used up, or for ``duration_ms``. IP_BAN needs
        ``duration_ms``: a 418 always says when the ban ends (``Retry-After``)."""
        kind = FaultKind(kind)
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        if kind is FaultKind.HTTP_5XX and not 500 <= status <= 599:
            raise ValueError("HTTP_5XX needs a 5xx status")
        if duration_ms is not None and duration_ms <= 0:
            raise ValueError("duration_ms must be positive")
        if kind is FaultKind.IP_BAN and duration_ms is None:
            raise ValueError("IP_BAN needs duration_ms")
        until = None if duration_ms is None else self.clock.now_ms() + duration_ms
        rule = FaultRule(kind, target, probability, count, latency_ms, status, skew_ms, self._next_id, until)
        self._next_id += 1
        if kind is FaultKind.CLOCK_SKEW:
            self.clock.skew_ms = skew_ms
            self.record(kind, target, f"skew_ms={skew_ms}")
            return rule
        self.rules.append(rule)
        return rule

    def clear(self, kind: FaultKind | str | None = None) -> None:
        """Remove rules (of one kind, or all); clearing CLOCK_SKEW (or all) restores the clock."""
        if kind is None:
            self.rules.clear()
            self.clock.skew_ms = 0
            return
        kind = FaultKind(kind)
        if kind is FaultKind.CLOCK_SKEW:
            self.clock.skew_ms = 0
        self.rules = [r for r in self.rules if r.kind is not kind]

    def take(self, kind: FaultKind | str, target: str, detail: str = "") -> FaultRule | None:
        """The first matching rule that fires now (consuming one count and logging it)."""
        kind = FaultKind(kind)
        now = self.clock.now_ms()
        for rule in self.rules:
            if rule.kind is not kind or not fnmatchcase(target, rule.target) or not _live(rule, now):
                continue
            if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                continue
            if rule.count is not None:
                rule.count -= 1
            self.record(kind, target, detail or _describe(rule))
            return rule
        return None

    def should(self, kind: FaultKind | str, target: str, detail: str = "") -> bool:
        return self.take(kind, target, detail) is not None

    def active(self, kind: FaultKind | str, target: str = "*") -> bool:
        """Whether a rule of this kind applies, without firing it (maintenance checks)."""
        kind = FaultKind(kind)
        now = self.clock.now_ms()
        return any(r.kind is kind and fnmatchcase(target, r.target) and _live(r, now) for r in self.rules)

    @property
    def maintenance(self) -> bool:
        return self.active(FaultKind.MAINTENANCE)

    def record(self, kind: FaultKind, target: str, detail: str = "") -> None:
        self.log.append(FaultRecord(kind, target, self.clock.now_ms(), detail))

    def log_json(self) -> list[dict[str, object]]:
        return [r.to_json() for r in self.log]


def _live(rule: FaultRule, now_ms: int) -> bool:
    """Neither used up nor lapsed."""
    return (rule.count is None or rule.count > 0) and (rule.until_ms is None or now_ms < rule.until_ms)


def _describe(rule: FaultRule) -> str:
    if rule.kind is FaultKind.LATENCY:
        return f"latency_ms={rule.latency_ms}"
    if rule.kind is FaultKind.HTTP_5XX:
        return f"status={rule.status}"
    if rule.kind is FaultKind.IP_BAN:
        return f"banned until {rule.until_ms}"
    return f"rule={rule.rule_id}"
