"""``tradeexec demo`` in a subprocess, its summary checked against the journal it wrote, and
``tradeexec journal show`` on that journal."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradeexec.execution.journal import Journal

from . import Run, base_env, run_cli

pytestmark = pytest.mark.timeout(300)

KNOWN_FAULTS = {"lost_response", "error_1007"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    journal_dir = tmp_path_factory.mktemp("demo")
    run = run_cli(["demo", "--duration", "8", "--json", "--journal-dir", str(journal_dir)], base_env(),
                  timeout=180)  # fmt: skip
    assert run.code == 0, run.err
    return run.json(), journal_dir


def test_summary_matches_the_journal(demo: tuple[dict[str, Any], Path]) -> None:
    summary, journal_dir = demo
    path = journal_dir / "journal.sqlite"
    assert Path(summary["journal"]) == path
    with Journal(path) as journal:
        intents = journal.intents()
        states = [journal.derive(i).state for i in intents]
    assert summary["orders"] == len(intents)
    assert summary["exchange_orders"] == len(intents)  # every intent on the exchange exactly once
    assert summary["duplicates"] == 0
    assert all(s.is_final for s in states), states
    assert summary["signals"] >= 1 and summary["orders"] >= 1
    assert set(summary["faults"]) <= KNOWN_FAULTS
    assert summary["unknown_resolved"] <= len(summary["faults"])


def test_emergency_stop_completed_and_positions_flat(demo: tuple[dict[str, Any], Path]) -> None:
    summary, _ = demo
    assert summary["emergency"][-1] == "EMERGENCY STOP COMPLETE", summary["emergency"]
    assert not any(line.startswith(("OPEN ORDER LEFT", "NOT CLOSED")) for line in summary["emergency"])
    balances = {asset: Decimal(v) for asset, v in summary["end_balances"].items()}
    # Flat: what is left of BTC and ETH is dust worth less than a dollar at any sane price.
    assert balances.get("BTC", Decimal(0)) < Decimal("0.0001")
    assert balances.get("ETH", Decimal(0)) < Decimal("0.01")
    assert Decimal(summary["pnl"]) == balances["USDT"] - Decimal(50000)


def _show(journal_dir: Path, *extra: str) -> Run:
    return run_cli(["journal", "show", "--path", str(journal_dir), *extra], base_env())


def test_journal_show_json(demo: tuple[dict[str, Any], Path]) -> None:
    summary, journal_dir = demo
    run = _show(journal_dir, "--json")
    assert run.code == 0, run.err
    value = run.json()
    orders = value["orders"]
    assert len(orders) == summary["orders"]
    assert len({o["clientOrderId"] for o in orders}) == len(orders)
    for o in orders:
        assert o["state"] in {"FILLED", "CANCELED", "REJECTED", "EXPIRED"}
        assert o["clientOrderId"].startswith("demo")
        filled = sum((Decimal(f["qty"]) for f in o["fills"]), Decimal(0))
        assert filled == Decimal(o["executedQty"]), o  # the fills add up to what the state says
        assert all(isinstance(f["price"], str) for f in o["fills"])


def test_journal_show_human(demo: tuple[dict[str, Any], Path]) -> None:
    summary, journal_dir = demo
    run = _show(journal_dir / "journal.sqlite")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].endswith(f"{summary['orders']} orders")
    assert lines[2].split()[:3] == ["clientOrderId", "symbol", "side"]
    assert sum(1 for line in lines if line.startswith("demo")) >= summary["orders"]
    assert any(line.endswith(" fills") for line in lines)


def test_journal_show_refuses_a_file_that_is_not_a_journal(tmp_path: Path) -> None:
    bogus = tmp_path / "journal.sqlite"
    bogus.write_text("not a database")
    run = run_cli(["journal", "show", "--path", str(tmp_path)], base_env())
    assert run.code == 2 and "not a journal" in run.err
    assert bogus.read_text() == "not a database"  # left as it was, not moved aside
