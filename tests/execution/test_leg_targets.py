"""Executor targets on a derivatives venue (``signals.py`` with ``leg_targets.py``): the
difference to a leg's target goes out reduce-only when it only shrinks the leg, as a
reduce-only close and an opening order when it flips it, and dust is left as residual."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.neutral_venue_helpers import manager_on
from tradeexec.errors import InvalidParameter
from tradeexec.execution.leg_targets import LegOrder, leg_orders
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.signals import Executor, TargetPosition, decode_signal
from tradeexec.venue.positions import PositionLeg
from tradeexec.venue.vocab import Side

from .fake_derivatives import FakeDerivatives

D = Decimal
SYMBOL = "BTCUSDT"
BOTH = PositionLeg.BOTH


def test_the_split_of_a_difference() -> None:
    assert leg_orders(D(0), D("0.1")) == [LegOrder(Side.BUY, D("0.1"), False)]
    assert leg_orders(D("0.1"), D("0.3")) == [LegOrder(Side.BUY, D("0.2"), False)]
    assert leg_orders(D("0.1"), D("0.04")) == [LegOrder(Side.SELL, D("0.06"), True)]
    assert leg_orders(D("0.1"), D(0)) == [LegOrder(Side.SELL, D("0.1"), True)]
    assert leg_orders(D("0.1"), D("-0.05")) == [
        LegOrder(Side.SELL, D("0.1"), True),
        LegOrder(Side.SELL, D("0.05"), False),
    ]
    assert leg_orders(D("-0.2"), D("-0.2")) == []


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[Executor, OrderManager, FakeDerivatives]]:
    venue = FakeDerivatives()
    async with manager_on(venue, tmp_path) as om:
        yield Executor(venue, om, om.positions, om.risk), om, venue


def sent(venue: FakeDerivatives, since: int) -> list[tuple[Side, Decimal | None, bool]]:
    return [(r.side, r.quantity, r.reduce_only) for r in venue.requests[since:]]


async def test_targets_open_shrink_reduce_only_and_flip_in_two_orders(
    setup: tuple[Executor, OrderManager, FakeDerivatives],
) -> None:
    ex, om, venue = setup
    leg = om.positions.legs.leg(SYMBOL, BOTH)
    await ex.submit(TargetPosition(SYMBOL, target_quantity=D("0.1")))
    assert sent(venue, 0) == [(Side.BUY, D("0.1"), False)] and leg.quantity == D("0.1")
    await ex.submit(TargetPosition(SYMBOL, target_quantity=D("0.04")))
    assert sent(venue, 1) == [(Side.SELL, D("0.06"), True)] and leg.quantity == D("0.04")
    await ex.submit(TargetPosition(SYMBOL, target_quantity=D("-0.05"), position_leg=BOTH))
    assert sent(venue, 2) == [(Side.SELL, D("0.04"), True), (Side.SELL, D("0.05"), False)]
    assert leg.quantity == D("-0.05")
    # a notional target at the mark (60000): -3000 is where the leg is already
    assert await ex.submit(TargetPosition(SYMBOL, target_notional=D(-3000))) == []
    assert om.positions.legs.reconcile(await venue.positions()) == []


async def test_a_dust_opening_part_is_left_as_residual(
    setup: tuple[Executor, OrderManager, FakeDerivatives],
) -> None:
    ex, om, venue = setup
    await ex.submit(TargetPosition(SYMBOL, target_quantity=D("0.01")))
    # a flip to a short of 0.00005 (3 USDT at 60000: below the venue's 5 minimum)
    await ex.submit(TargetPosition(SYMBOL, target_quantity=D("-0.00005")))
    assert sent(venue, 1) == [(Side.SELL, D("0.01"), True)]
    assert om.positions.legs.leg(SYMBOL, BOTH).quantity == 0
    residual = ex.residuals[SYMBOL]
    assert residual.quantity == D("-0.00005") and "MIN_VALUE" in residual.reason


async def test_a_hedge_leg_target_of_the_wrong_sign_is_refused_naming_the_field(
    setup: tuple[Executor, OrderManager, FakeDerivatives],
) -> None:
    ex, _, venue = setup
    with pytest.raises(InvalidParameter, match=r"target_quantity.*LONG leg"):
        await ex.submit(TargetPosition(SYMBOL, target_quantity=D("-0.1"), position_leg=PositionLeg.LONG))
    with pytest.raises(InvalidParameter, match=r"target_notional.*SHORT leg"):
        await ex.submit(TargetPosition(SYMBOL, target_notional=D(100), position_leg=PositionLeg.SHORT))
    assert venue.requests == []


async def test_a_hedge_short_leg_is_closed_by_a_reduce_only_buy(
    setup: tuple[Executor, OrderManager, FakeDerivatives],
) -> None:
    ex, om, venue = setup
    short = PositionLeg.SHORT
    await ex.submit(TargetPosition(SYMBOL, target_quantity=D("-0.02"), position_leg=short))
    await ex.submit(TargetPosition(SYMBOL, target_quantity=D(0), position_leg=short))
    assert [(r.side, r.quantity, r.reduce_only, r.position_leg) for r in venue.requests] == [
        (Side.SELL, D("0.02"), False, short),
        (Side.BUY, D("0.02"), True, short),
    ]
    assert om.positions.legs.leg(SYMBOL, short).quantity == 0


def test_a_signal_line_takes_a_signed_target_and_a_leg() -> None:
    line = '{"kind": "target", "symbol": "BTCUSDT", "target_quantity": "-0.05", "position_leg": "SHORT"}'
    assert decode_signal(line) == TargetPosition(
        SYMBOL, target_quantity=D("-0.05"), position_leg=PositionLeg.SHORT
    )
    with pytest.raises(Exception, match="not a plain decimal"):
        decode_signal('{"kind": "target", "symbol": "BTCUSDT", "target_quantity": "-1e-2"}')
