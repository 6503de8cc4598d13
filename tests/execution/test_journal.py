from __future__ import annotations

import logging
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tradeexec.execution.journal.records import ExchangeEvent, Intent, OutcomeKind, RequestKind
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.journal.wal import wal_damage
from tradeexec.execution.orders.state import OrderState


def make_intent(cid: str = "s_BTCUSDT_20260101000000_0123abcd", **kw: object) -> Intent:
    fields: dict[str, object] = {
        "client_order_id": cid,
        "strategy": "s",
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": Decimal("0.00100000"),
        "quote_quantity": None,
        "price": Decimal("30000.01"),
        "time_in_force": "GTC",
        "stop_price": None,
        "created_ms": 1_700_000_000_000,
        "recv_window_ms": 5000,
    }
    fields.update(kw)
    return Intent(**fields)  # type: ignore[arg-type]


def fill(order_id: int, trade_id: int, executed: str, status: str, qty: str, price: str) -> ExchangeEvent:
    return ExchangeEvent(
        status=status,
        executed_qty=Decimal(executed),
        cumulative_quote=Decimal(executed) * Decimal(price),
        update_ms=1_700_000_000_100 + trade_id,
        order_id=order_id,
        execution_type="TRADE",
        trade_id=trade_id,
        last_price=Decimal(price),
        last_qty=Decimal(qty),
        commission=Decimal("0.00000001"),
        commission_asset="BTC",
    )


def test_lifecycle_is_derived_from_the_record_and_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        intent = j.record_intent(make_intent())
        assert intent.id > 0
        assert j.state(intent.client_order_id).state is OrderState.PENDING_NEW  # type: ignore[union-attr]
        req = j.record_request(intent.id, RequestKind.PLACE, attempt=1)
        assert j.state(intent.client_order_id).state is OrderState.UNKNOWN  # type: ignore[union-attr]
        j.record_outcome(req, OutcomeKind.ACK)
        assert j.state(intent.client_order_id).state is OrderState.NEW  # type: ignore[union-attr]
        assert j.record_event(intent.id, fill(7, 1, "0.0004", "PARTIALLY_FILLED", "0.0004", "30000.01"))
        assert j.record_event(intent.id, fill(7, 2, "0.001", "FILLED", "0.0006", "30000.01"))
        assert [s.intent.client_order_id for s in j.in_flight()] == []
    with Journal(path) as j:
        state = j.state(intent.client_order_id)
        assert state is not None
        assert state.state is OrderState.FILLED
        assert state.order_id == 7
        assert state.executed_qty == Decimal("0.001")
        fills = j.fills(intent.client_order_id)
        assert [f.trade_id for f in fills] == [1, 2]
        assert fills[0].last_qty == Decimal("0.0004")
        assert fills[0].commission == Decimal("0.00000001")
        assert j.intent(intent.client_order_id) == intent


