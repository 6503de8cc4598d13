"""Market-data commands: ``price``, ``book`` and ``klines``."""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tradeexec.binance.enums import KlineInterval
from tradeexec.binance.models import Kline
from tradeexec.cli.common import (
    EXIT_OK,
    add_command,
    emit,
    int_arg,
    run_with_client,
    table,
    text,
    time_arg,
    to_json,
)
from tradeexec.errors import InvalidParameter

if TYPE_CHECKING:
    from tradeexec.binance import BinanceClient

KLINE_PAGE = 1000
KLINE_COLUMNS = (
    "open_time", "open", "high", "low", "close", "volume", "close_time",
    "quote_volume", "trades", "taker_buy_base", "taker_buy_quote",
)  # fmt: skip


def register(sub: Any) -> None:
    price = add_command(sub, "price", "last price of a symbol", _EX_PRICE, _cmd_price)
    price.add_argument("symbol")

    book = add_command(sub, "book", "order book of a symbol", _EX_BOOK, _cmd_book)
    book.add_argument("symbol")
    book.add_argument("--depth", type=int_arg, default=10, help="levels per side (default 10)")

    klines = add_command(sub, "klines", "candles of a symbol over a time range", _EX_KLINES, _cmd_klines)
    klines.add_argument("symbol")
    klines.add_argument("interval", help="1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M")
    klines.add_argument("--start", type=time_arg, required=True, help="epoch ms or ISO date/time (UTC)")
    klines.add_argument("--end", type=time_arg, help="epoch ms or ISO date/time (UTC); default now")
    klines.add_argument("--out", help="write CSV here instead of standard output")


_EX_PRICE = """  tradeexec --base-url http://127.0.0.1:8765 price BTCUSDT
  tradeexec price ETHUSDT --json
"""
_EX_BOOK = """  tradeexec book BTCUSDT --depth 5
  tradeexec book BTCUSDT --json
"""
_EX_KLINES = """  tradeexec klines BTCUSDT 1h --start 2024-01-01 --end 2024-02-01 --out btc-1h.csv
  tradeexec klines ETHUSDT 1m --start 1704067200000 --json
  prices are written as the exchange sent them (decimal text, no float rounding);
  requests are paged by 1000 candles and paced by the client's rate-limit budgets.
"""


def _cmd_price(args: argparse.Namespace) -> int:
    async def run(client: BinanceClient) -> int:
        t = await client.ticker_price(args.symbol.upper())
        emit(args, {"symbol": t.symbol, "price": t.price}, lambda v: f"{v['symbol']} {text(v['price'])}")
        return EXIT_OK

    return run_with_client(args, run)


def _cmd_book(args: argparse.Namespace) -> int:
    if args.depth <= 0:
        raise InvalidParameter("--depth", "must be positive", str(args.depth))

    async def run(client: BinanceClient) -> int:
        b = await client.depth(args.symbol.upper(), limit=args.depth)
        value = {"lastUpdateId": b.last_update_id, "bids": b.bids, "asks": b.asks}

        def human(v: Any) -> str:
            rows = [(p, q, "ask") for p, q in reversed(v["asks"][: args.depth])]
            rows += [(p, q, "bid") for p, q in v["bids"][: args.depth]]
            return table(rows, ("price", "quantity", "side"))

        emit(args, value, human)
        return EXIT_OK

    return run_with_client(args, run)


class KlineSource(Protocol):
    async def klines(
        self, symbol: str, interval: KlineInterval | str, *, start_time: int | None = None,
        end_time: int | None = None, limit: int | None = None, time_zone: str | None = None,
    ) -> list[Kline]: ...  # fmt: skip


async def fetch_klines(
    client: KlineSource,
    symbol: str,
    interval: KlineInterval,
    start_ms: int,
    end_ms: int,
    *,
    page: int = KLINE_PAGE,
    progress: Callable[[int, int, int], None] = lambda _pages, _rows, _at: None,
) -> list[Kline]:
    """Every candle opening in ``[start_ms, end_ms]``, one request per ``page`` candles.

    The next page starts after the last candle received, so a gap in trading (no candle)
    costs nothing; the loop is bounded by the number of pages the range can hold, since an
    exchange that kept answering full pages would otherwise never end it.
    """
    out: list[Kline] = []
    step = interval.milliseconds
    max_pages = (end_ms - start_ms) // (step * page) + 2
    cursor = start_ms
    for pages in range(1, max_pages + 1):
        got = await client.klines(symbol, interval, start_time=cursor, end_time=end_ms, limit=page)
        # Binance's candles open at or after startTime; drop any that do not (an exchange
        # counting the candle that contains startTime), so no candle is written twice.
        out.extend(k for k in got if k.open_time >= cursor)
        progress(pages, len(out), got[-1].open_time if got else end_ms)
        if len(got) < page:
            break
        cursor = got[-1].open_time + 1
    return out


def klines_csv(rows: Sequence[Kline]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(KLINE_COLUMNS)
    for k in rows:
        writer.writerow([text(getattr(k, c)) for c in KLINE_COLUMNS])
    return buf.getvalue()


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cmd_klines(args: argparse.Namespace) -> int:
    try:
        interval = KlineInterval(args.interval)
    except ValueError:
        raise InvalidParameter("interval", "unknown kline interval", args.interval) from None
    end = args.end if args.end is not None else int(time.time() * 1000)
    if args.start > end:
        raise InvalidParameter("--start", "must not be after --end", f"{_iso(args.start)} > {_iso(end)}")
    symbol = args.symbol.upper()

    async def run(client: BinanceClient) -> int:
        def progress(pages: int, rows: int, at_ms: int) -> None:
            weight = next(
                (f"{u.used}/{u.limit}" for usages in client.rate_limit_usage().values() for u in usages
                 if u.rate_limit_type == "REQUEST_WEIGHT"), "?",
            )  # fmt: skip
            done = min(100, 100 * (at_ms - args.start) // max(1, end - args.start))
            sys.stderr.write(
                f"klines {symbol} {interval}: page {pages}, {rows} candles, up to {_iso(at_ms)}"
                f" ({done}%), request weight {weight}\n"
            )
            sys.stderr.flush()

        fetched.extend(await fetch_klines(client, symbol, interval, args.start, end, progress=progress))
        return EXIT_OK

    fetched: list[Kline] = []
    code = run_with_client(args, run)
    if args.out:
        Path(args.out).write_text(klines_csv(fetched), encoding="utf-8")
        summary = {"symbol": symbol, "interval": str(interval), "candles": len(fetched), "out": args.out}
        emit(args, summary, lambda v: f"wrote {v['candles']} candles to {v['out']}")
    elif args.json:
        sys.stdout.write(to_json([{c: getattr(k, c) for c in KLINE_COLUMNS} for k in fetched]) + "\n")
    else:
        sys.stdout.write(klines_csv(fetched))
    return code
