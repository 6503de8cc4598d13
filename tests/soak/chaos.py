"""Faults at random, from every kind the local exchange offers, and taps on the exchange that
tell injected trouble from trouble the client caused.

``ChaosMonkey`` arms one fault at a time (a one-shot rule, or a window for maintenance, clock
skew and the IP ban) at random intervals. What actually fired is read back from the
exchange's own fault log, so the report counts faults survived, not faults armed.

``SimTaps`` wraps three calls of the running exchange: the rate limiter (a 429 or 418 it
raises is the client's own pacing failing, unless the 418 comes from a ban the monkey
injected), and authentication (every signature received, for the secrets scan).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from tests.soak.product import SPOT, Product
from tradeexec.sim.exchange import LocalExchange
from tradeexec.sim.faults import FaultKind
from tradeexec.sim.params import ApiError

CLIENT_IP = "127.0.0.1"
ALL_KINDS = tuple(k.value for k in FaultKind)
# Faults that last a while (the exchange, or the client's IP, is unusable meanwhile) are armed
# a quarter as often as one-shot faults: at one-shot rates they would leave no time to trade.
WINDOWS = frozenset({FaultKind.MAINTENANCE.value, FaultKind.CLOCK_SKEW.value, FaultKind.IP_BAN.value})
WINDOW_WEIGHT = 0.25


class SimTaps:
    def __init__(self, ex: LocalExchange, limiter_name: str = "limiter") -> None:
        self.ex = ex
        self.signatures: set[str] = set()
        self.client_429: list[str] = []  # rate-limit refusals the client's pacing earned
        limiter = getattr(ex.state, limiter_name)  # spot's, or the futures one
        service = ex.state.service
        self._charge_request = limiter.charge_request
        self._charge_order = limiter.charge_order
        self._authenticate = service.authenticate
        limiter.charge_request = self._tap_request  # type: ignore[method-assign]
        limiter.charge_order = self._tap_order  # type: ignore[method-assign]
        service.authenticate = self._tap_authenticate  # type: ignore[method-assign]

    def _tap_request(self, ip: str, weight: int) -> None:
        try:
            self._charge_request(ip, weight)
        except ApiError as err:
            # An injected ban refuses before anything is counted: then no earned one can strike.
            if not (err.http_status == 418 and self.ex.faults.active(FaultKind.IP_BAN, ip)):
                self.client_429.append(f"{err.http_status} {err.code}: {err.msg}")
            raise

    def _tap_order(self, account: str) -> None:
        try:
            self._charge_order(account)
        except ApiError as err:
            self.client_429.append(f"{err.http_status} {err.code}: {err.msg}")
            raise

    def _tap_authenticate(self, security: Any, api_key: str | None, payload: bytes, signature: str | None,
                          *args: Any, **kwargs: Any) -> Any:
        if signature:
            self.signatures.add(signature)
        return self._authenticate(security, api_key, payload, signature, *args, **kwargs)


class ChaosMonkey:
    """``tick()`` after every intent arms a fault with probability ``rate``: chaos keeps pace
    with the trading, so a slow stretch (a ban, a maintenance) does not turn into a storm."""

    def __init__(self, ex: LocalExchange, *, seed: int, rate: float, legacy_stream: bool,
                 product: Product = SPOT) -> None:
        self.ex = ex
        self.rng = random.Random(seed)
        self.product = product
        # Spot's user data stream runs on /ws/<listenKey> (legacy) or on the WebSocket API
        # session; the futures one is among the product's stream paths (/private).
        user = () if product.futures else ("/ws/*" if legacy_stream else "/ws-api/*",)
        self._ws_targets = product.stream_paths + user
        self.rate = rate
        self.armed: Counter[str] = Counter()
        # Maintenance, clock skew and bans last a while; they run beside the one-shot faults.
        self._windows: dict[str, asyncio.Task[None]] = {}
        # Without a listenKey there is nothing for its expiry to strike: never armed then.
        absent = set() if legacy_stream else {FaultKind.LISTEN_KEY_EXPIRY.value}
        # serverShutdown (issue 16) is not armed yet: weight 0 keeps every seed's sequence of
        # faults as it was; its own attacks are tests/adversarial/test_server_shutdown.py.
        absent.add(FaultKind.SERVER_SHUTDOWN.value)
        self._weights = [0 if k in absent else WINDOW_WEIGHT if k in WINDOWS else 1 for k in ALL_KINDS]
        self._actions: dict[str, Callable[[], Any]] = {
            FaultKind.LATENCY: self._latency,
            FaultKind.HTTP_5XX: lambda: self._once(
                FaultKind.HTTP_5XX, self._rest_target(), status=self.rng.choice((502, 503, 504))
            ),
            FaultKind.ERROR_1001: lambda: self._once(FaultKind.ERROR_1001, self._rest_target()),
            FaultKind.ERROR_1003: lambda: self._once(FaultKind.ERROR_1003, self._rest_target()),
            FaultKind.ERROR_1007: lambda: self._once(FaultKind.ERROR_1007, self._write_target()),
            FaultKind.LOST_RESPONSE: lambda: self._once(FaultKind.LOST_RESPONSE, self._write_target()),
            FaultKind.WS_DROP: lambda: self._once(FaultKind.WS_DROP, self._ws_target()),
            FaultKind.WS_SILENT: lambda: self._once(FaultKind.WS_SILENT, self._ws_target()),
            FaultKind.DEPTH_GAP: lambda: self._once(FaultKind.DEPTH_GAP, "*@depth*"),
            FaultKind.LISTEN_KEY_EXPIRY: lambda: self._once(FaultKind.LISTEN_KEY_EXPIRY, "*"),
            FaultKind.MAINTENANCE: self._maintenance,
            FaultKind.CLOCK_SKEW: self._skew,
            FaultKind.IP_BAN: self._ban,
            FaultKind.SERVER_SHUTDOWN: lambda: self.ex.server_shutdown(grace_s=self.rng.uniform(0.2, 2.0)),
        }

    def tick(self) -> None:
        if self.rng.random() >= self.rate:
            return
        kind = self.rng.choices(ALL_KINDS, self._weights)[0]
        window = self._windows.get(kind)
        if window is not None and not window.done():
            return  # that window is still open
        self.armed[kind] += 1
        result = self._actions[kind]()
        if asyncio.iscoroutine(result):
            self._windows[kind] = asyncio.get_running_loop().create_task(result, name=f"chaos-{kind}")

    async def clear(self) -> None:
        """Close every open window, then remove every rule: calm for the final checks."""
        for task in self._windows.values():
            task.cancel()
        await asyncio.gather(*self._windows.values(), return_exceptions=True)
        self.ex.clear_faults()

    def fired(self) -> Counter[str]:
        """Faults that struck, per kind, from the exchange's log (maintenance and bans: the
        requests refused while they lasted)."""
        return Counter(str(r.kind) for r in self.ex.fault_log)

    # ---- the faults ------------------------------------------------------------------------

    def _once(self, kind: FaultKind, target: str, **kw: Any) -> None:
        self.ex.inject(kind, target, count=self.rng.randint(1, 2), **kw)

    def _rest_target(self) -> str:
        return self.rng.choice(self.product.rest_targets)

    def _write_target(self) -> str:
        # POST and DELETE of the order (place, cancel), and cancel all.
        return self.rng.choice(self.product.write_targets)

    def _ws_target(self) -> str:
        # The market streams (combined, on /stream), or the user data stream.
        return self.rng.choice(self._ws_targets)

    def _latency(self) -> None:
        # Mostly a slow answer; sometimes slower than the client's timeout.
        ms = self.rng.choice((self.rng.randint(20, 300), self.rng.randint(1200, 2500)))
        self._once(FaultKind.LATENCY, self._rest_target(), latency_ms=ms)

    async def _maintenance(self) -> None:
        self.ex.inject(FaultKind.MAINTENANCE)
        await asyncio.sleep(self.rng.uniform(0.1, 0.5))
        self.ex.clear_faults(FaultKind.MAINTENANCE)

    async def _skew(self) -> None:
        skew = self.rng.choice((-1, 1)) * self.rng.randint(800, 4000)
        self.ex.inject(FaultKind.CLOCK_SKEW, skew_ms=skew)
        await asyncio.sleep(self.rng.uniform(0.5, 2.0))
        self.ex.clear_faults(FaultKind.CLOCK_SKEW)

    async def _ban(self) -> None:
        # The ban lapses by itself; the window stays open as long, so bans do not overlap.
        ms = self.rng.randint(200, 800)
        self.ex.inject(FaultKind.IP_BAN, CLIENT_IP, duration_ms=ms)
        await asyncio.sleep(ms / 1000)
        self.ex.clear_faults(FaultKind.IP_BAN)
