"""Replay of Binance's public historical data (data.binance.vision) on the local exchange.

Readers turn the published CSV files — aggTrades, trades, bookTicker and klines, with or
without their header row, plain or in the published zip — into one kind of record: a quote
(best bid and ask) or a print (a trade at a price). The player re-creates the market those
records describe: the maker's ladder (``quoter``) around each recorded best bid/ask, holding
the recorded sizes at the best levels (the levels behind them are synthetic), and each
recorded trade printed at its recorded price and size. Users' orders sit in the same book, so
they fill when the replayed market trades through them, in queue order at the same price.

Layouts (data.binance.vision, binance-public-data README):
  aggTrades spot     id, price, qty, first id, last id, time, isBuyerMaker, isBestMatch
  aggTrades futures  agg_trade_id, price, quantity, first_trade_id, last_trade_id,
                     transact_time, is_buyer_maker
  trades             id, price, qty, quoteQty, time, isBuyerMaker[, isBestMatch]
  bookTicker         update_id, best_bid_price, best_bid_qty, best_ask_price, best_ask_qty,
                     transaction_time, event_time   (futures only; always with a header)
  klines             open time, open, high, low, close, volume, close time, quote volume,
                     count, taker buy volume, taker buy quote volume, ignore
Spot timestamps are in microseconds since 2025; both units are accepted.
"""

from __future__ import annotations

import csv
import heapq
import io
import random
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

from tradeexec.binance.enums import OrderType, SelfTradePreventionMode, Side, TimeInForce
from tradeexec.errors import ConfigError
from tradeexec.sim.engine import EngineReject, OrderRequest
from tradeexec.sim.market.quoter import Quoter
from tradeexec.sim.market.synthetic import MAKER, ensure_accounts, grid_of, shape_params
from tradeexec.sim.state import SimState

TAPE = "__sim_tape__"


class Kind(StrEnum):
    AGG_TRADES = "aggTrades"
    TRADES = "trades"
    BOOK_TICKER = "bookTicker"
    KLINES = "klines"


@dataclass(slots=True, frozen=True)
class Quote:
    time_ms: int
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal


@dataclass(slots=True, frozen=True)
class Print:
    """A trade; ``buyer_maker`` says the seller took (the trade was at the bid)."""

    time_ms: int
    price: Decimal
    qty: Decimal
    buyer_maker: bool


Record = Quote | Print


def _ms(t: int) -> int:
    """Public data switched to microseconds in 2025; both are accepted."""
    return t // 1000 if t > 10**14 else t


def _bool(text: str) -> bool:
    return text.strip().lower() == "true"


# ---------------------------------------------------------------------------- reading


def _rows(path: Path) -> Iterator[list[str]]:
    """CSV rows of a file or of the CSV inside a published zip."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith(".csv")]
            if not names:
                raise ConfigError(f"replay file {path}: the zip holds no .csv file")
            with zf.open(names[0]) as raw:
                yield from csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        return
    with open(path, newline="", encoding="utf-8") as fh:
        yield from csv.reader(fh)


def _is_data(row: list[str]) -> bool:
    return bool(row) and row[0].strip().isdigit()


def detect(path: Path, first: list[str], header: list[str] | None) -> Kind:
    """The layout of a file: from its header if it has one, else from its name, else from
    the shape of its first row."""
    if header is not None:
        names = {h.strip().lower() for h in header}
        if "best_bid_price" in names:
            return Kind.BOOK_TICKER
        if "agg_trade_id" in names:
            return Kind.AGG_TRADES
        if "open_time" in names:
            return Kind.KLINES
        if "quote_qty" in names or "quoteqty" in names:
            return Kind.TRADES
    name = path.name
    for kind in (Kind.AGG_TRADES, Kind.BOOK_TICKER, Kind.TRADES):
        if f"-{kind.value}-" in name or name.startswith(f"{kind.value}-"):
            return kind
    if len(first) == 12:
        return Kind.KLINES
    if len(first) == 8:
        return Kind.AGG_TRADES
    if len(first) in (6, 7) and first[-1].strip().lower() in ("true", "false"):
        # trades end with two booleans (spot) or one after quoteQty (futures); aggTrades
        # futures end with one boolean after two integer ids
        return (
            Kind.TRADES
            if first[5].strip().lower() in ("true", "false") or len(first) == 6
            else Kind.AGG_TRADES
        )
    if len(first) == 7:
        return Kind.BOOK_TICKER
    raise ConfigError(
        f"replay file {path}: cannot tell the layout of a {len(first)}-column row; expected Binance "
        "public-data aggTrades, trades, bookTicker or klines"
    )


def read(path: str | Path) -> tuple[Kind, Generator[Record, None, None]]:
    """The file's layout and its records in file order. Raises ``ConfigError`` naming the
    file when it is missing, empty or of an unknown layout."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"replay file {p}: no such file")
    rows = _rows(p)
    header: list[str] | None = None
    first: list[str] | None = None
    for row in rows:
        if _is_data(row):
            first = row
            break
        if row and header is None:
            header = row
    if first is None:
        raise ConfigError(f"replay file {p}: no data rows")
    kind = detect(p, first, header)
    return kind, _records(p, kind, _chain(first, rows))


