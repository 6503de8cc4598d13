"""A minimal in-process stand-in for BinanceClient, for unit tests of the order manager's
logic only (integration tests use the real client against the real LocalExchange). It keeps
orders in a dict and fills MARKET orders at ``price``; faults are scripted per call."""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Unpack

from tradeexec.binance.enums import ExecutionType, OrderStatus, OrderType, Side, TimeInForce
from tradeexec.binance.errors import MSG_DUPLICATE_ORDER, CancelRejected, NoSuchOrder, OrderRejected
from tradeexec.binance.models import (
    Account,
    AssetBalance,
    AvgPrice,
    ExecutionReport,
    MyTrade,
    Order,
    OrderFill,
    OrderFull,
    OrderReport,
    ServerTime,
    TickerPrice,
)
from tradeexec.binance.models.wallet import ApiRestrictions, SystemStatus
from tradeexec.binance.rest.order_args import OrderArgs, OrderOptions, order_args
from tradeexec.binance.rules.defaults import DEFAULT_SYMBOL_INFO
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.errors import OrderStatusUnknown

RULES = ExchangeRules.from_exchange_info(
    {"symbols": [DEFAULT_SYMBOL_INFO["BTCUSDT"], DEFAULT_SYMBOL_INFO["ETHUSDT"]]}
)


