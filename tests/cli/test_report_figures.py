"""The HTML report's figures and the terminal view, checked against the local exchange's own
record of a real demo run.

The demo runs in this process (real local exchange, real sockets, its faults and its
emergency stop); the embedded exchange is kept after the run so its matching engine's record
(every order and every fill of the demo account) can be read. Each figure in the report is
then recomputed here from that record, independently of ``tradeexec.demo.figures``, and must
match what the report shows, to the tick, the step and the cent.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import tradeexec.demo.run as demo_module
import tradeexec.strategy.session as session_module
from tradeexec.demo.record import DemoRecord, DemoSummary
from tradeexec.demo.report import write_report
from tradeexec.demo.run import run_demo
from tradeexec.demo.view import DemoView, screenshot, summary_table
from tradeexec.sim.exchange import LocalExchange

pytestmark = pytest.mark.timeout(120)

TICK = {"BTCUSDT": Decimal("0.01"), "ETHUSDT": Decimal("0.01")}
STEP = {"BTCUSDT": Decimal("0.00001"), "ETHUSDT": Decimal("0.0001")}
CENT = Decimal("0.01")


def on(value: Decimal, unit: Decimal) -> str:
    """What the report must show for ``value`` on a grid of ``unit`` (half-even)."""
    shown = value.quantize(unit, rounding=ROUND_HALF_EVEN)
    return format(shown if shown else abs(shown), "f")


class _Tables(HTMLParser):
    """Every table of the page by its class: rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("class") or "", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[dict[str, str]]]:
    parser = _Tables()
    parser.feed(html)
    return {
        name: [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
        for name, rows in parser.tables.items()
    }


@dataclass
class DemoRun:
    record: DemoRecord
    summary: DemoSummary
    html: str
    exchange: LocalExchange

    def engine_orders(self) -> list[Any]:
        engine = self.exchange.state.engine
        return [o for s in self.record.symbols for o in engine.all_orders("demo", s, limit=1000)]

    def engine_fills(self) -> list[Any]:
        engine = self.exchange.state.engine
        return [f for s in self.record.symbols for f in engine.my_trades("demo", s, limit=1000)]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    kept: list[LocalExchange] = []

    class KeptExchange(LocalExchange):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            kept.append(self)

    real_stop = demo_module.emergency_stop

    async def stop_with_a_holding(client: Any, **kwargs: Any) -> Any:
        # Whether the strategy ends long is up to the market; a deposit makes sure the stop
        # has something to sell, so its market order and its fill are always in the report.
        kept[0].admin.deposit("demo", "ETH", Decimal("0.5"))
        return await real_stop(client, **kwargs)

    out = tmp_path_factory.mktemp("figures")
    record = DemoRecord()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(session_module, "LocalExchange", KeptExchange)
        mp.setattr(demo_module, "emergency_stop", stop_with_a_holding)
        summary = asyncio.run(run_demo(8.0, journal_dir=out, say=lambda _: None, record=record))
    path = write_report(record, summary, out / "report.html")
    assert len(kept) == 1
    return DemoRun(record, summary, path.read_text(encoding="utf-8"), kept[0])


def test_the_run_traded_and_stopped(run: DemoRun) -> None:
    fills = run.engine_fills()
    assert fills, "the demo run made no fill: nothing to check the report against"
    assert run.summary.emergency[-1] == "EMERGENCY STOP COMPLETE"


def test_trades_table_is_the_exchange_fills(run: DemoRun) -> None:
    rows = tables(run.html)["trades"]
    fills = sorted(run.engine_fills(), key=lambda f: (f.time, f.trade_id))
    assert len(rows) == len(fills)
    cids = {(o.symbol, o.order_id): o.client_order_id for o in run.engine_orders()}
    for row, f in zip(rows, fills, strict=True):
        assert (row["symbol"], row["trade id"], row["order"]) == (
            f.symbol,
            str(f.trade_id),
            cids[f.symbol, f.order_id],
        )
        assert row["side"] == ("BUY" if f.is_buyer else "SELL")
        assert row["price"] == on(f.price, TICK[f.symbol]) and Decimal(row["price"]) == f.price
        assert row["qty"] == on(f.qty, STEP[f.symbol]) and Decimal(row["qty"]) == f.qty
        assert row["commission"] == f"{f.commission} {f.commission_asset}"
        assert row["role"] == ("maker" if f.is_maker else "taker")
        assert row[next(k for k in row if k.startswith("quote"))] == on(f.quote_qty, CENT)


def _fee_usdt(f: Any) -> Decimal:
    if f.commission_asset == "USDT":
        return Decimal(f.commission)
    assert f.symbol == f.commission_asset + "USDT", f  # the sim charges the asset received
    return Decimal(f.commission) * f.price


def test_figures_table_matches_the_exchange_fills(run: DemoRun) -> None:
    figures = {r["figure"]: r["value"] for r in tables(run.html)["figures"]}
    fills = run.engine_fills()
    makers = [f for f in fills if f.is_maker]
    takers = [f for f in fills if not f.is_maker]
    assert (
        figures["trades (the exchange's myTrades)"]
        == f"{len(fills)}: {len(makers)} maker, {len(takers)} taker"
    )
    volume = [on(sum((f.price * f.qty for f in side), Decimal(0)), CENT) for side in (makers, takers)]
    assert figures["maker / taker volume (USDT)"] == " / ".join(volume)
    turnover = sum((f.price * f.qty for f in fills), Decimal(0))
    assert figures["turnover (USDT)"].split()[0] == on(turnover, CENT)
    ratio = turnover / run.record.equity[0][1]
    assert f"({ratio:.2f}x the starting equity)" in figures["turnover (USDT)"]
    assert figures["fees (USDT)"] == on(sum((_fee_usdt(f) for f in fills), Decimal(0)), CENT)
    # Slippage: every fill against the mid when its order's signal came (the stop's: when it began).
    record = run.record
    arrival = {
        (o.symbol, o.order_id): record.arrivals.get(o.client_order_id) or record.stop_arrivals[o.symbol]
        for o in run.engine_orders()
    }
    cost = sum(
        (f.qty * (f.price - arrival[f.symbol, f.order_id].mid) * (1 if f.is_buyer else -1) for f in fills),
        Decimal(0),
    )
    assert figures["slippage against the arrival mid (USDT)"].split()[0] == on(cost, CENT)


def test_orders_table_has_every_exchange_order_with_its_fills(run: DemoRun) -> None:
    rows = {r["client order id"]: r for r in tables(run.html)["orders"]}
    fills = run.engine_fills()
    orders = run.engine_orders()
    emergency = [o for o in orders if o.client_order_id.startswith("emer_")]
    assert emergency, "the emergency stop sold nothing: its orders cannot be checked"
    assert set(rows) == {o.client_order_id for o in orders}
    for o in orders:
        row = rows[o.client_order_id]
        mine = [f for f in fills if (f.symbol, f.order_id) == (o.symbol, o.order_id)]
        tick, step = TICK[o.symbol], STEP[o.symbol]
        assert row["origin"] == ("emergency stop" if o in emergency else "strategy")
        assert row["side"] == str(o.side)
        assert row["limit price"] == ("market" if str(o.type) == "MARKET" else on(o.price, tick))
        assert row["state"] == str(o.status)
        assert row["filled"] == on(o.executed_qty, step)
        assert sum((f.qty for f in mine), Decimal(0)) == o.executed_qty
        if not mine:
            assert row["avg price"] == row["maker/taker"] == row["ack→fill (ms)"] == "-"
            continue
        quote = sum((f.price * f.qty for f in mine), Decimal(0))
        assert row["avg price"] == on(quote / o.executed_qty, tick)
        assert row["fee (USDT)"] == on(sum((_fee_usdt(f) for f in mine), Decimal(0)), CENT)
        makers = sum(1 for f in mine if f.is_maker)
        takers = len(mine) - makers
        role = "maker" if not takers else "taker" if not makers else f"{makers} maker, {takers} taker"
        assert row["maker/taker"] == role
        assert row["ack→fill (ms)"] == str(max(f.time for f in mine) - o.time)


def test_latency_and_slippage_against_the_arrival_mid(run: DemoRun) -> None:
    rows = {r["client order id"]: r for r in tables(run.html)["orders"]}
    fills = run.engine_fills()
    stop = run.record.stop_arrivals
    checked = 0
    for o in run.engine_orders():
        arrival = run.record.arrivals.get(o.client_order_id) or stop.get(o.symbol)
        assert arrival is not None and arrival.mid is not None, o.client_order_id
        row = rows[o.client_order_id]
        assert row["arrival mid"] == on(arrival.mid, TICK[o.symbol])
        assert row["signal→ack (ms)"] == str(o.time - arrival.signal_ms)
        assert 0 <= o.time - arrival.signal_ms < 10_000
        mine = [f for f in fills if (f.symbol, f.order_id) == (o.symbol, o.order_id)]
        if not mine:
            continue
        sign = 1 if str(o.side) == "BUY" else -1
        cost = sum((sign * f.qty * (f.price - arrival.mid) for f in mine), Decimal(0))
        bps = cost / (o.executed_qty * arrival.mid) * 10_000
        shown = row["slippage (bps)"]
        assert re.fullmatch(r"[+-]\d+\.\d", shown) and shown != "-0.0", shown
        assert Decimal(shown) == round(bps, 1), (shown, bps)
        checked += 1
    # Every filled order is checked; a loaded machine's short demo has filled one (CI, twice).
    assert checked >= 1


def test_no_number_carries_more_places_than_its_grid(run: DemoRun) -> None:
    text = re.sub(r"<[^>]+>", " ", run.html)
    # The only long decimals left are the exchange's own commissions and balances (8 places).
    assert not re.findall(r"\d\.\d{9,}", text)
    for r in tables(run.html)["orders"]:
        for name in ("limit price", "avg price", "arrival mid"):
            assert r[name] in ("-", "market") or re.fullmatch(r"\d+\.\d{2}", r[name]), (name, r)
        step = STEP[r["client order id"].split("_")[1]]
        assert re.fullmatch(rf"\d+\.\d{{{-int(step.as_tuple().exponent)}}}", r["qty"]), r


# ---- the terminal view at 100 and 160 columns ------------------------------------------------


def _frame(run: DemoRun, width: int, tmp_path: Path) -> list[str]:
    view = DemoView(run.record, duration_s=8.0)
    path = screenshot([view.render(), summary_table(run.summary)], tmp_path / f"view{width}.txt", width=width)
    return path.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("width", [100, 160])
def test_view_fits_its_width_without_cutting_a_number(run: DemoRun, width: int, tmp_path: Path) -> None:
    lines = _frame(run, width, tmp_path)
    assert max(len(line) for line in lines) <= width
    assert not any("…" in line for line in lines), "\n".join(lines)
    text = "\n".join(lines)
    # The last fills (the exchange's, the emergency stop's sales among them), to tick and step.
    fills = sorted(run.engine_fills(), key=lambda f: (f.time, f.trade_id))[-8:]
    fill_rows = [line for line in lines if re.search(r"\d+\.\ds\s+│?\s*(BTC|ETH)USDT\s+(BUY|SELL)", line)]
    for f in fills:
        wanted = (
            rf"(BTC|ETH)USDT\s+{'BUY' if f.is_buyer else 'SELL'}\s+{re.escape(on(f.qty, STEP[f.symbol]))}\s+"
        )
        assert any(re.search(wanted + re.escape(on(f.price, TICK[f.symbol])), row) for row in fill_rows), f
    assert f"recent fills ({len(run.engine_fills())})" in text
    for symbol in run.record.symbols:  # book tops on the tick, not eight places
        row = next(line for line in lines if re.search(rf"│ {symbol}\s+\d", line))
        numbers = re.findall(r"\d+\.\d+", row.split("│")[1])
        assert numbers and all(re.fullmatch(r"\d+\.\d{2}", n) for n in numbers[:4]), row
    side_by_side = any("market (stream" in line and "positions and PnL" in line for line in lines)
    assert side_by_side is (width >= 150)


def test_summary_writes_dust_balances_in_plain_digits() -> None:
    summary = DemoSummary(
        Path("journal.sqlite"), end_balances={"BTC": Decimal("1.1E-7"), "USDT": Decimal("5E+4")}
    )
    assert dict(summary.rows())["final balances"] == "BTC 0.00000011, USDT 50000"
