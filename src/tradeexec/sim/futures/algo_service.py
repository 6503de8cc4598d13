"""The Algo Service side of the futures engine: conditional orders (``algo.py``) held until
their trigger (a trailing stop: until the price came back from its best), then sent to the
book as the order they carry, with an ALGO_UPDATE for every transition. A mixin of
``FuturesEngine``, apart so that the engine's module keeps to orders, positions and time."""

from __future__ import annotations

from copy import copy
from decimal import Decimal
from typing import Protocol

from tradeexec.binance.enums import OrderStatus
from tradeexec.sim.engine import Engine, EngineReject, OrderRecord
from tradeexec.sim.futures import rules
from tradeexec.sim.futures.accounts import FuturesWallet
from tradeexec.sim.futures.algo import TRAILING, AlgoBook, AlgoOrder, check_new, fires
from tradeexec.sim.futures.events import AlgoChange, FuturesEvent
from tradeexec.sim.futures.orders import FuturesOrderRequest, Placed
from tradeexec.sim.futures.symbols import Contract

__all__ = ["AlgoService"]


class _Host(Protocol):
    """What the Algo Service uses of the engine it is mixed into."""

    algos: AlgoBook
    accounts: dict[str, FuturesWallet]
    engine: Engine
    _triggered: dict[tuple[str, int], AlgoOrder]

    def mark_price(self, symbol: str) -> Decimal: ...
    def contract(self, symbol: str) -> Contract: ...
    def account(self, name: str) -> FuturesWallet: ...
    def place(self, name: str, req: FuturesOrderRequest, now_ms: int) -> Placed: ...
    def _tell(self, updates: list[FuturesEvent]) -> None: ...
    def trigger_reference(self, order: AlgoOrder) -> Decimal | None: ...
    def _algo_changed(self, order: AlgoOrder, now_ms: int, actual: OrderRecord | None = None) -> None: ...


class AlgoService:
    def trigger_reference(self: _Host, order: AlgoOrder) -> Decimal | None:
        if order.working_type == "MARK_PRICE":
            return self.mark_price(order.symbol)
        return self.engine.last_price(order.symbol)

    def place_algo(self: _Host, order: AlgoOrder) -> AlgoOrder:
        """Accept a conditional order (``algo.py``): checked, given its id, held until it fires."""
        self.contract(order.symbol)
        acct = self.account(order.account)
        if (order.position_side == "BOTH") == acct.dual_side:
            raise EngineReject(-4061, rules.SIDE_MISMATCH)
        reference = self.trigger_reference(order)
        check_new(order, reference)
        if reference is not None and order.order_type == TRAILING:
            fires(order, reference)  # without an activation price it follows from now
        order.algo_id = self.algos.new_id()
        self.algos.add(order)
        self._algo_changed(order, order.create_time)
        return order

    def cancel_algo(
        self: _Host, name: str, symbol: str, algo_id: int | None, client_id: str | None, now_ms: int
    ) -> AlgoOrder:
        self.contract(symbol)
        order = self.algos.find(name, algo_id, client_id)
        if order.status != "NEW" or order.symbol != symbol:
            raise EngineReject(-2011, "Unknown order sent.")
        order.status = "CANCELED"
        order.update_time = now_ms
        self._algo_changed(order, now_ms)
        return order

    def _algo_changed(self: _Host, order: AlgoOrder, now_ms: int, actual: OrderRecord | None = None) -> None:
        """ALGO_UPDATE for every transition: NEW, CANCELED, TRIGGERING, then TRIGGERED,
        FINISHED or REJECTED (and FINISHED once a triggered order's own order ends)."""
        if not self.accounts[order.account].exempt:
            self._tell([AlgoChange(order.account, copy(order), actual, now_ms)])

    def _run_algos(self: _Host, now_ms: int) -> None:
        """Send every conditional order whose trigger the price has reached to the book."""
        for order in self.algos.waiting():
            price = self.trigger_reference(order)
            if price is None or not fires(order, price):
                continue
            order.trigger_time = order.update_time = now_ms
            order.status = "TRIGGERING"
            self._algo_changed(order, now_ms)
            qty = order.quantity
            if order.close_position:
                qty = abs(self.account(order.account).position(order.symbol, order.position_side).amt)
            limit = order.order_type in ("STOP", "TAKE_PROFIT")
            req = FuturesOrderRequest(
                order.symbol,
                order.side,
                "LIMIT" if limit else "MARKET",
                qty,
                order.price if limit else None,
                order.time_in_force if limit else None,
                order.position_side,
                (order.reduce_only or order.close_position) and order.position_side == "BOTH",
            )
            try:
                placed = self.place(order.account, req, now_ms)
            except EngineReject:
                order.status = "REJECTED"
                self._algo_changed(order, now_ms)
                continue
            order.actual_order_id = placed.order.order_id
            resting = placed.order.status in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)
            order.status = "TRIGGERED" if resting else "FINISHED"
            if resting:
                self._triggered[(order.symbol, order.actual_order_id)] = order
            self._algo_changed(order, now_ms, placed.order)
