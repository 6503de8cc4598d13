"""The auto-cancel countdown (``POST /fapi/v1/countdownCancelAll``) on the exchange's clock,
and isolated position margin (``POST /fapi/v1/positionMargin``, its history) against
Binance's liquidation price formula (``sim/futures/margin.py`` gives the sources)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from tests.sim.conftest import Api, Reply
from tests.sim.futures.futures_helpers import WALLET, futures_exchange, order, position
from tradeexec.sim import LocalExchange

RESTING = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.010"}


async def _at(ex: LocalExchange, api: Api, method: str, path: str, params: dict[str, Any]) -> Reply:
    """A signed request timestamped by the exchange's (frozen, advanced) clock."""
    return await api.signed(method, path, params, timestamp=ex.state.now_ms())


async def _open(ex: LocalExchange, api: Api) -> list[str]:
    rows = (await _at(ex, api, "GET", "/fapi/v1/openOrders", {"symbol": "BTCUSDT"})).body
    return [r["clientOrderId"] for r in rows]


async def test_countdown_cancels_the_symbols_orders_when_it_elapses_and_not_before() -> None:
    async with futures_exchange() as (ex, api):
        ex.state.clock.freeze()
        await _at(ex, api, "POST", "/fapi/v1/order", {**RESTING, "price": "50000", "newClientOrderId": "btc"})
        eth = {**RESTING, "symbol": "ETHUSDT", "price": "2000", "newClientOrderId": "eth"}
        await _at(ex, api, "POST", "/fapi/v1/order", eth)
        armed = await _at(
            ex, api, "POST", "/fapi/v1/countdownCancelAll", {"symbol": "BTCUSDT", "countdownTime": 10_000}
        )
        ex.state.clock.advance(9_999)
        before = await _open(ex, api)
        ex.state.clock.advance(1)
        after = await _open(ex, api)
        eth_left = (await _at(ex, api, "GET", "/fapi/v1/openOrders", {"symbol": "ETHUSDT"})).body
        # One-shot: a new order after the cancel is not touched by the spent countdown.
        await _at(
            ex, api, "POST", "/fapi/v1/order", {**RESTING, "price": "50000", "newClientOrderId": "later"}
        )
        ex.state.clock.advance(60_000)
        later = await _open(ex, api)
    assert armed.body == {"symbol": "BTCUSDT", "countdownTime": "10000"}
    assert before == ["btc"]
    assert after == []
    assert [o["clientOrderId"] for o in eth_left] == ["eth"]  # only the countdown's symbol
    assert later == ["later"]


async def test_a_heartbeat_restarts_the_countdown_and_zero_stops_it() -> None:
    async with futures_exchange() as (ex, api):
        ex.state.clock.freeze()
        await _at(ex, api, "POST", "/fapi/v1/order", {**RESTING, "price": "50000", "newClientOrderId": "btc"})
        beat = {"symbol": "BTCUSDT", "countdownTime": 10_000}
        for _ in range(3):  # heartbeats every 6 s keep a 10 s countdown from elapsing
            await _at(ex, api, "POST", "/fapi/v1/countdownCancelAll", beat)
            ex.state.clock.advance(6_000)
        alive = await _open(ex, api)
        await _at(ex, api, "POST", "/fapi/v1/countdownCancelAll", {"symbol": "BTCUSDT", "countdownTime": 0})
        ex.state.clock.advance(30_000)
        stopped = await _open(ex, api)
    assert alive == ["btc"]
    assert stopped == ["btc"]


async def _isolated_short(ex: LocalExchange, api: Api) -> None:
    """ETHUSDT isolated 20x, short 2 at 3,000 (isolated wallet 2 * 3,000 / 20 = 300), mark 2,900."""
    ex.futures_add_liquidity("ETHUSDT", "BUY", "3000", "10")
    await api.signed("POST", "/fapi/v1/marginType", {"symbol": "ETHUSDT", "marginType": "ISOLATED"})
    await api.signed("POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": 20})
    await order(api, "ETHUSDT", "SELL", "2")
    ex.futures_set_mark_price("ETHUSDT", "2900")


