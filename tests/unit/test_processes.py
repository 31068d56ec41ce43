"""Spawned pools whose workers leave without the interpreter's finalization (core/processes.py): what a
worker was asked to do is done, its exit handlers run and its buffered output reaches its file."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.processes import spawned_pool
from tests.conftest import REPO


class _Freed:
    """Writes its marker when freed: the interpreter's finalization frees what a module holds."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __del__(self) -> None:
        Path(self.marker).write_text("freed at the exit")


KEPT: list[_Freed] = []


def _redirect_and_mark(output: str, marker: str) -> None:
    target = os.open(output, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(target, 1)
    os.close(target)
    sys.stdout = open(1, "w", buffering=1 << 20, closefd=False)  # noqa: SIM115  # buffered, never flushed here
    atexit.register(Path(marker).write_text, "exit handlers ran")
    KEPT.append(_Freed(marker + ".freed"))
    atexit.register(print, "said at exit")  # after multiprocessing flushed the streams: only _leave can


def _say(text: str) -> int:
    print(text)  # buffered: only the worker's exit can write it
    return os.getpid()


def test_a_worker_does_its_work_runs_its_exit_handlers_and_flushes_its_output(tmp_path: Path) -> None:
    output, marker = tmp_path / "out.txt", tmp_path / "marker.txt"
    with spawned_pool(1, _redirect_and_mark, (str(output), str(marker))) as pool:
        pid = pool.submit(_say, "said in the worker").result()
        assert pid != os.getpid()
        assert pool.submit(sum, [1, 2]).result() == 3
    assert marker.read_text() == "exit handlers ran"
    assert not Path(str(marker) + ".freed").exists()  # left without the interpreter's finalization
    assert output.read_text() == "said in the worker\nsaid at exit\n"


# a parent that starts a worker (in a pool of core/processes.py, or a multiprocessing.Pool started as the
# disclosure audit starts its own), has it sleep, prints its pid and is killed
ORPHANING_PARENT = """
import multiprocessing as mp, os, signal, sys, time
from core.processes import spawned_pool, worker_start

if sys.argv[1] == "spawned_pool":
    pool = spawned_pool(1)
    print(pool.submit(os.getpid).result(), flush=True)
    pool.submit(time.sleep, 600)
else:
    pool = mp.get_context("spawn").Pool(1, initializer=worker_start, initargs=(None, ()))
    print(pool.apply(os.getpid), flush=True)
    pool.apply_async(time.sleep, (600,))
time.sleep(0.5)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # a zombie waits for a reaper that is not its parent: it has ended


@pytest.mark.parametrize("pool", ["spawned_pool", "multiprocessing.Pool"])
def test_a_worker_ends_when_its_parent_is_killed(pool: str) -> None:
    parent = subprocess.run(
        [sys.executable, "-c", ORPHANING_PARENT, pool], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert parent.returncode == -signal.SIGKILL, parent.stderr[-2000:]
    worker = int(parent.stdout.split()[0])
    deadline = time.monotonic() + 30
    while not _gone(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(worker)
