"""The matching engine against a naive reference matcher (an oracle), under random order flow.

The oracle sorts every crossing resting order by (best price, order id) for each taker and
walks that list: price-time priority written the obvious way, with Binance's IOC / FOK /
LIMIT_MAKER outcomes and the three self-trade prevention modes. After every order the engine
must agree with it on each trade (maker, taker, price, quantity, in order), on which makers
self-trade prevention expired, on the taker's final status and on every resting order's
remaining quantity; the book is never crossed, and each trade moves base and quote between
the two accounts exactly (fees included). Deliberately broken matchers (last-in-first-out
queues, self-trade prevention ignored) must fail the same property, so that it has teeth.

The engine's hot path was rewritten for speed (bench case 5a); these are the properties
that rewrite is held to, beside ``test_engine_properties.py``'s invariants."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tradeexec.binance.enums import ExecutionType, OrderStatus, OrderType, Side, TimeInForce
from tradeexec.binance.enums import SelfTradePreventionMode as STP
from tradeexec.sim.engine import (
    Engine,
    EngineReject,
    ExecutionEvent,
    OrderRequest,
    SymbolSpec,
    TradePrintEvent,
)
from tradeexec.sim.engine.book import PriceLevels
from tradeexec.sim.engine.records import OrderRecord

SYM = "BTCUSDT"
ACCOUNTS = ("a", "b", "c")
RATES = {"a": (D("0.001"), D("0.002")), "b": (D(0), D("0.001")), "c": (D("0.0005"), D("0.0005"))}


@dataclass
class Resting:
    order_id: int
    account: str
    side: Side
    price: D
    remaining: D


@dataclass
class Outcome:
    status: OrderStatus
    trades: list[tuple[int, int, D, D]]  # (maker id, taker id, price, qty)
    expired_makers: list[int]


class Oracle:
    """Price-time priority the slow, obvious way: one flat list of resting orders."""

    def __init__(self) -> None:
        self.resting: dict[int, Resting] = {}

    def place(
        self,
        order_id: int,
        account: str,
        side: Side,
        price: D,
        qty: D,
        tif: TimeInForce,
        stp: STP,
        maker: bool,
    ) -> Outcome | None:
        """The outcome, or None when the engine must refuse the order (LIMIT_MAKER that takes)."""
        buy = side is Side.BUY
        crossing = [
            o
            for o in self.resting.values()
            if o.side is not side and (o.price <= price if buy else o.price >= price)
        ]
        crossing.sort(key=lambda o: (o.price if buy else -o.price, o.order_id))
        if maker and crossing:
            return None
        steps: list[tuple[Resting, D]] = []
        filled = D(0)
        prevented = False
        for o in crossing:
            if stp is not STP.NONE and o.account == account:
                if stp is not STP.EXPIRE_TAKER:
                    steps.append((o, D(0)))
                if stp is not STP.EXPIRE_MAKER:
                    prevented = True
                    break
                continue
            q = min(qty - filled, o.remaining)
            steps.append((o, q))
            filled += q
            if filled == qty:
                break
        if tif is TimeInForce.FOK and filled < qty:
            return Outcome(OrderStatus.EXPIRED, [], [])
        out = Outcome(OrderStatus.FILLED, [], [])
        for o, q in steps:
            if q:
                out.trades.append((o.order_id, order_id, o.price, q))
                o.remaining -= q
            else:
                out.expired_makers.append(o.order_id)
            if not o.remaining or not q:
                del self.resting[o.order_id]
        left = qty - filled
        if left:
            if prevented:
                out.status = OrderStatus.EXPIRED_IN_MATCH
            elif tif is TimeInForce.GTC:
                out.status = OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.NEW
                self.resting[order_id] = Resting(order_id, account, side, price, left)
            else:
                out.status = OrderStatus.EXPIRED
        return out


@dataclass(frozen=True)
class Op:
    account: str
    side: Side
    price: D
    qty: D
    tif: TimeInForce
    stp: STP
    maker: bool


ops = st.lists(
    st.builds(
        Op,
        account=st.sampled_from(ACCOUNTS),
        side=st.sampled_from([Side.BUY, Side.SELL]),
        price=st.integers(97, 103).map(D),
        qty=st.integers(1, 9).map(lambda n: D(n).scaleb(-3)),
        tif=st.sampled_from([TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK]),
        stp=st.sampled_from([STP.NONE, STP.NONE, STP.EXPIRE_TAKER, STP.EXPIRE_MAKER, STP.EXPIRE_BOTH]),
        maker=st.sampled_from([False, False, False, True]),
    ),
    min_size=1,
    max_size=60,
)


def _engine(cls: type[Engine]) -> Engine:
    eng = cls([SymbolSpec(SYM, "BTC", "USDT", base_precision=3, quote_precision=6)])
    for name in ACCOUNTS:
        maker, taker = RATES[name]
        eng.create_account(
            name, {"BTC": D(10**6), "USDT": D(10**9)}, maker_commission=maker, taker_commission=taker
        )
    return eng


def _holdings(eng: Engine) -> dict[tuple[str, str], D]:
    return {(a, asset): h.free + h.locked for a in ACCOUNTS for asset, h in eng.balances(a).items()}


def _check_trade_moves(eng: Engine, before: dict[tuple[str, str], D], events: list[object]) -> None:
    """Base and quote change hands exactly: the buyer gains qty less its base fee and pays the
    quote amount, the seller the reverse; nothing else moves."""
    expected = dict(before)
    for ev in events:
        if isinstance(ev, ExecutionEvent) and ev.last_fill is not None:
            f = ev.last_fill
            if f.is_buyer:
                expected[(f.account, "BTC")] += f.qty - f.commission
                expected[(f.account, "USDT")] -= f.quote_qty
            else:
                expected[(f.account, "BTC")] -= f.qty
                expected[(f.account, "USDT")] += f.quote_qty - f.commission
    assert _holdings(eng) == expected


def run_against_oracle(cls: type[Engine], flow: list[Op]) -> None:
    eng = _engine(cls)
    oracle = Oracle()
    for now, op in enumerate(flow, start=1):
        order_type = OrderType.LIMIT_MAKER if op.maker else OrderType.LIMIT
        tif = TimeInForce.GTC if op.maker else op.tif
        req = OrderRequest(
            SYM, op.side, order_type, quantity=op.qty, price=op.price, time_in_force=tif, stp_mode=op.stp
        )
        before = _holdings(eng)
        try:
            res = eng.place(op.account, req, now_ms=now)
        except EngineReject as exc:
            assert op.maker and exc.msg == "Order would immediately match and take."
            expected = oracle.place(-1, op.account, op.side, op.price, op.qty, tif, op.stp, op.maker)
            assert expected is None, "the engine refused an order the oracle accepts"
            continue
        oid = res.order.order_id
        expected = oracle.place(oid, op.account, op.side, op.price, op.qty, tif, op.stp, op.maker)
        assert expected is not None, "the engine accepted a LIMIT_MAKER that would take"
        trades = [
            (
                t.seller_order_id if t.buyer_order_id == oid else t.buyer_order_id,
                oid,
                t.price,
                t.qty,
            )
            for t in (ev.trade for ev in res.events if isinstance(ev, TradePrintEvent))
        ]
        assert trades == expected.trades, f"order {now}: trades differ from price-time priority"
        expired = [
            ev.order.order_id
            for ev in res.events
            if isinstance(ev, ExecutionEvent)
            and ev.execution_type is ExecutionType.EXPIRED
            and ev.order.order_id != oid
        ]
        assert expired == expected.expired_makers, f"order {now}: self-trade prevention expired other makers"
        assert res.order.status is expected.status, f"order {now}: taker status"
        resting = {o.order_id: o.orig_qty - o.executed_qty for a in ACCOUNTS for o in eng.open_orders(a)}
        assert resting == {o.order_id: o.remaining for o in oracle.resting.values()}
        depth = eng.depth(SYM, 100)
        if depth.bids and depth.asks:
            assert depth.bids[0][0] < depth.asks[0][0], "crossed book after matching"
        _check_trade_moves(eng, before, list(res.events))


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(flow=ops)
def test_engine_matches_like_the_oracle(flow: list[Op]) -> None:
    run_against_oracle(Engine, flow)


# ---- the property has teeth: broken matchers fail it -----------------------------------------


class _LifoLevels(PriceLevels):  # type: ignore[type-arg]
    """Queues each new order at the front of its level: time priority reversed."""

    __slots__ = ()

    def add(self, price: D, item: object, visible: D) -> None:
        super().add(price, item, visible)
        self.levels[price].rotate(1)  # the newest, just appended, goes first


class LifoEngine(Engine):
    def add_symbol(self, spec: SymbolSpec) -> None:
        super().add_symbol(spec)
        book = self._symbols[spec.symbol]
        book.bids.__class__ = book.asks.__class__ = _LifoLevels


class NoStpEngine(Engine):
    def _stp(self, requested: STP) -> STP:
        return STP.NONE


@pytest.mark.parametrize("broken", [LifoEngine, NoStpEngine], ids=["lifo-queue", "stp-ignored"])
def test_a_broken_matcher_fails_the_property(broken: type[Engine]) -> None:
    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples every run: a bounded, repeatable check
        phases=[Phase.generate],  # any failing example will do: no shrinking
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(flow=ops)
    def prop(flow: list[Op]) -> None:
        run_against_oracle(broken, flow)

    with pytest.raises(AssertionError):
        prop()


def test_order_records_built_by_the_engine_have_every_field() -> None:
    """The engine builds an order's record as one dict (its hot path), not through the
    dataclass ``__init__``: a field added to ``OrderRecord`` must not be missing from it."""
    eng = _engine(Engine)
    req = OrderRequest(
        SYM, Side.BUY, OrderType.LIMIT, quantity=D(1), price=D(100), time_in_force=TimeInForce.GTC
    )
    res = eng.place("a", req, now_ms=1)
    record = eng.get_order("a", SYM, order_id=res.order.order_id)
    for order in (res.order, record, next(ev.order for ev in res.events if isinstance(ev, ExecutionEvent))):
        assert list(vars(order)) == [f.name for f in fields(OrderRecord)]
        assert OrderRecord(**vars(order)) == order
