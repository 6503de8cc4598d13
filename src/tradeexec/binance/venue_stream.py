"""Binance's user data stream as the venue's neutral ``UserStream`` (``tradeexec.venue.stream``).

``SpotUserStream`` wraps either transport of ``binance.ws.userdata`` and the services it
needs running (the WebSocket API session of a subscription), starts them before the stream
and closes them after, and turns each item into the core's words. An execution report goes
through as decoded (``ExecutionReport`` is an ``ExecutionUpdate``): the one item of the hot
path costs one type check and no copy. Events the core has no use for (order-list status,
a listenKey's expiry, which the stream handles itself, a planned connection handover) are
not passed on.

``user_data_stream`` picks the transport the client's venue offers; the listenKey paths per
venue live here and nowhere in the core.
"""

from __future__ import annotations

from collections.abc import Sequence

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.models import (
    BalanceUpdate,
    EventStreamTerminated,
    ExecutionReport,
    OutboundAccountPosition,
)
from tradeexec.binance.venue_records import snapshot
from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState
from tradeexec.binance.ws.userdata import (
    ListenKeyUserData,
    MissedBalances,
    MissedOrderUpdate,
    UserDataItem,
    UserDataStream,
    WsApiUserData,
)
from tradeexec.config import Venue
from tradeexec.errors import ConfigError
from tradeexec.lifecycle import AsyncService
from tradeexec.venue.stream import (
    BalanceDelta,
    BalancesChanged,
    LinkState,
    RecoveredBalances,
    RecoveredOrder,
    StreamEnded,
    StreamLink,
    UserStreamItem,
)

__all__ = ["SpotUserStream", "neutral_item", "user_data_stream"]

_FUTURES_VENUES = frozenset({Venue.USDM_FUTURES, Venue.FUTURES_TESTNET, Venue.FUTURES_DEMO})
_SPOT_LISTEN_KEY_PATH = "/api/v3/userDataStream"
_LINKS = {
    ConnectionState.CONNECTED: LinkState.CONNECTED,
    ConnectionState.DISCONNECTED: LinkState.DISCONNECTED,
    ConnectionState.RECONNECTED: LinkState.RECONNECTED,
}


def neutral_item(item: UserDataItem) -> UserStreamItem | None:
    """One Binance user data item in the core's words; None for what the core does not use."""
    if isinstance(item, ExecutionReport):
        return item
    if isinstance(item, OutboundAccountPosition):
        return BalancesChanged(item.balances, item.last_update_time)
    if isinstance(item, BalanceUpdate):
        return BalanceDelta(item.asset, item.delta, item.clear_time, item.event_time)
    if isinstance(item, MissedOrderUpdate):
        return RecoveredOrder(snapshot(item.order))
    if isinstance(item, MissedBalances):
        return RecoveredBalances(item.balances)
    if isinstance(item, ConnectionEvent):
        link = _LINKS.get(item.state)
        return None if link is None else StreamLink(link, item.reason)
    if isinstance(item, EventStreamTerminated):
        return StreamEnded("the exchange ended the user data subscription")
    return None


class SpotUserStream:
    """``stream`` with the services it needs (``owns``, opened first and closed last), read
    as neutral items. The stream must deliver to its queue (no ``on_event``)."""

    def __init__(self, stream: UserDataStream, owns: Sequence[AsyncService] = ()) -> None:
        if stream.on_event is not None:
            raise ValueError("the venue's stream is read from its queue; give the stream no on_event")
        self.stream = stream
        self.owns = tuple(owns)

    async def start(self) -> None:
        started: list[AsyncService] = []
        try:
            for service in self.owns:
                await service.start()
                started.append(service)
            await self.stream.start()
        except BaseException:
            await self.stream.close()
            for service in reversed(started):
                await service.close()
            raise

    async def close(self) -> None:
        await self.stream.close()
        for service in reversed(self.owns):
            await service.close()

    def __aiter__(self) -> SpotUserStream:
        return self

    async def __anext__(self) -> UserStreamItem:
        stream = self.stream
        while True:
            item = await stream.__anext__()
            if type(item) is ExecutionReport:  # the hot path: as decoded
                return item
            neutral = neutral_item(item)
            if neutral is not None:
                return neutral


def user_data_stream(
    client: BinanceClient, *, legacy: bool = False, backoff_base_s: float = 0.5
) -> SpotUserStream:
    """The user data stream the client's venue offers: a WebSocket API subscription for spot
    venues (and the local exchange), or a listenKey stream when ``legacy`` (deployments from
    before spot listenKeys were retired); futures venues are refused. The WebSocket API
    session shares the client's key, signer and request budget (``client.ws_api()``); for a
    separate Ed25519 session key, wrap ``WsApiUserData(api, client)`` with its session in
    ``SpotUserStream`` instead."""
    settings = client.settings
    if settings.venue in _FUTURES_VENUES:
        # The spot stream decoded futures events as unreadable and dropped them: refuse
        # rather than hand the core a stream that never reports an order.
        raise ConfigError(
            f"venue {settings.venue.value}: the execution core's user stream is spot's; read "
            "USDT-M futures events with tradeexec.binance.ws.futures_userdata.FuturesUserData"
        )
    if legacy:
        return SpotUserStream(
            ListenKeyUserData(
                client, settings.urls.stream, path=_SPOT_LISTEN_KEY_PATH, backoff_base_s=backoff_base_s
            )
        )
    api = client.ws_api(backoff_base_s=backoff_base_s)
    return SpotUserStream(WsApiUserData(api, client), (api,))
