"""``tradeexec run`` in a subprocess on the embedded local exchange: the README's strategy
verbatim, a JSON-lines program, a strategy that ignores the deadline, risk limits from the
config file; and the refusals (exit 2, nothing started) of a bad strategy or config."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tradeexec.execution.journal import Journal

from . import Run, base_env, run_cli

pytestmark = pytest.mark.timeout(180)

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_strategy() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    found = [b for b in blocks if "async def strategy(ctx)" in b]
    assert len(found) == 1, "the README shows exactly one strategy"
    return found[0]


def _env(tmp_path: Path, config: str = "") -> dict[str, str]:
    path = tmp_path / "run.toml"
    path.write_text(config, encoding="utf-8")
    return base_env(TRADEEXEC_CONFIG=str(path))


def _journal(journal_dir: Path) -> list[tuple[str, bool, int]]:
    """(client order id, final, fills) of every intent, from the journal file itself."""
    with Journal(journal_dir / "journal.sqlite") as journal:
        return [
            (i.client_order_id, journal.derive(i).state.is_final, len(journal.fills(i.client_order_id)))
            for i in journal.intents()
        ]


def test_the_readme_strategy_runs_and_every_order_is_on_the_exchange_once(tmp_path: Path) -> None:
    strategy = tmp_path / "first_strategy.py"
    strategy.write_text(readme_strategy(), encoding="utf-8")
    journal_dir = tmp_path / "journal"
    # A short window so the bounded run trades: the parameter path is part of what is tested.
    args = ["run", str(strategy), "--duration", "4", "--param", "window=2", "--json",
            "--journal-dir", str(journal_dir)]  # fmt: skip
    started = time.monotonic()
    run = run_cli(args, _env(tmp_path), timeout=120)
    assert run.code == 0, run.err
    assert time.monotonic() - started < 60
    summary = run.json()
    intents = _journal(journal_dir)
    assert summary["orders"] == len(intents) >= 1, summary
    assert summary["exchange_orders"] == len(intents) and summary["duplicates"] == 0
    assert all(final for _, final, _ in intents), intents
    assert summary["fills"] == sum(n for _, _, n in intents) >= 1
    report = Path(summary["report"]).read_text(encoding="utf-8")
    assert "tradeexec run first_strategy report" in report and intents[0][0] in report
    # Client order IDs start with the strategy's name, as far as Binance's 36 characters allow.
    assert all("firststrategy".startswith(cid.split("_")[0]) for cid, _, _ in intents), intents


def test_a_program_writing_json_lines_drives_the_run(tmp_path: Path) -> None:
    program = tmp_path / "signals.py"
    program.write_text(
        "import time\n"
        "print('{\"kind\": \"order\", \"symbol\": \"BTCUSDT\", \"side\": \"BUY\",'\n"
        "      ' \"quote_quantity\": \"100\"}', flush=True)\n"
        'print("not json", flush=True)\n'
        "time.sleep(600)\n",  # outlives the run: it must be stopped, not waited for
        encoding="utf-8",
    )
    journal_dir = tmp_path / "journal"
    args = ["run", "--program", "--duration", "3", "--journal-dir", str(journal_dir), "--",
            sys.executable, str(program)]  # fmt: skip
    started = time.monotonic()
    run = run_cli(args, _env(tmp_path), timeout=120)
    assert run.code == 0, run.err
    assert time.monotonic() - started < 40  # SIGTERM at the deadline, not the program's 600 s
    assert "line 2 skipped" in run.out, run.out
    assert "program exited with code" in run.out
    intents = _journal(journal_dir)
    assert len(intents) == 1 and intents[0][1] and intents[0][2] >= 1, intents


def test_risk_limits_from_the_config_file_refuse_the_strategys_order(tmp_path: Path) -> None:
    strategy = tmp_path / "big.py"
    strategy.write_text(
        "from decimal import Decimal\n"
        "async def strategy(ctx):\n"
        "    async for _ in ctx.ticks(0.2):\n"
        "        if ctx.mid('BTCUSDT') is not None:\n"
        "            got = await ctx.target('BTCUSDT', notional=Decimal(ctx.params['notional']))\n"
        "            ctx.log(f'got {len(got)} orders')\n"
        "            return\n",
        encoding="utf-8",
    )
    config = '[risk]\nmax_order_notional = "50"\n\n[strategy]\nduration = 3\nparams = { notional = "500" }\n'
    journal_dir = tmp_path / "journal"
    run = run_cli(["run", str(strategy), "--journal-dir", str(journal_dir)], _env(tmp_path, config))
    assert run.code == 0, run.err
    assert "refused" in run.out and "got 0 orders" in run.out, run.out
    assert _journal(journal_dir) == []


def test_a_strategy_that_ignores_the_deadline_is_cancelled(tmp_path: Path) -> None:
    strategy = tmp_path / "stubborn.py"
    strategy.write_text(
        "import asyncio\nasync def strategy(ctx):\n    while True:\n        await asyncio.sleep(0.1)\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    run = run_cli(["run", str(strategy), "--duration", "2", "--journal-dir", str(tmp_path / "j")],
                  _env(tmp_path))  # fmt: skip
    assert run.code == 0, run.err
    assert "strategy stopped" in run.out
    assert time.monotonic() - started < 40


def _refused(run: Run, *needles: str) -> None:
    assert run.code == 2, run
    for needle in needles:
        assert needle in run.err, run.err


def test_refusals_before_anything_starts(tmp_path: Path) -> None:
    plain = tmp_path / "plain.py"
    plain.write_text("print('hello')\n", encoding="utf-8")
    env = _env(tmp_path)
    _refused(run_cli(["run", str(plain)], env), "defines no 'async def strategy(ctx)'", "--program")
    sync = tmp_path / "sync.py"
    sync.write_text("def strategy(ctx):\n    pass\n", encoding="utf-8")
    _refused(run_cli(["run", str(sync)], env), "must be 'async def strategy(ctx)'")
    _refused(run_cli(["run", str(tmp_path / "absent.py")], env), "absent.py: not found")
    _refused(run_cli(["run", str(sync), "--venue", "live"], env), "--i-understand-live")
    _refused(run_cli(["run", str(plain), "extra"], env), "takes no ARGS")


def test_a_symbol_the_venue_does_not_list_is_refused(tmp_path: Path) -> None:
    strategy = tmp_path / "s.py"
    strategy.write_text("async def strategy(ctx):\n    pass\n", encoding="utf-8")
    run = run_cli(["run", str(strategy), "--symbols", "NOPEUSDT", "--duration", "1",
                   "--journal-dir", str(tmp_path / "j")], _env(tmp_path))  # fmt: skip
    _refused(run, "symbols: NOPEUSDT is not listed")


def test_a_failing_strategy_exits_1_naming_its_line_and_leaves_no_resting_order(tmp_path: Path) -> None:
    strategy = tmp_path / "broken.py"
    strategy.write_text(
        "from decimal import Decimal\n"
        "async def strategy(ctx):\n"
        "    async for _ in ctx.ticks(0.2):\n"
        "        mid = ctx.mid('BTCUSDT')\n"
        "        if mid is not None:\n"
        "            price = (mid * Decimal('0.97')).quantize(1)\n"
        "            await ctx.order('BTCUSDT', 'buy', Decimal('0.001'), price=price)\n"
        "            raise RuntimeError('my bug')\n",
        encoding="utf-8",
    )
    journal_dir = tmp_path / "journal"
    run = run_cli(["run", str(strategy), "--duration", "20", "--journal-dir", str(journal_dir)],
                  _env(tmp_path))  # fmt: skip
    assert run.code == 1, run
    assert "strategy broken raised RuntimeError: my bug" in run.err and f"{strategy}:8" in run.err, run.err
    intents = _journal(journal_dir)
    assert len(intents) == 1 and intents[0][1], intents  # the resting order was cancelled: final
    assert "cancel " in run.out and "(still resting)" in run.out


def test_nothing_is_sent_after_the_run_is_over(tmp_path: Path) -> None:
    strategy = tmp_path / "late.py"
    strategy.write_text(
        "import asyncio\n"
        "from decimal import Decimal\n"
        "async def strategy(ctx):\n"
        "    while True:\n"
        "        try:\n"
        "            await asyncio.sleep(60)\n"
        "        except asyncio.CancelledError:  # refuses to stop, and trades instead\n"
        "            got = await ctx.order('BTCUSDT', 'BUY', quote_quantity=Decimal('100'))\n"
        "            ctx.log(f'late order: {got}')\n"
        "            return\n",
        encoding="utf-8",
    )
    journal_dir = tmp_path / "journal"
    run = run_cli(["run", str(strategy), "--duration", "2", "--journal-dir", str(journal_dir)],
                  _env(tmp_path))  # fmt: skip
    assert run.code == 0, run
    assert "not sent, the run is over" in run.out and "late order: None" in run.out, run.out
    assert _journal(journal_dir) == []


def test_ctrl_c_cancels_the_runs_resting_orders_before_it_exits(tmp_path: Path) -> None:
    strategy = tmp_path / "resting.py"
    strategy.write_text(
        "from decimal import Decimal\n"
        "async def strategy(ctx):\n"
        "    async for _ in ctx.ticks(0.2):\n"
        "        mid = ctx.mid('BTCUSDT')\n"
        "        if mid is not None and not ctx.open_orders():\n"
        "            price = (mid * Decimal('0.97')).quantize(1)\n"
        "            order = await ctx.order('BTCUSDT', 'buy', Decimal('0.001'), price=price)\n"
        "            ctx.log(f'RESTING {order.state}')\n",
        encoding="utf-8",
    )
    journal_dir = tmp_path / "journal"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tradeexec.cli", "run", str(strategy), "--duration", "120",
         "--journal-dir", str(journal_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path),
    )  # fmt: skip
    try:
        seen = _wait_for_line(proc, "strategy: RESTING NEW", timeout=60)
        assert seen, "the strategy never placed its order"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 1 and "interrupted" in err, (out, err)
    assert "Traceback" not in err
    intents = _journal(journal_dir)
    assert len(intents) == 1 and intents[0][1], intents  # canceled on the way out: final


def _wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float) -> bool:
    """Read the child's stdout on a thread until ``needle`` shows, or ``timeout``."""
    found = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if needle in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    return found.wait(timeout)
