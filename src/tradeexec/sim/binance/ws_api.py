"""The WebSocket API (``/ws-api/v3``): Binance's REST operations as JSON requests on one socket.

A request ``{"id", "method", "params"}`` runs the same operation of the shared ``Service`` as
its REST twin, so codes, messages and state changes are identical; only the envelope differs
(``{"id", "status", "result" | "error", "rateLimits"}``). Signatures cover every parameter but
``signature``, sorted by name, in raw UTF-8, as the current docs require. A session
authenticated with ``session.logon`` (Ed25519 keys only) sends later requests without apiKey
or signature, and may subscribe to its account's user data stream; any session may subscribe
to accounts it can sign for with ``userDataStream.subscribe.signature``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
from aiohttp import WSCloseCode, web

from tradeexec.binance.enums import SecurityType
from tradeexec.binance.models import (
    EmptyResponse,
    ListenKey,
    RateLimitOrderCount,
    ServerShutdown,
    SessionStatus,
    UserDataSubscription,
)
from tradeexec.binance.net.auth import KEY_ED25519, ws_signature_payload
from tradeexec.sim import limits
from tradeexec.sim.binance import formats
from tradeexec.sim.binance.service import Operation, WireState
from tradeexec.sim.binance.userdata import LegacyListenKeys, UserDataHub
from tradeexec.sim.binance.ws_conn import ConnectionRegistry, ConnLimits, WsServerConnection, valid_request_id
from tradeexec.sim.binance.ws_products import WsProduct, spot_product
from tradeexec.sim.faults import FaultKind
from tradeexec.sim.params import ApiError, Params
from tradeexec.sim.state import ApiAccount

log = logging.getLogger(__name__)

_decoder = msgspec.json.Decoder(float_hook=Decimal)
MAX_SUBSCRIPTIONS = 1000
WS_API_PATHS = ("/ws-api/v3", "/ws-fapi/v1")

SessionMethod = Callable[["WsApiSession", Params, dict[str, str]], Any]


class _NoAnswer(Exception):
    """The request executed but, by injected fault, its answer is never sent."""


def _unsupported() -> ApiError:
    return ApiError(-1020, "This operation is not supported.")


def _params_value(name: str, value: Any) -> str:
    """A JSON parameter as the string REST would have received (and that is signed)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return formats.encode(value).decode()
    raise ApiError(-1135, f"JSON sent for parameter '{name}' is not valid")


