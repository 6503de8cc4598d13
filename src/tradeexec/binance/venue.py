"""Binance spot as a ``tradeexec.venue.protocol.TradingVenue``: the adapter the execution
core trades through.

It maps the core's calls onto ``BinanceClient`` (the tests' doubles of it have the same
calls) and Binance's answers onto the neutral records. The order vocabulary is shared
(``tradeexec.venue.vocab``: the same enum classes), so nothing is mapped value by value. The
core checks an order once: its shape here (``check_order``), its values and the symbol's
filters (``SymbolRules.validate_order``, with the live prices) before journaling it; a
placement then goes out as the journaled request, built into the one order request type
(``OrderArgs``) with no second check, over REST or the WebSocket API (``orders``), asking
for the FULL answer so that fills arrive with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderResponseType
from tradeexec.binance.errors import MSG_DUPLICATE_ORDER
from tradeexec.binance.models import Account, MyTrade, Order, OrderAck, OrderFull, OrderReport, TickerPrice
from tradeexec.binance.models.wallet import SystemStatus
from tradeexec.binance.rest.order_args import OrderArgs, check_shape
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.rules.order_check import order_check_of
from tradeexec.binance.ws.userdata import ListenKeyUserData, UserDataStream, WsApiUserData
from tradeexec.config import Venue, is_local_exchange
from tradeexec.errors import BinanceAPIError, DuplicateOrderId
from tradeexec.lifecycle import AsyncService
from tradeexec.venue.protocol import KeyPermissions
from tradeexec.venue.records import (
    CancelAnswer,
    OrderSnapshot,
    PlaceAnswer,
    PlacementFill,
    PlacementRequest,
    TradeRecord,
    VenueStatus,
)
from tradeexec.venue.rules import OrderTerms

__all__ = ["OrderSender", "SpotVenue", "cancel_answer", "snapshot", "trade_record", "user_data_stream"]

DUPLICATE_ORDER_MSG = MSG_DUPLICATE_ORDER
_LISTEN_KEY_PATHS = {
    Venue.USDM_FUTURES: "/fapi/v1/listenKey",
    Venue.FUTURES_TESTNET: "/fapi/v1/listenKey",
}
_SPOT_LISTEN_KEY_PATH = "/api/v3/userDataStream"
_ZERO = Decimal(0)


def snapshot(o: Order) -> OrderSnapshot:
    """A Binance order as the core reads one."""
    return OrderSnapshot(
        symbol=o.symbol,
        order_id=o.order_id,
        client_order_id=o.client_order_id,
        side=o.side,
        type=o.type,
        status=o.status,
        time_in_force=o.time_in_force,
        quantity=o.orig_qty,
        quote_quantity=o.orig_quote_order_qty or None,
        price=o.price or None,
        stop_price=o.stop_price or None,
        executed_qty=o.executed_qty,
        cumulative_quote=o.cummulative_quote_qty,
        created_ms=o.time,
        updated_ms=o.update_time,
    )


def cancel_answer(r: OrderReport) -> CancelAnswer:
    return CancelAnswer(
        client_order_id=r.orig_client_order_id or r.client_order_id,
        order_id=r.order_id,
        status=r.status,
        executed_qty=r.executed_qty,
        cumulative_quote=r.cummulative_quote_qty,
        transact_ms=r.transact_time,
    )


def trade_record(t: MyTrade) -> TradeRecord:
    return TradeRecord(
        id=t.id,
        order_id=t.order_id,
        price=t.price,
        qty=t.qty,
        quote_qty=t.quote_qty,
        commission=t.commission,
        commission_asset=t.commission_asset,
        time_ms=t.time,
    )


def _place_answer(response: Any) -> PlaceAnswer:
    status = getattr(response, "status", None)
    transact_ms = getattr(response, "transact_time", None)
    if status is None:  # ACK: accepted, nothing more known yet
        return PlaceAnswer(response.order_id, None, _ZERO, _ZERO, transact_ms)
    fills = [
        PlacementFill(f.price, f.qty, f.commission, f.commission_asset, f.trade_id) for f in response.fills
    ]
    return PlaceAnswer(
        response.order_id, status, response.executed_qty, response.cummulative_quote_qty, transact_ms, fills
    )


class OrderSender(Protocol):
    """What sends a checked order: the REST client or a WebSocket API session (``place``)."""

    async def place(self, args: OrderArgs, *, recv_window: int | None = None) -> OrderAck | OrderFull: ...


class SpotVenue:
    """Binance spot (or the local exchange) through ``client``; orders are placed through
    ``orders`` when given (a ``WsApiClient``: the WebSocket API), else over REST."""

    def __init__(self, client: BinanceClient, orders: OrderSender | None = None) -> None:
        self.client = client
        self.orders: OrderSender = client if orders is None else orders

    @property
    def is_local(self) -> bool:
        return is_local_exchange(self.client)

    async def rules(self) -> ExchangeRules:
        return await self.client.rules()

    def check_order(self, order: OrderTerms) -> None:
        check_shape(order_check_of(order))

    async def place(self, request: PlacementRequest) -> PlaceAnswer:
        # Checked by the core (``check_order``, the rules): built as it is, not checked again.
        args = OrderArgs(order_check_of(request), request.client_order_id, OrderResponseType.FULL)
        try:
            response = await self.orders.place(args, recv_window=request.recv_window_ms)
        except BinanceAPIError as exc:
            if exc.msg == DUPLICATE_ORDER_MSG:
                raise DuplicateOrderId(str(exc)) from exc
            raise
        return _place_answer(response)

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

    async def average_price(self, symbol: str) -> Decimal | None:
        price = (await self.client.avg_price(symbol)).price
        return price if price.is_finite() and price > 0 else None  # 0: nothing traded yet

    # The reads valuation makes (``OrderManager``'s ``ManagerVenue``): still Binance's models,
    # handed through as they are.

    async def ticker_price(self, symbol: str) -> TickerPrice:
        return await self.client.ticker_price(symbol)

    async def ticker_prices(self, symbols: Sequence[str] | None = None) -> list[TickerPrice]:
        return await self.client.ticker_prices(symbols)

    async def account(self) -> Account:
        return await self.client.account()

    async def key_permissions(self) -> KeyPermissions:
        return await self.client.api_restrictions()

    async def status(self) -> VenueStatus:
        status = await self.client.system_status()
        return VenueStatus(maintenance=status.status == SystemStatus.MAINTENANCE, msg=status.msg)

    async def server_time_ms(self) -> int:
        return (await self.client.server_time()).server_time

    def timestamp_ms(self) -> int:
        return self.client.timestamp_ms()


def user_data_stream(
    client: BinanceClient, *, legacy: bool = False, backoff_base_s: float = 0.5
) -> tuple[UserDataStream, tuple[AsyncService, ...]]:
    """The user data stream the client's venue offers, and the services it needs running
    (``OrderFeed(stream, manager, owns=services)``): a WebSocket API subscription for spot
    venues (and the local exchange), a listenKey stream for USDT-M futures, or for spot when
    ``legacy`` (deployments from before spot listenKeys were retired). The WebSocket API
    session shares the client's key, signer and request budget (``client.ws_api()``); for a
    separate Ed25519 session key, build ``WsApiUserData(api, client)`` instead."""
    settings = client.settings
    path = _LISTEN_KEY_PATHS.get(settings.venue)
    if path is None and legacy:
        path = _SPOT_LISTEN_KEY_PATH
    if path is not None:
        return ListenKeyUserData(client, settings.urls.stream, path=path, backoff_base_s=backoff_base_s), ()
    api = client.ws_api(backoff_base_s=backoff_base_s)
    return WsApiUserData(api, client), (api,)
