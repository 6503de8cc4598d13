"""A child process for the full-disk attacks: ``python -m tests.adversarial.disk_full_helpers
MODE JOURNAL`` runs the order manager against an in-process local exchange and fills the disk
for real by lowering ``RLIMIT_FSIZE`` to the journal's current size (SIGXFSZ ignored, so a
write past it fails with EFBIG, as on a full disk), then frees it again. It prints one JSON
line saying what the caller saw, what the exchange holds and what the journal says.

MODE ``mid_order``: the disk fills while a market buy is on the wire. ``budget``: the disk is
full for three submits, then two orders are placed under an order-rate budget of two."""

from __future__ import annotations

import asyncio
import json
import resource
import signal
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.venue import SpotVenue
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.risk import RiskLimits, RiskManager
from tradeexec.sim.exchange import LocalExchange

SYMBOL = "BTCUSDT"
BUY = OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=Decimal("0.01"))


def disk_full(journal: Path) -> None:
    """No file may grow past the write-ahead log as it is now (the file every commit grows;
    the journal checkpoints it to nothing at open, so the main file's size would leave room)."""
    wal = journal.with_name(journal.name + "-wal")
    limit = wal.stat().st_size if wal.exists() else journal.stat().st_size
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def disk_freed() -> None:
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))


class DiskFillingClient:
    """The real client; the disk fills as the next placement goes on the wire."""

    def __init__(self, client: BinanceClient, journal: Path) -> None:
        self._client = client
        self._journal = journal
        self.fill_on_next_order = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def place(self, *args: Any, **kwargs: Any) -> Any:
        """The manager's placements reach the wire here (``SpotVenue`` sends checked orders)."""
        if self.fill_on_next_order:
            self.fill_on_next_order = False
            disk_full(self._journal)
        return await self._client.place(*args, **kwargs)


def problem(om: OrderManager) -> str | None:
    """The manager's journal alarm (``getattr``: the child also runs the code before the fix)."""
    return getattr(om, "journal_problem", None)


async def _until(cond: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not cond() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return cond()


async def _submit(om: OrderManager, out: list[str]) -> Any:
    try:
        order = await om.submit(BUY)
    except Exception as exc:  # what the caller sees is the point
        out.append(f"raised {type(exc).__name__}: {exc}")
        return None
    out.append(f"returned {order.state}")
    return order


async def run(mode: str, journal_path: Path) -> dict[str, Any]:
    result: dict[str, Any] = {"calls": []}
    async with LocalExchange(market=False) as ex:
        ex.set_price(SYMBOL, "60000")
        ex.add_liquidity(SYMBOL, "SELL", "60000", "5")
        async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0) as rest:
            client = DiskFillingClient(rest, journal_path)
            limits = RiskLimits(max_orders_per_second=0.001, order_burst=2)
            journal = Journal(journal_path)
            om = OrderManager(
                SpotVenue(client),  # type: ignore[arg-type]
                journal,
                risk=RiskManager(limits),
                poll_interval_s=0.05,
                stale_after_s=0.05,
            )
            await om.start()
            order = None
            if mode == "budget":
                disk_full(journal_path)
                for _ in range(3):
                    await _submit(om, result["calls"])
                disk_freed()
                await _until(lambda: problem(om) is None, 10)
                for _ in range(2):
                    await _submit(om, result["calls"])
            else:
                client.fill_on_next_order = True
                order = await _submit(om, result["calls"])
                result["problem_while_full"] = problem(om)
                await _submit(om, result["calls"])  # refused while degraded, before anything
                result["state_while_full"] = None if order is None else str(order.state)
                disk_freed()
                result["caught_up"] = await _until(lambda: problem(om) is None, 10)
                result["problem_after"] = problem(om)
            await om.close()
            journal.close()
            result["exchange"] = [(o.client_order_id, str(o.status)) for o in await rest.all_orders(SYMBOL)]
    with Journal(journal_path) as reread:
        result["journal"] = {
            i.client_order_id: [str(d.state), str(d.executed_qty), str(d.filled_qty)]
            for i in reread.intents()
            if (d := reread.derive(i)) is not None
        }
    if order is not None:
        result["cid"] = order.client_order_id
    return result


def main() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    mode, journal = sys.argv[1], Path(sys.argv[2])
    print(json.dumps(asyncio.run(run(mode, journal))), flush=True)


if __name__ == "__main__":
    main()
