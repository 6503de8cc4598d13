"""HTTP for the Binance REST API: one session, signed requests, clock offset, retries.

Three rules shape this module.

* The bytes signed are the bytes sent: the query string is encoded once, signed, and written
  as it is into the request line (``http1``: a keep-alive HTTP/1.1 client of our own, because
  aiohttp's cost per request was twice the rest of the order path's). Every parameter travels in
  the query string, for every method, so there is one signing path.
* An order is never sent twice by accident. Only idempotent calls (GET, and the listenKey
  keep-alive/close) are retried; an order request whose outcome is unknown (timeout, 5xx,
  -1007, -1001, dropped connection, unreadable answer) raises ``OrderStatusUnknown`` with the
  client order ID, which the transport guarantees every order carries. The one exception is
  -1021 (timestamp outside recvWindow): Binance rejected the request before looking at it, so
  the clock is re-measured and the request re-signed and sent once more.
* Nothing secret leaves: signed query strings, signatures and the API key header are never
  logged or put in an exception; errors name the request path only.
* No order able to grow a position is signed after a stop began: right before each attempt of
  an order-placing request is stamped and signed (the -1021 re-sign too), the venue's stop gate
  is read (``net/gate.py``), with no await in between.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

import msgspec

from tradeexec.binance.enums import RateLimitInterval, RateLimitType
from tradeexec.binance.errors import ErrorBody, error_from_response, outcome_unknown
from tradeexec.binance.net import gate
from tradeexec.binance.net.auth import Signer, encode_params, encode_value, sign_payload
from tradeexec.binance.net.budget import BudgetStore
from tradeexec.binance.net.endpoints import Endpoint, lookup
from tradeexec.binance.net.http1 import (
    ConnectFailed,
    ConnectionDropped,
    HttpClient,
    HttpError,
    Origin,
    Response,
)
from tradeexec.binance.net.ratelimit import DEFAULT_SPOT_LIMITS, RateLimiter, RateLimitRule
from tradeexec.binance.rules.limits import MAX_RECV_WINDOW
from tradeexec.config import ApiFamily, VenueUrls
from tradeexec.errors import (
    BinanceAPIError,
    ConfigError,
    InvalidParameter,
    OrderStatusUnknown,
    TransportError,
)

__all__ = ["DEFAULT_LIMITS", "MAX_RECV_WINDOW", "Transport", "check_recv_window", "new_client_order_id"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_USER_AGENT: Final = "tradeexec/0.1"
# Codes after which Binance did not act on the request and says to try again.
_RETRY_CODES: Final = frozenset({-1001, -1003})
# -1001 ("internal error; unable to process your request") is not flagged unknown by the
# error table, but for an order Binance cannot say whether it got as far as the engine.
_UNKNOWN_CODES: Final = frozenset({-1001})
_TIME_PATHS: Final = {
    ApiFamily.SPOT: "/api/v3/time",
    ApiFamily.USDM: "/fapi/v1/time",
    ApiFamily.COINM: "/dapi/v1/time",
}
# The order-placing paths whose requests take a ``newClientOrderId`` / ``listClientOrderId``.
_NEW_ORDER_SUFFIXES: Final = (
    "/order",
    "/order/test",
    "/order/cancelReplace",
    "/sor/order",
    "/sor/order/test",
)
_NEW_LIST_SUFFIXES: Final = ("/order/oco", "/orderList/oco", "/orderList/oto", "/orderList/otoco")
_QUERY_IN_TEXT = re.compile(r"\?\S*")


def _rule(kind: RateLimitType, interval: RateLimitInterval, num: int, limit: int) -> RateLimitRule:
    return RateLimitRule(kind, interval, num, limit)


_M, _S = RateLimitInterval.MINUTE, RateLimitInterval.SECOND
_W, _O = RateLimitType.REQUEST_WEIGHT, RateLimitType.ORDERS
# Each API base is a separate budget at Binance (SAPI has its own per-IP and per-UID limits).
# These are the documented defaults until exchangeInfo says otherwise.
DEFAULT_LIMITS: Final[Mapping[str, tuple[RateLimitRule, ...]]] = {
    "api": DEFAULT_SPOT_LIMITS,
    "sapi": (_rule(_W, _M, 1, 12000),),
    "fapi": (_rule(_W, _M, 1, 2400), _rule(_O, _M, 1, 1200), _rule(_O, _S, 10, 300)),
    "dapi": (_rule(_W, _M, 1, 2400), _rule(_O, _M, 1, 1200)),
}


def check_recv_window(value: object, field: str = "recvWindow") -> int | Decimal:
    """A recvWindow in milliseconds, 0 < value <= 60000; fractions carry microseconds."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise InvalidParameter(field, "must be an int, Decimal or str of milliseconds", type(value).__name__)
    try:
        number = Decimal(value) if isinstance(value, str) else value
    except ArithmeticError:
        raise InvalidParameter(field, "must be a number of milliseconds", repr(value)) from None
    exponent = number.as_tuple().exponent if isinstance(number, Decimal) else 0
    if not isinstance(exponent, int) or exponent < -3:
        raise InvalidParameter(field, "must be finite with at most 3 decimals (microseconds)", str(value))
    if not 0 < number <= MAX_RECV_WINDOW:
        raise InvalidParameter(field, f"must be in (0, {MAX_RECV_WINDOW}] ms", str(value))
    return number


