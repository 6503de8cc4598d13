"""``tradeexec demo`` in a subprocess: its summary checked against the journal it wrote, its
terminal view (the last frame, captured by rich's recording console) and its HTML report
checked for real content; ``tradeexec journal show`` on that journal; and the refusals of
``--venue`` (no network: only the paths that stop before connecting)."""

from __future__ import annotations

import argparse
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradeexec.cli.common import UsageError
from tradeexec.cli.demo import DemoTarget, demo_target
from tradeexec.config import Venue
from tradeexec.errors import ConfigError
from tradeexec.execution.journal.store import Journal

from . import Run, base_env, run_cli

pytestmark = pytest.mark.timeout(300)

KNOWN_FAULTS = {"lost_response", "ws_drop", "error_1007"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    journal_dir = tmp_path_factory.mktemp("demo")
    args = ["demo", "--duration", "7", "--json", "--journal-dir", str(journal_dir),
            "--screenshot", str(journal_dir / "view.txt")]  # fmt: skip
    run = run_cli(args, base_env(), timeout=180)
    assert run.code == 0, run.err
    return run.json(), journal_dir


def _journal_orders(journal_dir: Path) -> dict[str, tuple[str, str, int]]:
    """client order id -> (side, state, number of fills), from the journal itself."""
    with Journal(journal_dir / "journal.sqlite") as journal:
        return {
            i.client_order_id: (i.side, str(journal.derive(i).state), len(journal.fills(i.client_order_id)))
            for i in journal.intents()
        }


def test_summary_matches_the_journal(demo: tuple[dict[str, Any], Path]) -> None:
    summary, journal_dir = demo
    path = journal_dir / "journal.sqlite"
    assert Path(summary["journal"]) == path
    with Journal(path) as journal:
        intents = journal.intents()
        states = [journal.derive(i).state for i in intents]
    assert summary["orders"] == len(intents)
    assert summary["exchange_orders"] == len(intents)  # every intent on the exchange exactly once
    assert summary["duplicates"] == 0
    assert all(s.is_final for s in states), states
    assert summary["signals"] >= 1 and summary["orders"] >= 1
    assert set(summary["faults"]) <= KNOWN_FAULTS
    assert summary["unknown_resolved"] <= len(summary["faults"])
    assert summary["fills"] == sum(n for _, _, n in _journal_orders(journal_dir).values())


def test_the_dropped_stream_is_injected_and_recovered(demo: tuple[dict[str, Any], Path]) -> None:
    summary, _ = demo
    # The market stream never stops sending, so the drop always fires; the stream comes back.
    assert "ws_drop" in summary["faults"]
    assert summary["reconnects"] >= 1


def test_terminal_view_shows_its_panels_with_real_content(demo: tuple[dict[str, Any], Path]) -> None:
    summary, journal_dir = demo
    view = (journal_dir / "view.txt").read_text(encoding="utf-8")
    titles = (
        "market (stream + local order book)", "positions and PnL", "open orders", "recent fills",
        "faults injected and recovery", "rate-limit budget in use", "events", "demo summary",
    )  # fmt: skip
    for title in titles:
        assert title in view, title
    # Book tops from the local order book: symbol, last trade, bid, ask, spread, in sync.
    for symbol in ("BTCUSDT", "ETHUSDT"):
        row = next(line for line in view.splitlines() if re.search(rf"│ {symbol}\s+\d", line))
        numbers = [Decimal(n) for n in re.findall(r"\d+\.\d+", row.split("│")[1])]
        assert len(numbers) >= 4 and numbers[1] < numbers[2], row  # bid below ask
        assert "in sync" in row
    # The dropped stream and its recovery, and every fault that hit, shown as recovered.
    kinds = "|".join(KNOWN_FAULTS)
    fault_rows = [line for line in view.splitlines() if re.match(rf"│ ({kinds}) ", line)]
    assert {row.split()[1] for row in fault_rows} >= set(summary["faults"])
    assert all("recovered" in row for row in fault_rows if row.split()[1] in summary["faults"])
    # The rate-limit budget the client really spent.
    weight = next(line for line in view.splitlines() if "REQUEST_WEIGHT" in line and " 1M " in line)
    used, allowed = (int(n) for n in weight.split("1M")[1].split()[:2])
    assert 0 < used < allowed
    # Fills as the exchange booked them (the report's trades table): the journal's orders'
    # and the emergency stop's sales; and the summary with its numbers.
    trades = Path(summary["report"]).read_text(encoding="utf-8").split('<table class="trades">')[1]
    exchange_fills = trades.split("</table>")[0].count("<tr>") - 1
    assert exchange_fills >= summary["fills"]
    assert f"recent fills ({exchange_fills})" in view
    assert re.search(rf"│ orders submitted\s+│ {summary['orders']}\s", view)
    assert str(summary["journal"]) in view


def test_html_report_has_its_charts_and_the_real_orders(demo: tuple[dict[str, Any], Path]) -> None:
    summary, journal_dir = demo
    path = Path(summary["report"])
    assert path == journal_dir / "report.html"
    html = path.read_text(encoding="utf-8")
    # Self-contained: no scripts, no external resources.
    assert "<script" not in html and not re.search(r"(src|href)=", html)
    assert html.count('<svg class="equity"') == 1
    assert re.search(r'<svg class="equity".*?<polyline class="series"', html, re.S)
    for symbol in ("btcusdt", "ethusdt"):
        assert re.search(rf'<svg class="price price-{symbol}".*?<polyline class="series"', html, re.S)
    orders = _journal_orders(journal_dir)
    buys = sum(n for side, _, n in orders.values() if side == "BUY")
    sells = sum(n for side, _, n in orders.values() if side == "SELL")
    assert buys + sells == summary["fills"]
    # The markers are the exchange's trades: the journal's fills and the emergency stop's sales.
    trades = html.split('<table class="trades">')[1].split("</table>")[0]
    stop_sales = len(re.findall(r"<td>emer_\w+</td></tr>", trades))
    assert html.count('class="fill-buy"') == buys and html.count('class="fill-sell"') == sells + stop_sales
    table = html.split('<table class="orders">')[1].split("</table>")[0]
    for cid, (side, state, _) in orders.items():
        row = next(r for r in table.split("<tr>") if f"<td>{cid}</td>" in r)
        assert f"<td>{side}</td>" in row and f"<td>{state}</td>" in row
    assert f"<code class=journal>{summary['journal']}</code>" in html
    assert "<td>duplicate orders</td><td>0</td>" in html


def test_emergency_stop_completed_and_positions_flat(demo: tuple[dict[str, Any], Path]) -> None:
    summary, _ = demo
    assert summary["emergency"][-1] == "EMERGENCY STOP COMPLETE", summary["emergency"]
    assert not any(line.startswith(("OPEN ORDER LEFT", "NOT CLOSED")) for line in summary["emergency"])
    balances = {asset: Decimal(v) for asset, v in summary["end_balances"].items()}
    # Flat: what is left of BTC and ETH is dust worth less than a dollar at any sane price.
    assert balances.get("BTC", Decimal(0)) < Decimal("0.0001")
    assert balances.get("ETH", Decimal(0)) < Decimal("0.01")
    assert Decimal(summary["pnl"]) == balances["USDT"] - Decimal(50000)


def _show(journal_dir: Path, *extra: str) -> Run:
    return run_cli(["journal", "show", "--path", str(journal_dir), *extra], base_env())


def test_journal_show_json(demo: tuple[dict[str, Any], Path]) -> None:
    summary, journal_dir = demo
    run = _show(journal_dir, "--json")
    assert run.code == 0, run.err
    value = run.json()
    orders = value["orders"]
    assert len(orders) == summary["orders"]
    assert len({o["clientOrderId"] for o in orders}) == len(orders)
    for o in orders:
        assert o["state"] in {"FILLED", "CANCELED", "REJECTED", "EXPIRED"}
        assert o["clientOrderId"].startswith("demo")
        filled = sum((Decimal(f["qty"]) for f in o["fills"]), Decimal(0))
        assert filled == Decimal(o["executedQty"]), o  # the fills add up to what the state says
        assert all(isinstance(f["price"], str) for f in o["fills"])


def test_journal_show_human(demo: tuple[dict[str, Any], Path]) -> None:
    summary, journal_dir = demo
    run = _show(journal_dir / "journal.sqlite")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].endswith(f"{summary['orders']} orders")
    assert lines[2].split()[:3] == ["clientOrderId", "symbol", "side"]
    assert sum(1 for line in lines if line.startswith("demo")) >= summary["orders"]
    assert any(line.endswith(" fills") for line in lines)


