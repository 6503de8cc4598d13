"""``tradeexec run`` in a subprocess on the embedded local exchange: the README's strategy
verbatim, a JSON-lines program, a strategy that ignores the deadline, risk limits from the
config file; and the refusals (exit 2, nothing started) of a bad strategy or config."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.adversarial.strategy_run_helpers import config_env as _env
from tests.adversarial.strategy_run_helpers import journal_intents as _journal

from . import Run, run_cli

pytestmark = pytest.mark.timeout(180)

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_strategy() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    found = [b for b in blocks if "async def strategy(ctx)" in b]
    assert len(found) == 1, "the README shows exactly one strategy"
    return found[0]


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
    assert "Faults and recovery" not in report  # the demo's faults are not a user's run's
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
    _refused(run_cli(["run", str(plain)], env), "defines no 'async def strategy(ctx)'", "--program",
             "hint: see 'Your first strategy' in the README")  # fmt: skip
    sync = tmp_path / "sync.py"
    sync.write_text("def strategy(ctx):\n    pass\n", encoding="utf-8")
    _refused(run_cli(["run", str(sync)], env), "must be 'async def strategy(ctx)'")
    _refused(run_cli(["run", str(tmp_path / "absent.py")], env), "absent.py: not found")
    _refused(run_cli(["run", str(sync), "--venue", "live"], env), "--i-understand-live")
    _refused(run_cli(["run", str(plain), "extra"], env), "takes no ARGS")
    broken = tmp_path / "broken.py"
    broken.write_text("import asyncio\nasync def strategy(ctx)\n    pass\n", encoding="utf-8")
    _refused(run_cli(["run", str(broken)], env), f"strategy {broken}: SyntaxError", "line 2")
    missing = tmp_path / "needs.py"
    missing.write_text("import no_such_module_here\n", encoding="utf-8")
    _refused(run_cli(["run", str(missing)], env), "ModuleNotFoundError", "no_such_module_here")
    _refused(run_cli(["run", "no_such_strategy_module"], env), "no such file or module")
    (tmp_path / "badsyms.py").write_text("SYMBOLS = 'BTCUSDT'\nasync def strategy(ctx):\n    pass\n")
    _refused(run_cli(["run", str(tmp_path / "badsyms.py")], env), "SYMBOLS must be a non-empty list")


def test_a_symbol_the_venue_does_not_list_is_refused(tmp_path: Path) -> None:
    strategy = tmp_path / "s.py"
    strategy.write_text("async def strategy(ctx):\n    pass\n", encoding="utf-8")
    run = run_cli(["run", str(strategy), "--symbols", "NOPEUSDT", "--duration", "1",
                   "--journal-dir", str(tmp_path / "j")], _env(tmp_path))  # fmt: skip
    _refused(run, "symbols: not listed on local: NOPEUSDT")


def test_a_strategy_imports_its_own_helpers_by_file_or_module_name(tmp_path: Path) -> None:
    (tmp_path / "mylib.py").write_text("MESSAGE = 'helper imported'\n", encoding="utf-8")
    (tmp_path / "mine.py").write_text(
        "import mylib\nasync def strategy(ctx):\n    ctx.log(mylib.MESSAGE)\n", encoding="utf-8"
    )
    argv = ["run", str(tmp_path / "mine.py"), "--duration", "1", "--journal-dir", str(tmp_path / "a")]
    by_file = run_cli(argv, _env(tmp_path))
    assert by_file.code == 0 and "strategy: helper imported" in by_file.out, by_file
    by_name = subprocess.run(
        [sys.executable, "-m", "tradeexec.cli", "run", "mine", "--duration", "1", "--journal-dir", "b"],
        cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert by_name.returncode == 0 and "strategy: helper imported" in by_name.stdout, by_name.stderr
