"""``tradeexec order``: place one order from the command line, with a fat-finger check.

A price typed by hand is one slipped digit away from buying at twice the market. Before a
priced order is sent, the mark (the book's mid, the last price when one side is empty) is
read and a BUY priced more than ``--max-deviation`` percent above it, or a SELL that far
below it, is refused locally (exit 2) naming the rule and the distance; ``--allow-far-price``
sends it anyway. A price far on the passive side is only a resting order and is let through.
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradeexec.binance.rest.price_context import price_context
from tradeexec.cli import futures_orders
from tradeexec.cli.account import order_row, orders_table
from tradeexec.cli.common import (
    EXIT_OK,
    UsageError,
    add_command,
    decimal_arg,
    emit,
    refuse_unsafe_key,
    run_with_client,
)
from tradeexec.cli.fat_finger import MAX_DEVIATION_PCT, check_fat_finger, max_deviation
from tradeexec.cli.futures_orders import add_futures_order_flags, add_product
from tradeexec.errors import InvalidParameter

if TYPE_CHECKING:
    from tradeexec.binance import BinanceClient

_PRICED = {"LIMIT", "LIMIT_MAKER"}

_EX_ORDER = """  tradeexec order buy BTCUSDT 0.001 --price 20000          # LIMIT GTC
  tradeexec order SELL BTCUSDT 0.001                        # MARKET (sides and types in any case)
  tradeexec order buy BTCUSDT --quote-qty 100               # MARKET, spend 100 USDT
  tradeexec order buy BTCUSDT 0.001 --price 20000 --tif IOC
  tradeexec order buy BTCUSDT 0.001 --price 20000 --test   # checked, not placed
  tradeexec order buy BTCUSDT 0.001 --price 99000 --allow-far-price
  an order breaking a symbol filter, or priced more than 5% through the mark, is refused
  locally (exit 2) and never sent. The answer shows the average price, the executed
  quantity, the fees and the transaction time. The price band (PERCENT_PRICE_BY_SIDE) is
  checked against the exchange's current average price. A key that can move funds, or (on a
  real venue) has no IP whitelist, is refused (exit 2).
  tradeexec order sell BTCUSDT 0.01 --product usdm                      # futures MARKET
  tradeexec order buy BTCUSDT 0.01 --price 59000 --product usdm --position-side LONG
  tradeexec order sell BTCUSDT 0.01 --product usdm --reduce-only --type STOP_MARKET --trigger-price 58000
  (futures: conditional types go to the Algo Service; no --quote-qty, no --test)
"""


def register(sub: Any) -> None:
    order = add_command(sub, "order", "place an order", _EX_ORDER, _cmd_order)
    add_product(order)
    order.add_argument("side", type=str.lower, choices=["buy", "sell"])
    order.add_argument("symbol")
    order.add_argument("quantity", type=decimal_arg, nargs="?", help="base quantity (or --quote-qty)")
    order.add_argument("--quote-qty", type=decimal_arg, help="MARKET only: quote to spend or receive")
    order.add_argument("--price", type=decimal_arg)
    order.add_argument("--type", dest="order_type", help="LIMIT (default with --price) or MARKET, any case")
    order.add_argument("--tif", help="GTC (default for LIMIT), IOC, FOK")
    order.add_argument("--test", action="store_true", help="validate on the exchange without placing")
    order.add_argument(
        "--max-deviation", type=decimal_arg, metavar="PCT",
        help="refuse a price more than PCT%% through the mark (default: [risk] max_price_deviation_pct "
        f"of the config file, else {MAX_DEVIATION_PCT})",
    )  # fmt: skip
    order.add_argument("--allow-far-price", action="store_true", help="skip the fat-finger check")
    order.add_argument(
        "--allow-any-ip", action="store_true",
        help="trade with a key that has no IP whitelist on a real venue (not advised)",
    )  # fmt: skip
    add_futures_order_flags(order)


async def _mark(client: BinanceClient, symbol: str) -> Decimal | None:
    top = await client.book_ticker(symbol)
    if top.bid_price and top.ask_price:
        return (top.bid_price + top.ask_price) / 2
    return (await client.ticker_price(symbol)).price or None


def _cmd_order(args: argparse.Namespace) -> int:
    if args.product == "usdm":
        return futures_orders.cmd_order(args)
    futures_orders.refuse_futures_flags(args)
    if (args.quantity is None) == (args.quote_qty is None):
        raise UsageError("give exactly one of QUANTITY and --quote-qty", "e.g. order buy BTCUSDT 0.001")
    for flag, value in (("--type", args.order_type), ("--tif", args.tif)):
        if value is not None and not value.strip():
            raise InvalidParameter(flag, "must not be empty", "e.g. --type LIMIT --tif GTC")
    order_type = (args.order_type or ("LIMIT" if args.price is not None else "MARKET")).upper()
    if args.quote_qty is not None and order_type != "MARKET":
        raise UsageError(f"--quote-qty is for MARKET orders, not {order_type}", "drop --price / --type")
    tif = args.tif.upper() if args.tif else ("GTC" if order_type == "LIMIT" else None)

    async def run(client: BinanceClient) -> int:
        symbol, side = args.symbol.upper(), args.side.upper()
        await refuse_unsafe_key(client, allow_any_ip=args.allow_any_ip)
        if args.price is not None and order_type in _PRICED and not args.allow_far_price:
            # exchangeInfo first (the order needs it anyway): an unlisted symbol is then
            # refused locally, before the mark is asked for.
            await client.rules()
            mark = await _mark(client, symbol)
            if mark is not None:  # a symbol nothing has traded in yet has no mark to be far from
                check_fat_finger(side, args.price, mark, max_deviation(args))
        # The price band (PERCENT_PRICE_BY_SIDE) and MARKET notionals are judged against the
        # live average price: fetched first, so a breach is refused here and never sent.
        rules = (await client.rules()).get(symbol)
        market = await price_context(client, rules) if rules is not None else None
        kwargs: dict[str, Any] = {
            "quantity": args.quantity, "quote_order_qty": args.quote_qty, "price": args.price,
            "time_in_force": tif, "market": market,
        }  # fmt: skip
        if args.test:
            await client.test_order(symbol, side, order_type, **kwargs)
            emit(args, {"test": "ok"}, lambda _v: "test order accepted (nothing placed)")
            return EXIT_OK
        resp = await client.new_order(symbol, side, order_type, **kwargs)
        emit(args, order_row(resp), lambda v: orders_table([v]))
        return EXIT_OK

    return run_with_client(args, run)
