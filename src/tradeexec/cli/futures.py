"""USDT-M futures account commands: ``positions``, ``leverage``, ``margin-type``,
``position-mode`` and ``income``.

These exist only on a futures account, so they are commands of their own rather than a
``--product`` of a spot command; the commands both products share (``balance``, ``orders``,
``order``, ``cancel``, ``emergency-stop``) take ``--product usdm`` instead
(``cli.futures_orders``). Settings are changed one call each and the exchange's own refusal
(a position open, an unchanged setting) is passed on with its code, never retried.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from tradeexec.binance.rest.futures_account import INCOME_TYPES
from tradeexec.cli.common import (
    EXIT_OK,
    UsageError,
    add_command,
    emit,
    int_arg,
    iso_time,
    run_with_client,
    table,
    text,
    time_arg,
)
from tradeexec.errors import BinanceAPIError, InvalidParameter

if TYPE_CHECKING:
    from tradeexec.binance import BinanceClient

_NOT_CHANGED = {-4046: "margin type", -4059: "position mode"}  # "No need to change ..."
_POSITION_KEYS = ("symbol", "positionSide", "positionAmt", "entryPrice", "markPrice", "unRealizedProfit",
                  "liquidationPrice", "leverage", "marginType", "isolatedMargin", "notional")  # fmt: skip
_INCOME_KEYS = ("time", "symbol", "incomeType", "income", "asset", "tradeId", "info")
_MODES = {"hedge": True, "one-way": False}
_MARGIN_TYPES: dict[str, Literal["ISOLATED", "CROSSED"]] = {
    "ISOLATED": "ISOLATED",
    "CROSSED": "CROSSED",
    "CROSS": "CROSSED",
}

_EX_POSITIONS = """  tradeexec positions                   # every non-flat futures position (USDT-M)
  tradeexec positions --symbol BTCUSDT --all   # flat legs too
  tradeexec positions --json
  shows per symbol and side: quantity (negative: short), entry and mark price, unrealized PnL,
  liquidation price, leverage, margin type and isolated margin, as positionRisk reports them.
"""
_EX_LEVERAGE = """  tradeexec leverage BTCUSDT 5      # set the initial leverage of BTCUSDT to 5x
  the answer shows the largest position notional the exchange allows at that leverage.
"""
_EX_MARGIN = """  tradeexec margin-type BTCUSDT isolated
  tradeexec margin-type BTCUSDT crossed
  the exchange refuses a change while the symbol has a position or an open order.
"""
_EX_MODE = """  tradeexec position-mode              # show: hedge or one-way
  tradeexec position-mode hedge        # LONG and SHORT legs kept apart
  tradeexec position-mode one-way      # one signed position per symbol
  the exchange refuses a change while any symbol has a position or an open order.
"""
_EX_INCOME = """  tradeexec income --funding                      # funding fees paid and received
  tradeexec income --symbol BTCUSDT --type REALIZED_PNL --limit 100
  tradeexec income --start 2026-01-01 --end 2026-01-07 --json
  a total per income type and asset follows the rows (negative: paid).
