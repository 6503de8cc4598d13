"""Binance spot as a ``tradeexec.venue.protocol.TradingVenue``: the adapter the execution
core trades through.

It maps the core's calls onto ``BinanceClient`` (the tests' doubles of it have the same
calls) and Binance's answers onto the neutral records. The order vocabulary is shared
(``tradeexec.venue.vocab``: the same enum classes), so nothing is mapped value by value. The
core checks an order once: its shape here (``check_order``), its values and the symbol's
filters (``SymbolRules.validate_order``, with the live prices) before journaling it; a
placement then goes out as the journaled request, built into the one order request type
(``OrderArgs``) with no second check, over REST or the WebSocket API (``orders``), asking
for the FULL answer so that fills arrive with it. The conversions to the neutral records are
in ``venue_records``, the user stream in ``venue_stream``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderResponseType
from tradeexec.binance.errors import MSG_DUPLICATE_ORDER
from tradeexec.binance.models import OrderAck, OrderFull, OrderReport
from tradeexec.binance.models.wallet import SystemStatus
from tradeexec.binance.net.gate import placing
from tradeexec.binance.rest.order_args import OrderArgs, check_shape
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.rules.order_check import order_check_of
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
from tradeexec.errors import BinanceAPIError, DuplicateOrderId, InvalidParameter
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.protocol import KeyPermissions, StopGate
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
from tradeexec.venue.rules import OrderTerms
from tradeexec.venue.vocab import OrderType

__all__ = ["BinanceVenueBase", "OrderSender", "SpotVenue", "leg_terms"]

DUPLICATE_ORDER_MSG = MSG_DUPLICATE_ORDER


def leg_terms(order: OrderTerms) -> tuple[bool, PositionLeg | None]:
    """The order's reduce-only flag and position leg; an order type without them (a plain
    ``OrderTerms``) is neither."""
    return bool(getattr(order, "reduce_only", False)), getattr(order, "position_leg", None)


def _refuse_legs(symbol: str, reduce_only: bool, leg: PositionLeg | None) -> None:
    if reduce_only or leg is not None:
        # Spot has no positions: sending it without the flag would buy or sell for real.
        raise InvalidParameter(
            "reduce_only" if reduce_only else "position_leg",
            "spot has no positions",
            f"{symbol} is traded on Binance spot; reduce-only and legs are futures terms",
        )


class OrderSender(Protocol):
    """What sends a checked order: the REST client or a WebSocket API session (``place``)."""

    async def place(self, args: OrderArgs, *, recv_window: int | None = None) -> OrderAck | OrderFull: ...


class BinanceVenueBase:
    """What every Binance product's adapter answers the same way, whatever it trades: the
    key's permissions and the system status are Binance-wide (``/sapi``), the clock offset is
    the client's."""

    def __init__(self, client: BinanceClient) -> None:
        self.client = client

    @property
    def is_local(self) -> bool:
        return is_local_exchange(self.client)

    async def key_permissions(self) -> KeyPermissions:
        return await self.client.api_restrictions()

    async def status(self) -> VenueStatus:
        status = await self.client.system_status()
        return VenueStatus(maintenance=status.status == SystemStatus.MAINTENANCE, msg=status.msg)

    def timestamp_ms(self) -> int:
        return self.client.timestamp_ms()


class SpotVenue(BinanceVenueBase):
    """Binance spot (or the local exchange) through ``client``; orders are placed through
    ``orders`` when given (a ``WsApiClient``: the WebSocket API), else over REST."""

    def __init__(self, client: BinanceClient, orders: OrderSender | None = None) -> None:
        super().__init__(client)
        self.orders: OrderSender = client if orders is None else orders

    async def rules(self) -> ExchangeRules:
        return await self.client.rules()

    def check_order(self, order: OrderTerms) -> None:
        if order.type is OrderType.TRAILING_STOP_MARKET:
            raise InvalidParameter(
                "type",
                "Binance spot has no TRAILING_STOP_MARKET (a spot trailing stop is a STOP_LOSS or "
                "TAKE_PROFIT with trailingDelta)",
                f"{order.symbol}: {order.type}",
            )
        check_shape(order_check_of(order))
        _refuse_legs(order.symbol, *leg_terms(order))

    async def place(self, request: PlacementRequest, *, gate: StopGate | None = None) -> PlaceAnswer:
        # Checked by the core (``check_order``, the rules): built as it is, not checked again,
        # but for the one refusal a journal written by another venue's run could carry.
        _refuse_legs(request.symbol, request.reduce_only, request.position_leg)
        args = OrderArgs(order_check_of(request), request.client_order_id, OrderResponseType.FULL)
        try:
            with placing(gate):  # read again at signing, REST or WebSocket API
                response = await self.orders.place(args, recv_window=request.recv_window_ms)
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

    async def average_price(self, symbol: str) -> Decimal | None:
        price = (await self.client.avg_price(symbol)).price
        return price if price.is_finite() and price > 0 else None  # 0: nothing traded yet

    async def server_time_ms(self) -> int:
        return (await self.client.server_time()).server_time
