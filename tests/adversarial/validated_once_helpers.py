"""Counting the checks an order goes through, by name, wherever a module imported them: the
shape check (which fields an order type needs), the builder that checks loose arguments
(``order_args``) and the filter check (``SymbolRules.check``). Calls made by the local
exchange (``tradeexec.sim``: the other side of the wire) are not counted."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tradeexec.binance.rest import order_args as order_args_module
from tradeexec.binance.rules.symbol_rules import SymbolRules

# The shape check's name now, and before it was reachable from the venue.
_SHAPE_NAMES = ("check_shape", "_check_shape")


def _from_the_exchange() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("tradeexec.sim"):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


class Counter:
    def __init__(self) -> None:
        self.calls = {"order shape": 0, "filters": 0, "wire build": 0}

    def _counting(self, key: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            if not _from_the_exchange():
                self.calls[key] += 1
            return real(*args, **kwargs)

        return counted

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        with pytest.MonkeyPatch.context() as mp:
            targets = {"order_args": "wire build"}
            targets.update((n, "order shape") for n in _SHAPE_NAMES if hasattr(order_args_module, n))
            for name, key in targets.items():
                real = getattr(order_args_module, name)
                counted = self._counting(key, real)
                # Every module holding the function under its name (``from ... import``).
                for module in list(sys.modules.values()):
                    if (
                        getattr(module, "__name__", "").startswith("tradeexec")
                        and getattr(module, name, None) is real
                    ):
                        mp.setattr(module, name, counted)
            mp.setattr(SymbolRules, "check", self._counting("filters", SymbolRules.check))
            yield
