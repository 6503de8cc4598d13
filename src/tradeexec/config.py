"""Where the client connects and with which credentials.

Settings come from four places with a fixed precedence, explicit argument > environment >
config file > defaults, so that a script can override an environment and a shared config
file never silently wins over either. The default venue is the local exchange: nothing
reaches real money unless a venue is chosen on purpose.

Credentials live in ``Secret`` wrappers whose repr and str never show the value, so a
settings object can be logged, printed or put in an exception without leaking a key.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Generic, TypeVar
from urllib.parse import urlsplit

from tradeexec.errors import ConfigError, ConfigFileError

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_LOCAL_URL",
    "ApiFamily",
    "Credentials",
    "Secret",
    "Settings",
    "Venue",
    "VenueUrls",
    "load_settings",
    "locate_config",
    "venue_urls",
]

DEFAULT_LOCAL_URL: Final = "http://127.0.0.1:8765"
_DEFAULT_CONFIG_PATH: Final = Path("~/.config/tradeexec/config.toml")
_PEM_MARKER: Final = b"-----BEGIN"
_API_PATH: Final = re.compile(r"/(?:api|sapi|fapi|dapi)(?:/v\d+)?$")

T = TypeVar("T", str, bytes)


class Secret(Generic[T]):
    """A credential that does not show itself: ``reveal()`` is the only way to the value."""

    __slots__ = ("_value",)
    _value: T

    def __init__(self, value: T) -> None:
        self._value = value

    def reveal(self) -> T:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickling would write the value to wherever the pickle goes; refuse.
        raise TypeError("Secret cannot be pickled")


class ApiFamily(StrEnum):
    """Which host serves a path: Binance splits spot/SAPI, USDT-M and COIN-M across hosts."""

    SPOT = "spot"  # /api, /sapi
    USDM = "usdm"  # /fapi
    COINM = "coinm"  # /dapi

    @staticmethod
    def of_path(path: str) -> ApiFamily:
        if path.startswith("/fapi/"):
            return ApiFamily.USDM
        if path.startswith("/dapi/"):
            return ApiFamily.COINM
        return ApiFamily.SPOT


class Venue(StrEnum):
    SPOT = "spot"
    SPOT_DATA = "spot-data"
    USDM_FUTURES = "usdm-futures"
    COINM_FUTURES = "coinm-futures"
    SPOT_TESTNET = "spot-testnet"
    FUTURES_TESTNET = "futures-testnet"
    SPOT_DEMO = "spot-demo"
    FUTURES_DEMO = "futures-demo"
    LOCAL = "local"

    @classmethod
    def parse(cls, value: str | Venue) -> Venue:
        try:
            return cls(str(value).strip().lower().replace("_", "-"))
        except ValueError:
            names = ", ".join(v.value for v in cls)
            raise ConfigError(f"venue: unknown venue {value!r}; expected one of {names}") from None


@dataclass(frozen=True, slots=True)
class VenueUrls:
    """The hosts of one venue. ``rest`` is the venue's own REST host; ``hosts`` maps each API
    family to the host that serves it (absent: the venue has no such API)."""

    venue: Venue
    rest: str
    stream: str
    ws_api: str | None
    hosts: Mapping[ApiFamily, str]

    def base_for(self, path: str) -> str:
        family = ApiFamily.of_path(path)
        try:
            return self.hosts[family]
        except KeyError:
            raise ConfigError(f"venue {self.venue.value} has no {family.value} API (path {path})") from None


_LIVE_HOSTS: Final = {
    ApiFamily.SPOT: "https://api.binance.com",
    ApiFamily.USDM: "https://fapi.binance.com",
    ApiFamily.COINM: "https://dapi.binance.com",
}
# USDⓈ-M "General Info" page: testnet REST and stream hosts. The demo-trading hosts follow
# the demo-<live host> naming Binance uses for spot demo mode. Every USDⓈ-M stream host is
# routed by path since 2026-04-23 (``/public``, ``/market``, ``/private``):
# ``binance.ws.futures_routes`` builds the URLs.
_FUTURES_TESTNET: Final = "https://testnet.binancefuture.com"
_FUTURES_DEMO: Final = "https://demo-fapi.binance.com"

_VENUES: Final[dict[Venue, VenueUrls]] = {
    Venue.SPOT: VenueUrls(
        Venue.SPOT,
        "https://api.binance.com",
        "wss://stream.binance.com:9443",
        "wss://ws-api.binance.com:443/ws-api/v3",
        _LIVE_HOSTS,
    ),
    Venue.SPOT_DATA: VenueUrls(
        Venue.SPOT_DATA,
        "https://data-api.binance.vision",
        "wss://data-stream.binance.vision",
        None,
        {ApiFamily.SPOT: "https://data-api.binance.vision"},
    ),
    Venue.USDM_FUTURES: VenueUrls(
        Venue.USDM_FUTURES, "https://fapi.binance.com", "wss://fstream.binance.com", None, _LIVE_HOSTS
    ),
    Venue.COINM_FUTURES: VenueUrls(
        Venue.COINM_FUTURES, "https://dapi.binance.com", "wss://dstream.binance.com", None, _LIVE_HOSTS
    ),
    Venue.SPOT_TESTNET: VenueUrls(
        Venue.SPOT_TESTNET,
        "https://testnet.binance.vision",
        "wss://stream.testnet.binance.vision",
        "wss://ws-api.testnet.binance.vision/ws-api/v3",
        {
            ApiFamily.SPOT: "https://testnet.binance.vision",
            ApiFamily.USDM: _FUTURES_TESTNET,
            ApiFamily.COINM: _FUTURES_TESTNET,
        },
    ),
    Venue.FUTURES_TESTNET: VenueUrls(
        Venue.FUTURES_TESTNET,
        _FUTURES_TESTNET,
        "wss://stream.binancefuture.com",
        None,
        {ApiFamily.USDM: _FUTURES_TESTNET, ApiFamily.COINM: _FUTURES_TESTNET},
    ),
    Venue.FUTURES_DEMO: VenueUrls(
        Venue.FUTURES_DEMO,
        _FUTURES_DEMO,
        "wss://demo-fstream.binance.com",
        None,
        {ApiFamily.USDM: _FUTURES_DEMO},
    ),
    # Demo mode (since 2026-01): https://developers.binance.com/docs/binance-spot-api-docs/demo-mode
    Venue.SPOT_DEMO: VenueUrls(
        Venue.SPOT_DEMO,
        "https://demo-api.binance.com",
        "wss://demo-stream.binance.com",
        "wss://demo-ws-api.binance.com/ws-api/v3",
        {ApiFamily.SPOT: "https://demo-api.binance.com"},
    ),
}


def venue_urls(venue: Venue | str = Venue.LOCAL, base_url: str | None = None) -> VenueUrls:
    """The hosts for ``venue``; an explicit ``base_url`` serves every API family (a local
    exchange or a proxy answers /api, /sapi, /fapi and /dapi on one host)."""
    venue = Venue.parse(venue)
    if base_url is None and venue is not Venue.LOCAL:
        return _VENUES[venue]
    rest = (base_url or DEFAULT_LOCAL_URL).rstrip("/")
    if not rest.startswith(("http://", "https://")):
        raise ConfigError(f"base_url: must start with http:// or https://, got {rest!r}")
    path = _API_PATH.search(rest)
    if path is not None:
        # Other clients want ".../api/v3"; here it would become ".../api/v3/api/v3/order".
        raise ConfigError(
            f"base_url: give the host only, {rest[: path.start()]!r}, not {rest!r}: "
            f"the client adds {path.group(0)!r} (and /sapi, /fapi) itself"
        )
    ws = "ws" + rest.removeprefix("http")
    known = _VENUES.get(venue)
    return VenueUrls(
        venue,
        rest,
        known.stream if known else ws,
        known.ws_api if known else f"{ws}/ws-api/v3",
        dict.fromkeys(ApiFamily, rest),
    )


@dataclass(frozen=True, slots=True)
class Credentials:
    """An API key and its signing material: an HMAC secret or a PEM private key (RSA or
    Ed25519). The key is shown only by its first four characters."""

    api_key: str | None = None
    api_secret: Secret[str] | None = None
    private_key: Secret[bytes] | None = None
    private_key_password: Secret[bytes] | None = None

    def __repr__(self) -> str:
        key = f"{self.api_key[:4]}…" if self.api_key else None
        kind = "private_key" if self.private_key else "api_secret" if self.api_secret else None
        return f"Credentials(api_key={key!r}, signing={kind!r})"

    __str__ = __repr__

    @property
    def can_sign(self) -> bool:
        return self.api_secret is not None or self.private_key is not None


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the client needs to connect; see ``load_settings`` for where it comes from."""

    venue: Venue = Venue.LOCAL
    urls: VenueUrls = field(default_factory=venue_urls)
    credentials: Credentials = field(default_factory=Credentials)
    recv_window: int = 5000
    timeout: float = 10.0

    @property
    def local_exchange(self) -> bool:
        """The local venue on a loopback host. Only there may a key without an IP whitelist
        trade by default (``RiskLimits.require_ip_restriction``): the local exchange's keys
        have no IP list, while a real venue's key without one trades from anywhere it leaks
        to. Checking the host too keeps ``--base-url https://api.binance.com`` under the
        default venue from passing for local."""
        return self.venue is Venue.LOCAL and _loopback(urlsplit(self.urls.rest).hostname or "")


