"""The durable, append-only record of every order intent, request, outcome and exchange event.

The journal is the manager's memory across crashes: an intent and each request are committed
*before* anything goes on the wire, so after a kill the manager knows which orders may exist
and looks each one up instead of guessing. Rows are never updated or deleted (triggers refuse
it); the state of an order is derived from its record, so no write can lose history.

Decimals are stored as TEXT: a REAL column would round prices and quantities.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import struct
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

__all__ = [
    "FINAL_STATES",
    "DerivedState",
    "ExchangeEvent",
    "Intent",
    "Journal",
    "OrderState",
    "OutcomeKind",
    "RequestKind",
    "RequestRecord",
]

log = logging.getLogger(__name__)


class OrderState(StrEnum):
    """The manager's view of an order: Binance's statuses plus the two it cannot see
    (PENDING_NEW: journaled, not yet acknowledged; UNKNOWN: the answer was lost)."""

    PENDING_NEW = "PENDING_NEW"
    UNKNOWN = "UNKNOWN"
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES

    @property
    def rank(self) -> int:
        """Position in the life cycle: an event may only move an order forward, so late or
        duplicated stream messages cannot resurrect a finished order."""
        return _RANK[self]

    @classmethod
    def from_exchange(cls, status: str) -> OrderState:
        """Map a Binance order status; PENDING_CANCEL is still live on the book (NEW), and
        EXPIRED_IN_MATCH (self-trade prevention) is an expiry."""
        state = _FROM_EXCHANGE.get(status)
        return cls(status) if state is None else state  # an unknown status raises ValueError


FINAL_STATES = frozenset({OrderState.FILLED, OrderState.CANCELED, OrderState.REJECTED, OrderState.EXPIRED})
# A dict lookup: an Enum call costs more than the rest of folding an event.
_FROM_EXCHANGE = {
    **{s.value: s for s in OrderState},
    "EXPIRED_IN_MATCH": OrderState.EXPIRED,
    "PENDING_CANCEL": OrderState.NEW,
}
_RANK = {
    OrderState.PENDING_NEW: 0,
    OrderState.UNKNOWN: 1,
    OrderState.NEW: 2,
    OrderState.PARTIALLY_FILLED: 3,
    OrderState.FILLED: 4,
    OrderState.CANCELED: 4,
    OrderState.REJECTED: 4,
    OrderState.EXPIRED: 4,
}


class RequestKind(StrEnum):
    PLACE = "place"
    CANCEL = "cancel"
    REPLACE = "replace"
    QUERY = "query"


class OutcomeKind(StrEnum):
    """ACK: the exchange accepted; REJECT: it refused (nothing happened); UNKNOWN: no answer;
    NOT_FOUND: a lookup confirmed the order does not exist; ABANDONED: an order confirmed
    never to have reached the exchange that is given up (too old to send late, or canceled
    before it existed), which ends it as CANCELED."""

    ACK = "ack"
    REJECT = "reject"
    UNKNOWN = "unknown"
    NOT_FOUND = "not_found"
    ABANDONED = "abandoned"


@dataclass(slots=True, frozen=True)
class Intent:
    """What the strategy asked for, after rounding to the symbol's rules."""

    client_order_id: str
    strategy: str
    symbol: str
    side: str
    type: str
    quantity: Decimal | None
    quote_quantity: Decimal | None
    price: Decimal | None
    time_in_force: str | None
    stop_price: Decimal | None
    created_ms: int
    recv_window_ms: int
    id: int = 0  # journal row id; 0 until recorded


@dataclass(slots=True, frozen=True)
class RequestRecord:
    id: int
    intent_id: int
    kind: RequestKind
    sent_ms: int
    attempt: int
    outcome: OutcomeKind | None
    code: int | None
    msg: str | None


@dataclass(slots=True, frozen=True)
class ExchangeEvent:
    """One thing the exchange said about an order: a stream update, a query answer or an
    acknowledgement. ``trade_id`` is set only for a fill (with its last price/qty and fee,
    and ``last_quote``: the quote the trade moved as the exchange rounded it, which price
    times quantity need not equal)."""

    status: str
    executed_qty: Decimal
    cumulative_quote: Decimal
    update_ms: int
    source: str = "stream"
    order_id: int | None = None
    execution_type: str | None = None
    order_time_ms: int | None = None
    trade_id: int | None = None
    last_price: Decimal | None = None
    last_qty: Decimal | None = None
    commission: Decimal | None = None
    commission_asset: str | None = None
    last_quote: Decimal | None = None

    @property
    def dedupe_key(self) -> str:
        """Fills are unique by trade id; other updates by what they say and when, so a
        stream message and a poll reporting the same thing are stored once."""
        if self.trade_id is not None:
            return f"T:{self.order_id}:{self.trade_id}"
        return f"U:{self.order_id}:{self.execution_type}:{self.status}:{self.executed_qty}:{self.update_ms}"


