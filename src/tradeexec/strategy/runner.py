"""``tradeexec run``: a user's strategy on a trading session, for a bounded time.

Two kinds of strategy, one session (``tradeexec.strategy.session``: venue, books, journal, risk,
exactly-once order manager, the exchange check at the end, the view and the report):

- a Python module (a ``.py`` file or an importable name) defining ``async def strategy(ctx)``
  (see ``tradeexec.strategy_api.StrategyContext``), with optional ``SYMBOLS`` and ``PARAMS``;
- any program that writes JSON-lines signals to its standard output (the format of
  ``tradeexec.execution.signals``); a bad line is logged with its number and skipped.

When the duration is over the strategy is cancelled (the program gets SIGTERM, then SIGKILL
after a grace period), lost answers are resolved, this run's resting orders are cancelled,
and the exchange's record is checked. Positions are left as they are: they are the
strategy's, and only it knows whether to flatten them.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import inspect
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from tradeexec.config import Venue
from tradeexec.demo.record import DemoRecord, DemoSummary
from tradeexec.errors import InvalidParameter, StrategyFailed, StrategyLoadError
from tradeexec.execution.maintenance_windows import MaintenanceSettings
from tradeexec.execution.risk import RiskLimits
from tradeexec.execution.signals import decode_lines
from tradeexec.strategy.api import StrategyContext
from tradeexec.strategy.session import SessionPlan, TradingSession, settle

__all__ = ["DEFAULT_SYMBOLS", "PythonStrategy", "RunPlan", "load_strategy", "run", "run_strategy"]

DEFAULT_SYMBOLS = ("BTCUSDT",)
SAMPLE_S = 0.25
PROGRAM_GRACE_S = 5.0
STOP_GRACE_S = 5.0
StrategyFn = Callable[[StrategyContext], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class PythonStrategy:
    """A loaded ``strategy(ctx)`` with the module's ``SYMBOLS`` and ``PARAMS`` (if any)."""

    name: str
    fn: StrategyFn
    symbols: tuple[str, ...] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What ``run_strategy`` runs: a Python strategy or a program's argv, for how long, where."""

    strategy: PythonStrategy | Sequence[str]
    duration_s: float
    journal_dir: Path
    symbols: tuple[str, ...] = DEFAULT_SYMBOLS
    params: Mapping[str, Any] = field(default_factory=dict)
    venue: Venue | None = None
    base_url: str | None = None
    risk: RiskLimits | None = None
    maintenance: MaintenanceSettings | None = None

    @property
    def name(self) -> str:
        """The strategy's name as the user knows it: the module's or the program's."""
        strategy = self.strategy
        return strategy.name if isinstance(strategy, PythonStrategy) else Path(strategy[0]).stem

    @property
    def tag(self) -> str:
        """The name's first letters and digits: the prefix of the run's client order IDs."""
        return re.sub(r"[^A-Za-z0-9]", "", self.name)[:8] or "run"


def load_strategy(spec: str) -> PythonStrategy:
    """``spec`` is a ``.py`` file or a module name; it must define ``strategy(ctx)``."""
    module = _import(spec)
    fn = getattr(module, "strategy", None)
    if fn is None or not callable(fn):
        raise StrategyLoadError(
            f"{spec}: defines no 'async def strategy(ctx)'; "
            "to run a program that prints JSON-lines signals, use 'tradeexec run --program'"
        )
    if not inspect.iscoroutinefunction(fn):
        raise StrategyLoadError(f"{spec}: strategy must be 'async def strategy(ctx)', not a plain function")
    symbols = getattr(module, "SYMBOLS", None)
    if symbols is not None and (
        not isinstance(symbols, list | tuple) or not symbols or not all(isinstance(s, str) for s in symbols)
    ):
        raise StrategyLoadError(f"{spec}: SYMBOLS must be a non-empty list of symbol names like ['BTCUSDT']")
    params = getattr(module, "PARAMS", {})
    if not isinstance(params, Mapping):
        raise StrategyLoadError(f"{spec}: PARAMS must be a dict of parameter defaults")
    name = Path(spec).stem if spec.endswith(".py") else spec.rsplit(".", 1)[-1]
    return PythonStrategy(name, fn, tuple(s.upper() for s in symbols) if symbols else None, dict(params))


