"""Account commands: ``balance``, ``orders``, ``trades`` and ``cancel`` (``order`` is in
``cli_order``)."""

from __future__ import annotations

import argparse
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradeexec.binance.models import OrderList
from tradeexec.cli import futures_orders
from tradeexec.cli.common import (
    EXIT_OK,
    UsageError,
    add_command,
    emit,
    int_arg,
    iso_time,
    run_with_client,
    table,
)
from tradeexec.cli.futures_orders import add_product
from tradeexec.errors import InvalidParameter

if TYPE_CHECKING:
    from tradeexec.binance import BinanceClient

_ORDER_KEYS = ("symbol", "orderId", "side", "type", "price", "origQty", "executedQty", "avgPrice", "status",
               "time")  # fmt: skip
_TRADE_KEYS = ("time", "symbol", "id", "orderId", "side", "price", "qty", "quoteQty", "commission",
               "commissionAsset", "maker")  # fmt: skip


def register(sub: Any) -> None:
    add_product(add_command(sub, "balance", "non-zero balances of the account", _EX_BALANCE, _cmd_balance))

    orders = add_command(sub, "orders", "open orders, or every order of a symbol", _EX_ORDERS, _cmd_orders)
    add_product(orders)
    orders.add_argument("--symbol", help="one symbol (required for the history)")
    orders.add_argument("--open", action="store_true", help="only open orders (the default)")
    orders.add_argument(
        "--all", "--history", dest="history", action="store_true",
        help="every order of --symbol, open and closed (Binance keeps the history per symbol)",
    )  # fmt: skip

    trades = add_command(sub, "trades", "fills of the account in a symbol", _EX_TRADES, _cmd_trades)
    trades.add_argument("symbol")
    trades.add_argument("--order-id", type=int_arg, help="only the fills of this order")
    trades.add_argument("--limit", type=int_arg, default=50, help="the last N fills (default 50, max 1000)")

    cancel = add_command(
        sub, "cancel", "cancel an order, or every open order of a symbol", _EX_CANCEL, _cmd_cancel
    )
    add_product(cancel)
    cancel.add_argument("symbol")
    cancel.add_argument("order_id", nargs="?", type=int_arg)
    cancel.add_argument("--algo-id", type=int_arg, help="usdm: a conditional (Algo Service) order's algoId")
    cancel.add_argument("--client-id", help="the order's client order ID (newClientOrderId)")
    cancel.add_argument("--all", action="store_true", help="cancel every open order of the symbol")


_EX_BALANCE = """  tradeexec balance
  tradeexec balance --json
  tradeexec balance --product usdm           # the USDT-M futures wallet
"""
_EX_ORDERS = """  tradeexec orders                           # open orders of every symbol
  tradeexec orders --symbol BTCUSDT          # open orders of one symbol
  tradeexec orders --symbol BTCUSDT --all    # every order of BTCUSDT, open and closed
  tradeexec orders --symbol BTCUSDT --history --json
  tradeexec orders --product usdm            # open futures orders, plain and conditional (algo)
"""
_EX_TRADES = """  tradeexec trades BTCUSDT
  tradeexec trades BTCUSDT --order-id 12345 --json
"""
_EX_CANCEL = """  tradeexec cancel BTCUSDT 12345
  tradeexec cancel BTCUSDT --client-id demo_BTCUSDT_20260101120000_1a2b3c4d
  tradeexec cancel BTCUSDT --all
  tradeexec cancel BTCUSDT --all --product usdm        # futures: plain and conditional orders
  tradeexec cancel BTCUSDT --algo-id 5001 --product usdm
"""


def _cmd_balance(args: argparse.Namespace) -> int:
    if args.product == "usdm":
        return futures_orders.cmd_balance(args)

    async def run(client: BinanceClient) -> int:
        acct = await client.account()
        rows = [{"asset": b.asset, "free": b.free, "locked": b.locked} for b in acct.balances
                if b.free or b.locked]  # fmt: skip
        emit(args, rows, lambda v: table([(r["asset"], r["free"], r["locked"]) for r in v],
                                         ("asset", "free", "locked")))  # fmt: skip
        return EXIT_OK

    return run_with_client(args, run)


