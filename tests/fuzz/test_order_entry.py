"""Every public order-entry call, fed one bad argument at a time on top of an order that is
otherwise acceptable, against a real local exchange: each must raise a typed local refusal
naming the field, before anything is sent, and leave the exchange and the journal as they were.
"""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Callable, Coroutine, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.enums import OrderType, Side
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.binance.venue import SpotVenue
from tradeexec.binance.ws.wsapi import WsApiClient
from tradeexec.errors import InvalidParameter
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.manager import OrderManager
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.positions import PositionTracker
from tradeexec.execution.risk import RiskManager
from tradeexec.execution.signals import Executor, OrderSignal, TargetPosition
from tradeexec.sync import SyncClient

from . import (
    SYMBOL,
    UNICODE_JUNK,
    D,
    FuzzExchange,
    bad_client_ids,
    bad_enum_text,
    bad_numbers,
    bad_symbols,
    fuzz_exchange,
    fuzz_settings,
    out_of_range_price,
    out_of_range_qty,
)

pytestmark = pytest.mark.timeout(180)
FUZZ = fuzz_settings(60)
Call = Callable[[], Coroutine[Any, Any, object]]

not_none = bad_numbers.filter(lambda v: v is not None)
bad_opt_enum = bad_enum_text.filter(lambda v: v is not None)  # for enums that may be left out
bad_ints = st.one_of(
    st.sampled_from([-1, -(2**63), 2**63, 2**70, True, False, 1.0, "1", D(1), b"1", [1]]),
    st.integers(max_value=-1),
    st.integers(min_value=2**63),
)
bad_quantity = st.one_of(bad_numbers, out_of_range_qty)
bad_price = st.one_of(bad_numbers, out_of_range_price)


def mutations(base: Mapping[str, object], bad: Mapping[str, st.SearchStrategy[object]]) -> Any:
    """``base`` with exactly one field replaced by a bad value for it."""
    return st.sampled_from(sorted(bad)).flatmap(lambda f: bad[f].map(lambda v: (f, {**base, f: v})))


@pytest.fixture(scope="module")
def fx() -> Iterator[FuzzExchange]:
    with fuzz_exchange() as x:
        yield x


@pytest.fixture(scope="module")
def client(fx: FuzzExchange) -> Iterator[BinanceClient]:
    async def open_client() -> BinanceClient:
        c = BinanceClient(fx.ex.api_key, fx.ex.api_secret, base_url=fx.ex.rest_url, timeout=5.0)
        await c.open()
        await c.rules()  # loaded once, as any trading session does before its first order
        return c

    c = fx.run(open_client())
    yield c
    fx.run(c.close())


def refused(fx: FuzzExchange, call: Call, field: str) -> InvalidParameter:
    """``call`` raises a local refusal that names a field and a rule, and sends nothing."""
    with fx.untouched(), pytest.raises(InvalidParameter) as info:
        fx.run(call())
    err = info.value
    assert err.field and err.rule, f"{field}: refusal without field or rule: {err!r}"
    assert err.field in str(err) and str(err).strip(), f"{field}: unclear message {err}"
    return err


# ---- BinanceClient -------------------------------------------------------------------------

ORDER = {
    "symbol": SYMBOL, "side": "BUY", "type": "LIMIT", "quantity": D("0.001"), "price": D("60000"),
    "time_in_force": "GTC",
}  # fmt: skip
ORDER_BAD: dict[str, st.SearchStrategy[object]] = {
    "symbol": bad_symbols,
    "side": bad_enum_text,
    "type": bad_enum_text,
    "quantity": bad_quantity,
    "price": bad_price,
    "time_in_force": bad_enum_text,
    "stop_price": not_none,  # never accepted for LIMIT, and bad anyway
    "iceberg_qty": st.one_of(not_none, st.sampled_from([D("0.0000001"), D("1E+999999"), D("100000")])),
    "new_client_order_id": bad_client_ids,
    "new_order_resp_type": bad_opt_enum,
    "self_trade_prevention_mode": bad_opt_enum,
    "trailing_delta": bad_ints,
    "recv_window": st.sampled_from([0, -1, 60_001, 2**70, D("NaN"), D("0.0001"), "x", "", 1.5, True, [1]]),
}


def test_the_base_order_passes_validation(fx: FuzzExchange, client: BinanceClient) -> None:
    # Without this the properties below could pass on an order refused for another reason.
    fx.run(client.test_order(**ORDER))  # type: ignore[arg-type]


@FUZZ
@given(flag=st.sampled_from(["yes", 1, "true", None, 0.0]))
def test_test_order_refuses_a_non_bool_commission_flag(
    fx: FuzzExchange, client: BinanceClient, flag: object
) -> None:
    refused(fx, lambda: client.test_order(**ORDER, compute_commission_rates=flag), "computeCommissionRates")  # type: ignore[arg-type]


