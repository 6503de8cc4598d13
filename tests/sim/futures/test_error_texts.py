"""Every error the futures side can answer, triggered over HTTP and checked against the USDⓈ-M
futures "Error Codes" page (``FUTURES_DOCUMENTED``, ``%s`` standing for a value); a scan of
the futures sources fails the suite when a code is raised without a case here or a literal
text is not Binance's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.sim.futures.futures_helpers import futures_exchange, order

FUTURES_DOCUMENTED: dict[int, tuple[str, ...]] = {
    -1020: ("This operation is not supported.",),
    -1102: (
        "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
        "Param '%s' or '%s' must be sent, but both were empty/null!",
    ),
    -1130: ("Data sent for parameter '%s' is not valid.",),
    -2013: ("Order does not exist.",),
    -2021: ("Order would immediately trigger.",),
    -4031: ("Invalid parameter working type",),
    -1106: ("Parameter '%s' sent when not required.",),
    -1115: ("Invalid timeInForce.",),
    -1116: ("Invalid orderType.",),
    -1117: ("Invalid side.",),
    -1121: ("Invalid symbol.",),
    -1125: ("This listenKey does not exist.",),
    -1136: ("Invalid newOrderRespType.",),
    -2011: ("Unknown order sent.",),
    -2019: ("Margin is insufficient.",),
    -2022: ("ReduceOnly Order is rejected.",),
    -2027: ("Exceeded the maximum allowable position at current leverage.",),
    -4003: ("Quantity less than zero.",),
    -4014: ("Price not increased by tick size.",),
    -4015: ("Client order id is not valid.",),
    -4023: ("Qty not increased by step size.",),
    -4028: ("Leverage %s is not valid",),
    -4046: ("No need to change margin type.",),
    -4047: ("Margin type cannot be changed if there exists open orders.",),
    -4048: ("Margin type cannot be changed if there exists position.",),
    -4059: ("No need to change position side.",),
    -4060: ("Invalid position side.",),
    -4061: ("Order's position side does not match user's setting.",),
    -4067: ("Position side cannot be changed if there exists open orders.",),
    -4068: ("Position side cannot be changed if there exists position.",),
    -4116: ("clientOrderId is duplicated",),
    -4120: ("Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",),
    -5022: ("Due to the order could not be executed as maker, the Post Only order will be rejected.",),
    -4049: ("Add margin only support for isolated position.",),
    -4050: ("Cross balance insufficient.",),
    -4051: ("Isolated balance insufficient.",),
    -4054: ("Cannot add position margin: position is 0.",),
    -4055: ("Amount must be positive.",),
    -5027: ("No need to modify the order.",),
    -4167: (
        "Unable to adjust to Multi-Assets mode with symbols of USDⓈ-M Futures under isolated-margin mode.",
    ),
    -4168: ("Unable to adjust to isolated-margin mode under the Multi-Assets mode.",),
    -4171: ("Adjusted asset mode is currently set and does not need to be adjusted repeatedly.",),
    -5037: ("Invalid price match",),
    -5041: ("No depth matches this BBO order",),
}
# Triggered in the other futures tests (test_rules, test_margin_cases, test_user_stream;
# -1020 by an exchange without futures).
COVERED_ELSEWHERE = {-4120, -4061, -2022, -2019, -5022, -4046, -4068, -1125, -1020, -2021}
# Modify, batches and isolated margin: test_modify_batch, test_countdown_margin.
COVERED_ELSEWHERE |= {-5027, -5037, -5041, -4049, -4050, -4051, -4054, -4055, -2013, -1130, -1117, -1106}
COVERED_ELSEWHERE |= {-4167, -4168, -4171}  # the Multi-Assets mode: test_stream_events


def documented(code: int, msg: str) -> bool:
    for template in FUTURES_DOCUMENTED.get(code, ()):
        pattern = "^" + ".+".join(re.escape(part) for part in template.split("%s")) + "$"
        if re.match(pattern, msg):
            return True
    return False


LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "50000"}
ALGO = {
    "symbol": "BTCUSDT",
    "side": "SELL",
    "type": "STOP_MARKET",
    "algoType": "CONDITIONAL",
    "quantity": "0.01",
    "triggerPrice": "40000",
}
CASES: list[tuple[int, str, str, dict[str, Any]]] = [
    (-1121, "POST", "/fapi/v1/order", {**LIMIT, "symbol": "NOPEUSDT", "timeInForce": "GTC"}),
    (-1116, "POST", "/fapi/v1/order", {**LIMIT, "type": "LIMIT_MAKER", "timeInForce": "GTC"}),
    (-1117, "POST", "/fapi/v1/order", {**LIMIT, "side": "HOLD", "timeInForce": "GTC"}),
    (-4060, "POST", "/fapi/v1/order", {**LIMIT, "positionSide": "MIDDLE", "timeInForce": "GTC"}),
    (-1102, "POST", "/fapi/v1/order", LIMIT),  # no timeInForce
    (-1115, "POST", "/fapi/v1/order", {**LIMIT, "timeInForce": "GTD2"}),
    (-1106, "POST", "/fapi/v1/order", {**LIMIT, "type": "MARKET"}),  # price on a MARKET order
    (-4014, "POST", "/fapi/v1/order", {**LIMIT, "price": "50000.05", "timeInForce": "GTC"}),
    (-4023, "POST", "/fapi/v1/order", {**LIMIT, "quantity": "0.0105", "timeInForce": "GTC"}),
    (-4003, "POST", "/fapi/v1/order", {**LIMIT, "quantity": "0", "timeInForce": "GTC"}),
    (-4015, "POST", "/fapi/v1/order", {**LIMIT, "timeInForce": "GTC", "newClientOrderId": "x" * 37}),
    (-1136, "POST", "/fapi/v1/order", {**LIMIT, "timeInForce": "GTC", "newOrderRespType": "FULL"}),
    (-2011, "DELETE", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": 424242}),
    (-4028, "POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 126}),
    (-4059, "POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "false"}),
    (-1130, "POST", "/fapi/v1/algoOrder", {**ALGO, "algoType": "VWAP"}),
    (-4031, "POST", "/fapi/v1/algoOrder", {**ALGO, "workingType": "INDEX_PRICE"}),
    (-2013, "GET", "/fapi/v1/algoOrder", {"algoId": 999}),
    (
        -2027,
        "POST",
        "/fapi/v1/order",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"},
    ),
]


async def test_every_futures_error_has_binance_code_and_text() -> None:
    async with futures_exchange() as (ex, api):
        ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "5")
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 125})
        for code, method, path, params in CASES:  # 1 BTC is past 125x's 50,000 cap: -2027
            reply = await api.signed(method, path, params)
            assert reply.body.get("code") == code, (code, reply.body)
            assert documented(code, reply.body["msg"]), reply.body
        await api.signed("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 20})
        resting = {**LIMIT, "timeInForce": "GTC", "newClientOrderId": "same-id"}
        assert (await api.signed("POST", "/fapi/v1/order", resting)).status == 200
        duplicate = await api.signed("POST", "/fapi/v1/order", resting)
        assert duplicate.body == {"code": -4116, "msg": "clientOrderId is duplicated"}
        open_orders = await api.signed(
            "POST", "/fapi/v1/marginType", {"symbol": "BTCUSDT", "marginType": "ISOLATED"}
        )
        assert open_orders.body["code"] == -4047
        mode = await api.signed("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "true"})
        assert mode.body["code"] == -4067
        await api.signed("DELETE", "/fapi/v1/allOpenOrders", {"symbol": "BTCUSDT"})
        await order(api, "BTCUSDT", "BUY", "0.1")
        held = await api.signed(
            "POST", "/fapi/v1/marginType", {"symbol": "BTCUSDT", "marginType": "ISOLATED"}
        )
        assert held.body["code"] == -4048
        for reply in (duplicate.body, open_orders.body, mode.body, held.body):
            assert documented(reply["code"], reply["msg"]), reply


def test_every_futures_code_raised_has_a_case() -> None:
    src = Path(__file__).parents[3] / "src" / "tradeexec" / "sim"
    paths = [*(src / "futures").glob("*.py"), *(src / "binance").glob("futures_*.py")]
    raised: set[int] = set()
    texts: set[tuple[int, str]] = set()
    for path in paths:
        for m in re.finditer(
            r"(?:ApiError|EngineReject)\(\s*(-\d+)(?:,\s*f?\"([^\"]*)\"\s*[,)])?", path.read_text()
        ):
            raised.add(int(m[1]))
            if m[2] is not None:
                texts.add((int(m[1]), re.sub(r"\{[^}]*\}", "X", m[2])))
    assert len(paths) > 8 and -4120 in raised  # the scan works
    covered = {c[0] for c in CASES} | COVERED_ELSEWHERE | {-4116, -4047, -4067, -4048}
    assert raised - covered == set()
    assert sorted(t for t in texts if not documented(*t)) == []
