"""Behaviour of the matching engine, one Binance rule per test."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tradeexec.binance.enums import (
    ExecutionType,
    OrderStatus,
    OrderType,
    SelfTradePreventionMode,
    Side,
    TimeInForce,
)
from tradeexec.sim.engine import (
    BalanceEvent,
    BalanceUpdateEvent,
    CancelReplaceResult,
    DepthEvent,
    Engine,
    EngineReject,
    Event,
    ExecutionEvent,
    ListStatusEvent,
    OrderRequest,
    PlaceResult,
    SymbolSpec,
    TradePrintEvent,
)

SYM = "BTCUSDT"
BUY, SELL = Side.BUY, Side.SELL
GTC, IOC, FOK = TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK


@pytest.fixture
def eng() -> Engine:
    e = Engine([SymbolSpec(SYM, "BTC", "USDT", base_precision=8, quote_precision=8)])
    for name in ("a", "b", "c"):
        e.create_account(name, {"BTC": D(100), "USDT": D(1_000_000)})
    return e


def limit(
    e: Engine, acct: str, side: Side, qty: str, price: str, tif: TimeInForce = GTC, **kw: object
) -> PlaceResult:
    req = OrderRequest(SYM, side, OrderType.LIMIT, quantity=D(qty), price=D(price), time_in_force=tif, **kw)  # type: ignore[arg-type]
    return e.place(acct, req, now_ms=1000)


def market(e: Engine, acct: str, side: Side, qty: str | None = None, quote: str | None = None) -> PlaceResult:
    req = OrderRequest(
        SYM,
        side,
        OrderType.MARKET,
        quantity=None if qty is None else D(qty),
        quote_order_qty=None if quote is None else D(quote),
    )
    return e.place(acct, req, now_ms=2000)


def stop(
    e: Engine,
    acct: str,
    side: Side,
    otype: OrderType,
    qty: str,
    stop_price: str | None,
    price: str | None = None,
    trailing: int | None = None,
) -> PlaceResult:
    req = OrderRequest(
        SYM,
        side,
        otype,
        quantity=D(qty),
        price=None if price is None else D(price),
        time_in_force=GTC if price is not None else None,
        stop_price=None if stop_price is None else D(stop_price),
        trailing_delta=trailing,
    )
    return e.place(acct, req, now_ms=3000)


def execs(events: list[Event], account: str | None = None) -> list[tuple[int, str, str]]:
    return [
        (ev.order.order_id, str(ev.execution_type), str(ev.order.status))
        for ev in events
        if isinstance(ev, ExecutionEvent) and (account is None or ev.account == account)
    ]


def bal(e: Engine, acct: str, asset: str) -> tuple[D, D]:
    b = e.balances(acct)[asset]
    return b.free, b.locked


def set_last_price(e: Engine, price: str) -> None:
    """One trade between c and c at ``price`` (self-trade is allowed with STP NONE)."""
    limit(e, "c", SELL, "0.001", price)
    limit(e, "c", BUY, "0.001", price)


# ---- limit orders, priority, fills -------------------------------------------------------------


def test_limit_rests_and_locks_quote(eng: Engine) -> None:
    r = limit(eng, "a", BUY, "2", "100.5")
    assert r.order.status is OrderStatus.NEW and r.fills == []
    assert bal(eng, "a", "USDT") == (D(1_000_000) - D("201"), D("201"))
    assert eng.depth(SYM, 5).bids == [(D("100.5"), D(2))]
    assert eng.open_order_count("a", SYM) == 1


def test_crossing_limit_fills_at_maker_price_with_price_improvement(eng: Engine) -> None:
    limit(eng, "a", SELL, "1", "100")
    r = limit(eng, "b", BUY, "1", "105")
    assert r.order.status is OrderStatus.FILLED
    assert [(f.price, f.qty, f.is_maker) for f in r.fills] == [(D(100), D(1), False)]
    # buyer paid 100, not 105, and nothing stays locked; fee in BTC at the taker rate
    assert bal(eng, "b", "USDT") == (D(1_000_000) - 100, 0)
    assert bal(eng, "b", "BTC") == (D(100) + D("0.999"), 0)
    # seller: base left the lock, quote received minus maker fee
    assert bal(eng, "a", "BTC") == (D(99), 0)
    assert bal(eng, "a", "USDT") == (D(1_000_000) + D("99.9"), 0)
    assert eng.fees_collected() == {"BTC": D("0.001"), "USDT": D("0.1")}


def test_partial_fill_then_rest(eng: Engine) -> None:
    limit(eng, "a", SELL, "1", "100")
    r = limit(eng, "b", BUY, "3", "100")
    assert r.order.status is OrderStatus.PARTIALLY_FILLED
    assert r.order.executed_qty == 1 and r.order.cummulative_quote_qty == 100
    assert eng.depth(SYM, 5).bids == [(D(100), D(2))]
    assert bal(eng, "b", "USDT")[1] == D(200)


def test_price_time_priority_and_sweep(eng: Engine) -> None:
    first = limit(eng, "a", SELL, "1", "101").order.order_id
    second = limit(eng, "b", SELL, "1", "101").order.order_id
    better = limit(eng, "c", SELL, "1", "100").order.order_id
    r = limit(eng, "a", BUY, "2.5", "101")
    trades = eng.recent_trades(SYM)
    assert [(t.seller_order_id, t.price, t.qty) for t in trades] == [
        (better, D(100), D(1)),
        (first, D(101), D(1)),
        (second, D(101), D("0.5")),
    ]
    assert all(not t.is_buyer_maker for t in trades)
    assert r.order.status is OrderStatus.FILLED
    assert eng.depth(SYM, 5).asks == [(D(101), D("0.5"))]


def test_ioc_leftover_expires_and_releases(eng: Engine) -> None:
    limit(eng, "a", SELL, "1", "100")
    r = limit(eng, "b", BUY, "3", "100", IOC)
    assert r.order.status is OrderStatus.EXPIRED and r.order.executed_qty == 1
    assert bal(eng, "b", "USDT") == (D(1_000_000) - 100, 0)
    assert eng.depth(SYM, 5).bids == []
    assert execs(r.events, "b") == [
        (2, "NEW", "NEW"),
        (2, "TRADE", "PARTIALLY_FILLED"),
        (2, "EXPIRED", "EXPIRED"),
    ]


def test_fok_all_or_nothing(eng: Engine) -> None:
    limit(eng, "a", SELL, "1", "100")
    r = limit(eng, "b", BUY, "2", "100", FOK)
    assert r.order.status is OrderStatus.EXPIRED and r.order.executed_qty == 0
    assert eng.depth(SYM, 5).asks == [(D(100), D(1))]
    assert bal(eng, "b", "USDT") == (D(1_000_000), 0)
    assert not any(isinstance(ev, (TradePrintEvent, DepthEvent)) for ev in r.events)
    r = limit(eng, "b", BUY, "1", "100", FOK)
    assert r.order.status is OrderStatus.FILLED


# ---- market orders ----------------------------------------------------------------------------


def test_market_by_quantity_walks_book_and_expires_rest(eng: Engine) -> None:
    limit(eng, "a", SELL, "1", "100")
    limit(eng, "a", SELL, "1", "110")
    r = market(eng, "b", BUY, qty="3")
    assert r.order.status is OrderStatus.EXPIRED
    assert r.order.executed_qty == 2 and r.order.cummulative_quote_qty == 210
    assert r.order.price == 0
    assert bal(eng, "b", "USDT") == (D(1_000_000) - 210, 0)


def test_market_buy_insufficient_is_atomic(eng: Engine) -> None:
    eng.create_account("poor", {"USDT": D("150")})
    limit(eng, "a", SELL, "1", "100")
    limit(eng, "a", SELL, "1", "110")
    before = eng.depth(SYM, 10)
    with pytest.raises(EngineReject) as exc:
        market(eng, "poor", BUY, qty="2")
    assert (exc.value.code, exc.value.msg) == (
        -2010,
        "Account has insufficient balance for requested action.",
    )
    assert eng.depth(SYM, 10) == before
    assert eng.recent_trades(SYM) == []
    assert bal(eng, "poor", "USDT") == (D(150), 0)
    assert eng.all_orders("poor", SYM) == []
    # exactly affordable is fine
    r = market(eng, "poor", BUY, qty="1.4545")
    assert r.order.status is OrderStatus.FILLED and bal(eng, "poor", "USDT") == (D("0.005"), 0)


def test_market_by_quote_rounds_down_to_step(eng: Engine) -> None:
    limit(eng, "a", SELL, "1", "3")
    r = market(eng, "b", BUY, quote="10")
    # 10 / 3 = 3.33.. but only 1 on the book at 3 -> 1 filled, liquidity exhausted
    assert r.order.executed_qty == 1 and r.order.status is OrderStatus.EXPIRED
    limit(eng, "a", SELL, "50", "3")
    r = market(eng, "b", BUY, quote="10")
    assert r.order.executed_qty == D("3.33333333")
    assert r.order.cummulative_quote_qty == D("9.99999999")
    assert r.order.status is OrderStatus.FILLED and r.order.orig_quote_order_qty == 10
    assert r.order.orig_qty == r.order.executed_qty


def test_market_by_quote_uses_symbol_step(eng: Engine) -> None:
    eng.add_symbol(SymbolSpec("ETHUSDT", "ETH", "USDT", step_size=D("0.01")))
    eng.create_account("s", {"ETH": D(10)})
    eng.place("s", OrderRequest("ETHUSDT", SELL, OrderType.LIMIT, D(10), price=D(3), time_in_force=GTC), 1)
    r = eng.place("b", OrderRequest("ETHUSDT", BUY, OrderType.MARKET, quote_order_qty=D(10)), 2)
    assert r.order.executed_qty == D("3.33")


def test_market_sell_by_quote(eng: Engine) -> None:
    limit(eng, "a", BUY, "1", "100")
    limit(eng, "a", BUY, "1", "90")
    r = market(eng, "b", SELL, quote="145")
    assert r.order.executed_qty == D("1.5") and r.order.cummulative_quote_qty == D(145)
    assert bal(eng, "b", "BTC") == (D("98.5"), 0)


def test_market_sell_needs_base(eng: Engine) -> None:
    eng.create_account("empty", {})
    limit(eng, "a", BUY, "1", "100")
    with pytest.raises(EngineReject):
        market(eng, "empty", SELL, qty="1")


def test_limit_insufficient_balance(eng: Engine) -> None:
    eng.create_account("poor", {"USDT": D(99), "BTC": D("0.5")})
    with pytest.raises(EngineReject) as exc:
        limit(eng, "poor", BUY, "1", "100")
    assert exc.value.code == -2010
    with pytest.raises(EngineReject):
        limit(eng, "poor", SELL, "0.6", "100")
    assert eng.open_orders("poor") == []


# ---- LIMIT_MAKER, duplicate ids ------------------------------------------------------------------


def test_limit_maker_rejected_when_it_would_take(eng: Engine) -> None:
    limit(eng, "a", SELL, "1", "100")
    req = OrderRequest(SYM, BUY, OrderType.LIMIT_MAKER, quantity=D(1), price=D(100))
    with pytest.raises(EngineReject) as exc:
        eng.place("b", req, 1)
    assert (exc.value.code, exc.value.msg) == (-2010, "Order would immediately match and take.")
    req = OrderRequest(SYM, BUY, OrderType.LIMIT_MAKER, quantity=D(1), price=D("99.99"))
    assert eng.place("b", req, 1).order.status is OrderStatus.NEW


def test_duplicate_client_order_id_only_among_open(eng: Engine) -> None:
    limit(eng, "a", BUY, "1", "90", client_order_id="mine")
    with pytest.raises(EngineReject) as exc:
        limit(eng, "a", BUY, "1", "91", client_order_id="mine")
    assert exc.value.msg == "Duplicate order sent."
    limit(eng, "b", BUY, "1", "91", client_order_id="mine")  # another account: fine
    eng.cancel("a", SYM, client_order_id="mine", now_ms=5)
    r = limit(eng, "a", BUY, "1", "92", client_order_id="mine")  # canceled: reusable
    assert eng.get_order("a", SYM, client_order_id="mine").order_id == r.order.order_id


def test_generated_client_ids_unique_and_binance_like(eng: Engine) -> None:
    ids = {limit(eng, "a", BUY, "0.01", str(50 + i)).order.client_order_id for i in range(50)}
    assert len(ids) == 50
    assert all(len(i) == 22 and i.isalnum() for i in ids)


# ---- cancel ---------------------------------------------------------------------------------------


def test_cancel_returns_lock_exactly(eng: Engine) -> None:
    limit(eng, "a", SELL, "0.3", "33.33")
    r = limit(eng, "b", BUY, "1", "33.333333")
    order, events = eng.cancel("b", SYM, order_id=r.order.order_id, new_client_order_id="cx", now_ms=9)
    assert order.status is OrderStatus.CANCELED and order.executed_qty == D("0.3")
    assert bal(eng, "b", "USDT") == (D(1_000_000) - D("0.3") * D("33.33"), 0)
    ev = next(e for e in events if isinstance(e, ExecutionEvent))
    assert ev.cancel_client_order_id == "cx" and ev.orig_client_order_id == order.client_order_id
    assert ev.execution_type is ExecutionType.CANCELED
    with pytest.raises(EngineReject) as exc:
        eng.cancel("b", SYM, order_id=r.order.order_id, now_ms=10)
    assert (exc.value.code, exc.value.msg) == (-2011, "Unknown order sent.")
    with pytest.raises(EngineReject) as exc:
        eng.cancel("a", SYM, order_id=999, now_ms=10)
    assert exc.value.code == -2011


def test_cannot_cancel_someone_elses_order(eng: Engine) -> None:
    r = limit(eng, "a", BUY, "1", "90")
    with pytest.raises(EngineReject):
        eng.cancel("b", SYM, order_id=r.order.order_id, now_ms=1)
    with pytest.raises(EngineReject) as exc:
        eng.get_order("b", SYM, order_id=r.order.order_id)
    assert (exc.value.code, exc.value.msg) == (-2013, "Order does not exist.")


def test_cancel_all(eng: Engine) -> None:
    with pytest.raises(EngineReject) as exc:
        eng.cancel_all("a", SYM, 1)
    assert exc.value.code == -2011
    limit(eng, "a", BUY, "1", "90")
    limit(eng, "a", SELL, "1", "110")
    limit(eng, "b", BUY, "1", "91")
    orders, events = eng.cancel_all("a", SYM, 2)
    assert [o.status for o in orders] == [OrderStatus.CANCELED] * 2
    assert eng.open_orders("a") == [] and eng.open_order_count("b") == 1
    assert bal(eng, "a", "USDT") == (D(1_000_000), 0) and bal(eng, "a", "BTC") == (D(100), 0)
    depth = [ev for ev in events if isinstance(ev, DepthEvent)]
    assert len(depth) == 1 and depth[0].bids == [(D(90), D(0))] and depth[0].asks == [(D(110), D(0))]


def test_cancel_replace_modes(eng: Engine) -> None:
    old = limit(eng, "a", BUY, "1", "90").order
    new = OrderRequest(SYM, BUY, OrderType.LIMIT, quantity=D(2), price=D(95), time_in_force=GTC)

    def replace_old(mode: str, now_ms: int) -> CancelReplaceResult:
        return eng.cancel_replace(
            "a",
            SYM,
            cancel_order_id=old.order_id,
            cancel_orig_client_order_id=None,
            new=new,
            mode=mode,
            now_ms=now_ms,
        )

    res = replace_old("STOP_ON_FAILURE", 5)
    assert res.ok and res.cancel_order is not None and res.cancel_order.status is OrderStatus.CANCELED
    assert res.new_result is not None and res.new_result.order.price == 95
    assert bal(eng, "a", "USDT") == (D(1_000_000) - 190, D(190))
    # cancel fails, STOP_ON_FAILURE: new order not attempted
    res = replace_old("STOP_ON_FAILURE", 6)
    assert res.cancel_error is not None and res.cancel_error.code == -2011
    assert not res.new_attempted and res.events == []
    # cancel fails, ALLOW_FAILURE: new order placed anyway
    res = replace_old("ALLOW_FAILURE", 7)
    assert res.cancel_error is not None and res.new_result is not None and not res.ok
    # cancel succeeds, new fails (LIMIT_MAKER would take): the cancel stands
    limit(eng, "b", SELL, "1", "96")
    victim = limit(eng, "a", BUY, "1", "80").order
    maker = OrderRequest(SYM, BUY, OrderType.LIMIT_MAKER, quantity=D(1), price=D(96))
    res = eng.cancel_replace(
        "a",
        SYM,
        cancel_order_id=None,
        cancel_orig_client_order_id=victim.client_order_id,
        new=maker,
        mode="STOP_ON_FAILURE",
        now_ms=8,
    )
    assert res.cancel_order is not None and res.new_error is not None
    assert res.new_error.msg == "Order would immediately match and take."
    assert eng.get_order("a", SYM, order_id=victim.order_id).status is OrderStatus.CANCELED


# ---- stops -------------------------------------------------------------------------------------


def test_stop_rejected_if_it_would_trigger_immediately(eng: Engine) -> None:
    set_last_price(eng, "100")
    with pytest.raises(EngineReject) as exc:
        stop(eng, "a", SELL, OrderType.STOP_LOSS, "1", "101")
    assert (exc.value.code, exc.value.msg) == (-2010, "Order would trigger immediately.")
    with pytest.raises(EngineReject):
        stop(eng, "a", BUY, OrderType.STOP_LOSS_LIMIT, "1", "99", price="99")
    with pytest.raises(EngineReject):
        stop(eng, "a", SELL, OrderType.TAKE_PROFIT, "1", "99")
    with pytest.raises(EngineReject):
        stop(eng, "a", BUY, OrderType.TAKE_PROFIT_LIMIT, "1", "100", price="100")


def test_stop_loss_limit_triggers_and_cascades(eng: Engine) -> None:
    set_last_price(eng, "100")
    s = stop(eng, "a", SELL, OrderType.STOP_LOSS_LIMIT, "1", "95", price="94")
    assert s.order.working_time == -1 and not s.order.is_working
    assert bal(eng, "a", "BTC") == (D(99), D(1))
    assert eng.algo_order_count("a", SYM) == 1 and eng.depth(SYM, 5).asks == []
    # a second stop that the first one's trade will trigger
    s2 = stop(eng, "b", SELL, OrderType.STOP_LOSS, "0.5", "94.5")
    limit(eng, "c", BUY, "2", "94")
    limit(eng, "c", BUY, "1", "96")
    r = limit(eng, "b", SELL, "1", "95")  # trades at 96 (maker), no trigger yet
    assert eng.get_order("a", SYM, order_id=s.order.order_id).working_time == -1
    r = limit(eng, "b", SELL, "0.1", "94")  # trades at 94: triggers s (-> LIMIT 94) which trades at 94
    events = r.events
    got = eng.get_order("a", SYM, order_id=s.order.order_id)
    assert got.status is OrderStatus.FILLED and got.working_time == 1000 and got.is_working
    trig = [ev for ev in events if isinstance(ev, ExecutionEvent) and ev.order.order_id == s.order.order_id]
    assert [str(ev.execution_type) for ev in trig] == ["NEW", "TRADE"]
    got2 = eng.get_order("b", SYM, order_id=s2.order.order_id)
    assert got2.status is OrderStatus.FILLED and got2.executed_qty == D("0.5")
    assert eng.last_price(SYM) == 94


def test_take_profit_market_buy_triggers_on_fall(eng: Engine) -> None:
    set_last_price(eng, "100")
    tp = stop(eng, "a", BUY, OrderType.TAKE_PROFIT, "1", "90")
    assert bal(eng, "a", "USDT")[1] == 0  # a stop MARKET buy locks nothing
    limit(eng, "b", SELL, "5", "91")
    limit(eng, "c", BUY, "1", "89.5")
    market(eng, "b", SELL, qty="1")  # trade at 89.5 -> triggers TP buy, which takes 1 at 91
    got = eng.get_order("a", SYM, order_id=tp.order.order_id)
    assert got.status is OrderStatus.FILLED and got.cummulative_quote_qty == 91


def test_trailing_stop_sell_tracks_the_high(eng: Engine) -> None:
    set_last_price(eng, "100")
    ts = stop(eng, "a", SELL, OrderType.STOP_LOSS, "1", None, trailing=500)  # 5%
    order_id = ts.order.order_id
    assert eng.get_order("a", SYM, order_id=order_id).trailing_time == 3000  # tracking from placement
    set_last_price(eng, "120")  # new high
    set_last_price(eng, "115")  # -4.2%: not yet
    assert eng.get_order("a", SYM, order_id=order_id).working_time == -1
    limit(eng, "b", BUY, "1", "110")
    set_last_price(eng, "114")  # 120 * 0.95 = 114 -> fires, sells 1 into b's bid at 110
    got = eng.get_order("a", SYM, order_id=order_id)
    assert got.status is OrderStatus.FILLED and got.cummulative_quote_qty == 110


def test_trailing_stop_with_activation_price(eng: Engine) -> None:
    set_last_price(eng, "100")
    ts = stop(eng, "a", BUY, OrderType.STOP_LOSS, "1", "110", trailing=1000)  # activate at >=110, 10%
    oid = ts.order.order_id
    set_last_price(eng, "105")
    set_last_price(eng, "100")
    assert eng.get_order("a", SYM, order_id=oid).trailing_time == -1
    set_last_price(eng, "110")  # activates, low = 110
    assert eng.get_order("a", SYM, order_id=oid).trailing_time != -1
    set_last_price(eng, "100")  # new low 100
    set_last_price(eng, "109")  # +9%: no
    assert eng.get_order("a", SYM, order_id=oid).working_time == -1
    limit(eng, "b", SELL, "1", "111")
    set_last_price(eng, "110")  # 100 * 1.1 = 110 -> fires, buys at 111
    got = eng.get_order("a", SYM, order_id=oid)
    assert got.status is OrderStatus.FILLED and got.cummulative_quote_qty == 111


# ---- iceberg -----------------------------------------------------------------------------------


def test_iceberg_visible_part_and_refill_to_back(eng: Engine) -> None:
    ice = limit(eng, "a", SELL, "10", "100", iceberg_qty=D(2)).order.order_id
    assert eng.depth(SYM, 5).asks == [(D(100), D(2))]
    assert bal(eng, "a", "BTC") == (D(90), D(10))
    assert eng.iceberg_order_count("a") == 1
    other = limit(eng, "b", SELL, "1", "100").order.order_id
    r = limit(eng, "c", BUY, "3.5", "100")
    # 2 from the iceberg's slice, then b's 1 (the refill went behind it), then 0.5 from the refill
    trades = eng.recent_trades(SYM)
    assert [(t.seller_order_id, t.qty) for t in trades] == [(ice, D(2)), (other, D(1)), (ice, D("0.5"))]
    assert r.order.status is OrderStatus.FILLED
    assert eng.depth(SYM, 5).asks == [(D(100), D("1.5"))]
    depth_ev = [ev for ev in r.events if isinstance(ev, DepthEvent)]
    assert depth_ev[0].asks == [(D(100), D("1.5"))]


# ---- OCO ---------------------------------------------------------------------------------------


def oco(eng: Engine, side: Side, price: str, stop_price: str, stop_limit: str | None, acct: str = "a"):  # type: ignore[no-untyped-def]
    return eng.place_oco(
        acct,
        symbol=SYM,
        side=side,
        quantity=D(1),
        price=D(price),
        stop_price=D(stop_price),
        stop_limit_price=None if stop_limit is None else D(stop_limit),
        stop_limit_time_in_force=None if stop_limit is None else GTC,
        list_client_order_id="L1",
        limit_client_order_id=None,
        stop_client_order_id=None,
        now_ms=50,
    )


def test_oco_price_relation(eng: Engine) -> None:
    set_last_price(eng, "100")
    with pytest.raises(EngineReject) as exc:
        oco(eng, SELL, "99", "95", "94")
    assert (exc.value.code, exc.value.msg) == (
        -2010,
        "The relationship of the prices for the orders is not correct.",
    )
    with pytest.raises(EngineReject):
        oco(eng, BUY, "101", "105", None)


def test_oco_limit_leg_fill_expires_stop_leg(eng: Engine) -> None:
    set_last_price(eng, "100")
    order_list, orders, events = oco(eng, SELL, "110", "90", "89")
    stop_leg, limit_leg = orders
    assert (stop_leg.type, limit_leg.type) == (OrderType.STOP_LOSS_LIMIT, OrderType.LIMIT_MAKER)
    assert order_list.order_ids == [stop_leg.order_id, limit_leg.order_id]
    assert order_list.list_status_type == "EXEC_STARTED" and order_list.list_client_order_id == "L1"
    assert bal(eng, "a", "BTC") == (D(99), D(1))  # one lock for both legs
    assert isinstance(events[2], ListStatusEvent)
    r = limit(eng, "b", BUY, "0.4", "110")
    assert execs(r.events, "a") == [
        (limit_leg.order_id, "TRADE", "PARTIALLY_FILLED"),
        (stop_leg.order_id, "EXPIRED", "EXPIRED"),
    ]
    ls = [ev for ev in r.events if isinstance(ev, ListStatusEvent)]
    assert len(ls) == 1 and ls[0].order_list.list_order_status == "ALL_DONE"
    assert bal(eng, "a", "BTC") == (D(99), D("0.6"))
    # the surviving leg is an ordinary order now
    eng.cancel("a", SYM, order_id=limit_leg.order_id, now_ms=60)
    assert bal(eng, "a", "BTC") == (D("99.6"), 0)


def test_oco_stop_trigger_expires_limit_leg_buy(eng: Engine) -> None:
    set_last_price(eng, "100")
    _, (stop_leg, limit_leg), _ = oco(eng, BUY, "90", "110", "112")
    assert bal(eng, "a", "USDT")[1] == D(112)  # max(limit, stop-limit) * qty
    assert eng.depth(SYM, 5).bids == [(D(90), D(1))]
    limit(eng, "c", SELL, "0.001", "111")
    r = limit(eng, "c", BUY, "0.001", "111")  # trade at 111 >= 110: the stop leg fires
    assert execs(r.events, "a") == [
        (stop_leg.order_id, "NEW", "NEW"),
        (limit_leg.order_id, "EXPIRED", "EXPIRED"),
    ]
    (ls,) = [ev for ev in r.events if isinstance(ev, ListStatusEvent)]
    assert ls.order_list.list_status_type == "ALL_DONE"
    got = eng.get_order("a", SYM, order_id=stop_leg.order_id)
    assert got.is_working and got.working_time == 1000
    # nothing to buy at <= 112 any more: it rests as a LIMIT at 112 holding exactly 112
    assert eng.depth(SYM, 5).bids == [(D(112), D(1))]
    assert bal(eng, "a", "USDT") == (D(1_000_000) - 112, D(112))


def test_cancel_one_oco_leg_cancels_list(eng: Engine) -> None:
    set_last_price(eng, "100")
    _, (stop_leg, limit_leg), _ = oco(eng, SELL, "110", "90", None)
    _, events = eng.cancel("a", SYM, order_id=stop_leg.order_id, now_ms=70)
    assert sorted(execs(events, "a")) == [
        (stop_leg.order_id, "CANCELED", "CANCELED"),
        (limit_leg.order_id, "CANCELED", "CANCELED"),
    ]
    assert bal(eng, "a", "BTC") == (D(100), 0)
    assert eng.open_orders("a") == []
    with pytest.raises(EngineReject) as exc:
        eng.cancel_order_list("a", SYM, order_list_id=0, now_ms=71)
    assert exc.value.msg == "Unknown order list sent."


def test_cancel_order_list(eng: Engine) -> None:
    set_last_price(eng, "100")
    order_list, _, _ = oco(eng, SELL, "110", "90", "89")
    ol, orders, events = eng.cancel_order_list("a", SYM, list_client_order_id="L1", now_ms=80)
    assert ol.list_status_type == "ALL_DONE" and ol.order_list_id == order_list.order_list_id
    assert [o.status for o in orders] == [OrderStatus.CANCELED] * 2
    assert bal(eng, "a", "BTC") == (D(100), 0)
    kinds = [type(ev).__name__ for ev in events]
    assert kinds[:3] == ["ExecutionEvent", "ExecutionEvent", "ListStatusEvent"]


# ---- self-trade prevention ---------------------------------------------------------------------


def test_stp_expire_taker_and_maker(eng: Engine) -> None:
    mine = limit(eng, "a", SELL, "1", "100").order.order_id
    limit(eng, "b", SELL, "1", "100")
    r = limit(eng, "a", BUY, "2", "100", stp_mode=SelfTradePreventionMode.EXPIRE_TAKER)
    assert r.order.status is OrderStatus.EXPIRED_IN_MATCH and r.order.executed_qty == 0
    r = limit(eng, "a", BUY, "2", "100", stp_mode=SelfTradePreventionMode.EXPIRE_MAKER)
    assert eng.get_order("a", SYM, order_id=mine).status is OrderStatus.EXPIRED_IN_MATCH
    assert r.order.executed_qty == 1 and r.order.status is OrderStatus.PARTIALLY_FILLED
    assert bal(eng, "a", "BTC")[1] == 0


def test_self_trade_allowed_by_default(eng: Engine) -> None:
    limit(eng, "a", SELL, "1", "100")
    r = limit(eng, "a", BUY, "1", "100")
    assert r.order.status is OrderStatus.FILLED


# ---- events, depth, queries --------------------------------------------------------------------


def test_event_order_for_a_taker(eng: Engine) -> None:
    limit(eng, "a", SELL, "1", "100")
    r = limit(eng, "b", BUY, "1", "100")
    kinds = [type(ev).__name__ for ev in r.events]
    assert kinds == [
        "ExecutionEvent",  # taker NEW
        "ExecutionEvent",  # taker TRADE
        "ExecutionEvent",  # maker TRADE
        "TradePrintEvent",
        "BalanceEvent",
        "BalanceEvent",
        "DepthEvent",
    ]
    accounts = [ev.account for ev in r.events if isinstance(ev, BalanceEvent)]
    assert sorted(accounts) == ["a", "b"]
    new_ev = r.events[0]
    assert isinstance(new_ev, ExecutionEvent) and new_ev.order.executed_qty == 0  # a snapshot


def test_depth_update_ids_are_continuous(eng: Engine) -> None:
    assert eng.depth(SYM, 5).last_update_id == 0
    last = 0
    for i in range(5):
        r = limit(eng, "a", BUY, "1", str(90 + i))
        (ev,) = [e for e in r.events if isinstance(e, DepthEvent)]
        assert ev.first_update_id == last + 1 and ev.last_update_id >= ev.first_update_id
        last = ev.last_update_id
    r = limit(eng, "b", SELL, "2.5", "93")
    (ev,) = [e for e in r.events if isinstance(e, DepthEvent)]
    assert ev.first_update_id == last + 1
    assert ev.bids == [(D(94), D(0)), (D(93), D(0))] and ev.asks == [(D(93), D("0.5"))]
    assert eng.depth(SYM, 5).last_update_id == ev.last_update_id == eng.last_update_id(SYM)


def test_deposit_and_withdraw(eng: Engine) -> None:
    events = eng.deposit("a", "ETH", D(5), 1)
    assert isinstance(events[0], BalanceUpdateEvent) and isinstance(events[1], BalanceEvent)
    assert events[1].balances["ETH"].free == 5
    with pytest.raises(EngineReject) as exc:
        eng.deposit("a", "ETH", D(-6), 2)
    assert exc.value.code == -2010
    eng.deposit("a", "ETH", D(-5), 3)
    assert bal(eng, "a", "ETH") == (0, 0)


def test_queries(eng: Engine) -> None:
    limit(eng, "a", SELL, "1", "100")
    limit(eng, "a", SELL, "1", "101")
    r = limit(eng, "b", BUY, "1.5", "101")
    assert [f.trade_id for f in eng.my_trades("b", SYM)] == [1, 2]
    assert [f.trade_id for f in eng.my_trades("a", SYM, from_id=2)] == [2]
    assert eng.my_trades("b", SYM, order_id=r.order.order_id)[0].commission_asset == "BTC"
    assert [o.order_id for o in eng.all_orders("a", SYM)] == [1, 2]
    assert [o.order_id for o in eng.all_orders("a", SYM, order_id=2)] == [2]
    assert [t.trade_id for t in eng.recent_trades(SYM, limit=1)] == [2]
    assert [t.trade_id for t in eng.recent_trades(SYM, from_id=1, limit=1)] == [1]
    assert eng.book_ticker(SYM) == (D(0), D(0), D(101), D("0.5"))
    assert eng.commissions("a") == (D("0.001"), D("0.001"))
    with pytest.raises(EngineReject) as exc:
        eng.depth("NOPE", 5)
    assert exc.value.code == -1121


def test_maker_and_taker_rates_apply_to_the_right_side() -> None:
    e = Engine([SymbolSpec(SYM, "BTC", "USDT")])
    e.create_account("m", {"BTC": D(1)}, maker_commission=D(0), taker_commission=D("0.01"))
    e.create_account("t", {"USDT": D(1000)}, maker_commission=D("0.5"), taker_commission=D("0.002"))
    limit(e, "m", SELL, "1", "100")
    r = limit(e, "t", BUY, "1", "100")
    (fill,) = r.fills
    assert (fill.commission, fill.commission_asset, fill.is_maker) == (D("0.002"), "BTC", False)
    assert bal(e, "t", "BTC") == (D("0.998"), 0)
    assert bal(e, "m", "USDT") == (D(100), 0)  # maker rate 0
    (maker_fill,) = e.my_trades("m", SYM)
    assert maker_fill.is_maker and maker_fill.commission == 0 and maker_fill.commission_asset == "USDT"


def test_same_inputs_same_outputs() -> None:
    def run() -> list[Event]:
        e = Engine([SymbolSpec(SYM, "BTC", "USDT")])
        for name in ("a", "b"):
            e.create_account(name, {"BTC": D(10), "USDT": D(10_000)})
        out: list[Event] = []
        out += limit(e, "a", SELL, "1", "100").events
        out += limit(e, "b", BUY, "2", "101").events
        out += e.cancel_all("b", SYM, 5)[1]
        return out

    assert run() == run()
