"""What the engine's hot path does differently from the plain code it replaced (issue 15) and
could get wrong: the exact decimal context ``place`` sets by hand and must give back, the
generated client ids (hex from a counter), the ``LiveOrder`` built from a dict over class
defaults, and the ledger's inline settlement (same balances, same touch order, also on an
account's first trade in an asset)."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_FLOOR, Context, Decimal, getcontext, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.sim.engine import BalanceEvent, Engine, EngineReject, OrderRequest, SymbolSpec
from tradeexec.sim.engine.core import _ID_MULTIPLIER, _ID_SPACE, LiveOrder

SYM = "BTCUSDT"


def _engine() -> Engine:
    e = Engine([SymbolSpec(SYM, "BTC", "USDT", base_precision=8, quote_precision=8)])
    e.create_account("a", {"BTC": Decimal(10) ** 20, "USDT": Decimal(10) ** 30})
    e.create_account("b", {"BTC": Decimal(10) ** 20, "USDT": Decimal(10) ** 30})
    return e


def _limit(side: Side, qty: str, price: str) -> OrderRequest:
    return OrderRequest(
        SYM, side, OrderType.LIMIT, quantity=Decimal(qty), price=Decimal(price), time_in_force=TimeInForce.GTC
    )


def test_place_computes_exactly_under_a_coarse_caller_context_and_gives_it_back() -> None:
    """The caller's context (3 digits, rounding toward -inf) must neither leak into the
    engine's arithmetic nor be replaced by the engine's, after an accepted order and after
    a refused one."""
    e = _engine()
    with localcontext() as caller:
        caller.prec = 3
        caller.rounding = ROUND_FLOOR
        e.place("a", _limit(Side.SELL, "1.23456789", "12345.6789"), now_ms=1)
        result = e.place("b", _limit(Side.BUY, "1.23456789", "12345.6789"), now_ms=2)
        assert getcontext() is caller and caller.prec == 3 and caller.rounding == ROUND_FLOOR
        with pytest.raises(EngineReject):
            e.place("b", _limit(Side.BUY, "1", "1E+40"), now_ms=3)  # more than b holds
        assert getcontext() is caller and caller.prec == 3
    exact = Context(prec=60).multiply(Decimal("1.23456789"), Decimal("12345.6789"))
    quote = exact.quantize(Decimal("1E-8"), ROUND_DOWN)  # to the quote unit, as Binance does
    assert len(quote.as_tuple().digits) > 3 and quote != exact
    assert [f.quote_qty for f in result.fills] == [quote]
    assert result.order.cummulative_quote_qty == quote


@settings(max_examples=200, deadline=None)
@given(st.integers(0, _ID_SPACE - 2))
def test_generated_ids_are_22_letters_or_digits_and_never_repeat(counter: int) -> None:
    """Any two consecutive counters (so any two ids, the map being a bijection) give distinct
    ids of exactly 22 characters, also when the number has leading zero digits."""
    e = _engine()
    e._id_counter = counter
    one, two = e._new_client_id(), e._new_client_id()
    assert one != two
    assert len(one) == len(two) == 22 and one.isalnum() and two.isalnum()
    assert _ID_MULTIPLIER * pow(_ID_MULTIPLIER, -1, _ID_SPACE) % _ID_SPACE == 1  # invertible: injective


def test_generated_id_with_leading_zeros_keeps_22_characters() -> None:
    e = _engine()
    e._id_counter = pow(_ID_MULTIPLIER, -1, _ID_SPACE) - 1  # the next id is the number 1
    assert e._new_client_id() == "0" * 21 + "1"


def test_live_order_defaults_are_immutable_and_never_shared() -> None:
    """``LiveOrder`` fields that start at a class default must be immutable values (a
    mutable default would be one object shared by every order)."""
    defaults = {k: v for k, v in vars(LiveOrder).items() if not k.startswith("__")}
    assert defaults, "LiveOrder has no class defaults left: update this test"
    assert all(v is None or isinstance(v, bool | Decimal) for v in defaults.values()), defaults
    e = _engine()
    for i in range(3):
        e.place("a", _limit(Side.BUY, "1", str(100 + i)), now_ms=i)
    lives = list(e._symbols[SYM].live.values())
    assert all(live.fills is None and live.lock == live.order.price for live in lives)


def test_first_trade_in_an_asset_opens_the_holding_and_reports_it() -> None:
    """The inline settlement's slow branch: the buyer has never held the base asset and the
    seller never the quote asset; both appear in the balance events, in first-touch order."""
    e = Engine([SymbolSpec(SYM, "BTC", "USDT")])
    e.create_account("buyer", {"USDT": Decimal(1000)}, taker_commission=Decimal(0))
    e.create_account("seller", {"BTC": Decimal(1)}, maker_commission=Decimal(0))
    e.place("seller", _limit(Side.SELL, "0.5", "100"), now_ms=1)
    result = e.place("buyer", _limit(Side.BUY, "0.5", "100"), now_ms=2)
    balances = [(ev.account, list(ev.balances)) for ev in result.events if isinstance(ev, BalanceEvent)]
    # first-touch order: the buyer's lock (USDT) then its fill (BTC); the seller's base first
    assert balances == [("buyer", ["USDT", "BTC"]), ("seller", ["BTC", "USDT"])]
    assert e.balances("buyer")["BTC"].free == Decimal("0.5")
    assert e.balances("seller")["USDT"].free == Decimal("50.0")
    assert e.balances("buyer")["USDT"].free == Decimal("950.0") and e.balances("buyer")["USDT"].locked == 0
