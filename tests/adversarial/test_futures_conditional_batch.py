"""Conditional orders and batches. Since the Algo Service took over conditional orders
(Binance's change log, 2025-11-06, effective 2025-12-09) ``POST /fapi/v1/batchOrders``
refuses their types with -4120, as ``/fapi/v1/order`` does, and the Algo Service has no batch
endpoint: so ``submit_batch`` refuses a batch holding one before anything is journaled or
sent, saying why and which order, and the local exchange answers one inside batchOrders with
Binance's error in that order's place."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from tests.adversarial.futures_algo_batch_helpers import exchange_algos, stop_sell
from tests.adversarial.futures_exactly_once_helpers import SYMBOL, exchange_orders, futures, manager
from tradeexec.errors import InvalidParameter
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.venue.vocab import OrderType, Side, TimeInForce

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(60)]


async def test_the_local_exchange_refuses_a_conditional_type_inside_batch_orders(tmp_path: Path) -> None:
    batch = [
        {"symbol": SYMBOL, "side": "BUY", "type": "LIMIT", "quantity": "0.1", "price": "59000",
         "timeInForce": "GTC", "newClientOrderId": "plain1"},
        {"symbol": SYMBOL, "side": "SELL", "type": "STOP_MARKET", "quantity": "0.1", "stopPrice": "58000",
         "newClientOrderId": "stop1"},
        {"symbol": SYMBOL, "side": "SELL", "type": "TRAILING_STOP_MARKET", "quantity": "0.1",
         "callbackRate": "1", "newClientOrderId": "trail1"},
    ]  # fmt: skip
    async with futures(tmp_path) as f:
        answers = await f.client.request(
            "POST", "/fapi/v1/batchOrders", {"batchOrders": msgspec.json.encode(batch).decode()}
        )
        assert answers[0]["clientOrderId"] == "plain1"
        for refused in answers[1:]:
            assert refused["code"] == -4120
            assert "Algo Order" in refused["msg"]
        assert [o.client_order_id for o in exchange_orders(f.ex)] == ["plain1"]
        assert exchange_algos(f.ex) == []


@pytest.mark.parametrize("kind", [OrderType.STOP_LOSS, OrderType.TAKE_PROFIT_LIMIT])
async def test_submit_batch_refuses_a_conditional_order_saying_why_and_sends_nothing(
    tmp_path: Path, kind: OrderType
) -> None:
    plain = OrderIntent(
        SYMBOL, Side.BUY, OrderType.LIMIT, quantity=stop_sell().quantity, price=stop_sell().stop_price,
        time_in_force=TimeInForce.GTC,
    )  # fmt: skip
    async with futures(tmp_path) as f, manager(f.venue, tmp_path / "j.sqlite") as om:
        with pytest.raises(InvalidParameter) as refused:
            await om.submit_batch(
                [plain, stop_sell(kind, "61000" if kind is OrderType.TAKE_PROFIT_LIMIT else "58000")]
            )
        assert refused.value.field == "type"
        assert "-4120" in refused.value.rule and "submit it alone" in refused.value.rule
        assert f"{kind} (order 2 of 2)" == refused.value.detail
        assert om.journal.unsettled() == [] and om.open_orders() == []
        assert exchange_orders(f.ex) == [] and exchange_algos(f.ex) == []
