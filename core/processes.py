"""Pools of spawned worker processes that leave without the interpreter's finalization.

The refresh hands work to processes of its own (the quality gates' worker, quality/worker.py; the lists
workbooks' writers, publication/lists.py). They are *spawned* (a fresh interpreter), not forked: the
refresh runs threads (Dagster's, polars', DuckDB's), and a forked child inherits their locks held. A worker
that has imported GX, polars or DuckDB took 0.2-1.6 s to free its objects one by one when the pool was shut
down, and the refresh waited for it: these workers leave as ``tw`` leaves its own process
(orchestration/cli.py, ``command``), their standard streams flushed, their exit handlers run.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def _leave() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _start(initializer: Callable[..., object] | None, initargs: tuple[Any, ...]) -> None:
    # registered first: the exit handlers registered after it (by what the worker imports) run before it;
    # multiprocessing's clean-up ran before them (the worker's bootstrap calls it)
    atexit.register(_leave)
    if initializer is not None:
        initializer(*initargs)


def spawned_pool(
    max_workers: int, initializer: Callable[..., object] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A process pool of ``max_workers`` spawned workers, each started with ``initializer(*initargs)``, that
    leave quickly at its shutdown (the module's docstring)."""
    return ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=mp.get_context("spawn"),
        initializer=_start,
        initargs=(initializer, initargs),
    )
