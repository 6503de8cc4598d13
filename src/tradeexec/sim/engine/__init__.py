"""Matching engine of the local exchange: pure, deterministic, no I/O.

CONTRACT (written first so that the engine and the server can be built in parallel; the
implementation keeps these names and signatures and may add to them):

* All money is Decimal. Time is passed in (``now_ms``), never read from a clock, so a run is
  reproducible from its inputs.
* Every state change returns the ``Event`` objects it produced, in the order Binance would
  send them; the server turns them into user-data-stream and market-stream messages.
* A refusal raises ``EngineReject(code, msg)`` with Binance's code and exact message text
  (e.g. -2010 "Account has insufficient balance for requested action.") and changes nothing.
* Symbol filters are NOT checked here: the server checks them with ``binance/rules/symbol_rules.py`` before
  calling ``place``. The engine checks what only it can know: balances, duplicate open client
  order IDs, LIMIT_MAKER that would take, stop prices that would trigger immediately,
  FOK/IOC outcomes, liquidity.

Modules, one job each (each class in the chain adds its job to the one below it):

* ``records`` / ``events``: the data the engine takes and gives back.
* ``accounts``: the balance ledger (free / locked per asset); ``book``: one side of a book.
* ``core``: state, bookkeeping, locks, resting and closing orders (``EngineCore``).
* ``matching``: the matching loop (``Matching``).
* ``triggers``: stop and take-profit orders, trailing stops (``Triggers``).
* ``order_lists``: OCO order lists (``OrderLists``).
* ``placement``: place / cancel / cancel-replace (``Placement``).
* ``amend``: amending a resting order in place, futures' modify (``Amending``).
* ``queries``: ``Engine``, the public class, with the read-only queries.
"""

from tradeexec.sim.engine.accounts import Holding
from tradeexec.sim.engine.events import (
    BalanceEvent,
    BalanceUpdateEvent,
    CancelReplaceResult,
    DepthEvent,
    Event,
    ExecutionEvent,
    ListStatusEvent,
    PlaceResult,
    TradePrintEvent,
)
from tradeexec.sim.engine.queries import Engine
from tradeexec.sim.engine.records import (
    DepthSnapshot,
    EngineReject,
    Fill,
    OrderListRecord,
    OrderRecord,
    OrderRequest,
    SymbolSpec,
    TradePrint,
)

__all__ = [
    "BalanceEvent",
    "BalanceUpdateEvent",
    "CancelReplaceResult",
    "DepthEvent",
    "DepthSnapshot",
    "Engine",
    "EngineReject",
    "Event",
    "ExecutionEvent",
    "Fill",
    "Holding",
    "ListStatusEvent",
    "OrderListRecord",
    "OrderRecord",
    "OrderRequest",
    "PlaceResult",
    "SymbolSpec",
    "TradePrint",
    "TradePrintEvent",
]
