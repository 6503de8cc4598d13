"""Every error the WebSocket Streams side of the local exchange can answer, sent for real over
a socket and checked against the "Error Messages" table of Binance's WebSocket Streams
document (codes 0-3); the few answers that table does not spell out are listed with the reason
they stay. A scan of the sources (``error_sources``) makes sure no stream error goes untested.
"""

from __future__ import annotations

import re
from typing import Any

from tests.sim.error_sources import emitted_errors, is_futures
from tests.sim.test_error_texts import EXEMPT_FILES, documented
from tests.sim.ws_helpers import recv_json, ws_exchange

# Binance's WebSocket Streams document, "Error Messages" (%s for a value).
STREAM_DOCUMENTED: dict[int, tuple[str, ...]] = {
    0: ("Unknown property",),
    1: ("Invalid value type: expected Boolean",),
    2: (
        "Invalid request: property name must be a string",
        "Invalid request: request ID must be an unsigned integer",
        "Invalid request: unknown variant %s, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, "
        "`LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at line 1 column %s",
        "Invalid request: too many parameters",
        "Invalid request: missing field `method` at line 1 column %s",
    ),
    3: ("Invalid JSON: %s",),
}
# What the table does not spell out, in the table's own style, and why.
STREAM_UNDOCUMENTED: dict[tuple[int, str], str] = {
    (2, "Invalid request: expected a JSON object"): "a JSON value that is not an object",
    (2, "Invalid request: params must be an array"): "'params' not a list",
    (2, "Invalid request: stream name must be a string"): "a stream name that is not a string",
    (2, "Invalid request: invalid stream name `%s`"): "a name no stream of this exchange has",
    (2, "Invalid request: missing property value"): "SET_PROPERTY without its value",
    (4, "Too many subscriptions"): "over the 1024 streams a connection may hold; no text documented",
}


def stream_documented(code: int, msg: str) -> bool:
    templates = {(c, t) for c, ts in STREAM_DOCUMENTED.items() for t in ts} | set(STREAM_UNDOCUMENTED)
    return any(code == c and documented_template(t, msg) for c, t in templates)


def documented_template(template: str, msg: str) -> bool:
    return re.fullmatch(".+?".join(re.escape(p) for p in template.split("%s")), msg, re.DOTALL) is not None


# (frame sent on /ws, expected code)
FRAMES: list[tuple[str, int]] = [
    ("{not json", 3),
    ("[1, 2]", 2),
    ('{"id": 1}', 2),
    ('{"method": "SUBSCRIB", "params": [], "id": 1}', 2),
    ('{"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1.5}', 2),
    ('{"method": "SUBSCRIBE", "params": "btcusdt@trade", "id": 1}', 2),
    ('{"method": "SUBSCRIBE", "params": [7], "id": 1}', 2),
    ('{"method": "SUBSCRIBE", "params": ["btcusdt@nonsense"], "id": 1}', 2),
    ('{"method": "UNSUBSCRIBE", "params": [7], "id": 1}', 2),
    ('{"method": "LIST_SUBSCRIPTIONS", "params": ["x"], "id": 1}', 2),
    ('{"method": "GET_PROPERTY", "params": [], "id": 1}', 2),
    ('{"method": "GET_PROPERTY", "params": [1], "id": 1}', 2),
    ('{"method": "GET_PROPERTY", "params": ["colour"], "id": 1}', 0),
    ('{"method": "GET_PROPERTY", "params": ["combined", true], "id": 1}', 2),
    ('{"method": "SET_PROPERTY", "params": ["combined"], "id": 1}', 2),
    ('{"method": "SET_PROPERTY", "params": ["combined", true, 1], "id": 1}', 2),
    ('{"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 1}', 1),
]


async def test_every_stream_control_error_is_binances() -> None:
    answers: list[Any] = []
    # Binance's 5 messages a second per connection would drop the table's connection midway.
    async with ws_exchange(inbound_messages_per_s=100) as x, x.http.ws_connect(f"{x.url}/ws") as ws:
        for frame, _ in FRAMES:
            await ws.send_str(frame)
            answers.append(await recv_json(ws))
    for (frame, code), answer in zip(FRAMES, answers, strict=True):
        error = answer["error"]
        assert error["code"] == code, (frame, answer)
        assert stream_documented(error["code"], error["msg"]), (frame, error)


async def test_too_many_subscriptions_and_a_stream_url_naming_nothing_served() -> None:
    async with ws_exchange(max_streams_per_connection=2) as x:
        async with x.http.ws_connect(f"{x.url}/ws") as ws:
            three = ["btcusdt@trade", "ethusdt@trade", "bnbusdt@trade"]
            await ws.send_json({"method": "SUBSCRIBE", "params": three, "id": 1})
            error = (await recv_json(ws))["error"]
        assert error["code"] == 4 and stream_documented(4, error["msg"])
        async with x.http.get(f"{x.url}/ws/btcusdt@trade/ethusdt@trade/bnbusdt@trade") as r:
            body = await r.json()
        assert (r.status, body["code"]) == (400, 4) and stream_documented(4, body["msg"])
        async with x.http.get(f"{x.url}/stream?streams=btcusdt@nonsense") as r:
            body = await r.json()
        assert (r.status, body["code"]) == (400, -1121) and documented(-1121, body["msg"]), body


def test_every_stream_error_the_exchange_answers_is_tested() -> None:
    spot = [
        e for e in emitted_errors() if e.where.split(":")[0] not in EXEMPT_FILES and not is_futures(e.where)
    ]
    stream = [e for e in spot if e.code >= 0]
    assert {e.code for e in stream} == {0, 1, 2, 3, 4}
    untested = sorted(e.where for e in stream if e.text is None or not stream_documented(e.code, e.text))
    assert untested == [], "stream errors outside Binance's table and the list above"
    sent = {code for _, code in FRAMES} | {4}
    assert {e.code for e in stream} <= sent
