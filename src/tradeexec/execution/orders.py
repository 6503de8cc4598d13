"""The order manager: every intent sent exactly once and followed to its end.

The rules it lives by:

* Nothing is sent before it is journaled (intent, then each request, each committed).
* An order whose answer was lost is UNKNOWN and is looked up by its client order ID, never
  resent blindly. It is resent (with the same ID) only when a lookup *sent after* the
  original request's recvWindow had passed says the order does not exist: from then on the
  exchange can no longer accept the original, so the resend cannot make a duplicate.
* State only moves forward (PENDING_NEW -> UNKNOWN -> NEW -> PARTIALLY_FILLED -> final), so
  late, duplicated or out-of-order stream messages and polls cannot undo what is known.
* The user data stream drives updates through ``on_execution_report``; a background poller
  queries orders nobody has heard of for a while, so a dead stream delays but never loses an
  update, and callers never block on it (``await order.wait_final(timeout)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from tradeexec.binance.enums import ExecutionType, OrderResponseType, OrderType, Side, TimeInForce
from tradeexec.binance.errors import NoSuchOrder
from tradeexec.binance.models import ExecutionReport, MyTrade, Order, OrderReport, TickerPrice
from tradeexec.binance.rules import ExchangeRules, MarketContext, OrderCheck, Rounding, SymbolRules
from tradeexec.errors import BinanceAPIError, InvalidParameter, OrderStatusUnknown, TradeexecError
from tradeexec.execution.journal import (
    DerivedState,
    ExchangeEvent,
    Intent,
    Journal,
    OrderState,
    OutcomeKind,
    RequestKind,
)
from tradeexec.execution.policy import Action, ErrorPolicy
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import Exposure, OrderRisk, RiskManager

__all__ = [
    "CLIENT_ORDER_ID_RE",
    "MAX_CLIENT_ORDER_ID_LEN",
    "OUR_ID_RE",
    "ManagedOrder",
    "OrderClient",
    "OrderIntent",
    "OrderManager",
    "ReconcileReport",
    "make_client_order_id",
]

log = logging.getLogger(__name__)
ZERO = Decimal(0)

# ---- client order IDs ----------------------------------------------------------------------

MAX_CLIENT_ORDER_ID_LEN = 36
CLIENT_ORDER_ID_RE = re.compile(r"^[a-zA-Z0-9-_]{1,36}$")
# The tail of every ID made here; lets a manager recognise its own orders on the exchange
# when its journal is gone.
OUR_ID_RE = re.compile(r"_\d{14}_[0-9a-f]{8}$")
_NOT_ALLOWED = re.compile(r"[^a-zA-Z0-9-]")
_PARTS_BUDGET = MAX_CLIENT_ORDER_ID_LEN - (3 + 14 + 8)  # separators, timestamp, hex


def _clean(text: str) -> str:
    # "_" separates the parts, so inside a part it becomes "-"; anything else Binance does
    # not allow ("/" in "BTC/USDT", non-ASCII) is dropped.
    return _NOT_ALLOWED.sub("", text.replace("_", "-"))


def make_client_order_id(
    strategy: str, symbol: str, *, now: datetime | None = None, token: str | None = None
) -> str:
    """``{strategy}_{symbol}_{UTC yyyymmddHHMMSS}_{8 hex}`` within Binance's 36 characters:
    the timestamp and the random hex make it unique, so the strategy (down to one character),
    then the symbol, are shortened instead. ``token`` is random unless given."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d%H%M%S")
    tail = token if token is not None else secrets.token_hex(4)
    if not re.fullmatch(r"[0-9a-f]{8}", tail):
        raise ValueError(f"token must be 8 lowercase hex digits, not {tail!r}")
    strat = _clean(strategy) or "s"
    sym = _clean(symbol) or "x"
    strat = strat[: max(1, _PARTS_BUDGET - len(sym))]
    sym = sym[: _PARTS_BUDGET - len(strat)]
    return f"{strat}_{sym}_{stamp}_{tail}"


# ---- what the manager needs of a client ----------------------------------------------------


class OrderClient(Protocol):
    """The calls of ``tradeexec.binance.BinanceClient`` the manager uses."""

    async def rules(self) -> ExchangeRules: ...

    async def new_order(
        self,
        symbol: str,
        side: Side,
        type: OrderType,
        *,
        quantity: Decimal | None = None,
        quote_order_qty: Decimal | None = None,
        price: Decimal | None = None,
        time_in_force: TimeInForce | None = None,
        stop_price: Decimal | None = None,
        new_client_order_id: str | None = None,
        new_order_resp_type: OrderResponseType = ...,
        recv_window: int | None = None,
    ) -> Any: ...

    async def get_order(
        self, symbol: str, *, order_id: int | None = None, orig_client_order_id: str | None = None
    ) -> Order: ...

    async def cancel_order(
        self, symbol: str, *, order_id: int | None = None, orig_client_order_id: str | None = None
    ) -> OrderReport: ...

    async def cancel_all_orders(self, symbol: str) -> Sequence[Any]: ...

    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]: ...

    async def my_trades(self, symbol: str, *, order_id: int | None = None) -> Sequence[MyTrade]: ...

    async def ticker_price(self, symbol: str) -> TickerPrice: ...


