"""Today's engine against the engine at the bench's baseline commit (read from git, as bench
case 5a does): the same seeded flow of every entry point (LIMIT in every time in force,
LIMIT_MAKER, MARKET by quantity and by quote amount, stops and trailing stops, icebergs,
OCOs, cancels, cancel-replace, deposits; every self-trade prevention mode) must give the
same answers, events, refusals and final state, field by field, down to each Decimal's text
(``1.0`` and ``1.00`` are equal numbers but different answers on the wire).

The hot path was rewritten for speed (issue 15) while its public behaviour had to stay
exactly as it was: this is the test that says so for everything the oracle test
(``test_engine_matching_oracle.py``) does not model."""

from __future__ import annotations

import random
from decimal import Decimal as D
from types import ModuleType
from typing import Any

import pytest
from bench import baseline_engine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeexec.binance.enums import OrderType, SelfTradePreventionMode, Side, TimeInForce
from tradeexec.sim import engine as current

SYM = "BTCUSDT"
ACCOUNTS = ("a", "b", "c")
STPS = list(SelfTradePreventionMode)


def _plain(value: Any) -> Any:
    """Events and records as nested plain values, Decimals as their text."""
    if isinstance(value, D):
        return str(value)
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "_fields"):  # NamedTuple
        return (type(value).__name__, {f: _plain(getattr(value, f)) for f in value._fields})
    if hasattr(value, "__dataclass_fields__"):
        return (type(value).__name__, {f: _plain(getattr(value, f)) for f in value.__dataclass_fields__})
    if isinstance(value, BaseException):
        return (type(value).__name__, getattr(value, "code", None), getattr(value, "msg", str(value)))
    return value


def _generated_ids_numbered(value: Any, seen: dict[str, str]) -> Any:
    """``_plain`` output with each id the engine generated (22 letters and digits: no request
    here carries a client id) replaced by its rank of first appearance. Which ids an engine
    generates is its own choice (base 62 at the baseline, hex since); that they are distinct,
    and which order, cancel or list carries which, must match."""
    if isinstance(value, str) and len(value) == 22 and value.isalnum():
        return seen.setdefault(value, f"generated id #{len(seen)}")
    if isinstance(value, list | tuple):
        return type(value)(_generated_ids_numbered(v, seen) for v in value)
    if isinstance(value, dict):
        return {k: _generated_ids_numbered(v, seen) for k, v in value.items()}
    return value


def _limit(
    pkg: ModuleType,
    side: Side,
    qty: D,
    price: D,
    tif: TimeInForce,
    *,
    iceberg: D | None = None,
    stp: SelfTradePreventionMode = SelfTradePreventionMode.NONE,
) -> Any:
    """A LIMIT order request of ``pkg`` (today's engine or the baseline's)."""
    fields = {"quantity": qty, "price": price, "time_in_force": tif, "iceberg_qty": iceberg, "stp_mode": stp}
    return pkg.OrderRequest(SYM, side, OrderType.LIMIT, **fields)


