"""``tradeexec run`` with maintenance windows announced ahead (issue 16): the settings from
arguments or the config file's ``[maintenance]`` table, refused when typed wrong (exit 2,
naming the file and line, or the argument, and the rule, nothing started), and a window in
progress pausing the run's orders, refused before anything is sent, naming the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.adversarial.strategy_run_helpers import config_env as _env
from tests.adversarial.strategy_run_helpers import journal_intents as _journal
from tradeexec.config_file import read_config
from tradeexec.errors import ConfigError
from tradeexec.execution.maintenance_windows import parse_window

from . import run_cli

pytestmark = pytest.mark.timeout(180)

BUYER = (
    "from decimal import Decimal\n"
    "async def strategy(ctx):\n"
    "    async for _ in ctx.ticks(0.2):\n"
    "        if ctx.mid('BTCUSDT') is not None:\n"
    "            got = await ctx.target('BTCUSDT', notional=Decimal('50'))\n"
    "            ctx.log(f'got {len(got)} orders')\n"
    "            return\n"
)


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ('[maintenance]\nwindows = ["2026-12-03T16:00Z/2026-12-03T14:00Z"]\n', 2, "end must be after start"),
        ('[maintenance]\nwindows = ["2026-12-03T14:00/2026-12-03T16:00"]\n', 2, "must be timezone-aware"),
        ("[maintenance]\nwindows = [5]\n", 2, 'each window must be a string "START/END"'),
        ("[maintenance]\n\nlead_s = -5\n", 3, "maintenance_lead_s: must be a number of seconds >= 0"),
        ('[maintenance]\non_maintenance = "sell"\n', 2, "on_maintenance: must be one of pause, cancel"),
        ("[maintenance]\nlead = 5\n", 2, "unknown key [maintenance] 'lead'"),
    ],
)
def test_config_refusals_name_file_line_and_rule(tmp_path: Path, text: str, line: int, needle: str) -> None:
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_config(path, required=True)
    message = str(caught.value)
    assert f"config file {path}, line {line}:" in message and needle in message, message


def test_config_windows_are_read_as_windows(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    text = (
        '[maintenance]\non_maintenance = "cancel"\n'
        'windows = ["2026-12-03T14:00Z/2026-12-03T16:00Z"]\nlead_s = 600\n'
    )
    path.write_text(text, encoding="utf-8")
    config = read_config(path, required=True)
    assert config.maintenance == {
        "on_maintenance": "cancel",
        "windows": (parse_window("2026-12-03T14:00Z/2026-12-03T16:00Z"),),
        "lead_s": 600,
    }


def test_argument_refusals_before_anything_starts(tmp_path: Path) -> None:
    strategy = tmp_path / "buyer.py"
    strategy.write_text(BUYER, encoding="utf-8")
    env = _env(tmp_path)
    naive = run_cli(["run", str(strategy), "--maintenance-window", "2026-12-03T14:00/2026-12-03T16:00"], env)
    assert naive.code == 2 and "maintenance_windows.start: must be timezone-aware" in naive.err, naive
    backwards = run_cli(
        ["run", str(strategy), "--maintenance-window", "2026-12-03T16:00Z/2026-12-03T14:00Z"], env
    )
    assert backwards.code == 2 and "end must be after start" in backwards.err, backwards
    negative = run_cli(["run", str(strategy), "--maintenance-lead", "-5"], env)
    assert negative.code == 2 and "--maintenance-lead" in negative.err, negative


def test_a_window_in_progress_refuses_the_runs_orders_naming_it(tmp_path: Path) -> None:
    strategy = tmp_path / "buyer.py"
    strategy.write_text(BUYER, encoding="utf-8")
    now = datetime.now(UTC)
    window = f"{(now - timedelta(hours=1)).isoformat()}/{(now + timedelta(hours=1)).isoformat()}"
    journal_dir = tmp_path / "journal"
    args = [
        "run",
        str(strategy),
        "--duration",
        "4",
        "--maintenance-window",
        window,
        "--journal-dir",
        str(journal_dir),
    ]
    run = run_cli(args, _env(tmp_path))
    assert run.code == 0, run.err
    assert "scheduled window" in run.out and "got 0 orders" in run.out, run.out
    assert _journal(journal_dir) == []  # refused before anything was journaled or sent
