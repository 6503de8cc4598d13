"""Request signing for Binance: the exact bytes that are signed, and the three key types.

REST signs the request *as sent*: since January 2026 the payload must be percent-encoded
before the signature is computed, otherwise the server answers -1022 (the WebSocket API signs
raw UTF-8 instead, see :func:`ws_signature_payload`). So one function,
:func:`encode_params`, produces the string that is both signed and put on the wire; nothing
re-encodes it afterwards. The verification half lives here too, so the local exchange checks
signatures with the same rules the client signs with.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import ClassVar, Final, Generic, Protocol, Self, TypeVar, cast
from urllib.parse import quote, unquote

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from tradeexec.errors import ConfigError, InvalidParameter

KEY_HMAC: Final = "HMAC_SHA256"
KEY_RSA: Final = "RSA"
KEY_ED25519: Final = "ED25519"

Params = Mapping[str, object] | Iterable[tuple[str, object]]

_PEM_MARKER = b"-----BEGIN"
_K = TypeVar("_K")
_MAPPINGS: Final = (dict, Mapping)
_SIGNATURE_PREFIX = "signature="


# --------------------------------------------------------------------------- encoding


def _scalar(name: str, value: object) -> str:
    # bool before int: bool is an int subclass and Binance wants "true"/"false".
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return _scalar(name, value._value_)
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _decimal_text(name, value)
    if isinstance(value, float):
        raise TypeError(f"parameter {name!r}: floats are refused, pass a Decimal or str so no rounding hides")
    raise TypeError(f"parameter {name!r}: cannot encode a {type(value).__name__}")


def _decimal_text(name: str, value: Decimal) -> str:
    if not value.is_finite():
        raise InvalidParameter(name, "finite number", str(value))
    # "f" never uses an exponent: Decimal("1E-8") -> "0.00000001".
    return format(value, "f")


def _value(name: str, value: object) -> str:
    if isinstance(value, list | tuple):
        # Binance takes lists (symbols=[...]) as compact JSON arrays of strings.
        return json.dumps([_scalar(name, v) for v in value], separators=(",", ":"), ensure_ascii=False)
    return _scalar(name, value)


# What quote(safe="") leaves alone; text made only of these is sent as it is.
_unreserved = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def _quoted(text: str) -> str:
    if (text.isalnum() and text.isascii()) or _unreserved(text):
        return text
    return quote(text, safe="")


# Parameter names and enum values come back on every request: their encoded text is kept,
# up to a bound so that names made up by callers cannot grow it without end.
_NAMES: dict[str, str] = {}
_ENUM_TEXT: dict[object, str] = {}
_MEMO_MAX: Final = 4096


def _remember(memo: dict[_K, str], key: _K, text: str) -> str:
    if len(memo) < _MEMO_MAX:
        memo[key] = text
    return text


def encode_value(name: str, value: object) -> str:
    """One parameter value as it is signed and sent (percent-encoded where needed)."""
    # Exact types first: the order path sends str, int and Decimal, and an int or a finite
    # Decimal written with "f" is digits, "." and "-" only, so never needs quoting.
    if type(value) is str:
        return _quoted(value)
    if type(value) is Decimal:
        return _decimal_text(name, value)
    if type(value) is int:
        return str(value)
    if isinstance(value, Enum):
        # Keyed by the member's value: an enum member hashes through a Python-level __hash__.
        raw = value._value_
        text = _ENUM_TEXT.get(raw)
        return _remember(_ENUM_TEXT, raw, _quoted(_scalar(name, raw))) if text is None else text
    return _quoted(_value(name, value))


def encode_params(params: Params) -> str:
    """Percent-encode ``params`` in the given order into the string that is signed and sent.

    ``None`` values are left out, so callers can pass optional parameters unconditionally.
    Reserved and non-ASCII characters are percent-encoded (UTF-8) with nothing left safe,
    which is what Binance requires before signing. One pass, and only text that holds a
    character outside the unreserved set goes through ``quote``: this runs on every request.
    """
    # dict first: isinstance against the Mapping ABC alone is slow, and dict is the usual case.
    items = params.items() if isinstance(params, _MAPPINGS) else params
    names = _NAMES
    return "&".join(
        [
            f"{names.get(name) or _remember(names, name, _quoted(name))}={encode_value(name, value)}"
            for name, value in items
            if value is not None
        ]
    )


def ws_signature_payload(params: Params) -> bytes:
    """What a WebSocket API request signs: every parameter but ``signature``, sorted by name,
    as ``name=value`` pairs joined by ``&``, in UTF-8 *without* percent-encoding.

    The two APIs differ here on purpose: REST signs the percent-encoded query it sends (the
    REST document's ``１２３４５６`` example signs ``%EF%BC%91...``), while the WebSocket API
    document signs the same example over the raw characters, since its parameters travel as
    JSON, not as a query string. Client and local exchange both build the payload here.
    """
    items = params.items() if isinstance(params, _MAPPINGS) else params
    pairs: list[tuple[str, str]] = []
    for name, value in items:
        # Exact types first, as in encode_value: this runs for every WebSocket API order.
        kind = type(value)
        if kind is str:
            pairs.append((name, cast(str, value)))
        elif kind is int:
            pairs.append((name, str(value)))
        elif kind is Decimal:
            pairs.append((name, _decimal_text(name, cast(Decimal, value))))
        elif value is not None and name != "signature":
            pairs.append((name, _value(name, value)))
    pairs.sort(key=_by_name)
    return "&".join([f"{name}={text}" for name, text in pairs if name != "signature"]).encode("utf-8")


def _by_name(pair: tuple[str, str]) -> str:
    return pair[0]


# --------------------------------------------------------------------------- signers


class Signer(Protocol):
    """Produces the value of the ``signature`` parameter for a payload."""

    key_type: str

    def sign(self, payload: bytes) -> str: ...


class HmacSigner:
    """HMAC-SHA256, hex digest. The keyed state is built once and copied per request, because
    signing sits on the order path."""

    __slots__ = ("_mac",)
    key_type = KEY_HMAC

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ConfigError("API secret is empty")
        self._mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)

    def sign(self, payload: bytes) -> str:
        mac = self._mac.copy()
        mac.update(payload)
        return mac.hexdigest()

    def __repr__(self) -> str:
        return "HmacSigner(<redacted>)"


_Key = TypeVar("_Key", RSAPrivateKey, Ed25519PrivateKey)


class _PemSigner(Generic[_Key]):
    """What the two key-pair signers share: a PEM key that must be of their kind, and a repr
    that never shows it."""

    __slots__ = ("_key",)
    _key: _Key
    _key_class: ClassVar[type[RSAPrivateKey] | type[Ed25519PrivateKey]]
    _key_name: ClassVar[str]

    def __init__(self, private_key_pem: bytes, password: bytes | None = None) -> None:
        key = _load_private_key(private_key_pem, password)
        if not isinstance(key, self._key_class):
            raise ConfigError(f"the private key is not an {self._key_name} key")
        self._key = cast(_Key, key)

    @classmethod
    def from_key(cls, key: _Key) -> Self:
        signer = cls.__new__(cls)
        signer._key = key
        return signer

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<redacted>)"


class RsaSigner(_PemSigner[RSAPrivateKey]):
    """RSASSA-PKCS1-v1_5 with SHA-256, base64 (Binance's RSA key scheme)."""

    __slots__ = ()
    key_type = KEY_RSA
    _key_class = RSAPrivateKey
    _key_name = "RSA"

    def sign(self, payload: bytes) -> str:
        raw = self._key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode("ascii")


class Ed25519Signer(_PemSigner[Ed25519PrivateKey]):
    """Ed25519, base64. The key type Binance recommends, and the only one ``session.logon``
    and SBE market data accept."""

    __slots__ = ()
    key_type = KEY_ED25519
    _key_class = Ed25519PrivateKey
    _key_name = "Ed25519"

    def sign(self, payload: bytes) -> str:
        return base64.b64encode(self._key.sign(payload)).decode("ascii")


def _load_private_key(pem: bytes, password: bytes | None) -> object:
    try:
        return serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # The library's message may quote the input; ours never does. `from None` keeps the
        # original exception (and anything it carries) out of tracebacks and logs.
        raise ConfigError(
            "private key could not be loaded: not a PEM private key, wrong or missing password, "
            "or an unsupported format"
        ) from None


def _read_key_source(private_key: bytes | str | os.PathLike[str]) -> bytes:
    if isinstance(private_key, bytes):
        if _PEM_MARKER in private_key:
            return private_key
        path: Path = Path(os.fsdecode(private_key))
    elif isinstance(private_key, str) and _PEM_MARKER.decode() in private_key:
        return private_key.encode("utf-8")
    else:
        path = Path(private_key)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"private key file {str(path)!r} cannot be read: {exc.strerror}") from None


def load_signer(
    *,
    api_secret: str | None = None,
    private_key: bytes | str | os.PathLike[str] | None = None,
    private_key_password: bytes | None = None,
) -> Signer:
    """Build the signer for the credentials given: an HMAC secret, or a private key (PEM bytes,
    PEM text or a file path) whose type, RSA or Ed25519, is read from the key itself."""
    if (api_secret is None) == (private_key is None):
        raise ConfigError("give exactly one of api_secret (HMAC key) or private_key (RSA/Ed25519 key)")
    if api_secret is not None:
        return HmacSigner(api_secret)
    assert private_key is not None
    key = _load_private_key(_read_key_source(private_key), private_key_password)
    if isinstance(key, Ed25519PrivateKey):
        return Ed25519Signer.from_key(key)
    if isinstance(key, RSAPrivateKey):
        return RsaSigner.from_key(key)
    raise ConfigError(f"unsupported private key type {type(key).__name__}; Binance accepts RSA and Ed25519")


def signed_query(params: Params, signer: Signer) -> str:
    """The encoded parameters with the signature appended, ready to send as query or body."""
    return sign_payload(encode_params(params), signer)


def sign_payload(payload: str, signer: Signer) -> str:
    """``payload`` (already encoded, see :func:`encode_params`) with its signature appended."""
    signature = _quoted(signer.sign(payload.encode("ascii")))
    return f"{payload}&{_SIGNATURE_PREFIX}{signature}" if payload else f"{_SIGNATURE_PREFIX}{signature}"


# --------------------------------------------------------------------------- verification


def extract_signature(query: str, body: str = "") -> tuple[bytes, str | None]:
    """Split a received request into the signed payload and the (decoded) signature.

    Binance signs the query string followed directly by the body, with no '&' between them,
    and the ``signature`` parameter may sit in either part.
    """
    signature: str | None = None
    kept: list[str] = []
    for part in (query, body):
        fields = []
        for field in part.split("&") if part else ():
            if field.startswith(_SIGNATURE_PREFIX):
                signature = unquote(field[len(_SIGNATURE_PREFIX) :])
            else:
                fields.append(field)
        kept.append("&".join(fields))
    return "".join(kept).encode("utf-8"), signature


def _b64decode(signature: str) -> bytes | None:
    try:
        return base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return None


def _load_public_key(public_key_pem: bytes | str) -> object:
    pem = public_key_pem.encode("utf-8") if isinstance(public_key_pem, str) else public_key_pem
    try:
        return serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigError("public key could not be loaded: not a PEM public key") from None


def _hmac_matches(mac: hmac.HMAC, payload: bytes, signature: str) -> bool:
    mac = mac.copy()
    mac.update(payload)
    return hmac.compare_digest(mac.hexdigest().encode("ascii"), signature.lower().encode("utf-8"))


def _rsa_matches(key: RSAPublicKey, payload: bytes, signature: str) -> bool:
    raw = _b64decode(signature)
    if raw is None:
        return False
    try:
        key.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _ed25519_matches(key: Ed25519PublicKey, payload: bytes, signature: str) -> bool:
    raw = _b64decode(signature)
    if raw is None:
        return False
    try:
        key.verify(raw, payload)
    except InvalidSignature:
        return False
    return True


def verify_hmac(secret: str, payload: bytes, signature: str) -> bool:
    return _hmac_matches(hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256), payload, signature)