# ---- orders ---------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class OrderIntent:
    """What a strategy asks for, before rounding. ``strategy`` defaults to the manager's."""

    symbol: str
    side: Side
    type: OrderType = OrderType.LIMIT
    quantity: Decimal | None = None
    quote_quantity: Decimal | None = None
    price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    stop_price: Decimal | None = None
    strategy: str | None = None
    recv_window_ms: int = 5000


class ManagedOrder:
    """The manager's live view of one order. Read it; only the manager changes it."""

    def __init__(self, intent: Intent) -> None:
        self.intent = intent
        self.state = OrderState.PENDING_NEW
        self.order_id: int | None = None
        self.order_time_ms: int | None = None
        self.executed_qty = ZERO
        self.cumulative_quote = ZERO
        self.fills: list[ExchangeEvent] = []
        self.reason: str | None = None
        self.updated_at = time.monotonic()
        self.place_attempts = 0
        self.last_place_ms = 0
        self.cancel_requested = False
        self._final = asyncio.Event()
        self._trade_ids: set[int] = set()
        self._resolver: asyncio.Task[None] | None = None

    @property
    def client_order_id(self) -> str:
        return self.intent.client_order_id

    @property
    def symbol(self) -> str:
        return self.intent.symbol

    @property
    def side(self) -> Side:
        return Side(self.intent.side)

    @property
    def is_final(self) -> bool:
        return self.state.is_final

    @property
    def filled_qty(self) -> Decimal:
        return sum((f.last_qty or ZERO for f in self.fills), ZERO)

    @property
    def remaining_qty(self) -> Decimal:
        return max(ZERO, (self.intent.quantity or ZERO) - self.executed_qty)

    @property
    def avg_price(self) -> Decimal | None:
        return self.cumulative_quote / self.executed_qty if self.executed_qty else None

    async def wait_final(self, timeout: float | None = None) -> OrderState:  # noqa: ASYNC109
        """Wait until the order reached a final state (and its fills are known); raises
        TimeoutError after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            await self._final.wait()
        return self.state

    def __repr__(self) -> str:
        return (
            f"ManagedOrder({self.client_order_id!r}, {self.symbol} {self.intent.side} {self.intent.type}, "
            f"{self.state}, executed={self.executed_qty}, order_id={self.order_id})"
        )


@dataclass(slots=True)
class ReconcileReport:
    """What a reconciliation found and did."""

    settled: dict[str, tuple[OrderState, OrderState]] = field(default_factory=dict)
    resent: list[str] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    unmanaged_open_orders: list[Order] = field(default_factory=list)
    fills_added: int = 0

    @property
    def clean(self) -> bool:
        return not (self.unresolved or self.unmanaged_open_orders)


_DUPLICATE_MSG = "Duplicate order sent."


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class OrderManager:
    """Journal, risk, rules and policy around a client. Use ``async with`` or call
    ``start()`` (loads rules, reconciles, starts the poller) and ``close()``.

    ``prices`` gives a mark per symbol (for risk and notional checks); without it the
    client's ``ticker_price`` is asked when a check needs a price.
    """

    def __init__(
        self,
        client: OrderClient,
        journal: Journal,
        *,
        strategy: str = "tx",
        risk: RiskManager | None = None,
        positions: PositionTracker | None = None,
        policy: ErrorPolicy | None = None,
        prices: Callable[[str], Decimal | None] | None = None,
        poll_interval_s: float = 1.0,
        stale_after_s: float = 5.0,
        resend_margin_ms: int = 1000,
        max_resends: int = 3,
        max_resolve_attempts: int = 40,
        unsent_max_age_ms: int = 60_000,
        clock_ms: Callable[[], int] = _now_ms,
    ) -> None:
        self.client = client
        self.journal = journal
        self.strategy = strategy
        self.risk = risk or RiskManager()
        self.positions = positions or PositionTracker()
        self.policy = policy or ErrorPolicy()
        self.prices = prices
        self.poll_interval_s = poll_interval_s
        self.stale_after_s = stale_after_s
        self.resend_margin_ms = resend_margin_ms
        self.max_resends = max_resends
        self.max_resolve_attempts = max_resolve_attempts
        self.unsent_max_age_ms = unsent_max_age_ms
        self._clock_ms = clock_ms
        self.rules: ExchangeRules | None = None
        self._orders: dict[str, ManagedOrder] = {}
        # Orders not yet final, so that open_orders() costs what is open, not all history.
        self._live: dict[str, ManagedOrder] = {}
        self._by_order_id: dict[tuple[str, int], ManagedOrder] = {}  # order ids are per symbol
        self._poller: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self, *, reconcile: bool = True) -> ReconcileReport | None:
        if self.rules is None:
            self.rules = await self.client.rules()
        report = await self.reconcile() if reconcile else None
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll_loop(), name="order-poller")
        return report

    async def close(self) -> None:
        tasks = [t for t in (self._poller, *self._tasks) if t is not None]
        tasks += [o._resolver for o in self._orders.values() if o._resolver is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._poller = None

    async def __aenter__(self) -> OrderManager:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- reading --------------------------------------------------------------------------

    def order(self, client_order_id: str) -> ManagedOrder | None:
        return self._orders.get(client_order_id)

    def open_orders(self, symbol: str | None = None) -> list[ManagedOrder]:
        return [o for o in self._live.values() if not o.is_final and (symbol is None or o.symbol == symbol)]

    def _track(self, order: ManagedOrder) -> None:
        cid = order.client_order_id
        self._orders[cid] = order
        if not order.is_final:
            self._live[cid] = order

    def _symbol_rules(self, symbol: str) -> SymbolRules:
        if self.rules is None:
            raise TradeexecError("OrderManager.start() must run before orders are submitted")
        return self.rules[symbol]

    async def mark_price(self, symbol: str) -> Decimal | None:
        price = self.prices(symbol) if self.prices is not None else None
        if price is None:
            price = (await self.client.ticker_price(symbol)).price
        return price

    # ---- submit ---------------------------------------------------------------------------

    async def submit(self, request: OrderIntent) -> ManagedOrder:
        """Round, validate, risk-check, journal and send. Raises OrderRejectedLocally
        (including RiskLimitExceeded) when refused before sending and the exchange's error
        when it refused; returns the order when it was accepted or its outcome is unknown
        (then it is being resolved in the background)."""
        self.risk.ensure_can_trade()
        self.policy.check_can_send()
        rules = self._symbol_rules(request.symbol)
        self.positions.register_symbol(rules.symbol, rules.base_asset, rules.quote_asset)
        mark = await self.mark_price(request.symbol)
        intent = self._rounded(request, rules)
        rules.validate(
            OrderCheck(
                symbol=intent.symbol,
                side=request.side,
                type=request.type,
                quantity=intent.quantity,
                quote_order_qty=intent.quote_quantity,
                price=intent.price,
                stop_price=intent.stop_price,
                time_in_force=request.time_in_force,
            ),
            MarketContext(last_price=mark, open_orders=len(self.open_orders(request.symbol))),
        )
        self.risk.check_order(self._order_risk(intent, request, mark), self._exposure(intent.symbol))
        order = ManagedOrder(self.journal.record_intent(intent))
        self._track(order)
        await self._place(order)
        return order

    def _rounded(self, request: OrderIntent, rules: SymbolRules) -> Intent:
        is_market = request.type is OrderType.MARKET
        qty = None if request.quantity is None else rules.round_qty(request.quantity, market=is_market)
        # A buy is rounded to the cheaper tick, a sell to the dearer: rounding never makes a
        # price worse for the trader.
        price_mode = Rounding.DOWN if request.side is Side.BUY else Rounding.UP
        price = None if request.price is None else rules.round_price(request.price, price_mode)
        stop = None if request.stop_price is None else rules.round_price(request.stop_price, Rounding.NEAREST)
        quote = request.quote_quantity
        if quote is not None:
            quote = quote.quantize(Decimal(1).scaleb(-rules.quote_asset_precision), rounding="ROUND_DOWN")
        tif = request.time_in_force
        if tif is None and request.type in (
            OrderType.LIMIT,
            OrderType.STOP_LOSS_LIMIT,
            OrderType.TAKE_PROFIT_LIMIT,
        ):
            tif = TimeInForce.GTC
        return Intent(
            client_order_id=make_client_order_id(request.strategy or self.strategy, request.symbol),
            strategy=request.strategy or self.strategy,
            symbol=request.symbol,
            side=request.side.value,
            type=request.type.value,
            quantity=qty,
            quote_quantity=quote,
            price=price,
            time_in_force=None if tif is None else tif.value,
            stop_price=stop,
            created_ms=self._clock_ms(),
            recv_window_ms=request.recv_window_ms,
        )

    def _order_risk(self, intent: Intent, request: OrderIntent, mark: Decimal | None) -> OrderRisk:
        price = intent.price or mark or ZERO
        qty = intent.quantity
        if qty is None:
            qty = (intent.quote_quantity or ZERO) / price if price else ZERO
        return OrderRisk(intent.symbol, request.side, qty, price, mark, is_limit=intent.price is not None)

    def _exposure(self, symbol: str) -> Exposure:
        pos = self.positions.position(symbol)
        pending = ZERO
        for o in self.open_orders(symbol):
            pending += o.remaining_qty if o.side is Side.BUY else -o.remaining_qty
        return Exposure(
            position=pos.quantity if pos is not None else ZERO,
            pending=pending,
            gross_exposure=self.positions.gross_exposure(),
            open_orders=len(self.open_orders()),
        )

    async def _place(self, order: ManagedOrder) -> None:
        """Send (or resend, same client order ID) the placement. Journal first."""
        intent = order.intent
        order.place_attempts += 1
        order.last_place_ms = self._clock_ms()
        request_id = self.journal.record_request(
            intent.id, RequestKind.PLACE, attempt=order.place_attempts, sent_ms=order.last_place_ms
        )
        if order.state is OrderState.PENDING_NEW:
            order.state = OrderState.UNKNOWN  # sent: until answered, only the exchange knows
        try:
            response = await self.client.new_order(
                intent.symbol,
                Side(intent.side),
                OrderType(intent.type),
                quantity=intent.quantity,
                quote_order_qty=intent.quote_quantity,
                price=intent.price,
                time_in_force=None if intent.time_in_force is None else TimeInForce(intent.time_in_force),
                stop_price=intent.stop_price,
                new_client_order_id=intent.client_order_id,
                new_order_resp_type=OrderResponseType.FULL,
                recv_window=intent.recv_window_ms,
            )
        except asyncio.CancelledError:
            self._outcome_unknown(order, request_id, "the caller was cancelled while the order was in flight")
            raise
        except (BinanceAPIError, InvalidParameter) as exc:
            decision = self.policy.decide(exc, write=True, what=f"place {intent.client_order_id}")
            # "Duplicate order sent." means an open order already carries this ID: it exists,
            # so it is looked up, never marked rejected.
            if decision.action is Action.RESOLVE or getattr(exc, "msg", "") == _DUPLICATE_MSG:
                self._outcome_unknown(order, request_id, str(exc))
                return
            code = exc.code if isinstance(exc, BinanceAPIError) else None
            self.journal.record_outcome(request_id, OutcomeKind.REJECT, code=code, msg=str(exc))
            order.reason = str(exc)
            self._set_state(order, OrderState.REJECTED)
            if decision.action is Action.HALT:
                self.risk.trip(f"exchange refused the key: {exc}", emergency=False)
            raise
        except Exception as exc:  # timeouts, dropped connections, OrderStatusUnknown
            self.policy.decide(exc, write=True, what=f"place {intent.client_order_id}")
            self._outcome_unknown(order, request_id, str(exc))
            return
        self.policy.record_success()
        self.journal.record_outcome(request_id, OutcomeKind.ACK)
        await self._apply_response(order, response)

    def _outcome_unknown(self, order: ManagedOrder, request_id: int, cause: str) -> None:
        self.journal.record_outcome(request_id, OutcomeKind.UNKNOWN, msg=cause)
        order.reason = cause
        log.warning("order %s outcome unknown (%s); resolving by lookup", order.client_order_id, cause)
        self._start_resolver(order)

    def _start_resolver(self, order: ManagedOrder) -> None:
        if order._resolver is None or order._resolver.done():
            order._resolver = asyncio.create_task(
                self._resolve(order), name=f"resolve-{order.client_order_id}"
            )

    async def _apply_response(self, order: ManagedOrder, response: Any) -> None:
        """Fold a placement answer (ACK, RESULT or FULL) into the order."""
        update_ms = getattr(response, "transact_time", None) or self._clock_ms()
        order_id = response.order_id
        status = getattr(response, "status", None)
        if status is None:  # ACK: accepted, nothing more known yet
            self._apply(order, ExchangeEvent("NEW", ZERO, ZERO, update_ms, "ack", order_id, "NEW"))
            return
        executed = ZERO
        quote = ZERO
        for f in getattr(response, "fills", ()):
            executed += f.qty
            quote += f.qty * f.price
            if f.trade_id is not None:
                self._apply(
                    order,
                    ExchangeEvent(
                        str(status) if executed >= response.executed_qty else "PARTIALLY_FILLED",
                        executed,
                        quote,
                        update_ms,
                        "ack",
                        order_id,
                        ExecutionType.TRADE.value,
                        trade_id=f.trade_id,
                        last_price=f.price,
                        last_qty=f.qty,
                        commission=f.commission,
                        commission_asset=f.commission_asset,
                    ),
                )
        self._apply(
            order,
            ExchangeEvent(
                str(status), response.executed_qty, response.cummulative_quote_qty, update_ms, "ack", order_id
            ),
        )
        await self._sync_fills(order)

    # ---- state machine --------------------------------------------------------------------

    def _apply(self, order: ManagedOrder, event: ExchangeEvent) -> bool:
        """Journal and fold one exchange event; False for a duplicate. Fills move the
        position; the status only moves forward."""
        if not self.journal.record_event(order.intent.id, event):
            return False
        order.updated_at = time.monotonic()
        if event.order_id is not None and order.order_id is None:
            order.order_id = event.order_id
            self._by_order_id[(order.symbol, event.order_id)] = order
        if event.order_time_ms is not None:
            order.order_time_ms = event.order_time_ms
        if event.trade_id is not None and event.trade_id not in order._trade_ids:
            order._trade_ids.add(event.trade_id)
            order.fills.append(event)
            if event.last_qty and event.last_price is not None:
                self.positions.apply_fill(
                    order.symbol,
                    order.side,
                    event.last_qty,
                    event.last_price,
                    commission=event.commission or ZERO,
                    commission_asset=event.commission_asset,
                )
                self.risk.observe_pnl(self.positions.total_pnl())
        order.executed_qty = max(order.executed_qty, event.executed_qty)
        order.cumulative_quote = max(order.cumulative_quote, event.cumulative_quote)
        self._set_state(order, OrderState.from_exchange(event.status))
        return True

    def _set_state(self, order: ManagedOrder, new: OrderState) -> None:
        if new.rank > order.state.rank:
            log.info("order %s: %s -> %s", order.client_order_id, order.state, new)
            order.state = new
            if new.is_final:
                self._live.pop(order.client_order_id, None)
        self._maybe_done(order)

    def _maybe_done(self, order: ManagedOrder) -> None:
        # Final and every fill known: only then is the position right, so only then done.
        if order.is_final and order.filled_qty >= order.executed_qty:
            order._final.set()

    def on_execution_report(self, event: ExecutionReport) -> bool:
        """Apply a user-data-stream order update; idempotent (duplicates and late messages
        change nothing). Returns False when the event was a duplicate or not ours."""
        cid = event.client_order_id
        if event.execution_type is ExecutionType.CANCELED and event.orig_client_order_id:
            cid = event.orig_client_order_id
        order = self._orders.get(cid) or self._by_order_id.get((event.symbol, event.order_id))
        if order is None:
            log.debug("execution report for an order this manager does not track: %s", cid)
            return False
        is_trade = event.execution_type is ExecutionType.TRADE
        applied = self._apply(
            order,
            ExchangeEvent(
                status=event.order_status.value,
                executed_qty=event.cumulative_filled_qty,
                cumulative_quote=event.cumulative_quote_qty,
                update_ms=event.transaction_time,
                source="stream",
                order_id=event.order_id,
                execution_type=event.execution_type.value,
                order_time_ms=event.order_creation_time,
                trade_id=event.trade_id if is_trade else None,
                last_price=event.last_executed_price if is_trade else None,
                last_qty=event.last_executed_qty if is_trade else None,
                commission=event.commission if is_trade else None,
                commission_asset=event.commission_asset if is_trade else None,
            ),
        )
        if order.executed_qty > order.filled_qty:
            self._spawn(self._sync_fills(order))
        return applied

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sync_fills(self, order: ManagedOrder) -> None:
        """Fetch the order's trades when its executed quantity is ahead of the fills known
        (stream down, or a poll saw the fill first). Retried by the poller on failure."""
        if order.order_id is None or order.executed_qty <= order.filled_qty:
            self._maybe_done(order)
            return
        try:
            trades = await self.client.my_trades(order.symbol, order_id=order.order_id)
        except (TradeexecError, OSError, TimeoutError) as exc:
            self.policy.decide(exc, write=False, what=f"trades of {order.client_order_id}")
            return
        running = ZERO
        quote = ZERO
        for t in sorted(trades, key=lambda t: t.id):
            if t.order_id != order.order_id:
                continue
            running += t.qty
            quote += t.quote_qty
            self._apply(
                order,
                ExchangeEvent(
                    str(order.state if order.state.is_final else OrderState.PARTIALLY_FILLED),
                    running,
                    quote,
                    t.time,
                    "trades",
                    order.order_id,
                    ExecutionType.TRADE.value,
                    trade_id=t.id,
                    last_price=t.price,
                    last_qty=t.qty,
                    commission=t.commission,
                    commission_asset=t.commission_asset,
                ),
            )
        self._maybe_done(order)

    # ---- resolution of unknown outcomes ---------------------------------------------------

    async def _query(self, order: ManagedOrder) -> Order | None:
        """Look the order up by client order ID; None when the exchange says it does not
        exist (or the order found is an older one that reused the ID). Other errors raise."""
        intent = order.intent
        request_id = self.journal.record_request(intent.id, RequestKind.QUERY, attempt=1)
        try:
            found = await self.client.get_order(intent.symbol, orig_client_order_id=intent.client_order_id)
        except NoSuchOrder as exc:
            self.journal.record_outcome(request_id, OutcomeKind.NOT_FOUND, code=exc.code, msg=exc.msg)
            return None
        except BaseException as exc:
            self.journal.record_outcome(request_id, OutcomeKind.UNKNOWN, msg=str(exc))
            raise
        # Client order IDs are unique only among open orders: an order older than the intent
        # (beyond clock skew) is someone else's use of the same ID.
        if found.time < intent.created_ms - 60_000:
            self.journal.record_outcome(
                request_id, OutcomeKind.NOT_FOUND, msg=f"order found is older ({found.time})"
            )
            return None
        self.journal.record_outcome(request_id, OutcomeKind.ACK)
        self.policy.record_success()
        return found

    def _apply_order(self, order: ManagedOrder, found: Order) -> None:
        self._apply(
            order,
            ExchangeEvent(
                status=found.status.value,
                executed_qty=found.executed_qty,
                cumulative_quote=found.cummulative_quote_qty,
                update_ms=found.update_time,
                source="query",
                order_id=found.order_id,
                order_time_ms=found.time,
            ),
        )

    async def _resolve(self, order: ManagedOrder) -> None:
        """Settle an UNKNOWN order: adopt what the exchange has, or, once the original
        request can no longer be accepted, resend it with the same ID (or give it up if a
        cancel was asked for meanwhile)."""
        for attempt in range(1, self.max_resolve_attempts + 1):
            if order.state is not OrderState.UNKNOWN:
                break
            asked_ms = self._clock_ms()
            try:
                found = await self._query(order)
            except Exception as exc:
                decision = self.policy.decide(
                    exc, write=False, attempt=attempt, what=f"resolve {order.client_order_id}"
                )
                if decision.action is Action.HALT:
                    self.risk.trip(f"resolving {order.client_order_id}: {decision.reason}", emergency=False)
                    return
                await asyncio.sleep(decision.delay_s or self.policy.backoff(attempt))
                continue
            if found is not None:
                self._apply_order(order, found)
                await self._sync_fills(order)
                if order.cancel_requested and not order.is_final:
                    await self.cancel(order.client_order_id)
                return
            deadline = order.last_place_ms + order.intent.recv_window_ms + self.resend_margin_ms
            if asked_ms <= deadline:
                # The original may still be accepted: ask again once it no longer can be.
                await asyncio.sleep(max(0, deadline - self._clock_ms()) / 1000 + 0.001)
                continue
            if order.cancel_requested or order.place_attempts > self.max_resends:
                why = (
                    "canceled before it reached the exchange"
                    if order.cancel_requested
                    else "too many resends"
                )
                self._abandon(order, why)
                return
            log.warning(
                "order %s never reached the exchange; resending with the same ID", order.client_order_id
            )
            with contextlib.suppress(BinanceAPIError, InvalidParameter):  # journaled as REJECTED
                await self._place(order)
        if not order.is_final and order.state is OrderState.UNKNOWN:
            log.error(
                "order %s still unknown after %d lookups; the poller keeps trying",
                order.client_order_id,
                self.max_resolve_attempts,
            )

    def _abandon(self, order: ManagedOrder, why: str) -> None:
        reqs = self.journal.requests(order.intent.id)
        if reqs:
            self.journal.record_outcome(reqs[-1].id, OutcomeKind.ABANDONED, msg=why)
        else:
            rid = self.journal.record_request(order.intent.id, RequestKind.QUERY, attempt=1)
            self.journal.record_outcome(rid, OutcomeKind.ABANDONED, msg=why)
        order.reason = why
        log.warning("order %s abandoned: %s", order.client_order_id, why)
        self._set_state(order, OrderState.CANCELED)

    # ---- cancel / replace ------------------------------------------------------------------

    async def cancel(self, client_order_id: str, *, max_attempts: int = 5) -> ManagedOrder:
        """Cancel and return the order in its resulting state (CANCELED, or FILLED if it
        filled first). An UNKNOWN order is canceled once resolved, or never sent again."""
        order = self._orders[client_order_id]
        order.cancel_requested = True
        if order.state.is_final:
            return order
        if order.state in (OrderState.UNKNOWN, OrderState.PENDING_NEW):
            self._start_resolver(order)
            return order
        for attempt in range(1, max_attempts + 1):
            request_id = self.journal.record_request(order.intent.id, RequestKind.CANCEL, attempt=attempt)
            try:
                report = await self.client.cancel_order(order.symbol, orig_client_order_id=client_order_id)
            except Exception as exc:
                decision = self.policy.decide(
                    exc, write=True, attempt=attempt, what=f"cancel {client_order_id}"
                )
                code = exc.code if isinstance(exc, BinanceAPIError) else None
                kind = OutcomeKind.UNKNOWN if decision.action is Action.RESOLVE else OutcomeKind.REJECT
                self.journal.record_outcome(request_id, kind, code=code, msg=str(exc))
                if decision.action is Action.HALT:
                    raise
                # Refused (e.g. -2011: already filled or canceled) or unknown: the exchange
                # knows which; look it up and stop if it is over.
                with contextlib.suppress(TradeexecError, OSError, TimeoutError):
                    found = await self._query(order)
                    if found is not None:
                        self._apply_order(order, found)
                        await self._sync_fills(order)
                if order.is_final:
                    return order
                if decision.action is Action.FAIL and not isinstance(
                    exc, BinanceAPIError | OrderStatusUnknown
                ):
                    raise
                await asyncio.sleep(decision.delay_s)
                continue
            self.policy.record_success()
            self.journal.record_outcome(request_id, OutcomeKind.ACK)
            self._apply_cancel_report(order, report)
            await self._sync_fills(order)
            return order
        return order

    def _apply_cancel_report(self, order: ManagedOrder, report: Any) -> None:
        self._apply(
            order,
            ExchangeEvent(
                status=str(report.status),
                executed_qty=report.executed_qty,
                cumulative_quote=report.cummulative_quote_qty,
                update_ms=getattr(report, "transact_time", None) or self._clock_ms(),
                source="cancel",
                order_id=report.order_id,
                execution_type=ExecutionType.CANCELED.value,
            ),
        )

    async def cancel_all(self, symbol: str) -> list[ManagedOrder]:
        """Cancel every open order on ``symbol`` in one request (``DELETE openOrders``), then
        settle each managed order from the answer or, failing that, by lookup."""
        managed = self.open_orders(symbol)
        request_ids = {
            o.client_order_id: self.journal.record_request(o.intent.id, RequestKind.CANCEL, attempt=1)
            for o in managed
            if o.state not in (OrderState.UNKNOWN, OrderState.PENDING_NEW)
        }
        for o in managed:
            o.cancel_requested = True
        try:
            reports = await self.client.cancel_all_orders(symbol)
        except Exception as exc:
            decision = self.policy.decide(exc, write=True, what=f"cancel all {symbol}")
            for rid in request_ids.values():
                kind = OutcomeKind.UNKNOWN if decision.action is Action.RESOLVE else OutcomeKind.REJECT
                self.journal.record_outcome(rid, kind, msg=str(exc))
            reports = []
        for report in reports:
            cid = str(getattr(report, "orig_client_order_id", None) or getattr(report, "client_order_id", ""))
            order = self._orders.get(cid)
            if order is not None and hasattr(report, "status"):
                if cid in request_ids:
                    self.journal.record_outcome(request_ids.pop(cid), OutcomeKind.ACK)
                self._apply_cancel_report(order, report)
        for order in managed:
            if not order.is_final:
                await self.cancel(order.client_order_id)
        return managed

    async def replace(
        self, client_order_id: str, *, price: Decimal | None = None, quantity: Decimal | None = None
    ) -> ManagedOrder | None:
        """Cancel, then place what is left at the new price/quantity. Two journaled steps
        rather than ``cancelReplace``: each leg then has its own request, outcome and
        unknown-outcome resolution. None when nothing is left (the old order filled)."""
        old = await self.cancel(client_order_id)
        if old.state is not OrderState.CANCELED:
            await old.wait_final(None if old.is_final else self.stale_after_s * 10)
        if old.state is OrderState.FILLED or old.state is not OrderState.CANCELED:
            return None
        intent = old.intent
        left = quantity if quantity is not None else (intent.quantity or ZERO) - old.executed_qty
        if left <= 0:
            return None
        return await self.submit(
            OrderIntent(
                symbol=intent.symbol,
                side=Side(intent.side),
                type=OrderType(intent.type),
                quantity=left,
                price=price if price is not None else intent.price,
                time_in_force=None if intent.time_in_force is None else TimeInForce(intent.time_in_force),
                stop_price=intent.stop_price,
                strategy=intent.strategy,
                recv_window_ms=intent.recv_window_ms,
            )
        )

    # ---- polling fallback -----------------------------------------------------------------

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval_s)
            try:
                await self.poll_once()
            except Exception:
                # The poller is the fallback when the stream is down: it must outlive any
                # one bad answer, loudly.
                log.exception(
                    "order poller: a polling round failed; next round in %.1fs", self.poll_interval_s
                )

    async def poll_once(self) -> None:
        """Query every live order nobody has heard of for ``stale_after_s``, restart stalled
        resolutions, and fetch missing fills."""
        now = time.monotonic()
        for order in list(self._orders.values()):
            if order.state is OrderState.UNKNOWN:
                self._start_resolver(order)
                continue
            if order.is_final:
                if order.executed_qty > order.filled_qty:
                    await self._sync_fills(order)
                continue
            if now - order.updated_at < self.stale_after_s or order.state is OrderState.PENDING_NEW:
                continue
            try:
                found = await self._query(order)
            except Exception as exc:
                self.policy.decide(exc, write=False, what=f"poll {order.client_order_id}")
                continue
            order.updated_at = time.monotonic()
            if found is not None:
                self._apply_order(order, found)
                await self._sync_fills(order)

    # ---- reconciliation -------------------------------------------------------------------

    async def reconcile(self) -> ReconcileReport:
        """Settle everything the journal left in flight and compare with the exchange: each
        in-flight intent is looked up by client order ID (resent or abandoned per the rules
        of ``_resolve``), open orders and recent trades of journaled symbols are read, and
        orders on the exchange the journal does not know are reported (or adopted, when they
        carry this manager's ID format and the journal was lost)."""
        report = ReconcileReport()
        for derived in self.journal.in_flight():
            intent = derived.intent
            order = self._orders.get(intent.client_order_id) or self._restore(derived)
            before = order.state
            if before is OrderState.PENDING_NEW:
                if self._clock_ms() - intent.created_ms > self.unsent_max_age_ms:
                    self._abandon(order, "journaled but never sent; too old to send late")
                    report.abandoned.append(intent.client_order_id)
                    continue
                await self._place(order)
                report.resent.append(intent.client_order_id)
            elif before is OrderState.UNKNOWN:
                self._start_resolver(order)
            else:
                with contextlib.suppress(TradeexecError, OSError, TimeoutError):
                    found = await self._query(order)
                    if found is not None:
                        self._apply_order(order, found)
            if order._resolver is not None and not order._resolver.done():
                with contextlib.suppress(TradeexecError, OSError, TimeoutError):
                    await order._resolver
            await self._sync_fills(order)
            if order.place_attempts > 1 and intent.client_order_id not in report.resent:
                report.resent.append(intent.client_order_id)
            if order.state is OrderState.UNKNOWN:
                report.unresolved.append(intent.client_order_id)
            if order.state is not before:
                report.settled[intent.client_order_id] = (before, order.state)
        await self._reconcile_open_orders(report)
        return report

    def _restore(self, derived: DerivedState) -> ManagedOrder:
        order = ManagedOrder(derived.intent)
        order.state = derived.state
        order.order_id = derived.order_id
        order.executed_qty = derived.executed_qty
        order.cumulative_quote = derived.cumulative_quote
        order.fills = self.journal.fills(derived.intent.client_order_id)
        order._trade_ids = {f.trade_id for f in order.fills if f.trade_id is not None}
        places = [r for r in self.journal.requests(derived.intent.id) if r.kind is RequestKind.PLACE]
        order.place_attempts = len(places)
        order.last_place_ms = places[-1].sent_ms if places else 0
        self._track(order)
        if order.order_id is not None:
            self._by_order_id[(order.symbol, order.order_id)] = order
        if self.rules is not None and derived.intent.symbol in self.rules:
            r = self.rules[derived.intent.symbol]
            self.positions.register_symbol(r.symbol, r.base_asset, r.quote_asset)
        return order

    async def _reconcile_open_orders(self, report: ReconcileReport) -> None:
        try:
            on_exchange = await self.client.open_orders()
        except (TradeexecError, OSError, TimeoutError) as exc:
            self.policy.decide(exc, write=False, what="reconcile open orders")
            return
        for ex in on_exchange:
            order = self._orders.get(ex.client_order_id)
            if order is not None:
                self._apply_order(order, ex)
                continue
            if self.journal.recovered_from is not None and OUR_ID_RE.search(ex.client_order_id):
                self._adopt(ex)
                report.adopted.append(ex.client_order_id)
                continue
            if self.journal.intent(ex.client_order_id) is None:
                report.unmanaged_open_orders.append(ex)
        if report.unmanaged_open_orders:
            log.warning(
                "reconcile: %d open orders on the exchange are not in the journal: %s",
                len(report.unmanaged_open_orders),
                ", ".join(o.client_order_id for o in report.unmanaged_open_orders),
            )

    def _adopt(self, ex: Order) -> None:
        """Journal an open order of ours found on the exchange after the journal was lost."""
        strategy = ex.client_order_id.split("_", 1)[0]
        intent = self.journal.record_intent(
            Intent(
                client_order_id=ex.client_order_id,
                strategy=strategy,
                symbol=ex.symbol,
                side=ex.side.value,
                type=ex.type.value,
                quantity=ex.orig_qty,
                quote_quantity=ex.orig_quote_order_qty or None,
                price=ex.price or None,
                time_in_force=ex.time_in_force.value,
                stop_price=ex.stop_price or None,
                created_ms=ex.time,
                recv_window_ms=5000,
            )
        )
        order = ManagedOrder(intent)
        self._track(order)
        self._apply_order(order, ex)
        log.warning("reconcile: adopted open order %s from the exchange", ex.client_order_id)
