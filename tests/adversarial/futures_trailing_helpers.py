"""Shared by the trailing-stop attacks: a journal of schema version 3 (the last before a
trailing stop's terms were journaled) holding a spot fill and a reduce-only futures stop, and
a trailing stop intent."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

from tests.adversarial.futures_exactly_once_helpers import SYMBOL
from tests.adversarial.journal_helpers import build_v1
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.venue.vocab import OrderType, Side

V3_STOP_ID = "fx1_BTCUSDT_20260101000001_0000beef"


def build_v3(path: Path) -> None:
    """Version 1 (one filled spot order) brought to version 3 as that version wrote it, plus a
    reduce-only STOP_LOSS on the BOTH leg journaled by it."""
    build_v1(path, last_quote=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("ALTER TABLE intents ADD COLUMN reduce_only INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE intents ADD COLUMN position_leg TEXT")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta VALUES ('journal_id', '0123456789abcdef')")
    conn.execute(
        f"INSERT INTO intents VALUES (2, '{V3_STOP_ID}', 'fx1', 'BTCUSDT', 'SELL', 'STOP_LOSS', '0.1',"
        " NULL, NULL, NULL, '58000', 1767225601000, 5000, 1, 'BOTH')"
    )
    conn.execute("INSERT INTO requests VALUES (2, 2, 'place', 1767225601001, 1)")
    conn.execute("PRAGMA user_version = 3")
    conn.close()


def trailing_sell(callback: str = "1", activation: str | None = None, qty: str = "0.1") -> OrderIntent:
    """A reduce-only trailing SELL on the BOTH leg."""
    return OrderIntent(
        SYMBOL,
        Side.SELL,
        OrderType.TRAILING_STOP_MARKET,
        quantity=Decimal(qty),
        callback_rate=Decimal(callback),
        activation_price=None if activation is None else Decimal(activation),
        reduce_only=True,
        recv_window_ms=500,
    )
