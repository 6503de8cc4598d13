"""A venue that is not Binance: an in-memory ``TradingVenue`` built from the neutral records
and errors only (``tradeexec.venue``, ``tradeexec.errors``), so the order manager's tests can
run against it and against ``SpotVenue`` over the real local exchange alike. Its words differ
from Binance's where a real venue's would (its own order ids from 10_000, its own error
texts, no error codes), so nothing in the core can lean on Binance's.

MARKET orders fill at once at ``price``; LIMIT orders rest until ``fill_resting``. Its symbol
rules are its own few numbers (``fake_rules.py``) and it checks an order's shape in its own
words; the account/ticker reads of valuation are the parts still in Binance's models (see
``orders.manager.ManagerVenue``).

``LosingVenue`` wraps any venue and loses placement answers, the fault the resolver exists
for: ``"lost"`` (the request never reached the venue) or ``"unanswered"`` (it was placed, the
answer never came back).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from tradeexec.binance.models import Account, TickerPrice
from tradeexec.errors import DuplicateOrderId, InvalidParameter, OrderNotFound, OutcomeUnknown, TradeexecError
from tradeexec.venue.protocol import KeyPermissions, TradingVenue
from tradeexec.venue.records import (
    CancelAnswer,
    OrderSnapshot,
    PlaceAnswer,
    PlacementFill,
    PlacementRequest,
    TradeRecord,
    VenueStatus,
)
from tradeexec.venue.rules import OrderTerms
from tradeexec.venue.vocab import OrderStatus, OrderType, TimeInForce

from .fake_rules import FakeRules

RULES = FakeRules()
ZERO = Decimal(0)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class _Permissions:
    ip_restrict: bool = True
    enable_withdrawals: bool = False
    enable_internal_transfer: bool = False
    permits_universal_transfer: bool = False


class FakeVenue:
    """In-memory venue; every order and trade it holds is inspectable (``orders``, ``trades``)."""

    def __init__(self, price: Decimal = Decimal("60000")) -> None:
        self.price = price
        self.orders: dict[str, OrderSnapshot] = {}
        self.trades: list[TradeRecord] = []
        self.placed: list[str] = []  # client order IDs of every placement that reached it
        self.checked: list[str] = []  # symbols of every order whose shape it was asked about
        self._next_order_id = 10_000
        self._next_trade_id = 500

    @property
    def is_local(self) -> bool:
        return True

    async def rules(self) -> FakeRules:
        return RULES

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

    async def place(self, request: PlacementRequest) -> PlaceAnswer:
        cid = request.client_order_id
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
        if request.type is OrderType.MARKET:
            fill = self._fill(cid, self.price)
            done = self.orders[cid]
            answer = (done.order_id, done.status, done.executed_qty, done.cumulative_quote, now, [fill])
            return PlaceAnswer(*answer)
        return PlaceAnswer(order.order_id, OrderStatus.NEW, ZERO, ZERO, now)

    def _fill(self, cid: str, price: Decimal) -> PlacementFill:
        order = self.orders[cid]
        qty = order.quantity - order.executed_qty
        self._next_trade_id += 1
        now = _now_ms()
        quote = qty * price
        trade = TradeRecord(self._next_trade_id, order.order_id, price, qty, quote, ZERO, "BNB", now)
        self.trades.append(trade)
        self.orders[cid] = replace(
            order,
            status=OrderStatus.FILLED,
            executed_qty=order.quantity,
            cumulative_quote=order.cumulative_quote + quote,
            updated_ms=now,
        )
        return PlacementFill(price, qty, ZERO, "BNB", self._next_trade_id)

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

    # What valuation reads: Binance's shapes, as the manager's ``ManagerVenue`` still asks.
    async def ticker_price(self, symbol: str) -> TickerPrice:
        return TickerPrice(symbol=symbol, price=self.price)

    async def ticker_prices(self, symbols: Sequence[str] | None = None) -> list[TickerPrice]:
        return [TickerPrice(symbol=s, price=self.price) for s in symbols or ["BTCUSDT"]]

    async def account(self) -> Account:
        return Account(
            maker_commission=0, taker_commission=0, buyer_commission=0, seller_commission=0,
            can_trade=True, can_withdraw=False, can_deposit=False, update_time=_now_ms(),
            account_type="SPOT", balances=[],
        )  # fmt: skip

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

    async def place(self, request: PlacementRequest) -> PlaceAnswer:
        fault = self.faults.pop(0) if self.faults else None
        if fault == "lost":
            raise OutcomeUnknown(f"{request.client_order_id}: the connection dropped before it was sent")
        answer = await self.inner.place(request)
        if fault == "unanswered":
            raise OutcomeUnknown(f"{request.client_order_id}: the connection dropped before the answer")
        return answer