def test_journal_show_refuses_a_file_that_is_not_a_journal(tmp_path: Path) -> None:
    bogus = tmp_path / "journal.sqlite"
    bogus.write_text("not a database")
    run = run_cli(["journal", "show", "--path", str(tmp_path)], base_env())
    assert run.code == 2 and "not a journal" in run.err
    assert bogus.read_text() == "not a database"  # left as it was, not moved aside


# ---------------------------------------------------------------- --venue, without a network


def _args(venue: str | None, *, live: bool = False, notional: Decimal | None = None) -> argparse.Namespace:
    return argparse.Namespace(venue=venue, base_url=None, notional=notional, i_understand_live=live)


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "empty.toml").touch()  # a named config file that is missing is an error
    monkeypatch.setenv("TRADEEXEC_CONFIG", str(tmp_path / "empty.toml"))
    monkeypatch.setenv("BINANCE_API_KEY", "k" * 64)
    monkeypatch.setenv("BINANCE_API_SECRET", "s" * 64)


def test_venue_plumbing(keys: None) -> None:
    assert demo_target(_args(None)) == DemoTarget(None, None, Decimal(2000))
    assert demo_target(_args("local")) == DemoTarget(None, None, Decimal(2000))
    assert demo_target(_args("testnet")) == DemoTarget(Venue.SPOT_TESTNET, None, Decimal(2000))
    assert demo_target(_args("spot-testnet", notional=Decimal(50))).notional == 50
    live = demo_target(_args("live", live=True))
    assert live.venue is Venue.SPOT and live.notional == Decimal(20)  # small unless asked
    with pytest.raises(UsageError, match="i-understand-live"):
        demo_target(_args("live"))
    with pytest.raises(UsageError, match="trades spot"):
        demo_target(_args("usdm-futures"))
    with pytest.raises(ConfigError):
        demo_target(_args("nowhere"))


@pytest.mark.parametrize(
    ("argv", "message", "hint"),
    [
        (["--venue", "live"], "needs --i-understand-live", "--venue testnet"),
        (["--venue", "live", "--i-understand-live"], "no API key to trade on spot", "export BINANCE_API_KEY"),
        (["--venue", "testnet"], "no API key to trade on spot-testnet", "testnet.binance.vision"),
        (["--venue", "usdm-futures"], "the demo trades spot", "--venue testnet"),
    ],
)
def test_venue_refusals_exit_2_with_the_fix(argv: list[str], message: str, hint: str, tmp_path: Path) -> None:
    (tmp_path / "empty.toml").touch()
    env = base_env(TRADEEXEC_CONFIG=str(tmp_path / "empty.toml"))
    run = run_cli(["demo", *argv, "--duration", "1"], env)
    assert run.code == 2, run
    error, fix = run.err.strip().splitlines()
    assert error.startswith("error: ") and message in error
    assert fix.startswith("hint: ") and hint in fix
    assert run.out == ""