def order_row(o: Any) -> dict[str, Any]:
    """An order (placement answer, query or cancel) as one row: with the average price, the
    executed quantity, the fees (from the fills, when the answer has them) and the time."""
    if isinstance(o, OrderList):
        return {"symbol": o.symbol, "orderListId": o.order_list_id, "status": str(o.list_order_status)}
    executed: Decimal = o.executed_qty
    row = {
        "symbol": o.symbol,
        "orderId": o.order_id,
        "clientOrderId": o.client_order_id,
        "side": str(o.side),
        "type": str(o.type),
        "price": o.price,
        "origQty": o.orig_qty,
        "executedQty": executed,
        "avgPrice": o.cummulative_quote_qty / executed if executed else None,
        "status": str(o.status),
        "time": iso_time(getattr(o, "transact_time", None) or getattr(o, "update_time", None)),
    }
    fills = getattr(o, "fills", None)
    if fills:
        fees: dict[str, Decimal] = defaultdict(Decimal)
        for fill in fills:
            fees[fill.commission_asset] += fill.commission
        row["fees"] = dict(fees)
    return row


def orders_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no orders"
    text = table([[_cell(r.get(k)) for k in _ORDER_KEYS] for r in rows], _ORDER_KEYS)
    fees = [f"fees of {r['orderId']}: " + ", ".join(f"{v} {a}" for a, v in r["fees"].items())
            for r in rows if r.get("fees")]  # fmt: skip
    return "\n".join([text, *fees])


def _cell(value: Any) -> Any:
    return "-" if value is None else value


def _cmd_orders(args: argparse.Namespace) -> int:
    symbol = args.symbol.upper() if args.symbol else None
    if args.history and args.open:
        raise UsageError("--open and --all/--history ask for different orders", "give one of them")
    if args.history and symbol is None:
        raise UsageError("--all/--history needs --symbol", "Binance keeps the order history per symbol")
    if args.product == "usdm":
        return futures_orders.cmd_orders(args, symbol, args.history)
    shown = (
        f"every order of {symbol}, open and closed" if args.history
        else f"open orders of {symbol or 'every symbol'}"
    )  # fmt: skip

    async def run(client: BinanceClient) -> int:
        found = await (client.all_orders(symbol) if args.history and symbol else client.open_orders(symbol))
        emit(args, [order_row(o) for o in found], lambda rows: f"{shown}:\n{orders_table(rows)}")
        return EXIT_OK

    return run_with_client(args, run)


def _cmd_trades(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 1000:
        raise InvalidParameter("--limit", "must be in 1..1000", str(args.limit))
    symbol = args.symbol.upper()

    async def run(client: BinanceClient) -> int:
        found = await client.my_trades(symbol, order_id=args.order_id, limit=args.limit)
        rows = [
            {"time": iso_time(t.time), "symbol": t.symbol, "id": t.id, "orderId": t.order_id,
             "side": "BUY" if t.is_buyer else "SELL", "price": t.price, "qty": t.qty, "quoteQty": t.quote_qty,
             "commission": t.commission, "commissionAsset": t.commission_asset, "maker": t.is_maker}
            for t in found
        ]  # fmt: skip

        def human(v: list[dict[str, Any]]) -> str:
            body = table([[r[k] for k in _TRADE_KEYS] for r in v], _TRADE_KEYS) if v else "no fills"
            return f"fills of {symbol} (newest last):\n{body}"

        emit(args, rows, human)
        return EXIT_OK

    return run_with_client(args, run)


def _cmd_cancel(args: argparse.Namespace) -> int:
    if args.product == "usdm":
        return futures_orders.cmd_cancel(args)
    if args.algo_id is not None:
        raise UsageError("--algo-id is for futures orders only", "add --product usdm")
    given = [args.order_id is not None, args.client_id is not None, args.all]
    if sum(given) != 1:
        raise InvalidParameter(
            "ORDER_ID", "give exactly one of ORDER_ID, --client-id or --all", "e.g. cancel X --all"
        )

    async def run(client: BinanceClient) -> int:
        symbol = args.symbol.upper()
        if args.all:
            canceled: list[Any] = list(await client.cancel_all_orders(symbol))
        else:
            canceled = [
                await client.cancel_order(symbol, order_id=args.order_id, orig_client_order_id=args.client_id)
            ]
        emit(args, [order_row(o) for o in canceled], orders_table)
        return EXIT_OK

    return run_with_client(args, run)
