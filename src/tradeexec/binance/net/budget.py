"""Rate-limit counts shared by every process of one account on one machine.

Binance counts request weight per IP and orders per account, over all of a trader's
processes. Each process keeping its own count believes it has the whole budget, and two of
them together earn 429s (-1015 for orders). A ``BudgetStore`` holds the counts all of them
charge against: check-and-charge is one atomic step over every window a request touches,
so two processes can never both take the last unit.

``FileBudget`` is the store for one machine: a small file mapped into memory, one slot per
window, locked with ``flock`` for the few microseconds of each charge. A store for several
machines (Redis: the same check-and-charge as one script) implements the same three calls.

The file is named by a hash of the API key and the venue's URL (never the key itself) and
lives in a directory only its owner can read (``default_budget_dir``).
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from tradeexec.errors import ConfigError

__all__ = ["BudgetStore", "Charge", "FileBudget", "budget_path", "default_budget_dir", "open_budget"]

BUDGET_DIR_ENV = "TRADEEXEC_BUDGET_DIR"

Charge = tuple[str, int, int, int]
"""(window key, window index, cost, allowance): charge ``cost`` to the window ``key`` while
its count for window number ``index`` stays within ``allowance``."""

_MAGIC = b"TXBUDG01"
_KEY_BYTES = 40
_SLOT = struct.Struct(f"={_KEY_BYTES}sqq")  # key, window index, count (native order)
_SLOTS = 64
_SIZE = len(_MAGIC) + _SLOT.size * _SLOTS


class BudgetStore(Protocol):
    """Counts shared between limiters; every method is atomic across its users."""

    def try_charge(self, charges: Sequence[Charge]) -> list[int] | None:
        """Charge every window or none: None if any would pass its allowance, else the
        windows' new counts in the order given. A count kept for an older window index
        starts over at zero; one kept for a newer index (a peer's clock ahead) is kept."""
        ...

    def counts(self, windows: Sequence[tuple[str, int]]) -> list[int]:
        """The counts of (key, index) windows; 0 for a window not yet charged."""
        ...

    def raise_to(self, key: str, index: int, count: int) -> None:
        """Lift a window's count to at least ``count`` (what the exchange reports)."""
        ...


def default_budget_dir() -> Path:
    """``$XDG_RUNTIME_DIR/tradeexec-budget`` (per user, in memory, cleared at logout), else
    ``<tmp>/tradeexec-budget-<uid>``."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "tradeexec-budget"
    return Path(tempfile.gettempdir()) / f"tradeexec-budget-{os.getuid()}"


def budget_path(directory: str | os.PathLike[str], api_key: str, venue_url: str) -> Path:
    """The file of one account (key) at one venue: a hash names it, the key never does."""
    digest = hashlib.sha256(f"{venue_url}\0{api_key}".encode()).hexdigest()[:32]
    return Path(directory) / f"{digest}.budget"


def open_budget(
    option: bool | str | os.PathLike[str] | None, api_key: str | None, venue_url: str
) -> FileBudget | None:
    """The shared budget a client asked for: ``option`` True or ``"auto"`` for the default
    directory, a directory path, False for none; None defers to ``$TRADEEXEC_BUDGET_DIR``
    (same values; unset or empty: none). Without an API key there is no account to share."""
    source = "shared_budget"
    if option is None:
        option, source = os.environ.get(BUDGET_DIR_ENV) or False, BUDGET_DIR_ENV
    if option is False or api_key is None:
        return None
    directory = default_budget_dir() if option is True or option == "auto" else Path(option)
    if not str(directory).strip():
        raise ConfigError(f"{source}: an empty path is not a directory")
    return FileBudget(budget_path(directory, api_key, venue_url))


class FileBudget:
    """A ``BudgetStore`` in a memory-mapped file under ``flock``; ``close`` when done."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(f"rate-limit budget file {self.path}: {exc.strerror}") from None
        self._fd = fd
        try:
            with _Flock(fd):
                if os.fstat(fd).st_size < _SIZE:
                    os.ftruncate(fd, _SIZE)
                self._mm = mmap.mmap(fd, _SIZE)
                if self._mm[: len(_MAGIC)] != _MAGIC:
                    self._mm[:] = _MAGIC + bytes(_SIZE - len(_MAGIC))
        except OSError as exc:
            os.close(fd)
            raise ConfigError(f"rate-limit budget file {self.path}: {exc.strerror}") from None
        self._offsets: dict[str, int] = {}
        # The counts as native int64 words (slots are 8-byte aligned; the file never leaves
        # this machine, so native byte order is the order every user reads).
        self._words = memoryview(self._mm).cast("q")
        # The map and descriptor go with the object (a client does not outlive it).
        self._release = weakref.finalize(self, _release, self._words, self._mm, fd)

    def __repr__(self) -> str:
        return f"FileBudget({str(self.path)!r})"

    def close(self) -> None:
        self._release()

    def _offset(self, key: str) -> int:
        """The slot of ``key`` (the lock held), claiming a free one the first time."""
        offset = self._offsets.get(key)
        if offset is not None:
            return offset
        raw = key.encode()
        if len(raw) > _KEY_BYTES:
            raise ConfigError(f"rate-limit window key too long: {key!r}")
        mm = self._mm
        for i in range(_SLOTS):
            offset = len(_MAGIC) + i * _SLOT.size
            stored = mm[offset : offset + _KEY_BYTES].rstrip(b"\0")
            if stored == raw or not stored:
                if not stored:
                    _SLOT.pack_into(mm, offset, raw, -1, 0)
                self._offsets[key] = offset
                return offset
        raise ConfigError(f"rate-limit budget file {self.path}: all {_SLOTS} windows in use")

    def try_charge(self, charges: Sequence[Charge]) -> list[int] | None:
        # On every order's path: the lock taken by hand, the counts read and written as
        # int64 items of the map (no struct call per window).
        words, offsets, fd = self._words, self._offsets, self._fd
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            plan: list[tuple[int, int, int]] = []
            for key, index, cost, allowance in charges:
                offset = offsets.get(key)
                if offset is None:
                    offset = self._offset(key)
                at = (offset + _KEY_BYTES) >> 3
                stored_index, count = words[at], words[at + 1]
                if stored_index < index:
                    stored_index, count = index, 0
                count += cost
                if count > allowance:
                    return None
                plan.append((at, stored_index, count))
            for at, stored_index, count in plan:
                words[at] = stored_index
                words[at + 1] = count
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        return [p[2] for p in plan]

    def counts(self, windows: Sequence[tuple[str, int]]) -> list[int]:
        out: list[int] = []
        with _Flock(self._fd):
            for key, index in windows:
                _raw, stored_index, count = _SLOT.unpack_from(self._mm, self._offset(key))
                out.append(count if stored_index >= index else 0)
        return out

    def raise_to(self, key: str, index: int, count: int) -> None:
        with _Flock(self._fd):
            offset = self._offset(key)
            raw, stored_index, stored = _SLOT.unpack_from(self._mm, offset)
            if stored_index > index:
                return  # a peer already counts a later window
            if stored_index < index:
                stored = 0
            if count > stored:
                _SLOT.pack_into(self._mm, offset, raw, index, count)


def _release(words: memoryview, mm: mmap.mmap, fd: int) -> None:
    words.release()
    mm.close()
    os.close(fd)


class _Flock:
    """``with _Flock(fd):`` an exclusive ``flock`` on ``fd`` for the block."""

    __slots__ = ("_fd",)

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def __enter__(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *_exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
