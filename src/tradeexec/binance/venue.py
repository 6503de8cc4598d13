"""Binance spot as a ``tradeexec.venue.protocol.TradingVenue``: the adapter the execution
core trades through.

It maps the core's calls onto ``BinanceClient`` (the tests' doubles of it have the same
calls) and Binance's answers onto the neutral records. The order vocabulary is shared
(``tradeexec.venue.vocab``: the same enum classes), so nothing is mapped value by value; a
placement goes out with the core's already checked and filter-validated request
(``validate=False``: the core validated it once, with the live mark price), asking for the
FULL answer so that fills arrive with it. The conversions to the neutral records are in
``venue_records``, the user stream in ``venue_stream``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderResponseType
from tradeexec.binance.errors import MSG_DUPLICATE_ORDER
from tradeexec.binance.models import AvgPrice, OrderReport
from tradeexec.binance.models.wallet import SystemStatus
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.venue_records import (
    account_balances,
    book_top,
    cancel_answer,
    last_prices,
    place_answer,
    snapshot,
    trade_record,
)
from tradeexec.binance.venue_stream import SpotUserStream, user_data_stream
from tradeexec.config import is_local_exchange
from tradeexec.errors import BinanceAPIError, DuplicateOrderId
from tradeexec.venue.protocol import KeyPermissions
from tradeexec.venue.records import (
    AccountBalances,
    BookTop,
    CancelAnswer,
    OrderSnapshot,
    PlaceAnswer,
    PlacementRequest,
    TradeRecord,
    VenueStatus,
)

__all__ = ["SpotVenue"]

DUPLICATE_ORDER_MSG = MSG_DUPLICATE_ORDER


class SpotVenue:
    """Binance spot (or the local exchange) through ``client``."""

    def __init__(self, client: BinanceClient) -> None:
        self.client = client

    @property
    def is_local(self) -> bool:
        return is_local_exchange(self.client)

    async def rules(self) -> ExchangeRules:
        return await self.client.rules()

    async def place(self, request: PlacementRequest) -> PlaceAnswer:
        try:
            response = await self.client.new_order(
                request.symbol,
                request.side,
                request.type,
                quantity=request.quantity,
                quote_order_qty=request.quote_quantity,
                price=request.price,
                time_in_force=request.time_in_force,
                stop_price=request.stop_price,
                new_client_order_id=request.client_order_id,
                new_order_resp_type=OrderResponseType.FULL,
                recv_window=request.recv_window_ms,
                validate=False,
            )
        except BinanceAPIError as exc:
            if exc.msg == DUPLICATE_ORDER_MSG:
                raise DuplicateOrderId(str(exc)) from exc
            raise
        return place_answer(response)

    async def lookup(self, symbol: str, client_order_id: str) -> OrderSnapshot:
        return snapshot(await self.client.get_order(symbol, orig_client_order_id=client_order_id))

    async def cancel(self, symbol: str, client_order_id: str) -> CancelAnswer:
        return cancel_answer(await self.client.cancel_order(symbol, orig_client_order_id=client_order_id))

    async def cancel_all(self, symbol: str) -> list[CancelAnswer]:
        # Order lists in the answer are not the core's (it places single orders only).
        answers = await self.client.cancel_all_orders(symbol)
        return [cancel_answer(r) for r in answers if isinstance(r, OrderReport)]

    async def open_orders(self, symbol: str | None = None) -> list[OrderSnapshot]:
        return [snapshot(o) for o in await self.client.open_orders(symbol)]

    async def recent_orders(
        self, symbol: str, *, since_ms: int | None = None, from_order_id: int | None = None, limit: int
    ) -> list[OrderSnapshot]:
        found = await self.client.all_orders(symbol, start_time=since_ms, order_id=from_order_id, limit=limit)
        return [snapshot(o) for o in found]

    async def recent_trades(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        since_ms: int | None = None,
        from_trade_id: int | None = None,
        limit: int | None = None,
    ) -> list[TradeRecord]:
        found = await self.client.my_trades(
            symbol, order_id=order_id, start_time=since_ms, from_id=from_trade_id, limit=limit
        )
        return [trade_record(t) for t in found]

    async def balances(self) -> AccountBalances:
        return account_balances(await self.client.account())

    async def last_prices(self, symbols: Sequence[str]) -> dict[str, Decimal]:
        if len(symbols) == 1:  # one symbol weighs half of a list
            return last_prices([await self.client.ticker_price(symbols[0])])
        return last_prices(await self.client.ticker_prices(symbols))

    async def book_top(self, symbol: str, levels: int) -> BookTop:
        return book_top(await self.client.depth(symbol, levels))

    def user_stream(self, *, backoff_base_s: float = 0.5, legacy: bool = False) -> SpotUserStream:
        """See ``venue_stream.user_data_stream`` (``legacy``: a listenKey stream on spot)."""
        return user_data_stream(self.client, legacy=legacy, backoff_base_s=backoff_base_s)

    async def avg_price(self, symbol: str) -> AvgPrice:
        """The average-price filters' reference (``execution.avg_prices``): still Binance's
        model, handed through as it is."""
        return await self.client.avg_price(symbol)

    async def key_permissions(self) -> KeyPermissions:
        return await self.client.api_restrictions()

    async def status(self) -> VenueStatus:
        status = await self.client.system_status()
        return VenueStatus(maintenance=status.status == SystemStatus.MAINTENANCE, msg=status.msg)

    async def server_time_ms(self) -> int:
        return (await self.client.server_time()).server_time

    def timestamp_ms(self) -> int:
        return self.client.timestamp_ms()

