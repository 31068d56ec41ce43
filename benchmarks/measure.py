"""Run a command and measure it: wall time and the peak RSS of its whole process tree, sampled."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import psutil


@dataclass
class Measured:
    returncode: int
    wall_s: float
    peak_rss_bytes: int
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, tree RSS)
    stdout: str = ""
    stderr: str = ""

    def peak_between(self, start_s: float, end_s: float) -> int:
        inside = [rss for t, rss in self.samples if start_s <= t <= end_s]
        return max(inside, default=0)


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


def run_measured(
    command: list[str], env: Mapping[str, str] | None = None, interval_s: float = 0.1, cwd: str | None = None
) -> Measured:
    started = time.monotonic()
    proc = subprocess.Popen(
        command,
        env=dict(env) if env else None,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    samples: list[tuple[float, int]] = []
    root = psutil.Process(proc.pid)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                samples.append((time.monotonic() - started, tree_rss(root)))
            except psutil.NoSuchProcess:
                return
            done.wait(interval_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    wall = time.monotonic() - started
    return Measured(proc.returncode, wall, max((r for _, r in samples), default=0), samples, out, err)


def differing_rows(con, left: str, right: str, select: str = "*") -> int:  # type: ignore[no-untyped-def]
    """Rows of ``left`` not in ``right`` plus rows of ``right`` not in ``left`` (multisets), comparing
    ``select`` of each: 0 when the two relations hold the same rows. ``con`` is a DuckDB connection."""
    return con.execute(
        f"select count(*) from ((select {select} from {left} except all select {select} from {right})"
        f" union all (select {select} from {right} except all select {select} from {left}))"
    ).fetchone()[0]
