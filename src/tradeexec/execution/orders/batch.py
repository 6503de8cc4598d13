"""Batch placement (``OrderManager.submit_batch``): several orders in one request where the
venue has one (``BatchPlacement``: Binance USDⓈ-M ``batchOrders``), each with the guarantees
of a single ``submit``.

* Every order is admitted on its own (rounded, validated, risk-checked with the batch's
  earlier orders counted, journaled with its placement request) before the batch is sent;
  one refused locally refuses the batch, and the orders already journaled are abandoned
  (journaled so, never sent: a restart does not send them).
* The kill switch is checked for each order right before the wire, as for a single order,
  and again by the venue when it signs the batch (``sending.py``) if any of its orders could
  grow a position: a batch stopped there was never sent and every order of it is abandoned
  (a closing one too: resubmitted alone, a stop lets it through).
* Each answer is applied to its own order: an error in place rejects (or, if it says the
  outcome is unknown, resolves) that order only.
* A lost answer (timeout, -1007, dropped connection) makes every order of the batch UNKNOWN,
  and each is resolved on its own by its client order ID (``resolve``): found, or resent
  alone once the resend rule proves the batch can no longer execute.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Sequence

from tradeexec.errors import InvalidParameter, StoppedBeforeSigning, TradeexecError
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.request import OrderIntent
from tradeexec.execution.orders.resolve import Resolving
from tradeexec.execution.orders.sending import Sending
from tradeexec.venue.protocol import BatchPlacement
from tradeexec.venue.records import PlaceAnswer

__all__ = ["Batching"]


class Batching(Sending, Resolving, abc.ABC):
    """``submit_batch``, over the single-order steps the manager defines."""

    @abc.abstractmethod
    async def _admit(self, request: OrderIntent) -> tuple[ManagedOrder, int]: ...
    @abc.abstractmethod
    def _place_failed(self, order: ManagedOrder, request_id: int, exc: Exception) -> bool: ...
    @abc.abstractmethod
    async def _place_answered(self, order: ManagedOrder, request_id: int, response: PlaceAnswer) -> None: ...

    async def submit_batch(self, requests: Sequence[OrderIntent]) -> list[ManagedOrder]:
        """Admit, journal and send ``requests`` in one batch; returns their orders in the
        same order, each accepted, rejected by the venue (REJECTED, its reason), abandoned
        by the kill switch, or UNKNOWN and being resolved. Raises (nothing sent) when the
        venue has no batches, the batch is empty or too big, holds a conditional order (the
        venue's conditional service takes them one at a time), or one order is refused here."""
        venue = self.venue
        if not isinstance(venue, BatchPlacement):
            raise InvalidParameter("batch", "this venue places orders one at a time: use submit", "")
        if not 1 <= len(requests) <= venue.batch_size:
            raise InvalidParameter("batch", f"1 to {venue.batch_size} orders per batch", str(len(requests)))
        for i, r in enumerate(requests):
            if self._conditional is not None and self._conditional.is_conditional(r.type):
                # Binance's batchOrders refuses them since the Algo Service took them over
                # (-4120, 2025-12-09): sent, the batch would only come back refused.
                raise InvalidParameter(
                    "type",
                    "a conditional order goes to the venue's conditional service, which takes no "
                    "batches (Binance's batchOrders answers -4120): submit it alone",
                    f"{r.type} (order {i + 1} of {len(requests)})",
                )
        admitted: list[tuple[ManagedOrder, int]] = []
        try:
            for r in requests:
                admitted.append(await self._admit(r))
        except BaseException as exc:
            for order, _rid in admitted:
                self._abandon(order, f"not sent: another order of its batch was refused ({exc})")
            raise
        sending = [(o, rid) for o, rid in admitted if self._may_send(o)]
        if sending:
            await self._send_batch(venue, sending)
        return [o for o, _rid in admitted]

    async def _send_batch(self, venue: BatchPlacement, sending: list[tuple[ManagedOrder, int]]) -> None:
        gate = next((g for o, _rid in sending if (g := self._gate_for(o)) is not None), None)
        before = [self._mark_sent(o) for o, _rid in sending]
        try:
            try:
                answers = await venue.place_batch([o.intent for o, _rid in sending], gate=gate)
            finally:
                for order, _rid in sending:
                    self._sent_done(order)
        except asyncio.CancelledError:
            for order, rid in sending:
                self._outcome_unknown(order, rid, "the caller was cancelled while the batch was in flight")
            raise
        except StoppedBeforeSigning as exc:  # nothing of the batch was sent
            for (order, _rid), was in zip(sending, before, strict=True):
                self._not_signed(order, was, exc)
            return
        except Exception as exc:
            # The batch's answer is lost (or it was refused whole): each order on its own.
            for order, rid in sending:
                self._place_failed(order, rid, exc)
            return
        if len(answers) != len(sending):
            why = f"the batch answer has {len(answers)} places for {len(sending)} orders"
            for order, rid in sending:
                self._outcome_unknown(order, rid, why)
            return
        for (order, rid), answer in zip(sending, answers, strict=True):
            if isinstance(answer, TradeexecError):
                self._place_failed(order, rid, answer)
            else:
                await self._place_answered(order, rid, answer)
