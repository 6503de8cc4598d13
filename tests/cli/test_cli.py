"""The ``tradeexec`` commands, run as subprocesses against a local exchange the test starts."""

from __future__ import annotations

import csv
import http.client
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tradeexec.binance.enums import KlineInterval
from tradeexec.binance.models import Kline
from tradeexec.cli.market import fetch_klines

from . import Run, Sim, admin, base_env, run_cli, sim_serve

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    with sim_serve() as s:
        assert s.api_secret, "a generated secret must be announced"
        yield s


def cli(sim: Sim, *args: str, stdin: str | None = None) -> Run:
    return run_cli(["--base-url", sim.rest_url, *args], sim.env(), secret=sim.api_secret, stdin=stdin)


def one_line_error(run: Run) -> str:
    lines = run.err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), run.err
    return lines[0]


# ---------------------------------------------------------------- market data


def test_price_human_and_json_with_flags_on_either_side(sim: Sim) -> None:
    human = cli(sim, "price", "btcusdt")
    assert human.code == 0 and human.out.startswith("BTCUSDT "), human
    before = run_cli(["--json", "--base-url", sim.rest_url, "price", "BTCUSDT"], sim.env())
    after = run_cli(["price", "BTCUSDT", "--json", "--base-url", sim.rest_url], sim.env())
    for run in (before, after):
        assert run.code == 0, run.err
        value = run.json()
        assert value["symbol"] == "BTCUSDT"
        Decimal(value["price"])  # a decimal string, never a float
        assert isinstance(value["price"], str) and "E" not in value["price"]


def test_book_shows_levels_added_by_the_operator(sim: Sim) -> None:
    admin(sim, "/_sim/liquidity", {"symbol": "ETHUSDT", "side": "SELL", "price": "2100", "quantity": "1.5"})
    admin(sim, "/_sim/liquidity", {"symbol": "ETHUSDT", "side": "BUY", "price": "1900", "quantity": "2"})
    book = cli(sim, "book", "ETHUSDT", "--depth", "5", "--json")
    assert book.code == 0, book.err
    value = book.json()
    assert ["2100.00", "1.5000"] in value["asks"] or any(Decimal(p) == 2100 for p, _ in value["asks"])
    assert any(Decimal(p) == 1900 and Decimal(q) == 2 for p, q in value["bids"])
    human = cli(sim, "book", "ETHUSDT")
    assert human.code == 0
    lines = human.out.splitlines()
    assert lines[0].split() == ["price", "quantity", "side"]
    assert any(line.split()[-1] == "ask" and Decimal(line.split()[0]) == 2100 for line in lines[1:])


# ---------------------------------------------------------------- account and orders


def test_balance(sim: Sim) -> None:
    run = cli(sim, "balance", "--json")
    assert run.code == 0, run.err
    balances = {r["asset"]: Decimal(r["free"]) for r in run.json()}
    assert balances["USDT"] > 0
    human = cli(sim, "balance")
    assert human.out.splitlines()[0].split() == ["asset", "free", "locked"]
    assert any(line.startswith("USDT") for line in human.out.splitlines())


def test_order_list_and_cancel_by_id_and_all(sim: Sim) -> None:
    placed = cli(sim, "order", "buy", "BTCUSDT", "0.001", "--price", "20000", "--json")
    assert placed.code == 0, placed.err
    first = placed.json()
    assert (first["side"], first["type"], first["status"]) == ("BUY", "LIMIT", "NEW")
    second = cli(sim, "--json", "order", "buy", "BTCUSDT", "0.002", "--price", "19000").json()
    third = cli(sim, "order", "buy", "BTCUSDT", "0.003", "--price", "18000")
    assert third.code == 0 and "NEW" in third.out and "18000" in third.out

    open_ids = {o["orderId"] for o in cli(sim, "orders", "--open", "--json").json()}
    assert {first["orderId"], second["orderId"]} <= open_ids and len(open_ids) == 3
    assert str(first["orderId"]) in cli(sim, "orders", "--open").out

    canceled = cli(sim, "cancel", "BTCUSDT", str(first["orderId"]), "--json")
    assert canceled.code == 0, canceled.err
    assert [(o["orderId"], o["status"]) for o in canceled.json()] == [(first["orderId"], "CANCELED")]
    assert first["orderId"] not in {o["orderId"] for o in cli(sim, "orders", "--open", "--json").json()}

    rest = cli(sim, "cancel", "BTCUSDT", "--all")
    assert rest.code == 0 and rest.out.count("CANCELED") == 2, rest.out
    assert cli(sim, "orders", "--open", "--json").json() == []
    history = cli(sim, "orders", "--symbol", "BTCUSDT", "--history", "--json").json()
    assert {o["status"] for o in history} == {"CANCELED"}


def test_test_order_places_nothing(sim: Sim) -> None:
    run = cli(sim, "order", "buy", "BTCUSDT", "0.001", "--price", "20000", "--test")
    assert run.code == 0 and "nothing placed" in run.out
    assert cli(sim, "orders", "--open", "--json").json() == []


