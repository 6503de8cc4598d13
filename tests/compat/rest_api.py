"""The ``api`` fixture of the compat tests: a signing REST client (tests.sim's ``Api``) on the
``ex`` exchange the test module provides. Modules load it with
``pytest_plugins = ("tests.compat.rest_api",)``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.sim.conftest import Api
from tradeexec.binance.net.auth import HmacSigner
from tradeexec.sim import LocalExchange


@pytest.fixture
async def api(ex: LocalExchange) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, ex.rest_url, ex.api_key, HmacSigner(ex.api_secret))