def _loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1); never a name that merely
    starts like one (``127.example.com``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local_exchange(client: object) -> bool:
    """Whether ``client`` (a ``BinanceClient``, by its ``settings``) trades on the local
    exchange; anything else, a test double included, counts as a real venue."""
    settings = getattr(client, "settings", None)
    return isinstance(settings, Settings) and settings.local_exchange


def locate_config(config_path: str | os.PathLike[str] | None, env: Mapping[str, str]) -> tuple[Path, bool]:
    """The config file and whether it was named on purpose (argument or ``TRADEEXEC_CONFIG``):
    a named file that is missing is an error, the default one may be absent."""
    named = _first(config_path, env.get("TRADEEXEC_CONFIG"))
    return Path(named or _DEFAULT_CONFIG_PATH).expanduser(), named is not None


def _read_file(path: Path, required: bool, env: Mapping[str, str]) -> dict[str, Any]:
    """The file's connection keys, with ``*_env`` keys replaced by the variables they name."""
    from tradeexec.config_file import read_config

    config = read_config(path, required=required)
    for warning in config.warnings:
        log.warning("%s", warning)
    section = dict(config.connection)
    for key in ("api_key", "api_secret", "private_key_password"):
        name = section.pop(f"{key}_env", None)
        if name is None:
            continue
        if not env.get(name):
            raise ConfigFileError(f"{config.cite(f'{key}_env')}: {key}_env names {name}, which is not set")
        section.setdefault(key, env[name])
    return section


def _key_material(source: bytes | str | os.PathLike[str]) -> Secret[bytes]:
    """PEM text or bytes as given, or the contents of the file ``source`` names."""
    if isinstance(source, bytes | str) and _PEM_MARKER in (
        source.encode() if isinstance(source, str) else source
    ):
        return Secret(source.encode() if isinstance(source, str) else source)
    path = Path(os.fsdecode(source)).expanduser()
    try:
        return Secret(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"private_key: cannot read {str(path)!r}: {exc.strerror}") from None


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None and v != ""), None)


