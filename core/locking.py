"""One refresh at a time per warehouse home.

A run holds an exclusive ``flock`` on ``TW_HOME/.refresh.lock`` from its first step to its end.
The kernel releases it when the process exits, however it exits (SIGKILL included), so a crash
never leaves a stale lock. A second run that starts while one is going fails at once with a clear
error instead of fighting over the build database.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RefreshInProgress(RuntimeError):
    """Another run holds the warehouse."""


@contextmanager
def refresh_lock(home: Path) -> Iterator[None]:
    home.mkdir(parents=True, exist_ok=True)
    path = home / ".refresh.lock"
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RefreshInProgress(
                f"{path}: another refresh is running ({holder}); wait for it to finish, "
                f"or stop it, then run again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
