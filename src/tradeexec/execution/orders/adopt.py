"""Which exchange orders a starting manager takes as its own, and where it looks for them.

A journal can lack orders it once sent: its write-ahead log lost to a power loss (commits
reach the OS, not the disk, with ``durability="normal"``), the file set aside as corrupt, or
a crash between the exchange's answer and the commit. Such an order is still on the account,
and left "unmanaged" it would never be tracked, canceled by a stop or counted in positions.
So at start every order whose client order ID is one this manager makes is adopted:
``{strategy}_{symbol}_{yyyymmddHHMMSS}_{8 hex}`` (``make_client_order_id``) with the strategy
part of the manager's own strategy or of any strategy in its journal. This assumes what the
ID format already does: one strategy name is used by one manager (one journal) per account.
Orders with other IDs (placed by hand, by other programs) are only reported.

Where "recent" orders are read (``scan_windows``), once, at the first reconciliation:

- every symbol in the journal, the symbols of the account's open orders, and the symbols the
  caller names (``reconcile(symbols=...)``): a lost order is in a symbol the manager trades,
  and a journal emptied entirely knows none, so the caller's hint and the open orders are
  what is left to go by;
- not the symbols of every balance: a balance names an asset, not a pair, and trying every
  pair of every asset costs two heavy requests per pair for orders that are, with the ID
  check, either found by the rules above or not ours;
- from ``ADOPT_WINDOW_MS`` (24 hours, the widest span Binance's ``allOrders``/``myTrades``
  time filters allow) before now, or from the earliest in-flight intent if that is earlier.
Later reconciliations read only the symbols with orders in flight, as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tradeexec.execution.journal.records import Intent
from tradeexec.venue.records import OrderSnapshot

__all__ = ["ADOPT_WINDOW_MS", "intent_of", "is_ours", "scan_windows"]

ADOPT_WINDOW_MS = 24 * 3600 * 1000
_DEFAULT_RECV_WINDOW_MS = 5000


def is_ours(client_order_id: str, prefixes: Iterable[str], id_tail_matches: bool) -> bool:
    """Whether the ID is one this manager makes: the tail of ``make_client_order_id``'s format
    (``id_tail_matches``) after one of the manager's ``{strategy}_{symbol}_`` prefixes."""
    return id_tail_matches and any(client_order_id.startswith(p) for p in prefixes)


def scan_windows(
    in_flight: Mapping[str, int],
    journal_symbols: Iterable[str],
    open_symbols: Iterable[str],
    hint: Iterable[str],
    now_ms: int,
) -> dict[str, int]:
    """Per symbol, the time from which to read its orders and trades (see the module's notes):
    the earliest in-flight intent's time where there is one, else ``ADOPT_WINDOW_MS`` ago."""
    start = now_ms - ADOPT_WINDOW_MS
    windows = {s: start for s in (*journal_symbols, *open_symbols, *hint)}
    for symbol, since in in_flight.items():
        windows[symbol] = min(since, windows.get(symbol, since))
    return windows


def intent_of(ex: OrderSnapshot) -> Intent:
    """The intent an exchange order implies, for a journal that lacks it."""
    return Intent(
        client_order_id=ex.client_order_id,
        strategy=ex.client_order_id.split("_", 1)[0],
        symbol=ex.symbol,
        side=ex.side,
        type=ex.type,
        quantity=ex.quantity,
        quote_quantity=ex.quote_quantity,
        price=ex.price,
        time_in_force=ex.time_in_force,
        stop_price=ex.stop_price,
        created_ms=ex.created_ms,
        recv_window_ms=_DEFAULT_RECV_WINDOW_MS,
    )
