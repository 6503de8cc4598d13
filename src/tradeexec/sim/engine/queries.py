"""``Engine``, the public face of the matching engine: the read-only queries (orders, order
lists, trades, depth, tickers) on top of every job the chain below adds."""

from __future__ import annotations

from decimal import Decimal

from tradeexec.sim.engine.amend import Amending
from tradeexec.sim.engine.core import STOP_TYPES, ZERO
from tradeexec.sim.engine.records import (
    DepthSnapshot,
    EngineReject,
    Fill,
    OrderListRecord,
    OrderRecord,
    TradePrint,
)


class Engine(Amending):
    """Binance's spot matching for the local exchange; every public method is one atomic call.

    Choices where the reference is silent: a request's ``stp_mode`` NONE means "not sent", so
    the engine default applies; a triggered stop keeps its type (as Binance reports it) and
    emits a second NEW execution event with ``is_working`` set; a STOP_LOSS / TAKE_PROFIT
    BUY (market once triggered) locks nothing and expires unfilled if the account cannot pay
    for the book at trigger time; an OCO holds one lock, the larger need of its two legs.
    """

    def get_order(
        self, account: str, symbol: str, *, order_id: int | None = None, client_order_id: str | None = None
    ) -> OrderRecord:
        st = self._symbol(symbol)
        order: OrderRecord | None = None
        if order_id is not None:
            order = st.orders.get(order_id)
        elif client_order_id is not None:
            order = self._by_client_id.get((account, symbol, client_order_id))
        if order is None or order.account != account:
            raise EngineReject(-2013, "Order does not exist.")
        return order.snapshot()

    def get_order_list(
        self, account: str, *, order_list_id: int | None = None, list_client_order_id: str | None = None
    ) -> tuple[OrderListRecord, list[OrderRecord]]:
        oco = self._find_list(account, order_list_id, list_client_order_id)
        if oco is None:
            raise EngineReject(-2011, "Order list does not exist.")
        return oco.order_list.snapshot(), [oco.stop.order.snapshot(), oco.limit.order.snapshot()]

    def order_lists(self, account: str, *, open_only: bool = False) -> list[OrderListRecord]:
        return [
            oco.order_list.snapshot()
            for oco in self._lists.values()
            if oco.account == account and (oco.executing or not open_only)
        ]

    def open_orders(self, account: str, symbol: str | None = None) -> list[OrderRecord]:
        return [live.order.snapshot() for live in self._open_lives(account, symbol)]

    def open_order_count(self, account: str, symbol: str | None = None) -> int:
        by_symbol = self._open.get(account, {})
        if symbol is not None:
            return len(by_symbol.get(symbol, {}))
        return sum(len(orders) for orders in by_symbol.values())

    def algo_order_count(self, account: str, symbol: str | None = None) -> int:
        """Open STOP_LOSS(_LIMIT) / TAKE_PROFIT(_LIMIT) orders, for MAX_NUM_ALGO_ORDERS."""
        return sum(1 for live in self._open_lives(account, symbol) if live.order.type in STOP_TYPES)

    def iceberg_order_count(self, account: str, symbol: str | None = None) -> int:
        return sum(1 for live in self._open_lives(account, symbol) if live.order.iceberg_qty > 0)

    def all_orders(
        self,
        account: str,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 500,
    ) -> list[OrderRecord]:
        """Binance's allOrders: from ``order_id`` onwards when given, else the most recent."""
        self._symbol(symbol)
        orders = [
            o
            for o in self._history.get((account, symbol), [])
            if (order_id is None or o.order_id >= order_id)
            and (start_time is None or o.time >= start_time)
            and (end_time is None or o.time <= end_time)
        ]
        chosen = orders[:limit] if order_id is not None else orders[-limit:]
        return [o.snapshot() for o in chosen]

    def my_trades(
        self,
        account: str,
        symbol: str,
        *,
        from_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 500,
        order_id: int | None = None,
    ) -> list[Fill]:
        self._symbol(symbol)
        fills = [
            f
            for f in self._fills.get((account, symbol), [])
            if (from_id is None or f.trade_id >= from_id)
            and (order_id is None or f.order_id == order_id)
            and (start_time is None or f.time >= start_time)
            and (end_time is None or f.time <= end_time)
        ]
        return fills[:limit] if from_id is not None else fills[-limit:]

    def depth(self, symbol: str, limit: int) -> DepthSnapshot:
        st = self._symbol(symbol)
        return DepthSnapshot(st.update_id, st.bids.top(limit), st.asks.top(limit))

    def last_update_id(self, symbol: str) -> int:
        return self._symbol(symbol).update_id

    def recent_trades(self, symbol: str, limit: int = 500, from_id: int | None = None) -> list[TradePrint]:
        trades = self._symbol(symbol).trades
        if from_id is not None:
            start = max(from_id, 1) - 1
            return trades[start : start + limit]
        return trades[-limit:] if limit > 0 else []

    def last_price(self, symbol: str) -> Decimal | None:
        return self._symbol(symbol).last_price

    def book_ticker(self, symbol: str) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        st = self._symbol(symbol)
        bid, ask = st.bids.best(), st.asks.best()
        return (
            bid if bid is not None else ZERO,
            st.bids.level_qty(bid) if bid is not None else ZERO,
            ask if ask is not None else ZERO,
            st.asks.level_qty(ask) if ask is not None else ZERO,
        )
