"""What the execution core needs of a venue (an exchange account): the calls the order manager
makes. Today it is the subset of ``tradeexec.binance.BinanceClient`` the manager uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

from tradeexec.binance.enums import OrderResponseType, OrderType, Side, TimeInForce
from tradeexec.binance.models import MyTrade, Order, OrderReport, ServerTime, TickerPrice
from tradeexec.binance.models_wallet import SystemStatus
from tradeexec.binance.rules import ExchangeRules
from tradeexec.execution.risk import KeyPermissions

__all__ = ["OrderClient"]


class OrderClient(Protocol):
    """The calls of ``tradeexec.binance.BinanceClient`` the manager uses."""

    async def rules(self) -> ExchangeRules: ...

    async def new_order(
        self,
        symbol: str,
        side: Side,
        type: OrderType,
        *,
        quantity: Decimal | None = None,
        quote_order_qty: Decimal | None = None,
        price: Decimal | None = None,
        time_in_force: TimeInForce | None = None,
        stop_price: Decimal | None = None,
        new_client_order_id: str | None = None,
        new_order_resp_type: OrderResponseType = ...,
        recv_window: int | None = None,
    ) -> Any: ...

    async def get_order(
        self, symbol: str, *, order_id: int | None = None, orig_client_order_id: str | None = None
    ) -> Order: ...

    async def cancel_order(
        self, symbol: str, *, order_id: int | None = None, orig_client_order_id: str | None = None
    ) -> OrderReport: ...

    async def cancel_all_orders(self, symbol: str) -> Sequence[Any]: ...

    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]: ...

    async def all_orders(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        limit: int | None = None,
    ) -> Sequence[Order]: ...

    async def my_trades(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        start_time: int | None = None,
        from_id: int | None = None,
        limit: int | None = None,
    ) -> Sequence[MyTrade]: ...

    async def ticker_price(self, symbol: str) -> TickerPrice: ...

    async def api_restrictions(self) -> KeyPermissions: ...

    async def system_status(self) -> SystemStatus: ...

    async def server_time(self) -> ServerTime: ...

    def timestamp_ms(self) -> int:
        """The ``timestamp`` the client would sign a request with now (its local clock plus
        its measured server-time offset)."""
        ...

