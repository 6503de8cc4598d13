"""The local exchange's clock: real time, or real time scaled, plus an injectable skew.

One clock is shared by the engine (``now_ms`` is passed in), the REST timestamp check, the
rate limiter and the streams, so a faster clock makes every time-based rule (recvWindow,
listenKey expiry, ban lengths, kline buckets) move faster together.
"""

from __future__ import annotations

import asyncio
import time


class SimClock:
    """Epoch milliseconds that run at ``speed`` times real time from the moment of creation.

    ``skew_ms`` shifts what the server believes the time is (a fault: clients then see -1021).
    """

    def __init__(self, speed: float = 1.0, *, start_ms: int | None = None) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = speed
        self.skew_ms = 0
        self._origin_real = time.time()
        self._origin_ms = int(self._origin_real * 1000) if start_ms is None else start_ms
        self._frozen: int | None = None

    def now_ms(self) -> int:
        if self._frozen is not None:
            return self._frozen + self.skew_ms
        elapsed = (time.time() - self._origin_real) * self.speed
        return self._origin_ms + int(elapsed * 1000) + self.skew_ms

    def freeze(self, at_ms: int | None = None) -> None:
        """Stop the clock (tests that need exact times); ``advance`` then moves it."""
        self._frozen = self.now_ms() - self.skew_ms if at_ms is None else at_ms

    def advance(self, ms: int) -> None:
        """Move a frozen clock forward, or shift a running one (jumps over waits in tests)."""
        if self._frozen is not None:
            self._frozen += ms
        else:
            self._origin_ms += ms

    def sim_to_real_seconds(self, sim_ms: float) -> float:
        """Real seconds to wait for ``sim_ms`` of simulated time to pass."""
        return max(0.0, sim_ms / 1000.0 / self.speed)

    async def sleep(self, sim_ms: float) -> None:
        await asyncio.sleep(self.sim_to_real_seconds(sim_ms))
