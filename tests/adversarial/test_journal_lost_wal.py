"""A journal whose write-ahead log was lost (emptied by a power loss under
``synchronous=NORMAL``, or removed) silently lacks committed records. The journal must say so
(its lock file's watermark outlives the log), and at start every order of this manager's on
the exchange, open or recently filled, is adopted rather than reported as unmanaged."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.journal_helpers import child
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.venue import SpotVenue
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.state import OrderState
from tradeexec.execution.positions import PositionTracker
from tradeexec.sim.exchange import LocalExchange

pytestmark = pytest.mark.adversarial

SYMBOL = "BTCUSDT"
D = Decimal
WATERMARK_TIMEOUT_S = 10.0


def _lock_file(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _wait_for_watermark(path: Path, intents: int) -> None:
    """Until the writer's watermark covers ``intents`` intents (it follows the commits a few
    times a second); fails after WATERMARK_TIMEOUT_S."""
    deadline = time.monotonic() + WATERMARK_TIMEOUT_S
    while time.monotonic() < deadline:
        text = _lock_file(path).read_bytes().strip(b"\0 \n") if _lock_file(path).exists() else b""
        if text and json.loads(text)["high"][0] >= intents:
            return
        time.sleep(0.02)
    raise AssertionError(f"the watermark of {path} never reached {intents} intents")


def _lose_the_log(path: Path) -> None:
    """What a power loss leaves with NORMAL sync: the log's data never reached the disk."""
    wal = path.with_name(path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the intents were only in the log
    wal.write_bytes(b"")


def test_a_lost_write_ahead_log_is_detected(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "journal.sqlite"
    with child("hold", str(path), "3") as holder:
        _wait_for_watermark(path, 3)
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    _lose_the_log(path)
    with Journal(path) as journal:
        assert journal.intents() == []  # SQLite itself notices nothing
        assert journal.lost is not None and "intents up to id 3" in journal.lost
    assert "records were lost" in caplog.text and str(path) in caplog.text


def test_a_clean_restart_reports_nothing_lost(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with child("hold", str(path), "3") as holder:
        _wait_for_watermark(path, 3)
        holder.send_signal(signal.SIGKILL)  # killed, but the log is intact: nothing lost
        holder.wait(10)
    with Journal(path) as journal:
        assert len(journal.intents()) == 3 and journal.lost is None


@pytest.fixture
async def venue() -> AsyncIterator[tuple[LocalExchange, BinanceClient]]:
    async with LocalExchange(market=False) as ex:
        ex.set_price(SYMBOL, "60000")
        ex.add_liquidity(SYMBOL, "SELL", "60000", "0.05")
        async with BinanceClient(ex.api_key, ex.api_secret, base_url=ex.rest_url, timeout=2.0) as client:
            yield ex, client


def _manager(
    client: BinanceClient, journal: Journal, positions: PositionTracker | None = None
) -> OrderManager:
    return OrderManager(
        SpotVenue(client),
        journal,
        strategy="lw",
        positions=positions,
        poll_interval_s=3600,
        stale_after_s=3600,
    )


async def _snapshot_without_log(source: Path, target: Path) -> None:
    """The journal's files as a power loss would leave them: the main file and the lock file
    (the watermark, once it covers the orders), not the log."""
    await asyncio.to_thread(_wait_for_watermark, source, 3)
    shutil.copyfile(source, target)
    shutil.copyfile(_lock_file(source), _lock_file(target))


async def test_orders_lost_with_the_log_are_adopted_not_unmanaged(
    venue: tuple[LocalExchange, BinanceClient], tmp_path: Path
) -> None:
    _, client = venue
    first = _manager(client, Journal(tmp_path / "live.sqlite"))
    await first.start()
    try:
        resting = [
            await first.submit(OrderIntent(SYMBOL, Side.BUY, OrderType.LIMIT, quantity=D("0.01"), price=D(p)))
            for p in ("59000", "58000")
        ]
        filled = await first.submit(OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=D("0.02")))
        assert [o.state for o in resting] == [OrderState.NEW, OrderState.NEW]
        assert filled.state is OrderState.FILLED
        path = tmp_path / "restarted.sqlite"
        await _snapshot_without_log(tmp_path / "live.sqlite", path)
    finally:
        await first.close()
        first.journal.close()

    positions = PositionTracker()
    second = _manager(client, Journal(path), positions)
    try:
        assert second.journal.intents() == [] and second.journal.lost is not None
        report = await second.start()
        assert report is not None
        assert report.unmanaged_open_orders == []
        ours = [o.client_order_id for o in (*resting, filled)]
        assert sorted(report.adopted) == sorted(ours)
        for order in resting:
            again = second.order(order.client_order_id)
            assert again is not None and again.state is OrderState.NEW
        again = second.order(filled.client_order_id)
        assert again is not None and again.state is OrderState.FILLED and again.filled_qty == D("0.02")
        assert len(second.journal.fills(filled.client_order_id)) == len(filled.fills)
        position = positions.position(SYMBOL)
        assert position is not None and position.quantity > 0  # the adopted fill counts
    finally:
        await second.close()
        second.journal.close()


async def test_a_filled_order_lost_with_an_empty_journal_is_found_through_the_symbol_hint(
    venue: tuple[LocalExchange, BinanceClient], tmp_path: Path
) -> None:
    """No open order and no journaled symbol is left to say where to look: the caller's
    ``symbols`` is, and orders with another program's IDs stay out."""
    _, client = venue
    first = _manager(client, Journal(tmp_path / "live.sqlite"))
    await first.start()
    try:
        filled = await first.submit(OrderIntent(SYMBOL, Side.BUY, OrderType.MARKET, quantity=D("0.01")))
        await client.new_order(SYMBOL, "BUY", "MARKET", quantity=D("0.01"), new_client_order_id="manual_1")
        path = tmp_path / "restarted.sqlite"
        shutil.copyfile(tmp_path / "live.sqlite", path)  # the main file: no order in it
    finally:
        await first.close()
        first.journal.close()
    second = _manager(client, Journal(path))
    try:
        report = await second.start(symbols=[SYMBOL])
        assert report is not None
        assert report.adopted == [filled.client_order_id]
        again = second.order(filled.client_order_id)
        assert again is not None and again.state is OrderState.FILLED
        assert second.order("manual_1") is None
    finally:
        await second.close()
        second.journal.close()