def verify_rsa(public_key_pem: bytes, payload: bytes, signature: str) -> bool:
    return Verifier(KEY_RSA, public_key_pem).verify(payload, signature)


def verify_ed25519(public_key_pem: bytes, payload: bytes, signature: str) -> bool:
    return Verifier(KEY_ED25519, public_key_pem).verify(payload, signature)


class Verifier:
    """Checks signatures for one API key; the key material is parsed once, at construction,
    so the exchange can keep one verifier per key on its hot path."""

    __slots__ = ("_hmac", "_key", "key_type")

    def __init__(self, key_type: str, key: str | bytes) -> None:
        self.key_type = key_type
        self._hmac: hmac.HMAC | None = None
        self._key: RSAPublicKey | Ed25519PublicKey | None = None
        if key_type == KEY_HMAC:
            secret = key.encode("utf-8") if isinstance(key, str) else key
            if not secret:
                raise ConfigError("HMAC secret is empty")
            self._hmac = hmac.new(secret, digestmod=hashlib.sha256)
            return
        expected: type[RSAPublicKey] | type[Ed25519PublicKey]
        if key_type == KEY_RSA:
            expected = RSAPublicKey
        elif key_type == KEY_ED25519:
            expected = Ed25519PublicKey
        else:
            raise ConfigError(
                f"unknown key type {key_type!r}; expected {KEY_HMAC}, {KEY_RSA} or {KEY_ED25519}"
            )
        public = _load_public_key(key)
        if not isinstance(public, expected):
            raise ConfigError(f"the public key is not a {key_type} key")
        self._key = public

    def verify(self, payload: bytes, signature: str) -> bool:
        if self._hmac is not None:
            return _hmac_matches(self._hmac, payload, signature)
        if isinstance(self._key, RSAPublicKey):
            return _rsa_matches(self._key, payload, signature)
        assert isinstance(self._key, Ed25519PublicKey)
        return _ed25519_matches(self._key, payload, signature)

    def __repr__(self) -> str:
        return f"Verifier({self.key_type}, <redacted>)"
