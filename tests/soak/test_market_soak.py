"""The default synthetic market measured at normal speed, as a client meets it: with
``TRADEEXEC_SOAK=full`` (``make soak``) a full 60 s of real time, otherwise a 5 s slice. The
same checks run in ``tests/sim/test_market_shape.py`` over 60 s of market time sped up 15x,
where a lagging loop step spans several market steps; here every step is its own."""

from __future__ import annotations

import os

import pytest

from tests.sim.market_shape_helpers import check_default_market

pytestmark = pytest.mark.soak

MARKET_MS = 60_000 if os.environ.get("TRADEEXEC_SOAK") == "full" else 5_000


@pytest.mark.timeout(MARKET_MS / 1000 + 60)
async def test_default_market_at_normal_speed() -> None:
    await check_default_market(MARKET_MS, 1.0, wall_timeout_s=MARKET_MS / 1000 + 30)
