"""``tradeexec demo --product usdm``: the futures demo run in-process on its own embedded
exchange, watched from outside through a plain signed HTTP client (not the code under test).

While it trades, the watcher polls the exchange's ``/fapi/v2/positionRisk`` and keeps every
state it saw; each leg the view showed must be one of them (quantity, entry, leverage,
margin mode), on the right side of its liquidation price. Just before the exchange shuts
down it reads what is left (open orders, algo orders, positions) and the funding it
charged: the run must end flat and show each symbol's funding to the last unit.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from rich.console import Console

from tests.sim.conftest import Api
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.demo.futures import LEVERAGE
from tradeexec.demo.record import DemoRecord, DemoSummary
from tradeexec.demo.run import run_demo
from tradeexec.demo.view import DemoView
from tradeexec.sim.exchange import LocalExchange
from tradeexec.strategy import session as session_module
from tradeexec.venue.positions import MarginMode

pytestmark = pytest.mark.timeout(120)

Leg = tuple[str, D, D, str, str]  # symbol, quantity, entry, leverage, margin mode


async def _fapi(api: Api, path: str, **params: Any) -> Any:
    reply = await api.signed("GET", path, params)
    assert reply.status == 200, reply.body
    return reply.body


class _Watched(LocalExchange):
    """The demo's embedded exchange, read from outside just before it stops."""

    last: _Watched | None = None
    left: dict[str, Any]

    async def __aenter__(self) -> LocalExchange:
        _Watched.last = self
        return await super().__aenter__()

    async def stop(self) -> None:
        async with aiohttp.ClientSession() as http:
            api = Api(http, self.rest_url, self.api_key, HmacSigner(self.api_secret))
            rows = await _fapi(api, "/fapi/v2/positionRisk")
            income = await _fapi(api, "/fapi/v1/income", incomeType="FUNDING_FEE", limit=1000)
            self.left = {
                "orders": await _fapi(api, "/fapi/v1/openOrders"),
                "algos": await _fapi(api, "/fapi/v1/openAlgoOrders"),
                "legs": [r for r in rows if D(r["positionAmt"])],
                # The exchange's own setting: none of its position reads carries leverage.
                "leverage": {s: self._leverage(s) for s in ("BTCUSDT", "ETHUSDT")},
                "funding": income,
            }
        await super().stop()

    def _leverage(self, symbol: str) -> str:
        return str(self.state.futures.accounts[self.account].leverage_of(symbol))


def _state(ex: _Watched, row: dict[str, Any]) -> Leg:
    margin = "isolated" if D(row["isolatedMargin"]) else "cross"
    return (row["symbol"], D(row["positionAmt"]), D(row["entryPrice"]), ex._leverage(row["symbol"]), margin)


async def _poll(ex: _Watched, api: Api, seen: set[Leg]) -> None:
    seen.update(_state(ex, r) for r in await _fapi(api, "/fapi/v2/positionRisk") if D(r["positionAmt"]))


async def _watch(record: DemoRecord, seen: set[Leg], shown: list[tuple[Leg, D]], frames: list[str]) -> None:
    """Poll the exchange and the view until the run stops trading (bounded by the test's
    timeout and by ``record.phase``)."""
    while _Watched.last is None or record.phase in {"starting"}:
        await asyncio.sleep(0.02)
    ex = _Watched.last
    view = DemoView(record, duration_s=8, console=Console(width=160))
    async with aiohttp.ClientSession() as http:
        api = Api(http, ex.rest_url, ex.api_key, HmacSigner(ex.api_secret))
        # Trading and settling (the legs stay open until the stop): on a loaded machine the
        # watcher's first look may come late in the trading window.
        while record.phase in {"trading", "settling"}:
            seen.update(
                _state(ex, r) for r in await _fapi(api, "/fapi/v2/positionRisk") if D(r["positionAmt"])
            )
            for read in (record.leg_reads or {}).values():
                lev = f"{read.leverage:f}" if read.leverage is not None else "-"
                margin = "cross" if read.margin_mode is MarginMode.CROSSED else "isolated"
                leg = (read.symbol, read.quantity, read.entry_price, lev, margin)
                shown.append((leg, read.liquidation_price))
            if record.leg_reads:
                with view.console.capture() as cap:
                    view.console.print(view.render())
                frames.append(cap.get())
            seen.update(
                _state(ex, r) for r in await _fapi(api, "/fapi/v2/positionRisk") if D(r["positionAmt"])
            )
            await asyncio.sleep(0.1)


