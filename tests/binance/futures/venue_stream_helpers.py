"""Reading a venue's user stream in tests: the next item of a kind, within a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from tradeexec.venue.stream import UserStreamItem

WAIT = 15.0


async def next_item(
    stream: AsyncIterator[UserStreamItem], want: Callable[[UserStreamItem], bool]
) -> UserStreamItem:
    """The next item ``want`` accepts, skipping others, within WAIT seconds."""

    async def find() -> UserStreamItem:
        async for item in stream:
            if want(item):
                return item
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(find(), WAIT)
