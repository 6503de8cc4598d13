"""Invariants of the matching engine under random sequences of operations.

After every operation: no balance is negative; what each account has locked is exactly what
its open orders need; every asset is conserved (commissions go to the engine's fee total);
every trade has one maker and one taker at the maker's price; the book is not crossed; and
the book rebuilt from the depth diffs equals the depth snapshot. A refused request changes
nothing at all.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal as D

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tradeexec.binance.enums import OrderType, SelfTradePreventionMode, Side, TimeInForce
from tradeexec.sim.engine import (
    DepthEvent,
    Engine,
    EngineReject,
    Event,
    ExecutionEvent,
    OrderRecord,
    OrderRequest,
    SymbolSpec,
    TradePrintEvent,
)

SYM = "BTCUSDT"
ACCOUNTS = ("a", "b", "c")
START = {"BTC": D(20), "USDT": D(2000)}

accounts = st.sampled_from(ACCOUNTS)
sides = st.sampled_from([Side.BUY, Side.SELL])
prices = st.integers(90, 110).map(lambda n: D(n) / 1 if n % 3 else D(n) + D("0.5"))
qtys = st.integers(1, 3000).map(lambda n: D(n).scaleb(-3))
tifs = st.sampled_from([TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK])
stps = st.sampled_from(
    [SelfTradePreventionMode.NONE] * 3
    + [
        SelfTradePreventionMode.EXPIRE_TAKER,
        SelfTradePreventionMode.EXPIRE_MAKER,
        SelfTradePreventionMode.EXPIRE_BOTH,
    ]
)
stop_types = st.sampled_from(
    [OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT]
)


def expected_locks(orders: list[OrderRecord]) -> tuple[D, D]:
    """(quote, base) that ``orders`` (one account's open orders) must hold locked."""
    quote = base = D(0)
    legs: dict[int, list[OrderRecord]] = defaultdict(list)
    for o in orders:
        if o.order_list_id != -1:
            legs[o.order_list_id].append(o)
    shared = {o.order_id for pair in legs.values() if len(pair) == 2 for o in pair}
    for pair in legs.values():
        if len(pair) == 2:  # an executing OCO: one lock, the larger of the two legs' needs
            if pair[0].side is Side.SELL:
                base += pair[0].orig_qty
            else:
                quote += max(o.price for o in pair) * pair[0].orig_qty
    for o in orders:
        if o.order_id in shared:
            continue
        rest = o.orig_qty - o.executed_qty
        if o.side is Side.BUY:
            quote += o.price * rest
        else:
            base += rest
    return quote, base


class EngineMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine([SymbolSpec(SYM, "BTC", "USDT", base_precision=3, quote_precision=8)])
        for acct in ACCOUNTS:
            self.engine.create_account(acct, START)
        self.totals = {asset: amount * len(ACCOUNTS) for asset, amount in START.items()}
        self.now = 0
        self.book: dict[str, dict[D, D]] = {"bids": {}, "asks": {}}
        self.last_u = 0

    # ---- helpers -------------------------------------------------------------------------------

    def _tick(self) -> int:
        self.now += 1
        return self.now

    def _state(self) -> tuple[object, ...]:
        e = self.engine
        return (
            tuple(sorted((a, tuple(sorted(e.balances(a).items()))) for a in ACCOUNTS)),
            e.depth(SYM, 1000),
            tuple(o.order_id for a in ACCOUNTS for o in e.open_orders(a)),
            len(e.recent_trades(SYM, limit=100_000)),
        )

    def _run(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        before = self._state()
        try:
            out = fn(*args, **kwargs)
        except EngineReject:
            assert self._state() == before, "a refused request changed something"
            return None
        return out

    def _absorb(self, events: list[Event]) -> None:
        fills: dict[int, list[tuple[bool, D, OrderRecord]]] = defaultdict(list)
        for ev in events:
            if isinstance(ev, DepthEvent):
                assert ev.first_update_id == self.last_u + 1
                assert ev.last_update_id >= ev.first_update_id
                self.last_u = ev.last_update_id
                for name, levels in (("bids", ev.bids), ("asks", ev.asks)):
                    for price, qty in levels:
                        if qty:
                            self.book[name][price] = qty
                        else:
                            self.book[name].pop(price, None)
            elif isinstance(ev, ExecutionEvent) and ev.last_fill is not None:
                f = ev.last_fill
                fills[f.trade_id].append((f.is_maker, f.price, ev.order))
            elif isinstance(ev, TradePrintEvent):
                assert ev.trade.qty > 0 and ev.trade.quote_qty == ev.trade.price * ev.trade.qty
        for trade_id, sides_ in fills.items():
            assert sorted(m for m, _, _ in sides_) == [False, True], trade_id
            (maker_price,) = [o.price for m, _, o in sides_ if m]
            assert all(p == maker_price for _, p, _ in sides_)  # every fill is at the maker's price
            buy = [o for _, _, o in sides_ if o.side is Side.BUY]
            assert len(buy) == 1

    # ---- operations ----------------------------------------------------------------------------

    @rule(acct=accounts, side=sides, price=prices, qty=qtys, tif=tifs, stp=stps, ice=st.booleans())
    def limit(
        self,
        acct: str,
        side: Side,
        price: D,
        qty: D,
        tif: TimeInForce,
        stp: SelfTradePreventionMode,
        ice: bool,
    ) -> None:
        iceberg = (
            (qty / 3).quantize(D("0.001")) if ice and tif is TimeInForce.GTC and qty > D("0.01") else None
        )
        req = OrderRequest(
            SYM,
            side,
            OrderType.LIMIT,
            quantity=qty,
            price=price,
            time_in_force=tif,
            iceberg_qty=iceberg,
            stp_mode=stp,
        )
        res = self._run(self.engine.place, acct, req, self._tick())
        if res is not None:
            self._absorb(res.events)
            # the taker's own fills; stops it triggers may trade with its resting rest later on
            assert res.order.executed_qty >= sum((f.qty for f in res.fills), D(0))
            assert all(not f.is_maker for f in res.fills)

    @rule(acct=accounts, side=sides, price=prices, qty=qtys)
    def limit_maker(self, acct: str, side: Side, price: D, qty: D) -> None:
        req = OrderRequest(SYM, side, OrderType.LIMIT_MAKER, quantity=qty, price=price)
        res = self._run(self.engine.place, acct, req, self._tick())
        if res is not None:
            self._absorb(res.events)
            assert res.fills == []

    @rule(acct=accounts, side=sides, qty=qtys, by_quote=st.booleans(), stp=stps)
    def market(self, acct: str, side: Side, qty: D, by_quote: bool, stp: SelfTradePreventionMode) -> None:
        req = OrderRequest(
            SYM,
            side,
            OrderType.MARKET,
            quantity=None if by_quote else qty,
            quote_order_qty=qty * 50 if by_quote else None,
            stp_mode=stp,
        )
        res = self._run(self.engine.place, acct, req, self._tick())
        if res is not None:
            self._absorb(res.events)
            if by_quote:
                assert res.order.cummulative_quote_qty <= qty * 50

    @rule(
        acct=accounts,
        side=sides,
        otype=stop_types,
        stop=prices,
        offset=st.integers(-3, 3),
        qty=qtys,
        trailing=st.sampled_from([None, None, 100, 300]),
    )
    def stop_order(
        self, acct: str, side: Side, otype: OrderType, stop: D, offset: int, qty: D, trailing: int | None
    ) -> None:
        limit_price = (
            stop + offset if otype in (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT) else None
        )
        req = OrderRequest(
            SYM,
            side,
            otype,
            quantity=qty,
            price=limit_price,
            time_in_force=TimeInForce.GTC if limit_price is not None else None,
            stop_price=stop if trailing is None or offset > 0 else None,
            trailing_delta=trailing,
        )
        res = self._run(self.engine.place, acct, req, self._tick())
        if res is not None:
            self._absorb(res.events)

    @rule(
        acct=accounts,
        side=sides,
        price=prices,
        stop=prices,
        gap=st.integers(0, 3),
        qty=qtys,
        with_limit=st.booleans(),
    )
    def oco(self, acct: str, side: Side, price: D, stop: D, gap: int, qty: D, with_limit: bool) -> None:
        stop_limit = (stop - gap if side is Side.SELL else stop + gap) if with_limit else None
        out = self._run(
            self.engine.place_oco,
            acct,
            symbol=SYM,
            side=side,
            quantity=qty,
            price=price,
            stop_price=stop,
            stop_limit_price=stop_limit,
            stop_limit_time_in_force=TimeInForce.GTC if with_limit else None,
            list_client_order_id=None,
            limit_client_order_id=None,
            stop_client_order_id=None,
            now_ms=self._tick(),
        )
        if out is not None:
            self._absorb(out[2])

    @rule(acct=accounts, pick=st.integers(0, 50), by_client_id=st.booleans())
    def cancel(self, acct: str, pick: int, by_client_id: bool) -> None:
        opens = self.engine.open_orders(acct)
        if opens:
            o = opens[pick % len(opens)]
            kw = {"client_order_id": o.client_order_id} if by_client_id else {"order_id": o.order_id}
            order, events = self.engine.cancel(acct, SYM, now_ms=self._tick(), **kw)  # type: ignore[arg-type]
            assert order.status.is_final
            self._absorb(events)
        else:
            self._run(self.engine.cancel, acct, SYM, order_id=pick + 1, now_ms=self._tick())

    @rule(acct=accounts)
    def cancel_all(self, acct: str) -> None:
        out = self._run(self.engine.cancel_all, acct, SYM, self._tick())
        if out is not None:
            self._absorb(out[1])
        assert self.engine.open_orders(acct, SYM) == []

    @rule(acct=accounts, pick=st.integers(0, 50), side=sides, price=prices, qty=qtys, allow=st.booleans())
    def cancel_replace(self, acct: str, pick: int, side: Side, price: D, qty: D, allow: bool) -> None:
        opens = self.engine.open_orders(acct)
        target = opens[pick % len(opens)].order_id if opens else pick + 1
        new = OrderRequest(
            SYM, side, OrderType.LIMIT, quantity=qty, price=price, time_in_force=TimeInForce.GTC
        )
        res = self.engine.cancel_replace(
            acct,
            SYM,
            cancel_order_id=target,
            cancel_orig_client_order_id=None,
            new=new,
            mode="ALLOW_FAILURE" if allow else "STOP_ON_FAILURE",
            now_ms=self._tick(),
        )
        assert (res.cancel_error is None) == bool(opens)
        self._absorb(res.events)

    @rule(acct=accounts, asset=st.sampled_from(["BTC", "USDT"]), amount=st.integers(-500, 500))
    def deposit(self, acct: str, asset: str, amount: int) -> None:
        events = self._run(self.engine.deposit, acct, asset, D(amount), self._tick())
        if events is not None:
            self.totals[asset] += amount
            self._absorb(events)

    @precondition(lambda self: self.engine.last_price(SYM) is not None)
    @rule()
    def snapshot_ids(self) -> None:
        assert self.engine.depth(SYM, 5).last_update_id == self.last_u

    # ---- invariants ----------------------------------------------------------------------------

    @invariant()
    def balances_never_negative_and_locks_exact(self) -> None:
        for acct in ACCOUNTS:
            bals = self.engine.balances(acct)
            for b in bals.values():
                assert b.free >= 0 and b.locked >= 0
            quote, base = expected_locks(self.engine.open_orders(acct))
            assert bals["USDT"].locked == quote, acct
            assert bals["BTC"].locked == base, acct

    @invariant()
    def assets_conserved(self) -> None:
        fees = self.engine.fees_collected()
        for asset, total in self.totals.items():
            held = sum(
                (
                    b.free + b.locked
                    for a in ACCOUNTS
                    for name, b in self.engine.balances(a).items()
                    if name == asset
                ),
                D(0),
            )
            assert held + fees.get(asset, D(0)) == total, asset

    @invariant()
    def book_not_crossed_and_replayable(self) -> None:
        snap = self.engine.depth(SYM, 1000)
        if snap.bids and snap.asks:
            assert snap.bids[0][0] < snap.asks[0][0]
        assert snap.last_update_id == self.last_u
        assert snap.bids == sorted(self.book["bids"].items(), reverse=True)
        assert snap.asks == sorted(self.book["asks"].items())

    @invariant()
    def open_orders_are_open(self) -> None:
        for acct in ACCOUNTS:
            for o in self.engine.open_orders(acct):
                assert not o.status.is_final and o.executed_qty < o.orig_qty


EngineMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEngineProperties = EngineMachine.TestCase
