"""Binance's WebSocket API: one long-lived, authenticated session for lower-latency trading.

Requests are matched to answers by id. Ed25519 keys log the session on once
(``session.logon``) and then send signed requests without signatures; HMAC and RSA keys sign
every request over its parameters *sorted by name*, which is what the WebSocket API verifies
(unlike REST, which signs the query as sent). Every answer's ``rateLimits`` feed the same
``RateLimiter`` budgets REST uses.

The rule that matters most: an order request whose answer is lost -- timeout, connection
dropped, -1007, 5xx -- raises ``OrderStatusUnknown`` and is never sent again. The session
itself reconnects (and logs on again) in the background; ``on_connect`` hooks let the user
data stream resubscribe.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import aiohttp
import msgspec

from tradeexec.binance.auth import KEY_ED25519, Signer, encode_params
from tradeexec.binance.enums import OrderResponseType, OrderType, Side, TimeInForce
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
from tradeexec.binance.params import Number
from tradeexec.binance.ratelimit import RateLimiter
from tradeexec.binance.spot import order_args
from tradeexec.binance.streams import ConnectionEvent, ConnectionState
from tradeexec.binance.transport import new_client_order_id as make_client_order_id
from tradeexec.errors import BinanceAPIError, InvalidParameter, OrderStatusUnknown, TransportError
from tradeexec.lifecycle import AsyncService

__all__ = ["WsApiClient"]

log = logging.getLogger(__name__)

T = TypeVar("T")
_ENCODE = msgspec.json.Encoder().encode
_ORDER_METHODS = frozenset({"order.place", "order.cancel", "order.cancelReplace", "openOrders.cancelAll"})


class _Error(msgspec.Struct, frozen=True):
    code: int
    msg: str = ""


class _Envelope(msgspec.Struct, frozen=True, rename="camel"):
    """Every frame of the WebSocket API: an answer (``id``) or a user data event (``event``)."""

    id: int | str | None = None
    status: int = 200
    result: msgspec.Raw = msgspec.Raw(b"null")
    error: _Error | None = None
    rate_limits: list[dict[str, Any]] | None = None
    subscription_id: int | None = None
    event: msgspec.Raw = msgspec.Raw(b"")  # empty: not an event (msgspec has no ``Raw | None``)


_ENVELOPE = msgspec.json.Decoder(_Envelope)


class _Lost(Exception):
    """The connection ended before the answer came."""


class WsApiClient(AsyncService):
    """``async with WsApiClient(ws_api_url, api_key, signer) as api:`` then
    ``await api.place_order(...)``. ``on_event(subscription_id, raw_event)`` receives user data
    events pushed on this session; ``on_connect`` hooks run after every (re)connect and logon."""

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
        on_event: Callable[[int | None, bytes], None] | None = None,
        on_state: Callable[[ConnectionEvent], None] | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.url = url
        self.api_key = api_key
        self._signer = signer
        self.recv_window = recv_window
        self.request_timeout_s = request_timeout_s
        self.limiter = limiter if limiter is not None else RateLimiter()
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.on_event = on_event
        self.on_state = on_state
        self.on_connect: list[Callable[[], Awaitable[None]]] = []
        self.logged_on = False
        self._session = session
        self._own_session = session is None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[_Envelope]] = {}
        self._ready = asyncio.Event()
        self._closed = False
        self._runner: asyncio.Task[None] | None = None
        self._time_offset_ms = 0.0

    def __repr__(self) -> str:
        return f"WsApiClient({self.url!r}, api_key={self.api_key[:6]}..., signer={self._signer!r})"

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (and log on) before returning; later drops reconnect in the background."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        ws = await self._open()
        self._runner = asyncio.get_running_loop().create_task(self._run(ws))
        await asyncio.wait_for(self._ready.wait(), self.request_timeout_s)

    async def close(self) -> None:
        self._closed = True
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self._ws is not None:
            await self._ws.close()
        self._fail_pending("client closed")
        if self._own_session and self._session is not None:
            await self._session.close()

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    async def _open(self) -> aiohttp.ClientWebSocketResponse:
        assert self._session is not None
        return await self._session.ws_connect(self.url, autoping=True, max_msg_size=0)

    async def _run(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        attempt = 0
        first = True
        while not self._closed:
            reader = asyncio.get_running_loop().create_task(self._read(ws))
            self._ws = ws
            try:
                await self._session_setup()
            except (BinanceAPIError, TransportError, _Lost) as exc:
                log.error("WebSocket API session setup failed: %s", exc)
            state = ConnectionState.CONNECTED if first else ConnectionState.RECONNECTED
            self._report(ConnectionEvent(state, 0, attempt=attempt))
            first = False
            attempt = 0
            self._ready.set()
            reason = await reader
            self._ready.clear()
            self.logged_on = False
            self._fail_pending(reason)
            await ws.close()
            while not self.closed:
                attempt += 1
                self._report(ConnectionEvent(ConnectionState.DISCONNECTED, 0, reason, attempt))
                delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                try:
                    ws = await self._open()
                    break
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    reason = f"connect failed: {exc!r}"

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

    def _report(self, event: ConnectionEvent) -> None:
        log.info("WebSocket API %s %s", event.state.value, event.reason)
        if self.on_state is not None:
            self.on_state(event)

    def _fail_pending(self, reason: str) -> None:
        pending, self._pending = self._pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(_Lost(reason))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        while True:
            msg = await ws.receive()
            if msg.type is aiohttp.WSMsgType.TEXT or msg.type is aiohttp.WSMsgType.BINARY:
                data = msg.data.encode() if isinstance(msg.data, str) else msg.data
                try:
                    env = _ENVELOPE.decode(data)
                except msgspec.DecodeError:
                    log.warning("unreadable WebSocket API frame: %.200r", data)
                    continue
                if env.event:
                    if self.on_event is not None:
                        self.on_event(env.subscription_id, bytes(env.event))
                    continue
                fut = self._pending.pop(env.id, None) if isinstance(env.id, int) else None
                if fut is not None and not fut.done():
                    fut.set_result(env)
                elif env.rate_limits:
                    self.limiter.update_from_ws(env.rate_limits)
            elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                return f"closed by server ({ws.close_code})"
            elif msg.type is aiohttp.WSMsgType.ERROR:
                return f"connection error: {ws.exception()!r}"

    # ---- requests --------------------------------------------------------------------------

    def _signed(self, params: Mapping[str, object]) -> dict[str, object]:
        """Add key, timestamp and signature. After logon only the timestamp is needed."""
        out = {k: v for k, v in params.items() if v is not None}
        out["timestamp"] = int(time.time() * 1000 + self._time_offset_ms)
        out.setdefault("recvWindow", self.recv_window)
        if self.logged_on:
            return out
        out["apiKey"] = self.api_key
        payload = encode_params(sorted(out.items()))
        out["signature"] = self._signer.sign(payload.encode("ascii"))
        return out

    async def _request(self, method: str, params: Mapping[str, object], *, sign: bool) -> bytes:
        ws = self._ws
        if ws is None or ws.closed:
            raise _Lost("not connected")
        body = self._signed(params) if sign else {k: v for k, v in params.items() if v is not None}
        request_id = next(self._ids)
        fut: asyncio.Future[_Envelope] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = fut
        sent_at = time.time()
        wire = {"id": request_id, "method": method, "params": {k: _wire(v) for k, v in body.items()}}
        try:
            await ws.send_bytes(_ENCODE(wire))
            env = await asyncio.wait_for(fut, self.request_timeout_s)
        except (ConnectionError, aiohttp.ClientError) as exc:
            raise _Lost(repr(exc)) from None
        except TimeoutError:
            raise _Lost(f"no answer within {self.request_timeout_s}s") from None
        finally:
            self._pending.pop(request_id, None)
        if env.rate_limits:
            self.limiter.update_from_ws(env.rate_limits, sent_at=sent_at)
        if env.error is not None:
            raise error_from_response(env.status, env.error.code, env.error.msg, method)
        return bytes(env.result)

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
        session lets other requests through."""
        if wait_ready:
            await asyncio.wait_for(self._ready.wait(), self.request_timeout_s)
        try:
            raw = await self._request(method, params, sign=signed)
        except _Lost as exc:
            if order_ref is not None:
                raise OrderStatusUnknown(order_ref[0], order_ref[1], str(exc)) from None
            raise TransportError(f"{method}: {exc}") from None
        except BinanceAPIError as err:
            if order_ref is not None and (outcome_unknown(err) or (err.http_status or 0) >= 500):
                raise OrderStatusUnknown(order_ref[0], order_ref[1], str(err)) from err
            raise
        return decode(raw)

    # ---- typed calls -----------------------------------------------------------------------

    async def place_order(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        *,
        quantity: Number | None = None,
        quote_order_qty: Number | None = None,
        price: Number | None = None,
        time_in_force: TimeInForce | str | None = None,
        stop_price: Number | None = None,
        new_client_order_id: str | None = None,
        new_order_resp_type: OrderResponseType | str = OrderResponseType.FULL,
    ) -> OrderAck | OrderFull:
        """``order.place``: the REST result types. The client order id is always set here, so
        an unknown outcome can be looked up."""
        args = order_args(
            symbol, side, type, quantity=quantity, quote_order_qty=quote_order_qty, price=price,
            time_in_force=time_in_force, stop_price=stop_price,
            new_client_order_id=new_client_order_id or make_client_order_id(),
            new_order_resp_type=new_order_resp_type,
        )
        params = args.params
        decode = _ACK.decode if params["newOrderRespType"] == OrderResponseType.ACK else _FULL.decode
        ref = (str(params["symbol"]), str(params["newClientOrderId"]))
        return await self.call("order.place", params, decode, order_ref=ref)

    async def cancel_order(
        self, symbol: str, *, order_id: int | None = None, orig_client_order_id: str | None = None
    ) -> OrderReport:
        params = _one_order(symbol, order_id, orig_client_order_id)
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
        quantity: Number | None = None,
        price: Number | None = None,
        time_in_force: TimeInForce | str | None = None,
        new_client_order_id: str | None = None,
    ) -> CancelReplaceResponse:
        if cancel_order_id is None and cancel_orig_client_order_id is None:
            raise InvalidParameter(
                "cancelOrderId", "give cancelOrderId or cancelOrigClientOrderId", "both missing"
            )
        args = order_args(
            symbol, side, type, quantity=quantity, price=price, time_in_force=time_in_force,
            new_client_order_id=new_client_order_id or make_client_order_id(),
            new_order_resp_type=OrderResponseType.FULL,
        )
        params = {
            **args.params,
            "cancelReplaceMode": cancel_replace_mode,
            "cancelOrderId": cancel_order_id,
            "cancelOrigClientOrderId": cancel_orig_client_order_id,
        }
        ref = (str(args.params["symbol"]), str(args.params["newClientOrderId"]))
        return await self.call("order.cancelReplace", params, _CANCEL_REPLACE.decode, order_ref=ref)

    async def order_status(
        self, symbol: str, *, order_id: int | None = None, orig_client_order_id: str | None = None
    ) -> Order:
        params = _one_order(symbol, order_id, orig_client_order_id)
        return await self.call("order.status", params, _ORDER.decode)

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        return await self.call("openOrders.status", {"symbol": symbol}, _ORDERS.decode)

    async def cancel_all(self, symbol: str) -> list[OrderReport | OrderList]:
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


def _one_order(symbol: str, order_id: int | None, orig_client_order_id: str | None) -> dict[str, object]:
    if order_id is None and orig_client_order_id is None:
        raise InvalidParameter("orderId", "give orderId or origClientOrderId", "both missing")
    return {"symbol": symbol, "orderId": order_id, "origClientOrderId": orig_client_order_id}


def _wire(value: object) -> object:
    """JSON values as the WebSocket API wants them: numbers as exact strings, enums as text."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return str(value)
    return value
