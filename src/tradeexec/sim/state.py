"""Everything the local exchange's transports share: engine, rules, keys, clock, event bus,
faults and limits.

REST routes, the WebSocket API, market streams and the user data stream all hold the same
state (as a ``binance.service.WireState``, which adds the API service on top: this module
knows nothing of the wire), so an order placed over one transport is seen by every other one at once and
every state change reaches every listener in the order it happened.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradeexec.binance.net.auth import KEY_HMAC, Verifier
from tradeexec.binance.rules.exchange_rules import ExchangeRules
from tradeexec.binance.rules.symbol_rules import SymbolRules
from tradeexec.sim.clock import SimClock
from tradeexec.sim.config import KeyConfig, SimConfig
from tradeexec.sim.engine import Engine, Event, SymbolSpec
from tradeexec.sim.faults import FaultInjector
from tradeexec.sim.futures import FuturesEngine
from tradeexec.sim.futures.events import FuturesEvent
from tradeexec.sim.futures.listen_keys import ListenKeys
from tradeexec.sim.limits import RateLimitEnforcer, futures_limits
from tradeexec.sim.tape import TradeTape

log = logging.getLogger(__name__)

Listener = Callable[[Sequence[Event]], None]


class EventBus:
    """Synchronous fan-out of engine events to every listener, in publication order.

    Synchronous so that a listener sees events before the REST response that caused them is
    sent (Binance's user data stream often beats the REST answer; tests rely on "at least as
    soon as"). A listener that raises is logged and skipped; it cannot break the others.
    """

    def __init__(self) -> None:
        self._listeners: dict[int, Listener] = {}
        self._next = 1

    def add_listener(self, fn: Listener) -> int:
        handle = self._next
        self._next += 1
        self._listeners[handle] = fn
        return handle

    def remove_listener(self, handle: int) -> None:
        self._listeners.pop(handle, None)

    def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        for fn in list(self._listeners.values()):
            try:
                fn(events)
            except Exception:
                log.exception("event listener %r failed", fn)


@dataclass(slots=True, frozen=True)
class KeyRights:
    enable_reading: bool = True
    enable_spot_trading: bool = True
    enable_withdrawals: bool = False
    enable_internal_transfer: bool = False
    ip_restrict: bool = False
    allowed_ips: tuple[str, ...] = ()
    create_time: int = 0

    def ip_allowed(self, ip: str | None) -> bool:
        if not self.ip_restrict:
            return True
        if ip is None:
            return False
        try:
            addr = ipaddress.ip_address(ip)
            return any(addr in ipaddress.ip_network(net, strict=False) for net in self.allowed_ips)
        except ValueError:
            return False


@dataclass(slots=True, frozen=True)
class ApiAccount:
    """An authenticated caller: the account an API key belongs to, and what the key may do."""

    account: str
    api_key: str
    key_type: str
    permissions: KeyRights
    verifier: Verifier = field(repr=False, compare=False)


class KeyStore:
    """api_key -> ApiAccount."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiAccount] = {}

    def add(self, account: str, key: KeyConfig, now_ms: int) -> ApiAccount:
        material = key.secret if key.key_type == "HMAC" else key.public_key
        entry = ApiAccount(
            account=account,
            api_key=key.api_key,
            key_type=key.key_type,
            permissions=KeyRights(
                enable_reading=key.enable_reading,
                enable_spot_trading=key.enable_spot_trading,
                enable_withdrawals=key.enable_withdrawals,
                enable_internal_transfer=key.enable_internal_transfer,
                ip_restrict=key.ip_restrict,
                allowed_ips=key.allowed_ips,
                create_time=now_ms,
            ),
            verifier=Verifier(KEY_HMAC if key.key_type == "HMAC" else key.key_type, material),
        )
        self._keys[key.api_key] = entry
        return entry

    def get(self, api_key: str) -> ApiAccount | None:
        return self._keys.get(api_key)

    def all(self) -> list[ApiAccount]:
        return list(self._keys.values())


def _default_symbols() -> list[dict[str, Any]]:
    from tradeexec.binance.rules.defaults import DEFAULT_SYMBOL_INFO

    return [dict(s) for s in DEFAULT_SYMBOL_INFO.values()]


class SimState:
    """The shared state of one local exchange. Build with ``SimState(config)``; ``reset()``
    returns it to the configured starting point (same keys, fresh engine and balances)."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.clock = SimClock(config.clock_speed)
        self.bus = EventBus()
        self.faults = FaultInjector(self.clock, seed=config.seed)
        self.limiter = RateLimitEnforcer(config.rate_limits, self.clock, self.faults)
        # USDT-M futures count against their own budget (/fapi), as on Binance.
        self.futures_limiter = RateLimitEnforcer(futures_limits(config.rate_limits), self.clock, self.faults)
        self.symbol_info: dict[str, dict[str, Any]] = {}
        self.rules: dict[str, SymbolRules] = {}
        self.exchange_rules = ExchangeRules.from_exchange_info({"exchangeFilters": [], "symbols": []})
        self.keys = KeyStore()
        self.accounts: list[str] = []
        self.engine: Engine
        self.futures: FuturesEngine
        self.tape: TradeTape
        # An announced window: system status says maintenance while the API still serves
        # (the moment before it shuts); the MAINTENANCE fault is the window itself.
        self.maintenance = False
        # Kept across reset(): the user data stream listens here whatever engine is current.
        self.futures_listeners: list[Callable[[list[FuturesEvent]], None]] = []
        self.futures_keys = ListenKeys(self.now_ms)
        self._build()
        self._bus_handle = self.bus.add_listener(self._on_events)

    def _build(self) -> None:
        cfg = self.config
        infos = [dict(s) for s in (cfg.symbols or _default_symbols())]
        self.symbol_info = {}
        self.rules = {}
        for info in infos:
            overrides = cfg.symbol_overrides.get(info["symbol"])
            if overrides:
                by_type = {f["filterType"]: f for f in info.get("filters", [])}
                by_type.update({f["filterType"]: f for f in overrides})
                info["filters"] = list(by_type.values())
            self.symbol_info[info["symbol"]] = info
            self.rules[info["symbol"]] = SymbolRules.from_symbol_info(info)
        self.engine = Engine(
            SymbolSpec(
                symbol=i["symbol"],
                base_asset=i["baseAsset"],
                quote_asset=i["quoteAsset"],
                base_precision=int(i.get("baseAssetPrecision", 8)),
                quote_precision=int(i.get("quoteAssetPrecision", i.get("quotePrecision", 8))),
            )
            for i in infos
        )
        self.tape = TradeTape(self.symbol_info.keys())
        # Each account's futures wallet starts with the USDT its spot balances are configured with.
        self.futures = FuturesEngine((a.name, Decimal(a.balances.get("USDT", 0))) for a in cfg.accounts)
        self.futures.listeners = self.futures_listeners
        now = self.now_ms()
        self.keys = KeyStore()
        self.accounts = []
        for acct in cfg.accounts:
            self.engine.create_account(
                acct.name,
                dict(acct.balances),
                maker_commission=acct.maker_commission,
                taker_commission=acct.taker_commission,
            )
            self.accounts.append(acct.name)
            for key in acct.keys:
                self.keys.add(acct.name, key, now)

    def reset(self) -> None:
        """Fresh engine, balances and trade history; keys, faults and the clock are kept."""
        self._build()

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def publish(self, events: Sequence[Event]) -> None:
        self.bus.publish(events)

    def _on_events(self, events: Sequence[Event]) -> None:
        self.tape.on_events(events)

    def add_account(
        self,
        name: str,
        balances: dict[str, Decimal],
        keys: Sequence[KeyConfig] = (),
        *,
        maker_commission: Decimal = Decimal("0.001"),
        taker_commission: Decimal = Decimal("0.001"),
    ) -> None:
        """Create an account at run time (the synthetic market's makers and takers use this)."""
        self.engine.create_account(
            name, dict(balances), maker_commission=maker_commission, taker_commission=taker_commission
        )
        self.accounts.append(name)
        for key in keys:
            self.keys.add(name, key, self.now_ms())
