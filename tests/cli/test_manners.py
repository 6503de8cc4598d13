"""The CLI's manners, in subprocesses against ``tradeexec sim serve``: ``--version``; sides
and types in any case; ``orders`` saying what it shows; the order answer with average price,
executed quantity, fees and time; ``trades``; cancel by client order ID; quote-quantity
market orders; the fat-finger check (refused locally, exit 2, nothing on the exchange); and
a ``--base-url`` ending in ``/api/v3`` refused with the fix."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tradeexec import __version__

from . import Run, Sim, admin, run_cli, sim_serve

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    with sim_serve() as s:
        # A book around 60000: mid 60000, so a BUY at 66000 is 10% through the mark.
        admin(s, "/_sim/liquidity", {"symbol": "BTCUSDT", "side": "SELL", "price": "60010", "quantity": "5"})
        admin(s, "/_sim/liquidity", {"symbol": "BTCUSDT", "side": "BUY", "price": "59990", "quantity": "5"})
        yield s


def cli(sim: Sim, *args: str) -> Run:
    return run_cli(["--base-url", sim.rest_url, *args], sim.env(), secret=sim.api_secret)


def open_orders(sim: Sim) -> list[dict[str, object]]:
    run = cli(sim, "orders", "--json")
    assert run.code == 0, run.err
    value: list[dict[str, object]] = run.json()
    return value


def test_version() -> None:
    from . import base_env

    run = run_cli(["--version"], base_env())
    assert run.code == 0 and run.out.strip() == f"tradeexec {__version__}"


def test_fat_finger_is_refused_locally_naming_the_rule_and_distance(sim: Sim, tmp_path: Path) -> None:
    far = cli(sim, "order", "buy", "BTCUSDT", "0.001", "--price", "66000")
    assert far.code == 2, far
    assert "fat-finger check" in far.err and "10.00% above the mark 60000" in far.err, far.err
    assert "at most 5% through the mark" in far.err and "--allow-far-price" in far.err
    sell = cli(sim, "order", "SELL", "BTCUSDT", "0.001", "--price", "50000", "--test")
    assert sell.code == 2 and "16.67% below the mark" in sell.err, sell.err
    assert open_orders(sim) == []  # nothing reached the exchange
    wider = cli(sim, "order", "buy", "BTCUSDT", "0.001", "--price", "66000", "--max-deviation=12", "--test")
    assert wider.code == 0, wider.err
    config = tmp_path / "risk.toml"
    config.write_text('[risk]\nmax_price_deviation_pct = "2"\n', encoding="utf-8")
    argv = ["--base-url", sim.rest_url, "order", "buy", "BTCUSDT", "0.001", "--price", "61800", "--test"]
    assert cli(sim, *argv[2:]).code == 0  # 3% is within the default 5%
    strict = run_cli(argv, {**sim.env(), "TRADEEXEC_CONFIG": str(config)}, secret=sim.api_secret)
    assert strict.code == 2 and "at most 2% through the mark" in strict.err, strict.err
    # A price far on the passive side is a resting order, not a fat finger.
    passive = cli(sim, "order", "buy", "BTCUSDT", "0.001", "--price", "30000", "--json")
    assert passive.code == 0, passive.err
    forced = cli(sim, "order", "BUY", "BTCUSDT", "0.001", "--price", "66000", "--allow-far-price", "--json")
    assert forced.code == 0 and forced.json()["status"] == "FILLED", forced.err  # filled at the ask
    cancel = cli(sim, "cancel", "BTCUSDT", "--client-id", passive.json()["clientOrderId"], "--json")
    assert cancel.code == 0 and [o["status"] for o in cancel.json()] == ["CANCELED"], cancel.err


def test_order_answer_shows_average_price_fees_and_time_and_trades_lists_fills(sim: Sim) -> None:
    run = cli(sim, "order", "Buy", "btcusdt", "--quote-qty", "120.02", "--type", "market", "--json")
    assert run.code == 0, run.err
    order = run.json()
    assert (order["type"], order["status"]) == ("MARKET", "FILLED")
    assert Decimal(order["executedQty"]) == Decimal("0.002")  # 120.02 / 60010
    assert Decimal(order["avgPrice"]) == Decimal("60010")
    assert order["fees"] and all(Decimal(v) >= 0 for v in order["fees"].values())
    assert order["time"].startswith("20") and order["time"].endswith("+00:00")
    human = cli(sim, "order", "sell", "BTCUSDT", "0.001")
    assert human.code == 0 and "avgPrice" in human.out and "fees of" in human.out, human.out
    trades = cli(sim, "trades", "BTCUSDT", "--json")
    assert trades.code == 0, trades.err
    mine = [t for t in trades.json() if t["orderId"] == order["orderId"]]
    assert mine and sum(Decimal(t["qty"]) for t in mine) == Decimal("0.002")
    assert {t["side"] for t in mine} == {"BUY"} and all("commission" in t for t in mine)
    assert "fills of BTCUSDT" in cli(sim, "trades", "BTCUSDT").out


def test_orders_says_what_it_shows(sim: Sim) -> None:
    assert cli(sim, "orders").out.startswith("open orders of every symbol:")
    assert cli(sim, "orders", "--symbol", "btcusdt").out.startswith("open orders of BTCUSDT:")
    history = cli(sim, "orders", "--symbol", "BTCUSDT", "--all")
    assert history.out.startswith("every order of BTCUSDT, open and closed:"), history.out
    assert "FILLED" in history.out
    no_symbol = cli(sim, "orders", "--history")
    assert no_symbol.code == 2 and "--all/--history needs --symbol" in no_symbol.err


@pytest.mark.parametrize("suffix", ["/api/v3", "/api/v3/", "/api"])
def test_base_url_with_the_api_path_is_refused_with_the_fix(sim: Sim, suffix: str) -> None:
    run = run_cli(["--base-url", sim.rest_url + suffix, "price", "BTCUSDT"], sim.env(), secret=sim.api_secret)
    assert run.code == 2, run
    assert f"give the host only, '{sim.rest_url}'" in run.err, run.err


@pytest.mark.parametrize("flag", ["--type=", "--tif= "])
def test_an_empty_type_or_tif_is_refused_not_defaulted(sim: Sim, flag: str) -> None:
    before = open_orders(sim)
    run = cli(sim, "order", "buy", "BTCUSDT", "0.001", "--price", "59000", flag)
    assert run.code == 2 and "must not be empty" in run.err, run
    assert open_orders(sim) == before
