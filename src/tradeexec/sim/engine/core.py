"""The engine's state and the small operations every other part builds on: symbols and
accounts, per-call bookkeeping (events, balance changes), lookups, creating, locking, resting,
closing and expiring orders, finishing order lists.

The engine is split by job into a chain of classes, each adding one job to the one below:
``EngineCore`` -> ``Matching`` -> ``Triggers`` -> ``OrderLists`` -> ``Placement`` -> ``Engine``
(queries). A chain rather than separate objects keeps one ``self`` (no indirection on the
per-order path) while each module stays small and named for what it does."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, localcontext
from types import MappingProxyType
from typing import ParamSpec, TypeVar

from tradeexec.binance.enums import (
    ExecutionType,
    OrderStatus,
    OrderType,
    SelfTradePreventionMode,
    Side,
    TimeInForce,
)
from tradeexec.binance.errors import MSG_DUPLICATE_ORDER
from tradeexec.sim.engine.accounts import Holding, Ledger
from tradeexec.sim.engine.book import PriceLevels
from tradeexec.sim.engine.events import (
    BalanceUpdateEvent,
    Event,
    ListStatusEvent,
    new_balance_event,
    new_depth_event,
    new_execution_event,
)
from tradeexec.sim.engine.records import (
    EngineReject,
    Fill,
    OrderListRecord,
    OrderRecord,
    SymbolSpec,
    TradePrint,
)

ZERO = Decimal(0)
# Wide enough that price * quantity and sums of them are always exact: locks are released to
# the last unit and assets are conserved exactly.
EXACT = Context(prec=60, traps=[InvalidOperation, DivisionByZero])

INSUFFICIENT = "Account has insufficient balance for requested action."
UNKNOWN_ORDER = "Unknown order sent."
MANDATORY = "Mandatory parameter '{}' was not sent, was empty/null, or malformed."
EITHER = "Param '{}' or '{}' must be sent, but both were empty/null!"
STOP_TYPES = frozenset(
    {OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT}
)
PRICED_TYPES = frozenset(
    {OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT}
)
# Enum members as module constants: reading ``Side.BUY`` goes through the enum class's
# attribute lookup (about ten times a global's cost), and the per-order path reads many.
BUY, SELL = Side.BUY, Side.SELL
GTC, FOK = TimeInForce.GTC, TimeInForce.FOK
NEW = OrderStatus.NEW
NO_STP = SelfTradePreventionMode.NONE
DEFAULT_RATES = (Decimal("0.001"), Decimal("0.001"))  # (maker, taker) of an account never created
_ID_SPACE = 16**22  # 22 hex digits
# Odd, hence invertible modulo 16**22: generated ids never repeat (and do not look sequential).
_ID_MULTIPLIER = 0x2B7E151628AED2A6ABF7158809CF4F3C7 % _ID_SPACE | 1


_new_object = object.__new__

P = ParamSpec("P")
R = TypeVar("R")


def exact(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with localcontext(EXACT):
            return fn(*args, **kwargs)

    return wrapper


class LiveOrder:
    """Engine-private state of an open order.

    No ``__slots__`` and no ``__init__``: ``_create`` builds one per order placed by handing
    it a dict of the five fields every order has; the others start at the class defaults
    below and become the instance's own on first assignment (no frame and eight stores
    fewer per order)."""

    order: OrderRecord
    limit_price: Decimal | None  # None: matches at any price (MARKET, STOP_LOSS, TAKE_PROFIT)
    remaining: Decimal
    open_orders: dict[int, LiveOrder]  # its account's open orders in its symbol
    trade_log: list[Fill]  # its account's fills in its symbol (``my_trades``)
    visible: Decimal = ZERO
    lock: Decimal = ZERO  # what this order holds locked (quote for BUY, base for SELL)
    in_book: bool = False
    oco: LiveOco | None = None
    triggered: bool = False
    activated: bool = False  # trailing stops: tracking the extreme price
    extreme: Decimal = ZERO
    fills: list[Fill] | None = None  # collected for the order being placed


class LiveOco:
    __slots__ = ("account", "limit", "order_list", "stop")

    def __init__(self, account: str, order_list: OrderListRecord, stop: LiveOrder, limit: LiveOrder) -> None:
        self.account = account
        self.order_list = order_list
        self.stop = stop
        self.limit = limit

    @property
    def executing(self) -> bool:
        return self.order_list.list_order_status == "EXECUTING"


class SymbolBook:
    __slots__ = (
        "asks",
        "base_unit",
        "bids",
        "last_price",
        "live",
        "new_prices",
        "next_order_id",
        "orders",
        "quote_unit",
        "spec",
        "step",
        "stops_down",
        "stops_up",
        "trades",
        "trailing",
        "update_id",
    )

    def __init__(self, spec: SymbolSpec) -> None:
        self.spec = spec
        self.base_unit = Decimal(1).scaleb(-spec.base_precision)
        self.quote_unit = Decimal(1).scaleb(-spec.quote_precision)
        self.step = spec.step_size if spec.step_size > 0 else self.base_unit
        self.bids: PriceLevels[LiveOrder] = PriceLevels(is_bid=True)
        self.asks: PriceLevels[LiveOrder] = PriceLevels(is_bid=False)
        self.next_order_id = 1
        self.orders: dict[int, OrderRecord] = {}
        self.live: dict[int, LiveOrder] = {}
        self.trades: list[TradePrint] = []
        self.last_price: Decimal | None = None
        self.update_id = 0
        self.stops_up: list[tuple[Decimal, int]] = []  # (stop price, id): fire when price >= stop
        self.stops_down: list[tuple[Decimal, int]] = []  # (-stop price, id): fire when price <= stop
        self.trailing: dict[int, LiveOrder] = {}
        self.new_prices: list[Decimal] = []  # trade prices not yet shown to the stop orders

    def side(self, side: Side) -> PriceLevels[LiveOrder]:
        return self.bids if side is BUY else self.asks

    def opposite(self, side: Side) -> PriceLevels[LiveOrder]:
        return self.asks if side is BUY else self.bids


class EngineCore:
    """State and bookkeeping shared by every job of the engine (see the module docstring)."""

    def __init__(
        self,
        symbols: Iterable[SymbolSpec],
        *,
        self_trade_prevention_default: SelfTradePreventionMode = SelfTradePreventionMode.NONE,
    ) -> None:
        self._stp_default = self_trade_prevention_default
        self._symbols: dict[str, SymbolBook] = {}
        self._specs: dict[str, SymbolSpec] = {}
        self._ledger = Ledger()
        self._rates: dict[str, tuple[Decimal, Decimal]] = {}
        self._open: dict[str, dict[str, dict[int, LiveOrder]]] = {}
        self._history: dict[tuple[str, str], list[OrderRecord]] = {}
        self._fills: dict[tuple[str, str], list[Fill]] = {}
        # (account, symbol) -> its entries in the three above, found in one lookup per order
        self._desks: dict[tuple[str, str], tuple[dict[int, LiveOrder], list[OrderRecord], list[Fill]]] = {}
        self._by_client_id: dict[tuple[str, str, str], OrderRecord] = {}
        self._lists: dict[int, LiveOco] = {}
        self._lists_by_client_id: dict[tuple[str, str], LiveOco] = {}
        self._next_list_id = 0
        self._id_counter = 0
        self._events: list[Event] = []
        self._now = 0
        for spec in symbols:
            self.add_symbol(spec)

    def add_symbol(self, spec: SymbolSpec) -> None:
        if spec.symbol in self._symbols:
            raise ValueError(f"symbol {spec.symbol} already exists")
        self._symbols[spec.symbol] = SymbolBook(spec)
        self._specs[spec.symbol] = spec

    @property
    def symbols(self) -> Mapping[str, SymbolSpec]:
        return MappingProxyType(self._specs)

    def create_account(
        self,
        account: str,
        balances: Mapping[str, Decimal],
        *,
        maker_commission: Decimal = Decimal("0.001"),
        taker_commission: Decimal = Decimal("0.001"),
    ) -> None:
        self._ledger.open(account, balances)
        self._rates[account] = (maker_commission, taker_commission)

    def commissions(self, account: str) -> tuple[Decimal, Decimal]:
        """(maker, taker) rates; an account never created trades at the default rates."""
        return self._rates.get(account, DEFAULT_RATES)

    def fees_collected(self) -> dict[str, Decimal]:
        return dict(self._ledger.fees)

    @exact
    def deposit(self, account: str, asset: str, amount: Decimal, now_ms: int) -> list[Event]:
        """A deposit, or a withdrawal when ``amount`` is negative (refused if it would overdraw)."""
        if self._ledger.free(account, asset) + amount < 0:
            raise EngineReject(-2010, INSUFFICIENT)
        self._begin(now_ms)
        self._ledger.adjust_free(account, asset, amount)
        self._events.append(BalanceUpdateEvent(account, asset, amount, now_ms))
        return self._end(None)

    def balances(self, account: str) -> dict[str, Holding]:
        return self._ledger.snapshot(account)

    def _begin(self, now_ms: int) -> None:
        self._now = now_ms
        self._events = []
        self._ledger.discard_touches()

    def _end(self, st: SymbolBook | None) -> list[Event]:
        """Closes the call: one outboundAccountPosition per account touched, then one depth
        diff for the symbol whose book changed."""
        events = self._events
        now = self._now
        self._ledger.flush_into(events, new_balance_event, now)
        if st is not None and (st.bids.before or st.asks.before):
            bids = st.bids.flush_changes() if st.bids.before else []
            asks = st.asks.flush_changes() if st.asks.before else []
            if bids or asks:
                first = st.update_id + 1
                st.update_id += len(bids) + len(asks)
                events.append(new_depth_event((st.spec.symbol, first, st.update_id, bids, asks, now)))
        self._events = []
        return events

    def _emit(
        self, live: LiveOrder, execution_type: ExecutionType, fill: Fill | None = None, cancel_id: str = ""
    ) -> None:
        order = live.order
        orig_id = order.client_order_id if cancel_id else ""
        snapshot = _new_object(OrderRecord)
        snapshot.__dict__ = order.__dict__.copy()
        self._events.append(
            new_execution_event(
                (order.account, snapshot, execution_type, "NONE", fill, orig_id, cancel_id, self._now)
            )
        )

    def _symbol(self, symbol: str) -> SymbolBook:
        st = self._symbols.get(symbol)
        if st is None:
            raise EngineReject(-1121, "Invalid symbol.")
        return st

    def _new_client_id(self) -> str:
        """22 characters like Binance's generated ids (letters and digits), from a counter so
        that runs repeat. Hex rather than Binance's base 62: one C call (``%``) instead of
        eleven divisions, and base 62 was a twelfth of an order's cost in the engine."""
        self._id_counter += 1
        return "%022x" % (self._id_counter * _ID_MULTIPLIER % _ID_SPACE)

    def _check_client_id_free(self, account: str, symbol: str, client_id: str) -> None:
        known = self._by_client_id.get((account, symbol, client_id))
        if known is not None and not known.status.is_final:
            raise EngineReject(-2010, MSG_DUPLICATE_ORDER)

    def _find_open(
        self, st: SymbolBook, account: str, order_id: int | None, client_order_id: str | None
    ) -> LiveOrder:
        if order_id is None and client_order_id is None:
            raise EngineReject(-1102, EITHER.format("origClientOrderId", "orderId"))
        live: LiveOrder | None = None
        if order_id is not None:
            live = st.live.get(order_id)
        else:
            assert client_order_id is not None
            order = self._by_client_id.get((account, st.spec.symbol, client_order_id))
            if order is not None:
                live = st.live.get(order.order_id)
        if live is None or live.order.account != account:
            raise EngineReject(-2011, UNKNOWN_ORDER)
        return live

    def _find_list(
        self, account: str, order_list_id: int | None, list_client_order_id: str | None
    ) -> LiveOco | None:
        oco: LiveOco | None = None
        if order_list_id is not None:
            oco = self._lists.get(order_list_id)
        elif list_client_order_id is not None:
            oco = self._lists_by_client_id.get((account, list_client_order_id))
        if oco is None or oco.account != account:
            return None
        return oco

    def _open_lives(self, account: str, symbol: str | None) -> list[LiveOrder]:
        by_symbol = self._open.get(account, {})
        if symbol is not None:
            return list(by_symbol.get(symbol, {}).values())
        return [live for orders in by_symbol.values() for live in orders.values()]

    def _stp(self, requested: SelfTradePreventionMode) -> SelfTradePreventionMode:
        """NONE in a request means "not sent": the exchange default applies."""
        return requested if requested is not NO_STP else self._stp_default

    def _check_maker(self, st: SymbolBook, side: Side, price: Decimal) -> None:
        best = st.opposite(side).best()
        if best is not None and (best <= price if side is BUY else best >= price):
            raise EngineReject(-2010, "Order would immediately match and take.")

    def _check_free(self, st: SymbolBook, account: str, side: Side, need: Decimal) -> None:
        asset = st.spec.quote_asset if side is BUY else st.spec.base_asset
        if need > 0 and self._ledger.free(account, asset) < need:
            raise EngineReject(-2010, INSUFFICIENT)

    def _create(
        self,
        st: SymbolBook,
        account: str,
        *,
        side: Side,
        order_type: OrderType,
        tif: TimeInForce,
        price: Decimal | None,
        qty: Decimal,
        client_id: str | None,
        stp: SelfTradePreventionMode,
        stop_price: Decimal | None = None,
        trailing_delta: int | None = None,
        iceberg: Decimal | None = None,
        quote_qty: Decimal | None = None,
        list_id: int = -1,
    ) -> LiveOrder:
        now = self._now
        symbol = st.spec.symbol
        order_id = st.next_order_id
        st.next_order_id += 1
        is_stop = order_type in STOP_TYPES
        # Built as one dict display rather than through the 23-argument dataclass __init__
        # (one per order placed); the snapshot copies this dict the same way.
        order = _new_object(OrderRecord)
        order.__dict__ = {
            "account": account,
            "symbol": symbol,
            "order_id": order_id,
            "client_order_id": client_id or self._new_client_id(),
            "side": side,
            "type": order_type,
            "time_in_force": tif,
            "price": price or ZERO,
            "orig_qty": qty,
            "executed_qty": ZERO,
            "cummulative_quote_qty": ZERO,
            "status": NEW,
            "time": now,
            "update_time": now,
            "working_time": -1 if is_stop else now,
            "is_working": not is_stop,
            "stop_price": stop_price or ZERO,
            "iceberg_qty": iceberg or ZERO,
            "orig_quote_order_qty": quote_qty or ZERO,
            "trailing_delta": trailing_delta,
            "trailing_time": -1,
            "order_list_id": list_id,
            "stp_mode": stp,
        }
        desk = self._desks.get((account, symbol))
        if desk is None:
            desk = self._desk(account, symbol)
        open_orders, history, fills = desk
        live = _new_object(LiveOrder)
        live.__dict__ = {
            "order": order,
            "limit_price": price,
            "remaining": qty,
            "open_orders": open_orders,
            "trade_log": fills,
        }
        st.orders[order_id] = order
        st.live[order_id] = live
        open_orders[order_id] = live
        history.append(order)
        self._by_client_id[(account, symbol, order.client_order_id)] = order
        return live

    def _desk(self, account: str, symbol: str) -> tuple[dict[int, LiveOrder], list[OrderRecord], list[Fill]]:
        """An account's first order in a symbol: its open orders, history and fills."""
        key = (account, symbol)
        open_orders = self._open.setdefault(account, {}).setdefault(symbol, {})
        history = self._history.setdefault(key, [])
        fills = self._fills.setdefault(key, [])
        desk = self._desks[key] = (open_orders, history, fills)
        return desk

    def _lock(self, st: SymbolBook, live: LiveOrder, amount: Decimal) -> None:
        if amount:
            live.lock += amount
            order = live.order
            asset = st.spec.quote_asset if order.side is BUY else st.spec.base_asset
            self._ledger.lock(order.account, asset, amount)

    def _lock_asset(self, st: SymbolBook, live: LiveOrder) -> str:
        return st.spec.quote_asset if live.order.side is BUY else st.spec.base_asset

    def _release_excess(self, st: SymbolBook, live: LiveOrder) -> None:
        """Keeps exactly what the rest of the order needs locked and frees the remainder."""
        remaining = live.remaining
        need = remaining if live.order.side is SELL else (live.limit_price or ZERO) * remaining
        extra = live.lock - need
        if extra:
            live.lock = need
            self._ledger.release(live.order.account, self._lock_asset(st, live), extra)

    def _rest(self, st: SymbolBook, live: LiveOrder) -> None:
        order = live.order
        assert live.limit_price is not None
        iceberg = order.iceberg_qty
        live.visible = min(iceberg, live.remaining) if iceberg else live.remaining
        live.in_book = True
        (st.bids if order.side is BUY else st.asks).add(live.limit_price, live, live.visible)

    def _close(self, st: SymbolBook, live: LiveOrder) -> None:
        """The order reached a final status: give back what it still holds, forget it as open."""
        order = live.order
        if live.lock:
            self._ledger.release(order.account, self._lock_asset(st, live), live.lock)
            live.lock = ZERO
        del st.live[order.order_id]
        del live.open_orders[order.order_id]

    def _take_off_book(self, st: SymbolBook, live: LiveOrder) -> None:
        if live.in_book:
            assert live.limit_price is not None
            st.side(live.order.side).remove(live.limit_price, live, live.visible)
            live.in_book = False

    def _expire(self, st: SymbolBook, live: LiveOrder, status: OrderStatus) -> None:
        self._take_off_book(st, live)
        live.order.status = status
        live.order.update_time = self._now
        self._close(st, live)
        self._emit(live, ExecutionType.EXPIRED)

    def _cancel_one(self, st: SymbolBook, live: LiveOrder, cancel_id: str) -> None:
        self._take_off_book(st, live)
        live.order.status = OrderStatus.CANCELED
        live.order.update_time = self._now
        self._close(st, live)
        self._emit(live, ExecutionType.CANCELED, cancel_id=cancel_id)

    def _finish_list(self, oco: LiveOco, *, expire: LiveOrder | None) -> None:
        """Ends an OCO: ``expire`` is the leg the other one's fill or trigger made obsolete."""
        order_list = oco.order_list
        order_list.list_status_type = "ALL_DONE"
        order_list.list_order_status = "ALL_DONE"
        order_list.transaction_time = self._now
        if expire is not None:
            st = self._symbols[order_list.symbol]
            if expire.order.order_id in st.live:
                self._expire(st, expire, OrderStatus.EXPIRED)
        self._events.append(ListStatusEvent(oco.account, order_list.snapshot(), self._now))