class WsApiSession:
    """One ``/ws-api/v3`` connection: its logon, its subscriptions, its requests."""

    def __init__(self, api: WsApi, conn: WsServerConnection, return_rate_limits: bool) -> None:
        self.api = api
        self.state = api.state
        self.conn = conn
        self.return_rate_limits = return_rate_limits
        self.ip = conn.request.remote or "unknown"
        self.connected_since = api.state.now_ms()
        self.logon: ApiAccount | None = None
        self.authorized_since: int | None = None
        self.subscriptions: dict[int, tuple[str, int, bool]] = {}  # id -> (account, hub handle, by logon)
        self._next_subscription = 0
        self._last_account: str | None = None  # whose order counts the last answer reports

    # ---- envelope --------------------------------------------------------------------------

    async def on_text(self, data: bytes) -> None:
        reply = await self.handle(data)
        if reply is not None:
            self.conn.send(formats.encode(reply))

    async def handle(self, data: bytes) -> dict[str, Any] | None:
        try:
            request = _decoder.decode(data)
        except msgspec.DecodeError:
            return self._failure(None, ApiError(-1135, "Invalid JSON Request"), None)
        if not isinstance(request, dict):
            return self._failure(None, ApiError(-1135, "Invalid JSON Request"), None)
        request_id = request.get("id")
        if not valid_request_id(request_id):
            return self._failure(
                None,
                ApiError(
                    -1135,
                    "Invalid 'id' in JSON request; expected an integer, a string matching "
                    "'^[a-zA-Z0-9-_]{1,36}$', or null.",
                ),
                None,
            )
        method = request.get("method")
        raw_params = request.get("params", {})
        op: Operation | None = None
        try:
            if not isinstance(method, str) or not method:
                raise ApiError(
                    -1102, "Mandatory parameter 'method' was not sent, was empty/null, or malformed."
                )
            if not isinstance(raw_params, dict):
                raise ApiError(-1135, "Invalid 'params' in JSON request; expected an object.")
            product = self.api.product
            op = product.methods.get(method)
            local = _SESSION_METHODS.get(method) if method in product.session_methods else None
            if op is None and local is None:
                raise _unsupported()
            values = {str(k): _params_value(str(k), v) for k, v in raw_params.items()}
            if self.conn.shutdown_at_ms is not None:
                # Read after this connection announced serverShutdown (sent before the client
                # heard it, or by a client that ignores it): logged so tests can tell which.
                cid = values.get("newClientOrderId", "")
                self.state.faults.record(FaultKind.SERVER_SHUTDOWN, method, f"after serverShutdown {cid}")
            return_limits = self.return_rate_limits and values.get("returnRateLimits") != "false"
            params = Params(values)
            params.mark_read("returnRateLimits")
            weight = self._weight(method, op, values)
            self.api.limiter.charge_request(self.ip, weight)
            if op is not None:
                result = await self._operation(method, op, params, values)
            else:
                assert local is not None
                result = local(self, params, values)
        except _NoAnswer:
            return None
        except ApiError as err:
            return self._failure(request_id, err, method if isinstance(method, str) else None)
        except Exception:
            log.exception("internal error in WebSocket API method %r", method)
            unknown = ApiError(-1000, "An unknown error occurred while processing the request.", 500)
            return self._failure(request_id, unknown, None)
        answer: dict[str, Any] = {"id": request_id, "status": 200, "result": result}
        if return_limits:
            answer["rateLimits"] = self._rate_limits(method)
        return answer

    def _failure(self, request_id: object, err: ApiError, method: str | None) -> dict[str, Any]:
        answer: dict[str, Any] = {"id": request_id, "status": err.http_status, "error": err.body()}
        if self.return_rate_limits:
            answer["rateLimits"] = self._rate_limits(method)
        return answer

    def _weight(self, method: str, op: Operation | None, values: dict[str, str]) -> int:
        if op is None:
            return 2  # session.* and userDataStream.* weigh 2 each
        return limits.weight_for(op.method, op.path, values, op.weight)

    def _rate_limits(self, method: str | None) -> list[RateLimitOrderCount]:
        limiter = self.api.limiter
        account = self._rate_account()
        ordering = method in self.api.product.order_methods
        orders = limiter.order_usage(account) if ordering and account is not None else []
        return [*orders, limiter.weight_usage(self.ip)]

    def _rate_account(self) -> str | None:
        return self._last_account or (self.logon.account if self.logon else None)

    # ---- Binance operations ----------------------------------------------------------------

    async def _operation(self, method: str, op: Operation, params: Params, values: dict[str, str]) -> Any:
        account = self._authenticate(op.security, params, values)
        self._last_account = account.account if account else None
        await self._faults_before(method)
        result = self.state.service.call(op, params, account)
        if method in self.api.product.executing:
            self._faults_after(method)
        return result

    def _authenticate(
        self, security: SecurityType, params: Params, values: dict[str, str]
    ) -> ApiAccount | None:
        """Per-request apiKey (+ signature) when sent; otherwise the logged-on session's key."""
        params.mark_read("apiKey")
        service = self.state.service
        if not security.needs_key:
            return None
        if "apiKey" not in values and self.logon is not None:
            if security.signed:
                params.mark_read("signature")
                service.check_timestamp(params)
                service.check_permission(self.logon, security)
            return self.logon
        payload, signature = signed_payload(values)
        return service.authenticate(
            security, values.get("apiKey"), payload, signature, params, client_ip=self.conn.request.remote
        )

    async def _faults_before(self, method: str) -> None:
        faults = self.state.faults
        if not faults.rules:
            return
        shutdown = faults.take(FaultKind.SERVER_SHUTDOWN, method)
        if shutdown is not None:
            announce_shutdown([self.conn], self.state.now_ms(), shutdown.latency_ms / 1000)
        delay = faults.take(FaultKind.LATENCY, method)
        if delay is not None:
            await asyncio.sleep(delay.latency_ms / 1000)
        if faults.should(FaultKind.ERROR_1001, method):
            raise ApiError(-1001, "Internal error; unable to process your request. Please try again.", 500)
        if faults.should(FaultKind.ERROR_1003, method):
            raise ApiError(
                -1003,
                "Too much request weight used; current limit is "
                f"{self.state.config.rate_limits.request_weight_per_minute} request weight per 1 MINUTE. "
                "Please use WebSocket Streams for live updates to avoid polling the API.",
                429,
            )

    def _faults_after(self, method: str) -> None:
        faults = self.state.faults
        if not faults.rules:
            return
        if faults.should(FaultKind.ERROR_1007, method, "executed; answered -1007"):
            raise ApiError(
                -1007,
                "Timeout waiting for response from backend server. "
                "Send status unknown; execution status unknown.",
                408,
            )
        if faults.should(FaultKind.LOST_RESPONSE, method, "executed; answer never sent"):
            raise _NoAnswer

    # ---- session methods -------------------------------------------------------------------

    def session_logon(self, params: Params, values: dict[str, str]) -> SessionStatus:
        params.mark_read("apiKey")
        payload, signature = signed_payload(values)
        account = self.state.service.authenticate(
            SecurityType.USER_DATA,
            values.get("apiKey"),
            payload,
            signature,
            params,
            client_ip=self.conn.request.remote,
        )
        params.ensure_all_read()
        assert account is not None
        if account.key_type != KEY_ED25519:
            kind = "HMAC_SHA256" if account.key_type.startswith("HMAC") else account.key_type
            raise ApiError(-4056, f"{kind} API key is not supported.")
        self.logon = account
        self.authorized_since = self.state.now_ms()
        return self._status()

    def session_status(self, params: Params, _: dict[str, str]) -> SessionStatus:
        params.ensure_all_read()
        return self._status()

    def session_logout(self, params: Params, _: dict[str, str]) -> SessionStatus:
        params.ensure_all_read()
        for sub_id, (_account, _handle, by_logon) in list(self.subscriptions.items()):
            if by_logon:
                self._drop_subscription(sub_id)
        self.logon = None
        self.authorized_since = None
        return self._status()

    def _status(self) -> SessionStatus:
        return SessionStatus(
            api_key=self.logon.api_key if self.logon else None,
            authorized_since=self.authorized_since,
            connected_since=self.connected_since,
            return_rate_limits=self.return_rate_limits,
            server_time=self.state.now_ms(),
            user_data_stream=bool(self.subscriptions),
        )

    def session_subscriptions(self, params: Params, _: dict[str, str]) -> list[UserDataSubscription]:
        params.ensure_all_read()
        return [UserDataSubscription(sub_id) for sub_id in self.subscriptions]

    def uds_subscribe(self, params: Params, _: dict[str, str]) -> UserDataSubscription:
        params.ensure_all_read()
        if self.logon is None:
            raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        return UserDataSubscription(self._add_subscription(self.logon.account, by_logon=True))

    def uds_subscribe_signature(self, params: Params, values: dict[str, str]) -> UserDataSubscription:
        params.mark_read("apiKey")
        payload, signature = signed_payload(values)
        account = self.state.service.authenticate(
            SecurityType.USER_DATA,
            values.get("apiKey"),
            payload,
            signature,
            params,
            client_ip=self.conn.request.remote,
        )
        params.ensure_all_read()
        assert account is not None
        return UserDataSubscription(self._add_subscription(account.account, by_logon=False))

    def uds_unsubscribe(self, params: Params, _: dict[str, str]) -> EmptyResponse:
        sub_id = params.integer("subscriptionId")
        params.ensure_all_read()
        if sub_id is None:
            for existing in list(self.subscriptions):
                self._drop_subscription(existing)
            return EmptyResponse()
        if sub_id not in self.subscriptions:
            raise ApiError(-2036, "User Data Stream subscription not active.")
        self._drop_subscription(sub_id)
        return EmptyResponse()

    def _legacy_account(self, params: Params, values: dict[str, str]) -> str:
        """userDataStream.start/ping/stop: refused as Binance does unless the legacy switch is
        on; then USER_STREAM security (apiKey, or the logged-on session's key)."""
        self.api.legacy.check_enabled(400)
        account = self._authenticate(SecurityType.USER_STREAM, params, values)
        if account is None:
            raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        return account.account

    def legacy_start(self, params: Params, values: dict[str, str]) -> ListenKey:
        return self.api.legacy.create(params, self._legacy_account(params, values))

    def legacy_ping(self, params: Params, values: dict[str, str]) -> EmptyResponse:
        return self.api.legacy.keepalive(params, self._legacy_account(params, values))

    def legacy_stop(self, params: Params, values: dict[str, str]) -> EmptyResponse:
        return self.api.legacy.close(params, self._legacy_account(params, values))

    def _add_subscription(self, account: str, *, by_logon: bool) -> int:
        if any(acct == account for acct, _h, _b in self.subscriptions.values()):
            raise ApiError(-2035, "User Data Stream subscription already active.")
        if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise ApiError(-2042, "Maximum subscription ID reached for this connection.")
        sub_id = self._next_subscription
        self._next_subscription += 1
        handle = self.api.users.subscribe(account, _SubscriptionSink(self.conn, sub_id))
        self.subscriptions[sub_id] = (account, handle, by_logon)
        return sub_id

    def _drop_subscription(self, sub_id: int) -> None:
        entry = self.subscriptions.pop(sub_id, None)
        if entry is not None:
            self.api.users.unsubscribe(entry[1])

    def close(self) -> None:
        for sub_id in list(self.subscriptions):
            self._drop_subscription(sub_id)