def _request(pkg: ModuleType, rng: random.Random, now: int) -> tuple[str, tuple[Any, ...]]:
    """One seeded call: a name and its arguments (built per package); cancels pick order ids
    up to twice the calls so far, some of them unknown."""
    account = rng.choice(ACCOUNTS)
    side = rng.choice((Side.BUY, Side.SELL))
    price = D(rng.randint(95, 105)) + D(rng.choice((0, 0, 5))) / 10
    qty = D(rng.randint(1, 40)) / D(1000)
    stp = rng.choice(STPS)
    roll = rng.random()
    if roll < 0.45:
        tif = rng.choice((TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK))
        iceberg = qty / 4 if tif is TimeInForce.GTC and rng.random() < 0.15 else None
        return "place", (account, _limit(pkg, side, qty, price, tif, iceberg=iceberg, stp=stp))
    if roll < 0.52:
        req = pkg.OrderRequest(SYM, side, OrderType.LIMIT_MAKER, quantity=qty, price=price, stp_mode=stp)
        return "place", (account, req)
    if roll < 0.62:
        by_quote = rng.random() < 0.5
        req = pkg.OrderRequest(
            SYM,
            side,
            OrderType.MARKET,
            quantity=None if by_quote else qty,
            quote_order_qty=(price * qty).quantize(D("0.01")) if by_quote else None,
            stp_mode=stp,
        )
        return "place", (account, req)
    if roll < 0.72:
        order_type = rng.choice(list(current.core.STOP_TYPES))  # type: ignore[attr-defined]
        limit = order_type in (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
        trailing = rng.random() < 0.3
        req = pkg.OrderRequest(
            SYM,
            side,
            order_type,
            quantity=qty,
            price=price if limit else None,
            time_in_force=TimeInForce.GTC if limit else None,
            stop_price=None if trailing and rng.random() < 0.5 else price + rng.choice((-2, -1, 1, 2)),
            trailing_delta=rng.choice((50, 100, 200)) if trailing else None,
            stp_mode=stp,
        )
        return "place", (account, req)
    if roll < 0.77:
        limit_price, stop_price = (price + 2, price - 2) if side is Side.SELL else (price - 2, price + 2)
        return "place_oco", (account, side, qty, limit_price, stop_price, rng.random() < 0.5, stp)
    if roll < 0.90:
        return "cancel", (account, rng.randint(1, 2 * now))
    if roll < 0.95:
        req = _limit(pkg, side, qty, price, TimeInForce.GTC, stp=stp)
        mode = rng.choice(("STOP_ON_FAILURE", "ALLOW_FAILURE"))
        return "cancel_replace", (account, rng.randint(1, 2 * now), req, mode)
    if roll < 0.97:
        return "cancel_all", (account,)
    return "deposit", (account, rng.choice(("BTC", "USDT")), D(rng.randint(-50, 50)) / 10)


def _call(eng: Any, name: str, args: tuple[Any, ...], now: int) -> Any:
    if name == "place":
        return eng.place(args[0], args[1], now_ms=now)
    if name == "place_oco":
        account, side, qty, price, stop, with_limit, stp = args
        return eng.place_oco(
            account,
            symbol=SYM,
            side=side,
            quantity=qty,
            price=price,
            stop_price=stop,
            stop_limit_price=stop if with_limit else None,
            stop_limit_time_in_force=TimeInForce.GTC if with_limit else None,
            list_client_order_id=None,
            limit_client_order_id=None,
            stop_client_order_id=None,
            now_ms=now,
            stp_mode=stp,
        )
    if name == "cancel":
        return eng.cancel(args[0], SYM, order_id=args[1], now_ms=now)
    if name == "cancel_replace":
        account, order_id, req, mode = args
        return eng.cancel_replace(
            account,
            SYM,
            cancel_order_id=order_id,
            cancel_orig_client_order_id=None,
            new=req,
            mode=mode,
            now_ms=now,
        )
    if name == "cancel_all":
        return eng.cancel_all(args[0], SYM, now)
    return eng.deposit(args[0], args[1], args[2], now)


def _run(pkg: ModuleType, seed: int, n: int) -> list[Any]:
    eng = pkg.Engine(
        [pkg.SymbolSpec(SYM, "BTC", "USDT", base_precision=5, quote_precision=6, step_size=D("0.001"))]
    )
    eng.create_account("a", {"BTC": D(50), "USDT": D(5000)})
    eng.create_account("b", {"BTC": D(3), "USDT": D(400)}, maker_commission=D(0), taker_commission=D("0.002"))
    eng.create_account("c", {"BTC": D(20), "USDT": D(2500)}, maker_commission=D("0.0007"))
    rng = random.Random(seed)
    out: list[Any] = []
    for now in range(1, n + 1):
        name, args = _request(pkg, rng, now)
        try:
            result = _call(eng, name, args, now)
        except pkg.EngineReject as exc:
            result = exc
        out.append((name, _plain(result)))
    for account in ACCOUNTS:
        out.append(_plain(eng.balances(account)))
        out.append(_plain(eng.open_orders(account)))
        out.append(_plain(eng.all_orders(account, SYM)))
        out.append(_plain(eng.my_trades(account, SYM)))
    out.append(_plain(eng.depth(SYM, 50)))
    out.append(_plain(eng.recent_trades(SYM)))
    out.append(_plain(eng.fees_collected()))
    return _generated_ids_numbered(out, {})  # type: ignore[no-any-return]


@pytest.mark.parametrize("seed", range(6))
def test_same_answers_and_events_as_the_baseline_engine(seed: int) -> None:
    baseline = baseline_engine.load()
    if baseline is None:
        pytest.skip(f"no git history with {baseline_engine.BASELINE_COMMIT} (e.g. a shallow clone)")
    n = 400
    expected, got = _run(baseline, seed, n), _run(current, seed, n)
    for i, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert have == want, f"seed {seed}, step {i}: differs from the baseline engine"


def _tuples_in(value: Any) -> list[tuple[Any, ...]]:
    """Every NamedTuple reachable from ``value`` (events, fills, trades, results)."""
    found: list[tuple[Any, ...]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if hasattr(item, "_fields"):
            found.append(item)
            stack.extend(item)
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif hasattr(item, "__dataclass_fields__"):
            stack.extend(getattr(item, f) for f in item.__dataclass_fields__)
    return found


def test_records_built_from_tuples_have_exactly_their_fields() -> None:
    """The hot path builds its NamedTuples from plain tuples (no generated ``__new__``, so no
    check of the field count): each one must carry exactly its fields, none missing, none
    extra."""
    eng = current.Engine(
        [current.SymbolSpec(SYM, "BTC", "USDT", base_precision=5, quote_precision=6, step_size=D("0.001"))]
    )
    for account in ACCOUNTS:
        eng.create_account(account, {"BTC": D(50), "USDT": D(5000)})
    rng = random.Random(11)
    kinds: set[str] = set()
    for now in range(1, 300):
        name, args = _request(current, rng, now)
        try:
            result = _call(eng, name, args, now)
        except current.EngineReject:
            continue
        for record in _tuples_in(result):
            kinds.add(type(record).__name__)
            assert len(record) == len(record._fields), type(record).__name__  # type: ignore[attr-defined]
    assert {"PlaceResult", "ExecutionEvent", "Fill", "TradePrint", "TradePrintEvent", "BalanceEvent"} <= kinds
    assert "DepthEvent" in kinds


magnitudes = st.integers(-8, 9).flatmap(
    lambda exp: st.integers(1, 99_999).map(lambda n: D(n).scaleb(exp - 4) if exp < 4 else D(n).scaleb(exp))
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    orders=st.lists(
        st.tuples(
            st.sampled_from(ACCOUNTS),
            st.sampled_from((Side.BUY, Side.SELL)),
            st.integers(-3, 3),
            magnitudes,
            st.sampled_from((TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK)),
            st.booleans(),
        ),
        min_size=1,
        max_size=40,
    ),
    mid=magnitudes,
)
def test_very_small_and_very_large_figures_match_the_baseline(
    orders: list[tuple[str, Side, int, D, TimeInForce, bool]], mid: D
) -> None:
    """Quantities from 1e-12 to 1e14 and prices around any mid from 1e-12 to 1e14, with
    icebergs, on accounts holding 10^30: every figure (fills, quote amounts, fees rounded to
    the asset's unit, locks, balances) equal to the baseline engine's, digit for digit."""
    baseline = baseline_engine.load()
    if baseline is None:
        pytest.skip(f"no git history with {baseline_engine.BASELINE_COMMIT} (e.g. a shallow clone)")
    tick = mid.scaleb(-2)
    outs = []
    for pkg in (baseline, current):
        eng = pkg.Engine([pkg.SymbolSpec(SYM, "BTC", "USDT", base_precision=8, quote_precision=8)])
        for account in ACCOUNTS:
            eng.create_account(account, {"BTC": D(10) ** 30, "USDT": D(10) ** 30})
        out = []
        for now, (account, side, offset, qty, tif, iceberg) in enumerate(orders, start=1):
            slice_qty = qty / 4 if iceberg and tif is TimeInForce.GTC else None
            req = _limit(pkg, side, qty, mid + tick * offset, tif, iceberg=slice_qty)
            try:
                out.append(_plain(eng.place(account, req, now_ms=now)))
            except pkg.EngineReject as exc:
                out.append(_plain(exc))
        out.extend(_plain(eng.balances(a)) for a in ACCOUNTS)
        out.append(_plain(eng.depth(SYM, 100)))
        outs.append(_generated_ids_numbered(out, {}))
    for i, (want, have) in enumerate(zip(*outs, strict=True)):
        assert have == want, f"step {i}: differs from the baseline engine"
