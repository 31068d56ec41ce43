"""Spawned pools whose workers leave without the interpreter's finalization (core/processes.py): what a
worker was asked to do is done, its exit handlers run and its buffered output reaches its file."""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path

from core.processes import spawned_pool


def _redirect_and_mark(output: str, marker: str) -> None:
    target = os.open(output, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(target, 1)
    os.close(target)
    sys.stdout = open(1, "w", buffering=1 << 20, closefd=False)  # noqa: SIM115  # buffered, never flushed here
    atexit.register(Path(marker).write_text, "exit handlers ran")
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
    assert output.read_text() == "said in the worker\nsaid at exit\n"
