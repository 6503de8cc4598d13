"""The order manager: every intent sent exactly once and followed to its end.

The rules it lives by:

* Nothing is sent before it is journaled (intent, then each request, each committed).
* An order whose answer was lost is UNKNOWN and is looked up by its client order ID, never
  resent blindly. It is resent (with the same ID) only when a lookup says the order does not
  exist *after* the exchange's own clock, read before that lookup, and the monotonic clock
  both show the original request's recvWindow has passed (``resend_rule``): from then on the
  exchange can no longer accept the original, so the resend cannot make a duplicate. No
  local wall-clock step can make that judgement early.
* Nothing is placed once the kill switch has tripped (one check right before the wire);
  an order not sent because of it is journaled as abandoned, with the reason.
* A journal write that fails after an order is journaled never reaches the caller: the
  manager degrades (no new orders), follows the order in memory, and journals what happened
  once it can (``journal_guard``).
* State only moves forward (PENDING_NEW -> UNKNOWN -> NEW -> PARTIALLY_FILLED -> final), so
  late, duplicated or out-of-order stream messages and polls cannot undo what is known.
* The user data stream drives updates through ``on_execution_report``; a background poller
  queries orders nobody has heard of for a while, so a dead stream delays but never loses an
  update, and callers never block on it (``await order.wait_final(timeout)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import operator
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any, Protocol, TypeVar

from tradeexec.binance.enums import ExecutionType, OrderResponseType, OrderType, Side, TimeInForce
from tradeexec.binance.errors import MSG_DUPLICATE_ORDER, NoSuchOrder
from tradeexec.binance.models import (
    Account,
    AvgPrice,
    ExecutionReport,
    MyTrade,
    Order,
    OrderReport,
    ServerTime,
    TickerPrice,
)
from tradeexec.binance.models.wallet import SystemStatus
from tradeexec.binance.rest.order_args import order_args
from tradeexec.binance.rest.params import check_enum, check_int
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.rules.grid import Rounding
from tradeexec.binance.rules.order_check import MarketContext, OrderCheck
from tradeexec.binance.rules.symbol_rules import SymbolRules
from tradeexec.config import is_local_exchange
from tradeexec.errors import (
    BinanceAPIError,
    InvalidParameter,
    JournalUnavailable,
    OrderStatusUnknown,
    TradeexecError,
)
from tradeexec.execution import adopt
from tradeexec.execution.avg_prices import AveragePrices
from tradeexec.execution.journal import (
    DerivedState,
    ExchangeEvent,
    Intent,
    Journal,
    OrderState,
    OutcomeKind,
    RequestKind,
)
from tradeexec.execution.journal_guard import JOURNAL_ERRORS, JournalGuard
from tradeexec.execution.policy import Action, ErrorPolicy
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.resend_rule import SendMark, Verdict, judge, monotonic_wait_s
from tradeexec.execution.risk import Exposure, KeyPermissions, OrderRisk, RiskLimitExceeded, RiskManager
from tradeexec.execution.valuation import VALUATION_ASSET, Marks, MarkSource, Valuation

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
    stamp = _stamp(int(time.time())) if now is None else now.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    if token is None:
        tail = secrets.token_hex(4)
    elif _TOKEN_RE.fullmatch(token):
        tail = token
    else:
        raise ValueError(f"token must be 8 lowercase hex digits, not {token!r}")
    return f"{_prefix(strategy, symbol)}{stamp}_{tail}"


_TOKEN_RE = re.compile(r"[0-9a-f]{8}")


@functools.lru_cache(maxsize=4)
def _stamp(second: int) -> str:
    # strftime costs more than the rest of the ID, and it changes once a second.
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(second))


@functools.lru_cache(maxsize=256)
def _prefix(strategy: str, symbol: str) -> str:
    strat = _clean(strategy) or "s"
    sym = _clean(symbol) or "x"
    strat = strat[: max(1, _PARTS_BUDGET - len(sym))]
    sym = sym[: _PARTS_BUDGET - len(strat)]
    return f"{strat}_{sym}_"


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

    async def all_orders(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        limit: int | None = None,
    ) -> Sequence[Order]: ...

    async def my_trades(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
    ) -> Sequence[MyTrade]: ...

    async def ticker_price(self, symbol: str) -> TickerPrice: ...

    async def ticker_prices(self, symbols: Sequence[str] | None = None) -> list[TickerPrice]: ...

    async def account(self) -> Account: ...
    async def avg_price(self, symbol: str) -> AvgPrice: ...

    async def api_restrictions(self) -> KeyPermissions: ...

    async def system_status(self) -> SystemStatus: ...

    async def server_time(self) -> ServerTime: ...

    def timestamp_ms(self) -> int:
        """The ``timestamp`` the client would sign a request with now (its local clock plus
        its measured server-time offset)."""
        ...


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


def _checked(request: OrderIntent) -> OrderIntent:
    """The intent with its values checked (and enums parsed) as the client checks an order, so
    a bad value is refused naming its field before it is rounded, journaled or sent."""
    kind = check_enum("type", request.type, OrderType)
    tif = request.time_in_force
    if tif is None and kind in (OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT):
        tif = TimeInForce.GTC
    check = order_args(
        request.symbol, request.side, kind, quantity=request.quantity, quote_order_qty=request.quote_quantity,
        price=request.price, time_in_force=tif, stop_price=request.stop_price,
    ).check  # fmt: skip
    if request.strategy is not None and not isinstance(request.strategy, str):
        raise InvalidParameter("strategy", "must be a str", type(request.strategy).__name__)
    recv_window_ms = check_int("recvWindow", request.recv_window_ms, 1, 60_000)
    checked = (
        check.side, kind, check.quantity, check.quote_order_qty, check.price, check.time_in_force,
        check.stop_price,
    )  # fmt: skip
    given = (
        request.side, request.type, request.quantity, request.quote_quantity, request.price,
        request.time_in_force, request.stop_price,
    )  # fmt: skip
    # The checks hand back the very objects they accepted, so an intent built with enums and
    # Decimals (the usual case) is already what they make of it and need not be copied.
    if recv_window_ms is request.recv_window_ms and all(map(operator.is_, checked, given)):
        return request
    return OrderIntent(
        request.symbol, check.side, kind, quantity=check.quantity, quote_quantity=check.quote_order_qty,
        price=check.price, time_in_force=check.time_in_force, stop_price=check.stop_price,
        strategy=request.strategy, recv_window_ms=recv_window_ms,
    )  # fmt: skip


class ManagedOrder:
    """The manager's live view of one order. Read it; only the manager changes it."""

    def __init__(self, intent: Intent) -> None:
        self.intent = intent
        self.side = Side(intent.side)
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
        self.sent: SendMark | None = None  # the last placement, for the resend rule
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


