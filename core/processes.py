"""Pools of spawned worker processes that leave without the interpreter's finalization, and with their parent.

The refresh hands work to processes of its own (the quality gates' worker, quality/worker.py; the lists
workbooks' writers, publication/lists.py; the disclosure audit's, publication/disclosure_lp.py). They are
*spawned* (a fresh interpreter), not forked: the refresh runs threads (Dagster's, polars', DuckDB's), and a
forked child inherits their locks held.

- **Leaving quickly.** A worker that has imported GX, polars or DuckDB took 0.2-1.6 s to free its objects
  one by one when the pool was shut down, and the refresh waited for it. These workers leave as ``tw``
  leaves its own process (orchestration/cli.py, ``command``): multiprocessing's clean-up (its bootstrap
  flushes the standard streams) and the exit handlers registered after the worker started (by what it
  imported or ran) run, its streams are flushed again, and the process ends with code 0 (the pool does not
  read it). Exit handlers registered before the worker started (``logging.shutdown``: its handlers flush at
  each record) do not run.
- **Leaving with their parent.** A worker blocks reading its pool's queue, whose writing end it holds too:
  when only the refresh's process dies (``kill -9``, the out-of-memory killer), it would wait forever, or go
  on with a gate outside the refresh's lock while the next refresh runs. A watcher thread ends the worker as
  soon as its parent is gone.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait
from typing import Any

PARENT_GONE_EXIT_CODE = 70  # a worker that outlived its parent (EX_SOFTWARE)


def _leave() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _leave_with_parent() -> None:
    parent = mp.parent_process()
    if parent is None:  # not a multiprocessing child
        return
    wait([parent.sentinel])  # ready when the parent's end of the pipe closes: it has exited
    os._exit(PARENT_GONE_EXIT_CODE)


def worker_start(initializer: Callable[..., object] | None, initargs: tuple[Any, ...]) -> None:
    """A spawned worker's initializer: it will leave quickly and with its parent (the module's docstring),
    then ``initializer(*initargs)``. :func:`spawned_pool`'s; a ``multiprocessing.Pool`` takes it too
    (``initializer=worker_start, initargs=(initializer, initargs)``)."""
    # registered first: the exit handlers registered after it (by what the worker imports) run before it;
    # multiprocessing's clean-up ran before them (the worker's bootstrap calls it)
    atexit.register(_leave)
    threading.Thread(target=_leave_with_parent, name="leave-with-parent", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def spawned_pool(
    max_workers: int, initializer: Callable[..., object] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A process pool of ``max_workers`` spawned workers, each started with ``initializer(*initargs)``, that
    leave quickly at its shutdown and at once when their parent dies (the module's docstring)."""
    return ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=mp.get_context("spawn"),
        initializer=worker_start,
        initargs=(initializer, initargs),
    )


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """End ``pool``'s workers now (SIGTERM) and shut it down without waiting: for a caller that is failing
    or interrupted, which should not wait for a worker's import or its current task. Uses the pool's
    ``_processes`` (CPython's concurrent.futures, 3.11-3.13; 3.14 has ``terminate_workers()``)."""
    for process in list(getattr(pool, "_processes", {}).values()):
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
