from __future__ import annotations

import logging
import random

import pytest

from tradeexec.binance.errors import RequestWeightExceeded, error_from_response
from tradeexec.errors import (
    BinanceAPIError,
    OrderRejectedLocally,
    OrderStatusUnknown,
    RateLimitBanActive,
    TransportError,
)
from tradeexec.execution.policy import Action, BreakerState, ErrorPolicy, TradingHalted


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def api(code: int, status: int, msg: str = "m") -> BinanceAPIError:
    return BinanceAPIError(code, msg, status, "/api/v3/order")


@pytest.mark.parametrize(
    ("exc", "write", "action"),
    [
        (api(-1000, 500), False, Action.RETRY),
        (api(-1001, 500), False, Action.RETRY),
        (api(-1000, 500), True, Action.RESOLVE),
        (api(-1007, 408), True, Action.RESOLVE),
        (api(-1007, 408), False, Action.RETRY),
        (api(-1003, 429), False, Action.WAIT),
        (api(-1015, 429), True, Action.WAIT),
        (api(-1003, 418), True, Action.WAIT),
        (api(-1016, 503), False, Action.WAIT),
        (api(-1016, 503), True, Action.RESOLVE),
        (api(-2010, 400), True, Action.FAIL),
        (api(-1013, 400), True, Action.FAIL),
        (api(-1121, 400), True, Action.FAIL),
        (api(-2013, 400), False, Action.FAIL),
        (api(-2015, 401), True, Action.HALT),
        (api(-1022, 400), False, Action.HALT),
        (OrderStatusUnknown("BTCUSDT", "cid", "timeout"), True, Action.RESOLVE),
        (OrderRejectedLocally("LOT_SIZE", "quantity", "too small"), True, Action.FAIL),
        (TransportError("reset"), True, Action.RESOLVE),
        (TransportError("reset"), False, Action.RETRY),
        (TimeoutError(), False, Action.RETRY),
        (OSError(113, "No route to host"), False, Action.RETRY),  # not a ConnectionError
        (OSError(113, "No route to host"), True, Action.RESOLVE),
        (ValueError("bug"), False, Action.FAIL),
        (error_from_response(503, None, None, "/api/v3/order"), True, Action.RESOLVE),
        (error_from_response(400, -2013, None, "/api/v3/order"), False, Action.FAIL),
        (error_from_response(418, -1003, None, "/api/v3/order", 120.0), True, Action.WAIT),
    ],
)
def test_classification(exc: BaseException, write: bool, action: Action) -> None:
    assert ErrorPolicy().classify(exc, write=write).action is action


def test_wait_uses_retry_after_when_the_error_carries_it() -> None:
    exc = RequestWeightExceeded(-1003, "Too many requests", 429, "/api/v3/order", 7.0)
    decision = ErrorPolicy().classify(exc, write=False)
    assert decision.action is Action.WAIT and decision.delay_s == 7.0


def test_backoff_is_jittered_exponential_and_bounded() -> None:
    policy = ErrorPolicy(base_delay_s=0.1, max_delay_s=2.0, rng=random.Random(1))
    for attempt in range(1, 30):
        step = min(2.0, 0.1 * 2 ** (attempt - 1))
        delay = policy.backoff(attempt)
        assert step / 2 <= delay <= step
    delays = {policy.backoff(3) for _ in range(20)}
    assert len(delays) > 1  # jitter


def test_circuit_breaker_opens_half_opens_and_closes(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    policy = ErrorPolicy(failure_threshold=3, cooldown_s=10, clock=clock)
    with caplog.at_level(logging.INFO):
        for _ in range(2):
            policy.decide(api(-1000, 500), write=False)
        policy.check_can_send()
        assert policy.breaker is BreakerState.CLOSED
        policy.decide(api(-1000, 500), write=False, what="GET /api/v3/order")
    assert policy.breaker is BreakerState.OPEN
    with pytest.raises(TradingHalted, match="circuit breaker open"):
        policy.check_can_send()
    clock.now += 10
    assert policy.breaker is BreakerState.HALF_OPEN
    policy.check_can_send()  # the single probe
    with pytest.raises(TradingHalted, match="probe"):
        policy.check_can_send()
    policy.record_failure()  # probe failed: open again
    assert policy.breaker is BreakerState.OPEN
    clock.now += 10
    policy.check_can_send()
    policy.record_success()
    assert policy.breaker is BreakerState.CLOSED
    policy.check_can_send()
    assert any("GET /api/v3/order" in r.getMessage() and "retry" in r.getMessage() for r in caplog.records)


def test_repeated_failures_halt() -> None:
    policy = ErrorPolicy(halt_after=4, failure_threshold=100)
    actions = [policy.decide(api(-1000, 500), write=False).action for _ in range(5)]
    assert actions == [Action.RETRY] * 3 + [Action.HALT] * 2


def test_maintenance_from_system_status_and_from_503s() -> None:
    policy = ErrorPolicy(maintenance_after_503=2, failure_threshold=100)
    policy.note_system_status(1, "normal maintenance")
    with pytest.raises(TradingHalted, match="maintenance"):
        policy.check_can_send()
    policy.note_system_status(0)
    policy.check_can_send()
    policy.decide(api(-1000, 503), write=False)
    assert not policy.in_maintenance
    policy.decide(api(-1000, 503), write=False)
    assert policy.in_maintenance
    policy.note_system_status(0)
    assert not policy.in_maintenance


def test_maintenance_and_bans_are_waited_out_never_counted_as_failures() -> None:
    """Maintenance (503 -1016) and a ban (418, or the client holding requests back) stop
    every request: however many lookups fail through them, neither the breaker nor the halt
    trips, and trading resumes when the exchange says maintenance is over."""
    policy = ErrorPolicy(halt_after=3, failure_threshold=2, maintenance_after_503=2)
    maintenance = api(-1016, 503, "This service is no longer available.")
    decisions = [policy.decide(maintenance, write=w) for w in (False, True) * 10]
    decisions += [policy.decide(api(-1003, 418), write=w) for w in (False, True) * 10]
    decisions += [policy.decide(RateLimitBanActive(0, "IP banned"), write=True) for _ in range(10)]
    decisions += [policy.decide(TimeoutError(), write=False) for _ in range(10)]  # while in maintenance
    assert {d.action for d in decisions} == {Action.WAIT, Action.RESOLVE, Action.RETRY}
    assert decisions[0].action is Action.WAIT and "maintenance" in decisions[0].reason
    assert decisions[1].action is Action.RESOLVE  # a write's outcome is still looked up
    assert policy.breaker is BreakerState.CLOSED and policy.in_maintenance
    policy.note_system_status(0)
    policy.check_can_send()
    # Ordinary failures still count, from zero.
    actions = [policy.decide(api(-1000, 500), write=False).action for _ in range(3)]
    assert actions == [Action.RETRY, Action.RETRY, Action.HALT] and policy.breaker is BreakerState.OPEN
