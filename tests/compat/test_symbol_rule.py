"""Binance's symbol rule on our side: a symbol is checked before anything is sent, with the
rule Binance applies since its December 2025 change (up to 20 characters; A-Z, 0-9, '-', '_',
'.' and printable non-ASCII characters), so a non-ASCII symbol passes and a malformed one is
refused locally with a message naming the field and the rule."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import pytest

from tests.cli import base_env, run_cli
from tradeexec.binance.rest.params import check_symbol
from tradeexec.errors import InvalidParameter

pytestmark = pytest.mark.compat

LISTED = [
    "BTCUSDT",
    "币安人生USDT",
    "这是测试币456",
    "１２３４５６",
    "BTCUSDT_261225",
    "A" * 20,
    "1000SATS-X.Y",
]
REFUSED = [
    "",
    "btcusdt",
    "A" * 21,
    "币" * 21,
    "BTC USDT",
    "BTC\u3000USDT",
    "BTC\nUSDT",
    "BTC/USDT",
    "BTC%55",
    "X" * 1000,
]


@pytest.mark.parametrize("symbol", LISTED)
def test_binance_symbols_pass(symbol: str) -> None:
    assert check_symbol(symbol) == symbol


@pytest.mark.parametrize("symbol", REFUSED, ids=lambda s: repr(s[:12]))
def test_malformed_symbols_are_refused_naming_field_and_rule(symbol: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        check_symbol(symbol, "symbols")
    assert err.value.field == "symbols"
    assert "1 to 20 characters" in err.value.rule
    assert len(str(err.value)) < 300  # a 1000-character value is not echoed whole


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers the clock (the CLI syncs time first) and records every other request."""

    seen: ClassVar[list[str]]

    def _answer(self) -> None:
        if self.path == "/api/v3/time":
            status, body = 200, b'{"serverTime": %d}' % int(time.time() * 1000)
        else:
            self.seen.append(self.path)
            status, body = 404, b'{"code":-1020,"msg":"This operation is not supported."}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.mark.parametrize("command", [["price"], ["cancel", "--all"]], ids=["price", "cancel"])
def test_cli_refuses_a_1000_character_symbol_before_sending(
    recorder: tuple[str, list[str]], command: list[str]
) -> None:
    url, seen = recorder
    symbol = "X" * 1000
    env = base_env(BINANCE_API_KEY="k" * 64, BINANCE_API_SECRET="s" * 64)
    run = run_cli([command[0], "--base-url", url, symbol, *command[1:]], env, secret="s" * 64)
    assert run.code != 0
    assert "symbol" in run.err and "1 to 20 characters" in run.err, run.err
    assert not any(symbol in path for path in seen), "the symbol was sent"
    assert seen == []
