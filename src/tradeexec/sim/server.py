"""The aiohttp application of the local exchange: Binance's REST paths, and the admin API.

Each Binance route runs the same pipeline: parse parameters (query string and form body, as
sent), maintenance and rate-limit checks, injected faults that strike before execution,
authentication, the operation itself, then faults that strike after it (-1007, a lost
answer: the order exists but the client cannot know). Every answer, errors included, carries
the usage headers; nothing a client sends can produce a 500 — only a bug can, and it is logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from aiohttp import web

from tradeexec.binance.enums import Side
from tradeexec.binance.errors import ErrorBody
from tradeexec.binance.models.wire import wire_encode as _encode
from tradeexec.binance.net.auth import extract_signature
from tradeexec.sim import limits
from tradeexec.sim.admin import SimAdmin
from tradeexec.sim.binance.service import Operation, WireState
from tradeexec.sim.faults import FaultKind
from tradeexec.sim.params import ApiError, Params

log = logging.getLogger(__name__)

STATE_KEY: web.AppKey[WireState] = web.AppKey("sim_state", WireState)
ADMIN_KEY: web.AppKey[SimAdmin] = web.AppKey("sim_admin", SimAdmin)
API_KEY_HEADER = "X-MBX-APIKEY"
_EXECUTING = frozenset(
    {
        "new_order",
        "cancel_order",
        "cancel_all",
        "cancel_replace",
        "new_oco",
        "new_order_list_oco",
        "cancel_order_list",
        "f_new_order",
        "f_cancel_order",
        "f_cancel_all",
        "f_new_algo",
        "f_cancel_algo",
        "f_modify_order",
        "f_batch_orders",
        "f_batch_modify",
        "f_batch_cancel",
        "f_countdown_cancel_all",
        "f_position_margin",
    }
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=_encode(body), status=status, content_type="application/json", headers=headers)


def _error(err: ApiError, headers: dict[str, str]) -> web.Response:
    return _json(err.body(), err.http_status, {**headers, **err.headers})


def _pairs(query: str, body: str) -> list[tuple[str, str]]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
        pairs += parse_qsl(body, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise ApiError(-1100, "Illegal characters found in a parameter.") from None
    return pairs


class RestRoutes:
    """Binance's REST endpoints over one state."""

    def __init__(self, state: WireState) -> None:
        self.state = state

    def install(self, app: web.Application) -> None:
        for op in self.state.service.by_route.values():
            app.router.add_route(op.method, op.path, self._route(op))

    def _route(self, op: Operation) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self.handle(op, request)

        return handle

    async def handle(self, op: Operation, request: web.Request) -> web.StreamResponse:
        state = self.state
        ip = request.remote or "unknown"
        account_name: str | None = None
        api_key = request.headers.get(API_KEY_HEADER)
        if api_key:
            known = state.keys.get(api_key)
            account_name = known.account if known else None

        limiter = state.futures_limiter if op.path.startswith("/fapi/") else state.limiter

        def headers() -> dict[str, str]:
            return limiter.headers(ip, account_name)

        try:
            raw_body = await request.read()
            try:
                query = request.rel_url.raw_query_string
                body = raw_body.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(-1100, "Illegal characters found in a parameter.") from None
            if state.faults.maintenance and op.handler != "system_status":
                state.faults.record(FaultKind.MAINTENANCE, op.path)
                raise ApiError(-1016, "This service is no longer available.", 503)
            pairs = _pairs(query, body)
            limiter.charge_request(ip, limits.weight_for(op.method, op.path, dict(pairs), op.weight))
            params = Params(pairs)
            early = await self._faults_before(op)
            if early is not None:
                early.headers.update(headers())
                return early
            payload, signature = extract_signature(query, body)
            account = state.service.authenticate(
                op.security, api_key, payload, signature, params, client_ip=request.remote
            )
            result = state.service.call(op, params, account)
            late = await self._faults_after(op, request)
            if late is not None:
                late.headers.update(headers())
                return late
            return _json(result, headers=headers())
        except ApiError as err:
            return _error(err, headers())
        except Exception:
            log.exception("internal error on %s %s", op.method, op.path)
            return _json(
                ErrorBody(code=-1000, msg="An unknown error occurred while processing the request."),
                500,
                headers(),
            )

    async def _faults_before(self, op: Operation) -> web.Response | None:
        faults = self.state.faults
        delay = faults.take(FaultKind.LATENCY, op.path)
        if delay is not None:
            await asyncio.sleep(delay.latency_ms / 1000)
        rule = faults.take(FaultKind.HTTP_5XX, op.path)
        if rule is not None:
            if rule.status == 503:
                return _json(
                    ErrorBody(
                        code=-1008,
                        msg="Server is currently overloaded with other requests. "
                        "Please try again in a few minutes.",
                    ),
                    503,
                )
            return web.Response(
                status=rule.status, text=f"{rule.status} Bad Gateway", content_type="text/html"
            )
        if faults.should(FaultKind.ERROR_1001, op.path):
            return _json(
                ErrorBody(
                    code=-1001, msg="Internal error; unable to process your request. Please try again."
                ),
                500,
            )
        if faults.should(FaultKind.ERROR_1003, op.path):
            return _json(
                ErrorBody(
                    code=-1003,
                    msg="Too much request weight used; current limit is "
                    f"{self.state.config.rate_limits.request_weight_per_minute} "
                    "request weight per 1 MINUTE. Please use WebSocket Streams for "
                    "live updates to avoid polling the API.",
                ),
                429,
                {"Retry-After": "1"},
            )
        return None

    async def _faults_after(self, op: Operation, request: web.Request) -> web.Response | None:
        if op.handler not in _EXECUTING:
            return None
        faults = self.state.faults
        if faults.should(FaultKind.ERROR_1007, op.path, "executed; answered -1007"):
            return _json(
                ErrorBody(
                    code=-1007,
                    msg="Timeout waiting for response from backend server. "
                    "Send status unknown; execution status unknown.",
                ),
                408,
            )
        if faults.should(FaultKind.LOST_RESPONSE, op.path, "executed; connection closed unanswered"):
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        return None


