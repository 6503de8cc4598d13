"""The TOML config file: read, checked key by key, every refusal naming the file and line.

One file holds what a run needs besides the strategy's code::

    venue = "spot-testnet"                 # or [binance] venue = ...
    api_key_env = "TESTNET_KEY"            # where the key is: an environment variable's name,
    api_secret_env = "TESTNET_SECRET"      # or private_key_path = "~/.binance/ed25519.pem"

    [risk]                                 # tradeexec.execution.risk.RiskLimits fields
    max_order_notional = "500"
    max_position = { BTCUSDT = "0.05" }

    [journal]
    dir = "~/tradeexec/runs"

    [strategy]
    symbols = ["BTCUSDT", "ETHUSDT"]
    duration = 600
    params = { window = 20, notional = "100" }

    [maintenance]                          # windows copied from the exchange's notices
    on_maintenance = "cancel"              # pause, cancel, flatten or protect
    windows = ["2026-12-03T14:00Z/2026-12-03T16:00Z"]
    lead_s = 600                           # act this long before each start

A typo must not silently become a default (``max_order_notinal`` would trade with no limit),
so unknown keys and wrong types are refused. tomllib gives no positions, so the key's line
is found in the text. Secrets written inline are accepted with a warning (the file is one
copy away from a chat or a repository); naming an environment variable or a key file is
the documented way.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, get_type_hints

from tradeexec.errors import ConfigFileError, InvalidParameter
from tradeexec.execution.maintenance_windows import MaintenanceSettings, parse_window
from tradeexec.execution.risk import RiskLimits

__all__ = ["CONNECTION_KEYS", "ConfigFile", "find_line", "read_config"]

# Connection keys: at the top level or under [binance]; value type and whether it is secret.
CONNECTION_KEYS: Final[dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "venue": (str, False),
    "base_url": (str, False),
    "api_key": (str, False),
    "api_secret": (str, True),
    "api_key_env": (str, False),
    "api_secret_env": (str, False),
    "private_key_path": (str, False),
    "private_key_password": (str, True),
    "private_key_password_env": (str, False),
    "recv_window": (int, False),
    "timeout": ((int, float), False),
}
_TABLES: Final = ("binance", "risk", "journal", "strategy", "maintenance")
_JOURNAL_KEYS: Final[dict[str, type | tuple[type, ...]]] = {"dir": str}
_STRATEGY_KEYS: Final[dict[str, type | tuple[type, ...]]] = {
    "symbols": list,
    "duration": (int, float),
    "params": dict,
}
_MAINTENANCE_KEYS: Final[dict[str, type | tuple[type, ...]]] = {
    "on_maintenance": str,
    "windows": list,
    "lead_s": (int, float),
}
_RISK_FIELDS: Final = {f.name: f for f in dataclasses.fields(RiskLimits)}


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """A checked config file; ``lines`` maps ``table.key`` to its line for ``config check``."""

    path: Path | None = None
    connection: dict[str, Any] = field(default_factory=dict)
    risk: dict[str, Any] = field(default_factory=dict)
    journal: dict[str, Any] = field(default_factory=dict)
    strategy: dict[str, Any] = field(default_factory=dict)
    maintenance: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def where(self, dotted: str) -> str:
        """``path:line`` of a key (``risk.max_position``; a connection key by its name)."""
        line = self.lines.get(dotted) or self.lines.get(f"binance.{dotted}")
        return f"{self.path}" + (f":{line}" if line else "")

    def cite(self, dotted: str) -> str:
        """``config file PATH, line N`` of a key, the way every refusal names it."""
        line = self.lines.get(dotted) or self.lines.get(f"binance.{dotted}")
        return f"config file {self.path}" + (f", line {line}" if line else "")

    def risk_limits(self, **overrides: Any) -> RiskLimits:
        return RiskLimits(**{**self.risk, **overrides})


_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\s*(#.*)?$")


def find_line(text: str, table: str, key: str) -> int | None:
    """The 1-based line where ``key`` is set in ``[table]`` ("" for the top level), also as
    ``table.key = ...`` at the top level; None when not found (e.g. a multi-line value)."""
    key_re = re.compile(rf"^\s*(?:\"{re.escape(key)}\"|'{re.escape(key)}'|{re.escape(key)})\s*=")
    dotted_re = re.compile(rf"^\s*{re.escape(table)}\s*\.\s*{re.escape(key)}\s*=") if table else None
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            current = header.group(1).replace('"', "").replace(" ", "")
            continue
        if current == table and key_re.match(line):
            return number
        if current == "" and dotted_re is not None and dotted_re.match(line):
            return number
    return None


class _Checker:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.lines: dict[str, int] = {}

    def at(self, table: str, key: str) -> str:
        line = find_line(self.text, table, key)
        if line is not None:
            self.lines[f"{table}.{key}" if table else key] = line
        return f"config file {self.path}" + (f", line {line}" if line else "")

    def unknown(self, table: str, key: str, allowed: Any) -> ConfigFileError:
        where = f"[{table}] " if table else ""
        return ConfigFileError(
            f"{self.at(table, key)}: unknown key {where}{key!r}; expected one of {', '.join(sorted(allowed))}"
        )

    def typed(
        self, table: str, key: str, value: Any, kind: type | tuple[type, ...], what: str, *,
        secret: bool = False,
    ) -> Any:  # fmt: skip
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            ok = False
        else:
            ok = isinstance(value, kind)
        if not ok:
            # A secret of the wrong type is still a secret: the message names only its type.
            got = type(value).__name__ + ("" if secret else f" {value!r}")
            raise ConfigFileError(f"{self.at(table, key)}: {key} must be {what}, got {got}")
        self.at(table, key)
        return value


_WHAT: Final = {str: "a string", int: "an integer", list: "a list", dict: "a table", bool: "true or false"}


def _what(kind: type | tuple[type, ...]) -> str:
    return "a number" if isinstance(kind, tuple) else _WHAT.get(kind, kind.__name__)


def read_config(path: Path | None, *, required: bool) -> ConfigFile:
    """Read and check ``path``; a missing file is an error when ``required`` (it was named
    on purpose: by argument or ``TRADEEXEC_CONFIG``), an empty config otherwise."""
    if path is None:
        return ConfigFile()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise ConfigFileError(
                f"config file {path}: not found (named by --config or TRADEEXEC_CONFIG)"
            ) from None
        return ConfigFile()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"config file {path}: cannot read: {type(exc).__name__}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"config file {path}: not valid TOML: {exc}") from None
    check = _Checker(path, text)
    connection: dict[str, Any] = {}
    out = ConfigFile(path=path, lines=check.lines)
    for key, value in data.items():
        if key in _TABLES:
            if not isinstance(value, dict):
                raise ConfigFileError(f"{check.at('', key)}: {key} must be a table ([{key}])")
            continue
        if key not in CONNECTION_KEYS:
            raise check.unknown("", key, [*CONNECTION_KEYS, *(f"[{t}]" for t in _TABLES)])
        connection[key] = _connection_value(check, "", key, value, out.warnings)
    for key, value in data.get("binance", {}).items():
        if key not in CONNECTION_KEYS:
            raise check.unknown("binance", key, CONNECTION_KEYS)
        connection[key] = _connection_value(check, "binance", key, value, out.warnings)
    out.connection.update(connection)
    for key, value in data.get("journal", {}).items():
        if key not in _JOURNAL_KEYS:
            raise check.unknown("journal", key, _JOURNAL_KEYS)
        out.journal[key] = check.typed("journal", key, value, _JOURNAL_KEYS[key], _what(_JOURNAL_KEYS[key]))
    for key, value in data.get("strategy", {}).items():
        if key not in _STRATEGY_KEYS:
            raise check.unknown("strategy", key, _STRATEGY_KEYS)
        kind = _STRATEGY_KEYS[key]
        out.strategy[key] = check.typed("strategy", key, value, kind, _what(kind))
    duration = out.strategy.get("duration")
    if duration is not None and not 0 < duration < float("inf"):
        where = check.at("strategy", "duration")
        raise ConfigFileError(f"{where}: duration must be a positive number of seconds")
    symbols = out.strategy.get("symbols")
    if symbols is not None and (not symbols or not all(isinstance(s, str) for s in symbols)):
        where = check.at("strategy", "symbols")
        raise ConfigFileError(f"{where}: symbols must be a non-empty list of strings")
    for key, value in data.get("risk", {}).items():
        if key not in _RISK_FIELDS:
            raise check.unknown("risk", key, _RISK_FIELDS)
        out.risk[key] = _risk_value(check, key, value)
    for key, value in data.get("maintenance", {}).items():
        if key not in _MAINTENANCE_KEYS:
            raise check.unknown("maintenance", key, _MAINTENANCE_KEYS)
        kind = _MAINTENANCE_KEYS[key]
        out.maintenance[key] = check.typed("maintenance", key, value, kind, _what(kind))
    _check_maintenance(check, out.maintenance)
    return out


def _check_maintenance(check: _Checker, table: dict[str, Any]) -> None:
    """``[maintenance]`` as ``MaintenanceSettings`` takes it: windows parsed, every refusal
    naming the file, the line and the rule."""
    try:
        windows = tuple(parse_window(_window_text(check, w)) for w in table.get("windows", ()))
        MaintenanceSettings(table.get("on_maintenance", "pause"), windows, table.get("lead_s", 0.0))
    except InvalidParameter as exc:
        key = {"on_maintenance": "on_maintenance", "maintenance_lead_s": "lead_s"}.get(exc.field, "windows")
        raise ConfigFileError(f"{check.at('maintenance', key)}: {exc}") from None
    if "windows" in table:
        table["windows"] = windows


def _window_text(check: _Checker, value: Any) -> str:
    if not isinstance(value, str):
        where = check.at("maintenance", "windows")
        raise ConfigFileError(f'{where}: each window must be a string "START/END", got {value!r}')
    return value


def _connection_value(check: _Checker, table: str, key: str, value: Any, warnings: list[str]) -> Any:
    kind, secret = CONNECTION_KEYS[key]
    check.typed(table, key, value, kind, _what(kind), secret=secret or key == "api_key")
    if secret and value:
        warnings.append(
            f"{check.at(table, key)}: {key} is written in the file; prefer "
            f'{key}_env = "VARIABLE" (or private_key_path), so the file can be shared without the secret'
        )
    return value


_RISK_TYPES: Final = get_type_hints(RiskLimits)


def _risk_value(check: _Checker, key: str, value: Any) -> Any:
    """Decimals from strings or integers (a TOML float is refused: ``0.1`` as a float is not
    the number written); mappings of symbol to Decimal; ints; floats; booleans."""
    hint = str(_RISK_TYPES[key])
    if "Mapping" in hint:
        check.typed("risk", key, value, dict, 'a table of SYMBOL = "quantity"')
        return {str(s).upper(): _decimal(check, key, v) for s, v in value.items()}
    if "Decimal" in hint:
        return _decimal(check, key, value)
    if "bool" in hint:
        return check.typed("risk", key, value, bool, "true or false")
    if "float" in hint:
        return float(check.typed("risk", key, value, (int, float), "a number"))
    return check.typed("risk", key, value, int, "an integer")


def _decimal(check: _Checker, key: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigFileError(
            f'{check.at("risk", key)}: {key} must be a decimal as a string ("0.1") or an integer, '
            f"got {type(value).__name__} {value!r}"
        )
    try:
        number = Decimal(value) if isinstance(value, int) or value.isascii() else Decimal("nan")
    except InvalidOperation:
        number = Decimal("nan")
    if not number.is_finite() or number < 0:
        raise ConfigFileError(f"{check.at('risk', key)}: {key} must be a non-negative decimal, got {value!r}")
    check.at("risk", key)
    return number
