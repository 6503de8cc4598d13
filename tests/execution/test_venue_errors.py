"""The few errors the execution core branches on are neutral (``tradeexec.errors``): Binance's
answers arrive as subclasses of them, and the error policy reacts to the neutral classes as
any venue raises them, not only to Binance's codes."""

from __future__ import annotations

import pytest

from tradeexec.binance.errors import error_from_response
from tradeexec.errors import OrderNotFound, OutcomeUnknown, Throttled
from tradeexec.execution.policy import Action, ErrorPolicy


@pytest.mark.parametrize(
    ("status", "code", "neutral"),
    [
        (400, -2013, OrderNotFound),  # Order does not exist.
        (400, -1007, OutcomeUnknown),  # Timeout waiting for response from backend server.
        (503, -1006, OutcomeUnknown),
        (502, None, OutcomeUnknown),
        (429, -1003, Throttled),
        (418, -1003, Throttled),
        (429, -1015, Throttled),
    ],
)
def test_binance_answers_are_the_neutral_errors(
    status: int, code: int | None, neutral: type[Exception]
) -> None:
    exc = error_from_response(status, code, None, "/api/v3/order", retry_after_s=7.0)
    assert isinstance(exc, neutral), type(exc).__mro__
    if neutral is Throttled:
        assert isinstance(exc, Throttled) and exc.retry_after_s == 7.0


def test_a_venue_that_throttles_is_waited_for_as_long_as_it_asks() -> None:
    exc = Throttled("slow down")
    exc.retry_after_s = 2.5
    decision = ErrorPolicy().classify(exc, write=True)
    assert (decision.action, decision.delay_s) == (Action.WAIT, 2.5)


@pytest.mark.parametrize(("write", "action"), [(True, Action.RESOLVE), (False, Action.RETRY)])
def test_an_unknown_outcome_from_any_venue_is_resolved_not_repeated(write: bool, action: Action) -> None:
    decision = ErrorPolicy().classify(OutcomeUnknown("the venue cannot say"), write=write)
    assert decision.action is action
