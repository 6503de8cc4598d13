"""Limits Binance states for every request, written once for the client (which refuses a
request past them before sending it) and the local exchange (which answers it with Binance's
error): the same number on both sides, so a test against the local exchange proves the
client's check."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

MAX_RECV_WINDOW: Final = 60_000
"""Largest ``recvWindow`` in milliseconds (-1102 beyond it)."""

DEFAULT_RECV_WINDOW: Final = Decimal(5000)
"""The ``recvWindow`` a signed request has when it sends none."""

MAX_SYMBOLS: Final = 100
"""Most names a ``symbols`` list may hold (-1101 beyond it)."""
