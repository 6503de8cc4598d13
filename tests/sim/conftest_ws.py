"""The ``wsx`` fixture: a started local exchange with its WebSocket routes. Test modules load
it with ``pytest_plugins = ("tests.sim.conftest_ws",)``; the helpers live in ``ws_helpers``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.sim.ws_helpers import WsExchange, ws_exchange


@pytest.fixture
async def wsx() -> AsyncIterator[WsExchange]:
    async with ws_exchange() as x:
        yield x
