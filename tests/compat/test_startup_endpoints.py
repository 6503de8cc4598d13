"""The account and wallet endpoints clients read when they start, in Binance's shapes with this
exchange's real figures: the account's configured fees, its balances, and a spot-only venue's
answers for margin and futures product lists."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import msgspec
import pytest

from tests.sim.conftest import Api
from tradeexec.binance.net.auth import HmacSigner, ws_signature_payload
from tradeexec.sim import LocalExchange, SimConfig

pytestmark = pytest.mark.compat
pytest_plugins = ("tests.compat.rest_api",)

MAKER, TAKER = Decimal("0.0002"), Decimal("0.0004")


@pytest.fixture
async def ex() -> AsyncIterator[LocalExchange]:
    cfg = SimConfig.default()
    cfg.market.enabled = False
    cfg.accounts[0].maker_commission, cfg.accounts[0].taker_commission = MAKER, TAKER
    async with LocalExchange(cfg, market=False) as exchange:
        yield exchange


async def test_trade_fee_is_the_accounts_fee(api: Api) -> None:
    one = await api.signed("GET", "/sapi/v1/asset/tradeFee", {"symbol": "BTCUSDT"})
    assert (one.status, one.body) == (
        200,
        [{"symbol": "BTCUSDT", "makerCommission": "0.0002", "takerCommission": "0.0004"}],
    )
    every = await api.signed("GET", "/sapi/v1/asset/tradeFee")
    assert {row["symbol"] for row in every.body} >= {"BTCUSDT", "ETHBTC", "币安人生USDT"}
    assert (await api.request("GET", "/sapi/v1/asset/tradeFee")).body["code"] == -2014  # signed endpoint


async def test_commission_rates_over_rest_and_the_websocket_api(api: Api, ex: LocalExchange) -> None:
    rest = await api.signed("GET", "/api/v3/account/commission", {"symbol": "BTCUSDT"})
    assert rest.status == 200
    assert rest.body["symbol"] == "BTCUSDT"
    assert rest.body["standardCommission"] == {
        "maker": "0.00020000", "taker": "0.00040000", "buyer": "0.00000000", "seller": "0.00000000"
    }  # fmt: skip
    assert set(rest.body) == {
        "symbol",
        "standardCommission",
        "specialCommission",
        "taxCommission",
        "discount",
    }
    missing = await api.signed("GET", "/api/v3/account/commission")
    assert missing.body["code"] == -1102
    params: dict[str, object] = {"symbol": "BTCUSDT", "apiKey": ex.api_key, "timestamp": ex.state.now_ms()}
    params["signature"] = HmacSigner(ex.api_secret).sign(ws_signature_payload(params))
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{ex.ws_url}/ws-api/v3") as ws:
        await ws.send_json({"id": "c1", "method": "account.commission", "params": params})
        answer = msgspec.json.decode((await ws.receive(timeout=5)).data)
    assert answer["status"] == 200 and answer["result"] == rest.body


async def test_coins_and_asset_details_show_balances_and_no_transfers(api: Api) -> None:
    coins = await api.signed("GET", "/sapi/v1/capital/config/getall")
    usdt = next(c for c in coins.body if c["coin"] == "USDT")
    assert usdt["free"] == "100000.00000000" and usdt["trading"] is True
    assert usdt["depositAllEnable"] is False and usdt["networkList"] == []
    assert "币安人生" in {c["coin"] for c in coins.body}
    detail = await api.signed("GET", "/sapi/v1/asset/assetDetail", {"asset": "BTC"})
    assert list(detail.body) == ["BTC"] and detail.body["BTC"]["withdrawStatus"] is False
    unknown = await api.signed("GET", "/sapi/v1/asset/assetDetail", {"asset": "NOPE"})
    assert unknown.body["code"] == -1121


async def test_account_status_and_api_trading_status(api: Api) -> None:
    assert (await api.signed("GET", "/sapi/v1/account/status")).body == {"data": "Normal"}
    trading = await api.signed("GET", "/sapi/v1/account/apiTradingStatus")
    assert trading.body["data"]["isLocked"] is False


async def test_margin_and_coin_m_lists_are_empty_and_spot_symbols_do_not_claim_margin(api: Api) -> None:
    for path in ("/sapi/v1/margin/allPairs", "/sapi/v1/margin/isolated/allPairs"):
        assert (await api.signed("GET", path)).body == [], path
    coin_m = await api.public("GET", "/dapi/v1/exchangeInfo")
    assert coin_m.status == 200 and coin_m.body["symbols"] == []
    usdt_m = await api.public("GET", "/fapi/v1/exchangeInfo")  # USDT-M futures are served
    assert {s["contractType"] for s in usdt_m.body["symbols"]} == {"PERPETUAL"}
    spot = await api.public("GET", "/api/v3/exchangeInfo")
    assert not any(s["isMarginTradingAllowed"] for s in spot.body["symbols"])
    assert not any("MARGIN" in group for s in spot.body["symbols"] for group in s["permissionSets"])
    # Nor what the local exchange has no endpoint for: OTO/OPO lists, amendments, pegged orders.
    unserved = ("otoAllowed", "opoAllowed", "amendAllowed", "pegInstructionsAllowed")
    assert not any(s[flag] for s in spot.body["symbols"] for flag in unserved)


UNKNOWN = [
    ("GET", "/api/v3/noSuchEndpoint"),
    ("POST", "/api/v3/noSuchEndpoint"),
    ("GET", "/sapi/v1/noSuchEndpoint"),
    ("GET", "/fapi/v1/noSuchEndpoint"),
    ("DELETE", "/fapi/v1/noSuchEndpoint"),
    ("GET", "/dapi/v1/noSuchEndpoint"),
    ("GET", "/eapi/v1/noSuchEndpoint"),
    ("GET", "/papi/v1/noSuchEndpoint"),
    ("GET", "/"),
    ("GET", "/favicon.ico"),
]


@pytest.mark.parametrize(("method", "path"), UNKNOWN, ids=[f"{m} {p}" for m, p in UNKNOWN])
async def test_unknown_paths_answer_json_in_binances_error_shape(api: Api, method: str, path: str) -> None:
    """A client probing an endpoint this exchange lacks (a trading engine's start-up reads, a
    futures or options path) gets Binance's error shape it can parse, never text/plain."""
    reply = await api.request(method, path, headers={"X-MBX-APIKEY": api.api_key})
    assert reply.status == 404
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.body == {"code": -1020, "msg": "This operation is not supported."}
