"""The Algo Service: conditional orders (STOP, STOP_MARKET, TAKE_PROFIT, TAKE_PROFIT_MARKET)
held outside the book until their trigger price is reached, then sent to the matching engine
(``/fapi/v1/algoOrder``; since 2025-12 ``/fapi/v1/order`` refuses these types with -4120).

Trigger rule: a stop BUY fires when the price rises to the trigger, a stop SELL when it falls
to it; a take-profit the other way round. The price is the mark price for ``workingType``
MARK_PRICE, the last trade (CONTRACT_PRICE, the default) otherwise. Statuses follow the
ALGO_UPDATE page: NEW, CANCELED, TRIGGERED (in the book), FINISHED (filled or ended there),
REJECTED (the engine refused it, e.g. margin).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeexec.binance.enums import Side
from tradeexec.sim.engine import EngineReject

ALGO_TYPES = frozenset({"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"})
WORKING_TYPES = frozenset({"MARK_PRICE", "CONTRACT_PRICE"})


@dataclass(slots=True)
class AlgoOrder:
    algo_id: int
    client_algo_id: str
    account: str
    symbol: str
    side: Side
    position_side: str
    order_type: str
    quantity: Decimal  # 0 with closePosition
    trigger_price: Decimal
    price: Decimal  # 0 for the *_MARKET types
    time_in_force: str
    working_type: str
    reduce_only: bool
    close_position: bool
    price_protect: bool
    status: str
    create_time: int
    update_time: int
    trigger_time: int = 0
    actual_order_id: int = 0


def fires(order: AlgoOrder, price: Decimal) -> bool:
    stop = order.order_type.startswith("STOP")
    rising = (order.side is Side.BUY) == stop
    return price >= order.trigger_price if rising else price <= order.trigger_price


def check_new(order: AlgoOrder, price: Decimal | None) -> None:
    """Binance's refusals before an algo order is accepted."""
    if order.order_type not in ALGO_TYPES:
        raise EngineReject(-1116, "Invalid orderType.")
    if order.working_type not in WORKING_TYPES:
        raise EngineReject(-4031, "Invalid parameter working type")
    if order.trigger_price <= 0:
        raise EngineReject(
            -1102, "Mandatory parameter 'triggerPrice' was not sent, was empty/null, or malformed."
        )
    if order.order_type in ("STOP", "TAKE_PROFIT") and order.price <= 0:
        raise EngineReject(-1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.")
    if not order.close_position and order.quantity <= 0:
        raise EngineReject(
            -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed."
        )
    if price is not None and fires(order, price):
        raise EngineReject(-2021, "Order would immediately trigger.")


class AlgoBook:
    """Every algo order by id, and by (account, client algo id) while open."""

    def __init__(self) -> None:
        self.orders: dict[int, AlgoOrder] = {}
        self._next_id = 1

    def new_id(self) -> int:
        algo_id = self._next_id
        self._next_id += 1
        return algo_id

    def add(self, order: AlgoOrder) -> None:
        if any(
            o.account == order.account and o.client_algo_id == order.client_algo_id and o.status == "NEW"
            for o in self.orders.values()
        ):
            raise EngineReject(-4116, "clientOrderId is duplicated")
        self.orders[order.algo_id] = order

    def find(self, account: str, algo_id: int | None, client_algo_id: str | None) -> AlgoOrder:
        for order in self.orders.values():
            if order.account == account and (
                order.algo_id == algo_id or (algo_id is None and order.client_algo_id == client_algo_id)
            ):
                return order
        raise EngineReject(-2013, "Order does not exist.")

    def open(self, account: str, symbol: str | None = None) -> list[AlgoOrder]:
        return [
            o
            for o in self.orders.values()
            if o.account == account and o.status == "NEW" and (symbol is None or o.symbol == symbol)
        ]

    def waiting(self) -> list[AlgoOrder]:
        return [o for o in self.orders.values() if o.status == "NEW"]
