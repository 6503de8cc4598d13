"""Write the replay sample files shipped in ``src/tradeexec/sim/data/`` (deterministic: the
same bytes on every run, so tests never download anything).

Five minutes of a made-up BTCUSDT market in Binance's public-data layouts: spot aggTrades
(no header row, as the spot files come), futures-style bookTicker (with its header row) and
1m klines computed from the same trades. Run from the repository root:

    python scripts/make_replay_sample.py [OUT_DIR]

(``OUT_DIR`` defaults to the package's data folder; the tests write elsewhere and compare.)
"""

from __future__ import annotations

import csv
import random
import sys
from decimal import Decimal
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "tradeexec" / "sim" / "data"
SYMBOL = "BTCUSDT"
START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MINUTES = 5
TICK = Decimal("0.01")
BOOK_TICKER_HEADER = [
    "update_id", "best_bid_price", "best_bid_qty", "best_ask_price", "best_ask_qty",
    "transaction_time", "event_time",
]  # fmt: skip


def _qty(rng: random.Random, scale: float) -> Decimal:
    return Decimal(f"{max(0.00001, rng.lognormvariate(0.0, 1.0) * scale):.5f}")


def main(out: Path = OUT) -> None:
    rng = random.Random(20240101)
    mid = Decimal("42000.00")
    quotes: list[list[str]] = []
    trades: list[list[str]] = []
    update_id, agg_id, trade_id = 3_000_000_000, 1_000_000, 5_000_000
    t = START_MS
    end = START_MS + MINUTES * 60_000
    while t < end:
        t += rng.randint(50, 400)
        mid += TICK * rng.randint(-40, 40)
        spread = TICK * rng.choice((1, 1, 1, 2, 3))
        bid = mid - (spread / 2 // TICK) * TICK
        ask = bid + spread
        update_id += rng.randint(1, 50)
        quotes.append([str(update_id), f"{bid:.2f}", f"{_qty(rng, 0.4)}", f"{ask:.2f}", f"{_qty(rng, 0.4)}",
                       str(t), str(t + rng.randint(1, 8))])  # fmt: skip
        if rng.random() < 0.45:
            buyer_maker = rng.random() < 0.5
            price = bid if buyer_maker else ask
            first = trade_id + 1
            trade_id += rng.randint(1, 4)
            agg_id += 1
            trades.append([str(agg_id), f"{price:.8f}", f"{_qty(rng, 0.02):.8f}", str(first), str(trade_id),
                           str(t), "True" if buyer_maker else "False", "True"])  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"{SYMBOL}-bookTicker-sample.csv", "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(BOOK_TICKER_HEADER)
        writer.writerows(quotes)
    with open(out / f"{SYMBOL}-aggTrades-sample.csv", "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(trades)
    with open(out / f"{SYMBOL}-1m-sample.csv", "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(_klines(trades))


def _klines(trades: list[list[str]]) -> list[list[str]]:
    out: list[list[str]] = []
    for minute in range(MINUTES):
        open_t = START_MS + minute * 60_000
        rows = [r for r in trades if open_t <= int(r[5]) < open_t + 60_000]
        if not rows:
            continue
        prices = [Decimal(r[1]) for r in rows]
        qtys = [Decimal(r[2]) for r in rows]
        quote = sum((p * q for p, q in zip(prices, qtys, strict=True)), Decimal(0))
        buys = [(p, q) for p, q, r in zip(prices, qtys, rows, strict=True) if r[6] == "False"]
        out.append([
            str(open_t), f"{prices[0]:.8f}", f"{max(prices):.8f}", f"{min(prices):.8f}", f"{prices[-1]:.8f}",
            f"{sum(qtys):.8f}", str(open_t + 59_999), f"{quote:.8f}", str(len(rows)),
            f"{sum((q for _, q in buys), Decimal(0)):.8f}",
            f"{sum((p * q for p, q in buys), Decimal(0)):.8f}", "0",
        ])  # fmt: skip
    return out


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