def _margin(amount: str, kind: int, symbol: str = "ETHUSDT") -> dict[str, object]:
    return {"symbol": symbol, "amount": amount, "type": kind}


async def test_adding_isolated_margin_moves_it_from_cross_and_lowers_the_short_liquidation_price() -> None:
    async with futures_exchange() as (ex, api):
        await _isolated_short(ex, api)
        added = await api.signed("POST", "/fapi/v1/positionMargin", _margin("100", 1))
        pos = await position(api, "ETHUSDT")
        balance = (await api.signed("GET", "/fapi/v3/balance")).body[0]
        removed = await api.signed("POST", "/fapi/v1/positionMargin", _margin("40", 2))
        assert removed.status == 200, removed.body
        pos_after = await position(api, "ETHUSDT")
        history = (await api.signed("GET", "/fapi/v1/positionMargin/history", {"symbol": "ETHUSDT"})).body
    assert added.status == 200, added.body
    assert added.body == {
        "amount": 100,
        "code": 200,
        "msg": "Successfully modify position margin.",
        "type": 1,
    }
    assert D(pos["isolatedWallet"]) == D("400")  # 300 + 100
    assert D(pos["isolatedMargin"]) == D("600")  # 400 + uPnL 200
    # Isolated short: LP = (WB + cum - side*size*EP) / (size*MMR - side*size), side = -1,
    # WB the isolated wallet: (400 + 0 + 2 * 3,000) / (2 * 0.005 + 2) = 6,400 / 2.01
    assert D(pos["liquidationPrice"]) == (D("6400") / D("2.01")).quantize(D("1e-8"))
    assert D(balance["balance"]) == WALLET - D("3")  # the total wallet is unchanged (fee 3)
    assert D(balance["crossWalletBalance"]) == WALLET - D("3") - D("400")
    # 400 - 40 = 360: (360 + 6,000) / 2.01
    assert D(pos_after["isolatedWallet"]) == D("360")
    assert D(pos_after["liquidationPrice"]) == (D("6360") / D("2.01")).quantize(D("1e-8"))
    assert [(h["type"], D(h["amount"]), h["deltaType"], h["positionSide"]) for h in history] == [
        (1, D("100"), "USER_ADJUST", "BOTH"),
        (2, D("40"), "USER_ADJUST", "BOTH"),
    ]


async def test_position_margin_refusals_use_binances_codes() -> None:
    async with futures_exchange() as (ex, api):
        await _isolated_short(ex, api)
        cross = await api.signed("POST", "/fapi/v1/positionMargin", _margin("10", 1, "BTCUSDT"))
        await api.signed("POST", "/fapi/v1/marginType", {"symbol": "BTCUSDT", "marginType": "ISOLATED"})
        no_position = await api.signed("POST", "/fapi/v1/positionMargin", _margin("10", 1, "BTCUSDT"))
        # Spare: isolated wallet 300 + uPnL 200 - initial margin 5,800 / 20 = 210.
        too_much = await api.signed("POST", "/fapi/v1/positionMargin", _margin("210.01", 2))
        just_enough = await api.signed("POST", "/fapi/v1/positionMargin", _margin("210", 2))
        beyond_cross = await api.signed("POST", "/fapi/v1/positionMargin", _margin("100000", 1))
        zero = await api.signed("POST", "/fapi/v1/positionMargin", _margin("0", 1))
        bad_type = await api.signed("POST", "/fapi/v1/positionMargin", _margin("10", 3))
        pos = await position(api, "ETHUSDT")
    assert no_position.body == {"code": -4054, "msg": "Cannot add position margin: position is 0."}
    assert cross.body == {"code": -4049, "msg": "Add margin only support for isolated position."}
    assert too_much.body == {"code": -4051, "msg": "Isolated balance insufficient."}
    assert just_enough.status == 200, just_enough.body
    assert beyond_cross.body == {"code": -4050, "msg": "Cross balance insufficient."}
    assert zero.body == {"code": -4055, "msg": "Amount must be positive."}
    assert bad_type.body == {"code": -1130, "msg": "Data sent for parameter 'type' is not valid."}
    assert D(pos["isolatedWallet"]) == D("90")  # 300 - 210, nothing else moved