def new_client_order_id() -> str:
    """A fresh ID inside Binance's ``^[.A-Z:/a-z0-9_-]{1,36}$``, for orders sent without one."""
    return "te" + secrets.token_hex(16)


class _ServerTime(msgspec.Struct, rename="camel"):
    server_time: int


_error_decoder = msgspec.json.Decoder(ErrorBody)
_time_decoder = msgspec.json.Decoder(_ServerTime)


@dataclass(slots=True)
class _Route:
    """What the transport precomputes once per endpoint, so the hot path only builds the
    query string. ``weight`` is the fixed IP weight, or None when it depends on the
    parameters (``endpoint.weight_for``)."""

    endpoint: Endpoint
    host: str
    origin: Origin
    # "METHOD /path" and " HTTP/1.1\r\n<headers>\r\n": the request around its query. The
    # tail carries the API key header, so it stays out of any repr.
    line: str
    tail: str = field(repr=False)
    needs_key: bool
    signed: bool
    idempotent: bool
    is_order: bool
    # Creates or changes an order (not a test order, a cancel or a query): read the stop gate.
    places: bool
    new_id_param: str | None
    family: ApiFamily
    limiter: RateLimiter
    weight: int | None


def _describe(exc: BaseException) -> str:
    """An exception as text with any URL query cut off (our messages name hosts only; an
    OS or TLS error text is not ours to trust)."""
    text = _QUERY_IN_TEXT.sub("?<redacted>", str(exc))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class Transport:
    """Sends registry endpoints to the venue's hosts; see the module docstring for the rules.

    ``request`` returns the answer passed through ``decode``; failures raise
    ``BinanceAPIError`` subclasses (the exchange said no), ``OrderStatusUnknown`` (an order's
    fate is unknown), ``TransportError`` (nothing usable came back from a non-order call),
    ``RateLimitBanActive`` (held back by a 429/418 and the caller would not wait) or
    ``InvalidParameter`` / ``ConfigError`` (refused before sending).
    """

    def __init__(
        self,
        urls: VenueUrls,
        *,
        api_key: str | None = None,
        signer: Signer | None = None,
        recv_window: int | Decimal = 5000,
        timeout: float = 10.0,
        safety_margin: float = 0.8,
        retry_base_delay: float = 1.0,
        max_retries: int = 3,
        wait_on_rate_limit: bool = True,
        max_rate_limit_wait_s: float | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        budget: BudgetStore | None = None,
    ) -> None:
        if api_key is not None and not re.fullmatch(r"[\x21-\x7e]+", api_key):
            raise ConfigError("api_key: must be non-empty printable ASCII without spaces")
        if timeout <= 0:
            raise InvalidParameter("timeout", "must be positive", repr(timeout))
        if retry_base_delay < 0 or max_retries < 0:
            raise InvalidParameter("retry_base_delay", "retries and delays must not be negative", "")
        self.urls = urls
        self.recv_window = recv_window
        self.retry_base_delay = retry_base_delay
        self.max_retries = max_retries
        self.wait_on_rate_limit = wait_on_rate_limit
        self.max_rate_limit_wait_s = max_rate_limit_wait_s
        self._signer = signer
        self._has_key = api_key is not None
        self._key_header = f"X-MBX-APIKEY: {api_key}\r\n" if api_key else ""
        self._timeout = timeout
        self._http: HttpClient | None = None
        self._origins: dict[str, Origin] = {}
        self._clock = clock
        self._sleep = sleep
        self.limiters = {
            name: RateLimiter(rules, safety_margin=safety_margin, clock=clock, store=budget, namespace=name)
            for name, rules in DEFAULT_LIMITS.items()
        }
        # Per host: one local exchange or proxy serving every family has one clock.
        self._offsets_ms: dict[str, float] = {}
        self._time_hosts: dict[ApiFamily, str] = {}  # the host whose clock each family signs by
        self._routes: dict[tuple[str, str], _Route] = {}
        self._time_lock = asyncio.Lock()
        self._last_headers: dict[str, tuple[Mapping[str, str], float]] = {}

    @property
    def recv_window(self) -> int | Decimal:
        """The recvWindow (ms) of signed requests that do not give their own."""
        return self._recv_window

    @recv_window.setter
    def recv_window(self, value: int | Decimal) -> None:
        self._recv_window = check_recv_window(value)
        self._recv_window_text = encode_value("recvWindow", self._recv_window)

    def __repr__(self) -> str:
        return f"Transport(rest={self.urls.rest!r}, key={'set' if self._has_key else 'none'})"

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        # Nothing is ever resent behind the transport's back: a request on a pooled
        # connection the server had closed fails as ``ConnectionDropped`` and the retry policy
        # below decides (aiohttp used to resend PUT and DELETE, i.e. cancels, on its own).
        if self._http is None:
            self._http = HttpClient(timeout=self._timeout, limit_per_host=32, keepalive_s=30.0)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        self._http = None

    def limiter(self, base: str = "api") -> RateLimiter:
        """The budget of an API base ("api", "sapi", "fapi", "dapi")."""
        return self.limiters[base]

    def configure_limits(self, base: str, rules: Sequence[RateLimitRule]) -> None:
        """Adopt new rate limits (from exchangeInfo) for an API base. A rule new to the
        limiter starts empty, though the server already counts what was just spent, so the
        counts of the last response are applied again to the new rules."""
        limiter = self.limiters[base]
        limiter.configure(rules)
        last = self._last_headers.get(base)
        if last is not None:
            limiter.update_from_headers(last[0], sent_at=last[1])

    # ------------------------------------------------------------------ time

    def timestamp_ms(self, family: ApiFamily = ApiFamily.SPOT) -> int:
        """The ``timestamp`` a signed request of ``family`` would carry now: the clock plus
        the measured offset (none yet: the clock alone; the first signed request measures)."""
        host = self._time_hosts.get(family)
        if host is None:
            host = self._time_hosts[family] = self.urls.base_for(_TIME_PATHS[family])
        return int(self._clock() * 1000 + (self._offsets_ms.get(host) or 0.0))

    def time_offset_ms(self, family: ApiFamily = ApiFamily.SPOT) -> float | None:
        """Server clock minus local clock, as last measured (None: not measured yet)."""
        return self._offsets_ms.get(self.urls.base_for(_TIME_PATHS[family]))

    async def sync_time(self, family: ApiFamily = ApiFamily.SPOT) -> float:
        """Measure the server-time offset: the server's time is taken to be read at the
        midpoint of the round trip."""
        async with self._time_lock:
            return await self._measure(family)

    async def _offset(self, route: _Route) -> float:
        offset = self._offsets_ms.get(route.host)
        if offset is None:
            async with self._time_lock:
                offset = self._offsets_ms.get(route.host)
                if offset is None:
                    offset = await self._measure(route.family)
        return offset

    async def _measure(self, family: ApiFamily) -> float:
        endpoint = _time_endpoint(family)
        route = self._route(endpoint)
        await self._acquire(route, endpoint.weight_for({}), 0)
        started = self._clock()
        try:
            status, headers, body = await self._send(route, "")
        except (TimeoutError, HttpError) as exc:
            raise TransportError(f"GET {route.endpoint.path}: {_describe(exc)}") from None
        ended = self._clock()
        route.limiter.update_from_headers(headers)
        if status != 200:
            raise self._error(route, status, headers, body)
        try:
            server_ms = _time_decoder.decode(body).server_time
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise TransportError(f"unreadable answer from {endpoint.path}") from None
        offset = server_ms - (started + ended) * 500.0
        self._offsets_ms[route.host] = offset
        log.debug("server time offset %s: %.1f ms (rtt %.1f ms)", family, offset, (ended - started) * 1000)
        return offset

    # ------------------------------------------------------------------ requests

    async def request(
        self,
        endpoint: Endpoint,
        params: Mapping[str, object] | None,
        decode: Callable[[bytes], T],
        *,
        recv_window: int | Decimal | None = None,
    ) -> T:
        route = self._routes.get((endpoint.method, endpoint.path)) or self._route(endpoint)
        args = {k: v for k, v in params.items() if v is not None} if params else {}
        signed = route.signed
        if route.needs_key:
            if not self._has_key:
                raise ConfigError(f"{endpoint.method} {endpoint.path} needs an API key")
            if signed and self._signer is None:
                raise ConfigError(
                    f"{endpoint.method} {endpoint.path} is signed and needs a secret or private key"
                )
        if signed:
            window = (
                self._recv_window_text
                if recv_window is None
                else encode_value("recvWindow", check_recv_window(recv_window))
            )
            # The transport stamps these two itself, after the caller's parameters.
            args.pop("recvWindow", None)
            args.pop("timestamp", None)
        elif recv_window is not None:
            raise InvalidParameter("recvWindow", "only signed endpoints take it", endpoint.path)
        order_ref = _order_reference(route, args) if route.is_order else None
        weight = endpoint.weight_for(args) if route.weight is None else route.weight
        orders = endpoint.orders
        # Encoded once: only the timestamp and the signature change between attempts.
        payload = self._encode(args)
        limiter = route.limiter
        attempt = 0
        resynced = False
        while True:
            # Charged before signing: a wait for budget must not age the timestamp.
            sent_at = limiter.try_acquire(weight, orders=orders)
            if sent_at is None:
                sent_at = await self._acquire(route, weight, orders)
            if signed:
                offset = self._offsets_ms.get(route.host)
                if offset is None:
                    offset = await self._offset(route)
                if route.places:
                    gate.check(order_ref[1] if order_ref is not None else "*")
                query = self._sign(payload, window, offset)
            else:
                query = payload
            try:
                status, headers, body = await self._send(route, query)
            except (TimeoutError, HttpError) as exc:
                cause = _describe(exc)
                if order_ref is not None and not isinstance(exc, ConnectFailed):
                    raise OrderStatusUnknown(order_ref[0], order_ref[1], cause) from None
                if route.idempotent and attempt < self.max_retries:
                    attempt += 1
                    # A pooled connection the server had already closed: resend at once.
                    stale = attempt == 1 and isinstance(exc, ConnectionDropped) and exc.nothing_received
                    await self._backoff(route, attempt, cause, immediate=stale)
                    continue
                raise TransportError(f"{endpoint.method} {endpoint.path}: {cause}") from None
            log.debug("%s %s -> %d", endpoint.method, endpoint.path, status)
            limiter.update_from_headers(headers, sent_at=sent_at)
            self._last_headers[endpoint.base] = (headers, sent_at)
            if status == 200:
                try:
                    return decode(body)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    raise _unreadable(route, exc, order_ref) from None
            error = self._error(route, status, headers, body)
            if error.code == -1021 and signed and not resynced:
                resynced = True
                log.info("%s %s: -1021, re-measuring server time", endpoint.method, endpoint.path)
                await self.sync_time(route.family)
                continue
            if order_ref is not None and (outcome_unknown(error) or error.code in _UNKNOWN_CODES):
                raise OrderStatusUnknown(order_ref[0], order_ref[1], str(error)) from error
            if route.idempotent and attempt < self.max_retries and _retryable(status, error):
                attempt += 1
                await self._backoff(route, attempt, f"HTTP {status} code {error.code}")
                continue
            raise error

    # ------------------------------------------------------------------ internals

    def _route(self, endpoint: Endpoint) -> _Route:
        key = (endpoint.method, endpoint.path)
        route = self._routes.get(key)
        if route is None:
            method, path = endpoint.method, endpoint.path
            listen_key = "listenKey" in path or path.endswith("userDataStream")
            host = self.urls.base_for(path)
            origin = self._origins.get(host)
            if origin is None:
                origin = self._origins[host] = Origin(host)
            prefix = urlsplit(host).path.rstrip("/")
            key_header = self._key_header if endpoint.security.needs_key else ""
            # Binance takes no request body; proxies refuse a POST that does not say so.
            length = "" if method == "GET" else "Content-Length: 0\r\n"
            route = _Route(
                endpoint=endpoint,
                host=host,
                origin=origin,
                line=f"{method} {prefix}{path}",
                tail=(
                    f" HTTP/1.1\r\nHost: {origin.host_header}\r\nUser-Agent: {_USER_AGENT}\r\n"
                    f"Accept: application/json\r\nAccept-Encoding: gzip, deflate\r\n{key_header}{length}\r\n"
                ),
                needs_key=endpoint.security.needs_key,
                signed=endpoint.security.signed,
                idempotent=method == "GET" or (listen_key and method in ("PUT", "DELETE")),
                is_order=method != "GET" and "order" in path.lower(),
                places=_places(method, path),
                new_id_param=_new_id_param(method, path),
                family=ApiFamily.of_path(path),
                limiter=self.limiters[endpoint.base],
                weight=_fixed_ip_weight(endpoint),
            )
            self._routes[key] = route
        return route

    @staticmethod
    def _encode(args: Mapping[str, object]) -> str:
        try:
            return encode_params(args)
        except TypeError as exc:
            raise InvalidParameter("params", "must be str, int, bool, Decimal or enum", str(exc)) from None

    def _sign(self, payload: str, window: str, offset_ms: float) -> str:
        stamp = f"recvWindow={window}&timestamp={int(self._clock() * 1000 + offset_ms)}"
        assert self._signer is not None
        return sign_payload(f"{payload}&{stamp}" if payload else stamp, self._signer)

    async def _acquire(self, route: _Route, weight: int, orders: int) -> float:
        return await route.limiter.acquire(
            weight, orders=orders, wait=self.wait_on_rate_limit, max_wait_s=self.max_rate_limit_wait_s
        )

    def _send(self, route: _Route, query: str) -> Awaitable[Response]:
        """The HTTP request of ``route`` with ``query`` (already encoded and signed)."""
        if self._http is None:
            raise TransportError("the client is not open: use `async with BinanceClient(...)`")
        target = f"{route.line}?{query}{route.tail}" if query else f"{route.line}{route.tail}"
        return self._http.request(route.origin, target.encode("ascii"))

    def _error(self, route: _Route, status: int, headers: Mapping[str, str], body: bytes) -> BinanceAPIError:
        try:
            parsed = _error_decoder.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError):
            # Not Binance JSON (a WAF or proxy page): its text is not shown, as a page may
            # quote the request URL.
            parsed = ErrorBody()
        retry_after = _retry_after(headers)
        if status == 429:
            route.limiter.on_429(retry_after, order_count=parsed.code == -1015)
        elif status == 418:
            route.limiter.on_418(retry_after)
        error = error_from_response(status, parsed.code, parsed.msg, route.endpoint.path, retry_after)
        log.warning("%s %s failed: %s", route.endpoint.method, route.endpoint.path, error)
        return error

    async def _backoff(self, route: _Route, attempt: int, cause: str, *, immediate: bool = False) -> None:
        delay = 0.0 if immediate else self.retry_base_delay * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
        log.info(
            "%s %s: %s; retry %d/%d in %.2fs",
            route.endpoint.method,
            route.endpoint.path,
            cause,
            attempt,
            self.max_retries,
            delay,
        )
        await self._sleep(delay)


