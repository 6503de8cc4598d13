"""One place that decides what to do about an error.

A read that failed can simply be tried again; a write whose answer was lost must never be sent
again blindly but looked up; a rate limit means stop and wait; a refused order is final; a key
that lost its permission means nothing else will work. Scattering that judgement across call
sites is how bots end up resending orders, so every caller asks this policy instead, and every
decision is logged.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

from tradeexec.errors import (
    BinanceAPIError,
    DuplicateOrderId,
    InvalidParameter,
    OrderStatusUnknown,
    OutcomeUnknown,
    RateLimitBanActive,
    Throttled,
    TradeexecError,
    TransportError,
)

__all__ = ["Action", "BreakerState", "Decision", "ErrorPolicy", "TradingHalted"]

log = logging.getLogger(__name__)

# The exchange may or may not have executed the request (docs: "execution status unknown").
_UNKNOWN_CODES = frozenset({-1006, -1007})
# Transient server-side trouble: safe to repeat a read.
_TRANSIENT_CODES = frozenset({-1000, -1001, -1004, -1008, -1021})
# Too much traffic: stop and wait for the window to pass.
_RATE_CODES = frozenset({-1003, -1015})
# Key, signature, IP or permission problems: nothing further will succeed.
_FATAL_CODES = frozenset({-1002, -1022, -2014, -2015})
# SERVICE_SHUTTING_DOWN: what every path answers (HTTP 503) while the exchange is in maintenance.
_MAINTENANCE_CODE = -1016
_DEFAULT_WAIT_S = 60.0
# Set (task-locally) while the manager's own maintenance work runs: its cancels and protective
# stops go out through a pause that already holds every other caller back.
_MAINTENANCE_WORK: ContextVar[bool] = ContextVar("maintenance_work", default=False)


class TradingHalted(TradeexecError):
    """Trading is paused (circuit breaker open, maintenance) and the request was not sent."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"trading halted: {reason}")


class Action(StrEnum):
    RETRY = "retry"  # repeat the same request after ``delay_s``
    WAIT = "wait"  # rate limited or paused: repeat only after ``delay_s``
    RESOLVE = "resolve"  # a write's outcome is unknown: look the order up, never resend
    FAIL = "fail"  # definitive refusal: give up on this request
    HALT = "halt"  # stop trading altogether


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(slots=True, frozen=True)
class Decision:
    action: Action
    delay_s: float
    reason: str


