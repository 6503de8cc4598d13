"""The futures order rules Binance checks before an order reaches the book, with Binance's
codes and texts (USDⓈ-M "Error Codes" page): conditional types belong to the Algo Service
(-4120), position side against the position mode (-4061), reduceOnly only in one-way mode
(-1106), reduce-only direction and size (-2022), tick and step (-4014 / -4023), the notional
floor (-4164)."""

from __future__ import annotations

from decimal import Decimal

from tradeexec.binance.enums import Side
from tradeexec.sim.engine import EngineReject
from tradeexec.sim.futures.orders import (
    CONDITIONAL_TYPES,
    FUTURES_TIF,
    PLAIN_TYPES,
    POSITION_SIDES,
    FuturesOrderRequest,
)
from tradeexec.sim.futures.symbols import Contract

ALGO_ONLY = "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead."
SIDE_MISMATCH = "Order's position side does not match user's setting."
REDUCE_ONLY_REJECTED = "ReduceOnly Order is rejected."
MARGIN_INSUFFICIENT = "Margin is insufficient."
GTX_REJECTED = "Due to the order could not be executed as maker, the Post Only order will be rejected."


def check_shape(req: FuturesOrderRequest, contract: Contract, dual_side: bool) -> None:
    """Everything that depends on the request and the account's mode only."""
    if req.type in CONDITIONAL_TYPES:
        raise EngineReject(-4120, ALGO_ONLY)
    if req.type not in PLAIN_TYPES:
        raise EngineReject(-1116, "Invalid orderType.")
    if req.position_side not in POSITION_SIDES:
        raise EngineReject(-4060, "Invalid position side.")
    if (req.position_side == "BOTH") == dual_side:
        raise EngineReject(-4061, SIDE_MISMATCH)
    if dual_side and req.reduce_only:
        raise EngineReject(-1106, "Parameter 'reduceOnly' sent when not required.")
    if req.type == "LIMIT":
        if req.price is None:
            raise EngineReject(
                -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed."
            )
        if req.time_in_force is None:
            raise EngineReject(
                -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."
            )
        if req.price <= 0 or req.price % contract.tick:
            raise EngineReject(-4014, "Price not increased by tick size.")
    elif req.price is not None:
        raise EngineReject(-1106, "Parameter 'price' sent when not required.")
    if req.time_in_force is not None and req.time_in_force not in FUTURES_TIF:
        raise EngineReject(-1115, "Invalid timeInForce.")
    if req.quantity <= 0:
        raise EngineReject(-4003, "Quantity less than zero.")
    if req.quantity % contract.step:
        raise EngineReject(-4023, "Qty not increased by step size.")


def closing_quantity(req: FuturesOrderRequest, position_amt: Decimal, pending_close: Decimal) -> Decimal:
    """How much of the order closes an existing position; raises -2022 when a reduce-only
    order (explicit, or any hedge-mode closing order) would open or increase one.

    ``pending_close`` is what open closing orders of the same position already claim: two
    reduce-only orders together may not close more than the position holds."""
    buy = req.side is Side.BUY
    if req.position_side == "BOTH":
        opposite = position_amt < 0 if buy else position_amt > 0
        closable = abs(position_amt) - pending_close if opposite else Decimal(0)
        if req.reduce_only and (closable <= 0 or req.quantity > closable):
            raise EngineReject(-2022, REDUCE_ONLY_REJECTED)
        return min(req.quantity, max(closable, Decimal(0)))
    closing = (req.position_side == "LONG") != buy
    if not closing:
        return Decimal(0)
    if req.quantity > abs(position_amt) - pending_close:
        raise EngineReject(-2022, REDUCE_ONLY_REJECTED)
    return req.quantity
