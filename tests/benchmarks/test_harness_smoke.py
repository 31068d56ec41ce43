"""A smoke run of the benchmark harness at scale S: it runs end to end, its baselines agree with the
pipeline, and it prints a full table. (Benchmarks are not tests: no timing is asserted here.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e


def test_the_harness_runs_at_scale_s(tmp_path: Path) -> None:
    performance = (REPO / "docs" / "performance.md").read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--scale", "S", "--no-append", "--workdir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    for line in (
        "**full refresh**",
        "ingest",
        "dbt build",
        "quality checks (GX)",
        "publish",
        "refresh with nothing new",
        "**incremental refresh**: one new month of vacancies",
        "incremental ÷ full refresh",
        "full refresh without ingest",
        "floor: compiled SQL in DuckDB, 9 marts (rows differing: 0)",
        "pandas: 9 marts (rows differing: 0)",
        "example queries via the SQL endpoint",
    ):
        assert line in out, line
    rows = [r for r in out.splitlines() if r.startswith("| S |")]
    assert len(rows) >= 14 and all(r.count("|") == 9 for r in rows)
    assert (REPO / "docs" / "performance.md").read_bytes() == performance  # --no-append leaves the docs alone