def test_decimals_are_stored_exactly_as_text(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    price = Decimal("0.10000000000000000555")  # not representable as a double
    with Journal(path) as j:
        intent = j.record_intent(make_intent(price=price, quantity=Decimal("1.10")))
        assert j.intent(intent.client_order_id).price == price  # type: ignore[union-attr]
        assert str(j.intent(intent.client_order_id).quantity) == "1.10"  # type: ignore[union-attr]
    raw = sqlite3.connect(path).execute("SELECT price, typeof(price) FROM intents").fetchone()
    assert raw == ("0.10000000000000000555", "text")


def test_rows_can_never_be_updated_or_deleted(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as j:
        intent = j.record_intent(make_intent())
        j.record_request(intent.id, RequestKind.PLACE, attempt=1)
        for sql in (
            "UPDATE intents SET symbol = 'ETHUSDT'",
            "DELETE FROM intents",
            "UPDATE requests SET attempt = 2",
            "DELETE FROM requests",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                j._conn.execute(sql)
        assert j.intent(intent.client_order_id) == intent


def test_duplicate_events_are_stored_once_and_late_events_do_not_move_state_back(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as j:
        intent = j.record_intent(make_intent())
        j.record_outcome(j.record_request(intent.id, RequestKind.PLACE, attempt=1), OutcomeKind.ACK)
        final = fill(9, 2, "0.001", "FILLED", "0.001", "30000")
        late = fill(9, 1, "0.0004", "PARTIALLY_FILLED", "0.0004", "30000")
        assert j.record_event(intent.id, final)
        assert not j.record_event(intent.id, final)
        assert j.record_event(intent.id, late)
        state = j.state(intent.client_order_id)
        assert state is not None and state.state is OrderState.FILLED
        assert state.executed_qty == Decimal("0.001")
        assert len(j.fills(intent.client_order_id)) == 2


def test_unknown_then_not_found_stays_in_flight_and_reject_is_final(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as j:
        a = j.record_intent(make_intent("a"))
        r = j.record_request(a.id, RequestKind.PLACE, attempt=1)
        j.record_outcome(r, OutcomeKind.UNKNOWN, code=-1007, msg="timeout")
        j.record_outcome(r, OutcomeKind.NOT_FOUND, code=-2013, msg="Order does not exist.")
        b = j.record_intent(make_intent("b"))
        j.record_outcome(
            j.record_request(b.id, RequestKind.PLACE, attempt=1), OutcomeKind.REJECT, code=-2010, msg="x"
        )
        c = j.record_intent(make_intent("c"))  # journaled, never sent
        assert {s.intent.client_order_id: s.state for s in j.in_flight()} == {
            "a": OrderState.UNKNOWN,
            "c": OrderState.PENDING_NEW,
        }
        b_state = j.state("b")
        assert (
            b_state is not None and b_state.state is OrderState.REJECTED and "-2010" in (b_state.reason or "")
        )
        j.record_outcome(
            j.record_request(c.id, RequestKind.QUERY, attempt=1), OutcomeKind.ABANDONED, msg="stale"
        )
        assert [s.intent.client_order_id for s in j.in_flight()] == ["a"]
        assert j.symbols() == {"BTCUSDT"}


def test_unsettled_adds_final_orders_with_fills_missing_and_agrees_with_exact_replay(
    tmp_path: Path,
) -> None:
    """A kill between a final status row and its fills leaves an order that ``in_flight``
    skips but a restart must finish; the SQL prefilter (REAL sums) must pick exactly what
    the exact Decimal replay of every intent picks, including sums a double rounds off."""
    with Journal(tmp_path / "j.sqlite") as j:

        def order(cid: str, *events: ExchangeEvent) -> None:
            intent = j.record_intent(make_intent(cid))
            j.record_outcome(j.record_request(intent.id, RequestKind.PLACE, attempt=1), OutcomeKind.ACK)
            for ev in events:
                j.record_event(intent.id, ev)

        status = ExchangeEvent("FILLED", Decimal("0.06"), Decimal("3600"), 1, "query", 9)
        order(
            "complete",
            fill(9, 1, "0.01", "FILLED", "0.01", "60000"),
            fill(9, 2, "0.06", "FILLED", "0.05", "1"),
        )
        order("short", status, fill(9, 1, "0.01", "FILLED", "0.01", "60000"))
        order("no-fills", status)
        # 0.1 + 0.2 is 0.30000000000000004 in a double and 0.7 + 0.1 is 0.7999999999999999
        order("round-up", fill(9, 1, "0.1", "FILLED", "0.1", "1"), fill(9, 2, "0.3", "FILLED", "0.2", "1"))
        order("round-down", fill(9, 1, "0.7", "FILLED", "0.7", "1"), fill(9, 2, "0.8", "FILLED", "0.1", "1"))
        order("canceled-empty", ExchangeEvent("CANCELED", Decimal(0), Decimal(0), 1, "cancel", 9))
        order("partial-open", fill(9, 1, "0.01", "PARTIALLY_FILLED", "0.01", "60000"))
        order("acked")
        rejected = j.record_intent(make_intent("rejected"))
        j.record_outcome(j.record_request(rejected.id, RequestKind.PLACE, attempt=1), OutcomeKind.REJECT)
        j.record_intent(make_intent("unsent"))

        exact = {s.intent.client_order_id for s in map(j.derive, j.intents()) if not s.settled}
        unsettled = {s.intent.client_order_id: s for s in j.unsettled()}
        assert set(unsettled) == exact == {"short", "no-fills", "partial-open", "acked", "unsent"}
        assert unsettled["short"].state is OrderState.FILLED
        assert unsettled["short"].filled_qty == Decimal("0.01") < unsettled["short"].executed_qty
        assert {s.intent.client_order_id for s in j.in_flight()} == {"partial-open", "acked", "unsent"}


def test_corrupted_file_is_moved_aside_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        for i in range(200):
            j.record_intent(make_intent(f"id{i}"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + b"\xff" * 100)  # torn, garbage tail
    with caplog.at_level(logging.WARNING), Journal(path) as j:
        assert j.recovered_from is not None and j.recovered_from.exists()
        assert j.intents() == []
        j.record_intent(make_intent("fresh"))
        assert j.intent("fresh") is not None
    assert any("unreadable" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_garbage_file_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with Journal(path) as j:
        assert j.recovered_from is not None
        assert j.recovered_from.read_bytes().startswith(b"this is not")


def test_wal_mode_and_durability_settings(tmp_path: Path) -> None:
    with Journal(tmp_path / "n.sqlite") as j:
        assert j._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert j._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    with Journal(tmp_path / "f.sqlite", durability="full") as j:
        assert j._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    with pytest.raises(ValueError):
        Journal(tmp_path / "x.sqlite", durability="off")  # type: ignore[arg-type]


def test_same_order_and_trade_ids_on_two_symbols_are_both_kept(tmp_path: Path) -> None:
    # Binance numbers orders and trades per symbol: BTCUSDT order 9 / trade 2 and ETHUSDT
    # order 9 / trade 2 are different fills, and dropping one would lose a position change.
    with Journal(tmp_path / "j.sqlite") as j:
        btc = j.record_intent(make_intent("a_BTCUSDT_20260101000000_00000001"))
        eth = j.record_intent(make_intent("a_ETHUSDT_20260101000000_00000002", symbol="ETHUSDT"))
        assert j.record_event(btc.id, fill(9, 2, "0.001", "FILLED", "0.001", "30000"))
        assert j.record_event(eth.id, fill(9, 2, "0.5", "FILLED", "0.5", "2000"))
        assert len(j.fills(btc.client_order_id)) == 1
        assert len(j.fills(eth.client_order_id)) == 1


def _crash_copy(tmp_path: Path, n: int) -> tuple[Path, Path]:
    """The journal's files as a killed process leaves them: records still in the WAL (the
    connection is open when the files are copied, so nothing was checkpointed)."""
    live = tmp_path / "live.sqlite"
    with Journal(live) as j:
        for i in range(n):
            j.record_intent(make_intent(f"id{i}"))
        crashed = tmp_path / "j.sqlite"
        crashed.write_bytes(live.read_bytes())
        wal = tmp_path / "j.sqlite-wal"
        wal.write_bytes((tmp_path / "live.sqlite-wal").read_bytes())
    return crashed, wal


def test_intact_wal_after_a_crash_is_replayed_without_alarm(tmp_path: Path) -> None:
    path, wal = _crash_copy(tmp_path, 20)
    assert wal_damage(wal) is None
    with Journal(path) as j:
        assert j.recovered_from is None
        assert len(j.intents()) == 20


@pytest.mark.parametrize("damage", ["partial_frame", "torn_frame", "garbage_header"])
def test_damaged_wal_tail_is_detected_kept_aside_and_flagged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    path, wal = _crash_copy(tmp_path, 20)
    data = bytearray(wal.read_bytes())
    if damage == "partial_frame":
        data += b"\x00garbage" * 20
    elif damage == "torn_frame":
        data[-300:] = b"\xff" * 300  # the last frame's page half-written
    else:
        data[:32] = b"not a write-ahead log header....."
    wal.write_bytes(bytes(data))
    assert wal_damage(wal) is not None
    with caplog.at_level(logging.WARNING), Journal(path) as j:
        assert j.recovered_from is not None
        assert j.recovered_from.with_name(j.recovered_from.name + "-wal").read_bytes() == bytes(data)
        kept = len(j.intents())
        # Garbage after the last frame costs nothing; a torn frame or header loses what
        # followed it: either way the exchange must tell the rest.
        assert kept == 20 if damage == "partial_frame" else kept < 20
        j.record_intent(make_intent("fresh"))  # and the journal goes on
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(path) in m and "damaged write-ahead log" in m for m in warnings)
    with Journal(path) as j:  # the next open is clean again
        assert j.recovered_from is None and len(j.intents()) == kept + 1
