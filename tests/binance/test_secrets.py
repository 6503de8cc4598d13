"""Secrets never show: not in a repr, a str, a log line or an exception's text or traceback."""

from __future__ import annotations

import logging
import pickle
import traceback
from typing import Any

import pytest

from tradeexec.binance.client import BinanceClient
from tradeexec.config import Secret, load_settings

from .conftest import API_KEY, API_SECRET, FakeBinance

ORDER = {"quantity": "0.001", "price": "30000", "time_in_force": "GTC", "validate": False}


async def test_nothing_secret_in_reprs_logs_or_errors(
    fake: FakeBinance, client_kwargs: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    fake.reply(
        "GET",
        "/api/v3/account",
        (400, {"code": -1022, "msg": "Signature for this request is not valid."}, {}),
    )
    fake.reply("POST", "/api/v3/order", (503, "<html>down</html>", {}))
    fake.hang.add(("DELETE", "/api/v3/order"))
    fake.reply("GET", "/api/v3/myTrades", (200, [], {}))
    async with BinanceClient(**client_kwargs, timeout=0.3) as client:
        texts += [
            repr(client),
            str(client),
            repr(client.settings),
            repr(client.settings.credentials),
            repr(client.transport),
            repr(client.transport._signer),
        ]
        calls = [
            client.account(),
            client.new_order("BTCUSDT", "BUY", "LIMIT", **ORDER),
            client.cancel_order("BTCUSDT", orig_client_order_id="c"),
            client.new_order("BTCUSDT", "BUY", "LIMIT", **{**ORDER, "quantity": 0.5}),
        ]
        for call in calls:
            with pytest.raises(Exception) as info:
                await call
            texts.append("".join(traceback.format_exception(info.value)))
            texts.append(repr(info.value))
        await client.my_trades("BTCUSDT")
    texts.append(caplog.text)
    signatures = [s.params["signature"] for s in fake.seen if "signature" in s.params]
    assert len(signatures) >= 4
    everything = "\n".join(texts)
    assert "Filter" in everything or "float" in everything  # the texts are real
    for secret in [API_SECRET, API_KEY, *signatures]:
        assert secret not in everything
    assert "signature=" not in everything and "timestamp=" not in everything


def test_settings_and_secret_hide_their_values(client_kwargs: dict[str, Any]) -> None:
    settings = load_settings(api_key=API_KEY, api_secret=API_SECRET, env={})
    for text in (
        repr(settings),
        str(settings),
        repr(settings.credentials),
        str(settings.credentials.api_secret),
    ):
        assert API_SECRET not in text and API_KEY not in text
    assert Secret("x") == Secret("x")
    with pytest.raises(TypeError):
        pickle.dumps(Secret(API_SECRET))
