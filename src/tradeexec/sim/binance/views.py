"""REST/WebSocket-API answer shapes: engine values as Binance's JSON, field order included.

Shared by every operation so that an order reads the same in a new-order answer, a query,
a cancel and openOrders, as it does at Binance.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeexec.sim.engine import Fill, OrderListRecord, OrderRecord, TradePrint


def dec(value: Decimal) -> str:
    """Binance's fixed eight-decimal text for prices, quantities and balances."""
    return f"{value:.8f}"


def tif(order: OrderRecord) -> str:
    return str(order.time_in_force) if order.time_in_force is not None else "GTC"


def order_ack(order: OrderRecord, transact_time: int) -> dict[str, Any]:
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": order.client_order_id,
        "transactTime": transact_time,
    }


def _conditional(order: OrderRecord, out: dict[str, Any]) -> None:
    if order.iceberg_qty:
        out["icebergQty"] = dec(order.iceberg_qty)
    if order.stop_price:
        out["stopPrice"] = dec(order.stop_price)
    if order.trailing_delta is not None:
        out["trailingDelta"] = order.trailing_delta
        if order.trailing_time != -1:
            out["trailingTime"] = order.trailing_time


def order_result(order: OrderRecord, transact_time: int) -> dict[str, Any]:
    out = order_ack(order, transact_time)
    out.update(
        price=dec(order.price),
        origQty=dec(order.orig_qty),
        executedQty=dec(order.executed_qty),
        origQuoteOrderQty=dec(order.orig_quote_order_qty),
        cummulativeQuoteQty=dec(order.cummulative_quote_qty),
        status=str(order.status),
        timeInForce=tif(order),
        type=str(order.type),
        side=str(order.side),
    )
    _conditional(order, out)
    out["workingTime"] = order.working_time
    out["selfTradePreventionMode"] = str(order.stp_mode)
    return out


def fill(f: Fill) -> dict[str, Any]:
    return {
        "price": dec(f.price),
        "qty": dec(f.qty),
        "commission": dec(f.commission),
        "commissionAsset": f.commission_asset,
        "tradeId": f.trade_id,
    }


def order_full(order: OrderRecord, transact_time: int, fills: list[Fill]) -> dict[str, Any]:
    out = order_result(order, transact_time)
    out["fills"] = [fill(f) for f in fills]
    return out


def order_query(order: OrderRecord) -> dict[str, Any]:
    """GET /api/v3/order, openOrders, allOrders."""
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": order.client_order_id,
        "price": dec(order.price),
        "origQty": dec(order.orig_qty),
        "executedQty": dec(order.executed_qty),
        "cummulativeQuoteQty": dec(order.cummulative_quote_qty),
        "status": str(order.status),
        "timeInForce": tif(order),
        "type": str(order.type),
        "side": str(order.side),
        "stopPrice": dec(order.stop_price),
        "icebergQty": dec(order.iceberg_qty),
        "time": order.time,
        "updateTime": order.update_time,
        "isWorking": order.is_working,
        "workingTime": order.working_time,
        "origQuoteOrderQty": dec(order.orig_quote_order_qty),
        "selfTradePreventionMode": str(order.stp_mode),
    }


def order_canceled(order: OrderRecord, cancel_client_id: str, transact_time: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "symbol": order.symbol,
        "origClientOrderId": order.client_order_id,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": cancel_client_id,
        "transactTime": transact_time,
        "price": dec(order.price),
        "origQty": dec(order.orig_qty),
        "executedQty": dec(order.executed_qty),
        "origQuoteOrderQty": dec(order.orig_quote_order_qty),
        "cummulativeQuoteQty": dec(order.cummulative_quote_qty),
        "status": str(order.status),
        "timeInForce": tif(order),
        "type": str(order.type),
        "side": str(order.side),
    }
    _conditional(order, out)
    out["selfTradePreventionMode"] = str(order.stp_mode)
    return out


def order_list(
    ol: OrderListRecord, orders: list[OrderRecord], reports: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    by_id = {o.order_id: o for o in orders}
    out: dict[str, Any] = {
        "orderListId": ol.order_list_id,
        "contingencyType": ol.contingency_type,
        "listStatusType": ol.list_status_type,
        "listOrderStatus": ol.list_order_status,
        "listClientOrderId": ol.list_client_order_id,
        "transactionTime": ol.transaction_time,
        "symbol": ol.symbol,
        "orders": [
            {"symbol": ol.symbol, "orderId": oid, "clientOrderId": by_id[oid].client_order_id}
            for oid in ol.order_ids
            if oid in by_id
        ],
    }
    if reports is not None:
        out["orderReports"] = reports
    return out


def my_trade(f: Fill, order_list_id: int = -1) -> dict[str, Any]:
    return {
        "symbol": f.symbol,
        "id": f.trade_id,
        "orderId": f.order_id,
        "orderListId": order_list_id,
        "price": dec(f.price),
        "qty": dec(f.qty),
        "quoteQty": dec(f.quote_qty),
        "commission": dec(f.commission),
        "commissionAsset": f.commission_asset,
        "time": f.time,
        "isBuyer": f.is_buyer,
        "isMaker": f.is_maker,
        "isBestMatch": True,
    }


def public_trade(t: TradePrint) -> dict[str, Any]:
    return {
        "id": t.trade_id,
        "price": dec(t.price),
        "qty": dec(t.qty),
        "quoteQty": dec(t.quote_qty),
        "time": t.time,
        "isBuyerMaker": t.is_buyer_maker,
        "isBestMatch": True,
    }


def agg_trade(t: TradePrint) -> dict[str, Any]:
    """One aggregate per trade: the engine reports each match as its own trade."""
    return {
        "a": t.trade_id,
        "p": dec(t.price),
        "q": dec(t.qty),
        "f": t.trade_id,
        "l": t.trade_id,
        "T": t.time,
        "m": t.is_buyer_maker,
        "M": True,
    }


def levels(side: list[tuple[Decimal, Decimal]]) -> list[list[str]]:
    return [[dec(p), dec(q)] for p, q in side]
