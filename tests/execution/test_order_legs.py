"""Reduce-only and the position leg on their way from ``OrderIntent`` to the journaled intent
and the wire: checked naming the field, carried by ``rounded()``, kept by a resend after a
lost answer and by ``replace()``, BOTH by default on a venue holding positions, refused by a
spot venue before anything is journaled."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.resend_helpers import resolution_over
from tests.execution.fake_venue import FakeVenue, LosingVenue
from tests.execution.test_venue_contract import _manager
from tradeexec.binance.client import BinanceClient
from tradeexec.binance.venue import SpotVenue
from tradeexec.errors import InvalidParameter
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.request import OrderIntent, checked, rounded
from tradeexec.execution.orders.state import OrderState
from tradeexec.venue.positions import PositionLeg, PositionSnapshot
from tradeexec.venue.protocol import StopGate
from tradeexec.venue.records import PlaceAnswer, PlacementRequest
from tradeexec.venue.vocab import OrderType, Side

D = Decimal
SYMBOL = "BTCUSDT"


class LeggedVenue(FakeVenue):
    """The fake venue with an account that holds positions; it records what each placement
    carried (client order id, reduce-only, leg)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, bool, PositionLeg | None]] = []

    async def positions(self, symbol: str | None = None) -> Sequence[PositionSnapshot]:
        return []

    async def place(self, request: PlacementRequest, *, gate: StopGate | None = None) -> PlaceAnswer:
        self.sent.append((request.client_order_id, request.reduce_only, request.position_leg))
        return await super().place(request, gate=gate)


def _close(**kw: object) -> OrderIntent:
    args: dict[str, object] = {"quantity": D("0.01"), "price": D("61000"), "reduce_only": True}
    args.update(kw)
    return OrderIntent(SYMBOL, Side.SELL, OrderType.LIMIT, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"reduce_only": "false"}, "reduce_only"),  # truthy text: a close sent as an open
        ({"reduce_only": 1}, "reduce_only"),
        ({"position_leg": "SIDEWAYS"}, "position_leg"),
        ({"position_leg": 2}, "position_leg"),
    ],
)
def test_bad_values_are_refused_naming_the_field(kw: dict[str, object], field: str) -> None:
    venue = LeggedVenue()
    with pytest.raises(InvalidParameter) as info:
        checked(_close(**kw), venue)
    assert info.value.field == field
    assert venue.checked == []  # refused before the venue was even asked


def test_the_journaled_intent_carries_both() -> None:
    venue = LeggedVenue()
    request = checked(_close(position_leg="LONG"), venue)
    assert request.position_leg is PositionLeg.LONG
    rules = asyncio.run(venue.rules())[SYMBOL]
    intent = rounded(request, rules, "s", 0)
    assert (intent.reduce_only, intent.position_leg) == (True, PositionLeg.LONG)


def test_a_venue_holding_positions_defaults_the_leg_to_both() -> None:
    assert checked(_close(reduce_only=False), LeggedVenue()).position_leg is PositionLeg.BOTH
    assert checked(_close(reduce_only=False), FakeVenue()).position_leg is None


async def test_a_close_resent_after_a_lost_answer_is_still_reduce_only(tmp_path: Path) -> None:
    fake = LeggedVenue()
    losing = LosingVenue(fake)
    async with _manager(losing, tmp_path / "j.sqlite") as om:
        losing.faults.append("lost")
        order = await om.submit(_close(recv_window_ms=100))
        await resolution_over(order, 10)
        assert order.state is OrderState.NEW
        assert order.place_attempts == 2
    cid = order.client_order_id
    assert fake.sent == [(cid, True, PositionLeg.BOTH)]  # the lost one never reached it
    # ...and the journal a restart would resend from says the same.
    with Journal(tmp_path / "j.sqlite") as journal:
        (intent,) = journal.intents()
        assert (intent.reduce_only, intent.position_leg) == (True, PositionLeg.BOTH)


async def test_a_replaced_close_is_still_a_close_on_the_same_leg(tmp_path: Path) -> None:
    fake = LeggedVenue()
    async with _manager(fake, tmp_path / "j.sqlite") as om:
        first = await om.submit(_close(position_leg=PositionLeg.LONG))
        second = await om.replace(first.client_order_id, price=D("61500"))
    assert second is not None and second.intent.price == D("61500")
    assert (second.intent.reduce_only, second.intent.position_leg) == (True, PositionLeg.LONG)
    assert [s[1:] for s in fake.sent] == [(True, PositionLeg.LONG)] * 2


async def test_spot_refuses_a_leg_before_it_is_journaled(tmp_path: Path) -> None:
    (tmp_path / "empty.toml").touch()
    venue = SpotVenue(BinanceClient(base_url="http://127.0.0.1:9", config_path=tmp_path / "empty.toml"))
    for kw in ({"reduce_only": True}, {"reduce_only": False, "position_leg": PositionLeg.BOTH}):
        with pytest.raises(InvalidParameter, match="spot has no positions"):
            checked(_close(**kw), venue)
