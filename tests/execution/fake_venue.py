"""A venue that is not Binance: an in-memory ``TradingVenue`` built from the neutral records
and errors only (``tradeexec.venue``, ``tradeexec.errors``), so the order manager's tests can
run against it and against ``SpotVenue`` over the real local exchange alike. Its words differ
from Binance's where a real venue's would (its own order ids from 10_000, its own error
texts, no error codes), so nothing in the core can lean on Binance's.

MARKET orders fill at once at ``price``; LIMIT IOC orders take the ``bids``/``asks`` the test
set, down (or up) to their limit, and expire the rest; other LIMIT orders rest until
``fill_resting``. Every fill moves ``holdings`` (the balances ``balances`` reports) and
charges 0.1 % of the quote in the quote asset. The user stream (``user_stream``) is a queue
the test pushes neutral items into (``FakeUserStream.push``). Its symbol
rules are its own few numbers (``fake_rules.py``) and it checks an order's shape in its own
words (``rules=`` gives it others).

``LosingVenue`` wraps any venue and loses placement answers, the fault the resolver exists
for: ``"lost"`` (the request never reached the venue) or ``"unanswered"`` (it was placed, the
answer never came back).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from tradeexec.errors import (
    DuplicateOrderId,
    InvalidParameter,
    OrderNotFound,
    OutcomeUnknown,
    StoppedBeforeSigning,
    TradeexecError,
)
from tradeexec.venue.protocol import KeyPermissions, StopGate, TradingVenue
from tradeexec.venue.records import (
    AccountBalances,
    AssetHolding,
    BookTop,
    CancelAnswer,
    OrderSnapshot,
    PlaceAnswer,
    PlacementFill,
    PlacementRequest,
    TradeRecord,
    VenueStatus,
)
from tradeexec.venue.rules import OrderTerms, VenueRules
from tradeexec.venue.stream import UserStreamItem
from tradeexec.venue.vocab import ExecutionType, OrderStatus, OrderType, Side, TimeInForce

from .fake_rules import FakeRules

RULES = FakeRules()
ZERO = Decimal(0)
FEE_RATE = Decimal("0.001")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class _Permissions:
    ip_restrict: bool = True
    enable_withdrawals: bool = False
    enable_internal_transfer: bool = False
    permits_universal_transfer: bool = False


@dataclass(frozen=True, slots=True)
class FakeExecution:
    """An ``ExecutionUpdate`` with no Binance type: what the fake venue's stream carries."""

    symbol: str
    client_order_id: str
    order_id: int
    execution_type: ExecutionType
    order_status: OrderStatus
    cumulative_filled_qty: Decimal
    cumulative_quote_qty: Decimal
    transaction_time: int
    orig_client_order_id: str | None = None
    order_creation_time: int | None = None
    trade_id: int | None = None
    last_executed_price: Decimal = ZERO
    last_executed_qty: Decimal = ZERO
    commission: Decimal = ZERO
    commission_asset: str | None = None
    last_quote_qty: Decimal | None = None


@dataclass
class FakeUserStream:
    """The fake venue's user stream: a queue the test fills (``push``); ``started`` and
    ``closed`` say what the consumer did with it."""

    items: deque[UserStreamItem] = field(default_factory=deque)
    started: bool = False
    closed: bool = False
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def push(self, *items: UserStreamItem) -> None:
        self.items.extend(items)
        self._wake.set()

    async def start(self) -> None:
        self.started = True

    async def close(self) -> None:
        self.closed = True
        self._wake.set()

    def __aiter__(self) -> FakeUserStream:
        return self

    async def __anext__(self) -> UserStreamItem:
        while not self.items:
            if self.closed:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()
        return self.items.popleft()


