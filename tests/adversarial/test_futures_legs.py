"""End to end over the real local exchange (``FuturesVenue``, real sockets, real SQLite): fills
of the Executor's targets, a funding payment on the exchange's clock and the liquidation of
one of two positions show up in the tracked legs and PnL exactly as positionRisk, the account
and the income history state them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.futures_legs_helpers import ex_wallet, income_by_type, managed, until
from tests.binance.futures.futures_venue_helpers import futures_venue
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import RiskLimits, RiskManager
from tradeexec.execution.signals import Executor, TargetPosition
from tradeexec.venue.positions import MarginMode, PositionLeg

pytestmark = pytest.mark.adversarial

D = Decimal
BOTH = PositionLeg.BOTH
EIGHT_HOURS = 8 * 3_600_000


async def test_fills_funding_and_a_liquidation_in_the_legs_equal_the_venues_figures(tmp_path: Path) -> None:
    async with futures_venue(tmp_path) as (ex, client, venue):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "2")
        ex.futures_add_liquidity("BTCUSDT", "BUY", "59990", "2")
        ex.futures_add_liquidity("ETHUSDT", "BUY", "3000", "10")
        await venue.set_margin_mode("ETHUSDT", MarginMode.ISOLATED)
        await venue.set_leverage("ETHUSDT", 20)
        await venue.set_leverage("BTCUSDT", 10)
        async with managed(venue, tmp_path / "j.sqlite", "legs") as (om, feed):
            executor = Executor(venue, om, om.positions, om.risk)
            legs = om.positions.legs
            btc = legs.leg("BTCUSDT", BOTH)
            eth = legs.leg("ETHUSDT", BOTH)
            await executor.submit(TargetPosition("BTCUSDT", target_quantity=D("0.5")))
            await executor.submit(TargetPosition("ETHUSDT", target_quantity=D("-2")))
            await executor.submit(TargetPosition("BTCUSDT", target_quantity=D("0.3")))  # realizes PnL
            await until(lambda: btc.quantity == D("0.3") and eth.quantity == D(-2), "fills in the legs")
            assert legs.reconcile(await venue.positions()) == []
            assert (btc.entry_price, eth.entry_price) == (D(60_000), D(3000))

            # A funding time passes on the exchange's clock: the long pays 0.3 * 60000 * 0.0005,
            # the short receives 2 * 3000 * 0.0001.
            ex.futures_set_funding_rate("BTCUSDT", "0.0005")
            ex.state.clock.advance(EIGHT_HOURS)
            ex.futures_set_mark_price("BTCUSDT", "60000")
            await until(lambda: feed.stats.funding_events >= 1, "funding settled")
            # The isolated short is liquidated (its liquidation price is near 3134); the long stays.
            # Its liquidation order buys 1 from the book under its bankruptcy price (about
            # 3,150), the insurance fund takes the other there.
            ex.futures_add_liquidity("ETHUSDT", "SELL", "3140", "1")
            ex.futures_set_mark_price("ETHUSDT", "3200")
            await until(lambda: eth.quantity == 0, "the liquidation stated")
            await until(lambda: om.positions.balance("USDT").total == ex_wallet(ex), "the wallet stated")

            snapshots = await venue.positions()
            assert legs.reconcile(snapshots) == [] and btc.quantity == D("0.3")
            income = income_by_type(await client.futures_income(limit=1000, recv_window=60_000))
            # Every fill's realized PnL, commission and the funding, to the last unit.
            assert btc.realized_pnl == income[("BTCUSDT", "REALIZED_PNL")]
            assert legs.commission() == -(
                income[("BTCUSDT", "COMMISSION")] + income[("ETHUSDT", "COMMISSION")]
            )
            # Funding per leg: the isolated short's payment named its position, the cross long's
            # named none and was attributed from the income history (``futures_funding``).
            assert (btc.funding, eth.funding) == (
                income[("BTCUSDT", "FUNDING_FEE")], income[("ETHUSDT", "FUNDING_FEE")],
            )  # fmt: skip
            assert not any(legs.unattributed_funding.values())
            assert legs.funding() == D("-8.4")
            # The wallet: what the legs booked (the liquidation's realized loss included: its
            # autoclose- order's trades moved the leg) plus the clearance, which no order carried.
            clearance = income[("ETHUSDT", "INSURANCE_CLEAR")]
            assert om.positions.balance("USDT").total == D(10_000) + legs.wallet_change() + clearance
            assert eth.realized_pnl == income[("ETHUSDT", "REALIZED_PNL")]
            assert clearance < 0  # the book's part left some margin: the clearance fee took it
            # Recorded as what it was: the whole short closed, the last trade the fund's.
            (closed,) = [r for r in legs.liquidations if r.symbol == "ETHUSDT"]
            assert (closed.quantity_before, closed.quantity_after) == (D(-2), D(0))
            assert closed.realized_pnl == eth.realized_pnl and closed.price is not None
            assert closed.price > D(3140)
            # Equity at the exchange's marks is the account's margin balance.
            ex.futures_set_mark_price("BTCUSDT", "60500")  # the long gains 150 unrealized
            account = await client.futures_account_v3()
            await until(lambda: om.marks("BTCUSDT") == D(60_500), "marks refreshed")
            assert om.valuation.equity() == account.total_margin_balance == ex_wallet(ex) + 150
        # A restart on the same journal starts from the venue's legs.
        again = OrderManager(
            venue, Journal(tmp_path / "j.sqlite"), strategy="legs",
            risk=RiskManager(RiskLimits(require_ip_restriction=False)), positions=PositionTracker(),
        )  # fmt: skip
        await again.start()
        try:
            restarted = again.positions.legs
            assert [
                (lg.symbol, lg.quantity, lg.entry_price) for lg in restarted.legs.values() if lg.quantity
            ] == [("BTCUSDT", D("0.3"), D(60_000))]
            assert restarted.reconcile(await venue.positions()) == []
        finally:
            await again.close()
            again.journal.close()
