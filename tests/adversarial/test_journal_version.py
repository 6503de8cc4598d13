"""A journal written by a newer tradeexec is refused, not read wrongly: its tables may carry
rules this code does not know, and an ``INSERT OR IGNORE`` took the failures they caused for
duplicates, so fills were never recorded and orders stayed UNKNOWN. No insert may fail
silently, whatever the file holds; older versions are migrated."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tests.adversarial.journal_helpers import REPO, build_v1, fill, intent, siblings
from tests.cli import base_env
from tradeexec.errors import JournalError, JournalVersionError
from tradeexec.execution.journal.records import ExchangeEvent
from tradeexec.execution.journal.schema import SCHEMA_VERSION
from tradeexec.execution.journal.store import Journal
from tradeexec.execution.orders.state import OrderState
from tradeexec.venue.positions import PositionLeg

pytestmark = pytest.mark.adversarial

CID = "adv_BTCUSDT_20260101000000_0000abcd"


def _fill_event(trade_id: int) -> ExchangeEvent:
    return ExchangeEvent(
        status="PARTIALLY_FILLED", executed_qty=Decimal("0.01"), cumulative_quote=Decimal("600"),
        update_ms=1_767_225_600_000 + trade_id, order_id=9, execution_type="TRADE", trade_id=trade_id,
        last_price=Decimal("60000"), last_qty=Decimal("0.01"), commission=Decimal(0), commission_asset="BNB",
    )  # fmt: skip


def _newer_tables(path: Path, user_version: int) -> None:
    """What a later schema might do: a column every event row must fill (CHECK here; SQLite
    allows no NOT NULL column without a default to be added)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("ALTER TABLE events ADD COLUMN venue TEXT CHECK (venue IS NOT NULL)")
    conn.execute(f"PRAGMA user_version = {user_version}")
    conn.close()


def test_a_journal_of_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        fill(journal, 2)
    _newer_tables(path, 99)
    before = {name: (tmp_path / name).read_bytes() for name in siblings(path) if not name.endswith(".lock")}
    with pytest.raises(JournalVersionError) as refused:
        Journal(path)
    assert str(path) in str(refused.value) and "version 99" in str(refused.value)
    assert {name: (tmp_path / name).read_bytes() for name in before} == before
    with pytest.raises(JournalVersionError):
        Journal(path, read_only=True)
    shown = subprocess.run(
        [sys.executable, "-m", "tradeexec.cli", "journal", "show", "--path", str(path)],
        cwd=REPO, env=base_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert shown.returncode != 0 and "version 99" in shown.stderr and "left as it is" in shown.stderr


def test_an_event_the_table_refuses_raises_instead_of_passing_for_a_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        fill(journal, 1)
    _newer_tables(path, SCHEMA_VERSION)  # claims this version: only the insert itself can notice
    with Journal(path) as journal:
        (intent,) = journal.intents()
        with pytest.raises(JournalError, match="CHECK constraint failed"):
            journal.record_event(intent.id, _fill_event(1))
        assert journal.fills(intent.client_order_id) == []


def test_a_true_duplicate_event_is_still_skipped(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as journal:
        fill(journal, 1)
        (intent,) = journal.intents()
        assert journal.record_event(intent.id, _fill_event(1)) is True
        assert journal.record_event(intent.id, _fill_event(1)) is False
        assert len(journal.fills(intent.client_order_id)) == 1


@pytest.mark.parametrize("last_quote", [True, False], ids=["v1", "v1-before-last-quote"])
def test_a_version_1_journal_is_migrated_with_its_records(tmp_path: Path, last_quote: bool) -> None:
    path = tmp_path / "journal.sqlite"
    build_v1(path, last_quote=last_quote)
    with Journal(path) as journal:
        state = journal.state(CID)
        assert state is not None and state.state is OrderState.FILLED and state.settled
        (fill_event,) = journal.fills(CID)
        assert fill_event.last_qty == Decimal("0.01") and fill_event.last_quote is None
        assert journal.lost is None
        fill(journal, 1)  # new rows go in beside the old ones
        old, _new = journal.intents()
        # An order journaled before legs existed was a plain one: never reduce-only.
        assert (old.reduce_only, old.position_leg) == (False, None)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM meta WHERE key = 'journal_id'").fetchone()[0] == 1
    finally:
        conn.close()
    with Journal(path) as journal:  # and opening it again changes nothing
        assert len(journal.intents()) == 2


def test_a_reduce_only_order_on_a_leg_is_read_back_as_it_was_journaled(tmp_path: Path) -> None:
    """A restart must resend a reduce-only order as reduce-only, on the same leg: without the
    flag, a resent close would open a position the other way."""
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        journal.record_intent(replace(intent(1), reduce_only=True, position_leg=PositionLeg.SHORT))
        journal.record_intent(intent(2))
    with Journal(path) as journal:
        closing, plain = journal.intents()
        assert (closing.reduce_only, closing.position_leg) == (True, PositionLeg.SHORT)
        assert (plain.reduce_only, plain.position_leg) == (False, None)
        assert journal.intent(closing.client_order_id) == closing


def test_a_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(JournalVersionError, match="not a tradeexec journal"):
        Journal(path)


def test_a_read_only_view_of_a_journal_before_last_quote_says_how_to_migrate(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    build_v1(path, last_quote=False)
    with pytest.raises(JournalVersionError, match="open it once as a writer"):
        Journal(path, read_only=True)
    with Journal(path):
        pass
    with Journal(path, read_only=True) as view:
        assert len(view.fills(CID)) == 1
