"""``--product usdm`` of the commands spot and USDT-M futures share: ``balance``, ``orders``,
``order`` and ``cancel``.

A futures account has two kinds of open order: plain ones (LIMIT, MARKET) in the book, and
conditional ones (STOP_MARKET, TAKE_PROFIT, ...) that Binance's Algo Service holds until
their trigger, in their own id space (``algoId``, ``clientAlgoId``). A trader who asks for
"my open orders" must see both, and "cancel all" must cancel both: a forgotten stop that
triggers after a manual close opens a position nobody wanted. So ``orders`` lists both
(column ``kind``) and ``cancel --all`` cancels both.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tradeexec.binance.models.futures_market import FuturesBookTicker
from tradeexec.binance.rest.futures_algo import CONDITIONAL_TYPES
from tradeexec.cli.common import (
    EXIT_OK,
    UsageError,
    decimal_arg,
    emit,
    iso_time,
    refuse_unsafe_key,
    run_with_client,
    table,
)
from tradeexec.cli.fat_finger import check_fat_finger, max_deviation
from tradeexec.errors import InvalidParameter

if TYPE_CHECKING:
    from tradeexec.binance import BinanceClient

PRODUCTS = ("spot", "usdm")
_KEYS = ("kind", "symbol", "orderId", "side", "positionSide", "type", "price", "triggerPrice", "origQty",
         "executedQty", "avgPrice", "reduceOnly", "status", "time")  # fmt: skip
_LEGS = ("BOTH", "LONG", "SHORT")


def add_product(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--product", type=str.lower, choices=PRODUCTS, default="spot",
        help="spot (default) or usdm (USDT-M futures, /fapi)",
    )  # fmt: skip


def add_futures_order_flags(p: argparse.ArgumentParser) -> None:
    """The flags only a futures order takes (refused with ``--product spot``)."""
    p.add_argument("--reduce-only", action="store_true", help="usdm: only ever shrink the position")
    p.add_argument("--position-side", help="usdm: BOTH (one-way mode), LONG or SHORT (hedge mode)")
    p.add_argument(
        "--trigger-price", type=decimal_arg, metavar="PRICE",
        help="usdm: for STOP, STOP_MARKET, TAKE_PROFIT, TAKE_PROFIT_MARKET (an Algo Service order)",
    )  # fmt: skip


def refuse_futures_flags(args: argparse.Namespace) -> None:
    """A spot order with a futures-only flag is refused, not sent without it."""
    for flag, value in (("--reduce-only", args.reduce_only), ("--position-side", args.position_side),
                        ("--trigger-price", args.trigger_price)):  # fmt: skip
        if value:
            raise UsageError(f"{flag} is for futures orders only", "add --product usdm, or drop the flag")


def order_row(o: Any) -> dict[str, Any]:
    """A plain futures order (answer, query or history) as one row."""
    return {
        "kind": "order", "symbol": o.symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id,
        "side": str(o.side), "positionSide": o.position_side, "type": o.type, "price": o.price,
        "triggerPrice": o.stop_price or None, "origQty": o.orig_qty, "executedQty": o.executed_qty,
        "avgPrice": o.avg_price or None, "reduceOnly": o.reduce_only, "status": o.status,
        "time": iso_time(o.update_time),
    }  # fmt: skip


def algo_row(o: Any) -> dict[str, Any]:
    """A conditional (Algo Service) order as one row; ``orderId`` is its ``algoId``."""
    return {
        "kind": "algo", "symbol": o.symbol, "orderId": o.algo_id, "clientOrderId": o.client_algo_id,
        "side": o.side, "positionSide": o.position_side, "type": o.order_type, "price": o.price or None,
        "triggerPrice": o.trigger_price, "origQty": o.quantity, "executedQty": None, "avgPrice": None,
        "reduceOnly": o.reduce_only, "status": o.algo_status, "time": iso_time(o.update_time),
    }  # fmt: skip


def rows_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no orders"
    return table([["-" if r.get(k) is None else r[k] for k in _KEYS] for r in rows], _KEYS)


def cmd_balance(args: argparse.Namespace) -> int:
    async def run(client: BinanceClient) -> int:
        found = await client.futures_balance()
        rows = [{"asset": b.asset, "balance": b.balance, "available": b.available_balance,
                 "crossUnPnl": b.cross_un_pnl} for b in found if b.balance or b.cross_un_pnl]  # fmt: skip
        keys = ("asset", "balance", "available", "crossUnPnl")
        emit(args, rows, lambda v: table([[r[k] for k in keys] for r in v], keys) if v else "no balance")
        return EXIT_OK

    return run_with_client(args, run)


def cmd_orders(args: argparse.Namespace, symbol: str | None, history: bool) -> int:
    async def run(client: BinanceClient) -> int:
        if history and symbol:
            rows = [order_row(o) for o in await client.futures_all_orders(symbol)]
            shown = f"every futures order of {symbol}, open and closed (conditional ones: tradeexec orders)"
        else:
            rows = [order_row(o) for o in await client.futures_open_orders(symbol)]
            rows += [algo_row(o) for o in await client.futures_open_algo_orders(symbol)]
            shown = f"open futures orders of {symbol or 'every symbol'} (plain and conditional)"
        emit(args, rows, lambda v: f"{shown}:\n{rows_table(v)}")
        return EXIT_OK

    return run_with_client(args, run)


def _order_shape(args: argparse.Namespace) -> tuple[str, str | None, str | None]:
    """(type, time in force, position side), checked before anything is sent."""
    if args.quote_qty is not None:
        raise UsageError("--quote-qty is for spot MARKET orders", "give QUANTITY in contracts (base asset)")
    if args.quantity is None:
        raise InvalidParameter("QUANTITY", "is required for a futures order", "e.g. order buy BTCUSDT 0.01")
    if args.test:
        raise UsageError("--test is for spot orders", "drop --test")
    order_type = (args.order_type or ("LIMIT" if args.price is not None else "MARKET")).upper()
    allowed = {"LIMIT", "MARKET", *CONDITIONAL_TYPES} - {"TRAILING_STOP_MARKET"}
    if order_type not in allowed:
        raise InvalidParameter("--type", f"must be one of {', '.join(sorted(allowed))}", repr(order_type))
    conditional = order_type in CONDITIONAL_TYPES
    if conditional != (args.trigger_price is not None):
        rule = "is required for" if conditional else "is only for conditional types, not"
        raise InvalidParameter("--trigger-price", f"{rule} {order_type}", "see --help")
    if order_type in {"LIMIT", "STOP", "TAKE_PROFIT"} and args.price is None:
        raise InvalidParameter("--price", f"is required for {order_type}", "e.g. --price 60000")
    if order_type in {"MARKET", "STOP_MARKET", "TAKE_PROFIT_MARKET"} and args.price is not None:
        raise InvalidParameter("--price", f"is not taken by {order_type}", "drop --price or use --type LIMIT")
    leg = args.position_side.upper() if args.position_side else None
    if leg is not None and leg not in _LEGS:
        raise InvalidParameter("--position-side", "must be BOTH, LONG or SHORT", repr(args.position_side))
    tif = args.tif.upper() if args.tif else ("GTC" if args.price is not None else None)
    return order_type, tif, leg


def cmd_order(args: argparse.Namespace) -> int:
    order_type, tif, leg = _order_shape(args)
    symbol, side = args.symbol.upper(), args.side.upper()

    async def run(client: BinanceClient) -> int:
        await refuse_unsafe_key(client, allow_any_ip=args.allow_any_ip)
        if args.price is not None and not args.allow_far_price:
            top = await client.request(
                "GET", "/fapi/v1/ticker/bookTicker", {"symbol": symbol}, model=FuturesBookTicker
            )
            if top.bid_price and top.ask_price:
                check_fat_finger(side, args.price, (top.bid_price + top.ask_price) / 2, max_deviation(args))
        common: dict[str, Any] = {
            "quantity": args.quantity, "price": args.price, "time_in_force": tif, "position_side": leg,
            "reduce_only": True if args.reduce_only else None,
        }  # fmt: skip
        if order_type in CONDITIONAL_TYPES:
            algo = await client.futures_new_algo_order(
                symbol, side, order_type, trigger_price=args.trigger_price, **common
            )
            row = algo_row(algo)
        else:
            row = order_row(
                await client.futures_new_order(
                    symbol, side, order_type, new_order_resp_type="RESULT", **common
                )
            )
        emit(args, row, lambda v: rows_table([v]))
        return EXIT_OK

    return run_with_client(args, run)


def cmd_cancel(args: argparse.Namespace) -> int:
    given = [args.order_id is not None, args.client_id is not None, args.all, args.algo_id is not None]
    if sum(given) != 1:
        raise InvalidParameter(
            "ORDER_ID", "give exactly one of ORDER_ID, --client-id, --algo-id or --all", "e.g. cancel X --all"
        )
    symbol = args.symbol.upper()

    async def run(client: BinanceClient) -> int:
        rows: list[dict[str, Any]] = []
        if args.all:
            # The answer to cancel-all names no order: the open ones are read first and each
            # read back after, so the user sees how each ended (one may have filled meanwhile).
            was_open = await client.futures_open_orders(symbol)
            await client.futures_cancel_all_orders(symbol)
            for o in was_open:
                rows.append(order_row(await client.futures_get_order(symbol, order_id=o.order_id)))
            for algo in await client.futures_open_algo_orders(symbol):
                await client.futures_cancel_algo_order(symbol, algo_id=algo.algo_id)
                rows.append({**algo_row(algo), "status": "CANCELED"})
        elif args.algo_id is not None:
            done = await client.futures_cancel_algo_order(symbol, algo_id=args.algo_id)
            rows = [{"kind": "algo", "symbol": symbol, "orderId": done.algo_id, "status": "CANCELED"}]
        else:
            canceled = await client.futures_cancel_order(
                symbol, order_id=args.order_id, orig_client_order_id=args.client_id
            )
            rows = [order_row(canceled)]
        emit(args, rows, rows_table)
        return EXIT_OK

    return run_with_client(args, run)
