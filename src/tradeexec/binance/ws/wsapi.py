"""Binance's WebSocket API: one long-lived, authenticated session for lower-latency trading.

Requests are matched to answers by id. Ed25519 keys log the session on once
(``session.logon``) and then send signed requests without signatures; HMAC and RSA keys sign
every request over its parameters *sorted by name*, in raw UTF-8, which is what the WebSocket
API verifies (unlike REST, which signs the percent-encoded query as sent). Every answer's
``rateLimits`` feed the same ``RateLimiter`` budgets REST uses.

Every request is charged to that limiter *before* it is sent, at the weight of the REST
endpoint it mirrors (``order.place`` is ``POST /api/v3/order``): the WebSocket API draws on the
same per-IP REQUEST_WEIGHT and per-account ORDERS budgets as REST, so a burst here must wait
for room exactly as a REST burst would, or the server answers 429 and then bans.

A ``serverShutdown`` event (the server is about to go away) is handled make before break:
a new connection is opened at once and new requests go on it, while the old one delivers the
answers of the requests already on it (``wsapi_link.py``).

The rule that matters most: an order request whose answer is lost -- timeout, connection
dropped, -1007, 5xx -- raises ``OrderStatusUnknown`` and is never sent again. The one resend
is after -1021 (timestamp outside recvWindow), see ``call``. The session itself reconnects
(and logs on again) in the background; ``on_connect`` hooks let the user data stream
resubscribe."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar, Unpack

import msgspec

from tradeexec.binance.enums import OrderResponseType, OrderType, Side
from tradeexec.binance.errors import error_from_response, outcome_unknown
from tradeexec.binance.models import (
    Account,
    CancelReplaceResponse,
    Order,
    OrderAck,
    OrderFull,
    OrderList,
    OrderReport,
    decode_cancel_open_orders,
)
from tradeexec.binance.net import gate
from tradeexec.binance.net.auth import KEY_ED25519, Signer, ws_signature_payload
from tradeexec.binance.net.endpoints import Endpoint, lookup
from tradeexec.binance.net.ratelimit import RateLimiter
from tradeexec.binance.net.transport import new_client_order_id as make_client_order_id
from tradeexec.binance.net.wsconn import WsConnection, connect
from tradeexec.binance.rest.order_args import OrderArgs, OrderOptions, order_args
from tradeexec.binance.rest.params import check_symbol
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.ws.connection import ConnectionEvent, ConnectionState
from tradeexec.binance.ws.wsapi_link import Link, Pending, is_server_shutdown, retire
from tradeexec.binance.ws.wsapi_wire import (
    ENCODE,
    ENVELOPE_DECODER,
    OWN_WEIGHT,
    REST_TWIN,
    WsApiEnvelope,
    WsApiErrorBody,
    WsApiRequest,
    one_order_params,
    order_id_params,
    wire_params,
)
from tradeexec.errors import BinanceAPIError, InvalidParameter, OrderStatusUnknown, TransportError
from tradeexec.lifecycle import AsyncService

log = logging.getLogger(__name__)

T = TypeVar("T")
_MAX_MESSAGE = 1 << 26  # a full exchangeInfo is several MB; anything far beyond is an attack
# A timer may fire this much before its time (the loop's clock resolution and rounding).
_EARLY_S = 0.001
# The methods that create or change an order (spot and USDⓈ-M): each attempt reads the stop
# gate (``net/gate.py``) right before it is stamped and signed.
_PLACING = frozenset({
    "order.place", "order.cancelReplace", "order.modify", "sor.order.place",
    "orderList.place", "orderList.place.oco", "orderList.place.oto", "orderList.place.otoco",
})  # fmt: skip


class _Lost(Exception):
    """The connection ended before the answer came."""


class WsApiClient(AsyncService):
    """``async with WsApiClient(ws_api_url, api_key, signer) as api:`` then
    ``await api.place_order(...)``. ``on_event(subscription_id, raw_event)`` receives user data
    events pushed on this session; ``on_connect`` hooks run after every (re)connect and logon.
    With ``rules`` (e.g. ``await rest_client.rules()``) orders are also checked against the
    symbol's filters before sending, as the REST client does."""

    def __init__(
        self,
        url: str,
        api_key: str,
        signer: Signer,
        *,
        recv_window: int = 5000,
        request_timeout_s: float = 10.0,
        limiter: RateLimiter | None = None,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        silence_timeout_s: float = 30.0,
        on_event: Callable[[int | None, bytes], None] | None = None,
        on_state: Callable[[ConnectionEvent], None] | None = None,
        rules: ExchangeRules | None = None,
    ) -> None:
        self.url = url
        self.rules = rules
        self.api_key = api_key
        self._signer = signer
        self.recv_window = recv_window
        self.request_timeout_s = request_timeout_s
        self.limiter = limiter if limiter is not None else RateLimiter()
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.silence_timeout_s = silence_timeout_s
        self.on_event = on_event
        self.on_state = on_state
        self.on_connect: list[Callable[[], Awaitable[None]]] = []
        self.logged_on = False
        self._ws: WsConnection | None = None
        self.order_id_params = itertools.count(1)
        # Requests in flight on the current connection (``Link.pending``): the future their
        # answer resolves, and when to give up on it.
        self._pending: Pending = {}
        self._retiring: set[asyncio.Task[None]] = set()  # connections replaced after serverShutdown
        self._sweeper: asyncio.TimerHandle | None = None  # armed at the nearest deadline
        self._ready = asyncio.Event()
        self._closed = False
        self._runner: asyncio.Task[None] | None = None
        self._time_offset_ms = 0.0
        self._time_syncs = 0  # how many times the offset was measured
        self._time_lock = asyncio.Lock()
        self._costs: dict[str, Endpoint | None] = {}

    # The REST endpoint each method mirrors (its weight and order count); a product's API
    # (USDⓈ-M futures' ``FuturesWsApi``) names its own.
    rest_twins: Mapping[str, tuple[str, str]] = REST_TWIN

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r}, api_key={self.api_key[:6]}..., signer={self._signer!r})"

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (and log on) before returning; later drops reconnect in the background."""
        link = await self._open()
        self._runner = asyncio.get_running_loop().create_task(self._run(link))
        await asyncio.wait_for(self._ready.wait(), self.request_timeout_s)

    async def close(self) -> None:
        self._closed = True
        for task in [self._runner, *self._retiring]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._ws is not None:
            await self._ws.close()
        self._fail_pending("client closed")
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    async def _open(self) -> Link:
        # A session can go silent with TCP still up (the server stops sending and answering):
        # the heartbeat pings after ``h`` seconds without traffic and gives up after another
        # ``h / 2`` without a byte, so silence is noticed within ``silence_timeout_s`` and the
        # session is replaced like a dropped one. Answers are dispatched from the connection's
        # ``data_received``: no reader task between an answer and the request awaiting it.
        # Each connection answers its own requests (``Link``), so that one replaced after a
        # serverShutdown still delivers the answers already on their way.
        link = Link()
        link.ws = await connect(
            self.url,
            lambda data: self._dispatch(data, link),
            on_closed=lambda reason: link.fail(_Lost(reason)),
            heartbeat_s=self.silence_timeout_s / 1.5,
            max_msg_size=_MAX_MESSAGE,
            timeout_s=self.request_timeout_s,
        )
        return link

    async def _run(self, link: Link) -> None:
        attempt = 0
        first = True
        while not self._closed:
            # One synchronous step: a request signs for, sends on and waits in the same link.
            self._ready.clear()
            self.logged_on = False
            ws, self._ws, self._pending = link.ws, link.ws, link.pending
            assert ws is not None
            try:
                await self._session_setup()
            except (BinanceAPIError, TransportError, _Lost) as exc:
                log.error("WebSocket API session setup failed: %s", exc)
            state = ConnectionState.CONNECTED if first else ConnectionState.RECONNECTED
            self._report(ConnectionEvent(state, 0, attempt=attempt))
            first = False
            attempt = 0
            self._ready.set()
            successor = await self._until_replaced(link)
            if successor is not None:
                link = successor
                continue
            reason = await ws.wait_closed()
            self._ready.clear()
            self.logged_on = False
            link.fail(_Lost(reason))
            await ws.close()
            while not self.closed:
                attempt += 1
                self._report(ConnectionEvent(ConnectionState.DISCONNECTED, 0, reason, attempt))
                delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                try:
                    link = await self._open()
                    break
                except (OSError, TimeoutError) as exc:
                    reason = f"connect failed: {exc!r}"

    async def _until_replaced(self, link: Link) -> Link | None:
        """Wait while ``link`` serves. On its ``serverShutdown`` a new connection is opened
        while the old one still carries requests, and returned (the old one retires in the
        background); None when the connection ended (or no new one could be opened)."""
        assert link.ws is not None
        closed = asyncio.ensure_future(link.ws.wait_closed())
        announced = asyncio.ensure_future(link.shutdown.wait())
        try:
            await asyncio.wait((closed, announced), return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
            announced.cancel()
        if not link.shutdown.is_set() or link.ws.closed:
            return None
        self._report(ConnectionEvent(ConnectionState.DISCONNECTED, 0, "serverShutdown: new connection"))
        try:
            successor = await self._open()
        except (OSError, TimeoutError) as exc:
            log.error("WebSocket API: no new connection after serverShutdown: %r", exc)
            return None
        task = asyncio.get_running_loop().create_task(retire(link, _Lost))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)
        return successor

    @property
    def closed(self) -> bool:
        return self._closed

    async def _session_setup(self) -> None:
        await self._sync_time()
        if self._signer.key_type == KEY_ED25519:
            await self._request("session.logon", self._signed({}), sign=False)
            self.logged_on = True
        for hook in self.on_connect:
            await hook()

    async def _sync_time(self) -> None:
        sent = time.time() * 1000
        raw = await self._request("time", {}, sign=False)
        server = msgspec.json.decode(raw, type=dict[str, int])["serverTime"]
        self._time_offset_ms = server - (sent + time.time() * 1000) / 2
        self._time_syncs += 1

    async def _resync_time(self, seen: int) -> None:
        """Re-measure the offset once for every request that saw -1021 with the offset
        measured ``seen`` times: 32 requests in flight that all fail share one ``time``."""
        async with self._time_lock:
            if self._time_syncs == seen:
                await self._sync_time()

    @property
    def time_offset_ms(self) -> float:
        """Server time minus local time, as last measured (at connect or after -1021)."""
        return self._time_offset_ms

    def _report(self, event: ConnectionEvent) -> None:
        log.info("WebSocket API %s %s", event.state.value, event.reason)
        if self.on_state is not None:
            self.on_state(event)

    def _fail_pending(self, reason: str) -> None:
        waiting = list(self._pending.values())
        self._pending.clear()
        for fut, _ in waiting:
            if not fut.done():
                fut.set_exception(_Lost(reason))

    def _dispatch(self, data: bytes, link: Link) -> None:
        """Every message of ``link``'s connection, called as its bytes arrive."""
        try:
            env = ENVELOPE_DECODER.decode(data)
        except msgspec.DecodeError:
            log.warning("unreadable WebSocket API frame: %.200r", data)
            return
        if env.event:
            if env.subscription_id is None and is_server_shutdown(env.event):
                log.warning("WebSocket API serverShutdown: moving to a new connection")
                link.shutdown.set()
            elif self.on_event is not None and link.ws is self._ws:
                # Events come from the current connection only: after a serverShutdown the
                # new one subscribes again and the stream recovers the gap (no event twice).
                self.on_event(env.subscription_id, bytes(env.event))
            return
        waiting = link.pending.pop(env.id, None) if type(env.id) is int else None
        if waiting is not None and not waiting[0].done():
            waiting[0].set_result(env)
        elif env.rate_limits:
            self.limiter.update_from_ws(env.rate_limits)

    def _sweep(self) -> None:
        """Fail the requests past their deadline: one timer for all requests in flight (at
        the nearest deadline) rather than one per request, armed and cancelled per order."""
        self._sweeper = None
        pending = self._pending
        if not pending:
            return
        now = asyncio.get_running_loop().time()
        expired = [rid for rid, (_, deadline) in pending.items() if deadline <= now + _EARLY_S]
        for rid in expired:
            fut = pending.pop(rid)[0]
            if not fut.done():
                fut.set_exception(TimeoutError())
        if pending:
            nearest = min(deadline for _, deadline in pending.values())
            self._sweeper = asyncio.get_running_loop().call_at(nearest, self._sweep)

    # ---- requests --------------------------------------------------------------------------

    def _signed(self, params: Mapping[str, object]) -> dict[str, object]:
        """Wire values plus timestamp, and key and signature unless the session is logged on
        (then the timestamp alone is needed). What is signed is exactly what is sent."""
        out = wire_params(params)
        out["timestamp"] = int(time.time() * 1000 + self._time_offset_ms)
        out.setdefault("recvWindow", self.recv_window)
        if self.logged_on:
            return out
        out["apiKey"] = self.api_key
        out["signature"] = self._signer.sign(ws_signature_payload(out))
        return out

    def _cost(self, method: str, params: Mapping[str, object]) -> tuple[int, int]:
        """(request weight, orders) of ``method``: its REST twin's, from the endpoint registry."""
        try:
            endpoint = self._costs[method]
        except KeyError:
            twin = self.rest_twins.get(method)
            endpoint = self._costs[method] = None if twin is None else lookup(*twin)
        if endpoint is None:
            return OWN_WEIGHT, 0
        weight = endpoint.weight
        return (weight if isinstance(weight, int) else weight(params)), endpoint.orders

    async def _request(self, method: str, params: Mapping[str, object], *, sign: bool) -> bytes:
        ws = self._ws
        if ws is None or ws.closed:
            raise _Lost("not connected")
        weight, orders = self._cost(method, params)
        # Charged before signing, so that a wait for budget does not age the timestamp.
        sent_at = self.limiter.try_acquire(weight, orders=orders)
        if sent_at is None:
            sent_at = await self.limiter.acquire(weight, orders=orders)
            ws = self._ws
            if ws is None or ws.closed:
                raise _Lost("connection lost while waiting for rate-limit budget")
        if method in _PLACING:  # no await from here to the signature
            gate.check(str(params.get("newClientOrderId") or params.get("listClientOrderId") or "*"))
        body = self._signed(params) if sign else wire_params(params)
        request_id = next(self.order_id_params)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[WsApiEnvelope] = loop.create_future()
        timeout = self.request_timeout_s
        deadline = loop.time() + timeout
        self._pending[request_id] = (fut, deadline)
        sweeper = self._sweeper
        if sweeper is None or deadline < sweeper.when():
            if sweeper is not None:
                sweeper.cancel()
            self._sweeper = loop.call_at(deadline, self._sweep)
        try:
            ws.send_text(ENCODE(WsApiRequest(request_id, method, body)))
            env = await fut
        except ConnectionError as exc:
            raise _Lost(repr(exc)) from None
        except TimeoutError:
            raise _Lost(f"no answer within {timeout}s") from None
        finally:
            self._pending.pop(request_id, None)
        if env.rate_limits:
            self.limiter.update_from_ws(env.rate_limits, sent_at=sent_at)
        error = env.error
        if error is not None:
            retry_after = None
            if env.status in (418, 429):
                retry_after = self._retry_after_s(error)
                if env.status == 429:
                    self.limiter.on_429(retry_after, order_count=error.code == -1015)
                else:
                    self.limiter.on_418(retry_after)
            raise error_from_response(env.status, error.code, error.msg, method, retry_after)
        return bytes(env.result)

    def _retry_after_s(self, error: WsApiErrorBody) -> float | None:
        """Seconds until ``retryAfter`` (server epoch ms in the error's data), if given."""
        until = (error.data or {}).get("retryAfter")
        if not isinstance(until, int):
            return None
        return max(0.0, (until - self._time_offset_ms) / 1000 - time.time())

    async def call(
        self,
        method: str,
        params: Mapping[str, object],
        decode: Callable[[bytes], T],
        *,
        signed: bool = True,
        order_ref: tuple[str, str] | None = None,
        wait_ready: bool = True,
    ) -> T:
        """One request. Order requests (``order_ref`` = symbol, client order id) whose answer
        is lost raise ``OrderStatusUnknown``; other lost answers raise ``TransportError``.
        ``wait_ready=False`` is for ``on_connect`` hooks, which run before the (re)connected
        session lets other requests through.

        -1021 (timestamp outside recvWindow) re-measures the server time and sends the
        request once more, re-stamped -- orders included. That is not a blind resend: -1021
        is a definite answer, given by the API front end before the request reaches the
        matching engine, so the first attempt cannot have executed. Only a lost answer
        leaves an order's fate open, and that is never resent.
        """
        if wait_ready and not self._ready.is_set():
            await asyncio.wait_for(self._ready.wait(), self.request_timeout_s)
        resynced = False
        while True:
            syncs = self._time_syncs
            try:
                raw = await self._request(method, params, sign=signed)
            except _Lost as exc:
                if order_ref is not None:
                    raise OrderStatusUnknown(order_ref[0], order_ref[1], str(exc)) from None
                raise TransportError(f"{method}: {exc}") from None
            except BinanceAPIError as err:
                if order_ref is not None and (outcome_unknown(err) or (err.http_status or 0) >= 500):
                    raise OrderStatusUnknown(order_ref[0], order_ref[1], str(err)) from err
                if err.code != -1021 or not signed or resynced:
                    raise
                resynced = True
                log.info("%s: -1021, re-measuring server time before the one retry", method)
                try:
                    await self._resync_time(syncs)
                except _Lost as exc:
                    raise TransportError(f"{method}: -1021 and time re-measure failed: {exc}") from err
                continue
            return decode(raw)

    # ---- typed calls -----------------------------------------------------------------------

    async def place_order(
        self, symbol: str, side: Side | str, type: OrderType | str, **options: Unpack[OrderOptions]
    ) -> OrderAck | OrderFull:
        """``order.place``: the REST result types (FULL unless ``new_order_resp_type`` says
        otherwise). The client order id is always set here, so an unknown outcome can be
        looked up."""
        options.setdefault("new_order_resp_type", OrderResponseType.FULL)
        if options.get("new_client_order_id") is None:
            options["new_client_order_id"] = make_client_order_id()
        args = order_args(symbol, side, type, **options)
        self._validate(args)
        return await self.place(args)

    async def place(self, args: OrderArgs, *, recv_window: int | None = None) -> OrderAck | OrderFull:
        """Send an order already checked (``order_args``, or the execution core's intent) as
        it is: ``place_order`` without its checks. It must carry its client order id."""
        client_id = args.new_client_order_id
        if client_id is None:
            raise InvalidParameter(
                "newClientOrderId", "must be set (an unknown outcome is looked up by it)", ""
            )
        decode = _ACK.decode if args.new_order_resp_type is OrderResponseType.ACK else _FULL.decode
        params = args.params
        if recv_window is not None:
            params["recvWindow"] = recv_window
        return await self.call("order.place", params, decode, order_ref=(args.check.symbol, client_id))

    async def cancel_order(
        self, symbol: str, *, order_id: int | None = None, orig_client_order_id: str | None = None
    ) -> OrderReport:
        params = one_order_params(self._symbol(symbol), order_id, orig_client_order_id)
        ref = (symbol, orig_client_order_id or str(order_id))
        return await self.call("order.cancel", params, _REPORT.decode, order_ref=ref)

    async def cancel_replace(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        *,
        cancel_order_id: int | None = None,
        cancel_orig_client_order_id: str | None = None,
        cancel_replace_mode: str = "STOP_ON_FAILURE",
        **options: Unpack[OrderOptions],
    ) -> CancelReplaceResponse:
        if cancel_replace_mode not in ("STOP_ON_FAILURE", "ALLOW_FAILURE"):
            raise InvalidParameter(
                "cancelReplaceMode", "must be STOP_ON_FAILURE or ALLOW_FAILURE", repr(cancel_replace_mode)
            )
        options["new_order_resp_type"] = OrderResponseType.FULL
        if options.get("new_client_order_id") is None:
            options["new_client_order_id"] = make_client_order_id()
        args = order_args(symbol, side, type, **options)
        self._validate(args)
        params = {
            **args.params,
            "cancelReplaceMode": cancel_replace_mode,
            **order_id_params(
                cancel_order_id, cancel_orig_client_order_id, "cancelOrderId", "cancelOrigClientOrderId"
            ),
        }
        ref = (args.check.symbol, str(args.new_client_order_id))
        return await self.call("order.cancelReplace", params, _CANCEL_REPLACE.decode, order_ref=ref)

    async def order_status(
        self, symbol: str, *, order_id: int | None = None, orig_client_order_id: str | None = None
    ) -> Order:
        params = one_order_params(self._symbol(symbol), order_id, orig_client_order_id)
        return await self.call("order.status", params, _ORDER.decode)

    def _validate(self, args: OrderArgs) -> None:
        if self.rules is not None:
            self.rules.validate(args.check)

    def _symbol(self, symbol: str) -> str:
        """A well-formed symbol, and a listed one when the client has the rules."""
        if self.rules is not None:
            return self.rules[check_symbol(symbol)].symbol
        return check_symbol(symbol)

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        symbol = None if symbol is None else self._symbol(symbol)
        return await self.call("openOrders.status", {"symbol": symbol}, _ORDERS.decode)

    async def cancel_all(self, symbol: str) -> list[OrderReport | OrderList]:
        self._symbol(symbol)
        return await self.call(
            "openOrders.cancelAll", {"symbol": symbol}, decode_cancel_open_orders, order_ref=(symbol, "*")
        )

    async def account_status(self) -> Account:
        return await self.call("account.status", {}, _ACCOUNT.decode)


_ACK = msgspec.json.Decoder(OrderAck)
_FULL = msgspec.json.Decoder(OrderFull)
_REPORT = msgspec.json.Decoder(OrderReport)
_ORDER = msgspec.json.Decoder(Order)
_ORDERS = msgspec.json.Decoder(list[Order])
_ACCOUNT = msgspec.json.Decoder(Account)
_CANCEL_REPLACE = msgspec.json.Decoder(CancelReplaceResponse)
