"""The USDT-M futures commands (``positions``, ``leverage``, ``margin-type``, ``position-mode``,
``income``, and ``--product usdm`` of ``balance``/``orders``/``order``/``cancel``), run as
subprocesses against a local exchange served from this process over a real socket.

The exchange runs in the test's event loop (its futures book and clock are set in-process);
each command runs in a worker thread so the loop keeps serving it. Every figure shown is
checked against what the exchange itself answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal as D
from typing import Any

import pytest

from tests.sim.conftest import Api
from tests.sim.futures.futures_helpers import futures_exchange, order
from tradeexec.sim import LocalExchange

from . import Run, base_env, run_cli

pytestmark = pytest.mark.timeout(300)
EIGHT_HOURS = 8 * 3_600_000


class Cli:
    def __init__(self, ex: LocalExchange, api: Api) -> None:
        self.ex, self.api = ex, api
        self.env = base_env(BINANCE_API_KEY=ex.api_key, BINANCE_API_SECRET=ex.api_secret)

    async def __call__(self, *args: str) -> Run:
        argv = ["--base-url", self.ex.rest_url, *args]
        return await asyncio.to_thread(run_cli, argv, self.env, secret=self.ex.api_secret)

    async def ok(self, *args: str) -> Any:
        run = await self(*args, "--json")
        assert run.code == 0, run.err
        return run.json()

    async def refused(self, *args: str) -> str:
        """Exit 2, nothing on stdout, one error line and one hint; the error line."""
        run = await self(*args)
        lines = run.err.strip().splitlines()
        assert run.code == 2 and run.out == "", run
        assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), run.err
        return lines[0]

    async def fapi(self, method: str, path: str, **params: Any) -> Any:
        """Signed at the exchange's own clock (a test may have moved it on)."""
        return (await self.api.signed(method, path, params, timestamp=self.ex.state.now_ms())).body


@asynccontextmanager
async def futures_cli() -> AsyncIterator[Cli]:
    async with futures_exchange() as (ex, api):
        yield Cli(ex, api)


async def test_positions_show_what_position_risk_says() -> None:
    async with futures_cli() as cli:
        cli.ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        cli.ex.futures_add_liquidity("ETHUSDT", "BUY", "3000", "5")
        await order(cli.api, "BTCUSDT", "BUY", "0.2")
        await order(cli.api, "ETHUSDT", "SELL", "1.5")
        cli.ex.futures_set_mark_price("BTCUSDT", "61000")
        shown = await cli.ok("positions")
        exchange = await cli.fapi("GET", "/fapi/v2/positionRisk")
        assert {r["symbol"] for r in shown} == {"BTCUSDT", "ETHUSDT"}  # flat legs left out
        for row in shown:
            truth = next(e for e in exchange if e["symbol"] == row["symbol"])
            for key in ("positionAmt", "entryPrice", "markPrice", "unRealizedProfit", "liquidationPrice",
                        "isolatedMargin", "notional"):  # fmt: skip
                assert D(row[key]) == D(truth[key]), (key, row, truth)
            # leverage and margin type as the exchange reports them (the local exchange's
            # positionRisk has the v3 fields only: then they are shown as unknown, never made up)
            assert row["leverage"] == truth.get("leverage")
            margin = truth.get("marginType")
            assert row["marginType"] == (
                None if margin is None else {"cross": "CROSSED"}.get(margin, "ISOLATED")
            )
        btc = next(r for r in shown if r["symbol"] == "BTCUSDT")
        assert D(btc["positionAmt"]) == D("0.2") and D(btc["unRealizedProfit"]) == D("200")
        assert D(next(r for r in shown if r["symbol"] == "ETHUSDT")["positionAmt"]) == D("-1.5")
        human = await cli("positions", "--symbol", "btcusdt")
        assert human.code == 0 and "BTCUSDT" in human.out and "ETHUSDT" not in human.out
        assert "unrealized PnL in total: 200" in human.out


async def test_leverage_and_margin_type_are_set_on_the_exchange() -> None:
    async with futures_cli() as cli:
        answer = await cli.ok("leverage", "BTCUSDT", "7")
        assert answer["leverage"] == 7 and D(answer["maxNotionalValue"]) > 0
        assert (await cli.ok("margin-type", "BTCUSDT", "Isolated"))["changed"] is True
        again = await cli.ok("margin-type", "BTCUSDT", "isolated")
        assert again == {"symbol": "BTCUSDT", "marginType": "ISOLATED", "changed": False}
        assert "LEVERAGE" in await cli.refused("leverage", "BTCUSDT", "0")
        assert "LEVERAGE" in await cli.refused("leverage", "BTCUSDT", "126")
        assert "TYPE" in await cli.refused("margin-type", "BTCUSDT", "portfolio")
        # what was set is what the exchange applies: the answer to setting it again (the
        # local exchange's positionRisk does not report the setting itself)
        assert (await cli.ok("leverage", "BTCUSDT", "7"))["leverage"] == 7
        assert (await cli.ok("margin-type", "BTCUSDT", "ISOLATED"))["changed"] is False