@dataclass(slots=True, frozen=True)
class DerivedState:
    """An order's state as its record implies."""

    intent: Intent
    state: OrderState
    order_id: int | None
    executed_qty: Decimal
    cumulative_quote: Decimal
    last_request: RequestRecord | None
    reason: str | None
    filled_qty: Decimal = Decimal(0)  # the sum of the fills on record

    @property
    def settled(self) -> bool:
        """Final and every fill on record: nothing a restart still has to ask the exchange.
        A final order whose fills fall short of its executed quantity (killed between the
        status and its fills, or the fills' lookup failed) is not."""
        return self.state.is_final and self.filled_qty >= self.executed_qty


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
    recv_window_ms INTEGER NOT NULL
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

_INSERT_INTENT = (
    "INSERT INTO intents (client_order_id, strategy, symbol, side, type, quantity, quote_quantity,"
    " price, time_in_force, stop_price, created_ms, recv_window_ms)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_REQUEST = "INSERT INTO requests (intent_id, kind, sent_ms, attempt) VALUES (?, ?, ?, ?)"
_INSERT_OUTCOME = "INSERT INTO outcomes (request_id, result, code, msg, recorded_ms) VALUES (?, ?, ?, ?, ?)"
_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (intent_id, dedupe_key, source, order_id, execution_type, status,"
    " executed_qty, cumulative_quote, last_price, last_qty, commission, commission_asset, trade_id,"
    " order_time_ms, update_ms, last_quote) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INTENT_COLUMNS = (
    "id, client_order_id, strategy, symbol, side, type, quantity, quote_quantity, price,"
    " time_in_force, stop_price, created_ms, recv_window_ms"
)
_EVENT_COLUMNS = (
    "status, executed_qty, cumulative_quote, update_ms, source, order_id, execution_type,"
    " order_time_ms, trade_id, last_price, last_qty, commission, commission_asset, last_quote"
)


def _columns_of(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


# The latest outcome of each request (a request may be resolved later: unknown, then ack).
_REQUESTS_OF = (
    "SELECT r.id, r.intent_id, r.kind, r.sent_ms, r.attempt, o.result, o.code, o.msg FROM requests r"
    " LEFT JOIN outcomes o ON o.id = (SELECT max(id) FROM outcomes WHERE request_id = r.id)"
    " WHERE r.intent_id = ? ORDER BY r.id"
)

# Candidates for ``Journal.unsettled``: every intent except those the record shows final with
# their fills complete. An order is final by a final event status or, with no events, by an
# abandonment or a rejected last placement (as ``derive_state`` decides). The fill total is
# compared in REAL only to prefilter: a real shortfall is at least one lot step, far beyond a
# double's rounding at any Binance quantity; a false candidate costs one exact replay.
_UNSETTLED = f"""
WITH ev AS (
    SELECT intent_id,
           max(status IN ('FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'EXPIRED_IN_MATCH')) AS final,
           max(CAST(executed_qty AS REAL)) AS executed,
           total(CAST(last_qty AS REAL)) FILTER (WHERE trade_id IS NOT NULL) AS filled
    FROM events GROUP BY intent_id
)
SELECT {_columns_of("i", _INTENT_COLUMNS)}
FROM intents i LEFT JOIN ev ON ev.intent_id = i.id
WHERE CASE WHEN ev.intent_id IS NOT NULL THEN NOT ev.final OR ev.filled < ev.executed
    ELSE NOT EXISTS (
        SELECT 1 FROM requests r JOIN outcomes o ON o.request_id = r.id
        WHERE r.intent_id = i.id AND o.result = 'abandoned'
    ) AND coalesce((
        SELECT o.result FROM requests r LEFT JOIN outcomes o ON o.request_id = r.id
        WHERE r.intent_id = i.id AND r.kind = 'place' ORDER BY r.id DESC, o.id DESC LIMIT 1
    ), '') != 'reject'
END
ORDER BY i.id
"""


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Columns added since a journal was created; old rows read NULL (for ``last_quote``:
    unknown, so the fill's quote falls back to price times quantity)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(events)")}
    if "last_quote" not in have:
        conn.execute("ALTER TABLE events ADD COLUMN last_quote TEXT")


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{time.time_ns() % 1_000_000:06d}"


_WAL_MAGIC = {0x377F0682: "<", 0x377F0683: ">"}  # checksum byte order: little, big endian
_WAL_HEADER = 32
_FRAME_HEADER = 24


def _wal_checksum(data: bytes, order: str, s0: int, s1: int) -> tuple[int, int]:
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def wal_damage(wal: Path) -> str | None:
    """What is wrong with a write-ahead log's tail, or None if nothing is (or there is none).

    SQLite replays frames up to the first one whose salt or running checksum is wrong and
    silently ignores the rest, which is right after a crash mid-transaction but hides a
    log overwritten by garbage or torn by a power loss. Frames of an older generation (other
    salts, whole frames) are normal leftovers after a checkpoint; anything else after the
    last good frame (a partial frame, a frame of this generation that fails its checksum,
    a header that is not a WAL header) is damage."""
    try:
        data = wal.read_bytes()
    except FileNotFoundError:
        return None
    if not data:
        return None
    if len(data) < _WAL_HEADER:
        return f"{len(data)} bytes, shorter than a WAL header"
    magic, _version, page_size, _seq, salt1, salt2, c0, c1 = struct.unpack(">8I", data[:_WAL_HEADER])
    order = _WAL_MAGIC.get(magic)
    if order is None or page_size < 512 or page_size & (page_size - 1):
        return "the header is not a SQLite WAL header"
    s0, s1 = _wal_checksum(data[:24], order, 0, 0)
    if (s0, s1) != (c0, c1):
        return "the header fails its checksum"
    frame = _FRAME_HEADER + page_size
    offset = _WAL_HEADER
    while offset + frame <= len(data):
        head = data[offset : offset + _FRAME_HEADER]
        f_salt1, f_salt2, f0, f1 = struct.unpack(">4I", head[8:24])
        if (f_salt1, f_salt2) != (salt1, salt2):
            break  # an older generation's frames: left over, not damage
        s0, s1 = _wal_checksum(head[:8], order, s0, s1)
        s0, s1 = _wal_checksum(data[offset + _FRAME_HEADER : offset + frame], order, s0, s1)
        if (s0, s1) != (f0, f1):
            return f"frame {(offset - _WAL_HEADER) // frame} fails its checksum"
        offset += frame
    if (len(data) - _WAL_HEADER) % frame:
        return f"{(len(data) - _WAL_HEADER) % frame} bytes of a partial frame at the end"
    return None


class Journal:
    """One SQLite connection in WAL mode; every ``record_*`` call is its own committed
    transaction, so when it returns the row is on disk (to the OS with
    ``durability="normal"``, through power loss with ``"full"``), unless it runs inside
    ``transaction()``, whose rows are committed together when the block ends."""

    def __init__(self, path: str | Path, *, durability: Literal["normal", "full"] = "normal") -> None:
        if durability not in ("normal", "full"):
            raise ValueError(f"durability must be 'normal' or 'full', not {durability!r}")
        self.path = Path(path)
        self.durability = durability
        # Set when the file on disk was unreadable and was moved aside: the caller must then
        # rebuild its view from the exchange, since the journal starts empty.
        self.recovered_from: Path | None = None
        damage = wal_damage(self.path.with_name(self.path.name + "-wal"))
        if damage is not None and self.path.exists():
            self.recovered_from = self._copy_aside(damage)
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError as exc:
            self.recovered_from = self._move_aside(exc)
            self._conn = self._open()

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, cached_statements=64)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()
            if result is None or result[0] != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {result[0] if result else 'no answer'}")
            # Rows are small: 1 KiB pages make each commit write a quarter of the bytes to
            # the WAL. Only takes effect on a new file.
            conn.execute("PRAGMA page_size=1024")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={'FULL' if self.durability == 'full' else 'NORMAL'}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(_SCHEMA + _APPEND_ONLY)
            _add_missing_columns(conn)
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _move_aside(self, exc: sqlite3.DatabaseError) -> Path:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{_stamp()}")
        self.path.rename(aside)
        for suffix in ("-wal", "-shm"):
            companion = self.path.with_name(self.path.name + suffix)
            if companion.exists():
                companion.rename(aside.with_name(aside.name + suffix))
        log.warning(
            "journal %s is unreadable (%s); moved it to %s and starting an empty journal: "
            "in-flight orders must be rebuilt from the exchange",
            self.path,
            exc,
            aside,
        )
        return aside

    def _copy_aside(self, damage: str) -> Path:
        """A damaged WAL tail: SQLite would drop it without a word, and with it records that
        may have been committed (and orders sent). Keep a copy of the files for inspection,
        open the intact part, and say loudly that the exchange must fill in the rest."""
        aside = self.path.with_name(f"{self.path.name}.corrupt-{_stamp()}")
        shutil.copyfile(self.path, aside)
        shutil.copyfile(self.path.with_name(self.path.name + "-wal"), aside.with_name(aside.name + "-wal"))
        log.warning(
            "journal %s has a damaged write-ahead log (%s); copied it to %s and kept the intact "
            "part: records after the damage are lost, so orders must be rebuilt from the exchange",
            self.path,
            damage,
            aside,
        )
        return aside

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit every record written in the block at once, when it ends. A commit is most of
        a record's cost (and with ``durability="full"`` an fsync), so records that belong
        together (an intent and its first request; an answer's outcome and its events) are
        written as one. The block must not await: another task's records would join it.
        Rows written before an exception are still committed: they record what happened,
        and the caller's view already includes them. Nested blocks join the outer one."""
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    # ---- writes (each commits before returning, or with its transaction) --------------

    def record_intent(self, intent: Intent) -> Intent:
        """Journal the intent; returns it with its row id."""
        cur = self._conn.execute(
            _INSERT_INTENT,
            (
                intent.client_order_id,
                intent.strategy,
                intent.symbol,
                intent.side,
                intent.type,
                _dec(intent.quantity),
                _dec(intent.quote_quantity),
                _dec(intent.price),
                intent.time_in_force,
                _dec(intent.stop_price),
                intent.created_ms,
                intent.recv_window_ms,
            ),
        )
        row_id = cur.lastrowid
        assert row_id is not None
        return Intent(
            intent.client_order_id,
            intent.strategy,
            intent.symbol,
            intent.side,
            intent.type,
            intent.quantity,
            intent.quote_quantity,
            intent.price,
            intent.time_in_force,
            intent.stop_price,
            intent.created_ms,
            intent.recv_window_ms,
            row_id,
        )

    def record_request(
        self, intent_id: int, kind: RequestKind, *, attempt: int, sent_ms: int | None = None
    ) -> int:
        cur = self._conn.execute(
            _INSERT_REQUEST, (intent_id, kind.value, _now_ms() if sent_ms is None else sent_ms, attempt)
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def record_outcome(
        self, request_id: int, result: OutcomeKind, *, code: int | None = None, msg: str | None = None
    ) -> None:
        self._conn.execute(_INSERT_OUTCOME, (request_id, result.value, code, msg, _now_ms()))

    def record_event(self, intent_id: int, event: ExchangeEvent) -> bool:
        """Journal an exchange event; False if the same event was already recorded."""
        cur = self._conn.execute(
            _INSERT_EVENT,
            (
                intent_id,
                event.dedupe_key,
                event.source,
                event.order_id,
                event.execution_type,
                event.status,
                str(event.executed_qty),
                str(event.cumulative_quote),
                _dec(event.last_price),
                _dec(event.last_qty),
                _dec(event.commission),
                event.commission_asset,
                event.trade_id,
                event.order_time_ms,
                event.update_ms,
                _dec(event.last_quote),
            ),
        )
        return cur.rowcount == 1

    # ---- reads --------------------------------------------------------------------------

    def intent(self, client_order_id: str) -> Intent | None:
        row = self._conn.execute(
            f"SELECT {_INTENT_COLUMNS} FROM intents WHERE client_order_id = ?", (client_order_id,)
        ).fetchone()
        return None if row is None else _intent_from_row(row)

    def intents(self) -> list[Intent]:
        rows = self._conn.execute(f"SELECT {_INTENT_COLUMNS} FROM intents ORDER BY id").fetchall()
        return [_intent_from_row(r) for r in rows]

    def requests(self, intent_id: int) -> list[RequestRecord]:
        return [
            RequestRecord(
                id=r[0],
                intent_id=r[1],
                kind=RequestKind(r[2]),
                sent_ms=r[3],
                attempt=r[4],
                outcome=None if r[5] is None else OutcomeKind(r[5]),
                code=r[6],
                msg=r[7],
            )
            for r in self._conn.execute(_REQUESTS_OF, (intent_id,))
        ]

    def events(self, intent_id: int) -> list[ExchangeEvent]:
        rows = self._conn.execute(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE intent_id = ? ORDER BY id", (intent_id,)
        ).fetchall()
        return [_event_from_row(r) for r in rows]

    def fills(self, client_order_id: str) -> list[ExchangeEvent]:
        """The order's fills, one per exchange trade id, in the order they were recorded."""
        rows = self._conn.execute(
            f"SELECT {_columns_of('e', _EVENT_COLUMNS)}"
            " FROM events e JOIN intents i ON i.id = e.intent_id"
            " WHERE i.client_order_id = ? AND e.trade_id IS NOT NULL ORDER BY e.id",
            (client_order_id,),
        ).fetchall()
        return [_event_from_row(r) for r in rows]

    def state(self, client_order_id: str) -> DerivedState | None:
        intent = self.intent(client_order_id)
        return None if intent is None else self.derive(intent)

    def derive(self, intent: Intent) -> DerivedState:
        return derive_state(intent, self.requests(intent.id), self.events(intent.id))

    def in_flight(self) -> list[DerivedState]:
        """Orders whose record has no final state: the ones a restart must look up."""
        return [s for s in self.unsettled() if not s.state.is_final]

    def unsettled(self) -> list[DerivedState]:
        """Orders a restart must settle: not final, or final with fills missing.

        SQL picks the candidates (one pass over indexes, no Python per order of history);
        only they are replayed in Python, with exact Decimals, to drop the few false ones."""
        rows = self._conn.execute(_UNSETTLED).fetchall()
        return [s for s in (self.derive(_intent_from_row(r)) for r in rows) if not s.settled]

    def symbols(self) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT DISTINCT symbol FROM intents")}


def derive_state(
    intent: Intent, requests: Iterable[RequestRecord], events: Iterable[ExchangeEvent]
) -> DerivedState:
    """Replay an order's record: exchange events win (they only move the order forward);
    without any, the last placement request and its outcome say what is known."""
    state = OrderState.PENDING_NEW
    order_id: int | None = None
    executed = Decimal(0)
    quote = Decimal(0)
    filled = Decimal(0)
    seen_event = False
    for ev in events:
        seen_event = True
        if ev.trade_id is not None and ev.last_qty is not None:
            filled += ev.last_qty
        order_id = ev.order_id if ev.order_id is not None else order_id
        executed = max(executed, ev.executed_qty)
        quote = max(quote, ev.cumulative_quote)
        new = OrderState.from_exchange(ev.status)
        if new.rank > state.rank:
            state = new
    reqs = list(requests)
    places = [r for r in reqs if r.kind is RequestKind.PLACE]
    last_place = places[-1] if places else None
    reason: str | None = None
    if not seen_event and any(r.outcome is OutcomeKind.ABANDONED for r in reqs):
        state, reason = OrderState.CANCELED, next(r.msg for r in reqs if r.outcome is OutcomeKind.ABANDONED)
    elif not seen_event and last_place is not None:
        state, reason = _state_from_outcome(last_place)
    return DerivedState(intent, state, order_id, executed, quote, reqs[-1] if reqs else None, reason, filled)


def _state_from_outcome(req: RequestRecord) -> tuple[OrderState, str | None]:
    if req.outcome is OutcomeKind.ACK:
        return OrderState.NEW, None
    if req.outcome is OutcomeKind.REJECT:
        return OrderState.REJECTED, f"{req.code}: {req.msg}" if req.code is not None else req.msg
    # Sent with no answer, an unknown answer, or confirmed absent but not yet resent: only the
    # exchange can say, so the order stays UNKNOWN until resolved.
    return OrderState.UNKNOWN, req.msg


def _intent_from_row(r: tuple[Any, ...]) -> Intent:
    return Intent(
        id=int(r[0]),
        client_order_id=str(r[1]),
        strategy=str(r[2]),
        symbol=str(r[3]),
        side=str(r[4]),
        type=str(r[5]),
        quantity=_undec(r[6]),
        quote_quantity=_undec(r[7]),
        price=_undec(r[8]),
        time_in_force=r[9],
        stop_price=_undec(r[10]),
        created_ms=int(r[11]),
        recv_window_ms=int(r[12]),
    )


def _event_from_row(r: tuple[Any, ...]) -> ExchangeEvent:
    return ExchangeEvent(
        status=str(r[0]),
        executed_qty=Decimal(str(r[1])),
        cumulative_quote=Decimal(str(r[2])),
        update_ms=int(r[3]),
        source=str(r[4]),
        order_id=r[5],
        execution_type=r[6],
        order_time_ms=r[7],
        trade_id=r[8],
        last_price=_undec(r[9]),
        last_qty=_undec(r[10]),
        commission=_undec(r[11]),
        commission_asset=r[12],
        last_quote=_undec(r[13]),
    )
