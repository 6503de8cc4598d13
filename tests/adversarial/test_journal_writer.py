"""One writer per journal: two order managers on one journal each resend every unresolved
order (two fills, each tracker counting one), so a second writer is refused while the first
lives, naming it; a read-only view still works beside it, and a killed writer's lock passes
to the next one without anyone breaking it by hand."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.adversarial.journal_helpers import REPO, child, fill, run
from tests.cli import base_env
from tradeexec.errors import JournalError, JournalLocked
from tradeexec.execution.journal.store import Journal

pytestmark = pytest.mark.adversarial

KILL_ROUNDS = 30 if os.environ.get("TRADEEXEC_SOAK") == "full" else 2


def test_a_second_writer_in_another_process_is_refused_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with child("hold", str(path), "3") as holder:
        # Another process (this one) and a third (a fresh interpreter) are both refused.
        with pytest.raises(JournalLocked) as refused:
            Journal(path)
        message = str(refused.value)
        assert str(path) in message and f"pid {holder.pid}" in message and socket.gethostname() in message
        other = run("open", str(path))
        assert other["error"] == "JournalLocked" and f"pid {holder.pid}" in other["message"]
    # The holder is gone (closed cleanly): the journal is free and has the holder's 3 intents.
    with Journal(path) as journal:
        assert len(journal.intents()) == 3


def test_a_second_journal_in_the_same_process_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as first:
        fill(first, 1)
        with pytest.raises(JournalLocked, match=f"pid {os.getpid()}"):
            Journal(path)


def test_a_symlink_to_the_journal_meets_the_same_lock(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    alias = tmp_path / "other-name.sqlite"
    alias.symlink_to(path)
    with Journal(path), pytest.raises(JournalLocked):
        Journal(alias)


def test_a_read_only_view_and_journal_show_work_while_the_writer_runs(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with child("hold", str(path), "2"):
        with Journal(path, read_only=True) as view:
            assert [i.client_order_id for i in view.intents()] == [
                "adv_BTCUSDT_20260101000000_00000000",
                "adv_BTCUSDT_20260101000000_00000001",
            ]
            with pytest.raises(JournalError, match="read-only"):
                fill(view, 1, first=5)
        shown = subprocess.run(
            [sys.executable, "-m", "tradeexec.cli", "journal", "show", "--path", str(path), "--json"],
            cwd=REPO, env=base_env(), capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        assert len(json.loads(shown.stdout)["orders"]) == 2


def test_a_sigkilled_writers_lock_is_taken_over(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "journal.sqlite"
    with child("hold", str(path), "2") as holder:
        with pytest.raises(JournalLocked):
            Journal(path)
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        with Journal(path) as journal:  # no manual unlock: the OS released the dead holder's lock
            assert len(journal.intents()) == 2
            assert journal.lost is None
            fill(journal, 1, first=2)
            # The lock file now names this process, for the next would-be writer.
            assert run("open", str(path))["message"].count(f"pid {os.getpid()}") == 1
    assert f"pid {holder.pid}" in caplog.text and "without closing" in caplog.text


def test_writers_killed_in_turn_hand_the_journal_on_without_loss(tmp_path: Path) -> None:
    """Each round a new writer takes over from a SIGKILLed one, a rival is refused while it
    lives, and no committed intent goes missing (nor is any reported lost)."""
    path = tmp_path / "journal.sqlite"
    for _ in range(KILL_ROUNDS):
        with child("hold", str(path), "2") as holder:
            with pytest.raises(JournalLocked, match=f"pid {holder.pid}"):
                Journal(path)  # this process is the rival
            holder.send_signal(signal.SIGKILL)
            holder.wait(10)
    with Journal(path) as journal:
        assert len(journal.intents()) == 2 * KILL_ROUNDS and journal.lost is None