async def test_position_mode_shows_sets_and_passes_on_the_exchanges_refusal() -> None:
    async with futures_cli() as cli:
        assert (await cli.ok("position-mode"))["mode"] == "one-way"
        assert (await cli.ok("position-mode", "hedge"))["mode"] == "hedge"
        assert (await cli.fapi("GET", "/fapi/v1/positionSide/dual"))["dualSidePosition"] is True
        assert "MODE" in await cli.refused("position-mode", "both")
        cli.ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        await order(cli.api, "BTCUSDT", "BUY", "0.1", positionSide="LONG")
        refused = await cli("position-mode", "one-way")
        assert refused.code == 3 and "-4068" in refused.err
        assert (await cli.fapi("GET", "/fapi/v1/positionSide/dual"))["dualSidePosition"] is True


async def test_income_funding_rows_and_totals_equal_the_exchanges() -> None:
    async with futures_cli() as cli:
        cli.ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        await order(cli.api, "BTCUSDT", "BUY", "1")
        cli.ex.futures_set_mark_price("BTCUSDT", "60000")
        cli.ex.futures_set_funding_rate("BTCUSDT", "0.0005")
        await cli.fapi("GET", "/fapi/v3/account")  # the first funding time is now fixed
        cli.ex.state.clock.advance(2 * EIGHT_HOURS)
        await cli.fapi("GET", "/fapi/v3/account")
        shown = await cli.ok("income", "--funding")
        truth = await cli.fapi("GET", "/fapi/v1/income", incomeType="FUNDING_FEE")
        assert len(shown["rows"]) == len(truth) == 2
        assert [D(r["income"]) for r in shown["rows"]] == [D(t["income"]) for t in truth] == [D(-30)] * 2
        [total] = shown["totals"]
        assert (total["incomeType"], total["asset"], D(total["total"])) == ("FUNDING_FEE", "USDT", D(-60))
        every = await cli.ok("income")
        assert {r["incomeType"] for r in every["rows"]} >= {"FUNDING_FEE", "COMMISSION"}
        assert "--type" in await cli.refused("income", "--type", "LOTTERY")
        assert "--limit" in await cli.refused("income", "--limit", "1001")


async def test_orders_and_cancel_all_cover_plain_and_algo_orders() -> None:
    async with futures_cli() as cli:
        cli.ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        await order(cli.api, "BTCUSDT", "BUY", "0.2")
        cli.ex.futures_set_mark_price("BTCUSDT", "60000")
        limit = await cli.ok("order", "buy", "BTCUSDT", "0.01", "--price", "59500", "--product", "usdm")
        assert (limit["kind"], limit["type"], limit["status"]) == ("order", "LIMIT", "NEW")
        stop = await cli.ok(
            "order", "sell", "BTCUSDT", "0.2", "--product", "usdm", "--type", "stop_market",
            "--trigger-price", "58000", "--reduce-only",
        )  # fmt: skip
        assert (stop["kind"], stop["type"], stop["reduceOnly"]) == ("algo", "STOP_MARKET", True)
        algo = await cli.fapi("GET", "/fapi/v1/algoOrder", algoId=stop["orderId"])
        assert algo["reduceOnly"] is True and D(algo["triggerPrice"]) == 58000
        listed = await cli.ok("orders", "--product", "usdm")
        assert sorted((r["kind"], r["orderId"]) for r in listed) == sorted(
            [("order", limit["orderId"]), ("algo", stop["orderId"])]
        )
        canceled = await cli.ok("cancel", "BTCUSDT", "--all", "--product", "usdm")
        assert sorted((r["kind"], r["status"]) for r in canceled) == [
            ("algo", "CANCELED"),
            ("order", "CANCELED"),
        ]
        assert await cli.fapi("GET", "/fapi/v1/openOrders") == []
        assert await cli.fapi("GET", "/fapi/v1/openAlgoOrders") == []
        assert await cli.ok("orders", "--product", "usdm") == []
        history = await cli.ok("orders", "--product", "usdm", "--symbol", "BTCUSDT", "--all")
        assert {r["status"] for r in history} == {"FILLED", "CANCELED"}


