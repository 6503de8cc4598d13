"""``tradeexec sim serve`` runs the futures market with the synthetic market, and
``--no-futures-market`` (or ``market.futures = false``) leaves the futures books alone."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest

from tests.cli import sim_serve
from tradeexec.errors import ConfigError
from tradeexec.sim import SimConfig

WAIT = 20.0


def _get(base: str, path: str) -> Any:
    with urllib.request.urlopen(f"{base}{path}", timeout=5) as reply:
        return json.loads(reply.read())


def _until(check: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_sim_serve_quotes_the_futures_books_unless_told_not_to() -> None:
    with sim_serve(market=True) as s:

        def quoted() -> bool:
            depth = _get(s.rest_url, "/fapi/v1/depth?symbol=BTCUSDT&limit=5")
            return bool(depth["bids"] and depth["asks"])

        _until(quoted, "the futures book was never quoted")
    with sim_serve("--no-futures-market", market=True) as s:
        _until(lambda: _get(s.rest_url, "/api/v3/trades?symbol=BTCUSDT"), "the spot market did not trade")
        depth = _get(s.rest_url, "/fapi/v1/depth?symbol=BTCUSDT&limit=5")
        assert depth["bids"] == [] and depth["asks"] == []


def test_futures_market_settings_from_the_file_are_checked_by_name() -> None:
    assert SimConfig.from_dict({"market": {"futures": False}}).market.futures is False
    for name, value in (("basis_vol", -1), ("basis_reversion_s", 0), ("basis_mean", 0.2)):
        with pytest.raises(ConfigError, match=f"market.{name} "):
            SimConfig.from_dict({"market": {name: value}})
