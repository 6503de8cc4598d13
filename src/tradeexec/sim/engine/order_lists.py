"""Order lists (OCO): placing both legs under one lock and cancelling the list as a whole."""

from __future__ import annotations

from decimal import Decimal

from tradeexec.binance.enums import ExecutionType, OrderType, SelfTradePreventionMode, Side, TimeInForce
from tradeexec.binance.errors import MSG_DUPLICATE_ORDER
from tradeexec.sim.engine.core import ZERO, LiveOco, SymbolBook, exact
from tradeexec.sim.engine.events import Event, ListStatusEvent
from tradeexec.sim.engine.records import EngineReject, OrderListRecord, OrderRecord
from tradeexec.sim.engine.triggers import Triggers


class OrderLists(Triggers):
    """Adds OCO order lists: place both legs under one lock, cancel the list as one."""

    @exact
    def place_oco(
        self,
        account: str,
        *,
        symbol: str,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        stop_price: Decimal,
        stop_limit_price: Decimal | None,
        stop_limit_time_in_force: TimeInForce | None,
        list_client_order_id: str | None,
        limit_client_order_id: str | None,
        stop_client_order_id: str | None,
        now_ms: int,
        trailing_delta: int | None = None,
        limit_iceberg_qty: Decimal | None = None,
        stop_iceberg_qty: Decimal | None = None,
        stp_mode: SelfTradePreventionMode = SelfTradePreventionMode.NONE,
    ) -> tuple[OrderListRecord, list[OrderRecord], list[Event]]:
        """An OCO: a LIMIT_MAKER leg and a STOP_LOSS(_LIMIT) leg sharing one lock; the orders
        come back stop leg first, as Binance lists them."""
        st = self._symbol(symbol)
        ids = [i for i in (limit_client_order_id, stop_client_order_id) if i is not None]
        if len(set(ids)) != len(ids):
            raise EngineReject(-2010, MSG_DUPLICATE_ORDER)
        for cid in ids:
            self._check_client_id_free(account, symbol, cid)
        if list_client_order_id is not None:
            known = self._lists_by_client_id.get((account, list_client_order_id))
            if known is not None and known.executing:
                raise EngineReject(-2010, MSG_DUPLICATE_ORDER)
        last = st.last_price
        if side is Side.SELL:
            ok = price > stop_price and (last is None or price > last > stop_price)
        else:
            ok = price < stop_price and (last is None or price < last < stop_price)
        if not ok:
            raise EngineReject(-2010, "The relationship of the prices for the orders is not correct.")
        self._check_maker(st, side, price)
        need = quantity if side is Side.SELL else max(price, stop_limit_price or ZERO) * quantity
        self._check_free(st, account, side, need)

        self._begin(now_ms)
        stp = self._stp(stp_mode)
        stop_type = OrderType.STOP_LOSS if stop_limit_price is None else OrderType.STOP_LOSS_LIMIT
        list_id = self._next_list_id
        self._next_list_id += 1
        stop = self._create(
            st,
            account,
            side=side,
            order_type=stop_type,
            tif=stop_limit_time_in_force or TimeInForce.GTC,
            price=stop_limit_price,
            qty=quantity,
            client_id=stop_client_order_id,
            stop_price=stop_price,
            trailing_delta=trailing_delta,
            iceberg=stop_iceberg_qty,
            stp=stp,
            list_id=list_id,
        )
        limit = self._create(
            st,
            account,
            side=side,
            order_type=OrderType.LIMIT_MAKER,
            tif=TimeInForce.GTC,
            price=price,
            qty=quantity,
            client_id=limit_client_order_id,
            iceberg=limit_iceberg_qty,
            stp=stp,
            list_id=list_id,
        )
        order_list = OrderListRecord(
            order_list_id=list_id,
            contingency_type="OCO",
            list_status_type="EXEC_STARTED",
            list_order_status="EXECUTING",
            list_client_order_id=list_client_order_id or self._new_client_id(),
            transaction_time=now_ms,
            symbol=symbol,
            order_ids=[stop.order.order_id, limit.order.order_id],
        )
        oco = LiveOco(account, order_list, stop, limit)
        stop.oco = limit.oco = oco
        self._lists[list_id] = oco
        self._lists_by_client_id[(account, order_list.list_client_order_id)] = oco
        self._emit(stop, ExecutionType.NEW)
        self._emit(limit, ExecutionType.NEW)
        self._events.append(ListStatusEvent(account, order_list.snapshot(), now_ms))
        self._lock(st, limit, need)
        self._rest(st, limit)
        self._arm(st, stop)
        events = self._end(st)
        return order_list.snapshot(), [stop.order.snapshot(), limit.order.snapshot()], events

    @exact
    def cancel_order_list(
        self,
        account: str,
        symbol: str,
        *,
        order_list_id: int | None = None,
        list_client_order_id: str | None = None,
        new_client_order_id: str | None = None,
        now_ms: int,
    ) -> tuple[OrderListRecord, list[OrderRecord], list[Event]]:
        st = self._symbol(symbol)
        oco = self._find_list(account, order_list_id, list_client_order_id)
        if oco is None or not oco.executing or oco.order_list.symbol != symbol:
            raise EngineReject(-2011, "Unknown order list sent.")
        self._begin(now_ms)
        self._cancel_list(st, oco, new_client_order_id or self._new_client_id())
        events = self._end(st)
        orders = [oco.stop.order.snapshot(), oco.limit.order.snapshot()]
        return oco.order_list.snapshot(), orders, events

    def _cancel_list(self, st: SymbolBook, oco: LiveOco, cancel_id: str) -> None:
        for leg in (oco.stop, oco.limit):
            if leg.order.order_id in st.live:
                self._cancel_one(st, leg, cancel_id)
        self._finish_list(oco, expire=None)
