"""Everything the soak's process says, kept: every log line of every logger at DEBUG (to a
file, for the secrets scan) and every failure nobody handled (an ERROR record carrying a
traceback from tradeexec, or an exception the event loop had to report itself)."""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path
from types import TracebackType
from typing import Any


class _Sink(logging.Handler):
    def __init__(self, watch: Watch) -> None:
        super().__init__(logging.DEBUG)
        self.watch = watch
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception as exc:  # a log call whose arguments do not format is itself a bug
            text = f"UNFORMATTABLE {record.name} {record.msg!r}: {exc!r}"
            self.watch.failures.append(text)
        self.watch.lines += 1
        self.watch.file.write(text + "\n")
        if (
            record.levelno >= logging.ERROR
            and record.exc_info is not None
            and record.name.startswith("tradeexec")
        ):
            self.watch.failures.append(text)


class Watch:
    """``with Watch(path) as w:`` inside the running loop; ``w.failures`` lists what failed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.failures: list[str] = []
        self.lines = 0
        self.file = path.open("w", encoding="utf-8")
        self._handler = _Sink(self)
        self._root_level = logging.WARNING
        self._loop: asyncio.AbstractEventLoop | None = None
        self._old_handler: Any = None
        self._detached: list[logging.Handler] = []

    def __enter__(self) -> Watch:
        root = logging.getLogger()
        self._root_level = root.level
        root.setLevel(logging.DEBUG)
        # Other root handlers (pytest's capture) would hold every DEBUG line of a long soak in
        # memory; the file here is the record, so they sit the soak out.
        self._detached = list(root.handlers)
        for handler in self._detached:
            root.removeHandler(handler)
        root.addHandler(self._handler)
        self._loop = asyncio.get_running_loop()
        self._old_handler = self._loop.get_exception_handler()
        self._loop.set_exception_handler(self._on_loop_error)
        return self

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        self.failures.append(f"event loop: {context.get('message')}: {exc!r} ({context.get('task') or ''})")
        loop.default_exception_handler(context)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        gc.collect()  # tasks that died unobserved report themselves when collected
        root = logging.getLogger()
        root.removeHandler(self._handler)
        for handler in self._detached:
            root.addHandler(handler)
        root.setLevel(self._root_level)
        if self._loop is not None:
            self._loop.set_exception_handler(self._old_handler)
        self.file.close()