def _import(spec: str) -> ModuleType:
    """Import as ``python FILE`` / ``python -m MODULE`` would: the file's folder (or the
    current one) first on the path, so a strategy can import its own helper modules. What
    its code raises on import is the user's to fix: refused with the reason and the line."""
    is_file = spec.endswith(".py")
    if is_file and not Path(spec).is_file():
        raise StrategyLoadError(f"strategy file {spec}: not found")
    sys.path.insert(0, str(Path(spec).resolve().parent) if is_file else os.getcwd())
    try:
        return _exec_file(Path(spec)) if is_file else importlib.import_module(spec)
    except StrategyLoadError:
        raise
    except ModuleNotFoundError as exc:
        if not is_file and exc.name and (spec + ".").startswith(exc.name + "."):  # the module itself
            raise StrategyLoadError(f"strategy {spec}: no such file or module ({exc.name})") from None
        raise StrategyLoadError(f"strategy {spec}: ModuleNotFoundError: {exc}{_where(exc)}") from None
    except SyntaxError as exc:
        raise StrategyLoadError(
            f"strategy {spec}: SyntaxError: {exc.msg} ({exc.filename}, line {exc.lineno})"
        ) from None
    except Exception as exc:
        raise StrategyLoadError(f"strategy {spec}: {type(exc).__name__}: {exc}{_where(exc)}") from None


