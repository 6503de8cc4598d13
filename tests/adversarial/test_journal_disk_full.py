"""Attacks with a really full disk (RLIMIT_FSIZE in a child process, see disk_full_helpers):
the journal fails while an order is on the wire, and while orders are being submitted.

Before the fix the caller of ``submit`` got ``OperationalError`` for a market buy the exchange
had FILLED while the journal said UNKNOWN with nothing executed (a caller who retries buys
twice), and refused submits still used up the order-rate budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.adversarial

REPO = Path(__file__).resolve().parents[2]


def _child(mode: str, journal: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BINANCE_", "TRADEEXEC_"))}
    env["PYTHONPATH"] = os.pathsep.join((str(REPO / "src"), str(REPO)))
    done = subprocess.run(
        [sys.executable, "-m", "tests.adversarial.disk_full_helpers", mode, str(journal)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_disk_full_while_an_order_is_on_the_wire(tmp_path: Path) -> None:
    r = _child("mid_order", tmp_path / "journal.sqlite")
    first, second = r["calls"]
    # The caller gets its order, filled, not an exception it might answer by retrying.
    assert first == "returned FILLED" and r["state_while_full"] == "FILLED", (first, r["journal"])
    cid = r["cid"]
    # The manager is degraded and says why; a new order is refused before anything is sent.
    assert r["problem_while_full"] and "cannot be written" in r["problem_while_full"]
    assert second.startswith("raised JournalUnavailable") and "no new orders" in second
    assert r["exchange"] == [[cid, "FILLED"]]
    # Once the disk has room the journal catches up with what happened, fills included.
    assert r["caught_up"] and r["problem_after"] is None
    assert r["journal"] == {cid: ["FILLED", "0.01000000", "0.01000000"]}


def test_refused_for_a_full_disk_uses_no_order_rate_budget(tmp_path: Path) -> None:
    r = _child("budget", tmp_path / "journal.sqlite")
    refused, placed = r["calls"][:3], r["calls"][3:]
    # The budget is two orders in all: the three never journaled nor sent took none of it.
    assert placed == ["returned FILLED", "returned FILLED"], placed
    assert all(c.startswith("raised JournalUnavailable") for c in refused), refused
    assert [status for _cid, status in r["exchange"]] == ["FILLED", "FILLED"]
    states = [state for state, _ex, _fill in r["journal"].values()]
    # An intent row that reached the file before its commit failed is journaled abandoned.
    assert states.count("FILLED") == 2 and set(states) <= {"FILLED", "CANCELED"}, states
