"""Child processes and journal builders for the journal's adversarial tests.

``python -m tests.adversarial.journal_helpers <command> <journal> [args]`` runs one of the
commands below in its own process (the point of these tests is a *second* process):

* ``hold N``     open the journal as its writer, record N intents, print ``ready <pid>``, then
                 keep it until stdin closes (at most ``HOLD_MAX_S``)
* ``open``       try to open it as a writer and print what happened as one JSON line
* ``emfile``     the same with the file descriptor table full but for 0, 1, 2, ... slots
* ``nobody``     the same after dropping root's privileges to ``nobody`` (when run as root)
* ``sqlite-lock MODE`` hold SQLite's lock on the file with a raw connection (see
                 ``_sqlite_lock``), print ``ready``, wait for stdin to close
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradeexec.execution.journal.records import Intent, RequestKind
from tradeexec.execution.journal.store import Journal

REPO = Path(__file__).resolve().parents[2]
HOLD_MAX_S = 60.0
READY_TIMEOUT_S = 20.0


def intent(n: int, symbol: str = "BTCUSDT") -> Intent:
    return Intent(
        client_order_id=f"adv_{symbol}_20260101000000_{n:08x}",
        strategy="adv",
        symbol=symbol,
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.01"),
        quote_quantity=None,
        price=Decimal("50000"),
        time_in_force="GTC",
        stop_price=None,
        created_ms=1_767_225_600_000 + n,
        recv_window_ms=5000,
    )


def fill(journal: Journal, count: int, first: int = 0) -> None:
    """``count`` intents, each with its placement request, as the manager writes them."""
    for n in range(first, first + count):
        with journal.transaction():
            row = journal.record_intent(intent(n))
            journal.record_request(row.id, RequestKind.PLACE, attempt=1)


def siblings(path: Path) -> list[str]:
    """The files next to the journal, for checks that nothing was moved aside."""
    return sorted(p.name for p in path.parent.iterdir())


# ---- the parent side ----------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join((str(REPO / "src"), str(REPO)))
    return env


@contextlib.contextmanager
def child(*args: str) -> Iterator[subprocess.Popen[str]]:
    """A helper command in a subprocess, waited for its ``ready`` line; ended (stdin closed,
    then killed if need be) when the block exits."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.adversarial.journal_helpers", *args],
        cwd=REPO, env=_env(), text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], READY_TIMEOUT_S)
        line = proc.stdout.readline() if ready else ""
        if not line.startswith("ready"):
            proc.kill()
            _, err = proc.communicate(timeout=10)
            raise AssertionError(f"helper {args} did not get ready: {line!r} {err}")
        yield proc
    finally:
        if proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def run(*args: str, timeout: float = 60.0) -> Any:
    """A helper command run to its end; its last stdout line, parsed as JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.adversarial.journal_helpers", *args],
        cwd=REPO, env=_env(), capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, f"helper {args} failed ({done.returncode}): {done.stderr}"
    return json.loads(lines[-1])


# ---- the child side -----------------------------------------------------------------------


def _try_open(path: Path) -> dict[str, Any]:
    try:
        journal = Journal(path)
    except Exception as exc:  # what the parent wants to see is the class and the message
        return {"error": type(exc).__name__, "message": str(exc)}
    try:
        return {"error": None, "intents": len(journal.intents())}
    finally:
        journal.close()


def _wait_for_stdin_close() -> None:
    deadline = time.monotonic() + HOLD_MAX_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sys.stdin], [], [], deadline - time.monotonic())
        if ready and not sys.stdin.read(1):
            return


def _hold(path: Path, count: int) -> None:
    journal = Journal(path)
    fill(journal, count, first=len(journal.intents()))
    print(f"ready {os.getpid()}", flush=True)
    _wait_for_stdin_close()
    journal.close()


def _sqlite_lock(path: Path, mode: str) -> None:
    """``write``: a write transaction (other writers wait, readers go on); ``exclusive``:
    exclusive locking mode, as a tool holding the file for itself (even reads wait)."""
    conn = sqlite3.connect(path, isolation_level=None)
    if mode == "exclusive":
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    conn.execute("BEGIN EXCLUSIVE")
    print(f"ready {os.getpid()}", flush=True)
    _wait_for_stdin_close()
    conn.execute("ROLLBACK")
    conn.close()


def _emfile(path: Path, spare: int) -> dict[str, Any]:
    """Fill the descriptor table but for ``spare`` slots, try to open, give them back."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    held: list[int] = []
    try:
        while True:
            try:
                held.append(os.open(os.devnull, os.O_RDONLY))
            except OSError:
                break
        for _ in range(min(spare, len(held))):
            os.close(held.pop())
        return _try_open(path)
    finally:
        for fd in held:
            os.close(fd)