class AdminRoutes:
    """``/_sim/...``: JSON in, JSON out, for tests and operators."""

    def __init__(self, state: WireState, admin: SimAdmin) -> None:
        self.state = state
        self.admin = admin

    def install(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/_sim/state", self._wrap(self.get_state))
        r.add_post("/_sim/price", self._wrap(self.set_price))
        r.add_post("/_sim/liquidity", self._wrap(self.liquidity))
        r.add_post("/_sim/deposit", self._wrap(self.deposit))
        r.add_post("/_sim/reset", self._wrap(self.reset))
        r.add_post("/_sim/faults", self._wrap(self.inject))
        r.add_delete("/_sim/faults", self._wrap(self.clear))
        r.add_get("/_sim/faults/log", self._wrap(self.fault_log))
        r.add_post("/_sim/clock", self._wrap(self.clock))

    def _wrap(self, fn: Callable[[dict[str, Any], web.Request], Any]) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                raw = await request.read()
                body = msgspec.json.decode(raw) if raw else {}
                if not isinstance(body, dict):
                    raise ValueError("body must be a JSON object")
                return _json(fn(body, request))
            except (msgspec.DecodeError, ValueError, KeyError, TypeError, InvalidOperation) as exc:
                return _json({"error": f"{type(exc).__name__}: {exc}"}, 400)

        return handle

    def get_state(self, _: dict[str, Any], request: web.Request) -> Any:
        return self.admin.snapshot(request.query.get("account"))

    def set_price(self, body: dict[str, Any], _: web.Request) -> Any:
        self.admin.set_price(str(body["symbol"]), Decimal(str(body["price"])))
        return {"ok": True}

    def liquidity(self, body: dict[str, Any], _: web.Request) -> Any:
        """A resting order from the house: on the spot book, or with ``"product": "futures"``
        on the USDT-M futures book."""
        symbol, side = str(body["symbol"]), str(body["side"])
        price, qty = Decimal(str(body["price"])), Decimal(str(body["quantity"]))
        if body.get("product", "spot") == "futures":
            order = self.state.futures.add_liquidity(symbol, Side(side), price, qty, self.state.now_ms())
        else:
            order = self.admin.add_liquidity(symbol, side, price, qty)
        return {"orderId": order.order_id}

    def deposit(self, body: dict[str, Any], _: web.Request) -> Any:
        account = str(body.get("account") or self.state.accounts[0])
        self.admin.deposit(account, str(body["asset"]), Decimal(str(body["amount"])))
        return {"ok": True}

    def reset(self, _: dict[str, Any], __: web.Request) -> Any:
        self.state.reset()
        return {"ok": True}

    def inject(self, body: dict[str, Any], _: web.Request) -> Any:
        rule = self.state.faults.inject(
            str(body["kind"]),
            str(body.get("target", "*")),
            probability=float(body.get("probability", 1.0)),
            count=None if body.get("count") is None else int(body["count"]),
            latency_ms=int(body.get("latency_ms", 0)),
            status=int(body.get("status", 503)),
            skew_ms=int(body.get("skew_ms", 0)),
            duration_ms=None if body.get("duration_ms") is None else int(body["duration_ms"]),
        )
        return {"ruleId": rule.rule_id}

    def clear(self, body: dict[str, Any], _: web.Request) -> Any:
        self.state.faults.clear(body.get("kind"))
        return {"ok": True}

    def fault_log(self, _: dict[str, Any], __: web.Request) -> Any:
        return self.state.faults.log_json()

    def clock(self, body: dict[str, Any], _: web.Request) -> Any:
        self.state.clock.advance(int(body.get("advance_ms", 0)))
        return {"serverTime": self.state.now_ms()}


UNSUPPORTED = ApiError(-1020, "This operation is not supported.")


@web.middleware
async def _headers_on_everything(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unknown paths and methods answer with their HTTP status (404/405) and, like every other
    answer, a JSON body in Binance's error shape and the usage headers: a client that decodes
    every answer as JSON must not trip over a text page."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or request.path.startswith("/_sim"):
            raise
        state = request.app[STATE_KEY]
        limiter = state.futures_limiter if request.path.startswith("/fapi/") else state.limiter
        headers = {**exc.headers, **limiter.headers(request.remote or "unknown", None)}
        headers.pop("Content-Type", None)
        return _json(UNSUPPORTED.body(), exc.status, headers)


def build_app(state: WireState) -> web.Application:
    """The whole application; WebSocket routes are added by the WebSocket modules when present."""
    app = web.Application(middlewares=[_headers_on_everything], client_max_size=1 << 20)
    admin = SimAdmin(state)
    app[STATE_KEY] = state
    app[ADMIN_KEY] = admin
    RestRoutes(state).install(app)
    AdminRoutes(state, admin).install(app)
    return app
