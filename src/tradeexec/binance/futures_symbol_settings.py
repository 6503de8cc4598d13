"""The account's leverage and margin type per symbol, read from ``GET /fapi/v1/symbolConfig``.

positionRisk v3 names neither, and a position opened outside this process (another program,
the web UI) has settings this process never set: without this read its leg's leverage is
unknown until set here, and the ``max_leverage`` limit cannot judge it. ``FuturesVenue``
reads it before its first position read and its user stream again after every reconnect (a
change made while the stream was down announced itself on no stream this process heard).

The read fills the venue's two maps in place (the stream shares them). It is best effort: a
failed read is logged and leaves what was known, so a position read, the emergency stop's
above all, never fails for want of the settings; an unknown leverage is one the risk
manager's ``max_leverage`` refuses to grow a leg on.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from tradeexec.binance.client import BinanceClient
from tradeexec.errors import TradeexecError
from tradeexec.venue.positions import MarginMode

__all__ = ["read_symbol_settings"]

log = logging.getLogger(__name__)

_MODES = {"ISOLATED": MarginMode.ISOLATED, "CROSSED": MarginMode.CROSSED}


async def read_symbol_settings(
    client: BinanceClient, leverage: dict[str, Decimal], margin_modes: dict[str, MarginMode]
) -> bool:
    """Every symbol's settings into ``leverage`` and ``margin_modes``; False when the read
    failed (logged, the maps untouched)."""
    try:
        rows = await client.futures_symbol_config()
    except TradeexecError as exc:
        log.warning("futures symbol settings not read (leverage unknown until read): %s", exc)
        return False
    for row in rows:
        leverage[row.symbol] = Decimal(row.leverage)
        mode = _MODES.get(row.margin_type.upper())
        if mode is not None:
            margin_modes[row.symbol] = mode
    return True
