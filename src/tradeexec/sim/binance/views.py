"""REST/WebSocket-API answer shapes: engine values as the client's own answer structs
(``binance/models/wire.py``), so the local exchange writes exactly what the client reads.

Shared by every operation so that an order reads the same in a new-order answer, a query,
a cancel and openOrders, as it does at Binance.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradeexec.binance.enums import ContingencyType, ListOrderStatus, ListStatusType, TimeInForce
from tradeexec.binance.models import (
    AggTrade,
    MyTrade,
    Order,
    OrderAck,
    OrderFill,
    OrderFull,
    OrderList,
    OrderListMember,
    OrderReport,
    OrderResult,
    Trade,
)
from tradeexec.binance.models.wire import (
    WireAggTrade,
    WireMyTrade,
    WireOrder,
    WireOrderAck,
    WireOrderFill,
    WireOrderFull,
    WireOrderList,
    WireOrderReport,
    WireOrderResult,
    WireTrade,
    fixed8,
)
from tradeexec.sim.engine import Fill, OrderListRecord, OrderRecord, TradePrint


def dec(value: Decimal) -> str:
    """Binance's fixed eight-decimal text, for the answers not yet built as structs."""
    return f"{value:.8f}"


def tif(order: OrderRecord) -> TimeInForce:
    return order.time_in_force if order.time_in_force is not None else TimeInForce.GTC


def _conditional(order: OrderRecord) -> dict[str, Any]:
    """The fields Binance writes only for orders that have them (iceberg, stop, trailing)."""
    trailing = order.trailing_delta
    return {
        "iceberg_qty": fixed8(order.iceberg_qty) if order.iceberg_qty else None,
        "stop_price": fixed8(order.stop_price) if order.stop_price else None,
        "trailing_delta": trailing,
        "trailing_time": order.trailing_time if trailing is not None and order.trailing_time != -1 else None,
    }


def order_ack(order: OrderRecord, transact_time: int) -> OrderAck:
    return WireOrderAck(
        symbol=order.symbol,
        order_id=order.order_id,
        order_list_id=order.order_list_id,
        client_order_id=order.client_order_id,
        transact_time=transact_time,
    )


def _result_fields(order: OrderRecord) -> dict[str, Any]:
    return {
        "symbol": order.symbol,
        "order_id": order.order_id,
        "order_list_id": order.order_list_id,
        "client_order_id": order.client_order_id,
        "price": fixed8(order.price),
        "orig_qty": fixed8(order.orig_qty),
        "executed_qty": fixed8(order.executed_qty),
        "orig_quote_order_qty": fixed8(order.orig_quote_order_qty),
        "cummulative_quote_qty": fixed8(order.cummulative_quote_qty),
        "status": order.status,
        "time_in_force": tif(order),
        "type": order.type,
        "side": order.side,
        "self_trade_prevention_mode": order.stp_mode,
        **_conditional(order),
    }


def order_result(order: OrderRecord, transact_time: int) -> OrderResult:
    return WireOrderResult(
        transact_time=transact_time, working_time=order.working_time, **_result_fields(order)
    )


def order_report(order: OrderRecord, transact_time: int) -> OrderReport:
    """An order placed in a list, as the list's ``orderReports`` show it."""
    return WireOrderReport(
        transact_time=transact_time, working_time=order.working_time, **_result_fields(order)
    )


def fill(f: Fill) -> OrderFill:
    return WireOrderFill(
        price=fixed8(f.price),
        qty=fixed8(f.qty),
        commission=fixed8(f.commission),
        commission_asset=f.commission_asset,
        trade_id=f.trade_id,
    )


def order_full(order: OrderRecord, transact_time: int, fills: list[Fill]) -> OrderFull:
    return WireOrderFull(
        transact_time=transact_time,
        working_time=order.working_time,
        fills=[fill(f) for f in fills],
        **_result_fields(order),
    )


def order_query(order: OrderRecord) -> Order:
    """GET /api/v3/order, openOrders, allOrders."""
    return WireOrder(
        symbol=order.symbol,
        order_id=order.order_id,
        order_list_id=order.order_list_id,
        client_order_id=order.client_order_id,
        price=fixed8(order.price),
        orig_qty=fixed8(order.orig_qty),
        executed_qty=fixed8(order.executed_qty),
        cummulative_quote_qty=fixed8(order.cummulative_quote_qty),
        status=order.status,
        time_in_force=tif(order),
        type=order.type,
        side=order.side,
        stop_price=fixed8(order.stop_price),
        iceberg_qty=fixed8(order.iceberg_qty),
        time=order.time,
        update_time=order.update_time,
        is_working=order.is_working,
        working_time=order.working_time,
        orig_quote_order_qty=fixed8(order.orig_quote_order_qty),
        self_trade_prevention_mode=order.stp_mode,
    )


def order_canceled(order: OrderRecord, cancel_client_id: str, transact_time: int) -> OrderReport:
    fields = _result_fields(order)
    fields["client_order_id"] = cancel_client_id
    return WireOrderReport(orig_client_order_id=order.client_order_id, transact_time=transact_time, **fields)


def order_list(
    ol: OrderListRecord, orders: list[OrderRecord], reports: list[OrderReport] | None = None
) -> OrderList:
    by_id = {o.order_id: o for o in orders}
    return WireOrderList(
        order_list_id=ol.order_list_id,
        contingency_type=ContingencyType(ol.contingency_type),
        list_status_type=ListStatusType(ol.list_status_type),
        list_order_status=ListOrderStatus(ol.list_order_status),
        list_client_order_id=ol.list_client_order_id,
        transaction_time=ol.transaction_time,
        symbol=ol.symbol,
        orders=[
            OrderListMember(symbol=ol.symbol, order_id=oid, client_order_id=by_id[oid].client_order_id)
            for oid in ol.order_ids
            if oid in by_id
        ],
        order_reports=reports or [],
    )


def my_trade(f: Fill, order_list_id: int = -1) -> MyTrade:
    return WireMyTrade(
        symbol=f.symbol,
        id=f.trade_id,
        order_id=f.order_id,
        order_list_id=order_list_id,
        price=fixed8(f.price),
        qty=fixed8(f.qty),
        quote_qty=fixed8(f.quote_qty),
        commission=fixed8(f.commission),
        commission_asset=f.commission_asset,
        time=f.time,
        is_buyer=f.is_buyer,
        is_maker=f.is_maker,
        is_best_match=True,
    )


def _print_fields(t: TradePrint) -> dict[str, Any]:
    """What a public trade and its one-trade aggregate both say about the trade."""
    return {
        "price": fixed8(t.price),
        "qty": fixed8(t.qty),
        "time": t.time,
        "is_buyer_maker": t.is_buyer_maker,
        "is_best_match": True,
    }


def public_trade(t: TradePrint) -> Trade:
    return WireTrade(id=t.trade_id, quote_qty=fixed8(t.quote_qty), **_print_fields(t))


def agg_trade(t: TradePrint) -> AggTrade:
    """One aggregate per trade: the engine reports each match as its own trade."""
    return WireAggTrade(
        agg_trade_id=t.trade_id, first_trade_id=t.trade_id, last_trade_id=t.trade_id, **_print_fields(t)
    )