async def test_futures_order_flags_are_checked_before_anything_is_sent() -> None:
    async with futures_cli() as cli:
        cli.ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        cli.ex.futures_add_liquidity("BTCUSDT", "BUY", "59900", "1")
        cases = [
            (("order", "buy", "BTCUSDT", "0.01", "--reduce-only"), "--reduce-only"),  # spot: refused
            (
                ("order", "buy", "BTCUSDT", "0.01", "--product", "usdm", "--position-side", "UP"),
                "--position-side",
            ),
            (
                ("order", "buy", "BTCUSDT", "0.01", "--product", "usdm", "--type", "STOP_MARKET"),
                "--trigger-price",
            ),
            (
                ("order", "buy", "BTCUSDT", "0.01", "--product", "usdm", "--trigger-price", "1"),
                "--trigger-price",
            ),
            (("order", "buy", "BTCUSDT", "--quote-qty", "10", "--product", "usdm"), "--quote-qty"),
            (
                ("order", "buy", "BTCUSDT", "0.01", "--product", "usdm", "--type", "TRAILING_STOP_MARKET"),
                "--type",
            ),
            (("order", "buy", "BTCUSDT", "0.01", "--price", "90000", "--product", "usdm"), "fat-finger"),
            (("cancel", "BTCUSDT", "--algo-id", "5"), "--algo-id"),
            (("order", "buy", "BTCUSDT", "0.01", "--product", "coinm"), "--product"),
        ]
        for args, named in cases:
            assert named in await cli.refused(*args), args
        assert await cli.fapi("GET", "/fapi/v1/allOrders", symbol="BTCUSDT") == []  # nothing reached it
        hedge_ok = await cli(
            "order", "buy", "BTCUSDT", "0.01", "--product", "usdm", "--position-side", "LONG"
        )
        assert hedge_ok.code == 3 and "-4061" in hedge_ok.err  # one-way account: the exchange's own refusal


async def test_futures_balance_is_the_wallet() -> None:
    async with futures_cli() as cli:
        shown = await cli.ok("balance", "--product", "usdm")
        truth = await cli.fapi("GET", "/fapi/v2/balance")
        usdt = next(t for t in truth if t["asset"] == "USDT")
        assert [(r["asset"], D(r["balance"]), D(r["available"])) for r in shown] == [
            ("USDT", D(usdt["balance"]), D(usdt["availableBalance"]))
        ]


def test_futures_commands_have_help_with_examples() -> None:
    for command in ("positions", "leverage", "margin-type", "position-mode", "income"):
        run = run_cli([command, "--help"], base_env())
        assert run.code == 0 and "examples:" in run.out and "--json" in run.out, command
    for command in ("balance", "orders", "order", "cancel", "emergency-stop"):
        run = run_cli([command, "--help"], base_env())
        assert run.code == 0 and "--product" in run.out, command


async def test_emergency_stop_usdm_cancels_everything_and_closes_every_position() -> None:
    async with futures_cli() as cli:
        cli.ex.futures_add_liquidity("BTCUSDT", "SELL", "60000", "1")
        cli.ex.futures_add_liquidity("ETHUSDT", "BUY", "3000", "5")
        await order(cli.api, "BTCUSDT", "BUY", "0.2")
        await order(cli.api, "ETHUSDT", "SELL", "1")
        cli.ex.futures_set_mark_price("BTCUSDT", "60000")
        await cli.ok("order", "buy", "BTCUSDT", "0.01", "--price", "59500", "--product", "usdm")
        await cli.ok(
            "order", "sell", "BTCUSDT", "0.2", "--product", "usdm", "--type", "STOP_MARKET",
            "--trigger-price", "58000", "--reduce-only",
        )  # fmt: skip
        cli.ex.futures_add_liquidity("BTCUSDT", "BUY", "59990", "1")
        cli.ex.futures_add_liquidity("ETHUSDT", "SELL", "3001", "5")
        assert "--assets" in await cli.refused(
            "emergency-stop", "--product", "usdm", "--assets", "BTC", "--yes"
        )
        declined = await cli("emergency-stop", "--product", "usdm")  # no terminal: refused
        assert declined.code == 2 and len(await cli.fapi("GET", "/fapi/v1/openAlgoOrders")) == 1
        report = await cli.ok("emergency-stop", "--product", "usdm", "--yes")
        assert report["ok"] is True and "EMERGENCY STOP COMPLETE" in report["lines"]
        assert {k: (v["side"], D(v["quantity"])) for k, v in report["closed"].items()} == {
            "BTCUSDT BOTH": ("SELL", D("0.2")), "ETHUSDT BOTH": ("BUY", D("1"))
        }  # fmt: skip
        assert D(report["closed"]["BTCUSDT BOTH"]["realized_pnl"]) == D("-2")  # 0.2 * (59990 - 60000)
        assert report["canceled_conditional"] == {"BTCUSDT": 1} and report["canceled_symbols"] == ["BTCUSDT"]
        assert await cli.fapi("GET", "/fapi/v1/openOrders") == []
        assert await cli.fapi("GET", "/fapi/v1/openAlgoOrders") == []
        assert await cli.fapi("GET", "/fapi/v3/positionRisk") == []
        human = await cli("emergency-stop", "--product", "usdm", "--yes")
        assert human.code == 0 and human.out.strip().endswith("EMERGENCY STOP COMPLETE"), human