def _exec_file(path: Path) -> ModuleType:
    loader_spec = importlib.util.spec_from_file_location(f"tradeexec_strategy_{path.stem}", path)
    if loader_spec is None or loader_spec.loader is None:
        raise StrategyLoadError(f"strategy file {path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(module)
    return module


async def run_strategy(
    plan: RunPlan, *, record: DemoRecord | None = None, say: Callable[[str], None] = print
) -> DemoSummary:
    """Run ``plan`` for its duration; ``record`` is filled as the run goes (for a view)."""
    record = record or DemoRecord()
    record.say = say
    record.title = f"tradeexec run {plan.name}"
    record.with_faults = False
    record.symbols = plan.symbols
    record.venue = (plan.venue or Venue.LOCAL).value
    record.started = time.time()
    record.journal_path = plan.journal_dir / "journal.sqlite"
    summary = DemoSummary(journal_path=record.journal_path, title=f"{plan.name} summary")
    session_plan = SessionPlan(plan.tag, plan.venue, plan.base_url, plan.risk, maintenance=plan.maintenance)
    async with TradingSession.open(record, summary, session_plan) as session:
        _register_symbols(session)
        deadline = record.started + plan.duration_s
        ctx = StrategyContext(record, summary, session.executor, params=plan.params, deadline=deadline)
        sampler = asyncio.create_task(_sample_until(session, deadline))
        failure: Exception | None = None
        interrupted = False
        try:
            if isinstance(plan.strategy, PythonStrategy):
                await _bounded(plan.strategy.fn(ctx), deadline, record)
            else:
                await _run_program(plan.strategy, ctx, deadline, record)
        except Exception as exc:  # the strategy's own error: settle its orders, then report it
            failure = exc
            record.log(f"strategy failed: {type(exc).__name__}: {exc}")
        except asyncio.CancelledError:  # Ctrl-C: the run's resting orders go before it ends
            interrupted = True
            record.log("interrupted: cancelling this run's resting orders")
        finally:
            ctx.close()
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
        record.phase = "settling"
        await settle(record, session.manager)
        session.sample()
    if interrupted:
        raise asyncio.CancelledError
    if len(record.equity) >= 2:
        summary.equity = (record.equity[0][1], record.equity[-1][1])
    if failure is not None:
        raise StrategyFailed(
            f"strategy {plan.name} raised {type(failure).__name__}: {failure}{_where(failure)}"
        ) from failure
    return summary


def _where(exc: BaseException) -> str:
    """`` (at file:line)`` of the innermost frame outside tradeexec and the standard library:
    the strategy's own line that failed."""
    ours = (str(Path(__file__).parent), str(Path(asyncio.__file__).parent.parent))
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith(ours) and not filename.startswith("<"):  # <frozen importlib...>
            where = f" (at {filename}:{tb.tb_lineno})"
        tb = tb.tb_next
    return where


def _register_symbols(session: TradingSession) -> None:
    """Positions from the start (what the account already holds), and a clear refusal of a
    symbol the venue does not list, before the strategy trades."""
    rules = session.manager.rules
    assert rules is not None and session.record.positions is not None
    for symbol in session.record.symbols:
        if symbol not in rules:
            raise InvalidParameter("symbols", f"not listed on {session.record.venue}", symbol)
        r = rules[symbol]
        session.record.positions.register_symbol(symbol, r.base_asset, r.quote_asset)


async def _sample_until(session: TradingSession, deadline: float) -> None:
    while time.time() < deadline:
        session.sample()
        await asyncio.sleep(SAMPLE_S)


async def _bounded(work: Awaitable[Any], deadline: float, record: DemoRecord) -> None:
    """The strategy until it returns or the deadline; its own exception (a TimeoutError of
    its own included) is raised, a strategy that outlives the deadline is cancelled, and so
    is one whose run is cancelled (Ctrl-C)."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - time.time()))
    except BaseException:
        await _stop(task)
        raise
    if task in done:
        task.result()
        record.log("strategy returned")
    else:
        await _stop(task)
        record.log("duration over: strategy stopped")


async def _stop(task: asyncio.Future[Any]) -> None:
    """Cancel and give it ``STOP_GRACE_S``; one that ignores the cancel can no longer send
    anything anyway (the context refuses once the run is over)."""
    task.cancel()
    await asyncio.wait({task}, timeout=STOP_GRACE_S)
    if task.done() and not task.cancelled():
        task.exception()  # retrieved: an error on the way out is not the run's outcome


async def _run_program(
    argv: Sequence[str], ctx: StrategyContext, deadline: float, record: DemoRecord
) -> None:
    """Read the program's standard output as JSON-lines signals until it exits or the
    deadline; then SIGTERM, and SIGKILL after ``PROGRAM_GRACE_S``."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE
        )
    except OSError as exc:
        raise StrategyLoadError(f"strategy program {argv[0]}: cannot start: {exc.strerror}") from None
    record.log(f"program {' '.join(argv)} started (pid {proc.pid})")
    assert proc.stdout is not None
    stdout = proc.stdout

    async def read() -> None:
        skipped = lambda lineno, exc: record.log(f"  line {lineno} skipped: {exc}")  # noqa: E731
        async for _, signal in decode_lines(stdout, skipped):
            await ctx.submit(signal)

    try:
        await _bounded(read(), deadline, record)
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), PROGRAM_GRACE_S)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        record.log(f"program exited with code {proc.returncode}")


def run(
    strategy: StrategyFn,
    *,
    duration: float = 10.0,
    symbols: Sequence[str] = DEFAULT_SYMBOLS,
    params: Mapping[str, Any] | None = None,
    journal_dir: Path | None = None,
) -> DemoSummary:
    """Run ``strategy`` on the embedded local exchange for ``duration`` seconds, printing the
    event log: the quickest way to try a strategy from Python (``tradeexec run`` does more)."""
    plan = RunPlan(
        PythonStrategy(getattr(strategy, "__name__", "run"), strategy),
        duration,
        journal_dir or Path(tempfile.mkdtemp(prefix="tradeexec-run-")),
        tuple(s.upper() for s in symbols),
        dict(params or {}),
    )
    return asyncio.run(run_strategy(plan, say=print))


def decimal_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Strategy parameters with every float made an exact Decimal of its text (a TOML
    ``0.1`` is ``Decimal('0.1')``, never a binary fraction that reaches an order)."""
    return {k: Decimal(str(v)) if isinstance(v, float) else v for k, v in params.items()}