async def _run(journal_dir: Path) -> Any:
    record = DemoRecord()
    seen: set[Leg] = set()
    shown: list[tuple[Leg, D]] = []
    frames: list[str] = []
    watcher = asyncio.create_task(_watch(record, seen, shown, frames))
    try:
        summary = await run_demo(
            8, journal_dir=journal_dir, say=lambda _: None, record=record, product="usdm"
        )
        await asyncio.wait_for(watcher, 10)
    finally:
        watcher.cancel()
    ex = _Watched.last
    assert ex is not None
    return summary, record, ex.left, seen, shown, frames


@pytest.fixture(scope="module")
def usdm_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(session_module, "LocalExchange", _Watched)
        started = time.monotonic()
        yield asyncio.run(_run(tmp_path_factory.mktemp("usdm")))
    assert time.monotonic() - started < 60


Run = tuple[DemoSummary, DemoRecord, dict[str, Any], set[Leg], list[tuple[Leg, D]], list[str]]


def test_it_trades_both_ways_with_leverage_and_ends_flat(usdm_run: Run) -> None:
    summary, record, left, seen, _, _ = usdm_run
    assert summary.duplicates == 0 and summary.exchange_orders == summary.orders > 0
    assert {o.side for o in record.orders} == {"BUY", "SELL"}
    # Long and short: orders that open a leg each way (what fills of them is the market's).
    opening = {o.side for o in record.orders if not o.intent.reduce_only}
    assert opening == {"BUY", "SELL"}, [(o.side, o.intent.reduce_only) for o in record.orders]
    assert seen, "no leg was ever open on the exchange"
    assert left["orders"] == [] and left["algos"] == [] and left["legs"] == [], left
    assert summary.flat is True and summary.emergency[-1] == "EMERGENCY STOP COMPLETE"
    assert set(left["leverage"].values()) >= {str(LEVERAGE)}
    assert all(left["leverage"][s] == str(LEVERAGE) for s in record.symbols)


def test_the_faults_hit_the_fapi_paths_and_recovered(usdm_run: Run) -> None:
    _, record, *_ = usdm_run
    assert {f.kind for f in record.faults if f.fired_s is not None} == {
        "lost_response",
        "ws_drop",
        "error_1007",
    }
    assert all(f.status == "recovered" for f in record.faults), [(f.kind, f.recovery) for f in record.faults]
    assert record.reconnects >= 1


def test_the_legs_shown_are_the_exchanges(usdm_run: Run) -> None:
    _, _, _, seen, shown, frames = usdm_run
    assert shown, "the view never showed a leg"
    for leg, liq in shown:
        assert leg in seen, (leg, sorted(seen))
        _, qty, entry, lev, margin = leg
        assert lev == str(LEVERAGE) and margin == "cross"
        assert liq == 0 or (liq < entry if qty > 0 else liq > entry), (leg, liq)
    assert any("5x" in f and "cross" in f and "futures legs" in f for f in frames)


def test_the_funding_shown_is_what_the_exchange_charged(usdm_run: Run) -> None:
    _, record, left, *_ = usdm_run
    charged: dict[str, D] = {}
    for row in left["funding"]:
        charged[row["symbol"]] = charged.get(row["symbol"], D(0)) + D(row["income"])
    assert charged, "no funding was settled while a leg was open"
    assert record.funding == charged


def test_spot_stays_the_default() -> None:
    from tradeexec.cli.main import build_parser

    args = build_parser().parse_args(["demo"])
    assert args.product == "spot"


@pytest.mark.parametrize(
    "extra", [{"venue": "testnet"}, {"venue": "live"}, {"base_url": "http://127.0.0.1:1"}]
)
def test_the_futures_demo_refuses_any_other_exchange(extra: dict[str, str]) -> None:
    """Refused before anything connects, whatever keys the environment holds."""
    from tradeexec.cli.common import UsageError
    from tradeexec.cli.demo import demo_target

    fields = {"venue": None, "base_url": None, "i_understand_live": True, "notional": None, "product": "usdm"}
    with pytest.raises(UsageError, match="--product usdm runs on the embedded local exchange only"):
        demo_target(argparse.Namespace(**(fields | extra)))


def test_the_report_says_why_it_has_no_execution_figures(usdm_run: Run, tmp_path: Path) -> None:
    from tradeexec.demo.report import write_report

    summary, record, *_ = usdm_run
    write_report(record, summary, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text()
    assert "a futures run has none" in page and "did not finish" not in page
    assert "ends flat" in page and "no algo order" in page
