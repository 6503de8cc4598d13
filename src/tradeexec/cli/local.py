"""Commands that need no exchange account: ``sim serve`` and ``journal show``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tradeexec.cli.common import EXIT_OK, UsageError, add_command, emit, int_arg, table, to_json
from tradeexec.errors import ConfigError, InvalidParameter

_SQLITE_MAGIC = b"SQLite format 3\x00"


def register(sub: Any) -> None:
    sim = sub.add_parser("sim", help="the local exchange", description="the local exchange")
    sim_sub = sim.add_subparsers(dest="sim_command", required=True, metavar="SUBCOMMAND")
    serve = add_command(sim_sub, "serve", "run the local exchange until stopped", _EX_SERVE, _cmd_sim_serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int_arg, default=0, help="0 picks a free port")
    serve.add_argument("--config", help="TOML file: symbols, accounts, keys, balances, clock")
    serve.add_argument("--api-key", help="API key of the default account")
    serve.add_argument("--api-secret", help="HMAC secret of the default account")
    serve.add_argument("--no-market", action="store_true", help="no synthetic market activity")
    serve.add_argument(
        "--no-futures-market", action="store_true",
        help="leave the USDT-M futures books to the users (the mark then follows the book's mid); "
        "the same as market.futures = false in the config file",
    )  # fmt: skip
    serve.add_argument(
        "--replay", action="append", metavar="FILE",
        help="replay a Binance public-data file (aggTrades, trades, bookTicker or klines; CSV or zip) "
        "instead of the synthetic market; repeat for more files",
    )  # fmt: skip
    serve.add_argument(
        "--speed", type=float, default=None, metavar="N",
        help="replay at N times the recorded pace (default 1; 0: as fast as possible)",
    )  # fmt: skip

    journal = sub.add_parser("journal", help="the order journal", description="the order journal")
    journal_sub = journal.add_subparsers(dest="journal_command", required=True, metavar="SUBCOMMAND")
    show = add_command(
        journal_sub, "show", "intents with their derived state and fills", _EX_JOURNAL, _cmd_journal_show
    )
    show.add_argument(
        "--path", default="journal.sqlite",
        help="journal file, or the directory holding journal.sqlite (default ./journal.sqlite)",
    )  # fmt: skip


_EX_SERVE = """  tradeexec sim serve                       # random free port, prints URLs, key and secret
  tradeexec sim serve --port 8765 --api-key KEY --api-secret SECRET
  tradeexec sim serve --config sim.toml --no-market --json
  tradeexec sim serve --replay BTCUSDT-aggTrades-2024-01-01.zip --speed 10
"""
_EX_JOURNAL = """  tradeexec journal show --path ./demo-run
  tradeexec journal show --path journal.sqlite --json
"""


def _cmd_sim_serve(args: argparse.Namespace) -> int:
    from tradeexec.sim import LocalExchange, SimConfig

    config = SimConfig.from_toml(args.config) if args.config else None
    if args.no_futures_market:
        config = config or SimConfig()
        config.market.futures = False
    if args.replay or args.speed is not None:
        config = config or SimConfig()
        config.market.replay_files = list(args.replay or config.market.replay_files)
        if args.speed is not None:
            config.market.replay_speed = args.speed
    # The secret is shown only when the exchange made it up: one the user chose (on the
    # command line or in the config file) is never repeated on the terminal.
    generated = not args.api_secret and (
        config is None or not any(k.key_type == "HMAC" for a in config.accounts[:1] for k in a.keys)
    )
    try:
        ex = LocalExchange(
            config,
            host=args.host,
            port=args.port,
            api_key=args.api_key,
            api_secret=args.api_secret,
            market=not args.no_market,
        )
    except ConfigError as exc:  # a market setting or replay file: not a credentials problem
        raise UsageError(str(exc), "fix the file or setting named; nothing was started") from exc

    async def announce() -> None:
        info = {"rest_url": ex.rest_url, "ws_url": ex.ws_url, "api_key": ex.api_key}
        if generated:
            info["api_secret"] = ex.api_secret
        if args.json:
            sys.stdout.write(to_json(info) + "\n")
        else:
            sys.stdout.write(
                f"local exchange listening\n  REST       {info['rest_url']}\n"
                f"  WebSocket  {info['ws_url']}/ws  (API: {info['ws_url']}/ws-api/v3)\n"
                f"  API key    {info['api_key']}\n"
                + (f"  secret     {info['api_secret']}\n" if "api_secret" in info else "")
                + "press Ctrl-C to stop\n"
            )
        sys.stdout.flush()

    ex.serve_forever(on_started=announce)
    return EXIT_OK


def _journal_file(text: str) -> Path:
    """The journal file named by ``--path``. A missing or non-SQLite file is refused here:
    opening it as a Journal would create an empty one, or move an unreadable one aside."""
    path = Path(text)
    if path.is_dir():
        path = path / "journal.sqlite"
    if not path.is_file():
        raise InvalidParameter("--path", "no journal there", str(path))
    with path.open("rb") as fh:
        if fh.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
            raise InvalidParameter("--path", "not a journal (not an SQLite file)", str(path))
    return path


def _cmd_journal_show(args: argparse.Namespace) -> int:
    from tradeexec.execution.journal.store import Journal

    path = _journal_file(args.path)
    with Journal(path, read_only=True) as journal:
        orders = []
        for intent in journal.intents():
            st = journal.derive(intent)
            orders.append({
                "clientOrderId": intent.client_order_id,
                "strategy": intent.strategy,
                "symbol": intent.symbol,
                "side": intent.side,
                "type": intent.type,
                "quantity": intent.quantity,
                "quoteQuantity": intent.quote_quantity,
                "price": intent.price,
                "createdMs": intent.created_ms,
                "state": str(st.state),
                "orderId": st.order_id,
                "executedQty": st.executed_qty,
                "cumulativeQuote": st.cumulative_quote,
                "reason": st.reason,
                "fills": [
                    {"tradeId": f.trade_id, "price": f.last_price, "qty": f.last_qty,
                     "commission": f.commission, "commissionAsset": f.commission_asset, "timeMs": f.update_ms}
                    for f in journal.fills(intent.client_order_id)
                ],
            })  # fmt: skip
    emit(args, {"journal": str(path), "orders": orders}, _journal_human)
    return EXIT_OK


def _journal_human(value: Any) -> str:
    orders = value["orders"]
    if not orders:
        return f"{value['journal']}: no orders"
    keys = ("clientOrderId", "symbol", "side", "type", "quantity", "price", "state", "executedQty")
    lines = [f"{value['journal']}: {len(orders)} orders", "",
             table([[o[k] if o[k] is not None else "-" for k in keys] for o in orders], keys)]  # fmt: skip
    fills = [(o["clientOrderId"], f["tradeId"], f["price"], f["qty"], f["commission"], f["commissionAsset"])
             for o in orders for f in o["fills"]]  # fmt: skip
    lines += ["", f"{len(fills)} fills", ""]
    if fills:
        lines.append(table(fills, ("clientOrderId", "tradeId", "price", "qty", "fee", "feeAsset")))
    return "\n".join(lines)
