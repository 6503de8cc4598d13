"""The user data stream: a trader's own order and balance events, through every disconnect.

Two transports, one consumer surface (``async for`` or ``on_event``):

* ``WsApiUserData`` (spot's default since Binance removed spot listenKeys on 2026-02-20):
  subscribes on a ``WsApiClient`` session -- ``userDataStream.subscribe`` after an Ed25519
  logon, ``userDataStream.subscribe.signature`` for HMAC/RSA keys -- and again after every
  reconnect of that session.
* ``ListenKeyUserData`` (spot deployments from before 2026-02-20): creates a listenKey by
  REST, keeps it alive every ``keepalive_s``, reads ``<ws>/ws/<listenKey>``, closes the key on
  exit; on expiry, ``listenKeyExpired`` or a failed keepalive it starts over with a new key.
  ``FuturesUserData`` (``ws.futures_userdata``) is the same loop for USDT-M futures, on the
  routed ``/private`` endpoint, decoding futures events and recovering from ``/fapi``.

Events sent while no connection was up are lost by the exchange, so after every reconnect the
stream asks REST what it missed -- open orders and balances -- and emits the differences as
``MissedOrderUpdate`` / ``MissedBalances``: a consumer never misses a fill, it sees it late.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import aiohttp
import msgspec

from tradeexec.binance.enums import OrderStatus
from tradeexec.binance.models import (
    USER_EVENT_DECODER,
    Account,
    ExecutionReport,
    FuturesOrder,
    FuturesUserEvent,
    ListenKey,
    ListenKeyExpired,
    Order,
    OutboundAccountPosition,
    UserDataSubscription,
    UserEvent,
)
from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState
from tradeexec.binance.ws.wsapi import WsApiClient
from tradeexec.errors import BinanceAPIError, TradeexecError, TransportError
from tradeexec.lifecycle import AsyncService

if TYPE_CHECKING:
    # Annotations only: the client builds on ws/, so ws/ imports it for type checking alone.
    from tradeexec.binance.client import BinanceClient

__all__ = [
    "ListenKeyUserData",
    "MissedBalances",
    "MissedFuturesAccount",
    "MissedFuturesOrder",
    "MissedOrderUpdate",
    "UserDataItem",
    "UserDataStream",
    "WsApiUserData",
]

log = logging.getLogger(__name__)
# What a recovery after a reconnect may meet and must outlive: any refusal (an API error, a
# rate-limit ban the client will not wait out), a dropped or timed-out request. The stream
# stays up and its consumers reconcile by REST; the recovery is tried again at the next
# reconnect.
_RECOVERY_FAILURES = (TradeexecError, aiohttp.ClientError, OSError, TimeoutError)

_OPEN = frozenset({OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_NEW})


@dataclass(frozen=True, slots=True)
class MissedOrderUpdate:
    """An order whose state changed while the stream was down, as REST reports it now.
    ``known_filled`` is the filled quantity the stream had last seen (None: order unseen)."""

    order: Order
    known_filled: Decimal | None


@dataclass(frozen=True, slots=True)
class MissedBalances:
    """Balances that differ from what the stream last reported: asset -> (free, locked)."""

    balances: dict[str, tuple[Decimal, Decimal]]


@dataclass(frozen=True, slots=True)
class MissedFuturesOrder:
    """A futures order whose state changed while the stream was down, as ``/fapi`` reports it
    now; ``known_filled`` as in ``MissedOrderUpdate``."""

    order: FuturesOrder
    known_filled: Decimal | None


@dataclass(frozen=True, slots=True)
class MissedFuturesAccount:
    """What changed in the futures account while the stream was down: wallet balances
    (asset -> (wallet balance, cross wallet balance)) and positions ((symbol, position side)
    -> (amount, entry price); amount 0 for a position closed meanwhile)."""

    balances: dict[str, tuple[Decimal, Decimal]]
    positions: dict[tuple[str, str], tuple[Decimal, Decimal]]


UserDataItem = (
    UserEvent
    | MissedOrderUpdate
    | MissedBalances
    | FuturesUserEvent
    | MissedFuturesOrder
    | MissedFuturesAccount
    | ConnectionEvent
)


class _UserDataBase:
    """Queue or callback delivery, the state the recovery compares against, the recovery."""

    def __init__(
        self,
        rest: BinanceClient | None,
        on_event: Callable[[UserDataItem], None] | None,
        queue_size: int,
    ) -> None:
        self.rest = rest
        self.on_event = on_event
        self.queue_size = queue_size
        self.dropped = 0
        self.recoveries = 0
        self._queue: deque[UserDataItem] = deque()
        self._wake = asyncio.Event()
        self._closed = False
        # (symbol, orderId) -> (status, cumulative filled) of orders we believe open
        self._orders: dict[tuple[str, int], tuple[OrderStatus, Decimal]] = {}
        self._balances: dict[str, tuple[Decimal, Decimal]] = {}

    @property
    def closed(self) -> bool:
        return self._closed

    def __aiter__(self) -> _UserDataBase:
        return self

    async def __anext__(self) -> UserDataItem:
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()
        return self._queue.popleft()

    def _emit(self, item: UserDataItem) -> None:
        if self.on_event is not None and not isinstance(item, ConnectionEvent):
            self.on_event(item)
            return
        if len(self._queue) >= self.queue_size:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append(item)
        self._wake.set()

    def _on_raw(self, raw: bytes) -> UserEvent | FuturesUserEvent | None:
        try:
            event = USER_EVENT_DECODER.decode(raw)
        except msgspec.DecodeError as exc:
            log.warning("unreadable user data event (%s): %.200r", exc, raw)
            return None
        self._track(event)
        self._emit(event)
        return event

    def _track(self, event: UserEvent | MissedOrderUpdate) -> None:
        if isinstance(event, ExecutionReport):
            key = (event.symbol, event.order_id)
            if event.order_status in _OPEN:
                self._orders[key] = (event.order_status, event.cumulative_filled_qty)
            else:
                self._orders.pop(key, None)
        elif isinstance(event, OutboundAccountPosition):
            for b in event.balances:
                self._balances[b.asset] = (b.free, b.locked)
        elif isinstance(event, MissedOrderUpdate):
            order = event.order
            if order.status in _OPEN:
                self._orders[(order.symbol, order.order_id)] = (order.status, order.executed_qty)
            else:
                self._orders.pop((order.symbol, order.order_id), None)

    async def seed(self) -> None:
        """Learn the current open orders and balances, so the first recovery has a baseline."""
        if self.rest is None:
            return
        for order in await self.rest.open_orders():
            self._orders[(order.symbol, order.order_id)] = (order.status, order.executed_qty)
        self._balances = _balances(await self.rest.account())

    async def recover(self) -> None:
        """Compare REST with what the stream last said; emit what changed meanwhile."""
        if self.rest is None:
            return
        self.recoveries += 1
        now_open = {(o.symbol, o.order_id): o for o in await self.rest.open_orders()}
        for key, order in now_open.items():
            known = self._orders.get(key)
            if known is None or known != (order.status, order.executed_qty):
                self._recovered(MissedOrderUpdate(order, None if known is None else known[1]))
        for key, (_status, filled) in list(self._orders.items()):
            if key not in now_open:
                final = await self.rest.get_order(key[0], order_id=key[1])
                self._recovered(MissedOrderUpdate(final, filled))
        balances = _balances(await self.rest.account())
        changed = {a: v for a, v in balances.items() if self._balances.get(a) != v}
        self._balances = balances
        if changed:
            self._emit(MissedBalances(changed))

    def _recovered(self, update: MissedOrderUpdate) -> None:
        self._track(update)
        self._emit(update)

    def _report(self, event: ConnectionEvent) -> None:
        log.info("user data stream %s %s", event.state.value, event.reason)
        self._emit(event)


def _balances(account: Account) -> dict[str, tuple[Decimal, Decimal]]:
    return {b.asset: (b.free, b.locked) for b in account.balances}


class WsApiUserData(_UserDataBase, AsyncService):
    """User data over a ``WsApiClient`` session (spot default). ``rest`` serves the recovery
    after reconnects; without it reconnects are reported but nothing is recovered.

    The session's drops are reported as this stream's DISCONNECTED (a consumer must know the
    moment events stop, not only when they resume); RECONNECTED follows only once the
    subscription is back, so events flow again when a consumer hears it."""

    def __init__(
        self,
        api: WsApiClient,
        rest: BinanceClient | None = None,
        *,
        on_event: Callable[[UserDataItem], None] | None = None,
        queue_size: int = 10_000,
    ) -> None:
        super().__init__(rest, on_event, queue_size)
        self.api = api
        self.subscription_id: int | None = None
        self._session_state: Callable[[ConnectionEvent], None] | None = None

    async def start(self) -> None:
        """Subscribe now and after every reconnect of the session. The session must be open."""
        await self.seed()
        self.api.on_event = self._on_push
        self.api.on_connect.append(self._on_connect)
        self._session_state = self.api.on_state
        self.api.on_state = self._on_session_state
        await self._subscribe()
        self._report(ConnectionEvent(ConnectionState.CONNECTED, 0))

    async def close(self) -> None:
        self._closed = True
        self._wake.set()
        if self._on_connect in self.api.on_connect:
            self.api.on_connect.remove(self._on_connect)
        if self.api.on_state == self._on_session_state:
            self.api.on_state = self._session_state
        if self.api.connected and self.subscription_id is not None:
            with contextlib.suppress(TradeexecError):
                await self.api.call(
                    "userDataStream.unsubscribe",
                    {"subscriptionId": self.subscription_id},
                    _ignore,
                    signed=False,
                )

    def _on_push(self, _subscription_id: int | None, raw: bytes) -> None:
        self._on_raw(raw)

    async def _subscribe(self, *, wait_ready: bool = True) -> None:
        logged_on = self.api.logged_on
        method = "userDataStream.subscribe" if logged_on else "userDataStream.subscribe.signature"
        answer = await self.api.call(
            method, {}, _SUBSCRIBED.decode, signed=not logged_on, wait_ready=wait_ready
        )
        self.subscription_id = answer.subscription_id

    def _on_session_state(self, event: ConnectionEvent) -> None:
        if self._session_state is not None:
            self._session_state(event)
        if event.state is ConnectionState.DISCONNECTED and not self._closed:
            self._report(event)

    async def _on_connect(self) -> None:
        """Runs inside the session's reconnect, before requests are let through."""
        try:
            # Hooks run before the session lets requests through, hence no readiness wait.
            await self._subscribe(wait_ready=False)
        except (BinanceAPIError, TransportError) as exc:
            # No subscription: the stream stays down (its consumers keep polling) until the
            # session's next reconnect tries again.
            self._report(ConnectionEvent(ConnectionState.DISCONNECTED, 0, f"resubscribe failed: {exc}"))
            return
        self._report(ConnectionEvent(ConnectionState.RECONNECTED, 0))
        try:
            await self.recover()
        except _RECOVERY_FAILURES as exc:
            log.error("user data recovery failed: %s", exc)
            self._report(ConnectionEvent(ConnectionState.DISCONNECTED, 0, f"recovery failed: {exc}"))


