"""The futures user data events beyond order and account updates, pushed by the local
exchange over a real WebSocket and decoded with the client's event union
(``FUTURES_USER_EVENT_DECODER``): ACCOUNT_CONFIG_UPDATE on a leverage change, ALGO_UPDATE for
every conditional order transition, MARGIN_CALL when the margin ratio reaches the warning
level, and a liquidation's ``autoclose-`` ORDER_TRADE_UPDATE before its ACCOUNT_UPDATE."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from tests.sim.futures.futures_helpers import futures_exchange, order
from tests.sim.futures.stream_events_helpers import user_stream
from tradeexec.binance.models.futures_events import (
    AccountConfigUpdate,
    AlgoUpdate,
    FuturesAccountUpdate,
    FuturesUserEvent,
    MarginCall,
    OrderTradeUpdate,
)


def _algos(events: list[FuturesUserEvent]) -> list[tuple[int, str]]:
    return [(e.order.algo_id, e.order.algo_status) for e in events if isinstance(e, AlgoUpdate)]


def _cleared(event: FuturesUserEvent) -> bool:
    """The ACCOUNT_UPDATE of a liquidation's clearance fee."""
    return isinstance(event, FuturesAccountUpdate) and event.account.reason == "INSURANCE_CLEAR"


def _stop(kind: str, trigger: str, **extra: Any) -> dict[str, Any]:
    return {"symbol": "BTCUSDT", "side": "BUY", "algoType": "CONDITIONAL", "type": kind, "quantity": "0.010",
            "triggerPrice": trigger, "workingType": "MARK_PRICE", **extra}  # fmt: skip


async def test_a_leverage_change_pushes_account_config_update() -> None:
    async with futures_exchange() as (ex, api), user_stream(ex, api) as stream:
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": 7})
        events = await stream.until(lambda es: any(isinstance(e, AccountConfigUpdate) for e in es))
    (config,) = [e for e in events if isinstance(e, AccountConfigUpdate)]
    assert config.symbol_config is not None and config.account_config is None
    assert (config.symbol_config.symbol, config.symbol_config.leverage) == ("ETHUSDT", 7)


async def test_every_algo_transition_pushes_algo_update() -> None:
    async with futures_exchange() as (ex, api), user_stream(ex, api) as stream:
        ex.futures_add_liquidity("BTCUSDT", "SELL", "61000", "1")
        ex.futures_set_mark_price("BTCUSDT", "60000")
        canceled = (await api.signed("POST", "/fapi/v1/algoOrder", _stop("STOP_MARKET", "62000"))).body
        await api.signed("DELETE", "/fapi/v1/algoOrder", {"symbol": "BTCUSDT", "algoId": canceled["algoId"]})
        market = (await api.signed("POST", "/fapi/v1/algoOrder", _stop("STOP_MARKET", "60500"))).body
        limit_stop = _stop("STOP", "60500", price="60900", timeInForce="GTC")
        resting = (await api.signed("POST", "/fapi/v1/algoOrder", limit_stop)).body
        ex.futures_set_mark_price("BTCUSDT", "60500")  # both fire: one fills, one rests at 60,900
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60900", "1")  # the resting one fills
        finished = (resting["algoId"], "FINISHED")
        events = await stream.until(lambda es: finished in _algos(es))
    seen = _algos(events)
    assert [s for a, s in seen if a == canceled["algoId"]] == ["NEW", "CANCELED"]
    assert [s for a, s in seen if a == market["algoId"]] == ["NEW", "TRIGGERING", "FINISHED"]
    assert [s for a, s in seen if a == resting["algoId"]] == ["NEW", "TRIGGERING", "TRIGGERED", "FINISHED"]
    last = [e for e in events if isinstance(e, AlgoUpdate) and e.order.algo_id == resting["algoId"]][-1]
    assert (last.order.actual_filled_qty, last.order.actual_avg_price) == (D("0.010"), D("60900"))
    assert last.order.actual_order_id != ""


