"""The stop gate at signing: the last check that no order able to grow a position is signed
after a stop began.

The core checks its kill switch before it hands an order to the venue, but between that check
and the signature the request may wait: for rate-limit budget, for the clock offset, for a
-1021 re-measure. A stop that trips meanwhile could not recall it. So the venue adapter hands
the core's gate (``tradeexec.venue.protocol.StopGate``) down with ``placing(gate)`` around its
call, and the REST transport and the WebSocket API read it with ``check`` right before they
stamp and sign each attempt of an order-placing request, with no await in between: a tripped
gate raises ``StoppedBeforeSigning`` and nothing is signed or sent.

A context variable carries it, not a parameter through every REST call between the adapter
and the transport (single orders, batches, algo orders, order lists all reach the same two
signing points): it is set per task, so the emergency stop's own orders, placed beside a
gated placement by another task with no gate, pass, and cancels and queries are never
checked (only order-placing requests read it).
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Final

from tradeexec.errors import StoppedBeforeSigning
from tradeexec.venue.protocol import StopGate

__all__ = ["check", "placing"]

_GATE: Final[ContextVar[StopGate | None]] = ContextVar("tradeexec_stop_gate", default=None)


class placing:  # lower case: used as ``with placing(gate):``, like a contextlib helper
    """Order-placing requests signed inside (in this task) are checked against ``gate``;
    None: unchecked (a closing order, the emergency stop's own). A slotted class, not
    ``@contextmanager``: a generator per order cost microseconds on the order path."""

    __slots__ = ("_gate", "_token")

    def __init__(self, gate: StopGate | None) -> None:
        self._gate = gate
        self._token: Token[StopGate | None] | None = None

    def __enter__(self) -> None:
        if self._gate is not None:
            self._token = _GATE.set(self._gate)

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _GATE.reset(self._token)


def check(client_order_id: str) -> None:
    """Raise ``StoppedBeforeSigning`` when the gate of the placement being signed has
    tripped. Synchronous: the caller signs right after it returns."""
    gate = _GATE.get()
    if gate is not None:
        reason = gate.trip_reason
        if reason is not None:
            raise StoppedBeforeSigning(client_order_id, reason)
