"""``tradeexec stream`` against a local exchange the test starts: bounded by count and by
time, human lines and JSON lines, a trade seen as it happens, Ctrl-C as a clean exit."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from queue import Empty, Queue

import aiohttp
import msgspec
import pytest

from tradeexec.cli.stream import wire_lines

from . import Run, Sim, admin, base_env, run_cli, sim_serve

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    with sim_serve() as s:
        yield s


def _stream(sim: Sim, *args: str) -> list[str]:
    run = run_cli(["--base-url", sim.rest_url, "stream", *args], sim.env(), timeout=30)
    assert run.code == 0, run.err
    assert "-- connected" in run.err  # connection changes on stderr, not mixed into the events
    return run.out.splitlines()


def test_count_bounds_the_run_and_json_lines_are_the_events(sim: Sim) -> None:
    lines = _stream(sim, "BTCUSDT@depth5@100ms", "--count", "3", "--json")
    assert len(lines) == 3
    for line in lines:
        book = json.loads(line)
        assert set(book) >= {"lastUpdateId", "bids", "asks"}


def test_duration_bounds_the_run(sim: Sim) -> None:
    lines = _stream(sim, "ethusdt@depth5@100ms", "--duration", "1")
    assert 2 <= len(lines) <= 20, lines  # ten a second, give or take start-up
    assert all(" top " in line for line in lines)


class _Watch:
    """A ``tradeexec stream`` subprocess whose output lines are read as they come."""

    def __init__(self, sim: Sim, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tradeexec.cli", "--base-url", sim.rest_url, "stream", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=sim.env(),
        )  # fmt: skip
        self.out: Queue[str] = Queue()
        self.err: Queue[str] = Queue()
        self.readers = [
            threading.Thread(target=lambda p=pipe, q=queue: [q.put(x) for x in p], daemon=True)
            for pipe, queue in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))
        ]
        for reader in self.readers:
            reader.start()

    def line(self, queue: Queue[str], timeout: float = 15.0) -> str:
        try:
            return queue.get(timeout=timeout)
        except Empty:
            self.proc.kill()
            raise AssertionError("no output from tradeexec stream") from None

    def finish(self, timeout: float = 15.0) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(5)

    def stderr(self) -> str:
        """What the process wrote to stderr (call after it ended)."""
        for reader in self.readers:
            reader.join(5)  # the pipes close when the process ends
        lines = []
        while not self.err.empty():
            lines.append(self.err.get_nowait())
        return "".join(lines)


def test_a_trade_shows_up_as_one_human_line(sim: Sim) -> None:
    watch = _Watch(sim, "btcusdt@trade", "--count", "1")
    assert watch.line(watch.err).startswith("-- connected")
    admin(sim, "/_sim/liquidity", {"symbol": "BTCUSDT", "side": "SELL", "price": "61000", "quantity": "0.5"})
    taker = run_cli(["--base-url", sim.rest_url, "order", "buy", "BTCUSDT", "0.002", "--price", "61000"],
                    sim.env(), secret=sim.api_secret)  # fmt: skip
    assert taker.code == 0, taker.err
    line = watch.line(watch.out)
    assert watch.finish() == 0
    fields = line.split()
    assert fields[1:3] == ["BTCUSDT", "trade"]
    assert Decimal(fields[3]) == Decimal("0.002") and Decimal(fields[5]) == 61000
    assert fields[6] == "(buy)"  # the taker bought


def test_ctrl_c_exits_cleanly_with_0(sim: Sim) -> None:
    watch = _Watch(sim, "btcusdt@depth5@100ms")
    watch.line(watch.out)  # running and printing
    watch.proc.send_signal(signal.SIGINT)
    assert watch.finish() == 0
    assert "Traceback" not in watch.stderr()


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("btcusdt@", "expected <symbol>@<kind>"),
        ("btcusdt@trades", "not a Binance stream name: 'btcusdt@trades'"),
        ("btcusdt@depth7", "not a Binance stream name"),
        ("btcusdt@kline_2m", "not a Binance stream name"),
        ("btcusdt@BOOKTICKER", "not a Binance stream name"),
        ("!ticker", "not a Binance stream name"),
        ("btc usdt@trade", "not a Binance stream name"),
    ],
)
def test_a_malformed_stream_name_is_refused_before_connecting(name: str, says: str) -> None:
    # Port 9 (discard) has no server: an attempt to connect would retry, not exit 2 at once.
    run = run_cli(["--base-url", "http://127.0.0.1:9", "stream", name], base_env(), timeout=10)
    assert run.code == 2 and says in run.err, run.err
    assert run.err.count("error:") == 1 and "hint: kinds: trade aggTrade" in run.err


def test_a_name_the_exchange_refuses_ends_at_once_as_a_user_error(sim: Sim) -> None:
    # kline_1M passes the grammar (Binance has month candles) but this exchange has none:
    # its handshake answers 400, which retrying cannot change.
    started = time.monotonic()
    run = run_cli(["--base-url", sim.rest_url, "stream", "btcusdt@trade", "btcusdt@kline_1M",
                   "--duration", "30"], sim.env(), timeout=30)  # fmt: skip
    assert run.code == 2, run.err
    assert time.monotonic() - started < 8  # not the 10 s connect timeout, nor --duration
    lines = run.err.splitlines()
    refusal = "error: the exchange refused the stream names (HTTP 400): btcusdt@trade btcusdt@kline_1M"
    assert lines[0] == refusal
    assert lines[1].startswith("hint: check the names") and len(lines) == 2
    assert run.out == ""


def _one_clear_error(run: Run) -> str:
    """Exactly an error line and a hint, no object reprs, nothing on stdout."""
    lines = run.err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), run.err
    assert "Error(" not in run.err and "ConnectionKey" not in run.err and "TimeoutError" not in run.err
    assert run.out == ""
    return lines[0]


@pytest.mark.parametrize("bound", [[], ["--count", "1"], ["--duration", "30"]])
def test_an_unreachable_exchange_fails_with_one_clear_line(bound: list[str]) -> None:
    # Nothing listens on port 9: a stream that never connected has received nothing, and
    # says so with exit 1 after a few attempts, rather than exit 0 or retrying forever.
    started = time.monotonic()
    run = run_cli(["--base-url", "http://127.0.0.1:9", "stream", "btcusdt@trade", *bound],
                  base_env(), timeout=30)  # fmt: skip
    assert run.code == 1, (run.code, run.err)
    assert time.monotonic() - started < 15
    line = _one_clear_error(run)
    assert "ws://127.0.0.1:9" in line and "3 attempts" in line and "refused" in line.lower(), line


def test_duration_over_before_the_first_connection_is_a_failure() -> None:
    run = run_cli(["--base-url", "http://127.0.0.1:9", "stream", "btcusdt@trade", "--duration", "0.2"],
                  base_env(), timeout=30)  # fmt: skip
    assert run.code == 1
    assert "no connection to the stream server" in _one_clear_error(run)


def test_a_wrong_url_path_is_a_user_error(sim: Sim) -> None:
    run = run_cli(["--base-url", sim.rest_url + "/nowhere", "stream", "btcusdt@trade", "--count", "1"],
                  sim.env(), timeout=30)  # fmt: skip
    assert run.code == 2
    assert "HTTP 404" in _one_clear_error(run)


def test_a_stream_that_ends_before_count_fails(sim: Sim) -> None:
    # No trades happen on this symbol: --duration ends the run with 0 of 5 events.
    run = run_cli(["--base-url", sim.rest_url, "stream", "ethbtc@trade", "--count", "5", "--duration", "1"],
                  sim.env(), timeout=30)  # fmt: skip
    assert run.code == 1
    lines = run.err.strip().splitlines()
    assert lines[0].startswith("-- connected") and len(lines) == 3, run.err
    assert lines[1] == "error: the stream ended after 0 of 5 events: --duration 1 s is over"


def test_a_server_that_dies_is_reported_in_words_and_ctrl_c_before_count_fails() -> None:
    with sim_serve() as own:
        watch = _Watch(own, "btcusdt@trade", "--count", "3")
        assert watch.line(watch.err).startswith("-- connected")
    # The server is gone (leaving the block ends it): each retry is one line in words, not
    # an aiohttp object's repr.
    drops = [watch.line(watch.err) for _ in range(3)]
    for line in drops:
        assert line.startswith("-- disconnected (connection 0): "), line
        assert "Error(" not in line and "ConnectionKey" not in line and "<" not in line, line
    assert any("cannot connect to 127.0.0.1:" in line for line in drops), drops
    watch.proc.send_signal(signal.SIGINT)
    assert watch.finish() == 1
    rest = watch.stderr()
    assert "error: the stream ended after 0 of 3 events: interrupted" in rest, rest
    assert "Traceback" not in rest


async def test_json_lines_are_the_payloads_exactly_as_the_wire_carried_them(sim: Sim) -> None:
    """A kline whose taker sold carries ``"V":"0.00000000"``: printed as sent, not ``0E-8``,
    with every field the server sent, in its order."""
    name = "bnbusdt@kline_1m"
    ws_url = "ws" + sim.rest_url.removeprefix("http") + f"/stream?streams={name}"
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url) as ws:
        watch = _Watch(sim, name, "--count", "1", "--json")
        assert watch.line(watch.err).startswith("-- connected")
        admin(sim, "/_sim/liquidity", {"symbol": "BNBUSDT", "side": "BUY", "price": "500", "quantity": "1"})
        taker = run_cli(["--base-url", sim.rest_url, "order", "sell", "BNBUSDT", "0.1"],
                        sim.env(), secret=sim.api_secret)  # fmt: skip
        assert taker.code == 0, taker.err
        printed = watch.line(watch.out).rstrip("\n")
        assert watch.finish() == 0
        # The same event, as this raw subscriber got it (klines also tick every second).
        event_time = json.loads(printed)["E"]
        wire = ""
        async with asyncio.timeout(15):
            while json.loads(wire or "{}").get("E") != event_time:
                frame = await ws.receive()
                wire = bytes(msgspec.json.decode(frame.data, type=_Wrapper).data).decode()
    assert printed == wire
    assert '"V":"0.00000000"' in printed and "E-" not in printed


class _Wrapper(msgspec.Struct):
    stream: str
    data: msgspec.Raw


def test_an_all_market_array_gives_one_wire_line_per_event() -> None:
    first, second = '{"e":"24hrMiniTicker","c":"0.00000000"}', '{"e":"24hrMiniTicker","c":"1.10"}'
    assert wire_lines(msgspec.Raw(f"[{first}, {second}]".encode())) == [first, second]
    assert wire_lines(b'{"u":1,"b":"0.00000000"}') == ['{"u":1,"b":"0.00000000"}']