def test_filter_violation_is_refused_locally_naming_the_filter(sim: Sim) -> None:
    run = cli(sim, "order", "buy", "BTCUSDT", "0.0000001", "--price", "20000")
    assert run.code == 2
    assert "LOT_SIZE" in one_line_error(run)
    as_json = cli(sim, "order", "buy", "BTCUSDT", "0.0000001", "--price", "20000", "--json")
    assert as_json.code == 2 and as_json.out == ""
    err = json.loads(as_json.err)
    assert err["exit_code"] == 2 and "LOT_SIZE" in err["error"]


def test_exchange_rejection_exits_3(sim: Sim) -> None:
    run = cli(sim, "order", "buy", "BTCUSDT", "100", "--price", "20000")
    assert run.code == 3
    assert "-2010" in one_line_error(run) and "insufficient balance" in run.err
    unknown = cli(sim, "cancel", "BTCUSDT", "999999")
    assert unknown.code == 3 and "-2011" in one_line_error(unknown)


# ---------------------------------------------------------------- klines




def _server_time(sim: Sim) -> int:
    conn = http.client.HTTPConnection(urlsplit(sim.rest_url).netloc, timeout=10)
    try:
        conn.request("GET", "/api/v3/time")
        return int(json.loads(conn.getresponse().read())["serverTime"])
    finally:
        conn.close()


def test_klines_to_csv_pages_through_more_than_1000_candles(sim: Sim, tmp_path: Path) -> None:
    count = 1005
    start = _server_time(sim) // 1000 * 1000  # candles open at or after --start
    conn = http.client.HTTPConnection(urlsplit(sim.rest_url).netloc, timeout=10)
    try:
        for i in range(count):
            admin(sim, "/_sim/price", {"symbol": "BNBUSDT", "price": f"{300 + i % 7}.5"}, conn)
            admin(sim, "/_sim/clock", {"advance_ms": 1000}, conn)
    finally:
        conn.close()
    end = _server_time(sim)
    out = tmp_path / "bnb.csv"
    run = cli(sim, "klines", "BNBUSDT", "1s", "--start", str(start), "--end", str(end), "--out", str(out))
    assert run.code == 0, run.err
    assert f"wrote {count} candles" in run.out
    assert "page 2" in run.err and "page 3" not in run.err  # two requests of up to 1000
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == count
    assert list(rows[0]) == ["open_time", "open", "high", "low", "close", "volume", "close_time",
                             "quote_volume", "trades", "taker_buy_base", "taker_buy_quote"]  # fmt: skip
    opens = [int(r["open_time"]) for r in rows]
    assert opens == sorted(set(opens))
    assert {Decimal(r["close"]) for r in rows} == {Decimal(f"{300 + i}.5") for i in range(7)}
    assert all("E" not in r["volume"] for r in rows)

    minute = start // 60_000 * 60_000
    as_json = cli(sim, "klines", "BNBUSDT", "1m", "--start", str(minute), "--end", str(end), "--json")
    assert as_json.code == 0, as_json.err
    candles = as_json.json()
    assert sum(int(c["trades"]) for c in candles) == count
    assert all(isinstance(c["close"], str) for c in candles)


async def test_fetch_klines_stops_on_a_short_page_and_never_loops_forever() -> None:
    class Endless:
        calls = 0

        async def klines(self, symbol: str, interval: object, *, start_time: int | None = None,
                         end_time: int | None = None, limit: int | None = None,
                         time_zone: str | None = None) -> list[Kline]:  # fmt: skip
            self.calls += 1
            assert start_time is not None and limit is not None
            d = Decimal(1)
            opens = [start_time + i * 60_000 for i in range(limit)]
            return [Kline(t, d, d, d, d, d, t + 59_999, d, 1, d, d) for t in opens]

    source = Endless()
    rows = await fetch_klines(source, "X", KlineInterval.M1, 0, 60_000 * 25, page=10)
    assert source.calls <= 4 and len(rows) >= 25  # bounded by the range, even if pages stay full


def test_klines_bad_arguments(sim: Sim) -> None:
    bad_interval = cli(sim, "klines", "BTCUSDT", "7x", "--start", "2024-01-01")
    assert bad_interval.code == 2 and "interval" in one_line_error(bad_interval)
    bad_start = cli(sim, "klines", "BTCUSDT", "1m", "--start", "yesterday")
    assert bad_start.code == 2 and "ISO" in one_line_error(bad_start)
    reversed_range = cli(sim, "klines", "BTCUSDT", "1m", "--start", "2024-02-01", "--end", "2024-01-01")
    assert reversed_range.code == 2 and "--start" in one_line_error(reversed_range)


# ---------------------------------------------------------------- keys and emergency stop


def test_keys_check_default_local_key(sim: Sim) -> None:
    # The local exchange's keys have no IP list: unsafe on a real venue, accepted locally.
    strict = cli(sim, "--venue", "spot-testnet", "keys", "check")
    assert strict.code == 3
    assert "UNSAFE" in strict.out and "ipRestrict" in strict.out
    relaxed = cli(sim, "keys", "check", "--json")
    assert relaxed.code == 0, relaxed.err
    value = relaxed.json()
    assert value["safe"] is True and value["reasons"] == []
    assert value["permissions"]["enableWithdrawals"] is False


