"""The installed ``tw`` command ends its process itself (orchestration/cli.py: ``command``): its output,
its exit code and what its exit handlers write must be the same as a normal exit's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TW = Path(sys.executable).parent / "tw"


def _tw(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"TW_HOME": str(tmp_path / "home"), "TW_INBOX_DIR": str(tmp_path / "inbox"), "TW_DEMO": "1"}
    return subprocess.run(
        [str(TW), *args], capture_output=True, text=True, env={**_environment(), **env}, timeout=120
    )


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TW_")}


def test_the_command_prints_everything_and_exits_0(tmp_path: Path) -> None:
    done = _tw(tmp_path, "status", "--json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)  # the whole document reached the pipe before the process ended
    assert status["files"] == 0 and status["current_release"] is None


def test_the_command_keeps_its_exit_code_and_message(tmp_path: Path) -> None:
    done = _tw(tmp_path, "retract", "nothing-delivered.csv")
    assert done.returncode == 1
    assert "no delivered file of that name" in done.stderr


def test_argument_errors_exit_as_argparse_does(tmp_path: Path) -> None:
    done = _tw(tmp_path, "no-such-command")
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_exit_handlers_and_threads_finish_before_the_process_ends() -> None:
    script = """
import atexit, sys, threading
from orchestration import cli

def main():
    atexit.register(lambda: print("exit handler"))
    threading.Thread(target=lambda: (threading.Event().wait(0.3), print("thread"))).start()
    print("main")
    return 3

cli.main = main
cli.command()
print("not reached")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert done.stdout.split() == ["main", "thread", "exit", "handler"]


def test_an_idle_thread_pool_left_open_does_not_keep_the_process() -> None:
    script = """
from concurrent.futures import ThreadPoolExecutor
from orchestration import cli

pool = ThreadPoolExecutor(max_workers=2)  # never shut down: its workers wait for work

def main():
    print(pool.submit(lambda: 40 + 2).result())
    return 0

cli.main = main
cli.command()
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.split() == ["42"], done.stderr
