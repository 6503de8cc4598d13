"""Shared by the scheduled-window attacks: a wall clock the test moves, and a manager on the
local exchange's USDT-M futures acting on announced windows."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.adversarial.futures_exactly_once_helpers import manager
from tests.adversarial.resend_helpers import wait_for
from tradeexec.execution.maintenance_windows import MaintenanceWindow
from tradeexec.execution.orders.manager import OrderManager

START = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
WINDOW = MaintenanceWindow(START, START + timedelta(hours=2))
LEAD_S = 600.0


class Clock:
    """Wall-clock seconds the test sets; ``reads`` counts the manager's looks at it, so a test
    can wait for rounds to pass instead of sleeping."""

    def __init__(self, at: datetime) -> None:
        self.now = at.timestamp()
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now

    def set(self, at: datetime, *, offset_s: float = 0.0) -> None:
        self.now = at.timestamp() + offset_s

    async def rounds(self, count: int, timeout_s: float = 10.0) -> None:
        """Until the manager has looked at the clock ``count`` more times."""
        target = self.reads + count
        await wait_for(f"{count} looks at the clock", lambda: self.reads >= target, timeout_s)


@contextlib.asynccontextmanager
async def window_manager(
    venue: Any, path: Path, clock: Clock, action: str, **options: Any
) -> AsyncIterator[OrderManager]:
    """A started manager that knows ``WINDOW`` and acts ``LEAD_S`` before it."""
    async with manager(
        venue,
        path,
        on_maintenance=action,
        maintenance_windows=[WINDOW],
        maintenance_lead_s=LEAD_S,
        maintenance_clock=clock,
        **options,
    ) as om:
        yield om
