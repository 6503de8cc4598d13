"""``tradeexec run`` (a user's strategy) and ``tradeexec config check`` (the settings in effect).

Both read the config file (``--config`` or ``TRADEEXEC_CONFIG``, else
``~/.config/tradeexec/config.toml`` when it exists) with one precedence for every setting:
argument > environment > config file > default. ``run`` takes the venue guard of the demo
(``--venue live`` needs ``--i-understand-live``; a real venue needs keys that can sign) and
its view, journal and report (``cli_demo.present_run``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from tradeexec.cli.common import EXIT_OK, UsageError, add_command, emit, seconds_arg, table, text
from tradeexec.cli.demo import present_run, trading_venue
from tradeexec.config import load_settings, locate_config
from tradeexec.config_file import ConfigFile, read_config
from tradeexec.execution.maintenance_windows import MaintenanceAction, MaintenanceSettings, parse_window
from tradeexec.execution.risk import RiskLimits

if TYPE_CHECKING:
    from tradeexec.demo.record import DemoRecord, DemoSummary

DEFAULT_DURATION_S = 60.0

_EX_RUN = """  tradeexec run my_strategy.py --duration 30        # async def strategy(ctx) in the file
  tradeexec run my_strategy.py --param window=20 --symbols BTCUSDT,ETHUSDT
  tradeexec run --config run.toml my_strategy.py     # venue, keys, risk, journal, params
  tradeexec run --program -- ./signals.sh --fast     # any program printing JSON-lines signals
  tradeexec run my_strategy.py --venue testnet
  tradeexec run my_strategy.py --venue live --i-understand-live     # real money
  tradeexec run my_strategy.py --on-maintenance cancel --maintenance-lead 600 \
      --maintenance-window 2026-12-03T14:00Z/2026-12-03T16:00Z   # a window Binance announced
  the strategy is cancelled when --duration ends; this run's resting orders are cancelled,
  positions are left as they are.
"""
_EX_CONFIG = """  tradeexec config check
  tradeexec config check --config run.toml --json
  TRADEEXEC_VENUE=spot-testnet tradeexec config check     # the environment wins over the file
"""


def register(sub: Any) -> None:
    run = add_command(sub, "run", "run your strategy with the journal, risk limits and report", _EX_RUN,
                      _cmd_run)  # fmt: skip
    run.add_argument("strategy", metavar="STRATEGY", help="a .py file or module with strategy(ctx)")
    run.add_argument("program_args", nargs="*", metavar="ARGS", help="a program's arguments")
    run.add_argument("--program", action="store_true", help="STRATEGY ARGS is a program printing JSON lines")
    run.add_argument("--duration", type=seconds_arg, help="seconds of trading (default 60)")
    run.add_argument("--symbols", help="comma-separated symbols whose books the strategy reads")
    run.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a strategy parameter")
    run.add_argument("--journal-dir", help="where the journal goes (default: [journal] dir, else a temp dir)")
    run.add_argument("--report", help="HTML report path (default: report.html in the journal dir)")
    run.add_argument("--screenshot", help="save the view's last frame: .svg, .html, or text")
    run.add_argument("--i-understand-live", action="store_true", help="needed with --venue live (real money)")
    run.add_argument("--on-maintenance", choices=get_args(MaintenanceAction),
                     help="what to do when maintenance is announced (default pause)")  # fmt: skip
    run.add_argument("--maintenance-window", action="append", metavar="START/END",
                     help="an announced window, ISO 8601 with Z or an offset (repeatable)")  # fmt: skip
    run.add_argument("--maintenance-lead", type=lead_arg, metavar="SECONDS",
                     help="act this long before each window's start (default 0)")  # fmt: skip
    _add_config(run)

    config = sub.add_parser("config", help="the configuration file", description="the configuration file")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="SUBCOMMAND")
    check = add_command(
        config_sub, "check", "the settings in effect, secrets masked, and where each came from", _EX_CONFIG,
        _cmd_config_check,
    )  # fmt: skip
    _add_config(check)


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="the TOML config file (default: TRADEEXEC_CONFIG, else ~/.config/...)")


def _config(args: argparse.Namespace) -> ConfigFile:
    """The config file of this command; ``--config`` is exported as ``TRADEEXEC_CONFIG`` so
    that every client this process opens reads the same file."""
    if args.config:
        os.environ["TRADEEXEC_CONFIG"] = args.config
    path, named = locate_config(None, os.environ)
    config = read_config(path, required=named)
    for warning in config.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    return config


# ---- precedence ---------------------------------------------------------------------------


class _Resolved:
    """Each setting's value and where it came from, in the documented precedence."""

    def __init__(self, config: ConfigFile) -> None:
        self.config = config
        self.rows: list[tuple[str, Any, str]] = []

    def pick(
        self, name: str, default: Any, *, arg: Any = None, flag: str = "", env: str = "", key: str = ""
    ) -> Any:
        """``arg`` (given as ``flag``) > the environment variable ``env`` > the file's ``key``
        (``table.key``) > ``default``."""
        file_value = _dotted(self.config, key) if key else None
        if arg is not None:
            value, source = arg, f"argument {flag}"
        elif env and os.environ.get(env):
            value, source = os.environ[env], f"environment {env}"
        elif file_value is not None:
            value, source = file_value, f"config file {self.config.where(key)}"
        else:
            value, source = default, "default"
        self.rows.append((name, value, source))
        return value


