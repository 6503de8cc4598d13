"""Signatures exactly as Binance's two documents describe them, with their own examples.

REST signs the query string as sent, percent-encoded (``symbol=%EF%BC%91...``); the WebSocket
API signs its parameters sorted by name over the raw UTF-8 text (``symbol=１２３４５６``). The
documents' HMAC examples are the vectors for both our signer and the local exchange's check;
their RSA and Ed25519 examples come without the private key, so those key types are checked by
signing both ways with generated keys: the documented way is accepted, the other refused.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import aiohttp
import msgspec
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from tradeexec.binance.net.auth import (
    Ed25519Signer,
    HmacSigner,
    RsaSigner,
    Signer,
    Verifier,
    encode_params,
    extract_signature,
    ws_signature_payload,
)
from tradeexec.sim import LocalExchange, SimConfig
from tradeexec.sim.binance.ws_api import _params_value, signed_payload
from tradeexec.sim.config import KeyConfig

pytestmark = pytest.mark.compat

# The example key pair of both documents (published by Binance for illustration only).
DOC_API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
FULLWIDTH = "１２３４５６"

REST_ORDER = {
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "1",
    "price": "0.1",
    "recvWindow": "5000",
    "timestamp": "1499827319559",
}
REST_VECTORS = [
    ("LTCBTC", "symbol=LTCBTC&", "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"),
    (
        FULLWIDTH,
        "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&",
        "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3",
    ),
]
# The WebSocket API requests as JSON, numbers as numbers, as the document writes them.
WS_REQUESTS = [
    (
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.01000000",
            "price": "52000.00",
            "recvWindow": 100,
            "timestamp": 1645423376532,
            "apiKey": DOC_API_KEY,
        },
        "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24",
    ),
    (
        {
            "symbol": FULLWIDTH,
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "1.00000000",
            "price": "0.10000000",
            "recvWindow": 5000,
            "timestamp": 1645423376532,
            "apiKey": DOC_API_KEY,
        },
        "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd",
    ),
]


@pytest.mark.parametrize(("symbol", "encoded", "signature"), REST_VECTORS, ids=["ascii", "non-ascii"])
def test_rest_examples_sign_and_verify(symbol: str, encoded: str, signature: str) -> None:
    payload = encode_params({"symbol": symbol, **REST_ORDER})
    assert payload.startswith(encoded)
    assert HmacSigner(DOC_SECRET).sign(payload.encode("ascii")) == signature
    signed, sig = extract_signature(f"{payload}&signature={signature}")
    assert Verifier("HMAC_SHA256", DOC_SECRET).verify(signed, sig or "")


@pytest.mark.parametrize(("params", "signature"), WS_REQUESTS, ids=["ascii", "non-ascii"])
def test_websocket_api_examples_sign_and_verify(params: dict[str, Any], signature: str) -> None:
    payload = ws_signature_payload(params)
    assert payload.decode("utf-8").startswith(f"apiKey={DOC_API_KEY}&price=")
    assert f"symbol={params['symbol']}&".encode() in payload  # raw UTF-8, not percent-encoded
    assert HmacSigner(DOC_SECRET).sign(payload) == signature
    # The exchange's side: the JSON values as received, then the same payload.
    values = {k: _params_value(k, v) for k, v in msgspec.json.decode(msgspec.json.encode(params)).items()}
    received, _ = signed_payload({**values, "signature": signature})
    assert received == payload
    assert Verifier("HMAC_SHA256", DOC_SECRET).verify(received, signature)


def _public(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass(frozen=True)
class Keys:
    signers: dict[str, tuple[str, Signer]]  # key type -> (API key, signer)
    rsa_pem: str
    ed25519_pem: str


@pytest.fixture(scope="module")
def keys() -> Keys:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    signers: dict[str, tuple[str, Signer]] = {
        "HMAC": ("HmacKey1", HmacSigner("hmac-secret")),
        "RSA": ("RsaKey1", RsaSigner.from_key(rsa_key)),
        "ED25519": ("EdKey1", Ed25519Signer.from_key(ed_key)),
    }
    return Keys(signers, _public(rsa_key), _public(ed_key))


@pytest.fixture
async def exchange(keys: Keys) -> AsyncIterator[LocalExchange]:
    cfg = SimConfig.default()
    cfg.market.enabled = False
    acct = cfg.accounts[0].keys
    acct.append(KeyConfig(api_key="HmacKey1", secret="hmac-secret"))
    acct.append(KeyConfig(api_key="RsaKey1", key_type="RSA", public_key=keys.rsa_pem))
    acct.append(KeyConfig(api_key="EdKey1", key_type="ED25519", public_key=keys.ed25519_pem))
    async with LocalExchange(cfg, market=False) as ex:
        ex.add_liquidity(FULL_SYMBOL, "SELL", "0.15", "1000")
        yield ex


@pytest.fixture(params=["HMAC", "RSA", "ED25519"])
def credentials(request: pytest.FixtureRequest, keys: Keys) -> tuple[str, Signer]:
    return keys.signers[request.param]


FULL_SYMBOL = "币安人生USDT"
ORDER = {"symbol": FULL_SYMBOL, "side": "BUY", "type": "MARKET", "quantity": "40"}


async def test_rest_accepts_the_percent_encoded_payload_only(
    exchange: LocalExchange, credentials: tuple[str, Signer]
) -> None:
    api_key, signer = credentials
    answers = []
    async with aiohttp.ClientSession() as http:
        for raw in (False, True):  # raw: signed before percent-encoding, as Binance refuses since 2026-01
            query = encode_params({**ORDER, "timestamp": int(time.time() * 1000)})
            signed_text = unquote(query).encode("utf-8") if raw else query.encode("ascii")
            sig = encode_params({"signature": signer.sign(signed_text)})
            url = f"{exchange.rest_url}/api/v3/order?{query}&{sig}"
            async with http.post(url, headers={"X-MBX-APIKEY": api_key}) as r:
                answers.append((r.status, (await r.json()).get("code")))
    assert answers == [(200, None), (400, -1022)]


async def test_websocket_api_accepts_the_raw_utf8_payload_only(
    exchange: LocalExchange, credentials: tuple[str, Signer]
) -> None:
    api_key, signer = credentials
    answers = []
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{exchange.ws_url}/ws-api/v3") as ws:
        for n, encoded in enumerate((False, True)):
            params: dict[str, Any] = {**ORDER, "timestamp": int(time.time() * 1000), "apiKey": api_key}
            payload = ws_signature_payload(params)
            if encoded:
                payload = encode_params(sorted(params.items())).encode("ascii")
            params["signature"] = signer.sign(payload)
            await ws.send_json({"id": n, "method": "order.place", "params": params})
            answer = msgspec.json.decode((await ws.receive(timeout=5)).data)
            answers.append((answer["status"], answer.get("error", {}).get("code")))
    assert answers == [(200, None), (400, -1022)]