def _chain(first: list[str], rows: Iterable[list[str]]) -> Iterator[list[str]]:
    yield first
    yield from rows


def _records(path: Path, kind: Kind, rows: Iterable[list[str]]) -> Generator[Record, None, None]:
    line = 0
    for row in rows:
        line += 1
        if not _is_data(row):
            continue
        try:
            yield from _parse(kind, row)
        except (IndexError, ValueError, InvalidOperation) as exc:
            raise ConfigError(
                f"replay file {path}: data row {line} is not a valid {kind.value} row: {row!r}"
            ) from exc


def _parse(kind: Kind, row: list[str]) -> Iterator[Record]:
    if kind is Kind.AGG_TRADES:
        yield Print(_ms(int(row[5])), Decimal(row[1]), Decimal(row[2]), _bool(row[6]))
    elif kind is Kind.TRADES:
        yield Print(_ms(int(row[4])), Decimal(row[1]), Decimal(row[2]), _bool(row[5]))
    elif kind is Kind.BOOK_TICKER:
        yield Quote(_ms(int(row[5])), Decimal(row[1]), Decimal(row[2]), Decimal(row[3]), Decimal(row[4]))
    else:
        # A candle replays as four prints over its duration: open, the nearer extreme, the
        # other extreme, close (the path that keeps the extremes' order plausible).
        open_t, close_t = _ms(int(row[0])), _ms(int(row[6]))
        o, h, low, c = (Decimal(row[i]) for i in (1, 2, 3, 4))
        qty = Decimal(row[5]) / 4
        path = (o, low, h, c) if o - low < h - o else (o, h, low, c)
        quarter = (close_t - open_t) // 4
        previous = o
        for i, price in enumerate(path):
            yield Print(open_t + i * quarter, price, qty, price < previous)
            previous = price


def symbol_of(path: str | Path) -> str:
    """``BTCUSDT-aggTrades-2024-01-01.zip`` -> ``BTCUSDT`` (also ``sample-BTCUSDT-...``)."""
    parts = Path(path).name.split("-")
    candidates = [p for p in parts if p.isalnum() and p.isupper() and not p.isdigit()]
    return candidates[0] if candidates else ""


# ---------------------------------------------------------------------------- playing