def _dotted(config: ConfigFile, key: str) -> Any:
    table, _, name = key.rpartition(".")
    section: Mapping[str, Any] = getattr(config, table) if table else config.connection
    return section.get(name)


def _params(args: argparse.Namespace, defaults: Mapping[str, Any], config: ConfigFile) -> dict[str, Any]:
    from tradeexec.strategy.runner import decimal_params

    params = {**defaults, **decimal_params(config.strategy.get("params", {}))}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param {item!r}: expected KEY=VALUE", "e.g. --param window=20")
        params[key.strip()] = value
    return params


def _cmd_run(args: argparse.Namespace) -> int:
    from tradeexec.strategy.runner import (
        DEFAULT_SYMBOLS,
        PythonStrategy,
        RunPlan,
        load_strategy,
        run_strategy,
    )

    config = _config(args)
    r = _Resolved(config)
    venue = r.pick("venue", None, arg=args.venue, flag="--venue", env="TRADEEXEC_VENUE", key="venue")
    base_url = r.pick(
        "base_url", None, arg=args.base_url, flag="--base-url", env="TRADEEXEC_BASE_URL", key="base_url"
    )
    venue_chosen, url = trading_venue(venue, base_url, live_ok=args.i_understand_live, command="run")
    if args.program:
        strategy: PythonStrategy | list[str] = [args.strategy, *args.program_args]
        module_symbols: tuple[str, ...] | None = None
        defaults: Mapping[str, Any] = {}
    else:
        if args.program_args:
            raise UsageError(
                f"{args.strategy} is a Python strategy and takes no ARGS ({' '.join(args.program_args)})",
                "use --param KEY=VALUE for its parameters, or --program to run a program",
            )
        loaded = load_strategy(args.strategy)
        strategy, module_symbols, defaults = loaded, loaded.symbols, loaded.params
    listed = args.symbols.split(",") if args.symbols else config.strategy.get("symbols")
    symbols = tuple(s.strip().upper() for s in listed or () if s.strip()) or module_symbols or DEFAULT_SYMBOLS
    duration = float(r.pick("duration", DEFAULT_DURATION_S, arg=args.duration, key="strategy.duration"))
    journal = r.pick("journal", None, arg=args.journal_dir, key="journal.dir")
    params = _params(args, defaults, config)
    # The embedded exchange's keys have no IP restriction to require; a real venue keeps
    # RiskLimits' default unless the file says otherwise.
    local = venue_chosen is None and "require_ip_restriction" not in config.risk
    risk = config.risk_limits(**({"require_ip_restriction": False} if local else {}))
    maintenance = _maintenance(args, r)

    def start(record: DemoRecord, say: Callable[[str], None], where: Path) -> Awaitable[DemoSummary]:
        plan = RunPlan(strategy, duration, where, symbols, params, venue_chosen, url, risk, maintenance)
        return run_strategy(plan, record=record, say=say)

    return present_run(args, duration, Path(journal).expanduser() if journal else None, start)