CANCEL = {"symbol": SYMBOL, "order_id": 1}
CANCEL_BAD: dict[str, st.SearchStrategy[object]] = {
    "symbol": bad_symbols,
    "order_id": st.one_of(bad_ints, st.none()),
    "orig_client_order_id": bad_client_ids,
    "new_client_order_id": bad_client_ids,
    "cancel_restrictions": bad_opt_enum,
}


REPLACE = {**ORDER, "cancel_order_id": 1}
REPLACE_BAD: dict[str, st.SearchStrategy[object]] = {
    **{k: v for k, v in ORDER_BAD.items() if k != "new_order_resp_type"},
    "cancel_order_id": bad_ints,
    "cancel_orig_client_order_id": bad_client_ids,
    "cancel_new_client_order_id": bad_client_ids,
    "cancel_replace_mode": bad_enum_text,
    "new_order_resp_type": st.one_of(bad_opt_enum, st.just("ACK")),
}


OCO = {
    "symbol": SYMBOL, "side": "SELL", "quantity": D("0.001"), "price": D("61000"), "stop_price": D("59000"),
    "stop_limit_price": D("58900"), "stop_limit_time_in_force": "GTC",
}  # fmt: skip
OCO_BAD: dict[str, st.SearchStrategy[object]] = {
    "symbol": bad_symbols,
    "side": bad_enum_text,
    "quantity": bad_quantity,
    "price": bad_price,
    "stop_price": bad_price,
    "stop_limit_price": bad_price,
    "stop_limit_time_in_force": bad_enum_text,
    "list_client_order_id": bad_client_ids,
    "limit_client_order_id": bad_client_ids,
    "stop_client_order_id": bad_client_ids,
    "limit_iceberg_qty": not_none,
    "new_order_resp_type": bad_opt_enum,
}


@FUZZ
@given(
    case=mutations(
        {"order_list_id": 1},
        {"order_list_id": st.one_of(bad_ints, st.none()), "orig_client_order_id": bad_client_ids},
    )
)
def test_order_list_lookups_refuse_bad_ids(fx: FuzzExchange, client: BinanceClient, case: Any) -> None:
    field, kwargs = case
    if field == "orig_client_order_id":
        kwargs = {"orig_client_order_id": kwargs[field]}
    refused(fx, lambda: client.get_order_list(**kwargs), field)
    cancel = {"list_client_order_id" if k == "orig_client_order_id" else k: v for k, v in kwargs.items()}
    refused(fx, lambda: client.cancel_order_list(SYMBOL, **cancel), field)


# ---- SyncClient ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sync_client(fx: FuzzExchange) -> Iterator[SyncClient]:
    with SyncClient(fx.ex.api_key, fx.ex.api_secret, base_url=fx.ex.rest_url, timeout=5.0) as c:
        c.rules()
        yield c


@FUZZ
@given(case=mutations(ORDER, ORDER_BAD))
def test_sync_client_refuses_bad_orders(fx: FuzzExchange, sync_client: SyncClient, case: Any) -> None:
    field, kwargs = case
    with fx.untouched(), pytest.raises(InvalidParameter) as info:
        sync_client.new_order(**kwargs)
    assert info.value.field, field


# ---- WebSocket API client ------------------------------------------------------------------


@pytest.fixture(scope="module")
def ws_client(fx: FuzzExchange, client: BinanceClient) -> Iterator[WsApiClient]:
    async def open_ws() -> WsApiClient:
        api = WsApiClient(
            f"{fx.ex.ws_url}/ws-api/v3", fx.ex.api_key, HmacSigner(fx.ex.api_secret),
            rules=await client.rules(),
        )  # fmt: skip
        await api.start()
        return api

    api = fx.run(open_ws())
    yield api
    fx.run(api.close())


_NOT_ON_WS = ("iceberg_qty", "self_trade_prevention_mode", "trailing_delta", "recv_window")
WS_ORDER_BAD = {k: v for k, v in ORDER_BAD.items() if k not in _NOT_ON_WS}


