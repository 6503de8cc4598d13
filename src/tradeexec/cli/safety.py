"""Safety commands: ``keys check`` and ``emergency-stop``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tradeexec.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_REJECTED,
    UsageError,
    UserAbort,
    add_command,
    confirm,
    decimal_arg,
    emit,
    key_problems,
    run_with_client,
    table,
)
from tradeexec.cli.futures_orders import add_product
from tradeexec.execution.emergency_sell import DEFAULT_MAX_SLIPPAGE_BPS, DEFAULT_PASSES

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
        sub, "emergency-stop",
        "cancel every open order and sell the given assets near the best bid (usdm: close every position)",
        _EX_STOP, _cmd_emergency_stop,
    )  # fmt: skip
    add_product(stop)
    stop.add_argument("--assets", help="comma-separated assets to sell down to dust, e.g. BTC,ETH")
    stop.add_argument("--quote", default="USDT", help="asset to sell them for (default USDT)")
    stop.add_argument(
        "--max-slippage-bps", type=decimal_arg, default=DEFAULT_MAX_SLIPPAGE_BPS, metavar="BPS",
        help="each sell is a LIMIT IOC this many basis points below the best bid, never lower (usdm: each"
        f" close this far through the bid or ask) (default {DEFAULT_MAX_SLIPPAGE_BPS}, i.e. 0.5%%)",
    )  # fmt: skip
    stop.add_argument(
        "--passes", type=int, default=DEFAULT_PASSES,
        help=f"sells per asset at most, the book and balance re-read before each (default {DEFAULT_PASSES})",
    )  # fmt: skip
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
  tradeexec emergency-stop --assets ETH --max-slippage-bps 100 --passes 8 --yes
  each sell is a LIMIT IOC below the best bid, never a MARKET order; the report shows what
  executed (quantity, average price, proceeds, fees), and what is left and why.
  tradeexec emergency-stop --product usdm --yes     # futures: cancel every order and
                                                    # conditional order, close every position
  futures closes are reduce-only LIMIT IOC orders near the best bid (long) or ask (short), both
  legs in hedge mode; the report shows per leg the quantity closed, average price, realized
  PnL and fees, and verifies flat against the positions.
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
    from tradeexec.binance.futures_venue import FuturesVenue
    from tradeexec.binance.venue import SpotVenue
    from tradeexec.errors import InvalidParameter
    from tradeexec.execution.emergency import SellSettings, emergency_stop

    assets = [a.strip().upper() for a in (args.assets or "").split(",") if a.strip()]
    quote = args.quote.upper()
    futures = args.product == "usdm"
    if futures and assets:
        raise UsageError(
            "--assets is for the spot stop: a futures account holds positions, and the futures stop"
            " closes every one of them", "drop --assets"
        )  # fmt: skip
    try:
        selling = SellSettings(max_slippage_bps=args.max_slippage_bps, passes=args.passes)
    except InvalidParameter as exc:
        raise UserAbort(f"--{exc.field.replace('_', '-')} {exc.rule}, {exc.detail}") from None
    if not args.yes:
        if args.json:
            raise UserAbort("--json never prompts: pass --yes to confirm the emergency stop")
        bps = f"{selling.max_slippage_bps:f}"
        what = f" and sell {', '.join(assets)} for {quote} down to {bps} bps below the bid" if assets else ""
        if futures:
            what = " and conditional order, and CLOSES EVERY POSITION (reduce-only, near the touch)"
        confirm(f"This cancels EVERY open {'futures ' if futures else ''}order{what}.")

    async def run(client: BinanceClient) -> int:
        venue = FuturesVenue(client) if futures else SpotVenue(client)
        report = await emergency_stop(venue, flatten_assets=assets, quote_asset=quote, selling=selling)
        emit(args, report.as_dict(), lambda _v: "\n".join(report.lines()))
        return EXIT_OK if report.ok else EXIT_FAILURE

    return run_with_client(args, run)