def main(argv: list[str]) -> None:
    command, path = argv[0], Path(argv[1])
    if command == "hold":
        _hold(path, int(argv[2]))
    elif command == "sqlite-lock":
        _sqlite_lock(path, argv[2])
    elif command == "open":
        print(json.dumps(_try_open(path)))
    elif command == "emfile":
        print(json.dumps([_emfile(path, spare) for spare in range(int(argv[2]))]))
    elif command == "nobody":
        if os.geteuid() == 0:  # root ignores file modes: drop to nobody, everything imported
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        print(json.dumps(_try_open(path)))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])


# The tables of schema version 1 as tradeexec wrote them before the version was recorded
# (``user_version`` 0), frozen here so the migration test keeps building the old file. The
# earliest files lack ``events.last_quote``.
V1_TABLES = (
    "CREATE TABLE intents (id INTEGER PRIMARY KEY, client_order_id TEXT NOT NULL UNIQUE,"
    " strategy TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, type TEXT NOT NULL,"
    " quantity TEXT, quote_quantity TEXT, price TEXT, time_in_force TEXT, stop_price TEXT,"
    " created_ms INTEGER NOT NULL, recv_window_ms INTEGER NOT NULL)",
    "CREATE TABLE requests (id INTEGER PRIMARY KEY, intent_id INTEGER NOT NULL REFERENCES intents(id),"
    " kind TEXT NOT NULL, sent_ms INTEGER NOT NULL, attempt INTEGER NOT NULL)",
    "CREATE TABLE outcomes (id INTEGER PRIMARY KEY, request_id INTEGER NOT NULL REFERENCES requests(id),"
    " result TEXT NOT NULL, code INTEGER, msg TEXT, recorded_ms INTEGER NOT NULL)",
    "CREATE TABLE events (id INTEGER PRIMARY KEY, intent_id INTEGER NOT NULL REFERENCES intents(id),"
    " dedupe_key TEXT NOT NULL, source TEXT NOT NULL, order_id INTEGER, execution_type TEXT,"
    " status TEXT NOT NULL, executed_qty TEXT NOT NULL, cumulative_quote TEXT NOT NULL, last_price TEXT,"
    " last_qty TEXT, commission TEXT, commission_asset TEXT, trade_id INTEGER, order_time_ms INTEGER,"
    " update_ms INTEGER NOT NULL{last_quote}, UNIQUE (intent_id, dedupe_key))",
)


def build_v1(path: Path, *, last_quote: bool) -> None:
    """A version-1 journal holding one filled order: intent, placement, ack, fill."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    for ddl in V1_TABLES:
        conn.execute(ddl.format(last_quote=", last_quote TEXT" if last_quote else ""))
    conn.execute(
        "INSERT INTO intents VALUES (1, 'adv_BTCUSDT_20260101000000_0000abcd', 'adv', 'BTCUSDT', 'BUY',"
        " 'MARKET', '0.01', NULL, NULL, NULL, NULL, 1767225600000, 5000)"
    )
    conn.execute("INSERT INTO requests VALUES (1, 1, 'place', 1767225600001, 1)")
    conn.execute("INSERT INTO outcomes VALUES (1, 1, 'ack', NULL, NULL, 1767225600002)")
    conn.execute(
        "INSERT INTO events (intent_id, dedupe_key, source, order_id, execution_type, status, executed_qty,"
        " cumulative_quote, last_price, last_qty, commission, commission_asset, trade_id, update_ms)"
        " VALUES (1, 'T:7:70', 'ack', 7, 'TRADE', 'FILLED', '0.01', '600.00', '60000', '0.01', '0',"
        " 'BNB', 70, 1767225600002)"
    )
    conn.close()