"""


def register(sub: Any) -> None:
    positions = add_command(sub, "positions", "USDT-M futures positions", _EX_POSITIONS, _cmd_positions)
    positions.add_argument("--symbol", help="one symbol")
    positions.add_argument("--all", action="store_true", help="flat legs too")

    leverage = add_command(sub, "leverage", "set a futures symbol's leverage", _EX_LEVERAGE, _cmd_leverage)
    leverage.add_argument("symbol")
    leverage.add_argument("leverage", type=int_arg, help="1 to 125 (the symbol's brackets may allow less)")

    margin = add_command(sub, "margin-type", "set a futures symbol's margin type", _EX_MARGIN, _cmd_margin)
    margin.add_argument("symbol")
    margin.add_argument("margin_type", metavar="TYPE", help="isolated or crossed (cross), any case")

    mode = add_command(sub, "position-mode", "show or set hedge / one-way mode", _EX_MODE, _cmd_mode)
    mode.add_argument("mode", nargs="?", metavar="MODE", help="hedge or one-way; omit to show")

    income = add_command(sub, "income", "futures income: funding, PnL, fees", _EX_INCOME, _cmd_income)
    income.add_argument("--symbol")
    income.add_argument("--type", dest="income_type", help="an income type, e.g. FUNDING_FEE, any case")
    income.add_argument("--funding", action="store_true", help="funding fees only (--type FUNDING_FEE)")
    income.add_argument("--start", type=time_arg, help="epoch ms or ISO date (UTC)")
    income.add_argument("--end", type=time_arg, help="epoch ms or ISO date (UTC)")
    income.add_argument("--limit", type=int_arg, default=100, help="rows, 1 to 1000 (default 100)")


def _cmd_positions(args: argparse.Namespace) -> int:
    symbol = args.symbol.upper() if args.symbol else None

    async def run(client: BinanceClient) -> int:
        found = await client.futures_position_risk(symbol)
        rows = [
            {"symbol": p.symbol, "positionSide": p.position_side, "positionAmt": p.position_amt,
             "entryPrice": p.entry_price, "markPrice": p.mark_price, "unRealizedProfit": p.un_realized_profit,
             "liquidationPrice": p.liquidation_price, "leverage": p.leverage,
             "marginType": _margin_word(p.margin_type), "isolatedMargin": p.isolated_margin,
             "notional": p.notional}
            for p in found if args.all or p.position_amt != 0
        ]  # fmt: skip

        def human(v: list[dict[str, Any]]) -> str:
            if not v:
                return "no open position" + (f" in {symbol}" if symbol else "")
            body = table([["-" if r[k] is None else r[k] for k in _POSITION_KEYS] for r in v], _POSITION_KEYS)
            total = sum((r["unRealizedProfit"] for r in v), Decimal(0))
            return f"{body}\nunrealized PnL in total: {text(total)}"

        emit(args, rows, human)
        return EXIT_OK

    return run_with_client(args, run)


def _margin_word(raw: str | None) -> str | None:
    """positionRisk v2 says ``isolated`` / ``cross``; the setting is ISOLATED / CROSSED."""
    if raw is None:
        return None
    return {"isolated": "ISOLATED", "cross": "CROSSED"}.get(raw.lower(), raw.upper())


def _cmd_leverage(args: argparse.Namespace) -> int:
    if not 1 <= args.leverage <= 125:
        raise InvalidParameter("LEVERAGE", "must be a whole number from 1 to 125", str(args.leverage))

    async def run(client: BinanceClient) -> int:
        answer = await client.futures_change_leverage(args.symbol.upper(), args.leverage)
        most = answer.max_notional_value
        value = {"symbol": answer.symbol, "leverage": answer.leverage, "maxNotionalValue": most}
        shown = f"{answer.symbol} leverage {answer.leverage}x (largest position notional at it: {text(most)})"
        emit(args, value, lambda _v: shown)
        return EXIT_OK

    return run_with_client(args, run)


def _cmd_margin(args: argparse.Namespace) -> int:
    wanted = _MARGIN_TYPES.get(args.margin_type.upper())
    if wanted is None:
        raise InvalidParameter("TYPE", "must be isolated or crossed", repr(args.margin_type))
    symbol = args.symbol.upper()

    async def run(client: BinanceClient) -> int:
        changed = await _unless_unchanged(client.futures_change_margin_type(symbol, wanted))
        value = {"symbol": symbol, "marginType": wanted, "changed": changed}
        emit(args, value, lambda v: f"{symbol} margin type {wanted}" + ("" if changed else " (already)"))
        return EXIT_OK

    return run_with_client(args, run)


async def _unless_unchanged(call: Any) -> bool:
    """Await a settings change; False when the exchange says it was already so (not an error
    for the user: the account is as asked)."""
    try:
        await call
    except BinanceAPIError as exc:
        if exc.code in _NOT_CHANGED:
            return False
        raise
    return True


def _cmd_mode(args: argparse.Namespace) -> int:
    wanted = None
    if args.mode is not None:
        wanted = _MODES.get(args.mode.lower().replace("_", "-").replace("oneway", "one-way"))
        if wanted is None:
            raise InvalidParameter("MODE", "must be hedge or one-way", repr(args.mode))

    async def run(client: BinanceClient) -> int:
        changed = False
        if wanted is not None:
            changed = await _unless_unchanged(client.futures_change_position_mode(wanted))
        dual = await client.futures_position_mode()
        value = {"mode": "hedge" if dual else "one-way", "dualSidePosition": dual, "changed": changed}
        emit(args, value, lambda v: f"position mode: {v['mode']}" + (" (changed)" if changed else ""))
        return EXIT_OK

    return run_with_client(args, run)


def _cmd_income(args: argparse.Namespace) -> int:
    kind = args.income_type.upper() if args.income_type else None
    if args.funding:
        if kind not in (None, "FUNDING_FEE"):
            raise UsageError(f"--funding and --type {kind} ask for different rows", "give one of them")
        kind = "FUNDING_FEE"
    if kind is not None and kind not in INCOME_TYPES:
        raise InvalidParameter(
            "--type", "must be one of Binance's income types", f"{kind!r}; e.g. FUNDING_FEE"
        )
    if not 1 <= args.limit <= 1000:
        raise InvalidParameter("--limit", "must be in 1..1000", str(args.limit))
    if args.start is not None and args.end is not None and args.start > args.end:
        raise InvalidParameter("--start", "must not be after --end", f"{args.start} > {args.end}")

    async def run(client: BinanceClient) -> int:
        found = await client.futures_income(
            args.symbol.upper() if args.symbol else None, income_type=kind,
            start_time=args.start, end_time=args.end, limit=args.limit,
        )  # fmt: skip
        rows = [{"time": iso_time(r.time), "symbol": r.symbol, "incomeType": r.income_type,
                 "income": r.income, "asset": r.asset, "tradeId": r.trade_id, "info": r.info}
                for r in found]  # fmt: skip
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for r in found:
            totals[(r.income_type, r.asset)] += r.income
        value = {"rows": rows, "totals": [{"incomeType": t, "asset": a, "total": v}
                                          for (t, a), v in sorted(totals.items())]}  # fmt: skip

        def human(v: dict[str, Any]) -> str:
            if not v["rows"]:
                return "no income rows"
            body = table([[r[k] for k in _INCOME_KEYS] for r in v["rows"]], _INCOME_KEYS)
            sums = [f"total {t['incomeType']}: {text(t['total'])} {t['asset']}" for t in v["totals"]]
            return "\n".join([body, *sums])

        emit(args, value, human)
        return EXIT_OK

    return run_with_client(args, run)
