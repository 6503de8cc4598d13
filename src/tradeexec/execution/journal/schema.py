"""The journal's tables, their version and the migrations from older versions.

The version lives in ``PRAGMA user_version``. A file from a newer tradeexec is refused before
anything reads or writes it: its tables may hold columns or rules this code does not know,
and writing through them could fail in ways that look like success (an ``INSERT OR IGNORE``
takes a NOT NULL failure for a duplicate). Version history:

1. intents, requests, outcomes, events (append-only); files of this version carry
   ``user_version`` 0, since it was not recorded then (``last_quote`` came late in it).
2. adds ``meta``: the journal's identity (``journal_id``), which the writer lock's file
   remembers, so a journal file swapped for another (or recreated empty) is noticed.
3. adds ``intents.reduce_only`` and ``intents.position_leg`` (derivatives venues). A version 2
   tradeexec must not open such a file: it would resend a reduce-only order without the flag.
4. adds ``intents.callback_rate`` and ``intents.activation_price`` (a trailing stop's terms).
   A version 3 tradeexec must not open such a file: it would resend a trailing stop without
   them (which the venue refuses at best).
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from pathlib import Path

from tradeexec.errors import JournalVersionError

__all__ = ["SCHEMA_VERSION", "check_readable", "prepare"]

SCHEMA_VERSION = 4

_SCHEMA = """
CREATE TABLE IF NOT EXISTS intents (
    id INTEGER PRIMARY KEY,
    client_order_id TEXT NOT NULL UNIQUE,
    strategy TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    type TEXT NOT NULL,
    quantity TEXT,
    quote_quantity TEXT,
    price TEXT,
    time_in_force TEXT,
    stop_price TEXT,
    created_ms INTEGER NOT NULL,
    recv_window_ms INTEGER NOT NULL,
    reduce_only INTEGER NOT NULL DEFAULT 0,
    position_leg TEXT,
    callback_rate TEXT,
    activation_price TEXT
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    intent_id INTEGER NOT NULL REFERENCES intents(id),
    kind TEXT NOT NULL,
    sent_ms INTEGER NOT NULL,
    attempt INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outcomes (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    result TEXT NOT NULL,
    code INTEGER,
    msg TEXT,
    recorded_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    intent_id INTEGER NOT NULL REFERENCES intents(id),
    dedupe_key TEXT NOT NULL,
    source TEXT NOT NULL,
    order_id INTEGER,
    execution_type TEXT,
    status TEXT NOT NULL,
    executed_qty TEXT NOT NULL,
    cumulative_quote TEXT NOT NULL,
    last_price TEXT,
    last_qty TEXT,
    commission TEXT,
    commission_asset TEXT,
    trade_id INTEGER,
    order_time_ms INTEGER,
    update_ms INTEGER NOT NULL,
    last_quote TEXT,
    -- Binance numbers orders and trades per symbol, so a key is unique only within its intent.
    -- This index also serves every lookup of an intent's events.
    UNIQUE (intent_id, dedupe_key)
);
CREATE INDEX IF NOT EXISTS requests_by_intent ON requests(intent_id);
CREATE INDEX IF NOT EXISTS outcomes_by_request ON outcomes(request_id);
"""
_TABLES = ("intents", "requests", "outcomes", "events")
_APPEND_ONLY = "".join(
    f"CREATE TRIGGER IF NOT EXISTS {t}_no_update BEFORE UPDATE ON {t} "
    f"BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;\n"
    f"CREATE TRIGGER IF NOT EXISTS {t}_no_delete BEFORE DELETE ON {t} "
    f"BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;\n"
    for t in _TABLES
)
_META = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Columns added since a journal was created; old rows read NULL (for ``last_quote``:
    unknown, so the fill's quote falls back to price times quantity)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(events)")}
    if "last_quote" not in have:
        conn.execute("ALTER TABLE events ADD COLUMN last_quote TEXT")
    have = {row[1] for row in conn.execute("PRAGMA table_info(intents)")}
    if "reduce_only" not in have:  # every older intent was a plain (spot) one
        conn.execute("ALTER TABLE intents ADD COLUMN reduce_only INTEGER NOT NULL DEFAULT 0")
    if "position_leg" not in have:
        conn.execute("ALTER TABLE intents ADD COLUMN position_leg TEXT")
    for column in ("callback_rate", "activation_price"):  # no older intent was a trailing stop
        if column not in have:
            conn.execute(f"ALTER TABLE intents ADD COLUMN {column} TEXT")


def _check_version(conn: sqlite3.Connection, path: Path) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise JournalVersionError(
            f"journal {path} has schema version {version}, written by a newer tradeexec; this "
            f"one knows versions up to {SCHEMA_VERSION}: upgrade tradeexec (the file was not changed)"
        )


def check_readable(conn: sqlite3.Connection, path: Path) -> None:
    """For a read-only view, which cannot migrate: refuse what it would read wrongly."""
    _check_version(conn, path)
    missing = [
        f"{table}.{column}"
        for table, column in (
            ("events", "last_quote"),
            ("intents", "position_leg"),
            ("intents", "callback_rate"),
        )
        if column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    ]
    if missing:
        raise JournalVersionError(
            f"journal {path} predates {missing[0]} and a view cannot migrate it: "
            "open it once as a writer (start the order manager on it)"
        )


def prepare(conn: sqlite3.Connection, path: Path) -> str:
    """Bring the journal to ``SCHEMA_VERSION`` (creating it if the file is new) and return its
    ``journal_id``. Raises JournalVersionError for a newer or a foreign file; each step is
    idempotent, so a migration interrupted by a crash is finished by the next open."""
    _check_version(conn, path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and "intents" not in tables:
        raise JournalVersionError(
            f"journal {path} is an SQLite file but not a tradeexec journal "
            f"(tables: {', '.join(sorted(tables))}); the file was not changed"
        )
    conn.executescript(_SCHEMA + _APPEND_ONLY + _META)
    _add_missing_columns(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'journal_id'").fetchone()
        journal_id = secrets.token_hex(8) if row is None else str(row[0])
        if row is None:
            conn.execute("INSERT INTO meta (key, value) VALUES ('journal_id', ?)", (journal_id,))
        # A real write on every open: a read-only file or directory fails here, at start,
        # not at the first order.
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('opened_ms', ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(time.time_ns() // 1_000_000),),
        )
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return journal_id
