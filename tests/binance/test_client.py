"""Typed calls, local refusal of bad input, generic calls, venues and settings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradeexec.binance.client import BinanceClient
from tradeexec.binance.models import ExchangeInfo, OrderAck, OrderBook
from tradeexec.config import ApiFamily, Venue, load_settings, venue_urls
from tradeexec.errors import ConfigError, InvalidParameter, OrderRejectedLocally

from .conftest import NON_ASCII_SYMBOL, FakeBinance


async def test_market_data_decodes_into_models_with_decimals(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    fake.reply(
        "GET",
        "/api/v3/depth",
        (
            200,
            {
                "lastUpdateId": 7,
                "bids": [["4.00000000", "431.00000000"]],
                "asks": [["4.00000200", "12.00000000"]],
            },
            {},
        ),
    )
    fake.reply(
        "GET",
        "/api/v3/klines",
        (
            200,
            [
                [
                    1499040000000,
                    "0.01634790",
                    "0.80000000",
                    "0.01575800",
                    "0.01577100",
                    "148976.11427815",
                    1499644799999,
                    "2434.19055334",
                    308,
                    "1756.87402397",
                    "28.46694368",
                    "0",
                ]
            ],
            {},
        ),
    )
    async with BinanceClient(**client_kwargs) as client:
        book = await client.depth("BTCUSDT", limit=5)
        (kline,) = await client.klines("BTCUSDT", "1m", limit=1)
    assert isinstance(book, OrderBook) and book.bids[0] == (Decimal("4.00000000"), Decimal("431.00000000"))
    assert kline.close == Decimal("0.01577100") and kline.trades == 308
    assert fake.requests_to("GET", "/api/v3/klines")[0].query == "symbol=BTCUSDT&interval=1m&limit=1"


async def test_exchange_info_is_cached(fake: FakeBinance, client_kwargs: dict[str, Any]) -> None:
    async with BinanceClient(**client_kwargs) as client:
        info = await client.exchange_info()
        again = await client.exchange_info()
        rules = await client.rules()
        await client.exchange_info(refresh=True)
    assert isinstance(info, ExchangeInfo) and again is info
    assert "BTCUSDT" in rules and NON_ASCII_SYMBOL in rules
    assert len(fake.requests_to("GET", "/api/v3/exchangeInfo")) == 2


async def test_generic_call_reaches_any_registry_endpoint(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    fake.reply("GET", "/sapi/v1/capital/config/getall", (200, [{"coin": "BTC", "free": 0.5, "n": 3}], {}))
    async with BinanceClient(**client_kwargs) as client:
        coins = await client.call("GET", "/sapi/v1/capital/config/getall")
        with pytest.raises(InvalidParameter) as info:
            await client.call("GET", "/api/v3/nope")
        assert info.value.field == "path"
    assert coins == [{"coin": "BTC", "free": Decimal("0.5"), "n": 3}]
    assert isinstance(coins[0]["free"], Decimal)


async def test_ack_order_decodes_as_ack(fake: FakeBinance, client_kwargs: dict[str, Any]) -> None:
    fake.reply(
        "POST",
        "/api/v3/order",
        (
            200,
            {"symbol": "BTCUSDT", "orderId": 1, "orderListId": -1, "clientOrderId": "c1", "transactTime": 5},
            {},
        ),
    )
    async with BinanceClient(**client_kwargs) as client:
        ack = await client.new_order("BTCUSDT", "SELL", "MARKET", quantity="0.001", new_order_resp_type="ACK")
    assert isinstance(ack, OrderAck) and ack.client_order_id == "c1"
    (sent,) = fake.requests_to("POST", "/api/v3/order")
    assert sent.params["newOrderRespType"] == "ACK" and sent.params["quantity"] == "0.001"


async def test_futures_calls_use_the_futures_paths(fake: FakeBinance, client_kwargs: dict[str, Any]) -> None:
    fake.reply(
        "POST",
        "/fapi/v1/leverage",
        (200, {"leverage": 20, "maxNotionalValue": "1000000", "symbol": "BTCUSDT"}, {}),
    )
    async with BinanceClient(**client_kwargs) as client:
        result = await client.futures_change_leverage("BTCUSDT", 20)
    assert result.max_notional_value == Decimal("1000000")
    (sent,) = fake.requests_to("POST", "/fapi/v1/leverage")
    assert sent.params["leverage"] == "20" and "signature" in sent.params


BAD_ORDERS: list[tuple[dict[str, Any], str]] = [
    ({"quantity": "-1", "price": "100", "time_in_force": "GTC"}, "quantity"),
    ({"quantity": "0", "price": "100", "time_in_force": "GTC"}, "quantity"),
    ({"quantity": "abc", "price": "100", "time_in_force": "GTC"}, "quantity"),
    ({"quantity": Decimal("NaN"), "price": "100", "time_in_force": "GTC"}, "quantity"),
    ({"quantity": "Infinity", "price": "100", "time_in_force": "GTC"}, "quantity"),
    ({"quantity": 0.1, "price": "100", "time_in_force": "GTC"}, "quantity"),
    ({"quantity": "1", "price": 100.5, "time_in_force": "GTC"}, "price"),
    ({"quantity": "1", "time_in_force": "GTC"}, "price"),
    ({"quantity": "1", "price": "100"}, "timeInForce"),
    ({"quantity": "1", "price": "100", "time_in_force": "GTX"}, "timeInForce"),
    ({"quantity": "1", "price": "100", "time_in_force": "GTC", "recv_window": 70000}, "recvWindow"),
]


@pytest.mark.parametrize(("kwargs", "field"), BAD_ORDERS)
async def test_bad_order_input_is_refused_before_any_request(
    fake: FakeBinance, client_kwargs: dict[str, Any], kwargs: dict[str, Any], field: str
) -> None:
    async with BinanceClient(**client_kwargs) as client:
        before = len(fake.seen)
        with pytest.raises(InvalidParameter) as info:
            await client.new_order("BTCUSDT", "BUY", "LIMIT", validate=False, **kwargs)
        assert info.value.field == field
        assert len(fake.seen) == before


async def test_market_order_needs_exactly_one_quantity(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    async with BinanceClient(**client_kwargs) as client:
        with pytest.raises(InvalidParameter):
            await client.new_order("BTCUSDT", "BUY", "MARKET", validate=False)
        with pytest.raises(InvalidParameter) as info:
            await client.new_order("BTCUSDT", "BUY", "MARKET", quantity="1", price="5", validate=False)
        assert info.value.field == "price"
    assert fake.requests_to("POST", "/api/v3/order") == []


async def test_unknown_symbol_refused_once_exchange_info_is_loaded(
    fake: FakeBinance, client_kwargs: dict[str, Any]
) -> None:
    async with BinanceClient(**client_kwargs) as client:
        await client.exchange_info()
        before = len(fake.seen)
        with pytest.raises(InvalidParameter) as info:
            await client.depth("NOPEUSDT")
        assert info.value.field == "symbol"
        with pytest.raises(InvalidParameter):
            await client.new_order("NOPEUSDT", "BUY", "MARKET", quantity="1")
        assert len(fake.seen) == before


async def test_filter_failure_is_rejected_locally(fake: FakeBinance, client_kwargs: dict[str, Any]) -> None:
    async with BinanceClient(**client_kwargs) as client:
        with pytest.raises(OrderRejectedLocally) as info:
            # BTCUSDT's LOT_SIZE step is 0.00001
            await client.new_order(
                "BTCUSDT", "BUY", "LIMIT", quantity="0.000011", price="30000", time_in_force="GTC"
            )
    assert info.value.rule == "LOT_SIZE"
    assert "Filter failure: LOT_SIZE" in str(info.value)
    assert fake.requests_to("POST", "/api/v3/order") == []


async def test_unsigned_client_refuses_signed_calls(fake: FakeBinance, client_kwargs: dict[str, Any]) -> None:
    async with BinanceClient(base_url=fake.url) as client:
        await client.ping()
        with pytest.raises(ConfigError):
            await client.account()
    assert fake.requests_to("GET", "/api/v3/account") == []
    assert fake.requests_to("GET", "/api/v3/time") == []  # nothing to sign, nothing measured


def test_malformed_private_key_is_refused_at_construction(client_kwargs: dict[str, Any]) -> None:
    kwargs = {**client_kwargs, "api_secret": None, "private_key": b"-----BEGIN PRIVATE KEY-----\nnope\n"}
    with pytest.raises(ConfigError):
        BinanceClient(**kwargs)


# ------------------------------------------------------------------ venues and settings


def test_venues_have_their_hosts() -> None:
    assert venue_urls(Venue.SPOT).base_for("/api/v3/order") == "https://api.binance.com"
    assert venue_urls(Venue.SPOT).base_for("/fapi/v1/order") == "https://fapi.binance.com"
    assert venue_urls("spot-demo").rest == "https://demo-api.binance.com"
    assert venue_urls("spot-demo").ws_api == "wss://demo-ws-api.binance.com/ws-api/v3"
    assert venue_urls(Venue.SPOT_TESTNET).stream == "wss://stream.testnet.binance.vision"
    assert venue_urls(Venue.FUTURES_TESTNET).base_for("/fapi/v1/order") == "https://testnet.binancefuture.com"
    with pytest.raises(ConfigError):
        venue_urls(Venue.SPOT_DATA).base_for("/fapi/v1/order")
    local = venue_urls()
    assert local.venue is Venue.LOCAL and local.rest == "http://127.0.0.1:8765"
    assert local.hosts[ApiFamily.USDM] == "http://127.0.0.1:8765" and local.stream == "ws://127.0.0.1:8765"
    with pytest.raises(ConfigError):
        venue_urls("moon")


def test_settings_precedence(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[binance]\napi_key = "file-key"\napi_secret = "file-secret"\nvenue = "spot-testnet"\n'
        "recv_window = 3000\n"
    )
    env = {"TRADEEXEC_CONFIG": str(config)}
    from_file = load_settings(env=env)
    assert (from_file.credentials.api_key, from_file.venue, from_file.recv_window) == (
        "file-key",
        Venue.SPOT_TESTNET,
        3000,
    )
    env |= {"BINANCE_API_KEY": "env-key", "BINANCE_API_SECRET": "env-secret", "TRADEEXEC_VENUE": "spot"}
    from_env = load_settings(env=env)
    assert (from_env.credentials.api_key, from_env.venue) == ("env-key", Venue.SPOT)
    assert (
        from_env.credentials.api_secret is not None
        and from_env.credentials.api_secret.reveal() == "env-secret"
    )
    explicit = load_settings(api_key="arg-key", api_secret="arg-secret", venue="local", env=env)
    assert (explicit.credentials.api_key, explicit.venue) == ("arg-key", Venue.LOCAL)
    (tmp_path / "empty.toml").touch()
    default = load_settings(env={"TRADEEXEC_CONFIG": str(tmp_path / "empty.toml")})
    assert (
        default.venue is Venue.LOCAL and default.credentials.api_key is None and default.recv_window == 5000
    )


def test_private_key_path_from_environment(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "key.pem").write_bytes(pem)
    (tmp_path / "empty.toml").touch()
    env = {
        "BINANCE_API_KEY": "k",
        "BINANCE_PRIVATE_KEY_PATH": str(tmp_path / "key.pem"),
        "TRADEEXEC_CONFIG": str(tmp_path / "empty.toml"),
    }
    settings = load_settings(env=env)
    assert settings.credentials.private_key is not None and settings.credentials.private_key.reveal() == pem
    with pytest.raises(ConfigError):
        load_settings(env={**env, "BINANCE_PRIVATE_KEY_PATH": str(tmp_path / "missing.pem")})