class FakeVenue:
    """In-memory venue; every order and trade it holds is inspectable (``orders``, ``trades``)."""

    def __init__(self, price: Decimal = Decimal("60000"), rules: VenueRules = RULES) -> None:
        self._rules = rules
        self.price = price  # the last price of every symbol (0: never traded)
        self.orders: dict[str, OrderSnapshot] = {}
        self.trades: list[TradeRecord] = []
        self.placed: list[str] = []  # client order IDs of every placement that reached it
        self.checked: list[str] = []  # symbols of every order whose shape it was asked about
        self.holdings: dict[str, Decimal] = {}
        self.bids: list[tuple[Decimal, Decimal]] = []  # (price, qty), best first
        self.asks: list[tuple[Decimal, Decimal]] = []
        self.streams: list[FakeUserStream] = []
        self._next_order_id = 10_000
        self._next_trade_id = 500

    @property
    def is_local(self) -> bool:
        return True

    async def rules(self) -> VenueRules:
        return self._rules

    def check_order(self, order: OrderTerms) -> None:
        """Its own shape rule: a base quantity always, a price exactly for LIMIT orders."""
        self.checked.append(order.symbol)
        if order.quantity is None:
            raise InvalidParameter("quantity", "this venue takes base quantities only", "none given")
        if (order.price is None) == (order.type is OrderType.LIMIT):
            raise InvalidParameter("price", "given exactly for LIMIT orders", str(order.price))
        if order.type not in (OrderType.LIMIT, OrderType.MARKET):
            raise InvalidParameter("type", "LIMIT or MARKET", order.type.value)

    async def average_price(self, symbol: str) -> Decimal | None:
        return self.price

    async def place(self, request: PlacementRequest, *, gate: StopGate | None = None) -> PlaceAnswer:
        cid = request.client_order_id
        # The venue's last look at the kill switch, as it would sign (nothing awaited here).
        if gate is not None and gate.trip_reason is not None:
            raise StoppedBeforeSigning(cid, gate.trip_reason)
        live = self.orders.get(cid)
        if live is not None and not live.status.is_final:
            raise DuplicateOrderId(f"an open order already has the id {cid}")
        assert request.quantity is not None, "the fake venue takes base quantities only"
        self.placed.append(cid)
        self._next_order_id += 1
        now = _now_ms()
        order = OrderSnapshot(
            symbol=request.symbol,
            order_id=self._next_order_id,
            client_order_id=cid,
            side=request.side,
            type=request.type,
            status=OrderStatus.NEW,
            time_in_force=request.time_in_force or TimeInForce.GTC,
            quantity=request.quantity,
            quote_quantity=None,
            price=request.price,
            stop_price=None,
            executed_qty=ZERO,
            cumulative_quote=ZERO,
            created_ms=now,
            updated_ms=now,
        )
        self.orders[cid] = order
        if request.time_in_force is TimeInForce.IOC:
            return self._take(cid, now)
        if request.type is OrderType.MARKET:
            fill = self._fill(cid, self.price)
            done = self.orders[cid]
            answer = (done.order_id, done.status, done.executed_qty, done.cumulative_quote, now, [fill])
            return PlaceAnswer(*answer)
        return PlaceAnswer(order.order_id, OrderStatus.NEW, ZERO, ZERO, now)

    def _take(self, cid: str, now: int) -> PlaceAnswer:
        """A LIMIT IOC: take the opposite levels within the limit, expire what is left."""
        order = self.orders[cid]
        assert order.price is not None
        sell = order.side is Side.SELL
        levels = self.bids if sell else self.asks
        fills = []
        while levels and order.executed_qty < order.quantity:
            price, qty = levels[0]
            if (price < order.price) if sell else (price > order.price):
                break
            take = min(qty, order.quantity - order.executed_qty)
            fills.append(self._fill(cid, price, take))
            order = self.orders[cid]
            levels[0] = (price, qty - take)
            if levels[0][1] == 0:
                levels.pop(0)
        if order.executed_qty < order.quantity:
            self.orders[cid] = order = replace(order, status=OrderStatus.EXPIRED, updated_ms=now)
        done = (order.order_id, order.status, order.executed_qty, order.cumulative_quote, now)
        return PlaceAnswer(*done, fills)

    def _fill(self, cid: str, price: Decimal, qty: Decimal | None = None) -> PlacementFill:
        order = self.orders[cid]
        qty = order.quantity - order.executed_qty if qty is None else qty
        self._next_trade_id += 1
        now = _now_ms()
        quote = qty * price
        fee = quote * FEE_RATE
        symbol = self._rules[order.symbol]
        base, quote_asset = symbol.base_asset, symbol.quote_asset
        sign = 1 if order.side is Side.BUY else -1
        self.holdings[base] = self.holdings.get(base, ZERO) + sign * qty
        self.holdings[quote_asset] = self.holdings.get(quote_asset, ZERO) - sign * quote - fee
        trade = TradeRecord(self._next_trade_id, order.order_id, price, qty, quote, fee, quote_asset, now)
        self.trades.append(trade)
        executed = order.executed_qty + qty
        self.orders[cid] = replace(
            order,
            status=OrderStatus.FILLED if executed == order.quantity else OrderStatus.PARTIALLY_FILLED,
            executed_qty=executed,
            cumulative_quote=order.cumulative_quote + quote,
            updated_ms=now,
        )
        return PlacementFill(price, qty, fee, quote_asset, self._next_trade_id)

    def fill_resting(self, cid: str) -> None:
        """The market reaches a resting order: it fills in full at its limit price."""
        order = self.orders[cid]
        assert order.price is not None
        self._fill(cid, order.price)

    async def lookup(self, symbol: str, client_order_id: str) -> OrderSnapshot:
        found = self.orders.get(client_order_id)
        if found is None or found.symbol != symbol:
            raise OrderNotFound(f"no order {client_order_id} on {symbol}")
        return found

    async def cancel(self, symbol: str, client_order_id: str) -> CancelAnswer:
        order = await self.lookup(symbol, client_order_id)
        if order.status.is_final:
            raise TradeexecError(f"order {client_order_id} is over ({order.status})")
        now = _now_ms()
        self.orders[client_order_id] = done = replace(order, status=OrderStatus.CANCELED, updated_ms=now)
        return CancelAnswer(
            client_order_id, done.order_id, done.status, done.executed_qty, done.cumulative_quote, now
        )

    async def cancel_all(self, symbol: str) -> list[CancelAnswer]:
        return [await self.cancel(symbol, o.client_order_id) for o in await self.open_orders(symbol)]

    async def open_orders(self, symbol: str | None = None) -> list[OrderSnapshot]:
        live = (o for o in self.orders.values() if not o.status.is_final)
        return [o for o in live if symbol is None or o.symbol == symbol]

    async def recent_orders(
        self, symbol: str, *, since_ms: int | None = None, from_order_id: int | None = None, limit: int
    ) -> list[OrderSnapshot]:
        found = sorted(
            (
                o
                for o in self.orders.values()
                if o.symbol == symbol
                and (since_ms is None or o.created_ms >= since_ms)
                and o.order_id >= (from_order_id or 0)
            ),
            key=lambda o: o.order_id,
        )
        return found[:limit]

    async def recent_trades(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        since_ms: int | None = None,
        from_trade_id: int | None = None,
        limit: int | None = None,
    ) -> list[TradeRecord]:
        ours = {o.order_id for o in self.orders.values() if o.symbol == symbol}
        found = [
            t
            for t in self.trades
            if t.order_id in ours
            and order_id in (None, t.order_id)
            and (since_ms is None or t.time_ms >= since_ms)
            and t.id >= (from_trade_id or 0)
        ]
        return found[: limit or 1000]

    async def balances(self) -> AccountBalances:
        held = [AssetHolding(asset, qty) for asset, qty in sorted(self.holdings.items()) if qty]
        return AccountBalances(held, _now_ms())

    async def last_prices(self, symbols: Sequence[str]) -> dict[str, Decimal]:
        return {s: self.price for s in symbols if s in self._rules and self.price > 0}

    async def book_top(self, symbol: str, levels: int) -> BookTop:
        return BookTop(self.bids[:levels], self.asks[:levels])

    def user_stream(self, *, backoff_base_s: float = 0.5) -> FakeUserStream:
        stream = FakeUserStream()
        self.streams.append(stream)
        return stream

    async def key_permissions(self) -> KeyPermissions:
        return _Permissions()

    async def status(self) -> VenueStatus:
        return VenueStatus(maintenance=False)

    async def server_time_ms(self) -> int:
        return _now_ms()

    def timestamp_ms(self) -> int:
        return _now_ms()


class LosingVenue:
    """``inner`` with its placement answers lost as scripted in ``faults`` (one per
    placement, in order; none left: answers arrive)."""

    def __init__(self, inner: TradingVenue) -> None:
        self.inner = inner
        self.faults: list[str] = []  # "lost" | "unanswered"

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    @property
    def is_local(self) -> bool:
        return self.inner.is_local

    async def place(self, request: PlacementRequest, *, gate: StopGate | None = None) -> PlaceAnswer:
        fault = self.faults.pop(0) if self.faults else None
        if fault == "lost":
            raise OutcomeUnknown(f"{request.client_order_id}: the connection dropped before it was sent")
        answer = await self.inner.place(request, gate=gate)
        if fault == "unanswered":
            raise OutcomeUnknown(f"{request.client_order_id}: the connection dropped before the answer")
        return answer