class _SubscriptionSink:
    """Events of one subscription, in the ``{"subscriptionId", "event"}`` envelope."""

    __slots__ = ("conn", "sub_id")

    def __init__(self, conn: WsServerConnection, sub_id: int) -> None:
        self.conn = conn
        self.sub_id = sub_id

    def push(self, payload: bytes) -> None:
        self.conn.send(formats.subscription_event(self.sub_id, payload))

    def expired(self, payload: bytes) -> None:
        self.push(payload)


_SESSION_METHODS: dict[str, SessionMethod] = {
    "session.logon": WsApiSession.session_logon,
    "session.status": WsApiSession.session_status,
    "session.logout": WsApiSession.session_logout,
    "session.subscriptions": WsApiSession.session_subscriptions,
    "userDataStream.subscribe": WsApiSession.uds_subscribe,
    "userDataStream.subscribe.signature": WsApiSession.uds_subscribe_signature,
    "userDataStream.unsubscribe": WsApiSession.uds_unsubscribe,
    "userDataStream.start": WsApiSession.legacy_start,
    "userDataStream.ping": WsApiSession.legacy_ping,
    "userDataStream.stop": WsApiSession.legacy_stop,
}


def announce_shutdown(conns: list[WsServerConnection], now_ms: int, grace_s: float) -> int:
    """Binance's ``serverShutdown`` event on each of ``conns`` (those not already told), in
    the form of its endpoint, each closed ``grace_s`` real seconds later; requests already
    received are still answered on it until then. How many were told."""
    event = formats.encode(ServerShutdown(event_time=now_ms))
    loop = asyncio.get_running_loop()
    told = [c for c in conns if c.shutdown_at_ms is None and not c.closed]
    for conn in told:
        conn.shutdown_at_ms = now_ms
        if conn.target in WS_API_PATHS:
            conn.send(formats.connection_event(event))
        elif conn.target == "/stream":  # a combined stream names it as a stream
            conn.send(formats.combined("!serverShutdown", event))
        else:
            conn.send(event)
        loop.call_later(grace_s, conn.close_soon, WSCloseCode.GOING_AWAY, "Server shutdown")
    return len(told)