WS_REPLACE_BAD: dict[str, st.SearchStrategy[object]] = {
    "symbol": bad_symbols, "side": bad_enum_text, "quantity": bad_quantity, "price": bad_price,
    "cancel_order_id": bad_ints, "cancel_replace_mode": bad_enum_text, "new_client_order_id": bad_client_ids,
}  # fmt: skip
BY_CLIENT_ID = ("orig_client_order_id", "order_id")
TEST_ORDER_BAD = {k: v for k, v in ORDER_BAD.items() if not k.startswith(("new_", "self_"))}
WS_CANCEL_BAD = {k: v for k, v in CANCEL_BAD.items() if k in ("symbol", "order_id", "orig_client_order_id")}
# (the client fixture, its methods that take the call, a valid call, bad values per field,
#  the id a bad client order id must stand in for, or the lookup would use that id instead)
ORDER_CALLS = (
    ("client", ("new_order",), ORDER, ORDER_BAD, None),
    ("client", ("test_order",), ORDER, TEST_ORDER_BAD, None),
    ("client", ("cancel_order",), CANCEL, CANCEL_BAD, BY_CLIENT_ID),
    ("client", ("cancel_replace",), REPLACE, REPLACE_BAD, ("cancel_orig_client_order_id", "cancel_order_id")),
    ("client", ("new_oco",), OCO, OCO_BAD, None),
    ("ws_client", ("place_order",), ORDER, WS_ORDER_BAD, None),
    ("ws_client", ("cancel_order", "order_status"), CANCEL, WS_CANCEL_BAD, BY_CLIENT_ID),
    ("ws_client", ("cancel_replace",), {**ORDER, "cancel_order_id": 1}, WS_REPLACE_BAD, None),
)  # fmt: skip


@pytest.mark.parametrize(
    ("api", "methods", "base", "bad", "by_client_id"),
    ORDER_CALLS,
    ids=[f"{api}.{methods[0]}" for api, methods, *_ in ORDER_CALLS],
)
@FUZZ
@given(data=st.data())
def test_order_calls_refuse_bad_arguments(
    fx: FuzzExchange,
    request: pytest.FixtureRequest,
    api: str,
    methods: tuple[str, ...],
    base: dict[str, object],
    bad: dict[str, st.SearchStrategy[object]],
    by_client_id: tuple[str, str] | None,
    data: st.DataObject,
) -> None:
    target = request.getfixturevalue(api)
    field, kwargs = data.draw(mutations(base, bad), label="one bad field")
    if by_client_id is not None and field == by_client_id[0]:
        kwargs = {**kwargs, by_client_id[1]: None}
    for method in methods:
        refused(fx, functools.partial(getattr(target, method), **kwargs), field)


@FUZZ
@given(symbol=bad_symbols)
def test_ws_api_symbol_calls_refuse_bad_symbols(
    fx: FuzzExchange, ws_client: WsApiClient, symbol: Any
) -> None:
    refused(fx, lambda: ws_client.cancel_all(symbol), "symbol")
    if symbol is not None:
        refused(fx, lambda: ws_client.open_orders(symbol), "symbol")


def _is_zero(value: object) -> bool:
    try:
        return isinstance(value, D | int | str) and not isinstance(value, bool) and D(value) == 0
    except ArithmeticError:
        return False


# ---- OrderManager and Executor ---------------------------------------------------------------


class Trading:
    """An order manager and executor over the module's client, with a real SQLite journal."""

    def __init__(self, fx: FuzzExchange, client: BinanceClient, path: Path) -> None:
        self.fx = fx
        self.journal = Journal(path)
        self.positions = PositionTracker()
        self.risk = RiskManager()
        marks = {"BTCUSDT": D("60000"), "ETHUSDT": D("3000")}
        self.om = OrderManager(
            SpotVenue(client), self.journal, strategy="fz", positions=self.positions, risk=self.risk,
            prices=marks.get, poll_interval_s=3600,
        )  # fmt: skip
        self.executor = Executor(client, self.om, self.positions, self.risk, strategy="fz")

    def journal_rows(self) -> tuple[int, int]:
        async def count() -> tuple[int, int]:
            intents = self.journal.intents()
            return len(intents), sum(len(self.journal.requests(i.id)) for i in intents)

        return self.fx.run(count())

    def refused(self, call: Call, field: str) -> None:
        before = self.journal_rows()
        refused(self.fx, call, field)
        assert self.journal_rows() == before, f"{field}: the journal changed"


@pytest.fixture(scope="module")
def trading(fx: FuzzExchange, client: BinanceClient) -> Iterator[Trading]:
    with tempfile.TemporaryDirectory() as tmp:

        async def make() -> Trading:
            t = Trading(fx, client, Path(tmp) / "journal.sqlite")
            await t.om.start(reconcile=False)
            # The account holds 1 BTC: this target needs no order, and loads the balances once.
            assert await t.executor.submit(TargetPosition(SYMBOL, target_quantity=D(1))) == []
            return t

        t = fx.run(make())
        yield t

        async def close() -> None:
            await t.om.close()
            t.journal.close()

        fx.run(close())


INTENT = {
    "symbol": SYMBOL,
    "side": Side.BUY,
    "type": OrderType.LIMIT,
    "quantity": D("0.001"),
    "price": D("60000"),
}
INTENT_BAD: dict[str, st.SearchStrategy[object]] = {
    "symbol": bad_symbols,
    "side": bad_enum_text,
    "type": bad_enum_text,
    "quantity": bad_numbers,
    "price": bad_numbers,
    "quote_quantity": not_none,
    "time_in_force": bad_opt_enum,
    "stop_price": not_none,
    "strategy": st.sampled_from([5, b"x", ["s"]]),
    "recv_window_ms": st.sampled_from([0, -1, 60_001, 10**12, True, 1.5, "5000", None]),
}


