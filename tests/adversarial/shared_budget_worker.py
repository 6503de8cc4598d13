"""One trading process of the shared-budget test: ``python -m tests.adversarial.shared_budget_worker
REST_URL N SYMBOLS BUDGET`` with the key in ``BINANCE_API_KEY``/``BINANCE_API_SECRET`` (never in
argv). It learns the rate limits from exchangeInfo, places N resting orders round-robin over
the comma-separated SYMBOLS, all at once, with no retries, and prints one JSON line: orders placed and
every refusal by rate limit (-1015, HTTP 429 or 418). BUDGET is a directory to share the
rate-limit budget in, or ``off``. It says ``ready`` and waits for a line on stdin before the
first order, so that two workers trade at the same time."""

from __future__ import annotations

import asyncio
import json
import sys

from tradeexec.binance.client import BinanceClient
from tradeexec.errors import BinanceAPIError

PRICES = {"BTCUSDT": "30000", "ETHUSDT": "1500", "BNBUSDT": "250"}
QUANTITIES = {"BTCUSDT": "0.001", "ETHUSDT": "0.01", "BNBUSDT": "0.1"}


async def main(rest_url: str, n: int, symbols: list[str], budget: str) -> dict[str, object]:
    placed = 0
    refused: list[str] = []
    async with BinanceClient(
        base_url=rest_url, max_retries=0, shared_budget=False if budget == "off" else budget
    ) as client:
        await client.exchange_info()  # the exchange's rate limits replace the defaults
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # both processes start together

        async def place(symbol: str) -> None:
            nonlocal placed
            try:
                await client.new_order(
                    symbol, "BUY", "LIMIT", quantity=QUANTITIES[symbol], price=PRICES[symbol],
                    time_in_force="GTC", new_order_resp_type="ACK",
                )  # fmt: skip
                placed += 1
            except BinanceAPIError as exc:
                if exc.code == -1015 or exc.http_status in (418, 429):
                    refused.append(f"{exc.http_status} {exc.code}")
                else:
                    raise

        # All at once, as a strategy reacting on many symbols does: the limiter paces them.
        await asyncio.gather(*(place(symbols[i % len(symbols)]) for i in range(n)))
    return {"placed": placed, "refused": refused}


if __name__ == "__main__":
    url, count, names, where = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4]
    print(json.dumps(asyncio.run(main(url, count, names, where))), flush=True)