_KEYS_TOML = """
[[accounts]]
name = "safe"
balances = { USDT = "1000" }
[[accounts.keys]]
api_key = "SafeKey000000000000000000000000000000000000000000000000000000001"
secret = "SafeSecret00000000000000000000000000000000000000000000000000001"
ip_restrict = true
allowed_ips = ["127.0.0.1"]

[[accounts]]
name = "risky"
balances = { USDT = "1000" }
[[accounts.keys]]
api_key = "RiskyKey00000000000000000000000000000000000000000000000000000001"
secret = "RiskySecret0000000000000000000000000000000000000000000000000001"
enable_withdrawals = true
"""


def test_keys_check_verdicts_from_configured_keys(tmp_path: Path) -> None:
    config = tmp_path / "sim.toml"
    config.write_text(_KEYS_TOML)
    with sim_serve("--config", str(config)) as s:
        assert "api_secret" not in s.info, "a secret from the config file must not be printed"
        safe_secret = "SafeSecret00000000000000000000000000000000000000000000000000001"
        safe = run_cli(["keys", "check", "--base-url", s.rest_url],
                       base_env(BINANCE_API_KEY=s.api_key, BINANCE_API_SECRET=safe_secret),
                       secret=safe_secret)  # fmt: skip
        assert safe.code == 0, safe.err + safe.out
        assert "SAFE" in safe.out and "UNSAFE" not in safe.out
        risky_secret = "RiskySecret0000000000000000000000000000000000000000000000000001"
        risky = run_cli(
            ["keys", "check", "--allow-any-ip", "--json", "--base-url", s.rest_url],
            base_env(BINANCE_API_KEY="RiskyKey00000000000000000000000000000000000000000000000000000001",
                     BINANCE_API_SECRET=risky_secret),
            secret=risky_secret,
        )  # fmt: skip
        assert risky.code == 3
        value = risky.json()
        assert value["safe"] is False and any("withdraw" in r for r in value["reasons"])


def test_emergency_stop_needs_confirmation(sim: Sim) -> None:
    assert cli(sim, "order", "buy", "ETHUSDT", "0.01", "--price", "1000").code == 0
    refused = cli(sim, "emergency-stop", "--json")
    assert refused.code == 2 and "--yes" in json.loads(refused.err)["error"]
    declined = cli(sim, "emergency-stop", stdin="no\n")  # not a terminal: refuses without --yes
    assert declined.code == 2 and "--yes" in one_line_error(declined)
    assert len(cli(sim, "orders", "--open", "--json").json()) == 1  # nothing was done


def test_emergency_stop_leaves_no_open_orders(sim: Sim) -> None:
    for price in ("1000", "1100"):
        assert cli(sim, "order", "buy", "ETHUSDT", "0.01", "--price", price).code == 0
    assert cli(sim, "order", "buy", "BTCUSDT", "0.001", "--price", "15000").code == 0
    run = cli(sim, "emergency-stop", "--yes")
    assert run.code == 0, run.out + run.err
    assert "EMERGENCY STOP COMPLETE" in run.out
    assert "BTCUSDT" in run.out and "ETHUSDT" in run.out
    assert cli(sim, "orders", "--open", "--json").json() == []
    again = cli(sim, "emergency-stop", "--yes", "--json")
    assert again.code == 0 and again.json()["ok"] is True and again.json()["canceled_symbols"] == []


# ---------------------------------------------------------------- usage errors and failures


@pytest.mark.parametrize(
    "args",
    [
        ["bogus"],
        ["price"],
        ["order", "buy", "BTCUSDT", "-1"],
        ["order", "hold", "BTCUSDT", "1"],
        ["book", "BTCUSDT", "--depth", "x"],
        ["cancel", "BTCUSDT"],
        ["cancel", "BTCUSDT", "5", "--all"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(sim: Sim, args: list[str]) -> None:
    run = cli(sim, *args)
    assert run.code == 2 and run.out == ""
    one_line_error(run)


def test_unreachable_exchange_is_a_failure_not_a_traceback(sim: Sim) -> None:
    run = run_cli(["--base-url", "http://127.0.0.1:9", "price", "BTCUSDT"], sim.env(), secret=sim.api_secret)
    assert run.code == 1
    assert "--base-url" in one_line_error(run) + run.err


def test_missing_journal_is_a_user_error(tmp_path: Path) -> None:
    run = run_cli(["journal", "show", "--path", str(tmp_path / "none.sqlite")], base_env())
    assert run.code == 2 and "no journal" in one_line_error(run)
    assert not (tmp_path / "none.sqlite").exists()


def test_every_command_has_help_with_examples() -> None:
    names = "sim serve,demo,price,book,klines,balance,orders,order,cancel,keys check,emergency-stop"
    names += ",journal show"
    for command in (name.split() for name in names.split(",")):
        run = run_cli([*command, "--help"], base_env())
        assert run.code == 0 and "examples:" in run.out and "--json" in run.out, command
    top = run_cli(["--help"], base_env())
    assert top.code == 0 and "examples:" in top.out
