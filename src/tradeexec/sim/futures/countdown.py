"""Auto-cancel timers (``POST /fapi/v1/countdownCancelAll``): a dead man's switch per account
and symbol. Each call replaces the symbol's timer with one ``countdownTime`` ms from now; 0
stops it. When a timer elapses on the exchange's clock, the symbol's open orders are
canceled once (the engine checks timers in ``catch_up``, which runs before every /fapi
request and on the user stream's timer: Binance checks "approximately every 10 ms")."""

from __future__ import annotations


class Countdowns:
    def __init__(self) -> None:
        self._due: dict[tuple[str, str], int] = {}

    def set(self, name: str, symbol: str, countdown_ms: int, now_ms: int) -> None:
        if countdown_ms:
            self._due[(name, symbol)] = now_ms + countdown_ms
        else:
            self._due.pop((name, symbol), None)

    def elapsed(self, now_ms: int) -> list[tuple[str, str]]:
        """The (account, symbol) timers that ran out by ``now_ms``, forgotten as they fire."""
        fired = [key for key, due in self._due.items() if due <= now_ms]
        for key in fired:
            del self._due[key]
        return fired
