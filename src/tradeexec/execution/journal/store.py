"""The durable, append-only record of every order intent, request, outcome and exchange event.

The journal is the manager's memory across crashes: an intent and each request are committed
*before* anything goes on the wire, so after a kill the manager knows which orders may exist
and looks each one up instead of guessing. Rows are never updated or deleted (triggers refuse
it); the state of an order is derived from its record, so no write can lose history.

Decimals are stored as TEXT: a REAL column would round prices and quantities.

The parts: ``records`` (what is recorded), ``rows`` (the SQL and the row <-> record mapping),
``schema`` (tables, version, migrations), ``lock`` (one writer; the watermark that exposes
lost records), ``wal`` (telling a damaged write-ahead log from a crash's torn tail), ``guard``
(what the order manager does while the journal cannot be written). The state a record
implies is replayed by ``orders.state.derive_state``.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from tradeexec.errors import JournalError, JournalUnavailable
from tradeexec.execution.journal import rows as sql
from tradeexec.execution.journal.lock import TABLES, WriterLock
from tradeexec.execution.journal.records import ExchangeEvent, Intent, OutcomeKind, RequestKind, RequestRecord
from tradeexec.execution.journal.schema import check_readable, prepare
from tradeexec.execution.journal.wal import wal_damage
from tradeexec.execution.orders.state import DerivedState, derive_state

__all__ = ["Journal"]

log = logging.getLogger(__name__)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class _Corrupt(Exception):
    """Proof that the file is corrupt (a failed integrity check, or SQLite saying so)."""


_CORRUPTION = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def _is_corruption(exc: sqlite3.Error) -> bool:
    """Only SQLite's own verdict: a lock, a full disk, a read-only file or no descriptors
    left are other errors, and moving a healthy journal aside for them loses it."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    return name.startswith(_CORRUPTION)


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{time.time_ns() % 1_000_000:06d}"


