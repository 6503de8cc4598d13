"""The resend rule alone: the original is dead only when the exchange's clock (read before
the lookup) and the monotonic clock both put it past its recvWindow and the margin."""

from __future__ import annotations

import pytest

from tradeexec.execution.orders.resend_rule import SendMark, judge

MARK = SendMark(signed_ms=1_000_000, sent_mono=100.0)
WINDOW, MARGIN = 5000, 1000
LIMIT = 1_000_000 + WINDOW + MARGIN


@pytest.mark.parametrize(
    ("server_ms", "now_mono", "dead", "wait_s"),
    [
        (None, 200.0, False, 0.0),  # no server time: doubt, never dead
        (LIMIT + 1, 100.0 + 5.9, False, 0.1),  # exchange says over, monotonic clock not yet
        (LIMIT - 7000, 100.0 + 60, False, 7.0),  # exchange clock stepped back: wait for it
        (LIMIT, 100.0 + 60, False, 0.0),  # exactly at the limit is not past it
        (LIMIT + 1, 100.0 + 6.0, True, 0.0),  # both past
    ],
)
def test_dead_only_when_both_clocks_are_past(
    server_ms: int | None, now_mono: float, dead: bool, wait_s: float
) -> None:
    verdict = judge(MARK, WINDOW, MARGIN, server_ms=server_ms, now_mono=now_mono)
    assert verdict.dead is dead
    assert verdict.wait_s == pytest.approx(wait_s, abs=1e-6)
    assert f"signed timestamp <= {MARK.signed_ms}" in verdict.why
    assert ("can no longer execute" in verdict.why) is dead
