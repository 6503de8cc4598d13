"""Every error the local exchange can answer, triggered for real over HTTP (or the WebSocket API),
checked against the codes and texts of Binance's current error list.

``DOCUMENTED`` holds the templates of Binance's ``errors.md`` (and the request examples of its
REST document) for the codes this exchange emits, ``%s`` standing for a value. A second test
reads the exchange's sources for every code it can raise, so a new error without a case here
fails the suite instead of drifting from Binance unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest

from tests.sim.conftest import Api, Reply
from tests.sim.order_params import LIMIT_BUY
from tradeexec.binance.net.auth import HmacSigner, ws_signature_payload
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
    -1013: ("Filter failure: %s",),
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
}

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


def test_every_code_the_exchange_raises_has_a_case() -> None:
    """Reads the exchange's sources: each ``ApiError(code`` / ``EngineReject(code`` must be
    exercised above (or be one no request can cause), and each literal text be Binance's."""
    sources = Path(__file__).parents[2] / "src" / "tradeexec" / "sim"
    raised: set[int] = set()
    texts: set[tuple[int, str]] = set()
    for path in sources.rglob("*.py"):
        if path.parent.name == "futures" or path.name.startswith("futures_"):
            continue  # USDT-M futures have their own list: tests/sim/futures/test_error_texts.py
        text = path.read_text()
        for m in re.finditer(r"(?:ApiError|EngineReject)\(\s*(-\d+)(?:,\s*\"([^\"]*)\"\s*[,)])?", text):
            raised.add(int(m[1]))
            if m[2] is not None:
                texts.add((int(m[1]), m[2]))
    covered = {c.code for c in CASES} | {c for c in WS_CODES if c is not None} | set(UNTRIGGERABLE)
    assert raised - covered == set(), "codes raised by the exchange without a case here"
    assert raised >= {-1003, -2010, -1022}  # the scan itself works
    wrong = sorted(t for t in texts if not documented(*t))
    assert wrong == [], "texts that are not Binance's"
