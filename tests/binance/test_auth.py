"""Signing: the official examples, the percent-encoding rule of 2026, RSA/Ed25519 round trips,
and that no secret leaks through repr or error text."""

from __future__ import annotations

import base64
import pickle
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, unquote

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.binance.net.auth import (
    Ed25519Signer,
    HmacSigner,
    RsaSigner,
    Verifier,
    encode_params,
    extract_signature,
    load_signer,
    signed_query,
    verify_ed25519,
    verify_hmac,
    verify_rsa,
)
from tradeexec.errors import ConfigError, InvalidParameter

# The key pair published in the Spot API reference ("SIGNED Endpoint Examples").
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
DOC_PARAMS = {
    "symbol": "LTCBTC",
    "side": Side.BUY,
    "type": OrderType.LIMIT,
    "timeInForce": TimeInForce.GTC,
    "quantity": Decimal("1"),
    "price": Decimal("0.1"),
    "recvWindow": 5000,
    "timestamp": 1499827319559,
}
DOC_PAYLOAD = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
    "&recvWindow=5000&timestamp=1499827319559"
)
DOC_SIGNATURE = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
DOC_MIXED_SIGNATURE = "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _private_pem(key: rsa.RSAPrivateKey | Ed25519PrivateKey, password: bytes | None = None) -> bytes:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def _public_pem(key: rsa.RSAPrivateKey | Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# ----------------------------------------------------------------- official HMAC examples


def test_example_query_string_and_body_encode_and_sign_as_published() -> None:
    # Examples 1 (body) and 2 (query string) sign the same payload.
    assert encode_params(DOC_PARAMS) == DOC_PAYLOAD
    signer = HmacSigner(DOC_SECRET)
    assert signer.sign(DOC_PAYLOAD.encode()) == DOC_SIGNATURE
    assert signed_query(DOC_PARAMS, signer) == f"{DOC_PAYLOAD}&signature={DOC_SIGNATURE}"


def test_example_mixed_query_and_body_signs_their_concatenation_without_ampersand() -> None:
    query = encode_params(list(DOC_PARAMS.items())[:4])
    body = encode_params(list(DOC_PARAMS.items())[4:])
    assert query == "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
    assert body == "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
    assert HmacSigner(DOC_SECRET).sign((query + body).encode()) == DOC_MIXED_SIGNATURE


def test_server_side_extraction_reproduces_the_mixed_example() -> None:
    payload, signature = extract_signature(
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
        f"quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature={DOC_MIXED_SIGNATURE}",
    )
    assert signature == DOC_MIXED_SIGNATURE
    assert verify_hmac(DOC_SECRET, payload, signature)
    assert Verifier("HMAC_SHA256", DOC_SECRET).verify(payload, signature)


def test_verify_hmac_is_case_insensitive_and_rejects_tampering() -> None:
    payload = DOC_PAYLOAD.encode()
    assert verify_hmac(DOC_SECRET, payload, DOC_SIGNATURE.upper())
    assert not verify_hmac(DOC_SECRET, payload + b"1", DOC_SIGNATURE)
    assert not verify_hmac(DOC_SECRET, payload, DOC_SIGNATURE[:-1] + "0")
    assert not verify_hmac(DOC_SECRET, payload, "ünicode")


# ----------------------------------------------------------------- encoding rules


def test_value_encoding_rules() -> None:
    encoded = encode_params(
        [
            ("quantity", Decimal("1E-8")),
            ("price", Decimal("1.5E+3")),
            ("flag", True),
            ("off", False),
            ("skipped", None),
            ("symbols", ["BTCUSDT", "ETHUSDT"]),
            ("side", Side.SELL),
        ]
    )
    assert encoded == (
        "quantity=0.00000001&price=1500&flag=true&off=false"
        "&symbols=%5B%22BTCUSDT%22%2C%22ETHUSDT%22%5D&side=SELL"
    )
    assert unquote(encoded.split("&")[4]) == 'symbols=["BTCUSDT","ETHUSDT"]'


def test_reserved_characters_are_percent_encoded() -> None:
    assert encode_params({"newClientOrderId": "a b&c=d/e+f"}) == "newClientOrderId=a%20b%26c%3Dd%2Fe%2Bf"


def test_floats_and_non_finite_decimals_are_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        encode_params({"price": 0.1})
    with pytest.raises(InvalidParameter):
        encode_params({"price": Decimal("NaN")})
    with pytest.raises(TypeError):
        encode_params({"price": object()})


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=12), max_size=5))
def test_encoding_round_trips_through_a_standard_parser(params: dict[str, str]) -> None:
    # Whatever we sign, the server's decoder must recover exactly the same parameters.
    encoded = encode_params(params)
    assert encoded.isascii()
    assert parse_qsl(encoded, keep_blank_values=True) == list(params.items())


@pytest.mark.parametrize("symbol", ["１２３４５６", "币安人生USDT"])
def test_non_ascii_symbol_is_percent_encoded_before_signing(symbol: str) -> None:
    params = {"symbol": symbol, "side": "BUY", "timestamp": 1}
    query = signed_query(params, HmacSigner(DOC_SECRET))
    assert query.isascii()
    assert query.startswith("symbol=%")
    payload, signature = extract_signature(query)
    assert signature is not None
    assert payload == encode_params(params).encode()
    assert verify_hmac(DOC_SECRET, payload, signature)
    # Signing the raw UTF-8 instead of the encoded form is what Binance now rejects.
    raw = f"symbol={symbol}&side=BUY&timestamp=1".encode()
    assert not verify_hmac(DOC_SECRET, raw, signature)


