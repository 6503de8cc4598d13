"""The demo's faults: when each is armed on the embedded exchange, which order it hit and
how the run recovered from it.

Kept apart from the trading loop because it only watches: it reads the exchange's fault log
and the orders' states and writes what it saw into the record as ``FaultEntry`` rows, so the
terminal view and the report can show each fault next to its recovery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradeexec.demo.record import DemoRecord, FaultEntry
from tradeexec.execution.orders.managed import ManagedOrder
from tradeexec.execution.orders.state import OrderState

if TYPE_CHECKING:
    from tradeexec.sim.exchange import LocalExchange

ORDER_PATH = "/api/v3/order"
# Where the faults hit per product: the order endpoint and the market stream's path.
PATHS = {"spot": (ORDER_PATH, "/stream"), "usdm": ("/fapi/v1/order", "/public/*")}
# When each fault is armed, as a share of the run (an order fault fires on the next order).
FAULT_PLAN = (
    (0.25, "lost_response", 0),
    (0.45, "ws_drop", 1),
    (0.6, "error_1007", 0),
)
STREAM_DROP = "ws_drop"


class FaultTracker:
    """Arms ``FAULT_PLAN`` on the exchange as the run goes and follows each fault to its
    recovery. Without an embedded exchange (a real venue) it does nothing."""

    def __init__(
        self,
        record: DemoRecord,
        ex: LocalExchange | None,
        duration_s: float,
        warmup_s: float,
        product: str = "spot",
    ) -> None:
        self.record = record
        self.ex = ex
        self.seen = 0  # entries of the exchange's fault log already matched
        # No fault before the strategy has warmed up: there would be no order to hit.
        paths = PATHS[product]
        self.plan = [(max(warmup_s, share * duration_s), kind, paths[i]) for share, kind, i in FAULT_PLAN]

    def arm(self) -> None:
        if self.ex is None:
            return
        elapsed = self.record.elapsed()
        while self.plan and self.plan[0][0] <= elapsed:
            _, kind, target = self.plan.pop(0)
            self.ex.inject(kind, target, count=1)
            self.record.faults.append(FaultEntry(kind, elapsed))
            self.record.log(f"FAULT armed: {kind} on {target}")

    def scan(self) -> list[FaultEntry]:
        """Mark as fired the faults the exchange's log says have hit; return those."""
        if self.ex is None:
            return []
        log = self.ex.fault_log
        fired = []
        for rec in log[self.seen :]:
            entry = next((f for f in self.record.faults if f.kind == rec.kind and f.fired_s is None), None)
            if entry is not None:
                entry.fired_s = self.record.elapsed()
                fired.append(entry)
                self.record.log(f"FAULT hit: {rec.kind} on {rec.target}")
        self.seen = len(log)
        return fired

    def attach(self, order: ManagedOrder) -> None:
        """An order fault that hit while ``order`` was being placed is that order's."""
        for entry in self.scan():
            if entry.kind != STREAM_DROP:
                entry.order = order

    def scan_between_orders(self) -> None:
        """An order fault that hit between placements hit one of the manager's own requests
        (a lookup or a cancel), which it retries by itself."""
        for entry in self.scan():
            if entry.kind != STREAM_DROP:
                entry.recovered_s = entry.fired_s
                entry.recovery = "hit a lookup or cancel of the manager, which retried it"

    def stream_recovered(self) -> None:
        self.scan_between_orders()
        for entry in self.record.faults:
            if entry.kind == STREAM_DROP and entry.fired_s is not None and entry.recovered_s is None:
                entry.recovered_s = self.record.elapsed()
                entry.recovery = "stream reconnected; books resync from a fresh snapshot"

    def check_orders(self) -> None:
        """An order fault is over once its order has a state the exchange confirmed."""
        record = self.record
        for entry in record.faults:
            order = entry.order
            if entry.recovered_s is None and order is not None and order.state is not OrderState.UNKNOWN:
                entry.recovered_s = record.elapsed()
                entry.recovery = f"outcome resolved by client order id: {order.state}, sent once"
                record.log(f"RECOVERED {entry.kind}: {order.client_order_id} is {order.state}")

    def disarm(self) -> None:
        if self.ex is None:
            return
        self.ex.clear_faults()
        self.scan_between_orders()
        for entry in self.record.faults:
            if entry.fired_s is None:
                entry.recovery = "not triggered before the end (cleared)"
