"""The local exchange's WebSocket endpoints fed malformed frames: each frame gets an error
answer or a clean close with a meaningful code within a bound, the server logs no error, no
balance moves, and other connections keep being served."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from . import ANSWER_WITHIN_S, FuzzExchange, fuzz_exchange, fuzz_settings

pytestmark = pytest.mark.timeout(180)
FUZZ = fuzz_settings(60)
# Normal end, policy violation (too many messages), too big, unsupported data, bad payload.
CLEAN_CLOSE_CODES = {1000, 1003, 1007, 1008, 1009}
HUGE = "x" * (2 << 20)  # over the 1 MiB frame limit


@pytest.fixture(scope="module")
def fx() -> Iterator[FuzzExchange]:
    with fuzz_exchange() as x:
        yield x
        x.assert_no_server_errors()


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
ids = st.one_of(json_values, st.sampled_from([-1, 2**64, "a" * 40, "ok-id", 1.5, True, "", "\x00"]))


def requests(methods: list[str]) -> st.SearchStrategy[str]:
    """JSON requests with the right shape but wrong types or values, or the wrong shape."""
    shaped = st.fixed_dictionaries(
        {"id": ids, "method": st.one_of(st.sampled_from(methods), json_values), "params": json_values}
    )
    return st.one_of(shaped, st.dictionaries(st.text(max_size=8), json_values, max_size=4), json_values).map(
        json.dumps
    )


garbage = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["{", "}", "[]", "null", '{"id": 1', "\x00", "NaN", '{"id":1,"method":"x"}' * 3]),
)
STREAM_METHODS = [
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "LIST_SUBSCRIPTIONS",
    "SET_PROPERTY",
    "GET_PROPERTY",
    "subscribe",
]
API_METHODS = [
    "order.place", "order.cancel", "order.cancelReplace", "account.status", "session.logon", "ping",
    "userDataStream.subscribe", "openOrders.cancelAll", "time", "depth", "order.status", "nope",
]  # fmt: skip
frames = st.one_of(
    st.tuples(st.just("text"), st.one_of(garbage, requests(STREAM_METHODS), requests(API_METHODS))),
    st.tuples(st.just("binary"), st.binary(max_size=200)),
    st.just(("text", HUGE)),
)


async def exchange_frame(fx: FuzzExchange, path: str, kind: str, data: str | bytes) -> aiohttp.WSMessage:
    """Send one frame on a new connection; the first answer, or how the connection ended."""
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{fx.ex.ws_url}{path}", autoping=True) as ws:
        if kind == "text":
            await ws.send_str(str(data))
        else:
            await ws.send_bytes(bytes(data))
        async with asyncio.timeout(ANSWER_WITHIN_S):
            return await ws.receive()


async def still_serving(fx: FuzzExchange) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{fx.ex.ws_url}/ws-api/v3") as ws:
            await ws.send_str('{"id": 7, "method": "ping", "params": {}}')
            async with asyncio.timeout(ANSWER_WITHIN_S):
                answer = json.loads((await ws.receive()).data)
            assert answer["id"] == 7 and answer["status"] == 200, answer
        async with http.get(f"{fx.ex.rest_url}/api/v3/ping") as resp:
            assert resp.status == 200


def _check_answer(msg: aiohttp.WSMessage, *, api: bool) -> None:
    if msg.type is aiohttp.WSMsgType.CLOSE:
        assert msg.data in CLEAN_CLOSE_CODES, f"closed with {msg.data} {msg.extra!r}"
        return
    assert msg.type is aiohttp.WSMsgType.TEXT, f"got {msg.type} {msg.data!r}"
    answer = json.loads(msg.data)
    assert isinstance(answer, dict), answer
    if api:
        assert isinstance(answer.get("status"), int) and answer["status"] < 500, answer
        if answer["status"] != 200:
            error = answer["error"]
            assert isinstance(error["code"], int) and isinstance(error["msg"], str) and error["msg"], answer
    elif "error" in answer:
        assert isinstance(answer["error"]["code"], int) and answer["error"]["msg"], answer


@pytest.mark.parametrize(("path", "api"), [("/ws", False), ("/ws-api/v3", True)], ids=["streams", "ws-api"])
@FUZZ
@given(frame=frames)
def test_endpoint_survives_bad_frames(
    fx: FuzzExchange, path: str, api: bool, frame: tuple[str, str | bytes]
) -> None:
    before = fx.fingerprint()
    msg = fx.run(exchange_frame(fx, path, *frame))
    _check_answer(msg, api=api)
    assert fx.fingerprint() == before
    fx.assert_no_server_errors()


@settings(FUZZ, max_examples=20)
@given(params=st.dictionaries(st.sampled_from(["symbol", "side", "type", "quantity", "price", "timeInForce",
                                               "timestamp", "signature", "apiKey", "recvWindow"]),
                              json_values, max_size=10))  # fmt: skip
def test_ws_api_orders_with_bad_params_or_signatures_change_nothing(
    fx: FuzzExchange, params: dict[str, object]
) -> None:
    request = json.dumps({"id": 1, "method": "order.place", "params": {"apiKey": fx.ex.api_key, **params}})
    before = fx.fingerprint()
    msg = fx.run(exchange_frame(fx, "/ws-api/v3", "text", request))
    _check_answer(msg, api=True)
    assert json.loads(msg.data)["status"] >= 400
    assert fx.fingerprint() == before
    fx.run(still_serving(fx))
    fx.assert_no_server_errors()


def test_server_keeps_serving_after_the_fuzzing(fx: FuzzExchange) -> None:
    fx.run(still_serving(fx))