# ----------------------------------------------------------------- RSA and Ed25519


def test_rsa_sign_verifies_with_public_key(rsa_key: rsa.RSAPrivateKey) -> None:
    signer = RsaSigner(_private_pem(rsa_key))
    assert signer.key_type == "RSA"
    payload = encode_params({"symbol": "币安人生USDT", "timestamp": 1}).encode()
    signature = signer.sign(payload)
    assert verify_rsa(_public_pem(rsa_key), payload, signature)
    rsa_key.public_key().verify(base64.b64decode(signature), payload, padding.PKCS1v15(), hashes.SHA256())
    assert not verify_rsa(_public_pem(rsa_key), payload + b"x", signature)
    assert not verify_rsa(_public_pem(rsa_key), payload, "not base64!")


def test_rsa_signature_is_percent_encoded_in_the_query(rsa_key: rsa.RSAPrivateKey) -> None:
    signer = RsaSigner(_private_pem(rsa_key))
    query = signed_query({"symbol": "BTCUSDT", "timestamp": 1}, signer)
    raw_signature = query.rsplit("signature=", 1)[1]
    assert "+" not in raw_signature and "/" not in raw_signature and "=" not in raw_signature
    payload, signature = extract_signature(query)
    assert signature is not None
    assert Verifier("RSA", _public_pem(rsa_key)).verify(payload, signature)


def test_ed25519_sign_verifies_with_public_key(ed_key: Ed25519PrivateKey) -> None:
    signer = Ed25519Signer(_private_pem(ed_key))
    assert signer.key_type == "ED25519"
    payload = encode_params({"symbol": "１２３４５６", "timestamp": 1}).encode()
    signature = signer.sign(payload)
    assert verify_ed25519(_public_pem(ed_key), payload, signature)
    ed_key.public_key().verify(base64.b64decode(signature), payload)
    assert not verify_ed25519(_public_pem(ed_key), payload + b"x", signature)
    assert not Verifier("ED25519", _public_pem(ed_key).decode()).verify(payload, "@@@")


def test_load_signer_detects_key_type_from_bytes_text_and_path(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, ed_key: Ed25519PrivateKey
) -> None:
    assert isinstance(load_signer(api_secret=DOC_SECRET), HmacSigner)
    assert isinstance(load_signer(private_key=_private_pem(rsa_key)), RsaSigner)
    assert isinstance(load_signer(private_key=_private_pem(ed_key).decode()), Ed25519Signer)
    path = tmp_path / "ed.pem"
    path.write_bytes(_private_pem(ed_key, b"pw"))
    signer = load_signer(private_key=path, private_key_password=b"pw")
    assert isinstance(signer, Ed25519Signer)
    assert isinstance(load_signer(private_key=str(path), private_key_password=b"pw"), Ed25519Signer)
    assert verify_ed25519(_public_pem(ed_key), b"abc", signer.sign(b"abc"))


def test_load_signer_rejects_both_or_neither() -> None:
    with pytest.raises(ConfigError, match="exactly one"):
        load_signer()
    with pytest.raises(ConfigError, match="exactly one"):
        load_signer(api_secret="x", private_key=b"-----BEGIN")
    with pytest.raises(ConfigError):
        load_signer(api_secret="")


def test_malformed_pem_raises_config_error_without_key_text(ed_key: Ed25519PrivateKey) -> None:
    pem = _private_pem(ed_key)
    broken = pem.replace(pem.splitlines()[1], pem.splitlines()[1][::-1])
    body = broken.splitlines()[1].decode()
    with pytest.raises(ConfigError) as info:
        load_signer(private_key=broken)
    assert body not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(ConfigError) as info:
        load_signer(private_key=_private_pem(ed_key, b"pw"), private_key_password=b"wrong")
    assert "pw" not in str(info.value)


def test_key_type_mismatch_and_missing_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ConfigError, match="not an Ed25519"):
        Ed25519Signer(_private_pem(rsa_key))
    with pytest.raises(ConfigError, match="not a ED25519"):
        Verifier("ED25519", _public_pem(rsa_key))
    with pytest.raises(ConfigError, match="cannot be read"):
        load_signer(private_key=tmp_path / "missing.pem")


def test_reprs_hide_secrets(rsa_key: rsa.RSAPrivateKey, ed_key: Ed25519PrivateKey) -> None:
    signers = [HmacSigner(DOC_SECRET), RsaSigner(_private_pem(rsa_key)), Ed25519Signer(_private_pem(ed_key))]
    for signer in signers:
        text = repr(signer) + str(signer)
        assert "<redacted>" in text
        assert DOC_SECRET not in text
    verifier = Verifier("HMAC_SHA256", DOC_SECRET)
    assert DOC_SECRET not in repr(verifier)


def test_signers_cannot_be_pickled_with_their_key() -> None:
    # A signer has no business travelling between processes; refusing is safer than leaking.
    with pytest.raises((TypeError, pickle.PicklingError)):
        pickle.dumps(HmacSigner(DOC_SECRET))
