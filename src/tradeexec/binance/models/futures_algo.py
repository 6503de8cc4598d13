"""USDT-M conditional orders of the Algo Service (``/fapi/v1/algoOrder``,
``/fapi/v1/openAlgoOrders``): one wire contract for the local exchange and the client."""

from __future__ import annotations

from decimal import Decimal

from tradeexec.binance.models.base import Model


class FuturesAlgoOrder(Model, frozen=True, kw_only=True):
    algo_id: int
    client_algo_id: str
    algo_type: str  # CONDITIONAL
    order_type: str
    symbol: str
    side: str
    position_side: str
    time_in_force: str
    quantity: Decimal
    algo_status: str
    trigger_price: Decimal
    price: Decimal
    self_trade_prevention_mode: str
    working_type: str
    price_match: str
    close_position: bool
    price_protect: bool
    reduce_only: bool
    create_time: int
    update_time: int
    trigger_time: int
    good_till_date: int
    # The order a triggered algo order sent to the book ("" until then).
    actual_order_id: str = ""


class AlgoCancelResponse(Model, frozen=True, kw_only=True):
    """``DELETE /fapi/v1/algoOrder``."""

    algo_id: int
    client_algo_id: str
    code: str
    msg: str
