"""The outside faults issue 13 fixed, made by the soak at random moments: clocks stepped (the
exchange's and the client's signing clock, both ways), the journal's file locked by another
process for a while (every write fails with JournalUnavailable until it lets go), and a
second writer trying to open the journal mid-run (in this process, or a fresh interpreter).

The exchange's own faults come from ``chaos.ChaosMonkey``; these come from around it, so they
are armed here, by their own seeded generator, and counted per kind in ``fired``. ``log``
keeps each one's moment and size (seconds since the soak began), so a failure can be read
back against the seed. The reordering, duplicating stream proxy is wired by the harness.

``OrderTap`` is the exchange's record of each order's arrival: when it reached the order
book, the timestamp it was signed with, and whether the journal held its intent and its
placement request at that moment (the rule: nothing is sent that the journal did not record
first).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.adversarial.journal_helpers import child, run
from tests.adversarial.resend_helpers import SteppedClock
from tradeexec.errors import JournalLocked
from tradeexec.execution import Journal
from tradeexec.execution.journal.records import RequestKind
from tradeexec.sim.exchange import LocalExchange

KINDS = ("exchange_clock_step", "client_clock_step", "journal_locked", "second_writer")
# A fresh interpreter is slow to start on a loaded machine: one second writer in four.
PROCESS_WRITER_SHARE = 0.25
PROBLEM_CLEARS_S = 15.0
_CLOSING = {("SELL", "LONG"), ("BUY", "SHORT")}
OURS = "soak_"  # the strategy's client order ids (the harness names its strategy "soak")


@dataclass(slots=True)
class Arrival:
    client_order_id: str
    at: float  # time.monotonic() as the order reached the exchange's book
    signed_ms: int  # the client's ``timestamp`` parameter (its signing clock)
    journaled_first: bool
    # Futures: an order the exchange will never let grow a position (reduce-only, or in hedge
    # mode a SELL on LONG, a BUY on SHORT), which the kill switch lets through by design.
    closing: bool = False


class OrderTap:
    """Wraps the exchange's order entry (every placement that passed authentication, the
    timestamp check and the injected faults)."""

    def __init__(self, ex: LocalExchange, entry: str = "new_order") -> None:
        self.arrivals: list[Arrival] = []
        # Orders the emergency stop places itself (futures: closing the legs): the stop's own,
        # sent by the venue, not through the journal; counted, judged by the stop's report.
        self.stop_orders: list[str] = []
        self.journal: Journal | None = None
        service = ex.state.service
        self._new_order = getattr(service, entry)  # spot's order entry, or the futures one
        setattr(service, entry, self._tap)

    def _tap(self, p: Any, account: Any) -> Any:
        cid = p.raw("newClientOrderId") or ""
        signed_ms = int(p.raw("timestamp") or 0)
        if not cid.startswith(OURS):
            self.stop_orders.append(cid)
            return self._new_order(p, account)
        closing = p.raw("reduceOnly") == "true" or (p.raw("side"), p.raw("positionSide")) in _CLOSING
        self.arrivals.append(Arrival(cid, time.monotonic(), signed_ms, self._journaled(cid), closing))
        return self._new_order(p, account)

    def _journaled(self, cid: str) -> bool:
        if self.journal is None:
            return False
        intent = self.journal.intent(cid)  # WAL: a read goes on while another process writes
        if intent is None:
            return False
        return any(r.kind is RequestKind.PLACE for r in self.journal.requests(intent.id))


class OutsideChaos:
    """``tick()`` after every intent arms the next of ``kinds`` (dealt in a shuffled round)
    with probability ``rate``; a kind whose window is still open is skipped. ``problem``
    reads the manager's journal alarm."""

    def __init__(self, ex: LocalExchange, journal: Path, clock: SteppedClock,
                 problem: Callable[[], str | None], *, seed: int, rate: float,
                 kinds: tuple[str, ...] = KINDS) -> None:
        self.ex = ex
        self.journal = journal
        self.clock = clock
        self.problem = problem
        self.rng = random.Random(seed * 7919 + 13)  # not the monkey's: its draws stay as they were
        self.rate = rate
        self.kinds = kinds
        self.armed: Counter[str] = Counter()
        self.fired: Counter[str] = Counter()
        self.log: list[str] = []
        self.refusals: list[str] = []  # what each second writer was told
        self.problems: list[str] = []  # a promise of these faults broken
        self.degraded_seen = 0  # lock windows in which the manager raised its journal alarm
        self._started = time.monotonic()
        self._closing = asyncio.Event()
        self._windows: dict[str, asyncio.Task[None]] = {}
        self._deck: list[str] = []
        self._actions: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
            "exchange_clock_step": self._exchange_clock,
            "client_clock_step": self._client_clock,
            "journal_locked": self._journal_locked,
            "second_writer": self._second_writer,
        }

    def tick(self) -> None:
        if not self.kinds or self.rng.random() >= self.rate:
            return
        if not self._deck:  # every kind once per round, in a random order: none is starved
            self._deck = list(self.kinds)
            self.rng.shuffle(self._deck)
        kind = self._deck.pop()
        window = self._windows.get(kind)
        if window is not None and not window.done():
            return
        self.armed[kind] += 1
        action = self._actions[kind]()
        self._windows[kind] = asyncio.get_running_loop().create_task(action, name=f"outside-{kind}")

    async def clear(self) -> None:
        """Close every window at once (clocks stepped back, the lock released): never by
        cancelling, which could leave a lock holder or a step behind."""
        self._closing.set()
        await asyncio.gather(*self._windows.values(), return_exceptions=False)

    def _note(self, kind: str, detail: str) -> None:
        self.fired[kind] += 1
        self.log.append(f"{time.monotonic() - self._started:8.3f}s {kind} {detail}")

    async def _hold(self, seconds: float) -> None:
        """The window's length, cut short when the soak calms down."""
        try:
            async with asyncio.timeout(seconds):
                await self._closing.wait()
        except TimeoutError:
            pass

    def _step_ms(self) -> int:
        return self.rng.choice((-1, 1)) * self.rng.randint(3000, 8000)

    async def _exchange_clock(self) -> None:
        """The exchange's clock steps (an NTP step on the server), then steps back."""
        ms, hold = self._step_ms(), self.rng.uniform(0.5, 2.0)
        clock = self.ex.state.clock
        clock.advance(ms)
        self._note("exchange_clock_step", f"{ms:+d} ms for {hold:.2f} s")
        try:
            await self._hold(hold)
        finally:
            clock.advance(-ms)

    async def _client_clock(self) -> None:
        """The client's signing clock (and the manager's wall clock) steps, then back."""
        ms, hold = self._step_ms(), self.rng.uniform(0.5, 2.0)
        self.clock.step_s += ms / 1000
        self._note("client_clock_step", f"{ms:+d} ms for {hold:.2f} s")
        try:
            await self._hold(hold)
        finally:
            self.clock.step_s -= ms / 1000

    async def _journal_locked(self) -> None:
        """Another process holds SQLite's write lock on the journal for a while: every write
        fails (JournalUnavailable) until it lets go. The manager must raise its alarm, send
        nothing new meanwhile, and lower the alarm once writes succeed again."""
        hold = self.rng.uniform(0.4, 1.5)
        holder = child("sqlite-lock", str(self.journal), "write")
        await asyncio.to_thread(holder.__enter__)  # starting the process must not stall the loop
        self._note("journal_locked", f"for {hold:.2f} s")
        seen = False
        try:
            deadline = time.monotonic() + hold
            while time.monotonic() < deadline and not self._closing.is_set():
                seen = seen or self.problem() is not None
                await asyncio.sleep(0.02)
        finally:
            await asyncio.to_thread(holder.__exit__, None, None, None)
        self.degraded_seen += seen or self.problem() is not None
        deadline = time.monotonic() + PROBLEM_CLEARS_S
        while self.problem() is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self.problem() is not None:
            self.problems.append(f"journal alarm still raised {PROBLEM_CLEARS_S}s after the lock went: "
                                 f"{self.problem()}")

    async def _second_writer(self) -> None:
        """A second writer on the same journal must be refused with JournalLocked naming
        this process (the holder), whether it is this process or another."""
        if self.rng.random() < PROCESS_WRITER_SHARE:
            where = "another process"
            outcome: dict[str, Any] = await asyncio.to_thread(run, "open", str(self.journal))
            error, message = outcome["error"], outcome.get("message", "")
        else:
            where = "this process"
            try:
                Journal(self.journal).close()
                error, message = None, ""
            except Exception as exc:  # the class and the message are what is judged
                error, message = type(exc).__name__, str(exc)
        self._note("second_writer", f"in {where}: {error}")
        self.refusals.append(message)
        holder = f"pid {os.getpid()}"
        if error != JournalLocked.__name__ or holder not in message or str(self.journal) not in message:
            self.problems.append(f"second writer in {where} not refused naming the holder: "
                                 f"{error}: {message}")
