"""One writer per journal, and a durable note of what that writer acknowledged.

Two managers on one journal would each resend the same unresolved orders, so the writer holds
an exclusive ``flock`` on ``<journal>.lock``. The OS drops the lock when its holder dies (even
by SIGKILL), so a stale lock never needs breaking by hand, and a pid check can never take a
live holder's lock by mistake (pids are reused; hosts share network disks). The file names
the holder (pid, host) for the error a second opener gets.

The same file remembers how far the journal's tables reached (``Watermark``): written and
fsynced at open, at close, and by a background thread a few times a second while rows are
added. With ``synchronous=NORMAL`` a commit reaches the OS but not the disk, so a power loss
(or a write-ahead log removed or emptied by hand) can drop committed rows without SQLite
noticing; the next open compares the tables with the watermark and says so. The thread makes
the check cost nothing per order: the journal only stores row ids in a list.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import threading
from pathlib import Path

import msgspec

from tradeexec.errors import JournalLocked, JournalUnavailable

__all__ = ["TABLES", "Watermark", "WriterLock"]

log = logging.getLogger(__name__)

TABLES = ("intents", "requests", "outcomes", "events")
_SIZE = 1024  # the file is rewritten in place at this size, so an update never shrinks it
_SYNC_INTERVAL_S = 0.2


class Watermark(msgspec.Struct, kw_only=True):
    """The lock file's content: who holds the journal and the highest row id of each table
    it had committed when this was last written."""

    pid: int
    host: str
    state: str  # "open" while held, "closed" after a clean close
    journal_id: str = ""
    high: list[int] = msgspec.field(default_factory=lambda: [0] * len(TABLES))

    def lost_rows(self, journal_id: str, have: list[int]) -> str | None:
        """What the tables lack of what this watermark says was committed, or None."""
        if not any(self.high):
            return None
        if self.journal_id and journal_id != self.journal_id:
            return f"the file is another journal ({journal_id}) than the one last written ({self.journal_id})"
        short = [
            f"{table} up to id {want} (the file has {got})"
            for table, want, got in zip(TABLES, self.high, have, strict=True)
            if got < want
        ]
        return "it lacks rows it had committed: " + ", ".join(short) if short else None


_decoder = msgspec.json.Decoder(Watermark)


def _read(fd: int) -> Watermark | None:
    data = os.pread(fd, _SIZE, 0).strip(b"\0 \n")
    if not data:
        return None
    try:
        return _decoder.decode(data)
    except msgspec.DecodeError:
        return None  # a half-written file from a crash mid-update: nothing to compare with


class WriterLock:
    """The exclusive lock on ``<journal>.lock``; ``previous`` is what the last holder left."""

    def __init__(self, journal: Path) -> None:
        # Beside the file itself: a symlink to the journal under another name is still the
        # same journal, and must meet the same lock.
        real = journal.resolve()
        self.path = real.with_name(real.name + ".lock")
        self.journal = journal
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise JournalUnavailable(
                f"journal {journal}: cannot open its lock file {self.path}: "
                f"{exc.strerror} (errno {exc.errno})"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            who = f"pid {holder.pid} on host {holder.host}" if holder else "another process (not named yet)"
            raise JournalLocked(
                f"journal {journal} is in use by {who} (lock file {self.path}); one writer per "
                "journal: stop that process, or open the journal read-only"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise JournalUnavailable(
                f"journal {journal}: cannot lock {self.path}: {exc.strerror} (errno {exc.errno})"
            ) from exc
        self._fd = fd
        self.previous = _read(fd)
        self.journal_id = ""
        self._high: list[int] | None = None
        self._written: list[int] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.previous is not None and self.previous.state == "open":
            log.warning(
                "journal %s: taking over from pid %d on host %s, which ended without closing it",
                journal,
                self.previous.pid,
                self.previous.host,
            )

    def write(self, state: str, high: list[int]) -> None:
        """Rewrite the file in place and make it durable."""
        mark = Watermark(
            pid=os.getpid(),
            host=socket.gethostname()[:200],
            state=state,
            journal_id=self.journal_id,
            high=high,
        )
        os.pwrite(self._fd, msgspec.json.encode(mark).ljust(_SIZE), 0)
        os.fdatasync(self._fd)
        self._written = list(high)

    def track(self, high: list[int]) -> None:
        """Keep the watermark following ``high`` (the journal's committed row ids, updated in
        place by the journal) from a background thread until ``release``."""
        self._high = high
        self.write("open", high)
        self._thread = threading.Thread(
            target=self._follow, name=f"journal-watermark {self.journal.name}", daemon=True
        )
        self._thread.start()

    def _follow(self) -> None:
        while not self._stop.wait(_SYNC_INTERVAL_S):
            high = self._high
            if high is not None and high != self._written:
                try:
                    self.write("open", list(high))
                except OSError as exc:
                    # The journal's own writes will fail loudly on the same disk; the
                    # watermark only loses precision.
                    log.warning("journal %s: cannot update %s: %s", self.journal, self.path, exc)

    def release(self, high: list[int] | None) -> None:
        """Stop following, record a clean close (with ``high``, if the journal knows it),
        and drop the lock."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if high is not None:
            with contextlib.suppress(OSError):
                self.write("closed", high)
        os.close(self._fd)  # closing the descriptor drops the flock