class ErrorPolicy:
    """Classification, bounded jittered backoff, a circuit breaker and maintenance state.

    ``failure_threshold`` consecutive failures open the breaker for ``cooldown_s``; after the
    cool-down one request may go through (half-open) and its result closes or re-opens it.
    The failure that makes ``halt_after`` consecutive ones is decided HALT.

    Waiting is not failing: a rate limit, an IP ban (418) and exchange maintenance stop every
    request, good or bad, until they pass, so they say nothing about the order path. They
    never count toward the breaker or ``halt_after``; otherwise a few orders of unknown
    outcome, looked up through a maintenance window, would halt trading for good.
    """

    def __init__(
        self,
        *,
        base_delay_s: float = 0.2,
        max_delay_s: float = 10.0,
        failure_threshold: int = 5,
        cooldown_s: float = 30.0,
        halt_after: int = 50,
        maintenance_after_503: int = 3,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self.halt_after = halt_after
        self.maintenance_after_503 = maintenance_after_503
        self._clock = clock
        self._rng = rng or random.Random()
        self._failures = 0
        self._opened_at: float | None = None
        self._half_open_probe = False
        self._consecutive_503 = 0
        self._maintenance_reason: str | None = None

    # ---- classification -----------------------------------------------------------------

    def classify(self, exc: BaseException, *, write: bool, attempt: int = 1) -> Decision:
        """What to do about ``exc``; ``write`` is True for placement/cancel/replace, whose
        lost answers must be resolved rather than repeated. Pure: no state changes."""
        retry_delay = self.backoff(attempt)
        if isinstance(exc, OrderStatusUnknown):
            return Decision(Action.RESOLVE, retry_delay, f"outcome unknown: {exc.cause}")
        if isinstance(exc, InvalidParameter):
            return Decision(Action.FAIL, 0.0, f"refused locally: {exc}")
        if isinstance(exc, RateLimitBanActive):
            wait = max(0.0, exc.until_ms / 1000 - time.time())
            return Decision(Action.WAIT, wait, f"requests held back: {exc.reason}")
        if isinstance(exc, BinanceAPIError):
            return self._classify_api(exc, write=write, retry_delay=retry_delay)
        # The neutral classes, as any venue raises them (Binance's errors subclass them).
        if isinstance(exc, Throttled):
            wait = _DEFAULT_WAIT_S if exc.retry_after_s is None else exc.retry_after_s
            return Decision(Action.WAIT, wait, f"rate limited: {exc}")
        if isinstance(exc, OutcomeUnknown):
            action = Action.RESOLVE if write else Action.RETRY
            return Decision(action, retry_delay, f"execution status unknown: {exc}")
        if isinstance(exc, DuplicateOrderId):  # the order exists: the manager looks it up
            return Decision(Action.FAIL, 0.0, f"duplicate client order ID: {exc}")
        # OSError, not only ConnectionError: "no route to host" or "network unreachable" reach
        # here as a bare OSError, and a read after them is worth another try like any other.
        if isinstance(exc, TransportError | TimeoutError | OSError):
            if write:
                return Decision(Action.RESOLVE, retry_delay, f"no answer to a write: {exc!r}")
            return Decision(Action.RETRY, retry_delay, f"transport: {exc!r}")
        return Decision(Action.FAIL, 0.0, f"unexpected error: {exc!r}")

    def _classify_api(self, exc: BinanceAPIError, *, write: bool, retry_delay: float) -> Decision:
        code, status = exc.code, exc.http_status
        label = f"{code} (HTTP {status}): {exc.msg}"
        if status in (418, 429) or code in _RATE_CODES:
            retry_after = exc.retry_after_s if isinstance(exc, Throttled) else None
            wait = _DEFAULT_WAIT_S if retry_after is None else retry_after
            if status != 418 and code == -1015 and retry_after is None:
                wait = max(retry_delay, 1.0)  # order-count limit: next 10 s window, no header
            return Decision(Action.WAIT, wait, f"rate limited {label}")
        if code in _FATAL_CODES:
            return Decision(Action.HALT, 0.0, f"credentials or permissions {label}")
        if code == _MAINTENANCE_CODE and not write:
            return Decision(Action.WAIT, retry_delay, f"exchange maintenance {label}")
        if isinstance(exc, OutcomeUnknown) or code in _UNKNOWN_CODES or status >= 500:
            if write:
                return Decision(Action.RESOLVE, retry_delay, f"execution status unknown {label}")
            return Decision(Action.RETRY, retry_delay, f"server error {label}")
        if code in _TRANSIENT_CODES:
            return Decision(Action.RETRY, retry_delay, f"transient {label}")
        return Decision(Action.FAIL, 0.0, f"refused by the exchange {label}")

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter in [half, full] of the step, capped: spreads
        retries of many clients without ever waiting unboundedly."""
        step = min(self.max_delay_s, self.base_delay_s * (2.0 ** max(0, attempt - 1)))
        return step * (0.5 + 0.5 * self._rng.random())

    # ---- the stateful decision: classify, count, log -------------------------------------

    def decide(self, exc: BaseException, *, write: bool, attempt: int = 1, what: str = "") -> Decision:
        decision = self.classify(exc, write=write, attempt=attempt)
        if isinstance(exc, BinanceAPIError) and exc.http_status == 503:
            self._consecutive_503 += 1
            if self._consecutive_503 >= self.maintenance_after_503:
                self.enter_maintenance(f"{self._consecutive_503} consecutive HTTP 503")
        # A WAIT (rate limit, ban) is never a failure; nor is anything failing in maintenance.
        counted = decision.action in (Action.RETRY, Action.RESOLVE) and not self._in_maintenance_error(exc)
        if counted:
            self.record_failure()
        if counted and self._failures >= self.halt_after:
            decision = Decision(
                Action.HALT, 0.0, f"{self._failures} consecutive failures; last: {decision.reason}"
            )
        level = logging.WARNING if decision.action in (Action.HALT, Action.FAIL) else logging.INFO
        log.log(
            level,
            "error policy: %s%s -> %s (delay %.3fs, attempt %d): %s",
            what,
            " [write]" if write else "",
            decision.action.value,
            decision.delay_s,
            attempt,
            decision.reason,
        )
        return decision

    def _in_maintenance_error(self, exc: BaseException) -> bool:
        return self.in_maintenance or (isinstance(exc, BinanceAPIError) and exc.code == _MAINTENANCE_CODE)

    # ---- circuit breaker ----------------------------------------------------------------

    @property
    def breaker(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.cooldown_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def record_success(self) -> None:
        if self._opened_at is not None:
            log.info("circuit breaker closed after a successful request")
        self._failures = 0
        self._opened_at = None
        self._half_open_probe = False
        self._consecutive_503 = 0

    def record_failure(self) -> None:
        self._failures += 1
        if self.breaker is BreakerState.HALF_OPEN or (
            self._opened_at is None and self._failures >= self.failure_threshold
        ):
            self._opened_at = self._clock()
            self._half_open_probe = False
            log.warning(
                "circuit breaker open for %.1fs after %d consecutive failures",
                self.cooldown_s,
                self._failures,
            )

    def check_can_send(self) -> None:
        """Raise TradingHalted unless a request may go out now (breaker closed, or the single
        half-open probe, and no maintenance)."""
        if self._maintenance_reason is not None and not _MAINTENANCE_WORK.get():
            raise TradingHalted(f"exchange maintenance: {self._maintenance_reason}")
        state = self.breaker
        if state is BreakerState.OPEN:
            assert self._opened_at is not None
            left = self.cooldown_s - (self._clock() - self._opened_at)
            raise TradingHalted(f"circuit breaker open ({self._failures} failures), {left:.1f}s left")
        if state is BreakerState.HALF_OPEN:
            if self._half_open_probe:
                raise TradingHalted("circuit breaker half-open: a probe request is in flight")
            self._half_open_probe = True

    # ---- maintenance --------------------------------------------------------------------

    @property
    def in_maintenance(self) -> bool:
        return self._maintenance_reason is not None

    def enter_maintenance(self, reason: str) -> None:
        if self._maintenance_reason is None:
            log.warning("trading paused: exchange maintenance (%s)", reason)
        self._maintenance_reason = reason

    @staticmethod
    @contextlib.contextmanager
    def maintenance_work() -> Iterator[None]:
        """Inside, this task's requests pass the maintenance pause (``on_maintenance``'s
        cancels and stops); every other task's stay held back."""
        token = _MAINTENANCE_WORK.set(True)
        try:
            yield
        finally:
            _MAINTENANCE_WORK.reset(token)

    def note_system_status(self, status: int, msg: str = "") -> None:
        """Feed ``GET /sapi/v1/system/status``: 1 means maintenance, 0 normal."""
        if status == 1:
            self.enter_maintenance(f"system status 1 {msg}".strip())
        elif self._maintenance_reason is not None:
            log.warning("exchange maintenance over (system status %d); trading resumes", status)
            self._maintenance_reason = None
            self._consecutive_503 = 0
