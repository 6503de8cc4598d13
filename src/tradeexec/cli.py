"""The ``tradeexec`` command.

Exit codes tell a script what went wrong without parsing text: 0 success, 2 the user's input
was refused (nothing sent), 3 the exchange rejected the request, 1 anything else (network,
exchange failure). Errors print one line and a hint, never a traceback unless ``--debug``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from tradeexec.errors import BinanceAPIError, ConfigError, InvalidParameter, TradeexecError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USER_ERROR = 2
EXIT_REJECTED = 3

_EPILOG_SIM = """examples:
  tradeexec sim serve                       # random free port, prints URLs, key and secret
  tradeexec sim serve --port 8765 --api-key KEY --api-secret SECRET
  tradeexec sim serve --config sim.toml --no-market
"""

_EPILOG_MAIN = """examples:
  tradeexec sim serve --port 8765
  tradeexec --base-url http://127.0.0.1:8765 price BTCUSDT
  tradeexec --base-url http://127.0.0.1:8765 book BTCUSDT --depth 5 --json
  tradeexec --base-url http://127.0.0.1:8765 order buy BTCUSDT 0.001 --price 20000
  tradeexec --base-url http://127.0.0.1:8765 cancel BTCUSDT --all

credentials come from BINANCE_API_KEY / BINANCE_API_SECRET / BINANCE_PRIVATE_KEY_PATH.
"""


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a decimal number") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive finite number")
    return value


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--venue", help="local (default), spot, spot-testnet, spot-demo, ...")
    p.add_argument("--base-url", help="REST base URL, e.g. http://127.0.0.1:8765")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tradeexec",
        description="Exactly-once execution for Binance, and a Binance-compatible local exchange.",
        epilog=_EPILOG_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sim = sub.add_parser("sim", help="the local exchange")
    sim_sub = sim.add_subparsers(dest="sim_command", required=True, metavar="SUBCOMMAND")
    serve = sim_sub.add_parser(
        "serve",
        help="run the local exchange until stopped",
        epilog=_EPILOG_SIM,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--config", help="TOML file: symbols, accounts, keys, balances, clock")
    serve.add_argument("--api-key", help="API key of the default account")
    serve.add_argument("--api-secret", help="HMAC secret of the default account")
    serve.add_argument("--no-market", action="store_true", help="no synthetic market activity")
    serve.set_defaults(handler=_cmd_sim_serve)

    demo = sub.add_parser("demo", help="run the built-in strategy against the embedded exchange")
    demo.add_argument("--duration", type=float, default=60.0, help="seconds of trading (default 60)")
    demo.add_argument("--journal-dir", help="where to keep the journal (default: a new temp dir)")
    demo.set_defaults(handler=_cmd_demo)

    price = sub.add_parser("price", help="last price of a symbol")
    price.add_argument("symbol")
    price.set_defaults(handler=_cmd_price)

    book = sub.add_parser("book", help="order book of a symbol")
    book.add_argument("symbol")
    book.add_argument("--depth", type=int, default=10)
    book.set_defaults(handler=_cmd_book)

    balance = sub.add_parser("balance", help="non-zero balances of the account")
    balance.set_defaults(handler=_cmd_balance)

    orders = sub.add_parser("orders", help="orders of the account")
    orders.add_argument("--symbol")
    orders.add_argument("--open", action="store_true", help="only open orders")
    orders.set_defaults(handler=_cmd_orders)

    order = sub.add_parser("order", help="place an order")
    order.add_argument("side", choices=["buy", "sell"])
    order.add_argument("symbol")
    order.add_argument("quantity", type=_decimal)
    order.add_argument("--price", type=_decimal)
    order.add_argument("--type", dest="order_type", help="LIMIT (with --price) or MARKET (default)")
    order.add_argument("--tif", default=None, help="GTC (default for LIMIT), IOC, FOK")
    order.add_argument("--test", action="store_true", help="validate on the exchange without placing")
    order.set_defaults(handler=_cmd_order)

    cancel = sub.add_parser("cancel", help="cancel an order, or every open order of a symbol")
    cancel.add_argument("symbol")
    cancel.add_argument("order_id", nargs="?", type=int)
    cancel.add_argument("--all", action="store_true")
    cancel.set_defaults(handler=_cmd_cancel)

    for p in (demo, price, book, balance, orders, order, cancel, serve):
        _add_common(p)
    return parser


# ---------------------------------------------------------------- output


def _emit(args: argparse.Namespace, value: Any, human: Callable[[Any], str]) -> None:
    if args.json:
        sys.stdout.write(msgspec.json.encode(value, enc_hook=str).decode() + "\n")
    else:
        sys.stdout.write(human(value) + "\n")


def _table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    cells = [list(map(str, header)), *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells)


# ---------------------------------------------------------------- commands


def _cmd_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tradeexec.demo import run_demo

    if args.duration <= 0:
        raise InvalidParameter("--duration", "must be positive", str(args.duration))
    journal_dir = Path(args.journal_dir) if args.journal_dir else None
    if journal_dir is not None:
        journal_dir.mkdir(parents=True, exist_ok=True)
    say = (lambda _msg: None) if args.json else print
    summary = asyncio.run(run_demo(args.duration, journal_dir=journal_dir, say=say))
    value = {
        "signals": summary.signals,
        "orders": summary.orders,
        "exchange_orders": summary.exchange_orders,
        "duplicates": summary.duplicates,
        "faults": summary.faults,
        "unknown_resolved": summary.unknown_resolved,
        "end_balances": summary.end_balances,
        "pnl": summary.pnl,
        "journal": str(summary.journal_path),
        "emergency": summary.emergency,
    }
    _emit(args, value, lambda _v: "\nsummary\n" + "\n".join("  " + line for line in summary.lines()))
    return EXIT_OK if summary.duplicates == 0 else EXIT_FAILURE


def _cmd_sim_serve(args: argparse.Namespace) -> int:
    from tradeexec.sim import LocalExchange, SimConfig

    config = SimConfig.from_toml(args.config) if args.config else None
    ex = LocalExchange(
        config,
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        api_secret=args.api_secret,
        market=not args.no_market,
    )

    async def announce() -> None:
        info = {"rest_url": ex.rest_url, "ws_url": ex.ws_url, "api_key": ex.api_key}
        if not args.api_secret:
            # A generated secret is useless unless shown; a secret the user chose is not repeated.
            info["api_secret"] = ex.api_secret
        if args.json:
            sys.stdout.write(msgspec.json.encode(info).decode() + "\n")
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


async def _with_client(args: argparse.Namespace, fn: Callable[[Any], Awaitable[int]]) -> int:
    from tradeexec.binance import BinanceClient

    async with BinanceClient(venue=args.venue, base_url=args.base_url) as client:
        return await fn(client)


def _cmd_price(args: argparse.Namespace) -> int:
    async def run(client: Any) -> int:
        t = await client.ticker_price(args.symbol.upper())
        _emit(args, {"symbol": t.symbol, "price": t.price}, lambda v: f"{v['symbol']} {v['price']}")
        return EXIT_OK

    return asyncio.run(_with_client(args, run))


def _cmd_book(args: argparse.Namespace) -> int:
    async def run(client: Any) -> int:
        b = await client.depth(args.symbol.upper(), limit=args.depth)
        value = {"lastUpdateId": b.last_update_id, "bids": b.bids, "asks": b.asks}

        def human(v: Any) -> str:
            rows = [(p, q, "ask") for p, q in reversed(v["asks"][: args.depth])]
            rows += [(p, q, "bid") for p, q in v["bids"][: args.depth]]
            return _table(rows, ("price", "quantity", "side"))

        _emit(args, value, human)
        return EXIT_OK

    return asyncio.run(_with_client(args, run))


def _cmd_balance(args: argparse.Namespace) -> int:
    async def run(client: Any) -> int:
        acct = await client.account()
        rows = [
            {"asset": b.asset, "free": b.free, "locked": b.locked}
            for b in acct.balances
            if b.free or b.locked
        ]
        _emit(args, rows, lambda v: _table([(r["asset"], r["free"], r["locked"]) for r in v],
                                           ("asset", "free", "locked")))
        return EXIT_OK

    return asyncio.run(_with_client(args, run))


def _order_row(o: Any) -> dict[str, Any]:
    return {
        "symbol": o.symbol,
        "orderId": o.order_id,
        "clientOrderId": o.client_order_id,
        "side": str(o.side),
        "type": str(o.type),
        "price": o.price,
        "origQty": o.orig_qty,
        "executedQty": o.executed_qty,
        "status": str(o.status),
    }


def _orders_table(rows: list[dict[str, Any]]) -> str:
    keys = ("symbol", "orderId", "side", "type", "price", "origQty", "executedQty", "status")
    return _table([[r[k] for k in keys] for r in rows], keys)


def _cmd_orders(args: argparse.Namespace) -> int:
    async def run(client: Any) -> int:
        symbol = args.symbol.upper() if args.symbol else None
        if args.open or symbol is None:
            found = await client.open_orders(symbol)
        else:
            found = await client.all_orders(symbol)
        _emit(args, [_order_row(o) for o in found], _orders_table)
        return EXIT_OK

    return asyncio.run(_with_client(args, run))


def _cmd_order(args: argparse.Namespace) -> int:
    order_type = (args.order_type or ("LIMIT" if args.price is not None else "MARKET")).upper()
    tif = args.tif.upper() if args.tif else ("GTC" if order_type == "LIMIT" else None)

    async def run(client: Any) -> int:
        kwargs: dict[str, Any] = {"quantity": args.quantity, "price": args.price, "time_in_force": tif}
        if args.test:
            await client.test_order(args.symbol.upper(), args.side.upper(), order_type, **kwargs)
            _emit(args, {"test": "ok"}, lambda v: "test order accepted (nothing placed)")
            return EXIT_OK
        resp = await client.new_order(args.symbol.upper(), args.side.upper(), order_type, **kwargs)
        _emit(args, _order_row(resp), lambda v: _orders_table([v]))
        return EXIT_OK

    return asyncio.run(_with_client(args, run))


def _cmd_cancel(args: argparse.Namespace) -> int:
    if args.all == (args.order_id is not None):
        raise InvalidParameter("order_id", "exactly one of ORDER_ID or --all", "give an order id or --all")

    async def run(client: Any) -> int:
        symbol = args.symbol.upper()
        if args.all:
            canceled = await client.cancel_all_orders(symbol)
        else:
            canceled = [await client.cancel_order(symbol, order_id=args.order_id)]
        _emit(args, [_order_row(o) for o in canceled], _orders_table)
        return EXIT_OK

    return asyncio.run(_with_client(args, run))


# ---------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, stream=sys.stderr)
    try:
        code: int = args.handler(args)
        return code
    except KeyboardInterrupt:
        return EXIT_FAILURE
    except (InvalidParameter, ConfigError) as exc:
        return _fail(args, exc, EXIT_USER_ERROR, "check the arguments (see --help)")
    except BinanceAPIError as exc:
        return _fail(args, exc, EXIT_REJECTED, "the exchange refused the request")
    except (TradeexecError, OSError) as exc:
        return _fail(args, exc, EXIT_FAILURE, "is the exchange reachable at --base-url?")


def _fail(args: argparse.Namespace, exc: BaseException, code: int, hint: str) -> int:
    if args.debug:
        raise exc
    sys.stderr.write(f"error: {exc}\nhint: {hint}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