def load_settings(
    *,
    api_key: str | None = None,
    api_secret: str | None = None,
    private_key: bytes | str | os.PathLike[str] | None = None,
    private_key_password: bytes | str | None = None,
    venue: Venue | str | None = None,
    base_url: str | None = None,
    recv_window: int | None = None,
    timeout: float | None = None,
    config_path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings: explicit argument > environment > config file > defaults.

    ``private_key`` is PEM text/bytes or the path of a PEM file (RSA or Ed25519).
    Environment: ``BINANCE_API_KEY``, ``BINANCE_API_SECRET``, ``BINANCE_PRIVATE_KEY_PATH``,
    ``BINANCE_PRIVATE_KEY_PASSWORD``, ``TRADEEXEC_VENUE``, ``TRADEEXEC_BASE_URL`` and
    ``TRADEEXEC_CONFIG`` (the TOML file, default ``~/.config/tradeexec/config.toml``; keys
    ``api_key``, ``api_secret``, ``private_key_path``, ``private_key_password``, ``venue``,
    ``base_url``, ``recv_window``, ``timeout``, at top level or under ``[binance]``).
    A key pair is taken as a whole from one source, so an environment key is never paired
    with a file's secret.
    """
    env = os.environ if env is None else env
    file = _read_file(*locate_config(config_path, env), env)

    credentials = _credentials_from_sources(
        (api_key, api_secret, private_key, private_key_password),
        (
            env.get("BINANCE_API_KEY"),
            env.get("BINANCE_API_SECRET"),
            env.get("BINANCE_PRIVATE_KEY_PATH"),
            env.get("BINANCE_PRIVATE_KEY_PASSWORD"),
        ),
        (
            file.get("api_key"),
            file.get("api_secret"),
            file.get("private_key_path"),
            file.get("private_key_password"),
        ),
    )
    chosen_venue = Venue.parse(_first(venue, env.get("TRADEEXEC_VENUE"), file.get("venue"), Venue.LOCAL))
    url = _first(base_url, env.get("TRADEEXEC_BASE_URL"), file.get("base_url"))
    rw = _first(recv_window, file.get("recv_window"), 5000)
    if isinstance(rw, bool) or not isinstance(rw, int) or not 1 <= rw <= 60000:
        raise ConfigError(f"recv_window: must be an integer in 1..60000 ms, got {rw!r}")
    to = _first(timeout, file.get("timeout"), 10.0)
    if isinstance(to, bool) or not isinstance(to, int | float) or to <= 0:
        raise ConfigError(f"timeout: must be a positive number of seconds, got {to!r}")
    return Settings(
        venue=chosen_venue,
        urls=venue_urls(chosen_venue, url),
        credentials=credentials,
        recv_window=rw,
        timeout=float(to),
    )


_CredentialSource = tuple[Any, Any, Any, Any]


def _credentials_from_sources(*sources: _CredentialSource) -> Credentials:
    for key, secret, key_source, password in sources:
        if all(v is None or v == "" for v in (key, secret, key_source)):
            continue
        if secret and key_source:
            raise ConfigError("api_secret: give either an HMAC secret or a private key, not both")
        secret_password = (
            None
            if password is None
            else Secret(password.encode() if isinstance(password, str) else bytes(password))
        )
        return Credentials(
            api_key=str(key) if key else None,
            api_secret=Secret(str(secret)) if secret else None,
            private_key=_key_material(key_source) if key_source else None,
            private_key_password=secret_password,
        )
    return Credentials()
