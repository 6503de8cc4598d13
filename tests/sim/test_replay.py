"""Replay of Binance's public data: every published layout read right (header or not, zip or
not, ms or µs), clear errors for bad files, and a replayed market that users' orders meet in
the same book."""

from __future__ import annotations

import asyncio
import http.client
import itertools
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.cli import base_env, run_cli, sim_serve
from tests.sim.conftest import quiet_config
from tests.sim.market_shape_helpers import Watch
from tests.sim.replay_helpers import DATA, LAYOUTS, T0, micro, write
from tradeexec.binance.enums import OrderType, Side, TimeInForce
from tradeexec.errors import ConfigError
from tradeexec.sim import LocalExchange
from tradeexec.sim.engine import OrderRequest
from tradeexec.sim.market.replay import TAPE, Kind, Player, Print, Quote, play, read

D = Decimal
EXPECTED_KIND = {
    "aggTrades-spot": Kind.AGG_TRADES,
    "aggTrades-futures": Kind.AGG_TRADES,
    "trades-spot": Kind.TRADES,
    "trades-futures": Kind.TRADES,
    "bookTicker": Kind.BOOK_TICKER,
    "klines": Kind.KLINES,
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("zipped", [True, False])
@pytest.mark.parametrize("unit", ["ms", "us"])
def test_every_layout_reads_the_same_records(tmp_path: Path, layout: str, header: bool, zipped: bool,
                                             unit: str) -> None:  # fmt: skip
    head, rows = LAYOUTS[layout]
    if unit == "us":
        rows = [micro(r) for r in rows]
    # a neutral name: the layout must come from the header or the rows themselves
    path = write(tmp_path, "data", rows, header=head if header else None, zipped=zipped)
    kind, records = read(path)
    assert kind is EXPECTED_KIND[layout]
    got = list(records)
    if kind is Kind.BOOK_TICKER:
        assert got == [Quote(T0, D("42000.10"), D("1.5"), D("42000.30"), D("2.5")),
                       Quote(T0 + 500, D("42000.20"), D("1.0"), D("42000.25"), D("0.5"))]  # fmt: skip
    elif kind is Kind.KLINES:
        assert [(r.time_ms, r.price) for r in got if isinstance(r, Print)] == [
            (T0, D(42000)), (T0 + 14_999, D(42100)), (T0 + 29_998, D(41900)), (T0 + 44_997, D(42050))
        ]  # fmt: skip
        assert sum(r.qty for r in got if isinstance(r, Print)) == D(8)
    else:
        first = Print(T0, D("42000.10"), D("0.5"), True)
        assert got == [first, Print(T0 + 500, D("42000.30"), D("0.25"), False)]


def test_published_file_names_tell_the_layout(tmp_path: Path) -> None:
    # a headerless 7-column row alone is ambiguous between layouts; the published name is not
    rows = [f"100,42000.10,1.5,42000.30,2.5,{T0},{T0 + 3}"]
    path = write(tmp_path, "BTCUSDT-bookTicker-2024-01-01", rows, header=None, zipped=True)
    assert read(path)[0] is Kind.BOOK_TICKER


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("", "no data rows"),
        ("a,b,c\n", "no data rows"),
        ("1,2,3\n", "cannot tell the layout of a 3-column row"),
        (f"1,42000.10,0.5,10,11,{T0},True,True\n2,oops,0.5,10,11,{T0},True,True\n", "data row 2"),
    ],
)
def test_bad_files_are_refused_naming_the_file(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "x.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as err:
        _, records = read(path)
        list(records)
    assert message in str(err.value) and str(path) in str(err.value)


def test_exchange_refuses_a_replay_it_cannot_play_before_starting(tmp_path: Path) -> None:
    cfg = quiet_config()
    cfg.market.replay_files = [str(DATA / "BTCUSDT-aggTrades-sample.csv")]
    cfg.market.replay_symbol = "DOGEUSDT"
    with pytest.raises(ConfigError, match=r"DOGEUSDT.*not a symbol"):
        LocalExchange(cfg)
    nameless = tmp_path / "trades.csv"
    nameless.write_text(LAYOUTS["trades-spot"][1][0] + "\n")
    cfg.market.replay_files, cfg.market.replay_symbol = [str(nameless)], ""
    with pytest.raises(ConfigError, match=r"trades\.csv.*replay_symbol"):
        LocalExchange(cfg)
    with pytest.raises(ConfigError, match=r"market\.replay_speed"):
        type(cfg.market)(replay_speed=-1)


def test_quotes_set_the_top_of_the_book_with_its_sizes_and_keep_it_deep() -> None:
    ex = LocalExchange(quiet_config(), market=False)
    watch = Watch(ex.state)
    ex.state.bus.add_listener(watch)
    player = Player(ex.state, "BTCUSDT")
    _, records = read(DATA / "BTCUSDT-bookTicker-sample.csv")
    for n, record in enumerate(itertools.islice(records, 500)):
        assert isinstance(record, Quote)
        player.apply(record)
        recorded = (record.bid, record.bid_qty, record.ask, record.ask_qty)
        assert ex.state.engine.book_ticker("BTCUSDT") == recorded
        if n % 100 == 0:
            snap = ex.state.engine.depth("BTCUSDT", 5000)
            assert len(snap.bids) >= 50 and len(snap.asks) >= 50
    assert n == 499
    assert watch.empty_sides == [] and watch.crossed == []
    player.close()


def test_prints_trade_the_recorded_size_at_the_recorded_price() -> None:
    ex = LocalExchange(quiet_config(), market=False)
    player = Player(ex.state, "BTCUSDT")
    _, records = read(DATA / "BTCUSDT-aggTrades-sample.csv")
    tape = ex.state.engine
    for record in itertools.islice(records, 200):
        assert isinstance(record, Print)
        before = len(tape.recent_trades("BTCUSDT", 10**6))
        player.apply(record)
        new = tape.recent_trades("BTCUSDT", 10**6)[before:]
        assert {t.price for t in new} == {record.price}
        assert sum(t.qty for t in new) == record.qty
        assert tape.open_order_count(TAPE, "BTCUSDT") == 0  # nothing of the tape is left resting
    player.close()


async def test_user_orders_fill_when_the_replay_trades_through_them() -> None:
    ex = LocalExchange(quiet_config(), market=False)
    engine = ex.state.engine
    await play(ex.state, [("BTCUSDT", [Quote(T0, D("42000.00"), D(1), D("42000.05"), D(1))])], speed=0)
    # a user bid below the market, queued before the replay reaches its price
    placed = engine.place(ex.account, OrderRequest("BTCUSDT", Side.BUY, OrderType.LIMIT, quantity=D("0.01"),
                          price=D("41990.00"), time_in_force=TimeInForce.GTC), ex.state.now_ms())  # fmt: skip
    ex.state.publish(placed.events)
    assert engine.get_order(ex.account, "BTCUSDT", order_id=placed.order.order_id).status == "NEW"
    # the replayed market sells down to 41990: the user's bid, first in the queue there, fills
    await play(ex.state, [("BTCUSDT", [Print(T0 + 10, D("41995.00"), D("0.3"), True),
                                       Print(T0 + 20, D("41990.00"), D("0.5"), True)])], speed=0)  # fmt: skip
    order = engine.get_order(ex.account, "BTCUSDT", order_id=placed.order.order_id)
    assert order.status == "FILLED" and order.cummulative_quote_qty == D("419.9")


async def test_files_merge_in_time_and_the_speed_is_honoured(tmp_path: Path) -> None:
    head, rows = LAYOUTS["bookTicker"]
    quotes = write(tmp_path, "BTCUSDT-bookTicker-a", rows, header=head, zipped=False)  # T0, T0 + 500
    agg = [f"1,42000.10,0.5,10,11,{T0 + 200},True,True", f"2,42000.40,0.1,12,12,{T0 + 1200},False,True"]
    aggs = write(tmp_path, "BTCUSDT-aggTrades-a", agg, header=None, zipped=True)
    trades = write(tmp_path, "BTCUSDT-trades-a", [f"7,41999.50,0.2,8399.9,{T0 + 700},True,True"], header=None,
                   zipped=False)  # fmt: skip
    cfg = quiet_config()
    cfg.market.replay_files = [str(quotes), str(aggs), str(trades)]
    cfg.market.replay_speed = 2.0  # 1.2 s recorded: 0.6 s
    started = time.monotonic()
    async with LocalExchange(cfg) as ex:
        task = ex._market_task
        assert task is not None and task.get_name() == "sim-replay"
        assert await asyncio.wait_for(task, 10) == 5
        took = time.monotonic() - started
        prints = [t.price for t in ex.state.tape.trades("BTCUSDT")]
    assert 0.55 <= took < 5, took
    path = [p for i, p in enumerate(prints) if i == 0 or p != prints[i - 1]]
    assert path == [D("42000.10"), D("41999.50"), D("42000.40")]  # time order across the files


def test_sim_serve_replays_a_file() -> None:
    sample = DATA / "BTCUSDT-aggTrades-sample.csv"
    _, records = read(sample)
    last = list(records)[-1]
    assert isinstance(last, Print)
    with sim_serve("--replay", str(sample), "--speed", "0") as sim:
        deadline = time.monotonic() + 20
        while True:
            conn = http.client.HTTPConnection(urlsplit(sim.rest_url).netloc, timeout=5)
            conn.request("GET", "/api/v3/ticker/price?symbol=BTCUSDT")
            price = json.loads(conn.getresponse().read())["price"]
            conn.close()
            if D(price) == last.price or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert D(price) == last.price


def test_sim_serve_refuses_a_bad_replay_file(tmp_path: Path) -> None:
    run = run_cli(["sim", "serve", "--port", "0", "--replay", str(tmp_path / "BTCUSDT-none.csv")], base_env())
    assert run.code == 2 and "BTCUSDT-none.csv" in run.err and "no such file" in run.err
    assert "credentials" not in run.err  # the hint is about the file, not the keys
    sample = str(DATA / "BTCUSDT-aggTrades-sample.csv")
    run = run_cli(["sim", "serve", "--port", "0", "--replay", sample, "--speed", "-1"], base_env())
    assert run.code == 2 and "market.replay_speed must be 0" in run.err


def test_the_shipped_samples_are_what_the_repo_script_makes(tmp_path: Path) -> None:
    """The sample files are reproducible from ``scripts/make_replay_sample.py`` byte for byte
    (nothing downloaded, nothing edited by hand), and each reads as its published layout."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "make_replay_sample.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, timeout=60)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in DATA.glob("*.csv")) and len(made) == 3
    for name in made:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
    kinds = {name: read(DATA / name)[0] for name in made}
    assert set(kinds.values()) == {Kind.AGG_TRADES, Kind.BOOK_TICKER, Kind.KLINES}
