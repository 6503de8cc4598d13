"""Helpers of the futures legs tests: waiting on a condition with a deadline, and the income
history summed per (symbol, income type)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Protocol

WAIT = 15.0


class IncomeRow(Protocol):
    @property
    def symbol(self) -> str: ...
    @property
    def income_type(self) -> str: ...
    @property
    def income(self) -> Decimal: ...


async def until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Wait (bounded) until ``condition`` holds; fails naming ``what``."""
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not reached within {timeout}s: {what}") from None


def income_by_type(rows: Iterable[IncomeRow]) -> dict[tuple[str, str], Decimal]:
    out: dict[tuple[str, str], Decimal] = {}
    for r in rows:
        key = (r.symbol, r.income_type)
        out[key] = out.get(key, Decimal(0)) + r.income
    return out
