"""Where the quality gates run: in the calling process, or in a worker process started before they are needed.

Importing Great Expectations takes ~3 s (its module graph: scipy.stats, altair, pandas, SQLAlchemy, and
pyspark when it is installed), once per process, and the feed gate, the first to need it, comes right after
the ingest. ``tw run`` starts a :class:`GateWorker` as soon as it knows it will refresh: a spawned process
that imports GX on the other core while the refresh imports Dagster, loads its definitions and ingests;
both gates (the feed suites, the mart suites) then run in it, one call at a time, and the refresh's own
process never imports GX. The calls are the same functions as in a process of their own
(:func:`quality.gate.run_gate`, :func:`quality.mart_gate.run_mart_gate`): what they read and write is given
as paths, what they return are plain dataclasses. DuckDB lets one process write a database file or several
read it: a gate opens its database after the caller closed it, and closes it before it returns
(quality/gate.py), so the publish step can write the candidate again.

A thread would not do: importing GX beside the main thread's own imports (Dagster's share SQLAlchemy and
pydantic with GX) can deadlock on Python's per-module import locks, which the interpreter then breaks by
failing one of the imports.

:class:`InProcess` runs the same calls here: runs started by Dagster itself (``dagster dev``, the tests'
``execute_in_process``) use it, importing GX at their first gate as before.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
import traceback
import warnings
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, Protocol, TypeVar

from core.processes import spawned_pool, stop_workers

P = ParamSpec("P")
R = TypeVar("R")


class Gates(Protocol):
    """Runs a gate's call: ``call(run_gate, database, suites, results_dir, ...)``."""

    def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R: ...


class InProcess:
    """The gates in the calling process."""

    def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        return fn(*args, **kwargs)


def _start(output: str | None) -> None:
    """The worker's start: its standard output and error to ``output`` (the refresh's log), then GX."""
    if output is not None:
        target = os.open(output, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        for fd in (1, 2):
            os.dup2(target, fd)
        os.close(target)
        for stream in (sys.stdout, sys.stderr):  # a line reaches the log when written, not at the exit
            if isinstance(stream, io.TextIOWrapper):
                stream.reconfigure(line_buffering=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GX imports pyspark, which warns about pandas 3 (quality/gate.py)
        import great_expectations  # noqa: F401

        import quality.mart_gate
        import quality.suites  # noqa: F401


def _ready() -> int:
    return os.getpid()


def _run(fn: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any]) -> R:
    """``fn(*args, **kwargs)`` in the worker. An exception that would not arrive whole in the caller (one
    that does not pickle, or whose class is not rebuilt from its ``args``) is raised as a RuntimeError with
    its type, message and traceback as text: the pool would otherwise report a broken worker, or only the
    pickling error."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            raise RuntimeError(
                f"{type(exc).__qualname__}: {exc}\n(in the gates' worker)\n{traceback.format_exc()}"
            ) from None
        raise


class GateWorker:
    """One spawned process, started at once, that imports GX (:func:`_start`) and then runs the gates' calls
    one at a time. ``output``: the file its standard output and error are appended to (else the caller's).
    A context manager: leaving it stops the process."""

    def __init__(self, output: Path | None = None) -> None:
        # spawned, and it leaves without freeing GX's objects one by one (core/processes.py)
        self._pool = spawned_pool(1, _start, (str(output) if output is not None else None,))
        self._started = self._pool.submit(_ready)  # the process starts now, not at the first gate

    @property
    def pid(self) -> int:
        """The worker's process id (once it has started and imported GX)."""
        return self._started.result()

    def wait_started(self) -> None:
        """Wait until the worker has imported GX, or failed to start (then its first call will say why)."""
        self._started.exception()

    def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return self._pool.submit(_run, fn, args, kwargs).result()
        except BrokenProcessPool as exc:
            raise RuntimeError(
                f"the quality gates' worker process ended before {getattr(fn, '__qualname__', fn)} returned "
                "(killed, out of memory, or GX failed to import: its output is in the refresh's log, or on "
                "the console with --verbose)"
            ) from exc

    def close(self) -> None:
        """Stop the worker once it is done with what it was given."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def stop(self) -> None:
        """Stop the worker now, in the middle of its import or a gate (core/processes.py)."""
        stop_workers(self._pool)

    def __enter__(self) -> GateWorker:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        # leaving on an error or an interrupt (the definitions failing to load, Ctrl-C in a gate): not waiting
        # for the worker's import or its gate
        if kind is None:
            self.close()
        else:
            self.stop()
