"""USDT-M futures listenKeys: created, kept alive and closed over REST, valid for 60 minutes
after creation or the last keepalive ("User Data Streams" page: a POST on an account with an
active key returns that key and extends it; PUT on an unknown key answers -1125)."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

from tradeexec.sim.engine import EngineReject

VALIDITY_MS = 60 * 60_000
_ALPHABET = string.ascii_letters + string.digits


@dataclass(slots=True)
class Lease:
    account: str
    expires_at: int


def unknown_key() -> EngineReject:
    return EngineReject(-1125, "This listenKey does not exist.")


class ListenKeys:
    def __init__(self, now_ms: Callable[[], int]) -> None:
        self._now = now_ms
        self._leases: dict[str, Lease] = {}

    def create(self, account: str) -> str:
        now = self._now()
        for key, lease in self._leases.items():
            if lease.account == account and lease.expires_at > now:
                lease.expires_at = now + VALIDITY_MS
                return key
        key = "".join(secrets.choice(_ALPHABET) for _ in range(64))
        self._leases[key] = Lease(account, now + VALIDITY_MS)
        return key

    def _live(self, key: str, account: str) -> Lease:
        lease = self._leases.get(key)
        if lease is None or lease.account != account or lease.expires_at <= self._now():
            raise unknown_key()
        return lease

    def keepalive(self, key: str, account: str) -> None:
        self._live(key, account).expires_at = self._now() + VALIDITY_MS

    def close(self, key: str, account: str) -> None:
        self._live(key, account)
        del self._leases[key]

    def account_of(self, key: str) -> str | None:
        lease = self._leases.get(key)
        return lease.account if lease is not None and lease.expires_at > self._now() else None

    def keys_of(self, account: str) -> list[str]:
        return [k for k, lease in self._leases.items() if lease.account == account]

    def take_expired(self, struck: Callable[[str, str], bool] | None = None) -> list[str]:
        """Keys past their validity, and those ``struck(key, account)`` expires early (the
        listenKey-expiry fault), removed: the stream says listenKeyExpired for each."""
        now = self._now()
        gone = [
            k for k, lease in self._leases.items()
            if lease.expires_at <= now or (struck is not None and struck(k, lease.account))
        ]  # fmt: skip
        for key in gone:
            del self._leases[key]
        return gone