class FakeOrderClient:
    def __init__(self, price: Decimal = Decimal("30000")) -> None:
        self.price = price
        self.orders: dict[str, Order] = {}
        self.trades: list[MyTrade] = []
        self.place_faults: list[str] = []  # "placed_unknown" | "lost_unknown" | "reject"
        self.place_calls: list[str] = []
        self.now = time.time_ns() // 1_000_000
        self._next_id = 1
        self.restrictions = ApiRestrictions(
            ip_restrict=True, create_time=0, enable_spot_and_margin_trading=True
        )
        self.system_status_code = SystemStatus.NORMAL
        self.held: dict[str, Decimal] = {}

    async def rules(self) -> ExchangeRules:
        return RULES

    async def ticker_price(self, symbol: str) -> TickerPrice:
        return TickerPrice(symbol=symbol, price=self.price)

    async def ticker_prices(self, symbols: Sequence[str] | None = None) -> list[TickerPrice]:
        return [TickerPrice(symbol=s, price=self.price) for s in symbols or ()]

    async def account(self) -> Account:
        """What the account holds at the start (``self.held``, nothing by default)."""
        balances = [AssetBalance(asset=a, free=q, locked=Decimal(0)) for a, q in self.held.items()]
        return Account(
            maker_commission=0, taker_commission=0, buyer_commission=0, seller_commission=0,
            can_trade=True, can_withdraw=False, can_deposit=True, update_time=0,
            account_type="SPOT", balances=balances,
        )  # fmt: skip
    async def avg_price(self, symbol: str) -> AvgPrice:
        return AvgPrice(mins=5, price=self.price)

    async def new_order(
        self, symbol: str, side: Side | str, type: OrderType | str, **options: Unpack[OrderOptions]
    ) -> OrderFull:
        return await self.place(order_args(symbol, side, type, **options))

    async def place(self, args: OrderArgs, *, recv_window: int | None = None) -> OrderFull:
        """Takes the one order request type, as the real client's ``place`` does."""
        order = args.check
        symbol, side, type, quantity = order.symbol, order.side, order.type, order.quantity
        price, time_in_force, new_client_order_id = order.price, order.time_in_force, args.new_client_order_id
        assert new_client_order_id is not None and quantity is not None
        self.place_calls.append(new_client_order_id)
        fault = self.place_faults.pop(0) if self.place_faults else None
        if fault == "lost_unknown":
            raise OrderStatusUnknown(symbol, new_client_order_id, "timeout before the exchange saw it")
        if fault == "reject":
            raise OrderRejected(
                -2010, "Account has insufficient balance for requested action.", 400, "/api/v3/order"
            )
        existing = self.orders.get(new_client_order_id)
        if existing is not None and not existing.status.is_final:
            raise OrderRejected(-2010, MSG_DUPLICATE_ORDER, 400, "/api/v3/order")
        self.now += 1
        order = Order(
            symbol=symbol,
            order_id=self._next_id,
            client_order_id=new_client_order_id,
            price=price or Decimal(0),
            orig_qty=quantity,
            executed_qty=Decimal(0),
            cummulative_quote_qty=Decimal(0),
            status=OrderStatus.NEW,
            time_in_force=time_in_force or TimeInForce.GTC,
            type=type,
            side=side,
            time=self.now,
            update_time=self.now,
            is_working=True,
        )
        self._next_id += 1
        self.orders[new_client_order_id] = order
        fills: list[OrderFill] = []
        if type is OrderType.MARKET:
            fills.append(self._fill(new_client_order_id, quantity, self.price))
        order = self.orders[new_client_order_id]
        if fault == "placed_unknown":
            raise OrderStatusUnknown(symbol, new_client_order_id, "-1007 after execution")
        return OrderFull(
            symbol=symbol,
            order_id=order.order_id,
            client_order_id=order.client_order_id,
            price=order.price,
            orig_qty=order.orig_qty,
            executed_qty=order.executed_qty,
            cummulative_quote_qty=order.cummulative_quote_qty,
            status=order.status,
            time_in_force=order.time_in_force,
            type=order.type,
            side=order.side,
            transact_time=self.now,
            fills=fills,
        )

    def _fill(self, cid: str, qty: Decimal, price: Decimal) -> OrderFill:
        o = self.orders[cid]
        executed = o.executed_qty + qty
        self.now += 1
        trade_id = len(self.trades) + 1
        commission = (qty / 1000) if o.side is Side.BUY else (qty * price / 1000)
        asset = "BTC" if o.side is Side.BUY else "USDT"
        self.trades.append(
            MyTrade(
                symbol=o.symbol,
                id=trade_id,
                order_id=o.order_id,
                price=price,
                qty=qty,
                quote_qty=qty * price,
                commission=commission,
                commission_asset=asset,
                time=self.now,
                is_buyer=o.side is Side.BUY,
                is_maker=False,
                is_best_match=True,
            )
        )
        status = OrderStatus.FILLED if executed >= o.orig_qty else OrderStatus.PARTIALLY_FILLED
        self.orders[cid] = _with(
            o,
            executed_qty=executed,
            cummulative_quote_qty=o.cummulative_quote_qty + qty * price,
            status=status,
            update_time=self.now,
        )
        return OrderFill(
            price=price, qty=qty, commission=commission, commission_asset=asset, trade_id=trade_id
        )

    def fill(self, cid: str, qty: Decimal, price: Decimal) -> ExecutionReport:
        """Fill a resting order and return the stream event Binance would send."""
        f = self._fill(cid, qty, price)
        o = self.orders[cid]
        return report(
            o,
            ExecutionType.TRADE,
            trade_id=f.trade_id or 0,
            last_qty=qty,
            last_price=price,
            commission=f.commission,
            commission_asset=f.commission_asset,
        )

    async def get_order(
        self, symbol: str, *, order_id: int | None = None, orig_client_order_id: str | None = None
    ) -> Order:
        assert orig_client_order_id is not None
        if orig_client_order_id not in self.orders:
            raise NoSuchOrder(-2013, "Order does not exist.", 400, "/api/v3/order")
        return self.orders[orig_client_order_id]

    async def cancel_order(
        self, symbol: str, *, order_id: int | None = None, orig_client_order_id: str | None = None
    ) -> OrderReport:
        assert orig_client_order_id is not None
        o = self.orders.get(orig_client_order_id)
        if o is None or o.status.is_final:
            raise CancelRejected(-2011, "Unknown order sent.", 400, "/api/v3/order")
        self.now += 1
        o = self.orders[orig_client_order_id] = _with(o, status=OrderStatus.CANCELED, update_time=self.now)
        return OrderReport(
            symbol=o.symbol,
            order_id=o.order_id,
            client_order_id="cancel1",
            orig_client_order_id=o.client_order_id,
            price=o.price,
            orig_qty=o.orig_qty,
            executed_qty=o.executed_qty,
            cummulative_quote_qty=o.cummulative_quote_qty,
            status=o.status,
            time_in_force=o.time_in_force,
            type=o.type,
            side=o.side,
            transact_time=self.now,
        )

    async def cancel_all_orders(self, symbol: str) -> Sequence[OrderReport]:
        return [
            await self.cancel_order(symbol, orig_client_order_id=o.client_order_id)
            for o in list(self.orders.values())
            if o.symbol == symbol and not o.status.is_final
        ]

    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]:
        return [o for o in self.orders.values() if not o.status.is_final and symbol in (None, o.symbol)]

    async def all_orders(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        limit: int | None = None,
    ) -> Sequence[Order]:
        found = sorted(
            (o for o in self.orders.values() if o.symbol == symbol and o.order_id >= (order_id or 0)),
            key=lambda o: o.order_id,
        )
        return [o for o in found if start_time is None or o.time >= start_time][: limit or 500]

    async def my_trades(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
    ) -> Sequence[MyTrade]:
        return [
            t
            for t in self.trades
            if t.symbol == symbol
            and order_id in (None, t.order_id)
            and (start_time is None or t.time >= start_time)
            and t.id >= (from_id or 0)
        ][: limit or 500]

    async def api_restrictions(self) -> ApiRestrictions:
        return self.restrictions

    async def server_time(self) -> ServerTime:
        return ServerTime(server_time=time.time_ns() // 1_000_000)

    def timestamp_ms(self) -> int:
        return time.time_ns() // 1_000_000

    async def system_status(self) -> SystemStatus:
        return SystemStatus(status=self.system_status_code, msg="")


def _with(o: Order, **changes: Any) -> Order:
    import msgspec

    return msgspec.structs.replace(o, **changes)


def report(
    o: Order,
    x: ExecutionType,
    *,
    trade_id: int = -1,
    last_qty: Decimal = Decimal(0),
    last_price: Decimal = Decimal(0),
    commission: Decimal = Decimal(0),
    commission_asset: str | None = None,
    status: OrderStatus | None = None,
    executed: Decimal | None = None,
    time: int | None = None,
) -> ExecutionReport:
    return ExecutionReport(
        event_time=o.update_time,
        symbol=o.symbol,
        client_order_id=o.client_order_id,
        side=o.side,
        order_type=o.type,
        time_in_force=o.time_in_force,
        quantity=o.orig_qty,
        price=o.price,
        stop_price=Decimal(0),
        iceberg_qty=Decimal(0),
        order_list_id=-1,
        orig_client_order_id="",
        execution_type=x,
        order_status=status or o.status,
        reject_reason="NONE",
        order_id=o.order_id,
        last_executed_qty=last_qty,
        cumulative_filled_qty=o.executed_qty if executed is None else executed,
        last_executed_price=last_price,
        commission=commission,
        commission_asset=commission_asset,
        transaction_time=time or o.update_time,
        trade_id=trade_id,
        is_working=True,
        is_maker=True,
        order_creation_time=o.time,
        cumulative_quote_qty=o.cummulative_quote_qty,
        last_quote_qty=last_qty * last_price,
        quote_order_qty=Decimal(0),
    )
