"""End to end over the real local exchange (``FuturesVenue``, real sockets, real SQLite): a
smart liquidation that leaves part of the position open (``sim/futures/liquidation.py``) shows
in the tracked leg, its PnL and the account exactly as positionRisk, userTrades and the income
history state them, and is recorded as one liquidation down to what is left, not to zero; one
whose first order does not save the account is one liquidation to flat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.futures_legs_helpers import ex_wallet, income_by_type, managed, until
from tests.binance.futures.futures_client_helpers import RecordingClient
from tests.binance.futures.futures_venue_helpers import futures_venue
from tradeexec.execution.legs import LegBook, TrackedLeg
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.signals import Executor, TargetPosition
from tradeexec.sim import LocalExchange
from tradeexec.venue.positions import PositionLeg

pytestmark = pytest.mark.adversarial

D = Decimal


@asynccontextmanager
async def _long_one_btc(
    tmp_path: Path,
) -> AsyncIterator[tuple[LocalExchange, RecordingClient, OrderManager, TrackedLeg]]:
    """A cross long of 1 BTCUSDT at 60,000 (10x), bought through the Executor and in the leg."""
    async with futures_venue(tmp_path) as (ex, client, venue):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "2")
        await venue.set_leverage("BTCUSDT", 10)
        async with managed(venue, tmp_path / "j.sqlite", "smart") as (om, _feed):
            btc = om.positions.legs.leg("BTCUSDT", PositionLeg.BOTH)
            await Executor(venue, om, om.positions, om.risk).submit(
                TargetPosition("BTCUSDT", target_quantity=D(1))
            )
            await until(lambda: btc.quantity == D(1), "the long in the leg")
            yield ex, client, om, btc


async def _books_agree(
    client: RecordingClient, legs: LegBook, btc: TrackedLeg
) -> dict[tuple[str, str], Decimal]:
    """The leg's realized PnL is the income history's and userTrades'; returns the income."""
    trades = await client.futures_user_trades("BTCUSDT", recv_window=60_000)
    income = income_by_type(await client.futures_income(limit=1000, recv_window=60_000))
    assert btc.realized_pnl == income[("BTCUSDT", "REALIZED_PNL")]
    assert btc.realized_pnl == sum((t.realized_pnl for t in trades), D(0))
    assert legs.commission() == -income[("BTCUSDT", "COMMISSION")]
    return income


async def test_a_partial_liquidation_leaves_the_leg_at_the_venues_remaining_position(tmp_path: Path) -> None:
    async with _long_one_btc(tmp_path) as (ex, client, om, btc):
        legs = om.positions.legs
        # Bids: 0.003 at 50,200 (above the bankruptcy price, 50,030), then none until 50,000.
        ex.futures_add_liquidity("BTCUSDT", "BUY", "50200", "0.003")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "50000", "1")
        ex.futures_set_mark_price("BTCUSDT", "50231.15")  # condemned: the smart first order
        await until(lambda: btc.quantity == D("0.997"), "the partial liquidation stated")
        await until(lambda: om.positions.balance("USDT").total == ex_wallet(ex), "the wallet stated")

        (risk,) = [p for p in await client.futures_position_risk_v3(symbol="BTCUSDT") if p.position_amt]
        assert (
            (btc.quantity, btc.entry_price) == (risk.position_amt, risk.entry_price) == (D("0.997"), D(60000))
        )
        assert legs.reconcile(await om.venue.positions()) == []
        income = await _books_agree(client, legs, btc)
        assert btc.realized_pnl == D("-29.4")
        clearance = income[("BTCUSDT", "INSURANCE_CLEAR")]
        assert clearance == D("-0.6024")  # the fee on what was liquidated only
        assert om.positions.balance("USDT").total == D(10_000) + legs.wallet_change() + clearance
        (record,) = legs.liquidations
        assert (record.quantity_before, record.quantity_after) == (D(1), D("0.997"))
        assert (record.price, record.realized_pnl) == (D(50200), D("-29.4"))
        assert len(ex.state.futures.history.force_orders) == 1


async def test_a_first_order_that_does_not_save_the_account_is_one_liquidation_to_flat(
    tmp_path: Path,
) -> None:
    """The smart first order sells 0.005 at 50,100 and leaves the account short of margin: a
    second liquidation order closes the rest (0.395 to the book, 0.6 to the insurance fund at
    its bankruptcy price, as in ``test_liquidation.py``). Two orders, one liquidation, one
    clearance fee, the wallet at zero."""
    async with _long_one_btc(tmp_path) as (ex, client, om, btc):
        legs = om.positions.legs
        ex.futures_add_liquidity("BTCUSDT", "BUY", "50100", "0.4")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "50000", "1")  # under bankruptcy: untouched
        ex.futures_set_mark_price("BTCUSDT", "50231.15")
        await until(lambda: btc.quantity == 0, "the close stated")
        await until(lambda: om.positions.balance("USDT").total == ex_wallet(ex), "the wallet stated")

        assert legs.reconcile(await om.venue.positions()) == []
        trades = await client.futures_user_trades("BTCUSDT", recv_window=60_000)
        assert len({t.order_id for t in trades if t.realized_pnl}) == 2  # two liquidation orders
        rows = await client.futures_income(limit=1000, recv_window=60_000)
        assert [r.income_type for r in rows].count("INSURANCE_CLEAR") == 1  # charged once
        clearance = (await _books_agree(client, legs, btc))[("BTCUSDT", "INSURANCE_CLEAR")]
        assert om.positions.balance("USDT").total == D(10_000) + legs.wallet_change() + clearance == 0
        (record,) = legs.liquidations
        assert (record.quantity_before, record.quantity_after) == (D(1), D(0))
        assert (record.price, record.realized_pnl) == (D("50029.7"), btc.realized_pnl)
