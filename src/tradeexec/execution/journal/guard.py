"""The order manager's writes after a send, made safe against a journal that cannot be written.

Once an order is on the wire, a failed journal write (full disk, read-only file system, a
locked database) must not turn into an exception for the caller: the order exists or may
exist, and a caller who sees an error retries and places it twice. So every write the
manager makes about an order already journaled goes through this guard, which

* on the first failure raises the alarm (``log.critical``) and enters the degraded state,
  which the manager shows as ``journal_problem`` and in which it sends no new order;
* keeps what could not be written (exchange events, request outcomes, abandonments) per
  order, in memory, while the manager goes on following the order; and
* writes that backlog when the journal takes writes again (``catch_up``), each row checked
  against what is already there so nothing is written twice, and only then leaves the
  degraded state.

The journal stays the one source of truth for a restart: what reaches it is what happened,
late but in full. A write the guard could not make is never retried in the middle of other
work, only in ``catch_up``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from tradeexec.errors import JournalError
from tradeexec.execution.journal.records import ExchangeEvent, Intent, OutcomeKind, RequestKind
from tradeexec.execution.journal.store import Journal

__all__ = ["JOURNAL_ERRORS", "GuardedOrder", "JournalGuard"]

log = logging.getLogger(__name__)

# What a failed journal write raises: JournalUnavailable once the journal wraps its errors,
# the raw sqlite3/OS errors before that.
JOURNAL_ERRORS = (JournalError, sqlite3.Error, OSError)


class GuardedOrder(Protocol):
    """What the guard reads of a ``ManagedOrder``."""

    @property
    def intent(self) -> Intent: ...
    @property
    def client_order_id(self) -> str: ...


_Outcome = tuple[int, OutcomeKind, int | None, str | None]  # request id, result, code, msg


@dataclass(slots=True)
class _Backlog:
    order: GuardedOrder
    events: list[ExchangeEvent] = field(default_factory=list)
    outcomes: list[_Outcome] = field(default_factory=list)
    abandoned: str | None = None


class JournalGuard:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.problem: str | None = None
        self._backlog: dict[str, _Backlog] = {}
        # Rows written inside the open transaction: lost with it if its commit fails.
        self._txn: list[tuple[GuardedOrder, ExchangeEvent | _Outcome]] | None = None

    @property
    def degraded(self) -> bool:
        return self.problem is not None

    def orders_due(self) -> int:
        """How many orders have rows waiting for the journal."""
        return len(self._backlog)

    def _due(self, order: GuardedOrder) -> _Backlog:
        due = self._backlog.get(order.client_order_id)
        if due is None:
            due = self._backlog[order.client_order_id] = _Backlog(order)
        return due

    def fail(self, order: GuardedOrder | None, exc: BaseException) -> None:
        """A write failed: degrade (once, loudly); ``order`` has rows to catch up."""
        if order is not None:
            self._due(order)
        if self.problem is None:
            self.problem = f"journal {self.journal.path} cannot be written: {exc}"
            log.critical(
                "JOURNAL UNAVAILABLE (%s): no new orders until it can be written again; orders in "
                "flight are still followed and will be journaled then",
                self.problem,
            )

    # ---- writes ---------------------------------------------------------------------------

    def request(self, order: GuardedOrder, kind: RequestKind, *, attempt: int) -> int | None:
        """Journal a lookup or cancel request; None when it could not be (it then goes
        unrecorded: only its effects, the events, matter for a restart)."""
        if self.problem is not None:
            self._due(order)
            return None
        try:
            return self.journal.record_request(order.intent.id, kind, attempt=attempt)
        except JOURNAL_ERRORS as exc:
            self.fail(order, exc)
            return None

    def outcome(
        self,
        order: GuardedOrder,
        request_id: int | None,
        kind: OutcomeKind,
        *,
        code: int | None = None,
        msg: str | None = None,
    ) -> None:
        if request_id is None:
            return
        row = (request_id, kind, code, msg)
        if self.problem is not None:
            self._due(order).outcomes.append(row)
            return
        try:
            self.journal.record_outcome(request_id, kind, code=code, msg=msg)
        except JOURNAL_ERRORS as exc:
            self.fail(order, exc)
            self._due(order).outcomes.append(row)
            return
        if self._txn is not None:
            self._txn.append((order, row))

    def event(self, order: GuardedOrder, event: ExchangeEvent) -> bool:
        """Journal an event; False only for a duplicate the journal recognised. While
        degraded every event counts as new: the caller's own state is idempotent."""
        if self.problem is not None:
            self._due(order).events.append(event)
            return True
        try:
            new = self.journal.record_event(order.intent.id, event)
        except JOURNAL_ERRORS as exc:
            self.fail(order, exc)
            self._due(order).events.append(event)
            return True
        if self._txn is not None:
            self._txn.append((order, event))
        return new

    def abandon(self, order: GuardedOrder, why: str) -> None:
        """Journal that the order was given up without reaching the exchange."""
        if self.problem is not None:
            self._due(order).abandoned = why
            return
        try:
            self._write_abandon(order, why)
        except JOURNAL_ERRORS as exc:
            self.fail(order, exc)
            self._due(order).abandoned = why

    def _write_abandon(self, order: GuardedOrder, why: str) -> None:
        reqs = self.journal.requests(order.intent.id)
        if any(r.outcome is OutcomeKind.ABANDONED for r in reqs):
            return
        if reqs and reqs[-1].outcome is None:
            self.journal.record_outcome(reqs[-1].id, OutcomeKind.ABANDONED, msg=why)
            return
        rid = self.journal.record_request(order.intent.id, RequestKind.QUERY, attempt=1)
        self.journal.record_outcome(rid, OutcomeKind.ABANDONED, msg=why)

    @contextmanager
    def transaction(self, order: GuardedOrder) -> Iterator[None]:
        """``Journal.transaction`` whose failure degrades instead of raising; what was
        written in it is kept for ``catch_up`` (which skips whatever did land)."""
        if self.problem is not None or self._txn is not None:
            yield
            return
        self._txn = []
        try:
            with self.journal.transaction():
                yield
        except JOURNAL_ERRORS as exc:
            self.fail(order, exc)
            for owner, row in self._txn:
                due = self._due(owner)
                if isinstance(row, ExchangeEvent):
                    due.events.append(row)
                else:
                    due.outcomes.append(row)
        finally:
            self._txn = None

    # ---- recovery -------------------------------------------------------------------------

    def catch_up(self) -> bool:
        """Write the backlog; True when the journal is whole again (or was never behind)."""
        if self.problem is None:
            return True
        try:
            for cid, due in list(self._backlog.items()):
                with self.journal.transaction():
                    self._write_backlog(due)
                del self._backlog[cid]
        except JOURNAL_ERRORS as exc:
            log.warning("journal still cannot be written (%s); %d orders wait", exc, len(self._backlog))
            return False
        log.warning("journal writable again: caught up; new orders allowed (was: %s)", self.problem)
        self.problem = None
        return True

    def _write_backlog(self, due: _Backlog) -> None:
        intent_id = due.order.intent.id
        on_file = self.journal.intent(due.order.client_order_id)
        if on_file is None or on_file.id != intent_id:
            # Its intent's own commit failed: no trace of the order to complete, and none a
            # restart could act on (it was never sent).
            return
        for event in due.events:
            self.journal.record_event(intent_id, event)  # a duplicate is ignored by its key
        if due.outcomes:
            answered = {r.id for r in self.journal.requests(intent_id) if r.outcome is not None}
            for request_id, kind, code, msg in due.outcomes:
                if request_id not in answered:
                    self.journal.record_outcome(request_id, kind, code=code, msg=msg)
                    answered.add(request_id)
        if due.abandoned is not None:
            self._write_abandon(due.order, due.abandoned)