def _unreadable(
    route: _Route, exc: Exception, order_ref: tuple[str, str] | None
) -> OrderStatusUnknown | TransportError:
    cause = f"unreadable answer from {route.endpoint.path}: {exc}"
    if order_ref is not None:
        # The exchange accepted the request; what it did is not known to us.
        return OrderStatusUnknown(order_ref[0], order_ref[1], cause)
    return TransportError(cause)


def _retryable(status: int, error: BinanceAPIError) -> bool:
    # A 418 ban lasts minutes to days: waiting it out inside one call helps nobody.
    return status != 418 and (status >= 500 or status == 429 or error.code in _RETRY_CODES)


def _time_endpoint(family: ApiFamily) -> Endpoint:
    return lookup("GET", _TIME_PATHS[family])


def _fixed_ip_weight(endpoint: Endpoint) -> int | None:
    """The IP weight charged for every call of ``endpoint``; None when it depends on the
    parameters. UID-counted weights (some SAPI calls) draw on a per-account budget far larger
    than the IP one; charging them to the IP budget would stall every other call."""
    if endpoint.weight_kind != "IP":
        return 0
    return endpoint.weight if isinstance(endpoint.weight, int) else None


def _new_id_param(method: str, path: str) -> str | None:
    """The parameter carrying the client ID of what a request creates: an order, a list."""
    if method == "POST":
        if path.endswith(_NEW_ORDER_SUFFIXES):
            return "newClientOrderId"
        if path.endswith("/algoOrder"):  # a futures conditional order (Algo Service)
            return "clientAlgoId"
        if path.endswith(_NEW_LIST_SUFFIXES):
            return "listClientOrderId"
    return None


def _places(method: str, path: str) -> bool:
    """Whether the request creates an order or changes one (a new order, list, algo order,
    cancel-replace, a futures batch or modify): what the stop gate holds back."""
    if path.endswith("/test"):
        return False
    if method == "POST":
        return _new_id_param(method, path) is not None or path.endswith("/batchOrders")
    # A futures modify (PUT order, PUT batchOrders) may raise a quantity.
    return method == "PUT" and path.endswith(("/order", "/batchOrders"))


def _order_reference(route: _Route, args: dict[str, object]) -> tuple[str, str]:
    """(symbol, client order ID) identifying an order request; for a new order without an ID
    one is generated and added to ``args`` so the outcome can always be looked up."""
    symbol = str(args.get("symbol", ""))
    param = route.new_id_param
    if param is not None:
        client_id = args.get(param)
        if not client_id:
            client_id = args[param] = new_client_order_id()
        return symbol, str(client_id)
    for name in (
        "origClientOrderId",
        "listClientOrderId",
        "cancelOrigClientOrderId",
        "clientAlgoId",
        "orderId",
        "orderListId",
        "algoId",
    ):
        value = args.get(name)
        if value:
            return symbol, str(value)
    # Cancel-all and batch calls name no single order.
    return symbol, "*"