_DUPLICATE_MSG = MSG_DUPLICATE_ORDER
# Client order IDs are unique only among open orders; an exchange order this much older than
# an intent (beyond any clock skew) is someone else's use of the ID.
_CLOCK_SKEW_MS = 60_000
_PAGE = 1000  # the most allOrders and myTrades return at once
_MAX_PAGES = 10
_T = TypeVar("_T")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _same_order(order: ManagedOrder, ex: Order) -> bool:
    """Whether the exchange's order is this intent's: client order IDs are unique only among
    open orders, so an order with another id, or older than the intent (beyond clock skew),
    is an earlier use of the same ID."""
    return order.order_id in (None, ex.order_id) and ex.time >= order.intent.created_ms - _CLOCK_SKEW_MS


class OrderManager:
    """Journal, risk, rules and policy around a client. Use ``async with`` or call
    ``start()`` (loads rules, reconciles, starts the poller) and ``close()``.

    ``prices`` gives a mark per symbol (for risk, notional checks and valuation); behind it
    the client's ticker is polled every ``mark_refresh_s`` (None: off). ``start`` values what
    the account holds in ``valuation_asset`` and refuses to start when it cannot (see
    ``tradeexec.execution.valuation``): PnL and every limit count coins held before the start.
    Filters the exchange judges at its average price are checked at ``average_prices``'
    cached figure (see ``execution/avg_prices.py``).
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
        prices: MarkSource | None = None,
        mark_refresh_s: float | None = 2.0,
        valuation_asset: str = VALUATION_ASSET,
        poll_interval_s: float = 1.0,
        stale_after_s: float = 5.0,
        resend_margin_ms: int = 1000,
        max_resends: int = 3,
        max_resolve_attempts: int = 40,
        unsent_max_age_ms: int = 60_000,
        live_poll_factor: float = 10.0,
        preflight: bool = True,
        clock_ms: Callable[[], int] = _now_ms,
        average_prices: AveragePrices | None = None,
    ) -> None:
        self.client = client
        self.average_prices = average_prices or AveragePrices(client)
        self.journal = journal
        self.strategy = strategy
        self.risk = risk or RiskManager()
        self.positions = positions or PositionTracker()
        self.policy = policy or ErrorPolicy()
        self.marks = Marks(prices or self.positions.prices, client, mark_refresh_s)
        self.valuation = Valuation(self.positions, self.marks, valuation_asset)
        self.poll_interval_s = poll_interval_s
        self.stale_after_s = stale_after_s
        self.resend_margin_ms = resend_margin_ms
        self.max_resends = max_resends
        self.max_resolve_attempts = max_resolve_attempts
        self.unsent_max_age_ms = unsent_max_age_ms
        self.live_poll_factor = live_poll_factor
        self.preflight = preflight
        self._clock_ms = clock_ms
        self._stream_live = False
        self._poll_wake = asyncio.Event()
        self.rules: ExchangeRules | None = None
        self._orders: dict[str, ManagedOrder] = {}
        # Orders not yet final, so that open_orders() costs what is open, not all history.
        self._live: dict[str, ManagedOrder] = {}
        # Final orders whose fills are not all known yet: with the live ones, all the poller
        # has to look at.
        self._fills_due: dict[str, ManagedOrder] = {}
        self._by_order_id: dict[tuple[str, int], ManagedOrder] = {}  # order ids are per symbol
        self._poller: asyncio.Task[None] | None = None
        self._scanned_for_adoption = False  # the first reconciliation reads wider (``adopt``)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._guard = JournalGuard(journal)
        # Any placement a previous process made was sent before this moment.
        self._born_mono = time.monotonic()

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self, *, reconcile: bool = True, symbols: Iterable[str] = ()) -> ReconcileReport | None:
        """Preflight (unless ``preflight=False``), load the rules, reconcile (also reading
        recent orders of ``symbols``: see ``reconcile``), start the poller.
        Raises ``UnsafeApiKey`` (a ``ConfigError``) when the key may move funds."""
        if self.preflight:
            await self._preflight()
        if self.rules is None:
            self.rules = await self.client.rules()
        report = await self.reconcile(symbols=symbols) if reconcile else None
        if self._poller is None:
            await self.valuation.start(self.client, self.rules, self.risk)
            self._spawn(self.valuation.run(self.risk))
            self._poller = asyncio.create_task(self._poll_loop(), name="order-poller")
        return report

    async def close(self) -> None:
        await self.average_prices.close()
        tasks = [t for t in (self._poller, *self._tasks) if t is not None]
        tasks += [o._resolver for o in self._orders.values() if o._resolver is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._poller = None

    async def _preflight(self) -> None:
        """Before any order: a key that can withdraw or transfer is refused (see
        ``RiskLimits.allow_fund_moving_key``), and exchange maintenance pauses trading through
        the policy. A venue without these endpoints (404: the testnet has no ``/sapi``) is
        logged and skipped rather than fatal, since there nothing can be checked."""
        try:
            restrictions = await self.client.api_restrictions()
        except BinanceAPIError as exc:
            if exc.http_status != 404:
                raise
            log.warning("preflight: the venue has no API key permission endpoint (%s); not checked", exc)
        else:
            self.risk.check_key_permissions(restrictions, local_exchange=is_local_exchange(self.client))
        await self._check_system_status()

    async def _check_system_status(self) -> None:
        try:
            status = await self.client.system_status()
        except BinanceAPIError as exc:
            if exc.http_status != 404:
                raise
            log.warning("preflight: the venue has no system status endpoint (%s); not checked", exc)
            return
        self.policy.note_system_status(status.status, status.msg)

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

    @property
    def stream_live(self) -> bool:
        """Whether the user data stream is delivering order updates (set by the feed).

        Live: updates arrive by the stream, so the poller only looks at orders nobody has
        heard of (UNKNOWN ones are resolved by their own tasks) every ``live_poll_factor``
        poll intervals. Down (the default, also with no feed at all): the poller is the only
        source of updates and runs every ``poll_interval_s`` (place and verify); a round that
        is already due then runs at once. Catching up on what an outage hid is the feed's
        resync, not the poller's."""
        return self._stream_live

    @stream_live.setter
    def stream_live(self, live: bool) -> None:
        if live != self._stream_live:
            every = self.poll_interval_s * (self.live_poll_factor if live else 1.0)
            log.info("user data stream %s: polling orders every %.1fs", "live" if live else "down", every)
            self._stream_live = live
            self._poll_wake.set()

    @property
    def journal_problem(self) -> str | None:
        """Why the journal cannot be written, while it cannot (None when it is fine). Until
        then no new order is sent, and orders in flight are followed in memory and journaled
        once writes succeed again (the poller and ``submit`` retry)."""
        return self._guard.problem

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
        """Read, not fetched: only a symbol no source has priced yet is asked once."""
        return self.marks(symbol) or await self.marks.fetch(symbol)

    # ---- submit ---------------------------------------------------------------------------

    async def submit(self, request: OrderIntent) -> ManagedOrder:
        """Round, validate, risk-check, journal and send. Raises OrderRejectedLocally
        (including RiskLimitExceeded) when refused before sending and the exchange's error
        when it refused; returns the order when it was accepted or its outcome is unknown
        (then it is being resolved in the background)."""
        request = _checked(request)
        self.risk.ensure_can_trade()
        self.policy.check_can_send()
        if not self._guard.catch_up():
            raise JournalUnavailable(
                f"order refused, nothing sent: {self._guard.problem}; no new orders until it can be "
                f"written again ({self._guard.orders_due()} orders wait to be journaled)"
            )
        rules = self._symbol_rules(request.symbol)
        self.positions.register_symbol(rules.symbol, rules.base_asset, rules.quote_asset)
        mark = await self.mark_price(request.symbol)
        intent = self._rounded(request, rules)
        check = OrderCheck(
            symbol=intent.symbol,
            side=request.side,
            type=request.type,
            quantity=intent.quantity,
            quote_order_qty=intent.quote_quantity,
            price=intent.price,
            stop_price=intent.stop_price,
            time_in_force=request.time_in_force,
        )
        open_now = len(self.open_orders(request.symbol))
        ready, average = self.average_prices.peek(rules)
        if not ready:
            # The exchange's average price must be fetched first (see avg_prices.py): an
            # order refused by the filters that need no live price costs no request.
            rules.validate(check, MarketContext(open_orders=open_now))
            average = await self.average_prices.get(rules)
        market = MarketContext(last_price=mark, weighted_avg_price=average, open_orders=open_now)
        rules.validate(check, market)
        self.risk.check_order(self._order_risk(intent, request, mark), self._exposure(intent.symbol))
        # The intent and its first placement request are one commit, made before the send.
        order: ManagedOrder | None = None
        try:
            with self.journal.transaction():
                order = ManagedOrder(self.journal.record_intent(intent))
                request_id = self._journal_place(order)
        except JOURNAL_ERRORS as exc:
            self._refuse_unjournaled(order, exc)
            raise JournalUnavailable(
                f"order refused, nothing sent: journal {self.journal.path} could not be written: {exc}"
            ) from exc
        self._track(order)
        if not await self._send_place(order, request_id):
            raise RiskLimitExceeded("kill_switch", f"trading stopped, order not sent: {order.reason}")
        return order

    def _refuse_unjournaled(self, order: ManagedOrder | None, exc: BaseException) -> None:
        """A journal write before the send failed: the order is not sent and must not use up
        the order rate. Its intent row may have reached the file all the same, so the order is
        kept and journaled as abandoned (now or by the catch-up): a restart must not send it."""
        self.risk.refund_token()
        if order is not None:
            self._guard.fail(order, exc)
            self._track(order)
            self._abandon(order, f"never sent: the journal could not record it ({exc})")

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

    async def _place(self, order: ManagedOrder) -> bool:
        """Send (or resend, same client order ID) the placement. Journal first: while the
        journal cannot be written nothing is sent (False, the order is left as it was)."""
        if self._guard.degraded:
            return False
        try:
            request_id = self._journal_place(order)
        except JOURNAL_ERRORS as exc:
            self._guard.fail(order, exc)
            return False
        return await self._send_place(order, request_id)

    def _journal_place(self, order: ManagedOrder) -> int:
        order.place_attempts += 1
        order.last_place_ms = self._clock_ms()
        return self.journal.record_request(
            order.intent.id, RequestKind.PLACE, attempt=order.place_attempts, sent_ms=order.last_place_ms
        )

    async def _send_place(self, order: ManagedOrder, request_id: int) -> bool:
        """Put the placement on the wire, unless the kill switch is tripped: False then, and
        the order is abandoned. Every placement and resend passes this one check right before
        the wire, so no path (resolver, reconcile, replace, the Executor) sends after a stop;
        the emergency stop's own sells do not come through here."""
        stop = self.risk.trip_reason
        if stop is not None:
            self._abandon(order, f"not sent: kill switch tripped ({stop})")
            return False
        intent = order.intent
        if order.state is OrderState.PENDING_NEW:
            order.state = OrderState.UNKNOWN  # sent: until answered, only the exchange knows
        signed_lo = self.client.timestamp_ms()
        sent_mono = time.monotonic()
        try:
            try:
                response = await self.client.new_order(
                    intent.symbol,
                    order.side,
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
            finally:
                # The latest timestamp it can have been signed with (a -1021 re-signs it).
                order.sent = SendMark(max(signed_lo, self.client.timestamp_ms()), sent_mono)
        except asyncio.CancelledError:
            self._outcome_unknown(order, request_id, "the caller was cancelled while the order was in flight")
            raise
        except (BinanceAPIError, InvalidParameter) as exc:
            decision = self.policy.decide(exc, write=True, what=f"place {intent.client_order_id}")
            # MSG_DUPLICATE_ORDER means an open order already carries this ID: it exists,
            # so it is looked up, never marked rejected.
            if decision.action is Action.RESOLVE or getattr(exc, "msg", "") == _DUPLICATE_MSG:
                self._outcome_unknown(order, request_id, str(exc))
                return True
            code = exc.code if isinstance(exc, BinanceAPIError) else None
            self._guard.outcome(order, request_id, OutcomeKind.REJECT, code=code, msg=str(exc))
            order.reason = str(exc)
            self._set_state(order, OrderState.REJECTED)
            if decision.action is Action.HALT:
                self.risk.trip(f"exchange refused the key: {exc}", emergency=False)
            raise
        except Exception as exc:  # timeouts, dropped connections, OrderStatusUnknown
            self.policy.decide(exc, write=True, what=f"place {intent.client_order_id}")
            self._outcome_unknown(order, request_id, str(exc))
            return True
        self.policy.record_success()
        # The answer (its outcome and every event it carries) is one commit.
        with self._guard.transaction(order):
            self._guard.outcome(order, request_id, OutcomeKind.ACK)
            self._apply_response(order, response)
        await self._sync_fills(order)
        return True

    def _outcome_unknown(self, order: ManagedOrder, request_id: int, cause: str) -> None:
        self._guard.outcome(order, request_id, OutcomeKind.UNKNOWN, msg=cause)
        order.reason = cause
        log.warning("order %s outcome unknown (%s); resolving by lookup", order.client_order_id, cause)
        self._start_resolver(order)

    def _start_resolver(self, order: ManagedOrder) -> None:
        if order._resolver is None or order._resolver.done():
            order._resolver = asyncio.create_task(
                self._resolve(order), name=f"resolve-{order.client_order_id}"
            )

    def _apply_response(self, order: ManagedOrder, response: Any) -> None:
        """Fold a placement answer (ACK, RESULT or FULL) into the order."""
        update_ms = getattr(response, "transact_time", None) or self._clock_ms()
        order_id = response.order_id
        status = getattr(response, "status", None)
        if status is None:  # ACK: accepted, nothing more known yet
            self._apply(order, ExchangeEvent("NEW", ZERO, ZERO, update_ms, "ack", order_id, "NEW"))
            return
        executed = ZERO
        quote = ZERO
        said: tuple[Decimal, Decimal] | None = None  # what the last fill event journaled
        # A FULL answer's fills carry no quote amount: the exchange books each trade's quote
        # rounded down to the quote asset's precision, so that is what each fill moved.
        quote_unit = Decimal(1).scaleb(-self._symbol_rules(order.symbol).quote_asset_precision)
        for f in getattr(response, "fills", ()):
            executed += f.qty
            last_quote = (f.qty * f.price).quantize(quote_unit, rounding=ROUND_DOWN)
            # Never journal more than the exchange's own total says.
            quote = min(quote + last_quote, response.cummulative_quote_qty)
            if f.trade_id is not None:
                said = (executed, quote)
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
                        last_quote=last_quote,
                    ),
                )
        if said == (response.executed_qty, response.cummulative_quote_qty):
            return  # the last fill's event already said all the summary would
        self._apply(
            order,
            ExchangeEvent(
                str(status), response.executed_qty, response.cummulative_quote_qty, update_ms, "ack", order_id
            ),
        )

    # ---- state machine --------------------------------------------------------------------

    def _apply(self, order: ManagedOrder, event: ExchangeEvent) -> bool:
        """Journal and fold one exchange event; False for a duplicate. Fills move the
        position; the status only moves forward."""
        if not self._guard.event(order, event):
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
                    quote_qty=event.last_quote,
                    trade_id=event.trade_id,
                    time_ms=event.update_ms,
                )
                self.valuation.observe(self.risk)
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
        if not order.is_final:
            return
        if order.filled_qty >= order.executed_qty:
            self._fills_due.pop(order.client_order_id, None)
            order._final.set()
        else:
            self._fills_due[order.client_order_id] = order

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
                last_quote=event.last_quote_qty if is_trade else None,
            ),
        )
        if order.executed_qty > order.filled_qty:
            self._spawn(self._sync_fills(order))
        return applied

    def on_order_update(self, snapshot: Order) -> bool:
        """Apply an order as REST reports it now (the user data stream's account of what it
        missed while down); idempotent. Returns whether the order's state or executed
        quantity moved. A snapshot carries no trades: missing fills are fetched by a task of
        the manager's, so the caller (the stream's consumer) never waits on a request."""
        order = self._orders.get(snapshot.client_order_id) or self._by_order_id.get(
            (snapshot.symbol, snapshot.order_id)
        )
        if order is None or not _same_order(order, snapshot):
            return False
        before = (order.state, order.executed_qty)
        self._apply_order(order, snapshot)
        if order.executed_qty > order.filled_qty:
            self._spawn(self._sync_fills(order))
        return (order.state, order.executed_qty) != before

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
        trades = await self._fetch_trades(order, order.order_id)
        with self._guard.transaction(order):
            self._fold_trades(order, trades)

    async def _fetch_trades(self, order: ManagedOrder, order_id: int) -> Sequence[MyTrade]:
        """The order's trades, or none when asking failed (the fills stay due)."""
        try:
            return await self.client.my_trades(order.symbol, order_id=order_id)
        except (TradeexecError, OSError, TimeoutError) as exc:
            self.policy.decide(exc, write=False, what=f"trades of {order.client_order_id}")
            return ()

    async def _settle_found(self, order: ManagedOrder, found: Order) -> None:
        """Fold a lookup's answer and the fills it implies in one commit, trades fetched
        first: a kill in between leaves neither (the order is still in flight and is looked
        up again), never a final status without its fills. When the trades cannot be had the
        status is journaled alone and the fills stay due (poller, next start's reconcile)."""
        trades: Sequence[MyTrade] = ()
        if found.executed_qty > order.filled_qty:
            trades = await self._fetch_trades(order, found.order_id)
        with self._guard.transaction(order):
            self._apply_order(order, found)
            self._fold_trades(order, trades)

    def _fold_trades(self, order: ManagedOrder, trades: Sequence[MyTrade]) -> int:
        """Apply the order's trades (all of them, in id order: each event carries the running
        executed quantity); returns how many fills were new."""
        known = len(order.fills)
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
                    last_quote=t.quote_qty,
                ),
            )
        self._maybe_done(order)
        return len(order.fills) - known

    # ---- resolution of unknown outcomes ---------------------------------------------------

    async def _query(self, order: ManagedOrder, note: str = "") -> Order | None:
        """Look the order up by client order ID; None when the exchange says it does not
        exist (or the order found is an older one that reused the ID). Other errors raise.
        ``note`` (what a resend would rest on) joins a not-found outcome in the journal."""
        intent = order.intent
        guard = self._guard
        request_id = guard.request(order, RequestKind.QUERY, attempt=1)
        note = f"; {note}" if note else ""
        try:
            found = await self.client.get_order(intent.symbol, orig_client_order_id=intent.client_order_id)
        except NoSuchOrder as exc:
            guard.outcome(order, request_id, OutcomeKind.NOT_FOUND, code=exc.code, msg=exc.msg + note)
            return None
        except BaseException as exc:
            guard.outcome(order, request_id, OutcomeKind.UNKNOWN, msg=str(exc))
            raise
        # Client order IDs are unique only among open orders: an order older than the intent
        # (beyond clock skew) is someone else's use of the same ID.
        if found.time < intent.created_ms - _CLOCK_SKEW_MS:
            older = f"order found is older ({found.time}){note}"
            guard.outcome(order, request_id, OutcomeKind.NOT_FOUND, msg=older)
            return None
        guard.outcome(order, request_id, OutcomeKind.ACK)
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
        if order.sent is None:
            # Restored from the journal: sent by an earlier process, so before this one began
            # (the monotonic wait counts from then), signed at about the journaled time plus
            # today's offset (a wall clock stepped since is what the monotonic wait covers).
            offset = self.client.timestamp_ms() - self._clock_ms()
            order.sent = SendMark(order.last_place_ms + offset, self._born_mono)
        for attempt in range(1, self.max_resolve_attempts + 1):
            if order.state is not OrderState.UNKNOWN:
                break
            verdict = await self._judge(order)  # the server time is read before the lookup
            try:
                found = await self._query(order, verdict.why)
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
                await self._settle_found(order, found)
                # Found live after a stop: it landed after the stop canceled everything, so
                # the stop's work is finished here.
                if (order.cancel_requested or self.risk.tripped) and not order.is_final:
                    await self.cancel(order.client_order_id)
                return
            if not verdict.dead:
                # The original may still be accepted: ask again once it no longer can be.
                window_s = (order.intent.recv_window_ms + self.resend_margin_ms) / 1000
                wait_s = verdict.wait_s or self.policy.backoff(attempt)
                await asyncio.sleep(min(wait_s, window_s) + 0.001)
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
                if not await self._place(order) and order.state is OrderState.UNKNOWN:
                    # The journal cannot record a resend, so none is sent; look again later.
                    await asyncio.sleep(self.policy.backoff(attempt))
        if not order.is_final and order.state is OrderState.UNKNOWN:
            log.error(
                "order %s still unknown after %d lookups; the poller keeps trying",
                order.client_order_id,
                self.max_resolve_attempts,
            )

    async def _judge(self, order: ManagedOrder) -> Verdict:
        """The resend rule (``resend_rule``) for the lookup about to be made: the server
        time is fetched only once the monotonic half holds, and its failure is doubt."""
        mark = order.sent
        assert mark is not None
        window, margin = order.intent.recv_window_ms, self.resend_margin_ms
        server_ms: int | None = None
        if monotonic_wait_s(mark, window, margin, time.monotonic()) <= 0:
            try:
                server_ms = (await self.client.server_time()).server_time
            except (TradeexecError, OSError, TimeoutError) as exc:
                self.policy.decide(exc, write=False, what=f"server time to resolve {order.client_order_id}")
        return judge(mark, window, margin, server_ms=server_ms, now_mono=time.monotonic())

    def _abandon(self, order: ManagedOrder, why: str) -> None:
        self._guard.abandon(order, why)
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
            request_id = self._guard.request(order, RequestKind.CANCEL, attempt=attempt)
            try:
                report = await self.client.cancel_order(order.symbol, orig_client_order_id=client_order_id)
            except Exception as exc:
                decision = self.policy.decide(
                    exc, write=True, attempt=attempt, what=f"cancel {client_order_id}"
                )
                code = exc.code if isinstance(exc, BinanceAPIError) else None
                kind = OutcomeKind.UNKNOWN if decision.action is Action.RESOLVE else OutcomeKind.REJECT
                self._guard.outcome(order, request_id, kind, code=code, msg=str(exc))
                if decision.action is Action.HALT:
                    raise
                # Refused (e.g. -2011: already filled or canceled) or unknown: the exchange
                # knows which; look it up and stop if it is over.
                with contextlib.suppress(TradeexecError, OSError, TimeoutError):
                    found = await self._query(order)
                    if found is not None:
                        await self._settle_found(order, found)
                if order.is_final:
                    return order
                if decision.action is Action.FAIL and not isinstance(
                    exc, BinanceAPIError | OrderStatusUnknown
                ):
                    raise
                await asyncio.sleep(decision.delay_s)
                continue
            self.policy.record_success()
            self._guard.outcome(order, request_id, OutcomeKind.ACK)
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
            o.client_order_id: (o, self._guard.request(o, RequestKind.CANCEL, attempt=1))
            for o in managed
            if o.state not in (OrderState.UNKNOWN, OrderState.PENDING_NEW)
        }
        for o in managed:
            o.cancel_requested = True
        try:
            reports = await self.client.cancel_all_orders(symbol)
        except Exception as exc:
            decision = self.policy.decide(exc, write=True, what=f"cancel all {symbol}")
            for o, rid in request_ids.values():
                kind = OutcomeKind.UNKNOWN if decision.action is Action.RESOLVE else OutcomeKind.REJECT
                self._guard.outcome(o, rid, kind, msg=str(exc))
            reports = []
        for report in reports:
            cid = str(getattr(report, "orig_client_order_id", None) or getattr(report, "client_order_id", ""))
            order = self._orders.get(cid)
            if order is not None and hasattr(report, "status"):
                if cid in request_ids:
                    self._guard.outcome(order, request_ids.pop(cid)[1], OutcomeKind.ACK)
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

    def _poll_interval(self) -> float:
        return self.poll_interval_s * (self.live_poll_factor if self._stream_live else 1.0)

    async def _poll_loop(self) -> None:
        last = time.monotonic()
        while True:
            interval = self._poll_interval()
            delay = last + interval - time.monotonic()
            if delay > 0:
                # Woken early when the stream's state changes: a stream going down must not
                # leave the poller asleep for a live stream's long interval.
                self._poll_wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._poll_wake.wait()
                continue
            last = time.monotonic()
            try:
                if self.policy.in_maintenance:
                    # A ban or an outage while asking is expected here (the transport logged
                    # it); the next round asks again.
                    with contextlib.suppress(TradeexecError, OSError, TimeoutError):
                        await self._check_system_status()
                await self.poll_once()
            except Exception:
                # The poller is the fallback when the stream is down: it must outlive any
                # one bad answer, loudly.
                log.exception("order poller: a polling round failed; next round in %.1fs", interval)

    async def poll_once(self) -> None:
        """Query every live order nobody has heard of for ``stale_after_s``, restart stalled
        resolutions, and fetch missing fills. Orders that are over and complete are not looked
        at, so a round costs what is in flight, not the whole history."""
        self._guard.catch_up()
        now = time.monotonic()
        for order in [*self._live.values(), *self._fills_due.values()]:
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
                await self._settle_found(order, found)

    # ---- reconciliation -------------------------------------------------------------------

    async def reconcile(self, *, symbols: Iterable[str] = ()) -> ReconcileReport:
        """Settle everything the journal left in flight and compare with the exchange: each
        in-flight intent is looked up by client order ID (resent or abandoned per the rules
        of ``_resolve``), a final order journaled with fills missing gets its trades, open
        orders and recent orders and trades are read, and orders on the exchange the journal
        does not know are adopted when their ID is one this manager makes (``adopt``: the
        journal may have lost them), else reported. The first reconciliation reads recent
        orders of the journal's symbols, the open orders' symbols and ``symbols``; later ones
        those of the orders in flight (see ``adopt.scan_windows``)."""
        report = ReconcileReport()
        strategies = {self.strategy, *self.journal.strategies()}
        unsettled = self.journal.unsettled()
        since: dict[str, int] = {}  # per symbol, the earliest in-flight intent
        for derived in unsettled:
            if not derived.state.is_final:
                symbol, created = derived.intent.symbol, derived.intent.created_ms
                since[symbol] = min(since.get(symbol, created), created)
        for derived in unsettled:
            intent = derived.intent
            order = self._orders.get(intent.client_order_id) or self._restore(derived)
            before = order.state
            if before.is_final:
                # Over, but killed (or the lookup failed) before all its fills were journaled:
                # only its trades are missing, and nothing else would ever fetch them.
                known = len(order.fills)
                await self._sync_fills(order)
                report.fills_added += len(order.fills) - known
                continue
            if before is OrderState.PENDING_NEW:
                if self._clock_ms() - intent.created_ms > self.unsent_max_age_ms:
                    self._abandon(order, "journaled but never sent; too old to send late")
                    report.abandoned.append(intent.client_order_id)
                    continue
                if await self._place(order):
                    report.resent.append(intent.client_order_id)
                elif order.state is OrderState.CANCELED:
                    report.abandoned.append(intent.client_order_id)
            elif before is OrderState.UNKNOWN:
                self._start_resolver(order)
            else:
                with contextlib.suppress(TradeexecError, OSError, TimeoutError):
                    found = await self._query(order)
                    if found is not None:
                        await self._settle_found(order, found)
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
        on_exchange = await self._open_orders_or_none()
        if not self._scanned_for_adoption:
            self._scanned_for_adoption = True
            open_symbols = {o.symbol for o in on_exchange or ()}
            since = adopt.scan_windows(since, self.journal.symbols(), open_symbols, symbols, self._clock_ms())
        for symbol, start in since.items():
            await self._reconcile_recent(symbol, start - _CLOCK_SKEW_MS, report, strategies)
        if on_exchange is not None:
            self._reconcile_open_orders(on_exchange, report, strategies)
        return report

    async def _reconcile_recent(
        self, symbol: str, start_ms: int, report: ReconcileReport, strategies: set[str]
    ) -> None:
        """Read the symbol's orders and trades since ``start_ms`` and fold in what the journal
        lacks: an order that filled and closed while the process was dead (or whose lookup
        failed just now) is settled with every fill, so positions match the exchange."""
        try:
            orders = await self._pages(
                lambda after: self.client.all_orders(
                    symbol, start_time=None if after else start_ms, order_id=after, limit=_PAGE
                ),
                lambda o: o.order_id,
            )
            trades = await self._pages(
                lambda after: self.client.my_trades(
                    symbol, start_time=None if after else start_ms, from_id=after, limit=_PAGE
                ),
                lambda t: t.id,
            )
        except (TradeexecError, OSError, TimeoutError) as exc:
            self.policy.decide(exc, write=False, what=f"reconcile recent orders of {symbol}")
            return
        by_order: dict[int, list[MyTrade]] = {}
        for t in trades:
            by_order.setdefault(t.order_id, []).append(t)
        for ex in orders:
            order = self._orders.get(ex.client_order_id)
            if order is None:
                if not self._adoptable(ex, strategies):
                    continue
                order = self._adopt(ex)
                report.adopted.append(ex.client_order_id)
            elif not _same_order(order, ex):
                continue
            before = order.state
            with self.journal.transaction():  # the status and the fills it implies, at once
                self._apply_order(order, ex)
                report.fills_added += self._fold_trades(order, by_order.get(ex.order_id, ()))
            if order.state is not before and ex.client_order_id not in report.adopted:
                first = report.settled.get(ex.client_order_id, (before, before))[0]
                report.settled[ex.client_order_id] = (first, order.state)

    @staticmethod
    async def _pages(
        fetch: Callable[[int | None], Awaitable[Sequence[_T]]], key: Callable[[_T], int]
    ) -> list[_T]:
        """Every item from a listing paged by id (``orderId`` / ``fromId``), within a bound."""
        items = list(await fetch(None))
        last = len(items)
        for _ in range(_MAX_PAGES - 1):
            if last < _PAGE:
                break
            page = await fetch(key(items[-1]) + 1)
            items += page
            last = len(page)
        if last >= _PAGE:
            log.warning("reconcile: more than %d items; only the first were read", len(items))
        return items

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
        self._maybe_done(order)  # a final order with fills missing joins the poller's round
        if order.order_id is not None:
            self._by_order_id[(order.symbol, order.order_id)] = order
        if self.rules is not None and derived.intent.symbol in self.rules:
            r = self.rules[derived.intent.symbol]
            self.positions.register_symbol(r.symbol, r.base_asset, r.quote_asset)
        return order

    async def _open_orders_or_none(self) -> Sequence[Order] | None:
        try:
            return await self.client.open_orders()
        except (TradeexecError, OSError, TimeoutError) as exc:
            self.policy.decide(exc, write=False, what="reconcile open orders")
            return None

    def _reconcile_open_orders(
        self, on_exchange: Sequence[Order], report: ReconcileReport, strategies: set[str]
    ) -> None:
        for ex in on_exchange:
            order = self._orders.get(ex.client_order_id)
            if order is not None:
                self._apply_order(order, ex)
                continue
            if self._adoptable(ex, strategies):
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

    def _adoptable(self, ex: Order, strategies: set[str]) -> bool:
        """An order of ours (by its ID: see ``adopt``) that the journal does not have."""
        cid = ex.client_order_id
        return (
            adopt.is_ours(cid, (_prefix(s, ex.symbol) for s in strategies), OUR_ID_RE.search(cid) is not None)
            and self.journal.intent(cid) is None
        )

    def _adopt(self, ex: Order) -> ManagedOrder:
        """Journal an order of ours found on the exchange that the journal lacks."""
        order = ManagedOrder(self.journal.record_intent(adopt.intent_of(ex)))
        self._track(order)
        if self.rules is not None and ex.symbol in self.rules:
            r = self.rules[ex.symbol]
            self.positions.register_symbol(r.symbol, r.base_asset, r.quote_asset)
        self._apply_order(order, ex)
        log.warning("reconcile: adopted order %s (%s) from the exchange", ex.client_order_id, ex.status)
        return order
