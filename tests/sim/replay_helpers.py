"""Binance public-data rows in every published layout, for the replay tests: the same three
events (two trades and a quote, or one candle) written the way each file type comes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import tradeexec.sim

DATA = Path(tradeexec.sim.__file__).resolve().parent / "data"
T0 = 1_704_067_200_000  # ms

LAYOUTS: dict[str, tuple[str, list[str]]] = {
    # name: (header row, data rows) -- the header is used only when a test asks for one
    "aggTrades-spot": (
        "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match",
        [f"1,42000.10,0.5,10,11,{T0},True,True", f"2,42000.30,0.25,12,12,{T0 + 500},False,True"],
    ),
    "aggTrades-futures": (
        "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker",
        [f"1,42000.10,0.5,10,11,{T0},true", f"2,42000.30,0.25,12,12,{T0 + 500},false"],
    ),
    "trades-spot": (
        "id,price,qty,quote_qty,time,is_buyer_maker,is_best_match",
        [f"10,42000.10,0.5,21000.05,{T0},True,True", f"11,42000.30,0.25,10500.075,{T0 + 500},False,True"],
    ),
    "trades-futures": (
        "id,price,qty,quote_qty,time,is_buyer_maker",
        [f"10,42000.10,0.5,21000.05,{T0},true", f"11,42000.30,0.25,10500.075,{T0 + 500},false"],
    ),
    "bookTicker": (
        "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time",
        [
            f"100,42000.10,1.5,42000.30,2.5,{T0},{T0 + 3}",
            f"101,42000.20,1.0,42000.25,0.5,{T0 + 500},{T0 + 501}",
        ],
    ),
    "klines": (
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
        "taker_buy_quote_volume,ignore",
        [f"{T0},42000,42100,41900,42050,8,{T0 + 59_999},336000,100,4,168000,0"],
    ),
}


def micro(row: str) -> str:
    """The same row with its millisecond times in microseconds (spot files since 2025)."""
    return ",".join(c + "000" if c.isdigit() and len(c) == 13 else c for c in row.split(","))


def write(tmp: Path, name: str, rows: list[str], *, header: str | None, zipped: bool) -> Path:
    text = "\n".join(([header] if header else []) + rows) + "\n"
    path = tmp / f"{name}.csv"
    path.write_text(text)
    if not zipped:
        return path
    archive = tmp / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(path, path.name)
    path.unlink()
    return archive
