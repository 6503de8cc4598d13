"""Safety commands: ``keys check`` and ``emergency-stop``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tradeexec.cli_common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_REJECTED,
    UserAbort,
    add_command,
    confirm,
    emit,
    key_problems,
    run_with_client,
    table,
)

if TYPE_CHECKING:
    from tradeexec.binance import BinanceClient

_PERMISSIONS = (
    ("ip_restrict", "ipRestrict"),
    ("enable_reading", "enableReading"),
    ("enable_spot_and_margin_trading", "enableSpotAndMarginTrading"),
    ("enable_margin", "enableMargin"),
    ("enable_futures", "enableFutures"),
    ("enable_withdrawals", "enableWithdrawals"),
    ("enable_internal_transfer", "enableInternalTransfer"),
    ("permits_universal_transfer", "permitsUniversalTransfer"),
)


def register(sub: Any) -> None:
    keys = sub.add_parser("keys", help="the API key in use", description="the API key in use")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="SUBCOMMAND")
    check = add_command(
        keys_sub, "check", "the key's permissions and whether it is safe to trade with", _EX_KEYS,
        _cmd_keys_check,
    )  # fmt: skip
    check.add_argument(
        "--allow-any-ip", action="store_true",
        help="accept a key without an IP restriction on a real venue (the local exchange's keys"
        " need none)",
    )  # fmt: skip

    stop = add_command(
        sub, "emergency-stop", "cancel every open order and sell the given assets at market",
        _EX_STOP, _cmd_emergency_stop,
    )  # fmt: skip
    stop.add_argument("--assets", help="comma-separated assets to sell down to dust, e.g. BTC,ETH")
    stop.add_argument("--quote", default="USDT", help="asset to sell them for (default USDT)")
    stop.add_argument("--yes", action="store_true", help="do not ask for confirmation")


_EX_KEYS = """  tradeexec keys check
  tradeexec keys check --json
  tradeexec keys check --allow-any-ip      # accept a key without an IP whitelist (not advised)
  a key without an IP whitelist is unsafe on every real venue (live, testnet, demo); the
  local exchange's keys have none and pass. exit code 0: safe to trade with; 3: unsafe.
"""
_EX_STOP = """  tradeexec emergency-stop                          # cancel all open orders (asks first)
  tradeexec emergency-stop --assets BTC,ETH --yes   # ... and sell BTC and ETH for USDT
  tradeexec emergency-stop --assets BTC --quote FDUSD --yes --json
  --json never prompts, so it needs --yes. exit code 0: complete; 1: something was left.
"""


def _cmd_keys_check(args: argparse.Namespace) -> int:
    async def run(client: BinanceClient) -> int:
        restrictions, reasons = await key_problems(client, allow_any_ip=args.allow_any_ip)
        value = {
            "permissions": {wire: getattr(restrictions, attr) for attr, wire in _PERMISSIONS},
            "safe": not reasons,
            "reasons": reasons,
        }

        def human(v: Any) -> str:
            rows = table(sorted(v["permissions"].items()), ("permission", "value"))
            verdict = ["verdict: SAFE to trade with"] if v["safe"] else [
                "verdict: UNSAFE, refusing to trade with this key:", *(f"  - {r}" for r in reasons)
            ]  # fmt: skip
            return "\n".join([rows, "", *verdict])

        emit(args, value, human)
        return EXIT_OK if not reasons else EXIT_REJECTED

    return run_with_client(args, run)


def _cmd_emergency_stop(args: argparse.Namespace) -> int:
    from tradeexec.execution.emergency import emergency_stop

    assets = [a.strip().upper() for a in (args.assets or "").split(",") if a.strip()]
    quote = args.quote.upper()
    if not args.yes:
        if args.json:
            raise UserAbort("--json never prompts: pass --yes to confirm the emergency stop")
        selling = f" and sell {', '.join(assets)} for {quote} at market" if assets else ""
        confirm(f"This cancels EVERY open order{selling}.")

    async def run(client: BinanceClient) -> int:
        report = await emergency_stop(client, flatten_assets=assets, quote_asset=quote)
        value = {
            "ok": report.ok,
            "canceled_symbols": report.canceled_symbols,
            "sold": report.sold,
            "dust": report.dust,
            "open_orders_left": report.open_orders_left,
            "not_closed": report.not_closed,
            "errors": report.errors,
            "lines": report.lines(),
        }
        emit(args, value, lambda _v: "\n".join(report.lines()))
        return EXIT_OK if report.ok else EXIT_FAILURE

    return run_with_client(args, run)
