"""The local exchange's REST side fed malformed requests over raw sockets: every request is
answered within a bound, never with a 5xx, a route it serves always answers errors as
Binance's ``{"code", "msg"}`` JSON, the server logs no error, and no balance moves."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tradeexec.binance.net.endpoints import REGISTRY

from . import ANSWER_WITHIN_S, WAIT, FuzzExchange, fuzz_exchange, fuzz_settings

pytestmark = pytest.mark.timeout(180)
FUZZ = fuzz_settings(100)
RAW_SAFE = "%&=+$,;:@/?[]!'()*~"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@pytest.fixture(scope="module")
def fx() -> Iterator[FuzzExchange]:
    with fuzz_exchange() as x:
        yield x
        x.assert_no_server_errors()


async def raw_request(port: int, head: bytes, body: bytes) -> Answer:
    """One HTTP/1.1 exchange on a fresh connection, read to EOF (``Connection: close``)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head + body)
        await writer.drain()
        async with asyncio.timeout(ANSWER_WITHIN_S):
            raw = await reader.read(-1)
    finally:
        writer.close()
    head_part, _, payload = raw.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return Answer(status, headers, payload)


ROUTES = sorted({(m, p) for m, p in REGISTRY if p.startswith("/api/")})
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO"])
NAMES = st.sampled_from(
    ["symbol", "side", "type", "quantity", "price", "timeInForce", "timestamp", "recvWindow", "signature",
     "orderId", "limit", "symbols", "interval", "newClientOrderId", "quoteOrderQty", "stopPrice", ""]
)  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(["", "BTCUSDT", "BUY", "LIMIT", "NaN", "-1", "0", "1e999", "9" * 400, "%", "%zz",
                     "%ff%fe", '["BTCUSDT"]', "[", "null", "true", "1.0000000000000000000001", "\x00", "GTC",
                     "1" * 30]),
    st.text(max_size=20),
    st.integers().map(str),
)  # fmt: skip


def _pair(name: str, value: str, encode: bool) -> str:
    # Unencoded, a value keeps its stray "%", "&" and "=" (bad percent-encoding, extra pairs);
    # what HTTP itself forbids in a request line (spaces, controls, non-ASCII) is still escaped.
    return f"{quote(name)}={quote(value, safe='' if encode else RAW_SAFE)}"


queries = st.lists(st.tuples(NAMES, VALUES, st.booleans()), max_size=12).map(
    lambda ps: "&".join(_pair(n, v, e) for n, v, e in ps)
)
raw_queries = st.one_of(
    queries,
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="# "), max_size=200),
    st.sampled_from(
        ["%", "a=%", "=", "&&&", "a&a&a", "symbol=BTCUSDT&symbol=ETHUSDT", "signature=", "%E2%82"]
    ),
)
bodies = st.one_of(
    st.just(b""),
    queries.map(str.encode),
    st.binary(max_size=300),
    st.sampled_from([b"{", b'{"symbol": "BTCUSDT"}', b"\xff\xfe\x00", b"a=%ff", b"x" * 70_000]),
)
content_types = st.sampled_from(
    [None, "application/x-www-form-urlencoded", "application/json", "text/plain",
     "multipart/form-data; boundary=x", "application/x-www-form-urlencoded; charset=latin-1", "garbage"]
)  # fmt: skip


@FUZZ
@given(
    route=st.sampled_from(ROUTES),
    method=st.one_of(st.none(), METHODS),
    query=raw_queries,
    body=bodies,
    content_type=content_types,
    key=st.one_of(
        st.none(), st.just("own"), st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=70)
    ),
    signature=st.one_of(
        st.none(), st.text(st.characters(min_codepoint=0x30, max_codepoint=0x7A), max_size=70)
    ),
)
def test_malformed_rest_requests_get_binance_errors(
    fx: FuzzExchange,
    route: tuple[str, str],
    method: str | None,
    query: str,
    body: bytes,
    content_type: str | None,
    key: str | None,
    signature: str | None,
) -> None:
    verb, path = route[0] if method is None else method, route[1]
    if signature is not None:
        query = f"{query}&timestamp=1&signature={signature}" if query else f"signature={signature}"
    headers = [f"Host: 127.0.0.1:{fx.ex.port}", "Connection: close", f"Content-Length: {len(body)}"]
    if content_type is not None:
        headers.append(f"Content-Type: {content_type}")
    if key is not None:
        headers.append(f"X-MBX-APIKEY: {fx.ex.api_key if key == 'own' else key}")
    target = f"{path}?{query}" if query else path
    head = f"{verb} {target} HTTP/1.1\r\n{''.join(h + chr(13) + chr(10) for h in headers)}\r\n".encode()
    before = fx.fingerprint()
    answer = fx.run(raw_request(fx.ex.port, head, body), WAIT)
    assert answer.status < 500, (verb, target, answer)
    # Routes the exchange serves answer Binance's error JSON; others get aiohttp's 404/405.
    if (verb, path) in fx.ex.state.service.by_route and answer.status >= 400 and verb != "HEAD":
        error = json.loads(answer.body)
        assert isinstance(error.get("code"), int) and error["code"] < 0, error
        assert isinstance(error.get("msg"), str) and error["msg"], error
    assert fx.fingerprint() == before, f"{verb} {target} changed the exchange"
    fx.assert_no_server_errors()


@settings(FUZZ, max_examples=40)
@given(line=st.binary(min_size=1, max_size=200))
def test_garbage_instead_of_http_is_answered_or_closed(fx: FuzzExchange, line: bytes) -> None:
    """Not HTTP at all: aiohttp's parser answers 400 or closes; the server stays up."""
    # Only CR and LF: empty lines an HTTP server skips before a request line (RFC 9112 2.2),
    # so waiting for the request is the right answer there.
    assume(line.strip(b"\r\n"))

    async def send() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", fx.ex.port)
        try:
            writer.write(line + b"\r\n\r\n")
            await writer.drain()
            async with asyncio.timeout(ANSWER_WITHIN_S):
                return await reader.read(200)
        finally:
            writer.close()

    before = fx.fingerprint()
    first = fx.run(send(), WAIT)
    assert not first.startswith(b"HTTP/1.1 5"), first
    assert fx.fingerprint() == before
    ping = fx.run(
        raw_request(fx.ex.port, b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"")
    )
    assert ping.status == 200
