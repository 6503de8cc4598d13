"""Helpers of the ``tradeexec run`` tests (tests/cli/test_run.py and
tests/adversarial/test_strategy_stop.py): a config file per test, the journal's own record,
and waiting on a child's output with a deadline."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from tests.cli import Run, base_env, run_cli
from tradeexec.execution.journal.store import Journal


def config_env(tmp_path: Path, config: str = "") -> dict[str, str]:
    """The CLI's environment with ``config`` as its config file (isolated from the user's)."""
    path = tmp_path / "run.toml"
    path.write_text(config, encoding="utf-8")
    return base_env(TRADEEXEC_CONFIG=str(path))


def journal_intents(journal_dir: Path) -> list[tuple[str, bool, int]]:
    """(client order id, final, fills) of every intent, from the journal file itself."""
    with Journal(journal_dir / "journal.sqlite") as journal:
        return [
            (i.client_order_id, journal.derive(i).state.is_final, len(journal.fills(i.client_order_id)))
            for i in journal.intents()
        ]


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float) -> bool:
    """Read the child's stdout on a thread until a line holds ``needle``, or ``timeout``."""
    found = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if needle in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    return found.wait(timeout)


def run_source(
    tmp_path: Path, name: str, source: str, *argv: str, config: str = ""
) -> tuple[Run, Path, Path]:
    """``tradeexec run`` of ``source`` saved as ``name.py``, with its own journal directory
    and config file; returns the run, the strategy file and the journal directory."""
    strategy = tmp_path / f"{name}.py"
    strategy.write_text(source, encoding="utf-8")
    journal_dir = tmp_path / "journal"
    args = ["run", str(strategy), "--journal-dir", str(journal_dir), *argv]
    return run_cli(args, config_env(tmp_path, config)), strategy, journal_dir
