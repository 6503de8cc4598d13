"""The journal's SQL and the mapping between its rows and the records (``records``): kept
apart from the storage logic (``store``) so each reads on its own. Decimals are TEXT: a REAL
column would round prices and quantities.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeexec.execution.journal.records import ExchangeEvent, Intent
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

__all__ = [
    "EVENTS_OF",
    "EVENT_COLUMNS",
    "HAS_EVENT",
    "INSERT_EVENT",
    "INSERT_INTENT",
    "INSERT_OUTCOME",
    "INSERT_REQUEST",
    "INTENT_BY_ID",
    "INTENT_COLUMNS",
    "REQUESTS_OF",
    "UNSETTLED",
    "columns_of",
    "dec",
    "event_from_row",
    "intent_from_row",
]

INSERT_INTENT = (
    "INSERT INTO intents (client_order_id, strategy, symbol, side, type, quantity, quote_quantity,"
    " price, time_in_force, stop_price, created_ms, recv_window_ms, reduce_only, position_leg,"
    " callback_rate, activation_price) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_REQUEST = "INSERT INTO requests (intent_id, kind, sent_ms, attempt) VALUES (?, ?, ?, ?)"
INSERT_OUTCOME = "INSERT INTO outcomes (request_id, result, code, msg, recorded_ms) VALUES (?, ?, ?, ?, ?)"
INSERT_EVENT = (
    "INSERT INTO events (intent_id, dedupe_key, source, order_id, execution_type, status,"
    " executed_qty, cumulative_quote, last_price, last_qty, commission, commission_asset, trade_id,"
    " order_time_ms, update_ms, last_quote) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    # Only the dedupe key may skip a row: a NOT NULL or CHECK failure raises (OR IGNORE
    # would skip those too, and take them for duplicates).
    " ON CONFLICT (intent_id, dedupe_key) DO NOTHING"
)
HAS_EVENT = "SELECT 1 FROM events WHERE intent_id = ? AND dedupe_key = ?"
INTENT_COLUMNS = (
    "id, client_order_id, strategy, symbol, side, type, quantity, quote_quantity, price,"
    " time_in_force, stop_price, created_ms, recv_window_ms, reduce_only, position_leg, callback_rate,"
    " activation_price"
)
EVENT_COLUMNS = (
    "status, executed_qty, cumulative_quote, update_ms, source, order_id, execution_type,"
    " order_time_ms, trade_id, last_price, last_qty, commission, commission_asset, last_quote"
)
INTENT_BY_ID = f"SELECT {INTENT_COLUMNS} FROM intents WHERE client_order_id = ?"
EVENTS_OF = f"SELECT {EVENT_COLUMNS} FROM events WHERE intent_id = ? ORDER BY id"


def columns_of(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


# The latest outcome of each request (a request may be resolved later: unknown, then ack).
REQUESTS_OF = (
    "SELECT r.id, r.intent_id, r.kind, r.sent_ms, r.attempt, o.result, o.code, o.msg FROM requests r"
    " LEFT JOIN outcomes o ON o.id = (SELECT max(id) FROM outcomes WHERE request_id = r.id)"
    " WHERE r.intent_id = ? ORDER BY r.id"
)

# Candidates for ``Journal.unsettled``: every intent except those the record shows final with
# their fills complete. An order is final by a final event status or, with no events, by an
# abandonment or a rejected last placement (as ``derive_state`` decides). The fill total is
# compared in REAL only to prefilter: a real shortfall is at least one lot step, far beyond a
# double's rounding at any Binance quantity; a false candidate costs one exact replay.
UNSETTLED = f"""
WITH ev AS (
    SELECT intent_id,
           max(status IN ('FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'EXPIRED_IN_MATCH')) AS final,
           max(CAST(executed_qty AS REAL)) AS executed,
           total(CAST(last_qty AS REAL)) FILTER (WHERE trade_id IS NOT NULL) AS filled
    FROM events GROUP BY intent_id
)
SELECT {columns_of("i", INTENT_COLUMNS)}
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


def dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def undec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def intent_from_row(r: tuple[Any, ...]) -> Intent:
    return Intent(
        id=int(r[0]),
        client_order_id=str(r[1]),
        strategy=str(r[2]),
        symbol=str(r[3]),
        side=Side(r[4]),
        type=OrderType(r[5]),
        quantity=undec(r[6]),
        quote_quantity=undec(r[7]),
        price=undec(r[8]),
        time_in_force=None if r[9] is None else TimeInForce(r[9]),
        stop_price=undec(r[10]),
        created_ms=int(r[11]),
        recv_window_ms=int(r[12]),
        reduce_only=bool(r[13]),
        position_leg=None if r[14] is None else PositionLeg(r[14]),
        callback_rate=undec(r[15]),
        activation_price=undec(r[16]),
    )


def event_from_row(r: tuple[Any, ...]) -> ExchangeEvent:
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
        last_price=undec(r[9]),
        last_qty=undec(r[10]),
        commission=undec(r[11]),
        commission_asset=r[12],
        last_quote=undec(r[13]),
    )
