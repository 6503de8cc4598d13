"""Every error the local exchange can answer, triggered for real over HTTP (or the WebSocket API),
checked against the codes and texts of Binance's current error list.

``DOCUMENTED`` holds the templates of Binance's ``errors.md`` (and the request examples of its
REST document) for the codes this exchange emits, ``%s`` standing for a value. A second test
reads the exchange's sources (``error_sources``: the syntax tree, every way an error is
written) for every code it can raise and every text it can answer, so a new error without a
case here, or a text that is not Binance's, fails the suite instead of drifting unnoticed.
The WebSocket Streams' own control errors are in ``test_stream_errors``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec
import pytest

from tests.sim.conftest import Api, Reply, quiet_config
from tests.sim.error_sources import emitted_errors, is_futures
from tests.sim.order_params import LIMIT_BUY
from tradeexec.binance.net.auth import HmacSigner, ws_signature_payload
from tradeexec.binance.rules.defaults import DEFAULT_SYMBOL_INFO
from tradeexec.sim import LocalExchange
from tradeexec.sim.faults import FaultKind

DOCUMENTED: dict[int, tuple[str, ...]] = {
    -1000: ("An unknown error occurred while processing the request.",),
    -1001: ("Internal error; unable to process your request. Please try again.",),
    -1003: (
        "Too many requests queued.",
        "Too much request weight used; current limit is %s request weight per %s. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
        "Way too much request weight used; IP banned until %s. "
        "Please use WebSocket Streams for live updates to avoid bans.",
    ),
    -1007: (
        "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
    ),
    -1008: ("Server is currently overloaded with other requests. Please try again in a few minutes.",),
    # -1013: "Filter failures" and "Failures during order placement" (the -2010 table) both apply.
    -1013: ("Filter failure: %s", "Price * QTY is zero or less."),
    -1014: ("Unsupported order combination.",),
    -1015: ("Too many new orders.", "Too many new orders; current limit is %s orders per %s."),
    -1016: ("This service is no longer available.",),
    -1020: ("This operation is not supported.",),
    -1021: (
        "Timestamp for this request is outside of the recvWindow.",
        "Timestamp for this request was 1000ms ahead of the server's time.",
    ),
    -1022: ("Signature for this request is not valid.",),
    -1100: (
        "Illegal characters found in a parameter.",
        "Illegal characters found in parameter '%s'; legal range is '%s'.",
    ),
    -1101: (
        "Too many parameters sent for this endpoint.",
        "Too many parameters; expected '%s' and received '%s'.",
        "Duplicate values for a parameter detected.",
        # The answer the REST document's changelog shows for more than 100 symbols.
        "Too many values sent for parameter 'symbols', maximum allowed up to 100.",
    ),
    -1102: (
        "A mandatory parameter was not sent, was empty/null, or malformed.",
        "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
        "Param '%s' or '%s' must be sent, but both were empty/null!",
        "'%s' contains unexpected value. Cannot be greater than %s.",
    ),
    -1104: (
        "Not all sent parameters were read.",
        "Not all sent parameters were read; read '%s' parameter(s) but was sent '%s'.",
    ),
    -1105: ("A parameter was empty.", "Parameter '%s' was empty."),
    -1106: ("A parameter was sent when not required.", "Parameter '%s' sent when not required."),
    -1111: ("Parameter '%s' has too much precision.",),
    -1115: ("Invalid timeInForce.",),
    -1116: ("Invalid orderType.",),
    -1117: ("Invalid side.",),
    -1120: ("Invalid interval.",),
    -1121: ("Invalid symbol.",),
    -1125: ("This listenKey does not exist.",),
    -1128: ("Combination of optional parameters invalid.",),
    -1130: ("Invalid data sent for a parameter.", "Data sent for parameter '%s' is not valid."),
    -1135: ("Invalid JSON Request", "JSON sent for parameter '%s' is not valid"),
    -2010: (
        "Duplicate order sent.",
        "Account has insufficient balance for requested action.",
        "Order would trigger immediately.",
        "Order would immediately match and take.",
        "The relationship of the prices for the orders is not correct.",
        "Market is closed.",
        "Market orders are not supported for this symbol.",
        "Iceberg orders are not supported for this symbol.",
        "Stop loss orders are not supported for this symbol.",
        "Stop loss limit orders are not supported for this symbol.",
        "Take profit orders are not supported for this symbol.",
        "Take profit limit orders are not supported for this symbol.",
        "IcebergQty exceeds QTY.",
        "Quote order qty market orders are not support for this symbol.",  # sic, Binance's text
        "Trailing stop orders are not supported for this symbol.",
        # the account's filters (MAX_NUM_ORDERS, ...): "Filter failures", answered as -2010
        "Filter failure: %s",
    ),
    -2011: ("Unknown order sent.",),
    -2013: ("Order does not exist.",),
    -2014: ("API-key format invalid.",),
    -2015: ("Invalid API-key, IP, or permissions for action.",),
    -2021: ("Order cancel-replace partially failed.",),
    -2022: ("Order cancel-replace failed.",),
    -2035: ("User Data Stream subscription already active.",),
    -2036: ("User Data Stream subscription not active.",),
    -2042: ("Maximum subscription ID reached for this connection.",),
}

# Texts the exchange answers that Binance's error list does not spell out, and why they stay.
UNDOCUMENTED: dict[tuple[int, str], str] = {
    (
        -1003,
        "Too many requests; current limit is %s requests per %s. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
    ): "RAW_REQUESTS has a limit in exchangeInfo but no text in errors.md",
    (-1135, "Invalid 'params' in JSON request; expected an object."): "WebSocket API envelope",
    (
        -1135,
        "Invalid 'id' in JSON request; expected an integer, a string matching "
        "'^[a-zA-Z0-9-_]{1,36}$', or null.",
    ): "WebSocket API envelope",
    (-2011, "Unknown order list sent."): "order lists: errors.md lists no -2011 text for them",
    (-2011, "Order list does not exist."): "order lists: errors.md lists no -2011 text for them",
    (-4056, "%s API key is not supported."): "session.logon with a non-Ed25519 key (WebSocket API doc)",
    (-1013, "Invalid quantity."): "Binance's answer to quantity=0, absent from today's errors.md",
    (
        -1121,
        "Invalid stream name: %s",
    ): "a stream URL naming what is not served (HTTP 400); the Streams document gives no text",
}

# Files whose errors are not Binance's and need no case: the benchmark firehose serves only
# ``/_sim/firehose/...`` (a path no Binance client is pointed at unless benchmarking).
EXEMPT_FILES = {"sim/binance/ws_firehose.py": "benchmark endpoint under /_sim/"}

# Codes no request can trigger: only a bug in the exchange produces them.
UNTRIGGERABLE = {
    -1000: "answer to an internal error",
    -2042: "a connection's 1000th subscription: one per account, so 1000 accounts",
}


def _template_re(template: str) -> re.Pattern[str]:
    return re.compile(".+?".join(re.escape(part) for part in template.split("%s")))


def documented(code: int, msg: str) -> bool:
    templates = [*DOCUMENTED.get(code, ()), *(t for (c, t) in UNDOCUMENTED if c == code)]
    return any(_template_re(t).fullmatch(msg) for t in templates)


@dataclass(frozen=True)
class Case:
    name: str
    status: int
    code: int
    trigger: Callable[[Api, LocalExchange], Awaitable[Reply]]


RESTRICTED = "RSTRUSDT"  # LIMIT only: no iceberg, no quoteOrderQty, no trailing stop, one open order
HALTED = "HALTUSDT"


def _symbol(name: str, **changes: object) -> dict[str, object]:
    info: dict[str, object] = {**DEFAULT_SYMBOL_INFO["BTCUSDT"], "symbol": name, "baseAsset": name[:4]}
    filters = [f for f in DEFAULT_SYMBOL_INFO["BTCUSDT"]["filters"] if f["filterType"] != "MAX_NUM_ORDERS"]
    return {**info, "filters": [*filters, {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 1}], **changes}


@pytest.fixture
async def exchange() -> AsyncIterator[LocalExchange]:
    """The quiet exchange with two more symbols, so that every symbol-level refusal can happen."""
    cfg = quiet_config()
    cfg.symbols = [
        *DEFAULT_SYMBOL_INFO.values(),
        _symbol(
            RESTRICTED,
            orderTypes=["LIMIT"],
            icebergAllowed=False,
            quoteOrderQtyMarketAllowed=False,
            allowTrailingStop=False,
        ),
        _symbol(HALTED, status="HALT"),
    ]
    async with LocalExchange(cfg, market=False) as ex:
        yield ex


def _order(**changes: object) -> dict[str, object]:
    return {**LIMIT_BUY, **changes}


async def _raw(api: Api, method: str, path_and_query: str) -> Reply:
    return await api.request(method, path_and_query)


async def _many_params(api: Api, _: LocalExchange) -> Reply:
    return await api.public("GET", "/api/v3/time", {f"p{i}": "1" for i in range(51)})


async def _ban(api: Api, ex: LocalExchange) -> Reply:
    ex.inject(FaultKind.IP_BAN, "127.0.0.1", duration_ms=60_000)
    return await api.public("GET", "/api/v3/ping")


async def _order_limit(api: Api, ex: LocalExchange) -> Reply:
    ex.state.config.rate_limits.orders_per_10s = 1
    await api.signed("POST", "/api/v3/order", _order())
    return await api.signed("POST", "/api/v3/order", _order())


async def _maintenance(api: Api, ex: LocalExchange) -> Reply:
    ex.inject(FaultKind.MAINTENANCE)
    return await api.public("GET", "/api/v3/depth", {"symbol": "BTCUSDT"})


async def _fault(kind: FaultKind, method: str, path: str, api: Api, ex: LocalExchange, **kw: Any) -> Reply:
    ex.inject(kind, path, **kw)
    if method == "GET":
        return await api.public(method, path)
    return await api.signed(method, path, _order())


async def _duplicate(api: Api, _: LocalExchange) -> Reply:
    await api.signed("POST", "/api/v3/order", _order(newClientOrderId="twice"))
    return await api.signed("POST", "/api/v3/order", _order(newClientOrderId="twice"))


async def _would_take(api: Api, ex: LocalExchange) -> Reply:
    ex.add_liquidity("BTCUSDT", "SELL", "60000", "1")
    return await api.signed(
        "POST", "/api/v3/order", _order(type="LIMIT_MAKER", price="61000", timeInForce=None)
    )


async def _cancel_replace(mode: str, api: Api, _: LocalExchange) -> Reply:
    params = _order(cancelReplaceMode=mode, cancelOrderId=999_999)
    return await api.signed("POST", "/api/v3/order/cancelReplace", params)


async def _order_filter(api: Api, _: LocalExchange) -> Reply:
    await api.signed("POST", "/api/v3/order", _order(symbol=RESTRICTED))
    return await api.signed("POST", "/api/v3/order", _order(symbol=RESTRICTED))


def _new(**changes: object) -> Callable[[Api, LocalExchange], Awaitable[Reply]]:
    """A POST /api/v3/order of LIMIT_BUY changed by ``changes`` (None drops a parameter)."""
    params = {k: v for k, v in _order(**changes).items() if v is not None}
    return lambda a, _: a.signed("POST", "/api/v3/order", params)


async def _listen_key(api: Api, ex: LocalExchange) -> Reply:
    ex.state.config.streams.legacy_listen_key = True
    return await api.request(
        "PUT", "/api/v3/userDataStream", query="listenKey=none", headers={"X-MBX-APIKEY": api.api_key}
    )


CASES = [
    Case("1001", 500, -1001, lambda a, x: _fault(FaultKind.ERROR_1001, "GET", "/api/v3/ping", a, x)),
    Case("1003-weight", 429, -1003, lambda a, x: _fault(FaultKind.ERROR_1003, "GET", "/api/v3/ping", a, x)),
    Case("1003-ban", 418, -1003, _ban),
    Case("1007", 408, -1007, lambda a, x: _fault(FaultKind.ERROR_1007, "POST", "/api/v3/order", a, x)),
    Case(
        "1008", 503, -1008, lambda a, x: _fault(FaultKind.HTTP_5XX, "GET", "/api/v3/ping", a, x, status=503)
    ),
    Case("1013", 400, -1013, lambda a, _: a.signed("POST", "/api/v3/order", _order(quantity="0.000001"))),
    Case("1015", 429, -1015, _order_limit),
    Case("1016", 503, -1016, _maintenance),
    Case("1020-path", 404, -1020, lambda a, _: _raw(a, "GET", "/api/v3/nothing")),
    Case("1020-method", 405, -1020, lambda a, _: _raw(a, "DELETE", "/api/v3/time")),
    Case("1021-old", 400, -1021, lambda a, _: a.signed("GET", "/api/v3/account", timestamp=1)),
    Case("1021-ahead", 400, -1021, lambda a, _: a.signed("GET", "/api/v3/account", timestamp=2**50)),
    Case(
        "1022",
        400,
        -1022,
        lambda a, _: a.signed("GET", "/api/v3/account", signer=HmacSigner("not the secret")),
    ),
    Case("1100-bytes", 400, -1100, lambda a, _: _raw(a, "GET", "/api/v3/depth?symbol=%FF")),
    Case("1100-range", 400, -1100, lambda a, _: a.public("GET", "/api/v3/depth", {"symbol": "btc usdt"})),
    Case(
        "1100-window",
        400,
        -1100,
        lambda a, _: a.public("GET", "/api/v3/ticker", {"symbol": "BTCUSDT", "windowSize": "9y"}),
    ),
    Case("1101-dup", 400, -1101, lambda a, _: _raw(a, "GET", "/api/v3/depth?symbol=A&symbol=B")),
    Case("1101-many", 400, -1101, _many_params),
    Case(
        "1101-symbols",
        400,
        -1101,
        lambda a, _: a.public("GET", "/api/v3/ticker/price", {"symbols": ["BTCUSDT"] * 101}),
    ),
    Case("1102-missing", 400, -1102, lambda a, _: a.public("GET", "/api/v3/depth")),
    Case("1102-either", 400, -1102, lambda a, _: a.public("GET", "/api/v3/ticker")),
    Case("1102-recv", 400, -1102, lambda a, _: a.signed("GET", "/api/v3/account", {"recvWindow": 60001})),
    Case("1104", 400, -1104, lambda a, _: a.public("GET", "/api/v3/time", {"extra": "1"})),
    Case("1105", 400, -1105, lambda a, _: a.signed("POST", "/api/v3/order", _order(newClientOrderId=""))),
    Case("1106", 400, -1106, lambda a, _: a.signed("POST", "/api/v3/order", _order(stopPrice="1"))),
    Case(
        "1120",
        400,
        -1120,
        lambda a, _: a.public("GET", "/api/v3/klines", {"symbol": "BTCUSDT", "interval": "7x"}),
    ),
    Case("1121", 400, -1121, lambda a, _: a.public("GET", "/api/v3/depth", {"symbol": "NOPE"})),
    Case("1125", 400, -1125, _listen_key),
    Case(
        "1128",
        400,
        -1128,
        lambda a, _: a.public("GET", "/api/v3/exchangeInfo", {"symbol": "BTCUSDT", "symbols": ["BTCUSDT"]}),
    ),
    Case("1130", 400, -1130, lambda a, _: a.signed("GET", "/api/v3/account", {"omitZeroBalances": "maybe"})),
    Case("1111", 400, -1111, _new(quantity="0.000000001")),
    Case("1115", 400, -1115, _new(timeInForce="FOREVER")),
    Case("1116", 400, -1116, _new(type="NOPE")),
    Case("1117", 400, -1117, _new(side="UP")),
    Case("1013-zero-qty", 400, -1013, _new(quantity="0")),
    Case(
        "1013-zero-notional",
        400,
        -1013,
        _new(type="MARKET", quantity=None, price=None, timeInForce=None, quoteOrderQty="0"),
    ),
    Case("1014", 400, -1014, _new(symbol=RESTRICTED, type="LIMIT_MAKER", timeInForce=None)),
    Case("2010-closed", 400, -2010, _new(symbol=HALTED)),
    Case("2010-type", 400, -2010, _new(symbol=RESTRICTED, type="MARKET", price=None, timeInForce=None)),
    Case("2010-iceberg", 400, -2010, _new(symbol=RESTRICTED, icebergQty="0.001")),
    Case("2010-iceberg-qty", 400, -2010, _new(icebergQty="0.02")),
    Case("2010-max-orders", 400, -2010, _order_filter),
    Case("2010-balance", 400, -2010, lambda a, _: a.signed("POST", "/api/v3/order", _order(quantity="100"))),
    Case("2010-duplicate", 400, -2010, _duplicate),
    Case("2010-take", 400, -2010, _would_take),
    Case(
        "2011",
        400,
        -2011,
        lambda a, _: a.signed("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 9}),
    ),
    Case(
        "2013", 400, -2013, lambda a, _: a.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 9})
    ),
    Case(
        "2014",
        401,
        -2014,
        lambda a, _: a.request("GET", "/api/v3/account", headers={"X-MBX-APIKEY": "bad key!"}),
    ),
    Case("2015", 401, -2015, lambda a, _: a.signed("GET", "/api/v3/account", api_key="unknownKey")),
    Case("2021", 409, -2021, lambda a, x: _cancel_replace("ALLOW_FAILURE", a, x)),
    Case("2022", 400, -2022, lambda a, x: _cancel_replace("STOP_ON_FAILURE", a, x)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_rest_errors_have_binance_codes_and_texts(
    api: Api, exchange: LocalExchange, case: Case
) -> None:
    reply = await case.trigger(api, exchange)
    assert isinstance(reply.body, dict), reply.body
    assert (reply.status, reply.body.get("code")) == (case.status, case.code), reply.body
    assert documented(case.code, reply.body["msg"]), reply.body["msg"]
    assert reply.headers["Content-Type"].startswith("application/json")


async def _ws_api(exchange: LocalExchange, *requests: str) -> list[Any]:
    answers = []
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{exchange.ws_url}/ws-api/v3") as ws:
        for raw in requests:
            await ws.send_str(raw)
            answers.append(msgspec.json.decode((await ws.receive(timeout=5)).data))
    return answers


def _ws_signed(exchange: LocalExchange, request_id: int, method: str) -> str:
    params: dict[str, object] = {"apiKey": exchange.api_key, "timestamp": exchange.state.now_ms()}
    params["signature"] = HmacSigner(exchange.api_secret).sign(ws_signature_payload(params))
    return msgspec.json.encode({"id": request_id, "method": method, "params": params}).decode()


WS_CODES = [-1135, -1020, -2036, -1020, -1135, -4056, None, -2035]


async def test_websocket_api_errors_have_binance_codes_and_texts(exchange: LocalExchange) -> None:
    key = exchange.api_key
    answers = await _ws_api(
        exchange,
        "{not json",
        '{"id": 1, "method": "no.such.method"}',
        '{"id": 2, "method": "userDataStream.unsubscribe", "params": {"subscriptionId": 5}}',
        msgspec.json.encode({"id": 3, "method": "userDataStream.start", "params": {"apiKey": key}}).decode(),
        '{"id": 4, "method": "depth", "params": {"symbol": "BTCUSDT", "limit": [1]}}',
        _ws_signed(exchange, 5, "session.logon"),  # an HMAC key cannot log on
        _ws_signed(exchange, 6, "userDataStream.subscribe.signature"),
        _ws_signed(exchange, 7, "userDataStream.subscribe.signature"),  # the account's second
    )
    assert [a.get("error", {}).get("code") for a in answers] == WS_CODES, answers
    for answer in answers:
        if "error" in answer:
            assert documented(answer["error"]["code"], answer["error"]["msg"]), answer


def test_every_code_the_exchange_raises_has_a_case_and_every_text_is_binances() -> None:
    """Reads the exchange's sources (and the order rules it checks with): each code it can
    answer must be exercised above (or be one no request can cause), each text be Binance's."""
    emitted = [e for e in emitted_errors() if e.where.split(":")[0] not in EXEMPT_FILES]
    emitted = [e for e in emitted if not is_futures(e.where)]
    api_errors = [e for e in emitted if e.code < 0]  # 0..4 are the Streams' own (test_stream_errors)
    covered = {c.code for c in CASES} | {c for c in WS_CODES if c is not None} | set(UNTRIGGERABLE)
    covered.add(-1121)  # "Invalid stream name": test_stream_errors
    missing = sorted({e.code for e in api_errors} - covered)
    assert missing == [], f"codes the exchange raises without a case here: {missing}"
    # the scan itself reaches every way an error is written
    assert {-1117, -1111, -1014, -1000, -2035}.issubset({e.code for e in api_errors})
    wrong = sorted({(e.code, e.text) for e in api_errors if e.text and not documented(e.code, e.text)})
    assert wrong == [], "texts that are not Binance's"
    unknown = sorted({e.where for e in api_errors if e.text is None})
    assert unknown == [], "error texts the scan cannot read: name them as constants or literals"