_SUBSCRIBED = msgspec.json.Decoder(UserDataSubscription)


def _ignore(_: bytes) -> None:
    return None


class ListenKeyUserData(_UserDataBase, AsyncService):
    """The legacy listenKey flow over REST + ``<ws_url>/ws/<listenKey>``; ``path`` defaults
    to the class's ``default_path`` (a subclass for another product sets its own)."""

    default_path: ClassVar[str] = "/api/v3/userDataStream"

    def __init__(
        self,
        rest: BinanceClient,
        ws_url: str,
        *,
        path: str | None = None,
        keepalive_s: float = 1800.0,
        silence_timeout_s: float = 120.0,
        backoff_base_s: float = 0.5,
        on_event: Callable[[UserDataItem], None] | None = None,
        queue_size: int = 10_000,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        super().__init__(rest, on_event, queue_size)
        self.client = rest
        self.ws_url = ws_url.rstrip("/")
        self.path = self.default_path if path is None else path
        self.keepalive_s = keepalive_s
        self.silence_timeout_s = silence_timeout_s
        self.backoff_base_s = backoff_base_s
        self.listen_key: str | None = None
        self.keys_created = 0
        self._session = session
        self._own_session = session is None
        self._runner: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        await self.seed()
        self._runner = asyncio.get_running_loop().create_task(self._run())
        await asyncio.wait_for(self._ready.wait(), 10.0)

    async def close(self) -> None:
        self._closed = True
        self._wake.set()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self.listen_key is not None:
            with contextlib.suppress(TradeexecError):
                await self.client.request("DELETE", self.path, self._key_params(self.listen_key))
        if self._own_session and self._session is not None:
            await self._session.close()

    async def _new_key(self) -> str:
        key = await self.client.request("POST", self.path, model=ListenKey)
        self.keys_created += 1
        self.listen_key = key.listen_key
        return key.listen_key

    async def _run(self) -> None:
        first = True
        attempt = 0
        while not self._closed:
            try:
                key = await self._new_key()
                assert self._session is not None
                ws = await self._session.ws_connect(self._stream_url(key))
            except (TradeexecError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                attempt += 1
                self._report(
                    ConnectionEvent(ConnectionState.DISCONNECTED, 0, f"connect failed: {exc}", attempt)
                )
                await asyncio.sleep(self.backoff_base_s * min(2**attempt, 60))
                continue
            attempt = 0
            state = ConnectionState.CONNECTED if first else ConnectionState.RECONNECTED
            self._report(ConnectionEvent(state, 0))
            if not first:
                try:
                    await self.recover()
                except _RECOVERY_FAILURES as exc:
                    log.error("user data recovery failed: %s", exc)
            first = False
            self._ready.set()
            keepalive = asyncio.get_running_loop().create_task(self._keepalive(key))
            reader = asyncio.get_running_loop().create_task(self._read(ws))
            done, _ = await asyncio.wait({keepalive, reader}, return_when=asyncio.FIRST_COMPLETED)
            for task in (keepalive, reader):
                task.cancel()
            reason = next(iter(done)).result() if not next(iter(done)).cancelled() else "cancelled"
            await asyncio.gather(keepalive, reader, return_exceptions=True)
            await ws.close()
            if self.closed:
                return
            self._report(ConnectionEvent(ConnectionState.DISCONNECTED, 0, reason, 1))

    def _stream_url(self, key: str) -> str:
        return f"{self.ws_url}/ws/{key}"

    def _key_params(self, key: str) -> dict[str, object]:
        """Spot keepalive and close name the key; futures ones take none (one per account)."""
        return {"listenKey": key}

    async def _keepalive(self, key: str) -> str:
        while True:
            await asyncio.sleep(self.keepalive_s)
            try:
                await self.client.request("PUT", self.path, self._key_params(key))
            except TradeexecError as exc:
                return f"keepalive failed: {exc}"

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        while True:
            try:
                msg = await ws.receive(timeout=self.silence_timeout_s)
            except TimeoutError:
                return f"silent for {self.silence_timeout_s:.1f}s"
            if msg.type is aiohttp.WSMsgType.TEXT or msg.type is aiohttp.WSMsgType.BINARY:
                data = msg.data.encode() if isinstance(msg.data, str) else msg.data
                if isinstance(self._on_raw(data), ListenKeyExpired):
                    return "listenKeyExpired"
            elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                return f"closed by server ({ws.close_code})"
            elif msg.type is aiohttp.WSMsgType.ERROR:
                return f"connection error: {ws.exception()!r}"


UserDataStream = WsApiUserData | ListenKeyUserData
"""Either transport: both are async iterables of ``UserDataItem`` with ``rest`` for recovery."""
