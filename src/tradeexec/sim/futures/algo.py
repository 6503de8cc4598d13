"""The Algo Service: conditional orders (STOP, STOP_MARKET, TAKE_PROFIT, TAKE_PROFIT_MARKET,
TRAILING_STOP_MARKET) held outside the book until their trigger price is reached, then sent to
the matching engine (``/fapi/v1/algoOrder``; since 2025-12 ``/fapi/v1/order`` refuses these
types with -4120).

Trigger rule: a stop BUY fires when the price rises to the trigger, a stop SELL when it falls
to it; a take-profit the other way round. A trailing stop has no trigger price: from its
activation (the activation price reached: a SELL's from below, a BUY's from above; at once
without one) it follows the price's best (a SELL the highest, a BUY the lowest) and fires
once the price comes back ``callbackRate`` percent from that best. The price is the mark
price for ``workingType`` MARK_PRICE, the last trade (CONTRACT_PRICE, the default) otherwise.
Statuses follow the ALGO_UPDATE page: NEW, CANCELED, TRIGGERED (in the book), FINISHED
(filled or ended there), REJECTED (the engine refused it, e.g. margin).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeexec.binance.enums import Side
from tradeexec.sim.engine import EngineReject

TRAILING = "TRAILING_STOP_MARKET"
ALGO_TYPES = frozenset({"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", TRAILING})
WORKING_TYPES = frozenset({"MARK_PRICE", "CONTRACT_PRICE"})
# callbackRate, percent: min 0.1, max 20 (Binance's change log, 2026-10-23; 10 before).
CALLBACK_RATE_MIN, CALLBACK_RATE_MAX = Decimal("0.1"), Decimal("20")
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


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
    # A trailing stop's terms and what it has seen: its best price since activation (0: not
    # active yet).
    callback_rate: Decimal = _ZERO
    activation_price: Decimal = _ZERO
    best: Decimal = _ZERO


def _trails(order: AlgoOrder, price: Decimal) -> bool:
    """Follow ``price`` and say whether the trailing stop fires at it."""
    sell = order.side is Side.SELL
    if not order.best:
        activation = order.activation_price
        if activation and (price < activation if sell else price > activation):
            return False
        order.best = price
    order.best = max(order.best, price) if sell else min(order.best, price)
    distance = order.best * order.callback_rate / _HUNDRED
    return price <= order.best - distance if sell else price >= order.best + distance


def fires(order: AlgoOrder, price: Decimal) -> bool:
    """Whether the order fires at ``price`` (a trailing stop follows it as it is asked)."""
    if order.order_type == TRAILING:
        return _trails(order, price)
    stop = order.order_type.startswith("STOP")
    rising = (order.side is Side.BUY) == stop
    return price >= order.trigger_price if rising else price <= order.trigger_price


def check_new(order: AlgoOrder, price: Decimal | None) -> None:
    """Binance's refusals before an algo order is accepted."""
    if order.order_type not in ALGO_TYPES:
        raise EngineReject(-1116, "Invalid orderType.")
    if order.working_type not in WORKING_TYPES:
        raise EngineReject(-4031, "Invalid parameter working type")
    if order.order_type == TRAILING:
        _check_trailing(order, price)
        return
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


def _check_trailing(order: AlgoOrder, price: Decimal | None) -> None:
    if not CALLBACK_RATE_MIN <= order.callback_rate <= CALLBACK_RATE_MAX:
        raise EngineReject(
            -1102, "Mandatory parameter 'callbackRate' was not sent, was empty/null, or malformed."
        )
    if not order.close_position and order.quantity <= 0:
        raise EngineReject(
            -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed."
        )
    activation = order.activation_price
    # A SELL's activation price above the market, a BUY's below: else it is already met.
    sell = order.side is Side.SELL
    if activation and price is not None and (activation <= price if sell else activation >= price):
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
