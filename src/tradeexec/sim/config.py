"""Configuration of the local exchange, from code or from a TOML file.

Everything a test may want to shrink (stream limits, ban lengths, listenKey validity) is a
setting here rather than a constant in the code, so tests run in milliseconds what Binance
does in minutes or hours.
"""

from __future__ import annotations

import secrets
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradeexec.errors import ConfigError

KEY_TYPES = ("HMAC", "RSA", "ED25519")


@dataclass(slots=True)
class KeyConfig:
    """One API key of an account. ``secret`` for HMAC, ``public_key`` (PEM) for RSA/Ed25519."""

    api_key: str
    key_type: str = "HMAC"
    secret: str = field(default="", repr=False)
    public_key: str = field(default="", repr=False)
    enable_reading: bool = True
    enable_spot_trading: bool = True
    enable_withdrawals: bool = False
    enable_internal_transfer: bool = False
    ip_restrict: bool = False
    allowed_ips: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.key_type = self.key_type.upper()
        if self.key_type not in KEY_TYPES:
            raise ConfigError(f"unknown key type {self.key_type!r}; expected one of {KEY_TYPES}")
        if self.key_type == "HMAC" and not self.secret:
            raise ConfigError(f"HMAC key {self.api_key[:6]}... needs a secret")
        if self.key_type != "HMAC" and not self.public_key:
            raise ConfigError(f"{self.key_type} key {self.api_key[:6]}... needs a public_key (PEM)")


@dataclass(slots=True)
class AccountConfig:
    name: str
    balances: dict[str, Decimal] = field(default_factory=dict)
    keys: list[KeyConfig] = field(default_factory=list)
    maker_commission: Decimal = Decimal("0.001")
    taker_commission: Decimal = Decimal("0.001")


@dataclass(slots=True)
class RateLimitConfig:
    """Binance's current spot limits (BINANCE-NOW.md); ban lengths in simulated ms."""

    request_weight_per_minute: int = 6000
    orders_per_10s: int = 100  # per ``orders_window_s``, which is 10 s at Binance
    orders_window_s: int = 10  # the short order window; a test may shorten it
    orders_per_day: int = 200_000  # per ``orders_long_window``, a DAY at Binance spot
    orders_long_window: str = "DAY"  # DAY (spot) or MINUTE (USDT-M futures: 1200 per minute)
    raw_requests_per_5m: int | None = 61_000  # None: no such limit (futures has none)
    first_ban_ms: int = 120_000
    max_ban_ms: int = 3 * 86_400_000
    violations_before_ban: int = 3
    enabled: bool = True


@dataclass(slots=True)
class StreamConfig:
    ping_interval_s: float = 20.0
    pong_timeout_s: float = 60.0
    max_lifetime_s: float = 86_400.0
    inbound_messages_per_s: int = 5
    max_streams_per_connection: int = 1024
    listen_key_validity_ms: int = 3_600_000
    # Binance removed spot listenKeys on 2026-02-20 (REST userDataStream and the WebSocket API's
    # userDataStream.start/ping/stop alike). Off, both answer as Binance now does; on, both
    # work again, together, for clients written before the change. Read at each request.
    legacy_listen_key: bool = False
    # Real seconds between interval updates of @depth@100ms-style (fast) and 1000 ms (slow) streams.
    fast_interval_s: float = 0.1
    slow_interval_s: float = 1.0
    # Unsent frames a connection may hold before it is dropped as too slow.
    send_queue: int = 65_536