class Journal:
    """One SQLite connection in WAL mode; every ``record_*`` call is its own committed
    transaction, so when it returns the row is on disk (to the OS with
    ``durability="normal"``, through power loss with ``"full"``), unless it runs inside
    ``transaction()``, whose rows are committed together when the block ends.

    One process writes a journal (``WriterLock``: a second writer gets JournalLocked naming
    the holder); ``read_only=True`` opens a view for inspection that takes no lock and can run
    beside the writer. Only proven corruption moves a journal aside: a lock held by another
    program, no file descriptors left or a read-only file raise JournalUnavailable and leave
    the file where it is, and so does any read or write that fails for such a reason later.
    ``lost`` says (and the log shouts) when the tables lack rows the last writer had committed
    more than a fraction of a second before it ended (the watermark's lag, see
    ``journal_lock``); what it cannot see, the manager's start adopts from the exchange."""

    def __init__(
        self,
        path: str | Path,
        *,
        durability: Literal["normal", "full"] = "normal",
        read_only: bool = False,
        busy_timeout_s: float = 2.0,
    ) -> None:
        if durability not in ("normal", "full"):
            raise ValueError(f"durability must be 'normal' or 'full', not {durability!r}")
        self.path = Path(path)
        self.durability = durability
        self.read_only = read_only
        self._busy_timeout_s = busy_timeout_s
        # Set when the file on disk was unreadable and was moved aside: the caller must then
        # rebuild its view from the exchange, since the journal starts empty.
        self.recovered_from: Path | None = None
        self.lost: str | None = None
        # The highest committed row id of each table (``TABLES`` order), which the lock's
        # thread makes durable; inside ``transaction()`` rows go to a copy until COMMIT.
        self._high = [0] * len(TABLES)
        self._pending = self._high
        self._lock: WriterLock | None = None
        if read_only:
            self._conn = self._connect_read_only()
            return
        self._lock = WriterLock(self.path)
        try:
            self._open_writer(self._lock)
        except BaseException:
            self._lock.release(None)
            raise

    def _open_writer(self, lock: WriterLock) -> None:
        previous = lock.previous
        if previous is not None and any(previous.high) and not self.path.exists():
            raise JournalUnavailable(
                f"journal {self.path} is missing, but {lock.path} says it held {previous.high[0]} "
                f"intents: restore the file, or delete {lock.path} to start an empty journal"
            )
        try:
            damage = wal_damage(self.path.with_name(self.path.name + "-wal"))
            if damage is not None and self.path.exists():
                self.recovered_from = self._copy_aside(damage)
        except OSError as exc:
            raise self._unavailable("check its write-ahead log (or copy a damaged one aside)", exc) from exc
        try:
            self._conn, journal_id = self._connect()
        except _Corrupt as exc:
            self.recovered_from = self._move_aside(exc)
            self._conn, journal_id = self._connect()
            previous = None  # the watermark described the file just set aside
        self._high[:] = self._max_ids()
        if previous is not None:
            self.lost = previous.lost_rows(journal_id, self._high)
            if self.lost is not None:
                log.error(
                    "journal %s: %s; records were lost (power loss, or the write-ahead log was "
                    "removed): orders must be rebuilt from the exchange",
                    self.path,
                    self.lost,
                )
        lock.journal_id = journal_id
        try:
            lock.track(self._high)
        except OSError as exc:
            self._conn.close()
            raise self._unavailable(f"write its lock file {lock.path}", exc) from exc

    def _connect(self) -> tuple[sqlite3.Connection, str]:
        """Open, check and migrate the file; raises _Corrupt only for proven corruption and
        JournalUnavailable (or JournalVersionError) for anything else."""
        try:
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                cached_statements=64,
                timeout=self._busy_timeout_s,
            )
        except sqlite3.Error as exc:
            raise self._unavailable("open it", exc) from exc
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()
            if result is None or result[0] != "ok":
                raise _Corrupt(f"quick_check: {result[0] if result else 'no answer'}")
            # Rows are small: 1 KiB pages make each commit write a quarter of the bytes to
            # the WAL. Only takes effect on a new file.
            conn.execute("PRAGMA page_size=1024")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={'FULL' if self.durability == 'full' else 'NORMAL'}")
            conn.execute("PRAGMA foreign_keys=ON")
            journal_id = prepare(conn, self.path)
            # The schema and every earlier row into the main file (fsynced): what the WAL
            # holds from here on is only this run's rows.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            conn.close()
            if _is_corruption(exc):
                raise _Corrupt(f"{exc} ({exc.sqlite_errorname})") from exc
            raise self._unavailable("open it", exc) from exc
        except BaseException:
            conn.close()
            raise
        return conn, journal_id

    def _connect_read_only(self) -> sqlite3.Connection:
        """A view that cannot write: no lock, no migration, nothing moved aside."""
        try:
            conn = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
                timeout=self._busy_timeout_s,
            )
        except sqlite3.Error as exc:
            raise self._unavailable("open it read-only", exc) from exc
        try:
            check_readable(conn, self.path)
        except sqlite3.Error as exc:
            conn.close()
            raise self._unavailable("open it read-only", exc) from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def _max_ids(self) -> list[int]:
        row = self._conn.execute(
            "SELECT " + ", ".join(f"(SELECT coalesce(max(id), 0) FROM {t})" for t in TABLES)
        ).fetchone()
        return [int(v) for v in row]

    def _unavailable(self, what: str, exc: BaseException) -> JournalError:
        """The error a failed journal operation raises: JournalError for a refused row (a
        constraint: a bug, not the disk) or a read-only view, JournalUnavailable otherwise."""
        if isinstance(exc, sqlite3.Error):
            cause = f"{exc} ({exc.sqlite_errorname})"
        elif isinstance(exc, OSError):
            cause = f"{exc.strerror} (errno {exc.errno})"
        else:
            cause = str(exc)
        if self.read_only and what.startswith("record"):
            return JournalError(f"journal {self.path} is open read-only: cannot {what}")
        refused = isinstance(exc, sqlite3.IntegrityError)
        if refused or (isinstance(exc, sqlite3.Error) and _is_corruption(exc)):
            return JournalError(f"journal {self.path}: cannot {what}: {cause}")
        return JournalUnavailable(f"journal {self.path}: cannot {what}: {cause}")

    def _move_aside(self, exc: Exception) -> Path:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{_stamp()}")
        try:
            self.path.rename(aside)
            for suffix in ("-wal", "-shm"):
                companion = self.path.with_name(self.path.name + suffix)
                if companion.exists():
                    companion.rename(aside.with_name(aside.name + suffix))
        except OSError as err:
            raise self._unavailable(f"move the corrupt file aside ({exc})", err) from err
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
        """Checkpoint, close, and leave a clean watermark; idempotent."""
        lock, self._lock = self._lock, None
        if lock is None:
            self._conn.close()
            return
        high = list(self._high)
        with suppress(sqlite3.Error):
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()
        lock.release(high)

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
        and the caller's view already includes them. Nested blocks join the outer one.
        A failed COMMIT rolls the block back and raises JournalUnavailable: none of its rows
        were recorded."""
        if self._conn.in_transaction:
            yield
            return
        try:
            self._conn.execute("BEGIN")
        except sqlite3.Error as exc:
            raise self._unavailable("begin a transaction", exc) from exc
        self._pending = list(self._high)
        try:
            yield
        finally:
            pending, self._pending = self._pending, self._high
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                with suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise self._unavailable("commit a transaction", exc) from exc
            self._high[:] = pending

    # ---- writes (each commits before returning, or with its transaction) --------------

    def record_intent(self, intent: Intent) -> Intent:
        """Journal the intent; returns it with its row id."""
        try:
            cur = self._conn.execute(
                sql.INSERT_INTENT,
                (
                    intent.client_order_id,
                    intent.strategy,
                    intent.symbol,
                    intent.side,
                    intent.type,
                    sql.dec(intent.quantity),
                    sql.dec(intent.quote_quantity),
                    sql.dec(intent.price),
                    intent.time_in_force,
                    sql.dec(intent.stop_price),
                    intent.created_ms,
                    intent.recv_window_ms,
                    int(intent.reduce_only),
                    intent.position_leg,
                    sql.dec(intent.callback_rate),
                    sql.dec(intent.activation_price),
                ),
            )
        except sqlite3.Error as exc:
            raise self._unavailable(f"record intent {intent.client_order_id}", exc) from exc
        row_id = cur.lastrowid
        assert row_id is not None
        self._pending[0] = row_id
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
            intent.reduce_only,
            intent.position_leg,
            intent.callback_rate,
            intent.activation_price,
            row_id,
        )

    def record_request(
        self, intent_id: int, kind: RequestKind, *, attempt: int, sent_ms: int | None = None
    ) -> int:
        try:
            cur = self._conn.execute(
                sql.INSERT_REQUEST,
                (intent_id, kind.value, _now_ms() if sent_ms is None else sent_ms, attempt),
            )
        except sqlite3.Error as exc:
            raise self._unavailable(f"record a {kind.value} request of intent {intent_id}", exc) from exc
        assert cur.lastrowid is not None
        self._pending[1] = cur.lastrowid
        return cur.lastrowid

    def record_outcome(
        self, request_id: int, result: OutcomeKind, *, code: int | None = None, msg: str | None = None
    ) -> None:
        try:
            cur = self._conn.execute(sql.INSERT_OUTCOME, (request_id, result.value, code, msg, _now_ms()))
        except sqlite3.Error as exc:
            raise self._unavailable(f"record the outcome of request {request_id}", exc) from exc
        assert cur.lastrowid is not None
        self._pending[2] = cur.lastrowid

    def record_event(self, intent_id: int, event: ExchangeEvent) -> bool:
        """Journal an exchange event; False if the same event was already recorded.

        Only a row with the same ``(intent_id, dedupe_key)`` counts as recorded: any other
        reason a row is not stored raises, and a skipped row is checked to be there."""
        key = event.dedupe_key
        try:
            cur = self._conn.execute(
                sql.INSERT_EVENT,
                (
                    intent_id,
                    key,
                    event.source,
                    event.order_id,
                    event.execution_type,
                    event.status,
                    str(event.executed_qty),
                    str(event.cumulative_quote),
                    sql.dec(event.last_price),
                    sql.dec(event.last_qty),
                    sql.dec(event.commission),
                    event.commission_asset,
                    event.trade_id,
                    event.order_time_ms,
                    event.update_ms,
                    sql.dec(event.last_quote),
                ),
            )
            if cur.rowcount == 1:
                assert cur.lastrowid is not None
                self._pending[3] = cur.lastrowid
                return True
            found = self._conn.execute(sql.HAS_EVENT, (intent_id, key)).fetchone()
        except sqlite3.Error as exc:
            raise self._unavailable(f"record event {key} of intent {intent_id}", exc) from exc
        if found is None:
            raise JournalError(f"journal {self.path}: event {key} of intent {intent_id} was not stored")
        return False

    # ---- reads (a failure raises JournalUnavailable too) ------------------------------

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self._unavailable("read it", exc) from exc

    def intent(self, client_order_id: str) -> Intent | None:
        rows = self._rows(sql.INTENT_BY_ID, (client_order_id,))
        return sql.intent_from_row(rows[0]) if rows else None

    def intents(self) -> list[Intent]:
        found = self._rows(f"SELECT {sql.INTENT_COLUMNS} FROM intents ORDER BY id")
        return [sql.intent_from_row(r) for r in found]

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
            for r in self._rows(sql.REQUESTS_OF, (intent_id,))
        ]

    def events(self, intent_id: int) -> list[ExchangeEvent]:
        rows = self._rows(sql.EVENTS_OF, (intent_id,))
        return [sql.event_from_row(r) for r in rows]

    def fills(self, client_order_id: str) -> list[ExchangeEvent]:
        """The order's fills, one per exchange trade id, in the order they were recorded."""
        rows = self._rows(
            f"SELECT {sql.columns_of('e', sql.EVENT_COLUMNS)}"
            " FROM events e JOIN intents i ON i.id = e.intent_id"
            " WHERE i.client_order_id = ? AND e.trade_id IS NOT NULL ORDER BY e.id",
            (client_order_id,),
        )
        return [sql.event_from_row(r) for r in rows]

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
        rows = self._rows(sql.UNSETTLED)
        return [s for s in (self.derive(sql.intent_from_row(r)) for r in rows) if not s.settled]

    def symbols(self) -> set[str]:
        return {r[0] for r in self._rows("SELECT DISTINCT symbol FROM intents")}

    def strategies(self) -> set[str]:
        return {r[0] for r in self._rows("SELECT DISTINCT strategy FROM intents")}
