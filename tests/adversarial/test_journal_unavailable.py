"""A healthy journal is never moved aside: a database locked by another process, a full
descriptor table or a file the process may not write are not corruption. Each stops with
JournalUnavailable naming the file and the cause, and leaves the journal where it was, so
the next start adopts everything instead of starting empty beside it."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adversarial.journal_helpers import child, fill, intent, run, siblings
from tradeexec.errors import JournalError, JournalUnavailable
from tradeexec.execution.journal.store import Journal

pytestmark = pytest.mark.adversarial


def _journal(path: Path, intents: int) -> list[str]:
    with Journal(path) as journal:
        fill(journal, intents)
    return siblings(path)


def test_a_database_locked_by_another_process_is_unavailable_not_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    before = _journal(path, 2)
    with child("sqlite-lock", str(path), "exclusive"):
        with pytest.raises(JournalUnavailable) as refused:
            Journal(path)  # waits out the default busy timeout (2 s), then gives up
        assert str(path) in str(refused.value) and "locked" in str(refused.value)
        with pytest.raises(JournalUnavailable, match="locked"):
            Journal(path, read_only=True, busy_timeout_s=0.1)  # a view too: never a raw sqlite3 error
    assert siblings(path) == before  # nothing moved aside, nothing started empty
    with Journal(path) as journal:
        assert len(journal.intents()) == 2


def test_writes_while_another_process_holds_the_lock_raise_unavailable_then_recover(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    journal = Journal(path, busy_timeout_s=0.2)
    try:
        fill(journal, 1)
        with child("sqlite-lock", str(path), "write"):
            with pytest.raises(JournalUnavailable, match="locked"):
                journal.record_intent(intent(7))
            with pytest.raises(JournalUnavailable, match="locked"):
                fill(journal, 1, first=8)  # in a transaction: nothing of it is kept
        assert [i.client_order_id for i in journal.intents()] == [intent(0).client_order_id]
        fill(journal, 1, first=9)  # the lock is gone: writes work again on the same journal
        assert len(journal.intents()) == 2
    finally:
        journal.close()


def test_a_full_descriptor_table_is_unavailable_not_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    before = _journal(path, 3)
    outcomes = run("emfile", str(path), "8")  # 0 .. 7 free descriptors, in a child process
    errors = [o for o in outcomes if o["error"] is not None]
    assert errors, outcomes  # at least the tightest tables really failed
    for o in errors:
        assert o["error"] == "JournalUnavailable", outcomes
        assert str(path) in o["message"] or "journal.sqlite" in o["message"]
    assert siblings(path) == before, outcomes
    with Journal(path) as journal:
        assert len(journal.intents()) == 3


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory the unprivileged user can reach (pytest's tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="tradeexec-ro-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        path.chmod(0o755)
        shutil.rmtree(path)


_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


@pytest.mark.parametrize("what", ["directory", "file"])
def test_a_read_only_journal_is_unavailable_not_corrupt(shared_dir: Path, what: str) -> None:
    """The child drops to ``nobody`` when run as root (root ignores file modes, as in CI),
    after importing everything; the modes then really stop it writing."""
    path = shared_dir / "journal.sqlite"
    before = _journal(path, 2)
    if what == "file":
        for name in before:
            (shared_dir / name).chmod(_READ_ONLY)  # the directory stays writable by anyone
        shared_dir.chmod(0o777)
    else:
        for name in before:
            (shared_dir / name).chmod(0o666)
        shared_dir.chmod(0o555)
    outcome = run("nobody", str(path))
    assert outcome["error"] == "JournalUnavailable", outcome
    message = outcome["message"]
    assert str(path) in message and ("readonly" in message or "denied" in message), message
    shared_dir.chmod(0o755)
    assert siblings(path) == before
    with Journal(path) as journal:
        assert len(journal.intents()) == 2


def test_a_missing_journal_next_to_its_lock_file_is_not_restarted_empty(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _journal(path, 2)
    path.unlink()
    with pytest.raises(JournalUnavailable, match="missing") as refused:
        Journal(path)
    assert "delete" in str(refused.value) and not path.exists()
    (tmp_path / "journal.sqlite.lock").unlink()  # the user says so
    with Journal(path) as journal:
        assert journal.intents() == []


def test_every_write_error_is_a_journal_error(tmp_path: Path) -> None:
    """A refused row (here a second intent with the same client order ID) is a JournalError
    too, never a raw sqlite3 error the order manager would not catch."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        fill(journal, 1)
        with pytest.raises(JournalError, match="UNIQUE"):
            journal.record_intent(intent(0))
    assert os.listdir(tmp_path)
