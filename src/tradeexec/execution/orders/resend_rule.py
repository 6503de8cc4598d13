"""When may an order whose placement went unanswered be sent again with the same ID?

Only when the original request can never execute. Binance accepts a signed request while
``serverTime - timestamp <= recvWindow``, so the original is dead once the *exchange's* clock
has passed the timestamp the client signed by more than the recvWindow. The local wall clock
cannot say that: an NTP step forward makes it claim seconds that never passed, and a step back
of the exchange's clock gives the original more time than the local clock knows of. Either
way a resend judged on the local wall clock lands next to the original and both fill.

So both of these must hold, each with a margin for clock error:

* elapsed since the send, on the monotonic clock (which no step moves), is at least
  recvWindow + margin; and
* a server time fetched *before* the lookup that finds nothing is later than the signed
  timestamp + recvWindow + margin. The order matters: the exchange's clock only moves forward
  from the moment it was read, so when the lookup that follows says "no such order", the
  original was refused or never arrived, and can no longer be accepted.

``signed_ms`` is an upper bound of the timestamp the client signed with: the client's own
timestamp source (local clock + its measured server offset) read just before and just after
the send, whichever is later. An overestimate only delays a resend; it never makes one early.
When anything is missing (the server time could not be read) the order stays UNKNOWN and is
looked up again.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SendMark", "Verdict", "judge"]


@dataclass(slots=True)
class SendMark:
    """What is known about the last placement of an order, taken when it was sent."""

    signed_ms: int  # upper bound of the request's ``timestamp`` (exchange time, ms)
    sent_mono: float  # ``time.monotonic()`` when the send began


@dataclass(slots=True, frozen=True)
class Verdict:
    """``dead``: the original can no longer execute. Otherwise ``wait_s`` is how long, at
    least, until it may be (0 when the server time is what is missing). ``why`` states the
    comparison, for the journal."""

    dead: bool
    wait_s: float
    why: str


def monotonic_wait_s(mark: SendMark, recv_window_ms: int, margin_ms: int, now_mono: float) -> float:
    """Seconds until the monotonic half of the rule holds (<= 0: it holds)."""
    return (recv_window_ms + margin_ms) / 1000 - (now_mono - mark.sent_mono)


def judge(
    mark: SendMark, recv_window_ms: int, margin_ms: int, *, server_ms: int | None, now_mono: float
) -> Verdict:
    """Apply the rule with ``server_ms`` read before the lookup and ``now_mono`` no later
    than it; the caller resends only if the lookup then finds nothing and ``dead`` is set."""
    elapsed_ms = int((now_mono - mark.sent_mono) * 1000)
    mono_wait = monotonic_wait_s(mark, recv_window_ms, margin_ms, now_mono)
    limit = mark.signed_ms + recv_window_ms + margin_ms
    facts = (
        f"signed timestamp <= {mark.signed_ms}, recvWindow {recv_window_ms} ms, margin {margin_ms} ms, "
        f"{elapsed_ms} ms since the send (monotonic), server time "
        f"{'unknown' if server_ms is None else server_ms}"
    )
    if server_ms is None:
        return Verdict(False, max(0.0, mono_wait), f"{facts}: not provably dead")
    server_wait = (limit - server_ms) / 1000
    if mono_wait > 0 or server_wait >= 0:
        return Verdict(False, max(mono_wait, server_wait, 0.0), f"{facts}: may still execute")
    return Verdict(True, 0.0, f"{facts} > {limit}: can no longer execute")
