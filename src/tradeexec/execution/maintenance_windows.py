"""Maintenance windows announced ahead, as a trader copies them from the exchange's notice.

Binance announces a scheduled upgrade on its announcement pages ("from 06:00 (UTC) to 09:00
(UTC)") and through no API: its system status (``GET /sapi/v1/system/status``) says only
whether maintenance is on *now*, and the WebSocket API's ``serverShutdown`` asks for a new
connection, not a pause. So a window is a setting: ``MaintenanceWindow(start, end)`` in
timezone-aware datetimes, and ``lead_s``, how long before ``start`` the manager acts
(``execution/maintenance.py``). Everything is checked once, each refusal naming the setting,
so that a window typed wrong is refused at start rather than silently never acted on.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from tradeexec.errors import InvalidParameter

__all__ = [
    "MaintenanceAction",
    "MaintenanceSettings",
    "MaintenanceWindow",
    "check_action",
    "check_windows",
    "parse_window",
]

_FIELD = "maintenance_windows"
MaintenanceAction = Literal["pause", "cancel", "flatten", "protect"]
_ACTIONS: tuple[str, ...] = get_args(MaintenanceAction)


@dataclass(frozen=True, slots=True, order=True)
class MaintenanceWindow:
    """One announced window, ``start`` (inclusive) to ``end`` (exclusive), both aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name, moment in (("start", self.start), ("end", self.end)):
            if not isinstance(moment, datetime):
                raise InvalidParameter(f"{_FIELD}.{name}", "must be a datetime", repr(moment))
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise InvalidParameter(
                    f"{_FIELD}.{name}", "must be timezone-aware (e.g. 2026-12-03T14:00Z, UTC)", str(moment)
                )
        if self.end <= self.start:
            raise InvalidParameter(_FIELD, "end must be after start", str(self))

    @property
    def start_s(self) -> float:
        return self.start.timestamp()

    @property
    def end_s(self) -> float:
        return self.end.timestamp()

    def __str__(self) -> str:
        return f"{_utc(self.start)}/{_utc(self.end)}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_window(text: str) -> MaintenanceWindow:
    """``START/END`` in ISO 8601 with an offset or ``Z`` (``2026-12-03T14:00Z/2026-12-03T16:00Z``):
    the CLI's and the config file's form."""
    start, sep, end = text.partition("/")
    if not sep:
        raise InvalidParameter(_FIELD, "expected START/END, e.g. 2026-12-03T14:00Z/2026-12-03T16:00Z", text)
    return MaintenanceWindow(_moment("start", start), _moment("end", end))


def _moment(name: str, text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        rule = "not an ISO 8601 time (e.g. 2026-12-03T14:00Z)"
        raise InvalidParameter(f"{_FIELD}.{name}", rule, text) from None


def check_windows(windows: Iterable[MaintenanceWindow], lead_s: float) -> tuple[MaintenanceWindow, ...]:
    """The windows in time order, refused when they overlap (two announcements of one window
    must be merged by the user: which end holds is theirs to say), and ``lead_s`` checked."""
    if not isinstance(lead_s, int | float) or isinstance(lead_s, bool) or not 0 <= lead_s < float("inf"):
        raise InvalidParameter("maintenance_lead_s", "must be a number of seconds >= 0", repr(lead_s))
    given = tuple(windows)
    for w in given:
        if not isinstance(w, MaintenanceWindow):
            raise InvalidParameter(_FIELD, "each must be a MaintenanceWindow (start, end)", repr(w))
    ordered = tuple(sorted(given))
    for earlier, later in itertools.pairwise(ordered):
        if later.start < earlier.end:
            raise InvalidParameter(_FIELD, f"windows overlap: {earlier} and {later}", str(later))
    return ordered


def check_action(action: str) -> str:
    """``on_maintenance``: one of ``MaintenanceAction``."""
    if action not in _ACTIONS:
        raise InvalidParameter("on_maintenance", f"must be one of {', '.join(_ACTIONS)}", repr(action))
    return action


@dataclass(frozen=True, slots=True)
class MaintenanceSettings:
    """The maintenance settings of a run (CLI arguments, the config file's ``[maintenance]``),
    checked when made, so that a typo is refused before any connection is opened; the
    ``OrderManager`` checks again what depends on the venue (``flatten`` needs positions)."""

    action: MaintenanceAction = "pause"
    windows: tuple[MaintenanceWindow, ...] = ()
    lead_s: float = 0.0

    def __post_init__(self) -> None:
        check_action(self.action)
        object.__setattr__(self, "windows", check_windows(self.windows, self.lead_s))