@FUZZ
@given(case=mutations(INTENT, INTENT_BAD))
def test_order_manager_refuses_bad_intents(trading: Trading, case: Any) -> None:
    field, kwargs = case
    trading.refused(lambda: trading.om.submit(OrderIntent(**kwargs)), field)


SIGNAL = {"symbol": SYMBOL, "side": Side.BUY, "quantity": D("0.001"), "price": D("60000")}


@FUZZ
@given(
    case=mutations(
        SIGNAL,
        {
            "symbol": bad_symbols,
            "quantity": bad_numbers.filter(lambda v: v is not None),
            "price": not_none,
            "time_in_force": bad_opt_enum,
        },
    )
)
def test_executor_refuses_bad_order_signals(trading: Trading, case: Any) -> None:
    field, kwargs = case
    trading.refused(lambda: trading.executor.submit(OrderSignal(**kwargs)), field)


@FUZZ
@given(
    symbol=st.one_of(bad_symbols, st.just(SYMBOL)),
    target=st.one_of(not_none, st.sampled_from([D("1E+999999"), D("-1E+999999"), D("1E+30")])),
    notional=st.booleans(),
)
def test_executor_refuses_bad_targets(trading: Trading, symbol: Any, target: Any, notional: bool) -> None:
    if symbol == SYMBOL and _is_zero(target):
        target = D("-1")  # flat is a valid target; a short spot position is not
    signal = TargetPosition(symbol, target_notional=target) if notional else TargetPosition(symbol, target)
    trading.refused(lambda: trading.executor.submit(signal), "target")


# ---- JSON lines ------------------------------------------------------------------------------

JSON_BAD_NUMBERS = ["NaN", "sNaN", "-1", "0", "-0", "Infinity", "1e999999", "1E+30", "0.0000001", "60000.001",
                    "abc", "", "１２", None, True, [], {}, -1, 0, 1e308, "0x10"]  # fmt: skip
LINE = {"kind": "order", "symbol": SYMBOL, "side": "BUY", "quantity": "0.001", "price": "60000"}
LINE_BAD: dict[str, st.SearchStrategy[object]] = {
    "kind": st.sampled_from(["", "ORDER", "targets", None, 1]),
    "symbol": st.one_of(st.sampled_from(["", "btcusdt", "BTC USDT", "XXXUSDT", None, 5]), UNICODE_JUNK),
    "side": st.sampled_from(["", "buy", "HOLD", None, 1, True]),
    "quantity": st.sampled_from(JSON_BAD_NUMBERS),
    # Not bad for a price: none (a MARKET order) and an off-tick one (the manager rounds it to
    # the tick on the trader's side).
    "price": st.sampled_from([n for n in JSON_BAD_NUMBERS if n not in (None, "60000.001")]),
    "type": st.sampled_from(["", "limit", "ICEBERG", 3]),
    "time_in_force": st.sampled_from(["", "gtc", "GTD", 1]),
    "unknown_field": st.just("x"),
}
garbage_lines = st.one_of(
    st.text(max_size=60).filter(lambda s: s.strip() != "" and "\n" not in s and "\r" not in s),
    st.binary(max_size=40).filter(lambda b: b.strip() != b"" and b"\n" not in b),
    st.sampled_from(['{"kind": "target", "symbol": "BTCUSDT"}', "[]", "null", "{", '{"kind": "order"}',
                     '{"kind": "target", "symbol": "BTCUSDT", "target_quantity": "-1"}',
                     '{"kind": "target", "symbol": "BTCUSDT", "target_quantity": "NaN"}',
                     '{"kind": "target", "symbol": "BTCUSDT", "target_notional": "1e999999"}']),
)  # fmt: skip
bad_lines = st.one_of(mutations(LINE, LINE_BAD).map(lambda c: json.dumps(c[1])), garbage_lines)


@FUZZ
@given(lines=st.lists(bad_lines, min_size=1, max_size=8))
def test_run_jsonl_reports_every_bad_line_and_sends_nothing(trading: Trading, lines: list[Any]) -> None:
    before = trading.journal_rows()
    with trading.fx.untouched():
        stats = trading.fx.run(trading.executor.run_jsonl(lines))
    assert stats.orders == []
    assert len(stats.errors) == len(lines), stats.errors
    for n, error in enumerate(stats.errors, 1):
        assert error.startswith(f"line {n}: ") and len(error) > len(f"line {n}: "), error
    assert trading.journal_rows() == before