@dataclass(slots=True)
class MarketConfig:
    """The synthetic market (``sim/market.py``), stepped every ``interval_s`` of market time.

    Book: ``levels`` per side, the best bid and ask ``spread_ticks`` apart, the last ``span``
    (relative) beyond the best; level ``i`` holds about ``level_qty_quote * (1 + depth_growth * i)`` (in
    USDT; converted for other quote assets) with log-normal noise ``qty_noise``. Price: a random
    walk of ``volatility`` per square-root second (the long-run level) whose variance clusters
    (GARCH(1,1) with ``garch_alpha``/``garch_beta``) and jumps by about ``jump_size`` with
    probability ``jump_prob`` per step. Trades: ``trades_per_s`` market orders a second per
    symbol, of about ``taker_qty_quote`` (log-normal, ``taker_qty_noise``).

    ``futures``: when futures are served, each USDT-M contract's book is quoted the same way
    around the spot price times (1 + basis), the basis drifting back to ``basis_mean`` with a
    time constant of ``basis_reversion_s`` and moving by ``basis_vol`` per square-root second
    (``sim/market/futures_market.py``); the spot price is then the futures index and the mark
    price and funding rate follow Binance's rules around it (``sim/futures/pricing.py``).

    ``replay_files`` (Binance public-data CSV or zip files, one symbol each, named
    ``<SYMBOL>-...`` or given by ``replay_symbol``) replace the synthetic market with a replay
    at ``replay_speed`` times market time (``sim/replay.py``).
    """

    enabled: bool = True
    interval_s: float = 0.2
    levels: int = 60
    spread_ticks: int = 1
    span: float = 0.008
    level_qty_quote: Decimal = Decimal("10000")
    depth_growth: float = 0.1
    qty_noise: float = 0.35
    refresh_levels: int = 1
    volatility: float = 0.0001
    garch_alpha: float = 0.08
    garch_beta: float = 0.9
    jump_prob: float = 0.002
    jump_size: float = 0.002
    trades_per_s: float = 4.0
    taker_qty_quote: Decimal = Decimal("300")
    taker_qty_noise: float = 1.0
    start_prices: dict[str, Decimal] = field(
        default_factory=lambda: {
            "BTCUSDT": Decimal("60000"),
            "ETHUSDT": Decimal("3000"),
            "BNBUSDT": Decimal("500"),
            "ETHBTC": Decimal("0.05"),
            "币安人生USDT": Decimal("0.15"),
        }
    )
    futures: bool = True
    basis_mean: float = 0.0001
    basis_reversion_s: float = 60.0
    basis_vol: float = 0.00002
    replay_files: list[str] = field(default_factory=list)
    replay_speed: float = 1.0
    replay_symbol: str = ""

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Refuse settings the market cannot run with, naming the setting (again at start:
        code and the CLI may change them after construction)."""
        rules = (
            ("interval_s", self.interval_s > 0, "must be positive"),
            ("levels", self.levels >= 1, "must be at least 1"),
            ("spread_ticks", self.spread_ticks >= 1, "must be at least 1"),
            ("span", self.span > 0, "must be positive"),
            ("level_qty_quote", self.level_qty_quote > 0, "must be positive"),
            ("volatility", self.volatility >= 0, "must not be negative"),
            ("garch_alpha", self.garch_alpha >= 0, "must not be negative"),
            ("garch_beta", self.garch_beta >= 0 and self.garch_alpha + self.garch_beta < 1,
             "must not be negative, and garch_alpha + garch_beta must be below 1"),
            ("jump_prob", 0 <= self.jump_prob <= 1, "must be between 0 and 1"),
            ("trades_per_s", 0 <= self.trades_per_s <= 1000, "must be between 0 and 1000"),
            ("taker_qty_quote", self.taker_qty_quote > 0, "must be positive"),
            ("basis_mean", abs(self.basis_mean) < 0.05, "must be between -0.05 and 0.05"),
            ("basis_reversion_s", self.basis_reversion_s > 0, "must be positive"),
            ("basis_vol", self.basis_vol >= 0, "must not be negative"),
            ("replay_speed", self.replay_speed >= 0, "must be 0 (no waiting) or positive"),
        )  # fmt: skip
        for name, ok, rule in rules:
            if not ok:
                raise ConfigError(f"market.{name} {rule} (got {getattr(self, name)!r})")


DEFAULT_BALANCES = {
    "USDT": Decimal("100000"),
    "BTC": Decimal("1"),
    "ETH": Decimal("10"),
    "BNB": Decimal("100"),
}


@dataclass(slots=True)
class SimConfig:
    """``symbols`` are exchangeInfo symbol entries; empty means the rules module's defaults.
    ``symbol_overrides`` replaces filters by type for a symbol: ``{"BTCUSDT": [{filterType...}]}``.
    """

    symbols: list[dict[str, Any]] = field(default_factory=list)
    symbol_overrides: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    accounts: list[AccountConfig] = field(default_factory=list)
    seed: int = 0
    clock_speed: float = 1.0
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    streams: StreamConfig = field(default_factory=StreamConfig)
    market: MarketConfig = field(default_factory=MarketConfig)
    # What is served besides spot: "futures" (USDT-M, under /fapi). Without it /fapi answers
    # as before futures existed: an exchangeInfo without symbols and 404 elsewhere.
    products: tuple[str, ...] = ("spot", "futures")

    @classmethod
    def default(cls, api_key: str | None = None, api_secret: str | None = None) -> SimConfig:
        """One funded account with an HMAC key (generated unless given)."""
        cfg = cls()
        cfg.ensure_default_account(api_key, api_secret)
        return cfg

    def ensure_default_account(self, api_key: str | None = None, api_secret: str | None = None) -> None:
        """Add the default account when none is configured, or the given key to the first one."""
        if not self.accounts:
            self.accounts.append(AccountConfig(name="default", balances=dict(DEFAULT_BALANCES)))
        first = self.accounts[0]
        if api_key or api_secret or not any(k.key_type == "HMAC" for k in first.keys):
            first.keys.insert(
                0,
                KeyConfig(
                    api_key=api_key or secrets.token_urlsafe(48).replace("-", "A").replace("_", "b")[:64],
                    secret=api_secret or secrets.token_urlsafe(48).replace("-", "C").replace("_", "d")[:64],
                ),
            )

    @classmethod
    def from_toml(cls, path: str | Path) -> SimConfig:
        with open(path, "rb") as fh:
            return cls.from_dict(tomllib.load(fh))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimConfig:
        try:
            accounts = [
                AccountConfig(
                    name=str(a["name"]),
                    balances={k: Decimal(str(v)) for k, v in a.get("balances", {}).items()},
                    keys=[_key(k) for k in a.get("keys", [])],
                    maker_commission=Decimal(str(a.get("maker_commission", "0.001"))),
                    taker_commission=Decimal(str(a.get("taker_commission", "0.001"))),
                )
                for a in data.get("accounts", [])
            ]
            market = dict(data.get("market", {}))
            for k in ("level_qty_quote", "taker_qty_quote"):
                if k in market:
                    market[k] = Decimal(str(market[k]))
            if "start_prices" in market:
                market["start_prices"] = {k: Decimal(str(v)) for k, v in market["start_prices"].items()}
            return cls(
                symbols=list(data.get("symbols", [])),
                symbol_overrides=dict(data.get("symbol_overrides", {})),
                accounts=accounts,
                seed=int(data.get("seed", 0)),
                clock_speed=float(data.get("clock_speed", 1.0)),
                rate_limits=RateLimitConfig(**data.get("rate_limits", {})),
                streams=StreamConfig(**data.get("streams", {})),
                market=MarketConfig(**market),
            )
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ConfigError(f"bad sim config: {exc}") from exc


def _key(raw: dict[str, Any]) -> KeyConfig:
    raw = dict(raw)
    if "allowed_ips" in raw:
        raw["allowed_ips"] = tuple(raw["allowed_ips"])
    return KeyConfig(**raw)
