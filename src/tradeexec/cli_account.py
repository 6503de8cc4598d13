"""Account commands: ``balance``, ``orders``, ``order`` and ``cancel``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tradeexec.binance.models import OrderList
from tradeexec.binance.price_context import price_context
from tradeexec.cli_common import (
    EXIT_OK,
    add_command,
    decimal_arg,
    emit,
    int_arg,
    refuse_unsafe_key,
    run_with_client,
    table,
)
from tradeexec.errors import InvalidParameter

if TYPE_CHECKING:
    from tradeexec.binance import BinanceClient

_ORDER_KEYS = ("symbol", "orderId", "side", "type", "price", "origQty", "executedQty", "status")


def register(sub: Any) -> None:
    add_command(sub, "balance", "non-zero balances of the account", _EX_BALANCE, _cmd_balance)

    orders = add_command(sub, "orders", "orders of the account", _EX_ORDERS, _cmd_orders)
    orders.add_argument("--symbol", help="one symbol (required for the full history)")
    orders.add_argument("--open", action="store_true", help="only open orders")

    order = add_command(sub, "order", "place an order", _EX_ORDER, _cmd_order)
    order.add_argument("side", choices=["buy", "sell"])
    order.add_argument("symbol")
    order.add_argument("quantity", type=decimal_arg)
    order.add_argument("--price", type=decimal_arg)
    order.add_argument("--type", dest="order_type", help="LIMIT (default with --price) or MARKET")
    order.add_argument("--tif", help="GTC (default for LIMIT), IOC, FOK")
    order.add_argument("--test", action="store_true", help="validate on the exchange without placing")
    order.add_argument(
        "--allow-any-ip", action="store_true",
        help="trade with a key that has no IP whitelist on a real venue (not advised)",
    )  # fmt: skip

    cancel = add_command(
        sub, "cancel", "cancel an order, or every open order of a symbol", _EX_CANCEL, _cmd_cancel
    )
    cancel.add_argument("symbol")
    cancel.add_argument("order_id", nargs="?", type=int_arg)
    cancel.add_argument("--all", action="store_true", help="cancel every open order of the symbol")


_EX_BALANCE = """  tradeexec balance
  tradeexec balance --json
"""
_EX_ORDERS = """  tradeexec orders --open
  tradeexec orders --symbol BTCUSDT          # full history of one symbol
  tradeexec orders --open --symbol BTCUSDT --json
"""
_EX_ORDER = """  tradeexec order buy BTCUSDT 0.001 --price 20000          # LIMIT GTC
  tradeexec order sell BTCUSDT 0.001                        # MARKET
  tradeexec order buy BTCUSDT 0.001 --price 20000 --tif IOC
  tradeexec order buy BTCUSDT 0.001 --price 20000 --test   # checked, not placed
  an order breaking a symbol filter is refused locally (exit 2) and never sent; the price
  band (PERCENT_PRICE_BY_SIDE) is checked against the exchange's current average price.
  a key that can move funds, or (on a real venue) has no IP whitelist, is refused (exit 2).
"""
_EX_CANCEL = """  tradeexec cancel BTCUSDT 12345
  tradeexec cancel BTCUSDT --all
"""


def _cmd_balance(args: argparse.Namespace) -> int:
    async def run(client: BinanceClient) -> int:
        acct = await client.account()
        rows = [{"asset": b.asset, "free": b.free, "locked": b.locked} for b in acct.balances
                if b.free or b.locked]  # fmt: skip
        emit(args, rows, lambda v: table([(r["asset"], r["free"], r["locked"]) for r in v],
                                         ("asset", "free", "locked")))  # fmt: skip
        return EXIT_OK

    return run_with_client(args, run)


def order_row(o: Any) -> dict[str, Any]:
    if isinstance(o, OrderList):
        return {"symbol": o.symbol, "orderListId": o.order_list_id, "status": str(o.list_order_status)}
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


def orders_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no orders"
    return table([[r.get(k, "") for k in _ORDER_KEYS] for r in rows], _ORDER_KEYS)


def _cmd_orders(args: argparse.Namespace) -> int:
    async def run(client: BinanceClient) -> int:
        symbol = args.symbol.upper() if args.symbol else None
        if args.open or symbol is None:
            found = await client.open_orders(symbol)
        else:
            found = await client.all_orders(symbol)
        emit(args, [order_row(o) for o in found], orders_table)
        return EXIT_OK

    return run_with_client(args, run)


def _cmd_order(args: argparse.Namespace) -> int:
    order_type = (args.order_type or ("LIMIT" if args.price is not None else "MARKET")).upper()
    tif = args.tif.upper() if args.tif else ("GTC" if order_type == "LIMIT" else None)

    async def run(client: BinanceClient) -> int:
        symbol, side = args.symbol.upper(), args.side.upper()
        await refuse_unsafe_key(client, allow_any_ip=args.allow_any_ip)
        # The price band (PERCENT_PRICE_BY_SIDE) and MARKET notionals are judged against the
        # live average price: fetched first, so a breach is refused here and never sent.
        rules = (await client.rules()).get(symbol)
        market = await price_context(client, rules) if rules is not None else None
        kwargs: dict[str, Any] = {
            "quantity": args.quantity, "price": args.price, "time_in_force": tif, "market": market,
        }  # fmt: skip
        if args.test:
            await client.test_order(symbol, side, order_type, **kwargs)
            emit(args, {"test": "ok"}, lambda _v: "test order accepted (nothing placed)")
            return EXIT_OK
        resp = await client.new_order(symbol, side, order_type, **kwargs)
        emit(args, order_row(resp), lambda v: orders_table([v]))
        return EXIT_OK

    return run_with_client(args, run)


def _cmd_cancel(args: argparse.Namespace) -> int:
    if args.all == (args.order_id is not None):
        raise InvalidParameter("ORDER_ID", "give exactly one of ORDER_ID or --all", "e.g. cancel X --all")

    async def run(client: BinanceClient) -> int:
        symbol = args.symbol.upper()
        if args.all:
            canceled: list[Any] = list(await client.cancel_all_orders(symbol))
        else:
            canceled = [await client.cancel_order(symbol, order_id=args.order_id)]
        emit(args, [order_row(o) for o in canceled], orders_table)
        return EXIT_OK

    return run_with_client(args, run)