class Player:
    """Applies records to the exchange: quotes move the maker's ladder, prints trade."""

    def __init__(self, state: SimState, symbol: str, *, seed: int = 0) -> None:
        if symbol not in state.symbol_info:
            raise ConfigError(f"replay symbol {symbol!r} is not a symbol of this exchange")
        self.state = state
        self.symbol = symbol
        self.grid = grid_of(state, symbol)
        self.params = shape_params(state, symbol)
        self.quoter = Quoter(state, MAKER, random.Random(seed), refresh=0)
        self._last_mid: Decimal | None = None
        self.count = 0

    def close(self) -> None:
        self.quoter.close()

    def apply(self, record: Record) -> None:
        ensure_accounts(self.state, (MAKER, TAPE))
        if isinstance(record, Quote):
            bid = self.grid.floor_price(record.bid)
            ask = max(self.grid.ceil_price(record.ask), bid + self.grid.tick)
            self._move((bid, ask))
            # the best levels hold what was recorded there
            self.quoter.resize(self.symbol, Side.BUY, bid, self.grid.qty(record.bid_qty))
            self.quoter.resize(self.symbol, Side.SELL, ask, self.grid.qty(record.ask_qty))
        else:
            price = self.grid.floor_price(record.price)
            if price <= 0:
                return
            # The print's price is the touch the taker met: the bid if the seller took.
            top = (price, price + self.grid.tick) if record.buyer_maker else (price - self.grid.tick, price)
            if top[0] > 0:
                self._move(top)
            self._print(price, self.grid.qty(record.qty), record.buyer_maker)
        self.count += 1

    def _move(self, top: tuple[Decimal, Decimal]) -> None:
        mid = (top[0] + top[1]) / 2
        rising = self._last_mid is not None and mid > self._last_mid
        self._last_mid = mid
        self.quoter.requote(self.symbol, top, self.params, self.grid, rising=rising)

    def _print(self, price: Decimal, qty: Decimal, buyer_maker: bool) -> None:
        """``qty`` trades at ``price``: the tape rests it behind whatever already waits at
        that price and takes it back with an IOC, so orders queued ahead (the maker's, a
        user's) fill first, then cancels what of its own order is left."""
        engine, now = self.state.engine, self.state.now_ms()
        rest_side, take_side = (Side.BUY, Side.SELL) if buyer_maker else (Side.SELL, Side.BUY)
        resting = None
        for side, tif in ((rest_side, TimeInForce.GTC), (take_side, TimeInForce.IOC)):
            req = OrderRequest(
                self.symbol, side, OrderType.LIMIT, quantity=qty, price=price, time_in_force=tif,
                stp_mode=SelfTradePreventionMode.NONE,
            )  # fmt: skip
            try:
                result = engine.place(TAPE, req, now)
            except EngineReject:
                return
            self.state.publish(result.events)
            resting = resting or result.order
        if resting is not None:
            try:
                _, events = engine.cancel(TAPE, self.symbol, order_id=resting.order_id, now_ms=now)
            except EngineReject:
                return  # fully traded
            self.state.publish(events)


async def play(
    state: SimState, sources: Sequence[tuple[str, Iterable[Record]]], *, speed: float = 1.0
) -> int:
    """Apply the records of every (symbol, records) source merged in time order, waiting the
    recorded gaps divided by ``speed`` in market time (0: no waiting). Returns how many
    records were applied."""
    players = {symbol: Player(state, symbol, seed=state.config.seed) for symbol, _ in sources}
    tagged = [((r.time_ms, n, symbol, r) for r in records) for n, (symbol, records) in enumerate(sources)]
    previous: int | None = None
    try:
        for time_ms, _, symbol, record in heapq.merge(*tagged, key=lambda t: (t[0], t[1])):
            if previous is not None and speed > 0 and time_ms > previous:
                await state.clock.sleep((time_ms - previous) / speed)
            previous = time_ms
            players[symbol].apply(record)
    finally:
        for player in players.values():
            player.close()
    return sum(p.count for p in players.values())


def check_replay_config(state: SimState) -> list[tuple[str, Kind]]:
    """The symbol and layout of each configured replay file, checked before the exchange
    starts: a clear error naming the file or setting beats a replay task that dies in the
    background."""
    cfg = state.config.market
    out = []
    for path in cfg.replay_files:
        kind, records = read(path)
        records.close()
        symbol = cfg.replay_symbol or symbol_of(path)
        if symbol not in state.symbol_info:
            raise ConfigError(
                f"replay file {path}: symbol {symbol or '(none in the file name)'!r} is not a symbol of "
                "this exchange; name the file <SYMBOL>-... or set market.replay_symbol"
            )
        out.append((symbol, kind))
    return out


async def run_configured(state: SimState) -> int:
    """The replay task of ``LocalExchange``: plays the configured files once, then leaves the
    last book standing. Returns how many records were applied."""
    checked = check_replay_config(state)
    sources = [
        (symbol, read(path)[1])
        for (symbol, _), path in zip(checked, state.config.market.replay_files, strict=True)
    ]
    return await play(state, sources, speed=state.config.market.replay_speed)