def lead_arg(text: str) -> float:
    """Seconds before a window's start, 0 allowed."""
    return 0.0 if text.strip() in ("0", "0.0") else seconds_arg(text)


def _maintenance(args: argparse.Namespace, r: _Resolved) -> MaintenanceSettings:
    """The run's maintenance settings, argument over config file over default; windows given
    as arguments replace the file's. Refused before anything is opened when typed wrong."""
    given = args.maintenance_window
    windows = tuple(parse_window(w) for w in given) if given else None
    return MaintenanceSettings(
        r.pick("on_maintenance", "pause", arg=args.on_maintenance, flag="--on-maintenance",
               key="maintenance.on_maintenance"),
        r.pick("maintenance_windows", (), arg=windows, flag="--maintenance-window",
               key="maintenance.windows"),
        r.pick("maintenance_lead_s", 0.0, arg=args.maintenance_lead, flag="--maintenance-lead",
               key="maintenance.lead_s"),
    )  # fmt: skip


def _cmd_config_check(args: argparse.Namespace) -> int:
    config = _config(args)
    r = _Resolved(config)
    venue = r.pick("venue", "local", arg=args.venue, flag="--venue", env="TRADEEXEC_VENUE", key="venue")
    r.pick("base_url", "the venue's own", arg=args.base_url, flag="--base-url", env="TRADEEXEC_BASE_URL",
           key="base_url")  # fmt: skip
    settings = load_settings(venue=args.venue, base_url=args.base_url)
    creds = settings.credentials
    signing = "private key" if creds.private_key else "HMAC secret" if creds.api_secret else None
    r.rows += [
        ("api_key", f"{creds.api_key[:4]}…" if creds.api_key else "not set", _key_source(config)),
        ("signing", f"{signing} (***)" if signing else "not set", _key_source(config)),
        ("rest_url", settings.urls.rest, f"from venue {venue}"),
    ]
    r.pick("recv_window", settings.recv_window, key="recv_window")
    r.pick("timeout", settings.timeout, key="timeout")
    defaults = RiskLimits()
    for f in fields(RiskLimits):
        r.pick(f"risk.{f.name}", getattr(defaults, f.name), key=f"risk.{f.name}")
    r.pick("journal.dir", "a new temp dir per run", key="journal.dir")
    r.pick("strategy.symbols", "the strategy's SYMBOLS, else BTCUSDT", key="strategy.symbols")
    r.pick("strategy.duration", DEFAULT_DURATION_S, key="strategy.duration")
    r.pick("strategy.params", "the strategy's PARAMS", key="strategy.params")
    r.pick("maintenance.on_maintenance", "pause", key="maintenance.on_maintenance")
    r.pick("maintenance.windows", "none", key="maintenance.windows")
    r.pick("maintenance.lead_s", 0.0, key="maintenance.lead_s")
    value = {
        "config_file": str(config.path) if config.path else None,
        "settings": [{"setting": n, "value": _shown(v), "source": s} for n, v, s in r.rows],
    }

    def human(v: Any) -> str:
        rows = [(x["setting"], x["value"], x["source"]) for x in v["settings"]]
        return f"config file: {v['config_file'] or 'none'}\n" + table(rows, ("setting", "value", "source"))

    emit(args, value, human)
    return EXIT_OK


def _key_source(config: ConfigFile) -> str:
    """Where the key pair came from, in ``load_settings``' order (environment, then file)."""
    if any(os.environ.get(n) for n in ("BINANCE_API_KEY", "BINANCE_API_SECRET", "BINANCE_PRIVATE_KEY_PATH")):
        return "environment BINANCE_*"
    conn = config.connection
    if "api_key_env" in conn:
        return f"environment {conn['api_key_env']}, named in config file {config.where('api_key_env')}"
    for key in ("api_key", "private_key_path"):
        if key in conn:
            return f"config file {config.where(key)}"
    return "-"


def _shown(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={text(v)}" for k, v in value.items()) or "{}"
    if isinstance(value, list | tuple):
        return ",".join(map(text, value))
    return text(value)
