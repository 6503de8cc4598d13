"""Authentication exactly as Binance checks it, and malformed input never doing harm."""

from __future__ import annotations

import time
from decimal import Decimal

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sim.conftest import Api, quiet_config
from tests.sim.order_params import LIMIT_BUY
from tradeexec.binance.net.auth import Ed25519Signer, HmacSigner, RsaSigner, encode_params
from tradeexec.sim import LocalExchange
from tradeexec.sim.config import KeyConfig

ORDER = LIMIT_BUY


def _pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


async def test_rsa_ed25519_and_readonly_keys() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    cfg = quiet_config()
    keys = cfg.accounts[0].keys
    keys.append(KeyConfig(api_key="RsaKey1", key_type="RSA", public_key=_pem(rsa_key)))
    keys.append(KeyConfig(api_key="EdKey1", key_type="ED25519", public_key=_pem(ed_key)))
    keys.append(KeyConfig(api_key="ReadOnly1", secret="s3cr3t", enable_spot_trading=False))
    keys.append(KeyConfig(api_key="FarAway1", secret="s3cr3t", ip_restrict=True, allowed_ips=("10.0.0.1",)))
    async with LocalExchange(cfg, market=False) as ex, aiohttp.ClientSession() as session:
        api = Api(session, ex.rest_url, ex.api_key, HmacSigner(ex.api_secret))
        r = await api.signed("GET", "/api/v3/account", api_key="RsaKey1", signer=RsaSigner.from_key(rsa_key))
        assert r.status == 200, r.body
        r = await api.signed(
            "POST", "/api/v3/order", ORDER, api_key="EdKey1", signer=Ed25519Signer.from_key(ed_key)
        )
        assert r.status == 200, r.body
        bad = await api.signed(
            "GET",
            "/api/v3/account",
            api_key="EdKey1",
            signer=Ed25519Signer.from_key(ed25519.Ed25519PrivateKey.generate()),
        )
        assert (bad.status, bad.body["code"]) == (400, -1022)
        ro = HmacSigner("s3cr3t")
        assert (await api.signed("GET", "/api/v3/account", api_key="ReadOnly1", signer=ro)).status == 200
        denied = await api.signed("POST", "/api/v3/order", ORDER, api_key="ReadOnly1", signer=ro)
        assert (denied.status, denied.body) == (
            401,
            {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
        )
        far = await api.signed("GET", "/api/v3/account", api_key="FarAway1", signer=ro)
        assert (far.status, far.body["code"]) == (401, -2015)
        assert "secret" not in repr(ex).lower() and ex.api_secret not in repr(ex)


@pytest.mark.parametrize(
    ("mutate", "status", "code", "msg"),
    [
        ("no_key", 401, -2014, "API-key format invalid."),
        ("bad_key_format", 401, -2014, "API-key format invalid."),
        ("unknown_key", 401, -2015, "Invalid API-key, IP, or permissions for action."),
        ("bad_signature", 400, -1022, "Signature for this request is not valid."),
        ("future", 400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."),
        ("stale", 400, -1021, "Timestamp for this request is outside of the recvWindow."),
        (
            "no_timestamp",
            400,
            -1102,
            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        ),
        (
            "no_signature",
            400,
            -1102,
            "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
        ),
    ],
)
async def test_auth_errors(
    api: Api, exchange: LocalExchange, mutate: str, status: int, code: int, msg: str
) -> None:
    now = exchange.state.now_ms()
    headers = {"X-MBX-APIKEY": exchange.api_key}
    query = api.sign({"symbol": "BTCUSDT"})
    if mutate == "no_key":
        headers = {}
    elif mutate == "bad_key_format":
        headers = {"X-MBX-APIKEY": "bad key!"}
    elif mutate == "unknown_key":
        headers = {"X-MBX-APIKEY": "A" * 64}
    elif mutate == "bad_signature":
        query = query[:-4] + "0000"
    elif mutate == "future":
        query = api.sign({"symbol": "BTCUSDT"}, timestamp=now + 5_000)
    elif mutate == "stale":
        query = api.sign({"symbol": "BTCUSDT"}, timestamp=now - 6_000)
    elif mutate == "no_timestamp":
        payload = encode_params({"symbol": "BTCUSDT"})
        query = f"{payload}&signature={api.signer.sign(payload.encode())}"
    elif mutate == "no_signature":
        query = encode_params({"symbol": "BTCUSDT", "timestamp": now})
    r = await api.request("GET", "/api/v3/openOrders", query=query, headers=headers)
    assert (r.status, r.body) == (status, {"code": code, "msg": msg})
    assert "X-MBX-USED-WEIGHT-1M" in r.headers


async def test_recv_window_rules(api: Api, exchange: LocalExchange) -> None:
    now = exchange.state.now_ms()
    ok = await api.signed("GET", "/api/v3/openOrders", {"recvWindow": 60000}, timestamp=now - 30_000)
    assert ok.status == 200
    too_big = await api.signed("GET", "/api/v3/openOrders", {"recvWindow": 60001})
    assert too_big.body == {
        "code": -1102, "msg": "'recvWindow' contains unexpected value. Cannot be greater than 60000."
    }


async def test_mixed_query_and_body_signature(api: Api) -> None:
    """The reference's Example 3: signed over query + body with no '&' between them."""
    query = encode_params({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"})
    body = encode_params(
        {"quantity": "0.01", "price": "50000", "recvWindow": 5000, "timestamp": int(time.time() * 1000)}
    )
    sig = api.signer.sign((query + body).encode())
    r = await api.request(
        "POST",
        "/api/v3/order",
        query=query,
        body=f"{body}&signature={sig}",
        headers={"X-MBX-APIKEY": api.api_key},
    )
    assert r.status == 200, r.body
    sig_with_amp = api.signer.sign(f"{query}&{body}".encode())
    r = await api.request(
        "POST",
        "/api/v3/order",
        query=query,
        body=f"{body}&signature={sig_with_amp}",
        headers={"X-MBX-APIKEY": api.api_key},
    )
    assert r.body["code"] == -1022


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        ({**ORDER, "symbol": "NOPE"}, -1121, "Invalid symbol."),
        ({**ORDER, "symbol": "btc usdt"}, -1100, None),
        ({**ORDER, "side": "UP"}, -1117, "Invalid side."),
        ({**ORDER, "type": "FANCY"}, -1116, "Invalid orderType."),
        ({**ORDER, "timeInForce": "XYZ"}, -1115, "Invalid timeInForce."),
        (
            {k: v for k, v in ORDER.items() if k != "price"},
            -1102,
            "Mandatory parameter 'price' was not sent, was empty/null, or malformed.",
        ),
        ({**ORDER, "type": "MARKET", "timeInForce": None, "price": None}, None, None),
        (
            {**ORDER, "type": "MARKET", "price": None, "timeInForce": "GTC"},
            -1106,
            "Parameter 'timeInForce' sent when not required.",
        ),
        (
            {**ORDER, "quantity": "abc"},
            -1100,
            "Illegal characters found in parameter 'quantity'; legal range is "
            "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
        ),
        (
            {**ORDER, "foo": "bar"},
            -1104,
            "Not all sent parameters were read; read '8' parameter(s) but was sent '9'.",
        ),
        ({**ORDER, "quantity": "0.123456789"}, -1111, None),
    ],
)
async def test_order_parameter_errors(
    api: Api, exchange: LocalExchange, params: dict[str, object], code: int | None, msg: str | None
) -> None:
    if code is None:
        params = {**params, "quantity": "0.001"}
    r = await api.signed("POST", "/api/v3/order", params)
    if code is None:
        assert r.status == 200 and r.body["status"] == "EXPIRED"  # MARKET into an empty book
        return
    assert r.status == 400 and r.body["code"] == code, r.body
    if msg is not None:
        assert r.body["msg"] == msg


async def test_duplicate_and_too_many_params(api: Api) -> None:
    signed = api.sign(ORDER)
    r = await api.request(
        "POST", "/api/v3/order", query="symbol=BTCUSDT&" + signed, headers={"X-MBX-APIKEY": api.api_key}
    )
    assert r.body["code"] == -1101
    many = "&".join(f"p{i}=1" for i in range(60))
    r = await api.request("GET", "/api/v3/depth", query=many)
    assert r.status == 400 and r.body["code"] == -1101


_garbage = st.dictionaries(
    st.sampled_from(
        [
            "symbol",
            "side",
            "type",
            "timeInForce",
            "quantity",
            "price",
            "quoteOrderQty",
            "stopPrice",
            "icebergQty",
            "newClientOrderId",
            "newOrderRespType",
            "trailingDelta",
            "x",
            "recvWindow",
        ]
    ),
    st.one_of(
        st.text(max_size=30),
        st.sampled_from(
            [
                "BTCUSDT",
                "BUY",
                "SELL",
                "LIMIT",
                "MARKET",
                "GTC",
                "1",
                "0.01",
                "-1",
                "1e5",
                "NaN",
                "99999999999999999999999",
            ]
        ),
    ),
    max_size=9,
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=_garbage)
async def test_garbage_orders_never_500_and_never_touch_balances(params: dict[str, str]) -> None:
    async with LocalExchange(quiet_config(), market=False) as ex, aiohttp.ClientSession() as session:
        api = Api(session, ex.rest_url, ex.api_key, HmacSigner(ex.api_secret))
        before = ex.balances()
        r = await api.signed("POST", "/api/v3/order", params, in_body=True)
        assert r.status < 500, r.body
        if r.status != 200:
            assert isinstance(r.body, dict) and isinstance(r.body["code"], int) and r.body["msg"]
            assert ex.balances() == before
        else:
            total = {a: f + lk for a, (f, lk) in ex.balances().items()}
            assert total == {a: f + lk for a, (f, lk) in before.items()}  # resting, nothing traded
        assert all(v[0] >= 0 and v[1] >= 0 for v in ex.balances().values())
        assert Decimal(0) <= ex.balances()["USDT"][1]
