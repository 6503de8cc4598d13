"""The README's Python examples run as written: documentation that cannot rot."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(README.parent / "src")}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


# ---- the README's CLI examples, config example and venue names ------------------------------

TEXT = README.read_text(encoding="utf-8")
LOCAL = "http://127.0.0.1:8765"
KEY = "ReadmeKey" + "0" * 55
SECRET = "ReadmeSecret" + "1" * 52


def _section(title: str) -> str:
    return TEXT.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _cli_lines() -> list[str]:
    block = _section("Quick start: the CLI").split("```\n", 2)[1]
    return [line for line in block.splitlines() if line.startswith("tradeexec ")]


def _runnable(line: str) -> bool:
    """Lines that need no real host, no placeholder path and no live market."""
    return not any(skip in line for skip in ("sim serve", "--venue spot ", "/path/to/", " stream "))


# About twenty CLI processes one after another: on a loaded machine 120 s is not enough.
@pytest.mark.timeout(300)
def test_readme_cli_examples_run_against_the_local_exchange(tmp_path: Path) -> None:
    import shlex

    from tests.cli import admin, base_env, run_cli, sim_serve

    lines = [line for line in _cli_lines() if _runnable(line)]
    assert any("keys check" in line for line in lines) and len(lines) >= 12
    config = tmp_path / "empty.toml"
    config.touch()
    env = base_env(BINANCE_API_KEY=KEY, BINANCE_API_SECRET=SECRET, TRADEEXEC_CONFIG=str(config))
    with sim_serve("--api-key", KEY, "--api-secret", SECRET) as sim:
        # Enough of a book for the examples' orders and for the emergency stop to sell into.
        books = (("BTCUSDT", "58990", "59010", "spot"), ("ETHUSDT", "1990", "2010", "spot"),
                 ("BTCUSDT", "59990", "60010", "futures"))  # fmt: skip
        for symbol, bid, ask, product in books:
            for side, price in (("BUY", bid), ("SELL", ask)):
                level = {"symbol": symbol, "side": side, "price": price, "quantity": "1000"}
                admin(sim, "/_sim/liquidity", {**level, "product": product})
        for line in lines:
            argv = [str(tmp_path / a) if a.endswith(".csv") else a
                    for a in shlex.split(line.replace(LOCAL, sim.rest_url))[1:]]  # fmt: skip
            run = run_cli(argv, env, secret=SECRET, timeout=60)
            assert run.code == 0, (line, run.out, run.err)


def test_readme_config_example_is_accepted_and_venue_names_are_real(tmp_path: Path) -> None:
    from tradeexec.config import Venue
    from tradeexec.config_file import read_config

    config = _section("Configuration")
    example = config.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "run.toml"
    path.write_text(example, encoding="utf-8")
    checked = read_config(path, required=True)
    assert checked.risk and checked.strategy["symbols"] and checked.journal["dir"]
    row = next(line for line in config.splitlines() if line.startswith("| `TRADEEXEC_VENUE`"))
    names = re.findall(r"`([a-z-]+)`", row.split("|")[2])
    assert len(names) == len(Venue) and {Venue.parse(n) for n in names} == set(Venue)