async def test_margin_call_when_the_ratio_reaches_the_warning_level_then_the_liquidation_order() -> None:
    """Cross long 1 BTC at 60,000, 10x, wallet 10,000 - fee 30 = 9,970. At mark 50,260:
    maintenance 50,260 * 0.5 % - 50 = 201.3, balance 9,970 - 9,740 = 230, ratio 87.5 %
    (warned, not liquidated: liquidation is at 50,231.16)."""
    async with futures_exchange() as (ex, api), user_stream(ex, api) as stream:
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "5")
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 10})
        await order(api, "BTCUSDT", "BUY", "1")
        ex.futures_set_mark_price("BTCUSDT", "55000")  # ratio about 5 %: nothing
        ex.futures_set_mark_price("BTCUSDT", "50260")
        ex.futures_set_mark_price("BTCUSDT", "50250")  # still above: not warned twice
        await stream.until(lambda es: any(isinstance(e, MarginCall) for e in es))
        ex.futures_set_mark_price("BTCUSDT", "60000")  # back below: the warning is forgotten
        ex.futures_set_mark_price("BTCUSDT", "50260")  # warned again
        ex.futures_add_liquidity("BTCUSDT", "BUY", "50040", "0.4")
        # Liquidated past bankruptcy: balance 9,970 - 10,000 = -30, bankruptcy price 50,030.
        # The book takes 0.4 at 50,040, the insurance fund 0.6 at 50,030.
        ex.futures_set_mark_price("BTCUSDT", "50000")
        events = await stream.until(lambda es: any(_cleared(e) for e in es))
    calls = [e for e in events if isinstance(e, MarginCall)]
    assert len(calls) == 2
    first = calls[0]
    assert first.cross_wallet_balance == D("9970")
    (pos,) = first.positions
    assert (pos.symbol, pos.position_amt, pos.margin_type, pos.mark_price) == (
        "BTCUSDT",
        D("1"),
        "CROSSED",
        D("50260"),
    )
    assert (pos.unrealized_pnl, pos.maintenance_margin) == (D("-9740"), D("201.3"))
    closes = [
        e
        for e in events
        if isinstance(e, OrderTradeUpdate) and e.order.client_order_id.startswith("autoclose-")
    ]
    assert [(e.order.execution_type, e.order.order_status) for e in closes] == [
        ("NEW", "NEW"),
        ("CALCULATED", "PARTIALLY_FILLED"),
        ("CALCULATED", "FILLED"),
    ]
    booked, funded = closes[1].order, closes[2].order
    assert (booked.side, booked.order_type, booked.time_in_force, booked.price) == (
        "SELL", "LIQUIDATION", "IOC", D("50030"),
    )  # fmt: skip
    assert (booked.last_filled_qty, booked.last_filled_price, booked.realized_profit) == (
        D("0.4"), D("50040"), D("-3984"),
    )  # fmt: skip
    assert (funded.cumulative_filled_qty, funded.last_filled_price, funded.realized_profit) == (
        D("1"), D("50030"), D("-5982"),
    )  # fmt: skip
    assert booked.trade_id != funded.trade_id and booked.commission == funded.commission == 0
    assert events.index(closes[-1]) < len(events) - 1  # the ACCOUNT_UPDATE comes after it
    # What was left (9,970 - 3,984 - 5,982 = 4) is the clearance fee, stated last.
    cleared = events[-1]
    assert isinstance(cleared, FuturesAccountUpdate) and cleared.account.reason == "INSURANCE_CLEAR"
    (usdt,) = cleared.account.balances
    assert (usdt.wallet_balance, usdt.balance_change) == (D(0), D(-4))


async def test_the_multi_assets_mode_pushes_account_config_update_and_keeps_binances_rules() -> None:
    async with futures_exchange() as (ex, api), user_stream(ex, api) as stream:
        on = {"multiAssetsMargin": "true"}
        switched = await api.signed("POST", "/fapi/v1/multiAssetsMargin", on)
        again = await api.signed("POST", "/fapi/v1/multiAssetsMargin", on)
        isolated = await api.signed(
            "POST", "/fapi/v1/marginType", {"symbol": "BTCUSDT", "marginType": "ISOLATED"}
        )
        mode = (await api.signed("GET", "/fapi/v1/multiAssetsMargin")).body
        await api.signed("POST", "/fapi/v1/multiAssetsMargin", {"multiAssetsMargin": "false"})
        await api.signed("POST", "/fapi/v1/marginType", {"symbol": "BTCUSDT", "marginType": "ISOLATED"})
        refused = await api.signed("POST", "/fapi/v1/multiAssetsMargin", on)
        events = await stream.until(lambda es: sum(isinstance(e, AccountConfigUpdate) for e in es) == 2)
    assert switched.body == {"code": 200, "msg": "success"} and mode == {"multiAssetsMargin": True}
    assert again.body["code"] == -4171
    assert isolated.body == {
        "code": -4168,
        "msg": "Unable to adjust to isolated-margin mode under the Multi-Assets mode.",
    }
    assert refused.body["code"] == -4167
    configs = [e.account_config for e in events if isinstance(e, AccountConfigUpdate)]
    assert [c.multi_assets_mode for c in configs if c is not None] == [True, False]
