"""Modify order (``PUT /fapi/v1/order``, and each order of ``PUT /fapi/v1/batchOrders``) on
the futures engine, with the rules of Binance's "Modify Order (TRADE)" page:

- LIMIT orders only: only they rest here, so -5025 "Only limit order is supported." never
  arises;
- both quantity and price (or ``priceMatch`` instead of price) are sent; the new values
  must pass the tick and step rules like a new order's, else the order stays as it was;
- the same price and quantity again: -5027 "No need to modify the order.";
- the order keeps its ids and goes to the back of the queue at its new price (it may match
  at once); modify sets its self-trade prevention to NONE;
- it is canceled instead when it is partially filled and the new quantity is at or below
  what executed, or when it is GTX and the new price would take.

Where the page is silent (an order that is no longer open, a side that is not the order's)
the answers are Binance's error-list texts: -2013 "Order does not exist." and -1117
"Invalid side."."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from tradeexec.binance.enums import Side
from tradeexec.sim.engine import EngineReject, OrderRecord
from tradeexec.sim.engine.core import MANDATORY
from tradeexec.sim.futures import rules
from tradeexec.sim.futures.orders import FuturesOrderRequest

if TYPE_CHECKING:
    from tradeexec.sim.futures.engine import FuturesEngine

NO_SUCH_ORDER = "Order does not exist."
PRICE_MATCHES = frozenset(
    {"OPPONENT", "OPPONENT_5", "OPPONENT_10", "OPPONENT_20", "QUEUE", "QUEUE_5", "QUEUE_10", "QUEUE_20"}
)


@dataclass(frozen=True, slots=True)
class Modification:
    """A parsed modify request: the order (by id, else client id) and its new figures."""

    symbol: str
    order_id: int | None
    client_order_id: str | None
    side: Side
    quantity: Decimal
    price: Decimal | None
    price_match: str | None = None


def modify(fe: FuturesEngine, name: str, mod: Modification, now_ms: int) -> OrderRecord:
    """Apply ``mod`` to ``name``'s open order; raises ``EngineReject`` with Binance's answer."""
    contract = fe.contract(mod.symbol)
    order = _open_order(fe, name, mod)
    meta = fe.meta_of(order)  # resting, so LIMIT (Binance's -5025 cannot arise here)
    if mod.side is not order.side:
        raise EngineReject(-1117, "Invalid side.")
    price = _price(fe, mod)
    if price <= 0 or price % contract.tick:
        raise EngineReject(-4014, "Price not increased by tick size.")
    if mod.quantity <= 0:
        raise EngineReject(-4003, "Quantity less than zero.")
    if mod.quantity % contract.step:
        raise EngineReject(-4023, "Qty not increased by step size.")
    if price == order.price and mod.quantity == order.orig_qty:
        raise EngineReject(-5027, "No need to modify the order.")
    req = FuturesOrderRequest(
        mod.symbol, order.side, "LIMIT", mod.quantity, price, meta.time_in_force, meta.position_side,
        meta.reduce_only,
    )  # fmt: skip
    if meta.time_in_force == "GTX" and fe.would_take(req):
        return fe.cancel(name, mod.symbol, order.order_id, None, now_ms)
    _check_size(fe, name, order, req)
    amended, events = fe.engine.amend(
        name,
        mod.symbol,
        order_id=order.order_id,
        client_order_id=None,
        price=price,
        quantity=mod.quantity,
        now_ms=now_ms,
    )
    fe.settle(events, now_ms)
    return amended


def _open_order(fe: FuturesEngine, name: str, mod: Modification) -> OrderRecord:
    try:
        order = fe.engine.get_order(
            name, mod.symbol, order_id=mod.order_id, client_order_id=mod.client_order_id
        )
    except EngineReject:
        raise EngineReject(-2013, NO_SUCH_ORDER) from None
    if order.status.is_final:
        raise EngineReject(-2013, NO_SUCH_ORDER)
    return order


def _price(fe: FuturesEngine, mod: Modification) -> Decimal:
    """The price sent, or the one ``priceMatch`` names: the n-th best price of the opposite
    side (OPPONENT) or of the order's own side (QUEUE)."""
    if mod.price_match is None:
        if mod.price is None:
            raise EngineReject(-1102, MANDATORY.format("price"))
        return mod.price
    if mod.price is not None:
        raise EngineReject(-1106, "Parameter 'priceMatch' sent when not required.")
    if mod.price_match not in PRICE_MATCHES:
        raise EngineReject(-5037, "Invalid price match")
    kind, _, depth = mod.price_match.partition("_")
    own_side = kind == "QUEUE"
    bids_wanted = (mod.side is Side.BUY) == own_side
    snap = fe.engine.depth(mod.symbol, int(depth or 1))
    levels = snap.bids if bids_wanted else snap.asks
    if not levels:
        raise EngineReject(-5041, "No depth matches this BBO order")
    return levels[-1][0]


def _check_size(fe: FuturesEngine, name: str, order: OrderRecord, req: FuturesOrderRequest) -> None:
    """A larger order must still be covered: by the position it closes (reduce-only,
    -2022) or by margin for what it opens (-2019)."""
    grown = req.quantity - order.orig_qty
    if grown <= 0:
        return
    acct = fe.account(name)
    pos = acct.position(req.symbol, req.position_side)
    others = fe.pending_close(name, req, exclude=order.order_id)
    remaining = req.quantity - order.executed_qty
    closing = rules.closing_quantity(
        FuturesOrderRequest(req.symbol, req.side, "LIMIT", remaining, req.price, None, req.position_side,
                            req.reduce_only),
        pos.amt,
        others,
    )  # fmt: skip
    opening = min(grown, remaining - closing)
    if opening > 0 and not acct.exempt:
        fe.check_margin(acct, req, opening)