def signed_payload(values: dict[str, str]) -> tuple[bytes, str | None]:
    """What a WebSocket API signature covers, and the signature: every parameter but
    ``signature``, sorted by name, in raw UTF-8 (Binance's WebSocket API document)."""
    return ws_signature_payload(values), values.get("signature")


class WsApi:
    """One WebSocket API endpoint: spot's by default, or ``product`` (futures'
    ``/ws-fapi/v1``), which names its methods and the rate budget they draw on."""

    def __init__(
        self,
        state: WireState,
        users: UserDataHub,
        registry: ConnectionRegistry,
        product: WsProduct | None = None,
    ) -> None:
        self.state = state
        self.users = users
        self.registry = registry
        self.legacy = LegacyListenKeys(state, users)
        self.product = product if product is not None else spot_product(state.service.by_ws_method)
        self.limiter = self.product.limiter(state)

    def limits(self) -> ConnLimits:
        cfg = self.state.config.streams
        return ConnLimits(
            ping_interval_s=cfg.ping_interval_s,
            pong_timeout_s=cfg.pong_timeout_s,
            max_lifetime_s=cfg.max_lifetime_s,
            inbound_per_s=None,
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        conn = WsServerConnection(request, self.limits(), self.state.faults, request.path, self.registry)
        session = WsApiSession(self, conn, request.query.get("returnRateLimits", "true") != "false")
        conn.on_close(session.close)
        return await conn.run(session.on_text)
